package cc

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/object"
)

// TestStripDWARF strips every test object's DWARF both ways, with
// llvm-strip and with StripDWARF: every section llvm-strip keeps, but the
// symbol and string tables it renumbers, has the same bytes in both, no
// DWARF is left, and both bpfgen and cilium/ebpf open the result.
func TestStripDWARF(t *testing.T) {
	clang := testutil.RequireClang(t)
	llvmStrip, err := exec.LookPath("llvm-strip-19")
	if err != nil {
		testutil.SkipOrFail(t, "llvm-strip-19 is not on PATH (scripts/deps.sh installs it): %v", err)
	}
	srcs, _ := filepath.Glob(filepath.Join(testutil.Root(), "testdata", "*.bpf.c"))
	if len(srcs) < 10 {
		t.Fatalf("%d test programs", len(srcs))
	}
	for _, src := range srcs {
		targets := []string{"bpfel"}
		switch filepath.Base(src) {
		case "minimal.bpf.c", "core.bpf.c", "maps.bpf.c":
			targets = append(targets, "bpfeb") // the ELF headers in the other byte order
		}
		for _, target := range targets {
			name := strings.TrimSuffix(filepath.Base(src), ".bpf.c") + "_" + target
			t.Run(name, func(t *testing.T) {
				full, err := Compile(Options{CC: clang, Target: Target{Clang: target}, Source: src, NoStrip: true, Flags: []string{"-mcpu=v3"}})
				if err != nil {
					t.Skipf("not compiled for %s: %v", target, err) // a program for one byte order only
				}
				ours, err := StripDWARF(full)
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(t.TempDir(), name+".o")
				if err := os.WriteFile(path, full, 0o644); err != nil {
					t.Fatal(err)
				}
				if out, err := exec.Command(llvmStrip, "-g", path).CombinedOutput(); err != nil {
					t.Fatalf("llvm-strip: %v: %s", err, out)
				}
				theirs, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				compareStripped(t, ours, theirs)
				if len(ours) >= len(full) {
					t.Errorf("stripped to %d bytes from %d", len(ours), len(full))
				}
				if err := os.WriteFile(path, ours, 0o644); err != nil {
					t.Fatal(err)
				}
				if _, err := object.Open(path); err != nil {
					t.Errorf("bpfgen cannot open it: %v", err)
				}
				// cilium/ebpf opens it when it opens llvm-strip's (it has
				// no typed .ksyms externs, for one).
				_, errTheirs := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(theirs))
				if _, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(ours)); (err == nil) != (errTheirs == nil) {
					t.Errorf("cilium/ebpf: %v on ours, %v on llvm-strip's", err, errTheirs)
				}
			})
		}
	}
}

func compareStripped(t *testing.T, ours, theirs []byte) {
	t.Helper()
	o, err := elf.NewFile(bytes.NewReader(ours))
	if err != nil {
		t.Fatalf("stripped object: %v", err)
	}
	th, err := elf.NewFile(bytes.NewReader(theirs))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range o.Sections {
		if strings.HasPrefix(s.Name, ".debug_") && s.Type != elf.SHT_NULL || strings.HasPrefix(s.Name, ".rel.debug_") && s.Type != elf.SHT_NULL {
			t.Errorf("%s is left", s.Name)
		}
	}
	for _, want := range th.Sections {
		if want.Type == elf.SHT_NULL || want.Type == elf.SHT_SYMTAB || want.Type == elf.SHT_STRTAB || want.Type == elf.SHT_REL || want.Name == ".llvm_addrsig" {
			continue // renumbered by llvm-strip
		}
		got := o.Section(want.Name)
		if got == nil {
			t.Errorf("section %s is gone", want.Name)
			continue
		}
		a, _ := got.Data()
		b, _ := want.Data()
		if got.Type != want.Type || got.Flags != want.Flags || !bytes.Equal(a, b) {
			t.Errorf("section %s differs from llvm-strip's", want.Name)
		}
	}
}

// FuzzStripDWARF: no input makes StripDWARF panic, and what it returns is
// an ELF file with the same sections.
func FuzzStripDWARF(f *testing.F) {
	for _, name := range []string{"minimal", "core"} {
		b, err := os.ReadFile(testutil.Object(name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		out, err := StripDWARF(obj)
		if err != nil {
			return
		}
		in, _ := elf.NewFile(bytes.NewReader(obj))
		got, err := elf.NewFile(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("stripped object does not parse: %v", err)
		}
		if len(got.Sections) != len(in.Sections) {
			t.Fatalf("%d sections, want %d", len(got.Sections), len(in.Sections))
		}
	})
}
