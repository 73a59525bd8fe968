package lskel

import (
	"errors"
	"io"
	"os"
	"strconv"
	"syscall"

	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Link is an attached program, and owns the fds of the attachment: Close
// detaches the program, once.
type Link struct {
	// fd is the BPF link, nil when the program is attached to a perf
	// event with an ioctl (kernels without perf links).
	fd *kernel.FD
	// perf is the perf event the link owns (tracepoints, uprobes), or nil.
	perf *kernel.FD
	// iter is set for iterator links.
	iter bool
	// cleanup, if set, runs after the fds are closed: it removes what the
	// attachment made outside them (a tracefs kprobe event).
	cleanup func() error
	// pin is where Pin pinned the link.
	pin string
}

// newLink owns the BPF link fd; on failure fd is closed.
func newLink(fd int, what string) (*Link, error) {
	owned, err := kernel.NewFD(fd)
	if err != nil {
		return nil, sysErr(what, err)
	}
	return &Link{fd: owned}, nil
}

// FD is the BPF link's fd, or -1 when there is none (closed, or attached
// through a perf event ioctl). The Link still owns it.
func (l *Link) FD() int {
	if l == nil {
		return -1
	}
	return l.fd.Int()
}

// Close detaches the program and closes the link's fds. Closing twice, or
// a nil Link, does nothing.
func (l *Link) Close() error {
	if l == nil {
		return nil
	}
	err := sysErr("close link", l.fd.Close())
	if pfd := l.perf.Int(); pfd >= 0 {
		// Disabling first stops an ioctl-attached program at once.
		perfDisable(pfd)
		if e := l.perf.Close(); e != nil && err == nil {
			err = sysErr("close perf event", e)
		}
	}
	if c := l.cleanup; c != nil {
		l.cleanup = nil
		if e := c(); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// JoinLinks returns one Link for several attachments (a USDT probe's
// sites): closing it closes each of links, then runs cleanup, if not nil.
// Its FD is -1. It owns links from then on.
func JoinLinks(links []*Link, cleanup func() error) *Link {
	return &Link{cleanup: func() error {
		var first error
		for _, l := range links {
			if err := l.Close(); err != nil && first == nil {
				first = err
			}
		}
		if cleanup != nil {
			if err := cleanup(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}}
}

// attachPerf attaches p to the perf event perf, which the link then owns:
// with a perf link when the kernel has them, else PERF_EVENT_IOC_SET_BPF
// and enable. A non-zero cookie (what bpf_get_attach_cookie returns)
// needs the perf link (Linux 5.15). On failure perf is closed.
func attachPerf(p *Program, perf *kernel.FD, cookie uint64) (*Link, error) {
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: p.FD(), TargetFD: perf.Int(), AttachType: attachTypePerfEvent, Cookie: cookie})
	if err == nil {
		l, err := newLink(fd, "perf link")
		if err != nil {
			perf.Close()
			return nil, err
		}
		l.perf = perf
		return l, nil
	}
	if cookie != 0 {
		perf.Close()
		return nil, sysErr("attach to perf event with a BPF cookie (perf links with cookies came in Linux 5.15)", err)
	}
	if e := kernel.PerfEventAttachBPF(perf.Int(), p.FD()); e != nil {
		perf.Close()
		// Report the link error: it is the modern path's reason.
		return nil, sysErr("attach to perf event ("+e.Error()+")", err)
	}
	return &Link{perf: perf}, nil
}

// ownPerf owns a perf event fd just opened; on failure it is closed.
func ownPerf(fd int, what string) (*kernel.FD, error) {
	owned, err := kernel.NewFD(fd)
	if err != nil {
		return nil, sysErr(what, err)
	}
	return owned, nil
}

// AttachPerfEvent attaches p to an open perf event. The link does not own
// perfFD: close it after the link.
func AttachPerfEvent(p *Program, perfFD int) (*Link, error) {
	// The link owns a duplicate, so that closing it (which disables an
	// ioctl attachment) never closes the caller's fd.
	dup, err := dupCloexec(perfFD)
	if err != nil {
		return nil, sysErr("dup perf event", err)
	}
	perf, err := ownPerf(dup, "perf event")
	if err != nil {
		return nil, err
	}
	return attachPerf(p, perf, 0)
}

// AttachTracepoint attaches a tracepoint program to the tracefs tracepoint
// category/name (for example "syscalls", "sys_enter_getpid"). tracefs must
// be mounted at /sys/kernel/tracing (or /sys/kernel/debug/tracing).
func AttachTracepoint(p *Program, category, name string) (*Link, error) {
	id, err := kernel.TracepointID(category, name)
	if err != nil {
		return nil, err
	}
	what := "tracepoint " + category + "/" + name
	pfd, err := kernel.PerfEventOpenTracepoint(id, -1, 0)
	if err != nil {
		return nil, sysErr(what, err)
	}
	perf, err := ownPerf(pfd, what)
	if err != nil {
		return nil, err
	}
	l, err := attachPerf(p, perf, 0)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	return l, nil
}

// AttachRawTracepoint attaches a raw_tp program to the raw tracepoint name
// (for example "sys_enter").
func AttachRawTracepoint(p *Program, name string) (*Link, error) {
	if name == "" {
		return nil, errors.New("raw tracepoint: empty name")
	}
	fd, err := kernel.RawTracepointOpen(name, p.FD())
	if err != nil {
		return nil, sysErr("raw tracepoint "+name, err)
	}
	return newLink(fd, "raw tracepoint "+name)
}

// AttachTracing attaches a program whose target was fixed at load time:
// tp_btf, fentry, fexit, fmod_ret, lsm.
// It tries BPF_RAW_TRACEPOINT_OPEN, then BPF_LINK_CREATE with the
// program's expected attach type.
func AttachTracing(p *Program) (*Link, error) {
	if p == nil {
		return nil, errNotLoaded
	}
	fd, err := kernel.RawTracepointOpen("", p.FD())
	if err != nil && p.attachType != 0 {
		var err2 error
		if fd, err2 = kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: p.FD(), AttachType: p.attachType}); err2 == nil {
			err = nil
		}
	}
	if err != nil {
		return nil, sysErr("attach tracing program "+p.name, err)
	}
	return newLink(fd, "tracing link")
}

// AttachIter creates an iterator link for an iter program; read its
// output with OpenIter.
func AttachIter(p *Program) (*Link, error) {
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: p.FD(), AttachType: attachTypeTraceIter})
	if err != nil {
		return nil, sysErr("attach iterator", err)
	}
	l, err := newLink(fd, "iterator link")
	if err != nil {
		return nil, err
	}
	l.iter = true
	return l, nil
}

// OpenIter starts one run of an iterator link; reading returns the
// program's output until io.EOF.
func (l *Link) OpenIter() (io.ReadCloser, error) {
	if l == nil || !l.iter || l.FD() < 0 {
		return nil, errors.New("open iterator: not an open iterator link")
	}
	fd, err := kernel.IterCreate(l.FD())
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
		n, err := readFD(r.fd, p)
		if err == syscall.EINTR || err == syscall.EAGAIN {
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
	err := kernel.Close(r.fd)
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
func AttachXDP(p *Program, ifindex int, flags uint32) (*Link, error) {
	what := "attach xdp to ifindex " + strconv.Itoa(ifindex)
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: p.FD(), TargetFD: ifindex, AttachType: attachTypeXDP, Flags: flags})
	if err != nil {
		return nil, sysErr(what, err)
	}
	return newLink(fd, what)
}

// AttachTCX attaches a tc program to the ingress or egress hook of the
// interface ifindex, after the programs already there.
func AttachTCX(p *Program, ifindex int, ingress bool) (*Link, error) {
	at, dir := uint32(attachTypeTCXEgress), "egress"
	if ingress {
		at, dir = attachTypeTCXIngress, "ingress"
	}
	what := "attach tcx " + dir + " to ifindex " + strconv.Itoa(ifindex)
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: p.FD(), TargetFD: ifindex, AttachType: at})
	if err != nil {
		return nil, sysErr(what, err)
	}
	return newLink(fd, what)
}

// AttachCgroup attaches a cgroup program to the cgroup v2 directory
// cgroupPath with the given attach type (BPF_CGROUP_*).
func AttachCgroup(p *Program, cgroupPath string, attachType uint32) (*Link, error) {
	cg, err := openDir(cgroupPath)
	if err != nil {
		return nil, sysErr("attach cgroup: open "+cgroupPath, err)
	}
	defer closeFD(cg)
	what := "attach cgroup " + cgroupPath + " type " + strconv.FormatUint(uint64(attachType), 10)
	fd, err := kernel.LinkCreate(&kernel.LinkCreateAttr{ProgFD: p.FD(), TargetFD: cg, AttachType: attachType})
	if err != nil {
		return nil, sysErr(what, err)
	}
	return newLink(fd, what)
}

// Attach attaches p to the target its section names or its load fixed:
// tracepoint, raw tracepoint, tracing (tp_btf, fentry, fexit, fmod_ret,
// lsm, freplace) and iterators; kprobe, kretprobe, ksyscall, kretsyscall,
// kprobe.multi and uprobe sections too when the program was loaded with
// RunOptions.AttachProbe (else use AttachProbe). Other kinds need a
// target only the caller knows: the error names the function to use.
func (p *Program) Attach() (*Link, error) {
	if p == nil {
		return nil, errNotLoaded
	}
	section := p.section
	sec := section
	if hasPrefix(sec, "?") {
		sec = sec[1:]
	}
	kind, target, _ := cut(sec, '/')
	if p.attachTo != "" {
		target = p.attachTo
	}
	switch abi.SectionAttachKind(sec) {
	case abi.AttachTracepoint:
		cat, name, ok := cut(target, '/')
		if !ok {
			return nil, errors.New("attach " + strconv.Quote(section) + ": tracepoint must be category/name")
		}
		return AttachTracepoint(p, cat, name)
	case abi.AttachRawTracepoint:
		return AttachRawTracepoint(p, target)
	case abi.AttachTracing:
		return AttachTracing(p)
	case abi.AttachIter:
		return AttachIter(p)
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
	case p.attachProbe != nil && (hasPrefix(kind, "k") || hasPrefix(kind, "u")):
		// kprobe, ksyscall, uprobe... of an object that has probe sections.
		return p.attachProbe(p)
	case hasPrefix(kind, "uprobe") || hasPrefix(kind, "uretprobe"):
		need = "a binary and offset: use AttachUprobe, or AttachProbe for uprobe/BINARY:SYMBOL"
	case hasPrefix(kind, "kprobe") || hasPrefix(kind, "kretprobe") || hasPrefix(kind, "ksyscall") || hasPrefix(kind, "kretsyscall"):
		need = "lskel.AttachProbe (or a program loaded with RunOptions.AttachProbe)"
	case p.typ == progTypeTracing || p.typ == progTypeLSM:
		return AttachTracing(p)
	default:
		return nil, errors.New("attach " + strconv.Quote(section) + ": cannot attach this kind of program automatically")
	}
	return nil, errors.New("attach " + strconv.Quote(section) + ": needs " + need)
}
