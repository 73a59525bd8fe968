//go:build linux

package lskel

import (
	"errors"
	"os"
	"strconv"
	"sync/atomic"

	"github.com/bpfgen/bpfgen/kernel"
	"golang.org/x/sys/unix"
)

// KprobeOptions tune AttachKprobe and AttachKsyscall. The zero value
// probes the function's entry.
type KprobeOptions struct {
	// Offset is the probe's offset from the function's start
	// (FUNC+OFFSET); kretprobes take none.
	Offset uint64
	// Retprobe probes the function's returns (kretprobe) instead.
	Retprobe bool
	// Cookie is what bpf_get_attach_cookie returns in the program (Linux
	// 5.15); 0 sets none.
	Cookie uint64
}

// AttachKprobe attaches a kprobe program to the kernel function fn (a
// kretprobe with opts.Retprobe); "MODULE:FUNC" names a function of a
// loaded module. It opens the probe with the kprobe perf
// PMU (Linux 4.17) and falls back to a tracefs kprobe event
// (kprobe_events) on kernels without it; Close removes that event.
func AttachKprobe(p *Program, fn string, opts *KprobeOptions) (*Link, error) {
	if opts == nil {
		opts = &KprobeOptions{}
	}
	what := "kprobe " + fn
	if opts.Retprobe {
		what = "kretprobe " + fn
	}
	if opts.Offset != 0 {
		what += "+0x" + strconv.FormatUint(opts.Offset, 16)
	}
	if fn == "" {
		return nil, errors.New(what + ": no function")
	}
	var perf *kernel.FD
	var cleanup func() error
	var err error
	if _, e := os.Stat(kprobePMU + "type"); e == nil {
		perf, err = openProbe(kprobePMU, opts.Retprobe, fn, opts.Offset, 0, -1, what)
	} else {
		perf, cleanup, err = openKprobeLegacy(fn, opts.Offset, opts.Retprobe, what)
	}
	if err != nil {
		return nil, err
	}
	l, err := attachPerf(p, perf, opts.Cookie)
	if err != nil {
		if cleanup != nil {
			_ = cleanup()
		}
		return nil, wrapErr(what, err)
	}
	l.cleanup = cleanup
	return l, nil
}

// AttachKsyscall attaches a kprobe program to the entry (or, with
// opts.Retprobe, the return) of the system call name ("getpid"): to the
// architecture's wrapper (__x64_sys_getpid) on kernels that have them
// (Linux 4.17 on x86), else to sys_getpid, as libbpf's ksyscall sections.
func AttachKsyscall(p *Program, name string, opts *KprobeOptions) (*Link, error) {
	if name == "" {
		return nil, errors.New("ksyscall: no system call name")
	}
	fn := "sys_" + name
	if kernel.HaveSyscallWrapper() {
		fn = "__" + kernel.SyscallPrefix() + "_sys_" + name
	}
	return AttachKprobe(p, fn, opts)
}

// legacyKprobeSeq numbers the tracefs kprobe events of this process.
var legacyKprobeSeq atomic.Uint64

// kprobeEventsFiles are where tracefs keeps kprobe_events, in order.
var kprobeEventsFiles = []string{"/sys/kernel/tracing/kprobe_events", "/sys/kernel/debug/tracing/kprobe_events"}

// legacyKprobeGroup is the tracefs event group of the runtime's kprobes.
const legacyKprobeGroup = "bpfgen"

// openKprobeLegacy creates a tracefs kprobe event for fn+offset (kernels
// without the kprobe PMU) and opens a perf event on it. cleanup removes
// the event; on failure it is already removed.
func openKprobeLegacy(fn string, offset uint64, retprobe bool, what string) (perf *kernel.FD, cleanup func() error, err error) {
	file := ""
	for _, f := range kprobeEventsFiles {
		if _, e := os.Stat(f); e == nil {
			file = f
			break
		}
	}
	if file == "" {
		return nil, nil, errors.New(what + ": this kernel has no kprobes: neither the kprobe PMU (" + kprobePMU + ") nor tracefs kprobe_events (" + kprobeEventsFiles[0] + ", " + kprobeEventsFiles[1] + ") exists (CONFIG_KPROBES, or tracefs not mounted)")
	}
	event := legacyEventName(fn, offset)
	def := "p:"
	if retprobe {
		def = "r:"
	}
	def += legacyKprobeGroup + "/" + event + " " + fn
	if offset != 0 {
		def += "+" + strconv.FormatUint(offset, 10)
	}
	if err := appendFile(file, def); err != nil {
		return nil, nil, wrapErr(what+": create tracefs kprobe event "+strconv.Quote(def), err)
	}
	cleanup = func() error {
		if err := appendFile(file, "-:"+legacyKprobeGroup+"/"+event); err != nil {
			return wrapErr("remove tracefs kprobe event "+legacyKprobeGroup+"/"+event, err)
		}
		return nil
	}
	id, err := kernel.TracepointID(legacyKprobeGroup, event)
	if err != nil {
		_ = cleanup()
		return nil, nil, wrapErr(what, err)
	}
	pfd, err := kernel.PerfEventOpenTracepoint(id, -1, 0)
	if err != nil {
		_ = cleanup()
		return nil, nil, sysErr(what, err)
	}
	perf, err = ownPerf(pfd, what)
	if err != nil {
		_ = cleanup()
		return nil, nil, err
	}
	return perf, cleanup, nil
}

// legacyEventName names a tracefs kprobe event uniquely: the pid, the
// function (characters other than letters, digits and '_' replaced, cut
// to fit the kernel's 64-byte event names), the offset and a sequence
// number.
func legacyEventName(fn string, offset uint64) string {
	b := []byte(fn)
	if len(b) > 32 {
		b = b[:32]
	}
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return "p" + strconv.Itoa(os.Getpid()) + "_" + string(b) + "_" + strconv.FormatUint(offset, 16) + "_" + strconv.FormatUint(legacyKprobeSeq.Add(1), 10)
}

// appendFile writes s as one write to the tracefs control file path.
func appendFile(path, s string) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer closeFD(fd)
	if _, err := unix.Write(fd, []byte(s)); err != nil {
		return &os.PathError{Op: "write", Path: path, Err: err}
	}
	return nil
}
