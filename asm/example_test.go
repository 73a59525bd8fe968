package asm_test

import (
	"encoding/binary"
	"fmt"
	"os"

	"github.com/bpfgen/bpfgen/asm"
)

// Build a loop with labels, assemble it and print it.
func ExampleBuilder() {
	var b asm.Builder
	loop := b.NewLabel("loop")

	b.Comment("r0 = 3 * 14, the slow way")
	b.Emit(asm.Mov.Imm(asm.R0, 0), asm.Mov.Imm32(asm.R1, 0))
	if err := b.Label(loop); err != nil {
		fmt.Println(err)
		return
	}
	b.Emit(asm.Add.Imm(asm.R0, 3), asm.Add.Imm32(asm.R1, 1))
	b.Jump(asm.JLT.Imm32(asm.R1, 14, loop))
	b.Emit(asm.StoreMem(asm.SizeDW, asm.R10, -8, asm.R0))
	b.Emit(asm.LdImm64(asm.R2, asm.PseudoMapIdxValue, 16<<32|1)...)
	b.Emit(asm.Exit())

	insns, comments, err := b.Assemble()
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := asm.Disasm(os.Stdout, insns, comments); err != nil {
		fmt.Println(err)
	}
	// Output:
	// ; r0 = 3 * 14, the slow way
	//    0: r0 = 0
	//    1: w1 = 0
	//    2: r0 += 3
	//    3: w1 += 1
	//    4: if w1 < 0xe goto pc-3
	//    5: *(u64 *)(r10 -8) = r0
	//    6: r2 = map[idx:1]+16
	//    8: exit
}

// Jumps name their target; the method says what is compared: Imm and Reg
// compare 64-bit registers, Imm32 and Reg32 their lower halves (JMP32).
func ExampleJumpOp() {
	var b asm.Builder
	b.Jump(asm.JSLT.Imm(asm.R1, 0, "out"))
	b.Jump(asm.JEq.Reg(asm.R1, asm.R2, "out"))
	b.Jump(asm.JGT.Imm32(asm.R1, 5, "out"))
	b.Jump(asm.JSet.Reg32(asm.R1, asm.R2, "out"))
	b.Jump(asm.Ja.Label("out"))
	b.Jump(asm.Ja.Long("out"))
	if err := b.Label("out"); err != nil {
		fmt.Println(err)
		return
	}
	b.Emit(asm.Exit())
	insns, _, err := b.Assemble()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ins := range insns {
		fmt.Println(ins)
	}
	// Output:
	// if r1 s< 0x0 goto pc+5
	// if r1 == r2 goto pc+4
	// if w1 > 0x5 goto pc+3
	// if w1 & w2 goto pc+2
	// goto pc+1
	// gotol pc+0
	// exit
}

// Undefined labels and out-of-range jumps are reported by Assemble, naming
// the jump and its label.
func ExampleBuilder_Assemble_error() {
	var b asm.Builder
	b.Jump(asm.Ja.Label("missing"))
	b.Emit(asm.Exit())
	_, _, err := b.Assemble()
	fmt.Println(err)

	b = asm.Builder{}
	if err := b.Label("top"); err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; i < 40000; i++ {
		b.Emit(asm.Mov.Imm(asm.R0, 0))
	}
	b.Jump(asm.JNE.Imm(asm.R0, 0, "top"))
	_, _, err = b.Assemble()
	fmt.Println(err)
	// Output:
	// asm: instruction 0 (goto pc+0): undefined label "missing"
	// asm: instruction 40000 (if r0 != 0x0 goto pc+0): jump to label "top" (instruction 0): jump offset out of range: -40001 does not fit in 16 bits
}

// A loader completes a program that sits, encoded, in its data: ImmAt and
// its siblings say where each field of an instruction lies, so nothing
// counts bytes by hand.
func ExampleImmAt() {
	prog := asm.Encode([]asm.Insn{
		asm.Mov.Imm(asm.R0, 0),
		asm.CallKfunc(0, 0),
		asm.Exit(),
	}, binary.LittleEndian)
	// The kfunc's BTF id into the call's imm, its BTF object's fd_array
	// index into its off.
	binary.LittleEndian.PutUint32(prog[asm.ImmAt(1):], 1234)
	binary.LittleEndian.PutUint16(prog[asm.OffAt(1):], 3)
	insns, err := asm.Decode(prog, binary.LittleEndian)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(insns[1])
	// Output:
	// call kernel-function#1234 fd_array[3]
}
