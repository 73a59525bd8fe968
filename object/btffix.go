package object

import (
	"debug/elf"

	"github.com/bpfgen/bpfgen/btf"
)

// fixupBTF fills in what clang leaves to the loader: DATASEC sizes from
// the ELF section sizes and global variable offsets from their symbols
// (libbpf's btf_fixup_datasec). Hidden globals become static, and so do
// the FUNCs of hidden global sub-programs, as libbpf does before loading.
func (o *opener) fixupBTF() error {
	spec := o.obj.BTF
	if spec == nil {
		return nil
	}
	for id, t := range spec.Types() {
		if t.Kind != btf.KindDatasec || id == o.kconfigSec || id == o.ksymsSec {
			continue
		}
		if t.Name == secKconfig || t.Name == secKsyms {
			// Extern sections without externs in the symbol table: only
			// sorted, as libbpf does.
			vars := append([]btf.VarSecinfo(nil), t.Vars...)
			sortVars(vars)
			if err := spec.SetDatasec(id, t.Size, vars); err != nil {
				return o.errorf("DATASEC %q [%d]: %w", t.Name, id, err)
			}
			continue
		}
		size := t.Size
		fixOffsets := false
		var elfSec *section
		if s := o.sectionByName(t.Name); s != nil {
			elfSec = s
		}
		if size == 0 {
			if elfSec == nil || elfSec.size == 0 {
				return o.errorf("DATASEC %q [%d]: no ELF section of that name gives its size", t.Name, id)
			}
			if elfSec.size > 1<<32-1 {
				return o.secErrorf(elfSec, "size %#x does not fit BTF", elfSec.size)
			}
			size = uint32(elfSec.size)
			fixOffsets = true
		}
		vars := append([]btf.VarSecinfo(nil), t.Vars...)
		for i := range vars {
			vt, err := spec.Type(vars[i].Type)
			if err != nil || vt.Kind != btf.KindVar {
				return o.errorf("DATASEC %q [%d]: entry %d (type %d) is not a VAR", t.Name, id, i, vars[i].Type)
			}
			if vt.Linkage == btf.LinkageStatic || vt.Linkage == btf.LinkageExtern {
				continue
			}
			sym := o.varSymbol(vt.Name)
			if sym == nil {
				return o.errorf("DATASEC %q [%d]: no ELF symbol for VAR %q", t.Name, id, vt.Name)
			}
			if fixOffsets {
				if sym.value > 1<<32-1 {
					return o.errorf("DATASEC %q: symbol %s: offset %#x out of range", t.Name, vt.Name, sym.value)
				}
				vars[i].Offset = uint32(sym.value)
			}
			if sym.hidden() {
				setVarLinkage(vt, btf.LinkageStatic)
			}
		}
		sortVars(vars)
		// The kernel rejects a DATASEC whose variables overlap or do not
		// fit; say so now, naming the variable.
		end := uint64(0)
		for _, v := range vars {
			vt, _ := spec.Type(v.Type)
			if uint64(v.Offset) < end {
				return o.errorf("DATASEC %q [%d]: VAR %q at offset %#x overlaps the previous one", t.Name, id, vt.Name, v.Offset)
			}
			end = uint64(v.Offset) + uint64(v.Size)
			if end > uint64(size) {
				return o.errorf("DATASEC %q [%d]: VAR %q at offset %#x size %d does not fit the section (%d bytes)", t.Name, id, vt.Name, v.Offset, v.Size, size)
			}
		}
		if err := spec.SetDatasec(id, size, vars); err != nil {
			return o.errorf("DATASEC %q [%d]: %w", t.Name, id, err)
		}
	}
	// Hidden global sub-programs are static to the verifier.
	for _, f := range o.obj.Functions {
		if !f.Subprog || !f.Hidden {
			continue
		}
		for _, t := range spec.Types() {
			if t.Kind == btf.KindFunc && t.Vlen == btf.LinkageGlobal && t.Name == f.Name {
				setFuncLinkage(t, btf.LinkageStatic)
				break
			}
		}
	}
	return nil
}

// varSymbol is libbpf's find_elf_var_sym: the first global or weak OBJECT
// symbol of that name.
func (o *opener) varSymbol(name string) *symbol {
	for i := range o.syms {
		s := &o.syms[i]
		if s.typ() == elf.STT_OBJECT && s.globalOrWeak() && s.name == name {
			return s
		}
	}
	return nil
}
