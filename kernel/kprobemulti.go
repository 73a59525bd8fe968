//go:build linux

package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// linkCreateKprobeMultiAttr is union bpf_attr for BPF_LINK_CREATE with
// BPF_TRACE_KPROBE_MULTI (Linux 5.18).
type linkCreateKprobeMultiAttr struct {
	progFD     uint32 // 0
	targetFD   uint32 // 4
	attachType uint32 // 8
	flags      uint32 // 12
	kmFlags    uint32 // 16: BPF_F_KPROBE_MULTI_RETURN
	cnt        uint32 // 20
	syms       ptr    // 24: const char **
	addrs      ptr    // 32
	cookies    ptr    // 40: u64 per symbol
}

// KprobeMultiReturn is BPF_F_KPROBE_MULTI_RETURN: probe the functions'
// returns.
const KprobeMultiReturn = 1

// LinkCreateKprobeMulti attaches a kprobe.multi or kprobe.session program
// (loaded with expected attach type attachType, BPF_TRACE_KPROBE_MULTI or
// BPF_TRACE_KPROBE_SESSION) to the kernel functions syms, with cookies
// (nil, or one per symbol) for bpf_get_attach_cookie, and returns the
// link fd. flags is 0 or KprobeMultiReturn.
func LinkCreateKprobeMulti(progFD int, attachType, flags uint32, syms []string, cookies []uint64) (int, error) {
	if len(syms) == 0 || (cookies != nil && len(cookies) != len(syms)) {
		return -1, &Error{Cmd: CmdLinkCreate, Errno: unix.EINVAL}
	}
	// The kernel reads an array of native user pointers to C strings;
	// unsafe.Pointers keep the strings alive and visible to the GC.
	ptrs := make([]unsafe.Pointer, len(syms))
	for i, s := range syms {
		b, err := cstring(s)
		if err != nil || b == nil {
			return -1, &Error{Cmd: CmdLinkCreate, Errno: unix.EINVAL}
		}
		ptrs[i] = unsafe.Pointer(&b[0])
	}
	attr := linkCreateKprobeMultiAttr{
		progFD:     uint32(progFD),
		attachType: attachType,
		kmFlags:    flags,
		cnt:        uint32(len(syms)),
		syms:       ptr{p: unsafe.Pointer(&ptrs[0])},
	}
	if cookies != nil {
		attr.cookies = ptr{p: unsafe.Pointer(&cookies[0])}
	}
	return call(CmdLinkCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}
