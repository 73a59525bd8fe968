// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pinned: maps shared between loads. Every getpid() of the process
 * filter_pid (0: nobody) increments pin_hits[0], a map pinned by name that
 * a second load takes instead of creating its own, and counts[tgid], a map
 * shaped like minimal's counts that a loader can be given (ReplaceMaps).
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Process id to count; 0 counts nothing. */
const volatile __u32 filter_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pin_hits SEC(".maps");

/* Same type, key, value and max_entries as minimal's counts. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* tgid */
	__type(value, __u64); /* getpid() calls */
} counts SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int count_pinned(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, zero = 0;
	__u64 one = 1, *v;

	if (!filter_pid || pid != filter_pid)
		return 0;

	v = bpf_map_lookup_elem(&pin_hits, &zero);
	if (v)
		__sync_fetch_and_add(v, 1);
	v = bpf_map_lookup_elem(&counts, &pid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	return 0;
}
