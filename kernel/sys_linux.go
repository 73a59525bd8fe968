//go:build linux

package kernel

// The system calls of the package, on Linux. sys_other.go has the same
// functions failing with ErrNotSupported, so that everything else in the
// package is written once and builds on every platform Go supports.

import (
	"errors"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sys calls bpf(cmd, attr, size) and converts a failure into *Error.
func sys(cmd Cmd, attr unsafe.Pointer, size uintptr) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, uintptr(cmd), uintptr(attr), size)
	// The attribute and everything it points to must stay reachable until
	// the kernel is done with them.
	runtime.KeepAlive(attr)
	if errno != 0 {
		return -1, &Error{Cmd: cmd, Errno: errno}
	}
	return int(r), nil
}

// Close closes the raw file descriptor fd (one that no FD owns).
func Close(fd int) error { return unix.Close(fd) }

// dupCloexec duplicates fd to a number of at least 3, close-on-exec.
func dupCloexec(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3) }

// exists reports whether path exists. It opens it with O_PATH: os.Stat's
// FileInfo links time formatting into the runtime, and unix.Stat links
// fstatat, where open is linked already.
func exists(path string) bool {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

func raiseMemlock() error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return err
	}
	if lim.Cur == unix.RLIM_INFINITY || haveMemcgAccounting() {
		return nil
	}
	lim = unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
	if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &lim); err != nil {
		return errors.New("kernel: this kernel charges BPF memory to RLIMIT_MEMLOCK (before Linux 5.11) and raising it failed: " + err.Error())
	}
	return nil
}
