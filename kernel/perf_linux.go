//go:build linux

package kernel

// perf_event_open(2) takes x/sys/unix's Linux-only PerfEventAttr, so these
// exist on Linux only; sys_other.go has the ones the runtime calls.

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// PerfEventOpen is perf_event_open(2) with PERF_FLAG_FD_CLOEXEC added.
func PerfEventOpen(attr *unix.PerfEventAttr, pid, cpu, groupFD, flags int) (int, error) {
	if attr.Size == 0 {
		attr.Size = uint32(unsafe.Sizeof(*attr))
	}
	fd, err := unix.PerfEventOpen(attr, pid, cpu, groupFD, flags|unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return -1, &os.SyscallError{Syscall: "perf_event_open", Err: err}
	}
	return fd, nil
}

// PerfEventOpenTracepoint opens a perf event for the tracefs tracepoint
// with the given id (see TracepointID), ready for a BPF_PERF_EVENT link or
// PerfEventAttachBPF. pid -1 and cpu 0 watch every task, as libbpf does.
func PerfEventOpenTracepoint(tpID uint64, pid, cpu int) (int, error) {
	attr := unix.PerfEventAttr{
		Type:        unix.PERF_TYPE_TRACEPOINT,
		Config:      tpID,
		Sample:      1, // sample_period
		Wakeup:      1,
		Sample_type: unix.PERF_SAMPLE_RAW,
	}
	return PerfEventOpen(&attr, pid, cpu, -1, 0)
}

// PerfEventAttachBPF attaches a program to a perf event the pre-link way
// (PERF_EVENT_IOC_SET_BPF) and enables the event. Closing the perf fd
// detaches it.
func PerfEventAttachBPF(perfFD, progFD int) error {
	if err := unix.IoctlSetInt(perfFD, unix.PERF_EVENT_IOC_SET_BPF, progFD); err != nil {
		return &os.SyscallError{Syscall: "ioctl(PERF_EVENT_IOC_SET_BPF)", Err: err}
	}
	if err := unix.IoctlSetInt(perfFD, unix.PERF_EVENT_IOC_ENABLE, 0); err != nil {
		return &os.SyscallError{Syscall: "ioctl(PERF_EVENT_IOC_ENABLE)", Err: err}
	}
	return nil
}
