package asm

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Errors returned (wrapped) by Builder.
var (
	ErrDuplicateLabel = errors.New("label defined twice")
	ErrUndefinedLabel = errors.New("undefined label")
	ErrJumpRange      = errors.New("jump offset out of range")
	ErrRegister       = errors.New("no such register")
)

// fixupKind says which field of an instruction receives a label's offset.
type fixupKind uint8

const (
	fixOff fixupKind = iota // jump offset in Off (int16)
	fixImm                  // offset in Imm: gotol, bpf-to-bpf call, ld_imm64 of a function
)

type fixup struct {
	index int // slot of the instruction to patch
	label string
	kind  fixupKind
}

// Builder assembles a program: it appends instructions, records labels and
// references to them, and resolves every reference into a pc-relative
// offset in Assemble. The zero value is ready to use.
type Builder struct {
	insns    []Insn
	comments map[int]string
	pending  []string // comments waiting for the next instruction
	labels   map[string]int
	fixups   []fixup
	err      error // first error from Label, reported again by Assemble
	nextID   int
}

// Len returns the number of instruction slots emitted so far; it is also
// the index the next instruction will get.
func (b *Builder) Len() int { return len(b.insns) }

// Emit appends instructions. An ld_imm64 must be passed as both its slots.
func (b *Builder) Emit(insns ...Insn) {
	if len(insns) == 0 {
		return
	}
	b.attachComments()
	b.insns = append(b.insns, insns...)
}

func (b *Builder) attachComments() {
	if len(b.pending) == 0 {
		return
	}
	if b.comments == nil {
		b.comments = make(map[int]string)
	}
	b.comments[len(b.insns)] = strings.Join(b.pending, "\n")
	b.pending = b.pending[:0]
}

// Label defines name at the current position, so that jumps to it land on
// the next emitted instruction.
func (b *Builder) Label(name string) error {
	if b.labels == nil {
		b.labels = make(map[string]int)
	}
	if at, ok := b.labels[name]; ok {
		err := fmt.Errorf("asm: label %q at instruction %d: %w (first at instruction %d)", name, len(b.insns), ErrDuplicateLabel, at)
		if b.err == nil {
			b.err = err
		}
		return err
	}
	b.labels[name] = len(b.insns)
	return nil
}

// NewLabel returns a label name, starting with prefix, that no other call
// of NewLabel on this Builder returns. It does not define the label.
func (b *Builder) NewLabel(prefix string) string {
	b.nextID++
	// The '.' keeps generated names apart from hand-written identifiers.
	return prefix + "." + strconv.Itoa(b.nextID)
}

// Jump emits j, a jump to a label defined before or after it (see
// JumpOp and Ja): Assemble computes the offset and checks that it fits.
func (b *Builder) Jump(j Jump) {
	kind := fixOff
	if j.wide {
		kind = fixImm
	}
	b.fixups = append(b.fixups, fixup{index: len(b.insns), label: j.label, kind: kind})
	b.Emit(j.ins)
}

// CallLabel emits a bpf-to-bpf call of the function starting at label.
func (b *Builder) CallLabel(label string) {
	b.fixups = append(b.fixups, fixup{index: len(b.insns), label: label, kind: fixImm})
	b.Emit(CallRel(0))
}

// LoadFuncLabel emits "dst = subprog" (ld_imm64 with PseudoFunc), the
// address of the function at label, as passed to callback-taking helpers.
func (b *Builder) LoadFuncLabel(dst Register, label string) {
	b.fixups = append(b.fixups, fixup{index: len(b.insns), label: label, kind: fixImm})
	b.Emit(LdImm64(dst, PseudoFunc, 0)...)
}

// Comment attaches text to the next emitted instruction; Disasm prints it
// on its own line before that instruction. Several comments on one
// instruction are kept in order. A comment after the last instruction is
// dropped.
func (b *Builder) Comment(text string) { b.pending = append(b.pending, text) }

// Assemble resolves labels and returns a copy of the instructions and the
// comment attached to each instruction index ("" if none). The Builder is
// left unchanged, so more instructions may be emitted and Assemble called
// again.
func (b *Builder) Assemble() ([]Insn, []string, error) {
	if b.err != nil {
		return nil, nil, b.err
	}
	insns := append([]Insn(nil), b.insns...)
	for i, ins := range insns {
		// A register beyond R10 would be cut to a nibble by the encoding
		// or refused by the verifier far from its cause.
		if ins.Dst > R10 || ins.Src > 0x0f {
			return nil, nil, fmt.Errorf("asm: instruction %d (code %#02x, dst %d, src %d): %w", i, ins.Code, ins.Dst, ins.Src, ErrRegister)
		}
	}
	for _, f := range b.fixups {
		target, ok := b.labels[f.label]
		if !ok {
			return nil, nil, fmt.Errorf("asm: instruction %d (%v): %w %q", f.index, insns[f.index], ErrUndefinedLabel, f.label)
		}
		// Offsets count from the slot after the jump.
		rel := target - (f.index + 1)
		ins := &insns[f.index]
		switch f.kind {
		case fixOff:
			if rel < math.MinInt16 || rel > math.MaxInt16 {
				return nil, nil, fmt.Errorf("asm: instruction %d (%v): jump to label %q (instruction %d): %w: %d does not fit in 16 bits", f.index, *ins, f.label, target, ErrJumpRange, rel)
			}
			ins.Off = int16(rel)
		case fixImm:
			if rel < math.MinInt32 || rel > math.MaxInt32 {
				return nil, nil, fmt.Errorf("asm: instruction %d (%v): reference to label %q (instruction %d): %w: %d does not fit in 32 bits", f.index, *ins, f.label, target, ErrJumpRange, rel)
			}
			ins.Imm = int32(rel)
		}
	}
	comments := make([]string, len(insns))
	for i, c := range b.comments {
		comments[i] = c
	}
	return insns, comments, nil
}
