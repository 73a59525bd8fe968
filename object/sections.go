package object

import (
	"strings"

	"github.com/bpfgen/bpfgen/btf"
)

// SectionDef is one entry of the section-name table: what a program in a
// section of that name is. Matching follows libbpf:
//
//   - a Prefix ending in "+" matches the name without the "+" exactly, or
//     followed by "/" and an attach target ("tp/syscalls/sys_enter_read");
//   - a Prefix ending in "/" matches any name starting with it;
//   - any other Prefix matches only exactly.
//
// The first matching entry of the table wins.
type SectionDef struct {
	Prefix     string
	Type       ProgType
	AttachType AttachType
	// Sleepable programs are loaded with BPF_F_SLEEPABLE.
	Sleepable bool
	// XDPFrags programs are loaded with BPF_F_XDP_HAS_FRAGS.
	XDPFrags bool
	// AttachBTF is set for programs whose load needs the BTF id of what
	// they attach to (fentry, fexit, fmod_ret, tp_btf, lsm, iter,
	// freplace).
	AttachBTF bool
	// TargetPrefix and TargetKind say how to find the attach target in
	// kernel BTF: the type named TargetPrefix+AttachTo of kind TargetKind
	// ("btf_trace_" + tracepoint as a TYPEDEF for tp_btf, "bpf_lsm_" + hook
	// as a FUNC for lsm, "bpf_iter_" + target as a FUNC for iter, the
	// function itself for fentry/fexit/fmod_ret). TargetKind is 0 when the
	// target is not in kernel BTF (freplace attaches to another BPF
	// program).
	TargetPrefix string
	TargetKind   btf.Kind
	// USDT programs may be switched to uprobe-multi at load time.
	USDT bool
}

// Flags returns the BPF_PROG_LOAD flags implied by the section.
func (d *SectionDef) Flags() uint32 {
	var f uint32
	if d.Sleepable {
		f |= FlagSleepable
	}
	if d.XDPFrags && d.Type == ProgTypeXDP {
		f |= FlagXDPHasFrags
	}
	return f
}

// Matches reports whether the section name (without a leading "?") is
// described by d.
func (d *SectionDef) Matches(sec string) bool {
	p := d.Prefix
	switch {
	case strings.HasSuffix(p, "/"):
		return strings.HasPrefix(sec, p)
	case strings.HasSuffix(p, "+"):
		p = p[:len(p)-1]
		if !strings.HasPrefix(sec, p) {
			return false
		}
		return len(sec) == len(p) || sec[len(p)] == '/'
	default:
		return sec == p
	}
}

// attachTo returns what the section names to attach to: the part after the
// first "/" for "+" entries ("" if there is none), nothing for others.
func (d *SectionDef) attachTo(sec string) string {
	if !strings.HasSuffix(d.Prefix, "+") && !strings.HasSuffix(d.Prefix, "/") {
		return ""
	}
	p := strings.TrimSuffix(d.Prefix, "+")
	rest := strings.TrimPrefix(sec, p)
	return strings.TrimPrefix(rest, "/")
}

// Section-definition helpers keep the table below one line per entry.
func sd(prefix string, t ProgType, at AttachType) SectionDef {
	return SectionDef{Prefix: prefix, Type: t, AttachType: at}
}

func sleepable(d SectionDef) SectionDef { d.Sleepable = true; return d }
func frags(d SectionDef) SectionDef     { d.XDPFrags = true; return d }
func usdt(d SectionDef) SectionDef      { d.USDT = true; return d }
func btfTarget(d SectionDef, prefix string, kind btf.Kind) SectionDef {
	d.AttachBTF, d.TargetPrefix, d.TargetKind = true, prefix, kind
	return d
}

// SectionDefs is the section-name table, in libbpf's matching order.
var SectionDefs = []SectionDef{
	sd("socket", ProgTypeSocketFilter, AttachNone),
	sd("sk_reuseport/migrate", ProgTypeSKReuseport, AttachSKReuseportSelectOrMigrate),
	sd("sk_reuseport", ProgTypeSKReuseport, AttachSKReuseportSelect),
	sd("kprobe+", ProgTypeKprobe, AttachNone),
	sd("uprobe+", ProgTypeKprobe, AttachNone),
	sleepable(sd("uprobe.s+", ProgTypeKprobe, AttachNone)),
	sd("kretprobe+", ProgTypeKprobe, AttachNone),
	sd("uretprobe+", ProgTypeKprobe, AttachNone),
	sleepable(sd("uretprobe.s+", ProgTypeKprobe, AttachNone)),
	sd("kprobe.multi+", ProgTypeKprobe, AttachTraceKprobeMulti),
	sd("kretprobe.multi+", ProgTypeKprobe, AttachTraceKprobeMulti),
	sd("kprobe.session+", ProgTypeKprobe, AttachTraceKprobeSession),
	sd("uprobe.multi+", ProgTypeKprobe, AttachTraceUprobeMulti),
	sd("uretprobe.multi+", ProgTypeKprobe, AttachTraceUprobeMulti),
	sd("uprobe.session+", ProgTypeKprobe, AttachTraceUprobeSession),
	sleepable(sd("uprobe.multi.s+", ProgTypeKprobe, AttachTraceUprobeMulti)),
	sleepable(sd("uretprobe.multi.s+", ProgTypeKprobe, AttachTraceUprobeMulti)),
	sleepable(sd("uprobe.session.s+", ProgTypeKprobe, AttachTraceUprobeSession)),
	sd("ksyscall+", ProgTypeKprobe, AttachNone),
	sd("kretsyscall+", ProgTypeKprobe, AttachNone),
	usdt(sd("usdt+", ProgTypeKprobe, AttachNone)),
	usdt(sleepable(sd("usdt.s+", ProgTypeKprobe, AttachNone))),
	sd("tc/ingress", ProgTypeSchedCLS, AttachTCXIngress),
	sd("tc/egress", ProgTypeSchedCLS, AttachTCXEgress),
	sd("tcx/ingress", ProgTypeSchedCLS, AttachTCXIngress),
	sd("tcx/egress", ProgTypeSchedCLS, AttachTCXEgress),
	sd("tc", ProgTypeSchedCLS, AttachNone),
	sd("classifier", ProgTypeSchedCLS, AttachNone),
	sd("action", ProgTypeSchedACT, AttachNone),
	sd("netkit/primary", ProgTypeSchedCLS, AttachNetkitPrimary),
	sd("netkit/peer", ProgTypeSchedCLS, AttachNetkitPeer),
	sd("tracepoint+", ProgTypeTracepoint, AttachNone),
	sd("tp+", ProgTypeTracepoint, AttachNone),
	sleepable(sd("tracepoint.s+", ProgTypeTracepoint, AttachNone)),
	sleepable(sd("tp.s+", ProgTypeTracepoint, AttachNone)),
	sd("raw_tracepoint+", ProgTypeRawTracepoint, AttachNone),
	sd("raw_tp+", ProgTypeRawTracepoint, AttachNone),
	sleepable(sd("raw_tracepoint.s+", ProgTypeRawTracepoint, AttachNone)),
	sleepable(sd("raw_tp.s+", ProgTypeRawTracepoint, AttachNone)),
	sd("raw_tracepoint.w+", ProgTypeRawTracepointWritable, AttachNone),
	sd("raw_tp.w+", ProgTypeRawTracepointWritable, AttachNone),
	btfTarget(sd("tp_btf+", ProgTypeTracing, AttachTraceRawTP), "btf_trace_", btf.KindTypedef),
	btfTarget(sleepable(sd("tp_btf.s+", ProgTypeTracing, AttachTraceRawTP)), "btf_trace_", btf.KindTypedef),
	btfTarget(sd("fentry+", ProgTypeTracing, AttachTraceFentry), "", btf.KindFunc),
	btfTarget(sd("fmod_ret+", ProgTypeTracing, AttachModifyReturn), "", btf.KindFunc),
	btfTarget(sd("fexit+", ProgTypeTracing, AttachTraceFexit), "", btf.KindFunc),
	btfTarget(sleepable(sd("fentry.s+", ProgTypeTracing, AttachTraceFentry)), "", btf.KindFunc),
	btfTarget(sleepable(sd("fmod_ret.s+", ProgTypeTracing, AttachModifyReturn)), "", btf.KindFunc),
	btfTarget(sleepable(sd("fexit.s+", ProgTypeTracing, AttachTraceFexit)), "", btf.KindFunc),
	btfTarget(sd("freplace+", ProgTypeExt, AttachNone), "", 0),
	btfTarget(sd("lsm+", ProgTypeLSM, AttachLSMMac), "bpf_lsm_", btf.KindFunc),
	btfTarget(sleepable(sd("lsm.s+", ProgTypeLSM, AttachLSMMac)), "bpf_lsm_", btf.KindFunc),
	btfTarget(sd("lsm_cgroup+", ProgTypeLSM, AttachLSMCgroup), "bpf_lsm_", btf.KindFunc),
	btfTarget(sd("iter+", ProgTypeTracing, AttachTraceIter), "bpf_iter_", btf.KindFunc),
	btfTarget(sleepable(sd("iter.s+", ProgTypeTracing, AttachTraceIter)), "bpf_iter_", btf.KindFunc),
	sleepable(sd("syscall", ProgTypeSyscall, AttachNone)),
	frags(sd("xdp.frags/devmap", ProgTypeXDP, AttachXDPDevmap)),
	sd("xdp/devmap", ProgTypeXDP, AttachXDPDevmap),
	frags(sd("xdp.frags/cpumap", ProgTypeXDP, AttachXDPCpumap)),
	sd("xdp/cpumap", ProgTypeXDP, AttachXDPCpumap),
	frags(sd("xdp.frags", ProgTypeXDP, AttachXDP)),
	sd("xdp", ProgTypeXDP, AttachXDP),
	sd("perf_event", ProgTypePerfEvent, AttachNone),
	sd("lwt_in", ProgTypeLWTIn, AttachNone),
	sd("lwt_out", ProgTypeLWTOut, AttachNone),
	sd("lwt_xmit", ProgTypeLWTXmit, AttachNone),
	sd("lwt_seg6local", ProgTypeLWTSeg6Local, AttachNone),
	sd("sockops", ProgTypeSockOps, AttachCgroupSockOps),
	sd("sk_skb/stream_parser", ProgTypeSKSKB, AttachSKSKBStreamParser),
	sd("sk_skb/stream_verdict", ProgTypeSKSKB, AttachSKSKBStreamVerdict),
	sd("sk_skb/verdict", ProgTypeSKSKB, AttachSKSKBVerdict),
	sd("sk_skb", ProgTypeSKSKB, AttachNone),
	sd("sk_msg", ProgTypeSKMsg, AttachSKMsgVerdict),
	sd("lirc_mode2", ProgTypeLircMode2, AttachLircMode2),
	sd("flow_dissector", ProgTypeFlowDissector, AttachFlowDissector),
	sd("cgroup_skb/ingress", ProgTypeCgroupSKB, AttachCgroupInetIngress),
	sd("cgroup_skb/egress", ProgTypeCgroupSKB, AttachCgroupInetEgress),
	sd("cgroup/skb", ProgTypeCgroupSKB, AttachNone),
	sd("cgroup/sock_create", ProgTypeCgroupSock, AttachCgroupInetSockCreate),
	sd("cgroup/sock_release", ProgTypeCgroupSock, AttachCgroupInetSockRelease),
	sd("cgroup/sock", ProgTypeCgroupSock, AttachCgroupInetSockCreate),
	sd("cgroup/post_bind4", ProgTypeCgroupSock, AttachCgroupInet4PostBind),
	sd("cgroup/post_bind6", ProgTypeCgroupSock, AttachCgroupInet6PostBind),
	sd("cgroup/bind4", ProgTypeCgroupSockAddr, AttachCgroupInet4Bind),
	sd("cgroup/bind6", ProgTypeCgroupSockAddr, AttachCgroupInet6Bind),
	sd("cgroup/connect4", ProgTypeCgroupSockAddr, AttachCgroupInet4Connect),
	sd("cgroup/connect6", ProgTypeCgroupSockAddr, AttachCgroupInet6Connect),
	sd("cgroup/connect_unix", ProgTypeCgroupSockAddr, AttachCgroupUnixConnect),
	sd("cgroup/sendmsg4", ProgTypeCgroupSockAddr, AttachCgroupUDP4Sendmsg),
	sd("cgroup/sendmsg6", ProgTypeCgroupSockAddr, AttachCgroupUDP6Sendmsg),
	sd("cgroup/sendmsg_unix", ProgTypeCgroupSockAddr, AttachCgroupUnixSendmsg),
	sd("cgroup/recvmsg4", ProgTypeCgroupSockAddr, AttachCgroupUDP4Recvmsg),
	sd("cgroup/recvmsg6", ProgTypeCgroupSockAddr, AttachCgroupUDP6Recvmsg),
	sd("cgroup/recvmsg_unix", ProgTypeCgroupSockAddr, AttachCgroupUnixRecvmsg),
	sd("cgroup/getpeername4", ProgTypeCgroupSockAddr, AttachCgroupInet4Getpeername),
	sd("cgroup/getpeername6", ProgTypeCgroupSockAddr, AttachCgroupInet6Getpeername),
	sd("cgroup/getpeername_unix", ProgTypeCgroupSockAddr, AttachCgroupUnixGetpeername),
	sd("cgroup/getsockname4", ProgTypeCgroupSockAddr, AttachCgroupInet4Getsockname),
	sd("cgroup/getsockname6", ProgTypeCgroupSockAddr, AttachCgroupInet6Getsockname),
	sd("cgroup/getsockname_unix", ProgTypeCgroupSockAddr, AttachCgroupUnixGetsockname),
	sd("cgroup/sysctl", ProgTypeCgroupSysctl, AttachCgroupSysctl),
	sd("cgroup/getsockopt", ProgTypeCgroupSockopt, AttachCgroupGetsockopt),
	sd("cgroup/setsockopt", ProgTypeCgroupSockopt, AttachCgroupSetsockopt),
	sd("cgroup/dev", ProgTypeCgroupDevice, AttachCgroupDevice),
	sd("struct_ops+", ProgTypeStructOps, AttachNone),
	sleepable(sd("struct_ops.s+", ProgTypeStructOps, AttachNone)),
	sd("sk_lookup", ProgTypeSKLookup, AttachSKLookup),
	sd("netfilter", ProgTypeNetfilter, AttachNetfilter),
}

// FindSection returns the table entry for a program section name (a
// leading "?" is ignored) and the attach target the name carries, or nil
// if no entry matches.
func FindSection(sec string) (def *SectionDef, attachTo string) {
	sec = strings.TrimPrefix(sec, "?")
	for i := range SectionDefs {
		d := &SectionDefs[i]
		if d.Matches(sec) {
			return d, d.attachTo(sec)
		}
	}
	return nil, ""
}
