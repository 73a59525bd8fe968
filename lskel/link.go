package lskel

import (
	"errors"
	"io"
	"os"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

// Link is an attached program. Close detaches it; it is safe to call
// twice.
type Link struct {
	// FD is the BPF link fd, or -1 when the program is attached to a perf
	// event with an ioctl (kernels without perf links).
	FD int
	// PerfFD is the perf event the link owns (tracepoints, uprobes), or -1.
	PerfFD int
	// iter is set for iterator links.
	iter bool
}

// Close detaches the program and closes the link's fds.
func (l *Link) Close() error {
	if l == nil {
		return nil
	}
	var err error
	if l.FD >= 0 {
		err = sysErr("close link", unix.Close(l.FD))
		l.FD = -1
	}
	if l.PerfFD >= 0 {
		// Disabling first stops an ioctl-attached program at once.
		_ = unix.IoctlSetInt(l.PerfFD, unix.PERF_EVENT_IOC_DISABLE, 0)
		if e := unix.Close(l.PerfFD); e != nil && err == nil {
			err = sysErr("close perf event", e)
		}
		l.PerfFD = -1
	}
	return err
}

// attachPerf attaches progFD to perfFD: a perf link when the kernel has
// them, else PERF_EVENT_IOC_SET_BPF and enable. It does not close perfFD.
func attachPerf(progFD, perfFD int) (*Link, error) {
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: progFD, TargetFD: perfFD, AttachType: AttachTypePerfEvent})
	if err == nil {
		return &Link{FD: fd, PerfFD: -1}, nil
	}
	if e := kernel.PerfEventAttachBPF(perfFD, progFD); e != nil {
		// Report the link error: it is the modern path's reason.
		return nil, sysErr("attach to perf event ("+e.Error()+")", err)
	}
	return &Link{FD: -1, PerfFD: -1}, nil
}

// AttachPerfEvent attaches a program to an open perf event. The link does
// not own perfFD: close it after the link.
func AttachPerfEvent(progFD, perfFD int) (*Link, error) {
	l, err := attachPerf(progFD, perfFD)
	if err != nil {
		return nil, err
	}
	if l.FD < 0 {
		// Attached by ioctl: the perf fd is the attachment. Keep a dup so
		// that Close detaches without closing the caller's fd.
		dup, err := unix.FcntlInt(uintptr(perfFD), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			_ = unix.IoctlSetInt(perfFD, unix.PERF_EVENT_IOC_DISABLE, 0)
			return nil, sysErr("dup perf event", err)
		}
		l.PerfFD = dup
	}
	return l, nil
}

// AttachTracepoint attaches a tracepoint program to the tracefs tracepoint
// category/name (for example "syscalls", "sys_enter_getpid"). tracefs must
// be mounted at /sys/kernel/tracing (or /sys/kernel/debug/tracing).
func AttachTracepoint(progFD int, category, name string) (*Link, error) {
	id, err := kernel.TracepointID(category, name)
	if err != nil {
		return nil, err
	}
	pfd, err := kernel.PerfEventOpenTracepoint(id, -1, 0)
	if err != nil {
		return nil, sysErr("tracepoint "+category+"/"+name, err)
	}
	l, err := attachPerf(progFD, pfd)
	if err != nil {
		closeFD(pfd)
		return nil, wrapErr("tracepoint "+category+"/"+name, err)
	}
	l.PerfFD = pfd
	return l, nil
}

// AttachRawTracepoint attaches a raw_tp program to the raw tracepoint name
// (for example "sys_enter").
func AttachRawTracepoint(progFD int, name string) (*Link, error) {
	if name == "" {
		return nil, errors.New("raw tracepoint: empty name")
	}
	fd, err := kernel.RawTracepointOpen(name, progFD)
	if err != nil {
		return nil, sysErr("raw tracepoint "+name, err)
	}
	return &Link{FD: fd, PerfFD: -1}, nil
}

// AttachTracing attaches a program whose target was fixed at load time:
// tp_btf, fentry, fexit, fmod_ret, lsm.
func AttachTracing(progFD int) (*Link, error) {
	fd, err := kernel.RawTracepointOpen("", progFD)
	if err != nil {
		return nil, sysErr("attach tracing program", err)
	}
	return &Link{FD: fd, PerfFD: -1}, nil
}

// attachTracing tries BPF_RAW_TRACEPOINT_OPEN, then BPF_LINK_CREATE with
// the program's expected attach type.
func attachTracing(progFD int, attachType uint32) (*Link, error) {
	l, err := AttachTracing(progFD)
	if err == nil || attachType == 0 {
		return l, err
	}
	fd, err2 := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: progFD, AttachType: attachType})
	if err2 != nil {
		return nil, err
	}
	return &Link{FD: fd, PerfFD: -1}, nil
}

// AttachIter creates an iterator link for an iter program; read its
// output with OpenIter.
func AttachIter(progFD int) (*Link, error) {
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: progFD, AttachType: AttachTypeTraceIter})
	if err != nil {
		return nil, sysErr("attach iterator", err)
	}
	return &Link{FD: fd, PerfFD: -1, iter: true}, nil
}

// OpenIter starts one run of an iterator link; reading returns the
// program's output until io.EOF.
func (l *Link) OpenIter() (io.ReadCloser, error) {
	if l == nil || !l.iter || l.FD < 0 {
		return nil, errors.New("open iterator: not an open iterator link")
	}
	fd, err := kernel.IterCreate(l.FD)
	if err != nil {
		return nil, sysErr("open iterator", err)
	}
	return &fdReader{fd: fd}, nil
}

// fdReader reads an fd with read(2); cheaper than os.File for a
// non-pollable fd.
type fdReader struct{ fd int }

func (r *fdReader) Read(p []byte) (int, error) {
	if r.fd < 0 {
		return 0, os.ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := unix.Read(r.fd, p)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return 0, sysErr("read iterator", err)
		}
		if n == 0 {
			return 0, io.EOF
		}
		return n, nil
	}
}

func (r *fdReader) Close() error {
	if r.fd < 0 {
		return nil
	}
	err := unix.Close(r.fd)
	r.fd = -1
	return sysErr("close iterator", err)
}

// XDP attach flags (XDP_FLAGS_*).
const (
	XDPFlagsSKBMode = 1 << 1
	XDPFlagsDrvMode = 1 << 2
	XDPFlagsHWMode  = 1 << 3
)

// AttachXDP attaches an XDP program to the interface ifindex; flags are
// XDP_FLAGS_* (0 lets the kernel choose the mode).
func AttachXDP(progFD, ifindex int, flags uint32) (*Link, error) {
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: progFD, TargetFD: ifindex, AttachType: AttachTypeXDP, Flags: flags})
	if err != nil {
		return nil, sysErr("attach xdp to ifindex "+strconv.Itoa(ifindex), err)
	}
	return &Link{FD: fd, PerfFD: -1}, nil
}

// AttachTCX attaches a tc program to the ingress or egress hook of the
// interface ifindex, after the programs already there.
func AttachTCX(progFD, ifindex int, ingress bool) (*Link, error) {
	at, dir := uint32(AttachTypeTCXEgress), "egress"
	if ingress {
		at, dir = AttachTypeTCXIngress, "ingress"
	}
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: progFD, TargetFD: ifindex, AttachType: at})
	if err != nil {
		return nil, sysErr("attach tcx "+dir+" to ifindex "+strconv.Itoa(ifindex), err)
	}
	return &Link{FD: fd, PerfFD: -1}, nil
}

// AttachCgroup attaches a cgroup program to the cgroup v2 directory
// cgroupPath with the given attach type (BPF_CGROUP_*).
func AttachCgroup(progFD int, cgroupPath string, attachType uint32) (*Link, error) {
	cg, err := unix.Open(cgroupPath, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, sysErr("attach cgroup: open "+cgroupPath, err)
	}
	defer closeFD(cg)
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: progFD, TargetFD: cg, AttachType: attachType})
	if err != nil {
		return nil, sysErr("attach cgroup "+cgroupPath+" type "+strconv.FormatUint(uint64(attachType), 10), err)
	}
	return &Link{FD: fd, PerfFD: -1}, nil
}

// How Attach attaches a section kind by itself.
const (
	autoNone = iota // needs a target from the caller
	autoTracepoint
	autoRawTracepoint
	autoTracing
	autoIter
)

func autoKind(kind string) int {
	switch kind {
	case "tp", "tracepoint":
		return autoTracepoint
	case "raw_tp", "raw_tracepoint", "raw_tp.w", "raw_tracepoint.w":
		return autoRawTracepoint
	case "tp_btf", "fentry", "fexit", "fmod_ret", "lsm", "fentry.s", "fexit.s", "fmod_ret.s", "lsm.s", "freplace":
		return autoTracing
	case "iter", "iter.s":
		return autoIter
	}
	return autoNone
}

// AutoAttachable reports whether Attach attaches a program of this
// section without a target from the caller.
func AutoAttachable(section string) bool {
	if hasPrefix(section, "?") {
		section = section[1:]
	}
	kind, _, _ := cut(section, '/')
	return autoKind(kind) != autoNone
}

// Attach attaches a program by its section name, for the kinds whose
// target the section names or the load fixed: tracepoint, raw
// tracepoint, tracing (tp_btf, fentry, fexit, fmod_ret, lsm) and
// iterators. attachTo, when set, overrides the target the section names
// (abi.ProgDesc.AttachTo). Other kinds need a target only the caller knows and
// return an error naming the helper to use.
func Attach(progFD int, section string, progType, attachType uint32, attachTo string) (*Link, error) {
	sec := section
	if hasPrefix(sec, "?") {
		sec = sec[1:]
	}
	kind, target, _ := cut(sec, '/')
	if attachTo != "" {
		target = attachTo
	}
	switch autoKind(kind) {
	case autoTracepoint:
		cat, name, ok := cut(target, '/')
		if !ok {
			return nil, errors.New("attach " + strconv.Quote(section) + ": tracepoint must be category/name")
		}
		return AttachTracepoint(progFD, cat, name)
	case autoRawTracepoint:
		return AttachRawTracepoint(progFD, target)
	case autoTracing:
		return attachTracing(progFD, attachType)
	case autoIter:
		return AttachIter(progFD)
	}
	var need string
	switch {
	case kind == "xdp" || hasPrefix(kind, "xdp."):
		need = "an interface: use AttachXDP"
	case hasPrefix(kind, "tc"):
		need = "an interface: use AttachTCX"
	case hasPrefix(kind, "cgroup"):
		need = "a cgroup: use AttachCgroup"
	case kind == "perf_event":
		need = "a perf event: use AttachPerfEvent"
	case hasPrefix(kind, "uprobe") || hasPrefix(kind, "uretprobe"):
		need = "a binary and offset: use AttachUprobe"
	case progType == ProgTypeTracing || progType == ProgTypeLSM:
		return attachTracing(progFD, attachType)
	default:
		return nil, errors.New("attach " + strconv.Quote(section) + ": cannot attach this kind of program automatically")
	}
	return nil, errors.New("attach " + strconv.Quote(section) + ": needs " + need)
}
