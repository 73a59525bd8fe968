package asm

// Opcode parts not covered in insn.go.
const (
	// JumpJCond is the op of the conditional pseudo jump (may_goto).
	JumpJCond = 0xe0
	// EndToLE and EndToBE select the direction of a BPF_ALU|BPF_END byte
	// swap; they occupy the source bit of the opcode.
	EndToLE = SrcK
	EndToBE = SrcX
)

// Atomic operations, stored in the imm of a ClassSTX|ModeATOMIC instruction.
const (
	AtomicAdd     = ALUAdd
	AtomicOr      = ALUOr
	AtomicAnd     = ALUAnd
	AtomicXor     = ALUXor
	AtomicFetch   = 0x01        // flag: also return the old value in src
	AtomicXchg    = 0xe0 | 0x01 // exchange, old value in src
	AtomicCmpXchg = 0xf0 | 0x01 // compare r0 with memory and write src if equal; old value in r0
	LoadAcquire   = 0x100       // src = load_acquire(dst+off); the only load encoded as STX
	StoreRelease  = 0x110       // store_release(dst+off, src)
)

// Offset values with a special meaning on ALU instructions.
const (
	offSignedDivMod  = 1  // sdiv/smod on BPF_DIV/BPF_MOD
	offAddrSpaceCast = 1  // r = addr_space_cast(...) on ALU64|MOV|X
	offMovPercpuAddr = -1 // kernel-internal per-CPU address move
	pseudoMayGotoSrc = 0  // src_reg of a JCOND may_goto
	classMask        = 0x07
	opMask           = 0xf0
	srcMask          = 0x08
	sizeMask         = 0x18
	modeMask         = 0xe0
)

// Mov64Imm is "dst = imm" (imm sign-extended to 64 bits).
func Mov64Imm(dst uint8, imm int32) Insn {
	return Insn{Code: ClassALU64 | ALUMov | SrcK, Dst: dst, Imm: imm}
}

// Mov64Reg is "dst = src".
func Mov64Reg(dst, src uint8) Insn {
	return Insn{Code: ClassALU64 | ALUMov | SrcX, Dst: dst, Src: src}
}

// Mov32Imm is "wdst = imm" (upper 32 bits zeroed).
func Mov32Imm(dst uint8, imm int32) Insn {
	return Insn{Code: ClassALU | ALUMov | SrcK, Dst: dst, Imm: imm}
}

// Mov32Reg is "wdst = wsrc" (upper 32 bits zeroed).
func Mov32Reg(dst, src uint8) Insn {
	return Insn{Code: ClassALU | ALUMov | SrcX, Dst: dst, Src: src}
}

// MovSX64 is "dst = (sN)src" for bits 8, 16 or 32 (cpu v4).
func MovSX64(dst, src uint8, bits int16) Insn {
	return Insn{Code: ClassALU64 | ALUMov | SrcX, Dst: dst, Src: src, Off: bits}
}

// MovSX32 is "wdst = (sN)wsrc" for bits 8 or 16 (cpu v4).
func MovSX32(dst, src uint8, bits int16) Insn {
	return Insn{Code: ClassALU | ALUMov | SrcX, Dst: dst, Src: src, Off: bits}
}

// ALU64Imm is "dst op= imm" on 64 bits, op one of the ALU* constants.
func ALU64Imm(op, dst uint8, imm int32) Insn {
	return Insn{Code: ClassALU64 | op | SrcK, Dst: dst, Imm: imm}
}

// ALU64Reg is "dst op= src" on 64 bits.
func ALU64Reg(op, dst, src uint8) Insn {
	return Insn{Code: ClassALU64 | op | SrcX, Dst: dst, Src: src}
}

// ALU32Imm is "wdst op= imm" on 32 bits.
func ALU32Imm(op, dst uint8, imm int32) Insn {
	return Insn{Code: ClassALU | op | SrcK, Dst: dst, Imm: imm}
}

// ALU32Reg is "wdst op= wsrc" on 32 bits.
func ALU32Reg(op, dst, src uint8) Insn {
	return Insn{Code: ClassALU | op | SrcX, Dst: dst, Src: src}
}

// SDiv64Imm and the other signed variants are the cpu v4 "s/=" and "s%="
// forms: BPF_DIV/BPF_MOD with off = 1.
func SDiv64Imm(dst uint8, imm int32) Insn {
	ins := ALU64Imm(ALUDiv, dst, imm)
	ins.Off = offSignedDivMod
	return ins
}

// SMod64Imm is "dst s%= imm" (cpu v4).
func SMod64Imm(dst uint8, imm int32) Insn {
	ins := ALU64Imm(ALUMod, dst, imm)
	ins.Off = offSignedDivMod
	return ins
}

// Neg64 is "dst = -dst".
func Neg64(dst uint8) Insn { return Insn{Code: ClassALU64 | ALUNeg, Dst: dst} }

// Neg32 is "wdst = -wdst".
func Neg32(dst uint8) Insn { return Insn{Code: ClassALU | ALUNeg, Dst: dst} }

// ToLE converts dst to little endian, keeping bits (16, 32 or 64) bits.
func ToLE(dst uint8, bits int32) Insn {
	return Insn{Code: ClassALU | ALUEnd | EndToLE, Dst: dst, Imm: bits}
}

// ToBE converts dst to big endian, keeping bits (16, 32 or 64) bits.
func ToBE(dst uint8, bits int32) Insn {
	return Insn{Code: ClassALU | ALUEnd | EndToBE, Dst: dst, Imm: bits}
}

// BSwap unconditionally swaps the low bits (16, 32 or 64) bytes of dst
// (cpu v4).
func BSwap(dst uint8, bits int32) Insn {
	return Insn{Code: ClassALU64 | ALUEnd, Dst: dst, Imm: bits}
}

// LoadMem is "dst = *(size *)(src + off)".
func LoadMem(size, dst, src uint8, off int16) Insn {
	return Insn{Code: ClassLDX | size | ModeMEM, Dst: dst, Src: src, Off: off}
}

// LoadMemSX is the sign-extending "dst = *(sN *)(src + off)" (cpu v4;
// size SizeB, SizeH or SizeW).
func LoadMemSX(size, dst, src uint8, off int16) Insn {
	return Insn{Code: ClassLDX | size | ModeMEMSX, Dst: dst, Src: src, Off: off}
}

// StoreMem is "*(size *)(dst + off) = src".
func StoreMem(size, dst uint8, off int16, src uint8) Insn {
	return Insn{Code: ClassSTX | size | ModeMEM, Dst: dst, Src: src, Off: off}
}

// StoreImm is "*(size *)(dst + off) = imm".
func StoreImm(size, dst uint8, off int16, imm int32) Insn {
	return Insn{Code: ClassST | size | ModeMEM, Dst: dst, Off: off, Imm: imm}
}

// Atomic is an atomic read-modify-write of *(size *)(dst + off) with src;
// op is one of the Atomic* constants (optionally | AtomicFetch), size SizeW
// or SizeDW.
func Atomic(size uint8, op int32, dst uint8, off int16, src uint8) Insn {
	return Insn{Code: ClassSTX | size | ModeATOMIC, Dst: dst, Src: src, Off: off, Imm: op}
}

// LdImm64 is the two-slot "dst = imm" with pseudo source src (0 for a
// plain constant, or one of the Pseudo* ld_imm64 constants).
func LdImm64(dst, src uint8, imm uint64) []Insn {
	return []Insn{
		{Code: OpLdImm64, Dst: dst, Src: src, Imm: int32(uint32(imm))},
		{Imm: int32(uint32(imm >> 32))},
	}
}

// LoadAbs is the legacy packet load "r0 = *(size *)skb[imm]".
func LoadAbs(size uint8, imm int32) Insn {
	return Insn{Code: ClassLD | size | ModeABS, Imm: imm}
}

// LoadInd is the legacy packet load "r0 = *(size *)skb[src + imm]".
func LoadInd(size, src uint8, imm int32) Insn {
	return Insn{Code: ClassLD | size | ModeIND, Src: src, Imm: imm}
}

// Call calls the helper with the given id.
func Call(helper int32) Insn {
	return Insn{Code: ClassJMP | JumpCall, Imm: helper}
}

// CallRel is a bpf-to-bpf call of the function rel slots after the next
// instruction; Builder.CallLabel computes rel from a label.
func CallRel(rel int32) Insn {
	return Insn{Code: ClassJMP | JumpCall, Src: PseudoCall, Imm: rel}
}

// CallKfunc calls the kernel function with BTF id btfID; fdIdx is the
// fd_array index of the BTF object holding it (0 for vmlinux).
func CallKfunc(btfID int32, fdIdx int16) Insn {
	return Insn{Code: ClassJMP | JumpCall, Src: PseudoKfuncCall, Off: fdIdx, Imm: btfID}
}

// Exit returns r0 to the caller.
func Exit() Insn { return Insn{Code: ClassJMP | JumpExit} }

// Ja is "goto pc+off".
func Ja(off int16) Insn { return Insn{Code: ClassJMP | JumpJA, Off: off} }

// JumpImm is "if dst op imm goto pc+off" on 64 bits, op one of the Jump*
// conditional constants.
func JumpImm(op, dst uint8, imm int32, off int16) Insn {
	return Insn{Code: ClassJMP | op | SrcK, Dst: dst, Off: off, Imm: imm}
}

// JumpReg is "if dst op src goto pc+off" on 64 bits.
func JumpReg(op, dst, src uint8, off int16) Insn {
	return Insn{Code: ClassJMP | op | SrcX, Dst: dst, Src: src, Off: off}
}

// Jump32Imm is "if wdst op imm goto pc+off" on 32 bits.
func Jump32Imm(op, dst uint8, imm int32, off int16) Insn {
	return Insn{Code: ClassJMP32 | op | SrcK, Dst: dst, Off: off, Imm: imm}
}

// Jump32Reg is "if wdst op wsrc goto pc+off" on 32 bits.
func Jump32Reg(op, dst, src uint8, off int16) Insn {
	return Insn{Code: ClassJMP32 | op | SrcX, Dst: dst, Src: src, Off: off}
}
