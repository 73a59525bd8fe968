package skeleton

// The data model the skeleton template (skeleton.go.tpl) renders. Every
// decision about the generated file (which names, which sections are
// mapped, which methods the program type gets, how a number is written)
// is made here, in Go; the template only lays the results out.

// file is one generated file: the skeleton of one object.
type file struct {
	// ObjectPath (slash-separated) and Command are for the header;
	// ObjectFile is the object's base name for doc comments.
	ObjectPath, Command, ObjectFile string
	// Arches is the build constraint of the object's byte order.
	Arches  string
	Package string
	// Imports are the import paths, in groups separated by a blank line.
	Imports [][]string

	Names names
	// Sections are the global-data sections (.bss, .data, .rodata,
	// .kconfig ...), in the object's map order.
	Sections []*section
	// Maps are the object's other maps, in the object's order.
	Maps []*mapField
	// Programs are the programs, in the object's (and loader's) order;
	// AutoAttach are those Attach attaches.
	Programs   []*program
	AutoAttach []*program
	// Methods are the methods of the program type.
	Methods methods
	// Freplace is set when freplace programs take their target program
	// through the options.
	Freplace bool
	// Probes is set when Attach attaches kprobe, kprobe.multi or uprobe
	// sections (the loader gets lskel.AttachProbe), Uprobes when it
	// resolves uprobe symbols (and so links lskel/elfsym).
	Probes, Uprobes bool

	// Types are the Go declarations of the C types the file uses (see
	// types.go), and SizeAsserts the compile-time checks of their sizes.
	Types, SizeAsserts []string

	Loader loader
}

// MappedSections are the sections mapped after load.
func (f *file) MappedSections() []*section {
	var ss []*section
	for _, s := range f.Sections {
		if s.Mapped {
			ss = append(ss, s)
		}
	}
	return ss
}

// names are the package-level identifiers of the generated file, all
// derived from the exported form of Options.Ident ("Minimal").
type names struct {
	Objects, Maps, Programs, Options, Program string
	Load, NewOptions, NewLoader               string
	LoaderData, LoaderInsns                   string
}

func newNames(exp string) names {
	unexp := unexport(exp)
	return names{
		Objects:     exp + "Objects",
		Maps:        exp + "Maps",
		Programs:    exp + "Programs",
		Options:     exp + "Options",
		Program:     exp + "Program",
		Load:        "Load" + exp,
		NewOptions:  "New" + exp + "Options",
		NewLoader:   "new" + exp + "Loader",
		LoaderData:  unexp + "LoaderData",
		LoaderInsns: unexp + "LoaderInsns",
	}
}

// all lists the names, for reserving them before C types get theirs.
func (n names) all() []string {
	return []string{n.Objects, n.Maps, n.Programs, n.Options, n.Program,
		n.Load, n.NewOptions, n.NewLoader, n.LoaderData, n.LoaderInsns}
}

// section is one global-data section.
type section struct {
	Section string // ELF section, ".rodata"
	MapName string // its map's name in the object, the key of initial values
	Index   int    // its map's index in the loader
	Field   string // field of the objects and options structs: Rodata
	Type    string // Go type of its contents: MinimalRodata
	// Mapped sections are mmapped after load (Writable ones read-write).
	Mapped, Writable bool
	// Option sections take an initial value from the options; Default
	// ones have a Default… function returning the object's.
	Option, Default bool
	// Init is the object's initial value without trailing zeros.
	Init string
	// InitialValueLen, when not 0, is the section's size, smaller than
	// its Go type: only that many bytes of the option are passed.
	InitialValueLen uint32
}

// mapField is one map that is not a global-data section.
type mapField struct {
	Name  string // in the object
	Index int    // in the loader
	Field string
	// GoType is *lskel.Map, or a typed wrapper (Typed) that embeds one.
	GoType string
	Typed  bool
}

// program is one program, with its loader descriptor.
type program struct {
	Name, Section string
	Index         int
	Field         string
	// Type and AttachType are Go expressions (unix.BPF_PROG_TYPE_XDP).
	Type, AttachType string
	AttachTo         string
	Loaded           bool
	TargetFunc       string
	Auto             bool // Attach attaches it
}

// methods says which attach methods the program type has, by the program
// kinds of the object; lskel.Program gives every one Attach and Test.
type methods struct {
	AttachXDP, AttachTCX, AttachCgroup, AttachPerfEvent, AttachUprobe bool
}

// loader is the loader descriptor and its embedded program.
type loader struct {
	Name               string
	DataLen, InsnCount int
	Maps               []mapDesc
	Steps              []string
	LogSteps           []uint32
	Kconfig            []kconfigVar
	KconfigMap         int
	// Data and Insns are the string literals of the blob and the
	// instructions (placeholders until after formatting, see Generate).
	Data, Insns string
	// Signed is set for a signed loader; InsnsHash, SigV1 and SigV2 are
	// then the literals of its instructions' SHA-256 and signatures.
	Signed                  bool
	InsnsHash, SigV1, SigV2 string
	// Table is set for a table loader; LoaderBTF and LoaderFuncInfo are
	// string literals of its program's BTF and func_info.
	Table                     bool
	LoaderBTF, LoaderFuncInfo string
}

// mapDesc is one map's loader descriptor; Type and Flags are Go
// expressions.
type mapDesc struct {
	Name, KernelName                    string
	Type, Flags                         string
	KeySize, ValueSize, MaxEntries      uint32
	Section                             string
	HasInitialValue, MaxEntriesFromCPUs bool
}

// kconfigVar is one kconfig extern's descriptor; Type is a Go
// expression (abi.KconfigInt).
type kconfigVar struct {
	Name         string
	Offset, Size uint32
	Type         string
	Signed, Weak bool
}
