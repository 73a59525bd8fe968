package gen

import (
	"errors"
	"fmt"
	"sort"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// struct_ops maps in a loader (docs/design-notes.md, "struct_ops in
// loaders"). Type ids come from the target, as for ksyms: the loader looks
// the kernel's value type up with bpf_btf_find_by_name_kind, and the
// programs' attach target (the struct) the same way. Offsets, sizes and
// member indexes come from the kernel BTF the generator reads
// (Options.KernelBTF, else this machine's): the loader lays the value out
// with them, after checking them against what the target's kernel says.
// The check is a small syscall program with its own BTF and CO-RE records
// (abi.LayoutCheck) that the runtime loads and runs before the loader: the
// kernel relocates it against its own structs, and it writes what it found
// (does the member exist, its offset and size) into the loader's context,
// where the loader compares, one step per member, so that a difference
// fails naming struct and member. The completed value goes back to the
// runtime through the context (abi.StructOpsDesc); registering it is the
// runtime's, at attach time, as with libbpf.

// Results the layout check writes for each struct_ops map: three for the
// value type, then three for each member of the object's struct.
const (
	resultsPerMember = 3 // exists, byte offset, byte size
	resultsPerMap    = 3 // value type exists, its size, offset of "data"
)

// structOpsMapAttrSize is a MAP_CREATE attr up to value_type_btf_obj_fd.
var structOpsMapAttrSize = kernel.MapCreateValueTypeBTFObjFD + 4

// soState is the generator's struct_ops bookkeeping.
type soState struct {
	checkBase int         // context offset of the layout check's results
	results   int         // how many
	base      map[int]int // map index → its first result
	valueEnd  int         // context offset of the next value
	descs     []abi.StructOpsDesc
	structs   map[string]*load.KernelStruct
	order     []string // struct names, in the order first met
	groups    []soGroup
	valueSize map[int]uint32    // map index → the kernel's value size
	local     map[int]int       // map index → blob offset of the object's struct
	place     map[int][]soPlace // map index → the members the loader places
}

// soGroup is a run of layout results the check program writes together:
// the first says whether the type or member exists, the others are only
// computed if it does.
type soGroup struct{ entries []soEntry }

// soEntry is one result of the layout check.
type soEntry struct {
	idx     int
	kind    btf.COREKind
	strct   string // the kernel struct
	wrapper bool   // about the value type bpf_struct_ops_<strct>
	member  string // "" for a type relocation
	// want is what the loader assumes; the instruction carries it, as the
	// kernel checks that a relocated instruction holds the local value.
	want uint32
}

func (g *Generator) initStructOps() {
	g.so.checkBase = abi.CtxSize(g.nMaps, g.nProgs, len(g.targets))
	g.so.base = make(map[int]int)
	g.so.structs = make(map[string]*load.KernelStruct)
	g.so.valueSize = make(map[int]uint32)
	g.so.local = make(map[int]int)
	g.so.place = make(map[int][]soPlace)
	n := 0
	for i, m := range g.obj.Maps {
		if m.StructOps != nil {
			g.so.base[i] = n
			n += resultsPerMap + resultsPerMember*len(m.StructOps.Members)
		}
	}
	g.so.results = n
	g.so.valueEnd = g.so.checkBase + 4*n
}

// StructOpsLayout implements load.Backend from the kernel BTF the
// generator was given, or this machine's (vmlinux and modules).
func (g *Generator) StructOpsLayout(name string) (*load.KernelStruct, error) {
	if k := g.so.structs[name]; k != nil {
		return k, nil
	}
	spec := g.kernelBTF
	var modules func(yield func(string, *btf.Spec) bool)
	if spec == nil {
		var err error
		if spec, err = load.VmlinuxBTF(); err != nil {
			return nil, fmt.Errorf("a loader lays struct_ops values out with kernel BTF, and this machine's is unreadable (give the target's, Options.KernelBTF or --btf): %w", err)
		}
		modules = load.ModuleBTFs(spec)
	}
	k, err := load.FindKernelStruct(spec, modules, name)
	if errors.Is(err, load.ErrNotInKernel) && g.kernelBTF == nil {
		// This machine's kernel does not have the struct (a sched_ext
		// scheduler made on a kernel without sched_ext): lay it out as
		// the object declares it, which a vmlinux.h of the target
		// gives. The layout check holds the target to it all the same.
		k, err = g.objectStruct(name)
	}
	if err != nil {
		return nil, fmt.Errorf("%w (the loader is laid out with the BTF of the kernel it is made for: give the target's, Options.KernelBTF or --btf)", err)
	}
	g.so.structs[name] = k
	g.so.order = append(g.so.order, name)
	return k, nil
}

// structOpsValueAlign is the alignment of the struct in a struct_ops value
// (____cacheline_aligned_in_smp: 64 bytes on the architectures BPF
// struct_ops runs on but s390, which the layout check would refuse).
const structOpsValueAlign = 64

// objectStruct lays the kernel struct name out as the object's BTF
// declares it, in a value of the kernel's shape: an 8-byte header, then
// the struct at the next cache line.
func (g *Generator) objectStruct(name string) (*load.KernelStruct, error) {
	spec := g.obj.BTF
	for _, m := range g.obj.Maps {
		so := m.StructOps
		if so == nil || so.TypeName != name {
			continue
		}
		_, t, err := spec.Resolve(so.TypeID)
		if err != nil {
			return nil, err
		}
		k := &load.KernelStruct{Name: name, Size: t.Size, DataOffset: structOpsValueAlign, Spec: spec, ID: so.TypeID}
		k.ValueSize = (structOpsValueAlign + t.Size + structOpsValueAlign - 1) &^ (structOpsValueAlign - 1)
		for i, mem := range so.Members {
			k.Members = append(k.Members, load.KernelMember{Name: mem.Name, Offset: mem.Offset, Size: mem.Size, Func: mem.Func, Type: t.Members[i].Type})
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: struct %s", load.ErrNotInKernel, name)
}

// emitStructOpsValueType checks the value type of the struct_ops map m
// against the target and finds its BTF id (and module BTF) into the
// MAP_CREATE attr at blob offset attr.
func (g *Generator) emitStructOpsValueType(m *load.MapSpec, attr int) {
	k := m.StructOps
	base := g.so.base[m.Index]
	g.so.valueSize[m.Index] = k.ValueSize
	wrapper := load.StructOpsValuePrefix + k.Name
	g.so.groups = append(g.so.groups, soGroup{entries: []soEntry{
		{idx: base, kind: btf.CORETypeExists, strct: k.Name, wrapper: true, want: 1},
		{idx: base + 1, kind: btf.CORETypeSize, strct: k.Name, wrapper: true, want: k.ValueSize},
		{idx: base + 2, kind: btf.COREFieldByteOffset, strct: k.Name, wrapper: true, member: "data", want: k.DataOffset},
	}})
	g.step(fmt.Sprintf("check struct_ops value type %s on the target (%d bytes, struct %s at offset %d)", wrapper, k.ValueSize, k.Name, k.DataOffset))
	g.expectResult(base, 1)
	g.expectResult(base+1, k.ValueSize)
	g.expectResult(base+2, k.DataOffset)
	g.emitStructOpsChecks(m)

	name := g.add(append([]byte(wrapper), 0), "struct_ops value type "+wrapper)
	g.step("find struct_ops value type " + wrapper)
	g.addr(asm.R1, name)
	g.emit(asm.Mov.Imm(asm.R2, int32(len(wrapper)+1)), asm.Mov.Imm(asm.R3, int32(btf.KindStruct)),
		asm.Mov.Imm(asm.R4, 0), asm.Call(helperBTFFindByName), asm.Mov.Reg(rResult, asm.R0))
	g.check()
	g.storeReg(asm.SizeW, attr+kernel.MapCreateVmlinuxValueTypeID, rResult)
	g.emit(asm.RSh.Imm(rResult, 32))
	g.storeReg(asm.SizeW, slotOff(g.targetSlot), rResult)
	vmlinux := g.b.NewLabel("vmlinux_value_type")
	g.b.Jump(asm.JEq.Imm(rResult, 0, vmlinux))
	// In a module's BTF: pass its fd, and say so in the flags.
	g.storeReg(asm.SizeW, attr+kernel.MapCreateValueTypeBTFObjFD, rResult)
	g.loadReg(asm.SizeW, asm.R0, attr+kernel.MapCreateFlags)
	g.emit(asm.Or.Imm(asm.R0, kernel.BPF_F_VTYPE_BTF_OBJ_FD))
	g.storeReg(asm.SizeW, attr+kernel.MapCreateFlags, asm.R0)
	g.label(vmlinux)
}

// expectResult fails the step with EINVAL unless layout result idx is
// want.
func (g *Generator) expectResult(idx int, want uint32) {
	ok := g.b.NewLabel("as_assumed")
	g.emit(asm.LoadMem(asm.SizeW, asm.R0, rCtx, int16(g.so.checkBase+4*idx)), asm.Mov.Imm(rResult, 0))
	g.b.Jump(asm.JEq.Imm(asm.R0, int32(want), ok))
	g.emit(asm.Mov.Imm(rResult, -errnoEINVAL))
	g.label(ok)
	g.check()
}

// piece is one aligned load/store of a copy or comparison.
type piece struct {
	size     asm.Size
	n        int
	from, to int
}

// pieces splits n bytes from blob offset from (to offset to) into the
// largest loads and stores both offsets' alignment allows.
func pieces(from, to, n int) []piece {
	var ps []piece
	for n > 0 {
		p := piece{size: asm.SizeB, n: 1, from: from, to: to}
		for _, c := range []struct {
			s asm.Size
			n int
		}{{asm.SizeDW, 8}, {asm.SizeW, 4}, {asm.SizeH, 2}} {
			if n >= c.n && from%c.n == 0 && to%c.n == 0 {
				p.size, p.n = c.s, c.n
				break
			}
		}
		ps = append(ps, p)
		from, to, n = from+p.n, to+p.n, n-p.n
	}
	return ps
}

// expectZero fails the step with EINVAL unless the n bytes at blob[off]
// are zero.
func (g *Generator) expectZero(off, n int) {
	for _, p := range pieces(off, off, n) {
		ok := g.b.NewLabel("zero")
		g.loadReg(p.size, asm.R0, p.from)
		g.emit(asm.Mov.Imm(rResult, 0))
		g.b.Jump(asm.JEq.Imm(asm.R0, 0, ok))
		g.emit(asm.Mov.Imm(rResult, -errnoEINVAL))
		g.label(ok)
		g.check()
	}
}

// copyBlob copies n bytes within the blob.
func (g *Generator) copyBlob(from, to, n int) {
	for _, p := range pieces(from, to, n) {
		g.loadReg(p.size, asm.R0, p.from)
		g.storeReg(p.size, p.to, asm.R0)
	}
}

// emitStructOpsChecks reads the object's data of struct_ops map m (or the
// caller's, from the context) into the blob and checks, one step per
// member it sets, that the target lays the member out as assumed: before
// any program is loaded with a member's index as its attach type.
func (g *Generator) emitStructOpsChecks(ms *load.MapSpec) {
	m, k, mi := ms.Map, ms.StructOps, ms.Index
	so := m.StructOps
	local := g.add(so.Data, "struct_ops data of "+m.Name)
	g.so.local[mi] = local
	takesData := g.takesStructOpsData(m, k)
	if takesData {
		g.step("read struct_ops data of " + m.Name)
		keep := g.b.NewLabel("keep_data")
		g.emit(asm.LoadMem(asm.SizeDW, asm.R3, rCtx, int16(abi.MapDescOff(mi)+abi.MapDescInitValueOff)))
		g.b.Jump(asm.JEq.Imm(asm.R3, 0, keep))
		g.addr(asm.R1, local)
		g.emit(asm.Mov.Imm(asm.R2, int32(len(so.Data))), asm.Call(helperCopyFromUser), asm.Mov.Reg(rResult, asm.R0))
		g.check()
		g.label(keep)
	}
	for j, mem := range so.Members {
		res := g.so.base[mi] + resultsPerMap + resultsPerMember*j
		var km *load.KernelMember
		for i := range k.Members {
			if k.Members[i].Name == mem.Name {
				km = &k.Members[i]
			}
		}
		if km == nil || mem.Func != km.Func || (!mem.Func && km.Size != mem.Size) {
			// Not placeable: the load phase refused a value here, so
			// only a value the caller passes can set it, and it must not.
			if mem.Func || !takesData {
				continue
			}
			g.step(fmt.Sprintf("check member %s of struct %s is zero (the kernel the loader was made for has no such member of %d bytes)", mem.Name, so.TypeName, mem.Size))
			g.expectZero(local+int(mem.Offset), int(mem.Size))
			continue
		}
		if mem.Func && mem.Prog == nil || !mem.Func && !takesData && mem.Zero(so.Data) {
			continue
		}
		g.so.groups = append(g.so.groups, soGroup{entries: []soEntry{
			{idx: res, kind: btf.COREFieldExists, strct: k.Name, member: mem.Name, want: 1},
			{idx: res + 1, kind: btf.COREFieldByteOffset, strct: k.Name, member: mem.Name, want: km.Offset},
			{idx: res + 2, kind: btf.COREFieldByteSize, strct: k.Name, member: mem.Name, want: km.Size},
		}})
		g.so.place[mi] = append(g.so.place[mi], soPlace{member: mem, kernel: *km, res: res})
		g.step(fmt.Sprintf("check member %s of struct %s on the target (offset %d, %d bytes)", mem.Name, so.TypeName, km.Offset, km.Size))
		if mem.Func {
			g.expectResult(res, 1)
			g.expectResult(res+1, km.Offset)
			g.expectResult(res+2, km.Size)
			continue
		}
		// A data member the target lacks may only be zero (libbpf's rule).
		missing, done := g.b.NewLabel("member_missing"), g.b.NewLabel("member_checked")
		g.emit(asm.LoadMem(asm.SizeW, asm.R0, rCtx, int16(g.so.checkBase+4*res)))
		g.b.Jump(asm.JEq.Imm(asm.R0, 0, missing))
		g.expectResult(res+1, km.Offset)
		g.expectResult(res+2, km.Size)
		g.b.Jump(asm.Ja.Label(done))
		g.label(missing)
		g.expectZero(local+int(mem.Offset), int(mem.Size))
		g.label(done)
	}
}

// soPlace is a member of a struct_ops value that the loader checked and
// places: a program's fd or data.
type soPlace struct {
	member object.StructOpsMember
	kernel load.KernelMember
	res    int // the member's first layout result
}

// StructOpsValue implements load.Backend: the loader lays the value out in
// the blob from the object's struct (or the one the caller passed as the
// map's initial value), member by member as checked when the map was
// created, puts the programs' fds in place and copies the value into the
// context for the runtime (abi.StructOpsDesc).
func (g *Generator) StructOpsValue(_ load.Handle, s *load.StructOpsSpec) ([]byte, error) {
	if g.err != nil {
		return nil, g.err
	}
	m, k, mi := s.Map, s.Kernel, s.Index
	so := m.StructOps
	local, ok := g.so.local[mi]
	if !ok || g.so.valueSize[mi] != k.ValueSize {
		return nil, fmt.Errorf("struct_ops map %s: value laid out before the map was created", m.Name)
	}
	progs := make(map[string]load.StructOpsProg)
	for _, p := range s.Progs {
		progs[p.Member] = p
	}
	image := g.add(make([]byte, k.ValueSize), "struct_ops value of "+m.Name)
	g.step("fill the value of struct_ops map " + m.Name)
	for _, pl := range g.so.place[mi] {
		at := image + int(k.DataOffset+pl.kernel.Offset)
		if pl.member.Func {
			p, ok := progs[pl.member.Name]
			if !ok {
				return nil, fmt.Errorf("struct_ops map %s: member %s names no loaded program", m.Name, pl.member.Name)
			}
			// The fd, as the kernel reads it: an unsigned long.
			g.emit(asm.LoadMem(asm.SizeW, asm.R0, rBlob, int16(slotOff(g.progBase+p.Program))))
			g.storeReg(asm.SizeDW, at, asm.R0)
			continue
		}
		// Data the target has (a missing member was checked zero).
		skip := g.b.NewLabel("member_absent")
		g.emit(asm.LoadMem(asm.SizeW, asm.R0, rCtx, int16(g.so.checkBase+4*pl.res)))
		g.b.Jump(asm.JEq.Imm(asm.R0, 0, skip))
		g.copyBlob(local+int(pl.member.Offset), at, int(pl.member.Size))
		g.label(skip)
	}
	off := g.so.valueEnd
	if off+int(k.ValueSize) > maxDirectOffset {
		return nil, fmt.Errorf("struct_ops map %s: the context cannot hold a value of %d bytes at offset %d", m.Name, k.ValueSize, off)
	}
	g.step("hand the value of struct_ops map " + m.Name + " to the caller")
	for _, p := range pieces(image, off, int(k.ValueSize)) {
		g.loadReg(p.size, asm.R0, p.from)
		g.emit(asm.StoreMem(p.size, rCtx, int16(p.to), asm.R0))
	}
	g.so.descs = append(g.so.descs, abi.StructOpsDesc{Map: mi, Link: so.Link, ValueOff: uint32(off), ValueSize: k.ValueSize, DataSize: uint32(len(so.Data))})
	g.so.valueEnd += (int(k.ValueSize) + 7) &^ 7
	return nil, g.err
}

// takesStructOpsData reports whether the caller may replace the data of
// struct_ops map m (in the first bytes of the map's initial value).
func (g *Generator) takesStructOpsData(m *object.Map, k *load.KernelStruct) bool {
	return !g.signed && len(m.StructOps.Data) <= int(k.ValueSize)
}

// layoutCheck builds the program that reads the target's layout of every
// struct the loader checks: a BTF describing them as assumed (only the
// members checked, with types CO-RE finds compatible with the kernel's)
// and one CO-RE relocated constant per result.
func (g *Generator) layoutCheck() (*abi.LayoutCheck, error) {
	if len(g.so.groups) == 0 {
		return nil, nil
	}
	types := []btf.Type{{Kind: btf.KindInt, Name: "unsigned int", Size: 4, IntBits: 32}}
	const uintID = 1
	ids := make(map[string]btf.TypeID)       // struct name → local struct, wrapper is +1
	index := make(map[string]map[string]int) // struct → member → index in the local struct
	for _, name := range g.so.order {
		k := g.so.structs[name]
		used := make(map[string]bool)
		for _, gr := range g.so.groups {
			for _, e := range gr.entries {
				if e.strct == name && !e.wrapper {
					used[e.member] = true
				}
			}
		}
		var members []btf.Member
		index[name] = make(map[string]int)
		for _, km := range k.Members {
			if !used[km.Name] {
				continue
			}
			t, err := simpleType(k.Spec, km.Type, &types, uintID, 0)
			if err != nil {
				return nil, fmt.Errorf("struct %s member %s: %w", name, km.Name, err)
			}
			index[name][km.Name] = len(members)
			members = append(members, btf.Member{Name: km.Name, Type: t, Offset: 8 * km.Offset})
		}
		types = append(types, btf.Type{Kind: btf.KindStruct, Name: name, Size: k.Size, Members: members})
		sid := btf.TypeID(len(types))
		ids[name] = sid
		types = append(types, btf.Type{Kind: btf.KindStruct, Name: load.StructOpsValuePrefix + name, Size: k.ValueSize,
			Members: []btf.Member{{Name: "data", Type: sid, Offset: 8 * k.DataOffset}}})
	}
	// The kernel applies CO-RE records only to programs with func_info.
	types = append(types, btf.Type{Kind: btf.KindPtr},
		btf.Type{Kind: btf.KindFuncProto, Type: uintID, Params: []btf.Param{{Name: "ctx", Type: btf.TypeID(len(types) + 1)}}})
	types = append(types, btf.Type{Kind: btf.KindFunc, Name: "bpfgen_layout", Type: btf.TypeID(len(types)), Vlen: btf.LinkageGlobal})
	funcID := btf.TypeID(len(types))
	var b asm.Builder
	var relos []btf.CORERelo
	access := make([]string, 0)
	b.Emit(asm.Mov.Reg(asm.R6, asm.R1))
	for _, gr := range g.so.groups {
		end := b.NewLabel("absent")
		for i, e := range gr.entries {
			r := btf.CORERelo{InsnOff: uint32(b.Len() * asm.InsnSize), Kind: e.kind, TypeID: ids[e.strct]}
			acc := "0"
			switch {
			case e.wrapper:
				r.TypeID++
				if e.member != "" {
					acc = "0:0"
				}
			case e.member != "":
				acc = fmt.Sprintf("0:%d", index[e.strct][e.member])
			}
			access = append(access, acc)
			relos = append(relos, r)
			b.Emit(asm.Mov.Imm(asm.R1, int32(e.want)), asm.StoreMem(asm.SizeW, asm.R6, int16(4*e.idx), asm.R1))
			if i == 0 {
				b.Jump(asm.JEq.Imm(asm.R1, 0, end))
			}
		}
		if err := b.Label(end); err != nil {
			return nil, err
		}
	}
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Exit())
	insns, _, err := b.Assemble()
	if err != nil {
		return nil, fmt.Errorf("layout check: %w", err)
	}
	raw, offs, err := btf.Encode(types, access, g.bo)
	if err != nil {
		return nil, fmt.Errorf("layout check BTF: %w", err)
	}
	for i := range relos {
		relos[i].AccessStrOff = offs[access[i]]
	}
	return &abi.LayoutCheck{
		BTF:       raw,
		Insns:     asm.Encode(insns, g.bo),
		FuncInfo:  btf.MarshalFuncInfos([]btf.FuncInfo{{InsnOff: 0, TypeID: funcID}}, g.bo),
		CORERelos: btf.MarshalCORERelos(relos, g.bo),
		Results:   uint32(g.so.results),
		CtxOff:    uint32(g.so.checkBase),
	}, nil
}

// simpleType appends to types a type CO-RE finds compatible with the
// kernel's type id in spec, for a member whose offset and size are
// checked: integers, pointers, arrays of them, and composites and enums
// of any shape (CO-RE compares only their kinds, and names of enums,
// which an anonymous enum matches).
func simpleType(spec *btf.Spec, id btf.TypeID, types *[]btf.Type, uintID btf.TypeID, depth int) (btf.TypeID, error) {
	if depth > 8 {
		return 0, errors.New("array nesting too deep")
	}
	_, t, err := spec.Resolve(id)
	if err != nil {
		return 0, err
	}
	var nt btf.Type
	switch t.Kind {
	case btf.KindInt:
		nt = btf.Type{Kind: btf.KindInt, Name: t.Name, Size: t.Size, IntEncoding: t.IntEncoding, IntBits: t.IntBits}
	case btf.KindPtr:
		nt = btf.Type{Kind: btf.KindPtr}
	case btf.KindArray:
		elem, err := simpleType(spec, t.Array.Type, types, uintID, depth+1)
		if err != nil {
			return 0, err
		}
		nt = btf.Type{Kind: btf.KindArray, Array: btf.Array{Type: elem, IndexType: uintID, Nelems: t.Array.Nelems}}
	case btf.KindStruct, btf.KindUnion:
		nt = btf.Type{Kind: t.Kind, Size: t.Size}
	case btf.KindEnum, btf.KindEnum64:
		nt = btf.Type{Kind: btf.KindEnum, Size: t.Size}
	case btf.KindFloat:
		nt = btf.Type{Kind: btf.KindFloat, Name: t.Name, Size: t.Size}
	default:
		return 0, fmt.Errorf("member type is %s", t.Kind)
	}
	*types = append(*types, nt)
	return btf.TypeID(len(*types)), nil
}

// sortedDescs returns the struct_ops descriptors in map order.
func (g *Generator) sortedDescs() []abi.StructOpsDesc {
	ds := append([]abi.StructOpsDesc(nil), g.so.descs...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Map < ds[j].Map })
	return ds
}
