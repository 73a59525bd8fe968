package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/kbtf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/cilium/ebpf"
	"golang.org/x/sys/unix"
)

func TestProgTestRun(t *testing.T) {
	requireKernel(t)
	tests := []struct {
		name  string
		typ   uint32
		flags uint32
		data  []byte
	}{
		{"kt_sockfilter", unix.BPF_PROG_TYPE_SOCKET_FILTER, 0, make([]byte, 64)},
		{"kt_syscall", unix.BPF_PROG_TYPE_SYSCALL, unix.BPF_F_SLEEPABLE, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.typ == unix.BPF_PROG_TYPE_SYSCALL {
				requireSyscallProgs(t)
			}
			fd := loadRet42(t, tt.typ, tt.flags, tt.name)
			res, err := ProgTestRun(&TestRunAttr{ProgFD: fd, DataIn: tt.data})
			if err != nil {
				t.Fatal(err)
			}
			if res.Retval != 42 {
				t.Errorf("retval %d, want 42", res.Retval)
			}
		})
	}
}

// The syscall program's context is copied back into CtxIn.
func TestSyscallCtx(t *testing.T) {
	requireKernel(t)
	requireSyscallProgs(t)
	// r2 = 7; *(u32 *)(r1 + 4) = r2; r0 = 0; exit (a register store: kernels
	// before 6.3 take no immediate store into the context)
	insns := concat(
		[]byte{0xb7, 0x02, 0, 0, 0x07, 0, 0, 0},
		[]byte{0x63, 0x21, 0x04, 0x00, 0, 0, 0, 0},
		[]byte{0xb7, 0, 0, 0, 0, 0, 0, 0},
		insnExit)
	fd, _, err := ProgLoad(&ProgLoadAttr{Type: unix.BPF_PROG_TYPE_SYSCALL, Flags: unix.BPF_F_SLEEPABLE, Insns: insns, License: "GPL"})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd)
	ctx := make([]byte, 8)
	if _, err := ProgTestRun(&TestRunAttr{ProgFD: fd, CtxIn: ctx}); err != nil {
		t.Fatal(err)
	}
	if got := binary.NativeEndian.Uint32(ctx[4:]); got != 7 {
		t.Errorf("ctx word = %d, want 7", got)
	}
}

func TestProgInfo(t *testing.T) {
	requireKernel(t)
	fd := loadRet42(t, unix.BPF_PROG_TYPE_SOCKET_FILTER, 0, "kt_info")
	info, err := GetProgInfo(fd)
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "kt_info" || info.Type != unix.BPF_PROG_TYPE_SOCKET_FILTER || info.ID == 0 || !info.GPLCompatible {
		t.Errorf("info %+v", info)
	}
	if !bytes.Equal(info.XlatedInsns, concat(insnR0Is42, insnExit)) {
		t.Errorf("xlated % x", info.XlatedInsns)
	}
	// verified_insns came in 5.16: cilium/ebpf says whether this kernel
	// reports it.
	want := uint32(0)
	if cp, err := ebpf.NewProgramFromID(ebpf.ProgramID(info.ID)); err != nil {
		t.Fatal(err)
	} else {
		ci, err := cp.Info()
		cp.Close()
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := ci.VerifiedInstructions(); ok {
			want = 2
		}
	}
	if info.VerifiedInsns != want {
		t.Errorf("verified_insns %d, want %d", info.VerifiedInsns, want)
	}
	if info.Tag == ([8]byte{}) {
		t.Error("zero tag")
	}

	// The program is listed by id and can be reopened by it.
	found := false
	for id := uint32(0); ; {
		next, err := NextProgID(id)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if next == info.ID {
			found = true
			break
		}
		id = next
	}
	if !found {
		t.Fatalf("prog id %d not listed", info.ID)
	}
	fd2, err := ProgFDByID(info.ID)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd2)
	info2, err := GetProgInfo(fd2)
	if err != nil {
		t.Fatal(err)
	}
	if info2.Tag != info.Tag || info2.ID != info.ID {
		t.Errorf("reopened %+v", info2)
	}
	if _, err := ProgFDByID(0xfffffff0); !errors.Is(err, unix.ENOENT) {
		t.Errorf("bogus id: %v", err)
	}
}

// A program referencing a map lists the map id.
func TestProgMapIDs(t *testing.T) {
	requireKernel(t)
	mfd, err := MapCreate(&MapCreateAttr{Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, mfd)
	// r1 = map[fd] (ld_imm64 src=BPF_PSEUDO_MAP_FD); r0 = 0; exit
	ld := []byte{0x18, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.NativeEndian.PutUint32(ld[4:], uint32(mfd))
	fd, _, err := ProgLoad(&ProgLoadAttr{
		Type:    unix.BPF_PROG_TYPE_SOCKET_FILTER,
		Insns:   concat(ld, []byte{0xb7, 0, 0, 0, 0, 0, 0, 0}, insnExit),
		License: "GPL",
	})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd)
	pi, err := GetProgInfo(fd)
	if err != nil {
		t.Fatal(err)
	}
	mi, err := GetMapInfo(mfd)
	if err != nil {
		t.Fatal(err)
	}
	if len(pi.MapIDs) != 1 || pi.MapIDs[0] != mi.ID {
		t.Errorf("map ids %v, want [%d]", pi.MapIDs, mi.ID)
	}
}

func TestVerifierError(t *testing.T) {
	requireKernel(t)
	attr := &ProgLoadAttr{
		Type:     unix.BPF_PROG_TYPE_SOCKET_FILTER,
		Insns:    insnExit, // r0 never set
		License:  "GPL",
		LogLevel: 1,
		LogBuf:   make([]byte, 64*1024),
	}
	fd, trueSize, err := ProgLoad(attr)
	if err == nil {
		unix.Close(fd)
		t.Fatal("invalid program loaded")
	}
	if !errors.Is(err, unix.EACCES) && !errors.Is(err, unix.EINVAL) {
		t.Errorf("error %v, want EACCES or EINVAL", err)
	}
	if !strings.HasPrefix(err.Error(), "bpf(BPF_PROG_LOAD): ") {
		t.Errorf("message %q", err)
	}
	log := CString(attr.LogBuf)
	if !strings.Contains(log, "R0") {
		t.Errorf("log %q does not mention R0", log)
	}
	// log_true_size came in 6.4; older kernels leave it 0.
	wantTrue := uint32(0)
	if kbtf.HasMember("bpf_attr", "log_true_size") {
		wantTrue = uint32(len(log) + 1)
	}
	if trueSize != wantTrue {
		t.Errorf("log_true_size %d, want %d (log is %d bytes)", trueSize, wantTrue, len(log))
	}

	// A short buffer reports the size needed.
	attr.LogBuf = make([]byte, 8)
	if fd, short, err := ProgLoad(attr); err == nil {
		unix.Close(fd)
		t.Fatal("invalid program loaded")
	} else if short != trueSize {
		t.Errorf("short buffer: log_true_size %d, want %d (%v)", short, trueSize, err)
	}

	// Record arrays must be whole records.
	if _, _, err := ProgLoad(&ProgLoadAttr{Insns: insnExit[:5]}); err == nil {
		t.Error("5-byte instruction accepted")
	}
	if _, _, err := ProgLoad(&ProgLoadAttr{Insns: insnExit, FuncInfo: make([]byte, 12), FuncInfoRecSize: 8}); err == nil {
		t.Error("12 bytes of 8-byte func_info accepted")
	}
}

func TestProbes(t *testing.T) {
	requireKernel(t)
	// Syscall programs are checked against other probes elsewhere; CO-RE
	// in BPF_PROG_LOAD (5.17) is there when bpf_attr has core_relos.
	if want := kbtf.HasMember("bpf_attr", "core_relos"); HaveKernelCORE() != want {
		t.Errorf("HaveKernelCORE() = %v, but bpf_attr has core_relos: %v", HaveKernelCORE(), want)
	}
	if !HaveKernelCORE() {
		return
	}
	// The CO-RE probe program really was relocated: TYPE_ID_LOCAL of int.
	fd, err := probeCORELoad()
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd)
	res, err := ProgTestRun(&TestRunAttr{ProgFD: fd, DataIn: make([]byte, 64)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Retval != 1 {
		t.Errorf("CO-RE relocated value %d, want 1", res.Retval)
	}
}

const bpfFSMagic = 0xcafe4a11

func TestPin(t *testing.T) {
	requireKernel(t)
	if os.Getuid() != 0 && !mustRequire() {
		t.Skip("not root")
	}
	ensureFS(t, "/sys/fs/bpf", "bpf", bpfFSMagic)
	dir, err := os.MkdirTemp("/sys/fs/bpf", "kerneltest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	fd, err := MapCreate(&MapCreateAttr{Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 4, MaxEntries: 1, Name: "kt_pin"})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd)
	path := filepath.Join(dir, "m")
	if err := ObjPin(fd, path); err != nil {
		t.Fatal(err)
	}
	if err := ObjPin(fd, path); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second pin: %v", err)
	}
	fd2, err := ObjGet(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, fd2)
	a, _ := GetMapInfo(fd)
	b, err := GetMapInfo(fd2)
	if err != nil || a.ID != b.ID {
		t.Errorf("pinned map id %v/%v (%v)", a, b, err)
	}
	ro, err := ObjGet(path, unix.BPF_F_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, ro)
	if err := MapUpdateElem(ro, u32(0), u32(1), 0); !errors.Is(err, unix.EPERM) {
		t.Errorf("update through read-only fd: %v", err)
	}
	if _, err := ObjGet(filepath.Join(dir, "missing"), 0); !errors.Is(err, unix.ENOENT) {
		t.Errorf("missing pin: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

func TestRawTracepoint(t *testing.T) {
	requireKernel(t)
	fd := loadRet0(t, &ProgLoadAttr{Type: unix.BPF_PROG_TYPE_RAW_TRACEPOINT, Name: "kt_rawtp"})
	lfd, err := RawTracepointOpen("sys_enter", fd)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, lfd)
	li, err := GetLinkInfo(lfd)
	if err != nil {
		t.Fatal(err)
	}
	pi, _ := GetProgInfo(fd)
	if li.Type != unix.BPF_LINK_TYPE_RAW_TRACEPOINT || li.Name != "sys_enter" || li.ProgID != pi.ID || li.ID == 0 {
		t.Errorf("link info %+v, prog id %d", li, pi.ID)
	}
	lfd2, err := LinkFDByID(li.ID)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, lfd2)
	found := false
	for id := uint32(0); ; {
		next, err := NextLinkID(id)
		if err != nil {
			break
		}
		found = found || next == li.ID
		id = next
	}
	if !found {
		t.Error("link id not listed")
	}
	if n := runCount(t, fd, func() { unix.Getpid() }); n == 0 {
		t.Error("raw_tp program did not run")
	}
	if _, err := RawTracepointOpen("no_such_tracepoint_kt", fd); !errors.Is(err, unix.ENOENT) {
		t.Errorf("unknown tracepoint: %v", err)
	}
}

func loadRet0(t *testing.T, a *ProgLoadAttr) int {
	t.Helper()
	a.Insns = concat([]byte{0xb7, 0, 0, 0, 0, 0, 0, 0}, insnExit)
	a.License = "GPL"
	a.LogLevel = 1
	a.LogBuf = make([]byte, 64*1024)
	fd, _, err := ProgLoad(a)
	if err != nil {
		t.Fatalf("load: %v\n%s", err, CString(a.LogBuf))
	}
	closeFD(t, fd)
	return fd
}

// runCount enables run statistics, calls trigger and returns how often the
// program ran.
func runCount(t *testing.T, progFD int, trigger func()) uint64 {
	t.Helper()
	sfd, err := EnableStats(BPF_STATS_RUN_TIME)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sfd)
	before, err := GetProgInfo(progFD)
	if err != nil {
		t.Fatal(err)
	}
	trigger()
	after, err := GetProgInfo(progFD)
	if err != nil {
		t.Fatal(err)
	}
	return after.RunCnt - before.RunCnt
}

const tracefsMagic = 0x74726163

func TestPerfEventLink(t *testing.T) {
	requireKernel(t)
	testutil.RequireFeature(t, kbtf.HasEnumValue("bpf_attach_type", "BPF_PERF_EVENT"), "BPF links for perf events (BPF_PERF_EVENT)", "5.15")
	if os.Getuid() != 0 && !mustRequire() {
		t.Skip("not root")
	}
	ensureFS(t, "/sys/kernel/tracing", "tracefs", tracefsMagic)
	id, err := TracepointID("syscalls", "sys_enter_getpid")
	if err != nil {
		t.Fatal(err)
	}
	pfd, err := PerfEventOpenTracepoint(id, -1, 0)
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, pfd)
	fd := loadRet0(t, &ProgLoadAttr{Type: unix.BPF_PROG_TYPE_TRACEPOINT, Name: "kt_tp"})
	lfd, err := LinkCreate(&LinkCreateAttr{ProgFD: fd, TargetFD: pfd, AttachType: unix.BPF_PERF_EVENT, Cookie: 7})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, lfd)
	li, err := GetLinkInfo(lfd)
	if err != nil {
		t.Fatal(err)
	}
	if li.Type != unix.BPF_LINK_TYPE_PERF_EVENT {
		t.Errorf("link type %d", li.Type)
	}
	if n := runCount(t, fd, func() { unix.Getpid() }); n == 0 {
		t.Error("program did not run on getpid")
	}

	if _, err := TracepointID("..", "x"); err == nil {
		t.Error("path traversal accepted")
	}
	_, err = TracepointID("no_such_category_kt", "x")
	if !errors.Is(err, ErrNoTracefs) || !strings.Contains(err.Error(), "/sys/kernel/tracing/events/no_such_category_kt/x/id") {
		t.Errorf("missing tracepoint: %v", err)
	}
}

// iterTaskBTFID finds the vmlinux BTF id of bpf_iter_task with bpftool.
func iterTaskBTFID(t *testing.T) uint32 {
	t.Helper()
	out, err := exec.Command("bpftool", "btf", "dump", "file", "/sys/kernel/btf/vmlinux").Output()
	if err != nil {
		if mustRequire() {
			t.Fatalf("bpftool: %v", err)
		}
		t.Skipf("bpftool: %v", err)
	}
	m := regexp.MustCompile(`(?m)^\[(\d+)\] FUNC 'bpf_iter_task' `).FindSubmatch(out)
	if m == nil {
		t.Fatal("bpf_iter_task not in vmlinux BTF")
	}
	id, _ := strconv.ParseUint(string(m[1]), 10, 32)
	return uint32(id)
}

func TestIterLink(t *testing.T) {
	requireKernel(t)
	btfID := iterTaskBTFID(t)
	fd := loadRet0(t, &ProgLoadAttr{
		Type: unix.BPF_PROG_TYPE_TRACING, ExpectedAttachType: unix.BPF_TRACE_ITER,
		AttachBTFID: btfID, Name: "kt_iter",
	})
	lfd, err := LinkCreate(&LinkCreateAttr{ProgFD: fd, AttachType: unix.BPF_TRACE_ITER, IterInfo: nil})
	if err != nil {
		t.Fatal(err)
	}
	closeFD(t, lfd)
	li, err := GetLinkInfo(lfd)
	if err != nil {
		t.Fatal(err)
	}
	if li.Type != unix.BPF_LINK_TYPE_ITER || li.Name != "task" {
		t.Errorf("link info type %d name %q", li.Type, li.Name)
	}
	ifd, err := IterCreate(lfd)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(ifd), "iter")
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil || len(b) != 0 {
		t.Errorf("iterator output %q, %v", b, err)
	}
	if _, err := LinkCreate(&LinkCreateAttr{ProgFD: fd, IterInfo: []byte{0}, TargetBTFID: 1}); !errors.Is(err, ErrLinkAttr) {
		t.Errorf("mixed union fields: %v", err)
	}
}

func TestKallsyms(t *testing.T) {
	requireKernel(t)
	syms, err := ReadKallsyms("bpf_prog_put", "no_such_symbol_kt")
	if errors.Is(err, ErrKallsymsHidden) && !mustRequire() {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if syms["bpf_prog_put"] == 0 {
		t.Errorf("bpf_prog_put not found: %v", syms)
	}
	if _, ok := syms["no_such_symbol_kt"]; ok {
		t.Error("invented a symbol")
	}
}

func TestReadKallsymsParse(t *testing.T) {
	const text = "ffffffff81000000 T _stext\n" +
		"ffffffff82000000 D data_sym\n" +
		"ffffffffa0000000 t mod_fn\t[mod]\n" +
		"ffffffff81000010 T dup\n" +
		"ffffffff81000020 t dup\n"
	got, err := readKallsyms(strings.NewReader(text), []string{"_stext", "data_sym", "mod_fn", "dup"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]uint64{"_stext": 0xffffffff81000000, "mod_fn": 0xffffffffa0000000, "dup": 0xffffffff81000010}
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#x, want %#x", k, got[k], v)
		}
	}
	_, err = readKallsyms(strings.NewReader("0000000000000000 T _stext\n"), []string{"_stext"})
	if !errors.Is(err, ErrKallsymsHidden) {
		t.Errorf("hidden addresses: %v", err)
	}
}

func BenchmarkMapCreate(b *testing.B) {
	requireKernel(b)
	for b.Loop() {
		fd, err := MapCreate(&MapCreateAttr{Type: unix.BPF_MAP_TYPE_ARRAY, KeySize: 4, ValueSize: 64, MaxEntries: 1, Name: "kt_bench"})
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
	}
}

func BenchmarkProgLoad(b *testing.B) {
	requireKernel(b)
	a := &ProgLoadAttr{Type: unix.BPF_PROG_TYPE_SOCKET_FILTER, Insns: concat(insnR0Is42, insnExit), License: "GPL", Name: "kt_bench"}
	for b.Loop() {
		fd, _, err := ProgLoad(a)
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
	}
}
