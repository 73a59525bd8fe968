//go:build linux

package kernel

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// linkCreateUprobeMultiAttr is union bpf_attr for BPF_LINK_CREATE with
// BPF_TRACE_UPROBE_MULTI (Linux 6.6) or BPF_TRACE_UPROBE_SESSION (6.13).
type linkCreateUprobeMultiAttr struct {
	progFD        uint32 // 0
	targetFD      uint32 // 4
	attachType    uint32 // 8
	flags         uint32 // 12
	path          ptr    // 16: const char *
	offsets       ptr    // 24: u64 per probe
	refCtrOffsets ptr    // 32: u64 per probe, or none
	cookies       ptr    // 40: u64 per probe, or none
	cnt           uint32 // 48
	umFlags       uint32 // 52: BPF_F_UPROBE_MULTI_RETURN
	pid           uint32 // 56
	_             uint32
}

// UprobeMultiReturn is BPF_F_UPROBE_MULTI_RETURN: probe the functions'
// returns.
const UprobeMultiReturn = 1

// UprobeMultiAttr describes one uprobe.multi link: probes at the file
// offsets of the ELF file Path, each with its reference counter offset
// and cookie when those are given (one per offset).
type UprobeMultiAttr struct {
	ProgFD     int
	AttachType uint32 // BPF_TRACE_UPROBE_MULTI or BPF_TRACE_UPROBE_SESSION
	Flags      uint32 // UprobeMultiReturn
	Path       string
	Offsets    []uint64
	RefCtrs    []uint64
	Cookies    []uint64
	PID        int // 0: every process
}

// LinkCreateUprobeMulti attaches a program loaded with the expected
// attach type a.AttachType to a.Offsets of a.Path in one link.
func LinkCreateUprobeMulti(a *UprobeMultiAttr) (int, error) {
	n := len(a.Offsets)
	if n == 0 || (a.RefCtrs != nil && len(a.RefCtrs) != n) || (a.Cookies != nil && len(a.Cookies) != n) {
		return -1, &Error{Cmd: CmdLinkCreate, Errno: unix.EINVAL}
	}
	path, err := cstring(a.Path)
	if err != nil || path == nil {
		return -1, &Error{Cmd: CmdLinkCreate, Errno: unix.EINVAL}
	}
	attr := linkCreateUprobeMultiAttr{
		progFD:     uint32(a.ProgFD),
		attachType: a.AttachType,
		path:       ptr{p: unsafe.Pointer(&path[0])},
		offsets:    ptr{p: unsafe.Pointer(&a.Offsets[0])},
		cnt:        uint32(n),
		umFlags:    a.Flags,
		pid:        uint32(a.PID),
	}
	if a.RefCtrs != nil {
		attr.refCtrOffsets = ptr{p: unsafe.Pointer(&a.RefCtrs[0])}
	}
	if a.Cookies != nil {
		attr.cookies = ptr{p: unsafe.Pointer(&a.Cookies[0])}
	}
	return call(CmdLinkCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}
