package usdt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ArgKind is where a USDT argument's value is: the arg_type of libbpf's
// struct __bpf_usdt_arg_spec, which usdt.bpf.h switches on.
type ArgKind uint32

// Argument kinds (enum __bpf_usdt_arg_type).
const (
	ArgConst    ArgKind = iota // the value itself: "-4@$-9"
	ArgReg                     // a register: "8@%rax"
	ArgRegDeref                // memory at register + offset: "-4@-20(%rbp)"
)

// Arg is one parsed argument of a USDT probe.
type Arg struct {
	Kind ArgKind
	// Value is the constant (ArgConst) or the offset added to the
	// register (ArgRegDeref), as the 64-bit two's complement.
	Value uint64
	// RegOff is the offset of the register in the target's struct
	// pt_regs (ArgReg, ArgRegDeref).
	RegOff int16
	// Size is the argument's size in bytes (1, 2, 4 or 8), Signed set for
	// a negative size in the spec.
	Size   int
	Signed bool
}

// MaxArgs is the most arguments a probe may have: usdt.bpf.h's
// BPF_USDT_MAX_ARG_CNT.
const MaxArgs = 12

// specSize is the size of usdt.bpf.h's struct __bpf_usdt_spec: MaxArgs
// 16-byte argument specs, the u64 cookie and the short argument count,
// padded to 8 bytes.
const (
	argSpecSize = 16
	specSize    = MaxArgs*argSpecSize + 8 + 8
	specCookie  = MaxArgs * argSpecSize
	specArgCnt  = specCookie + 8
)

// ELF machines whose argument syntax ParseArgs knows (elf.EM_X86_64,
// elf.EM_AARCH64).
const (
	machineX86_64  = 62
	machineAArch64 = 183
)

// ParseArgs parses the argument string of a probe's note ("-4@%eax
// 8@-8(%rbp) -4@$5") for the ELF machine machine: x86-64 (GNU as
// operands) or arm64 ("-4@[sp, 12]", "8@x0"). Errors name the argument
// by its number and text.
func ParseArgs(machine int, s string) ([]Arg, error) {
	fields := splitArgs(s)
	if len(fields) > MaxArgs {
		return nil, fmt.Errorf("%d arguments, more than the %d usdt.bpf.h reads", len(fields), MaxArgs)
	}
	args := make([]Arg, 0, len(fields))
	for i, f := range fields {
		a, err := parseArg(machine, f)
		if err != nil {
			return nil, fmt.Errorf("argument %d %q: %w", i, f, err)
		}
		args = append(args, a)
	}
	return args, nil
}

// splitArgs splits an argument string at blanks outside brackets (arm64
// writes "-4@[sp, 12]").
func splitArgs(s string) []string {
	var out []string
	start, depth := -1, 0
	for i := 0; i <= len(s); i++ {
		blank := i == len(s) || s[i] == ' ' || s[i] == '\t' || s[i] == '\n'
		switch {
		case blank && depth == 0:
			if start >= 0 {
				out = append(out, s[start:i])
				start = -1
			}
			continue
		case i == len(s):
			out = append(out, s[start:])
			continue
		case s[i] == '[':
			depth++
		case s[i] == ']' && depth > 0:
			depth--
		}
		if start < 0 && !blank {
			start = i
		}
	}
	return out
}

// parseArg parses one "SIZE@OPERAND".
func parseArg(machine int, f string) (Arg, error) {
	size, op, ok := strings.Cut(f, "@")
	if !ok {
		return Arg{}, errors.New("no '@' between size and location")
	}
	var a Arg
	n, err := strconv.Atoi(size)
	if err != nil {
		return Arg{}, fmt.Errorf("bad size %q", size)
	}
	if n < 0 {
		a.Signed, n = true, -n
	}
	if n != 1 && n != 2 && n != 4 && n != 8 {
		return Arg{}, fmt.Errorf("size %s is not 1, 2, 4 or 8 bytes", size)
	}
	a.Size = n
	switch machine {
	case machineX86_64:
		err = parseX86(&a, op)
	case machineAArch64:
		err = parseARM64(&a, op)
	default:
		err = fmt.Errorf("arguments of ELF machine %d are not supported (x86-64 and arm64 are)", machine)
	}
	return a, err
}

// parseX86 parses a GNU as x86-64 operand: $IMM, %REG, OFF(%REG) or
// (%REG).
func parseX86(a *Arg, op string) error {
	switch {
	case strings.HasPrefix(op, "$"):
		v, err := parseInt(op[1:])
		if err != nil {
			return fmt.Errorf("bad constant %q", op[1:])
		}
		a.Kind, a.Value = ArgConst, uint64(v)
		return nil
	case strings.HasPrefix(op, "%"):
		off, err := x86Reg(op[1:])
		if err != nil {
			return err
		}
		a.Kind, a.RegOff = ArgReg, off
		return nil
	}
	open := strings.IndexByte(op, '(')
	if open < 0 || !strings.HasSuffix(op, ")") {
		return fmt.Errorf("unrecognised operand %q", op)
	}
	var disp int64
	if open > 0 {
		v, err := parseInt(op[:open])
		if err != nil {
			// "sym(%rip)": a symbolic displacement, which needs the
			// binary's load address.
			return fmt.Errorf("displacement %q is not a number (symbolic and %%rip-relative operands are not supported)", op[:open])
		}
		disp = v
	}
	inner := op[open+1 : len(op)-1]
	if strings.Contains(inner, ",") {
		return fmt.Errorf("index register operand %q is not supported (usdt.bpf.h of libbpf 1.1 reads base+offset only)", op)
	}
	if !strings.HasPrefix(inner, "%") {
		return fmt.Errorf("unrecognised base register %q", inner)
	}
	off, err := x86Reg(inner[1:])
	if err != nil {
		return err
	}
	a.Kind, a.RegOff, a.Value = ArgRegDeref, off, uint64(disp)
	return nil
}

// x86Regs maps each x86-64 register, by every name of it and of its low
// parts, to its offset in the kernel's struct pt_regs.
var x86Regs = func() map[string]int16 {
	m := map[string]int16{}
	for _, r := range []struct {
		off   int16
		names string
	}{
		{0, "r15 r15d r15w r15b"}, {8, "r14 r14d r14w r14b"},
		{16, "r13 r13d r13w r13b"}, {24, "r12 r12d r12w r12b"},
		{32, "rbp ebp bp bpl"}, {40, "rbx ebx bx bl"},
		{48, "r11 r11d r11w r11b"}, {56, "r10 r10d r10w r10b"},
		{64, "r9 r9d r9w r9b"}, {72, "r8 r8d r8w r8b"},
		{80, "rax eax ax al"}, {88, "rcx ecx cx cl"},
		{96, "rdx edx dx dl"}, {104, "rsi esi si sil"},
		{112, "rdi edi di dil"}, {128, "rip eip"},
		{152, "rsp esp sp spl"},
	} {
		for _, n := range strings.Fields(r.names) {
			m[n] = r.off
		}
	}
	return m
}()

func x86Reg(name string) (int16, error) {
	off, ok := x86Regs[name]
	if !ok {
		return 0, fmt.Errorf("unknown x86-64 register %%%s", name)
	}
	return off, nil
}

// parseARM64 parses an arm64 operand: [REG, OFF], [REG], REG or IMM.
func parseARM64(a *Arg, op string) error {
	if strings.HasPrefix(op, "[") {
		if !strings.HasSuffix(op, "]") {
			return fmt.Errorf("unterminated memory operand %q", op)
		}
		reg, offs, hasOff := strings.Cut(op[1:len(op)-1], ",")
		off, err := arm64Reg(strings.TrimSpace(reg))
		if err != nil {
			return err
		}
		var disp int64
		if hasOff {
			if disp, err = parseInt(strings.TrimPrefix(strings.TrimSpace(offs), "#")); err != nil {
				return fmt.Errorf("bad offset %q", offs)
			}
		}
		a.Kind, a.RegOff, a.Value = ArgRegDeref, off, uint64(disp)
		return nil
	}
	if v, err := parseInt(strings.TrimPrefix(op, "#")); err == nil {
		a.Kind, a.Value = ArgConst, uint64(v)
		return nil
	}
	off, err := arm64Reg(op)
	if err != nil {
		return err
	}
	a.Kind, a.RegOff = ArgReg, off
	return nil
}

// arm64Reg is the offset of register name (x0..x30, w0..w30, sp) in the
// arm64 struct pt_regs: regs[31], sp, pc.
func arm64Reg(name string) (int16, error) {
	if name == "sp" {
		return 31 * 8, nil
	}
	if len(name) > 1 && (name[0] == 'x' || name[0] == 'w') {
		if n, err := strconv.Atoi(name[1:]); err == nil && n >= 0 && n <= 30 && strconv.Itoa(n) == name[1:] {
			return int16(n * 8), nil
		}
	}
	return 0, fmt.Errorf("unknown arm64 register %q", name)
}

// parseInt parses a decimal or 0x-prefixed hexadecimal integer with an
// optional sign, as assemblers write operands.
func parseInt(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	u := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	base := 10
	if strings.HasPrefix(u, "0x") || strings.HasPrefix(u, "0X") {
		base, u = 16, u[2:]
	}
	if u == "" || u[0] == '-' || u[0] == '+' {
		return 0, errors.New("bad number")
	}
	v, err := strconv.ParseUint(u, base, 64)
	if err != nil {
		return 0, err
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

// encodeSpec lays args and cookie out as usdt.bpf.h's struct
// __bpf_usdt_spec, in the target's byte order bo.
func encodeSpec(args []Arg, cookie uint64, bo binary.ByteOrder) []byte {
	b := make([]byte, specSize)
	for i, a := range args {
		s := b[i*argSpecSize:]
		bo.PutUint64(s[0:], a.Value)
		bo.PutUint32(s[8:], uint32(a.Kind))
		bo.PutUint16(s[12:], uint16(a.RegOff))
		if a.Signed {
			s[14] = 1
		}
		s[15] = byte(64 - 8*a.Size) // arg_bitshift
	}
	bo.PutUint64(b[specCookie:], cookie)
	bo.PutUint16(b[specArgCnt:], uint16(len(args)))
	return b
}
