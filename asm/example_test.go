package asm_test

import (
	"fmt"
	"os"

	"github.com/bpfgen/bpfgen/asm"
)

// Build a loop with labels, assemble it and print it.
func ExampleBuilder() {
	var b asm.Builder
	loop := b.NewLabel("loop")

	b.Comment("r0 = 3 * 14, the slow way")
	b.Emit(asm.Mov64Imm(asm.R0, 0), asm.Mov32Imm(asm.R1, 0))
	if err := b.Label(loop); err != nil {
		fmt.Println(err)
		return
	}
	b.Emit(asm.ALU64Imm(asm.ALUAdd, asm.R0, 3), asm.ALU32Imm(asm.ALUAdd, asm.R1, 1))
	b.Jump(asm.ClassJMP32|asm.JumpJLT|asm.SrcK, asm.R1, 0, 14, loop)
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

// Undefined labels and out-of-range jumps are reported by Assemble.
func ExampleBuilder_Assemble_error() {
	var b asm.Builder
	b.Goto("missing")
	b.Emit(asm.Exit())
	_, _, err := b.Assemble()
	fmt.Println(err)
	// Output:
	// asm: instruction 0: undefined label "missing"
}
