// Package testutil holds what bpfgen's tests share: where the BPF test
// objects are and whether the kernel may be skipped.
package testutil

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

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

// RequireKernel fails (under CI) or skips the test when BPF syscall
// programs cannot be loaded here.
func RequireKernel(tb testing.TB) {
	tb.Helper()
	if kernel.HaveSyscallProgs() {
		return
	}
	if KernelRequired() {
		tb.Fatal("the kernel cannot load BPF syscall programs (need root, BPF and bpf_sys_bpf)")
	}
	tb.Skip("the kernel cannot load BPF syscall programs")
}
