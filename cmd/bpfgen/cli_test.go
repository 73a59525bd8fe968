package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/gen"
)

// cliCase is one command line and what it must do.
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout []string // substrings of stdout; nil: stdout must be empty
	stderr []string // substrings of stderr; nil: stderr must be empty
	// line, if set, is all of stderr: one line.
	line string
}

// check runs c and compares.
func (c cliCase) check(t *testing.T) {
	t.Helper()
	out, errs, code := runCmd(t, c.args...)
	if code != c.code {
		t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, c.code, errs)
	}
	for _, w := range []struct {
		what, got string
		want      []string
	}{{"stdout", out, c.stdout}, {"stderr", errs, c.stderr}} {
		if w.want == nil && w.got != "" && !(w.what == "stderr" && c.line != "") {
			t.Errorf("%v: %s %q, want it empty", c.args, w.what, truncated(w.got))
		}
		for _, s := range w.want {
			if !strings.Contains(w.got, s) {
				t.Errorf("%v: %s %q lacks %q", c.args, w.what, truncated(w.got), s)
			}
		}
	}
	if c.line != "" && errs != c.line+"\n" {
		t.Errorf("%v: stderr %q, want the one line %q", c.args, errs, c.line)
	}
}

func truncated(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

// badInputs writes inputs that are not BPF objects into a new directory
// and returns its path, the directory holding: notes.txt, empty.o,
// trunc.o (minimal.bpf.o cut short), dir/ and nothing at nope.o.
func badInputs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	raw, err := os.ReadFile("../../testdata/minimal.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"notes.txt": []byte("just some notes\n"),
		"empty.o":   nil,
		"trunc.o":   raw[:1000],
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBadInputs: every command that reads an object says in one line
// what is wrong with the file.
func TestBadInputs(t *testing.T) {
	dir := badInputs(t)
	p := func(name string) string { return filepath.Join(dir, name) }
	var cases []cliCase
	for _, cmd := range []string{"inspect", "skeleton", "loader", "dump", "load", "run"} {
		for _, in := range []struct{ path, what string }{
			{p("notes.txt"), "not an ELF file"},
			{p("empty.o"), "empty file"},
			{p("trunc.o"), "truncated ELF (section headers past the end of the file)"},
			{"/bin/true", "ELF for x86-64, not BPF"},
			{p("dir"), "is a directory"},
			{p("nope.o"), "no such file or directory"},
		} {
			args := []string{cmd, in.path}
			if cmd == "loader" {
				args = append(args, "-o", p("out.loader"))
			}
			cases = append(cases, cliCase{
				name: cmd + " " + filepath.Base(in.path), args: args, code: 1,
				line: "bpfgen " + cmd + ": " + in.path + ": " + in.what,
			})
		}
	}
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

// TestHelpAndUsage: -h and --help print the usage to stdout and exit 0;
// a command line the flag package or the command refuses exits 2 with the
// usage on stderr.
func TestHelpAndUsage(t *testing.T) {
	cases := []cliCase{
		{name: "bpfgen -h", args: []string{"-h"}, stdout: []string{"usage: bpfgen <command>", "bpfgen skeleton OBJ"}},
		{name: "bpfgen --help", args: []string{"--help"}, stdout: []string{"usage: bpfgen <command>"}},
		{name: "bpfgen help dump", args: []string{"help", "dump"}, stdout: []string{"usage: bpfgen dump FILE|OBJ [--json]"}},
		{name: "bpfgen", args: nil, code: 2, stderr: []string{"usage: bpfgen <command>"}},
	}
	for name, c := range commands {
		for _, h := range []string{"-h", "--help", "-help"} {
			cases = append(cases, cliCase{
				name: name + " " + h, args: []string{name, h},
				stdout: []string{"usage: bpfgen " + c.usage, c.summary},
			})
		}
		// Commands take one argument (an object or a file), but these.
		nargs := 1
		if n, ok := map[string]int{"generate": 2, "version": 0, "vmlinux": 0}[name]; ok {
			nargs = n
		}
		args := []string{"a.o", "b.o", "c.o"}[:nargs+1]
		cases = append(cases,
			cliCase{
				name: name + " --bogus", args: append([]string{name, "--bogus"}, args[:nargs]...), code: 2,
				stderr: []string{"bpfgen " + name + ": flag provided but not defined: -bogus\n", "usage: bpfgen " + c.usage},
			},
			cliCase{
				name: name + " extra argument", args: append([]string{name}, args...), code: 2,
				stderr: []string{"bpfgen " + name + ": extra arguments: " + args[nargs] + "\n", "usage: bpfgen " + c.usage},
			},
		)
		if nargs > 0 {
			cases = append(cases, cliCase{
				name: name + " missing argument", args: append([]string{name}, args[:nargs-1]...), code: 2,
				stderr: []string{"bpfgen " + name + ": missing argument\n", "usage: bpfgen " + c.usage},
			})
		}
	}
	cases = append(cases, cliCase{
		name: "flags in help", args: []string{"skeleton", "-h"},
		stdout: []string{"-package string", "-ident string", "-o FILE"},
	}, cliCase{
		name: "bad flag value", args: []string{"load", "--log-level", "lots", "x.o"}, code: 2,
		stderr: []string{`invalid value "lots" for flag -log-level`, "usage: bpfgen load"},
	})
	sort.Slice(cases, func(i, j int) bool { return cases[i].name < cases[j].name })
	for _, c := range cases {
		t.Run(c.name, c.check)
	}
}

// TestSkeletonMistakes: names that are not Go identifiers are refused in
// one line before anything is generated; what the skeleton cannot type
// or must rename is noted on stderr.
func TestSkeletonMistakes(t *testing.T) {
	dir := t.TempDir()
	raw, err := os.ReadFile("../../testdata/legacy.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	// Without BTF: the section names .BTF and .BTF.ext renamed.
	noBTF := filepath.Join(dir, "nobtf.o")
	stripped := bytes.ReplaceAll(raw, []byte(".BTF\x00"), []byte(".BTX\x00"))
	stripped = bytes.ReplaceAll(stripped, []byte(".BTF.ext\x00"), []byte(".BTX.ext\x00"))
	writeFile(t, noBTF, stripped)
	// A program named "close": its Go name is the Close method's. Only the
	// first bytes of the name change, so strings merged into its tail
	// stay.
	raw, err = os.ReadFile("../../testdata/minimal.bpf.o")
	if err != nil {
		t.Fatal(err)
	}
	closeObj := filepath.Join(dir, "closer.bpf.o")
	writeFile(t, closeObj, bytes.ReplaceAll(raw, []byte("handle_getpid\x00"), []byte("close\x00_getpid\x00")))

	const minimal = "../../testdata/minimal.bpf.o"
	for _, c := range []cliCase{
		{name: "package with a dash", args: []string{"skeleton", minimal, "-package", "my-pkg"}, code: 1,
			line: `bpfgen skeleton: -package "my-pkg" is not a Go identifier`},
		{name: "package keyword", args: []string{"skeleton", minimal, "-package", "func"}, code: 1,
			line: `bpfgen skeleton: -package "func" is not a Go identifier`},
		{name: "package blank", args: []string{"skeleton", minimal, "-package", "_"}, code: 1,
			line: `bpfgen skeleton: -package "_" is not a Go identifier`},
		{name: "ident with a digit first", args: []string{"skeleton", minimal, "-ident", "9lives"}, code: 1,
			line: `bpfgen skeleton: -ident "9lives" is not a Go identifier`},
		{name: "ident checked before the object", args: []string{"skeleton", "nope.o", "-ident", "a.b"}, code: 1,
			line: `bpfgen skeleton: -ident "a.b" is not a Go identifier`},
		{name: "no BTF", args: []string{"skeleton", noBTF, "-package", "p"},
			stdout: []string{"package p", "func LoadNobtf("},
			stderr: []string{"bpfgen skeleton: note: " + noBTF + " has no BTF: global variables of .bss are not typed",
				"note: map legacy_counts has no BTF key and value types: it stays an untyped *lskel.Map"}},
		{name: "name collision", args: []string{"skeleton", closeObj},
			stdout: []string{"Close2 *CloserProgram `bpf:\"close\"`"},
			stderr: []string{"bpfgen skeleton: note: program close: its Go name Close is taken by a method of CloserObjects; the field is Close2\n"}},
		{name: "file name not an identifier", args: []string{"skeleton", copyTo(t, minimal, filepath.Join(dir, "my-prog.bpf.o"))},
			stdout: []string{"func LoadMyProg(", "-ident my_prog"}},
		{name: "clean", args: []string{"skeleton", minimal}, stdout: []string{"func LoadMinimal("}},
	} {
		t.Run(c.name, c.check)
	}
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func copyTo(t *testing.T, from, to string) string {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, to, b)
	return to
}

// TestLoaderOutput: the loader goes to -o FILE or to stdout, never beside
// the object unasked.
func TestLoaderOutput(t *testing.T) {
	dir := t.TempDir()
	obj := copyTo(t, "../../testdata/minimal.bpf.o", filepath.Join(dir, "minimal.bpf.o"))
	out := filepath.Join(dir, "x.loader")
	for _, c := range []struct {
		cliCase
		file bool // the loader is in out, not on stdout
	}{
		{cliCase: cliCase{name: "stdout", args: []string{"loader", obj}, stdout: []string{gen.FileMagic}}},
		{cliCase: cliCase{name: "-o -", args: []string{"loader", obj, "-o", "-"}, stdout: []string{gen.FileMagic}}},
		{cliCase: cliCase{name: "-o FILE", args: []string{"loader", "-o", out, obj}, stdout: []string{out + ": 216 instructions"}}, file: true},
		{cliCase: cliCase{name: "unwritable", args: []string{"loader", obj, "-o", filepath.Join(dir, "no", "such", "dir")}, code: 1,
			line: "bpfgen loader: write the loader: open " + filepath.Join(dir, "no", "such", "dir") + ": no such file or directory"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(out)
			c.check(t)
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if c.file {
				want = 2
				if b, err := os.ReadFile(out); err != nil || !bytes.HasPrefix(b, []byte(gen.FileMagic)) {
					t.Errorf("%s: not a loader file (%v)", out, err)
				}
			}
			if len(entries) != want {
				t.Errorf("files beside the object: %v", entries)
			}
		})
	}
}

// TestLoaderRefusesTerminal: without -o, a terminal on stdout gets a
// one-line refusal instead of binary.
func TestLoaderRefusesTerminal(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("no pseudo-terminal to test with (/dev/ptmx): %v", err)
	}
	defer ptmx.Close()
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	tty, err := os.OpenFile("/dev/pts/"+itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	var errb bytes.Buffer
	code := run([]string{"loader", "../../testdata/minimal.bpf.o"}, tty, &errb)
	want := "bpfgen loader: refusing to write a binary loader to a terminal: use -o FILE or redirect standard output\n"
	if code != 1 || errb.String() != want {
		t.Errorf("exit %d, stderr %q; want 1 and %q", code, errb.String(), want)
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestDumpNames: dump prints map and program types, bpf commands and attr
// fields by name.
func TestDumpNames(t *testing.T) {
	for _, c := range []cliCase{
		{name: "minimal", args: []string{"dump", "../../testdata/minimal.bpf.o"}, stdout: []string{
			"0 counts   counts          hash", "tracepoint  true",
			"call bpf_sys_bpf#166                     ; BPF_BTF_LOAD",
			"; BPF_MAP_CREATE", "; BPF_MAP_UPDATE_ELEM", "; BPF_MAP_FREEZE", "; BPF_PROG_LOAD",
			"; BTF_LOAD attr: btf_log_level", "; MAP_CREATE attr counts: max_entries",
			"; PROG_LOAD attr handle_getpid: insns\n", "; &PROG_LOAD attr handle_getpid\n",
			"; fd table slot 0", "; number of the current step",
		}},
		{name: "json", args: []string{"dump", "--json", "../../testdata/minimal.bpf.o"}, stdout: []string{
			`"type": "hash"`, `"type": "tracepoint"`, `"note": "BPF_PROG_LOAD"`, `"comment": "step 7: load program handle_getpid"`,
		}},
	} {
		t.Run(c.name, c.check)
	}
}

// docKeys reads the key tables of docs/cli-json.md: for each "### NAME"
// heading, the keys of the table under it.
func docKeys(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open("../../docs/cli-json.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z_]+)` \\|")
	keys := map[string][]string{}
	heading := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if h, ok := strings.CutPrefix(line, "### "); ok {
			heading = h
			continue
		}
		if strings.HasPrefix(line, "## ") {
			heading = ""
		}
		if m := row.FindStringSubmatch(line); m != nil && heading != "" {
			keys[heading] = append(keys[heading], m[1])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// collectKeys records the keys of the JSON value v under name, and those
// of the arrays and objects below it that kinds names ("maps" →
// "inspect MAP").
func collectKeys(v any, name string, kinds map[string]string, got map[string]map[string]bool) {
	obj, ok := v.(map[string]any)
	if !ok {
		return
	}
	if got[name] == nil {
		got[name] = map[string]bool{}
	}
	for k, child := range obj {
		got[name][k] = true
		kind, ok := kinds[k]
		if !ok {
			continue
		}
		if list, ok := child.([]any); ok {
			for _, e := range list {
				collectKeys(e, kind, kinds, got)
			}
		} else {
			collectKeys(child, kind, kinds, got)
		}
	}
}

// TestJSONKeysDocumented: the keys of `inspect --json` and `dump --json`
// are exactly those docs/cli-json.md lists, for objects that between
// them fill every kind (map-in-map slots, kconfig externs, sub-programs).
func TestJSONKeysDocumented(t *testing.T) {
	doc := docKeys(t)
	objs := []string{"minimal", "mapinmap", "kconfig", "subprogs", "ksyms", "legacy", "structops"}
	for _, tt := range []struct {
		cmd   string
		kinds map[string]string
	}{
		{"inspect", map[string]string{"programs": "inspect PROGRAM", "subprograms": "inspect PROGRAM", "maps": "inspect MAP", "inner": "inspect MAP", "slots": "inspect SLOT", "externs": "inspect EXTERN", "struct_ops": "inspect STRUCT_OPS", "members": "inspect STRUCT_OPS MEMBER"}},
		{"dump", map[string]string{"maps": "dump MAP", "programs": "dump PROGRAM", "kconfig": "dump KCONFIG", "blob": "dump BLOB", "program": "dump INSN"}},
	} {
		t.Run(tt.cmd, func(t *testing.T) {
			got := map[string]map[string]bool{}
			for _, o := range objs {
				out, errs, code := runCmd(t, tt.cmd, "--json", "../../testdata/"+o+".bpf.o")
				if code != 0 {
					t.Fatalf("%s %s: exit %d: %s", tt.cmd, o, code, errs)
				}
				var v any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Fatalf("%s %s: %v", tt.cmd, o, err)
				}
				collectKeys(v, tt.cmd, tt.kinds, got)
			}
			for kind, keys := range got {
				want := doc[kind]
				if want == nil {
					t.Errorf("docs/cli-json.md has no table \"### %s\"", kind)
					continue
				}
				var have []string
				for k := range keys {
					have = append(have, k)
				}
				sort.Strings(have)
				sorted := append([]string(nil), want...)
				sort.Strings(sorted)
				if strings.Join(have, " ") != strings.Join(sorted, " ") {
					t.Errorf("%s: output keys %v, documented %v", kind, have, sorted)
				}
			}
		})
	}
}
