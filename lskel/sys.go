package lskel

// The runtime's narrow view of bpf(2), over bpfgen's kernel package.

import (
	"github.com/bpfgen/bpfgen/kernel"
)

// Program types, map types, attach types and flags the runtime and its
// tests use (users pass golang.org/x/sys/unix names), from package kernel:
// x/sys/unix has them on Linux only.
const (
	progTypeKprobe        = kernel.BPF_PROG_TYPE_KPROBE
	progTypeSchedCLS      = kernel.BPF_PROG_TYPE_SCHED_CLS
	progTypeTracepoint    = kernel.BPF_PROG_TYPE_TRACEPOINT
	progTypeXDP           = kernel.BPF_PROG_TYPE_XDP
	progTypeCgroupSKB     = kernel.BPF_PROG_TYPE_CGROUP_SKB
	progTypeRawTracepoint = kernel.BPF_PROG_TYPE_RAW_TRACEPOINT
	progTypeTracing       = kernel.BPF_PROG_TYPE_TRACING
	progTypeLSM           = kernel.BPF_PROG_TYPE_LSM
	progTypeSyscall       = kernel.BPF_PROG_TYPE_SYSCALL

	mapTypeHash          = kernel.BPF_MAP_TYPE_HASH
	mapTypeArray         = kernel.BPF_MAP_TYPE_ARRAY
	mapTypePerfEventArr  = kernel.BPF_MAP_TYPE_PERF_EVENT_ARRAY
	mapTypePercpuHash    = kernel.BPF_MAP_TYPE_PERCPU_HASH
	mapTypePercpuArray   = kernel.BPF_MAP_TYPE_PERCPU_ARRAY
	mapTypeLRUPercpuHash = kernel.BPF_MAP_TYPE_LRU_PERCPU_HASH
	mapTypePercpuCgStore = kernel.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
	mapTypeRingBuf       = kernel.BPF_MAP_TYPE_RINGBUF

	attachTypeCgroupInetEgress = kernel.BPF_CGROUP_INET_EGRESS
	attachTypeTraceIter        = kernel.BPF_TRACE_ITER
	attachTypeXDP              = kernel.BPF_XDP
	attachTypePerfEvent        = kernel.BPF_PERF_EVENT
	attachTypeTCXIngress       = kernel.BPF_TCX_INGRESS
	attachTypeTCXEgress        = kernel.BPF_TCX_EGRESS

	mapFlagMmapable = kernel.BPF_F_MMAPABLE

	progFlagSleepable = kernel.BPF_F_SLEEPABLE
)

// closeFD closes fd if it is valid, ignoring errors: the callers are on
// cleanup paths where nothing better can be done.
func closeFD(fd int) {
	if fd >= 0 {
		_ = kernel.Close(fd)
	}
}
