package skeleton

import (
	"fmt"
	"math/bits"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// Symbolic constants in the generated code.
//
// The generated file names program types, attach types, map types and map
// flags by their golang.org/x/sys/unix constants. The tables below list
// the constants the x/sys version in go.mod has, keyed by the constants
// themselves, so that the compiler checks every name exists (and a user
// of the generated code has at least this x/sys: go.mod requires it). A
// value the kernel knows but x/sys does not is written as a number with a
// comment naming it; a value nobody knows, as a bare number.

// constNamer renders numbers as Go expressions and remembers whether one
// of them needs package unix.
type constNamer struct {
	usesUnix bool
}

// unixName returns "unix."+name and records the import.
func (c *constNamer) unixName(name string) string {
	c.usesUnix = true
	return "unix." + name
}

// enum renders v from one of the enum tables: its unix constant, else the
// number with the kernel's name (derived from the object package's
// lower-case name, which kernelName turns into prefix+NAME) as a comment.
func (c *constNamer) enum(v uint32, unixNames map[uint32]string, prefix, name string) string {
	if n, ok := unixNames[v]; ok {
		return c.unixName(n)
	}
	if k, ok := kernelName(prefix, name); ok {
		return fmt.Sprintf("%d /* %s */", v, k)
	}
	return fmt.Sprint(v)
}

// kernelName turns the object package's name of an enum value
// ("percpu_array") into the uapi name ("BPF_MAP_TYPE_PERCPU_ARRAY"); it
// fails for values the object package has no name for ("map_type(99)").
func kernelName(prefix, name string) (string, bool) {
	if strings.ContainsAny(name, "()") {
		return "", false
	}
	return prefix + strings.ToUpper(name), true
}

// progType renders a program type: unix.BPF_PROG_TYPE_TRACEPOINT.
func (c *constNamer) progType(t uint32) string {
	return c.enum(t, unixProgTypes, "BPF_PROG_TYPE_", object.ProgType(t).String())
}

// attachType renders the expected attach type of a program of type
// progType. Zero is also "none", which is what it means for every program
// type but cgroup_skb (whose zero is BPF_CGROUP_INET_INGRESS): there it
// stays 0.
func (c *constNamer) attachType(progType, t uint32) string {
	if t == 0 && object.ProgType(progType) != object.ProgTypeCgroupSKB {
		return "0"
	}
	return c.enum(t, unixAttachTypes, "BPF_", object.AttachType(t).String())
}

// mapType renders a map type: unix.BPF_MAP_TYPE_ARRAY.
func (c *constNamer) mapType(t uint32) string {
	return c.enum(t, unixMapTypes, "BPF_MAP_TYPE_", object.MapType(t).String())
}

// mapFlags renders BPF_MAP_CREATE flags as an or of their constants,
// lowest bit first: unix.BPF_F_RDONLY_PROG|unix.BPF_F_MMAPABLE. Bits x/sys
// has no name for follow as one number, with the kernel's names in a
// comment when it has them.
func (c *constNamer) mapFlags(f uint32) string {
	if f == 0 {
		return "0"
	}
	var terms, kernel []string
	var rest uint32
	for f != 0 {
		bit := uint32(1) << bits.TrailingZeros32(f)
		f &^= bit
		switch {
		case unixMapFlags[bit] != "":
			terms = append(terms, c.unixName(unixMapFlags[bit]))
		case kernelMapFlags[bit] != "":
			kernel = append(kernel, kernelMapFlags[bit])
			rest |= bit
		default:
			rest |= bit
		}
	}
	if rest != 0 {
		n := fmt.Sprintf("%#x", rest)
		if len(kernel) > 0 {
			n += " /* " + strings.Join(kernel, "|") + " */"
		}
		terms = append(terms, n)
	}
	return strings.Join(terms, "|")
}

// kconfigType renders how a kconfig extern is stored: abi.KconfigInt.
func kconfigType(t abi.KconfigType) string {
	if n, ok := kconfigTypes[t]; ok {
		return "abi." + n
	}
	return fmt.Sprint(uint8(t))
}

var kconfigTypes = map[abi.KconfigType]string{
	abi.KconfigUnknown:   "KconfigUnknown",
	abi.KconfigBool:      "KconfigBool",
	abi.KconfigTristate:  "KconfigTristate",
	abi.KconfigChar:      "KconfigChar",
	abi.KconfigInt:       "KconfigInt",
	abi.KconfigCharArray: "KconfigCharArray",
}

// unixProgTypes are the program types x/sys names.
var unixProgTypes = map[uint32]string{
	unix.BPF_PROG_TYPE_UNSPEC:                  "BPF_PROG_TYPE_UNSPEC",
	unix.BPF_PROG_TYPE_SOCKET_FILTER:           "BPF_PROG_TYPE_SOCKET_FILTER",
	unix.BPF_PROG_TYPE_KPROBE:                  "BPF_PROG_TYPE_KPROBE",
	unix.BPF_PROG_TYPE_SCHED_CLS:               "BPF_PROG_TYPE_SCHED_CLS",
	unix.BPF_PROG_TYPE_SCHED_ACT:               "BPF_PROG_TYPE_SCHED_ACT",
	unix.BPF_PROG_TYPE_TRACEPOINT:              "BPF_PROG_TYPE_TRACEPOINT",
	unix.BPF_PROG_TYPE_XDP:                     "BPF_PROG_TYPE_XDP",
	unix.BPF_PROG_TYPE_PERF_EVENT:              "BPF_PROG_TYPE_PERF_EVENT",
	unix.BPF_PROG_TYPE_CGROUP_SKB:              "BPF_PROG_TYPE_CGROUP_SKB",
	unix.BPF_PROG_TYPE_CGROUP_SOCK:             "BPF_PROG_TYPE_CGROUP_SOCK",
	unix.BPF_PROG_TYPE_LWT_IN:                  "BPF_PROG_TYPE_LWT_IN",
	unix.BPF_PROG_TYPE_LWT_OUT:                 "BPF_PROG_TYPE_LWT_OUT",
	unix.BPF_PROG_TYPE_LWT_XMIT:                "BPF_PROG_TYPE_LWT_XMIT",
	unix.BPF_PROG_TYPE_SOCK_OPS:                "BPF_PROG_TYPE_SOCK_OPS",
	unix.BPF_PROG_TYPE_SK_SKB:                  "BPF_PROG_TYPE_SK_SKB",
	unix.BPF_PROG_TYPE_CGROUP_DEVICE:           "BPF_PROG_TYPE_CGROUP_DEVICE",
	unix.BPF_PROG_TYPE_SK_MSG:                  "BPF_PROG_TYPE_SK_MSG",
	unix.BPF_PROG_TYPE_RAW_TRACEPOINT:          "BPF_PROG_TYPE_RAW_TRACEPOINT",
	unix.BPF_PROG_TYPE_CGROUP_SOCK_ADDR:        "BPF_PROG_TYPE_CGROUP_SOCK_ADDR",
	unix.BPF_PROG_TYPE_LWT_SEG6LOCAL:           "BPF_PROG_TYPE_LWT_SEG6LOCAL",
	unix.BPF_PROG_TYPE_LIRC_MODE2:              "BPF_PROG_TYPE_LIRC_MODE2",
	unix.BPF_PROG_TYPE_SK_REUSEPORT:            "BPF_PROG_TYPE_SK_REUSEPORT",
	unix.BPF_PROG_TYPE_FLOW_DISSECTOR:          "BPF_PROG_TYPE_FLOW_DISSECTOR",
	unix.BPF_PROG_TYPE_CGROUP_SYSCTL:           "BPF_PROG_TYPE_CGROUP_SYSCTL",
	unix.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE: "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
	unix.BPF_PROG_TYPE_CGROUP_SOCKOPT:          "BPF_PROG_TYPE_CGROUP_SOCKOPT",
	unix.BPF_PROG_TYPE_TRACING:                 "BPF_PROG_TYPE_TRACING",
	unix.BPF_PROG_TYPE_STRUCT_OPS:              "BPF_PROG_TYPE_STRUCT_OPS",
	unix.BPF_PROG_TYPE_EXT:                     "BPF_PROG_TYPE_EXT",
	unix.BPF_PROG_TYPE_LSM:                     "BPF_PROG_TYPE_LSM",
	unix.BPF_PROG_TYPE_SK_LOOKUP:               "BPF_PROG_TYPE_SK_LOOKUP",
	unix.BPF_PROG_TYPE_SYSCALL:                 "BPF_PROG_TYPE_SYSCALL",
	unix.BPF_PROG_TYPE_NETFILTER:               "BPF_PROG_TYPE_NETFILTER",
}

// unixAttachTypes are the attach types x/sys names.
var unixAttachTypes = map[uint32]string{
	unix.BPF_CGROUP_INET_INGRESS:            "BPF_CGROUP_INET_INGRESS",
	unix.BPF_CGROUP_INET_EGRESS:             "BPF_CGROUP_INET_EGRESS",
	unix.BPF_CGROUP_INET_SOCK_CREATE:        "BPF_CGROUP_INET_SOCK_CREATE",
	unix.BPF_CGROUP_SOCK_OPS:                "BPF_CGROUP_SOCK_OPS",
	unix.BPF_SK_SKB_STREAM_PARSER:           "BPF_SK_SKB_STREAM_PARSER",
	unix.BPF_SK_SKB_STREAM_VERDICT:          "BPF_SK_SKB_STREAM_VERDICT",
	unix.BPF_CGROUP_DEVICE:                  "BPF_CGROUP_DEVICE",
	unix.BPF_SK_MSG_VERDICT:                 "BPF_SK_MSG_VERDICT",
	unix.BPF_CGROUP_INET4_BIND:              "BPF_CGROUP_INET4_BIND",
	unix.BPF_CGROUP_INET6_BIND:              "BPF_CGROUP_INET6_BIND",
	unix.BPF_CGROUP_INET4_CONNECT:           "BPF_CGROUP_INET4_CONNECT",
	unix.BPF_CGROUP_INET6_CONNECT:           "BPF_CGROUP_INET6_CONNECT",
	unix.BPF_CGROUP_INET4_POST_BIND:         "BPF_CGROUP_INET4_POST_BIND",
	unix.BPF_CGROUP_INET6_POST_BIND:         "BPF_CGROUP_INET6_POST_BIND",
	unix.BPF_CGROUP_UDP4_SENDMSG:            "BPF_CGROUP_UDP4_SENDMSG",
	unix.BPF_CGROUP_UDP6_SENDMSG:            "BPF_CGROUP_UDP6_SENDMSG",
	unix.BPF_LIRC_MODE2:                     "BPF_LIRC_MODE2",
	unix.BPF_FLOW_DISSECTOR:                 "BPF_FLOW_DISSECTOR",
	unix.BPF_CGROUP_SYSCTL:                  "BPF_CGROUP_SYSCTL",
	unix.BPF_CGROUP_UDP4_RECVMSG:            "BPF_CGROUP_UDP4_RECVMSG",
	unix.BPF_CGROUP_UDP6_RECVMSG:            "BPF_CGROUP_UDP6_RECVMSG",
	unix.BPF_CGROUP_GETSOCKOPT:              "BPF_CGROUP_GETSOCKOPT",
	unix.BPF_CGROUP_SETSOCKOPT:              "BPF_CGROUP_SETSOCKOPT",
	unix.BPF_TRACE_RAW_TP:                   "BPF_TRACE_RAW_TP",
	unix.BPF_TRACE_FENTRY:                   "BPF_TRACE_FENTRY",
	unix.BPF_TRACE_FEXIT:                    "BPF_TRACE_FEXIT",
	unix.BPF_MODIFY_RETURN:                  "BPF_MODIFY_RETURN",
	unix.BPF_LSM_MAC:                        "BPF_LSM_MAC",
	unix.BPF_TRACE_ITER:                     "BPF_TRACE_ITER",
	unix.BPF_CGROUP_INET4_GETPEERNAME:       "BPF_CGROUP_INET4_GETPEERNAME",
	unix.BPF_CGROUP_INET6_GETPEERNAME:       "BPF_CGROUP_INET6_GETPEERNAME",
	unix.BPF_CGROUP_INET4_GETSOCKNAME:       "BPF_CGROUP_INET4_GETSOCKNAME",
	unix.BPF_CGROUP_INET6_GETSOCKNAME:       "BPF_CGROUP_INET6_GETSOCKNAME",
	unix.BPF_XDP_DEVMAP:                     "BPF_XDP_DEVMAP",
	unix.BPF_CGROUP_INET_SOCK_RELEASE:       "BPF_CGROUP_INET_SOCK_RELEASE",
	unix.BPF_XDP_CPUMAP:                     "BPF_XDP_CPUMAP",
	unix.BPF_SK_LOOKUP:                      "BPF_SK_LOOKUP",
	unix.BPF_XDP:                            "BPF_XDP",
	unix.BPF_SK_SKB_VERDICT:                 "BPF_SK_SKB_VERDICT",
	unix.BPF_SK_REUSEPORT_SELECT:            "BPF_SK_REUSEPORT_SELECT",
	unix.BPF_SK_REUSEPORT_SELECT_OR_MIGRATE: "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE",
	unix.BPF_PERF_EVENT:                     "BPF_PERF_EVENT",
	unix.BPF_TRACE_KPROBE_MULTI:             "BPF_TRACE_KPROBE_MULTI",
	unix.BPF_LSM_CGROUP:                     "BPF_LSM_CGROUP",
	unix.BPF_STRUCT_OPS:                     "BPF_STRUCT_OPS",
	unix.BPF_NETFILTER:                      "BPF_NETFILTER",
	unix.BPF_TCX_INGRESS:                    "BPF_TCX_INGRESS",
	unix.BPF_TCX_EGRESS:                     "BPF_TCX_EGRESS",
	unix.BPF_TRACE_UPROBE_MULTI:             "BPF_TRACE_UPROBE_MULTI",
}

// unixMapTypes are the map types x/sys names (BPF_MAP_TYPE_CGROUP_STORAGE
// rather than its alias BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED).
var unixMapTypes = map[uint32]string{
	unix.BPF_MAP_TYPE_UNSPEC:                "BPF_MAP_TYPE_UNSPEC",
	unix.BPF_MAP_TYPE_HASH:                  "BPF_MAP_TYPE_HASH",
	unix.BPF_MAP_TYPE_ARRAY:                 "BPF_MAP_TYPE_ARRAY",
	unix.BPF_MAP_TYPE_PROG_ARRAY:            "BPF_MAP_TYPE_PROG_ARRAY",
	unix.BPF_MAP_TYPE_PERF_EVENT_ARRAY:      "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
	unix.BPF_MAP_TYPE_PERCPU_HASH:           "BPF_MAP_TYPE_PERCPU_HASH",
	unix.BPF_MAP_TYPE_PERCPU_ARRAY:          "BPF_MAP_TYPE_PERCPU_ARRAY",
	unix.BPF_MAP_TYPE_STACK_TRACE:           "BPF_MAP_TYPE_STACK_TRACE",
	unix.BPF_MAP_TYPE_CGROUP_ARRAY:          "BPF_MAP_TYPE_CGROUP_ARRAY",
	unix.BPF_MAP_TYPE_LRU_HASH:              "BPF_MAP_TYPE_LRU_HASH",
	unix.BPF_MAP_TYPE_LRU_PERCPU_HASH:       "BPF_MAP_TYPE_LRU_PERCPU_HASH",
	unix.BPF_MAP_TYPE_LPM_TRIE:              "BPF_MAP_TYPE_LPM_TRIE",
	unix.BPF_MAP_TYPE_ARRAY_OF_MAPS:         "BPF_MAP_TYPE_ARRAY_OF_MAPS",
	unix.BPF_MAP_TYPE_HASH_OF_MAPS:          "BPF_MAP_TYPE_HASH_OF_MAPS",
	unix.BPF_MAP_TYPE_DEVMAP:                "BPF_MAP_TYPE_DEVMAP",
	unix.BPF_MAP_TYPE_SOCKMAP:               "BPF_MAP_TYPE_SOCKMAP",
	unix.BPF_MAP_TYPE_CPUMAP:                "BPF_MAP_TYPE_CPUMAP",
	unix.BPF_MAP_TYPE_XSKMAP:                "BPF_MAP_TYPE_XSKMAP",
	unix.BPF_MAP_TYPE_SOCKHASH:              "BPF_MAP_TYPE_SOCKHASH",
	unix.BPF_MAP_TYPE_CGROUP_STORAGE:        "BPF_MAP_TYPE_CGROUP_STORAGE",
	unix.BPF_MAP_TYPE_REUSEPORT_SOCKARRAY:   "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY",
	unix.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE",
	unix.BPF_MAP_TYPE_QUEUE:                 "BPF_MAP_TYPE_QUEUE",
	unix.BPF_MAP_TYPE_STACK:                 "BPF_MAP_TYPE_STACK",
	unix.BPF_MAP_TYPE_SK_STORAGE:            "BPF_MAP_TYPE_SK_STORAGE",
	unix.BPF_MAP_TYPE_DEVMAP_HASH:           "BPF_MAP_TYPE_DEVMAP_HASH",
	unix.BPF_MAP_TYPE_STRUCT_OPS:            "BPF_MAP_TYPE_STRUCT_OPS",
	unix.BPF_MAP_TYPE_RINGBUF:               "BPF_MAP_TYPE_RINGBUF",
	unix.BPF_MAP_TYPE_INODE_STORAGE:         "BPF_MAP_TYPE_INODE_STORAGE",
	unix.BPF_MAP_TYPE_TASK_STORAGE:          "BPF_MAP_TYPE_TASK_STORAGE",
	unix.BPF_MAP_TYPE_BLOOM_FILTER:          "BPF_MAP_TYPE_BLOOM_FILTER",
	unix.BPF_MAP_TYPE_USER_RINGBUF:          "BPF_MAP_TYPE_USER_RINGBUF",
	unix.BPF_MAP_TYPE_CGRP_STORAGE:          "BPF_MAP_TYPE_CGRP_STORAGE",
}

// unixMapFlags are the BPF_MAP_CREATE flags x/sys names, by bit.
var unixMapFlags = map[uint32]string{
	unix.BPF_F_NO_PREALLOC:    "BPF_F_NO_PREALLOC",
	unix.BPF_F_NO_COMMON_LRU:  "BPF_F_NO_COMMON_LRU",
	unix.BPF_F_NUMA_NODE:      "BPF_F_NUMA_NODE",
	unix.BPF_F_RDONLY:         "BPF_F_RDONLY",
	unix.BPF_F_WRONLY:         "BPF_F_WRONLY",
	unix.BPF_F_STACK_BUILD_ID: "BPF_F_STACK_BUILD_ID",
	unix.BPF_F_ZERO_SEED:      "BPF_F_ZERO_SEED",
	unix.BPF_F_RDONLY_PROG:    "BPF_F_RDONLY_PROG",
	unix.BPF_F_WRONLY_PROG:    "BPF_F_WRONLY_PROG",
	unix.BPF_F_CLONE:          "BPF_F_CLONE",
	unix.BPF_F_MMAPABLE:       "BPF_F_MMAPABLE",
	unix.BPF_F_PRESERVE_ELEMS: "BPF_F_PRESERVE_ELEMS",
	unix.BPF_F_INNER_MAP:      "BPF_F_INNER_MAP",
	unix.BPF_F_LINK:           "BPF_F_LINK",
	unix.BPF_F_PATH_FD:        "BPF_F_PATH_FD",
}

// kernelMapFlags are the BPF_MAP_CREATE flags of newer kernels that x/sys
// does not name yet (uapi/linux/bpf.h).
var kernelMapFlags = map[uint32]string{
	1 << 15: "BPF_F_VTYPE_BTF_OBJ_FD",
	1 << 16: "BPF_F_TOKEN_FD",
	1 << 17: "BPF_F_SEGV_ON_FAULT",
	1 << 18: "BPF_F_NO_USER_CONV",
}
