//go:build linux

package lskel

// The runtime's own system calls (beyond bpf(2), which package kernel
// makes), on Linux. sys_other.go has the same functions failing with
// kernel.ErrNotSupported, so that the rest of the runtime is written once
// and builds on every platform Go supports.

import (
	"runtime"
	"unsafe"

	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

// mmap maps length bytes of fd at offset, shared, read-only or
// read-write. It uses MmapPtr rather than unix.Mmap, whose bookkeeping (a
// mutex-guarded map of mappings) costs a few KB in every binary.
func mmap(fd int, offset int64, length int, writable bool) ([]byte, error) {
	prot := unix.PROT_READ
	if writable {
		prot |= unix.PROT_WRITE
	}
	p, err := unix.MmapPtr(fd, offset, nil, uintptr(length), prot, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(p), length), nil
}

// munmap unmaps a mapping made by mmap: all of b's capacity.
func munmap(b []byte) error {
	b = b[:cap(b)]
	return unix.MunmapPtr(unsafe.Pointer(&b[0]), uintptr(len(b)))
}

func epollCreate() (int, error) { return unix.EpollCreate1(unix.EPOLL_CLOEXEC) }

// epollAdd makes epfd wait for fd to be readable.
func epollAdd(epfd, fd int) error {
	return unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)})
}

// epollWait waits up to ms milliseconds (-1: no limit) for one of epfd's
// fds to be readable.
func epollWait(epfd, ms int) error {
	var events [2]unix.EpollEvent
	_, err := unix.EpollWait(epfd, events[:], ms)
	return err
}

// eventfd makes the non-blocking eventfd that wakes a ring buffer's Read.
func eventfd() (int, error) { return unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK) }

func readFD(fd int, p []byte) (int, error)  { return unix.Read(fd, p) }
func writeFD(fd int, p []byte) (int, error) { return unix.Write(fd, p) }

// dupCloexec duplicates fd to a number of at least 3, close-on-exec.
func dupCloexec(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 3) }

func openDir(path string) (int, error) {
	return unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
}

// perfDisable disables a perf event, ignoring errors (cleanup paths).
func perfDisable(fd int) { _ = unix.IoctlSetInt(fd, unix.PERF_EVENT_IOC_DISABLE, 0) }

// perfEventOpenProbe opens a perf event of the dynamic PMU typ: a uprobe on
// the file path, or a kprobe on the function path (NUL-terminated), at
// offset.
func perfEventOpenProbe(typ uint32, config uint64, path []byte, offset uint64, pid, cpu int) (int, error) {
	attr := unix.PerfEventAttr{
		Type:   typ,
		Config: config,
		Ext1:   uint64(uintptr(unsafe.Pointer(&path[0]))), // uprobe_path, kprobe_func
		Ext2:   offset,                                    // probe_offset
	}
	fd, err := kernel.PerfEventOpen(&attr, pid, cpu, -1, 0)
	// Keep path alive across the syscall: its address is in attr only.
	runtime.KeepAlive(path)
	return fd, err
}

// perfEventOpenBPFOutput opens the bpf_perf_event_output buffer of one
// CPU: a software event of every task on cpu, waking its reader after
// every record or, with watermark > 0, once that many bytes are waiting.
func perfEventOpenBPFOutput(cpu int, watermark uint32) (int, error) {
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_SOFTWARE,
		Config:      unix.PERF_COUNT_SW_BPF_OUTPUT,
		Sample_type: unix.PERF_SAMPLE_RAW,
		Sample:      1, // sample_period
		Wakeup:      1, // wakeup_events
	}
	if watermark > 0 {
		attr.Bits |= unix.PerfBitWatermark
		attr.Wakeup = watermark // wakeup_watermark
	}
	return kernel.PerfEventOpen(&attr, -1, cpu, -1, 0)
}

// Errnos a signed load tells apart (Linux's; sys_other.go gives the same
// numbers, for code that only builds there).
const (
	errnoOpNotSupp   = unix.EOPNOTSUPP
	errnoE2BIG       = unix.E2BIG
	errnoEACCES      = unix.EACCES
	errnoKeyRejected = unix.EKEYREJECTED
)
