package asm

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"golang.org/x/sys/unix"
)

// Minimal bpf(2) plumbing for the kernel test. The real wrappers live in
// package kernel; asm must not depend on it, so the test carries its own.

const (
	cmdProgLoad       = 5
	cmdProgTestRun    = 10
	cmdObjGetInfoByFD = 15

	// A socket filter runs under BPF_PROG_TEST_RUN on every kernel the
	// tests run on (syscall programs came only in 5.14).
	progTypeSocketFilter = 1
)

type progLoadAttr struct {
	ProgType    uint32
	InsnCnt     uint32
	Insns       uint64
	License     uint64
	LogLevel    uint32
	LogSize     uint32
	LogBuf      uint64
	KernVersion uint32
	ProgFlags   uint32
	ProgName    [16]byte
}

type testRunAttr struct {
	ProgFD      uint32
	Retval      uint32
	DataSizeIn  uint32
	DataSizeOut uint32
	DataIn      uint64
	DataOut     uint64
	Repeat      uint32
	Duration    uint32
	CtxSizeIn   uint32
	CtxSizeOut  uint32
	CtxIn       uint64
	CtxOut      uint64
}

type infoAttr struct {
	FD      uint32
	InfoLen uint32
	Info    uint64
}

// progInfo is the head of struct bpf_prog_info, up to the fields we read.
type progInfo struct {
	Type         uint32
	ID           uint32
	Tag          [8]byte
	JitedLen     uint32
	XlatedLen    uint32
	JitedInsns   uint64
	XlatedInsns  uint64
	LoadTime     uint64
	CreatedByUID uint32
	NrMapIDs     uint32
}

func bpfSys(cmd uintptr, attr unsafe.Pointer, size uintptr) (uintptr, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
	if errno != 0 {
		return 0, errno
	}
	return r, nil
}

// requireKernel fails or skips (depending on the environment) when BPF is
// unusable.
func requireKernel(t *testing.T, err error) {
	t.Helper()
	testutil.SkipOrFail(t, "kernel BPF unavailable: %v", err)
}

func loadProg(t *testing.T, insns []Insn) (int, error) {
	t.Helper()
	raw := Encode(insns, binary.NativeEndian)
	license := []byte("GPL\x00")
	logBuf := make([]byte, 1<<16)
	attr := progLoadAttr{
		ProgType: progTypeSocketFilter,
		InsnCnt:  uint32(len(insns)),
		Insns:    uint64(uintptr(unsafe.Pointer(&raw[0]))),
		License:  uint64(uintptr(unsafe.Pointer(&license[0]))),
		LogLevel: 1,
		LogSize:  uint32(len(logBuf)),
		LogBuf:   uint64(uintptr(unsafe.Pointer(&logBuf[0]))),
	}
	copy(attr.ProgName[:], "asm_test")
	fd, err := bpfSys(cmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(raw)
	runtime.KeepAlive(license)
	runtime.KeepAlive(logBuf)
	if err != nil {
		log := string(bytes.TrimRight(logBuf, "\x00"))
		return -1, fmt.Errorf("BPF_PROG_LOAD: %w\nverifier log:\n%s", err, log)
	}
	return int(fd), nil
}

func testRun(fd int) (uint32, error) {
	pkt := make([]byte, 64) // an Ethernet-sized packet for the socket filter
	out := make([]byte, 64+512)
	attr := testRunAttr{ProgFD: uint32(fd), DataSizeIn: uint32(len(pkt)), DataIn: uint64(uintptr(unsafe.Pointer(&pkt[0]))),
		DataSizeOut: uint32(len(out)), DataOut: uint64(uintptr(unsafe.Pointer(&out[0]))), Repeat: 1}
	defer runtime.KeepAlive(out)
	defer runtime.KeepAlive(pkt)
	if _, err := bpfSys(cmdProgTestRun, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return 0, fmt.Errorf("BPF_PROG_TEST_RUN: %w", err)
	}
	return attr.Retval, nil
}

// xlated returns the program's id and its instructions as the kernel
// translated them (what bpftool dumps).
func xlated(fd int) (uint32, []Insn, error) {
	var info progInfo
	attr := infoAttr{FD: uint32(fd), InfoLen: uint32(unsafe.Sizeof(info)), Info: uint64(uintptr(unsafe.Pointer(&info)))}
	if _, err := bpfSys(cmdObjGetInfoByFD, unsafe.Pointer(&attr), unsafe.Sizeof(attr)); err != nil {
		return 0, nil, fmt.Errorf("BPF_OBJ_GET_INFO_BY_FD: %w", err)
	}
	n := info.XlatedLen
	if n == 0 || n > 1<<20 {
		return info.ID, nil, fmt.Errorf("xlated length %d", n)
	}
	buf := make([]byte, n)
	info = progInfo{XlatedLen: n, XlatedInsns: uint64(uintptr(unsafe.Pointer(&buf[0])))}
	attr = infoAttr{FD: uint32(fd), InfoLen: uint32(unsafe.Sizeof(info)), Info: uint64(uintptr(unsafe.Pointer(&info)))}
	_, err := bpfSys(cmdObjGetInfoByFD, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
	runtime.KeepAlive(buf)
	if err != nil {
		return 0, nil, fmt.Errorf("BPF_OBJ_GET_INFO_BY_FD (xlated): %w", err)
	}
	insns, err := Decode(buf, binary.NativeEndian)
	return info.ID, insns, err
}

// loopProgram computes 42 in a bounded loop, through a bpf-to-bpf call,
// the stack, 32-bit ALU and jumps, a helper call and an ld_imm64.
func loopProgram(t *testing.T) ([]Insn, []string) {
	t.Helper()
	var b Builder
	loop, done := b.NewLabel("loop"), b.NewLabel("done")
	b.Comment("r6 accumulates, r7 counts")
	b.Emit(Mov.Imm(R6, 0), Mov.Imm(R7, 0))
	if err := b.Label(loop); err != nil {
		t.Fatal(err)
	}
	b.Emit(Add.Imm(R6, 3), Add.Imm32(R7, 1))
	b.Jump(JLT.Imm32(R7, 14, loop))
	b.Comment("spill and reload through the stack")
	b.Emit(
		StoreMem(SizeDW, R10, -8, R6),
		StoreImm(SizeW, R10, -12, 0),
		LoadMem(SizeDW, R0, R10, -8),
	)
	b.Emit(LdImm64(R1, 0, 0x1_0000_0000)...)
	b.Jump(JEq.Reg(R0, R1, done))
	b.Emit(Call(7)) // bpf_get_prandom_u32: clobbers r0..r5
	b.Emit(Mov.Reg(R1, R6))
	b.CallLabel("sub")
	if err := b.Label(done); err != nil {
		t.Fatal(err)
	}
	b.Emit(Exit())
	b.Comment("sub: returns r1 - 0")
	if err := b.Label("sub"); err != nil {
		t.Fatal(err)
	}
	b.Emit(Mov.Reg(R0, R1), Sub.Imm(R0, 0), Exit())
	insns, comments, err := b.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	return insns, comments
}

// mustLoad loads insns as a socket filter, skipping or failing (with the
// disassembly) when the kernel refuses it.
func mustLoad(t *testing.T, insns []Insn, comments []string) int {
	t.Helper()
	fd, err := loadProg(t, insns)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) {
			requireKernel(t, err)
		}
		var sb strings.Builder
		_ = Disasm(&sb, insns, comments)
		t.Fatalf("%v\nprogram:\n%s", err, sb.String())
	}
	return fd
}

func TestKernelLoadAndRun(t *testing.T) {
	insns, comments := loopProgram(t)
	fd := mustLoad(t, insns, comments)
	defer unix.Close(fd)
	ret, err := testRun(fd)
	if err != nil {
		t.Fatal(err)
	}
	if ret != 42 {
		t.Fatalf("program returned %d, want 42", ret)
	}

	id, xl, err := xlated(fd)
	if err != nil {
		t.Fatal(err)
	}
	var ours strings.Builder
	if err := Disasm(&ours, xl, nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("our disassembly of the xlated program (id %d):\n%s", id, ours.String())

	bpftool, err := exec.LookPath("bpftool")
	if err != nil {
		t.Logf("bpftool not found, skipping the comparison: %v", err)
		return
	}
	out, err := exec.Command(bpftool, "prog", "dump", "xlated", "id", strconv.FormatUint(uint64(id), 10)).CombinedOutput()
	if err != nil {
		t.Fatalf("bpftool prog dump xlated id %d: %v\n%s", id, err, out)
	}
	t.Logf("bpftool prog dump xlated id %d:\n%s", id, out)
	compareWithBpftool(t, ours.String(), string(out))
}

var (
	bpftoolLine = regexp.MustCompile(`^\s*(\d+): \([0-9a-f]{2}\) (.*)$`)
	ourLine     = regexp.MustCompile(`^\s*(\d+): (.*)$`)
)

// normalise makes equivalent renderings compare equal: whitespace, the
// " ll" our printer adds to 64-bit constants, and call targets, which
// bpftool resolves through kallsyms while we print the helper's name.
func normalise(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimSuffix(s, " ll")
	if strings.HasPrefix(s, "call ") && !strings.HasPrefix(s, "call pc") {
		return "call"
	}
	if strings.HasPrefix(s, "call pc") {
		// bpftool appends "#bpf_prog_<tag>_<name>" of the callee.
		s, _, _ = strings.Cut(s, "#")
	}
	return s
}

func compareWithBpftool(t *testing.T, ours, theirs string) {
	t.Helper()
	want := map[int]string{}
	for _, line := range strings.Split(theirs, "\n") {
		if m := bpftoolLine.FindStringSubmatch(line); m != nil {
			i, _ := strconv.Atoi(m[1])
			want[i] = normalise(m[2])
		}
	}
	got := map[int]string{}
	for _, line := range strings.Split(ours, "\n") {
		if m := ourLine.FindStringSubmatch(line); m != nil {
			i, _ := strconv.Atoi(m[1])
			got[i] = normalise(m[2])
		}
	}
	if len(want) == 0 {
		t.Fatalf("no instruction lines in bpftool output:\n%s", theirs)
	}
	if len(got) != len(want) {
		t.Errorf("bpftool prints %d instructions, we print %d\nbpftool:\n%s\nours:\n%s", len(want), len(got), theirs, ours)
	}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("instruction %d: bpftool %q, ours %q", i, w, got[i])
		}
	}
}

// TestKernelJumps runs every condition in every form on the kernel and
// compares the branches taken with Go's comparisons: the opcodes mean what
// their names say, on 64 bits and on the lower 32.
func TestKernelJumps(t *testing.T) {
	conds := []struct {
		op       JumpOp
		unsigned func(a, b uint64) bool
		signed   func(a, b int64) bool
	}{
		{JEq, func(a, b uint64) bool { return a == b }, nil},
		{JNE, func(a, b uint64) bool { return a != b }, nil},
		{JSet, func(a, b uint64) bool { return a&b != 0 }, nil},
		{JGT, func(a, b uint64) bool { return a > b }, nil},
		{JGE, func(a, b uint64) bool { return a >= b }, nil},
		{JLT, func(a, b uint64) bool { return a < b }, nil},
		{JLE, func(a, b uint64) bool { return a <= b }, nil},
		{JSGT, nil, func(a, b int64) bool { return a > b }},
		{JSGE, nil, func(a, b int64) bool { return a >= b }},
		{JSLT, nil, func(a, b int64) bool { return a < b }},
		{JSLE, nil, func(a, b int64) bool { return a <= b }},
	}
	forms := []struct {
		name   string
		wide   bool
		jumpTo func(op JumpOp, b int32, label string) Jump
	}{
		{"Imm", true, func(op JumpOp, b int32, l string) Jump { return op.Imm(R6, b, l) }},
		{"Reg", true, func(op JumpOp, _ int32, l string) Jump { return op.Reg(R6, R7, l) }},
		{"Imm32", false, func(op JumpOp, b int32, l string) Jump { return op.Imm32(R6, b, l) }},
		{"Reg32", false, func(op JumpOp, _ int32, l string) Jump { return op.Reg32(R6, R7, l) }},
	}
	pairs := []struct {
		a int64
		b int32
	}{{-1, 1}, {5, 5}, {0x1_0000_0002, 3}, {-0x1_0000_0000, -7}, {0x7fff_ffff, -0x8000_0000}}
	for _, f := range forms {
		for _, p := range pairs {
			var b Builder
			b.Emit(LdImm64(R6, 0, uint64(p.a))...)
			b.Emit(Mov.Imm(R7, p.b), Mov.Imm(R0, 0))
			var want uint32
			for i, c := range conds {
				taken, next := b.NewLabel("taken"), b.NewLabel("next")
				b.Jump(f.jumpTo(c.op, p.b, taken))
				b.Jump(Ja.Label(next))
				mustLabel(t, &b, taken)
				b.Emit(Or.Imm(R0, 1<<i))
				mustLabel(t, &b, next)

				ua, ub := uint64(p.a), uint64(int64(p.b))
				sa, sb := p.a, int64(p.b)
				if !f.wide {
					ua, ub = uint64(uint32(ua)), uint64(uint32(ub))
					sa, sb = int64(int32(sa)), int64(int32(sb))
				}
				if (c.unsigned != nil && c.unsigned(ua, ub)) || (c.signed != nil && c.signed(sa, sb)) {
					want |= 1 << i
				}
			}
			b.Emit(Exit())
			insns, comments, err := b.Assemble()
			if err != nil {
				t.Fatal(err)
			}
			fd := mustLoad(t, insns, comments)
			got, err := testRun(fd)
			unix.Close(fd)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s a=%#x b=%#x: branches taken %011b, want %011b (bit i: condition i)", f.name, p.a, p.b, got, want)
			}
		}
	}
}
