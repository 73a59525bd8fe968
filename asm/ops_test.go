package asm

import (
	"encoding/binary"
	"errors"
	"testing"
)

// opCase is an operation with its code in the UAPI header (BPF_ADD,
// BPF_JEQ...) and its symbol in the printed instruction.
type opCase[Op ALUOp | JumpOp] struct {
	op   Op
	sym  string
	code uint8
}

// Every condition in every form: the opcode, the operands and the
// printed comparison.
func TestJumpOps(t *testing.T) {
	ops := []opCase[JumpOp]{
		{JEq, "==", 0x10}, {JGT, ">", 0x20}, {JGE, ">=", 0x30}, {JSet, "&", 0x40},
		{JNE, "!=", 0x50}, {JSGT, "s>", 0x60}, {JSGE, "s>=", 0x70}, {JLT, "<", 0xa0},
		{JLE, "<=", 0xb0}, {JSLT, "s<", 0xc0}, {JSLE, "s<=", 0xd0},
	}
	for _, o := range ops {
		forms := []struct {
			name string
			jump Jump
			want Insn
			text string
		}{
			{"Imm", o.op.Imm(R3, -2, "l"), Insn{Code: 0x05 | o.code, Dst: R3, Imm: -2, Off: 4}, "if r3 " + o.sym + " 0xfffffffe goto pc+4"},
			{"Reg", o.op.Reg(R3, R4, "l"), Insn{Code: 0x05 | 0x08 | o.code, Dst: R3, Src: R4, Off: 4}, "if r3 " + o.sym + " r4 goto pc+4"},
			{"Imm32", o.op.Imm32(R3, 9, "l"), Insn{Code: 0x06 | o.code, Dst: R3, Imm: 9, Off: 4}, "if w3 " + o.sym + " 0x9 goto pc+4"},
			{"Reg32", o.op.Reg32(R3, R4, "l"), Insn{Code: 0x06 | 0x08 | o.code, Dst: R3, Src: R4, Off: 4}, "if w3 " + o.sym + " w4 goto pc+4"},
		}
		for _, f := range forms {
			if f.jump.Target() != "l" {
				t.Errorf("%s %s: target %q", o.sym, f.name, f.jump.Target())
			}
			// The same offset by hand and by the Builder.
			var b Builder
			b.Jump(f.jump)
			b.Emit(Exit(), Exit(), Exit(), Exit())
			mustLabel(t, &b, "l")
			b.Emit(Exit())
			insns, _, err := b.Assemble()
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []Insn{f.jump.Off(4), insns[0]} {
				if got != f.want || got.String() != f.text {
					t.Errorf("%s %s: %+v %q, want %+v %q", o.sym, f.name, got, got.String(), f.want, f.text)
				}
			}
		}
	}
}

func TestALUOps(t *testing.T) {
	ops := []opCase[ALUOp]{
		{Add, "+=", 0x00}, {Sub, "-=", 0x10}, {Mul, "*=", 0x20}, {Div, "/=", 0x30},
		{Or, "|=", 0x40}, {And, "&=", 0x50}, {LSh, "<<=", 0x60}, {RSh, ">>=", 0x70},
		{Mod, "%=", 0x90}, {Xor, "^=", 0xa0}, {Mov, "=", 0xb0}, {ArSh, "s>>=", 0xc0},
	}
	for _, o := range ops {
		for _, f := range []struct {
			got, want Insn
			text      string
		}{
			{o.op.Imm(R1, -3), Insn{Code: 0x07 | o.code, Dst: R1, Imm: -3}, "r1 " + o.sym + " -3"},
			{o.op.Reg(R1, R2), Insn{Code: 0x07 | 0x08 | o.code, Dst: R1, Src: R2}, "r1 " + o.sym + " r2"},
			{o.op.Imm32(R1, 3), Insn{Code: 0x04 | o.code, Dst: R1, Imm: 3}, "w1 " + o.sym + " 3"},
			{o.op.Reg32(R1, R2), Insn{Code: 0x04 | 0x08 | o.code, Dst: R1, Src: R2}, "w1 " + o.sym + " w2"},
		} {
			if f.got != f.want || f.got.String() != f.text {
				t.Errorf("%+v %q, want %+v %q", f.got, f.got.String(), f.want, f.text)
			}
		}
	}
}

func TestRegisterAndSize(t *testing.T) {
	if R0.String() != "r0" || R10.String() != "r10" {
		t.Errorf("register names %q %q", R0, R10)
	}
	for _, tt := range []struct {
		size  Size
		bytes int
		name  string
	}{{SizeB, 1, "u8"}, {SizeH, 2, "u16"}, {SizeW, 4, "u32"}, {SizeDW, 8, "u64"}} {
		if tt.size.Bytes() != tt.bytes || tt.size.String() != tt.name {
			t.Errorf("size %#x: %d bytes %q, want %d %q", uint8(tt.size), tt.size.Bytes(), tt.size, tt.bytes, tt.name)
		}
		if s, ok := SizeOf(tt.bytes); !ok || s != tt.size {
			t.Errorf("SizeOf(%d) = %v, %v", tt.bytes, s, ok)
		}
		ins := LoadMem(SizeB, R1, R2, 0)
		ins.SetSize(tt.size)
		if ins != LoadMem(tt.size, R1, R2, 0) || ins.Size() != tt.size || ins.Class() != ClassLDX || ins.Mode() != ModeMEM {
			t.Errorf("SetSize(%v) = %+v", tt.size, ins)
		}
	}
	if _, ok := SizeOf(3); ok {
		t.Error("SizeOf(3) ok")
	}
}

// The field offsets agree with the encoding, in both byte orders.
func TestFieldOffsets(t *testing.T) {
	prog := []Insn{Mov.Imm(R0, 0), CallKfunc(0x11223344, 0x5566)}
	prog = append(prog, LdImm64(R3, PseudoBTFID, 0x0a0b0c0d_01020304)...)
	for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		raw := Encode(prog, bo)
		if got := bo.Uint32(raw[ImmAt(1):]); got != 0x11223344 {
			t.Errorf("%v: imm of 1 = %#x", bo, got)
		}
		if got := bo.Uint16(raw[OffAt(1):]); got != 0x5566 {
			t.Errorf("%v: off of 1 = %#x", bo, got)
		}
		if got := raw[RegsAt(2)]; got != RegsByte(R3, PseudoBTFID, bo) {
			t.Errorf("%v: regs of 2 = %#x, want %#x", bo, got, RegsByte(R3, PseudoBTFID, bo))
		}
		if lo, hi := bo.Uint32(raw[ImmAt(2):]), bo.Uint32(raw[Imm64HighAt(2):]); lo != 0x01020304 || hi != 0x0a0b0c0d {
			t.Errorf("%v: ld_imm64 halves %#x %#x", bo, lo, hi)
		}
		// Clearing the source register through its byte leaves the
		// destination.
		raw[RegsAt(2)] = RegsByte(R3, 0, bo)
		if ins := DecodeInsn(raw[2*InsnSize:], bo); ins.Dst != R3 || ins.Src != 0 {
			t.Errorf("%v: after clearing src: %+v", bo, ins)
		}
	}
}

func TestBuilderBadRegister(t *testing.T) {
	for _, ins := range []Insn{Mov.Imm(11, 0), Mov.Reg(R1, 16)} {
		var b Builder
		b.Emit(Exit(), ins)
		if _, _, err := b.Assemble(); !errors.Is(err, ErrRegister) {
			t.Errorf("%+v: error %v, want ErrRegister", ins, err)
		}
	}
}
