package lskel

// The runtime's narrow view of bpf(2), over bpfgen's kernel package.

import (
	"golang.org/x/sys/unix"
)

// Program types, map types, attach types and flags the runtime and its
// tests use; users pass golang.org/x/sys/unix names.
const (
	progTypeKprobe        = unix.BPF_PROG_TYPE_KPROBE
	progTypeSchedCLS      = unix.BPF_PROG_TYPE_SCHED_CLS
	progTypeTracepoint    = unix.BPF_PROG_TYPE_TRACEPOINT
	progTypeXDP           = unix.BPF_PROG_TYPE_XDP
	progTypeCgroupSKB     = unix.BPF_PROG_TYPE_CGROUP_SKB
	progTypeRawTracepoint = unix.BPF_PROG_TYPE_RAW_TRACEPOINT
	progTypeTracing       = unix.BPF_PROG_TYPE_TRACING
	progTypeLSM           = unix.BPF_PROG_TYPE_LSM
	progTypeSyscall       = unix.BPF_PROG_TYPE_SYSCALL

	mapTypeHash          = unix.BPF_MAP_TYPE_HASH
	mapTypeArray         = unix.BPF_MAP_TYPE_ARRAY
	mapTypePerfEventArr  = unix.BPF_MAP_TYPE_PERF_EVENT_ARRAY
	mapTypePercpuHash    = unix.BPF_MAP_TYPE_PERCPU_HASH
	mapTypePercpuArray   = unix.BPF_MAP_TYPE_PERCPU_ARRAY
	mapTypeLRUPercpuHash = unix.BPF_MAP_TYPE_LRU_PERCPU_HASH
	mapTypePercpuCgStore = unix.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
	mapTypeRingBuf       = unix.BPF_MAP_TYPE_RINGBUF

	attachTypeCgroupInetEgress = unix.BPF_CGROUP_INET_EGRESS
	attachTypeTraceIter        = unix.BPF_TRACE_ITER
	attachTypeXDP              = unix.BPF_XDP
	attachTypePerfEvent        = unix.BPF_PERF_EVENT
	attachTypeTCXIngress       = unix.BPF_TCX_INGRESS
	attachTypeTCXEgress        = unix.BPF_TCX_EGRESS

	mapFlagMmapable = unix.BPF_F_MMAPABLE

	progFlagSleepable = unix.BPF_F_SLEEPABLE
)

// closeFD closes fd if it is valid, ignoring errors: the callers are on
// cleanup paths where nothing better can be done.
func closeFD(fd int) {
	if fd >= 0 {
		_ = unix.Close(fd)
	}
}
