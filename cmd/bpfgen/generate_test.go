package main

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bpfgen/bpfgen/internal/testutil"
)

// counterSource is the C program of the generate tests.
var counterSource = filepath.Join("testdata", "generate", "counter.c")

// generateIn runs bpfgen generate in-process with the package set and
// outputs in dir.
func generateIn(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	full := append([]string{"generate", "-output-dir", dir, "-go-package", "p"}, args...)
	return runCmd(t, full...)
}

// squeeze turns runs of spaces and tabs into one space, so that gofmt's
// alignment does not matter to a comparison.
func squeeze(s string) string {
	return regexp.MustCompile(`[ \t]+`).ReplaceAllString(s, " ")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGenerateFiles(t *testing.T) {
	testutil.RequireClang(t)
	for _, tc := range []struct {
		name  string
		args  []string
		files map[string][]string // file → substrings it must hold
		order map[string]elf.Data // object → byte order
	}{
		{
			name: "default",
			args: []string{"counter", counterSource},
			files: map[string][]string{
				"counter_bpfel.go": {"//go:build 386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64 || wasm\n", "package p\n", "func LoadCounter(", "type CounterRodata struct", "lskel.TypedMap[uint32, uint64]"},
				"counter_bpfeb.go": {"//go:build mips || mips64 || ppc64 || s390x\n", "func LoadCounter("},
			},
			order: map[string]elf.Data{"counter_bpfel.o": elf.ELFDATA2LSB, "counter_bpfeb.o": elf.ELFDATA2MSB},
		},
		{
			name: "arch target, tags, stem, type",
			args: []string{"-target", "amd64", "-tags", "linux", "-tags", "foo,bar", "-output-stem", "cnt", "-type", "event", "counter", counterSource},
			files: map[string][]string{
				"cnt_x86_bpfel.go": {"//go:build (386 || amd64) && linux && foo && bar\n", "type CounterEvent struct {\n\tPid   uint32\n\tFlags uint32\n\tCount uint64\n}", "-target amd64 -tags linux,foo,bar -type event counter"},
			},
			order: map[string]elf.Data{"cnt_x86_bpfel.o": elf.ELFDATA2LSB},
		},
		{
			name: "no global types",
			args: []string{"-target", "bpfel", "-no-global-types", "counter", counterSource},
			files: map[string][]string{
				"counter_bpfel.go": {"Counts *lskel.Map `bpf:\"counts\"`"},
			},
			order: map[string]elf.Data{"counter_bpfel.o": elf.ELFDATA2LSB},
		},
		{
			name: "cilium api",
			args: []string{"-api", "cilium", "-target", "bpfeb", "-type", "event", "counter", counterSource},
			files: map[string][]string{
				"counter_bpfeb.go": {"func loadCounterObjects(obj any, opts *ebpf.CollectionOptions) error {", "func loadCounter() (*ebpf.CollectionSpec, error) {",
					"type counterEvent struct", "counterMapCounts        = \"counts\"", "CountGetpid *ebpf.Program `ebpf:\"count_getpid\"`",
					"TargetPid *ebpf.Variable `ebpf:\"target_pid\"`", "//go:embed counter_bpfeb.o\n"},
			},
			order: map[string]elf.Data{"counter_bpfeb.o": elf.ELFDATA2MSB},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if _, errs, code := generateIn(t, dir, tc.args...); code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var want []string
			for name, subs := range tc.files {
				want = append(want, name)
				got := squeeze(readFile(t, filepath.Join(dir, name)))
				for _, s := range subs {
					if !strings.Contains(got, squeeze(s)) {
						t.Errorf("%s lacks %q", name, s)
					}
				}
			}
			for name, order := range tc.order {
				want = append(want, name)
				f, err := elf.Open(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				if f.Data != order || f.Section(".debug_info") != nil || f.Section(".BTF") == nil {
					t.Errorf("%s: %v, DWARF %v, BTF %v; want %v, stripped DWARF, BTF", name, f.Data, f.Section(".debug_info") != nil, f.Section(".BTF") != nil, order)
				}
				f.Close()
			}
			entries, _ := os.ReadDir(dir)
			var got []string
			for _, e := range entries {
				got = append(got, e.Name())
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("files %v, want %v", got, want)
			}
		})
	}
}

// TestGenerateUnchanged: a second run over the same source rewrites
// nothing, so that go build and make see no change; a changed source
// rewrites.
func TestGenerateUnchanged(t *testing.T) {
	testutil.RequireClang(t)
	dir := t.TempDir()
	src := copyTo(t, counterSource, filepath.Join(dir, "counter.c"))
	args := []string{"-target", "bpfel", "counter", src}
	if _, errs, code := generateIn(t, dir, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	outs := []string{filepath.Join(dir, "counter_bpfel.o"), filepath.Join(dir, "counter_bpfel.go")}
	for _, p := range outs {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, code := generateIn(t, dir, append([]string{"-verbose"}, args...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if want := "unchanged " + outs[0] + "\nunchanged " + outs[1] + "\n"; out != want {
		t.Errorf("-verbose printed %q, want %q", out, want)
	}
	for _, p := range outs {
		if fi, err := os.Stat(p); err != nil || !fi.ModTime().Equal(old) {
			t.Errorf("%s was rewritten with the same contents", filepath.Base(p))
		}
	}
	// A change of the C file changes both outputs.
	c := strings.Replace(readFile(t, src), "calls++;", "calls += 2;", 1)
	writeFile(t, src, []byte(c))
	if _, errs, code := generateIn(t, dir, args...); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, p := range outs {
		if fi, err := os.Stat(p); err != nil || fi.ModTime().Equal(old) {
			t.Errorf("%s was not rewritten after the source changed", filepath.Base(p))
		}
	}
}

func TestGenerateNoStripAndMakebase(t *testing.T) {
	testutil.RequireClang(t)
	dir := t.TempDir()
	if _, errs, code := generateIn(t, dir, "-target", "bpfel", "-no-strip", "-makebase", dir, "counter", counterSource); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, err := elf.Open(filepath.Join(dir, "counter_bpfel.o"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Section(".debug_info") == nil {
		t.Error("-no-strip: the object has no DWARF")
	}
	deps := readFile(t, filepath.Join(dir, "counter_bpfel.go.d"))
	if !strings.HasPrefix(deps, "counter_bpfel.go: \\\n") || !strings.Contains(deps, "testdata/generate/counter.c") {
		t.Errorf("make dependencies:\n%s", deps)
	}
}

// TestGenerateWithoutLLVMStrip: with clang but no llvm-strip on PATH, the
// DWARF is stripped by cc.StripDWARF and the object loads.
func TestGenerateWithoutLLVMStrip(t *testing.T) {
	clang := testutil.RequireClang(t)
	testutil.RequireLoaders(t)
	bin := t.TempDir()
	if err := os.Symlink(clang, filepath.Join(bin, "clang-19")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	t.Setenv("BPF2GO_STRIP", "")
	dir := t.TempDir()
	if _, errs, code := generateIn(t, dir, "-target", "bpfel", "counter", counterSource); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	obj := filepath.Join(dir, "counter_bpfel.o")
	f, err := elf.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.Sections {
		if strings.HasPrefix(s.Name, ".debug_") && s.Type != elf.SHT_NULL {
			t.Errorf("%s is left", s.Name)
		}
	}
	for _, cmd := range []string{"load", "run"} {
		if _, errs, code := runCmd(t, cmd, obj); code != 0 {
			t.Errorf("bpfgen %s of the object: exit %d: %s", cmd, code, errs)
		}
	}
}

// TestGenerateEnvironment: bpf2go's environment variables are read.
func TestGenerateEnvironment(t *testing.T) {
	clang := testutil.RequireClang(t)
	dir := t.TempDir()
	t.Setenv("GOPACKAGE", "fromenv")
	t.Setenv("BPF2GO_CC", clang)
	t.Setenv("BPF2GO_CFLAGS", `-DEXTRA="a b" -Wall`)
	t.Setenv("BPF2GO_STRIP", "llvm-strip-19")
	if _, errs, code := runCmd(t, "generate", "-output-dir", dir, "-target", "bpfel", "counter", counterSource); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got := readFile(t, filepath.Join(dir, "counter_bpfel.go")); !strings.Contains(got, "package fromenv\n") {
		t.Error("$GOPACKAGE was not the package")
	}
	t.Setenv("BPF2GO_CC", "no-such-compiler-bpfgen")
	if _, errs, code := runCmd(t, "generate", "-output-dir", dir, "counter", counterSource); code != 1 || !strings.Contains(errs, "no-such-compiler-bpfgen") {
		t.Errorf("$BPF2GO_CC of a missing compiler: exit %d, %s", code, errs)
	}
	t.Setenv("BPF2GO_CC", clang)
	t.Setenv("BPF2GO_STRIP", "no-such-strip-bpfgen")
	if _, errs, code := runCmd(t, "generate", "-output-dir", dir, "counter", counterSource); code != 1 || !strings.Contains(errs, "no-such-strip-bpfgen") {
		t.Errorf("$BPF2GO_STRIP of a missing program: exit %d, %s", code, errs)
	}
}

func TestGenerateMistakes(t *testing.T) {
	testutil.RequireClang(t)
	dir := t.TempDir()
	t.Setenv("GOPACKAGE", "")
	for _, c := range []cliCase{
		{name: "no package", args: []string{"generate", "counter", counterSource}, code: 2, stderr: []string{"no Go package", "$GOPACKAGE"}},
		{name: "bad target", args: []string{"generate", "-go-package", "p", "-target", "vax", "counter", counterSource}, code: 1, stderr: []string{`-target: unknown target "vax"`, "amd64, arm, arm64"}},
		{name: "bad ident", args: []string{"generate", "-go-package", "p", "my-prog", counterSource}, code: 1, stderr: []string{`IDENT "my-prog" is not a Go identifier`}},
		{name: "bad api", args: []string{"generate", "-go-package", "p", "-api", "libbpf", "counter", counterSource}, code: 2, stderr: []string{`-api "libbpf": want bpfgen or cilium`}},
		{name: "missing source", args: []string{"generate", "-go-package", "p", "-output-dir", dir, "counter", "nope.c"}, code: 1, stderr: []string{"nope.c"}},
		{name: "unknown type", args: []string{"generate", "-go-package", "p", "-output-dir", dir, "-type", "nope", "counter", counterSource}, code: 1, stderr: []string{"type nope: no struct, union, enum or typedef"}},
		{name: "-M flag", args: []string{"generate", "-go-package", "p", "counter", counterSource, "--", "-MD"}, code: 1, stderr: []string{`compiler flag "-MD": use -makebase`}},
		{name: "stem with a path", args: []string{"generate", "-go-package", "p", "-output-stem", "a/b", "counter", counterSource}, code: 1, stderr: []string{`-output-stem "a/b" must be a file name`}},
		{name: "unterminated quote", args: []string{"generate", "-go-package", "p", "-cflags", `-DX="a`, "counter", counterSource}, code: 1, stderr: []string{"-cflags: unterminated \" quote"}},
		{name: "missing file argument", args: []string{"generate", "-go-package", "p", "counter"}, code: 2, stderr: []string{"missing argument"}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t) })
	}
}

func TestSplitQuoted(t *testing.T) {
	for in, want := range map[string][]string{
		"":                        nil,
		"-O2":                     {"-O2"},
		` -I "a dir"  -DX='1 2' `: {"-I", "a dir", "-DX=1 2"},
		`-D"Q"R ''`:               {"-DQR", ""},
	} {
		got, err := splitQuoted(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("splitQuoted(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// goCmd runs the go command in dir and fails the test with its output.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(testutil.GoTool(), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// newToolModule makes a module in dir that requires this checkout (by a
// replace) and has bpfgen as a tool, as a user's module gets it with
// go get -tool.
func newToolModule(t *testing.T, dir string, requires ...string) {
	t.Helper()
	var mod bytes.Buffer
	mod.WriteString("module example.com/user\n\ngo 1.26\n\nreplace github.com/bpfgen/bpfgen => " + testutil.Root() + "\n\nrequire github.com/bpfgen/bpfgen v0.0.0\n")
	for _, r := range requires {
		mod.WriteString("require " + r + "\n")
	}
	writeFile(t, filepath.Join(dir, "go.mod"), mod.Bytes())
	// The proxy has no github.com/bpfgen/bpfgen/cmd/bpfgen module to
	// look for; the replace serves the package.
	goCmd(t, dir, []string{"GOPROXY=off", "GOFLAGS=-mod=mod"}, "get", "-tool", "github.com/bpfgen/bpfgen/cmd/bpfgen")
	if !strings.Contains(readFile(t, filepath.Join(dir, "go.mod")), "tool github.com/bpfgen/bpfgen/cmd/bpfgen") {
		t.Fatal("go get -tool did not add the tool")
	}
}

// TestGoToolGenerate is the user's path from nothing: a fresh module,
// go get -tool, one //go:generate line over a C file, go generate, go
// build, and the program loads, attaches and counts.
func TestGoToolGenerate(t *testing.T) {
	testutil.RequireClang(t)
	testutil.RequireLoaders(t)
	testutil.RequireTracefs(t)
	dir := t.TempDir()
	newToolModule(t, dir)
	copyTo(t, counterSource, filepath.Join(dir, "counter.c"))
	copyTo(t, filepath.Join("testdata", "generate", "main.go"), filepath.Join(dir, "main.go"))
	if out := goCmd(t, dir, nil, "tool", "bpfgen", "version"); out != "bpfgen v0.0.0\n" {
		t.Errorf("go tool bpfgen version: %q", out)
	}
	goCmd(t, dir, nil, "generate")
	bin := filepath.Join(dir, "counter")
	goCmd(t, dir, nil, "build", "-o", bin, ".")
	out, err := exec.Command(bin).CombinedOutput()
	if err != nil {
		t.Fatalf("counter: %v\n%s", err, out)
	}
	if string(out) != "getpid calls: map 7, global 7\n" {
		t.Errorf("counter printed %q", out)
	}
}

// FuzzSplitQuoted: -cflags never panics, and what it splits, quoted
// again, splits the same.
func FuzzSplitQuoted(f *testing.F) {
	for _, s := range []string{"", "-O2 -g", `-I "a dir" -DX='1 2'`, `"unterminated`, `a'b'c "" ''`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		words, err := splitQuoted(s)
		if err != nil {
			return
		}
		quoted := make([]string, len(words))
		for i, w := range words {
			switch {
			case !strings.Contains(w, "'"):
				quoted[i] = "'" + w + "'"
			case !strings.Contains(w, `"`):
				quoted[i] = `"` + w + `"`
			default:
				return
			}
		}
		again, err := splitQuoted(strings.Join(quoted, " "))
		if err != nil || !slices.Equal(again, words) {
			t.Errorf("splitQuoted(%q) = %q; quoted again %q, %v", s, words, again, err)
		}
	})
}
