// Package skeleton generates Go light skeletons: one Go file per BPF
// object that embeds the object's loader program (see package gen) and
// gives typed access to its maps, programs and global data through the
// runtime package lskel.
//
// The file is the template skeleton.go.tpl executed on a data model built
// in Go (model.go): the model makes every decision (names, which sections
// are mapped, which methods the program type has, program, attach and map
// types and map flags as golang.org/x/sys/unix constants, see consts.go),
// the template lays the file out. The Go types of the object's global data
// and map keys and values are rendered from BTF by types.go.
//
// The generated file imports only lskel, lskel/abi, golang.org/x/sys/unix
// and unsafe (plus kconfig when the object has kconfig externs), parses
// nothing at run time and is deterministic: the same object and options
// give the same bytes.
package skeleton

import (
	"bytes"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"go/format"
	"go/scanner"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/template"

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
	// Note, when set, is told in one line each thing the generated file
	// lacks or names differently than the object suggests: global data
	// that BTF does not type, maps that stay untyped, and a map, program or
	// section whose Go name was taken and got a numeric suffix (see
	// Generate). Generation does not depend on it.
	Note func(msg string)
}

// OptionError is an Options field Generate cannot use; Validate returns
// it before anything is generated.
type OptionError struct {
	Field string // "Package" or "Ident"
	Value string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("skeleton: Options.%s %q is not a Go identifier", e.Field, e.Value)
}

// Validate checks the options Generate would use: Package and Ident,
// when set, must be Go identifiers (Package also not "_"), since they are
// written into the file as they are. It returns an *OptionError.
func (o Options) Validate() error {
	if o.Package != "" && (!token.IsIdentifier(o.Package) || o.Package == "_") {
		return &OptionError{Field: "Package", Value: o.Package}
	}
	if o.Ident != "" && !token.IsIdentifier(o.Ident) {
		return &OptionError{Field: "Ident", Value: o.Ident}
	}
	return nil
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
// "path/to/minimal.bpf.o" gives "minimal", "my-prog.bpf.o" "my_prog". Every
// character that cannot be in a Go identifier becomes '_', and a name
// that would start with a digit starts with '_', so the result passes
// Validate (and gives the same generated names as the file name would).
func DefaultIdent(path string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	base = strings.TrimSuffix(base, ".bpf")
	b := []byte(base)
	for i, c := range b {
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			b[i] = '_'
		}
	}
	base = string(b)
	if base == "" || base[0] >= '0' && base[0] <= '9' {
		base = "_" + base
	}
	return base
}

// Build tags of the GOARCHes of each byte order, as bpf2go uses them.
const (
	littleEndianArches = "386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64"
	bigEndianArches    = "mips || mips64 || ppc64 || s390x"
)

// templateText is the generated file's layout; see model.go for its data.
//
//go:embed skeleton.go.tpl
var templateText string

// parseTemplate parses templateText once.
var parseTemplate = sync.OnceValues(func() (*template.Template, error) {
	return template.New("skeleton.go.tpl").
		Funcs(template.FuncMap{"quote": strconv.Quote}).
		Option("missingkey=error").
		Parse(templateText)
})

// Generate returns the light skeleton of obj, whose loader is l (as
// gen.Generate made it from obj), as gofmt-formatted Go source. It
// validates opts first (see Options.Validate).
//
// Go names come from the object's names (goIdent: "handle_getpid" gives
// HandleGetpid). Where two names give the same Go name, or a name gives
// one the generated code uses (Close, Attach, and the Maps and Programs
// fields of the objects struct), the one met later gets the first free
// numeric suffix ("Close2"): sections first, then maps, then programs, in
// the object's order. Each such renaming is told to Options.Note.
func Generate(obj *object.Object, l *gen.Loader, opts Options) ([]byte, error) {
	if obj == nil || l == nil {
		return nil, errors.New("skeleton: nil object or loader")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	tpl, err := parseTemplate()
	if err != nil {
		return nil, fmt.Errorf("skeleton: parsing the template (a bpfgen bug): %w", err)
	}
	g, err := newGenerator(obj, l, opts)
	if err != nil {
		return nil, fmt.Errorf("skeleton of %s: %w", obj.Name, err)
	}
	f, err := g.model()
	if err != nil {
		return nil, fmt.Errorf("skeleton of %s: %w", obj.Name, err)
	}
	out, err := render(tpl, f)
	if err != nil {
		return nil, fmt.Errorf("skeleton of %s: %w", obj.Name, err)
	}
	// The embedded loader goes in after formatting: go/printer takes time
	// quadratic in the length of a long "a" + "b" + ... chain, and the
	// literal is already laid out as gofmt would.
	for i, lit := range g.literals {
		out = bytes.Replace(out, []byte(literalPlaceholder(i)), []byte(lit), 1)
	}
	return out, nil
}

// render executes tpl on f and formats the result.
func render(tpl *template.Template, f *file) ([]byte, error) {
	var b bytes.Buffer
	if err := tpl.Execute(&b, f); err != nil {
		return nil, fmt.Errorf("executing the template (a bpfgen bug): %w", err)
	}
	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generated code does not parse (a bpfgen bug): %w%s", err, badLine(b.Bytes(), err))
	}
	return out, nil
}

// badLine quotes the source line a go/scanner error points at, for a bug
// report: the line, not the whole file.
func badLine(src []byte, err error) string {
	var list scanner.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return ""
	}
	lines := bytes.Split(src, []byte("\n"))
	if n := list[0].Pos.Line; n >= 1 && n <= len(lines) {
		return fmt.Sprintf(" (line %d: %q)", n, bytes.TrimSpace(lines[n-1]))
	}
	return ""
}

// literalPlaceholder stands for the i-th long string literal until the
// source is formatted.
func literalPlaceholder(i int) string { return fmt.Sprintf("bpfgenLiteral%d", i) }

// literal registers a long string literal and returns its placeholder.
func (g *generator) literal(b []byte) string {
	g.literals = append(g.literals, stringLiteral(b))
	return literalPlaceholder(len(g.literals) - 1)
}

// generator builds the model of one Generate call.
type generator struct {
	obj   *object.Object
	l     *gen.Loader
	progs []*object.Function // the object's programs, as l.Progs
	opts  Options
	bo    binary.ByteOrder

	exp     string // exported prefix, "Minimal"
	names   names
	pkg     nameSet // package-level names
	members nameSet // fields and methods of the objects struct
	// owners says what took each name in members, for notes.
	owners map[string]string
	types  *typeGen
	consts constNamer
	// literals are the long string literals, put in after formatting.
	literals []string
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
		obj: obj, l: l, progs: progs, opts: opts, bo: bo,
		exp:     exp,
		names:   newNames(exp),
		pkg:     nameSet{},
		members: nameSet{},
	}
	// Names the generated code itself uses come first, so that C types
	// and variables yield to them; a few more stay reserved so that type
	// names do not change with the names the generated code uses.
	for _, n := range g.names.all() {
		g.pkg.add(n)
	}
	for _, n := range []string{exp + "Map", exp + "PerCPUMap", unexport(exp) + "Bytes", unexport(exp) + "PerCPU"} {
		g.pkg.add(n)
	}
	g.owners = map[string]string{}
	for _, n := range []string{"Close", "Attach"} {
		g.owners[g.members.add(n)] = "a method of " + g.names.Objects
	}
	for _, n := range []string{g.names.Maps, g.names.Programs, "result", "mmaps", "init"} {
		g.owners[g.members.add(n)] = "a field of " + g.names.Objects
	}
	g.types = newTypeGen(obj.BTF, bo, exp, g.pkg)
	return g, nil
}

// model builds the data the template renders.
func (g *generator) model() (*file, error) {
	f := &file{
		ObjectPath: filepath.ToSlash(g.opts.ObjectPath),
		ObjectFile: filepath.Base(g.opts.ObjectPath),
		Command:    g.opts.Command,
		Arches:     littleEndianArches,
		Package:    g.opts.Package,
		Names:      g.names,
	}
	if g.bo == binary.BigEndian {
		f.Arches = bigEndianArches
	}
	// Global data sections first: their fields and types have fixed
	// names.
	for i, m := range g.obj.Maps {
		if m.Internal != object.NotInternal {
			f.Sections = append(f.Sections, g.section(i, m))
		}
	}
	for i, m := range g.obj.Maps {
		if m.Internal == object.NotInternal {
			f.Maps = append(f.Maps, &mapField{Name: m.Name, Index: i, Field: g.member("map", m.Name, goIdent(m.Name)), GoType: "*lskel.Map"})
		}
	}
	for j, p := range g.progs {
		d := g.l.Progs[j]
		pr := &program{
			Name: d.Name, Section: d.Section, Index: j,
			Field:      g.member("program", p.Name, goIdent(p.Name)),
			Type:       g.consts.progType(d.Type),
			AttachType: g.consts.attachType(d.Type, d.AttachType),
			AttachTo:   d.AttachTo, Loaded: d.Loaded, TargetFunc: d.TargetFunc,
			Auto: d.Loaded && (abi.SectionAttachKind(p.Section) != abi.AttachByCaller || abi.ProbeAttachKind(p.Section) != abi.AttachByCaller),
		}
		if pk := abi.ProbeAttachKind(p.Section); d.Loaded && pk != abi.AttachByCaller {
			f.Probes = true
			f.Uprobes = f.Uprobes || pk == abi.AttachUprobe
		}
		f.Programs = append(f.Programs, pr)
		if pr.Auto {
			f.AutoAttach = append(f.AutoAttach, pr)
		}
		g.addMethods(&f.Methods, p, pr.Auto)
		if p.Type == object.ProgTypeExt {
			f.Freplace = true
		}
	}

	g.noteUntyped(f)

	// Types next: the sections' and the maps' keys and values.
	for _, s := range f.Sections {
		if !s.Mapped {
			continue
		}
		m := g.obj.Maps[s.Index]
		goSize, err := g.types.datasec(s.Type, sectionDoc(s.Type, m), m.DatasecID, m.ValueSize)
		if err != nil {
			return nil, err
		}
		if goSize != m.ValueSize {
			s.InitialValueLen = m.ValueSize
		}
	}
	for _, mf := range f.Maps {
		if err := g.typeMap(mf); err != nil {
			return nil, fmt.Errorf("map %s: %w", mf.Name, err)
		}
	}
	f.Types, f.SizeAsserts = g.types.decls, g.types.asserts

	f.Loader = g.loader()

	// Imports last: the types and constants decide them.
	var std, mod []string
	if g.types.usesUnsafe {
		std = append(std, "unsafe")
	}
	if len(g.l.Kconfig) > 0 {
		mod = append(mod, "github.com/bpfgen/bpfgen/kconfig")
	}
	mod = append(mod, "github.com/bpfgen/bpfgen/lskel", "github.com/bpfgen/bpfgen/lskel/abi")
	if f.Uprobes {
		mod = append(mod, "github.com/bpfgen/bpfgen/lskel/elfsym")
	}
	if g.consts.usesUnix {
		mod = append(mod, "golang.org/x/sys/unix")
	}
	for _, group := range [][]string{std, mod} {
		if len(group) > 0 {
			f.Imports = append(f.Imports, group)
		}
	}
	return f, nil
}

// member reserves the Go name want for a field of the objects struct
// for the object's kind (map, program, section) called cname, and notes
// when it was taken and the field gets a suffix.
func (g *generator) member(kind, cname, want string) string {
	got := g.members.add(want)
	if got != want {
		g.note("%s %s: its Go name %s is taken by %s; the field is %s", kind, cname, want, g.owners[want], got)
	}
	g.owners[got] = kind + " " + cname
	return got
}

// note tells Options.Note, if set.
func (g *generator) note(format string, args ...any) {
	if g.opts.Note != nil {
		g.opts.Note(fmt.Sprintf(format, args...))
	}
}

// noteUntyped notes what the file cannot type: global data without BTF
// (its section is neither mapped nor settable through the options) and
// maps whose kind a typed wrapper would serve but whose BTF key and value
// types are unknown.
func (g *generator) noteUntyped(f *file) {
	var secs []string
	for _, s := range f.Sections {
		if !s.Mapped && g.obj.Maps[s.Index].Internal != object.InternalKconfig {
			secs = append(secs, s.Section)
		}
	}
	if len(secs) > 0 {
		why := "no BTF"
		if g.obj.BTF != nil {
			why = "no BTF type for the section or a section that cannot be mapped"
		}
		g.note("%s has %s: global variables of %s are not typed (no %s field of the options or objects; the loader still loads their initial values)",
			g.opts.ObjectPath, why, strings.Join(secs, ", "), strings.Join(fieldsOf(f, secs), ", "))
	}
	for _, mf := range f.Maps {
		m := g.obj.Maps[mf.Index]
		if ok, _ := typedMapKind(m.Type); ok && (g.obj.BTF == nil || m.BTFKeyID == 0 || m.BTFValueID == 0) {
			g.note("map %s has no BTF key and value types: it stays an untyped *lskel.Map", m.Name)
		}
	}
}

// fieldsOf lists the Go fields of the sections secs.
func fieldsOf(f *file, secs []string) []string {
	var out []string
	for _, s := range f.Sections {
		for _, name := range secs {
			if s.Section == name {
				out = append(out, s.Field)
			}
		}
	}
	return out
}

// section describes the global-data section of the object's i-th map.
func (g *generator) section(i int, m *object.Map) *section {
	s := &section{
		Section:  m.Section,
		MapName:  m.Name,
		Index:    i,
		Field:    g.member("section", m.Section, sectionField(m.Section)),
		Writable: m.Internal == object.InternalData || m.Internal == object.InternalBSS,
		Mapped:   m.Flags&object.MapFlagMmapable != 0 && g.obj.BTF != nil && m.DatasecID != 0,
	}
	s.Type = g.pkg.add(g.exp + s.Field)
	s.Option = s.Mapped && m.Internal != object.InternalKconfig
	s.Default = s.Option && m.Internal != object.InternalBSS
	if s.Default {
		s.Init = string(bytes.TrimRight(m.Contents, "\x00"))
	}
	return s
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

// typeMap gives a map a typed wrapper when its type has one and BTF gives
// its key and value types at their sizes.
func (g *generator) typeMap(mf *mapField) error {
	m := g.obj.Maps[mf.Index]
	ok, perCPU := typedMapKind(m.Type)
	if !ok || g.obj.BTF == nil || m.BTFKeyID == 0 || m.BTFValueID == 0 {
		return nil
	}
	kt, err := g.keyValueType(m.BTFKeyID, m.KeySize, mf.Field+"Key")
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	vt, err := g.keyValueType(m.BTFValueID, m.ValueSize, mf.Field+"Value")
	if err != nil {
		return fmt.Errorf("value: %w", err)
	}
	if kt == "" || vt == "" {
		return nil
	}
	mf.Typed = true
	if perCPU {
		mf.GoType = fmt.Sprintf("lskel.PerCPUMap[%s, %s]", kt, vt)
	} else {
		mf.GoType = fmt.Sprintf("lskel.TypedMap[%s, %s]", kt, vt)
	}
	return nil
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

// sectionDoc is the doc comment of the Go type typ of a section's
// contents.
func sectionDoc(typ string, m *object.Map) string {
	var what string
	switch m.Internal {
	case object.InternalBSS:
		what = "the object's zero-initialised global variables"
	case object.InternalData:
		what = "the object's initialised global variables"
	case object.InternalRodata:
		what = "the object's read-only global variables (const volatile); set them through the options before loading"
	case object.InternalKconfig:
		what = "the object's kconfig externs, as resolved at load time"
	}
	return wrapComment(fmt.Sprintf("%s is the %s section: %s.", typ, m.Section, what))
}

// addMethods adds to ms the attach methods of the program type that
// program p needs beyond lskel.Program's (auto: Program.Attach attaches
// it).
func (g *generator) addMethods(ms *methods, p *object.Function, auto bool) {
	kind, _, _ := strings.Cut(strings.TrimPrefix(p.Section, "?"), "/")
	switch {
	case auto:
	case p.Type == object.ProgTypeXDP:
		ms.AttachXDP = true
	case p.Type == object.ProgTypeSchedCLS || p.Type == object.ProgTypeSchedACT:
		ms.AttachTCX = true
	case strings.HasPrefix(kind, "cgroup"):
		ms.AttachCgroup = true
	case p.Type == object.ProgTypePerfEvent:
		ms.AttachPerfEvent = true
	case strings.HasPrefix(kind, "uprobe") || strings.HasPrefix(kind, "uretprobe"):
		ms.AttachUprobe = true
	}
}

// loader describes the loader: its descriptors and, as string literals,
// its blob and instructions.
func (g *generator) loader() loader {
	l := g.l
	out := loader{
		Name:       l.Name,
		DataLen:    len(l.Data),
		InsnCount:  len(l.Insns) / 8,
		Steps:      l.Steps,
		LogSteps:   l.LogSteps,
		KconfigMap: l.KconfigMap,
		Data:       g.literal(l.Data),
		Insns:      g.literal(l.Insns),
		Signed:     l.Signed,
	}
	if l.Table {
		out.Table = true
		out.LoaderBTF = stringLiteral(l.LoaderBTF)
		out.LoaderFuncInfo = stringLiteral(l.LoaderFuncInfo)
	}
	if l.Signed {
		out.InsnsHash = stringLiteral(l.InsnsHash)
		out.SigV1 = g.literal(l.Signatures[abi.SchemeV1])
		out.SigV2 = g.literal(l.Signatures[abi.SchemeV2])
	}
	for _, m := range l.Maps {
		out.Maps = append(out.Maps, mapDesc{
			Name: m.Name, KernelName: m.KernelName,
			Type:    g.consts.mapType(m.Type),
			KeySize: m.KeySize, ValueSize: m.ValueSize, MaxEntries: m.MaxEntries,
			Flags:   g.consts.mapFlags(m.Flags),
			Section: m.Section, HasInitialValue: m.HasInitialValue, MaxEntriesFromCPUs: m.MaxEntriesFromCPUs,
		})
	}
	for _, k := range l.Kconfig {
		out.Kconfig = append(out.Kconfig, kconfigVar{
			Name: k.Name, Offset: k.Offset, Size: k.Size,
			Type:   kconfigType(k.Type),
			Signed: k.Signed, Weak: k.Weak,
		})
	}
	return out
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
	f, err := g.model()
	if err != nil {
		return "", nil, nil, err
	}
	var b strings.Builder
	b.WriteString("package p\n\nimport \"unsafe\"\n\nvar _ unsafe.Pointer\n\n")
	for _, d := range f.Types {
		b.WriteString(d)
		b.WriteString("\n")
	}
	b.WriteString("var (\n")
	for _, a := range f.SizeAsserts {
		b.WriteString("\t" + a + "\n")
	}
	b.WriteString(")\n")
	secs := map[string]string{}
	for _, s := range f.Sections {
		if s.Mapped {
			secs[s.Section] = s.Type
		}
	}
	return b.String(), g.types.named, secs, nil
}
