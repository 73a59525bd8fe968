package load

import (
	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/object"
)

// Handle names a kernel object a backend created: a real fd for the direct
// backend, a slot of the loader program for the generator. The load phase
// never looks inside it.
type Handle int

// NoHandle is the zero value of an optional handle (no BTF, no inner map).
const NoHandle Handle = -1

// Backend carries out the kernel calls the load phase decides on. Every
// method is called in the order a direct load performs its syscalls; the
// generator records them, in that order, as a loader program.
type Backend interface {
	// LoadBTF loads the object's raw BTF.
	LoadBTF(raw []byte) (Handle, error)

	// CreateMap creates a map. For an inner-map template Index is -1.
	CreateMap(m *MapSpec) (Handle, error)

	// ResolveKconfig fills the .kconfig map image for the target kernel.
	// The direct backend reads this kernel's config now; the generator
	// records the externs so the runner can do it on the target.
	ResolveKconfig(m *object.Map, externs []*object.Extern, image []byte) ([]byte, error)

	// UpdateElem sets one element of a map (initial global data, or a
	// map-in-map / program-array slot). A write marked Value.Init is
	// skipped for a map that was not created but reused (a pin, a map
	// passed in), as libbpf skips it.
	UpdateElem(m Handle, mapIndex int, key []byte, value Value) error

	// Freeze makes a map read-only for user space; skipped for a reused
	// map, which its creator froze or not.
	Freeze(m Handle, mapIndex int) error

	// LoadProgram loads one fully linked program, applying its fix-ups.
	LoadProgram(p *ProgSpec) (Handle, error)

	// StructOpsLayout lays out the kernel struct a struct_ops map
	// implements, and its map value, as the target kernel has them. The
	// direct backend reads this kernel's BTF; the generator reads the BTF
	// it was given and makes the loader check the layout on the target.
	StructOpsLayout(name string) (*KernelStruct, error)

	// StructOpsValue completes the value of the struct_ops map m once its
	// programs are loaded (their fds in the function pointer slots) and
	// keeps it for the caller to register (AttachStructOps): the direct
	// backend returns it, the generator hands it to the runner through
	// the context and returns nil.
	StructOpsValue(m Handle, s *StructOpsSpec) ([]byte, error)

	// Close releases a handle that is no longer needed (or, on failure,
	// everything created so far).
	Close(h Handle) error
}

// MapSpec is what the kernel needs to create a map.
type MapSpec struct {
	// Index is the map's index in object.Object.Maps, -1 for an inner-map
	// template.
	Index      int
	Map        *object.Map
	Name       string // kernel name, at most 15 bytes
	Type       uint32
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	NumaNode   uint32
	MapExtra   uint64
	BTF        Handle // NoHandle if no BTF ids are passed
	BTFKeyID   btf.TypeID
	BTFValueID btf.TypeID
	Inner      Handle // inner-map template for map-in-map, else NoHandle
	// StructOps is the kernel struct of a struct_ops map, nil for other
	// maps: the value type is StructOpsValuePrefix + its name, in vmlinux
	// or the module BTF that has it.
	StructOps *KernelStruct
}

// Value is a map value to write: either bytes, or the fd behind a handle
// (a map-in-map or program-array slot).
type Value struct {
	Bytes []byte
	// FD is used when Bytes is nil.
	FD Handle
	// Init marks a write that initialises a new map (initial global data,
	// map-in-map slots): a reused map keeps what it holds.
	Init bool
}

// ProgSpec is a linked program ready for BPF_PROG_LOAD.
type ProgSpec struct {
	// Index is the program's index among object.Object.Programs().
	Index int
	Func  *object.Function
	Name  string // kernel name, at most 15 bytes

	Type        uint32
	AttachType  uint32
	Flags       uint32
	License     string
	KernVersion uint32

	// Insns is the program with every sub-program it calls appended;
	// instructions named in Fixups still hold placeholders.
	Insns  []asm.Insn
	Fixups []Fixup

	BTF       Handle
	FuncInfos []btf.FuncInfo // InsnOff in instructions
	LineInfos []btf.LineInfo // InsnOff in instructions
	CORERelos []btf.CORERelo // InsnOff in bytes, as the kernel wants

	// Target is the kernel BTF object the program attaches to (fentry,
	// fexit, fmod_ret, tp_btf, lsm, iter), empty otherwise.
	Target AttachTarget
	// TargetProg is the function of another BPF program an freplace
	// program replaces; nil for other programs.
	TargetProg *ProgTarget
}

// AttachTarget names the kernel type a BTF-attached program hooks.
type AttachTarget struct {
	Name string   // the name looked up in kernel BTF, prefix included
	Kind btf.Kind // KindFunc or KindTypedef
}

// FixupKind says how an instruction is completed by the backend.
type FixupKind int

// Fix-up kinds.
const (
	// FixupMap: ld_imm64 of the map behind Map.
	FixupMap FixupKind = iota + 1
	// FixupMapValue: ld_imm64 of the value of Map at the offset already
	// held in the second slot's immediate.
	FixupMapValue
	// FixupKsymBTF: ld_imm64 of a typed ksym (BTF id and BTF object) named
	// Name, of BTF kind Kind.
	FixupKsymBTF
	// FixupKsymAddr: ld_imm64 of a typeless ksym's address.
	FixupKsymAddr
	// FixupKfunc: call of a kfunc Name.
	FixupKfunc
)

// Fixup completes one instruction of a ProgSpec.
type Fixup struct {
	Insn     int // index into ProgSpec.Insns
	Kind     FixupKind
	Map      Handle
	MapIndex int // index in object.Object.Maps, for FixupMap(Value)
	Name     string
	BTFKind  btf.Kind
	Weak     bool
}
