package asm

// ALUOp is an arithmetic operation with two operands, "dst op= operand".
// Its methods make the instruction:
//
//	Add.Imm(R1, -8)   // r1 += -8
//	Add.Reg(R1, R2)   // r1 += r2
//	And.Imm32(R1, 15) // w1 &= 15 (upper 32 bits zeroed)
//	Mov.Reg32(R1, R2) // w1 = w2
type ALUOp uint8

// ALU operations with two operands. Negation and byte swaps have their own
// constructors (Neg64, Neg32, ToLE, ToBE, BSwap), as do the cpu v4 signed
// and sign-extending forms (SDiv64Imm, SMod64Imm, MovSX64, MovSX32).
const (
	Add  ALUOp = 0x00
	Sub  ALUOp = 0x10
	Mul  ALUOp = 0x20
	Div  ALUOp = 0x30
	Or   ALUOp = 0x40
	And  ALUOp = 0x50
	LSh  ALUOp = 0x60
	RSh  ALUOp = 0x70
	Mod  ALUOp = 0x90
	Xor  ALUOp = 0xa0
	Mov  ALUOp = 0xb0
	ArSh ALUOp = 0xc0
)

// ALU operation codes without a two-operand form.
const (
	aluNeg = 0x80
	aluEnd = 0xd0 // byte swap; the source bit selects the direction
)

// Imm is "dst op= imm" on 64 bits (imm sign-extended).
func (op ALUOp) Imm(dst Register, imm int32) Insn {
	return Insn{Code: opCode(ClassALU64, uint8(op), SrcK), Dst: dst, Imm: imm}
}

// Reg is "dst op= src" on 64 bits.
func (op ALUOp) Reg(dst, src Register) Insn {
	return Insn{Code: opCode(ClassALU64, uint8(op), SrcX), Dst: dst, Src: src}
}

// Imm32 is "wdst op= imm" on 32 bits, the upper half of dst zeroed.
func (op ALUOp) Imm32(dst Register, imm int32) Insn {
	return Insn{Code: opCode(ClassALU, uint8(op), SrcK), Dst: dst, Imm: imm}
}

// Reg32 is "wdst op= wsrc" on 32 bits, the upper half of dst zeroed.
func (op ALUOp) Reg32(dst, src Register) Insn {
	return Insn{Code: opCode(ClassALU, uint8(op), SrcX), Dst: dst, Src: src}
}

// Offset values with a special meaning on ALU instructions.
const (
	offSignedDivMod  = 1  // sdiv/smod on BPF_DIV/BPF_MOD
	offAddrSpaceCast = 1  // r = addr_space_cast(...) on ALU64|MOV|X
	offMovPercpuAddr = -1 // kernel-internal per-CPU address move
)

// MovSX64 is "dst = (sN)src" for bits 8, 16 or 32 (cpu v4).
func MovSX64(dst, src Register, bits int16) Insn {
	ins := Mov.Reg(dst, src)
	ins.Off = bits
	return ins
}

// MovSX32 is "wdst = (sN)wsrc" for bits 8 or 16 (cpu v4).
func MovSX32(dst, src Register, bits int16) Insn {
	ins := Mov.Reg32(dst, src)
	ins.Off = bits
	return ins
}

// SDiv64Imm is the cpu v4 "dst s/= imm": BPF_DIV with off = 1.
func SDiv64Imm(dst Register, imm int32) Insn {
	ins := Div.Imm(dst, imm)
	ins.Off = offSignedDivMod
	return ins
}

// SMod64Imm is the cpu v4 "dst s%= imm": BPF_MOD with off = 1.
func SMod64Imm(dst Register, imm int32) Insn {
	ins := Mod.Imm(dst, imm)
	ins.Off = offSignedDivMod
	return ins
}

// Neg64 is "dst = -dst".
func Neg64(dst Register) Insn { return Insn{Code: opCode(ClassALU64, aluNeg, SrcK), Dst: dst} }

// Neg32 is "wdst = -wdst".
func Neg32(dst Register) Insn { return Insn{Code: opCode(ClassALU, aluNeg, SrcK), Dst: dst} }

// The direction of a BPF_ALU byte swap, in the source bit of the opcode.
const (
	endToLE = SrcK
	endToBE = SrcX
)

// ToLE converts dst to little endian, keeping bits (16, 32 or 64) bits.
func ToLE(dst Register, bits int32) Insn {
	return Insn{Code: opCode(ClassALU, aluEnd, endToLE), Dst: dst, Imm: bits}
}

// ToBE converts dst to big endian, keeping bits (16, 32 or 64) bits.
func ToBE(dst Register, bits int32) Insn {
	return Insn{Code: opCode(ClassALU, aluEnd, endToBE), Dst: dst, Imm: bits}
}

// BSwap unconditionally swaps the low bits (16, 32 or 64) bits of dst
// (cpu v4).
func BSwap(dst Register, bits int32) Insn {
	return Insn{Code: opCode(ClassALU64, aluEnd, SrcK), Dst: dst, Imm: bits}
}

// LoadMem is "dst = *(size *)(src + off)".
func LoadMem(size Size, dst, src Register, off int16) Insn {
	return Insn{Code: memCode(ClassLDX, size, ModeMEM), Dst: dst, Src: src, Off: off}
}

// LoadMemSX is the sign-extending "dst = *(sN *)(src + off)" (cpu v4;
// size SizeB, SizeH or SizeW).
func LoadMemSX(size Size, dst, src Register, off int16) Insn {
	return Insn{Code: memCode(ClassLDX, size, ModeMEMSX), Dst: dst, Src: src, Off: off}
}

// StoreMem is "*(size *)(dst + off) = src".
func StoreMem(size Size, dst Register, off int16, src Register) Insn {
	return Insn{Code: memCode(ClassSTX, size, ModeMEM), Dst: dst, Src: src, Off: off}
}

// StoreImm is "*(size *)(dst + off) = imm".
func StoreImm(size Size, dst Register, off int16, imm int32) Insn {
	return Insn{Code: memCode(ClassST, size, ModeMEM), Dst: dst, Off: off, Imm: imm}
}

// AtomicOp is the operation of an atomic instruction, stored in its imm.
type AtomicOp int32

// Atomic operations. AtomicFetch combines with the first four
// (AtomicAdd|AtomicFetch) to also return the old value in src.
const (
	AtomicAdd              = AtomicOp(Add)
	AtomicOr               = AtomicOp(Or)
	AtomicAnd              = AtomicOp(And)
	AtomicXor              = AtomicOp(Xor)
	AtomicFetch   AtomicOp = 0x01
	AtomicXchg    AtomicOp = 0xe0 | 0x01 // exchange, old value in src
	AtomicCmpXchg AtomicOp = 0xf0 | 0x01 // compare r0 with memory and write src if equal; old value in r0
	LoadAcquire   AtomicOp = 0x100       // src = load_acquire(dst+off); the only load encoded as STX
	StoreRelease  AtomicOp = 0x110       // store_release(dst+off, src)
)

// Atomic is an atomic operation op on *(size *)(dst + off) with src; size
// is SizeW or SizeDW (any size for LoadAcquire and StoreRelease).
func Atomic(size Size, op AtomicOp, dst Register, off int16, src Register) Insn {
	return Insn{Code: memCode(ClassSTX, size, ModeATOMIC), Dst: dst, Src: src, Off: off, Imm: int32(op)}
}

// LdImm64 is the two-slot "dst = imm" with pseudo source src (0 for a
// plain constant, or one of the Pseudo* ld_imm64 constants).
func LdImm64(dst, src Register, imm uint64) []Insn {
	return []Insn{
		{Code: OpLdImm64, Dst: dst, Src: src, Imm: int32(uint32(imm))},
		{Imm: int32(uint32(imm >> 32))},
	}
}

// LoadAbs is the legacy packet load "r0 = *(size *)skb[imm]".
func LoadAbs(size Size, imm int32) Insn {
	return Insn{Code: memCode(ClassLD, size, ModeABS), Imm: imm}
}

// LoadInd is the legacy packet load "r0 = *(size *)skb[src + imm]".
func LoadInd(size Size, src Register, imm int32) Insn {
	return Insn{Code: memCode(ClassLD, size, ModeIND), Src: src, Imm: imm}
}

// Opcodes of the jump class without a condition.
const (
	jumpJA    = 0x00
	jumpCall  = 0x80
	jumpExit  = 0x90
	jumpJCond = 0xe0 // may_goto, with src_reg pseudoMayGotoSrc

	pseudoMayGotoSrc = 0

	opCall = uint8(ClassJMP) | jumpCall
	opExit = uint8(ClassJMP) | jumpExit
	opJa   = uint8(ClassJMP) | jumpJA
	opJaL  = uint8(ClassJMP32) | jumpJA // gotol: offset in imm
)

// Call calls the helper with the given id.
func Call(helper int32) Insn { return Insn{Code: opCall, Imm: helper} }

// CallRel is a bpf-to-bpf call of the function rel slots after the next
// instruction; Builder.CallLabel computes rel from a label.
func CallRel(rel int32) Insn { return Insn{Code: opCall, Src: PseudoCall, Imm: rel} }

// CallKfunc calls the kernel function with BTF id btfID; fdIdx is the
// fd_array index of the BTF object holding it (0 for vmlinux).
func CallKfunc(btfID int32, fdIdx int16) Insn {
	return Insn{Code: opCall, Src: PseudoKfuncCall, Off: fdIdx, Imm: btfID}
}

// Exit returns r0 to the caller.
func Exit() Insn { return Insn{Code: opExit} }
