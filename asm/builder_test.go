package asm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func mustLabel(t *testing.T, b *Builder, name string) {
	t.Helper()
	if err := b.Label(name); err != nil {
		t.Fatal(err)
	}
}

func TestBuilderJumps(t *testing.T) {
	var b Builder
	mustLabel(t, &b, "top") // 0
	b.Emit(Mov.Imm(R0, 0))
	b.Jump(JEq.Imm(R1, 7, "end"))    // 1: forward
	b.Emit(LdImm64(R2, 0, 1)...)     // 2, 3
	b.Jump(JNE.Reg32(R1, R2, "top")) // 4: backward
	b.Jump(Ja.Label("self"))         // 5: (label defined below, at 6)
	mustLabel(t, &b, "self")
	b.Jump(Ja.Long("top")) // 6: gotol, offset in imm
	b.CallLabel("fn")      // 7
	mustLabel(t, &b, "end")
	b.Emit(Exit()) // 8
	mustLabel(t, &b, "fn")
	b.LoadFuncLabel(R1, "fn") // 9, 10: refers to its own position
	b.Emit(Exit())            // 11

	insns, comments, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	if len(insns) != 12 || len(comments) != 12 || b.Len() != 12 {
		t.Fatalf("got %d insns, %d comments, Len %d; want 12", len(insns), len(comments), b.Len())
	}
	checks := []struct {
		index int
		want  Insn
	}{
		{1, Insn{Code: uint8(ClassJMP) | uint8(JEq) | uint8(SrcK), Dst: R1, Imm: 7, Off: 6}},
		{4, Insn{Code: uint8(ClassJMP32) | uint8(JNE) | uint8(SrcX), Dst: R1, Src: R2, Off: -5}},
		{5, Insn{Code: uint8(ClassJMP), Off: 0}},
		{6, Insn{Code: uint8(ClassJMP32), Imm: -7}},
		{7, Insn{Code: uint8(ClassJMP) | 0x80, Src: PseudoCall, Imm: 1}},
		{9, Insn{Code: OpLdImm64, Dst: R1, Src: PseudoFunc, Imm: -1}},
		{10, Insn{}},
	}
	for _, c := range checks {
		if insns[c.index] != c.want {
			t.Errorf("insn %d = %+v (%v), want %+v (%v)", c.index, insns[c.index], insns[c.index], c.want, c.want)
		}
	}
}

func TestBuilderComments(t *testing.T) {
	var b Builder
	b.Comment("first")
	b.Comment("second")
	b.Emit(Mov.Imm(R0, 1), Mov.Imm(R0, 2))
	b.Comment("third")
	b.Emit(Exit())
	b.Comment("dangling")
	_, comments, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"first\nsecond", "", "third"}
	if strings.Join(comments, "|") != strings.Join(want, "|") {
		t.Fatalf("comments = %q, want %q", comments, want)
	}
}

func TestBuilderNewLabel(t *testing.T) {
	var b Builder
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		l := b.NewLabel("loop")
		if seen[l] || !strings.HasPrefix(l, "loop") {
			t.Fatalf("NewLabel returned %q (seen before: %v)", l, seen[l])
		}
		seen[l] = true
	}
}

func TestBuilderErrors(t *testing.T) {
	t.Run("undefined label", func(t *testing.T) {
		var b Builder
		b.Emit(Mov.Imm(R0, 0), Mov.Imm(R1, 0))
		b.Jump(Ja.Label("nowhere"))
		b.Emit(Exit())
		_, _, err := b.Assemble()
		if !errors.Is(err, ErrUndefinedLabel) || !strings.Contains(err.Error(), `"nowhere"`) || !strings.Contains(err.Error(), "instruction 2") {
			t.Fatalf("error = %v, want ErrUndefinedLabel naming the label and instruction 2", err)
		}
	})
	t.Run("duplicate label", func(t *testing.T) {
		var b Builder
		mustLabel(t, &b, "x")
		b.Emit(Exit())
		err := b.Label("x")
		if !errors.Is(err, ErrDuplicateLabel) || !strings.Contains(err.Error(), `"x"`) {
			t.Fatalf("Label error = %v, want ErrDuplicateLabel naming the label", err)
		}
		// Assemble reports it too, so an unchecked Label error is not lost.
		if _, _, err := b.Assemble(); !errors.Is(err, ErrDuplicateLabel) {
			t.Fatalf("Assemble error = %v, want ErrDuplicateLabel", err)
		}
	})
	for _, tc := range []struct {
		name     string
		backward bool
		jump     Jump
		wantErr  bool
	}{
		{"forward ja", false, Ja.Label("far"), true},
		{"backward jeq", true, JEq.Imm(R1, 0, "far"), true},
		{"forward jslt32", false, JSLT.Imm32(R1, 0, "far"), true},
		{"backward jne reg", true, JNE.Reg(R1, R2, "far"), true},
		{"forward gotol fits", false, Ja.Long("far"), false},
		{"backward gotol fits", true, Ja.Long("far"), false},
	} {
		t.Run("out of range "+tc.name, func(t *testing.T) {
			var b Builder
			filler := make([]Insn, 40000)
			for i := range filler {
				filler[i] = Mov.Imm(R0, 0)
			}
			at := 0
			if tc.backward {
				mustLabel(t, &b, "far")
				b.Emit(filler...)
				at = b.Len()
				b.Jump(tc.jump)
			} else {
				b.Jump(tc.jump)
				b.Emit(filler...)
				mustLabel(t, &b, "far")
			}
			b.Emit(Exit())
			insns, _, err := b.Assemble()
			if !tc.wantErr {
				if err != nil {
					t.Fatal(err)
				}
				want := int32(40000)
				if tc.backward {
					want = -40001
				}
				if insns[at].Imm != want {
					t.Fatalf("gotol imm = %d, want %d", insns[at].Imm, want)
				}
				return
			}
			// The error names the jump, its label and where each is.
			msg := fmt.Sprintf("instruction %d (%v)", at, tc.jump.Off(0))
			if !errors.Is(err, ErrJumpRange) || !strings.Contains(err.Error(), `"far"`) || !strings.Contains(err.Error(), msg) {
				t.Fatalf("error = %v, want ErrJumpRange naming the label and %q", err, msg)
			}
		})
	}
}

func TestBuilderJumpLimits(t *testing.T) {
	// The largest offsets that fit: +32767 forward, -32768 backward.
	for _, n := range []int{32767, 32766} {
		var b Builder
		b.Jump(Ja.Label("end"))
		for i := 0; i < n; i++ {
			b.Emit(Mov.Imm(R0, 0))
		}
		mustLabel(t, &b, "end")
		b.Emit(Exit())
		insns, _, err := b.Assemble()
		if err != nil {
			t.Fatalf("forward %d: %v", n, err)
		}
		if int(insns[0].Off) != n {
			t.Fatalf("forward %d: off = %d", n, insns[0].Off)
		}
	}
	var b Builder
	mustLabel(t, &b, "top")
	for i := 0; i < 32767; i++ {
		b.Emit(Mov.Imm(R0, 0))
	}
	b.Jump(Ja.Label("top"))
	insns, _, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	if insns[len(insns)-1].Off != -32768 {
		t.Fatalf("backward off = %d, want -32768", insns[len(insns)-1].Off)
	}
	b.Emit(Mov.Imm(R0, 0))
	b.Jump(Ja.Label("top"))
	if _, _, err := b.Assemble(); !errors.Is(err, ErrJumpRange) {
		t.Fatalf("backward -32770: error = %v, want ErrJumpRange", err)
	}
}
