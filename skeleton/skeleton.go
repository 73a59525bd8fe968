// Package skeleton generates Go light skeletons: one Go file per BPF
// object that embeds the object's loader program (see package gen) and
// gives typed access to its maps, programs and global data through the
// runtime package lskel.
//
// The generated file imports only lskel, lskel/abi and unsafe (plus kconfig and
// encoding/binary when the object has kconfig externs), parses nothing at
// run time and is deterministic: the same object and options give the same
// bytes.
package skeleton

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// Options control the generated file.
type Options struct {
	// Package is the Go package name; empty means DefaultPackage().
	Package string
	// Ident names the generated identifiers (exported form: "minimal" gives
	// MinimalObjects, LoadMinimal ...); empty means the object's name.
	Ident string
	// ObjectPath is the object's path as the header comment shows it;
	// empty means the object's own path.
	ObjectPath string
	// Command is how to regenerate the file, for the header comment; empty
	// means a bpfgen command line built from the other options.
	Command string
}

// DefaultPackage is the package name for generated code: $GOPACKAGE when
// run by go generate, else "main".
func DefaultPackage() string {
	if p := os.Getenv("GOPACKAGE"); p != "" {
		return p
	}
	return "main"
}

// DefaultIdent derives an identifier from an object path:
// "path/to/minimal.bpf.o" gives "minimal".
func DefaultIdent(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.TrimSuffix(base, ".bpf")
	return base
}

// Build tags of the GOARCHes of each byte order, as bpf2go uses them.
const (
	littleEndianArches = "386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64"
	bigEndianArches    = "mips || mips64 || ppc64 || s390x"
)

// Generate returns the light skeleton of obj, whose loader is l (as
// gen.Generate made it from obj), as gofmt-formatted Go source.
func Generate(obj *object.Object, l *gen.Loader, opts Options) ([]byte, error) {
	if obj == nil || l == nil {
		return nil, errors.New("skeleton: nil object or loader")
	}
	g, err := newGenerator(obj, l, opts)
	if err != nil {
		return nil, fmt.Errorf("skeleton of %s: %w", obj.Name, err)
	}
	src, err := g.generate()
	if err != nil {
		return nil, fmt.Errorf("skeleton of %s: %w", obj.Name, err)
	}
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("skeleton of %s: generated code does not parse (a bpfgen bug): %w\n%s", obj.Name, err, src)
	}
	// The embedded loader goes in after formatting: go/printer takes time
	// quadratic in the length of a long "a" + "b" + ... chain, and the
	// literal is already laid out as gofmt would.
	for i, lit := range g.literals {
		out = bytes.Replace(out, []byte(literalPlaceholder(i)), []byte(lit), 1)
	}
	return out, nil
}

// literalPlaceholder stands for the i-th long string literal until the
// source is formatted.
func literalPlaceholder(i int) string { return fmt.Sprintf("bpfgenLiteral%d", i) }

// literal registers a long string literal and returns its placeholder.
func (g *generator) literal(b []byte) string {
	g.literals = append(g.literals, stringLiteral(b))
	return literalPlaceholder(len(g.literals) - 1)
}

// generator holds the state of one Generate call.
type generator struct {
	obj  *object.Object
	l    *gen.Loader
	opts Options
	bo   binary.ByteOrder

	exp string // exported prefix, "Minimal"
	// literals are the long string literals, put in after formatting.
	literals []string
	unexp    string // unexported prefix, "minimal"

	names   nameSet // package-level names
	members nameSet // fields and methods of the objects struct
	types   *typeGen

	maps  []mapInfo
	progs []progInfo
	secs  []secInfo
}

type mapInfo struct {
	index int // in Loader.Maps and Object.Maps
	m     *object.Map
	field string
	goT   string // type of the field
	typed bool   // a typed wrapper (goT is not *lskel.Map)
}

type progInfo struct {
	index int
	p     *object.Function
	field string
	auto  bool // objs.Attach attaches it
}

type secInfo struct {
	index    int
	m        *object.Map
	field    string // BSS, Data, Rodata, DataCustom ...
	typ      string // MinimalBSS ...
	writable bool
	mmap     bool
	option   bool // settable before load through the options
	goSize   uint32
}

func newGenerator(obj *object.Object, l *gen.Loader, opts Options) (*generator, error) {
	if opts.Package == "" {
		opts.Package = DefaultPackage()
	}
	if opts.Ident == "" {
		opts.Ident = DefaultIdent(obj.Name)
	}
	if opts.ObjectPath == "" {
		opts.ObjectPath = obj.Path
	}
	if opts.Command == "" {
		opts.Command = fmt.Sprintf("bpfgen skeleton %s -package %s -ident %s", opts.ObjectPath, opts.Package, opts.Ident)
	}
	if len(l.Maps) != len(obj.Maps) {
		return nil, fmt.Errorf("loader has %d maps, object %d", len(l.Maps), len(obj.Maps))
	}
	progs := obj.Programs()
	if len(l.Progs) != len(progs) {
		return nil, fmt.Errorf("loader has %d programs, object %d", len(l.Progs), len(progs))
	}
	bo := obj.ByteOrder
	if bo == nil {
		bo = binary.LittleEndian
	}
	exp := goIdent(opts.Ident)
	g := &generator{
		obj: obj, l: l, opts: opts, bo: bo,
		exp: exp, unexp: unexport(exp),
		names:   nameSet{},
		members: nameSet{},
	}
	// Names the generated code itself uses come first, so that C types
	// and variables yield to them.
	for _, n := range []string{"Objects", "Maps", "Programs", "Options", "Program", "Map", "PerCPUMap"} {
		g.names.add(exp + n)
	}
	for _, n := range []string{"Load" + exp, "New" + exp + "Options", g.unexp + "Bytes", g.unexp + "PerCPU",
		"new" + exp + "Loader", g.unexp + "LoaderData", g.unexp + "LoaderInsns"} {
		g.names.add(n)
	}
	for _, n := range []string{"Close", "Attach", exp + "Maps", exp + "Programs", "result", "mmaps", "init"} {
		g.members.add(n)
	}
	g.types = newTypeGen(obj.BTF, bo, exp, g.names)

	// Global data sections first: their fields and types have fixed names.
	for i, m := range obj.Maps {
		if m.Internal == object.NotInternal {
			continue
		}
		field := sectionField(m.Section)
		s := secInfo{
			index:    i,
			m:        m,
			field:    g.members.add(field),
			writable: m.Internal == object.InternalData || m.Internal == object.InternalBSS,
			mmap:     m.Flags&object.MapFlagMmapable != 0 && obj.BTF != nil && m.DatasecID != 0,
			option:   m.Internal != object.InternalKconfig,
		}
		if !s.mmap {
			s.option = false
		}
		s.typ = g.names.add(exp + s.field)
		g.secs = append(g.secs, s)
	}
	for i, m := range obj.Maps {
		if m.Internal != object.NotInternal {
			continue
		}
		g.maps = append(g.maps, mapInfo{index: i, m: m, field: g.members.add(goIdent(m.Name))})
	}
	for j, p := range progs {
		g.progs = append(g.progs, progInfo{index: j, p: p, field: g.members.add(goIdent(p.Name)),
			auto: l.Progs[j].Loaded && abi.SectionAttachKind(p.Section) != abi.AttachByCaller})
	}
	return g, nil
}

// sectionField names the field of a global-data section.
func sectionField(sec string) string {
	switch sec {
	case ".bss":
		return "BSS"
	case ".data":
		return "Data"
	case ".rodata":
		return "Rodata"
	case ".kconfig":
		return "Kconfig"
	}
	return goIdent(sec)
}

// typedMapKinds are the map types whose keys and values a typed wrapper
// reads and writes.
func typedMapKind(t object.MapType) (ok, perCPU bool) {
	switch t {
	case object.MapTypeHash, object.MapTypeArray, object.MapTypeLRUHash, object.MapTypeLPMTrie:
		return true, false
	case object.MapTypePerCPUHash, object.MapTypePerCPUArray, object.MapTypeLRUPerCPUHash:
		return true, true
	}
	return false, false
}

func (g *generator) generate() ([]byte, error) {
	var b bytes.Buffer
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	// Types first: they decide which helpers are needed.
	for i := range g.secs {
		s := &g.secs[i]
		if !s.mmap {
			continue
		}
		doc := sectionDoc(s)
		size, err := g.types.datasec(s.typ, doc, s.m.DatasecID, s.m.ValueSize)
		if err != nil {
			return nil, err
		}
		s.goSize = size
	}
	for i := range g.maps {
		mi := &g.maps[i]
		mi.goT = "*lskel.Map"
		ok, perCPU := typedMapKind(mi.m.Type)
		if !ok || g.obj.BTF == nil || mi.m.BTFKeyID == 0 || mi.m.BTFValueID == 0 {
			continue
		}
		kt, err := g.keyValueType(mi.m.BTFKeyID, mi.m.KeySize, mi.field+"Key")
		if err != nil {
			return nil, fmt.Errorf("map %s: key: %w", mi.m.Name, err)
		}
		vt, err := g.keyValueType(mi.m.BTFValueID, mi.m.ValueSize, mi.field+"Value")
		if err != nil {
			return nil, fmt.Errorf("map %s: value: %w", mi.m.Name, err)
		}
		if kt == "" || vt == "" {
			continue
		}
		mi.typed = true
		if perCPU {
			mi.goT = fmt.Sprintf("lskel.PerCPUMap[%s, %s]", kt, vt)
		} else {
			mi.goT = fmt.Sprintf("lskel.TypedMap[%s, %s]", kt, vt)
		}
	}
	hasKconfig := len(g.l.Kconfig) > 0
	usesUnsafe := g.types.usesUnsafe

	// Header.
	w("// Code generated by bpfgen skeleton from %s; DO NOT EDIT.\n", filepath.ToSlash(g.opts.ObjectPath))
	w("//\n// To regenerate: %s\n\n", g.opts.Command)
	arches := littleEndianArches
	if g.bo == binary.BigEndian {
		arches = bigEndianArches
	}
	w("//go:build linux && (%s)\n\n", arches)
	w("package %s\n\n", g.opts.Package)
	w("import (\n")
	if usesUnsafe {
		w("\t\"unsafe\"\n")
	}
	w("\n")
	if hasKconfig {
		w("\t\"github.com/bpfgen/bpfgen/kconfig\"\n")
	}
	w("\t\"github.com/bpfgen/bpfgen/lskel\"\n")
	w("\t\"github.com/bpfgen/bpfgen/lskel/abi\"\n)\n\n")

	g.writeObjects(w)
	g.writeOptions(w)
	g.writeLoad(w, hasKconfig)
	g.writeClose(w)
	g.writeProgram(w)
	for _, d := range g.types.decls {
		w("%s\n", d)
	}
	if len(g.types.asserts) > 0 {
		w("// The generated types have the sizes of their C counterparts.\nvar (\n")
		for _, a := range g.types.asserts {
			w("\t%s\n", a)
		}
		w(")\n\n")
	}
	g.writeLoader(w)
	return b.Bytes(), nil
}

func (g *generator) anyMmap() bool {
	for _, s := range g.secs {
		if s.mmap {
			return true
		}
	}
	return false
}

// keyValueType is the Go type of a map key or value; "" when its size
// does not match the map's, so that the map stays untyped.
func (g *generator) keyValueType(id btf.TypeID, size uint32, ctx string) (string, error) {
	s, err := g.obj.BTF.Size(id)
	if err != nil {
		return "", err
	}
	if s != size {
		return "", nil
	}
	return g.types.goType(id, ctx)
}

func sectionDoc(s *secInfo) string {
	var what string
	switch s.m.Internal {
	case object.InternalBSS:
		what = "the object's zero-initialised global variables"
	case object.InternalData:
		what = "the object's initialised global variables"
	case object.InternalRodata:
		what = "the object's read-only global variables (const volatile); set them through the options before loading"
	case object.InternalKconfig:
		what = "the object's kconfig externs, as resolved at load time"
	}
	return wrapComment(fmt.Sprintf("%s is the %s section: %s.", s.typ, s.m.Section, what))
}

type writer func(format string, args ...any)

func (g *generator) writeObjects(w writer) {
	e := g.exp
	w("// %sObjects is everything Load%s loads from %s: its maps, its programs\n", e, e, filepath.Base(g.opts.ObjectPath))
	w("// and its global data, mapped into memory. Close releases all of it.\n")
	w("type %sObjects struct {\n\t%sMaps\n\t%sPrograms\n\n", e, e, e)
	for _, s := range g.secs {
		if !s.mmap {
			continue
		}
		if s.writable {
			w("\t// %s is the %s section, mapped: reading and writing it reads and\n\t// writes the kernel's copy.\n", s.field, s.m.Section)
		} else {
			w("\t// %s is the %s section, mapped read-only: it was frozen at load and\n\t// writing it faults.\n", s.field, s.m.Section)
		}
		w("\t%s *%s\n", s.field, s.typ)
	}
	w("\n\tresult *lskel.Result\n\tmmaps  [][]byte\n}\n\n")

	w("// %sMaps holds the maps of %s, by their names in the object.\n", e, filepath.Base(g.opts.ObjectPath))
	w("type %sMaps struct {\n", e)
	for _, m := range g.maps {
		w("\t%s %s `bpf:%q`\n", m.field, m.goT, m.m.Name)
	}
	w("}\n\n")
	w("// %sPrograms holds the programs of %s, by their names in the object.\n", e, filepath.Base(g.opts.ObjectPath))
	w("type %sPrograms struct {\n", e)
	for _, p := range g.progs {
		w("\t%s *%sProgram `bpf:%q` // SEC(%q)\n", p.field, e, p.p.Name, p.p.Section)
	}
	w("}\n\n")
}

func (g *generator) writeOptions(w writer) {
	e := g.exp
	w("// %sOptions tune Load%s. The zero value loads the object as compiled.\n", e, e)
	w("type %sOptions struct {\n", e)
	w("\t// MaxEntries overrides max_entries of maps, by their names in the\n\t// object.\n\tMaxEntries map[string]uint32\n")
	for _, s := range g.secs {
		if !s.option {
			continue
		}
		w("\t// %s, if not nil, is the initial value of %s instead of the\n\t// object's.\n\t%s *%s\n", s.field, s.m.Section, s.field, s.typ)
	}
	if g.hasFreplace() {
		w("\t// AttachTargets gives each freplace program, by its name in the\n\t// object, the loaded program whose function it replaces.\n\tAttachTargets map[string]lskel.ProgTarget\n")
	}
	w("\t// LogLevel is the verifier log level of the rerun that explains a\n\t// failed load (0 means 1): the error then carries the verifier's log.\n\tLogLevel uint32\n")
	w("\t// LogSize is the size of the verifier log buffer; 0 means 1 MiB.\n\tLogSize int\n}\n\n")

	w("// New%sOptions returns options holding the object's initial values of\n", e)
	w("// its initialised global data, ready to be changed before Load%s.\n", e)
	w("func New%sOptions() *%sOptions {\n\treturn &%sOptions{\n", e, e, e)
	for _, s := range g.secs {
		if s.option && s.m.Internal != object.InternalBSS {
			w("\t\t%s: Default%s(),\n", s.field, s.typ)
		}
	}
	w("\t}\n}\n\n")
	for _, s := range g.secs {
		if !s.option || s.m.Internal == object.InternalBSS {
			continue
		}
		init := bytes.TrimRight(s.m.Contents, "\x00")
		w("// Default%s returns the initial value of %s in the object.\n", s.typ, s.m.Section)
		w("func Default%s() *%s {\n\tv := new(%s)\n", s.typ, s.typ, s.typ)
		if len(init) > 0 {
			w("\tcopy(lskel.Bytes(v), %q)\n", string(init))
		}
		w("\treturn v\n}\n\n")
	}
}

func (g *generator) writeLoad(w writer, hasKconfig bool) {
	e := g.exp
	w("// Load%s loads %s into the kernel by running its loader program, and\n", e, filepath.Base(g.opts.ObjectPath))
	w("// maps its global data. opts may be nil. Programs are not attached:\n// see (*%sObjects).Attach.\n", e)
	w("func Load%s(opts *%sOptions) (*%sObjects, error) {\n", e, e, e)
	w("\tif opts == nil {\n\t\topts = &%sOptions{}\n\t}\n", e)
	w("\tro := &lskel.RunOptions{\n\t\tLogLevel:   opts.LogLevel,\n\t\tLogSize:    opts.LogSize,\n\t\tMaxEntries: opts.MaxEntries,\n")
	if hasKconfig {
		w("\t\tKconfig:    kconfig.Resolve,\n")
	}
	if g.hasFreplace() {
		w("\t\tAttachTargets: opts.AttachTargets,\n\t\tFuncBTFID:     lskel.FuncBTFID,\n")
	}
	w("\t}\n")
	for _, s := range g.secs {
		if !s.option {
			continue
		}
		w("\tif opts.%s != nil {\n", s.field)
		w("\t\tif ro.InitialValues == nil {\n\t\t\tro.InitialValues = make(map[string][]byte)\n\t\t}\n")
		slice := ""
		if s.goSize != s.m.ValueSize {
			slice = fmt.Sprintf("[:%d]", s.m.ValueSize)
		}
		w("\t\tro.InitialValues[%q] = lskel.Bytes(opts.%s)%s\n\t}\n", s.m.Name, s.field, slice)
	}
	w("\tres, err := lskel.Run(new%sLoader(), ro)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n", e)
	w("\to := &%sObjects{result: res}\n", e)
	w("\tif err := o.init(); err != nil {\n\t\t_ = o.Close()\n\t\treturn nil, err\n\t}\n\treturn o, nil\n}\n\n")

	w("// init fills in the maps and programs from the loader's fds and maps the\n// global data.\n")
	w("func (o *%sObjects) init() error {\n\tr := o.result\n\tvar err error\n", e)
	for _, m := range g.maps {
		target := "o." + m.field
		if m.typed {
			target += ".Map"
		}
		w("\t%s = r.Map(%d)\n", target, m.index)
	}
	for _, p := range g.progs {
		w("\to.%s = &%sProgram{Program: r.Program(%d)}\n", p.field, e, p.index)
	}
	for _, s := range g.secs {
		if !s.mmap {
			continue
		}
		w("\tif o.%s, err = lskel.MmapAs[%s](&o.mmaps, r.Map(%d), %t); err != nil {\n\t\treturn err\n\t}\n", s.field, s.typ, s.index, s.writable)
	}
	w("\treturn err\n}\n\n")

}

func (g *generator) writeClose(w writer) {
	e := g.exp
	var auto []progInfo
	for _, p := range g.progs {
		if p.auto {
			auto = append(auto, p)
		}
	}
	if len(auto) > 0 {
		w("// Attach attaches every program whose section names its target:\n")
		for _, p := range auto {
			w("// %s (SEC(%q)),\n", p.p.Name, p.p.Section)
		}
		w("// keeping each link in the program's Link field. Programs attached\n// before a failure stay attached until Close.\n")
		w("func (o *%sObjects) Attach() error {\n", e)
		w("\tfor _, p := range []*%sProgram{", e)
		for i, p := range auto {
			if i > 0 {
				w(", ")
			}
			w("o.%s", p.field)
		}
		w("} {\n\t\tif p.Program == nil || p.Link != nil {\n\t\t\tcontinue\n\t\t}\n")
		w("\t\tl, err := p.Attach()\n\t\tif err != nil {\n\t\t\treturn err\n\t\t}\n\t\tp.Link = l\n\t}\n\treturn nil\n}\n\n")
	}

	w("// Close detaches the programs attached by Attach, unmaps the global data\n")
	w("// and closes every map and program. It is safe to call twice.\n")
	w("func (o *%sObjects) Close() error {\n\tif o == nil {\n\t\treturn nil\n\t}\n\tvar first error\n", e)
	w("\tkeep := func(err error) {\n\t\tif err != nil && first == nil {\n\t\t\tfirst = err\n\t\t}\n\t}\n")
	for _, p := range g.progs {
		w("\tif p := o.%s; p != nil {\n\t\tkeep(p.Link.Close())\n\t\tp.Link = nil\n\t}\n", p.field)
	}
	for _, s := range g.secs {
		if s.mmap {
			w("\to.%s = nil\n", s.field)
		}
	}
	w("\tfor _, b := range o.mmaps {\n\t\tkeep(lskel.Munmap(b))\n\t}\n\to.mmaps = nil\n")
	w("\tkeep(o.result.Close())\n\to.result = nil\n\treturn first\n}\n\n")
}

// writeProgram writes the program type with the attach methods the
// object's program kinds need.
func (g *generator) writeProgram(w writer) {
	e := g.exp
	has := map[string]bool{}
	for _, p := range g.progs {
		kind, _, _ := strings.Cut(strings.TrimPrefix(p.p.Section, "?"), "/")
		switch {
		case p.auto:
			// Program.Attach attaches it.
		case p.p.Type == object.ProgTypeXDP:
			has["xdp"] = true
		case p.p.Type == object.ProgTypeSchedCLS || p.p.Type == object.ProgTypeSchedACT:
			has["tc"] = true
		case strings.HasPrefix(kind, "cgroup"):
			has["cgroup"] = true
		case p.p.Type == object.ProgTypePerfEvent:
			has["perf"] = true
		case strings.HasPrefix(kind, "uprobe") || strings.HasPrefix(kind, "uretprobe"):
			has["uprobe"] = true
		}
	}
	w("// %sProgram is one program of %s.\n", e, filepath.Base(g.opts.ObjectPath))
	w("type %sProgram struct {\n", e)
	w("\t// Program is the loaded program (nil when it was not loaded:\n\t// SEC(\"?...\")), owned by the %sObjects until Close. Its Attach\n\t// attaches it where its section says, Test runs it once.\n\t*lskel.Program\n", e)
	w("\t// Link is the attachment made by %sObjects.Attach, closed by Close.\n\tLink *lskel.Link\n}\n\n", e)
	if has["xdp"] {
		w("// AttachXDP attaches the program to the interface ifindex; flags are\n// lskel.XDPFlags* (0 lets the kernel choose the mode).\n")
		w("func (p *%sProgram) AttachXDP(ifindex int, flags uint32) (*lskel.Link, error) {\n\treturn lskel.AttachXDP(p.Program, ifindex, flags)\n}\n\n", e)
	}
	if has["tc"] {
		w("// AttachTCX attaches the program to the ingress or egress hook of the\n// interface ifindex.\n")
		w("func (p *%sProgram) AttachTCX(ifindex int, ingress bool) (*lskel.Link, error) {\n\treturn lskel.AttachTCX(p.Program, ifindex, ingress)\n}\n\n", e)
	}
	if has["cgroup"] {
		w("// AttachCgroup attaches the program to the cgroup v2 directory path,\n// with the attach type its section names.\n")
		w("func (p *%sProgram) AttachCgroup(path string) (*lskel.Link, error) {\n\treturn lskel.AttachCgroup(p.Program, path, p.AttachType())\n}\n\n", e)
	}
	if has["perf"] {
		w("// AttachPerfEvent attaches the program to the open perf event perfFD,\n// which the caller keeps and closes after the link.\n")
		w("func (p *%sProgram) AttachPerfEvent(perfFD int) (*lskel.Link, error) {\n\treturn lskel.AttachPerfEvent(p.Program, perfFD)\n}\n\n", e)
	}
	if has["uprobe"] {
		w("// AttachUprobe attaches the program to a uprobe (or uretprobe) at the\n// file offset offset of binaryPath, for process pid (-1: all).\n")
		w("func (p *%sProgram) AttachUprobe(binaryPath string, offset uint64, retprobe bool, pid int) (*lskel.Link, error) {\n", e)
		w("\treturn lskel.AttachUprobe(p.Program, binaryPath, offset, retprobe, pid)\n}\n\n")
	}
}

// writeLoader writes the loader: its descriptors and, as string constants,
// its blob and instructions.
func (g *generator) writeLoader(w writer) {
	e, u, l := g.exp, g.unexp, g.l
	w("// new%sLoader returns the loader program of %s: %d bytes of data and\n// %d instructions.\n", e, filepath.Base(g.opts.ObjectPath), len(l.Data), len(l.Insns)/8)
	w("func new%sLoader() *abi.Loader {\n\treturn &abi.Loader{\n", e)
	w("\t\tName:  %q,\n\t\tData:  []byte(%sLoaderData),\n\t\tInsns: []byte(%sLoaderInsns),\n", l.Name, u, u)
	w("\t\tMaps: []abi.MapDesc{\n")
	for _, m := range l.Maps {
		w("\t\t\t{Name: %q, KernelName: %q, Type: %d, KeySize: %d, ValueSize: %d, MaxEntries: %d, Flags: %#x",
			m.Name, m.KernelName, m.Type, m.KeySize, m.ValueSize, m.MaxEntries, m.Flags)
		if m.Section != "" {
			w(", Section: %q", m.Section)
		}
		if m.HasInitialValue {
			w(", HasInitialValue: true")
		}
		if m.MaxEntriesFromCPUs {
			w(", MaxEntriesFromCPUs: true")
		}
		w("},\n")
	}
	w("\t\t},\n\t\tProgs: []abi.ProgDesc{\n")
	for _, p := range l.Progs {
		w("\t\t\t{Name: %q, Section: %q, Type: %d, AttachType: %d", p.Name, p.Section, p.Type, p.AttachType)
		if p.AttachTo != "" {
			w(", AttachTo: %q", p.AttachTo)
		}
		w(", Loaded: %t", p.Loaded)
		if p.TargetFunc != "" {
			w(", TargetFunc: %q", p.TargetFunc)
		}
		w("},\n")
	}
	w("\t\t},\n\t\tSteps: []string{\n")
	for _, s := range l.Steps {
		w("\t\t\t%q,\n", s)
	}
	w("\t\t},\n")
	if len(l.LogSteps) > 0 {
		steps := make([]string, len(l.LogSteps))
		for i, n := range l.LogSteps {
			steps[i] = strconv.FormatUint(uint64(n), 10)
		}
		w("\t\tLogSteps: []uint32{%s},\n", strings.Join(steps, ", "))
	}
	if len(l.Kconfig) > 0 {
		w("\t\tKconfig: []abi.KconfigVar{\n")
		for _, k := range l.Kconfig {
			w("\t\t\t{Name: %q, Offset: %d, Size: %d, Type: %d", k.Name, k.Offset, k.Size, k.Type)
			if k.Signed {
				w(", Signed: true")
			}
			if k.Weak {
				w(", Weak: true")
			}
			w("},\n")
		}
		w("\t\t},\n")
	}
	w("\t\tKconfigMap: %d,\n\t}\n}\n\n", l.KconfigMap)
	w("// %sLoaderData is the loader's data blob.\n", u)
	w("const %sLoaderData = %s\n\n", u, g.literal(l.Data))
	w("// %sLoaderInsns are the loader's instructions, in the target's byte order.\n", u)
	w("const %sLoaderInsns = %s\n", u, g.literal(l.Insns))
}

// literalWidth is the number of source bytes per line of an embedded
// string.
const literalWidth = 96

// stringLiteral writes b as a Go string expression: printable ASCII as
// itself, everything else as \x escapes, one "..." piece per line.
func stringLiteral(b []byte) string {
	if len(b) == 0 {
		return `""`
	}
	var out, line strings.Builder
	out.WriteString(`"" +`)
	const hex = "0123456789abcdef"
	flush := func(lastLine bool) {
		out.WriteString("\n\t\"")
		out.WriteString(line.String())
		out.WriteString("\"")
		if !lastLine {
			out.WriteString(" +")
		}
		line.Reset()
	}
	for i, c := range b {
		switch {
		case c == '"' || c == '\\':
			line.WriteByte('\\')
			line.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			line.WriteByte(c)
		default:
			line.WriteString(`\x`)
			line.WriteByte(hex[c>>4])
			line.WriteByte(hex[c&15])
		}
		if line.Len() >= literalWidth && i != len(b)-1 {
			flush(false)
		}
	}
	flush(true)
	return out.String()
}

// wrapComment formats text as a // comment wrapped at about 76 columns.
func wrapComment(text string) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		if i == 0 {
			b.WriteString("//")
			n = 2
		} else if n+1+len(word) > 76 {
			b.WriteString("\n//")
			n = 2
		}
		b.WriteString(" ")
		b.WriteString(word)
		n += 1 + len(word)
	}
	b.WriteString("\n")
	return b.String()
}

// typeSource generates the skeleton of obj and returns, for tests, a
// standalone file (package p) holding only the generated types, with the
// Go name of each BTF struct and union and of each section's struct.
func typeSource(obj *object.Object, l *gen.Loader, opts Options) (string, map[btf.TypeID]string, map[string]string, error) {
	g, err := newGenerator(obj, l, opts)
	if err != nil {
		return "", nil, nil, err
	}
	if _, err := g.generate(); err != nil {
		return "", nil, nil, err
	}
	var b strings.Builder
	b.WriteString("package p\n\nimport \"unsafe\"\n\nvar _ unsafe.Pointer\n\n")
	for _, d := range g.types.decls {
		b.WriteString(d)
		b.WriteString("\n")
	}
	b.WriteString("var (\n")
	for _, a := range g.types.asserts {
		b.WriteString("\t" + a + "\n")
	}
	b.WriteString(")\n")
	secs := map[string]string{}
	for _, s := range g.secs {
		if s.mmap {
			secs[s.m.Section] = s.typ
		}
	}
	return b.String(), g.types.named, secs, nil
}

// hasFreplace reports whether the object has freplace programs, which
// take their target program as an option.
func (g *generator) hasFreplace() bool {
	for _, p := range g.obj.Programs() {
		if p.Type == object.ProgTypeExt {
			return true
		}
	}
	return false
}
