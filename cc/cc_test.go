package cc

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

const prog = `
#define SEC(name) __attribute__((section(name), used))
int counter;
SEC("tracepoint/syscalls/sys_enter_getpid")
int count(void *ctx)
{
#ifdef __TARGET_ARCH_x86
	counter += 2;
#else
	counter++;
#endif
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
`

func writeSource(t *testing.T) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "prog.c")
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

func TestCompile(t *testing.T) {
	clang := testutil.RequireClang(t)
	src := writeSource(t)
	for _, tc := range []struct {
		target    string
		noStrip   bool
		order     elf.Data
		wantDWARF bool
	}{
		{"bpfel", false, elf.ELFDATA2LSB, false},
		{"bpfeb", false, elf.ELFDATA2MSB, false},
		{"amd64", true, elf.ELFDATA2LSB, true},
		{"s390x", false, elf.ELFDATA2MSB, false},
	} {
		t.Run(tc.target, func(t *testing.T) {
			tgt, _, err := FindTarget(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Compile(Options{CC: clang, Target: tgt, Source: src, NoStrip: tc.noStrip})
			if err != nil {
				t.Fatal(err)
			}
			f, err := elf.NewFile(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if f.Data != tc.order || f.Machine != elf.EM_BPF {
				t.Errorf("object is %v %v, want %v EM_BPF", f.Data, f.Machine, tc.order)
			}
			if f.Section(".BTF") == nil {
				t.Error("no .BTF section")
			}
			if got := f.Section(".debug_info") != nil; got != tc.wantDWARF {
				t.Errorf(".debug_info present = %v, want %v", got, tc.wantDWARF)
			}
			// The same source gives the same bytes (no paths, no version).
			again, err := Compile(Options{CC: clang, Target: tgt, Source: src, NoStrip: tc.noStrip})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, again) {
				t.Error("two compilations of the same source differ")
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	clang := testutil.RequireClang(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.c")
	if err := os.WriteFile(bad, []byte("int f(void) { return undeclared; }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Compile(Options{CC: clang, Target: Target{Clang: "bpfel"}, Source: bad})
	if err == nil || !strings.Contains(err.Error(), "bad.c") || !strings.Contains(err.Error(), "undeclared") {
		t.Errorf("compile error = %v, want the file and clang's message", err)
	}
	// Architecture-specific macros without an architecture.
	tracing := filepath.Join(dir, "tracing.c")
	if err := os.WriteFile(tracing, []byte("#if !defined(__TARGET_ARCH_x86)\n__BPF_TARGET_MISSING;\n#endif\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Compile(Options{CC: clang, Target: Target{Clang: "bpfel"}, Source: tracing})
	if err == nil || !strings.Contains(err.Error(), "-target naming an architecture") {
		t.Errorf("generic target error = %v, want the -target advice", err)
	}
	_, err = Compile(Options{CC: "no-such-compiler-bpfgen", Source: bad})
	if err == nil || !strings.Contains(err.Error(), "no-such-compiler-bpfgen") {
		t.Errorf("missing compiler error = %v", err)
	}
	_, err = Compile(Options{CC: clang, Strip: "no-such-strip-bpfgen", Target: Target{Clang: "bpfel"}, Source: writeSource(t)})
	if err == nil || !strings.Contains(err.Error(), "no-such-strip-bpfgen") {
		t.Errorf("missing strip error = %v", err)
	}
}

func TestFindClang(t *testing.T) {
	testutil.RequireClang(t)
	// An empty PATH has no clang: the error names the minimum version.
	t.Setenv("PATH", t.TempDir())
	_, _, err := FindClang()
	if !errors.Is(err, ErrNoClang) || !strings.Contains(err.Error(), "clang 11 or newer") {
		t.Errorf("FindClang on an empty PATH = %v", err)
	}
	// A clang too old is named.
	dir := t.TempDir()
	old := "#!/bin/sh\necho 'Debian clang version 9.0.1-16'\n"
	if err := os.WriteFile(filepath.Join(dir, "clang-9"), []byte(old), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	_, _, err = FindClang()
	if !errors.Is(err, ErrNoClang) || !strings.Contains(err.Error(), "clang-9 is clang 9") {
		t.Errorf("FindClang with clang 9 = %v", err)
	}
	// Newest first: clang-19 from /usr/bin beats the old one.
	t.Setenv("PATH", dir+string(filepath.ListSeparator)+"/usr/bin")
	p, v, err := FindClang()
	if err != nil || v < 19 {
		t.Errorf("FindClang = %s %d %v, want clang 19 or newer", p, v, err)
	}
}

func TestFindTarget(t *testing.T) {
	for _, tc := range []struct {
		name   string
		want   Target
		arches []string
		suffix string
	}{
		{"bpfel", Target{"bpfel", ""}, []string{"386", "amd64", "arm", "arm64", "loong64", "mips64le", "mipsle", "ppc64le", "riscv64", "wasm"}, "bpfel"},
		{"bpfeb", Target{"bpfeb", ""}, []string{"mips", "mips64", "ppc64", "s390x"}, "bpfeb"},
		{"bpf", Target{"bpf", ""}, nil, "bpf"},
		{"amd64", Target{"bpfel", "x86"}, []string{"386", "amd64"}, "x86_bpfel"},
		{"arm64", Target{"bpfel", "arm64"}, []string{"arm64"}, "arm64_bpfel"},
		{"s390x", Target{"bpfeb", "s390"}, []string{"s390x"}, "s390_bpfeb"},
		{"ppc64le", Target{"bpfel", "powerpc"}, []string{"ppc64le"}, "powerpc_bpfel"},
	} {
		got, arches, err := FindTarget(tc.name)
		if err != nil || got != tc.want || !slices.Equal(arches, tc.arches) || got.Suffix() != tc.suffix {
			t.Errorf("FindTarget(%q) = %+v %v %v (suffix %s), want %+v %v (suffix %s)", tc.name, got, arches, err, got.Suffix(), tc.want, tc.arches, tc.suffix)
		}
	}
	for _, bad := range []string{"mips64", "wasm", "x86", ""} {
		if _, _, err := FindTarget(bad); err == nil || !strings.Contains(err.Error(), "amd64") {
			t.Errorf("FindTarget(%q) = %v, want an error listing the targets", bad, err)
		}
	}
}
