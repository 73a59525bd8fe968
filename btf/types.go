// Package btf reads and writes raw BTF and BTF.ext.
//
// Types are kept flat and by id, exactly as they appear in the object, so
// that marshalling gives back bytes with every type id and string offset
// unchanged: func_info, line_info and CO-RE records that refer to them pass
// through untouched. The only edits bpfgen makes are to DATASEC sizes and
// variable offsets, which the compiler leaves for the loader to fill in.
package btf

import "encoding/binary"

// TypeID is the index of a type; 0 is void.
type TypeID uint32

// Kind is a BTF type kind.
type Kind uint8

// BTF kinds, numbered as in the kernel's uapi/linux/btf.h.
const (
	KindUnknown   Kind = 0
	KindInt       Kind = 1
	KindPtr       Kind = 2
	KindArray     Kind = 3
	KindStruct    Kind = 4
	KindUnion     Kind = 5
	KindEnum      Kind = 6
	KindFwd       Kind = 7
	KindTypedef   Kind = 8
	KindVolatile  Kind = 9
	KindConst     Kind = 10
	KindRestrict  Kind = 11
	KindFunc      Kind = 12
	KindFuncProto Kind = 13
	KindVar       Kind = 14
	KindDatasec   Kind = 15
	KindFloat     Kind = 16
	KindDeclTag   Kind = 17
	KindTypeTag   Kind = 18
	KindEnum64    Kind = 19
)

// Linkage of a FUNC (in Vlen) or a VAR.
const (
	LinkageStatic = 0
	LinkageGlobal = 1
	LinkageExtern = 2
)

// INT encoding bits.
const (
	IntSigned = 1 << 0
	IntChar   = 1 << 1
	IntBool   = 1 << 2
)

// Type is one BTF type record, flat. Which fields are used depends on Kind.
type Type struct {
	Kind     Kind
	Name     string
	NameOff  uint32 // offset of Name in the string section
	KindFlag bool
	// Vlen is the raw vlen field. For FUNC it holds the linkage; for the
	// kinds with trailing records it equals the number of those records.
	Vlen uint16
	// Size is the byte size of INT, ENUM, ENUM64, STRUCT, UNION, DATASEC
	// and FLOAT. For ARRAY and FWD, which use neither Size nor Type, it
	// keeps the raw (normally zero) size/type field.
	Size uint32
	// Type is the referenced type of PTR, TYPEDEF, VOLATILE, CONST,
	// RESTRICT, TYPE_TAG, FUNC, VAR, DECL_TAG, and the return type of a
	// FUNC_PROTO.
	Type TypeID

	IntEncoding  uint8        // INT: IntSigned|IntChar|IntBool
	IntOffset    uint8        // INT: bit offset
	IntBits      uint8        // INT: bit size
	Array        Array        // ARRAY
	Members      []Member     // STRUCT, UNION
	Enums        []EnumValue  // ENUM, ENUM64 (KindFlag set: signed)
	Params       []Param      // FUNC_PROTO
	Linkage      uint32       // VAR
	Vars         []VarSecinfo // DATASEC
	ComponentIdx int32        // DECL_TAG: -1 for the type itself
}

// Array is the payload of an ARRAY type.
type Array struct {
	Type      TypeID
	IndexType TypeID
	Nelems    uint32
}

// Member is a STRUCT or UNION member. Offset is in bits; with the parent's
// KindFlag set, BitfieldSize is the bitfield width (0 for a plain member).
type Member struct {
	Name         string
	NameOff      uint32
	Type         TypeID
	Offset       uint32
	BitfieldSize uint8
}

// EnumValue is one enumerator; 32-bit enums keep Value sign-extended when
// the enum is signed.
type EnumValue struct {
	Name    string
	NameOff uint32
	Value   int64
}

// Param is one FUNC_PROTO parameter; a variadic tail is a param with
// NameOff 0 and Type 0.
type Param struct {
	Name    string
	NameOff uint32
	Type    TypeID
}

// VarSecinfo places a VAR (or a FUNC, for .ksyms) inside a DATASEC.
type VarSecinfo struct {
	Type   TypeID
	Offset uint32
	Size   uint32
}

// FuncInfo ties an instruction to its FUNC type. InsnOff is in bytes from
// the start of the ELF section in the object file, and in instructions once
// handed to the kernel (see the load phase).
type FuncInfo struct {
	InsnOff uint32
	TypeID  TypeID
}

// LineInfo ties an instruction to a source line.
type LineInfo struct {
	InsnOff     uint32
	FileNameOff uint32
	LineOff     uint32
	LineCol     uint32 // line << 10 | column
}

// COREKind is a CO-RE relocation kind (enum bpf_core_relo_kind).
type COREKind uint32

// CORERelo is one CO-RE relocation record (struct bpf_core_relo, 16 bytes).
// InsnOff is in bytes.
type CORERelo struct {
	InsnOff      uint32
	TypeID       TypeID
	AccessStrOff uint32
	Kind         COREKind
}

// Record sizes bpfgen writes for the kernel.
const (
	FuncInfoSize  = 8
	LineInfoSize  = 16
	CORERelocSize = 16
)

// ExtSection holds the BTF.ext records of one ELF section.
type ExtSection struct {
	Name string
	// NameOff is the string offset of Name in the object's .BTF (where it
	// first appeared in the .BTF.ext).
	NameOff   uint32
	FuncInfos []FuncInfo
	LineInfos []LineInfo
	CORERelos []CORERelo
}

// Ext is a parsed .BTF.ext section: per ELF section, in file order.
type Ext struct {
	ByteOrder binary.ByteOrder
	Sections  []ExtSection
}
