package kernel

import (
	"errors"
	"syscall"
	"unsafe"
)

// rawTracepointAttr is union bpf_attr for BPF_RAW_TRACEPOINT_OPEN.
type rawTracepointAttr struct {
	name   ptr    // 0
	progFD uint32 // 8
	_      uint32
	cookie uint64 // 16 (Linux 6.10)
}

// RawTracepointOpen attaches a raw_tp / tp_btf / fentry-style program and
// returns the link fd. An empty name sends NULL: the kernel then takes the
// target from the program's attach_btf_id.
func RawTracepointOpen(name string, progFD int) (int, error) {
	n, err := cstring(name)
	if err != nil {
		return -1, &Error{Cmd: CmdRawTracepointOpen, Errno: syscall.EINVAL}
	}
	attr := rawTracepointAttr{name: bytesPtr(n), progFD: uint32(progFD)}
	return call(CmdRawTracepointOpen, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}

// LinkCreateAttr describes a BPF_LINK_CREATE call. The tail of the kernel's
// attribute is a union; set only the fields the attach type uses:
//
//   - iter (BPF_TRACE_ITER): IterInfo (a bpf_iter_link_info), may be nil;
//   - tracing (fentry/fexit/fmod_ret/lsm/freplace): TargetBTFID, Cookie;
//   - perf_event (BPF_PERF_EVENT, TargetFD = perf event fd): Cookie;
//   - tcx/netkit/cgroup mprog (TargetFD = ifindex or cgroup fd):
//     RelativeFD (or id with BPF_F_ID in Flags), ExpectedRevision;
//   - xdp (TargetFD = ifindex), legacy cgroup (TargetFD = cgroup fd):
//     nothing more.
type LinkCreateAttr struct {
	ProgFD int
	// TargetFD is a target fd or an ifindex.
	TargetFD         int
	AttachType       uint32
	Flags            uint32
	TargetBTFID      uint32
	IterInfo         []byte
	Cookie           uint64
	RelativeFD       uint32
	ExpectedRevision uint64
}

// linkCreateAttr is union bpf_attr for BPF_LINK_CREATE, with the variant
// tail as two words.
type linkCreateAttr struct {
	progFD     uint32 // 0
	targetFD   uint32 // 4
	attachType uint32 // 8
	flags      uint32 // 12
	a          uint64 // 16: target_btf_id | bpf_cookie | relative_fd
	b          uint64 // 24: tracing cookie | expected_revision
}

// linkCreateIterAttr is the iterator variant, whose tail is a pointer.
type linkCreateIterAttr struct {
	progFD      uint32 // 0
	targetFD    uint32 // 4
	attachType  uint32 // 8
	flags       uint32 // 12
	iterInfo    ptr    // 16
	iterInfoLen uint32 // 24
	_           uint32
}

// ErrLinkAttr reports LinkCreateAttr fields of different union variants
// set together.
var ErrLinkAttr = errors.New("kernel: LINK_CREATE: fields of different attach kinds set together")

// LinkCreate creates a link and returns its fd.
func LinkCreate(a *LinkCreateAttr) (int, error) {
	iter := a.IterInfo != nil
	tracing := a.TargetBTFID != 0
	mprog := a.RelativeFD != 0 || a.ExpectedRevision != 0
	perf := a.AttachType == BPF_PERF_EVENT
	kinds := 0
	for _, k := range [...]bool{iter, tracing, mprog, perf} {
		if k {
			kinds++
		}
	}
	if kinds > 1 || (a.Cookie != 0 && (iter || mprog)) {
		return -1, ErrLinkAttr
	}
	if iter {
		attr := linkCreateIterAttr{
			progFD:      uint32(a.ProgFD),
			targetFD:    uint32(a.TargetFD),
			attachType:  a.AttachType,
			flags:       a.Flags,
			iterInfo:    bytesPtr(a.IterInfo),
			iterInfoLen: uint32(len(a.IterInfo)),
		}
		return call(CmdLinkCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
	}
	attr := linkCreateAttr{
		progFD:     uint32(a.ProgFD),
		targetFD:   uint32(a.TargetFD),
		attachType: a.AttachType,
		flags:      a.Flags,
	}
	// u32 members of the union sit in the first 4 bytes of the word;
	// store them through a *uint32 so this holds on either byte order.
	word := (*uint32)(unsafe.Pointer(&attr.a))
	switch {
	case perf:
		attr.a = a.Cookie
	case mprog:
		*word = a.RelativeFD
		attr.b = a.ExpectedRevision
	default:
		*word = a.TargetBTFID
		attr.b = a.Cookie
	}
	return call(CmdLinkCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}

// iterCreateAttr is union bpf_attr for BPF_ITER_CREATE.
type iterCreateAttr struct {
	linkFD uint32
	flags  uint32
}

// IterCreate opens a new reader of an iterator link: read(2) it to run the
// iterator program.
func IterCreate(linkFD int) (int, error) {
	attr := iterCreateAttr{linkFD: uint32(linkFD)}
	return call(CmdIterCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}

// enableStatsAttr is union bpf_attr for BPF_ENABLE_STATS.
type enableStatsAttr struct {
	typ uint32
}

// BPF_STATS_RUN_TIME is the only BPF_ENABLE_STATS type.
const BPF_STATS_RUN_TIME = 0

// EnableStats turns on run-time statistics (prog_info run_cnt and
// run_time_ns) for as long as the returned fd is open.
func EnableStats(typ uint32) (int, error) {
	attr := enableStatsAttr{typ: typ}
	return sys(CmdEnableStats, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
}
