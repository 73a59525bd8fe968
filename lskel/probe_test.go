//go:build linux

package lskel

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/asm"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel/elfsym"
	"golang.org/x/sys/unix"
)

// requireKprobes skips on kernels without kprobes, such as the reference
// machine's (CONFIG_KPROBES off).
func requireKprobes(t *testing.T) {
	t.Helper()
	testutil.RequireFeature(t, testutil.HaveKprobes(), "kprobes (CONFIG_KPROBES: the kprobe perf PMU or tracefs kprobe_events)", "4.1")
}

// requireCookies skips on kernels whose perf links take no BPF cookie.
func requireCookies(t *testing.T) {
	t.Helper()
	testutil.RequireFeature(t, kernel.HaveBPFCookie(), "BPF cookies (bpf_get_attach_cookie)", "5.15")
}

// cookieInsns stores bpf_get_attach_cookie(ctx) at key 0 of the array
// mapFD.
func cookieInsns(mapFD int) []asm.Insn {
	out := []asm.Insn{
		asm.Call(174), // bpf_get_attach_cookie
		asm.Mov.Reg(asm.R6, asm.R0),
		asm.StoreImm(asm.SizeW, asm.R10, -4, 0),
		asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4),
	}
	out = append(out, asm.LdImm64(asm.R1, asm.PseudoMapFD, uint64(uint32(mapFD)))...)
	return append(out,
		asm.Call(1), // bpf_map_lookup_elem
		asm.JEq.Imm(asm.R0, 0, "return").Off(1),
		asm.StoreMem(asm.SizeDW, asm.R0, 0, asm.R6),
		asm.Mov.Imm(asm.R0, 0),
		asm.Exit(),
	)
}

// goTarget builds testdata/gotarget (go test strips test binaries, so a
// Go function to probe needs a binary of its own) with the build mode
// ("exe": at a fixed address, or "pie") and returns its path.
func goTarget(t *testing.T, mode string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "gotarget-"+mode)
	cmd := exec.Command(testutil.GoTool(), "build", "-buildmode="+mode, "-o", out, "./testdata/gotarget")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build testdata/gotarget: %v\n%s", err, b)
	}
	return out
}

// runTarget runs the target binary, which calls main.probed n times.
func runTarget(t *testing.T, bin string, n int) {
	t.Helper()
	if b, err := exec.Command(bin, strconv.Itoa(n)).CombinedOutput(); err != nil {
		t.Fatalf("%s %d: %v\n%s", bin, n, err, b)
	}
}

func TestAttachUprobeSymbol(t *testing.T) {
	requireKernel(t)
	bins := map[string]string{"exe": goTarget(t, "exe"), "pie": goTarget(t, "pie")}
	tests := []struct {
		name, mode string
		opts       UprobeOptions
	}{
		{"entry", "exe", UprobeOptions{}},
		{"return", "exe", UprobeOptions{Retprobe: true}},
		{"PIE entry", "pie", UprobeOptions{}},
		{"PIE return", "pie", UprobeOptions{Retprobe: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bin := bins[tt.mode]
			counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
			prog := testProg(t, progSpec{typ: progTypeKprobe, insns: counterInsns(counts.FD(), 0)}, "")
			opts := tt.opts
			opts.SymbolOffset = elfsym.SymbolOffset
			l, err := AttachUprobeSymbol(prog, bin, "main.probed", &opts)
			if err != nil {
				t.Fatal(err)
			}
			runTarget(t, bin, 5)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if n := counter(t, counts); n != 5 {
				t.Fatalf("probe on main.probed fired %d times for 5 calls, want 5", n)
			}
			runTarget(t, bin, 5)
			if n := counter(t, counts); n != 5 {
				t.Fatalf("probe fired after Close: count %d", n)
			}
		})
	}
}

func TestAttachUprobeSymbolErrors(t *testing.T) {
	closed := &Program{name: "closed"}
	tests := []struct {
		name, binary, symbol string
		opts                 *UprobeOptions
		want                 string
	}{
		{"no resolver", "/bin/sh", "main", nil, "elfsym.SymbolOffset"},
		{"missing library", "libbpfgen-none.so.1", "f", &UprobeOptions{SymbolOffset: elfsym.SymbolOffset}, `"libbpfgen-none.so.1" not found in`},
		{"missing symbol", "libc.so.6", "bpfgen_no_such_function", &UprobeOptions{SymbolOffset: elfsym.SymbolOffset}, `no function symbol "bpfgen_no_such_function"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := AttachUprobeSymbol(closed, tt.binary, tt.symbol, tt.opts)
			wantAttachErr(t, l, err, tt.binary, tt.want)
		})
	}
}

// TestAttachProbeUprobeSections attaches by section, through AttachProbe
// and through Program.Attach of a program that has the hook Run gives.
func TestAttachProbeUprobeSections(t *testing.T) {
	requireKernel(t)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		section string
		flags   uint32
	}{
		{"uprobe/libc.so.6:getpid", 0},
		{"uretprobe/libc.so.6:getpid", 0},
		{"uprobe/libc.so.6:getpid+0", 0},
		{"uprobe.s/libc.so.6:getpid", unix.BPF_F_SLEEPABLE},
		{"uretprobe.s/libc.so.6:getpid", unix.BPF_F_SLEEPABLE},
	}
	for _, tt := range tests {
		for _, how := range []string{"AttachProbe", "Attach"} {
			t.Run(how+"/"+tt.section, func(t *testing.T) {
				if tt.flags != 0 {
					testutil.RequireFeature(t, haveSleepableUprobes(), "sleepable uprobe programs", "6.0")
				}
				counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
				prog := testProg(t, progSpec{typ: progTypeKprobe, flags: tt.flags, insns: counterInsns(counts.FD(), 0)}, tt.section)
				var l *Link
				if how == "Attach" {
					if _, err := prog.Attach(); err == nil || !strings.Contains(err.Error(), "AttachProbe") {
						t.Fatalf("Attach without the hook: %v, want an error naming AttachProbe", err)
					}
					prog.attachProbe = func(p *Program) (*Link, error) { return AttachProbe(p, elfsym.SymbolOffset) }
					l, err = prog.Attach()
				} else {
					l, err = AttachProbe(prog, elfsym.SymbolOffset)
				}
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				for range 3 {
					if err := exec.Command(sh, "-c", ":").Run(); err != nil {
						t.Fatal(err)
					}
				}
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
				if n := counter(t, counts); n < 3 {
					t.Fatalf("%s fired %d times for 3 shells, want >= 3", tt.section, n)
				}
			})
		}
	}
}

// haveSleepableUprobes probes whether a sleepable kprobe-type program
// loads (Linux 6.0).
func haveSleepableUprobes() bool {
	fd, _, err := kernel.ProgLoad(&kernel.ProgLoadAttr{Type: progTypeKprobe, Flags: unix.BPF_F_SLEEPABLE, License: "GPL",
		Insns: asm.Encode([]asm.Insn{asm.Mov.Imm(asm.R0, 0), asm.Exit()}, binary.NativeEndian)})
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

func TestAttachUprobeCookie(t *testing.T) {
	requireKernel(t)
	requireCookies(t)
	bin := goTarget(t, "exe")
	vals := testMap(t, mapTypeArray, 4, 8, 1, 0)
	prog := testProg(t, progSpec{typ: progTypeKprobe, insns: cookieInsns(vals.FD())}, "")
	l, err := AttachUprobeSymbol(prog, bin, "main.probed", &UprobeOptions{Cookie: 0xc0ffee, SymbolOffset: elfsym.SymbolOffset})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	runTarget(t, bin, 1)
	if v := counter(t, vals); v != 0xc0ffee {
		t.Fatalf("bpf_get_attach_cookie = %#x, want 0xc0ffee", v)
	}
}

func TestFindBinary(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "libbpfgenfake.so.1"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LD_LIBRARY_PATH", "/nonexistent:"+dir)
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, want, wantErr string }{
		{"/abs/path", "/abs/path", ""},
		{"./rel", "./rel", ""},
		{"libbpfgenfake.so.1", filepath.Join(dir, "libbpfgenfake.so.1"), ""},
		{"libc.so.6", "/libc.so.6", ""}, // a suffix: the directory differs by distribution
		{"sh", sh, ""},
		{"libbpfgen-none.so", "", "not found in /nonexistent, " + dir + ", /lib64"},
		{"bpfgen-no-such-command", "", "not found in"},
		{"", "", "empty"},
	}
	for _, tt := range tests {
		got, err := FindBinary(tt.name)
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("FindBinary(%q) = %q, %v, want error %q", tt.name, got, err, tt.wantErr)
			}
		case err != nil || !strings.HasSuffix(got, tt.want):
			t.Errorf("FindBinary(%q) = %q, %v, want %q", tt.name, got, err, tt.want)
		}
	}
}

func TestSplitOffset(t *testing.T) {
	tests := []struct {
		in, name string
		off      uint64
		bad      bool
	}{
		{"getpid", "getpid", 0, false},
		{"f+16", "f", 16, false},
		{"f+0x10", "f", 16, false},
		{"a+b+4", "a+b", 4, false},
		{"f+", "", 0, true},
		{"f+0x", "", 0, true},
		{"f+z", "", 0, true},
		{"+5", "", 0, true},
		{"+", "", 0, true},
		{"", "", 0, true},
	}
	for _, tt := range tests {
		name, off, err := splitOffset(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && (name != tt.name || off != tt.off)) {
			t.Errorf("splitOffset(%q) = %q, %d, %v", tt.in, name, off, err)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "anything", true},
		{"bpf_fentry_test*", "bpf_fentry_test1", true},
		{"bpf_fentry_test?", "bpf_fentry_test10", false},
		{"*_sys_getpid", "__x64_sys_getpid", true},
		{"*_sys_getpid", "__x64_sys_getppid", false},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "aXbY", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func TestAttachProbeErrors(t *testing.T) {
	tests := []struct{ section, want string }{
		{"kprobe/f+zz", `bad offset "zz"`},
		{"uprobe/libc.so.6:f+", "bad offset"},
		{"xdp", "not a probe section that names its target"},
		{"uprobe", "not a probe section that names its target"},
		{"kprobe.multi/bpfgen_no_such_function_*", "bpfgen_no_such_function_*"},
	}
	for _, tt := range tests {
		l, err := AttachProbe(&Program{name: "p", section: tt.section}, elfsym.SymbolOffset)
		if err == nil {
			l.Close()
			t.Fatalf("AttachProbe(%q) succeeded", tt.section)
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AttachProbe(%q) = %v, want an error containing %q", tt.section, err, tt.want)
		}
	}
}

// getpidSyscall is the kernel function of getpid(2) on this kernel.
func getpidSyscall() string {
	if kernel.HaveSyscallWrapper() {
		return "__" + kernel.SyscallPrefix() + "_sys_getpid"
	}
	return "sys_getpid"
}

func TestAttachKprobe(t *testing.T) {
	requireKernel(t)
	requireKprobes(t)
	fn := getpidSyscall()
	type attachFunc func(p *Program) (*Link, error)
	tests := []struct {
		name, section string
		attach        attachFunc
	}{
		{"AttachKprobe", "", func(p *Program) (*Link, error) { return AttachKprobe(p, fn, nil) }},
		{"AttachKprobe retprobe", "", func(p *Program) (*Link, error) { return AttachKprobe(p, fn, &KprobeOptions{Retprobe: true}) }},
		{"AttachKsyscall", "", func(p *Program) (*Link, error) { return AttachKsyscall(p, "getpid", nil) }},
		{"Attach kprobe", "kprobe/" + fn, nil},
		{"Attach kprobe+0", "kprobe/" + fn + "+0", nil},
		{"Attach kretprobe", "kretprobe/" + fn, nil},
		{"Attach ksyscall", "ksyscall/getpid", nil},
		{"Attach kretsyscall", "kretsyscall/getpid", nil},
		{"tracefs kprobe_events", "", func(p *Program) (*Link, error) { return attachKprobeLegacy(t, p, fn, false) }},
		{"tracefs kretprobe", "", func(p *Program) (*Link, error) { return attachKprobeLegacy(t, p, fn, true) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
			prog := testProg(t, progSpec{typ: progTypeKprobe, insns: counterInsns(counts.FD(), 0)}, tt.section)
			attach := tt.attach
			if attach == nil {
				prog.attachProbe = func(p *Program) (*Link, error) { return AttachProbe(p, nil) }
				attach = (*Program).Attach
			}
			l, err := attach(prog)
			if err != nil {
				t.Fatal(err)
			}
			wantGetpidCounted(t, l, counts, 10)
		})
	}
	if l, err := AttachKprobe(&Program{name: "closed"}, "bpfgen_no_such_function", nil); err == nil {
		l.Close()
		t.Fatal("kprobe on a missing function attached")
	} else if !strings.Contains(err.Error(), "kprobe bpfgen_no_such_function") {
		t.Fatalf("error %q does not name the function", err)
	}
}

// attachKprobeLegacy attaches through a tracefs kprobe event, the path of
// kernels without the kprobe PMU, and checks that Close removes the event.
func attachKprobeLegacy(t *testing.T, p *Program, fn string, retprobe bool) (*Link, error) {
	t.Helper()
	if _, err := os.Stat(kprobeEventsFiles[0]); err != nil {
		if _, err := os.Stat(kprobeEventsFiles[1]); err != nil {
			testutil.RequireFeature(t, false, "tracefs kprobe_events", "4.1")
		}
	}
	perf, cleanup, err := openKprobeLegacy(fn, 0, retprobe, "legacy kprobe "+fn)
	if err != nil {
		return nil, err
	}
	l, err := attachPerf(p, perf, 0)
	if err != nil {
		cleanup()
		return nil, err
	}
	l.cleanup = func() error {
		err := cleanup()
		b, _ := os.ReadFile(kprobeEventsFiles[0])
		if strings.Contains(string(b), legacyKprobeGroup+"/p"+strconv.Itoa(os.Getpid())+"_") {
			t.Errorf("kprobe event still listed after Close:\n%s", b)
		}
		return err
	}
	return l, nil
}

func TestAttachKprobeCookie(t *testing.T) {
	requireKernel(t)
	requireKprobes(t)
	requireCookies(t)
	vals := testMap(t, mapTypeArray, 4, 8, 1, 0)
	prog := testProg(t, progSpec{typ: progTypeKprobe, insns: cookieInsns(vals.FD())}, "")
	l, err := AttachKsyscall(prog, "getpid", &KprobeOptions{Cookie: 0xbeef})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	triggerGetpid(1)
	if v := counter(t, vals); v != 0xbeef {
		t.Fatalf("bpf_get_attach_cookie = %#x, want 0xbeef", v)
	}
}

func TestAttachKprobeMulti(t *testing.T) {
	requireKernel(t)
	requireKprobes(t)
	testutil.RequireFeature(t, testutil.HaveKprobeMulti(), "kprobe.multi links (CONFIG_FPROBE)", "5.18")
	fn := getpidSyscall()
	// Any of the getpid syscall functions ftrace lists: which ones depends
	// on the kernel (7.3 lists none that match __x64_sys_getp?d).
	pattern := "*sys_getp?d"
	tests := []struct {
		name, section string
		opts          *KprobeMultiOptions
	}{
		{"glob", "", nil},
		{"glob return", "", &KprobeMultiOptions{Retprobe: true}},
		{"symbols", "", &KprobeMultiOptions{Symbols: []string{fn}}},
		{"section", "kprobe.multi/" + pattern, nil},
		{"section return", "kretprobe.multi/" + pattern, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
			prog := testProg(t, progSpec{typ: progTypeKprobe, attachType: unix.BPF_TRACE_KPROBE_MULTI, insns: counterInsns(counts.FD(), 0)}, tt.section)
			var l *Link
			var err error
			if tt.section != "" {
				prog.attachProbe = func(p *Program) (*Link, error) { return AttachProbe(p, nil) }
				l, err = prog.Attach()
			} else {
				l, err = AttachKprobeMulti(prog, pattern, tt.opts)
			}
			if err != nil {
				t.Fatal(err)
			}
			wantGetpidCounted(t, l, counts, 10)
		})
	}
	t.Run("cookies", func(t *testing.T) {
		requireCookies(t)
		vals := testMap(t, mapTypeArray, 4, 8, 1, 0)
		prog := testProg(t, progSpec{typ: progTypeKprobe, attachType: unix.BPF_TRACE_KPROBE_MULTI, insns: cookieInsns(vals.FD())}, "")
		l, err := AttachKprobeMulti(prog, "", &KprobeMultiOptions{Symbols: []string{fn}, Cookies: []uint64{0xfeed}})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		triggerGetpid(1)
		if v := counter(t, vals); v != 0xfeed {
			t.Fatalf("bpf_get_attach_cookie = %#x, want 0xfeed", v)
		}
	})
}

// TestAttachKprobeModule attaches kprobes to a function of a module,
// MODULE:FUNC as libbpf's kprobe sections name it: 9p's getattr, which
// stat(2) of a file on a 9p mount calls (the kernel matrix's guests
// mount the host's root over 9p, from modules).
func TestAttachKprobeModule(t *testing.T) {
	requireKernel(t)
	requireKprobes(t)
	const mod, fn = "9p", "v9fs_vfs_getattr_dotl"
	syms, err := os.ReadFile("/proc/kallsyms")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(syms), " "+fn+"\t["+mod+"]") {
		t.Skipf("no module %s with %s loaded (the kernel matrix's guests load it to mount the host's root)", mod, fn)
	}
	var file string // a file on a 9p mount
	mounts, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[2] == "9p" {
			file = f[1]
			break
		}
	}
	if file == "" {
		t.Fatalf("module %s is loaded but nothing is mounted with it", mod)
	}
	for _, how := range []string{"AttachKprobe", "section"} {
		t.Run(how, func(t *testing.T) {
			counts := testMap(t, mapTypeArray, 4, 8, 1, 0)
			section := ""
			if how == "section" {
				section = "kprobe/" + mod + ":" + fn
			}
			prog := testProg(t, progSpec{typ: progTypeKprobe, insns: counterInsns(counts.FD(), 0)}, section)
			var l *Link
			if how == "section" {
				l, err = AttachProbe(prog, nil)
			} else {
				l, err = AttachKprobe(prog, mod+":"+fn, nil)
			}
			if err != nil {
				t.Fatal(err)
			}
			for range 5 {
				if _, err := os.Stat(file); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			if n := counter(t, counts); n < 5 {
				t.Fatalf("kprobe on %s:%s fired %d times for 5 stat calls of %s, want >= 5", mod, fn, n, file)
			}
		})
	}
}

// TestAttachKprobeSession attaches two kprobe.session programs counting
// this process's getpid calls: one returning 0, which runs at entry and
// return, and one returning 1, which runs at entry only, so the first
// counts twice what the second does.
func TestAttachKprobeSession(t *testing.T) {
	requireKernel(t)
	requireKprobes(t)
	requireAttachType(t, "BPF_TRACE_KPROBE_SESSION", "kprobe.session links", "6.10")
	fn := getpidSyscall()
	// By the section, a glob of ftrace's list (see TestAttachKprobeMulti).
	const pattern = "*sys_getp?d"
	for _, how := range []string{"symbols", "section"} {
		t.Run(how, func(t *testing.T) {
			var counts [2]*Map
			var links []*Link
			for ret := range int32(2) {
				counts[ret] = testMap(t, mapTypeArray, 4, 8, 1, 0)
				insns := []asm.Insn{
					asm.Call(14), // bpf_get_current_pid_tgid
					asm.RSh.Imm(asm.R0, 32),
					asm.JEq.Imm(asm.R0, int32(os.Getpid()), "mine").Off(2),
					asm.Mov.Imm(asm.R0, ret),
					asm.Exit(),
				}
				insns = append(insns, counterInsns(counts[ret].FD(), ret)...)
				var l *Link
				var err error
				if how == "section" {
					// A program of NewProgram is known as a session by its
					// section.
					prog := testProg(t, progSpec{typ: progTypeKprobe, attachType: kernel.BPF_TRACE_KPROBE_SESSION, insns: insns}, "kprobe.session/"+pattern)
					l, err = AttachProbe(prog, nil)
				} else {
					prog := testProg(t, progSpec{typ: progTypeKprobe, attachType: kernel.BPF_TRACE_KPROBE_SESSION, insns: insns}, "")
					prog.attachType = kernel.BPF_TRACE_KPROBE_SESSION // as a loader's programs have it
					l, err = AttachKprobeMulti(prog, "", &KprobeMultiOptions{Symbols: []string{fn}})
				}
				if err != nil {
					t.Fatal(err)
				}
				defer l.Close()
				links = append(links, l)
			}
			triggerGetpid(10)
			for _, l := range links {
				if err := l.Close(); err != nil {
					t.Fatal(err)
				}
			}
			both, entry := counter(t, counts[0]), counter(t, counts[1])
			// The Go runtime's own getpid calls may count too, and one
			// may fall between the two attachments.
			if entry < 10 || both+2 < 2*entry || both > 2*entry+2 {
				t.Fatalf("the session returning 0 ran %d times, the one returning 1 %d times, for 10 getpid calls: want about twice", both, entry)
			}
		})
	}
}

// wantGetpidCounted calls getpid n times with l attached, detaches it and
// checks that the program counted at least n calls in counts.
func wantGetpidCounted(t *testing.T, l *Link, counts *Map, n uint64) {
	t.Helper()
	triggerGetpid(int(n))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := counter(t, counts); got < n {
		t.Fatalf("count = %d after %d getpid calls, want >= %d", got, n, n)
	}
}
