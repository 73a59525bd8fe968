package asm

// JumpOp is the condition of a conditional jump. Its methods make a jump
// to a label, which Builder.Jump emits and Builder.Assemble resolves:
//
//	JSLT.Imm(R1, 0, "fail")    // if r1 s< 0 goto fail
//	JEq.Reg(R1, R2, "same")    // if r1 == r2 goto same
//	JNE.Imm32(R1, 7, "other")  // if w1 != 7 goto other (JMP32)
//	JGT.Reg32(R1, R2, "more")  // if w1 > w2 goto more (JMP32)
//
// Imm and Reg compare all 64 bits of the registers, Imm32 and Reg32 (the
// JMP32 class) their lower halves.
type JumpOp uint8

// Conditions. The S variants compare signed.
const (
	JEq  JumpOp = 0x10 // ==
	JGT  JumpOp = 0x20 // >
	JGE  JumpOp = 0x30 // >=
	JSet JumpOp = 0x40 // & (any common bit)
	JNE  JumpOp = 0x50 // !=
	JSGT JumpOp = 0x60 // s>
	JSGE JumpOp = 0x70 // s>=
	JLT  JumpOp = 0xa0 // <
	JLE  JumpOp = 0xb0 // <=
	JSLT JumpOp = 0xc0 // s<
	JSLE JumpOp = 0xd0 // s<=
)

// Imm is "if dst op imm goto label" on 64 bits.
func (op JumpOp) Imm(dst Register, imm int32, label string) Jump {
	return Jump{ins: Insn{Code: opCode(ClassJMP, uint8(op), SrcK), Dst: dst, Imm: imm}, label: label}
}

// Reg is "if dst op src goto label" on 64 bits.
func (op JumpOp) Reg(dst, src Register, label string) Jump {
	return Jump{ins: Insn{Code: opCode(ClassJMP, uint8(op), SrcX), Dst: dst, Src: src}, label: label}
}

// Imm32 is "if wdst op imm goto label" on 32 bits.
func (op JumpOp) Imm32(dst Register, imm int32, label string) Jump {
	return Jump{ins: Insn{Code: opCode(ClassJMP32, uint8(op), SrcK), Dst: dst, Imm: imm}, label: label}
}

// Reg32 is "if wdst op wsrc goto label" on 32 bits.
func (op JumpOp) Reg32(dst, src Register, label string) Jump {
	return Jump{ins: Insn{Code: opCode(ClassJMP32, uint8(op), SrcX), Dst: dst, Src: src}, label: label}
}

// GotoOp is the unconditional jump; Ja is its only value.
type GotoOp uint8

// Ja is the unconditional jump: Ja.Label("out") is "goto out".
const Ja GotoOp = jumpJA

// Label is "goto label", with a 16-bit offset.
func (GotoOp) Label(label string) Jump {
	return Jump{ins: Insn{Code: opJa}, label: label}
}

// Long is "gotol label" (cpu v4), with a 32-bit offset in imm.
func (GotoOp) Long(label string) Jump {
	return Jump{ins: Insn{Code: opJaL}, label: label, wide: true}
}

// Jump is a jump to a label, made by the methods of JumpOp and Ja. Emit it
// with Builder.Jump, which resolves the label; Off makes the instruction
// with a hand-counted offset instead.
type Jump struct {
	ins   Insn
	label string
	wide  bool // the offset goes into imm (gotol), not off
}

// Target returns the label j jumps to.
func (j Jump) Target() string { return j.label }

// Off returns j as an instruction jumping off slots past the next one,
// for short programs written without a Builder; j's label only documents
// where that is. For gotol the offset goes into imm.
func (j Jump) Off(off int16) Insn {
	ins := j.ins
	if j.wide {
		ins.Imm = int32(off)
	} else {
		ins.Off = off
	}
	return ins
}
