// Package asm holds BPF instructions: their encoding, a builder that resolves
// labels into range-checked jump offsets, and a printer in the syntax of the
// kernel's verifier log and bpftool.
//
// An Insn is one 8-byte slot, exactly as the kernel sees it: a 16-byte
// ld_imm64 is two Insns. Instruction indexes used everywhere in bpfgen
// (relocations, func_info, line_info, CO-RE records) count these slots.
package asm

import (
	"encoding/binary"
	"fmt"
)

// InsnSize is the size of one encoded instruction slot in bytes.
const InsnSize = 8

// Insn is one raw 8-byte BPF instruction slot.
type Insn struct {
	Code uint8 // opcode: class | size/op | mode/source
	Dst  uint8 // destination register, 0..10
	Src  uint8 // source register, or a pseudo source for ld_imm64 and calls
	Off  int16
	Imm  int32
}

// Instruction classes (low 3 bits of Code).
const (
	ClassLD    = 0x00
	ClassLDX   = 0x01
	ClassST    = 0x02
	ClassSTX   = 0x03
	ClassALU   = 0x04
	ClassJMP   = 0x05
	ClassJMP32 = 0x06
	ClassALU64 = 0x07
)

// Sizes for load and store instructions.
const (
	SizeW  = 0x00
	SizeH  = 0x08
	SizeB  = 0x10
	SizeDW = 0x18
)

// Modes for load and store instructions.
const (
	ModeIMM    = 0x00
	ModeABS    = 0x20
	ModeIND    = 0x40
	ModeMEM    = 0x60
	ModeMEMSX  = 0x80
	ModeATOMIC = 0xc0
)

// Source operand flag for ALU and JMP classes.
const (
	SrcK = 0x00 // immediate
	SrcX = 0x08 // register
)

// ALU operations (high 4 bits of Code).
const (
	ALUAdd  = 0x00
	ALUSub  = 0x10
	ALUMul  = 0x20
	ALUDiv  = 0x30
	ALUOr   = 0x40
	ALUAnd  = 0x50
	ALULsh  = 0x60
	ALURsh  = 0x70
	ALUNeg  = 0x80
	ALUMod  = 0x90
	ALUXor  = 0xa0
	ALUMov  = 0xb0
	ALUArsh = 0xc0
	ALUEnd  = 0xd0
)

// Jump operations (high 4 bits of Code).
const (
	JumpJA   = 0x00
	JumpJEQ  = 0x10
	JumpJGT  = 0x20
	JumpJGE  = 0x30
	JumpJSET = 0x40
	JumpJNE  = 0x50
	JumpJSGT = 0x60
	JumpJSGE = 0x70
	JumpCall = 0x80
	JumpExit = 0x90
	JumpJLT  = 0xa0
	JumpJLE  = 0xb0
	JumpJSLT = 0xc0
	JumpJSLE = 0xd0
)

// Registers.
const (
	R0 uint8 = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
	R9
	R10
)

// Pseudo source registers of ld_imm64.
const (
	PseudoMapFD       = 1 // imm = map fd
	PseudoMapValue    = 2 // imm = map fd, next imm = offset in value
	PseudoBTFID       = 3 // imm = BTF id of a ksym, next imm = BTF object fd
	PseudoFunc        = 4 // imm = instruction offset of a callback
	PseudoMapIdx      = 5 // imm = index into fd_array
	PseudoMapIdxValue = 6 // imm = index into fd_array, next imm = offset in value
)

// Pseudo source registers of call instructions.
const (
	PseudoCall      = 1 // bpf-to-bpf call, imm = relative offset
	PseudoKfuncCall = 2 // imm = BTF id of the kfunc, off = fd_array index of its BTF
)

// OpLdImm64 is the opcode of the first slot of a 64-bit immediate load.
const OpLdImm64 = ClassLD | SizeDW | ModeIMM

// IsLdImm64 reports whether ins is the first slot of a 16-byte ld_imm64.
func (ins Insn) IsLdImm64() bool { return ins.Code == OpLdImm64 }

// IsCall reports whether ins is a call (helper, bpf-to-bpf or kfunc).
func (ins Insn) IsCall() bool { return ins.Code == ClassJMP|JumpCall }

// IsSubprogCall reports whether ins is a bpf-to-bpf call.
func (ins Insn) IsSubprogCall() bool { return ins.IsCall() && ins.Src == PseudoCall }

// IsKfuncCall reports whether ins calls a kernel function by BTF id.
func (ins Insn) IsKfuncCall() bool { return ins.IsCall() && ins.Src == PseudoKfuncCall }

// Encode writes ins into b (at least InsnSize bytes) in byte order bo.
// The register byte keeps the destination in the low nibble on
// little-endian targets and in the high nibble on big-endian ones, as the
// kernel's bitfield layout does.
func (ins Insn) Encode(b []byte, bo binary.ByteOrder) {
	b[0] = ins.Code
	if bo == binary.ByteOrder(binary.BigEndian) {
		b[1] = ins.Dst<<4 | ins.Src&0x0f
	} else {
		b[1] = ins.Src<<4 | ins.Dst&0x0f
	}
	bo.PutUint16(b[2:], uint16(ins.Off))
	bo.PutUint32(b[4:], uint32(ins.Imm))
}

// DecodeInsn reads one instruction slot from b (at least InsnSize bytes).
func DecodeInsn(b []byte, bo binary.ByteOrder) Insn {
	ins := Insn{Code: b[0], Off: int16(bo.Uint16(b[2:])), Imm: int32(bo.Uint32(b[4:]))}
	if bo == binary.ByteOrder(binary.BigEndian) {
		ins.Dst, ins.Src = b[1]>>4, b[1]&0x0f
	} else {
		ins.Dst, ins.Src = b[1]&0x0f, b[1]>>4
	}
	return ins
}

// Decode splits raw bytes into instruction slots.
func Decode(raw []byte, bo binary.ByteOrder) ([]Insn, error) {
	if len(raw)%InsnSize != 0 {
		return nil, fmt.Errorf("instruction bytes: length %d is not a multiple of %d", len(raw), InsnSize)
	}
	insns := make([]Insn, len(raw)/InsnSize)
	for i := range insns {
		insns[i] = DecodeInsn(raw[i*InsnSize:], bo)
	}
	return insns, nil
}

// Encode turns instruction slots into bytes.
func Encode(insns []Insn, bo binary.ByteOrder) []byte {
	raw := make([]byte, len(insns)*InsnSize)
	for i, ins := range insns {
		ins.Encode(raw[i*InsnSize:], bo)
	}
	return raw
}

// Imm64 returns the 64-bit immediate of the ld_imm64 starting at insns[i].
func Imm64(insns []Insn, i int) uint64 {
	return uint64(uint32(insns[i].Imm)) | uint64(uint32(insns[i+1].Imm))<<32
}
