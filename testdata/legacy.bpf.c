// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * legacy: a map defined the pre-BTF way, as a struct bpf_map_def in
 * SEC("maps") (libbpf 1.0 stopped accepting these; older objects still have
 * them). The syscall program bump_legacy adds 5 to legacy_counts[1] each
 * run and records runs in .bss.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* The layout libbpf's struct bpf_map_def had. */
struct legacy_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct legacy_map_def legacy_counts SEC("maps") = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 4,
};

__u64 runs = 0;

SEC("syscall")
int bump_legacy(void *ctx)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&legacy_counts, &key);

	if (v)
		__sync_fetch_and_add(v, 5);
	runs++;
	return 0;
}
