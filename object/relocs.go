package object

import (
	"debug/elf"
	"fmt"
	"sort"

	"github.com/bpfgen/bpfgen/asm"
)

const relSize = 16 // Elf64_Rel

type rel struct {
	off  uint64
	sym  uint32
	typ  uint32
	name string // symbol name, for messages
}

// collectRelocs reads every relocation section: those of program sections
// become Function.Relocs, those of .maps become map-in-map and program
// array slots.
func (o *opener) collectRelocs() error {
	for _, s := range o.secs {
		if s.kind != kindRel {
			continue
		}
		target := o.secs[s.info]
		switch {
		case target.kind == kindProg:
			if err := o.progRelocs(s, target); err != nil {
				return err
			}
		case target.kind == kindStructOps:
			if err := o.structOpsRelocs(s, target); err != nil {
				return err
			}
		case o.mapsIdx != 0 && target.idx == o.mapsIdx:
			if err := o.mapRelocs(s, target); err != nil {
				return err
			}
		}
	}
	for _, f := range o.obj.Functions {
		sort.SliceStable(f.Relocs, func(i, j int) bool { return f.Relocs[i].Insn < f.Relocs[j].Insn })
	}
	for _, m := range o.obj.Maps {
		sort.SliceStable(m.Slots, func(i, j int) bool { return m.Slots[i].Index < m.Slots[j].Index })
	}
	return nil
}

// readRel decodes relocation i of s and checks its symbol index.
func (o *opener) readRel(s *section, i int) (rel, error) {
	b := s.data[i*relSize:]
	info := o.bo.Uint64(b[8:])
	r := rel{off: o.bo.Uint64(b), sym: uint32(info >> 32), typ: uint32(info)}
	if r.sym == 0 || int(r.sym) >= len(o.syms) {
		return r, o.relErrorf(s, i, r, "symbol index %d out of range (%d symbols)", r.sym, len(o.syms))
	}
	r.name = o.syms[r.sym].name
	return r, nil
}

func (o *opener) relErrorf(s *section, i int, r rel, format string, args ...any) error {
	prefix := fmt.Sprintf("relocation %d at offset %#x", i, r.off)
	if r.name != "" {
		prefix += fmt.Sprintf(" (symbol %s)", r.name)
	}
	return o.secErrorf(s, prefix+": "+format, args...)
}

// funcAt returns the function of section idx containing byte offset off.
func (o *opener) funcAt(idx int, off uint64) *Function {
	fs := o.funcs[idx]
	i := sort.Search(len(fs), func(i int) bool { return fs[i].Offset > off }) - 1
	if i < 0 {
		return nil
	}
	f := fs[i]
	if off >= f.Offset+uint64(len(f.Insns))*asm.InsnSize {
		return nil
	}
	return f
}

// funcStartingAt returns the function of section idx starting at byte
// offset off.
func (o *opener) funcStartingAt(idx int, off uint64) *Function {
	if f := o.funcAt(idx, off); f != nil && f.Offset == off {
		return f
	}
	return nil
}

// progRelocs is libbpf's bpf_program__record_reloc for one section.
func (o *opener) progRelocs(s, target *section) error {
	n := len(s.data) / relSize
	for i := 0; i < n; i++ {
		r, err := o.readRel(s, i)
		if err != nil {
			return err
		}
		if r.off%asm.InsnSize != 0 || r.off >= target.size {
			return o.relErrorf(s, i, r, "offset is not an instruction of section %q (%d bytes)", target.name, target.size)
		}
		f := o.funcAt(target.idx, r.off)
		if f == nil {
			return o.relErrorf(s, i, r, "offset is in no function of section %q", target.name)
		}
		idx := int((r.off - f.Offset) / asm.InsnSize)
		for _, prev := range f.Relocs {
			if prev.Insn == idx {
				return o.relErrorf(s, i, r, "instruction %d of %s already has a relocation", idx, f.Name)
			}
		}
		rl, err := o.recordReloc(f, idx, &o.syms[r.sym], int(r.sym))
		if err != nil {
			return o.relErrorf(s, i, r, "function %s instruction %d: %w", f.Name, idx, err)
		}
		rl.Symbol = r.name
		f.Relocs = append(f.Relocs, rl)
	}
	return nil
}

func (o *opener) recordReloc(f *Function, idx int, sym *symbol, symIdx int) (Reloc, error) {
	ins := f.Insns[idx]
	isCall := ins.IsCall()
	isLd := ins.IsLdImm64()
	if !isCall && !isLd {
		return Reloc{}, fmt.Errorf("opcode %#x is neither a call nor an ld_imm64", ins.Code)
	}
	if isLd && idx+1 >= len(f.Insns) {
		return Reloc{}, fmt.Errorf("ld_imm64 is cut off by the end of the function")
	}
	rl := Reloc{Insn: idx, Map: -1, Extern: -1}

	if sym.isExtern() {
		ei, ok := o.externBySym[symIdx]
		if !ok {
			return Reloc{}, fmt.Errorf("extern %s is not a known kconfig or ksym extern", sym.name)
		}
		e := o.obj.Externs[ei]
		rl.Extern = ei
		if isCall {
			if e.Kind != ExternKsym || !e.Func {
				return Reloc{}, fmt.Errorf("call of extern %s, which is not a kfunc", e.Name)
			}
			rl.Kind = RelocKfunc
			return rl, nil
		}
		rl.Kind = RelocExtern
		if e.Kind == ExternKconfig {
			rl.Map, rl.Offset = o.kconfigMap, int64(e.Offset)
		}
		return rl, nil
	}

	if isCall {
		if ins.Src != asm.PseudoCall {
			return Reloc{}, fmt.Errorf("relocated call has src %d, want BPF_PSEUDO_CALL", ins.Src)
		}
		if o.textIdx == 0 || int(sym.shndx) != o.textIdx {
			return Reloc{}, fmt.Errorf("call target %s is not in %s", sym.name, secText)
		}
		if sym.value%asm.InsnSize != 0 {
			return Reloc{}, fmt.Errorf("call target offset %#x is not instruction aligned", sym.value)
		}
		// The target is imm+1 instructions after the symbol's offset.
		t := int64(sym.value/asm.InsnSize) + int64(ins.Imm) + 1
		callee := o.funcStartingAt(o.textIdx, uint64(t)*asm.InsnSize)
		if t < 0 || callee == nil {
			return Reloc{}, fmt.Errorf("call target instruction %d of %s is not the start of a function", t, secText)
		}
		rl.Kind, rl.Func = RelocCall, callee
		return rl, nil
	}

	if sym.shndx == uint16(elf.SHN_UNDEF) || sym.shndx >= uint16(elf.SHN_LORESERVE) || int(sym.shndx) >= len(o.secs) {
		return Reloc{}, fmt.Errorf("symbol %s is in special section %#x (an uninitialised global?)", sym.name, sym.shndx)
	}

	// The address of a sub-program (a callback).
	if int(sym.shndx) == o.textIdx && (sym.bind() == elf.STB_LOCAL && sym.typ() == elf.STT_SECTION ||
		sym.globalOrWeak() && sym.typ() == elf.STT_FUNC) {
		// Clang leaves src 0 here; the load phase marks the instruction
		// BPF_PSEUDO_FUNC, as libbpf does.
		if sym.value%asm.InsnSize != 0 || ins.Imm%asm.InsnSize != 0 {
			return Reloc{}, fmt.Errorf("function address %#x%+d is not instruction aligned", sym.value, ins.Imm)
		}
		t := int64(sym.value) + int64(ins.Imm)
		callee := o.funcStartingAt(o.textIdx, uint64(t))
		if t < 0 || callee == nil {
			return Reloc{}, fmt.Errorf("callback offset %#x of %s is not the start of a function", t, secText)
		}
		rl.Kind, rl.Func = RelocFunc, callee
		return rl, nil
	}

	sec := o.secs[sym.shndx]
	if int(sym.shndx) == o.mapsIdx || int(sym.shndx) == o.legacyIdx {
		for mi, m := range o.obj.Maps {
			if m.secIdx == int(sym.shndx) && m.secOff == sym.value {
				rl.Kind, rl.Map = RelocMap, mi
				return rl, nil
			}
		}
		return Reloc{}, fmt.Errorf("no map at offset %#x of section %q", sym.value, sec.name)
	}
	if mi, ok := o.dataMaps[int(sym.shndx)]; ok {
		// Clang puts the addend in the first immediate for section
		// symbols; the symbol value is the variable's offset otherwise.
		rl.Kind, rl.Map = RelocMapValue, mi
		rl.Offset = int64(ins.Imm) + int64(sym.value)
		if rl.Offset < 0 || rl.Offset > int64(o.obj.Maps[mi].ValueSize) {
			return Reloc{}, fmt.Errorf("offset %d is outside section %q (%d bytes)", rl.Offset, sec.name, o.obj.Maps[mi].ValueSize)
		}
		return rl, nil
	}
	return Reloc{}, fmt.Errorf("reference to section %q, which is neither maps nor global data", sec.name)
}

// collectLocalCalls finds calls and callback references that clang
// resolved itself (pc-relative, no relocation) and records them.
func (o *opener) collectLocalCalls() error {
	for _, f := range o.obj.Functions {
		has := make(map[int]bool, len(f.Relocs))
		for _, r := range f.Relocs {
			has[r.Insn] = true
		}
		added := false
		for i := 0; i < len(f.Insns); i++ {
			ins, at := f.Insns[i], i
			isCall := ins.IsSubprogCall()
			isFunc := ins.IsLdImm64() && ins.Src == asm.PseudoFunc
			if ins.IsLdImm64() {
				i++ // skip the second slot
			}
			if (!isCall && !isFunc) || has[at] {
				continue
			}
			s := o.secs[f.SectionIndex]
			t := int64(f.Offset/asm.InsnSize) + int64(at) + int64(ins.Imm) + 1
			var callee *Function
			if t >= 0 {
				callee = o.funcStartingAt(f.SectionIndex, uint64(t)*asm.InsnSize)
			}
			if callee == nil {
				return o.secErrorf(s, "function %s instruction %d (offset %#x): call target instruction %d is not the start of a function", f.Name, at, f.Offset+uint64(at)*asm.InsnSize, t)
			}
			if !callee.Subprog {
				return o.secErrorf(s, "function %s instruction %d: calls %s, which is not in %s", f.Name, at, callee.Name, secText)
			}
			kind := RelocCall
			if isFunc {
				kind = RelocFunc
			}
			f.Relocs = append(f.Relocs, Reloc{Insn: at, Kind: kind, Func: callee, Map: -1, Extern: -1, Symbol: callee.Name})
			added = true
		}
		if added {
			sort.SliceStable(f.Relocs, func(i, j int) bool { return f.Relocs[i].Insn < f.Relocs[j].Insn })
		}
	}
	return nil
}

// mapRelocs reads .rel.maps: the ".values" initialisers of map-in-map and
// program array definitions (libbpf's bpf_object__collect_map_relos).
func (o *opener) mapRelocs(s, target *section) error {
	spec := o.obj.BTF
	n := len(s.data) / relSize
	for i := 0; i < n; i++ {
		r, err := o.readRel(s, i)
		if err != nil {
			return err
		}
		sym := &o.syms[r.sym]
		var (
			m  *Map
			vi = -1
		)
		for j, v := range o.btfMapVars {
			if uint64(v.Offset) <= r.off && r.off+8 <= uint64(v.Offset)+uint64(v.Size) {
				m, vi = o.obj.Maps[o.btfMapIdx[j]], j
				break
			}
		}
		if m == nil {
			return o.relErrorf(s, i, r, "no map definition covers this offset")
		}
		slot := Slot{Map: -1}
		switch {
		case m.Type.IsMapInMap():
			if int(sym.shndx) != o.mapsIdx {
				return o.relErrorf(s, i, r, "map %s: %s is not a BTF-defined map", m.Name, sym.name)
			}
			if m.Type == MapTypeHashOfMaps && m.KeySize != 4 {
				return o.relErrorf(s, i, r, "hash-of-maps %s must have 4-byte keys, not %d", m.Name, m.KeySize)
			}
			for mi, tm := range o.obj.Maps {
				if tm.Name == sym.name {
					slot.Map = mi
					break
				}
			}
			if slot.Map < 0 {
				return o.relErrorf(s, i, r, "map %s: %s is not a map of this object", m.Name, sym.name)
			}
		case m.Type == MapTypeProgArray:
			for _, f := range o.obj.Functions {
				if !f.Subprog && f.Name == sym.name {
					slot.Prog = f
					break
				}
			}
			if slot.Prog == nil || uint64(slot.Prog.SectionIndex) != uint64(sym.shndx) || slot.Prog.Offset != sym.value {
				return o.relErrorf(s, i, r, "map %s: %s is not an entry-point program", m.Name, sym.name)
			}
		default:
			return o.relErrorf(s, i, r, "map %s of type %s cannot have initial values", m.Name, m.Type)
		}
		v := o.btfMapVars[vi]
		vt, _ := spec.Type(v.Type)
		_, def, err := spec.Resolve(vt.Type)
		if err != nil || len(def.Members) == 0 || def.Members[len(def.Members)-1].Name != "values" {
			return o.relErrorf(s, i, r, "map %s: the last member of its definition is not 'values'", m.Name)
		}
		memOff := uint64(def.Members[len(def.Members)-1].Offset) / 8
		rel := r.off - uint64(v.Offset)
		if rel < memOff || (rel-memOff)%8 != 0 {
			return o.relErrorf(s, i, r, "map %s: offset is not a slot of 'values'", m.Name)
		}
		slot.Index = uint32((rel - memOff) / 8)
		replaced := false
		for k := range m.Slots {
			if m.Slots[k].Index == slot.Index {
				m.Slots[k], replaced = slot, true
			}
		}
		if !replaced {
			m.Slots = append(m.Slots, slot)
		}
	}
	return nil
}

// splitExt hands each function the BTF.ext records of its instructions,
// rebased to instruction indexes within the function.
func (o *opener) splitExt() error {
	if o.ext == nil {
		return nil
	}
	for _, es := range o.ext.Sections {
		var s *section
		for _, c := range o.secs {
			if c.kind == kindProg && c.name == es.Name {
				s = c
				break
			}
		}
		if s == nil {
			continue // libbpf ignores records of sections without programs
		}
		locate := func(what string, i int, off uint32) (*Function, uint32, error) {
			if off%asm.InsnSize != 0 {
				return nil, 0, o.secErrorf(s, "BTF.ext %s record %d: instruction offset %#x is not aligned", what, i, off)
			}
			f := o.funcAt(s.idx, uint64(off))
			if f == nil {
				return nil, 0, nil
			}
			return f, uint32((uint64(off) - f.Offset) / asm.InsnSize), nil
		}
		for i, r := range es.FuncInfos {
			f, idx, err := locate("func_info", i, r.InsnOff)
			if err != nil {
				return err
			}
			if f != nil {
				r.InsnOff = idx
				f.FuncInfos = append(f.FuncInfos, r)
			}
		}
		for i, r := range es.LineInfos {
			f, idx, err := locate("line_info", i, r.InsnOff)
			if err != nil {
				return err
			}
			if f != nil {
				r.InsnOff = idx
				f.LineInfos = append(f.LineInfos, r)
			}
		}
		for i, r := range es.CORERelos {
			f, idx, err := locate("CO-RE", i, r.InsnOff)
			if err != nil {
				return err
			}
			if f != nil {
				r.InsnOff = idx
				f.CORERelos = append(f.CORERelos, r)
			}
		}
	}
	return nil
}
