package asm

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// HelperName returns the name of helper id as the kernel prints it
// ("bpf_map_lookup_elem"), or "unknown" for ids it does not know.
func HelperName(id int32) string {
	if id >= 0 && int(id) < len(helperNames) && helperNames[id] != "" {
		return helperNames[id]
	}
	return "unknown"
}

var aluOps = [16]string{
	Add >> 4: "+=", Sub >> 4: "-=", Mul >> 4: "*=", Div >> 4: "/=",
	Or >> 4: "|=", And >> 4: "&=", LSh >> 4: "<<=", RSh >> 4: ">>=",
	Mod >> 4: "%=", Xor >> 4: "^=", Mov >> 4: "=", ArSh >> 4: "s>>=",
}

var jumpOps = [16]string{
	JEq >> 4: "==", JGT >> 4: ">", JGE >> 4: ">=", JSet >> 4: "&",
	JNE >> 4: "!=", JSGT >> 4: "s>", JSGE >> 4: "s>=", JLT >> 4: "<",
	JLE >> 4: "<=", JSLT >> 4: "s<", JSLE >> 4: "s<=",
}

var atomicNames = [16]string{
	AtomicAdd >> 4: "add", AtomicOr >> 4: "or", AtomicAnd >> 4: "and", AtomicXor >> 4: "xor",
}

var sizeNames = [4]string{SizeW >> 3: "u32", SizeH >> 3: "u16", SizeB >> 3: "u8", SizeDW >> 3: "u64"}

var signedSizeNames = [4]string{SizeW >> 3: "s32", SizeH >> 3: "s16", SizeB >> 3: "s8"}

// String prints one slot in the syntax of the kernel verifier log and
// bpftool (without the "(code)" prefix). The first slot of an ld_imm64
// prints with only its own 32-bit immediate; Disasm prints the full value.
func (ins Insn) String() string {
	if ins.IsLdImm64() {
		return ldImm64String(ins, uint64(uint32(ins.Imm)))
	}
	if s, ok := ins.format(); ok {
		return s
	}
	return fmt.Sprintf("invalid opcode 0x%02x", ins.Code)
}

// mem formats a memory operand "*(u32 *)(r10 -4)".
func mem(size string, reg Register, off int16) string {
	return fmt.Sprintf("*(%s *)(r%d %+d)", size, reg, off)
}

func (ins Insn) format() (string, bool) {
	class := ins.Class()
	op := ins.Code & opMask
	size := ins.Size() >> 3
	switch class {
	case ClassALU, ClassALU64:
		return ins.formatALU(class, op)
	case ClassLDX:
		switch ins.Mode() {
		case ModeMEM:
			return fmt.Sprintf("r%d = %s", ins.Dst, mem(sizeNames[size], ins.Src, ins.Off)), true
		case ModeMEMSX:
			if signedSizeNames[size] == "" {
				return "", false
			}
			return fmt.Sprintf("r%d = %s", ins.Dst, mem(signedSizeNames[size], ins.Src, ins.Off)), true
		}
	case ClassST:
		switch ins.Mode() {
		case ModeMEM:
			return fmt.Sprintf("%s = %d", mem(sizeNames[size], ins.Dst, ins.Off), ins.Imm), true
		case ModeATOMIC: // BPF_NOSPEC, kernel-internal
			return "nospec", true
		}
	case ClassSTX:
		switch ins.Mode() {
		case ModeMEM:
			return fmt.Sprintf("%s = r%d", mem(sizeNames[size], ins.Dst, ins.Off), ins.Src), true
		case ModeATOMIC:
			return ins.formatAtomic(size)
		}
	case ClassLD:
		switch ins.Mode() {
		case ModeABS:
			return fmt.Sprintf("r0 = *(%s *)skb[%d]", sizeNames[size], ins.Imm), true
		case ModeIND:
			return fmt.Sprintf("r0 = *(%s *)skb[r%d + %d]", sizeNames[size], ins.Src, ins.Imm), true
		}
	case ClassJMP, ClassJMP32:
		return ins.formatJump(class, op)
	}
	return "", false
}

func (ins Insn) formatALU(class Class, op uint8) (string, bool) {
	r := byte('r')
	if class == ClassALU {
		r = 'w'
	}
	switch {
	case op == aluEnd:
		if class == ClassALU64 {
			return fmt.Sprintf("r%d = bswap%d r%d", ins.Dst, ins.Imm, ins.Dst), true
		}
		dir := "le"
		if ins.Source() == endToBE {
			dir = "be"
		}
		return fmt.Sprintf("r%d = %s%d r%d", ins.Dst, dir, ins.Imm, ins.Dst), true
	case op == aluNeg:
		return fmt.Sprintf("%c%d = -%c%d", r, ins.Dst, r, ins.Dst), true
	case aluOps[op>>4] == "":
		return "", false
	}
	name := aluOps[op>>4]
	if (ALUOp(op) == Div || ALUOp(op) == Mod) && ins.Off == offSignedDivMod {
		name = "s" + name
	}
	if ins.Source() == SrcK {
		return fmt.Sprintf("%c%d %s %d", r, ins.Dst, name, ins.Imm), true
	}
	if class == ClassALU64 && ALUOp(op) == Mov {
		switch ins.Off {
		case offAddrSpaceCast:
			return fmt.Sprintf("r%d = addr_space_cast(r%d, %d, %d)", ins.Dst, ins.Src, uint32(ins.Imm)>>16, uint16(ins.Imm)), true
		case offMovPercpuAddr:
			return fmt.Sprintf("r%d = &(void __percpu *)(r%d)", ins.Dst, ins.Src), true
		}
	}
	cast := ""
	if ALUOp(op) == Mov {
		switch ins.Off {
		case 8, 16, 32:
			cast = "(s" + strconv.Itoa(int(ins.Off)) + ")"
		}
	}
	return fmt.Sprintf("%c%d %s %s%c%d", r, ins.Dst, name, cast, r, ins.Src), true
}

func (ins Insn) formatAtomic(size Size) (string, bool) {
	sz := sizeNames[size]
	width := ""
	if size == SizeDW>>3 {
		width = "64"
	}
	addr := fmt.Sprintf("(%s *)(r%d %+d)", sz, ins.Dst, ins.Off)
	op := AtomicOp(ins.Imm)
	switch {
	case op == AtomicAdd || op == AtomicOr || op == AtomicAnd || op == AtomicXor:
		return fmt.Sprintf("lock *%s %s r%d", addr, aluOps[op>>4], ins.Src), true
	case op == AtomicAdd|AtomicFetch || op == AtomicOr|AtomicFetch || op == AtomicAnd|AtomicFetch || op == AtomicXor|AtomicFetch:
		return fmt.Sprintf("r%d = atomic%s_fetch_%s(%s, r%d)", ins.Src, width, atomicNames[op>>4], addr, ins.Src), true
	case op == AtomicCmpXchg:
		return fmt.Sprintf("r0 = atomic%s_cmpxchg(%s, r0, r%d)", width, addr, ins.Src), true
	case op == AtomicXchg:
		return fmt.Sprintf("r%d = atomic%s_xchg(%s, r%d)", ins.Src, width, addr, ins.Src), true
	case op == LoadAcquire:
		return fmt.Sprintf("r%d = load_acquire((%s *)(r%d %+d))", ins.Dst, sz, ins.Src, ins.Off), true
	case op == StoreRelease:
		return fmt.Sprintf("store_release(%s, r%d)", addr, ins.Src), true
	}
	return "", false
}

func (ins Insn) formatJump(class Class, op uint8) (string, bool) {
	if class == ClassJMP {
		switch {
		case ins.Code == opCall:
			switch ins.Src {
			case 0:
				return fmt.Sprintf("call %s#%d", HelperName(ins.Imm), ins.Imm), true
			case PseudoCall:
				return fmt.Sprintf("call pc%+d", ins.Imm), true
			case PseudoKfuncCall:
				if ins.Off != 0 {
					return fmt.Sprintf("call kernel-function#%d fd_array[%d]", ins.Imm, ins.Off), true
				}
				return fmt.Sprintf("call kernel-function#%d", ins.Imm), true
			}
			return fmt.Sprintf("call unknown#%d", ins.Imm), true
		case ins.Code == opExit:
			return "exit", true
		case ins.Code == opJa:
			return fmt.Sprintf("goto pc%+d", ins.Off), true
		case ins.Code == opJa|uint8(SrcX):
			return fmt.Sprintf("gotox r%d", ins.Dst), true
		case ins.Code == uint8(ClassJMP)|jumpJCond && ins.Src == pseudoMayGotoSrc:
			return fmt.Sprintf("may_goto pc%+d", ins.Off), true
		}
	} else if ins.Code == opJaL {
		return fmt.Sprintf("gotol pc%+d", ins.Imm), true
	}
	name := jumpOps[op>>4]
	if name == "" {
		return "", false
	}
	r := byte('r')
	if class == ClassJMP32 {
		r = 'w'
	}
	if ins.Source() == SrcX {
		return fmt.Sprintf("if %c%d %s %c%d goto pc%+d", r, ins.Dst, name, r, ins.Src, ins.Off), true
	}
	return fmt.Sprintf("if %c%d %s %#x goto pc%+d", r, ins.Dst, name, uint32(ins.Imm), ins.Off), true
}

// ldImm64String prints an ld_imm64 with its full 64-bit immediate imm
// (low half from the first slot, high half from the second).
func ldImm64String(ins Insn, imm uint64) string {
	lo, hi := uint32(imm), uint32(imm>>32)
	var v string
	switch ins.Src {
	case 0:
		v = fmt.Sprintf("%#x ll", imm)
	case PseudoMapFD:
		v = fmt.Sprintf("map[fd:%d]", int32(lo))
	case PseudoMapValue:
		v = fmt.Sprintf("map[fd:%d]+%d", int32(lo), hi)
	case PseudoBTFID:
		if hi != 0 {
			v = fmt.Sprintf("ksym[btf_id:%d btf_fd:%d]", lo, int32(hi))
		} else {
			v = fmt.Sprintf("ksym[btf_id:%d]", lo)
		}
	case PseudoFunc:
		v = fmt.Sprintf("subprog[%+d]", int32(lo))
	case PseudoMapIdx:
		v = fmt.Sprintf("map[idx:%d]", lo)
	case PseudoMapIdxValue:
		v = fmt.Sprintf("map[idx:%d]+%d", lo, hi)
	default:
		v = fmt.Sprintf("%#x ll (src_reg %d)", imm, ins.Src)
	}
	return fmt.Sprintf("r%d = %s", ins.Dst, v)
}

// Text is instruction i of insns as Disasm prints it: an ld_imm64 with
// its 64-bit immediate from the next slot, flagged when that slot is
// invalid or missing.
func Text(insns []Insn, i int) string {
	ins := insns[i]
	switch {
	case ins.IsLdImm64() && i+1 < len(insns):
		text := ldImm64String(ins, Imm64(insns, i))
		if next := insns[i+1]; next.Code != 0 || next.Dst != 0 || next.Src != 0 || next.Off != 0 {
			text += fmt.Sprintf(" (invalid second slot: code %#02x regs %d,%d off %d)", next.Code, next.Dst, next.Src, next.Off)
		}
		return text
	case ins.IsLdImm64():
		return "truncated ld_imm64: " + ins.String()
	}
	return ins.String()
}

// Disasm writes one line per instruction, "%4d: %s", with each comment
// line before its instruction as "; text". An ld_imm64 is printed once
// with its 64-bit immediate and the index then advances by two. It never
// fails on bad instructions: unknown opcodes print as "invalid opcode" and
// an ld_imm64 cut short by the end of insns is flagged as truncated. The
// only errors are w's.
func Disasm(w io.Writer, insns []Insn, comments []string) error {
	var sb strings.Builder
	for i := 0; i < len(insns); i++ {
		if i < len(comments) && comments[i] != "" {
			for _, line := range strings.Split(comments[i], "\n") {
				sb.WriteString("; ")
				sb.WriteString(line)
				sb.WriteByte('\n')
			}
		}
		ins := insns[i]
		fmt.Fprintf(&sb, "%4d: %s\n", i, Text(insns, i))
		if ins.IsLdImm64() {
			i++
		}
		// Flush in chunks so huge programs do not build one huge string.
		if sb.Len() > 32<<10 {
			if _, err := io.WriteString(w, sb.String()); err != nil {
				return fmt.Errorf("disassemble: write at instruction %d: %w", i, err)
			}
			sb.Reset()
		}
	}
	if _, err := io.WriteString(w, sb.String()); err != nil {
		return fmt.Errorf("disassemble: write: %w", err)
	}
	return nil
}
