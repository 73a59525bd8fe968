package kernel

import (
	"errors"
	"os"
	"strconv"
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

// tracefsRoots are the places TracepointID looks for tracefs, in order.
var tracefsRoots = []string{"/sys/kernel/tracing", "/sys/kernel/debug/tracing"}

// ErrNoTracefs reports that no tracefs mount holds the tracepoint; the
// error message names the paths tried.
var ErrNoTracefs = errors.New("tracefs not mounted or tracepoint unknown")

// TracepointID returns the id of the tracefs event category/name, read
// from <tracefs>/events/<category>/<name>/id. Mounting tracefs is the
// caller's job; when no root has the event the error wraps ErrNoTracefs,
// names the paths tried and, when tracefs is not mounted at all, says how
// to mount it.
func TracepointID(category, name string) (uint64, error) {
	// Written with plain loops rather than strings/strconv/errors.Is: the
	// runtime of light skeletons calls it and is kept small.
	if !validTraceName(category) || !validTraceName(name) {
		return 0, errors.New("kernel: invalid tracepoint name " + strconv.Quote(category+"/"+name))
	}
	paths := ""
	for _, root := range tracefsRoots {
		p := root + "/events/" + category + "/" + name + "/id"
		b, err := ReadSysFile(p)
		if err != nil {
			if pe, ok := err.(*os.PathError); ok && pe.Err == unix.ENOENT {
				if paths != "" {
					paths += ", "
				}
				paths += p
				continue
			}
			return 0, err
		}
		id, ok := parseDecimal(b)
		if !ok {
			return 0, errors.New("kernel: " + p + ": bad tracepoint id " + strconv.Quote(string(b)))
		}
		return id, nil
	}
	var st unix.Stat_t
	if len(tracefsRoots) > 0 && unix.Stat(tracefsRoots[0]+"/events", &st) != nil {
		paths += " (tracefs is not mounted: mount -t tracefs tracefs " + tracefsRoots[0] + ")"
	}
	return 0, &os.PathError{Op: "tracepoint id", Path: paths, Err: ErrNoTracefs}
}

// parseDecimal parses an unsigned decimal number with surrounding white
// space, as /sys files hold them.
func parseDecimal(b []byte) (uint64, bool) {
	var v uint64
	digits := 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9' && digits < 19:
			v = v*10 + uint64(c-'0')
			digits++
		case c == ' ' || c == '\n' || c == '\t':
			if digits > 0 && c != '\n' {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return v, digits > 0
}

func validTraceName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || s[i] == 0 {
			return false
		}
	}
	return true
}
