// Package testutil holds what bpfgen's tests share: where the BPF test
// objects are and whether the kernel may be skipped.
package testutil

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// GoTool returns the go command of the toolchain that built the test: the
// one on PATH, else the build's own GOROOT (the kernel matrix's guests run
// test binaries with the host's root mounted but a bare PATH). The result
// may not exist; callers that cannot build without it say so.
func GoTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	//lint:ignore SA1019 the test binary runs on the machine that built it
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// Object returns the path of testdata/<name>.bpf.o.
func Object(name string) string {
	return filepath.Join(Root(), "testdata", name+".bpf.o")
}

// ProbeTargets copies the executables testdata/NAME (usdt_target ...)
// into a temporary directory, which it puts first in $PATH, and returns
// it. Uprobes are placed on a file, so probes on a private copy count
// only this test's runs, not those of tests of other packages running the
// same binary at the same time.
func ProbeTargets(tb testing.TB, names ...string) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(Root(), "testdata", n))
		if err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Setenv("PATH", dir+string(filepath.ListSeparator)+os.Getenv("PATH"))
	return dir
}

// KernelRequired reports whether a test that cannot reach the kernel must
// fail rather than skip.
func KernelRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("BPFGEN_REQUIRE_KERNEL") == "1"
}

// SkipOrFail ends a test that cannot run here: it fails when the kernel
// is required (KernelRequired), else it skips.
func SkipOrFail(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if KernelRequired() {
		tb.Fatalf(format, args...)
	}
	tb.Skipf(format, args...)
}

// RequireTool returns the path of the command name, which the test
// needs (for why); without it the test fails when the kernel is required
// (make test installs every tool with make deps), else it skips.
func RequireTool(tb testing.TB, name, why string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(tb, "%s, needed %s, is not installed (make deps installs it): %v", name, why, err)
	}
	return p
}

// RequireKernel fails (under CI) or skips the test when the BPF syscall
// is out of reach. It calls bpf(2) itself, so that package kernel's own
// tests can use it.
func RequireKernel(tb testing.TB) {
	tb.Helper()
	// BPF_MAP_CREATE of a 1-element array: type, key size, value size,
	// max entries.
	attr := [4]uint32{unix.BPF_MAP_TYPE_ARRAY, 4, 4, 1}
	fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_MAP_CREATE, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno == 0 {
		unix.Close(int(fd))
		return
	}
	SkipOrFail(tb, "cannot reach the BPF subsystem: %v", errno)
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

// RequireTracefs mounts tracefs at /sys/kernel/tracing when no tracefs is
// mounted (machines may boot without it); a test that cannot have it fails
// under KernelRequired and skips elsewhere.
func RequireTracefs(tb testing.TB) {
	tb.Helper()
	for _, root := range []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"} {
		if _, err := os.Stat(root + "/events"); err == nil {
			return
		}
	}
	if err := unix.Mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, ""); err != nil && err != unix.EBUSY {
		SkipOrFail(tb, "mount tracefs at /sys/kernel/tracing: %v", err)
	}
}

// RequireFeature skips the test when the running kernel lacks a feature
// it needs: have is the result of probing the feature (never of comparing
// version numbers), and the message names the feature and the Linux
// version that brought it ("" for what is not a matter of version), so that a matrix of kernels shows every skip
// as a fact about a kernel. It skips under KernelRequired too: a kernel
// without the feature cannot run the test anywhere.
func RequireFeature(tb testing.TB, have bool, feature, version string) {
	tb.Helper()
	switch {
	case have:
	case version == "":
		tb.Skipf("kernel lacks %s", feature)
	default:
		tb.Skipf("kernel lacks %s (Linux %s)", feature, version)
	}
}

// HaveSyscallProgs reports whether the kernel loads sleepable
// BPF_PROG_TYPE_SYSCALL programs (Linux 5.14), which every loader and
// light skeleton runs on. It probes with a raw bpf(2) call so that any
// package's tests, package kernel's included, can ask.
func HaveSyscallProgs() bool {
	syscallProgsOnce.Do(func() {
		insns := [16]byte{0: 0xb7, 8: 0x95} // r0 = 0; exit
		license := []byte("GPL\x00")
		// union bpf_attr for BPF_PROG_LOAD up to prog_flags.
		attr := struct {
			progType, insnCnt uint32
			insns, license    uint64
			logLevel, logSize uint32
			logBuf            uint64
			kernVersion       uint32
			progFlags         uint32
		}{progType: unix.BPF_PROG_TYPE_SYSCALL, insnCnt: 2, insns: uint64(uintptr(unsafe.Pointer(&insns))),
			license: uint64(uintptr(unsafe.Pointer(&license[0]))), progFlags: unix.BPF_F_SLEEPABLE}
		fd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
		runtime.KeepAlive(&insns)
		runtime.KeepAlive(license)
		if errno == 0 {
			unix.Close(int(fd))
			haveSyscallProgs = true
		}
	})
	return haveSyscallProgs
}

var (
	syscallProgsOnce sync.Once
	haveSyscallProgs bool
)

// RequireLoaders skips the test on kernels that cannot run loaders (no
// syscall programs), after RequireKernel.
func RequireLoaders(tb testing.TB) {
	tb.Helper()
	RequireKernel(tb)
	RequireFeature(tb, HaveSyscallProgs(), "BPF_PROG_TYPE_SYSCALL programs, which loaders run on", "5.14")
}

// HaveKprobes reports whether the kernel has kprobes (CONFIG_KPROBES):
// the kprobe perf PMU (Linux 4.17) or tracefs kprobe_events. It looks at
// the files, not at what bpfgen's attach code makes of them.
func HaveKprobes() bool {
	for _, p := range []string{
		"/sys/bus/event_source/devices/kprobe/type",
		"/sys/kernel/tracing/kprobe_events",
		"/sys/kernel/debug/tracing/kprobe_events",
	} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// HaveKprobeMulti reports whether the kernel attaches kprobe.multi links
// (Linux 5.18, with CONFIG_FPROBE): kprobes, the fprobe registration
// function in /proc/kallsyms, and tracefs listing the attachable
// functions.
func HaveKprobeMulti() bool {
	if !HaveKprobes() {
		return false
	}
	b, err := os.ReadFile("/proc/kallsyms")
	if err != nil || !bytes.Contains(b, []byte(" register_fprobe_ips\n")) {
		return false
	}
	for _, p := range []string{"/sys/kernel/tracing/available_filter_functions", "/sys/kernel/debug/tracing/available_filter_functions"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}

// RequireClang fails (under CI) or skips the test when clang-19, which
// builds bpfgen's test programs (scripts/deps.sh installs it), is not on
// PATH, and returns its path.
func RequireClang(tb testing.TB) string {
	tb.Helper()
	p, err := exec.LookPath("clang-19")
	if err != nil {
		SkipOrFail(tb, "clang-19 is not on PATH (scripts/deps.sh installs it): %v", err)
	}
	return p
}
