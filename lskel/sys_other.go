//go:build !linux

package lskel

// The runtime's own system calls off Linux: each fails with
// kernel.ErrNotSupported (sys_linux.go has the real ones).

import (
	"syscall"

	"github.com/bpfgen/bpfgen/kernel"
)

func mmap(fd int, offset int64, length int, writable bool) ([]byte, error) {
	return nil, kernel.ErrNotSupported
}
func munmap(b []byte) error                 { return kernel.ErrNotSupported }
func epollCreate() (int, error)             { return -1, kernel.ErrNotSupported }
func epollAdd(epfd, fd int) error           { return kernel.ErrNotSupported }
func epollWait(epfd, ms int) error          { return kernel.ErrNotSupported }
func eventfd() (int, error)                 { return -1, kernel.ErrNotSupported }
func readFD(fd int, p []byte) (int, error)  { return 0, kernel.ErrNotSupported }
func writeFD(fd int, p []byte) (int, error) { return 0, kernel.ErrNotSupported }
func dupCloexec(fd int) (int, error)        { return -1, kernel.ErrNotSupported }
func openDir(path string) (int, error)      { return -1, kernel.ErrNotSupported }
func perfDisable(fd int)                    {}
func perfEventOpenProbe(typ uint32, config uint64, path []byte, offset uint64, pid, cpu int) (int, error) {
	return -1, kernel.ErrNotSupported
}
func perfEventOpenBPFOutput(cpu int, watermark uint32) (int, error) {
	return -1, kernel.ErrNotSupported
}

// Linux's numbers of the errnos a signed load tells apart (x86-64).
const (
	errnoOpNotSupp   = syscall.Errno(95)
	errnoE2BIG       = syscall.Errno(7)
	errnoEACCES      = syscall.Errno(13)
	errnoKeyRejected = syscall.Errno(129)
)
