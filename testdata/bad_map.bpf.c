// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bad_map: INTENDED FAILURE. The hash map `no_entries` has max_entries 0,
 * which BPF_MAP_CREATE refuses with EINVAL; nothing is loaded. The
 * program itself is fine.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 0);
	__type(key, __u32);
	__type(value, __u64);
} no_entries SEC(".maps");

SEC("syscall")
int uses_bad_map(void *ctx)
{
	__u32 key = 0;
	__u64 one = 1;

	bpf_map_update_elem(&no_entries, &key, &one, BPF_ANY);
	return 0;
}
