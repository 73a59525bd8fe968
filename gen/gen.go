// Package gen is the generator backend of the load phase: instead of
// performing each kernel call it records it as instructions of a loader
// program — a sleepable BPF_PROG_TYPE_SYSCALL program that replays the calls
// through bpf_sys_bpf() — and bytes of its data blob.
//
// The loader keeps every fd it obtains in a table at the start of the blob,
// reached through r9. A failed step jumps to a cleanup block that closes
// every fd in the table and returns the negative errno; the number of the
// step being run is written into the context first, so the caller can name
// it. Unlike libbpf's loader there is no fixed limit on maps or programs:
// the table, the context and the cleanup block are sized from the object.
package gen

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// bpf(2) commands the loader issues.
const (
	cmdMapCreate     = int32(kernel.CmdMapCreate)
	cmdMapUpdateElem = int32(kernel.CmdMapUpdateElem)
	cmdProgLoad      = int32(kernel.CmdProgLoad)
	cmdBTFLoad       = int32(kernel.CmdBTFLoad)
	cmdMapFreeze     = int32(kernel.CmdMapFreeze)
)

// Helpers the loader calls.
const (
	helperProbeReadKernel = kernel.BPF_FUNC_probe_read_kernel
	helperCopyFromUser    = kernel.BPF_FUNC_copy_from_user
	helperSysBPF          = kernel.BPF_FUNC_sys_bpf
	helperBTFFindByName   = kernel.BPF_FUNC_btf_find_by_name_kind
	helperSysClose        = kernel.BPF_FUNC_sys_close
	helperKallsymsLookup  = kernel.BPF_FUNC_kallsyms_lookup_name
	errnoENOENT           = 2   // Linux's ENOENT, whatever OS runs the generator
	errnoECANCELED        = 125 // Linux's ECANCELED
	errnoEINVAL           = 22  // Linux's EINVAL
	maxDirectOffset       = 1<<15 - 1
	maxLoaderInsns        = 1000000
	maxBlobSize           = 1 << 29
)

// Registers with a fixed role in the loader.
const (
	rCtx    = asm.R6 // the context
	rResult = asm.R7 // result of the last call: fd or negative errno
	rBlob   = asm.R9 // the blob (the loader map's value)
	rBase   = asm.R8 // within a step, a second base for a far part of the blob
)

// Attr sizes: each covers the last field the loader sets.
const (
	btfLoadAttrSize   = kernel.BTFLoadLogTrueSizeEnd
	mapCreateAttrSize = kernel.MapCreateMapExtraEnd
	mapElemAttrSize   = kernel.MapElemSize
	mapFreezeAttrSize = kernel.MapElemFD + 4
	progLoadAttrSize  = kernel.ProgLoadLogTrueSizeEnd
)

// Generator records a load as a loader program. It implements
// load.Backend; its handles are indexes into the blob's fd table.
type Generator struct {
	obj *object.Object
	bo  binary.ByteOrder
	b   asm.Builder

	blob []byte
	toc  []BlobItem

	// fd table layout, in slots of 4 bytes at blob offset 0.
	nMaps      int
	progBase   int
	btfSlot    int
	innerSlot  int
	targetSlot int
	symBase    int // module BTF fds of ksyms and kfuncs, per program
	nSymSlots  int
	nSlots     int

	nProgs int
	steps  []string
	// logSteps are the steps that can pass the context's log to the kernel.
	logSteps []uint32
	cleanup  string // label the failure checks jump to (nearest trampoline)
	// trampolineEvery is how many instructions may separate a check from
	// the trampoline it jumps to: far inside the 16-bit jump range, so that
	// one step's own instructions always fit.
	trampolineEvery int
	lastTramp       int

	// failStep, when >= 0, makes that step fail with ECANCELED: tests use
	// it to run the cleanup from every point of the loader.
	failStep int

	// baseOff is the blob offset r8 points at in the current step, -1
	// when it is not set.
	baseOff int
	// stepOff is the blob offset of the current step's number.
	stepOff int

	loaded []bool
	// targets maps freplace programs (by index) to their target
	// descriptor in the context; targetFuncs holds what each replaces.
	targets     map[int]int
	targetFuncs map[int]string
	kconfig     []abi.KconfigVar
	kconfigMap  int
	err         error

	// signed makes a loader to be signed (Options.Signed); hashAt are the
	// indexes of the ld_imm64 instructions that Finish completes with the
	// blob's SHA-256, 8 bytes each.
	signed bool
	hashAt []int

	// desc is the runtime's view of the loader as far as known at New:
	// which maps take an fd from the context (abi.Loader.TakesMapFD).
	desc abi.Loader
	// kernelBTF lays struct_ops values out (Options.KernelBTF); so is the
	// struct_ops bookkeeping.
	kernelBTF *btf.Spec
	so        soState
	// table makes a table loader (Options.Table, table.go): the steps
	// are records in ops, run by a constant program.
	table bool
	ops   []tableOp
	// tsyms are the kernel symbols a table loader looks up, by
	// tableSymKey; nextSym counts the fd slots they took.
	tsyms   map[string]*tableSym
	nextSym int
	// passedIn is the blob offset of a u32 per map: the fd the context
	// passed in for it (0: none), which the records of a map passed in
	// test to skip what creates and initialises a new one.
	passedIn int
}

// Options change what the generator makes.
type Options struct {
	// Signed makes a loader to be signed (docs/loader-format.md,
	// "Signed loaders"): it compares the SHA-256 the kernel computed of
	// its frozen blob map with the hash of the blob embedded in its
	// instructions, so that a signature over the instructions covers the
	// blob too, and it honours no input of the context that would change
	// what it loads: max_entries and initial values are what the object
	// says, except what only the target knows (the .kconfig image and the
	// CPU count of perf-event arrays).
	Signed bool
	// KernelBTF is the BTF of the kernel the loader is made for, which
	// lays struct_ops values out (the loader checks on the target that
	// its kernel agrees); nil means this machine's (vmlinux and modules).
	KernelBTF *btf.Spec
	// Table makes a table-driven loader: every kernel call is a record
	// in the blob and one constant program interprets them (a bpf_loop
	// callback; Linux 5.17), so the loader's instructions, and what the
	// verifier spends on them, are the same for every object. It refuses
	// what it does not do yet (struct_ops maps), naming it. A signed
	// table loader is signed for scheme v2 only, and its blob is one map
	// value (what the kernel folds into a v2 signature): its program
	// bounds offsets by the blob's size class, a power of two, so it is
	// the same for every object of that class rather than for all.
	Table bool
}

// BlobItem is one entry of the blob's table of contents.
type BlobItem struct {
	Offset int    `json:"offset"`
	Size   int    `json:"size"`
	What   string `json:"what"`
}

// Loader is a generated loader program with what the runtime needs and
// what a reader needs to follow it.
type Loader struct {
	abi.Loader
	// Comments annotate instructions by index, for the disassembly.
	Comments []string
	// TOC lists what the blob holds.
	TOC []BlobItem
}

var _ load.Backend = (*Generator)(nil)

// New starts a loader for obj.
func New(obj *object.Object) (*Generator, error) { return NewWith(obj, Options{}) }

// NewWith starts a loader for obj made as o says.
func NewWith(obj *object.Object, o Options) (*Generator, error) {
	g := &Generator{obj: obj, bo: obj.ByteOrder, kconfigMap: -1, failStep: -1, trampolineEvery: 20000, baseOff: -1, signed: o.Signed, kernelBTF: o.KernelBTF, table: o.Table, tsyms: make(map[string]*tableSym)}
	if o.Table {
		for _, m := range obj.Maps {
			if m.StructOps != nil {
				return nil, fmt.Errorf("loader for %s: map %s: table loaders do not support struct_ops maps yet", obj.Name, m.Name)
			}
		}
	}
	if g.bo == nil {
		g.bo = binary.LittleEndian
	}
	progs := obj.Programs()
	g.nProgs = len(progs)
	g.loaded = make([]bool, len(progs))
	g.targets, g.targetFuncs = make(map[int]int), make(map[int]string)
	for j, p := range progs {
		if p.Type == object.ProgTypeExt {
			g.targets[j] = len(g.targets)
			g.targetFuncs[j] = p.AttachTo
		}
	}
	g.nMaps = len(obj.Maps)
	g.desc = abi.Loader{Signed: o.Signed, MapFDsIn: true, Maps: g.mapDescs()}
	g.progBase = g.nMaps
	g.btfSlot = g.progBase + g.nProgs
	g.innerSlot = g.btfSlot + 1
	g.targetSlot = g.innerSlot + 1
	g.symBase = g.targetSlot + 1
	names := make(map[string]bool)
	for _, e := range obj.Externs {
		if e.Kind == object.ExternKsym && !e.Typeless {
			names[e.EssentialName+"/"+e.Name] = true
		}
	}
	g.nSymSlots = len(names)
	g.nSlots = g.symBase + g.nSymSlots
	if g.nSlots*4+8 > maxDirectOffset {
		return nil, fmt.Errorf("loader for %s: %d maps and programs need more fd slots than a loader can address", obj.Name, g.nSlots)
	}
	if abi.CtxSize(g.nMaps, g.nProgs, len(g.targets)) > maxDirectOffset {
		return nil, fmt.Errorf("loader for %s: context of %d maps and %d programs is larger than %d bytes", obj.Name, g.nMaps, g.nProgs, maxDirectOffset)
	}
	g.initStructOps()
	if g.table {
		g.add(make([]byte, elemSize), "header")
		g.add(make([]byte, g.nSlots*4), "fd table")
		g.pad(elemSize)
		g.passedIn = g.add(make([]byte, g.nMaps*4), "fds of the maps passed in")
		return g, nil
	}
	g.add(make([]byte, g.nSlots*4), "fd table")
	g.stepOff = g.add(make([]byte, 8), "number of the current step")
	g.prologue()
	return g, nil
}

// add appends data to the blob, 8-byte aligned, and returns its offset.
func (g *Generator) add(data []byte, what string) int {
	off := len(g.blob)
	g.blob = append(g.blob, data...)
	for len(g.blob)%8 != 0 {
		g.blob = append(g.blob, 0)
	}
	g.toc = append(g.toc, BlobItem{Offset: off, Size: len(data), What: what})
	return off
}

func (g *Generator) emit(insns ...asm.Insn) { g.b.Emit(insns...) }

func (g *Generator) label(name string) {
	if err := g.b.Label(name); err != nil && g.err == nil {
		g.err = err
	}
}

// prologue saves the context, finds the blob, and lays down the cleanup
// block that every failure jumps to.
func (g *Generator) prologue() {
	g.b.Comment("prologue: r6 = context, r9 = blob (loader map value)")
	g.emit(asm.Mov.Reg(rCtx, asm.R1))
	g.emit(asm.LdImm64(rBlob, asm.PseudoMapIdxValue, 0)...)
	start := g.b.NewLabel("start")
	g.b.Jump(asm.Ja.Label(start))
	g.cleanup = g.b.NewLabel("cleanup")
	g.label(g.cleanup)
	g.b.Comment(fmt.Sprintf("cleanup: report the failed step, close every fd in the fd table (%d slots) and return the error in r7", g.nSlots))
	// Steps number themselves in the blob: kernels before 6.3 refuse an
	// immediate store (BPF_ST) into the context, so one register store
	// here reports the step instead of one per step.
	g.emit(asm.LoadMem(asm.SizeW, asm.R1, rBlob, int16(g.stepOff)),
		asm.StoreMem(asm.SizeW, rCtx, abi.CtxStepOff, asm.R1))
	for s := 0; s < g.nSlots; s++ {
		skip := g.b.NewLabel("closed")
		g.emit(asm.LoadMem(asm.SizeW, asm.R1, rBlob, int16(4*s)))
		g.b.Jump(asm.JSLE.Imm(asm.R1, 0, skip))
		if s < g.nMaps && g.desc.TakesMapFD(s) {
			// A map passed in is the caller's to close.
			g.emit(asm.LoadMem(asm.SizeW, asm.R2, rCtx, int16(abi.MapDescOff(s)+abi.MapDescFDOff)))
			g.b.Jump(asm.JNE.Imm(asm.R2, 0, skip))
		}
		g.emit(asm.Call(helperSysClose))
		g.label(skip)
	}
	g.emit(asm.Mov.Reg(asm.R0, rResult), asm.Exit())
	g.label(start)
	// A run starts from an empty fd table, so that the cleanup of a rerun
	// of the same blob (the runtime reruns a failed loader to get its
	// log) never closes numbers left from the earlier run:
	// bpf_probe_read_kernel of NULL fails and zero-fills its destination.
	g.b.Comment("zero the fd table")
	g.emit(asm.Mov.Reg(asm.R1, rBlob), asm.Mov.Imm(asm.R2, int32(4*g.nSlots)), asm.Mov.Imm(asm.R3, 0), asm.Call(helperProbeReadKernel))
	if g.signed {
		g.emitBlobHashCheck()
	}
	g.lastTramp = g.b.Len()
}

// emitBlobHashCheck compares the SHA-256 the kernel keeps of the frozen
// blob map (struct bpf_map's first member, computed when the runtime asks
// for it with BPF_OBJ_GET_INFO_BY_FD, Linux 6.18) with the blob's hash,
// which Finish writes into the instructions: a signature over the
// instructions then vouches for the blob. A mismatch fails the step with
// EINVAL before the loader does anything else.
func (g *Generator) emitBlobHashCheck() {
	g.step(StepCheckBlobHash)
	g.b.Comment("r1 = the blob map (struct bpf_map: sha[32] first); compare with the blob's SHA-256, 8 bytes at a time")
	for i := 0; i < 4; i++ {
		g.emit(asm.LdImm64(asm.R1, asm.PseudoMapIdx, 0)...)
		g.emit(asm.LoadMem(asm.SizeDW, asm.R2, asm.R1, int16(8*i)))
		g.hashAt = append(g.hashAt, g.b.Len())
		g.emit(asm.LdImm64(asm.R3, 0, 0)...)
		g.emit(asm.Mov.Imm(rResult, -errnoEINVAL))
		g.b.Jump(asm.JNE.Reg(asm.R2, asm.R3, g.cleanup))
	}
}

// StepCheckBlobHash names the first step of a signed loader.
const StepCheckBlobHash = "check the blob's SHA-256"

// step starts a numbered step: the number goes into the blob, and the
// cleanup copies it into the context, so that a failure can be
// attributed.
func (g *Generator) step(name string) {
	n := len(g.steps)
	g.steps = append(g.steps, name)
	if g.table {
		g.op(opStep, n, 0, 0, 0)
		if n == g.failStep {
			g.op(opFail, errnoECANCELED, 0, 0, 0)
		}
		return
	}
	g.b.Comment(fmt.Sprintf("step %d: %s", n, name))
	g.emit(asm.StoreImm(asm.SizeW, rBlob, int16(g.stepOff), int32(n)))
	g.baseOff = -1
	if n == g.failStep {
		g.b.Comment("injected failure")
		g.emit(asm.Mov.Imm(rResult, -errnoECANCELED))
		g.check()
	}
}

// check jumps to the cleanup when r7 is negative. When the cleanup block
// is getting out of jump range, a trampoline is laid down first.
func (g *Generator) check() {
	if g.b.Len()-g.lastTramp > g.trampolineEvery {
		over := g.b.NewLabel("over")
		tramp := g.b.NewLabel("to_cleanup")
		g.b.Jump(asm.Ja.Label(over))
		g.label(tramp)
		g.b.Jump(asm.Ja.Label(g.cleanup))
		g.label(over)
		g.cleanup = tramp
		g.lastTramp = g.b.Len()
	}
	g.b.Jump(asm.JSLT.Imm(rResult, 0, g.cleanup))
}

// addr puts the kernel address of blob[off] into reg.
func (g *Generator) addr(reg asm.Register, off int) {
	g.emit(asm.Mov.Reg(reg, rBlob), asm.Add.Imm(reg, int32(off)))
}

// blobRef returns a base register and displacement for blob[off], loading
// scratch with the address when off is beyond a 16-bit displacement.
func (g *Generator) blobRef(off int, scratch asm.Register) (asm.Register, int16) {
	if off <= maxDirectOffset {
		return rBlob, int16(off)
	}
	if d := off - g.baseOff; g.baseOff >= 0 && d >= -maxDirectOffset && d <= maxDirectOffset {
		return rBase, int16(d)
	}
	g.addr(scratch, off)
	return scratch, 0
}

// useBase makes r8 point at blob[off] for the rest of the step when off is
// beyond r9's 16-bit reach, so that the step's accesses around off (an
// attr's fields) take one instruction each.
func (g *Generator) useBase(off int) {
	if off <= maxDirectOffset {
		return
	}
	g.addr(rBase, off)
	g.baseOff = off
}

// attrAddr puts the address of the attr at blob[attr] into reg.
func (g *Generator) attrAddr(reg asm.Register, attr int) {
	if g.baseOff == attr {
		g.emit(asm.Mov.Reg(reg, rBase))
		return
	}
	g.addr(reg, attr)
}

// storeReg writes size bytes of src into blob[off].
func (g *Generator) storeReg(size asm.Size, off int, src asm.Register) {
	base, d := g.blobRef(off, asm.R1)
	g.emit(asm.StoreMem(size, base, d, src))
}

// storeImm writes an immediate into blob[off].
func (g *Generator) storeImm(size asm.Size, off int, imm int32) {
	base, d := g.blobRef(off, asm.R1)
	g.emit(asm.StoreImm(size, base, d, imm))
}

// loadReg reads size bytes of blob[off] into dst.
func (g *Generator) loadReg(size asm.Size, dst asm.Register, off int) {
	base, d := g.blobRef(off, asm.R1)
	g.emit(asm.LoadMem(size, dst, base, d))
}

// ptrField is an attr pointer field at blob offset field that must hold
// the kernel address of blob[target].
type ptrField struct{ field, target int }

// storePtrs fills pointer fields. r0 walks from one target to the next, so
// each field after the first costs an add and a store.
func (g *Generator) storePtrs(ptrs ...ptrField) {
	for i, p := range ptrs {
		delta := p.target
		if i == 0 {
			g.emit(asm.Mov.Reg(asm.R0, rBlob))
		} else {
			delta -= ptrs[i-1].target
		}
		if delta != 0 {
			g.emit(asm.Add.Imm(asm.R0, int32(delta)))
		}
		g.storeReg(asm.SizeDW, p.field, asm.R0)
	}
}

// slotOff is the blob offset of fd slot s.
func slotOff(s int) int { return 4 * s }

// copySlot writes the fd in slot s into the u32 at blob[field].
func (g *Generator) copySlot(field, s int) {
	g.emit(asm.LoadMem(asm.SizeW, asm.R0, rBlob, int16(slotOff(s))))
	g.storeReg(asm.SizeW, field, asm.R0)
}

// copyCtx copies size bytes at ctx+ctxOff into blob[field].
func (g *Generator) copyCtx(size asm.Size, field int, ctxOff int) {
	g.emit(asm.LoadMem(size, asm.R0, rCtx, int16(ctxOff)))
	g.storeReg(size, field, asm.R0)
}

// sysBPF emits bpf_sys_bpf(cmd, &blob[attr], size) with the result in r7,
// and the failure check.
func (g *Generator) sysBPF(cmd int32, attr int, size int32) {
	g.emit(asm.Mov.Imm(asm.R1, cmd))
	g.attrAddr(asm.R2, attr)
	g.emit(asm.Mov.Imm(asm.R3, size), asm.Call(helperSysBPF), asm.Mov.Reg(rResult, asm.R0))
	g.check()
}

// closeSlot closes the fd in slot s, if any, and clears the slot so the
// cleanup block does not close it again.
func (g *Generator) closeSlot(s int) {
	skip := g.b.NewLabel("noclose")
	g.emit(asm.LoadMem(asm.SizeW, asm.R1, rBlob, int16(slotOff(s))))
	g.emit(asm.StoreImm(asm.SizeW, rBlob, int16(slotOff(s)), 0))
	g.b.Jump(asm.JSLE.Imm(asm.R1, 0, skip))
	g.emit(asm.Call(helperSysClose))
	g.label(skip)
}

// logFields are the offsets of an attr's log level, size and buffer.
type logFields struct{ level, size, buf int }

// loadWithLog emits a BTF or program load that takes the context's log
// settings when the context names its step; the result is in r7,
// unchecked. The step is recorded as one with a log.
func (g *Generator) loadWithLog(cmd int32, attr int, size int32, log logFields) {
	n := len(g.steps) - 1
	g.logSteps = append(g.logSteps, uint32(n))
	// Only the step the context names gets the log: the buffer is shared,
	// and not every kernel says whether a load wrote to it
	// (log_true_size), so a rerun for a failed step's log must leave the
	// buffer to that step alone.
	nolog := g.b.NewLabel("nolog")
	g.emit(asm.LoadMem(asm.SizeW, asm.R0, rCtx, abi.CtxLogStepOff))
	g.b.Jump(asm.JNE.Imm(asm.R0, int32(n), nolog))
	if log.size == log.level+4 && (attr+log.level)%8 == 0 {
		// Level and size sit side by side as in the context: one copy.
		g.copyCtx(asm.SizeDW, attr+log.level, abi.CtxLogLevelOff)
	} else {
		g.copyCtx(asm.SizeW, attr+log.level, abi.CtxLogLevelOff)
		g.copyCtx(asm.SizeW, attr+log.size, abi.CtxLogSizeOff)
	}
	g.copyCtx(asm.SizeDW, attr+log.buf, abi.CtxLogBufOff)
	g.label(nolog)
	g.emit(asm.Mov.Imm(asm.R1, cmd))
	g.attrAddr(asm.R2, attr)
	g.emit(asm.Mov.Imm(asm.R3, size), asm.Call(helperSysBPF), asm.Mov.Reg(rResult, asm.R0))
}

// attr returns a zeroed attr of cmd for name (attrItem names it in the
// blob's table of contents, which dump reads) and the function that
// places it in the blob once filled.
func (g *Generator) attr(size int, cmd kernel.Cmd, name string) ([]byte, func() int) {
	what := attrItem(cmd, name)
	buf := make([]byte, (size+7)&^7)
	return buf, func() int {
		if g.table {
			g.alignAttr()
		}
		return g.add(buf, what)
	}
}

// LoadBTF implements load.Backend.
func (g *Generator) LoadBTF(raw []byte) (load.Handle, error) {
	if g.err != nil {
		return load.NoHandle, g.err
	}
	if g.table {
		return g.tableLoadBTF(raw)
	}
	data := g.add(raw, "BTF")
	buf, place := g.attr(btfLoadAttrSize, kernel.CmdBTFLoad, "")
	g.bo.PutUint32(buf[kernel.BTFLoadSize:], uint32(len(raw)))
	attr := place()
	g.step("load BTF")
	g.useBase(attr)
	g.storePtrs(ptrField{attr + kernel.BTFLoadBTF, data})
	g.loadWithLog(cmdBTFLoad, attr, int32(btfLoadAttrSize), logFields{level: kernel.BTFLoadLogLevel, size: kernel.BTFLoadLogSize, buf: kernel.BTFLoadLogBuf})
	g.check()
	g.storeReg(asm.SizeW, slotOff(g.btfSlot), rResult)
	return load.Handle(g.btfSlot), nil
}

// CreateMap implements load.Backend.
func (g *Generator) CreateMap(m *load.MapSpec) (load.Handle, error) {
	if g.err != nil {
		return load.NoHandle, g.err
	}
	if g.table {
		return g.tableCreateMap(m)
	}
	size := mapCreateAttrSize
	if m.StructOps != nil {
		size = structOpsMapAttrSize
	}
	buf, place := g.attr(size, kernel.CmdMapCreate, m.Map.Name)
	g.fillMapCreateAttr(buf, m)
	attr := place()

	slot := g.innerSlot
	name := "inner map of " + m.Map.Name
	if m.Index >= 0 {
		slot = m.Index
		name = "map " + m.Map.Name
	}
	if m.StructOps != nil {
		g.emitStructOpsValueType(m, attr)
	}
	g.step("create " + name)
	create, done := "", ""
	if m.Index >= 0 && g.desc.TakesMapFD(m.Index) {
		// A map passed in the context takes the place of a new one.
		g.b.Comment("map passed in the context: use it instead of creating one")
		create, done = g.b.NewLabel("create"), g.b.NewLabel("created")
		g.emit(asm.LoadMem(asm.SizeW, asm.R0, rCtx, int16(abi.MapDescOff(m.Index)+abi.MapDescFDOff)))
		g.b.Jump(asm.JEq.Imm(asm.R0, 0, create))
		g.storeReg(asm.SizeW, slotOff(slot), asm.R0)
		g.b.Jump(asm.Ja.Label(done))
		g.label(create)
	}
	g.useBase(attr)
	if m.BTF != load.NoHandle {
		g.copySlot(attr+kernel.MapCreateBTFFD, int(m.BTF))
	}
	if m.Inner != load.NoHandle {
		g.copySlot(attr+kernel.MapCreateInnerMapFD, int(m.Inner))
	}
	if m.Index >= 0 && (!g.signed || isCPUSized(m.Map)) {
		// max_entries from the context, when the caller set one. A
		// signed loader takes only the target's CPU count.
		keep := g.b.NewLabel("keep_max_entries")
		g.emit(asm.LoadMem(asm.SizeW, asm.R0, rCtx, int16(abi.MapDescOff(m.Index)+abi.MapDescMaxEntriesOff)))
		g.b.Jump(asm.JEq.Imm(asm.R0, 0, keep))
		g.storeReg(asm.SizeW, attr+kernel.MapCreateMaxEntries, asm.R0)
		g.label(keep)
	}
	g.sysBPF(cmdMapCreate, attr, int32(size))
	g.storeReg(asm.SizeW, slotOff(slot), rResult)
	if m.StructOps != nil {
		g.closeSlot(g.targetSlot) // the value type's module BTF
	}
	if done != "" {
		g.label(done)
	}
	return load.Handle(slot), nil
}

// skipIfPassedIn starts the skip, around a step that initialises map i,
// of a map passed in the context (which keeps what it holds, as libbpf
// leaves a reused map alone); the returned func ends it. Steps of maps
// that are always created get no skip.
func (g *Generator) skipIfPassedIn(i int) func() {
	if !g.desc.TakesMapFD(i) {
		return func() {}
	}
	skip := g.b.NewLabel("passed_in")
	g.emit(asm.LoadMem(asm.SizeW, asm.R0, rCtx, int16(abi.MapDescOff(i)+abi.MapDescFDOff)))
	g.b.Jump(asm.JNE.Imm(asm.R0, 0, skip))
	return func() { g.label(skip) }
}

// fillMapCreateAttr sets the fields of a BPF_MAP_CREATE attr known at
// generation; the loader fills the fds.
func (g *Generator) fillMapCreateAttr(buf []byte, m *load.MapSpec) {
	bo := g.bo
	bo.PutUint32(buf[kernel.MapCreateType:], m.Type)
	bo.PutUint32(buf[kernel.MapCreateKeySize:], m.KeySize)
	bo.PutUint32(buf[kernel.MapCreateValueSize:], m.ValueSize)
	bo.PutUint32(buf[kernel.MapCreateMaxEntries:], m.MaxEntries)
	bo.PutUint32(buf[kernel.MapCreateFlags:], m.Flags)
	bo.PutUint32(buf[kernel.MapCreateNumaNode:], m.NumaNode)
	copy(buf[kernel.MapCreateName:kernel.MapCreateName+15], m.Name)
	bo.PutUint32(buf[kernel.MapCreateBTFKeyID:], uint32(m.BTFKeyID))
	bo.PutUint32(buf[kernel.MapCreateBTFValueID:], uint32(m.BTFValueID))
	bo.PutUint64(buf[kernel.MapCreateMapExtra:], m.MapExtra)
}

// ResolveKconfig implements load.Backend: kconfig externs are resolved on
// the target by the runtime, which passes the .kconfig image as the map's
// initial value.
func (g *Generator) ResolveKconfig(m *object.Map, externs []*object.Extern, image []byte) ([]byte, error) {
	for i, om := range g.obj.Maps {
		if om == m {
			g.kconfigMap = i
		}
	}
	g.kconfig = append(g.kconfig, load.KconfigVars(externs)...)
	return image, nil
}

// UpdateElem implements load.Backend.
func (g *Generator) UpdateElem(m load.Handle, mapIndex int, key []byte, v load.Value) (err error) {
	if g.err != nil {
		return g.err
	}
	if g.table {
		return g.tableUpdateElem(m, mapIndex, key, v)
	}
	mapName := g.obj.Maps[mapIndex].Name
	keyOff := g.add(key, "key of "+mapName)
	var valueOff int
	var what string
	if v.Bytes != nil {
		valueOff = g.add(v.Bytes, "initial value of "+mapName)
		what = "write initial value of " + mapName
	} else {
		valueOff = slotOff(int(v.FD))
		what = fmt.Sprintf("set slot %d of %s", g.bo.Uint32(key), mapName)
	}
	_, place := g.attr(mapElemAttrSize, kernel.CmdMapUpdateElem, mapName)
	attr := place()
	g.step(what)
	end := func() {}
	if v.Init {
		end = g.skipIfPassedIn(mapIndex)
	}
	defer end()
	g.useBase(attr)
	if v.Bytes != nil && g.obj.Maps[mapIndex].Internal != object.NotInternal && (!g.signed || mapIndex == g.kconfigMap) {
		// A caller-supplied initial value replaces the blob's copy.
		keep := g.b.NewLabel("keep_value")
		g.emit(asm.LoadMem(asm.SizeDW, asm.R3, rCtx, int16(abi.MapDescOff(mapIndex)+abi.MapDescInitValueOff)))
		g.b.Jump(asm.JEq.Imm(asm.R3, 0, keep))
		g.addr(asm.R1, valueOff)
		g.emit(asm.Mov.Imm(asm.R2, int32(len(v.Bytes))), asm.Call(helperCopyFromUser), asm.Mov.Reg(rResult, asm.R0))
		g.check()
		g.label(keep)
	}
	g.copySlot(attr+kernel.MapElemFD, int(m))
	g.storePtrs(ptrField{attr + kernel.MapElemKey, keyOff}, ptrField{attr + kernel.MapElemValue, valueOff})
	g.sysBPF(cmdMapUpdateElem, attr, int32(mapElemAttrSize))
	return nil
}

// Freeze implements load.Backend.
func (g *Generator) Freeze(m load.Handle, mapIndex int) error {
	if g.err != nil {
		return g.err
	}
	if g.table {
		return g.tableFreeze(m, mapIndex)
	}
	_, place := g.attr(mapFreezeAttrSize, kernel.CmdMapFreeze, g.obj.Maps[mapIndex].Name)
	attr := place()
	g.step("freeze " + g.obj.Maps[mapIndex].Name)
	defer g.skipIfPassedIn(mapIndex)()
	g.useBase(attr)
	g.copySlot(attr+kernel.MapElemFD, int(m))
	g.sysBPF(cmdMapFreeze, attr, int32(mapFreezeAttrSize))
	return nil
}

// Close implements load.Backend.
func (g *Generator) Close(h load.Handle) error {
	if g.err != nil || h < 0 {
		return g.err
	}
	if g.table {
		g.op(opClose, tableSlotOff(int(h)), 0, 0, 0)
		return nil
	}
	g.b.Comment(fmt.Sprintf("close fd slot %d", h))
	g.closeSlot(int(h))
	return nil
}

// Finish closes the BTF fd, copies every fd into the context and returns
// the loader.
func (g *Generator) Finish() (*Loader, error) {
	if g.err != nil {
		return nil, g.err
	}
	if g.table {
		return g.tableFinish()
	}
	g.emitSuccess()
	insns, comments, err := g.b.Assemble()
	if err != nil {
		return nil, fmt.Errorf("assembling the loader of %s: %w", g.obj.Name, err)
	}
	// The kernel's limits: a program of at most 1M instructions (for a
	// privileged loader), map values whose offsets the verifier accepts.
	if len(insns) > maxLoaderInsns {
		return nil, fmt.Errorf("loader of %s: %d instructions, more than the kernel's %d", g.obj.Name, len(insns), maxLoaderInsns)
	}
	if len(g.blob) > maxBlobSize {
		return nil, fmt.Errorf("loader of %s: blob of %d bytes, more than the %d a map value offset may reach", g.obj.Name, len(g.blob), maxBlobSize)
	}
	l := &Loader{Comments: comments, TOC: g.toc}
	l.Name = g.obj.Name
	l.Data = g.blob
	l.Insns = asm.Encode(insns, g.bo)
	if g.signed {
		g.writeBlobHash(l.Insns)
		l.Signed = true
		h := sha256.Sum256(l.Insns)
		l.InsnsHash = h[:]
	}
	l.Steps = g.steps
	l.LogSteps = g.logSteps
	l.Kconfig = g.kconfig
	l.KconfigMap = g.kconfigMap
	l.Maps = g.mapDescs() // again: struct_ops value sizes are known now
	l.MapFDsIn = true
	l.Progs = g.progDescs()
	if len(g.so.descs) > 0 {
		check, err := g.layoutCheck()
		if err != nil {
			return nil, fmt.Errorf("loader of %s: %w", g.obj.Name, err)
		}
		l.StructOps = g.sortedDescs()
		l.LayoutCheck = check
		l.CtxExtra = uint32(g.so.valueEnd - g.so.checkBase)
	}
	return l, nil
}

// writeBlobHash completes the hash check of a signed loader: dword i of
// the blob's SHA-256, read in the target's byte order as the kernel's
// 8-byte load reads it, becomes the immediate of ld_imm64 number i.
func (g *Generator) writeBlobHash(insns []byte) {
	sum := sha256.Sum256(g.blob)
	for i, at := range g.hashAt {
		v := g.bo.Uint64(sum[8*i:])
		g.bo.PutUint32(insns[at*asm.InsnSize+4:], uint32(v))
		g.bo.PutUint32(insns[(at+1)*asm.InsnSize+4:], uint32(v>>32))
	}
}

// emitSuccess ends the loader: it closes the BTF fd, hands the map and
// program fds to the caller through the context and returns 0.
func (g *Generator) emitSuccess() {
	g.b.Comment("success: close the BTF fd, hand every fd to the caller, return 0")
	g.closeSlot(g.btfSlot)
	for i := 0; i < g.nMaps; i++ {
		g.emit(asm.LoadMem(asm.SizeW, asm.R0, rBlob, int16(slotOff(i))),
			asm.StoreMem(asm.SizeW, rCtx, int16(abi.MapDescOff(i)+abi.MapDescFDOff), asm.R0))
	}
	for j := 0; j < g.nProgs; j++ {
		if !g.loaded[j] {
			continue
		}
		g.emit(asm.LoadMem(asm.SizeW, asm.R0, rBlob, int16(slotOff(g.progBase+j))),
			asm.StoreMem(asm.SizeW, rCtx, int16(abi.ProgDescOff(g.nMaps, j)), asm.R0))
	}
	g.emit(asm.Mov.Imm(asm.R0, 0), asm.Exit())
}

// mapDescs describes the object's maps for the runtime.
func (g *Generator) mapDescs() []abi.MapDesc {
	var descs []abi.MapDesc
	for i, m := range g.obj.Maps {
		d := abi.MapDesc{
			Name:               m.Name,
			KernelName:         m.KernelName,
			Type:               uint32(m.Type),
			KeySize:            m.KeySize,
			ValueSize:          m.ValueSize,
			MaxEntries:         m.MaxEntries,
			Flags:              m.Flags,
			Section:            internalSection(m),
			HasInitialValue:    m.Internal != object.NotInternal,
			MaxEntriesFromCPUs: isCPUSized(m),
			MapExtra:           m.MapExtra,
			Pinning:            m.Pinning,
		}
		if vs, ok := g.so.valueSize[i]; ok {
			// The kernel's value type; the object's struct is the start
			// of an initial value.
			d.ValueSize = vs
			d.HasInitialValue = g.takesStructOpsData(m, g.so.structs[m.StructOps.TypeName])
		}
		descs = append(descs, d)
	}
	return descs
}

// progDescs describes the object's programs, loaded or not, for the
// runtime.
func (g *Generator) progDescs() []abi.ProgDesc {
	var descs []abi.ProgDesc
	for j, p := range g.obj.Programs() {
		descs = append(descs, abi.ProgDesc{
			Name:       p.Name,
			Section:    p.Section,
			Type:       uint32(p.Type),
			AttachType: uint32(p.AttachType),
			AttachTo:   p.AttachTo,
			Loaded:     g.loaded[j],
			TargetFunc: g.targetFuncs[j],
		})
	}
	return descs
}

// isCPUSized reports whether m is a perf-event array the runtime sizes
// with the target's CPU count.
func isCPUSized(m *object.Map) bool {
	return m.Type == object.MapTypePerfEventArray && m.MaxEntries == 0
}

func internalSection(m *object.Map) string {
	if m.Internal == object.NotInternal {
		return ""
	}
	return m.Section
}

// Generate records the load of obj as a loader program.
func Generate(obj *object.Object, opts *load.Options) (*Loader, error) {
	return GenerateWith(obj, opts, Options{})
}

// GenerateWith records the load of obj as a loader program made as o
// says.
func GenerateWith(obj *object.Object, opts *load.Options, o Options) (*Loader, error) {
	g, err := NewWith(obj, o)
	if err != nil {
		return nil, err
	}
	return g.Generate(opts)
}

// Generate runs the load phase through g and finishes the loader.
func (g *Generator) Generate(opts *load.Options) (*Loader, error) {
	if _, err := load.Load(g.obj, g, opts); err != nil {
		return nil, fmt.Errorf("generating the loader of %s: %w", g.obj.Name, err)
	}
	return g.Finish()
}
