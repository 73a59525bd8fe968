package skeleton

import (
	"fmt"
	"slices"
	"sort"
	"unicode"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/object"
)

// API is the interface a generated file gives its user.
type API string

const (
	// APIBpfgen is the light skeleton: Load<Ident>, typed maps and
	// mapped global data over package lskel.
	APIBpfgen API = "bpfgen"
	// APICilium is bpf2go's interface: <ident>Objects, <ident>Maps,
	// <ident>Programs and <ident>Variables holding cilium/ebpf's *ebpf.Map,
	// *ebpf.Program and *ebpf.Variable, filled by load<Ident>Objects from
	// the fds the loader program created.
	APICilium API = "cilium"
)

// ciliumFile is the model of an APICilium file: the light skeleton's
// model (for the loader and the types) and bpf2go's names.
type ciliumFile struct {
	*file
	// Skel is the embedded model, for the loader template.
	Skel *file
	N    ciliumNames
	// CMaps, CPrograms and CVariables are the objects by their names in
	// the object, sorted by name as bpf2go sorts them.
	CMaps, CPrograms, CVariables []ciliumObj
	// DataMaps are the global-data maps that hold CVariables.
	DataMaps []ciliumObj
	// Pinned names the maps pinned by name (LIBBPF_PIN_BY_NAME).
	Pinned []string
	// StructOps are the struct_ops maps (all of .struct_ops.link), whose
	// values the load writes.
	StructOps []ciliumObj
	// Embed is the object file the file embeds for its CollectionSpec.
	Embed string
}

// ciliumObj is one map, program or variable.
type ciliumObj struct {
	Name, Field string
	Index       int // in the loader (maps, programs)
}

// ciliumNames are bpf2go's package-level names for an ident.
type ciliumNames struct {
	Ident                                              string
	Objects, Maps, Programs, Variables                 string
	Specs, MapSpecs, ProgramSpecs, VariableSpecs       string
	Load, LoadObjects, Bytes, Close, RunOptions, Adopt string
	ReplaceMap                                         string
}

func newCiliumNames(ident string) ciliumNames {
	up := ciliumIdent(ident)
	exported := ident != "" && unicode.IsUpper(rune(ident[0]))
	load := "load" + up
	if exported {
		load = "Load" + up
	}
	return ciliumNames{
		Ident:   ident,
		Objects: ident + "Objects", Maps: ident + "Maps", Programs: ident + "Programs", Variables: ident + "Variables",
		Specs: ident + "Specs", MapSpecs: ident + "MapSpecs", ProgramSpecs: ident + "ProgramSpecs", VariableSpecs: ident + "VariableSpecs",
		Load: load, LoadObjects: load + "Objects",
		Bytes: "_" + up + "Bytes", Close: "_" + up + "Close",
		RunOptions: "_" + up + "RunOptions", Adopt: "_" + up + "Adopt",
		ReplaceMap: "_" + up + "ReplaceMap",
	}
}

// ciliumIdent is bpf2go's Go name of a C name: the first letter upper
// case, and an underscore at the start or after a lower-case letter or a
// digit dropped with the letter after it upper-cased ("kprobe_execve"
// gives KprobeExecve, "XDP_STATS" stays XDP_STATS); characters that cannot
// be in an identifier are dropped.
func ciliumIdent(s string) string {
	out := make([]rune, 0, len(s))
	var prev rune = -1
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			if prev == -1 {
				r = unicode.ToUpper(r)
			}
		case r == '_':
			if prev == -1 || unicode.IsDigit(prev) || unicode.IsLower(prev) {
				prev = -1
				continue
			}
		case unicode.IsDigit(r):
		default:
			continue
		}
		prev = r
		out = append(out, r)
	}
	return string(out)
}

// ciliumModel adds bpf2go's names to the light skeleton's model f.
func (g *generator) ciliumModel(f *file) (*ciliumFile, error) {
	c := &ciliumFile{file: f, Skel: f, N: newCiliumNames(g.opts.Ident), Embed: g.opts.ObjectFile}
	for i, m := range g.obj.Maps {
		if m.Pinning != 0 {
			c.Pinned = append(c.Pinned, m.Name)
		}
		if m.Internal == object.NotInternal {
			c.CMaps = append(c.CMaps, ciliumObj{Name: m.Name, Field: ciliumIdent(m.Name), Index: i})
			continue
		}
		if m.Internal == object.InternalKconfig || g.obj.BTF == nil || m.DatasecID == 0 {
			continue
		}
		vars, err := datasecVars(g.obj.BTF, m.DatasecID)
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", m.Section, err)
		}
		if len(vars) > 0 {
			c.DataMaps = append(c.DataMaps, ciliumObj{Name: m.Section, Index: i})
		}
		for _, v := range vars {
			c.CVariables = append(c.CVariables, ciliumObj{Name: v, Field: ciliumIdent(v)})
		}
	}
	for _, d := range g.l.StructOps {
		m := g.obj.Maps[d.Map]
		if !d.Link {
			// A map of .struct_ops registers when written and stays
			// registered after its fd is closed: nothing in bpf2go's
			// interface would unregister it.
			return nil, fmt.Errorf("struct_ops map %s: section %s: -api cilium takes struct_ops maps of SEC(\".struct_ops.link\") only, which link.AttachStructOps registers (cilium/ebpf v0.22 refuses %s sections too); use -api bpfgen, whose Attach and Close register and unregister it", m.Name, m.Section, m.Section)
		}
		c.StructOps = append(c.StructOps, ciliumObj{Name: m.Name, Field: ciliumIdent(m.Name), Index: d.Map})
	}
	for j, p := range g.progs {
		c.CPrograms = append(c.CPrograms, ciliumObj{Name: p.Name, Field: ciliumIdent(p.Name), Index: j})
	}
	if len(c.CMaps)+len(c.CPrograms)+len(c.CVariables) == 0 && !g.consts.usesUnix {
		// Nothing to duplicate fds of: the file needs no x/sys/unix.
		for i, group := range f.Imports {
			f.Imports[i] = slices.DeleteFunc(slices.Clone(group), func(p string) bool { return p == "golang.org/x/sys/unix" })
		}
	}
	for _, objs := range [][]ciliumObj{c.CMaps, c.CPrograms, c.CVariables} {
		sort.Slice(objs, func(i, j int) bool { return objs[i].Name < objs[j].Name })
	}
	return c, nil
}

// datasecVars are the names of the global (not static) variables of a
// DATASEC, as cilium/ebpf lists them in CollectionSpec.Variables.
func datasecVars(spec *btf.Spec, id btf.TypeID) ([]string, error) {
	t, err := spec.Type(id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, v := range t.Vars {
		vt, err := spec.Type(v.Type)
		if err != nil {
			return nil, err
		}
		if vt.Kind == btf.KindVar && vt.Linkage != btf.LinkageStatic {
			out = append(out, vt.Name)
		}
	}
	return out, nil
}
