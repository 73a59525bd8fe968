package skeleton

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/bpfgen/bpfgen/lskel/abi"
	"github.com/bpfgen/bpfgen/object"
)

// Symbolic constants in the generated code.
//
// The generated file names program types, attach types, map types and map
// flags by their golang.org/x/sys/unix constants. The tables below list
// the constants the x/sys version in go.mod has (a user of the generated
// code has at least this x/sys: go.mod requires it), keyed by their
// values in uapi/linux/bpf.h: x/sys defines them on Linux only, and the
// generator runs, and writes the same file, on every platform.
// TestUnixNames compiles every entry against x/sys. A value the kernel
// knows but x/sys does not is written as a number with a comment naming
// it; a value nobody knows, as a bare number.

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
	0:  "BPF_PROG_TYPE_UNSPEC",
	1:  "BPF_PROG_TYPE_SOCKET_FILTER",
	2:  "BPF_PROG_TYPE_KPROBE",
	3:  "BPF_PROG_TYPE_SCHED_CLS",
	4:  "BPF_PROG_TYPE_SCHED_ACT",
	5:  "BPF_PROG_TYPE_TRACEPOINT",
	6:  "BPF_PROG_TYPE_XDP",
	7:  "BPF_PROG_TYPE_PERF_EVENT",
	8:  "BPF_PROG_TYPE_CGROUP_SKB",
	9:  "BPF_PROG_TYPE_CGROUP_SOCK",
	10: "BPF_PROG_TYPE_LWT_IN",
	11: "BPF_PROG_TYPE_LWT_OUT",
	12: "BPF_PROG_TYPE_LWT_XMIT",
	13: "BPF_PROG_TYPE_SOCK_OPS",
	14: "BPF_PROG_TYPE_SK_SKB",
	15: "BPF_PROG_TYPE_CGROUP_DEVICE",
	16: "BPF_PROG_TYPE_SK_MSG",
	17: "BPF_PROG_TYPE_RAW_TRACEPOINT",
	18: "BPF_PROG_TYPE_CGROUP_SOCK_ADDR",
	19: "BPF_PROG_TYPE_LWT_SEG6LOCAL",
	20: "BPF_PROG_TYPE_LIRC_MODE2",
	21: "BPF_PROG_TYPE_SK_REUSEPORT",
	22: "BPF_PROG_TYPE_FLOW_DISSECTOR",
	23: "BPF_PROG_TYPE_CGROUP_SYSCTL",
	24: "BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE",
	25: "BPF_PROG_TYPE_CGROUP_SOCKOPT",
	26: "BPF_PROG_TYPE_TRACING",
	27: "BPF_PROG_TYPE_STRUCT_OPS",
	28: "BPF_PROG_TYPE_EXT",
	29: "BPF_PROG_TYPE_LSM",
	30: "BPF_PROG_TYPE_SK_LOOKUP",
	31: "BPF_PROG_TYPE_SYSCALL",
	32: "BPF_PROG_TYPE_NETFILTER",
}

// unixAttachTypes are the attach types x/sys names.
var unixAttachTypes = map[uint32]string{
	0:  "BPF_CGROUP_INET_INGRESS",
	1:  "BPF_CGROUP_INET_EGRESS",
	2:  "BPF_CGROUP_INET_SOCK_CREATE",
	3:  "BPF_CGROUP_SOCK_OPS",
	4:  "BPF_SK_SKB_STREAM_PARSER",
	5:  "BPF_SK_SKB_STREAM_VERDICT",
	6:  "BPF_CGROUP_DEVICE",
	7:  "BPF_SK_MSG_VERDICT",
	8:  "BPF_CGROUP_INET4_BIND",
	9:  "BPF_CGROUP_INET6_BIND",
	10: "BPF_CGROUP_INET4_CONNECT",
	11: "BPF_CGROUP_INET6_CONNECT",
	12: "BPF_CGROUP_INET4_POST_BIND",
	13: "BPF_CGROUP_INET6_POST_BIND",
	14: "BPF_CGROUP_UDP4_SENDMSG",
	15: "BPF_CGROUP_UDP6_SENDMSG",
	16: "BPF_LIRC_MODE2",
	17: "BPF_FLOW_DISSECTOR",
	18: "BPF_CGROUP_SYSCTL",
	19: "BPF_CGROUP_UDP4_RECVMSG",
	20: "BPF_CGROUP_UDP6_RECVMSG",
	21: "BPF_CGROUP_GETSOCKOPT",
	22: "BPF_CGROUP_SETSOCKOPT",
	23: "BPF_TRACE_RAW_TP",
	24: "BPF_TRACE_FENTRY",
	25: "BPF_TRACE_FEXIT",
	26: "BPF_MODIFY_RETURN",
	27: "BPF_LSM_MAC",
	28: "BPF_TRACE_ITER",
	29: "BPF_CGROUP_INET4_GETPEERNAME",
	30: "BPF_CGROUP_INET6_GETPEERNAME",
	31: "BPF_CGROUP_INET4_GETSOCKNAME",
	32: "BPF_CGROUP_INET6_GETSOCKNAME",
	33: "BPF_XDP_DEVMAP",
	34: "BPF_CGROUP_INET_SOCK_RELEASE",
	35: "BPF_XDP_CPUMAP",
	36: "BPF_SK_LOOKUP",
	37: "BPF_XDP",
	38: "BPF_SK_SKB_VERDICT",
	39: "BPF_SK_REUSEPORT_SELECT",
	40: "BPF_SK_REUSEPORT_SELECT_OR_MIGRATE",
	41: "BPF_PERF_EVENT",
	42: "BPF_TRACE_KPROBE_MULTI",
	43: "BPF_LSM_CGROUP",
	44: "BPF_STRUCT_OPS",
	45: "BPF_NETFILTER",
	46: "BPF_TCX_INGRESS",
	47: "BPF_TCX_EGRESS",
	48: "BPF_TRACE_UPROBE_MULTI",
}

// unixMapTypes are the map types x/sys names (BPF_MAP_TYPE_CGROUP_STORAGE
// rather than its alias BPF_MAP_TYPE_CGROUP_STORAGE_DEPRECATED).
var unixMapTypes = map[uint32]string{
	0:  "BPF_MAP_TYPE_UNSPEC",
	1:  "BPF_MAP_TYPE_HASH",
	2:  "BPF_MAP_TYPE_ARRAY",
	3:  "BPF_MAP_TYPE_PROG_ARRAY",
	4:  "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
	5:  "BPF_MAP_TYPE_PERCPU_HASH",
	6:  "BPF_MAP_TYPE_PERCPU_ARRAY",
	7:  "BPF_MAP_TYPE_STACK_TRACE",
	8:  "BPF_MAP_TYPE_CGROUP_ARRAY",
	9:  "BPF_MAP_TYPE_LRU_HASH",
	10: "BPF_MAP_TYPE_LRU_PERCPU_HASH",
	11: "BPF_MAP_TYPE_LPM_TRIE",
	12: "BPF_MAP_TYPE_ARRAY_OF_MAPS",
	13: "BPF_MAP_TYPE_HASH_OF_MAPS",
	14: "BPF_MAP_TYPE_DEVMAP",
	15: "BPF_MAP_TYPE_SOCKMAP",
	16: "BPF_MAP_TYPE_CPUMAP",
	17: "BPF_MAP_TYPE_XSKMAP",
	18: "BPF_MAP_TYPE_SOCKHASH",
	19: "BPF_MAP_TYPE_CGROUP_STORAGE",
	20: "BPF_MAP_TYPE_REUSEPORT_SOCKARRAY",
	21: "BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE",
	22: "BPF_MAP_TYPE_QUEUE",
	23: "BPF_MAP_TYPE_STACK",
	24: "BPF_MAP_TYPE_SK_STORAGE",
	25: "BPF_MAP_TYPE_DEVMAP_HASH",
	26: "BPF_MAP_TYPE_STRUCT_OPS",
	27: "BPF_MAP_TYPE_RINGBUF",
	28: "BPF_MAP_TYPE_INODE_STORAGE",
	29: "BPF_MAP_TYPE_TASK_STORAGE",
	30: "BPF_MAP_TYPE_BLOOM_FILTER",
	31: "BPF_MAP_TYPE_USER_RINGBUF",
	32: "BPF_MAP_TYPE_CGRP_STORAGE",
}

// unixMapFlags are the BPF_MAP_CREATE flags x/sys names, by bit.
var unixMapFlags = map[uint32]string{
	1 << 0:  "BPF_F_NO_PREALLOC",
	1 << 1:  "BPF_F_NO_COMMON_LRU",
	1 << 2:  "BPF_F_NUMA_NODE",
	1 << 3:  "BPF_F_RDONLY",
	1 << 4:  "BPF_F_WRONLY",
	1 << 5:  "BPF_F_STACK_BUILD_ID",
	1 << 6:  "BPF_F_ZERO_SEED",
	1 << 7:  "BPF_F_RDONLY_PROG",
	1 << 8:  "BPF_F_WRONLY_PROG",
	1 << 9:  "BPF_F_CLONE",
	1 << 10: "BPF_F_MMAPABLE",
	1 << 11: "BPF_F_PRESERVE_ELEMS",
	1 << 12: "BPF_F_INNER_MAP",
	1 << 13: "BPF_F_LINK",
	1 << 14: "BPF_F_PATH_FD",
}

// kernelMapFlags are the BPF_MAP_CREATE flags of newer kernels that x/sys
// does not name yet (uapi/linux/bpf.h).
var kernelMapFlags = map[uint32]string{
	1 << 15: "BPF_F_VTYPE_BTF_OBJ_FD",
	1 << 16: "BPF_F_TOKEN_FD",
	1 << 17: "BPF_F_SEGV_ON_FAULT",
	1 << 18: "BPF_F_NO_USER_CONV",
}
