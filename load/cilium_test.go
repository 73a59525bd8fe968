package load_test

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/kstate"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// ciliumObjects lists every loadable testdata object and, where
// github.com/cilium/ebpf v0.22.0 cannot load it, why (testdata/README.md);
// those objects are compared with libbpf instead.
var ciliumObjects = []struct {
	name       string
	skipReason string // why cilium/ebpf cannot read it: the test asserts it still cannot
}{
	{name: "minimal"},
	{name: "maps"},
	{name: "globals"},
	{name: "subprogs"},
	{name: "core"},
	{name: "kconfig", skipReason: `cilium/ebpf rejects weak kconfig externs ("unsupported binding: STB_WEAK")`},
	{name: "ksyms", skipReason: `cilium/ebpf rejects typeless ksyms ("expected bpf_prog_put to be *Void, not *btf.Var")`},
	{name: "mapinmap"},
	{name: "iter"},
	{name: "progtypes"},
	{name: "many"},
	{name: "legacy"},
	// flavour is left out: cilium/ebpf, like libbpf 1.1, looks weak
	// ___flavour kfuncs up by their full name and drops the calls, so its
	// program differs by design (TestBehaviour shows bpfgen's calls run).
}

// TestCiliumDifferential loads each object with cilium/ebpf and with the
// direct backend and compares what the kernel holds: map definitions and
// contents, program headers and translated instructions with map ids
// replaced by the map's index in the object. cilium/ebpf applies CO-RE in
// user space and we leave it to the kernel: the translated instructions
// must agree all the same.
func TestCiliumDifferential(t *testing.T) {
	testutil.RequireKernel(t)
	for _, tt := range ciliumObjects {
		t.Run(tt.name, func(t *testing.T) {
			path := testutil.Object(tt.name)
			if tt.skipReason == "" {
				behave.Require(t, tt.name)
			}
			if tt.skipReason != "" {
				// Not a skip: cilium must still refuse the object, or the
				// comparison belongs back in the table.
				if _, err := ebpf.LoadCollectionSpec(path); err == nil {
					t.Fatalf("cilium/ebpf now reads %s (left out because %s): compare it", tt.name, tt.skipReason)
				} else {
					t.Logf("cilium/ebpf refuses %s as expected: %v", tt.name, err)
				}
				return
			}
			obj := openTestdata(t, tt.name)

			spec, err := ebpf.LoadCollectionSpec(path)
			if err != nil {
				t.Fatalf("cilium: %v", err)
			}
			coll, err := ebpf.NewCollectionWithOptions(spec, ebpf.CollectionOptions{
				Maps: ebpf.MapOptions{PinPath: testutil.PinDir(t)},
			})
			if err != nil {
				t.Fatalf("cilium: %v", err)
			}
			defer coll.Close()

			res, err := load.Load(obj, &load.Direct{PinRoot: testutil.PinDir(t)}, nil)
			if err != nil {
				t.Fatalf("direct load: %v", err)
			}
			defer closeLoaded(res.Handles())

			// cilium's maps in our object's order, by name.
			ciliumMaps := make([]int, len(obj.Maps))
			ourMaps := make([]int, len(obj.Maps))
			for i, m := range obj.Maps {
				cm := coll.Maps[m.Name]
				if cm == nil {
					t.Fatalf("cilium created no map %s (it has %v)", m.Name, ciliumMapNames(coll))
				}
				ciliumMaps[i] = cm.FD()
				ourMaps[i] = int(res.Maps[i])
			}
			if len(coll.Maps) != len(obj.Maps) {
				t.Errorf("cilium created %d maps %v, we %d", len(coll.Maps), ciliumMapNames(coll), len(obj.Maps))
			}
			btfs := btfCache{}
			for i, m := range obj.Maps {
				ours, err := describeMapTypes(ourMaps[i], btfs)
				if err != nil {
					t.Fatalf("map %s: %v", m.Name, err)
				}
				theirs, err := describeMapTypes(ciliumMaps[i], btfs)
				if err != nil {
					t.Fatalf("map %s (cilium): %v", m.Name, err)
				}
				if m.Internal != object.NotInternal {
					// Global data maps: libbpf (and we) name them after the
					// object and the section ("minimal.bss",
					// object.Map.KernelName); cilium/ebpf gives the kernel
					// the section name alone. Check each follows its rule,
					// then compare the rest.
					if ours.Name != m.KernelName {
						t.Errorf("map %s: kernel name %q, want %q", m.Name, ours.Name, m.KernelName)
					}
					if want := kernelObjectName(m.Name); theirs.Name != want {
						t.Errorf("map %s: cilium's kernel name %q, expected %q", m.Name, theirs.Name, want)
					}
					ours.Name, theirs.Name = m.Name, m.Name
					// cilium/ebpf makes every global data map
					// BPF_F_MMAPABLE; libbpf (and we) only those with a
					// non-static variable, since only those can be reached
					// from user space by name (iter's .rodata holds only
					// BPF_SEQ_PRINTF's static format strings).
					if theirs.Flags&^ours.Flags == mapFlagMmapable && !ours.hasGlobalVar {
						theirs.Flags &^= mapFlagMmapable
					}
				}
				if d := kstate.Diff(theirs, ours); d != "" {
					t.Errorf("map %s differs (- cilium, + ours):\n%s", m.Name, d)
				}
			}

			ourIdx, err := kstate.MapIndex(ourMaps)
			if err != nil {
				t.Fatal(err)
			}
			ciliumIdx, err := kstate.MapIndex(ciliumMaps)
			if err != nil {
				t.Fatal(err)
			}
			compared := 0
			for j, p := range obj.Programs() {
				cp := coll.Programs[p.Name]
				if res.Programs[j] == load.NoHandle {
					// Not autoloaded (SEC("?...")): cilium/ebpf has no such
					// notion and loads it; there is nothing of ours to
					// compare it with.
					if p.Autoload {
						t.Errorf("program %s was not loaded", p.Name)
					}
					continue
				}
				if cp == nil {
					t.Errorf("cilium loaded no program %s", p.Name)
					continue
				}
				ours, err := describeProgFuncs(int(res.Programs[j]), ourIdx)
				if err != nil {
					t.Fatalf("program %s: %v", p.Name, err)
				}
				theirs, err := describeProgFuncs(cp.FD(), ciliumIdx)
				if err != nil {
					t.Fatalf("program %s (cilium): %v", p.Name, err)
				}
				if d := diffFuncProg(theirs, ours); d != "" {
					t.Errorf("program %s differs (cilium vs ours):\n%s", p.Name, d)
				}
				compared++
			}
			if compared == 0 {
				t.Error("no program compared")
			}
		})
	}
}

const mapFlagMmapable = 0x400

// kernelObjectName is what the kernel keeps of an object name: at most 15
// characters out of letters, digits, '_' and '.'.
func kernelObjectName(name string) string {
	var b []byte
	for i := 0; i < len(name) && len(b) < 15; i++ {
		c := name[i]
		if c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b = append(b, c)
		}
	}
	return string(b)
}

// ciliumMap is kstate.Map with the BTF type ids replaced by what they
// describe: cilium/ebpf re-encodes the object's BTF (keeping only what
// each map needs), so the ids differ while the types are the same.
type ciliumMap struct {
	kstate.Map
	KeyType, ValueType string
	hasGlobalVar       bool // the value is a DATASEC with a non-static VAR
}

func (m ciliumMap) String() string {
	return fmt.Sprintf("%+v key=%s value=%s", m.Map, m.KeyType, m.ValueType)
}

// btfCache holds parsed kernel BTF objects by id.
type btfCache map[uint32]*btf.Spec

func (c btfCache) get(id uint32) (*btf.Spec, error) {
	if s, ok := c[id]; ok {
		return s, nil
	}
	fd, err := kernel.BTFFDByID(id)
	if err != nil {
		return nil, fmt.Errorf("BTF id %d: %w", id, err)
	}
	defer unix.Close(fd)
	raw, err := kernel.GetBTFData(fd)
	if err != nil {
		return nil, fmt.Errorf("BTF id %d: %w", id, err)
	}
	s, err := btf.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("BTF id %d: %w", id, err)
	}
	c[id] = s
	return s, nil
}

func describeMapTypes(fd int, btfs btfCache) (ciliumMap, error) {
	m, err := kstate.DescribeMap(fd)
	if err != nil {
		return ciliumMap{}, err
	}
	out := ciliumMap{Map: m}
	if !m.HasBTF {
		return out, nil
	}
	info, err := kernel.GetMapInfo(fd)
	if err != nil {
		return ciliumMap{}, err
	}
	spec, err := btfs.get(info.BTFID)
	if err != nil {
		return ciliumMap{}, err
	}
	out.KeyType = btfTypeString(spec, btf.TypeID(m.BTFKeyTypeID), 4)
	out.ValueType = btfTypeString(spec, btf.TypeID(m.BTFValueTypeID), 4)
	if t, err := spec.Type(btf.TypeID(m.BTFValueTypeID)); err == nil && t.Kind == btf.KindDatasec {
		for _, v := range t.Vars {
			if vt, err := spec.Type(v.Type); err == nil && vt.Kind == btf.KindVar && vt.Linkage != btf.LinkageStatic {
				out.hasGlobalVar = true
			}
		}
	}
	out.BTFKeyTypeID, out.BTFValueTypeID = 0, 0
	return out, nil
}

// btfTypeString renders a BTF type by structure and names, depth levels deep.
func btfTypeString(s *btf.Spec, id btf.TypeID, depth int) string {
	if id == 0 {
		return "void"
	}
	t, err := s.Type(id)
	if err != nil {
		return fmt.Sprintf("<bad type %d: %v>", id, err)
	}
	head := fmt.Sprintf("%s %q", t.Kind, t.Name)
	if depth <= 0 {
		return head
	}
	var b strings.Builder
	b.WriteString(head)
	switch t.Kind {
	case btf.KindInt:
		fmt.Fprintf(&b, " size %d enc %d bits %d@%d", t.Size, t.IntEncoding, t.IntBits, t.IntOffset)
	case btf.KindPtr, btf.KindTypedef, btf.KindConst, btf.KindVolatile, btf.KindRestrict, btf.KindTypeTag:
		fmt.Fprintf(&b, " -> %s", btfTypeString(s, t.Type, depth-1))
	case btf.KindVar:
		fmt.Fprintf(&b, " linkage %d: %s", t.Linkage, btfTypeString(s, t.Type, depth-1))
	case btf.KindArray:
		fmt.Fprintf(&b, " [%d] of %s", t.Array.Nelems, btfTypeString(s, t.Array.Type, depth-1))
	case btf.KindStruct, btf.KindUnion:
		fmt.Fprintf(&b, " size %d {", t.Size)
		for _, m := range t.Members {
			fmt.Fprintf(&b, " %s@%d/%d: %s;", m.Name, m.Offset, m.BitfieldSize, btfTypeString(s, m.Type, depth-1))
		}
		b.WriteString(" }")
	case btf.KindEnum, btf.KindEnum64:
		fmt.Fprintf(&b, " size %d {", t.Size)
		for _, e := range t.Enums {
			fmt.Fprintf(&b, " %s=%d", e.Name, e.Value)
		}
		b.WriteString(" }")
	case btf.KindDatasec:
		fmt.Fprintf(&b, " size %d {", t.Size)
		for _, v := range t.Vars {
			fmt.Fprintf(&b, " @%d/%d %s;", v.Offset, v.Size, btfTypeString(s, v.Type, depth-1))
		}
		b.WriteString(" }")
	default:
		fmt.Fprintf(&b, " size %d", t.Size)
	}
	return b.String()
}

// funcProg is a program's translated instructions cut into its functions
// (the main program and the sub-programs and callbacks appended to it).
// cilium/ebpf and libbpf (whose order we follow) append a program's
// sub-programs in different orders, so the flat instruction lists differ
// by layout only. Functions are numbered by first reference, starting from
// the entry, and calls and callback references name the function they
// reach instead of a relative offset: the comparison is independent of the
// layout and checks every instruction all the same.
type funcProg struct {
	header kstate.Prog // Insns cleared
	funcs  [][]string
}

func describeProgFuncs(fd int, mapIndex map[uint32]int) (*funcProg, error) {
	p, err := kstate.DescribeProg(fd, mapIndex)
	if err != nil {
		return nil, err
	}
	info, err := kernel.GetProgInfo(fd)
	if err != nil {
		return nil, err
	}
	insns, err := asm.Decode(info.XlatedInsns, binary.NativeEndian)
	if err != nil {
		return nil, err
	}
	if len(insns) != len(p.Insns) {
		return nil, fmt.Errorf("%d decoded instructions, %d described", len(insns), len(p.Insns))
	}
	// target returns the instruction a call or callback reference
	// reaches, or -1. A callback reference keeps its relative offset in
	// imm. A JITed program's calls are dumped with the relative offset in
	// off and the callee's sub-program number in imm (the kernel's
	// jit_subprogs rewrites them so); an interpreted program's keep the
	// offset in imm and off 0 (a call never reaches the next instruction,
	// so off 0 means "not rewritten").
	target := func(i int) int {
		ins := insns[i]
		switch {
		case ins.IsSubprogCall() && ins.Off != 0:
			return i + 1 + int(ins.Off)
		case ins.IsSubprogCall(), ins.IsLdImm64() && ins.Src == asm.PseudoFunc:
			return i + 1 + int(ins.Imm)
		}
		return -1
	}
	starts := []int{0}
	for i := range insns {
		if to := target(i); to >= 0 {
			if to >= len(insns) {
				return nil, fmt.Errorf("instruction %d reaches %d, past the end", i, to)
			}
			starts = append(starts, to)
		}
	}
	slices.Sort(starts)
	starts = slices.Compact(starts)
	end := func(start int) int {
		k, _ := slices.BinarySearch(starts, start)
		if k+1 < len(starts) {
			return starts[k+1]
		}
		return len(insns)
	}
	number := map[int]int{0: 0} // function start -> number by first reference
	queue := []int{0}
	out := &funcProg{header: p}
	out.header.Insns = nil
	for len(queue) > 0 {
		start := queue[0]
		queue = queue[1:]
		var body []string
		for i := start; i < end(start); i++ {
			to := target(i)
			if to < 0 {
				body = append(body, p.Insns[i])
				continue
			}
			n, ok := number[to]
			if !ok {
				n = len(number)
				number[to] = n
				queue = append(queue, to)
			}
			if insns[i].IsCall() {
				body = append(body, fmt.Sprintf("call func#%d", n))
			} else {
				body = append(body, fmt.Sprintf("r%d = func#%d", insns[i].Dst, n))
			}
		}
		out.funcs = append(out.funcs, body)
	}
	if len(out.funcs) != len(starts) {
		return nil, fmt.Errorf("%d functions reached from the entry, %d found", len(out.funcs), len(starts))
	}
	return out, nil
}

func diffFuncProg(a, b *funcProg) string {
	var out []string
	if d := kstate.DiffProg(a.header, b.header); d != "" {
		out = append(out, d)
	}
	if len(a.funcs) != len(b.funcs) {
		out = append(out, fmt.Sprintf("%d vs %d functions", len(a.funcs), len(b.funcs)))
	}
	for f := 0; f < min(len(a.funcs), len(b.funcs)); f++ {
		d := kstate.DiffProg(kstate.Prog{Insns: a.funcs[f]}, kstate.Prog{Insns: b.funcs[f]})
		if d != "" {
			out = append(out, fmt.Sprintf("function %d:\n%s", f, d))
		}
	}
	return strings.Join(out, "\n")
}

func ciliumMapNames(c *ebpf.Collection) []string {
	var names []string
	for n := range c.Maps {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
