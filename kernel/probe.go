package kernel

import (
	"encoding/binary"
	"errors"
	"runtime"
	"sync"
)

// Feature probes. Each runs once per process; a probe that fails for any
// reason (including missing privileges) reports false. They are plain
// functions over sync.Once, not package-level values, so that binaries
// that never probe do not link them.

var (
	// r0 = 0; exit
	insnsRet0 = []byte{
		0xb7, 0, 0, 0, 0, 0, 0, 0,
		0x95, 0, 0, 0, 0, 0, 0, 0,
	}
)

// HaveSyscallProgs reports whether sleepable BPF_PROG_TYPE_SYSCALL programs
// load (Linux 5.14+), which light-skeleton loaders need.
var haveSyscallProgsOnce sync.Once
var haveSyscallProgsOK bool

func HaveSyscallProgs() bool {
	haveSyscallProgsOnce.Do(func() { haveSyscallProgsOK = haveSyscallProgsProbe() })
	return haveSyscallProgsOK
}

func haveSyscallProgsProbe() bool {
	fd, _, err := ProgLoad(&ProgLoadAttr{
		Type:    BPF_PROG_TYPE_SYSCALL,
		Flags:   BPF_F_SLEEPABLE,
		Insns:   insnsRet0,
		License: "GPL",
	})
	if err != nil {
		return false
	}
	Close(fd)
	return true
}

// HaveKernelCORE reports whether BPF_PROG_LOAD applies CO-RE relocations
// itself (core_relos, Linux 5.17+).
var haveKernelCOREOnce sync.Once
var haveKernelCOREOK bool

func HaveKernelCORE() bool {
	haveKernelCOREOnce.Do(func() { haveKernelCOREOK = haveKernelCOREProbe() })
	return haveKernelCOREOK
}

func haveKernelCOREProbe() bool {
	fd, err := probeCORELoad()
	if err != nil {
		return false
	}
	Close(fd)
	return true
}

// probeCORELoad loads a socket filter "r0 = local type id of int; exit"
// whose immediate is a CO-RE TYPE_ID_LOCAL relocation; the program
// returns 1 when the kernel applied it.
func probeCORELoad() (int, error) {
	btfFD, err := BTFLoad(probeBTF(), nil, 0)
	if err != nil {
		return -1, err
	}
	defer Close(btfFD)
	le := binary.NativeEndian
	funcInfo := le.AppendUint32(le.AppendUint32(nil, 0), 3) // insn 0: FUNC [3]
	relo := le.AppendUint32(nil, 0)                         // insn_off (bytes)
	relo = le.AppendUint32(relo, 1)                         // type id: int
	relo = le.AppendUint32(relo, probeAccessOff)            // access string "0"
	relo = le.AppendUint32(relo, BPF_CORE_TYPE_ID_LOCAL)
	fd, _, err := ProgLoad(&ProgLoadAttr{
		Type:            BPF_PROG_TYPE_SOCKET_FILTER,
		Insns:           insnsRet0,
		License:         "GPL",
		BTFFD:           uint32(btfFD),
		FuncInfoRecSize: BPF_FUNC_INFO_REC_SIZE,
		FuncInfo:        funcInfo,
		CoreReloRecSize: BPF_CORE_RELO_REC_SIZE,
		CoreRelos:       relo,
	})
	return fd, err
}

// probeAccessOff is the offset of the access string "0" in probeBTF's
// string section.
const probeAccessOff = 11

// probeBTF returns raw BTF (host byte order) with
// [1] INT "int" (32-bit signed), [2] FUNC_PROTO int(void),
// [3] FUNC "probe" (static) of type [2].
func probeBTF() []byte {
	ne := binary.NativeEndian
	var types []byte
	u32 := func(v uint32) { types = ne.AppendUint32(types, v) }
	u32(1)                  // name "int"
	u32(BTF_KIND_INT << 24) // info
	u32(4)                  // size
	u32(1<<24 | 32)         // encoding signed, 32 bits
	u32(0)                  // FUNC_PROTO, anonymous
	u32(BTF_KIND_FUNC_PROTO << 24)
	u32(1)                   // returns int
	u32(5)                   // name "probe"
	u32(BTF_KIND_FUNC << 24) // static linkage
	u32(2)                   // type: the proto
	strs := []byte("\x00int\x00probe\x000\x00")
	hdr := make([]byte, 0, 24)
	hdr = ne.AppendUint16(hdr, 0xeb9f)
	hdr = append(hdr, 1, 0) // version, flags
	hdr = ne.AppendUint32(hdr, 24)
	hdr = ne.AppendUint32(hdr, 0)                  // type_off
	hdr = ne.AppendUint32(hdr, uint32(len(types))) // type_len
	hdr = ne.AppendUint32(hdr, uint32(len(types))) // str_off
	hdr = ne.AppendUint32(hdr, uint32(len(strs)))  // str_len
	return append(append(hdr, types...), strs...)
}

// HaveBPFCookie reports whether programs can read their attach cookie
// (bpf_get_attach_cookie, Linux 5.15): the probe libbpf makes for
// LINUX_HAS_BPF_COOKIE.
var haveBPFCookieOnce sync.Once
var haveBPFCookieOK bool

func HaveBPFCookie() bool {
	haveBPFCookieOnce.Do(func() {
		// call bpf_get_attach_cookie; r0 = 0; exit
		insns := append([]byte{0x85, 0, 0, 0, 0, 0, 0, 0}, insnsRet0...)
		binary.NativeEndian.PutUint32(insns[4:], BPF_FUNC_get_attach_cookie)
		fd, _, err := ProgLoad(&ProgLoadAttr{Type: BPF_PROG_TYPE_TRACEPOINT, Insns: insns, License: "GPL"})
		if err == nil {
			Close(fd)
			haveBPFCookieOK = true
		}
	})
	return haveBPFCookieOK
}

// HaveSyscallWrapper reports whether the kernel's syscall entry points are
// the arch-prefixed wrappers (__x64_sys_bpf and so on) that BPF_KSYSCALL
// attaches to: what libbpf answers LINUX_HAS_SYSCALL_WRAPPER with. It
// looks for __<prefix>_sys_bpf in /proc/kallsyms.
var haveSyscallWrapperOnce sync.Once
var haveSyscallWrapperOK bool

func HaveSyscallWrapper() bool {
	haveSyscallWrapperOnce.Do(func() {
		pfx := SyscallPrefix()
		if pfx == "" {
			return
		}
		name := "__" + pfx + "_sys_bpf"
		syms, err := ReadKallsyms(name)
		// Hidden addresses still say the symbol exists.
		haveSyscallWrapperOK = errors.Is(err, ErrKallsymsHidden) || (err == nil && syms[name] != 0)
	})
	return haveSyscallWrapperOK
}

// SyscallPrefix is the arch part of the running architecture's syscall
// wrapper names (__x64_sys_openat: "x64"), "" where the kernel has none.
func SyscallPrefix() string {
	switch runtime.GOARCH {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	case "arm64":
		return "arm64"
	case "arm":
		return "arm"
	case "s390x":
		return "s390"
	case "riscv64":
		return "riscv"
	case "ppc64", "ppc64le":
		return "powerpc64"
	case "mips64", "mips64le", "mips", "mipsle":
		return "mips"
	}
	return ""
}

// RaiseMemlock lifts RLIMIT_MEMLOCK when the kernel still charges BPF
// memory to it (before Linux 5.11 moved it to memory cgroups): there a
// default limit of a few MiB refuses maps with EPERM. It runs once per
// process and leaves the limit alone on newer kernels, as libbpf does.
func RaiseMemlock() error {
	raiseMemlockOnce.Do(func() { raiseMemlockErr = raiseMemlock() })
	return raiseMemlockErr
}

var raiseMemlockOnce sync.Once
var raiseMemlockErr error

// haveMemcgAccounting reports whether BPF memory is charged to memory
// cgroups (Linux 5.11), found the way libbpf finds it: by the helper
// bpf_ktime_get_coarse_ns, which came in the same release.
func haveMemcgAccounting() bool {
	insns := append([]byte{0x85, 0, 0, 0, 0, 0, 0, 0}, insnsRet0...)
	binary.NativeEndian.PutUint32(insns[4:], BPF_FUNC_ktime_get_coarse_ns)
	fd, _, err := ProgLoad(&ProgLoadAttr{Type: BPF_PROG_TYPE_SOCKET_FILTER, Insns: insns, License: "GPL"})
	if err != nil {
		return false
	}
	Close(fd)
	return true
}
