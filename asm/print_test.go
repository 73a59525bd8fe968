package asm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// everyClass builds a program touching every class, mode and printer
// branch. It is not meant to pass the verifier.
func everyClass(t *testing.T) ([]Insn, []string) {
	t.Helper()
	var b Builder
	b.Comment("ALU64 and ALU")
	b.Emit(
		Mov.Reg(R1, R10),
		Add.Imm(R1, -136),
		Sub.Reg(R2, R3),
		Mul.Imm(R2, 3),
		Div.Imm(R2, 3),
		SDiv64Imm(R2, 3),
		SMod64Imm(R2, -3),
		Or.Reg(R4, R5),
		And.Imm32(R1, 15),
		LSh.Imm(R9, 32),
		RSh.Imm(R9, 32),
		Mod.Reg32(R1, R2),
		Xor.Reg32(R1, R1),
		ArSh.Imm(R1, 7),
		Mov.Imm(R0, -1),
		Mov.Imm32(R0, 42),
		Mov.Reg32(R0, R6),
		MovSX64(R1, R2, 8),
		MovSX64(R1, R2, 16),
		MovSX64(R1, R2, 32),
		MovSX32(R1, R2, 8),
		Neg64(R3),
		Neg32(R3),
		ToLE(R1, 16),
		ToBE(R1, 32),
		BSwap(R1, 64),
		withOffImm(Mov.Reg(R1, R2), offAddrSpaceCast, 1), // addr_space_cast
	)
	b.Comment("loads and stores")
	b.Emit(
		LoadMem(SizeW, R0, R10, -136),
		LoadMem(SizeDW, R1, R1, 0),
		LoadMem(SizeB, R1, R1, 3),
		LoadMemSX(SizeH, R1, R2, -2),
		StoreMem(SizeDW, R1, 0, R0),
		StoreMem(SizeH, R10, -2, R3),
		StoreImm(SizeW, R10, -4, 0),
		StoreImm(SizeB, R10, -5, -1),
		LoadAbs(SizeW, 12),
		LoadInd(SizeH, R3, 4),
	)
	b.Comment("atomics")
	b.Emit(
		Atomic(SizeDW, AtomicAdd, R1, 8, R2),
		Atomic(SizeW, AtomicAnd, R1, 0, R2),
		Atomic(SizeDW, AtomicOr|AtomicFetch, R1, -8, R3),
		Atomic(SizeW, AtomicXor|AtomicFetch, R1, 4, R3),
		Atomic(SizeDW, AtomicXchg, R1, 0, R4),
		Atomic(SizeW, AtomicCmpXchg, R1, 0, R4),
		Atomic(SizeDW, LoadAcquire, R0, 16, R1),
		Atomic(SizeB, StoreRelease, R1, 16, R2),
	)
	b.Comment("64-bit immediates")
	b.Emit(LdImm64(R1, 0, 0x1234)...)
	b.Emit(LdImm64(R2, 0, 0xffffffff_fffffff0)...)
	b.Emit(LdImm64(R1, PseudoMapFD, 5)...)
	b.Emit(LdImm64(R1, PseudoMapValue, 16<<32|5)...)
	b.Emit(LdImm64(R1, PseudoBTFID, 99)...)
	b.Emit(LdImm64(R1, PseudoMapIdx, 3)...)
	b.Emit(LdImm64(R1, PseudoMapIdxValue, 1280<<32)...)
	b.LoadFuncLabel(R2, "sub")
	b.Comment("jumps\nand calls")
	b.Jump(JSLT.Imm(R7, 0, "out"))
	b.Jump(JEq.Reg(R1, R2, "out"))
	b.Jump(JGT.Imm32(R1, -1, "out"))
	b.Jump(JSet.Reg32(R1, R2, "out"))
	b.Jump(Ja.Label("out"))
	b.Jump(Ja.Long("out"))
	b.Emit(
		Call(166),
		Call(1),
		Call(5000),
		Call(-1),
		CallKfunc(12345, 0),
		CallKfunc(12345, 2),
		Insn{Code: uint8(ClassJMP) | jumpJCond, Off: 2}, // may_goto
		Insn{Code: opJa | uint8(SrcX), Dst: R3},         // gotox
	)
	b.CallLabel("sub")
	if err := b.Label("out"); err != nil {
		t.Fatal(err)
	}
	b.Emit(Exit())
	if err := b.Label("sub"); err != nil {
		t.Fatal(err)
	}
	b.Comment("invalid encodings print, never panic")
	b.Emit(
		Insn{Code: 0xe7}, // ALU64 op 0xe0
		Insn{Code: memCode(ClassLDX, SizeDW, ModeMEMSX)},            // no 64-bit sign extension
		Insn{Code: opCode(ClassJMP32, jumpCall, SrcK)},              // call is JMP only
		Insn{Code: opCode(ClassJMP, 0xf0, SrcK)},                    // unknown jump op
		Insn{Code: memCode(ClassSTX, SizeW, ModeATOMIC), Imm: 0x42}, // unknown atomic
		Insn{Code: memCode(ClassST, SizeW, ModeABS)},                // st with a bad mode
		Insn{Code: memCode(ClassLD, SizeW, ModeMEM)},                // ld with a bad mode
		Insn{Code: memCode(ClassST, SizeW, ModeATOMIC)},             // nospec
	)
	b.Emit(LdImm64(R1, 9, 1)...) // unknown pseudo source
	b.Emit(Insn{Code: OpLdImm64, Dst: R1, Imm: 1}, Insn{Code: 0x95, Imm: 2})
	b.Emit(Exit())
	b.Emit(LdImm64(R3, 0, 7)[0]) // truncated
	insns, comments, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	return insns, comments
}

// withOffImm sets the off and imm fields of ins, for encodings without a
// constructor of their own.
func withOffImm(ins Insn, off int16, imm int32) Insn {
	ins.Off, ins.Imm = off, imm
	return ins
}

func TestDisasmGolden(t *testing.T) {
	insns, comments := everyClass(t)
	var buf bytes.Buffer
	if err := Disasm(&buf, insns, comments); err != nil {
		t.Fatal(err)
	}
	golden(t, "every_class.golden", buf.Bytes())
}

func TestInsnString(t *testing.T) {
	tests := []struct {
		ins  Insn
		want string
	}{
		{Mov.Reg(R1, R10), "r1 = r10"},
		{Add.Imm(R1, -136), "r1 += -136"},
		{LoadMem(SizeW, R0, R10, -136), "r0 = *(u32 *)(r10 -136)"},
		{StoreMem(SizeDW, R1, 0, R0), "*(u64 *)(r1 +0) = r0"},
		{StoreImm(SizeW, R10, -4, 0), "*(u32 *)(r10 -4) = 0"},
		{JSLT.Imm(R7, 0, "l").Off(-56), "if r7 s< 0x0 goto pc-56"},
		{Ja.Label("l").Off(32), "goto pc+32"},
		{Call(166), "call bpf_sys_bpf#166"},
		{CallRel(5), "call pc+5"},
		{And.Imm32(R1, 15), "w1 &= 15"},
		{RSh.Imm(R9, 32), "r9 >>= 32"},
		{Exit(), "exit"},
		// The first slot alone shows only its own half of the immediate.
		{LdImm64(R1, 0, 0x5_00001234)[0], "r1 = 0x1234 ll"},
		{LdImm64(R1, PseudoMapIdxValue, 1280<<32)[0], "r1 = map[idx:0]+0"},
		{Insn{Code: 0xff}, "invalid opcode 0xff"},
	}
	for _, tt := range tests {
		if got := tt.ins.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.ins, got, tt.want)
		}
	}
}

func TestDisasmLdImm64(t *testing.T) {
	insns := append(LdImm64(R1, PseudoMapIdxValue, 1280<<32), Exit())
	insns = append(insns, LdImm64(R1, PseudoMapIdx, 3)...)
	var buf bytes.Buffer
	if err := Disasm(&buf, insns, nil); err != nil {
		t.Fatal(err)
	}
	want := "   0: r1 = map[idx:0]+1280\n   2: exit\n   3: r1 = map[idx:3]\n"
	if buf.String() != want {
		t.Fatalf("Disasm =\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestHelperName(t *testing.T) {
	tests := map[int32]string{
		0:   "bpf_unspec",
		1:   "bpf_map_lookup_elem",
		6:   "bpf_trace_printk",
		12:  "bpf_tail_call",
		14:  "bpf_get_current_pid_tgid",
		130: "bpf_ringbuf_output",
		166: "bpf_sys_bpf",
		167: "bpf_btf_find_by_name_kind",
		179: "bpf_kallsyms_lookup_name",
		209: "bpf_user_ringbuf_drain",
		210: "bpf_cgrp_storage_get",
		211: "bpf_cgrp_storage_delete",
		212: "unknown",
		-1:  "unknown",
	}
	for id, want := range tests {
		if got := HelperName(id); got != want {
			t.Errorf("HelperName(%d) = %q, want %q", id, got, want)
		}
	}
	for id := int32(0); id <= 211; id++ {
		if n := HelperName(id); !strings.HasPrefix(n, "bpf_") {
			t.Errorf("HelperName(%d) = %q: table has a hole", id, n)
		}
	}
}

type failWriter struct{}

var errWrite = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestDisasmWriteError(t *testing.T) {
	if err := Disasm(failWriter{}, []Insn{Exit()}, nil); !errors.Is(err, errWrite) {
		t.Fatalf("Disasm error = %v, want the writer's", err)
	}
}

// FuzzDisasm checks the printer never panics on arbitrary bytes.
func FuzzDisasm(f *testing.F) {
	f.Add([]byte{0x18, 0x01, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{0xdb, 0x21, 8, 0, 0xf1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = raw[:len(raw)/InsnSize*InsnSize]
		insns, err := Decode(raw, binary.LittleEndian)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Disasm(&buf, insns, nil); err != nil {
			t.Fatal(err)
		}
	})
}
