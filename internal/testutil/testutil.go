// Package testutil holds what bpfgen's tests share: where the BPF test
// objects are and whether the kernel may be skipped.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/kernel"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Object returns the path of testdata/<name>.bpf.o.
func Object(name string) string {
	return filepath.Join(Root(), "testdata", name+".bpf.o")
}

// KernelRequired reports whether a test that cannot reach the kernel must
// fail rather than skip.
func KernelRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("BPFGEN_REQUIRE_KERNEL") == "1"
}

// RequireKernel fails (under CI) or skips the test when the BPF syscall
// is out of reach.
func RequireKernel(tb testing.TB) {
	tb.Helper()
	fd, err := kernel.MapCreate(&kernel.MapCreateAttr{Type: 2, KeySize: 4, ValueSize: 4, MaxEntries: 1})
	if err == nil {
		unix.Close(fd)
		return
	}
	if KernelRequired() {
		tb.Fatalf("cannot reach the BPF subsystem: %v", err)
	}
	tb.Skipf("cannot reach the BPF subsystem: %v", err)
}

// PinDir returns a fresh directory on bpffs (mounting bpffs at
// /sys/fs/bpf when it is not mounted), removed with everything pinned in
// it when the test ends.
func PinDir(tb testing.TB) string {
	tb.Helper()
	const root = "/sys/fs/bpf"
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil || st.Type != unix.BPF_FS_MAGIC {
		if err := unix.Mount("bpf", root, "bpf", 0, ""); err != nil {
			tb.Fatalf("mounting bpffs at %s: %v", root, err)
		}
	}
	dir, err := os.MkdirTemp(root, "bpfgen-test-")
	if err != nil {
		tb.Fatalf("pin directory: %v", err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
