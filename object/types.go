package object

import "fmt"

// ProgType is a kernel program type (enum bpf_prog_type).
type ProgType uint32

// Program types, numbered as in uapi/linux/bpf.h.
const (
	ProgTypeUnspec ProgType = iota
	ProgTypeSocketFilter
	ProgTypeKprobe
	ProgTypeSchedCLS
	ProgTypeSchedACT
	ProgTypeTracepoint
	ProgTypeXDP
	ProgTypePerfEvent
	ProgTypeCgroupSKB
	ProgTypeCgroupSock
	ProgTypeLWTIn
	ProgTypeLWTOut
	ProgTypeLWTXmit
	ProgTypeSockOps
	ProgTypeSKSKB
	ProgTypeCgroupDevice
	ProgTypeSKMsg
	ProgTypeRawTracepoint
	ProgTypeCgroupSockAddr
	ProgTypeLWTSeg6Local
	ProgTypeLircMode2
	ProgTypeSKReuseport
	ProgTypeFlowDissector
	ProgTypeCgroupSysctl
	ProgTypeRawTracepointWritable
	ProgTypeCgroupSockopt
	ProgTypeTracing
	ProgTypeStructOps
	ProgTypeExt
	ProgTypeLSM
	ProgTypeSKLookup
	ProgTypeSyscall
	ProgTypeNetfilter
)

// progTypeNames are the kernel's (and bpftool's) names, by value.
var progTypeNames = [...]string{
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act", "tracepoint",
	"xdp", "perf_event", "cgroup_skb", "cgroup_sock", "lwt_in", "lwt_out",
	"lwt_xmit", "sock_ops", "sk_skb", "cgroup_device", "sk_msg",
	"raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local", "lirc_mode2",
	"sk_reuseport", "flow_dissector", "cgroup_sysctl",
	"raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops",
	"ext", "lsm", "sk_lookup", "syscall", "netfilter",
}

// String returns the kernel's name of the type, e.g. "tracepoint" for
// BPF_PROG_TYPE_TRACEPOINT.
func (t ProgType) String() string {
	if int(t) < len(progTypeNames) {
		return progTypeNames[t]
	}
	return fmt.Sprintf("prog_type(%d)", uint32(t))
}

// AttachType is a kernel attach type (enum bpf_attach_type). Zero is both
// BPF_CGROUP_INET_INGRESS and "none": the kernel ignores
// expected_attach_type for program types that do not use it.
type AttachType uint32

// Attach types, numbered as in uapi/linux/bpf.h.
const (
	AttachCgroupInetIngress AttachType = iota
	AttachCgroupInetEgress
	AttachCgroupInetSockCreate
	AttachCgroupSockOps
	AttachSKSKBStreamParser
	AttachSKSKBStreamVerdict
	AttachCgroupDevice
	AttachSKMsgVerdict
	AttachCgroupInet4Bind
	AttachCgroupInet6Bind
	AttachCgroupInet4Connect
	AttachCgroupInet6Connect
	AttachCgroupInet4PostBind
	AttachCgroupInet6PostBind
	AttachCgroupUDP4Sendmsg
	AttachCgroupUDP6Sendmsg
	AttachLircMode2
	AttachFlowDissector
	AttachCgroupSysctl
	AttachCgroupUDP4Recvmsg
	AttachCgroupUDP6Recvmsg
	AttachCgroupGetsockopt
	AttachCgroupSetsockopt
	AttachTraceRawTP
	AttachTraceFentry
	AttachTraceFexit
	AttachModifyReturn
	AttachLSMMac
	AttachTraceIter
	AttachCgroupInet4Getpeername
	AttachCgroupInet6Getpeername
	AttachCgroupInet4Getsockname
	AttachCgroupInet6Getsockname
	AttachXDPDevmap
	AttachCgroupInetSockRelease
	AttachXDPCpumap
	AttachSKLookup
	AttachXDP
	AttachSKSKBVerdict
	AttachSKReuseportSelect
	AttachSKReuseportSelectOrMigrate
	AttachPerfEvent
	AttachTraceKprobeMulti
	AttachLSMCgroup
	AttachStructOps
	AttachNetfilter
	AttachTCXIngress
	AttachTCXEgress
	AttachTraceUprobeMulti
	AttachCgroupUnixConnect
	AttachCgroupUnixSendmsg
	AttachCgroupUnixRecvmsg
	AttachCgroupUnixGetpeername
	AttachCgroupUnixGetsockname
	AttachNetkitPrimary
	AttachNetkitPeer
	AttachTraceKprobeSession
	AttachTraceUprobeSession
)

// AttachNone is the attach type of programs whose type takes none.
const AttachNone AttachType = 0

var attachTypeNames = [...]string{
	"cgroup_inet_ingress", "cgroup_inet_egress", "cgroup_inet_sock_create",
	"cgroup_sock_ops", "sk_skb_stream_parser", "sk_skb_stream_verdict",
	"cgroup_device", "sk_msg_verdict", "cgroup_inet4_bind", "cgroup_inet6_bind",
	"cgroup_inet4_connect", "cgroup_inet6_connect", "cgroup_inet4_post_bind",
	"cgroup_inet6_post_bind", "cgroup_udp4_sendmsg", "cgroup_udp6_sendmsg",
	"lirc_mode2", "flow_dissector", "cgroup_sysctl", "cgroup_udp4_recvmsg",
	"cgroup_udp6_recvmsg", "cgroup_getsockopt", "cgroup_setsockopt",
	"trace_raw_tp", "trace_fentry", "trace_fexit", "modify_return", "lsm_mac",
	"trace_iter", "cgroup_inet4_getpeername", "cgroup_inet6_getpeername",
	"cgroup_inet4_getsockname", "cgroup_inet6_getsockname", "xdp_devmap",
	"cgroup_inet_sock_release", "xdp_cpumap", "sk_lookup", "xdp",
	"sk_skb_verdict", "sk_reuseport_select", "sk_reuseport_select_or_migrate",
	"perf_event", "trace_kprobe_multi", "lsm_cgroup", "struct_ops", "netfilter",
	"tcx_ingress", "tcx_egress", "trace_uprobe_multi", "cgroup_unix_connect",
	"cgroup_unix_sendmsg", "cgroup_unix_recvmsg", "cgroup_unix_getpeername",
	"cgroup_unix_getsockname", "netkit_primary", "netkit_peer",
	"trace_kprobe_session", "trace_uprobe_session",
}

// String returns the kernel's name of the attach type, e.g. "trace_fentry"
// for BPF_TRACE_FENTRY.
func (t AttachType) String() string {
	if int(t) < len(attachTypeNames) {
		return attachTypeNames[t]
	}
	return fmt.Sprintf("attach_type(%d)", uint32(t))
}

// MapType is a kernel map type (enum bpf_map_type).
type MapType uint32

// Map types, numbered as in uapi/linux/bpf.h.
const (
	MapTypeUnspec MapType = iota
	MapTypeHash
	MapTypeArray
	MapTypeProgArray
	MapTypePerfEventArray
	MapTypePerCPUHash
	MapTypePerCPUArray
	MapTypeStackTrace
	MapTypeCgroupArray
	MapTypeLRUHash
	MapTypeLRUPerCPUHash
	MapTypeLPMTrie
	MapTypeArrayOfMaps
	MapTypeHashOfMaps
	MapTypeDevmap
	MapTypeSockmap
	MapTypeCPUmap
	MapTypeXSKmap
	MapTypeSockhash
	MapTypeCgroupStorage
	MapTypeReuseportSockarray
	MapTypePerCPUCgroupStorage
	MapTypeQueue
	MapTypeStack
	MapTypeSKStorage
	MapTypeDevmapHash
	MapTypeStructOps
	MapTypeRingbuf
	MapTypeInodeStorage
	MapTypeTaskStorage
	MapTypeBloomFilter
	MapTypeUserRingbuf
	MapTypeCgrpStorage
	MapTypeArena
	MapTypeInsnArray
)

var mapTypeNames = [...]string{
	"unspec", "hash", "array", "prog_array", "perf_event_array", "percpu_hash",
	"percpu_array", "stack_trace", "cgroup_array", "lru_hash",
	"lru_percpu_hash", "lpm_trie", "array_of_maps", "hash_of_maps", "devmap",
	"sockmap", "cpumap", "xskmap", "sockhash", "cgroup_storage",
	"reuseport_sockarray", "percpu_cgroup_storage", "queue", "stack",
	"sk_storage", "devmap_hash", "struct_ops", "ringbuf", "inode_storage",
	"task_storage", "bloom_filter", "user_ringbuf", "cgrp_storage", "arena",
	"insn_array",
}

// String returns the kernel's name of the map type, e.g. "percpu_array".
func (t MapType) String() string {
	if int(t) < len(mapTypeNames) {
		return mapTypeNames[t]
	}
	return fmt.Sprintf("map_type(%d)", uint32(t))
}

// IsMapInMap reports whether maps of this type hold other maps.
func (t MapType) IsMapInMap() bool {
	return t == MapTypeArrayOfMaps || t == MapTypeHashOfMaps
}

// Program and map flags the open phase sets.
const (
	// FlagSleepable is BPF_F_SLEEPABLE, set on programs from ".s" sections
	// and on syscall programs.
	FlagSleepable = 1 << 4
	// FlagXDPHasFrags is BPF_F_XDP_HAS_FRAGS, set on "xdp.frags" programs.
	FlagXDPHasFrags = 1 << 5

	// MapFlagRdonlyProg is BPF_F_RDONLY_PROG: programs may only read the
	// map (.rodata, .kconfig).
	MapFlagRdonlyProg = 1 << 7
	// MapFlagMmapable is BPF_F_MMAPABLE: user space may mmap the map.
	MapFlagMmapable = 1 << 10
)
