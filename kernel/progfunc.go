package kernel

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// ProgFuncBTFID returns the BTF id of function name in the BTF of the
// loaded program progFD: what freplace (and fentry/fexit on a BPF
// program) give the kernel as attach_btf_id with attach_prog_fd. It scans
// the raw BTF for a FUNC of that name itself, so that the runtime, which
// parses no BTF otherwise, can resolve a target on the machine that runs
// it.
func ProgFuncBTFID(progFD int, name string) (uint32, error) {
	info, err := GetProgInfo(progFD)
	if err != nil {
		return 0, err
	}
	if info.BTFID == 0 {
		return 0, errors.New("target program " + strconv.Quote(info.Name) + " has no BTF")
	}
	btfFD, err := BTFFDByID(info.BTFID)
	if err != nil {
		return 0, err
	}
	defer Close(btfFD)
	raw, err := GetBTFData(btfFD)
	if err != nil {
		return 0, err
	}
	id, ok, err := findFunc(raw, name)
	if err != nil {
		return 0, errors.New("BTF of target program " + strconv.Quote(info.Name) + ": " + err.Error())
	}
	if !ok {
		return 0, errors.New("target program " + strconv.Quote(info.Name) + " has no function " + strconv.Quote(name))
	}
	return id, nil
}

// BTF kinds findFunc needs to step over.
const (
	btfKindInt      = 1
	btfKindArray    = 3
	btfKindStruct   = 4
	btfKindUnion    = 5
	btfKindEnum     = 6
	btfKindFunc     = 12
	btfKindFuncProt = 13
	btfKindVar      = 14
	btfKindDatasec  = 15
	btfKindDeclTag  = 17
	btfKindEnum64   = 19
)

// findFunc walks raw BTF (in the host's byte order, as the kernel gives
// it) for the FUNC named name.
func findFunc(raw []byte, name string) (uint32, bool, error) {
	ne := binary.NativeEndian
	if len(raw) < 24 || ne.Uint16(raw) != 0xeb9f {
		return 0, false, errors.New("not BTF")
	}
	hdrLen := uint64(ne.Uint32(raw[4:]))
	typeOff, typeLen := uint64(ne.Uint32(raw[8:])), uint64(ne.Uint32(raw[12:]))
	strOff, strLen := uint64(ne.Uint32(raw[16:])), uint64(ne.Uint32(raw[20:]))
	if hdrLen+typeOff+typeLen > uint64(len(raw)) || hdrLen+strOff+strLen > uint64(len(raw)) {
		return 0, false, errors.New("sections out of bounds")
	}
	types := raw[hdrLen+typeOff : hdrLen+typeOff+typeLen]
	strs := raw[hdrLen+strOff : hdrLen+strOff+strLen]
	for id, off := uint32(1), 0; off < len(types); id++ {
		if off+12 > len(types) {
			return 0, false, errors.New("truncated type " + strconv.FormatUint(uint64(id), 10))
		}
		nameOff, info := ne.Uint32(types[off:]), ne.Uint32(types[off+4:])
		kind, vlen := (info>>24)&0x1f, int(info&0xffff)
		if kind == btfKindFunc && cstringAt(strs, nameOff) == name {
			return id, true, nil
		}
		off += 12
		switch kind {
		case btfKindInt, btfKindVar, btfKindDeclTag:
			off += 4
		case btfKindArray:
			off += 12
		case btfKindStruct, btfKindUnion, btfKindDatasec, btfKindEnum64:
			off += 12 * vlen
		case btfKindEnum, btfKindFuncProt:
			off += 8 * vlen
		}
	}
	return 0, false, nil
}

// cstringAt returns the NUL-terminated string at off of strs.
func cstringAt(strs []byte, off uint32) string {
	if uint64(off) >= uint64(len(strs)) {
		return ""
	}
	s := strs[off:]
	for i, c := range s {
		if c == 0 {
			return string(s[:i])
		}
	}
	return string(s)
}
