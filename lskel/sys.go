package lskel

// The runtime's narrow view of bpf(2), over bpfgen's kernel package.

import (
	"golang.org/x/sys/unix"
)

// Program types, map types, attach types and flags used by the runtime.
const (
	ProgTypeKprobe        = unix.BPF_PROG_TYPE_KPROBE
	ProgTypeSchedCLS      = unix.BPF_PROG_TYPE_SCHED_CLS
	ProgTypeTracepoint    = unix.BPF_PROG_TYPE_TRACEPOINT
	ProgTypeXDP           = unix.BPF_PROG_TYPE_XDP
	ProgTypePerfEvent     = unix.BPF_PROG_TYPE_PERF_EVENT
	ProgTypeCgroupSKB     = unix.BPF_PROG_TYPE_CGROUP_SKB
	ProgTypeRawTracepoint = unix.BPF_PROG_TYPE_RAW_TRACEPOINT
	ProgTypeTracing       = unix.BPF_PROG_TYPE_TRACING
	ProgTypeLSM           = unix.BPF_PROG_TYPE_LSM
	ProgTypeSyscall       = unix.BPF_PROG_TYPE_SYSCALL

	MapTypeHash          = unix.BPF_MAP_TYPE_HASH
	MapTypeArray         = unix.BPF_MAP_TYPE_ARRAY
	MapTypePerfEventArr  = unix.BPF_MAP_TYPE_PERF_EVENT_ARRAY
	MapTypePercpuHash    = unix.BPF_MAP_TYPE_PERCPU_HASH
	MapTypePercpuArray   = unix.BPF_MAP_TYPE_PERCPU_ARRAY
	MapTypeLRUPercpuHash = unix.BPF_MAP_TYPE_LRU_PERCPU_HASH
	MapTypePercpuCgStore = unix.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE
	MapTypeRingBuf       = unix.BPF_MAP_TYPE_RINGBUF

	AttachTypeCgroupInetIngress = unix.BPF_CGROUP_INET_INGRESS
	AttachTypeCgroupInetEgress  = unix.BPF_CGROUP_INET_EGRESS
	AttachTypeTraceRawTP        = unix.BPF_TRACE_RAW_TP
	AttachTypeTraceFentry       = unix.BPF_TRACE_FENTRY
	AttachTypeTraceFexit        = unix.BPF_TRACE_FEXIT
	AttachTypeModifyReturn      = unix.BPF_MODIFY_RETURN
	AttachTypeLSMMac            = unix.BPF_LSM_MAC
	AttachTypeTraceIter         = unix.BPF_TRACE_ITER
	AttachTypeXDP               = unix.BPF_XDP
	AttachTypePerfEvent         = unix.BPF_PERF_EVENT
	AttachTypeTCXIngress        = unix.BPF_TCX_INGRESS
	AttachTypeTCXEgress         = unix.BPF_TCX_EGRESS

	// MapFlagRdonlyProg and MapFlagMmapable are BPF_F_RDONLY_PROG and
	// BPF_F_MMAPABLE.
	MapFlagRdonlyProg = unix.BPF_F_RDONLY_PROG
	MapFlagMmapable   = unix.BPF_F_MMAPABLE

	progFlagSleepable = unix.BPF_F_SLEEPABLE
)

// closeFD closes fd if it is valid, ignoring errors: the callers are on
// cleanup paths where nothing better can be done.
func closeFD(fd int) {
	if fd >= 0 {
		_ = unix.Close(fd)
	}
}
