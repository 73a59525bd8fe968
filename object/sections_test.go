package object_test

import (
	"fmt"
	"testing"

	"github.com/bpfgen/bpfgen/object"
)

func TestFindSection(t *testing.T) {
	for _, tt := range []struct {
		sec  string
		want string // type attach target flags btf-target
	}{
		{"tp/syscalls/sys_enter_getpid", "tracepoint cgroup_inet_ingress syscalls/sys_enter_getpid 0x0 "},
		{"tracepoint/sched/sched_switch", "tracepoint cgroup_inet_ingress sched/sched_switch 0x0 "},
		{"raw_tp/sys_enter", "raw_tracepoint cgroup_inet_ingress sys_enter 0x0 "},
		{"raw_tp.w/sys_enter", "raw_tracepoint_writable cgroup_inet_ingress sys_enter 0x0 "},
		{"tp_btf/sched_switch", "tracing trace_raw_tp sched_switch 0x0 btf_trace_sched_switch/TYPEDEF"},
		{"fentry/do_unlinkat", "tracing trace_fentry do_unlinkat 0x0 do_unlinkat/FUNC"},
		{"fentry.s/do_unlinkat", "tracing trace_fentry do_unlinkat 0x10 do_unlinkat/FUNC"},
		{"fexit/do_unlinkat", "tracing trace_fexit do_unlinkat 0x0 do_unlinkat/FUNC"},
		{"fmod_ret/x", "tracing modify_return x 0x0 x/FUNC"},
		{"lsm/file_open", "lsm lsm_mac file_open 0x0 bpf_lsm_file_open/FUNC"},
		{"lsm.s/file_open", "lsm lsm_mac file_open 0x10 bpf_lsm_file_open/FUNC"},
		{"lsm_cgroup/file_open", "lsm lsm_cgroup file_open 0x0 bpf_lsm_file_open/FUNC"},
		{"iter/task", "tracing trace_iter task 0x0 bpf_iter_task/FUNC"},
		{"iter.s/task", "tracing trace_iter task 0x10 bpf_iter_task/FUNC"},
		{"syscall", "syscall cgroup_inet_ingress  0x10 "},
		{"xdp", "xdp xdp  0x0 "},
		{"xdp.frags", "xdp xdp  0x20 "},
		{"xdp/devmap", "xdp xdp_devmap  0x0 "},
		{"xdp.frags/cpumap", "xdp xdp_cpumap  0x20 "},
		{"tc", "sched_cls cgroup_inet_ingress  0x0 "},
		{"tc/ingress", "sched_cls tcx_ingress  0x0 "},
		{"tcx/egress", "sched_cls tcx_egress  0x0 "},
		{"netkit/peer", "sched_cls netkit_peer  0x0 "},
		{"cgroup_skb/egress", "cgroup_skb cgroup_inet_egress  0x0 "},
		{"cgroup/connect4", "cgroup_sock_addr cgroup_inet4_connect  0x0 "},
		{"cgroup/sysctl", "cgroup_sysctl cgroup_sysctl  0x0 "},
		{"cgroup/getsockopt", "cgroup_sockopt cgroup_getsockopt  0x0 "},
		{"sk_skb/stream_verdict", "sk_skb sk_skb_stream_verdict  0x0 "},
		{"sk_msg", "sk_msg sk_msg_verdict  0x0 "},
		{"sk_lookup", "sk_lookup sk_lookup  0x0 "},
		{"socket", "socket_filter cgroup_inet_ingress  0x0 "},
		{"kprobe/do_sys_open", "kprobe cgroup_inet_ingress do_sys_open 0x0 "},
		{"kprobe.multi/do_*", "kprobe trace_kprobe_multi do_* 0x0 "},
		{"uprobe.s//bin/bash:readline", "kprobe cgroup_inet_ingress /bin/bash:readline 0x10 "},
		{"usdt/x", "kprobe cgroup_inet_ingress x 0x0 "},
		{"ksyscall/openat", "kprobe cgroup_inet_ingress openat 0x0 "},
		{"perf_event", "perf_event cgroup_inet_ingress  0x0 "},
		{"struct_ops/x", "struct_ops cgroup_inet_ingress x 0x0 "},
		{"struct_ops.s/x", "struct_ops cgroup_inet_ingress x 0x10 "},
		{"netfilter", "netfilter netfilter  0x0 "},
		{"freplace/f", "ext cgroup_inet_ingress f 0x0 "},
		{"lwt_xmit", "lwt_xmit cgroup_inet_ingress  0x0 "},
		{"?tp/a/b", "tracepoint cgroup_inet_ingress a/b 0x0 "},
	} {
		d, target := object.FindSection(tt.sec)
		if d == nil {
			t.Errorf("%q: no match", tt.sec)
			continue
		}
		bt := ""
		if d.TargetKind != 0 {
			bt = fmt.Sprintf("%s%s/%v", d.TargetPrefix, target, d.TargetKind)
		}
		got := fmt.Sprintf("%v %v %s %#x %s", d.Type, d.AttachType, target, d.Flags(), bt)
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.sec, got, tt.want)
		}
	}
	for _, sec := range []string{"tpx/a", "xdp/foo", "kprobex", "tracepoints", "", "cgroup/unknown", "tc/whatever"} {
		if d, _ := object.FindSection(sec); d != nil {
			t.Errorf("%q matched %q", sec, d.Prefix)
		}
	}
}

func TestTypeNames(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{object.ProgTypeTracepoint.String(), "tracepoint"},
		{object.ProgTypeNetfilter.String(), "netfilter"},
		{object.ProgType(999).String(), "prog_type(999)"},
		{object.AttachTraceUprobeSession.String(), "trace_uprobe_session"},
		{object.AttachTraceKprobeMulti.String(), "trace_kprobe_multi"},
		{object.MapTypeArena.String(), "arena"},
		{object.MapTypeRingbuf.String(), "ringbuf"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	// Spot-check numbering against uapi values.
	for _, c := range []struct{ got, want uint32 }{
		{uint32(object.ProgTypeSyscall), 31},
		{uint32(object.AttachTraceKprobeMulti), 42},
		{uint32(object.AttachNetkitPeer), 55},
		{uint32(object.MapTypeArena), 33},
		{uint32(object.MapTypeSockhash), 18},
	} {
		if c.got != c.want {
			t.Errorf("constant %d, want %d", c.got, c.want)
		}
	}
}
