// Package abi is the contract between bpfgen's loader generator and the
// runtime that runs loaders: the loader's description (Loader, MapDesc,
// ProgDesc, KconfigVar) and the layout of the context the loader program
// reads its inputs from and writes its fds to. It is for generated code,
// the generator and the runtime; a skeleton's user needs none of it.
//
// Defined once here, the layout cannot drift between the side that emits
// instructions reading it and the side that fills it in.
package abi

// Loader describes a loader program: what the generator produced and what
// the runtime needs to run it and hand out the results.
type Loader struct {
	// Name is the object's name.
	Name string `json:"name"`
	// Data is the blob: the value of the loader's single array map.
	Data []byte `json:"-"`
	// Insns is the loader program, encoded in the target's byte order.
	Insns []byte `json:"-"`
	// Maps and Progs are in the order of the context's descriptors.
	Maps  []MapDesc  `json:"maps"`
	Progs []ProgDesc `json:"progs"`
	// Steps names each step of the loader by number; the loader writes the
	// number of the step it is in into the context, so a failure can be
	// named.
	Steps []string `json:"steps"`
	// LogSteps lists the steps whose kernel call can take the context's
	// log buffer (BTF and program loads): only a failure of one of them
	// has a log to show. A load gets the log only when the context names
	// its step (CtxLogStepOff), so after a rerun for a failed step the
	// buffer holds that step's log and no other's.
	LogSteps []uint32 `json:"log_steps,omitempty"`
	// Kconfig lists the .kconfig externs to resolve on the target kernel
	// and the index of the .kconfig map in Maps (-1 if none).
	Kconfig    []KconfigVar `json:"kconfig,omitempty"`
	KconfigMap int          `json:"kconfig_map"`

	// Signed is set for a loader made to be signed: its first step
	// compares the kernel's SHA-256 of the frozen blob map with the
	// blob's hash in its instructions, and it ignores the context's
	// max_entries and initial values except the target's own (.kconfig
	// image, CPU count). The runtime loads it only with a signature the
	// kernel verifies, unless told to load it unsigned.
	Signed bool `json:"signed,omitempty"`
	// Signatures holds the loader's detached CMS signatures by scheme
	// (index SchemeV1, SchemeV2; nil: none for that scheme).
	Signatures [NumSchemes][]byte `json:"-"`
	// InsnsHash is the SHA-256 of Insns, computed at generation, for a
	// signed loader: the runtime makes the blob map exclusive to the
	// program with that hash (excl_prog_hash) without hashing anything
	// itself. A wrong value only makes the load fail.
	InsnsHash []byte `json:"insns_sha256,omitempty"`

	// MapFDsIn is set for loaders that take existing maps: a map
	// descriptor whose fd field the caller sets (TakesMapFD) makes the
	// loader use that map instead of creating one, and skip what
	// initialises a new map (initial value, freeze, map-in-map slots),
	// as libbpf does for a reused pinned map.
	MapFDsIn bool `json:"map_fds_in,omitempty"`

	// StructOps describes the struct_ops maps: the loader completes each
	// one's value (program fds in place) into the context, and the
	// runtime registers it when asked (lskel.AttachStructOps).
	StructOps []StructOpsDesc `json:"struct_ops,omitempty"`
	// LayoutCheck, set with StructOps, is a program that reads the
	// target kernel's layout of the struct_ops structs (kernel CO-RE)
	// into the context; the loader compares it with the layout it was
	// generated for and refuses a difference, naming struct and member.
	LayoutCheck *LayoutCheck `json:"layout_check,omitempty"`
	// CtxExtra is the size of the context after the descriptors: the
	// layout check's results and the struct_ops values.
	CtxExtra uint32 `json:"ctx_extra,omitempty"`

	// Table is set for a table-driven loader: Insns is the same
	// interpreter for every object and the blob holds its records
	// (docs/loader-format.md, "Table loaders"). Its blob map is an array
	// of TableElemSize-byte elements (a Signed one's: one value, what a
	// v2 signature covers, and Insns bound to its size class), the
	// loader program comes with its own BTF (LoaderBTF, LoaderFuncInfo:
	// the bpf_loop callback needs func_info), and the runtime reads the
	// fds from the blob's fd table (TableFDElem on) instead of the
	// context.
	Table          bool   `json:"table,omitempty"`
	LoaderBTF      []byte `json:"loader_btf,omitempty"`
	LoaderFuncInfo []byte `json:"loader_func_info,omitempty"`
}

// StructOpsDesc is one struct_ops map of a loader.
type StructOpsDesc struct {
	Map  int  `json:"map"`  // index in Loader.Maps
	Link bool `json:"link"` // registered through a link (BPF_F_LINK)
	// ValueOff and ValueSize place the completed value in the context.
	ValueOff  uint32 `json:"value_off"`
	ValueSize uint32 `json:"value_size"`
	// DataSize is the size of the object's struct: a map initial value
	// (MapDesc.HasInitialValue) holds it in its first DataSize bytes.
	DataSize uint32 `json:"data_size"`
}

// LayoutCheck is a BPF_PROG_TYPE_SYSCALL program, loaded with its own
// BTF and CO-RE records so that the kernel relocates it, that writes
// Results u32 values (sizes, offsets, existence of struct members) into
// its context; the runtime copies them into the loader's context at
// CtxOff before the loader runs.
type LayoutCheck struct {
	BTF       []byte `json:"btf"`
	Insns     []byte `json:"insns"`
	FuncInfo  []byte `json:"func_info"`  // one bpf_func_info record: the kernel applies CO-RE records only with it
	CORERelos []byte `json:"core_relos"` // bpf_core_relo records
	Results   uint32 `json:"results"`
	CtxOff    uint32 `json:"ctx_off"`
}

// TakesMapFD reports whether the loader uses an fd passed in map i's
// descriptor instead of creating the map: every map but struct_ops
// ones of an unsigned
// loader that takes map fds, and only the maps the object pins by name
// in a signed one (a map passed in otherwise changes what the signature
// covers).
func (l *Loader) TakesMapFD(i int) bool {
	return l.MapFDsIn && i >= 0 && i < len(l.Maps) && l.Maps[i].Type != mapTypeStructOps &&
		(!l.Signed || l.Maps[i].Pinning == PinByName)
}

// mapTypeStructOps is BPF_MAP_TYPE_STRUCT_OPS: such a map's value is
// completed by the loader from its own programs, so it is never passed in.
const mapTypeStructOps = 26

// PinByName is the pinning of a map declared with
// __uint(pinning, LIBBPF_PIN_BY_NAME): it is pinned at <pin root>/<name>,
// and a compatible map pinned there is used instead of a new one.
const PinByName = 1

// Layout of a table loader's blob map: an array of TableElemSize-byte
// elements (the verifier bounds every access the interpreter makes by
// one element), the fd table from element TableFDElem on, slot i at
// byte 4*i: map i, then program j at slot len(Maps)+j.
const (
	TableElemSize = 1024
	TableFDElem   = 1
)

// Signature schemes: what a signature of a loader covers.
const (
	// SchemeV1 signs Insns alone (Linux 6.18): the kernel verifies the
	// instructions, and the loader checks the blob against its hash.
	SchemeV1 = 0
	// SchemeV2 signs Insns followed by Data (load-time verification of
	// the exclusive, frozen maps of fd_array).
	SchemeV2   = 1
	NumSchemes = 2
)

// SchemeName names scheme s as the command line and errors do.
func SchemeName(s int) string {
	switch s {
	case SchemeV1:
		return "v1"
	case SchemeV2:
		return "v2"
	}
	return "unknown"
}

// HasScheme reports whether l can be signed for scheme s: a table
// loader only for v2, since its instructions cannot carry the blob's
// hash that makes a v1 signature cover the blob.
func (l *Loader) HasScheme(s int) bool {
	return s == SchemeV2 || s == SchemeV1 && !l.Table
}

// Payload returns the bytes a signature of scheme s covers.
func (l *Loader) Payload(s int) []byte {
	if s == SchemeV2 {
		p := make([]byte, 0, len(l.Insns)+len(l.Data))
		return append(append(p, l.Insns...), l.Data...)
	}
	return l.Insns
}

// TakesLog reports whether step n takes the context's log (LogSteps).
func (l *Loader) TakesLog(n uint32) bool {
	for _, s := range l.LogSteps {
		if s == n {
			return true
		}
	}
	return false
}

// MapDesc is one map the loader creates.
type MapDesc struct {
	Name       string `json:"name"`        // name in the object
	KernelName string `json:"kernel_name"` // name given to the kernel
	Type       uint32 `json:"type"`
	KeySize    uint32 `json:"key_size"`
	ValueSize  uint32 `json:"value_size"`
	MaxEntries uint32 `json:"max_entries"`
	Flags      uint32 `json:"flags"`
	// Section is the ELF section of a global-data map (".bss" ...), empty
	// for other maps.
	Section string `json:"section,omitempty"`
	// HasInitialValue is set for global-data maps: the runtime may pass an
	// initial value that replaces the one in the blob.
	HasInitialValue bool `json:"has_initial_value,omitempty"`
	// MaxEntriesFromCPUs is set for perf-event arrays created with
	// max_entries 0: the runtime passes the target's CPU count.
	MaxEntriesFromCPUs bool `json:"max_entries_from_cpus,omitempty"`
	// MapExtra is the map's map_extra (bloom filter hashes, arena
	// address), compared with a pinned map's before reusing it.
	MapExtra uint64 `json:"map_extra,omitempty"`
	// Pinning is the object's pinning of the map: PinByName, or 0.
	Pinning uint32 `json:"pinning,omitempty"`
}

// ProgDesc is one program the loader loads.
type ProgDesc struct {
	Name       string `json:"name"`
	Section    string `json:"section"`
	Type       uint32 `json:"type"`
	AttachType uint32 `json:"attach_type"`
	// AttachTo is what the section names as the attach point.
	AttachTo string `json:"attach_to,omitempty"`
	// Loaded is false for programs that are not loaded by default
	// (SEC("?...")); their descriptor stays empty.
	Loaded bool `json:"loaded"`
	// TargetFunc is set for freplace programs: the function of another
	// program (RunOptions.AttachTargets) that the program replaces, unless
	// the target names another. Each freplace program has a target
	// descriptor in the context, in program order.
	TargetFunc string `json:"target_func,omitempty"`
}

// KconfigVar is one kconfig extern (`extern ... __kconfig`): where its
// value goes in the .kconfig map's image and how it is encoded. The
// generator records them; package kconfig fills them in on the target.
type KconfigVar struct {
	Name   string      `json:"name"`
	Offset uint32      `json:"offset"`
	Size   uint32      `json:"size"`
	Type   KconfigType `json:"type"`
	Signed bool        `json:"signed,omitempty"`
	Weak   bool        `json:"weak,omitempty"` // unresolved reads 0
}

// KconfigType says how a kconfig extern's value is stored.
type KconfigType uint8

// Kconfig value types, as libbpf distinguishes them.
const (
	KconfigUnknown   KconfigType = iota
	KconfigBool                  // bool: y → 1, otherwise 0
	KconfigTristate              // enum libbpf_tristate: y → 1, m → 2, n → 0
	KconfigChar                  // char: 'y', 'm' or 'n'
	KconfigInt                   // integer of Size bytes
	KconfigCharArray             // char[Size]: a quoted string value
)

// String names t as `bpfgen inspect` shows it.
func (t KconfigType) String() string {
	switch t {
	case KconfigBool:
		return "bool"
	case KconfigTristate:
		return "tristate"
	case KconfigChar:
		return "char"
	case KconfigInt:
		return "int"
	case KconfigCharArray:
		return "char_array"
	}
	return "unknown"
}

// Context layout shared by the generator and the runtime. The header is
// followed by one 16-byte descriptor per map and one 4-byte descriptor per
// program.
const (
	CtxSizeOff     = 0  // u32 in: total size
	CtxFlagsOff    = 4  // u32 in
	CtxLogLevelOff = 8  // u32 in
	CtxLogSizeOff  = 12 // u32 in
	CtxLogBufOff   = 16 // u64 in: user pointer
	CtxStepOff     = 24 // u32 out: number of the step being run
	CtxLogStepOff  = 28 // u32 in: the step whose load gets the log
	CtxHeaderSize  = 32

	MapDescSize          = 16
	MapDescFDOff         = 0 // u32 in/out: in, an existing map to use (0: create one; see Loader.TakesMapFD); out, the map's fd
	MapDescMaxEntriesOff = 4 // u32 in, 0 keeps the default
	MapDescInitValueOff  = 8 // u64 in: user pointer to ValueSize bytes, 0 keeps the blob's

	ProgDescSize = 4 // u32 out: fd

	TargetDescSize     = 8
	TargetDescFDOff    = 0 // u32 in: the target program's fd
	TargetDescBTFIDOff = 4 // u32 in: BTF id of the replaced function in it
)

// CtxSize is the size of the context for nMaps maps, nProgs programs and
// nTargets freplace targets.
func CtxSize(nMaps, nProgs, nTargets int) int {
	return CtxHeaderSize + nMaps*MapDescSize + nProgs*ProgDescSize + nTargets*TargetDescSize
}

// TargetDescOff is the offset of the k-th freplace program's target
// descriptor.
func TargetDescOff(nMaps, nProgs, k int) int { return CtxSize(nMaps, nProgs, k) }

// NumTargets is how many programs of l take a target descriptor.
func (l *Loader) NumTargets() int {
	n := 0
	for _, p := range l.Progs {
		if p.TargetFunc != "" {
			n++
		}
	}
	return n
}

// MapDescOff is the offset of map i's descriptor.
func MapDescOff(i int) int { return CtxHeaderSize + i*MapDescSize }

// ProgDescOff is the offset of program j's descriptor.
func ProgDescOff(nMaps, j int) int { return CtxHeaderSize + nMaps*MapDescSize + j*ProgDescSize }

// CtxSize is the size of l's context.
func (l *Loader) CtxSize() int {
	return CtxSize(len(l.Maps), len(l.Progs), l.NumTargets()) + int(l.CtxExtra)
}

// AttachKind is how a program of a section is attached without a target
// from the caller, if it can be: the generator decides from it which
// programs a skeleton's Attach covers, the runtime how to attach them.
type AttachKind int

// Attach kinds.
const (
	AttachByCaller      AttachKind = iota // needs a target only the caller knows
	AttachTracepoint                      // tp/, tracepoint/: category/name
	AttachRawTracepoint                   // raw_tp/, raw_tracepoint/
	AttachTracing                         // tp_btf, fentry, fexit, fmod_ret, lsm, freplace: fixed at load
	AttachIter                            // iter/
	AttachUprobe                          // uprobe/PATH:SYMBOL[+OFF], uretprobe/, uprobe.s/, uretprobe.s/
	AttachKprobe                          // kprobe/FUNC[+OFF], kretprobe/FUNC, ksyscall/NAME, kretsyscall/NAME
	AttachKprobeMulti                     // kprobe.multi/GLOB, kretprobe.multi/GLOB
	AttachUSDT                            // usdt/PATH:PROVIDER:NAME, usdt.s/
	AttachUprobeMulti                     // uprobe.multi/PATH:GLOB, uretprobe.multi/, uprobe.session/ (and .s)
)

// SectionAttachKind classifies an ELF section name ("tp/syscalls/x",
// "?fentry/f"...) by its kind, the part before the first '/'.
func SectionAttachKind(section string) AttachKind {
	if len(section) > 0 && section[0] == '?' {
		section = section[1:]
	}
	kind := section
	for i := 0; i < len(section); i++ {
		if section[i] == '/' {
			kind = section[:i]
			break
		}
	}
	switch kind {
	case "tp", "tracepoint":
		return AttachTracepoint
	case "raw_tp", "raw_tracepoint", "raw_tp.w", "raw_tracepoint.w":
		return AttachRawTracepoint
	case "tp_btf", "fentry", "fexit", "fmod_ret", "lsm", "fentry.s", "fexit.s", "fmod_ret.s", "lsm.s", "freplace":
		return AttachTracing
	case "iter", "iter.s":
		return AttachIter
	}
	return AttachByCaller
}

// namesBinary reports whether a uprobe section's target is BINARY:WHAT,
// both parts not empty.
func namesBinary(target string) bool {
	for i := 1; i+1 < len(target); i++ {
		if target[i] == ':' {
			return true
		}
	}
	return false
}

// ProbeAttachKind classifies the probe sections that name their target
// (AttachUprobe, AttachKprobe, AttachKprobeMulti, AttachUSDT,
// AttachUprobeMulti), which
// SectionAttachKind leaves to the caller: the generator's Attach covers
// them, given the runtime's AttachProbe.
func ProbeAttachKind(section string) AttachKind {
	if len(section) > 0 && section[0] == '?' {
		section = section[1:]
	}
	kind, target := section, ""
	for i := 0; i < len(section); i++ {
		if section[i] == '/' {
			kind, target = section[:i], section[i+1:]
			break
		}
	}
	if target == "" || target == "/" {
		return AttachByCaller
	}
	switch kind {
	case "uprobe", "uretprobe", "uprobe.s", "uretprobe.s":
		// Only a section that names binary and symbol; a bare "uprobe"
		// needs both from the caller.
		if namesBinary(target) {
			return AttachUprobe
		}
	case "uprobe.multi", "uretprobe.multi", "uprobe.multi.s", "uretprobe.multi.s", "uprobe.session", "uprobe.session.s":
		if namesBinary(target) {
			return AttachUprobeMulti
		}
	case "kprobe", "kretprobe", "ksyscall", "kretsyscall":
		return AttachKprobe
	case "kprobe.multi", "kretprobe.multi", "kprobe.session":
		return AttachKprobeMulti
	case "usdt", "usdt.s":
		// Binary, provider and name: two ':' with something between.
		colons := 0
		for i := 1; i+1 < len(target); i++ {
			if target[i] == ':' && target[i-1] != ':' {
				colons++
			}
		}
		if colons >= 2 {
			return AttachUSDT
		}
	}
	return AttachByCaller
}
