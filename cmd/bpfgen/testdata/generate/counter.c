//go:build ignore

// counter counts getpid calls of one process: the BPF side of the
// bpfgen generate tests. It needs no header, so that it compiles wherever
// clang does. The process is named before load (target_pid, read-only)
// or after it (filter_pid); -DPIN_BY_NAME pins the map by name.
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;

// event is not used by any map or variable: -type event declares it.
// clang keeps in BTF only the types something refers to, hence the
// unused declaration (bpf2go's examples do the same).
struct event {
	__u32 pid;
	__u32 flags;
	__u64 count;
};
const struct event *unused_event __attribute__((unused));

struct {
	__uint(type, 2); // BPF_MAP_TYPE_ARRAY
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
#ifdef PIN_BY_NAME
	__uint(pinning, 1); // LIBBPF_PIN_BY_NAME
#endif
} counts SEC(".maps");

const volatile __u32 target_pid = 0;
volatile __u32 filter_pid = 0;
__u64 calls = 0;

SEC("tracepoint/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
	__u32 key = 0;
	__u64 *v;

	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (pid != target_pid && pid != filter_pid)
		return 0;
	v = bpf_map_lookup_elem(&counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	calls++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
