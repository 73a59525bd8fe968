package main

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/bpfgen/bpfgen/internal/behave"
	"github.com/bpfgen/bpfgen/internal/leakcheck"
	"github.com/bpfgen/bpfgen/internal/testutil"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// TestUnlinkSnoop removes a file and a missing file while watched: fentry
// sees both paths, fexit both results (0, then -ENOENT). It needs BPF
// trampolines: it runs in a guest of the kernel matrix
// (make test-kernels KERNELS=7.3 BPFGEN_KERNELS_HOST=0
// BPFGEN_KERNELS_PKGS=./examples/...).
func TestUnlinkSnoop(t *testing.T) {
	testutil.RequireLoaders(t)
	testutil.RequireFeature(t, behave.HaveTrampolines(), "BPF trampolines (fentry/fexit)", "5.5")
	objs, err := watch()
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Unlink(file); err != nil {
		t.Fatal(err)
	}
	if b := objs.BSS; lastPath(objs) != file || b.LastRet != 0 || b.Entries != 1 || b.Exits != 1 {
		t.Errorf("after unlink(%q): path %q, ret %d, %d entries, %d exits; want the path, 0, 1, 1", file, lastPath(objs), b.LastRet, b.Entries, b.Exits)
	}
	missing := filepath.Join(dir, "missing")
	if err := syscall.Unlink(missing); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("unlink(%q): %v; want ENOENT", missing, err)
	}
	if b := objs.BSS; lastPath(objs) != missing || b.LastRet != -int64(syscall.ENOENT) || b.Entries != 2 || b.Exits != 2 {
		t.Errorf("after unlink(%q): path %q, ret %d, %d entries, %d exits; want the path, %d, 2, 2", missing, lastPath(objs), b.LastRet, b.Entries, b.Exits, -int64(syscall.ENOENT))
	}
}
