package kernel

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLinuxConsts holds the uapi values the package writes out for the
// code that builds everywhere to x/sys/unix's.
func TestLinuxConsts(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"BPF_OBJ_NAME_LEN", BPF_OBJ_NAME_LEN, unix.BPF_OBJ_NAME_LEN},
		{"BPF_PROG_TYPE_SOCKET_FILTER", BPF_PROG_TYPE_SOCKET_FILTER, unix.BPF_PROG_TYPE_SOCKET_FILTER},
		{"BPF_PROG_TYPE_KPROBE", BPF_PROG_TYPE_KPROBE, unix.BPF_PROG_TYPE_KPROBE},
		{"BPF_PROG_TYPE_SCHED_CLS", BPF_PROG_TYPE_SCHED_CLS, unix.BPF_PROG_TYPE_SCHED_CLS},
		{"BPF_PROG_TYPE_TRACEPOINT", BPF_PROG_TYPE_TRACEPOINT, unix.BPF_PROG_TYPE_TRACEPOINT},
		{"BPF_PROG_TYPE_XDP", BPF_PROG_TYPE_XDP, unix.BPF_PROG_TYPE_XDP},
		{"BPF_PROG_TYPE_CGROUP_SKB", BPF_PROG_TYPE_CGROUP_SKB, unix.BPF_PROG_TYPE_CGROUP_SKB},
		{"BPF_PROG_TYPE_RAW_TRACEPOINT", BPF_PROG_TYPE_RAW_TRACEPOINT, unix.BPF_PROG_TYPE_RAW_TRACEPOINT},
		{"BPF_PROG_TYPE_TRACING", BPF_PROG_TYPE_TRACING, unix.BPF_PROG_TYPE_TRACING},
		{"BPF_PROG_TYPE_LSM", BPF_PROG_TYPE_LSM, unix.BPF_PROG_TYPE_LSM},
		{"BPF_PROG_TYPE_SYSCALL", BPF_PROG_TYPE_SYSCALL, unix.BPF_PROG_TYPE_SYSCALL},
		{"BPF_MAP_TYPE_HASH", BPF_MAP_TYPE_HASH, unix.BPF_MAP_TYPE_HASH},
		{"BPF_MAP_TYPE_ARRAY", BPF_MAP_TYPE_ARRAY, unix.BPF_MAP_TYPE_ARRAY},
		{"BPF_MAP_TYPE_PERF_EVENT_ARRAY", BPF_MAP_TYPE_PERF_EVENT_ARRAY, unix.BPF_MAP_TYPE_PERF_EVENT_ARRAY},
		{"BPF_MAP_TYPE_PERCPU_HASH", BPF_MAP_TYPE_PERCPU_HASH, unix.BPF_MAP_TYPE_PERCPU_HASH},
		{"BPF_MAP_TYPE_PERCPU_ARRAY", BPF_MAP_TYPE_PERCPU_ARRAY, unix.BPF_MAP_TYPE_PERCPU_ARRAY},
		{"BPF_MAP_TYPE_LRU_PERCPU_HASH", BPF_MAP_TYPE_LRU_PERCPU_HASH, unix.BPF_MAP_TYPE_LRU_PERCPU_HASH},
		{"BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE", BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, unix.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE},
		{"BPF_MAP_TYPE_RINGBUF", BPF_MAP_TYPE_RINGBUF, unix.BPF_MAP_TYPE_RINGBUF},
		{"BPF_CGROUP_INET_EGRESS", BPF_CGROUP_INET_EGRESS, unix.BPF_CGROUP_INET_EGRESS},
		{"BPF_TRACE_ITER", BPF_TRACE_ITER, unix.BPF_TRACE_ITER},
		{"BPF_XDP", BPF_XDP, unix.BPF_XDP},
		{"BPF_PERF_EVENT", BPF_PERF_EVENT, unix.BPF_PERF_EVENT},
		{"BPF_TCX_INGRESS", BPF_TCX_INGRESS, unix.BPF_TCX_INGRESS},
		{"BPF_TCX_EGRESS", BPF_TCX_EGRESS, unix.BPF_TCX_EGRESS},
		{"BPF_TRACE_KPROBE_MULTI", BPF_TRACE_KPROBE_MULTI, unix.BPF_TRACE_KPROBE_MULTI},
		{"BPF_TRACE_UPROBE_MULTI", BPF_TRACE_UPROBE_MULTI, unix.BPF_TRACE_UPROBE_MULTI},
		{"BPF_F_SLEEPABLE", BPF_F_SLEEPABLE, unix.BPF_F_SLEEPABLE},
		{"BPF_F_MMAPABLE", BPF_F_MMAPABLE, unix.BPF_F_MMAPABLE},
	} {
		if c.got != c.want {
			t.Errorf("kernel.%s = %d, x/sys/unix has %d", c.name, c.got, c.want)
		}
	}
}

// TestErrnoTypes checks that the errors written with package syscall's
// errno match x/sys/unix's errnos, as callers test them.
func TestErrnoTypes(t *testing.T) {
	for _, err := range []error{
		&Error{Cmd: CmdProgLoad, Errno: syscall.EPERM},
		&LoadError{Object: "o", Step: "s", Err: &VerifierError{Errno: syscall.EPERM}},
		os.NewSyscallError("x", unix.EPERM),
	} {
		if !errors.Is(err, unix.EPERM) {
			t.Errorf("errors.Is(%v, unix.EPERM) = false", err)
		}
		if errors.Is(err, ErrNotSupported) {
			t.Errorf("errors.Is(%v, ErrNotSupported) = true on Linux", err)
		}
	}
}
