package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/object"
)

func init() {
	register("inspect", command{
		usage:   "inspect OBJ [--json]",
		summary: "show the programs, maps and externs the open phase finds in OBJ",
		run:     runInspect,
	})
}

// InspectVersion is the "version" field of `bpfgen inspect --json`; it
// changes only when a field changes meaning or is removed.
const InspectVersion = 1

// inspectJSON is the stable JSON form of `bpfgen inspect --json`.
//
// Every field is always present (docs/cli-json.md lists them; a test
// checks the list), zero-valued or empty where it does not apply.
//
//	version       1
//	name          object name (libbpf's rule: file name up to the first '.')
//	license       contents of the "license" section
//	kern_version  the "version" section, 0 if absent
//	programs      main programs in object order (see inspectProg)
//	subprograms   sub-programs (.text functions) in object order
//	maps          maps in libbpf's order (see inspectMap)
//	externs       kconfig and ksym externs in libbpf's order (see inspectExtern)
//	core_relos    number of CO-RE relocation records in the object
type inspectJSON struct {
	Version     int             `json:"version"`
	Name        string          `json:"name"`
	License     string          `json:"license"`
	KernVersion uint32          `json:"kern_version"`
	Programs    []inspectProg   `json:"programs"`
	Subprograms []inspectProg   `json:"subprograms"`
	Maps        []inspectMap    `json:"maps"`
	Externs     []inspectExtern `json:"externs"`
	CORERelos   int             `json:"core_relos"`
}

// inspectProg describes a program or sub-program. For sub-programs only
// name, section, insns, subprogs and the record counts are set; the other
// fields are zero ("" for strings).
type inspectProg struct {
	Name       string   `json:"name"`
	Section    string   `json:"section"`
	Type       string   `json:"type"`        // kernel name, e.g. "tracepoint"
	AttachType string   `json:"attach_type"` // kernel name; "" when the type takes none
	AttachTo   string   `json:"attach_to"`   // target named by the section
	Autoload   bool     `json:"autoload"`
	Sleepable  bool     `json:"sleepable"`
	Flags      uint32   `json:"flags"`    // BPF_PROG_LOAD flags
	Insns      int      `json:"insns"`    // the function's own instruction slots
	Subprogs   []string `json:"subprogs"` // sub-programs reached through calls and callbacks, in link order
	FuncInfos  int      `json:"func_infos"`
	LineInfos  int      `json:"line_infos"`
	CORERelos  int      `json:"core_relos"`
	StructOps  string   `json:"struct_ops"` // "struct.member" a struct_ops map places it in
}

// inspectMap describes a map.
type inspectMap struct {
	Name        string        `json:"name"`
	KernelName  string        `json:"kernel_name"`
	Section     string        `json:"section"`
	Type        string        `json:"type"` // kernel name, e.g. "hash"
	KeySize     uint32        `json:"key_size"`
	ValueSize   uint32        `json:"value_size"`
	KeyType     string        `json:"key_type"`   // C spelling of the BTF key type
	ValueType   string        `json:"value_type"` // C spelling of the BTF value type
	MaxEntries  uint32        `json:"max_entries"`
	Flags       uint32        `json:"flags"`
	Pinning     uint32        `json:"pinning"`
	Internal    string        `json:"internal"`          // "data", "rodata", "bss", "kconfig"
	InitialData int           `json:"initial_data_size"` // bytes of initial contents
	Inner       *inspectMap   `json:"inner"`             // null unless a map-in-map
	Slots       []inspectSlot `json:"slots"`
	StructOps   *inspectOps   `json:"struct_ops"` // null unless a struct_ops map
}

// inspectOps is the value of a struct_ops map.
type inspectOps struct {
	Type    string             `json:"type"` // the kernel struct, e.g. "tcp_congestion_ops"
	Link    bool               `json:"link"` // registered through a link (.struct_ops.link)
	Members []inspectOpsMember `json:"members"`
}

// inspectOpsMember is one member of a struct_ops map's struct.
type inspectOpsMember struct {
	Name    string `json:"name"`
	Offset  uint32 `json:"offset"`
	Size    uint32 `json:"size"`
	Func    bool   `json:"func"`    // a function pointer
	Program string `json:"program"` // the program it names, "" if none
	Zero    bool   `json:"zero"`    // initial value all zero and no program
}

// inspectSlot is an initialised map-in-map or prog-array slot.
type inspectSlot struct {
	Index   uint32 `json:"index"`
	Map     string `json:"map"`
	Program string `json:"program"`
}

// inspectExtern describes an extern.
type inspectExtern struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"` // "kconfig", "ksym" or "kfunc"
	Weak    bool   `json:"weak"`
	Type    string `json:"type"` // kconfig: bool, tristate, char, int, char_array; ksym: typed or typeless; kfunc: func
	Offset  uint32 `json:"offset"`
	Size    uint32 `json:"size"`
	Signed  bool   `json:"signed"`
	Lookups string `json:"lookup"` // the kernel name looked up, if it differs from name
}

// runInspect is `bpfgen inspect OBJ [--json]`.
func runInspect(args []string, stdout, _ io.Writer) error {
	fs := newFlags("inspect")
	asJSON := fs.Bool("json", false, "print JSON (docs/cli-json.md)")
	if err := parseFlags(fs, args, 1, stdout); err != nil {
		return err
	}
	obj, err := object.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	rep := describe(obj)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return printInspect(stdout, rep)
}

// describe builds the report of obj.
func describe(obj *object.Object) *inspectJSON {
	rep := &inspectJSON{
		Version:     InspectVersion,
		Name:        obj.Name,
		License:     obj.License,
		KernVersion: obj.KernVersion,
		Programs:    []inspectProg{},
		Subprograms: []inspectProg{},
		Maps:        []inspectMap{},
		Externs:     []inspectExtern{},
	}
	for _, f := range obj.Functions {
		p := inspectProg{
			Name:      f.Name,
			Section:   f.Section,
			Autoload:  f.Autoload,
			Insns:     len(f.Insns),
			Subprogs:  reachable(f),
			FuncInfos: len(f.FuncInfos),
			LineInfos: len(f.LineInfos),
			CORERelos: len(f.CORERelos),
		}
		rep.CORERelos += len(f.CORERelos)
		if f.Subprog {
			rep.Subprograms = append(rep.Subprograms, p)
			continue
		}
		p.Type = f.Type.String()
		if f.AttachType != object.AttachNone || takesAttachType(f) {
			p.AttachType = f.AttachType.String()
		}
		p.AttachTo = f.AttachTo
		p.Flags = f.Flags
		p.Sleepable = f.Flags&object.FlagSleepable != 0
		if f.StructOps != nil {
			p.StructOps = f.StructOps.Type + "." + f.StructOps.Member
		}
		rep.Programs = append(rep.Programs, p)
	}
	for _, m := range obj.Maps {
		rep.Maps = append(rep.Maps, describeMap(obj, m))
	}
	for _, e := range obj.Externs {
		x := inspectExtern{Name: e.Name, Weak: e.Weak}
		switch {
		case e.Kind == object.ExternKconfig:
			x.Kind = "kconfig"
			x.Type = e.KconfigType.String()
			x.Offset, x.Size, x.Signed = e.Offset, e.Size, e.Signed
		case e.Func:
			x.Kind, x.Type = "kfunc", "func"
		default:
			x.Kind, x.Type = "ksym", "typed"
			if e.Typeless {
				x.Type = "typeless"
			}
		}
		if e.EssentialName != "" && e.EssentialName != e.Name {
			x.Lookups = e.EssentialName
		}
		rep.Externs = append(rep.Externs, x)
	}
	return rep
}

// takesAttachType reports whether the section set an attach type of 0 on
// purpose (BPF_CGROUP_INET_INGRESS is 0).
func takesAttachType(f *object.Function) bool {
	return f.Def != nil && f.Def.Type == object.ProgTypeCgroupSKB && strings.HasSuffix(f.Def.Prefix, "ingress")
}

func describeMap(obj *object.Object, m *object.Map) inspectMap {
	x := inspectMap{
		Name:        m.Name,
		KernelName:  m.KernelName,
		Section:     m.Section,
		Type:        m.Type.String(),
		KeySize:     m.KeySize,
		ValueSize:   m.ValueSize,
		MaxEntries:  m.MaxEntries,
		Flags:       m.Flags,
		Pinning:     m.Pinning,
		InitialData: len(m.Contents),
		Slots:       []inspectSlot{},
	}
	if obj.BTF != nil {
		if m.BTFKeyID != 0 {
			x.KeyType = typeName(obj.BTF, m.BTFKeyID, 0)
		}
		if m.BTFValueID != 0 {
			x.ValueType = typeName(obj.BTF, m.BTFValueID, 0)
		}
	}
	switch m.Internal {
	case object.InternalData:
		x.Internal = "data"
	case object.InternalRodata:
		x.Internal = "rodata"
	case object.InternalBSS:
		x.Internal = "bss"
	case object.InternalKconfig:
		x.Internal = "kconfig"
	}
	if m.Inner != nil {
		in := describeMap(obj, m.Inner)
		x.Inner = &in
	}
	for _, s := range m.Slots {
		sl := inspectSlot{Index: s.Index}
		if s.Prog != nil {
			sl.Program = s.Prog.Name
		} else if s.Map >= 0 && s.Map < len(obj.Maps) {
			sl.Map = obj.Maps[s.Map].Name
		}
		x.Slots = append(x.Slots, sl)
	}
	if so := m.StructOps; so != nil {
		x.StructOps = &inspectOps{Type: so.TypeName, Link: so.Link, Members: []inspectOpsMember{}}
		for _, mem := range so.Members {
			xm := inspectOpsMember{Name: mem.Name, Offset: mem.Offset, Size: mem.Size, Func: mem.Func, Zero: mem.Zero(so.Data)}
			if mem.Prog != nil {
				xm.Program = mem.Prog.Name
			}
			x.StructOps.Members = append(x.StructOps.Members, xm)
		}
	}
	return x
}

// reachable lists the sub-programs f reaches through calls and callback
// references, depth first in the order they are met (the order the load
// phase appends them).
func reachable(f *object.Function) []string {
	names := []string{}
	seen := map[*object.Function]bool{f: true}
	var walk func(g *object.Function)
	walk = func(g *object.Function) {
		for _, r := range g.Relocs {
			if (r.Kind == object.RelocCall || r.Kind == object.RelocFunc) && r.Func != nil && !seen[r.Func] {
				seen[r.Func] = true
				names = append(names, r.Func.Name)
				walk(r.Func)
			}
		}
	}
	walk(f)
	return names
}

// typeName spells a BTF type roughly as C does, for display.
func typeName(spec *btf.Spec, id btf.TypeID, depth int) string {
	if id == 0 {
		return "void"
	}
	t, err := spec.Type(id)
	if err != nil || depth > 8 {
		return fmt.Sprintf("type#%d", id)
	}
	named := func(kw string) string {
		if t.Name == "" {
			return kw + " {...}"
		}
		return kw + " " + t.Name
	}
	switch t.Kind {
	case btf.KindStruct:
		return named("struct")
	case btf.KindUnion:
		return named("union")
	case btf.KindEnum, btf.KindEnum64:
		return named("enum")
	case btf.KindFwd:
		if t.KindFlag {
			return named("union")
		}
		return named("struct")
	case btf.KindPtr:
		return typeName(spec, t.Type, depth+1) + " *"
	case btf.KindArray:
		return fmt.Sprintf("%s[%d]", typeName(spec, t.Array.Type, depth+1), t.Array.Nelems)
	case btf.KindConst:
		return "const " + typeName(spec, t.Type, depth+1)
	case btf.KindVolatile:
		return "volatile " + typeName(spec, t.Type, depth+1)
	case btf.KindRestrict, btf.KindTypeTag:
		return typeName(spec, t.Type, depth+1)
	case btf.KindFuncProto:
		return "func"
	}
	if t.Name != "" {
		return t.Name
	}
	return fmt.Sprintf("type#%d", id)
}

// printInspect writes the report as aligned tables.
func printInspect(w io.Writer, rep *inspectJSON) error {
	fmt.Fprintf(w, "object %s  license %q", rep.Name, rep.License)
	if rep.KernVersion != 0 {
		fmt.Fprintf(w, "  kern_version %#x", rep.KernVersion)
	}
	fmt.Fprintf(w, "  core_relos %d\n", rep.CORERelos)

	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nPROGRAM\tSECTION\tTYPE\tATTACH\tTARGET\tINSNS\tFLAGS\tSUBPROGS\n")
	for _, p := range rep.Programs {
		flags := fmt.Sprintf("%#x", p.Flags)
		if !p.Autoload {
			flags += " noautoload"
		}
		target := p.AttachTo
		if p.StructOps != "" {
			target = p.StructOps
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", p.Name, p.Section, p.Type,
			dash(p.AttachType), dash(target), p.Insns, flags, dash(strings.Join(p.Subprogs, ",")))
	}
	for _, p := range rep.Subprograms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", p.Name, p.Section, "subprog",
			"-", "-", p.Insns, "-", dash(strings.Join(p.Subprogs, ",")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nMAP\tKERNEL NAME\tTYPE\tKEY\tVALUE\tMAX\tFLAGS\tINIT\n")
	var row func(m inspectMap, prefix string)
	row = func(m inspectMap, prefix string) {
		key := fmt.Sprint(m.KeySize)
		if m.KeyType != "" {
			key += " (" + m.KeyType + ")"
		}
		val := fmt.Sprint(m.ValueSize)
		if m.ValueType != "" {
			val += " (" + m.ValueType + ")"
		}
		init := fmt.Sprint(m.InitialData)
		if len(m.Slots) > 0 {
			var s []string
			for _, sl := range m.Slots {
				s = append(s, fmt.Sprintf("[%d]=%s%s", sl.Index, sl.Map, sl.Program))
			}
			init = strings.Join(s, ",")
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%d\t%#x\t%s\n", prefix, m.Name, m.KernelName, m.Type, key, val, m.MaxEntries, m.Flags, init)
		if m.Inner != nil {
			row(*m.Inner, prefix+"  ")
		}
	}
	for _, m := range rep.Maps {
		row(m, "")
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if err := printStructOps(w, rep.Maps); err != nil {
		return err
	}
	if len(rep.Externs) > 0 {
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "\nEXTERN\tKIND\tTYPE\tWEAK\tOFFSET\tSIZE\n")
		for _, e := range rep.Externs {
			off, size := "-", "-"
			if e.Kind == "kconfig" {
				off, size = fmt.Sprint(e.Offset), fmt.Sprint(e.Size)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\n", e.Name, e.Kind, e.Type, e.Weak, off, size)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// printStructOps lists what each struct_ops map sets: the programs in its
// function pointers and its data members with a value.
func printStructOps(w io.Writer, maps []inspectMap) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := false
	for _, m := range maps {
		if m.StructOps == nil {
			continue
		}
		if !header {
			fmt.Fprintf(tw, "\nSTRUCT_OPS MAP\tSTRUCT\tMEMBER\tOFFSET\tSIZE\tVALUE\n")
			header = true
		}
		how := "struct " + m.StructOps.Type
		if m.StructOps.Link {
			how += " (link)"
		}
		for _, mem := range m.StructOps.Members {
			var val string
			switch {
			case mem.Program != "":
				val = "program " + mem.Program
			case mem.Zero:
				continue
			default:
				val = "data"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", m.Name, how, mem.Name, mem.Offset, mem.Size, val)
		}
	}
	return tw.Flush()
}
