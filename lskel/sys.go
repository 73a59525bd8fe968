package lskel

// A private, minimal bpf(2) layer: only the commands the runtime needs,
// with bpf_attr laid out by hand in a byte array. It keeps lskel free of
// reflection and of anything heavier than golang.org/x/sys/unix.

import (
	"encoding/binary"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bpf(2) commands.
const (
	cmdMapCreate         = 0
	cmdMapLookupElem     = 1
	cmdMapUpdateElem     = 2
	cmdMapDeleteElem     = 3
	cmdMapGetNextKey     = 4
	cmdProgLoad          = 5
	cmdProgTestRun       = 10
	cmdObjGetInfoByFD    = 15
	cmdRawTracepointOpen = 17
	cmdMapFreeze         = 22
	cmdLinkCreate        = 28
	cmdIterCreate        = 33
)

// Program types, map types, attach types and flags used by the runtime.
const (
	ProgTypeKprobe        = 2
	ProgTypeSchedCLS      = 3
	ProgTypeTracepoint    = 5
	ProgTypeXDP           = 6
	ProgTypePerfEvent     = 7
	ProgTypeCgroupSKB     = 8
	ProgTypeRawTracepoint = 17
	ProgTypeTracing       = 26
	ProgTypeLSM           = 29
	ProgTypeSyscall       = 31

	MapTypeHash          = 1
	MapTypeArray         = 2
	MapTypePerfEventArr  = 4
	MapTypePercpuHash    = 5
	MapTypePercpuArray   = 6
	MapTypeLRUPercpuHash = 10
	MapTypePercpuCgStore = 21
	MapTypeRingBuf       = 27

	AttachCgroupInetIngress = 0
	AttachCgroupInetEgress  = 1
	AttachTraceRawTP        = 23
	AttachTraceFentry       = 24
	AttachTraceFexit        = 25
	AttachModifyReturn      = 26
	AttachLSMMac            = 27
	AttachTraceIter         = 28
	AttachXDP               = 37
	AttachPerfEvent         = 41
	AttachTCXIngress        = 46
	AttachTCXEgress         = 47

	// MapFlagRdonlyProg and MapFlagMmapable are BPF_F_RDONLY_PROG and
	// BPF_F_MMAPABLE.
	MapFlagRdonlyProg = 1 << 7
	MapFlagMmapable   = 1 << 10

	progFlagSleepable = 1 << 4
)

// attrSize covers every field any command here sets; unset bytes are zero
// and the size passed is the smallest that covers the fields used, as the
// kernel refuses non-zero bytes past its own bpf_attr.
type attr [152]byte

func (a *attr) u32(off int, v uint32) { binary.NativeEndian.PutUint32(a[off:], v) }
func (a *attr) u64(off int, v uint64) { binary.NativeEndian.PutUint64(a[off:], v) }
func (a *attr) ptr(off int, p unsafe.Pointer) {
	binary.NativeEndian.PutUint64(a[off:], uint64(uintptr(p)))
}
func (a *attr) get32(off int) uint32 { return binary.NativeEndian.Uint32(a[off:]) }

// bpf performs one bpf(2) call, retrying on EINTR and, for PROG_LOAD,
// on EAGAIN (the kernel asks for a retry when it was interrupted).
func bpf(cmd int, a *attr, size int) (int, error) {
	for {
		r, _, e := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(unsafe.Pointer(a)), uintptr(size))
		if e == unix.EINTR || (e == unix.EAGAIN && cmd == cmdProgLoad) {
			continue
		}
		if e != 0 {
			return -1, e
		}
		return int(r), nil
	}
}

// bytesPtr returns a pointer to the first byte of b, or nil when empty.
func bytesPtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// cstring returns s as a NUL-terminated byte slice.
func cstring(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}

// mapCreate is BPF_MAP_CREATE without BTF.
func mapCreate(typ, keySize, valueSize, maxEntries, flags uint32, name string) (int, error) {
	var a attr
	a.u32(0, typ)
	a.u32(4, keySize)
	a.u32(8, valueSize)
	a.u32(12, maxEntries)
	a.u32(16, flags)
	copy(a[28:43], name) // map_name[16], NUL-terminated
	return bpf(cmdMapCreate, &a, 72)
}

func mapElemOp(cmd int, fd int, key, value []byte, flags uint64) error {
	var a attr
	a.u32(0, uint32(fd))
	a.ptr(8, bytesPtr(key))
	a.ptr(16, bytesPtr(value))
	a.u64(24, flags)
	_, err := bpf(cmd, &a, 32)
	runtime.KeepAlive(key)
	runtime.KeepAlive(value)
	return err
}

func mapFreeze(fd int) error {
	var a attr
	a.u32(0, uint32(fd))
	_, err := bpf(cmdMapFreeze, &a, 8)
	return err
}

// progLoadAttr is what the runtime passes to BPF_PROG_LOAD.
type progLoadAttr struct {
	typ, attachType, flags uint32
	insns                  []byte
	license, name          string
	logLevel               uint32
	logBuf                 []byte
	fdArray                []int32
	attachBTFID            uint32
}

func progLoad(p *progLoadAttr) (int, error) {
	var a attr
	lic := cstring(p.license)
	a.u32(0, p.typ)
	a.u32(4, uint32(len(p.insns)/8))
	a.ptr(8, bytesPtr(p.insns))
	a.ptr(16, unsafe.Pointer(&lic[0]))
	if p.logLevel != 0 && len(p.logBuf) > 0 {
		a.u32(24, p.logLevel)
		a.u32(28, uint32(len(p.logBuf)))
		a.ptr(32, unsafe.Pointer(&p.logBuf[0]))
	}
	a.u32(44, p.flags)
	copy(a[48:63], p.name)
	a.u32(68, p.attachType)
	a.u32(108, p.attachBTFID)
	if len(p.fdArray) > 0 {
		a.ptr(120, unsafe.Pointer(&p.fdArray[0]))
	}
	fd, err := bpf(cmdProgLoad, &a, 128)
	runtime.KeepAlive(lic)
	runtime.KeepAlive(p)
	return fd, err
}

// progTestRun runs a program once with ctx as ctx_in; the kernel writes
// the context back into ctx for syscall programs. It returns retval.
func progTestRun(fd int, ctx []byte) (uint32, error) {
	var a attr
	a.u32(0, uint32(fd))
	a.u32(40, uint32(len(ctx)))
	a.ptr(48, bytesPtr(ctx))
	_, err := bpf(cmdProgTestRun, &a, 80)
	runtime.KeepAlive(ctx)
	return a.get32(4), err
}

// mapInfo reads the fields of bpf_map_info the runtime needs.
func mapInfo(fd int) (typ, keySize, valueSize, maxEntries, flags uint32, err error) {
	var info [88]byte
	var a attr
	a.u32(0, uint32(fd))
	a.u32(4, uint32(len(info)))
	a.ptr(8, unsafe.Pointer(&info[0]))
	_, err = bpf(cmdObjGetInfoByFD, &a, 16)
	runtime.KeepAlive(&info)
	if err != nil {
		return
	}
	ne := binary.NativeEndian
	return ne.Uint32(info[0:]), ne.Uint32(info[8:]), ne.Uint32(info[12:]), ne.Uint32(info[16:]), ne.Uint32(info[20:]), nil
}

// progType reads bpf_prog_info.type.
func progType(fd int) (uint32, error) {
	var info [8]byte
	var a attr
	a.u32(0, uint32(fd))
	a.u32(4, uint32(len(info)))
	a.ptr(8, unsafe.Pointer(&info[0]))
	_, err := bpf(cmdObjGetInfoByFD, &a, 16)
	runtime.KeepAlive(&info)
	return binary.NativeEndian.Uint32(info[0:]), err
}

// linkCreate is BPF_LINK_CREATE; extra is written at offset 16 (the
// attach-type specific union) when non-nil.
func linkCreate(progFD, targetFD int, attachType, flags uint32, extra []byte) (int, error) {
	var a attr
	a.u32(0, uint32(progFD))
	a.u32(4, uint32(targetFD))
	a.u32(8, attachType)
	a.u32(12, flags)
	copy(a[16:48], extra)
	return bpf(cmdLinkCreate, &a, 48)
}

func rawTracepointOpen(progFD int, name string) (int, error) {
	var a attr
	var n []byte
	if name != "" {
		n = cstring(name)
		a.ptr(0, unsafe.Pointer(&n[0]))
	}
	a.u32(8, uint32(progFD))
	fd, err := bpf(cmdRawTracepointOpen, &a, 16)
	runtime.KeepAlive(n)
	return fd, err
}

func iterCreate(linkFD int) (int, error) {
	var a attr
	a.u32(0, uint32(linkFD))
	return bpf(cmdIterCreate, &a, 8)
}

// closeFD closes fd if it is valid, ignoring errors: the callers are on
// cleanup paths where nothing better can be done.
func closeFD(fd int) {
	if fd >= 0 {
		_ = unix.Close(fd)
	}
}
