package skeleton

// What the skeleton adds for reading and testing: typed records of ring
// buffers and perf event arrays (Options.RecordTypes), and test runs of
// programs with their typed context.

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/object"
)

// checkRecordTypes refuses Options.RecordTypes that name no map, or a
// map that is no ring buffer or perf event array, before anything else is
// said about the object.
func (g *generator) checkRecordTypes() error {
	for _, name := range slices.Sorted(maps.Keys(g.opts.RecordTypes)) {
		i := slices.IndexFunc(g.obj.Maps, func(m *object.Map) bool { return m.Name == name && m.Internal == object.NotInternal })
		if i < 0 {
			return fmt.Errorf("Options.RecordTypes: the object has no map %q", name)
		}
		if t := g.obj.Maps[i].Type; t != object.MapTypeRingbuf && t != object.MapTypePerfEventArray {
			return fmt.Errorf("map %s: Options.RecordTypes: a %s, not a ring buffer or perf event array", name, t)
		}
	}
	return nil
}

// recordMap types the ring buffer or perf event array m, whose record
// type Options.RecordTypes names.
func (g *generator) recordMap(mf *mapField, m *object.Map, ctype string) error {
	wrapper := "lskel.RingBufMap" // checkRecordTypes allows only these two
	if m.Type == object.MapTypePerfEventArray {
		wrapper = "lskel.PerfEventArray"
	}
	id, err := g.namedType(ctype)
	if err != nil {
		return fmt.Errorf("Options.RecordTypes: %w", err)
	}
	t, err := g.types.goType(id, mf.Field+"Record")
	if err != nil {
		return fmt.Errorf("record type %s: %w", ctype, err)
	}
	mf.Typed, mf.GoType = true, fmt.Sprintf("%s[%s]", wrapper, t)
	return nil
}

// namedType finds a C type of the object's BTF by the name a user gives
// it: "struct x", "union x", "enum x", or a bare name, looked for as a
// struct, a union, a typedef and an enum in that order.
func (g *generator) namedType(ctype string) (btf.TypeID, error) {
	if g.obj.BTF == nil {
		return 0, fmt.Errorf("%q: the object has no BTF", ctype)
	}
	kinds := []btf.Kind{btf.KindStruct, btf.KindUnion, btf.KindTypedef, btf.KindEnum, btf.KindEnum64}
	name := strings.TrimSpace(ctype)
	if tag, rest, ok := strings.Cut(name, " "); ok {
		k, known := map[string][]btf.Kind{"struct": {btf.KindStruct}, "union": {btf.KindUnion}, "enum": {btf.KindEnum, btf.KindEnum64}}[tag]
		if !known {
			return 0, fmt.Errorf("%q: not a C type name (struct, union or enum NAME, or NAME)", ctype)
		}
		name, kinds = strings.TrimSpace(rest), k
	}
	for _, k := range kinds {
		if id, _, err := g.obj.BTF.TypeByName(name, k); err == nil {
			return id, nil
		}
	}
	return 0, fmt.Errorf("no type %q in the object's BTF", ctype)
}

// runMethod is a typed test run method of the program type: one per
// context type the object's test-runnable programs take.
type runMethod struct {
	Name, CtxType string
	Programs      []string // the programs taking it, for the doc comment
}

// ProgramList lists the programs for a doc comment.
func (m *runMethod) ProgramList() string { return strings.Join(m.Programs, ", ") }

// testRunCtx are the program types whose BPF_PROG_TEST_RUN takes a
// context (ctx_in), and so a typed one.
var testRunCtx = map[object.ProgType]bool{
	object.ProgTypeSyscall: true, object.ProgTypeXDP: true,
	object.ProgTypeSchedCLS: true, object.ProgTypeSchedACT: true,
	object.ProgTypeSocketFilter: true, object.ProgTypeCgroupSKB: true,
	object.ProgTypeFlowDissector: true,
}

// runMethods adds a Run<Ctx> method to the program type for each struct
// or union that a test-runnable program takes a pointer to as its first
// argument (xdp_md, __sk_buff, a syscall program's own argument struct).
func (g *generator) runMethods(f *file) error {
	byType := map[string]*runMethod{}
	for j, p := range g.progs {
		if !testRunCtx[p.Type] || !g.l.Progs[j].Loaded {
			continue
		}
		id, err := g.ctxType(p)
		if err != nil {
			return fmt.Errorf("program %s: context type: %w", p.Name, err)
		}
		if id == 0 {
			continue
		}
		t, err := g.types.goType(id, "")
		if err != nil {
			return fmt.Errorf("program %s: context type: %w", p.Name, err)
		}
		rm := byType[t]
		if rm == nil {
			rm = &runMethod{Name: "Run" + strings.TrimPrefix(t, g.exp), CtxType: t}
			byType[t] = rm
			f.RunMethods = append(f.RunMethods, rm)
		}
		rm.Programs = append(rm.Programs, p.Name)
	}
	return nil
}

// ctxType is the struct or union program p's first argument points to,
// from its BTF; 0 when BTF does not say or the argument is no such
// pointer (void *ctx).
func (g *generator) ctxType(p *object.Function) (btf.TypeID, error) {
	spec := g.obj.BTF
	if spec == nil || len(p.FuncInfos) == 0 || p.FuncInfos[0].InsnOff != 0 {
		return 0, nil
	}
	fn, err := spec.Type(p.FuncInfos[0].TypeID)
	if err != nil || fn.Kind != btf.KindFunc {
		return 0, err
	}
	proto, err := spec.Type(fn.Type)
	if err != nil || proto.Kind != btf.KindFuncProto || len(proto.Params) == 0 {
		return 0, err
	}
	_, ptr, err := spec.Resolve(proto.Params[0].Type)
	if err != nil || ptr.Kind != btf.KindPtr {
		return 0, err
	}
	id, t, err := spec.Resolve(ptr.Type)
	if err != nil || t.Kind != btf.KindStruct && t.Kind != btf.KindUnion {
		return 0, err
	}
	if t.Name == "" && id == ptr.Type {
		return 0, nil // an anonymous struct has no name to give the method
	}
	// A typedef of an anonymous struct names it: keep it.
	return ptr.Type, nil
}
