//go:build !linux

package kernel

// The system calls of the package off Linux: each fails with
// ErrNotSupported. They are the only code written twice (sys_linux.go,
// perf_linux.go and sysfile.go have the real ones); everything that calls
// them is shared.

import (
	"os"
	"unsafe"
)

func sys(cmd Cmd, attr unsafe.Pointer, size uintptr) (int, error) {
	return -1, os.NewSyscallError("bpf("+cmd.String()+")", ErrNotSupported)
}

// Close closes the raw file descriptor fd (one that no FD owns).
func Close(fd int) error { return ErrNotSupported }

func dupCloexec(fd int) (int, error) { return -1, ErrNotSupported }

func exists(path string) bool { return false }

func raiseMemlock() error { return ErrNotSupported }

// ReadSysFile reads a small file of /sys or /proc.
func ReadSysFile(path string) ([]byte, error) {
	return nil, &os.PathError{Op: "open", Path: path, Err: ErrNotSupported}
}

// PerfEventOpenTracepoint opens a perf event for a tracefs tracepoint.
func PerfEventOpenTracepoint(tpID uint64, pid, cpu int) (int, error) {
	return -1, os.NewSyscallError("perf_event_open", ErrNotSupported)
}

// PerfEventAttachBPF attaches a program to a perf event the pre-link way.
func PerfEventAttachBPF(perfFD, progFD int) error {
	return os.NewSyscallError("ioctl(PERF_EVENT_IOC_SET_BPF)", ErrNotSupported)
}
