//go:build linux

package lskel

import (
	"errors"
	"os"
	"strconv"

	"github.com/bpfgen/bpfgen/kernel"
)

// KprobeMultiOptions tune AttachKprobeMulti.
type KprobeMultiOptions struct {
	// Retprobe probes the functions' returns (kretprobe.multi).
	Retprobe bool
	// Symbols, if not empty, are the functions to probe instead of those
	// the pattern matches.
	Symbols []string
	// Cookies are what bpf_get_attach_cookie returns in the program, one
	// per function of Symbols (nil: none).
	Cookies []uint64
}

// availableFilterFunctions are where tracefs lists the functions ftrace
// (and so kprobe.multi) can attach to, in order.
var availableFilterFunctions = []string{
	"/sys/kernel/tracing/available_filter_functions",
	"/sys/kernel/debug/tracing/available_filter_functions",
}

// AttachKprobeMulti attaches a kprobe.multi program (Linux 5.18, built
// with CONFIG_FPROBE) to every kernel function whose name matches the
// glob pattern ('*' any run of characters, '?' one character), as
// libbpf's kprobe.multi/PATTERN sections, or to opts.Symbols. The
// functions come from tracefs available_filter_functions, each once. A
// program of a kprobe.session section (Linux 6.10) attaches the same way,
// as a session: it runs at entry and, unless it returned non-zero there,
// at return.
func AttachKprobeMulti(p *Program, pattern string, opts *KprobeMultiOptions) (*Link, error) {
	if opts == nil {
		opts = &KprobeMultiOptions{}
	}
	what := "kprobe.multi " + pattern
	attachType := uint32(kernel.BPF_TRACE_KPROBE_MULTI)
	switch {
	case p != nil && isSession(p, kernel.BPF_TRACE_KPROBE_SESSION, "kprobe.session"):
		what, attachType = "kprobe.session "+pattern, kernel.BPF_TRACE_KPROBE_SESSION
		if opts.Retprobe {
			return nil, errors.New(what + ": a session probes entry and return: Retprobe does not apply")
		}
	case opts.Retprobe:
		what = "kretprobe.multi " + pattern
	}
	syms := opts.Symbols
	if len(syms) == 0 {
		var err error
		if syms, err = matchFilterFunctions(pattern); err != nil {
			return nil, wrapErr(what, err)
		}
	} else {
		what += " (" + strconv.Itoa(len(syms)) + " functions)"
	}
	if opts.Cookies != nil && len(opts.Cookies) != len(syms) {
		return nil, errors.New(what + ": " + strconv.Itoa(len(opts.Cookies)) + " cookies for " + strconv.Itoa(len(syms)) + " functions")
	}
	var flags uint32
	if opts.Retprobe {
		flags = kernel.KprobeMultiReturn
	}
	fd, err := kernel.LinkCreateKprobeMulti(p.FD(), attachType, flags, syms, opts.Cookies)
	if err != nil {
		return nil, sysErr(what, err)
	}
	return newLink(fd, what)
}

// matchFilterFunctions returns the functions of available_filter_functions
// that match the glob pattern, each once, in the file's order.
func matchFilterFunctions(pattern string) ([]string, error) {
	if pattern == "" {
		return nil, errors.New("empty pattern")
	}
	var b []byte
	var err error
	for _, f := range availableFilterFunctions {
		if b, err = os.ReadFile(f); err == nil {
			break
		}
	}
	if err != nil {
		return nil, wrapErr("list of attachable functions (tracefs available_filter_functions)", err)
	}
	seen := map[string]bool{}
	var out []string
	for len(b) > 0 {
		line, rest := b, []byte(nil)
		for i, c := range b {
			if c == '\n' {
				line, rest = b[:i], b[i+1:]
				break
			}
		}
		b = rest
		// "name" or "name [module]".
		name := string(line)
		for i := 0; i < len(line); i++ {
			if line[i] == ' ' || line[i] == '\t' {
				name = string(line[:i])
				break
			}
		}
		if name == "" || seen[name] || !globMatch(pattern, name) {
			continue
		}
		seen[name] = true
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("no attachable kernel function matches " + strconv.Quote(pattern))
	}
	return out, nil
}

// globMatch reports whether name matches pattern, where '*' matches any
// run of characters and '?' any one.
func globMatch(pattern, name string) bool {
	p, n := 0, 0
	star, mark := -1, 0
	for n < len(name) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == name[n]):
			p++
			n++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, n
			p++
		case star >= 0:
			p = star + 1
			mark++
			n = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
