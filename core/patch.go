package core

import (
	"errors"
	"fmt"
	"math"

	"github.com/bpfgen/bpfgen/asm"
)

// PoisonHelper is the helper id a poisoned instruction calls ("bad relo").
// No helper has it, so the verifier refuses the program if, and only if,
// the instruction is reachable: "invalid func unknown#195896080".
const PoisonHelper = 0xbad2310

// poison turns an instruction into a call of PoisonHelper.
func poison(ins *asm.Insn) {
	*ins = asm.Call(PoisonHelper)
}

// Patch applies a relocation result to the instruction at index i of insns
// (libbpf's bpf_core_patch_insn). The instruction may be
//
//   - an ALU or ALU64 operation with an immediate: the immediate becomes
//     New;
//   - a load (LDX), store (ST, STX): the offset becomes New, and the size
//     of the access changes when the field's size does (OrigSize to
//     NewSize);
//   - the first slot of a 64-bit immediate load (ld_imm64): the immediate
//     becomes New.
//
// With Validate, the instruction must hold Orig first. A poisoned result
// (or a load or store whose size cannot change) replaces the instruction,
// and both slots of an ld_imm64, with a call of PoisonHelper.
func Patch(insns []asm.Insn, i int, res Result) error {
	if i < 0 || i >= len(insns) {
		return fmt.Errorf("instruction %d out of range (%d instructions)", i, len(insns))
	}
	ins := &insns[i]
	if res.Poison {
		return poisonAt(insns, i)
	}
	switch ins.Class() {
	case asm.ClassALU, asm.ClassALU64:
		if ins.Source() == asm.SrcX {
			return errors.New("ALU instruction with a register source has no immediate to relocate")
		}
		if res.Validate && uint64(int64(ins.Imm)) != res.Orig {
			return fmt.Errorf("ALU immediate is %d, the relocation expects %d (to become %d)", ins.Imm, res.Orig, res.New)
		}
		ins.Imm = int32(uint32(res.New))
	case asm.ClassLDX, asm.ClassST, asm.ClassSTX:
		if res.Validate && uint64(int64(ins.Off)) != res.Orig {
			return fmt.Errorf("load/store offset is %d, the relocation expects %d (to become %d)", ins.Off, res.Orig, res.New)
		}
		if res.New > math.MaxInt16 {
			return fmt.Errorf("load/store offset %d out of range", res.New)
		}
		if res.BadSizeChange {
			// Reading a field of another size would give a wrong value:
			// only a pointer or an unsigned integer may be resized.
			return poisonAt(insns, i)
		}
		ins.Off = int16(res.New)
		if res.NewSize != res.OrigSize {
			if got := ins.Size().Bytes(); got != int(res.OrigSize) {
				return fmt.Errorf("load/store of %d bytes, the field is %d bytes", got, res.OrigSize)
			}
			size, ok := asm.SizeOf(int(res.NewSize))
			if !ok {
				return fmt.Errorf("field of %d bytes on the target cannot be loaded or stored in one instruction", res.NewSize)
			}
			ins.SetSize(size)
		}
	case asm.ClassLD:
		if !ins.IsLdImm64() || ins.Src != 0 || ins.Off != 0 || i+1 >= len(insns) {
			return errors.New("not a plain 64-bit immediate load")
		}
		next := &insns[i+1]
		if next.Code != 0 || next.Dst != 0 || next.Src != 0 || next.Off != 0 {
			return errors.New("64-bit immediate load with a malformed second slot")
		}
		imm := uint64(uint32(ins.Imm)) | uint64(uint32(next.Imm))<<32
		if res.Validate && imm != res.Orig {
			return fmt.Errorf("64-bit immediate is %d, the relocation expects %d (to become %d)", imm, res.Orig, res.New)
		}
		ins.Imm = int32(uint32(res.New))
		next.Imm = int32(uint32(res.New >> 32))
	default:
		return fmt.Errorf("instruction %#02x cannot be relocated", ins.Code)
	}
	return nil
}

// poisonAt poisons insns[i], and the second slot of an ld_imm64 too so
// that the verifier does not stumble on a lone slot first.
func poisonAt(insns []asm.Insn, i int) error {
	if insns[i].IsLdImm64() && i+1 < len(insns) {
		poison(&insns[i+1])
	}
	poison(&insns[i])
	return nil
}
