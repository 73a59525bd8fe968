package btf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"math"
	"strings"
	"sync"
)

// ErrNotFound is wrapped by lookups that find nothing.
var ErrNotFound = errors.New("not found")

const (
	btfMagic      = 0xeB9F
	btfVersion    = 1
	btfHeaderSize = 24
	typeHdrSize   = 12 // name_off, info, size/type

	// maxHeaderLen bounds hdr_len: the kernel accepts a longer header only
	// with zero trailing bytes, and nothing sane needs more than a page.
	maxHeaderLen = 4096
)

// Spec is a parsed BTF blob: its types by id and its string table.
//
// A Spec is read-only after Parse except through SetDatasec; pointers
// returned by Type and friends point into the Spec and must not be modified.
// Lookups are safe for concurrent use, SetDatasec is not.
type Spec struct {
	bo     binary.ByteOrder
	hdrLen uint32

	// types holds this blob's own types; types[i] has id firstID+i. For a
	// base Spec, firstID is 0 and types[0] is void.
	types   []Type
	firstID TypeID

	// strings is this blob's own string table; its offset 0 is string
	// offset strBase (non-zero for split BTF, whose offsets continue the
	// base's).
	strings string
	strBase uint32

	base *Spec

	nameOnce  sync.Once
	nameIndex map[nameKey]TypeID
}

type nameKey struct {
	name string
	kind Kind
}

// Parse parses a raw BTF blob (a .BTF section or /sys/kernel/btf/vmlinux).
// The byte order is taken from the magic.
func Parse(raw []byte) (*Spec, error) {
	return parse(raw, nil)
}

// ParseSplit parses split BTF (a kernel module's /sys/kernel/btf/NAME) on
// top of base: its type ids start at base.NumTypes() and its string offsets
// at the end of base's string table.
func ParseSplit(raw []byte, base *Spec) (*Spec, error) {
	if base == nil {
		return nil, errors.New("btf: split BTF without a base")
	}
	return parse(raw, base)
}

type header struct {
	bo                               binary.ByteOrder
	hdrLen                           uint32
	typeOff, typeLen, strOff, strLen uint32
}

func parseHeader(raw []byte) (header, error) {
	var h header
	if len(raw) < 8 {
		return h, fmt.Errorf("btf: header: %d bytes, need at least %d", len(raw), btfHeaderSize)
	}
	switch {
	case binary.LittleEndian.Uint16(raw) == btfMagic:
		h.bo = binary.LittleEndian
	case binary.BigEndian.Uint16(raw) == btfMagic:
		h.bo = binary.BigEndian
	default:
		return h, fmt.Errorf("btf: header: bad magic %#04x", binary.LittleEndian.Uint16(raw))
	}
	if raw[2] != btfVersion {
		return h, fmt.Errorf("btf: header: unsupported version %d", raw[2])
	}
	if raw[3] != 0 {
		return h, fmt.Errorf("btf: header: unsupported flags %#x", raw[3])
	}
	h.hdrLen = h.bo.Uint32(raw[4:])
	if h.hdrLen < btfHeaderSize {
		return h, fmt.Errorf("btf: header: hdr_len %d is less than %d", h.hdrLen, btfHeaderSize)
	}
	if uint64(h.hdrLen) > uint64(len(raw)) {
		return h, fmt.Errorf("btf: header: hdr_len %d exceeds blob size %d", h.hdrLen, len(raw))
	}
	if h.hdrLen > maxHeaderLen {
		return h, fmt.Errorf("btf: header: hdr_len %d is larger than %d", h.hdrLen, maxHeaderLen)
	}
	for i := btfHeaderSize; i < int(h.hdrLen); i++ {
		if raw[i] != 0 {
			return h, fmt.Errorf("btf: header: unknown non-zero header byte at offset %#x", i)
		}
	}
	h.typeOff = h.bo.Uint32(raw[8:])
	h.typeLen = h.bo.Uint32(raw[12:])
	h.strOff = h.bo.Uint32(raw[16:])
	h.strLen = h.bo.Uint32(raw[20:])
	body := uint64(len(raw)) - uint64(h.hdrLen)
	if h.typeOff%4 != 0 {
		return h, fmt.Errorf("btf: header: type section offset %#x is not 4-byte aligned", h.typeOff)
	}
	if uint64(h.typeOff)+uint64(h.typeLen) > body {
		return h, fmt.Errorf("btf: header: type section [%#x, +%#x) beyond end of data (%#x bytes after header)", h.typeOff, h.typeLen, body)
	}
	if uint64(h.strOff)+uint64(h.strLen) > body {
		return h, fmt.Errorf("btf: header: string section [%#x, +%#x) beyond end of data (%#x bytes after header)", h.strOff, h.strLen, body)
	}
	return h, nil
}

// trailing returns the size of the records that follow a type of kind k
// with the given vlen, and whether the kind is known.
func trailing(k Kind, vlen uint16) (int, bool) {
	n := int(vlen)
	switch k {
	case KindInt, KindVar, KindDeclTag:
		return 4, true
	case KindArray:
		return 12, true
	case KindStruct, KindUnion, KindEnum64, KindDatasec:
		return 12 * n, true
	case KindEnum, KindFuncProto:
		return 8 * n, true
	case KindPtr, KindFwd, KindTypedef, KindVolatile, KindConst, KindRestrict,
		KindFunc, KindFloat, KindTypeTag:
		return 0, true
	}
	return 0, false
}

// info word layout.
const (
	infoVlenMask = 0x0000ffff
	infoKindMask = 0x1f000000
	infoKflag    = 0x80000000
	infoUnused   = ^uint32(infoVlenMask | infoKindMask | infoKflag)

	intBitsMask     = 0x000000ff
	intOffsetMask   = 0x00ff0000
	intEncodingMask = 0x0f000000
	intUnused       = ^uint32(intBitsMask | intOffsetMask | intEncodingMask)
)

func parse(raw []byte, base *Spec) (*Spec, error) {
	h, err := parseHeader(raw)
	if err != nil {
		return nil, err
	}
	if base != nil && base.bo != h.bo {
		return nil, fmt.Errorf("btf: split BTF is %v but its base is %v", h.bo, base.bo)
	}
	s := &Spec{bo: h.bo, hdrLen: h.hdrLen, base: base}
	if base != nil {
		n := base.NumTypes()
		strEnd := uint64(base.strBase) + uint64(len(base.strings))
		if strEnd > math.MaxUint32 {
			return nil, errors.New("btf: base string table too large")
		}
		s.firstID = TypeID(n)
		s.strBase = uint32(strEnd)
	}

	strStart := int(h.hdrLen) + int(h.strOff)
	strSec := raw[strStart : strStart+int(h.strLen)]
	if base == nil {
		if len(strSec) == 0 {
			return nil, fmt.Errorf("btf: string section at offset %#x: empty", strStart)
		}
		if strSec[0] != 0 {
			return nil, fmt.Errorf("btf: string section at offset %#x: first byte is not NUL", strStart)
		}
	}
	if len(strSec) > 0 && strSec[len(strSec)-1] != 0 {
		return nil, fmt.Errorf("btf: string section at offset %#x: not NUL-terminated", strStart)
	}
	// One copy of the table; every name is a substring of it, so names
	// cost no allocation and the caller may reuse raw.
	s.strings = string(strSec)

	typeStart := int(h.hdrLen) + int(h.typeOff)
	if err := s.parseTypes(raw[typeStart:typeStart+int(h.typeLen)], typeStart); err != nil {
		return nil, err
	}
	if err := s.checkRefs(); err != nil {
		return nil, err
	}
	return s, nil
}

// counts of trailing records, gathered in a first pass so that the second
// pass allocates each kind of record exactly once.
type recCounts struct {
	types, members, enums, params, vars int
}

func (s *Spec) parseTypes(sec []byte, secOff int) error {
	bo := s.bo
	// Pass 1: walk the headers, check every type's records fit, count.
	var c recCounts
	for off := 0; off < len(sec); {
		id := int(s.firstID) + c.types
		if s.base == nil {
			id++
		}
		if len(sec)-off < typeHdrSize {
			return fmt.Errorf("btf: type %d at offset %#x: truncated type header (%d bytes left)", id, secOff+off, len(sec)-off)
		}
		info := bo.Uint32(sec[off+4:])
		if info&infoUnused != 0 {
			return fmt.Errorf("btf: type %d at offset %#x: unknown bits set in info %#x", id, secOff+off, info)
		}
		kind := Kind((info & infoKindMask) >> 24)
		vlen := uint16(info & infoVlenMask)
		n, ok := trailing(kind, vlen)
		if !ok || kind == KindUnknown {
			return fmt.Errorf("btf: type %d at offset %#x: unknown kind %d", id, secOff+off, kind)
		}
		if n > len(sec)-off-typeHdrSize {
			return fmt.Errorf("btf: type %d at offset %#x: %s vlen %d: %d bytes of records exceed remaining %d bytes",
				id, secOff+off, kind, vlen, n, len(sec)-off-typeHdrSize)
		}
		switch kind {
		case KindStruct, KindUnion:
			c.members += int(vlen)
		case KindEnum, KindEnum64:
			c.enums += int(vlen)
		case KindFuncProto:
			c.params += int(vlen)
		case KindDatasec:
			c.vars += int(vlen)
		}
		c.types++
		off += typeHdrSize + n
	}
	if uint64(s.firstID)+uint64(c.types)+1 > math.MaxUint32 {
		return errors.New("btf: too many types")
	}

	// Pass 2: decode. Records of each kind come from one backing array.
	first := 0
	if s.base == nil {
		first = 1 // types[0] is void
	}
	s.types = make([]Type, first+c.types)
	members := make([]Member, c.members)
	enums := make([]EnumValue, c.enums)
	params := make([]Param, c.params)
	vars := make([]VarSecinfo, c.vars)
	off := 0
	for i := first; i < len(s.types); i++ {
		t := &s.types[i]
		id := s.firstID + TypeID(i)
		at := secOff + off
		nameOff := bo.Uint32(sec[off:])
		info := bo.Uint32(sec[off+4:])
		sizeType := bo.Uint32(sec[off+8:])
		t.Kind = Kind((info & infoKindMask) >> 24)
		t.Vlen = uint16(info & infoVlenMask)
		t.KindFlag = info&infoKflag != 0
		t.NameOff = nameOff
		name, err := s.nameAt(nameOff)
		if err != nil {
			return fmt.Errorf("btf: type %d at offset %#x: name: %w", id, at, err)
		}
		t.Name = name
		switch t.Kind {
		case KindInt, KindEnum, KindEnum64, KindStruct, KindUnion, KindDatasec, KindFloat,
			KindArray, KindFwd:
			// ARRAY and FWD use neither; the raw value is kept in Size so
			// that it survives a round trip.
			t.Size = sizeType
		default:
			t.Type = TypeID(sizeType)
		}
		rec := sec[off+typeHdrSize:]
		vlen := int(t.Vlen)
		switch t.Kind {
		case KindInt:
			v := bo.Uint32(rec)
			if v&intUnused != 0 {
				return fmt.Errorf("btf: type %d at offset %#x: INT: unknown bits set in %#x", id, at, v)
			}
			t.IntEncoding = uint8((v & intEncodingMask) >> 24)
			t.IntOffset = uint8((v & intOffsetMask) >> 16)
			t.IntBits = uint8(v & intBitsMask)
		case KindArray:
			t.Array = Array{Type: TypeID(bo.Uint32(rec)), IndexType: TypeID(bo.Uint32(rec[4:])), Nelems: bo.Uint32(rec[8:])}
		case KindStruct, KindUnion:
			t.Members, members = members[:vlen:vlen], members[vlen:]
			for j := range t.Members {
				m := &t.Members[j]
				r := rec[12*j:]
				m.NameOff = bo.Uint32(r)
				if m.Name, err = s.nameAt(m.NameOff); err != nil {
					return fmt.Errorf("btf: type %d at offset %#x: member %d name: %w", id, at, j, err)
				}
				m.Type = TypeID(bo.Uint32(r[4:]))
				m.Offset = bo.Uint32(r[8:])
				if t.KindFlag {
					m.BitfieldSize = uint8(m.Offset >> 24)
					m.Offset &= 0xffffff
				}
			}
		case KindEnum:
			t.Enums, enums = enums[:vlen:vlen], enums[vlen:]
			for j := range t.Enums {
				e := &t.Enums[j]
				r := rec[8*j:]
				e.NameOff = bo.Uint32(r)
				if e.Name, err = s.nameAt(e.NameOff); err != nil {
					return fmt.Errorf("btf: type %d at offset %#x: enumerator %d name: %w", id, at, j, err)
				}
				v := bo.Uint32(r[4:])
				if t.KindFlag {
					e.Value = int64(int32(v))
				} else {
					e.Value = int64(v)
				}
			}
		case KindEnum64:
			t.Enums, enums = enums[:vlen:vlen], enums[vlen:]
			for j := range t.Enums {
				e := &t.Enums[j]
				r := rec[12*j:]
				e.NameOff = bo.Uint32(r)
				if e.Name, err = s.nameAt(e.NameOff); err != nil {
					return fmt.Errorf("btf: type %d at offset %#x: enumerator %d name: %w", id, at, j, err)
				}
				e.Value = int64(uint64(bo.Uint32(r[4:])) | uint64(bo.Uint32(r[8:]))<<32)
			}
		case KindFuncProto:
			t.Params, params = params[:vlen:vlen], params[vlen:]
			for j := range t.Params {
				p := &t.Params[j]
				r := rec[8*j:]
				p.NameOff = bo.Uint32(r)
				if p.Name, err = s.nameAt(p.NameOff); err != nil {
					return fmt.Errorf("btf: type %d at offset %#x: param %d name: %w", id, at, j, err)
				}
				p.Type = TypeID(bo.Uint32(r[4:]))
			}
		case KindVar:
			t.Linkage = bo.Uint32(rec)
		case KindDatasec:
			t.Vars, vars = vars[:vlen:vlen], vars[vlen:]
			for j := range t.Vars {
				r := rec[12*j:]
				t.Vars[j] = VarSecinfo{Type: TypeID(bo.Uint32(r)), Offset: bo.Uint32(r[4:]), Size: bo.Uint32(r[8:])}
			}
		case KindDeclTag:
			t.ComponentIdx = int32(bo.Uint32(rec))
		}
		n, _ := trailing(t.Kind, t.Vlen)
		off += typeHdrSize + n
	}
	return nil
}

// checkRefs makes sure every type id a type refers to exists.
func (s *Spec) checkRefs() error {
	n := uint64(s.NumTypes())
	bad := func(id TypeID, what string, ref TypeID) error {
		return fmt.Errorf("btf: type %d (%s): %s refers to type %d, but there are only %d types", id, s.kindOf(id), what, ref, n)
	}
	for i := range s.types {
		t := &s.types[i]
		id := s.firstID + TypeID(i)
		switch t.Kind {
		case KindPtr, KindTypedef, KindVolatile, KindConst, KindRestrict, KindTypeTag,
			KindFunc, KindVar, KindDeclTag, KindFuncProto:
			if uint64(t.Type) >= n {
				return bad(id, "type", t.Type)
			}
		case KindArray:
			if uint64(t.Array.Type) >= n {
				return bad(id, "element type", t.Array.Type)
			}
			if uint64(t.Array.IndexType) >= n {
				return bad(id, "index type", t.Array.IndexType)
			}
		}
		for j, m := range t.Members {
			if uint64(m.Type) >= n {
				return bad(id, fmt.Sprintf("member %d (%q)", j, m.Name), m.Type)
			}
		}
		for j, p := range t.Params {
			if uint64(p.Type) >= n {
				return bad(id, fmt.Sprintf("param %d", j), p.Type)
			}
		}
		for j, v := range t.Vars {
			if uint64(v.Type) >= n {
				return bad(id, fmt.Sprintf("var %d", j), v.Type)
			}
		}
	}
	return nil
}

func (s *Spec) kindOf(id TypeID) Kind {
	t, err := s.Type(id)
	if err != nil {
		return KindUnknown
	}
	return t.Kind
}

// nameAt returns the NUL-terminated string at off, looking in the base
// for offsets below strBase.
func (s *Spec) nameAt(off uint32) (string, error) {
	if off < s.strBase {
		return s.base.nameAt(off)
	}
	rel := uint64(off) - uint64(s.strBase)
	if rel >= uint64(len(s.strings)) {
		return "", fmt.Errorf("string offset %#x out of range (string table ends at %#x)", off, uint64(s.strBase)+uint64(len(s.strings)))
	}
	str := s.strings[rel:]
	// The table ends in NUL (checked by parse), so this always finds one.
	if i := strings.IndexByte(str, 0); i >= 0 {
		str = str[:i]
	}
	return str, nil
}

// ByteOrder is the byte order of the blob, and of Marshal's output.
func (s *Spec) ByteOrder() binary.ByteOrder { return s.bo }

// Base is the base Spec of split BTF, or nil.
func (s *Spec) Base() *Spec { return s.base }

// NumTypes is the number of type ids, including void and, for split BTF,
// the base's types: valid ids are 0..NumTypes()-1.
func (s *Spec) NumTypes() int {
	if s.base != nil {
		return int(s.firstID) + len(s.types)
	}
	return len(s.types)
}

// Type returns the type with the given id; id 0 is void (KindUnknown).
func (s *Spec) Type(id TypeID) (*Type, error) {
	if id < s.firstID {
		return s.base.Type(id)
	}
	i := uint64(id) - uint64(s.firstID)
	if i >= uint64(len(s.types)) {
		return nil, fmt.Errorf("btf: type id %d out of range (%d types): %w", id, s.NumTypes(), ErrNotFound)
	}
	return &s.types[i], nil
}

// Types iterates over all types in id order, starting with void (and, for
// split BTF, with the base's types).
func (s *Spec) Types() iter.Seq2[TypeID, *Type] {
	return func(yield func(TypeID, *Type) bool) {
		if s.base != nil {
			for id, t := range s.base.Types() {
				if !yield(id, t) {
					return
				}
			}
		}
		for i := range s.types {
			if !yield(s.firstID+TypeID(i), &s.types[i]) {
				return
			}
		}
	}
}

// StringAt returns the NUL-terminated string at offset off of the string
// table (continuing the base's for split BTF).
func (s *Spec) StringAt(off uint32) (string, error) {
	str, err := s.nameAt(off)
	if err != nil {
		return "", fmt.Errorf("btf: %w", err)
	}
	return str, nil
}

// TypeByName returns the first type (lowest id) with the given name and
// kind. The error wraps ErrNotFound when there is none.
func (s *Spec) TypeByName(name string, kind Kind) (TypeID, *Type, error) {
	if s.base != nil {
		id, t, err := s.base.TypeByName(name, kind)
		if err == nil {
			return id, t, nil
		}
	}
	s.nameOnce.Do(s.buildNameIndex)
	id, ok := s.nameIndex[nameKey{name, kind}]
	if !ok {
		return 0, nil, fmt.Errorf("btf: %s %q: %w", kind, name, ErrNotFound)
	}
	return id, &s.types[id-s.firstID], nil
}

func (s *Spec) buildNameIndex() {
	idx := make(map[nameKey]TypeID, len(s.types))
	for i := range s.types {
		t := &s.types[i]
		if t.Name == "" {
			continue
		}
		k := nameKey{t.Name, t.Kind}
		if _, dup := idx[k]; !dup {
			idx[k] = s.firstID + TypeID(i)
		}
	}
	s.nameIndex = idx
}

// IsModifier reports whether k is a kind Resolve skips: TYPEDEF, CONST,
// VOLATILE, RESTRICT and TYPE_TAG.
func (k Kind) IsModifier() bool {
	switch k {
	case KindTypedef, KindConst, KindVolatile, KindRestrict, KindTypeTag:
		return true
	}
	return false
}

// Resolve follows typedefs and qualifiers (TYPEDEF, CONST, VOLATILE,
// RESTRICT, TYPE_TAG) from id to the first other type. Loops of those
// kinds alone are an error; loops through a pointer are legal BTF and never
// reached here because Resolve stops at the pointer.
func (s *Spec) Resolve(id TypeID) (TypeID, *Type, error) {
	limit := s.NumTypes()
	cur := id
	for steps := 0; ; steps++ {
		t, err := s.Type(cur)
		if err != nil {
			return 0, nil, fmt.Errorf("btf: resolving type %d: %w", id, err)
		}
		if !t.Kind.IsModifier() {
			return cur, t, nil
		}
		if steps > limit {
			return 0, nil, fmt.Errorf("btf: type loop at id %d", cur)
		}
		cur = t.Type
	}
}

// Size returns the size in bytes of a type: INT, ENUM, ENUM64, STRUCT,
// UNION, FLOAT and DATASEC have their own, a PTR is 8, an ARRAY is its
// element's size times its length; typedefs, qualifiers and VAR take their
// target's size.
func (s *Spec) Size(id TypeID) (uint32, error) {
	limit := s.NumTypes()
	mult := uint64(1)
	cur := id
	for steps := 0; steps <= limit; steps++ {
		t, err := s.Type(cur)
		if err != nil {
			return 0, fmt.Errorf("btf: size of type %d: %w", id, err)
		}
		var size uint64
		switch t.Kind {
		case KindInt, KindEnum, KindEnum64, KindStruct, KindUnion, KindFloat, KindDatasec:
			size = uint64(t.Size)
		case KindPtr:
			size = 8
		case KindArray:
			// mult stays at most MaxUint32+1 (see below), so this cannot
			// overflow uint64.
			mult *= uint64(t.Array.Nelems)
			if mult > math.MaxUint32 {
				mult = math.MaxUint32 + 1
			}
			cur = t.Array.Type
			continue
		case KindTypedef, KindConst, KindVolatile, KindRestrict, KindTypeTag, KindVar:
			cur = t.Type
			continue
		default:
			return 0, fmt.Errorf("btf: size of type %d: type %d is %s, which has no size", id, cur, t.Kind)
		}
		total := mult * size
		if size != 0 && (mult > math.MaxUint32 || total > math.MaxUint32) {
			return 0, fmt.Errorf("btf: size of type %d overflows 32 bits", id)
		}
		if size == 0 {
			total = 0
		}
		return uint32(total), nil
	}
	return 0, fmt.Errorf("btf: size of type %d: type loop at id %d", id, cur)
}

// SetDatasec patches the size of the DATASEC id and the type, offset and
// size of its variables. The number of variables must stay the same; vars
// is copied.
func (s *Spec) SetDatasec(id TypeID, size uint32, vars []VarSecinfo) error {
	if id < s.firstID {
		return fmt.Errorf("btf: SetDatasec: type %d belongs to the base BTF", id)
	}
	t, err := s.Type(id)
	if err != nil {
		return fmt.Errorf("btf: SetDatasec: %w", err)
	}
	if t.Kind != KindDatasec {
		return fmt.Errorf("btf: SetDatasec: type %d is %s, not DATASEC", id, t.Kind)
	}
	if len(vars) != len(t.Vars) {
		return fmt.Errorf("btf: SetDatasec: DATASEC %d (%q) has %d vars, got %d", id, t.Name, len(t.Vars), len(vars))
	}
	n := uint64(s.NumTypes())
	for i, v := range vars {
		if uint64(v.Type) >= n {
			return fmt.Errorf("btf: SetDatasec: DATASEC %d (%q) var %d: type %d out of range", id, t.Name, i, v.Type)
		}
	}
	t.Size = size
	t.Vars = append([]VarSecinfo(nil), vars...)
	return nil
}

// Marshal encodes the Spec back into BTF the kernel accepts, in
// s.ByteOrder(), with the original header length, type ids and string table
// (so every string offset is unchanged). Split BTF marshals only its own
// types and strings.
func (s *Spec) Marshal() ([]byte, error) {
	first := 0
	if s.base == nil {
		first = 1
	}
	typeLen := 0
	for i := first; i < len(s.types); i++ {
		t := &s.types[i]
		n, ok := trailing(t.Kind, uint16(recordCount(t)))
		if !ok || t.Kind == KindUnknown {
			return nil, fmt.Errorf("btf: marshal type %d: unknown kind %d", s.firstID+TypeID(i), t.Kind)
		}
		if recordCount(t) > infoVlenMask {
			return nil, fmt.Errorf("btf: marshal type %d: %d records exceed vlen limit", s.firstID+TypeID(i), recordCount(t))
		}
		typeLen += typeHdrSize + n
	}
	hdrLen := int(s.hdrLen)
	if hdrLen < btfHeaderSize {
		hdrLen = btfHeaderSize
	}
	if uint64(typeLen)+uint64(len(s.strings)) > math.MaxUint32 {
		return nil, errors.New("btf: marshal: BTF too large")
	}
	buf := make([]byte, hdrLen+typeLen+len(s.strings))
	bo := s.bo
	bo.PutUint16(buf, btfMagic)
	buf[2] = btfVersion
	bo.PutUint32(buf[4:], uint32(hdrLen))
	bo.PutUint32(buf[8:], 0)
	bo.PutUint32(buf[12:], uint32(typeLen))
	bo.PutUint32(buf[16:], uint32(typeLen))
	bo.PutUint32(buf[20:], uint32(len(s.strings)))

	out := buf[hdrLen:]
	for i := first; i < len(s.types); i++ {
		out = s.types[i].encode(out, bo)
	}
	copy(out, s.strings)
	return buf, nil
}

// recordCount is the vlen Marshal writes for t.
func recordCount(t *Type) int {
	switch t.Kind {
	case KindStruct, KindUnion:
		return len(t.Members)
	case KindEnum, KindEnum64:
		return len(t.Enums)
	case KindFuncProto:
		return len(t.Params)
	case KindDatasec:
		return len(t.Vars)
	}
	return int(t.Vlen)
}

// encode writes t to b and returns the rest of b; b must be large enough.
func (t *Type) encode(b []byte, bo binary.ByteOrder) []byte {
	info := uint32(recordCount(t)) | uint32(t.Kind)<<24
	if t.KindFlag {
		info |= infoKflag
	}
	bo.PutUint32(b, t.NameOff)
	bo.PutUint32(b[4:], info)
	switch t.Kind {
	case KindInt, KindEnum, KindEnum64, KindStruct, KindUnion, KindDatasec, KindFloat,
		KindArray, KindFwd:
		bo.PutUint32(b[8:], t.Size)
	default:
		bo.PutUint32(b[8:], uint32(t.Type))
	}
	b = b[typeHdrSize:]
	switch t.Kind {
	case KindInt:
		bo.PutUint32(b, uint32(t.IntEncoding&0xf)<<24|uint32(t.IntOffset)<<16|uint32(t.IntBits))
		b = b[4:]
	case KindArray:
		bo.PutUint32(b, uint32(t.Array.Type))
		bo.PutUint32(b[4:], uint32(t.Array.IndexType))
		bo.PutUint32(b[8:], t.Array.Nelems)
		b = b[12:]
	case KindStruct, KindUnion:
		for _, m := range t.Members {
			off := m.Offset
			if t.KindFlag {
				off = off&0xffffff | uint32(m.BitfieldSize)<<24
			}
			bo.PutUint32(b, m.NameOff)
			bo.PutUint32(b[4:], uint32(m.Type))
			bo.PutUint32(b[8:], off)
			b = b[12:]
		}
	case KindEnum:
		for _, e := range t.Enums {
			bo.PutUint32(b, e.NameOff)
			bo.PutUint32(b[4:], uint32(e.Value))
			b = b[8:]
		}
	case KindEnum64:
		for _, e := range t.Enums {
			bo.PutUint32(b, e.NameOff)
			bo.PutUint32(b[4:], uint32(e.Value))
			bo.PutUint32(b[8:], uint32(uint64(e.Value)>>32))
			b = b[12:]
		}
	case KindFuncProto:
		for _, p := range t.Params {
			bo.PutUint32(b, p.NameOff)
			bo.PutUint32(b[4:], uint32(p.Type))
			b = b[8:]
		}
	case KindVar:
		bo.PutUint32(b, t.Linkage)
		b = b[4:]
	case KindDatasec:
		for _, v := range t.Vars {
			bo.PutUint32(b, uint32(v.Type))
			bo.PutUint32(b[4:], v.Offset)
			bo.PutUint32(b[8:], v.Size)
			b = b[12:]
		}
	case KindDeclTag:
		bo.PutUint32(b, uint32(t.ComponentIdx))
		b = b[4:]
	}
	return b
}

// Bitfield describes member i of the STRUCT or UNION t: its offset and size
// in bits, and whether it is a bitfield. With t's KindFlag set the width is
// in the member; without it, a bitfield is a member whose INT type (after
// typedefs and qualifiers) has a bit offset or fewer bits than its size.
func (s *Spec) Bitfield(t *Type, i int) (bitOffset, bitSize uint32, isBitfield bool, err error) {
	if t.Kind != KindStruct && t.Kind != KindUnion {
		return 0, 0, false, fmt.Errorf("btf: Bitfield: %s %q is not a struct or union", t.Kind, t.Name)
	}
	if i < 0 || i >= len(t.Members) {
		return 0, 0, false, fmt.Errorf("btf: Bitfield: %s %q has no member %d", t.Kind, t.Name, i)
	}
	m := t.Members[i]
	if t.KindFlag && m.BitfieldSize != 0 {
		return m.Offset, uint32(m.BitfieldSize), true, nil
	}
	_, mt, err := s.Resolve(m.Type)
	if err != nil {
		return 0, 0, false, err
	}
	if !t.KindFlag && mt.Kind == KindInt && (mt.IntOffset != 0 || uint32(mt.IntBits) != mt.Size*8) {
		return m.Offset + uint32(mt.IntOffset), uint32(mt.IntBits), true, nil
	}
	size, err := s.Size(m.Type)
	if err != nil {
		return 0, 0, false, err
	}
	return m.Offset, size * 8, false, nil
}

var kindNames = [...]string{
	KindUnknown:   "UNKNOWN",
	KindInt:       "INT",
	KindPtr:       "PTR",
	KindArray:     "ARRAY",
	KindStruct:    "STRUCT",
	KindUnion:     "UNION",
	KindEnum:      "ENUM",
	KindFwd:       "FWD",
	KindTypedef:   "TYPEDEF",
	KindVolatile:  "VOLATILE",
	KindConst:     "CONST",
	KindRestrict:  "RESTRICT",
	KindFunc:      "FUNC",
	KindFuncProto: "FUNC_PROTO",
	KindVar:       "VAR",
	KindDatasec:   "DATASEC",
	KindFloat:     "FLOAT",
	KindDeclTag:   "DECL_TAG",
	KindTypeTag:   "TYPE_TAG",
	KindEnum64:    "ENUM64",
}

// String returns the kernel's name for the kind, e.g. "STRUCT".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Build encodes types as base BTF in byte order bo and parses it back:
// types[0] gets id 1. Names are taken from the Name fields (the NameOff
// fields are ignored and set anew in a fresh string table); Vlen is used
// only as a FUNC's linkage. It is how BTF is written from scratch, by
// hand in tests or by generators.
func Build(bo binary.ByteOrder, types []Type) (*Spec, error) {
	var strs strings.Builder
	strs.WriteByte(0)
	offs := map[string]uint32{"": 0}
	str := func(s string) uint32 {
		if off, ok := offs[s]; ok {
			return off
		}
		off := uint32(strs.Len())
		strs.WriteString(s)
		strs.WriteByte(0)
		offs[s] = off
		return off
	}
	s := &Spec{bo: bo, hdrLen: btfHeaderSize, types: make([]Type, 1, len(types)+1)}
	for _, t := range types {
		t.NameOff = str(t.Name)
		t.Members = append([]Member(nil), t.Members...)
		for i := range t.Members {
			t.Members[i].NameOff = str(t.Members[i].Name)
		}
		t.Enums = append([]EnumValue(nil), t.Enums...)
		for i := range t.Enums {
			t.Enums[i].NameOff = str(t.Enums[i].Name)
		}
		t.Params = append([]Param(nil), t.Params...)
		for i := range t.Params {
			t.Params[i].NameOff = str(t.Params[i].Name)
		}
		s.types = append(s.types, t)
	}
	s.strings = strs.String()
	raw, err := s.Marshal()
	if err != nil {
		return nil, err
	}
	return Parse(raw)
}
