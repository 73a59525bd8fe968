package kernel

import (
	"errors"
	"syscall"
	"unsafe"
)

// infoAttr is union bpf_attr for BPF_OBJ_GET_INFO_BY_FD.
type infoAttr struct {
	bpfFD   uint32 // 0
	infoLen uint32 // 4
	info    ptr    // 8
}

// objInfo fills the info record at p (size bytes) for fd.
func objInfo(fd int, p unsafe.Pointer, size uintptr) error {
	attr := infoAttr{bpfFD: uint32(fd), infoLen: uint32(size), info: ptr{p: p}}
	_, err := sys(CmdObjGetInfoByFD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	return err
}

// progInfo is struct bpf_prog_info.
type progInfo struct {
	typ                  uint32   // 0
	id                   uint32   // 4
	tag                  [8]byte  // 8
	jitedProgLen         uint32   // 16
	xlatedProgLen        uint32   // 20
	jitedProgInsns       ptr      // 24
	xlatedProgInsns      ptr      // 32
	loadTime             uint64   // 40
	createdByUID         uint32   // 48
	nrMapIDs             uint32   // 52
	mapIDs               ptr      // 56
	name                 [16]byte // 64
	ifindex              uint32   // 80
	gplCompatible        uint32   // 84 (bit 0)
	netnsDev             uint64   // 88
	netnsIno             uint64   // 96
	nrJitedKsyms         uint32   // 104
	nrJitedFuncLens      uint32   // 108
	jitedKsyms           ptr      // 112
	jitedFuncLens        ptr      // 120
	btfID                uint32   // 128
	funcInfoRecSize      uint32   // 132
	funcInfo             ptr      // 136
	nrFuncInfo           uint32   // 144
	nrLineInfo           uint32   // 148
	lineInfo             ptr      // 152
	jitedLineInfo        ptr      // 160
	nrJitedLineInfo      uint32   // 168
	lineInfoRecSize      uint32   // 172
	jitedLineInfoRecSize uint32   // 176
	nrProgTags           uint32   // 180
	progTags             ptr      // 184
	runTimeNs            uint64   // 192
	runCnt               uint64   // 200
	recursionMisses      uint64   // 208
	verifiedInsns        uint32   // 216
	attachBTFObjID       uint32   // 220
	attachBTFID          uint32   // 224
	_                    uint32
}

// ProgInfo is what the kernel reports about a loaded program.
type ProgInfo struct {
	Type            uint32
	ID              uint32
	Tag             [8]byte
	Name            string
	JitedLen        uint32
	XlatedInsns     []byte // nil when the kernel hides them (bpf_dump_raw_ok)
	MapIDs          []uint32
	LoadTime        uint64 // ns since boot
	CreatedByUID    uint32
	GPLCompatible   bool
	BTFID           uint32
	NrFuncInfo      uint32
	NrLineInfo      uint32
	NrJitedLineInfo uint32
	FuncInfoRecSize uint32
	LineInfoRecSize uint32
	AttachBTFObjID  uint32
	AttachBTFID     uint32
	VerifiedInsns   uint32
	RunTimeNs       uint64
	RunCnt          uint64
	RecursionMisses uint64
}

// maxInfoItems bounds the buffers GetProgInfo allocates from the counts
// the kernel reports (BPF_COMPLEXITY_LIMIT_INSNS is 1M instructions).
const maxInfoItems = 1 << 24

// GetProgInfo returns the program's info including its translated
// instructions and map ids (two BPF_OBJ_GET_INFO_BY_FD calls).
func GetProgInfo(fd int) (*ProgInfo, error) {
	var first progInfo
	if err := objInfo(fd, unsafe.Pointer(&first), unsafe.Sizeof(first)); err != nil {
		return nil, err
	}
	var insns []byte
	var ids []uint32
	if first.xlatedProgLen > 0 && first.xlatedProgLen <= maxInfoItems*8 {
		insns = make([]byte, first.xlatedProgLen)
	}
	if first.nrMapIDs > 0 && first.nrMapIDs <= maxInfoItems {
		ids = make([]uint32, first.nrMapIDs)
	}
	info := first
	if insns != nil || ids != nil {
		second := progInfo{
			xlatedProgLen:   uint32(len(insns)),
			xlatedProgInsns: bytesPtr(insns),
			nrMapIDs:        uint32(len(ids)),
		}
		if len(ids) > 0 {
			second.mapIDs = ptr{p: unsafe.Pointer(&ids[0])}
		}
		if err := objInfo(fd, unsafe.Pointer(&second), unsafe.Sizeof(second)); err != nil {
			return nil, err
		}
		// Maps bound later (BPF_PROG_BIND_MAP) may change the count.
		if int(second.nrMapIDs) < len(ids) {
			ids = ids[:second.nrMapIDs]
		}
		if int(second.xlatedProgLen) < len(insns) {
			insns = insns[:second.xlatedProgLen]
		}
		// The kernel reports a NULL pointer when it may not dump insns.
		if second.xlatedProgInsns.p == nil {
			insns = nil
		}
	}
	return &ProgInfo{
		Type:            info.typ,
		ID:              info.id,
		Tag:             info.tag,
		Name:            CString(info.name[:]),
		JitedLen:        info.jitedProgLen,
		XlatedInsns:     insns,
		MapIDs:          ids,
		LoadTime:        info.loadTime,
		CreatedByUID:    info.createdByUID,
		GPLCompatible:   info.gplCompatible&1 != 0,
		BTFID:           info.btfID,
		NrFuncInfo:      info.nrFuncInfo,
		NrLineInfo:      info.nrLineInfo,
		NrJitedLineInfo: info.nrJitedLineInfo,
		FuncInfoRecSize: info.funcInfoRecSize,
		LineInfoRecSize: info.lineInfoRecSize,
		AttachBTFObjID:  info.attachBTFObjID,
		AttachBTFID:     info.attachBTFID,
		VerifiedInsns:   info.verifiedInsns,
		RunTimeNs:       info.runTimeNs,
		RunCnt:          info.runCnt,
		RecursionMisses: info.recursionMisses,
	}, nil
}

// mapInfo is struct bpf_map_info (with the 6.18 hash fields).
type mapInfo struct {
	typ                   uint32   // 0
	id                    uint32   // 4
	keySize               uint32   // 8
	valueSize             uint32   // 12
	maxEntries            uint32   // 16
	mapFlags              uint32   // 20
	name                  [16]byte // 24
	ifindex               uint32   // 40
	btfVmlinuxValueTypeID uint32   // 44
	netnsDev              uint64   // 48
	netnsIno              uint64   // 56
	btfID                 uint32   // 64
	btfKeyTypeID          uint32   // 68
	btfValueTypeID        uint32   // 72
	_                     uint32
	mapExtra              uint64 // 80
	hash                  ptr    // 88 (Linux 6.18)
	hashSize              uint32 // 96
	_                     uint32
}

// MapInfo is what the kernel reports about a map.
type MapInfo struct {
	Type                  uint32
	ID                    uint32
	KeySize               uint32
	ValueSize             uint32
	MaxEntries            uint32
	Flags                 uint32
	Name                  string
	Ifindex               uint32
	BTFVmlinuxValueTypeID uint32
	NetnsDev              uint64
	NetnsIno              uint64
	BTFID                 uint32
	BTFKeyTypeID          uint32
	BTFValueTypeID        uint32
	MapExtra              uint64
}

// GetMapInfo returns the map's info.
func GetMapInfo(fd int) (*MapInfo, error) {
	var info mapInfo
	// Pass the size without the 6.18 hash fields: they are zero anyway,
	// and this keeps the record within what any kernel accepts.
	if err := objInfo(fd, unsafe.Pointer(&info), unsafe.Offsetof(info.hash)); err != nil {
		return nil, err
	}
	return &MapInfo{
		Type:                  info.typ,
		ID:                    info.id,
		KeySize:               info.keySize,
		ValueSize:             info.valueSize,
		MaxEntries:            info.maxEntries,
		Flags:                 info.mapFlags,
		Name:                  CString(info.name[:]),
		Ifindex:               info.ifindex,
		BTFVmlinuxValueTypeID: info.btfVmlinuxValueTypeID,
		NetnsDev:              info.netnsDev,
		NetnsIno:              info.netnsIno,
		BTFID:                 info.btfID,
		BTFKeyTypeID:          info.btfKeyTypeID,
		BTFValueTypeID:        info.btfValueTypeID,
		MapExtra:              info.mapExtra,
	}, nil
}

// MapHash asks the kernel (6.18+) for the SHA-256 of a frozen array map's
// contents, the value an exclusive map's program is checked against.
func MapHash(fd int) ([]byte, error) {
	h := make([]byte, 32)
	info := mapInfo{hash: bytesPtr(h), hashSize: uint32(len(h))}
	if err := objInfo(fd, unsafe.Pointer(&info), unsafe.Sizeof(info)); err != nil {
		return nil, err
	}
	return h, nil
}

// btfInfo is struct bpf_btf_info.
type btfInfo struct {
	btf       ptr    // 0
	btfSize   uint32 // 8
	id        uint32 // 12
	name      ptr    // 16
	nameLen   uint32 // 24
	kernelBTF uint32 // 28
}

// BTFInfo is what the kernel reports about a BTF object.
type BTFInfo struct {
	ID        uint32
	Name      string // "vmlinux", a module name, or "" for user BTF
	KernelBTF bool
	Size      uint32 // bytes of raw BTF
}

// GetBTFInfo returns the BTF object's info.
func GetBTFInfo(fd int) (*BTFInfo, error) {
	name := make([]byte, 64)
	info := btfInfo{name: bytesPtr(name), nameLen: uint32(len(name))}
	err := objInfo(fd, unsafe.Pointer(&info), unsafe.Sizeof(info))
	if errors.Is(err, syscall.E2BIG) {
		// Before 5.11 bpf_btf_info ends after id: no name to ask for.
		info = btfInfo{}
		err = objInfo(fd, unsafe.Pointer(&info), unsafe.Sizeof(info))
	}
	if err != nil {
		return nil, err
	}
	return &BTFInfo{ID: info.id, Name: CString(name), KernelBTF: info.kernelBTF != 0, Size: info.btfSize}, nil
}

// GetBTFData returns the raw BTF bytes of a BTF object.
func GetBTFData(fd int) ([]byte, error) {
	var info btfInfo
	if err := objInfo(fd, unsafe.Pointer(&info), unsafe.Sizeof(info)); err != nil {
		return nil, err
	}
	if info.btfSize == 0 {
		return nil, nil
	}
	data := make([]byte, info.btfSize)
	info = btfInfo{btf: bytesPtr(data), btfSize: uint32(len(data))}
	if err := objInfo(fd, unsafe.Pointer(&info), unsafe.Sizeof(info)); err != nil {
		return nil, err
	}
	if int(info.btfSize) < len(data) {
		data = data[:info.btfSize]
	}
	return data, nil
}

// linkInfo is struct bpf_link_info: a fixed head and a union of per-type
// tails. The raw-tracepoint and iterator tails start with a name pointer
// and its length.
type linkInfo struct {
	typ     uint32 // 0
	id      uint32 // 4
	progID  uint32 // 8
	_       uint32
	namePtr ptr    // 16
	nameLen uint32 // 24
	u       [44]uint8
}

// linkInfoRaw is the same record with the union as plain bytes.
type linkInfoRaw struct {
	typ    uint32
	id     uint32
	progID uint32
	_      uint32
	u      [56]byte
}

// LinkInfo is what the kernel reports about a link.
type LinkInfo struct {
	Type   uint32 // unix.BPF_LINK_TYPE_*
	ID     uint32
	ProgID uint32
	// Name is the raw tracepoint name (BPF_LINK_TYPE_RAW_TRACEPOINT) or
	// the iterator target (BPF_LINK_TYPE_ITER).
	Name string
	// Extra is the rest of the per-type union as the kernel wrote it,
	// e.g. tracing: attach_type, target_obj_id, target_btf_id (u32 each);
	// xdp: ifindex; cgroup: cgroup_id u64, attach_type u32.
	Extra [56]byte
}

// GetLinkInfo returns the link's info.
func GetLinkInfo(fd int) (*LinkInfo, error) {
	var raw linkInfoRaw
	if err := objInfo(fd, unsafe.Pointer(&raw), unsafe.Sizeof(raw)); err != nil {
		return nil, err
	}
	li := &LinkInfo{Type: raw.typ, ID: raw.id, ProgID: raw.progID, Extra: raw.u}
	const linkTypeRawTP, linkTypeIter = 1, 4
	if raw.typ == linkTypeRawTP || raw.typ == linkTypeIter {
		name := make([]byte, 256)
		info := linkInfo{namePtr: bytesPtr(name), nameLen: uint32(len(name))}
		if err := objInfo(fd, unsafe.Pointer(&info), unsafe.Sizeof(info)); err != nil {
			return nil, err
		}
		li.Name = CString(name)
	}
	return li, nil
}
