// Package object is the open phase: it reads a clang-built BPF ELF object
// into an Object — programs, sub-programs, maps, externs and the
// relocations between them — without touching the kernel.
//
// Everything here is symbolic: a relocation says which map, function or
// extern an instruction refers to, never which fd. The load phase turns that
// into kernel objects through a backend.
package object

import (
	"encoding/binary"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Object is everything the open phase found in one ELF file.
type Object struct {
	// Name is the object name libbpf would use: for Open, the file's base
	// name up to its first '.' ("minimal.bpf.o" → "minimal"), for
	// OpenBytes the name given; at most 15 bytes. It prefixes the kernel
	// names of .data, .rodata, .bss and .kconfig maps.
	Name string
	// Path is the file Open read; empty for OpenBytes.
	Path        string
	ByteOrder   binary.ByteOrder
	License     string
	KernVersion uint32

	// BTF is the object's BTF with DATASECs patched; nil if it had none.
	BTF *btf.Spec

	// Functions holds every function in the object: main programs (in a
	// program section) and sub-programs (in .text), ordered by section
	// index and then by offset, which is libbpf's program order.
	Functions []*Function

	// Maps in libbpf's order: legacy "maps" section, BTF ".maps", global
	// data sections in section-index order, then ".kconfig". An inner map
	// template is not listed here; it hangs off its outer map.
	Maps []*Map

	// Externs are the object's kconfig and ksym externs in libbpf's
	// order: kconfig externs first, by alignment (largest first), size
	// (smallest first) and name; then ksyms and kfuncs by name. The
	// .kconfig offsets follow from this order.
	Externs []*Extern
}

// Programs returns the main programs (not sub-programs) in object order.
func (o *Object) Programs() []*Function {
	var progs []*Function
	for _, f := range o.Functions {
		if !f.Subprog {
			progs = append(progs, f)
		}
	}
	return progs
}

// Function is one BPF function: a program or a sub-program.
type Function struct {
	Name string
	// Section is the ELF section name, e.g. "tp/syscalls/sys_enter_getpid"
	// (with a leading "?" if the program is not autoloaded).
	Section string
	// SectionIndex and Offset (in bytes) place it in the ELF file.
	SectionIndex int
	Offset       uint64
	Global       bool
	// Hidden is set for a global symbol with hidden or internal
	// visibility; such sub-programs are static to the verifier.
	Hidden bool
	// Subprog is set for functions in .text: they are only loaded as part
	// of the programs that call them.
	Subprog bool

	// The fields below are meaningful for main programs and come from the
	// section-name table (SectionDef).
	Type       ProgType
	AttachType AttachType
	// AttachTo is the attach target named by the section, e.g.
	// "syscalls/sys_enter_getpid" for tp/, "do_unlinkat" for fentry/.
	AttachTo string
	Flags    uint32 // BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS ...
	// Autoload is false for SEC("?...") programs.
	Autoload bool
	// Def is the section-name table entry that matched.
	Def *SectionDef
	// StructOps is, for a struct_ops program, the kernel struct member a
	// struct_ops map of the object places it in; nil for other programs
	// and for struct_ops programs no map names (those are not loaded).
	StructOps *StructOpsTarget

	// Insns are the function's own instruction slots.
	Insns []asm.Insn
	// Relocs lists every instruction that refers to something outside
	// itself, by instruction index into Insns, in ascending order.
	Relocs []Reloc

	// BTF.ext records for this function, with InsnOff rebased to
	// instruction indexes from the start of Insns (not bytes).
	FuncInfos []btf.FuncInfo
	LineInfos []btf.LineInfo
	CORERelos []btf.CORERelo
}

// RelocKind says what an instruction refers to.
type RelocKind int

// Relocation kinds.
const (
	// RelocMap: an ld_imm64 that loads a map pointer (BPF_PSEUDO_MAP_FD).
	RelocMap RelocKind = iota + 1
	// RelocMapValue: an ld_imm64 that loads the address of Offset bytes
	// into the value of a single-element map (global data).
	RelocMapValue
	// RelocCall: a bpf-to-bpf call to Func.
	RelocCall
	// RelocFunc: an ld_imm64 with BPF_PSEUDO_FUNC: the address of Func,
	// used as a callback (bpf_loop, bpf_for_each_map_elem ...).
	RelocFunc
	// RelocExtern: an ld_imm64 of an extern. For a kconfig extern it reads
	// Offset bytes into the .kconfig map; for a typed ksym it is a
	// BPF_PSEUDO_BTF_ID; for a typeless ksym it is the symbol's address.
	RelocExtern
	// RelocKfunc: a call of a kernel function by BTF id.
	RelocKfunc
)

// Reloc is a symbolic reference from one instruction.
type Reloc struct {
	Insn int // index into Function.Insns
	Kind RelocKind
	// Map is the index into Object.Maps (RelocMap, RelocMapValue and
	// kconfig externs), -1 otherwise.
	Map int
	// Offset: RelocMapValue the byte offset in the map value; RelocExtern
	// of a kconfig, the extern's offset in .kconfig.
	Offset int64
	// Func is the called or referenced function (RelocCall, RelocFunc).
	Func *Function
	// Extern is the index into Object.Externs (RelocExtern, RelocKfunc),
	// -1 otherwise.
	Extern int
	// Symbol is the ELF symbol the relocation names, for error messages.
	Symbol string
}

// InternalKind tells global-data maps apart from ordinary ones.
type InternalKind int

// Internal map kinds.
const (
	NotInternal InternalKind = iota
	InternalData
	InternalRodata
	InternalBSS
	InternalKconfig
)

// Map is a map definition.
type Map struct {
	// Name is the map's name in the object (the variable name for BTF
	// maps; the section name such as ".rodata" for global data).
	Name string
	// KernelName is the name given to the kernel (at most 15 bytes),
	// built like libbpf's: object name prefix + section for internal maps.
	KernelName string
	Section    string

	Type       MapType
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	NumaNode   uint32
	MapExtra   uint64
	Pinning    uint32 // 0 none, 1 LIBBPF_PIN_BY_NAME

	// BTF ids of key and value in Object.BTF (0 when unknown or not
	// applicable to this map type).
	BTFKeyID   btf.TypeID
	BTFValueID btf.TypeID

	// Inner is the template of the inner map of a map-in-map.
	Inner *Map
	// Slots are the statically initialised slots of a map-in-map or a
	// program array (".values = { [i] = &x }").
	Slots []Slot

	Internal InternalKind
	// Contents is the initial value of a .data or .rodata map (ValueSize
	// bytes); nil for .bss and .kconfig, whose initial value is all zero
	// (until kconfig externs are resolved at load).
	Contents []byte
	// DatasecID is the BTF id of the DATASEC describing a global-data map,
	// 0 if there is none.
	DatasecID btf.TypeID

	// StructOps describes the value of a struct_ops map (its kernel
	// struct, data and programs); nil for other maps.
	StructOps *StructOps

	// Where the definition lives: ELF section index (-1 for .kconfig and
	// inner maps) and offset within it (BTF and legacy maps).
	secIdx int
	secOff uint64
}

// Slot is one statically initialised slot of a map-in-map or prog array.
type Slot struct {
	Index uint32
	// Map is the index into Object.Maps of the inner map (map-in-map), or
	// -1.
	Map int
	// Prog is the program placed in a program array, or nil.
	Prog *Function
}

// ExternKind tells kconfig externs from ksyms.
type ExternKind int

// Extern kinds.
const (
	ExternKconfig ExternKind = iota + 1
	ExternKsym
)

// Extern is a kconfig or ksym extern.
type Extern struct {
	Name string
	Kind ExternKind
	Weak bool
	// BTFID is the id of the extern's VAR (or FUNC for kfuncs) in
	// Object.BTF.
	BTFID btf.TypeID

	// Kconfig externs: place in the .kconfig map and how to read it.
	Offset      uint32
	Size        uint32
	KconfigType abi.KconfigType
	Signed      bool

	// Ksyms.
	// Typeless is set for "extern const void x __ksym" style symbols
	// resolved by address.
	Typeless bool
	// Func is set for kfuncs (the extern is a FUNC).
	Func bool
	// TargetKind is the BTF kind to look up in the kernel: KindVar for
	// typed variables, KindFunc for functions.
	TargetKind btf.Kind
	// EssentialName is Name without a "___flavour" suffix: the kernel
	// symbol actually looked up.
	EssentialName string
}
