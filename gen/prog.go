package gen

import (
	"fmt"
	"sort"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel/abi"
)

// Loading a program takes up to four kinds of steps, in this order:
//
//   - find the attach target's BTF id (emitFindAttachTarget), for programs
//     that attach to a kernel function by BTF;
//   - find each kernel symbol the program refers to, once per symbol
//     (emitKsymLookups);
//   - write each lookup result into the instructions that need it, in the
//     program's copy in the blob (emitKsymRelos);
//   - load the program (emitProgLoad), and close the fds only the load
//     needed (emitCloseLoadFDs).
//
// Everything they read or write is laid out in the blob first
// (layoutProgram, reserveKsyms).

// LoadProgram implements load.Backend.
func (g *Generator) LoadProgram(p *load.ProgSpec) (load.Handle, error) {
	if g.err != nil {
		return load.NoHandle, g.err
	}
	if g.table {
		return g.tableLoadProgram(p)
	}
	insns := mapRefsToFDArray(p)
	lay := g.layoutProgram(p, insns)
	syms, err := g.reserveKsyms(p)
	if err != nil {
		return load.NoHandle, err
	}
	if p.Target.Name != "" {
		g.emitFindAttachTarget(p, lay)
	}
	g.emitKsymLookups(p, syms)
	g.emitKsymRelos(p, syms, lay.insns, insns)
	g.emitProgLoad(p, lay)
	g.emitCloseLoadFDs(p, syms)
	g.check()
	slot := g.progBase + p.Index
	g.storeReg(asm.SizeW, slotOff(slot), rResult)
	g.loaded[p.Index] = true
	return load.Handle(slot), g.err
}

// mapRefsToFDArray returns p's instructions with every map reference
// completed: maps are reached through the fd table, which is the fd_array
// of every program, so the references are complete at generation.
func mapRefsToFDArray(p *load.ProgSpec) []asm.Insn {
	insns := append([]asm.Insn(nil), p.Insns...)
	for _, fx := range p.Fixups {
		switch fx.Kind {
		case load.FixupMap:
			insns[fx.Insn].Src, insns[fx.Insn].Imm = asm.PseudoMapIdx, int32(fx.Map)
		case load.FixupMapValue:
			insns[fx.Insn].Src, insns[fx.Insn].Imm = asm.PseudoMapIdxValue, int32(fx.Map)
		}
	}
	return insns
}

// progLayout is where a program's data lies in the blob; the optional
// parts are at offset 0 when absent.
type progLayout struct {
	license    int
	insns      int // the encoded instructions, patched in place by the relocations
	funcInfo   int
	lineInfo   int
	coreRelos  int
	targetName int // name of the BTF attach target, NUL-terminated
	attr       int // the BPF_PROG_LOAD attr
}

// layoutProgram adds p's license, instructions, BTF records, attach
// target name and load attr to the blob.
func (g *Generator) layoutProgram(p *load.ProgSpec, insns []asm.Insn) progLayout {
	var lay progLayout
	name := p.Func.Name
	lay.license = g.add(append([]byte(p.License), 0), "license of "+name)
	lay.insns = g.add(asm.Encode(insns, g.bo), "instructions of "+name)
	if len(p.FuncInfos) > 0 {
		lay.funcInfo = g.add(btf.MarshalFuncInfos(p.FuncInfos, g.bo), "func_info of "+name)
	}
	if len(p.LineInfos) > 0 {
		lay.lineInfo = g.add(btf.MarshalLineInfos(p.LineInfos, g.bo), "line_info of "+name)
	}
	if len(p.CORERelos) > 0 {
		lay.coreRelos = g.add(btf.MarshalCORERelos(p.CORERelos, g.bo), "CO-RE records of "+name)
	}
	buf, place := g.attr(progLoadAttrSize, kernel.CmdProgLoad, name)
	g.fillProgLoadAttr(buf, p, len(insns))
	if p.Target.Name != "" {
		lay.targetName = g.add(append([]byte(p.Target.Name), 0), "attach target "+p.Target.Name)
	}
	lay.attr = place()
	return lay
}

// fillProgLoadAttr sets the fields of a BPF_PROG_LOAD attr known at
// generation; the loader fills the pointers and fds.
func (g *Generator) fillProgLoadAttr(buf []byte, p *load.ProgSpec, nInsns int) {
	bo := g.bo
	bo.PutUint32(buf[kernel.ProgLoadType:], p.Type)
	bo.PutUint32(buf[kernel.ProgLoadInsnCnt:], uint32(nInsns))
	bo.PutUint32(buf[kernel.ProgLoadKernVersion:], p.KernVersion)
	bo.PutUint32(buf[kernel.ProgLoadFlags:], p.Flags)
	copy(buf[kernel.ProgLoadName:kernel.ProgLoadName+15], p.Name)
	bo.PutUint32(buf[kernel.ProgLoadAttachType:], p.AttachType)
	if len(p.FuncInfos) > 0 {
		bo.PutUint32(buf[kernel.ProgLoadFuncInfoRec:], btf.FuncInfoSize)
		bo.PutUint32(buf[kernel.ProgLoadFuncInfoCnt:], uint32(len(p.FuncInfos)))
	}
	if len(p.LineInfos) > 0 {
		bo.PutUint32(buf[kernel.ProgLoadLineInfoRec:], btf.LineInfoSize)
		bo.PutUint32(buf[kernel.ProgLoadLineInfoCnt:], uint32(len(p.LineInfos)))
	}
	if len(p.CORERelos) > 0 {
		bo.PutUint32(buf[kernel.ProgLoadCoreReloCnt:], uint32(len(p.CORERelos)))
		bo.PutUint32(buf[kernel.ProgLoadCoreReloRec:], btf.CORERelocSize)
	}
}

// symLookup is one kernel symbol a program needs, looked up once into
// blob scratch space for every instruction that refers to it.
type symLookup struct {
	fx     load.Fixup // the first fixup naming the symbol
	result int        // blob offset of the u64 result (btf id | obj fd << 32, or address)
	slot   int        // fd slot of the module BTF, -1 for addresses
	name   int        // blob offset of the symbol's name
}

// progKsyms are the kernel symbols of one program, by symKey.
type progKsyms struct {
	byKey map[string]*symLookup
	keys  []string // sorted, the order of the lookups
	slots int      // fd slots taken from g.symBase on
}

// reserveKsyms de-duplicates the kernel symbols p's fixups name and gives
// each a result in the blob, a module BTF fd slot (not for addresses) and
// its name.
func (g *Generator) reserveKsyms(p *load.ProgSpec) (*progKsyms, error) {
	syms := &progKsyms{byKey: make(map[string]*symLookup)}
	for _, fx := range p.Fixups {
		if fx.Kind != load.FixupKsymBTF && fx.Kind != load.FixupKfunc && fx.Kind != load.FixupKsymAddr {
			continue
		}
		k := symKey(fx)
		if syms.byKey[k] != nil {
			continue
		}
		l := &symLookup{fx: fx, result: g.add(make([]byte, 8), "lookup result "+fx.Name), slot: -1}
		if fx.Kind != load.FixupKsymAddr {
			if syms.slots >= g.nSymSlots {
				return nil, fmt.Errorf("program %s: more kernel symbols than reserved fd slots", p.Func.Name)
			}
			l.slot = g.symBase + syms.slots
			syms.slots++
		}
		syms.byKey[k] = l
		syms.keys = append(syms.keys, k)
	}
	// The names follow the results, in the order of first use.
	for _, k := range syms.keys {
		l := syms.byKey[k]
		l.name = g.add(append([]byte(l.fx.Name), 0), "symbol name "+l.fx.Name)
	}
	sort.Strings(syms.keys) // deterministic, independent of map iteration
	return syms, nil
}

func symKey(fx load.Fixup) string {
	switch fx.Kind {
	case load.FixupKsymAddr:
		return "addr/" + fx.Name
	case load.FixupKsymBTF, load.FixupKfunc:
		return fmt.Sprintf("btf/%d/%s", fx.BTFKind, fx.Name)
	}
	return ""
}

// emitFindAttachTarget looks the BTF id of p's attach target up on the
// target kernel, into the attr's attach_btf_id and attach_btf_obj_fd; the
// object's fd also goes into the target slot, to be closed after the load.
func (g *Generator) emitFindAttachTarget(p *load.ProgSpec, lay progLayout) {
	g.step(fmt.Sprintf("find attach target %s of %s", p.Target.Name, p.Func.Name))
	g.addr(asm.R1, lay.targetName)
	g.emit(asm.Mov.Imm(asm.R2, int32(len(p.Target.Name)+1)), asm.Mov.Imm(asm.R3, int32(p.Target.Kind)),
		asm.Mov.Imm(asm.R4, 0), asm.Call(helperBTFFindByName), asm.Mov.Reg(rResult, asm.R0))
	g.check()
	g.storeReg(asm.SizeW, lay.attr+kernel.ProgLoadAttachBTFID, rResult)
	g.emit(asm.RSh.Imm(rResult, 32))
	g.storeReg(asm.SizeW, lay.attr+kernel.ProgLoadAttachBTFObj, rResult)
	g.storeReg(asm.SizeW, slotOff(g.targetSlot), rResult)
}

// emitKsymLookups looks every kernel symbol of the program up, one step
// each.
func (g *Generator) emitKsymLookups(p *load.ProgSpec, syms *progKsyms) {
	for _, k := range syms.keys {
		g.emitKsymLookup(syms.byKey[k], p.Func.Name)
	}
}

// emitKsymLookup emits the lookup of one kernel symbol into l.result. A
// weak symbol that is missing leaves the result zero; a strong one fails
// the step.
func (g *Generator) emitKsymLookup(l *symLookup, prog string) {
	if l.fx.Kind == load.FixupKsymAddr {
		g.emitKsymAddrLookup(l, prog)
	} else {
		g.emitKsymBTFLookup(l, prog)
	}
}

// emitKsymAddrLookup finds the address of a typeless ksym with
// bpf_kallsyms_lookup_name.
func (g *Generator) emitKsymAddrLookup(l *symLookup, prog string) {
	fx := l.fx
	done := g.b.NewLabel("found")
	g.step(fmt.Sprintf("find address of ksym %s for %s", fx.Name, prog))
	g.addr(asm.R1, l.name)
	g.emit(asm.Mov.Imm(asm.R2, int32(len(fx.Name)+1)), asm.Mov.Imm(asm.R3, 0))
	g.addr(asm.R4, l.result)
	g.emit(asm.Call(helperKallsymsLookup), asm.Mov.Reg(rResult, asm.R0))
	if fx.Weak {
		g.b.Jump(asm.JEq.Imm(rResult, -errnoENOENT, done))
	}
	g.check()
	g.label(done)
}

// emitKsymBTFLookup finds the BTF id and BTF object of a typed ksym or a
// kfunc with bpf_btf_find_by_name_kind; the object's fd goes into the
// symbol's slot.
func (g *Generator) emitKsymBTFLookup(l *symLookup, prog string) {
	fx := l.fx
	done := g.b.NewLabel("found")
	what := "ksym"
	if fx.Kind == load.FixupKfunc {
		what = "kfunc"
	}
	g.step(fmt.Sprintf("find BTF id of %s %s for %s", what, fx.Name, prog))
	g.addr(asm.R1, l.name)
	g.emit(asm.Mov.Imm(asm.R2, int32(len(fx.Name)+1)), asm.Mov.Imm(asm.R3, int32(fx.BTFKind)),
		asm.Mov.Imm(asm.R4, 0), asm.Call(helperBTFFindByName), asm.Mov.Reg(rResult, asm.R0))
	if fx.Weak {
		// Missing: the result stays zero.
		g.b.Jump(asm.JSLT.Imm(rResult, 0, done))
	} else {
		g.check()
	}
	g.storeReg(asm.SizeDW, l.result, rResult)
	g.emit(asm.Mov.Reg(asm.R0, rResult), asm.RSh.Imm(asm.R0, 32))
	g.storeReg(asm.SizeW, slotOff(l.slot), asm.R0)
	g.label(done)
}

// blobInsn is instruction i of a program whose encoded instructions start
// at blob offset prog; its methods give the blob offsets of its fields.
type blobInsn struct{ prog, i int }

func (x blobInsn) regs() int    { return x.prog + asm.RegsAt(x.i) }
func (x blobInsn) off() int     { return x.prog + asm.OffAt(x.i) }
func (x blobInsn) imm() int     { return x.prog + asm.ImmAt(x.i) }
func (x blobInsn) immHigh() int { return x.prog + asm.Imm64HighAt(x.i) }

// emitKsymRelos completes, in the program's instructions at blob offset
// prog, every instruction that refers to a kernel symbol, from its
// symbol's lookup result.
func (g *Generator) emitKsymRelos(p *load.ProgSpec, syms *progKsyms, prog int, insns []asm.Insn) {
	for _, fx := range p.Fixups {
		l := syms.byKey[symKey(fx)]
		if l == nil {
			continue
		}
		g.emitKsymRelo(fx, l, blobInsn{prog, fx.Insn}, insns[fx.Insn])
	}
}

// emitKsymRelo completes one instruction, ins at blob position at.
func (g *Generator) emitKsymRelo(fx load.Fixup, l *symLookup, at blobInsn, ins asm.Insn) {
	g.b.Comment(fmt.Sprintf("patch instruction %d (%s)", fx.Insn, fx.Name))
	g.loadReg(asm.SizeDW, asm.R0, l.result)
	if fx.Kind == load.FixupKsymAddr {
		// A missing weak symbol's address is 0, like the direct load's.
		g.storeImm64(at)
		return
	}
	missing := g.b.NewLabel("missing")
	out := g.b.NewLabel("patched")
	g.b.Jump(asm.JEq.Imm(asm.R0, 0, missing))
	if fx.Kind == load.FixupKsymBTF {
		// src = BPF_PSEUDO_BTF_ID (set at generation), imm = BTF id,
		// next imm = BTF object fd.
		g.storeImm64(at)
	} else {
		// A kfunc call: imm = BTF id, off = the fd table slot of its
		// module's BTF, or 0 for vmlinux.
		g.storeReg(asm.SizeW, at.imm(), asm.R0)
		g.emit(asm.RSh.Imm(asm.R0, 32))
		g.b.Jump(asm.JEq.Imm(asm.R0, 0, out))
		g.storeImm(asm.SizeH, at.off(), int32(l.slot))
	}
	g.b.Jump(asm.Ja.Label(out))
	// Missing and weak: a ksym becomes a plain ld_imm64 of 0, a kfunc call
	// a call of the poison helper id, as in the direct load.
	g.label(missing)
	g.storeImm(asm.SizeB, at.regs(), int32(asm.RegsByte(ins.Dst, 0, g.bo)))
	if fx.Kind == load.FixupKfunc {
		g.storeImm(asm.SizeW, at.imm(), load.KfuncPoison)
	}
	g.label(out)
}

// storeImm64 writes r0 into the immediate of the ld_imm64 at: the low half
// in the first slot, the high half in the second.
func (g *Generator) storeImm64(at blobInsn) {
	g.storeReg(asm.SizeW, at.imm(), asm.R0)
	g.emit(asm.RSh.Imm(asm.R0, 32))
	g.storeReg(asm.SizeW, at.immHigh(), asm.R0)
}

// emitProgLoad fills the attr's pointers and fds and loads the program;
// the result is in r7, unchecked.
func (g *Generator) emitProgLoad(p *load.ProgSpec, lay progLayout) {
	attr := lay.attr
	g.step("load program " + p.Func.Name)
	g.useBase(attr)
	// fd_array is the fd table, at blob offset 0.
	ptrs := []ptrField{{attr + kernel.ProgLoadFDArray, 0}, {attr + kernel.ProgLoadLicense, lay.license}, {attr + kernel.ProgLoadInsns, lay.insns}}
	if p.BTF != load.NoHandle {
		if len(p.FuncInfos) > 0 {
			ptrs = append(ptrs, ptrField{attr + kernel.ProgLoadFuncInfo, lay.funcInfo})
		}
		if len(p.LineInfos) > 0 {
			ptrs = append(ptrs, ptrField{attr + kernel.ProgLoadLineInfo, lay.lineInfo})
		}
		if len(p.CORERelos) > 0 {
			ptrs = append(ptrs, ptrField{attr + kernel.ProgLoadCoreRelos, lay.coreRelos})
		}
	}
	g.storePtrs(ptrs...)
	if p.BTF != load.NoHandle {
		g.copySlot(attr+kernel.ProgLoadBTFFD, int(p.BTF))
	}
	if p.TargetProg != nil {
		// The target program is the runner's: its fd and the function's
		// BTF id come in through the context.
		g.targetFuncs[p.Index] = p.TargetProg.Func
		off := abi.TargetDescOff(g.nMaps, g.nProgs, g.targets[p.Index])
		g.copyCtx(asm.SizeW, attr+kernel.ProgLoadAttachBTFObj, off+abi.TargetDescFDOff)
		g.copyCtx(asm.SizeW, attr+kernel.ProgLoadAttachBTFID, off+abi.TargetDescBTFIDOff)
	}
	g.loadWithLog(cmdProgLoad, attr, int32(progLoadAttrSize), logFields{level: kernel.ProgLoadLogLevel, size: kernel.ProgLoadLogSize, buf: kernel.ProgLoadLogBuf})
}

// emitCloseLoadFDs closes the module BTF fds of the program's kernel
// symbols and of its attach target: only the load needed them.
func (g *Generator) emitCloseLoadFDs(p *load.ProgSpec, syms *progKsyms) {
	for s := g.symBase; s < g.symBase+syms.slots; s++ {
		g.closeSlot(s)
	}
	if p.Target.Name != "" {
		g.closeSlot(g.targetSlot)
	}
}
