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

// TestOpenSnoop opens a file and a missing file while watched: fentry
// sees both paths, fexit both results (the file descriptor, then
// -ENOENT). It needs BPF trampolines, which the host lacks: it runs in a
// guest of the kernel matrix (make test-kernels KERNELS=7.3
// BPFGEN_KERNELS_HOST=0 BPFGEN_KERNELS_PKGS=./examples/opensnoop).
func TestOpenSnoop(t *testing.T) {
	testutil.RequireLoaders(t)
	testutil.RequireFeature(t, behave.HaveTrampolines(), "BPF trampolines (fentry/fexit)", "5.5")
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	objs, err := watch()
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	fd, err := syscall.Open(file, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Close(fd)
	if b := objs.BSS; lastPath(objs) != file || b.LastRet != int64(fd) || b.Entries != 1 || b.Exits != 1 {
		t.Errorf("after open(%q) = %d: path %q, ret %d, %d entries, %d exits; want the path, %d, 1, 1", file, fd, lastPath(objs), b.LastRet, b.Entries, b.Exits, fd)
	}
	missing := filepath.Join(dir, "missing")
	if _, err := syscall.Open(missing, syscall.O_RDONLY|syscall.O_CLOEXEC, 0); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("open(%q): %v; want ENOENT", missing, err)
	}
	if b := objs.BSS; lastPath(objs) != missing || b.LastRet != -int64(syscall.ENOENT) || b.Entries != 2 || b.Exits != 2 {
		t.Errorf("after open(%q): path %q, ret %d, %d entries, %d exits; want the path, %d, 2, 2", missing, lastPath(objs), b.LastRet, b.Entries, b.Exits, -int64(syscall.ENOENT))
	}
}
