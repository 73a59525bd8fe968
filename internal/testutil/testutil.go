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
