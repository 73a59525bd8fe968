//go:build linux

package usdt

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/gen"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kconfig"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/lskel"
	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

func TestMain(m *testing.M) {
	// Start the netpoller before leakcheck's snapshot (see lskel's).
	_, _ = os.ReadFile("/proc/self/stat")
	leakcheck.Main(m)
}

func readFile(tb testing.TB, path string) []byte {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// loaded is testdata/usdt.bpf.o loaded by its loader.
type loaded struct {
	res  *lskel.Result
	dir  string // the private copies of the targets, in $PATH
	a    *Attacher
	bss  *lskel.Map
	vars map[string]uint32 // .bss variable → offset
	prog map[string]*lskel.Program
}

// loadUSDT loads usdt.bpf.o (closed at the end of the test) and puts
// private copies of the targets in $PATH, where its sections' binary is
// found.
func loadUSDT(t *testing.T) *loaded { t.Helper(); return loadUSDTWith(t, kconfig.Resolve) }

// loadUSDTWith is loadUSDT with the kconfig resolver resolve.
func loadUSDTWith(t *testing.T, resolve func([]byte, []abi.KconfigVar) error) *loaded {
	t.Helper()
	testutil.RequireLoaders(t)
	dir := testutil.ProbeTargets(t, "usdt_target", "usdt_target_nopie")
	obj, err := object.Open(testutil.Object("usdt"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := gen.Generate(obj, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := lskel.Run(&l.Loader, &lskel.RunOptions{Kconfig: resolve})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Close() })
	u := &loaded{res: res, dir: dir, vars: map[string]uint32{}, prog: map[string]*lskel.Program{}}
	var specs, ips *lskel.Map
	for i, m := range l.Maps {
		switch m.Name {
		case SpecsMap:
			specs = res.Map(i)
		case IPToSpecMap:
			ips = res.Map(i)
		case ".bss":
			u.bss = res.Map(i)
			ds, err := obj.BTF.Type(obj.Maps[i].DatasecID)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range ds.Vars {
				vt, err := obj.BTF.Type(v.Type)
				if err != nil || vt.Kind != btf.KindVar {
					t.Fatalf("datasec .bss: var %d: %v", v.Type, err)
				}
				u.vars[vt.Name] = v.Offset
			}
		}
	}
	for j, p := range l.Progs {
		u.prog[p.Name] = res.Program(j)
	}
	u.a = NewAttacher(specs, ips)
	return u
}

// read returns the .bss variable name (8 bytes, or 4 for an int).
func (u *loaded) read(t *testing.T, name string) int64 {
	t.Helper()
	off, ok := u.vars[name]
	if !ok {
		t.Fatalf("no .bss variable %s", name)
	}
	v := make([]byte, u.bss.ValueSize())
	if err := u.bss.Lookup(make([]byte, 4), v); err != nil {
		t.Fatal(err)
	}
	if name == "args_cnt" {
		return int64(int32(binary.NativeEndian.Uint32(v[off:])))
	}
	return int64(binary.NativeEndian.Uint64(v[off:]))
}

// path is the private copy of testdata/BIN.
func (u *loaded) path(bin string) string { return filepath.Join(u.dir, bin) }

// run runs the copy of testdata/BIN n rounds and returns how many saw the
// semaphore.
func (u *loaded) run(t *testing.T, bin string, n int) int {
	t.Helper()
	out, err := exec.Command(u.path(bin), strconv.Itoa(n)).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %d: %v\n%s", bin, n, err, out)
	}
	seen, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("%s: output %q", bin, out)
	}
	return seen
}

// TestAttach attaches each program through the API and by its section,
// fires the probes and checks what the programs read.
func TestAttach(t *testing.T) {
	for _, bin := range []string{"usdt_target", "usdt_target_nopie"} {
		for _, how := range []string{"Attach", "AttachProbe"} {
			t.Run(bin+"/"+how, func(t *testing.T) {
				u := loadUSDT(t)
				attach := func(prog, name string, cookie uint64) {
					t.Helper()
					var l *lskel.Link
					var err error
					if how == "Attach" || bin != "usdt_target" {
						// The sections name usdt_target: the other
						// binary attaches through the API only.
						l, err = u.a.Attach(u.prog[prog], u.path(bin), "bpfgen", name, &Options{Cookie: cookie})
					} else {
						l, err = u.a.AttachProbe(u.prog[prog])
					}
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() {
						if err := l.Close(); err != nil {
							t.Error(err)
						}
					})
				}
				if u.run(t, bin, 2) != 0 {
					t.Fatal("the semaphore is set before any attachment")
				}
				attach("usdt_args", "args", 0xc0ffee)
				attach("usdt_site", "site", 0)
				attach("usdt_guarded", "guarded", 0)
				const n = 3
				if seen := u.run(t, bin, n); seen != n {
					t.Errorf("the binary saw the semaphore set in %d of %d rounds", seen, n)
				}
				want := map[string]int64{
					"args_runs": n, "args_cnt": 6,
					"site_runs": 2 * n, "site_sum": 3 * n,
					"guarded_runs": n, "guarded_last": n - 1,
				}
				if how == "Attach" || bin != "usdt_target" {
					want["args_cookie"] = 0xc0ffee
				}
				for name, w := range want {
					if got := u.read(t, name); got != w {
						t.Errorf("%s = %d, want %d", name, got, w)
					}
				}
				// The last round's arguments: every kind gcc wrote.
				v := make([]byte, u.bss.ValueSize())
				if err := u.bss.Lookup(make([]byte, 4), v); err != nil {
					t.Fatal(err)
				}
				wantArgs := []int64{n - 1, -(n - 1), 60000 + n - 1, 0x123456789a * n, 1000 + n - 1, -9}
				for i, w := range wantArgs {
					if got := int64(binary.NativeEndian.Uint64(v[u.vars["args"]+uint32(8*i):])); got != w {
						t.Errorf("argument %d = %d, want %d", i, got, w)
					}
				}
			})
		}
	}
}

// TestAttachDetach checks that closing a link detaches every site, drops
// the semaphore and frees the spec ids for the next attachment.
func TestAttachDetach(t *testing.T) {
	u := loadUSDT(t)
	for round := range 3 {
		l, err := u.a.Attach(u.prog["usdt_guarded"], "usdt_target", "bpfgen", "guarded", nil)
		if err != nil {
			t.Fatal(err)
		}
		if seen := u.run(t, "usdt_target", 2); seen != 2 {
			t.Fatalf("round %d: semaphore seen %d times of 2", round, seen)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if seen := u.run(t, "usdt_target", 2); seen != 0 {
			t.Fatalf("round %d: semaphore still set after Close", round)
		}
		if got := u.read(t, "guarded_runs"); got != int64(2*(round+1)) {
			t.Fatalf("round %d: guarded_runs = %d, want %d", round, got, 2*(round+1))
		}
		if len(u.a.used) != 1 || u.a.used[0] {
			t.Fatalf("round %d: spec ids after Close: %v", round, u.a.used)
		}
	}
}

// TestAttachPID probes one process only.
func TestAttachPID(t *testing.T) {
	u := loadUSDT(t)
	// A process of our own that never runs usdt_target: nothing fires.
	l, err := u.a.Attach(u.prog["usdt_site"], "usdt_target", "bpfgen", "site", &Options{PID: os.Getpid()})
	if err != nil {
		t.Fatal(err)
	}
	u.run(t, "usdt_target", 3)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if got := u.read(t, "site_runs"); got != 0 {
		t.Fatalf("a probe of pid %d fired %d times in another process", os.Getpid(), got)
	}
}

func TestAttachErrors(t *testing.T) {
	u := loadUSDT(t)
	// A copy whose bpfgen:args has an argument no one can read.
	raw := readFile(t, u.path("usdt_target_nopie"))
	bad := filepath.Join(u.dir, "usdt_target_bad")
	if err := os.WriteFile(bad, bytes.Replace(raw, []byte("-4@$-9\x00"), []byte("-4@$-x\x00"), 1), 0o755); err != nil {
		t.Fatal(err)
	}
	badFile, err := Open(bad)
	if err != nil {
		t.Fatal(err)
	}
	badSite := badFile.Find("bpfgen", "args")[0].Addr
	tests := []struct {
		name                 string
		a                    *Attacher
		prog, bin, prov, nam string
		want                 string
	}{
		{"no probe", u.a, "usdt_args", "usdt_target", "bpfgen", "nope", "usdt usdt_target:bpfgen:nope: " + u.path("usdt_target") + " has no such probe (4 USDT probes"},
		{"no binary", u.a, "usdt_args", "bpfgen-no-such-binary", "bpfgen", "args", `binary "bpfgen-no-such-binary" not found`},
		{"no maps", NewAttacher(nil, nil), "usdt_args", "usdt_target", "bpfgen", "args", "no __bpf_usdt_specs map"},
		{"wrong map", NewAttacher(u.bss, nil), "usdt_args", "usdt_target", "bpfgen", "args", "not usdt.bpf.h's 4/208"},
		{"bad argument", u.a, "usdt_args", bad, "bpfgen", "args", "usdt " + bad + ":bpfgen:args: site at 0x" + strconv.FormatUint(badSite, 16) + ": argument 5 \"-4@$-x\": bad constant \"-x\""},
		{"not loaded", u.a, "none", "usdt_target", "bpfgen", "args", "program not loaded"},
		{"not ELF", u.a, "usdt_args", testutil.Object("usdt")[:len(testutil.Object("usdt"))-len("usdt.bpf.o")] + "usdt_target.c", "bpfgen", "args", "usdt_target.c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := tt.a.Attach(u.prog[tt.prog], tt.bin, tt.prov, tt.nam, nil)
			if err == nil {
				l.Close()
				t.Fatal("attach succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q, want %q", err, tt.want)
			}
		})
	}
	if len(u.a.used) != 0 {
		t.Fatalf("failed attachments left spec ids in use: %v", u.a.used)
	}
}

// TestCookieKconfig checks that usdt.bpf.h's LINUX_HAS_BPF_COOKIE was
// resolved as the running kernel has cookies: the attachments above find
// their spec through the cookie only, as the IP map stays empty.
func TestCookieKconfig(t *testing.T) {
	testutil.RequireFeature(t, kernel.HaveBPFCookie(), "BPF cookies (bpf_get_attach_cookie)", "5.15")
	u := loadUSDT(t)
	l, err := u.a.Attach(u.prog["usdt_site"], "usdt_target", "bpfgen", "site", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u.run(t, "usdt_target", 1)
	if got := u.read(t, "site_sum"); got != 3 {
		t.Fatalf("site_sum = %d, want 3", got)
	}
	if ok, err := u.a.ips.NextKey(nil, make([]byte, 8)); err != nil || ok {
		t.Fatalf("IP map has entries (%v, %v): the cookie path was not the one taken", ok, err)
	}
}

// TestAttachWithoutCookies takes the path of kernels without BPF cookies
// (before 5.15) on this one: usdt.bpf.h's LINUX_HAS_BPF_COOKIE resolved
// to false, so the programs find their spec by the site's address in the
// IP map, which the attacher fills instead of setting cookies.
func TestAttachWithoutCookies(t *testing.T) {
	u := loadUSDTWith(t, noCookieKconfig)
	u.a.noCookies = true
	var links []*lskel.Link
	for _, p := range []struct{ prog, name string }{{"usdt_args", "args"}, {"usdt_site", "site"}} {
		l, err := u.a.Attach(u.prog[p.prog], u.path("usdt_target_nopie"), "bpfgen", p.name, &Options{Cookie: 42})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		links = append(links, l)
	}
	// A PIE's addresses depend on the process: without a PID, refused.
	if l, err := u.a.Attach(u.prog["usdt_site"], u.path("usdt_target"), "bpfgen", "site", nil); err == nil {
		l.Close()
		t.Error("a PIE attached without cookies and without a PID")
	} else if !strings.Contains(err.Error(), "needs Options.PID") {
		t.Errorf("PIE without a PID: %v", err)
	}
	u.run(t, "usdt_target_nopie", 2)
	want := map[string]int64{"args_runs": 2, "args_cnt": 6, "args_cookie": 42, "site_runs": 4, "site_sum": 6}
	for name, w := range want {
		if got := u.read(t, name); got != w {
			t.Errorf("%s = %d, want %d", name, got, w)
		}
	}
	keys := 0
	for _, err := range u.a.ips.Keys() {
		if err != nil {
			t.Fatal(err)
		}
		keys++
	}
	if keys != 3 {
		t.Errorf("IP map has %d entries, want 3 (one per site)", keys)
	}
	for _, l := range links {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if ok, err := u.a.ips.NextKey(nil, make([]byte, 8)); err != nil || ok {
		t.Errorf("IP map not emptied by Close (%v, %v)", ok, err)
	}
}

// TestAttachWithoutCookiesPID probes a PIE on the same path: its sites'
// addresses are found in the process's mappings, read while it is
// stopped at its exec (ptrace), before it runs.
func TestAttachWithoutCookiesPID(t *testing.T) {
	u := loadUSDTWith(t, noCookieKconfig)
	u.a.noCookies = true
	runtime.LockOSThread() // ptrace requests come from the tracing thread
	defer runtime.UnlockOSThread()
	var out bytes.Buffer
	cmd := exec.Command(u.path("usdt_target"), "3")
	cmd.Stdout = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Ptrace: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil || !ws.Stopped() {
		t.Fatalf("usdt_target not stopped at its exec: %v, status %#x", err, ws)
	}
	l, err := u.a.Attach(u.prog["usdt_site"], u.path("usdt_target"), "bpfgen", "site", &Options{PID: pid})
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatal(err)
	}
	defer l.Close()
	if err := syscall.PtraceDetach(pid); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := u.read(t, "site_sum"); got != 9 {
		t.Fatalf("site_sum = %d for 3 rounds of pid %d, want 9", got, pid)
	}
}

// noCookieKconfig resolves the kconfig externs as on a kernel without
// BPF cookies.
func noCookieKconfig(img []byte, vars []abi.KconfigVar) error {
	if err := kconfig.Resolve(img, vars); err != nil {
		return err
	}
	for _, v := range vars {
		if v.Name == "LINUX_HAS_BPF_COOKIE" {
			img[v.Offset] = 0
		}
	}
	return nil
}

func TestParseSection(t *testing.T) {
	tests := []struct{ in, bin, prov, name, err string }{
		{"usdt/usdt_target:bpfgen:args", "usdt_target", "bpfgen", "args", ""},
		{"?usdt.s//usr/lib/libc.so.6:libc:setjmp", "/usr/lib/libc.so.6", "libc", "setjmp", ""},
		{"usdt/bin:name", "", "", "", "want usdt/BINARY:PROVIDER:NAME"},
		{"usdt/bin::name", "", "", "", "want usdt/BINARY:PROVIDER:NAME"},
		{"usdt/bin:prov:", "", "", "", "want usdt/BINARY:PROVIDER:NAME"},
		{"usdt", "", "", "", "want usdt/BINARY:PROVIDER:NAME"},
	}
	for _, tt := range tests {
		bin, prov, name, err := ParseSection(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), tt.in) {
				t.Errorf("ParseSection(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || bin != tt.bin || prov != tt.prov || name != tt.name {
			t.Errorf("ParseSection(%q) = %q %q %q %v", tt.in, bin, prov, name, err)
		}
	}
}
