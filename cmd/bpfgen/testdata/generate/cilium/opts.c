//go:build ignore

// opts is the BPF side of TestCiliumOptions: a map pinned by name, a
// global variable the Go side sets and one it reads.
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;

struct {
	__uint(type, 2); // BPF_MAP_TYPE_ARRAY
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, 1); // LIBBPF_PIN_BY_NAME
} pinned_counts SEC(".maps");

volatile __u32 filter_pid = 0;
__u64 calls = 0;

SEC("tracepoint/syscalls/sys_enter_getpid")
int count_getpid(void *ctx)
{
	__u32 key = 0;
	__u64 *v;

	if ((bpf_get_current_pid_tgid() >> 32) != filter_pid)
		return 0;
	v = bpf_map_lookup_elem(&pinned_counts, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	calls++;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
