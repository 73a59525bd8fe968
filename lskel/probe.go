//go:build linux

package lskel

import (
	"errors"
	"os"
	"runtime"
	"strconv"

	"github.com/bpfgen/bpfgen/lskel/abi"
	"golang.org/x/sys/unix"
)

// SymbolResolver returns the file offset of the function symbol in the ELF
// file binary, what a uprobe takes: elfsym.SymbolOffset. The runtime
// parses no ELF itself, so that only programs that resolve symbols link
// debug/elf.
type SymbolResolver func(binary, symbol string) (uint64, error)

// AttachProbe attaches a program of a kprobe, kretprobe, ksyscall,
// kretsyscall, kprobe.multi, kretprobe.multi, kprobe.session, uprobe,
// uretprobe, uprobe.multi, uretprobe.multi or uprobe.session section (and
// their sleepable .s forms) to what the section names, libbpf's way:
//
//	kprobe/[MODULE:]FUNC[+OFFSET]           AttachKprobe
//	kretprobe/[MODULE:]FUNC
//	ksyscall/NAME, kretsyscall/NAME         AttachKsyscall
//	kprobe.multi/GLOB, kretprobe.multi/GLOB AttachKprobeMulti
//	kprobe.session/GLOB
//	uprobe/BINARY:SYMBOL[+OFFSET]           AttachUprobeSymbol (every process)
//	uprobe.multi/BINARY:GLOB                AttachUprobeMulti (every process)
//	uretprobe.multi/..., uprobe.session/...
//
// resolve finds uprobe symbols (pass elfsym.SymbolOffset), match the
// functions of uprobe.multi globs (pass elfsym.MatchFunctions; at most
// one); kprobes need neither. RunOptions.AttachProbe passes a call of it
// to Program.Attach.
func AttachProbe(p *Program, resolve SymbolResolver, match ...GlobResolver) (*Link, error) {
	if p == nil {
		return nil, errNotLoaded
	}
	sec := p.section
	if hasPrefix(sec, "?") {
		sec = sec[1:]
	}
	kind, target, _ := cut(sec, '/')
	bad := func(why string) error {
		return errors.New("attach " + strconv.Quote(p.section) + ": " + why)
	}
	switch abi.ProbeAttachKind(sec) {
	case abi.AttachUprobe:
		binary, spec, _ := cut(target, ':')
		symbol, off, err := splitOffset(spec)
		if err != nil {
			return nil, bad(err.Error())
		}
		opts := &UprobeOptions{Offset: off, Retprobe: hasPrefix(kind, "uretprobe"), SymbolOffset: resolve}
		return AttachUprobeSymbol(p, binary, symbol, opts)
	case abi.AttachKprobe:
		retprobe := kind == "kretprobe" || kind == "kretsyscall"
		if kind == "ksyscall" || kind == "kretsyscall" {
			return AttachKsyscall(p, target, &KprobeOptions{Retprobe: retprobe})
		}
		fn, off, err := splitOffset(target)
		if err != nil {
			return nil, bad(err.Error())
		}
		return AttachKprobe(p, fn, &KprobeOptions{Offset: off, Retprobe: retprobe})
	case abi.AttachKprobeMulti:
		return AttachKprobeMulti(p, target, &KprobeMultiOptions{Retprobe: kind == "kretprobe.multi"})
	case abi.AttachUprobeMulti:
		binary, pattern, _ := cut(target, ':')
		opts := &UprobeMultiOptions{Retprobe: hasPrefix(kind, "uretprobe")}
		if len(match) > 0 {
			opts.Match = match[0]
		}
		return AttachUprobeMulti(p, binary, pattern, opts)
	case abi.AttachUSDT:
		return nil, bad("usdt sections attach through package lskel/usdt (usdt.Attacher), which fills usdt.bpf.h's maps")
	}
	return nil, bad("not a probe section that names its target: use AttachUprobeSymbol, AttachUprobe, AttachKprobe or AttachKprobeMulti")
}

// isSession reports whether p is a session program: loaded with the
// session attach type, or (made by NewProgram, which cannot tell) from a
// section of the session kind kind ("uprobe.session", "kprobe.session").
func isSession(p *Program, attachType uint32, kind string) bool {
	if p.attachType == attachType {
		return true
	}
	k, _, _ := cut(p.section, '/')
	if hasPrefix(k, "?") {
		k = k[1:]
	}
	return k == kind || k == kind+".s"
}

// splitOffset splits "NAME+OFFSET" (OFFSET decimal or 0x-prefixed hex)
// into its parts; without '+' the offset is 0.
func splitOffset(s string) (string, uint64, error) {
	for i := len(s) - 1; i > 0; i-- {
		if s[i] == '+' {
			off, ok := parseOffset(s[i+1:])
			if !ok {
				return "", 0, errors.New("bad offset " + strconv.Quote(s[i+1:]) + " in " + strconv.Quote(s))
			}
			return s[:i], off, nil
		}
	}
	if s == "" || s[0] == '+' {
		return "", 0, errors.New("no symbol in " + strconv.Quote(s))
	}
	return s, 0, nil
}

// parseOffset parses a decimal or 0x-prefixed hexadecimal number.
func parseOffset(s string) (uint64, bool) {
	if hasPrefix(s, "0x") || hasPrefix(s, "0X") {
		v, err := strconv.ParseUint(s[2:], 16, 64)
		return v, err == nil && len(s) > 2
	}
	return parseUint(s)
}

// UprobeOptions tune AttachUprobeSymbol. The zero value probes the
// symbol's entry in every process, and needs SymbolOffset.
type UprobeOptions struct {
	// Offset is added to the symbol's file offset (SYMBOL+OFFSET).
	Offset uint64
	// Retprobe probes the function's returns (uretprobe) instead.
	Retprobe bool
	// PID limits the probe to one task, by its id (a process's pid is its
	// main thread); 0 probes every process.
	PID int
	// Cookie is what bpf_get_attach_cookie returns in the program (Linux
	// 5.15); 0 sets none.
	Cookie uint64
	// RefCtrOffset, if not 0, is the file offset of a 16-bit reference
	// counter (a USDT semaphore) the kernel increments while the probe is
	// attached (Linux 4.20).
	RefCtrOffset uint64
	// SymbolOffset finds the symbol in the binary: elfsym.SymbolOffset.
	SymbolOffset SymbolResolver
}

// AttachUprobeSymbol attaches a kprobe-type program (uprobe, uretprobe,
// uprobe.s sections) to the function symbol of the ELF executable or
// shared object binary. A binary without '/' is looked up as libbpf does:
// a shared library ("libc.so.6") in $LD_LIBRARY_PATH and the system
// library directories, an executable in $PATH. An empty symbol probes
// the file offset opts.Offset, as libbpf does without a function name,
// and needs no resolver.
func AttachUprobeSymbol(p *Program, binary, symbol string, opts *UprobeOptions) (*Link, error) {
	if opts == nil {
		opts = &UprobeOptions{}
	}
	what := "uprobe " + binary + ":" + symbol
	if opts.SymbolOffset == nil && symbol != "" {
		return nil, errors.New(what + ": no symbol resolver: set UprobeOptions.SymbolOffset (elfsym.SymbolOffset)")
	}
	path, err := FindBinary(binary)
	if err != nil {
		return nil, wrapErr(what, err)
	}
	var off uint64
	if symbol != "" {
		if off, err = opts.SymbolOffset(path, symbol); err != nil {
			return nil, wrapErr(what, err)
		}
	}
	pid := opts.PID
	if pid == 0 {
		pid = -1
	}
	return attachUprobe(p, path, off+opts.Offset, opts.Retprobe, pid, opts.Cookie, opts.RefCtrOffset)
}

// FindBinary returns the path of the executable or shared library name
// as libbpf finds the binary of a uprobe section: a name with '/' as it
// is; a shared library (a name containing ".so") in $LD_LIBRARY_PATH,
// then /lib64, /usr/lib64, the multiarch directories
// (/lib/x86_64-linux-gnu ...), /lib and /usr/lib; any other name in
// $PATH. The error names the directories searched.
func FindBinary(name string) (string, error) {
	if name == "" {
		return "", errors.New("empty binary name")
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return name, nil
		}
	}
	var dirs []string
	if isLibrary(name) {
		dirs = splitList(os.Getenv("LD_LIBRARY_PATH"))
		dirs = append(dirs, "/lib64", "/usr/lib64")
		if t := multiarch(); t != "" {
			dirs = append(dirs, "/lib/"+t, "/usr/lib/"+t)
		}
		dirs = append(dirs, "/lib", "/usr/lib")
	} else {
		dirs = splitList(os.Getenv("PATH"))
	}
	tried := ""
	for _, d := range dirs {
		p := d + "/" + name
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			return p, nil
		}
		if tried != "" {
			tried += ", "
		}
		tried += d
	}
	return "", errors.New("binary " + strconv.Quote(name) + " not found in " + tried)
}

// isLibrary reports whether name looks like a shared library: it
// contains ".so" followed by the end or a '.'.
func isLibrary(name string) bool {
	for i := 0; i+3 <= len(name); i++ {
		if name[i:i+3] == ".so" && (i+3 == len(name) || name[i+3] == '.') {
			return true
		}
	}
	return false
}

// splitList splits a colon-separated path list, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for s != "" {
		var d string
		d, s, _ = cut(s, ':')
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// multiarch is Debian's library directory name of the running
// architecture.
func multiarch() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x86_64-linux-gnu"
	case "arm64":
		return "aarch64-linux-gnu"
	case "386":
		return "i386-linux-gnu"
	case "arm":
		return "arm-linux-gnueabihf"
	case "riscv64":
		return "riscv64-linux-gnu"
	case "s390x":
		return "s390x-linux-gnu"
	case "ppc64le":
		return "powerpc64le-linux-gnu"
	}
	return ""
}
