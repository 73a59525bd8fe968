package cheader

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/btf"
	"github.com/bpfgen/bpfgen/internal/testutil"
	"github.com/bpfgen/bpfgen/kernel"
	"github.com/bpfgen/bpfgen/load"
	"github.com/bpfgen/bpfgen/object"
)

// TestKfuncs writes the running kernel's header with Kfuncs: it declares
// exactly the FUNCs tagged bpf_kfunc, by name, and a program that calls
// two of them, declared by the header alone, compiles, loads and runs.
func TestKfuncs(t *testing.T) {
	clang := testutil.RequireTool(t, "clang-19", "to compile the header")
	const path = "/sys/kernel/btf/vmlinux"
	if _, err := os.Stat(path); err != nil {
		testutil.SkipOrFail(t, "the running kernel has no BTF (CONFIG_DEBUG_INFO_BTF, Linux 5.4): %v", err)
	}
	spec := readSpec(t, path)
	var want []string
	for _, typ := range spec.Types() {
		if typ.Kind == btf.KindDeclTag && typ.Name == "bpf_kfunc" && typ.ComponentIdx == -1 {
			fn, err := spec.Type(typ.Type)
			if err == nil && fn.Kind == btf.KindFunc {
				want = append(want, fn.Name)
			}
		}
	}
	if len(want) == 0 {
		testutil.RequireFeature(t, false, "kfuncs tagged bpf_kfunc in its BTF (pahole 1.26)", "6.11")
	}
	slices.Sort(want)
	var b strings.Builder
	if err := Write(&b, spec, &Options{Kfuncs: true}); err != nil {
		t.Fatal(err)
	}
	h := b.String()
	_, block, ok := strings.Cut(h, "\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n")
	if !ok {
		t.Fatal("no kfunc block")
	}
	block, _, _ = strings.Cut(block, "#endif\n")
	lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	if len(lines) != len(want) {
		t.Errorf("%d kfunc declarations, the BTF tags %d kfuncs", len(lines), len(want))
	}
	for i, line := range lines[:min(len(lines), len(want))] {
		if !strings.HasPrefix(line, "extern ") || !strings.HasSuffix(line, ") __weak __ksym;") ||
			!(strings.Contains(line, " "+want[i]+"(") || strings.Contains(line, "*"+want[i]+"(")) {
			t.Errorf("declaration %d is not of %s (kfuncs sorted by name): %q", i, want[i], line)
		}
	}

	for _, k := range []string{"bpf_task_from_pid", "bpf_task_release"} {
		if !slices.Contains(want, k) {
			testutil.RequireFeature(t, false, "kfunc "+k, "6.2")
		}
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "vmlinux.h"), []byte(h), 0o644); err != nil {
		t.Fatal(err)
	}
	obj := filepath.Join(dir, "kfuncs.bpf.o")
	args := append([]string{"-g", "-O2", "-target", "bpf", "-D__TARGET_ARCH_x86", "-Wall", "-Werror"}, msExtensions...)
	out, err := exec.Command(clang, append(args, "-I", dir, "-c", filepath.Join("testdata", "kfuncs.bpf.c"), "-o", obj)...).CombinedOutput()
	if err != nil {
		t.Fatalf("clang: %v\n%s", err, out)
	}
	testutil.RequireLoaders(t)
	o, err := object.Open(obj)
	if err != nil {
		t.Fatal(err)
	}
	res, err := load.Load(o, &load.Direct{}, nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	t.Cleanup(func() {
		for _, h := range res.Handles() {
			unix.Close(int(h))
		}
	})
	run, err := kernel.ProgTestRun(&kernel.TestRunAttr{ProgFD: int(res.Programs[0])})
	if err != nil {
		t.Fatalf("test run: %v", err)
	}
	// The program runs in this process (in the initial pid namespace,
	// as tests run, the kernel's tgid is ours).
	if int(int32(run.Retval)) != os.Getpid() {
		t.Errorf("own_tgid returned %d, want this process's id %d", int32(run.Retval), os.Getpid())
	}
}
