// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * minimal: the demo object. Every getpid() of the process filter_pid (or of
 * any process when filter_pid is 0) increments the .bss counter `calls` and
 * the entry of `counts` keyed by the caller's process id (tgid).
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Process id to count; 0 counts every process. */
const volatile __u32 filter_pid = 0;

/* Number of matching getpid() calls seen. */
__u64 calls = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);   /* tgid */
	__type(value, __u64); /* getpid() calls */
} counts SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int handle_getpid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	__u64 one = 1, *v;

	if (filter_pid && pid != filter_pid)
		return 0;

	__sync_fetch_and_add(&calls, 1);
	v = bpf_map_lookup_elem(&counts, &pid);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&counts, &pid, &one, BPF_NOEXIST);
	return 0;
}
