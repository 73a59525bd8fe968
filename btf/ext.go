package btf

import (
	"encoding/binary"
	"fmt"
)

// CO-RE relocation kinds (enum bpf_core_relo_kind).
const (
	COREFieldByteOffset COREKind = 0  // field's byte offset
	COREFieldByteSize   COREKind = 1  // field's byte size
	COREFieldExists     COREKind = 2  // field exists in the target
	COREFieldSigned     COREKind = 3  // field is signed
	COREFieldLShiftU64  COREKind = 4  // bitfield left shift to extract it
	COREFieldRShiftU64  COREKind = 5  // bitfield right shift to extract it
	CORETypeIDLocal     COREKind = 6  // type id in the program's BTF
	CORETypeIDTarget    COREKind = 7  // type id in the target BTF
	CORETypeExists      COREKind = 8  // type exists in the target
	CORETypeSize        COREKind = 9  // type's byte size
	COREEnumvalExists   COREKind = 10 // enumerator exists in the target
	COREEnumvalValue    COREKind = 11 // enumerator's value
	CORETypeMatches     COREKind = 12 // type matches the target (stricter than exists)
)

var coreKindNames = [...]string{
	COREFieldByteOffset: "byte_off",
	COREFieldByteSize:   "byte_sz",
	COREFieldExists:     "field_exists",
	COREFieldSigned:     "signed",
	COREFieldLShiftU64:  "lshift_u64",
	COREFieldRShiftU64:  "rshift_u64",
	CORETypeIDLocal:     "local_type_id",
	CORETypeIDTarget:    "target_type_id",
	CORETypeExists:      "type_exists",
	CORETypeSize:        "type_size",
	COREEnumvalExists:   "enumval_exists",
	COREEnumvalValue:    "enumval_value",
	CORETypeMatches:     "type_matches",
}

// String returns a short name for the relocation kind, e.g. "byte_off".
func (k COREKind) String() string {
	if uint64(k) < uint64(len(coreKindNames)) {
		return coreKindNames[k]
	}
	return fmt.Sprintf("COREKind(%d)", uint32(k))
}

const (
	extHeaderMin  = 24 // up to line_info; core_relo came later
	extHeaderCORE = 32 // with core_relo_off/len
	extHeaderMax  = 4096
)

// ParseExt parses a .BTF.ext section. Section names, line_info strings and
// type ids are checked against spec, the object's .BTF. Record sizes larger
// than the ones bpfgen knows are accepted: only the known prefix of each
// record is read. The core_relo subsection is optional.
func ParseExt(raw []byte, spec *Spec) (*Ext, error) {
	if spec == nil {
		return nil, fmt.Errorf("btf.ext: no BTF to resolve names against")
	}
	if len(raw) < 8 {
		return nil, fmt.Errorf("btf.ext: header: %d bytes, need at least %d", len(raw), extHeaderMin)
	}
	var bo binary.ByteOrder
	switch {
	case binary.LittleEndian.Uint16(raw) == btfMagic:
		bo = binary.LittleEndian
	case binary.BigEndian.Uint16(raw) == btfMagic:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("btf.ext: header: bad magic %#04x", binary.LittleEndian.Uint16(raw))
	}
	if bo != spec.ByteOrder() {
		return nil, fmt.Errorf("btf.ext: header: byte order %v differs from the BTF's %v", bo, spec.ByteOrder())
	}
	if raw[2] != btfVersion {
		return nil, fmt.Errorf("btf.ext: header: unsupported version %d", raw[2])
	}
	if raw[3] != 0 {
		return nil, fmt.Errorf("btf.ext: header: unsupported flags %#x", raw[3])
	}
	hdrLen := bo.Uint32(raw[4:])
	if hdrLen < extHeaderMin {
		return nil, fmt.Errorf("btf.ext: header: hdr_len %d is less than %d", hdrLen, extHeaderMin)
	}
	if uint64(hdrLen) > uint64(len(raw)) {
		return nil, fmt.Errorf("btf.ext: header: hdr_len %d exceeds section size %d", hdrLen, len(raw))
	}
	if hdrLen > extHeaderMax {
		return nil, fmt.Errorf("btf.ext: header: hdr_len %d is larger than %d", hdrLen, extHeaderMax)
	}
	body := raw[hdrLen:]

	ext := &Ext{ByteOrder: bo}
	index := map[string]int{}
	section := func(name string, nameOff uint32) *ExtSection {
		i, ok := index[name]
		if !ok {
			i = len(ext.Sections)
			index[name] = i
			ext.Sections = append(ext.Sections, ExtSection{Name: name, NameOff: nameOff})
		}
		return &ext.Sections[i]
	}

	subs := []struct {
		name     string
		hdrOff   int
		minSize  uint32
		decode   func(sec *ExtSection, rec []byte) error
		optional bool
	}{
		{"func_info", 8, FuncInfoSize, func(sec *ExtSection, r []byte) error {
			fi := FuncInfo{InsnOff: bo.Uint32(r), TypeID: TypeID(bo.Uint32(r[4:]))}
			if int(fi.TypeID) >= spec.NumTypes() {
				return fmt.Errorf("type id %d out of range", fi.TypeID)
			}
			sec.FuncInfos = append(sec.FuncInfos, fi)
			return nil
		}, false},
		{"line_info", 16, LineInfoSize, func(sec *ExtSection, r []byte) error {
			li := LineInfo{InsnOff: bo.Uint32(r), FileNameOff: bo.Uint32(r[4:]), LineOff: bo.Uint32(r[8:]), LineCol: bo.Uint32(r[12:])}
			if _, err := spec.nameAt(li.FileNameOff); err != nil {
				return fmt.Errorf("file name: %w", err)
			}
			if _, err := spec.nameAt(li.LineOff); err != nil {
				return fmt.Errorf("line: %w", err)
			}
			sec.LineInfos = append(sec.LineInfos, li)
			return nil
		}, false},
		{"core_relo", 24, CORERelocSize, func(sec *ExtSection, r []byte) error {
			cr := CORERelo{InsnOff: bo.Uint32(r), TypeID: TypeID(bo.Uint32(r[4:])), AccessStrOff: bo.Uint32(r[8:]), Kind: COREKind(bo.Uint32(r[12:]))}
			if int(cr.TypeID) >= spec.NumTypes() {
				return fmt.Errorf("type id %d out of range", cr.TypeID)
			}
			if _, err := spec.nameAt(cr.AccessStrOff); err != nil {
				return fmt.Errorf("access string: %w", err)
			}
			sec.CORERelos = append(sec.CORERelos, cr)
			return nil
		}, true},
	}
	for _, sub := range subs {
		if sub.hdrOff+8 > int(hdrLen) {
			continue // an older header without this subsection
		}
		off := bo.Uint32(raw[sub.hdrOff:])
		size := bo.Uint32(raw[sub.hdrOff+4:])
		if size == 0 {
			continue
		}
		if uint64(off)+uint64(size) > uint64(len(body)) {
			return nil, fmt.Errorf("btf.ext: %s subsection [%#x, +%#x) beyond end of section (%#x bytes after header)", sub.name, off, size, len(body))
		}
		base := int(hdrLen) + int(off) // offset of the subsection in raw
		data := body[off : off+size]
		if len(data) < 4 {
			return nil, fmt.Errorf("btf.ext: %s at offset %#x: truncated record size", sub.name, base)
		}
		recSize := bo.Uint32(data)
		if recSize < sub.minSize {
			return nil, fmt.Errorf("btf.ext: %s at offset %#x: record size %d is less than %d", sub.name, base, recSize, sub.minSize)
		}
		for pos := 4; pos < len(data); {
			at := base + pos
			if len(data)-pos < 8 {
				return nil, fmt.Errorf("btf.ext: %s at offset %#x: truncated section header (%d bytes left)", sub.name, at, len(data)-pos)
			}
			nameOff := bo.Uint32(data[pos:])
			num := bo.Uint32(data[pos+4:])
			pos += 8
			name, err := spec.nameAt(nameOff)
			if err != nil {
				return nil, fmt.Errorf("btf.ext: %s at offset %#x: section name: %w", sub.name, at, err)
			}
			if uint64(num)*uint64(recSize) > uint64(len(data)-pos) {
				return nil, fmt.Errorf("btf.ext: %s for section %q at offset %#x: %d records of %d bytes exceed remaining %d bytes",
					sub.name, name, at, num, recSize, len(data)-pos)
			}
			sec := section(name, nameOff)
			for i := 0; i < int(num); i++ {
				rec := data[pos : pos+int(recSize)]
				if err := sub.decode(sec, rec); err != nil {
					return nil, fmt.Errorf("btf.ext: %s for section %q, record %d at offset %#x: %w", sub.name, name, i, base+pos, err)
				}
				pos += int(recSize)
			}
		}
	}
	return ext, nil
}

// MarshalFuncInfos encodes func_info records, FuncInfoSize bytes each.
func MarshalFuncInfos(recs []FuncInfo, bo binary.ByteOrder) []byte {
	b := make([]byte, len(recs)*FuncInfoSize)
	for i, r := range recs {
		o := b[i*FuncInfoSize:]
		bo.PutUint32(o, r.InsnOff)
		bo.PutUint32(o[4:], uint32(r.TypeID))
	}
	return b
}

// MarshalLineInfos encodes line_info records, LineInfoSize bytes each.
func MarshalLineInfos(recs []LineInfo, bo binary.ByteOrder) []byte {
	b := make([]byte, len(recs)*LineInfoSize)
	for i, r := range recs {
		o := b[i*LineInfoSize:]
		bo.PutUint32(o, r.InsnOff)
		bo.PutUint32(o[4:], r.FileNameOff)
		bo.PutUint32(o[8:], r.LineOff)
		bo.PutUint32(o[12:], r.LineCol)
	}
	return b
}

// MarshalCORERelos encodes bpf_core_relo records, CORERelocSize bytes each.
func MarshalCORERelos(recs []CORERelo, bo binary.ByteOrder) []byte {
	b := make([]byte, len(recs)*CORERelocSize)
	for i, r := range recs {
		o := b[i*CORERelocSize:]
		bo.PutUint32(o, r.InsnOff)
		bo.PutUint32(o[4:], uint32(r.TypeID))
		bo.PutUint32(o[8:], r.AccessStrOff)
		bo.PutUint32(o[12:], uint32(r.Kind))
	}
	return b
}
