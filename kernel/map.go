package kernel

import "unsafe"

// MapCreateAttr describes a BPF_MAP_CREATE call. Zero fields are not sent.
type MapCreateAttr struct {
	Type       uint32
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	InnerMapFD uint32
	NumaNode   uint32
	// Name is truncated to 15 bytes.
	Name                  string
	Ifindex               uint32
	BTFFD                 uint32
	BTFKeyTypeID          uint32
	BTFValueTypeID        uint32
	BTFVmlinuxValueTypeID uint32
	MapExtra              uint64
	ValueTypeBTFObjFD     int32
	TokenFD               int32
	// ExclProgHash is the SHA-256 of the only program allowed to use the
	// map (Linux 6.18).
	ExclProgHash []byte
}

// mapCreateAttr is union bpf_attr for BPF_MAP_CREATE.
type mapCreateAttr struct {
	mapType               uint32 // 0
	keySize               uint32 // 4
	valueSize             uint32 // 8
	maxEntries            uint32 // 12
	mapFlags              uint32 // 16
	innerMapFD            uint32 // 20
	numaNode              uint32 // 24
	mapName               [16]byte
	mapIfindex            uint32 // 44
	btfFD                 uint32 // 48
	btfKeyTypeID          uint32 // 52
	btfValueTypeID        uint32 // 56
	btfVmlinuxValueTypeID uint32 // 60
	mapExtra              uint64 // 64
	valueTypeBTFObjFD     int32  // 72
	mapTokenFD            int32  // 76
	exclProgHash          ptr    // 80
	exclProgHashSize      uint32 // 88
	_                     uint32
}

// MapCreate creates a map and returns its fd.
func MapCreate(a *MapCreateAttr) (int, error) {
	attr := mapCreateAttr{
		mapType:               a.Type,
		keySize:               a.KeySize,
		valueSize:             a.ValueSize,
		maxEntries:            a.MaxEntries,
		mapFlags:              a.Flags,
		innerMapFD:            a.InnerMapFD,
		numaNode:              a.NumaNode,
		mapName:               objName(a.Name),
		mapIfindex:            a.Ifindex,
		btfFD:                 a.BTFFD,
		btfKeyTypeID:          a.BTFKeyTypeID,
		btfValueTypeID:        a.BTFValueTypeID,
		btfVmlinuxValueTypeID: a.BTFVmlinuxValueTypeID,
		mapExtra:              a.MapExtra,
		valueTypeBTFObjFD:     a.ValueTypeBTFObjFD,
		mapTokenFD:            a.TokenFD,
	}
	if len(a.ExclProgHash) > 0 {
		attr.exclProgHash = bytesPtr(a.ExclProgHash)
		attr.exclProgHashSize = uint32(len(a.ExclProgHash))
	}
	return call(CmdMapCreate, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
}

// mapElemAttr is union bpf_attr for BPF_MAP_*_ELEM, BPF_MAP_GET_NEXT_KEY
// and BPF_MAP_FREEZE.
type mapElemAttr struct {
	mapFD uint32 // 0
	_     uint32
	key   ptr    // 8
	value ptr    // 16 (value or next_key)
	flags uint64 // 24
}

func mapElem(cmd Cmd, fd int, key, value unsafe.Pointer, flags uint64) error {
	attr := mapElemAttr{mapFD: uint32(fd), key: ptr{p: key}, value: ptr{p: value}, flags: flags}
	_, err := call(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 4)
	return err
}

// The element functions below pass key and value to the kernel as raw
// pointers: key must hold at least the map's key_size bytes and value at
// least its value_size bytes (per-CPU maps: value_size rounded up to 8,
// times the number of possible CPUs). The kernel cannot check the Go slice
// lengths; a short lookup buffer is overwritten past its end.

// MapUpdateElem sets key to value (flags: unix.BPF_ANY, BPF_NOEXIST,
// BPF_EXIST, BPF_F_LOCK).
func MapUpdateElem(fd int, key, value []byte, flags uint64) error {
	return mapElem(CmdMapUpdateElem, fd, slicePtr(key), slicePtr(value), flags)
}

// MapLookupElem copies the value stored under key into value.
// A missing key gives an error that unwraps to unix.ENOENT.
func MapLookupElem(fd int, key, value []byte) error {
	return mapElem(CmdMapLookupElem, fd, slicePtr(key), slicePtr(value), 0)
}

// MapDeleteElem removes key.
func MapDeleteElem(fd int, key []byte) error {
	return mapElem(CmdMapDeleteElem, fd, slicePtr(key), nil, 0)
}

// MapGetNextKey writes the key following key into next; a nil key asks for
// the first key. At the end it returns an error that unwraps to
// unix.ENOENT.
func MapGetNextKey(fd int, key, next []byte) error {
	return mapElem(CmdMapGetNextKey, fd, slicePtr(key), slicePtr(next), 0)
}

// MapFreeze makes the map read-only for user space.
func MapFreeze(fd int) error {
	return mapElem(CmdMapFreeze, fd, nil, nil, 0)
}

// slicePtr is the address of b's first element, nil for a nil or empty
// slice (so the kernel sees NULL rather than a zero-length buffer).
func slicePtr(b []byte) unsafe.Pointer {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Pointer(&b[0])
}

// MapBatchAttr describes a BPF_MAP_*_BATCH call. InBatch and OutBatch are
// the kernel's opaque position tokens (nil InBatch: from the start);
// Keys and Values hold Count elements back to back. The kernel writes
// back how many elements it processed.
type MapBatchAttr struct {
	MapFD             int
	InBatch, OutBatch []byte
	Keys, Values      []byte
	Count             uint32
	ElemFlags, Flags  uint64
}

// mapBatchAttr is union bpf_attr for BPF_MAP_*_BATCH.
type mapBatchAttr struct {
	inBatch   ptr    // 0
	outBatch  ptr    // 8
	keys      ptr    // 16
	values    ptr    // 24
	count     uint32 // 32
	mapFD     uint32 // 36
	elemFlags uint64 // 40
	flags     uint64 // 48
}

// MapBatch runs one of the batch commands (CmdMapLookupBatch,
// CmdMapLookupAndDeleteBat, CmdMapUpdateBatch, CmdMapDeleteBatch) and
// returns the number of elements processed, which the kernel reports
// even when it fails (a lookup that reached the end of the map fails
// with ENOENT after copying the last elements).
func MapBatch(cmd Cmd, a *MapBatchAttr) (uint32, error) {
	attr := mapBatchAttr{
		inBatch:   bytesPtr(a.InBatch),
		outBatch:  bytesPtr(a.OutBatch),
		keys:      bytesPtr(a.Keys),
		values:    bytesPtr(a.Values),
		count:     a.Count,
		mapFD:     uint32(a.MapFD),
		elemFlags: a.ElemFlags,
		flags:     a.Flags,
	}
	_, err := call(cmd, unsafe.Pointer(&attr), unsafe.Sizeof(attr), 40) // through map_fd
	return attr.count, err
}
