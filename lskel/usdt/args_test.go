package usdt

import (
	"encoding/binary"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		machine int
		in      string
		want    []Arg
	}{
		{machineX86_64, "", []Arg{}},
		{machineX86_64, "-4@%eax", []Arg{{Kind: ArgReg, RegOff: 80, Size: 4, Signed: true}}},
		{machineX86_64, "8@%rax 1@%dil 2@%r9w -8@%r15", []Arg{
			{Kind: ArgReg, RegOff: 80, Size: 8},
			{Kind: ArgReg, RegOff: 112, Size: 1},
			{Kind: ArgReg, RegOff: 64, Size: 2},
			{Kind: ArgReg, RegOff: 0, Size: 8, Signed: true},
		}},
		{machineX86_64, "8@-8(%rbp)", []Arg{{Kind: ArgRegDeref, RegOff: 32, Value: ^uint64(7), Size: 8}}},
		{machineX86_64, "-4@8(%rdi) 4@(%rsp) 2@0x10(%rax)", []Arg{
			{Kind: ArgRegDeref, RegOff: 112, Value: 8, Size: 4, Signed: true},
			{Kind: ArgRegDeref, RegOff: 152, Size: 4},
			{Kind: ArgRegDeref, RegOff: 80, Value: 16, Size: 2},
		}},
		{machineX86_64, "4@$5 -4@$-9 8@$0xff", []Arg{
			{Kind: ArgConst, Value: 5, Size: 4},
			{Kind: ArgConst, Value: ^uint64(8), Size: 4, Signed: true},
			{Kind: ArgConst, Value: 255, Size: 8},
		}},
		{machineAArch64, "-4@x0 8@w30 8@sp", []Arg{
			{Kind: ArgReg, RegOff: 0, Size: 4, Signed: true},
			{Kind: ArgReg, RegOff: 240, Size: 8},
			{Kind: ArgReg, RegOff: 248, Size: 8},
		}},
		{machineAArch64, "-4@[sp, 12] 8@[x1] 8@[x2, -8] 4@5 -4@#-3", []Arg{
			{Kind: ArgRegDeref, RegOff: 248, Value: 12, Size: 4, Signed: true},
			{Kind: ArgRegDeref, RegOff: 8, Size: 8},
			{Kind: ArgRegDeref, RegOff: 16, Value: ^uint64(7), Size: 8},
			{Kind: ArgConst, Value: 5, Size: 4},
			{Kind: ArgConst, Value: ^uint64(2), Size: 4, Signed: true},
		}},
	}
	for _, tt := range tests {
		got, err := ParseArgs(tt.machine, tt.in)
		if err != nil {
			t.Errorf("ParseArgs(%d, %q): %v", tt.machine, tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseArgs(%d, %q) = %+v, want %+v", tt.machine, tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("ParseArgs(%d, %q) argument %d = %+v, want %+v", tt.machine, tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestParseArgsErrors(t *testing.T) {
	tests := []struct {
		machine  int
		in, want string
	}{
		{machineX86_64, "4%eax", `argument 0 "4%eax": no '@'`},
		{machineX86_64, "8@%rax 3@%eax", `argument 1 "3@%eax": size 3 is not 1, 2, 4 or 8`},
		{machineX86_64, "x@%eax", `bad size "x"`},
		{machineX86_64, "4@%xmm0", "unknown x86-64 register %xmm0"},
		{machineX86_64, "8@8(%rax,%rdx,4)", "index register operand"},
		{machineX86_64, "-4@counter(%rip)", `displacement "counter" is not a number`},
		{machineX86_64, "4@$abc", `bad constant "abc"`},
		{machineX86_64, "4@rax", `unrecognised operand "rax"`},
		{machineX86_64, "4@8(rax)", `unrecognised base register "rax"`},
		{machineX86_64, strings.Repeat("4@$1 ", 13), "13 arguments, more than the 12"},
		{machineAArch64, "4@x31", `unknown arm64 register "x31"`},
		{machineAArch64, "4@[x1, zz]", `bad offset " zz"`},
		{machineAArch64, "4@[x1", "unterminated memory operand"},
		{3, "4@%eax", "ELF machine 3 are not supported"},
	}
	for _, tt := range tests {
		_, err := ParseArgs(tt.machine, tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseArgs(%d, %q) error = %v, want %q", tt.machine, tt.in, err, tt.want)
		}
	}
}

// TestEncodeSpec checks the layout of struct __bpf_usdt_spec that
// usdt.bpf.h reads.
func TestEncodeSpec(t *testing.T) {
	args, err := ParseArgs(machineX86_64, "-4@-20(%rbp) 2@$7")
	if err != nil {
		t.Fatal(err)
	}
	b := encodeSpec(args, 0xc0ffee, binary.LittleEndian)
	if len(b) != 208 {
		t.Fatalf("spec is %d bytes, want 208", len(b))
	}
	le := binary.LittleEndian
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"args[0].val_off", le.Uint64(b[0:]), uint64(1<<64 - 20)},
		{"args[0].arg_type", uint64(le.Uint32(b[8:])), uint64(ArgRegDeref)},
		{"args[0].reg_off", uint64(le.Uint16(b[12:])), 32},
		{"args[0].arg_signed", uint64(b[14]), 1},
		{"args[0].arg_bitshift", uint64(b[15]), 32},
		{"args[1].val_off", le.Uint64(b[16:]), 7},
		{"args[1].arg_type", uint64(le.Uint32(b[24:])), uint64(ArgConst)},
		{"args[1].arg_signed", uint64(b[30]), 0},
		{"args[1].arg_bitshift", uint64(b[31]), 48},
		{"usdt_cookie", le.Uint64(b[192:]), 0xc0ffee},
		{"arg_cnt", uint64(le.Uint16(b[200:])), 2},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"-4@%eax", "8@-8(%rbp)", "4@$5", "8@8(%rax,%rdx,4)", "-4@%esi -1@%dl 2@%cx -8@%rax -4@8(%rdi) -4@$-9", "-4@[sp, 12]", "8@x0", "1@$0x-1"} {
		f.Add(machineX86_64, s)
		f.Add(machineAArch64, s)
	}
	f.Fuzz(func(t *testing.T, machine int, s string) {
		args, err := ParseArgs(machine, s)
		if err != nil {
			return
		}
		if len(args) > MaxArgs {
			t.Fatalf("%d arguments accepted", len(args))
		}
		for _, a := range args {
			if a.Size != 1 && a.Size != 2 && a.Size != 4 && a.Size != 8 {
				t.Fatalf("size %d accepted", a.Size)
			}
		}
		_ = encodeSpec(args, 0, binary.LittleEndian)
	})
}
