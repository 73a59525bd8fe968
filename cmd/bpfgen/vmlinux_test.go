package main

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/btf/cheader"
)

// TestVmlinux: `bpfgen vmlinux` writes the header of raw BTF and of an
// object's .BTF section, to stdout or a file, as cheader.Write does; bad
// input is one line naming the file.
func TestVmlinux(t *testing.T) {
	dir := badInputs(t)
	obj := "../../testdata/core.bpf.o"
	raw := objectBTF(t, obj)
	rawFile := filepath.Join(dir, "core.btf")
	writeFile(t, rawFile, raw)
	spec, err := btf.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := cheader.Write(&want, spec, nil); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--btf", rawFile}, {"--btf", obj}, {"-btf=" + obj, "-o", "-"}} {
		out, errs, code := runCmd(t, append([]string{"vmlinux"}, args...)...)
		if code != 0 || errs != "" || out != want.String() {
			t.Errorf("vmlinux %v: exit %d, stderr %q, header %d bytes, want %d", args, code, errs, len(out), want.Len())
		}
	}
	h := filepath.Join(dir, "vmlinux.h")
	cliCase{name: "to a file", args: []string{"vmlinux", "--btf", obj, "-o", h, "--guard", "CORE_H"}}.check(t)
	got, err := os.ReadFile(h)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "#ifndef CORE_H\n") || !strings.Contains(string(got), "struct task_struct {") {
		t.Errorf("%s:\n%s", h, truncated(string(got)))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".vmlinux.h.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	for _, c := range []cliCase{
		{name: "not BTF", args: []string{"vmlinux", "--btf", p("notes.txt")}, code: 1,
			line: "bpfgen vmlinux: " + p("notes.txt") + ": btf: header: bad magic 0x756a"},
		{name: "missing", args: []string{"vmlinux", "--btf", p("nope.btf")}, code: 1,
			line: "bpfgen vmlinux: open " + p("nope.btf") + ": no such file or directory"},
		{name: "ELF without BTF", args: []string{"vmlinux", "--btf", "/bin/true"}, code: 1,
			line: "bpfgen vmlinux: /bin/true: no .BTF section (a kernel built without CONFIG_DEBUG_INFO_BTF?)"},
		{name: "bad guard", args: []string{"vmlinux", "--btf", obj, "--guard", "a-b"}, code: 1,
			line: `bpfgen vmlinux: --guard "a-b" is not a C identifier`},
		{name: "unwritable", args: []string{"vmlinux", "--btf", obj, "-o", p("nodir/vmlinux.h")}, code: 1,
			stderr: []string{"bpfgen vmlinux: write the header: open " + p("nodir") + "/.vmlinux.h."}},
		{name: "split without base", args: []string{"vmlinux", "--btf", rawFile, "--base", p("notes.txt")}, code: 1,
			line: "bpfgen vmlinux: " + p("notes.txt") + ": btf: header: bad magic 0x756a"},
	} {
		t.Run(c.name, c.check)
	}
}

// objectBTF returns the .BTF section of the object at path.
func objectBTF(t *testing.T, path string) []byte {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sec := f.Section(".BTF")
	if sec == nil {
		t.Fatalf("%s: no .BTF", path)
	}
	b, err := sec.Data()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDefaultBase(t *testing.T) {
	for in, want := range map[string]string{
		"/sys/kernel/btf/vmlinux":      "",
		"/sys/kernel/btf/nf_conntrack": "/sys/kernel/btf/vmlinux",
		"/boot/vmlinux":                "",
		"nf_conntrack.ko":              "",
	} {
		if got := defaultBase(in); got != want {
			t.Errorf("defaultBase(%q) = %q, want %q", in, got, want)
		}
	}
}
