package lskel

import (
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"golang.org/x/sys/unix"
)

func encode(insns ...[]asm.Insn) []byte {
	var all []asm.Insn
	for _, i := range insns {
		all = append(all, i...)
	}
	return asm.Encode(all, binary.NativeEndian)
}

func ins(i ...asm.Insn) []asm.Insn { return i }

// createMapLoader really creates a map through bpf_sys_bpf with the attr
// in its blob, and reports the fd in map descriptor 0.
func createMapLoader() *abi.Loader {
	attr := make([]byte, 72)
	ne := binary.NativeEndian
	ne.PutUint32(attr[0:], mapTypeArray)
	ne.PutUint32(attr[4:], 4)
	ne.PutUint32(attr[8:], 8)
	ne.PutUint32(attr[12:], 3)
	copy(attr[28:], "lskel_run")
	return &abi.Loader{
		Name: "run_test",
		Data: attr,
		Insns: encode(
			ins(asm.Mov.Reg(asm.R6, asm.R1)),
			asm.LdImm64(asm.R2, asm.PseudoMapIdxValue, 0), // blob + 0
			ins(
				asm.Mov.Imm(asm.R1, 0), // BPF_MAP_CREATE
				asm.Mov.Imm(asm.R3, 72),
				asm.Call(166), // bpf_sys_bpf
				asm.JSLT.Imm(asm.R0, 0, "exit").Off(2),
				asm.StoreMem(asm.SizeW, asm.R6, int16(abi.MapDescOff(0)+abi.MapDescFDOff), asm.R0),
				asm.Mov.Imm(asm.R0, 0),
				asm.Exit(),
			),
		),
		Maps:       []abi.MapDesc{{Name: "m", Type: mapTypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 3}},
		Progs:      []abi.ProgDesc{{Name: "p", Loaded: false}},
		Steps:      []string{"create map m"},
		KconfigMap: -1,
	}
}

// A loader that creates a map: the success path, fd_array and the blob.
func TestRunCreatesMap(t *testing.T) {
	testutil.RequireLoaders(t)
	res, err := Run(createMapLoader(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if res.NumMaps() != 1 || res.Map(0) == nil || res.Map(0).FD() <= 0 {
		t.Fatalf("NumMaps = %d, Map(0) = %+v", res.NumMaps(), res.Map(0))
	}
	if res.NumPrograms() != 1 || res.Program(0) != nil {
		t.Fatalf("NumPrograms = %d, Program(0) = %+v, want nil for a program not loaded", res.NumPrograms(), res.Program(0))
	}
	info, err := kernel.GetMapInfo(res.Map(0).FD())
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != mapTypeArray || info.MaxEntries != 3 || info.Name != "lskel_run" {
		t.Fatalf("map info = %+v", info)
	}
	if err := res.Close(); err != nil {
		t.Fatal(err)
	}
	if err := res.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// The bug one owner per fd fixes: a map closed by the user before the
// Result must not be closed again by Result.Close, which would close
// whatever reused its number since.
func TestRunResultCloseAfterMapClose(t *testing.T) {
	testutil.RequireLoaders(t)
	res, err := Run(createMapLoader(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	m := res.Map(0)
	n := m.FD()
	if n < 0 {
		t.Fatalf("Map(0).FD() = %d", n)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// Give the number to an unrelated file: F_DUPFD takes the lowest free
	// number >= n, which is n itself now that the map let it go.
	devnull, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(devnull)
	reused := devnull
	if devnull != n {
		reused, err = unix.FcntlInt(uintptr(devnull), unix.F_DUPFD_CLOEXEC, n)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(reused)
	}
	if reused != n {
		t.Fatalf("fd %d of the closed map was not reused (got %d)", n, reused)
	}
	if err := res.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := unix.FcntlInt(uintptr(reused), unix.F_GETFD, 0); err != nil {
		t.Fatalf("fd %d, reused after Map.Close, was closed by Result.Close: %v", reused, err)
	}
	if target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(reused)); err != nil || target != "/dev/null" {
		t.Fatalf("fd %d is %q (%v) after Result.Close, want /dev/null", reused, target, err)
	}
	if got := res.Map(0).FD(); got != -1 {
		t.Fatalf("Map(0).FD() after Close = %d, want -1", got)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Map.Close after Result.Close: %v", err)
	}
}

func TestRunErrors(t *testing.T) {
	testutil.RequireLoaders(t)
	fail := func(errno int32) []byte {
		return encode(ins(asm.Mov.Imm(asm.R0, -errno), asm.Exit()))
	}
	tests := []struct {
		name      string
		insns     []byte
		steps     []string
		opts      *RunOptions
		wantStep  string
		wantErrno unix.Errno
		wantLog   bool
	}{
		{
			name:      "loader rejected by the verifier",
			insns:     encode(ins(asm.Mov.Imm(asm.R0, 0))), // no exit
			wantStep:  stepLoadLoader,
			wantErrno: unix.EINVAL,
			wantLog:   true,
		},
		{
			name:      "step 0 fails",
			insns:     fail(int32(unix.ENOENT)),
			steps:     []string{"create map counts", "load program p"},
			wantStep:  "create map counts",
			wantErrno: unix.ENOENT,
		},
		{
			name: "step 1 fails with a log level",
			insns: encode(ins(
				asm.Mov.Imm(asm.R3, 1), asm.StoreMem(asm.SizeW, asm.R1, abi.CtxStepOff, asm.R3), // no BPF_ST into the context before 6.3
				asm.Mov.Imm(asm.R0, -int32(unix.EACCES)),
				asm.Exit(),
			)),
			steps:     []string{"create map counts", "load program p"},
			opts:      &RunOptions{LogLevel: 2, LogSize: 4096},
			wantStep:  "load program p",
			wantErrno: unix.EACCES,
		},
		{
			name: "step out of the table",
			insns: encode(ins(
				asm.Mov.Imm(asm.R3, 7), asm.StoreMem(asm.SizeW, asm.R1, abi.CtxStepOff, asm.R3), // no BPF_ST into the context before 6.3
				asm.Mov.Imm(asm.R0, -int32(unix.E2BIG)),
				asm.Exit(),
			)),
			steps:     []string{"only"},
			wantStep:  "step 7",
			wantErrno: unix.E2BIG,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &abi.Loader{Name: "obj", Data: make([]byte, 8), Insns: tt.insns, Steps: tt.steps, KconfigMap: -1}
			res, err := Run(l, tt.opts)
			if err == nil {
				res.Close()
				t.Fatal("Run succeeded")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v (%T) is not a *LoadError", err, err)
			}
			if le.Step != tt.wantStep || !errors.Is(le.Err, tt.wantErrno) || le.Object != "obj" {
				t.Fatalf("got object %q step %q error %v, want step %q errno %v", le.Object, le.Step, le.Err, tt.wantStep, tt.wantErrno)
			}
			if !errors.Is(err, tt.wantErrno) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.wantErrno)
			}
			var ve *VerifierError
			if tt.wantLog && (!errors.As(err, &ve) || ve.Log == "" || !strings.Contains(err.Error(), "verifier log")) {
				t.Fatalf("no verifier log in %q", err)
			}
			if !strings.Contains(err.Error(), tt.wantStep) || !strings.Contains(err.Error(), `"obj"`) {
				t.Fatalf("message %q does not name the object and step", err)
			}
		})
	}
}

// A failed run is rerun once with the log given to the failed step only,
// at the requested level; the first run's errno stands, and a step that
// takes no log is not rerun.
func TestRunRetriesWithLog(t *testing.T) {
	testutil.RequireLoaders(t)
	// Step 1 fails with EINVAL, or returns withLog when the context gives
	// step 1 the log at level 2 (the rerun asked for).
	loader := func(withLog int32) []byte {
		return encode(ins(
			asm.Mov.Imm(asm.R3, 1), asm.StoreMem(asm.SizeW, asm.R1, abi.CtxStepOff, asm.R3), // no BPF_ST into the context before 6.3
			asm.Mov.Imm(asm.R0, -int32(unix.EINVAL)),
			asm.LoadMem(asm.SizeW, asm.R2, asm.R1, abi.CtxLogLevelOff),
			asm.JNE.Imm(asm.R2, 2, "exit").Off(3),
			asm.LoadMem(asm.SizeW, asm.R2, asm.R1, abi.CtxLogStepOff),
			asm.JNE.Imm(asm.R2, 1, "exit").Off(1),
			asm.Mov.Imm(asm.R0, withLog),
			asm.Exit(),
		))
	}
	insns := loader(-int32(unix.ENOENT))
	tests := []struct {
		name     string
		logSteps []uint32
		opts     *RunOptions
		want     unix.Errno // errno of the result
	}{
		{"rerun, first errno stands", []uint32{0, 1}, &RunOptions{LogLevel: 2}, unix.EINVAL},
		{"no rerun for a step without a log", []uint32{0}, &RunOptions{LogLevel: 2}, unix.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &abi.Loader{Name: "obj", Data: make([]byte, 8), Insns: insns,
				Steps: []string{"zero", "first"}, LogSteps: tt.logSteps, KconfigMap: -1}
			_, err := Run(l, tt.opts)
			var le *LoadError
			if !errors.As(err, &le) || !errors.Is(le.Err, tt.want) || le.Step != "first" {
				t.Fatalf("Run: %v, want %v at step first", err, tt.want)
			}
		})
	}
	// What the rerun saw: a loader that succeeds only when the context
	// gives step 1 the log at level 2 shows that Run reran it so.
	l := &abi.Loader{Name: "obj", Data: make([]byte, 8), Insns: loader(0),
		Steps: []string{"zero", "first"}, LogSteps: []uint32{1}, KconfigMap: -1}
	res, err := Run(l, &RunOptions{LogLevel: 2})
	if err != nil {
		t.Fatalf("Run: %v, want the rerun with the log at step 1 to succeed", err)
	}
	res.Close()
}

// ctxEchoLoader returns -(the u32 at ctx offset off), or, with deref, the
// negated first u32 of the user memory the u64 at off points to (read
// with bpf_copy_from_user): a way to observe the context from the test.
func ctxEchoLoader(off int16, deref bool) []byte {
	if !deref {
		return encode(ins(
			asm.LoadMem(asm.SizeW, asm.R0, asm.R1, off),
			asm.Neg64(asm.R0),
			asm.Exit(),
		))
	}
	return encode(ins(
		asm.LoadMem(asm.SizeDW, asm.R3, asm.R1, off), // user pointer
		asm.StoreImm(asm.SizeW, asm.R10, -4, 0),
		asm.Mov.Reg(asm.R1, asm.R10),
		asm.Add.Imm(asm.R1, -4),
		asm.Mov.Imm(asm.R2, 4),
		asm.Call(148), // bpf_copy_from_user
		asm.JNE.Imm(asm.R0, 0, "fault").Off(3),
		asm.LoadMem(asm.SizeW, asm.R0, asm.R10, -4),
		asm.Neg64(asm.R0),
		asm.Exit(),
		asm.Mov.Imm(asm.R0, -int32(unix.EFAULT)),
		asm.Exit(),
	))
}

func TestRunContext(t *testing.T) {
	testutil.RequireLoaders(t)
	ncpu, err := kernel.PossibleCPUs()
	if err != nil {
		t.Fatal(err)
	}
	maps := []abi.MapDesc{
		{Name: "counts", Type: mapTypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 10},
		{Name: "events", Type: mapTypePerfEventArr, KeySize: 4, ValueSize: 4, MaxEntriesFromCPUs: true},
		{Name: ".rodata", Type: mapTypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 1, HasInitialValue: true, Section: ".rodata"},
		{Name: ".kconfig", Type: mapTypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, HasInitialValue: true, Section: ".kconfig"},
	}
	kconfig := []abi.KconfigVar{{Name: "CONFIG_HZ", Offset: 0, Size: 4}}
	fillKconfig := func(img []byte, vars []abi.KconfigVar) error {
		if len(vars) != 1 || len(img) != 8 {
			return errors.New("unexpected kconfig call")
		}
		binary.NativeEndian.PutUint32(img[vars[0].Offset:], 33)
		return nil
	}
	tests := []struct {
		name      string
		insns     []byte
		opts      *RunOptions
		wantErrno unix.Errno
	}{
		{"max_entries override", ctxEchoLoader(int16(abi.MapDescOff(0)+abi.MapDescMaxEntriesOff), false),
			&RunOptions{MaxEntries: map[string]uint32{"counts": 17}, Kconfig: fillKconfig}, 17},
		// The default is 0: echoed plus one, as a loader that returns 0
		// succeeds without creating its maps, which Run reports as an error.
		{"max_entries default", encode(ins(
			asm.LoadMem(asm.SizeW, asm.R0, asm.R1, int16(abi.MapDescOff(0)+abi.MapDescMaxEntriesOff)),
			asm.Add.Imm(asm.R0, 1),
			asm.Neg64(asm.R0),
			asm.Exit(),
		)), &RunOptions{Kconfig: fillKconfig}, 0 + 1},
		{"max_entries from CPUs", ctxEchoLoader(int16(abi.MapDescOff(1)+abi.MapDescMaxEntriesOff), false),
			&RunOptions{Kconfig: fillKconfig}, unix.Errno(ncpu)},
		{"initial value", ctxEchoLoader(int16(abi.MapDescOff(2)+abi.MapDescInitValueOff), true),
			&RunOptions{InitialValues: map[string][]byte{".rodata": {42, 0, 0, 0}}, Kconfig: fillKconfig}, 42},
		{"kconfig image", ctxEchoLoader(int16(abi.MapDescOff(3)+abi.MapDescInitValueOff), true),
			&RunOptions{Kconfig: fillKconfig}, 33},
		{"context size", ctxEchoLoader(abi.CtxSizeOff, false),
			&RunOptions{Kconfig: fillKconfig}, unix.Errno(abi.CtxSize(len(maps), 2, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &abi.Loader{Name: "obj", Data: make([]byte, 8), Insns: tt.insns, Maps: maps,
				Progs: make([]abi.ProgDesc, 2), Kconfig: kconfig, KconfigMap: 3}
			res, err := Run(l, tt.opts)
			if err == nil {
				res.Close()
				t.Fatalf("Run succeeded, want errno %d", tt.wantErrno)
			}
			var le *LoadError
			if !errors.As(err, &le) || !errors.Is(le.Err, tt.wantErrno) {
				t.Fatalf("Run: %v, want errno %d", err, tt.wantErrno)
			}
		})
	}
}

func TestRunBadOptions(t *testing.T) {
	maps := []abi.MapDesc{
		{Name: ".rodata", ValueSize: 4, HasInitialValue: true},
		{Name: "counts", ValueSize: 8},
		{Name: ".kconfig", ValueSize: 8, HasInitialValue: true},
	}
	tests := []struct {
		name string
		l    *abi.Loader
		opts *RunOptions
		want string
	}{
		{"unknown max_entries map", &abi.Loader{Maps: maps, KconfigMap: -1}, &RunOptions{MaxEntries: map[string]uint32{"nope": 1}}, `no map "nope"`},
		{"unknown initial value map", &abi.Loader{Maps: maps, KconfigMap: -1}, &RunOptions{InitialValues: map[string][]byte{"nope": nil}}, `no map "nope"`},
		{"initial value size", &abi.Loader{Maps: maps, KconfigMap: -1}, &RunOptions{InitialValues: map[string][]byte{".rodata": {1}}}, "1 bytes, want 4"},
		{"initial value of a plain map", &abi.Loader{Maps: maps, KconfigMap: -1}, &RunOptions{InitialValues: map[string][]byte{"counts": make([]byte, 8)}}, "takes no initial value"},
		{"kconfig without resolver", &abi.Loader{Maps: maps, KconfigMap: 2, Kconfig: []abi.KconfigVar{{Name: "CONFIG_X"}}}, nil, "pass RunOptions.Kconfig"},
		{"kconfig resolver fails", &abi.Loader{Maps: maps, KconfigMap: 2, Kconfig: []abi.KconfigVar{{Name: "CONFIG_X"}}},
			&RunOptions{Kconfig: func([]byte, []abi.KconfigVar) error { return errors.New("no config") }}, "kconfig: no config"},
		{"empty blob", &abi.Loader{Insns: make([]byte, 8), KconfigMap: -1}, nil, "bad size 0"},
		{"kconfig without a map", &abi.Loader{Maps: maps, KconfigMap: -1, Kconfig: []abi.KconfigVar{{Name: "CONFIG_X"}}}, nil, "no .kconfig map"},
		{"context too large", &abi.Loader{Maps: make([]abi.MapDesc, 5000), KconfigMap: -1}, nil, "larger than the kernel's 64 KiB"},
		{"nil loader", nil, nil, "nil loader"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Run(tt.l, tt.opts)
			if err == nil {
				res.Close()
				t.Fatal("Run succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// On a kernel without syscall programs a loader fails at once with
// ErrNoSyscallProgs, which names what is missing and the release that
// brought it; elsewhere the same loader runs.
func TestRunNeedsSyscallProgs(t *testing.T) {
	requireKernel(t)
	l := &abi.Loader{Name: "obj", Data: make([]byte, 8), Insns: encode(ins(asm.Mov.Imm(asm.R0, 0), asm.Exit())), KconfigMap: -1}
	res, err := Run(l, nil)
	if kernel.HaveSyscallProgs() {
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
		res.Close()
		return
	}
	if !errors.Is(err, ErrNoSyscallProgs) || !strings.Contains(err.Error(), "5.14") || !strings.Contains(err.Error(), `"obj"`) {
		t.Fatalf("Run without syscall programs: %v, want ErrNoSyscallProgs naming the object and Linux 5.14", err)
	}
}
