package kernel

// Constants bpfgen needs that golang.org/x/sys/unix does not define (or not
// in the version we build with). Everything else: use unix.BPF_*, except
// in code that builds on every platform (see the next block).
const (
	// Map types added after x/sys/unix's list.
	BPF_MAP_TYPE_ARENA = 33

	// Flags for map_flags, prog_flags and btf_flags: the *_token_fd field
	// carries a BPF token.
	BPF_F_TOKEN_FD = 1 << 16
	// Arena map flags.
	BPF_F_SEGV_ON_FAULT = 1 << 17
	BPF_F_NO_USER_CONV  = 1 << 18
	// struct_ops map flags: registered through a link; the value type is
	// in the module BTF of value_type_btf_obj_fd (Linux 6.9).
	BPF_F_LINK             = 1 << 13
	BPF_F_VTYPE_BTF_OBJ_FD = 1 << 15

	// Pseudo source registers of ld_imm64 and call instructions.
	BPF_PSEUDO_MAP_FD        = 1
	BPF_PSEUDO_MAP_VALUE     = 2
	BPF_PSEUDO_BTF_ID        = 3
	BPF_PSEUDO_FUNC          = 4
	BPF_PSEUDO_MAP_IDX       = 5
	BPF_PSEUDO_MAP_IDX_VALUE = 6
	BPF_PSEUDO_CALL          = 1
	BPF_PSEUDO_KFUNC_CALL    = 2

	// Sizes of the records the kernel expects in BPF_PROG_LOAD.
	BPF_FUNC_INFO_REC_SIZE = 8
	BPF_LINE_INFO_REC_SIZE = 16
	BPF_CORE_RELO_REC_SIZE = 16

	// BPF_TAG_SIZE is the size of bpf_prog_info.tag.
	BPF_TAG_SIZE = 8
)

// Values of uapi/linux/bpf.h that x/sys/unix defines on Linux only, for the
// code of bpfgen (the runtime, the direct load) that builds on every
// platform. Same names and values as x/sys/unix's (TestLinuxConsts checks
// them there).
const (
	BPF_OBJ_NAME_LEN = 16

	BPF_PROG_TYPE_SOCKET_FILTER  = 1
	BPF_PROG_TYPE_KPROBE         = 2
	BPF_PROG_TYPE_SCHED_CLS      = 3
	BPF_PROG_TYPE_TRACEPOINT     = 5
	BPF_PROG_TYPE_XDP            = 6
	BPF_PROG_TYPE_CGROUP_SKB     = 8
	BPF_PROG_TYPE_RAW_TRACEPOINT = 17
	BPF_PROG_TYPE_TRACING        = 26
	BPF_PROG_TYPE_LSM            = 29
	BPF_PROG_TYPE_SYSCALL        = 31

	BPF_MAP_TYPE_HASH                  = 1
	BPF_MAP_TYPE_ARRAY                 = 2
	BPF_MAP_TYPE_PERF_EVENT_ARRAY      = 4
	BPF_MAP_TYPE_PERCPU_HASH           = 5
	BPF_MAP_TYPE_PERCPU_ARRAY          = 6
	BPF_MAP_TYPE_LRU_PERCPU_HASH       = 10
	BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE = 21
	BPF_MAP_TYPE_RINGBUF               = 27

	BPF_CGROUP_INET_EGRESS = 1
	BPF_TRACE_ITER         = 28
	BPF_XDP                = 37
	BPF_PERF_EVENT         = 41
	BPF_STRUCT_OPS         = 44
	BPF_TCX_INGRESS        = 46
	BPF_TCX_EGRESS         = 47
	BPF_TRACE_KPROBE_MULTI = 42
	BPF_TRACE_UPROBE_MULTI = 48
	// The session attach types (Linux 6.10, 6.13) are newer than
	// x/sys/unix's list.
	BPF_TRACE_KPROBE_SESSION = 56
	BPF_TRACE_UPROBE_SESSION = 57

	BPF_F_SLEEPABLE = 1 << 4
	BPF_F_MMAPABLE  = 1 << 10
)

// BTF type kinds (include/uapi/linux/btf.h).
const (
	BTF_KIND_UNKN       = 0
	BTF_KIND_INT        = 1
	BTF_KIND_PTR        = 2
	BTF_KIND_ARRAY      = 3
	BTF_KIND_STRUCT     = 4
	BTF_KIND_UNION      = 5
	BTF_KIND_ENUM       = 6
	BTF_KIND_FWD        = 7
	BTF_KIND_TYPEDEF    = 8
	BTF_KIND_VOLATILE   = 9
	BTF_KIND_CONST      = 10
	BTF_KIND_RESTRICT   = 11
	BTF_KIND_FUNC       = 12
	BTF_KIND_FUNC_PROTO = 13
	BTF_KIND_VAR        = 14
	BTF_KIND_DATASEC    = 15
	BTF_KIND_FLOAT      = 16
	BTF_KIND_DECL_TAG   = 17
	BTF_KIND_TYPE_TAG   = 18
	BTF_KIND_ENUM64     = 19
)

// CO-RE relocation kinds (enum bpf_core_relo_kind).
const (
	BPF_CORE_FIELD_BYTE_OFFSET = 0
	BPF_CORE_FIELD_BYTE_SIZE   = 1
	BPF_CORE_FIELD_EXISTS      = 2
	BPF_CORE_FIELD_SIGNED      = 3
	BPF_CORE_FIELD_LSHIFT_U64  = 4
	BPF_CORE_FIELD_RSHIFT_U64  = 5
	BPF_CORE_TYPE_ID_LOCAL     = 6
	BPF_CORE_TYPE_ID_TARGET    = 7
	BPF_CORE_TYPE_EXISTS       = 8
	BPF_CORE_TYPE_SIZE         = 9
	BPF_CORE_ENUMVAL_EXISTS    = 10
	BPF_CORE_ENUMVAL_VALUE     = 11
	BPF_CORE_TYPE_MATCHES      = 12
)

// Helper function ids that bpfgen's own programs and probes call.
const (
	BPF_FUNC_map_lookup_elem       = 1
	BPF_FUNC_trace_printk          = 6
	BPF_FUNC_probe_read_kernel     = 113
	BPF_FUNC_copy_from_user        = 148
	BPF_FUNC_ktime_get_coarse_ns   = 160
	BPF_FUNC_sys_bpf               = 166
	BPF_FUNC_btf_find_by_name_kind = 167
	BPF_FUNC_sys_close             = 168
	BPF_FUNC_get_attach_cookie     = 174
	BPF_FUNC_kallsyms_lookup_name  = 179
	BPF_FUNC_loop                  = 181
)
