package load

import (
	"fmt"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/object"
)

// linked is a main program with every sub-program it reaches appended, as
// libbpf lays it out: depth first, in the order calls are met, each
// sub-program once.
type linked struct {
	insns     []asm.Insn
	relocs    []linkedReloc // data relocations, call and callback ones resolved
	funcInfos []btf.FuncInfo
	lineInfos []btf.LineInfo
	coreRelos []btf.CORERelo // InsnOff in bytes
}

type linkedReloc struct {
	insn int // index into linked.insns
	object.Reloc
}

// link appends the sub-programs main calls and resolves call and callback
// offsets.
func link(main *object.Function) (*linked, error) {
	l := &linked{}
	start := make(map[*object.Function]int)
	var add func(f *object.Function) error
	add = func(f *object.Function) error {
		base := len(l.insns)
		start[f] = base
		l.insns = append(l.insns, f.Insns...)
		for _, fi := range f.FuncInfos {
			fi.InsnOff += uint32(base)
			l.funcInfos = append(l.funcInfos, fi)
		}
		for _, li := range f.LineInfos {
			li.InsnOff += uint32(base)
			l.lineInfos = append(l.lineInfos, li)
		}
		for _, cr := range f.CORERelos {
			cr.InsnOff = (cr.InsnOff + uint32(base)) * asm.InsnSize
			l.coreRelos = append(l.coreRelos, cr)
		}
		for _, r := range f.Relocs {
			if r.Insn < 0 || r.Insn >= len(f.Insns) {
				return fmt.Errorf("function %s: relocation at instruction %d out of range", f.Name, r.Insn)
			}
			at := base + r.Insn
			switch r.Kind {
			case object.RelocCall, object.RelocFunc:
				if r.Func == nil {
					return fmt.Errorf("function %s: instruction %d: call without a target", f.Name, r.Insn)
				}
				if _, ok := start[r.Func]; !ok {
					if err := add(r.Func); err != nil {
						return err
					}
				}
				off := start[r.Func] - at - 1
				l.insns[at].Imm = int32(off)
				if r.Kind == object.RelocCall {
					l.insns[at].Src = asm.PseudoCall
				} else {
					l.insns[at].Src = asm.PseudoFunc
					if at+1 >= len(l.insns) {
						return fmt.Errorf("function %s: instruction %d: truncated ld_imm64", f.Name, r.Insn)
					}
					l.insns[at+1].Imm = 0
				}
			default:
				l.relocs = append(l.relocs, linkedReloc{insn: at, Reloc: r})
			}
		}
		return nil
	}
	if err := add(main); err != nil {
		return nil, fmt.Errorf("linking program %s: %w", main.Name, err)
	}
	return l, nil
}
