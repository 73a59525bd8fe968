// Package asm holds BPF instructions: their encoding, typed constructors, a
// builder that resolves labels into range-checked jump offsets, and a
// printer in the syntax of the kernel's verifier log and bpftool.
//
// An Insn is one 8-byte slot, exactly as the kernel sees it: a 16-byte
// ld_imm64 is two Insns. Instruction indexes used everywhere in bpfgen
// (relocations, func_info, line_info, CO-RE records) count these slots.
//
// Instructions are made by typed constructors: registers are Registers,
// access sizes Sizes, and operations carry their operands as methods, so
// that "r1 += -8" is Add.Imm(R1, -8), "w1 &= w2" is And.Reg32(R1, R2) and
// "if r1 s< 0 goto out" is JSLT.Imm(R1, 0, "out"). A jump names a label;
// Builder places labels and computes (and range-checks) the offsets.
//
// Code that patches instructions inside an encoded program (a loader
// completing a program in its blob) finds each field with ImmAt, OffAt,
// RegsAt and Imm64HighAt instead of counting bytes.
package asm

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// InsnSize is the size of one encoded instruction slot in bytes.
const InsnSize = 8

// Insn is one raw 8-byte BPF instruction slot.
type Insn struct {
	Code uint8    // opcode: class | size/op | mode/source
	Dst  Register // destination register
	Src  Register // source register, or a pseudo source (Pseudo*) for ld_imm64 and calls
	Off  int16
	Imm  int32
}

// Register is a BPF register, R0 to R10. In Insn.Src it may also hold a
// pseudo source (the Pseudo* constants), which is not a register.
type Register uint8

// The registers: R0 holds return values, R1-R5 arguments, R6-R9 are
// callee-saved and R10 is the read-only frame pointer.
const (
	R0 Register = iota
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

// String returns "r0" to "r10".
func (r Register) String() string { return "r" + strconv.Itoa(int(r)) }

// Class is an instruction class, the low 3 bits of the opcode.
type Class uint8

// Instruction classes.
const (
	ClassLD    Class = 0x00
	ClassLDX   Class = 0x01
	ClassST    Class = 0x02
	ClassSTX   Class = 0x03
	ClassALU   Class = 0x04
	ClassJMP   Class = 0x05
	ClassJMP32 Class = 0x06
	ClassALU64 Class = 0x07
)

// Size is the access size of a load or store, as encoded in its opcode.
type Size uint8

// Access sizes.
const (
	SizeW  Size = 0x00 // 4 bytes
	SizeH  Size = 0x08 // 2 bytes
	SizeB  Size = 0x10 // 1 byte
	SizeDW Size = 0x18 // 8 bytes
)

// Bytes returns how many bytes an access of size s reads or writes.
func (s Size) Bytes() int {
	switch s {
	case SizeDW:
		return 8
	case SizeW:
		return 4
	case SizeH:
		return 2
	}
	return 1
}

// SizeOf returns the access size of n bytes; ok is false when no single
// load or store accesses n bytes.
func SizeOf(n int) (s Size, ok bool) {
	switch n {
	case 8:
		return SizeDW, true
	case 4:
		return SizeW, true
	case 2:
		return SizeH, true
	case 1:
		return SizeB, true
	}
	return 0, false
}

// String returns the unsigned C type of the access: "u8" to "u64".
func (s Size) String() string { return sizeNames[s>>3] }

// Mode is the addressing mode of a load or store.
type Mode uint8

// Addressing modes.
const (
	ModeIMM    Mode = 0x00
	ModeABS    Mode = 0x20
	ModeIND    Mode = 0x40
	ModeMEM    Mode = 0x60
	ModeMEMSX  Mode = 0x80
	ModeATOMIC Mode = 0xc0
)

// Source says where the second operand of an ALU or jump instruction
// comes from.
type Source uint8

// Operand sources.
const (
	SrcK Source = 0x00 // the immediate
	SrcX Source = 0x08 // the source register
)

// Pseudo source registers of ld_imm64 (values of Insn.Src).
const (
	PseudoMapFD       = 1 // imm = map fd
	PseudoMapValue    = 2 // imm = map fd, next imm = offset in value
	PseudoBTFID       = 3 // imm = BTF id of a ksym, next imm = BTF object fd
	PseudoFunc        = 4 // imm = instruction offset of a callback
	PseudoMapIdx      = 5 // imm = index into fd_array
	PseudoMapIdxValue = 6 // imm = index into fd_array, next imm = offset in value
)

// Pseudo source registers of call instructions (values of Insn.Src).
const (
	PseudoCall      = 1 // bpf-to-bpf call, imm = relative offset
	PseudoKfuncCall = 2 // imm = BTF id of the kfunc, off = fd_array index of its BTF
)

// OpLdImm64 is the opcode of the first slot of a 64-bit immediate load.
const OpLdImm64 = uint8(ClassLD) | uint8(SizeDW) | uint8(ModeIMM)

// Opcode bits by field.
const (
	classMask = 0x07
	opMask    = 0xf0
	srcMask   = 0x08
	sizeMask  = 0x18
	modeMask  = 0xe0
)

// opCode is the opcode of an ALU or jump instruction.
func opCode(c Class, op uint8, src Source) uint8 { return uint8(c) | op | uint8(src) }

// memCode is the opcode of a load or store.
func memCode(c Class, size Size, mode Mode) uint8 { return uint8(c) | uint8(size) | uint8(mode) }

// Class returns the instruction's class.
func (ins Insn) Class() Class { return Class(ins.Code & classMask) }

// Size returns the access size of a load or store.
func (ins Insn) Size() Size { return Size(ins.Code & sizeMask) }

// SetSize changes the access size of a load or store.
func (ins *Insn) SetSize(s Size) { ins.Code = ins.Code&^sizeMask | uint8(s) }

// Mode returns the addressing mode of a load or store.
func (ins Insn) Mode() Mode { return Mode(ins.Code & modeMask) }

// Source returns the operand source of an ALU or jump instruction.
func (ins Insn) Source() Source { return Source(ins.Code & srcMask) }

// IsLdImm64 reports whether ins is the first slot of a 16-byte ld_imm64.
func (ins Insn) IsLdImm64() bool { return ins.Code == OpLdImm64 }

// IsCall reports whether ins is a call (helper, bpf-to-bpf or kfunc).
func (ins Insn) IsCall() bool { return ins.Code == opCall }

// IsSubprogCall reports whether ins is a bpf-to-bpf call.
func (ins Insn) IsSubprogCall() bool { return ins.IsCall() && ins.Src == PseudoCall }

// IsKfuncCall reports whether ins calls a kernel function by BTF id.
func (ins Insn) IsKfuncCall() bool { return ins.IsCall() && ins.Src == PseudoKfuncCall }

// Where the fields of one slot lie within its 8 encoded bytes.
const (
	codeField = 0 // u8
	regsField = 1 // u8: dst and src, one nibble each
	offField  = 2 // s16
	immField  = 4 // s32
)

// RegsAt returns the byte offset, in an encoded program, of the register
// byte (dst and src) of instruction slot i; RegsByte gives its value.
func RegsAt(i int) int { return i*InsnSize + regsField }

// OffAt returns the byte offset, in an encoded program, of the 16-bit off
// field of instruction slot i.
func OffAt(i int) int { return i*InsnSize + offField }

// ImmAt returns the byte offset, in an encoded program, of the 32-bit imm
// field of instruction slot i (for an ld_imm64 at i, the low half of its
// immediate).
func ImmAt(i int) int { return i*InsnSize + immField }

// Imm64HighAt returns the byte offset, in an encoded program, of the high
// 32 bits of the immediate of the ld_imm64 starting at slot i: the imm
// field of its second slot.
func Imm64HighAt(i int) int { return ImmAt(i + 1) }

// RegsByte returns the register byte of an instruction with registers dst
// and src in byte order bo: the destination is in the low nibble on
// little-endian targets and in the high nibble on big-endian ones, as the
// kernel's bitfield layout has it.
func RegsByte(dst, src Register, bo binary.ByteOrder) uint8 {
	if bo == binary.ByteOrder(binary.BigEndian) {
		return uint8(dst)<<4 | uint8(src)&0x0f
	}
	return uint8(src)<<4 | uint8(dst)&0x0f
}

// Encode writes ins into b (at least InsnSize bytes) in byte order bo.
func (ins Insn) Encode(b []byte, bo binary.ByteOrder) {
	b[codeField] = ins.Code
	b[regsField] = RegsByte(ins.Dst, ins.Src, bo)
	bo.PutUint16(b[offField:], uint16(ins.Off))
	bo.PutUint32(b[immField:], uint32(ins.Imm))
}

// DecodeInsn reads one instruction slot from b (at least InsnSize bytes).
func DecodeInsn(b []byte, bo binary.ByteOrder) Insn {
	ins := Insn{Code: b[codeField], Off: int16(bo.Uint16(b[offField:])), Imm: int32(bo.Uint32(b[immField:]))}
	regs := Register(b[regsField])
	if bo == binary.ByteOrder(binary.BigEndian) {
		ins.Dst, ins.Src = regs>>4, regs&0x0f
	} else {
		ins.Dst, ins.Src = regs&0x0f, regs>>4
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
