package gen

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// A table loader (Options.Table) records each kernel call as records
// ("ops") in the blob and runs them with one constant program: a bpf_loop
// whose callback interprets one op per iteration. Its instructions are
// the same for every object, so its verification cost does not grow with
// the object; the blob is what changes.
//
// The blob map is an array of abi.TableElemSize-byte elements. Every
// access the interpreter makes is to one element it looks up, at an
// offset masked or compared into that element, which is what lets the
// verifier accept offsets read from the blob. Pointers the kernel follows
// (attr fields, fd_array) are plain addresses computed from element 0's:
// array elements are contiguous.

// Ops of a table loader. Each is tableOpSize bytes: u32 code, then u32
// operands a, b, c, d, e. Offsets are blob offsets.
const (
	opStep     = 1  // step a: the context names step a on failure
	opFail     = 2  // fail with -a (fault injection)
	opCopy32   = 3  // u32 at a = u32 at b (an fd from the fd table)
	opPtr      = 4  // u64 at a = address of blob offset b
	opCtx      = 5  // u32 at a = context at b; d: ctxNonZero, ctxLog
	opCopyUser = 6  // c bytes at a (element-aligned, c <= element) = user memory at (u64 context at b) + d, when that pointer is not 0
	opSys      = 7  // bpf_sys_bpf(a, attr at b, c); fail when negative; the result to u32 at d unless d is 0
	opClose    = 8  // close the fd at a (when > 0) and zero it
	opFindBTF  = 9  // u64 at d = bpf_btf_find_by_name_kind(name at a, size b, kind c): BTF id | object fd << 32; e = 1: weak, a miss gives 0
	opKallsyms = 10 // u64 at d = bpf_kallsyms_lookup_name(name at a, size b); e = 1: weak, a miss gives 0
	opSkipIf   = 11 // skip the next c ops when the b (4 or 8) bytes at a are 0 (d = 0) or are not 0 (d = 1)
	opStore    = 12 // b (1, 2 or 4) bytes at a = c
	opCtx64    = 13 // u64 at a = context at b; d as for opCtx

	ctxNonZero = 1 // opCtx, opCtx64: only when the context's value is not 0
	ctxLog     = 2 // opCtx, opCtx64: the context's value when the current step is the log step, else 0

	tableOpSize  = 32
	tableMaxAttr = 256 // no attr the loader passes is larger
	tableMaxOps  = 1 << 23
)

// tableOp is one record.
type tableOp struct {
	code          uint32
	a, b, c, d, e uint32
}

// Offsets in element 0 (the header) of a table loader's blob.
const (
	hdrNumOps       = 0  // u32: all ops, the cleanup ops included
	hdrCleanupStart = 4  // u32: index of the first cleanup op
	hdrOpsElem      = 12 // u32: element of op 0
	hdrScratch      = 16 // u64: turns a pointer into a number
)

// The interpreter's state, in the header too: a callback's stores into
// map memory leave the verifier's state as it was, so that it verifies
// the callback once per call site (stores into the caller's stack made
// every op's exit a new state to explore the loop from).
const (
	stCtx     = 32 // u64: context address
	stBase    = 40 // u64: address of the blob
	stIndex   = 48 // u32: the op being run
	stStep    = 52 // u32: current step
	stResult  = 56 // s64: 0, or the negative errno of the failed op
	stCtxSize = 64 // u32
	stLogStep = 68 // u32
	stSkip    = 72 // u32: ops still to skip (opSkipIf)
)

const (
	elemSize  = abi.TableElemSize
	elemShift = 10 // log2(elemSize)
)

// elemShift must match elemSize: either constant is negative, and fails
// to compile, otherwise.
const (
	_ uint = elemSize - 1<<elemShift
	_ uint = 1<<elemShift - elemSize
)

// tableSlotOff is the blob offset of fd slot s of a table loader.
func tableSlotOff(s int) int { return abi.TableFDElem*elemSize + 4*s }

// pad appends zeros to the blob up to a multiple of n.
func (g *Generator) pad(n int) {
	for len(g.blob)%n != 0 {
		g.blob = append(g.blob, 0)
	}
}

// alignAttr makes the next blob item start where an attr of up to
// tableMaxAttr bytes fits in one element.
func (g *Generator) alignAttr() {
	if len(g.blob)%elemSize > elemSize-tableMaxAttr {
		g.pad(elemSize)
	}
}

// op records one op.
func (g *Generator) op(code uint32, a, b, c, d int) {
	g.ops = append(g.ops, tableOp{code, uint32(a), uint32(b), uint32(c), uint32(d), 0})
}

// opWeak records an op whose operand e says the symbol is weak.
func (g *Generator) opWeak(code uint32, a, b, c, d int, weak bool) {
	o := tableOp{code: code, a: uint32(a), b: uint32(b), c: uint32(c), d: uint32(d)}
	if weak {
		o.e = 1
	}
	g.ops = append(g.ops, o)
}

// tableLog records the context's log settings into a load's attr, for
// the step the context names only.
func (g *Generator) tableLog(attr int, log logFields) {
	g.logSteps = append(g.logSteps, uint32(len(g.steps)-1))
	g.op(opCtx, attr+log.level, abi.CtxLogLevelOff, 0, ctxLog)
	g.op(opCtx, attr+log.size, abi.CtxLogSizeOff, 0, ctxLog)
	g.op(opCtx64, attr+log.buf, abi.CtxLogBufOff, 0, ctxLog)
}

func (g *Generator) tableLoadBTF(raw []byte) (load.Handle, error) {
	data := g.add(raw, "BTF")
	buf, place := g.attr(btfLoadAttrSize, kernel.CmdBTFLoad, "")
	g.bo.PutUint32(buf[kernel.BTFLoadSize:], uint32(len(raw)))
	attr := place()
	g.step("load BTF")
	g.op(opPtr, attr+kernel.BTFLoadBTF, data, 0, 0)
	g.tableLog(attr, logFields{level: kernel.BTFLoadLogLevel, size: kernel.BTFLoadLogSize, buf: kernel.BTFLoadLogBuf})
	g.op(opSys, int(cmdBTFLoad), attr, btfLoadAttrSize, tableSlotOff(g.btfSlot))
	return load.Handle(g.btfSlot), nil
}

func (g *Generator) tableCreateMap(m *load.MapSpec) (load.Handle, error) {
	buf, place := g.attr(mapCreateAttrSize, kernel.CmdMapCreate, m.Map.Name)
	g.fillMapCreateAttr(buf, m)
	attr := place()
	slot, name := g.innerSlot, "inner map of "+m.Map.Name
	if m.Index >= 0 {
		slot, name = m.Index, "map "+m.Map.Name
	}
	g.step("create " + name)
	if m.Index >= 0 && g.desc.TakesMapFD(m.Index) {
		// A map passed in the context takes the place of a new one.
		fd := abi.MapDescOff(m.Index) + abi.MapDescFDOff
		g.op(opCtx, g.passedIn+4*m.Index, fd, 0, 0)
		g.op(opCtx, tableSlotOff(slot), fd, 0, ctxNonZero)
	}
	defer g.tableSkipIfPassedIn(m.Index)()
	if m.BTF != load.NoHandle {
		g.op(opCopy32, attr+kernel.MapCreateBTFFD, tableSlotOff(int(m.BTF)), 0, 0)
	}
	if m.Inner != load.NoHandle {
		g.op(opCopy32, attr+kernel.MapCreateInnerMapFD, tableSlotOff(int(m.Inner)), 0, 0)
	}
	if m.Index >= 0 && (!g.signed || isCPUSized(m.Map)) {
		// A signed loader takes only the target's CPU count.
		g.op(opCtx, attr+kernel.MapCreateMaxEntries, abi.MapDescOff(m.Index)+abi.MapDescMaxEntriesOff, 0, ctxNonZero)
	}
	g.op(opSys, int(cmdMapCreate), attr, mapCreateAttrSize, tableSlotOff(slot))
	return load.Handle(slot), nil
}

func (g *Generator) tableUpdateElem(m load.Handle, mapIndex int, key []byte, v load.Value) error {
	om := g.obj.Maps[mapIndex]
	keyOff := g.add(key, "key of "+om.Name)
	// A signed loader takes only the target's .kconfig image.
	override := v.Bytes != nil && om.Internal != object.NotInternal && (!g.signed || mapIndex == g.kconfigMap)
	var valueOff int
	var what string
	switch {
	case v.Bytes != nil:
		if override {
			// The caller's value is copied over it an element at a time.
			g.pad(elemSize)
		}
		valueOff = g.add(v.Bytes, "initial value of "+om.Name)
		what = "write initial value of " + om.Name
	default:
		valueOff = tableSlotOff(int(v.FD))
		what = fmt.Sprintf("set slot %d of %s", g.bo.Uint32(key), om.Name)
	}
	_, place := g.attr(mapElemAttrSize, kernel.CmdMapUpdateElem, om.Name)
	attr := place()
	g.step(what)
	if v.Init {
		defer g.tableSkipIfPassedIn(mapIndex)()
	}
	if override {
		for done := 0; done < len(v.Bytes); done += elemSize {
			n := min(elemSize, len(v.Bytes)-done)
			g.op(opCopyUser, valueOff+done, abi.MapDescOff(mapIndex)+abi.MapDescInitValueOff, n, done)
		}
	}
	g.op(opCopy32, attr+kernel.MapElemFD, tableSlotOff(int(m)), 0, 0)
	g.op(opPtr, attr+kernel.MapElemKey, keyOff, 0, 0)
	g.op(opPtr, attr+kernel.MapElemValue, valueOff, 0, 0)
	g.op(opSys, int(cmdMapUpdateElem), attr, mapElemAttrSize, 0)
	return nil
}

func (g *Generator) tableFreeze(m load.Handle, mapIndex int) error {
	_, place := g.attr(mapFreezeAttrSize, kernel.CmdMapFreeze, g.obj.Maps[mapIndex].Name)
	attr := place()
	g.step("freeze " + g.obj.Maps[mapIndex].Name)
	defer g.tableSkipIfPassedIn(mapIndex)()
	g.op(opCopy32, attr+kernel.MapElemFD, tableSlotOff(int(m)), 0, 0)
	g.op(opSys, int(cmdMapFreeze), attr, mapFreezeAttrSize, 0)
	return nil
}

func (g *Generator) tableLoadProgram(p *load.ProgSpec) (load.Handle, error) {
	insns := mapRefsToFDArray(p)
	lay := g.layoutProgram(p, insns)
	attr := lay.attr
	if p.Target.Name != "" {
		name, err := g.tableName(p.Target.Name)
		if err != nil {
			return load.NoHandle, err
		}
		res := g.add(make([]byte, 8), "attach target "+p.Target.Name+" (BTF id, object fd)")
		g.step(fmt.Sprintf("find attach target %s of %s", p.Target.Name, p.Func.Name))
		g.opWeak(opFindBTF, name, len(p.Target.Name)+1, int(p.Target.Kind), res, false)
		g.op(opCopy32, attr+kernel.ProgLoadAttachBTFID, g.low(res), 0, 0)
		g.op(opCopy32, attr+kernel.ProgLoadAttachBTFObj, g.high(res), 0, 0)
		g.op(opCopy32, tableSlotOff(g.targetSlot), g.high(res), 0, 0)
	}
	if err := g.tableKsyms(p, lay.insns, insns); err != nil {
		return load.NoHandle, err
	}
	g.step("load program " + p.Func.Name)
	g.op(opPtr, attr+kernel.ProgLoadFDArray, tableSlotOff(0), 0, 0)
	g.op(opPtr, attr+kernel.ProgLoadLicense, lay.license, 0, 0)
	g.op(opPtr, attr+kernel.ProgLoadInsns, lay.insns, 0, 0)
	if p.BTF != load.NoHandle {
		if len(p.FuncInfos) > 0 {
			g.op(opPtr, attr+kernel.ProgLoadFuncInfo, lay.funcInfo, 0, 0)
		}
		if len(p.LineInfos) > 0 {
			g.op(opPtr, attr+kernel.ProgLoadLineInfo, lay.lineInfo, 0, 0)
		}
		if len(p.CORERelos) > 0 {
			g.op(opPtr, attr+kernel.ProgLoadCoreRelos, lay.coreRelos, 0, 0)
		}
		g.op(opCopy32, attr+kernel.ProgLoadBTFFD, tableSlotOff(int(p.BTF)), 0, 0)
	}
	if p.TargetProg != nil {
		// The target program is the runner's: its fd and the function's
		// BTF id come in through the context.
		g.targetFuncs[p.Index] = p.TargetProg.Func
		off := abi.TargetDescOff(g.nMaps, g.nProgs, g.targets[p.Index])
		g.op(opCtx, attr+kernel.ProgLoadAttachBTFObj, off+abi.TargetDescFDOff, 0, 0)
		g.op(opCtx, attr+kernel.ProgLoadAttachBTFID, off+abi.TargetDescBTFIDOff, 0, 0)
	}
	g.tableLog(attr, logFields{level: kernel.ProgLoadLogLevel, size: kernel.ProgLoadLogSize, buf: kernel.ProgLoadLogBuf})
	slot := g.progBase + p.Index
	g.op(opSys, int(cmdProgLoad), attr, progLoadAttrSize, tableSlotOff(slot))
	if p.Target.Name != "" {
		g.op(opClose, tableSlotOff(g.targetSlot), 0, 0, 0)
	}
	g.loaded[p.Index] = true
	return load.Handle(slot), nil
}

// low and high are the blob offsets of the halves of the u64 at off.
func (g *Generator) low(off int) int {
	if g.bo == binary.ByteOrder(binary.BigEndian) {
		return off + 4
	}
	return off
}

func (g *Generator) high(off int) int {
	if g.bo == binary.ByteOrder(binary.BigEndian) {
		return off
	}
	return off + 4
}

// tableName adds a NUL-terminated name where a helper can be given it
// (in one element).
func (g *Generator) tableName(name string) (int, error) {
	if len(name)+1 > tableMaxAttr {
		return 0, fmt.Errorf("table loader of %s: symbol name %.40q... is longer than %d bytes", g.obj.Name, name, tableMaxAttr-1)
	}
	g.alignAttr()
	return g.add(append([]byte(name), 0), "symbol name "+name), nil
}

// tableSym is a kernel symbol looked up once per loader run, whichever
// programs use it.
type tableSym struct {
	result int // blob offset of the u64 result
	slot   int // fd slot of its module BTF; -1 for an address
}

// tableKsyms looks up the kernel symbols of p that no earlier program
// looked up, and completes every instruction of p that refers to one, in
// its copy at blob offset prog.
func (g *Generator) tableKsyms(p *load.ProgSpec, prog int, insns []asm.Insn) error {
	var keys []string
	first := make(map[string]load.Fixup)
	for _, fx := range p.Fixups {
		if fx.Kind != load.FixupKsymBTF && fx.Kind != load.FixupKfunc && fx.Kind != load.FixupKsymAddr {
			continue
		}
		k := tableSymKey(fx)
		if _, ok := first[k]; !ok && g.tsyms[k] == nil {
			keys = append(keys, k)
		}
		if _, ok := first[k]; !ok {
			first[k] = fx
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		fx := first[k]
		name, err := g.tableName(fx.Name)
		if err != nil {
			return err
		}
		s := &tableSym{result: g.add(make([]byte, 8), "lookup result "+fx.Name), slot: -1}
		if fx.Kind == load.FixupKsymAddr {
			g.step(fmt.Sprintf("find address of ksym %s for %s", fx.Name, p.Func.Name))
			g.opWeak(opKallsyms, name, len(fx.Name)+1, 0, s.result, fx.Weak)
		} else {
			if g.nextSym >= g.nSymSlots {
				return fmt.Errorf("program %s: more kernel symbols than reserved fd slots", p.Func.Name)
			}
			s.slot = g.symBase + g.nextSym
			g.nextSym++
			what := "ksym"
			if fx.Kind == load.FixupKfunc {
				what = "kfunc"
			}
			g.step(fmt.Sprintf("find BTF id of %s %s for %s", what, fx.Name, p.Func.Name))
			g.opWeak(opFindBTF, name, len(fx.Name)+1, int(fx.BTFKind), s.result, fx.Weak)
			g.op(opCopy32, tableSlotOff(s.slot), g.high(s.result), 0, 0)
		}
		g.tsyms[k] = s
	}
	for _, fx := range p.Fixups {
		s := g.tsyms[tableSymKey(fx)]
		if s == nil || (fx.Kind != load.FixupKsymBTF && fx.Kind != load.FixupKfunc && fx.Kind != load.FixupKsymAddr) {
			continue
		}
		at := blobInsn{prog, fx.Insn}
		switch fx.Kind {
		case load.FixupKsymAddr:
			// A missing weak symbol's address is 0, like the direct load's.
			g.op(opCopy32, at.imm(), g.low(s.result), 0, 0)
			g.op(opCopy32, at.immHigh(), g.high(s.result), 0, 0)
		case load.FixupKsymBTF:
			// Missing and weak: a plain ld_imm64 of 0.
			g.op(opSkipIf, s.result, 8, 1, 1)
			g.op(opStore, at.regs(), 1, int(asm.RegsByte(insns[fx.Insn].Dst, 0, g.bo)), 0)
			g.op(opSkipIf, s.result, 8, 2, 0)
			g.op(opCopy32, at.imm(), g.low(s.result), 0, 0)
			g.op(opCopy32, at.immHigh(), g.high(s.result), 0, 0)
		case load.FixupKfunc:
			// Missing and weak: a call of the poison helper id. Found:
			// imm = BTF id, off = the slot of its module's BTF, or 0 for
			// vmlinux.
			g.op(opSkipIf, s.result, 8, 2, 1)
			g.op(opStore, at.regs(), 1, int(asm.RegsByte(insns[fx.Insn].Dst, 0, g.bo)), 0)
			g.op(opStore, at.imm(), 4, load.KfuncPoison, 0)
			g.op(opSkipIf, s.result, 8, 3, 0)
			g.op(opCopy32, at.imm(), g.low(s.result), 0, 0)
			g.op(opSkipIf, g.high(s.result), 4, 1, 0)
			g.op(opStore, at.off(), 2, s.slot, 0)
		}
	}
	return nil
}

// tableSymKey names a symbol lookup; weak and strong references look up
// apart, so that a strong one fails where a weak one reads 0.
func tableSymKey(fx load.Fixup) string {
	if fx.Weak {
		return symKey(fx) + "/weak"
	}
	return symKey(fx)
}

// tableFinish lays out the ops and the header and returns the loader.
func (g *Generator) tableFinish() (*Loader, error) {
	// Success: the BTF fd is the loader's own; the rest are the caller's,
	// read from the fd table.
	g.op(opClose, tableSlotOff(g.btfSlot), 0, 0, 0)
	for s := g.symBase; s < g.symBase+g.nextSym; s++ {
		g.op(opClose, tableSlotOff(s), 0, 0, 0)
	}
	nMain := len(g.ops)
	for s := 0; s < g.nSlots; s++ {
		if s < g.nMaps && g.desc.TakesMapFD(s) {
			// A map passed in is the caller's to close.
			g.op(opSkipIf, g.passedIn+4*s, 4, 1, 1)
		}
		g.op(opClose, tableSlotOff(s), 0, 0, 0)
	}
	if len(g.ops) > tableMaxOps {
		return nil, fmt.Errorf("table loader of %s: %d records, more than bpf_loop's %d iterations", g.obj.Name, len(g.ops), tableMaxOps)
	}
	g.pad(elemSize)
	opsOff := len(g.blob)
	ops := make([]byte, len(g.ops)*tableOpSize)
	for i, o := range g.ops {
		r := ops[i*tableOpSize:]
		for k, v := range []uint32{o.code, o.a, o.b, o.c, o.d, o.e} {
			g.bo.PutUint32(r[4*k:], v)
		}
	}
	g.add(ops, fmt.Sprintf("%d records", len(g.ops)))
	g.pad(elemSize)
	maxElem := -1
	if g.signed {
		// One value of a power of two elements (the size class), which
		// the program's bounds name.
		n := 1
		for n*elemSize < len(g.blob) {
			n *= 2
		}
		g.blob = append(g.blob, make([]byte, n*elemSize-len(g.blob))...)
		maxElem = n - 1
	}
	g.bo.PutUint32(g.blob[hdrNumOps:], uint32(len(g.ops)))
	g.bo.PutUint32(g.blob[hdrCleanupStart:], uint32(nMain))
	g.bo.PutUint32(g.blob[hdrOpsElem:], uint32(opsOff/elemSize))
	if len(g.blob) > maxBlobSize {
		return nil, fmt.Errorf("loader of %s: blob of %d bytes, more than the %d a loader may address", g.obj.Name, len(g.blob), maxBlobSize)
	}
	insns, comments, cb, sub, err := tableProgram(maxElem)
	if err != nil {
		return nil, err
	}
	l := &Loader{Comments: comments, TOC: g.toc}
	l.Name = g.obj.Name
	l.Data = g.blob
	l.Insns = asm.Encode(insns, g.bo)
	l.Table = true
	if g.signed {
		// Scheme v2 only (abi.Loader.HasScheme): the kernel verifies the
		// blob, one value, with the instructions.
		l.Signed = true
		h := sha256.Sum256(l.Insns)
		l.InsnsHash = h[:]
	}
	l.LoaderBTF = tableBTF(g.bo)
	fi := make([]byte, 24)
	g.bo.PutUint32(fi[4:], tableBTFMain)
	g.bo.PutUint32(fi[8:], uint32(cb))
	g.bo.PutUint32(fi[12:], tableBTFCallback)
	g.bo.PutUint32(fi[16:], uint32(sub))
	g.bo.PutUint32(fi[20:], tableBTFElem)
	l.LoaderFuncInfo = fi
	l.Steps = g.steps
	l.LogSteps = g.logSteps
	l.Kconfig = g.kconfig
	l.KconfigMap = g.kconfigMap
	l.Maps = g.mapDescs()
	l.MapFDsIn = true
	l.Progs = g.progDescs()
	return l, nil
}

// tableSkipIfPassedIn starts the skip, in a step that creates or
// initialises map i, of the step's remaining records when the map was
// passed in the context; the returned func ends it. Maps that are
// always created (inner-map templates, i < 0) get no skip.
func (g *Generator) tableSkipIfPassedIn(i int) func() {
	if i < 0 || !g.desc.TakesMapFD(i) {
		return func() {}
	}
	at := len(g.ops)
	g.op(opSkipIf, g.passedIn+4*i, 4, 0, 1)
	return func() { g.ops[at].c = uint32(len(g.ops) - at - 1) }
}

// Type ids of the table loader's BTF.
const (
	tableBTFMain     = 4
	tableBTFCallback = 8
	tableBTFElem     = 10
)

// tableBTF is the BTF of the interpreter: its two functions, which the
// kernel needs as func_info because one is a bpf_loop callback.
func tableBTF(bo binary.ByteOrder) []byte {
	var strs []byte
	str := func(s string) uint32 {
		off := uint32(len(strs))
		strs = append(append(strs, s...), 0)
		return off
	}
	str("")
	var types []byte
	word := func(ws ...uint32) {
		for _, w := range ws {
			types = append(types, 0, 0, 0, 0)
			bo.PutUint32(types[len(types)-4:], w)
		}
	}
	const (
		kindInt, kindPtr, kindFunc, kindProto = 1, 2, 12, 13
		signed                                = 1 << 24
	)
	info := func(kind, vlen uint32) uint32 { return kind<<24 | vlen }
	word(str("int"), info(kindInt, 0), 4, signed|32)                             // 1
	word(0, info(kindPtr, 0), 0)                                                 // 2: void *
	word(0, info(kindProto, 1), 1, str("ctx"), 2)                                // 3: int (void *ctx)
	word(str("bpfgen_loader"), info(kindFunc, 1), 3)                             // 4: global
	word(str("unsigned int"), info(kindInt, 0), 4, 32)                           // 5
	word(str("long"), info(kindInt, 0), 8, signed|64)                            // 6
	word(0, info(kindProto, 2), 6, str("index"), 5, str("state"), 2)             // 7: long (u32, void *)
	word(str("bpfgen_step"), info(kindFunc, 0), 7)                               // 8: static
	word(0, info(kindProto, 3), 6, str("off"), 5, str("mask"), 5, str("max"), 5) // 9: long (u32, u32, u32)
	word(str("bpfgen_elem"), info(kindFunc, 0), 9)                               // 10: static
	hdr := make([]byte, 24)
	bo.PutUint16(hdr, 0xeb9f)
	hdr[2] = 1
	bo.PutUint32(hdr[4:], 24)
	bo.PutUint32(hdr[8:], 0)
	bo.PutUint32(hdr[12:], uint32(len(types)))
	bo.PutUint32(hdr[16:], uint32(len(types)))
	bo.PutUint32(hdr[20:], uint32(len(strs)))
	return append(append(hdr, types...), strs...)
}

// Registers of the interpreter's callback.
const (
	rState = asm.R6 // the header, which holds the state
	rOp    = asm.R7 // the current op
)

// tableProgram is the interpreter, the same for every object; cb is the
// instruction index of its callback.
//
// maxElem is -1 for a blob of elements, each looked up by its key; for a
// signed loader's blob, one value of maxElem+1 elements, it is the
// largest element the program addresses in it.
func tableProgram(maxElem int) (insns []asm.Insn, comments []string, cb, sub int, err error) {
	var b asm.Builder
	emit := b.Emit
	label := func(name string) {
		if e := b.Label(name); e != nil && err == nil {
			err = e
		}
	}
	mapPtr := func(dst asm.Register) { emit(asm.LdImm64(dst, asm.PseudoMapIdx, 0)...) }
	// header puts the address of element 0 into r0, or returns ret
	// (which cannot happen: the blob has an element 0).
	// elem calls the subprogram that puts into r0 the address of blob
	// offset r1, masked with mask and at most max into its element, or 0.
	// One subprogram holds the program's only map lookup: the verifier
	// spends ~10 us on each lookup it inlines, ~4 on each call.
	elem := func(mask, max int32) {
		emit(asm.Mov.Imm(asm.R2, mask), asm.Mov.Imm(asm.R3, max))
		b.CallLabel("elem")
	}
	header := func(ret int32) {
		found := b.NewLabel("have_header")
		emit(asm.Mov.Imm(asm.R1, 0))
		elem(0, 0)
		b.Jump(asm.JNE.Imm(asm.R0, 0, found))
		emit(asm.Mov.Imm(asm.R0, ret), asm.Exit())
		label(found)
	}

	b.Comment("table loader: r6 = context, r7 = blob element 0 (the header)")
	emit(asm.Mov.Reg(asm.R6, asm.R1))
	header(-14) // EFAULT
	emit(asm.Mov.Reg(asm.R7, asm.R0))
	b.Comment("the state: context and blob as numbers (through the header's scratch), ops from index 0")
	emit(asm.StoreMem(asm.SizeDW, asm.R7, hdrScratch, asm.R6), asm.LoadMem(asm.SizeDW, asm.R1, asm.R7, hdrScratch),
		asm.StoreMem(asm.SizeDW, asm.R7, stCtx, asm.R1),
		asm.StoreMem(asm.SizeDW, asm.R7, hdrScratch, asm.R7), asm.LoadMem(asm.SizeDW, asm.R1, asm.R7, hdrScratch),
		asm.StoreMem(asm.SizeDW, asm.R7, stBase, asm.R1),
		asm.StoreImm(asm.SizeW, asm.R7, stStep, 0),
		asm.StoreImm(asm.SizeW, asm.R7, stSkip, 0),
		asm.StoreImm(asm.SizeDW, asm.R7, stResult, 0),
		asm.LoadMem(asm.SizeW, asm.R1, asm.R6, abi.CtxSizeOff), asm.StoreMem(asm.SizeW, asm.R7, stCtxSize, asm.R1),
		asm.LoadMem(asm.SizeW, asm.R1, asm.R6, abi.CtxLogStepOff), asm.StoreMem(asm.SizeW, asm.R7, stLogStep, asm.R1))
	// One bpf_loop over every op: one call site, so that the verifier
	// checks the callback once. It stops after the last op on the way in
	// when all went well; a failure skips to the cleanup ops.
	// bpf_loop fails only for more than 1<<23 iterations, which the
	// generator refuses (tableMaxOps).
	b.Comment("run the ops")
	emit(asm.LoadMem(asm.SizeW, asm.R1, asm.R7, hdrNumOps))
	b.LoadFuncLabel(asm.R2, "step")
	emit(asm.Mov.Imm(asm.R3, 0), asm.Mov.Imm(asm.R4, 0), asm.Call(kernel.BPF_FUNC_loop))
	emit(asm.LoadMem(asm.SizeDW, asm.R0, asm.R7, stResult))
	b.Jump(asm.JNE.Imm(asm.R0, 0, "failed"))
	emit(asm.Exit())
	label("failed")
	b.Comment("failure (the cleanup ops have closed every fd): name the step in the context, return the error")
	emit(asm.LoadMem(asm.SizeW, asm.R1, asm.R7, stStep), asm.StoreMem(asm.SizeW, asm.R6, abi.CtxStepOff, asm.R1), asm.Exit())

	// The callback: r1 = iteration.
	cb = b.Len()
	label("step")
	b.Comment("callback: run op r1 (r6 = the header, with the state)")
	emit(asm.Mov.Reg32(asm.R8, asm.R1))
	header(1) // stop: a callback returns 0 or 1
	emit(asm.Mov.Reg(rState, asm.R0), asm.LoadMem(asm.SizeW, asm.R2, rState, stSkip))
	b.Jump(asm.JEq.Imm(asm.R2, 0, "run"))
	emit(asm.Add.Imm(asm.R2, -1), asm.StoreMem(asm.SizeW, rState, stSkip, asm.R2), asm.Mov.Imm(asm.R0, 0), asm.Exit())
	label("run")
	emit(asm.StoreMem(asm.SizeW, rState, stIndex, asm.R8), asm.LoadMem(asm.SizeW, asm.R1, rState, hdrCleanupStart))
	b.Jump(asm.JLT.Reg(asm.R8, asm.R1, "op"))
	emit(asm.LoadMem(asm.SizeDW, asm.R1, rState, stResult))
	b.Jump(asm.JNE.Imm(asm.R1, 0, "op"))
	emit(asm.Mov.Imm(asm.R0, 1), asm.Exit()) // all went well: no cleanup
	label("op")
	emit(asm.LoadMem(asm.SizeW, asm.R1, rState, hdrOpsElem), asm.LSh.Imm(asm.R1, elemShift),
		asm.Mov.Reg(asm.R2, asm.R8), asm.LSh.Imm(asm.R2, 5), asm.Add.Reg(asm.R1, asm.R2))
	elem(elemSize-tableOpSize, elemSize-tableOpSize)
	b.Jump(asm.JEq.Imm(asm.R0, 0, "efault"))
	emit(asm.Mov.Reg(rOp, asm.R0))
	// at puts into r0 the address of blob offset (op field f), for an
	// access of size bytes: the element's address plus the offset masked
	// into it (which also aligns it).
	at := func(f int16, size int32) {
		emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, f))
		elem(elemSize-size, elemSize-size)
		b.Jump(asm.JEq.Imm(asm.R0, 0, "efault"))
	}
	ret0 := func() { emit(asm.Mov.Imm(asm.R0, 0), asm.Exit()) }
	const fa, fb, fc, fd, fe = 4, 8, 12, 16, 20
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, 0))
	for _, c := range []struct {
		code  int32
		label string
	}{{opStep, "op_step"}, {opFail, "op_fail"}, {opCopy32, "op_copy32"}, {opPtr, "op_ptr"}, {opCtx, "op_ctx"}, {opCtx64, "op_ctx64"},
		{opCopyUser, "op_copy_user"}, {opSys, "op_sys"}, {opClose, "op_close"},
		{opFindBTF, "op_find_btf"}, {opKallsyms, "op_kallsyms"}, {opSkipIf, "op_skip_if"}, {opStore, "op_store"}} {
		b.Jump(asm.JEq.Imm(asm.R1, c.code, c.label))
	}
	b.Jump(asm.Ja.Label("einval"))

	label("op_step")
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fa), asm.StoreMem(asm.SizeW, rState, stStep, asm.R1))
	ret0()

	label("op_fail")
	emit(asm.LoadMem(asm.SizeW, asm.R0, rOp, fa), asm.Neg64(asm.R0))
	b.Jump(asm.Ja.Label("fail"))

	label("op_copy32")
	at(fb, 4)
	emit(asm.LoadMem(asm.SizeW, asm.R9, asm.R0, 0))
	at(fa, 4)
	emit(asm.StoreMem(asm.SizeW, asm.R0, 0, asm.R9))
	ret0()

	label("op_ptr")
	at(fa, 8)
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fb), asm.LoadMem(asm.SizeDW, asm.R2, rState, stBase), asm.Add.Reg(asm.R1, asm.R2),
		asm.StoreMem(asm.SizeDW, asm.R0, 0, asm.R1))
	ret0()

	// readCtx reads size bytes of the context at op field f into the
	// stack at -16, bounded by the context's size.
	readCtx := func(f int16, size int32) {
		emit(asm.LoadMem(asm.SizeW, asm.R3, rOp, f), asm.LoadMem(asm.SizeW, asm.R2, rState, stCtxSize))
		b.Jump(asm.JLT.Imm(asm.R2, size, "einval"))
		emit(asm.Add.Imm(asm.R2, -size))
		b.Jump(asm.JGT.Reg(asm.R3, asm.R2, "einval"))
		emit(asm.LoadMem(asm.SizeDW, asm.R2, rState, stCtx), asm.Add.Reg(asm.R3, asm.R2),
			asm.StoreImm(asm.SizeDW, asm.R10, -16, 0), asm.Mov.Reg(asm.R1, asm.R10), asm.Add.Imm(asm.R1, -16),
			asm.Mov.Imm(asm.R2, size), asm.Call(kernel.BPF_FUNC_probe_read_kernel))
		b.Jump(asm.JSLT.Imm(asm.R0, 0, "fail"))
	}

	// One handler per size, so that no path carries the size as a
	// value to branch on again.
	for _, c := range []struct {
		label string
		size  int32
		mem   asm.Size
	}{{"op_ctx", 4, asm.SizeW}, {"op_ctx64", 8, asm.SizeDW}} {
		label(c.label)
		readCtx(fb, c.size)
		emit(asm.LoadMem(c.mem, asm.R9, asm.R10, -16), asm.LoadMem(asm.SizeW, asm.R1, rOp, fd))
		b.Jump(asm.JSet.Imm(asm.R1, ctxNonZero, c.label+"_nonzero"))
		b.Jump(asm.JSet.Imm(asm.R1, ctxLog, c.label+"_log"))
		b.Jump(asm.Ja.Label(c.label + "_store"))
		label(c.label + "_log")
		emit(asm.LoadMem(asm.SizeW, asm.R1, rState, stLogStep), asm.LoadMem(asm.SizeW, asm.R2, rState, stStep))
		b.Jump(asm.JEq.Reg(asm.R1, asm.R2, c.label+"_store"))
		emit(asm.Mov.Imm(asm.R9, 0))
		b.Jump(asm.Ja.Label(c.label + "_store"))
		label(c.label + "_nonzero")
		b.Jump(asm.JNE.Imm(asm.R9, 0, c.label+"_store"))
		ret0()
		label(c.label + "_store")
		at(fa, c.size)
		emit(asm.StoreMem(c.mem, asm.R0, 0, asm.R9))
		ret0()
	}

	label("op_copy_user")
	readCtx(fb, 8)
	emit(asm.LoadMem(asm.SizeDW, asm.R9, asm.R10, -16))
	b.Jump(asm.JNE.Imm(asm.R9, 0, "copy_user"))
	ret0()
	label("copy_user")
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fd), asm.Add.Reg(asm.R9, asm.R1))
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fa))
	elem(elemSize-1, 0) // an element's start
	b.Jump(asm.JEq.Imm(asm.R0, 0, "einval"))
	emit(asm.Mov.Reg(asm.R1, asm.R0), asm.LoadMem(asm.SizeW, asm.R2, rOp, fc))
	b.Jump(asm.JLT.Imm(asm.R2, 1, "einval"))
	b.Jump(asm.JGT.Imm(asm.R2, elemSize, "einval"))
	emit(asm.Mov.Reg(asm.R3, asm.R9), asm.Call(kernel.BPF_FUNC_copy_from_user))
	b.Jump(asm.JSLT.Imm(asm.R0, 0, "fail"))
	ret0()

	// bounded puts into r8 the address of the blob offset in op field
	// f and into r9 the size in field n: an attr or a name, which the
	// generator placed in one element, at most tableMaxAttr bytes.
	bounded := func(f, n int16) {
		emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, f))
		elem(elemSize-1, elemSize-tableMaxAttr)
		b.Jump(asm.JEq.Imm(asm.R0, 0, "einval"))
		emit(asm.Mov.Reg(asm.R8, asm.R0), asm.LoadMem(asm.SizeW, asm.R9, rOp, n))
		b.Jump(asm.JLT.Imm(asm.R9, 1, "einval"))
		b.Jump(asm.JGT.Imm(asm.R9, tableMaxAttr, "einval"))
	}

	label("op_sys")
	bounded(fb, fc)
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fa), asm.Mov.Reg(asm.R2, asm.R8), asm.Mov.Reg(asm.R3, asm.R9),
		asm.Call(kernel.BPF_FUNC_sys_bpf), asm.Mov.Reg(asm.R9, asm.R0))
	b.Jump(asm.JSLT.Imm(asm.R0, 0, "fail"))
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fd))
	b.Jump(asm.JNE.Imm(asm.R1, 0, "sys_store"))
	ret0()
	label("sys_store")
	at(fd, 4)
	emit(asm.StoreMem(asm.SizeW, asm.R0, 0, asm.R9))
	ret0()

	label("op_close")
	at(fa, 4)
	emit(asm.LoadMem(asm.SizeW, asm.R1, asm.R0, 0), asm.StoreImm(asm.SizeW, asm.R0, 0, 0))
	b.Jump(asm.JSLE.Imm32(asm.R1, 0, "closed"))
	emit(asm.Call(kernel.BPF_FUNC_sys_close))
	label("closed")
	ret0()

	label("op_find_btf")
	bounded(fa, fb)
	emit(asm.Mov.Reg(asm.R1, asm.R8), asm.Mov.Reg(asm.R2, asm.R9), asm.LoadMem(asm.SizeW, asm.R3, rOp, fc), asm.Mov.Imm(asm.R4, 0),
		asm.Call(helperBTFFindByName), asm.Mov.Reg(asm.R9, asm.R0))
	b.Jump(asm.JSGE.Imm(asm.R9, 0, "found"))
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fe))
	b.Jump(asm.JEq.Imm(asm.R1, 0, "fail"))
	emit(asm.Mov.Imm(asm.R9, 0)) // weak and missing: 0
	label("found")
	at(fd, 8)
	emit(asm.StoreMem(asm.SizeDW, asm.R0, 0, asm.R9))
	ret0()

	label("op_kallsyms")
	at(fd, 8)
	emit(asm.StoreMem(asm.SizeDW, asm.R10, -24, asm.R0))
	bounded(fa, fb)
	emit(asm.Mov.Reg(asm.R1, asm.R8), asm.Mov.Reg(asm.R2, asm.R9), asm.Mov.Imm(asm.R3, 0), asm.LoadMem(asm.SizeDW, asm.R4, asm.R10, -24),
		asm.Call(helperKallsymsLookup))
	b.Jump(asm.JSGE.Imm(asm.R0, 0, "resolved"))
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fe))
	b.Jump(asm.JEq.Imm(asm.R1, 0, "fail"))
	b.Jump(asm.JNE.Imm(asm.R0, -errnoENOENT, "fail")) // weak: only a miss is 0
	label("resolved")
	ret0()

	label("op_skip_if")
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fb))
	b.Jump(asm.JEq.Imm(asm.R1, 8, "skip8"))
	at(fa, 4)
	emit(asm.LoadMem(asm.SizeW, asm.R9, asm.R0, 0))
	b.Jump(asm.Ja.Label("skip_test"))
	label("skip8")
	at(fa, 8)
	emit(asm.LoadMem(asm.SizeDW, asm.R9, asm.R0, 0))
	label("skip_test")
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fd))
	b.Jump(asm.JNE.Imm(asm.R1, 0, "skip_nonzero"))
	b.Jump(asm.JEq.Imm(asm.R9, 0, "skip"))
	ret0()
	label("skip_nonzero")
	b.Jump(asm.JNE.Imm(asm.R9, 0, "skip"))
	ret0()
	label("skip")
	emit(asm.LoadMem(asm.SizeW, asm.R1, rOp, fc), asm.StoreMem(asm.SizeW, rState, stSkip, asm.R1))
	ret0()

	label("op_store")
	emit(asm.LoadMem(asm.SizeW, asm.R9, rOp, fc), asm.LoadMem(asm.SizeW, asm.R1, rOp, fb))
	b.Jump(asm.JEq.Imm(asm.R1, 1, "store1"))
	b.Jump(asm.JEq.Imm(asm.R1, 2, "store2"))
	b.Jump(asm.JNE.Imm(asm.R1, 4, "einval"))
	at(fa, 4)
	emit(asm.StoreMem(asm.SizeW, asm.R0, 0, asm.R9))
	ret0()
	label("store2")
	at(fa, 2)
	emit(asm.StoreMem(asm.SizeH, asm.R0, 0, asm.R9))
	ret0()
	label("store1")
	at(fa, 1)
	emit(asm.StoreMem(asm.SizeB, asm.R0, 0, asm.R9))
	ret0()

	label("efault")
	emit(asm.Mov.Imm(asm.R0, -14))
	b.Jump(asm.Ja.Label("fail"))
	label("einval")
	emit(asm.Mov.Imm(asm.R0, -errnoEINVAL))
	label("fail")
	b.Comment("fail: the error into the state, skip to the cleanup ops")
	emit(asm.StoreMem(asm.SizeDW, rState, stResult, asm.R0),
		asm.LoadMem(asm.SizeW, asm.R1, rState, stIndex), asm.LoadMem(asm.SizeW, asm.R2, rState, hdrCleanupStart))
	b.Jump(asm.JGE.Reg(asm.R1, asm.R2, "stop")) // a cleanup op: stop
	emit(asm.Sub.Reg(asm.R2, asm.R1), asm.Add.Imm(asm.R2, -1), asm.StoreMem(asm.SizeW, rState, stSkip, asm.R2),
		asm.Mov.Imm(asm.R0, 0), asm.Exit())
	label("stop")
	emit(asm.Mov.Imm(asm.R0, 1), asm.Exit())

	// The subprogram elem: r1 = blob offset, r2 = mask, r3 = max.
	sub = b.Len()
	label("elem")
	b.Comment("elem: r0 = element r1 >> 10 + (r1 & r2), 0 when that is above r3 or there is no element")
	emit(asm.Mov.Reg(asm.R6, asm.R1), asm.And.Reg(asm.R6, asm.R2))
	b.Jump(asm.JGT.Reg(asm.R6, asm.R3, "no_elem"))
	emit(asm.RSh.Imm(asm.R1, elemShift))
	if maxElem >= 0 {
		// One value: element r1 is at r1 << 10 in it (r7, bounded).
		b.Jump(asm.JGT.Imm(asm.R1, int32(maxElem), "no_elem"))
		emit(asm.LSh.Imm(asm.R1, elemShift), asm.Mov.Reg(asm.R7, asm.R1), asm.Mov.Imm(asm.R1, 0))
	}
	emit(asm.StoreMem(asm.SizeW, asm.R10, -8, asm.R1))
	mapPtr(asm.R1)
	emit(asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -8), asm.Call(kernel.BPF_FUNC_map_lookup_elem))
	b.Jump(asm.JEq.Imm(asm.R0, 0, "no_elem"))
	if maxElem >= 0 {
		emit(asm.Add.Reg(asm.R0, asm.R7))
	}
	emit(asm.Add.Reg(asm.R0, asm.R6), asm.Exit())
	label("no_elem")
	emit(asm.Mov.Imm(asm.R0, 0), asm.Exit())
	if err != nil {
		return nil, nil, 0, 0, err
	}
	insns, comments, err = b.Assemble()
	if err != nil {
		return nil, nil, 0, 0, fmt.Errorf("assembling the table loader: %w", err)
	}
	return insns, comments, cb, sub, nil
}
