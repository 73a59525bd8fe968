//go:build linux

package lskel

import (
	"errors"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
)

// GlobResolver returns the function symbols of the ELF file binary whose
// names match the glob pattern, with their file offsets:
// elfsym.MatchFunctions. The runtime parses no ELF itself.
type GlobResolver func(binary, pattern string) (names []string, offsets []uint64, err error)

// UprobeMultiOptions tune AttachUprobeMulti.
type UprobeMultiOptions struct {
	// Retprobe probes the functions' returns (uretprobe.multi).
	Retprobe bool
	// PID limits the probes to one process; 0 probes every process.
	PID int
	// Offsets, if not empty, are the file offsets to probe instead of the
	// functions the pattern matches.
	Offsets []uint64
	// RefCtrOffsets are the file offsets of reference counters (USDT
	// semaphores), one per probe (nil: none).
	RefCtrOffsets []uint64
	// Cookies are what bpf_get_attach_cookie returns, one per probe, in
	// the order of Offsets or of the matched functions (nil: none).
	Cookies []uint64
	// Match finds the functions the pattern matches:
	// elfsym.MatchFunctions. Not needed with Offsets.
	Match GlobResolver
}

// AttachUprobeMulti attaches a program of a uprobe.multi, uretprobe.multi
// or uprobe.session section (loaded with its expected attach type) to
// every function of the ELF file binary whose name matches the glob
// pattern, or to opts.Offsets, with one link (Linux 6.6; sessions 6.13).
// binary is found as FindBinary finds it. A session program runs at entry
// and, unless it returned non-zero there, at return.
func AttachUprobeMulti(p *Program, binary, pattern string, opts *UprobeMultiOptions) (*Link, error) {
	if opts == nil {
		opts = &UprobeMultiOptions{}
	}
	if p == nil {
		return nil, errNotLoaded
	}
	what := "uprobe.multi " + binary + ":" + pattern
	a := &kernel.UprobeMultiAttr{ProgFD: p.FD(), AttachType: kernel.BPF_TRACE_UPROBE_MULTI, Offsets: opts.Offsets,
		RefCtrs: opts.RefCtrOffsets, Cookies: opts.Cookies, PID: opts.PID}
	switch {
	case isSession(p, kernel.BPF_TRACE_UPROBE_SESSION, "uprobe.session"):
		what, a.AttachType = "uprobe.session "+binary+":"+pattern, kernel.BPF_TRACE_UPROBE_SESSION
		if opts.Retprobe {
			return nil, errors.New(what + ": a session probes entry and return: Retprobe does not apply")
		}
	case opts.Retprobe:
		what, a.Flags = "uretprobe.multi "+binary+":"+pattern, kernel.UprobeMultiReturn
	}
	path, err := FindBinary(binary)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	a.Path = path
	if len(a.Offsets) == 0 {
		if opts.Match == nil {
			return nil, errors.New(what + ": no symbol matcher: set UprobeMultiOptions.Match (elfsym.MatchFunctions) or Offsets")
		}
		if _, a.Offsets, err = opts.Match(path, pattern); err != nil {
			return nil, wrapErr(what, err)
		}
	}
	n := len(a.Offsets)
	if a.Cookies != nil && len(a.Cookies) != n || a.RefCtrs != nil && len(a.RefCtrs) != n {
		return nil, errors.New(what + ": " + strconv.Itoa(len(a.Cookies)) + " cookies and " + strconv.Itoa(len(a.RefCtrs)) +
			" reference counters for " + strconv.Itoa(n) + " probes")
	}
	fd, err := kernel.LinkCreateUprobeMulti(a)
	if err != nil {
		return nil, sysErr(what+" ("+strconv.Itoa(n)+" probes)", err)
	}
	return newLink(fd, what)
}
