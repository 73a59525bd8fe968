// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * verifier_reject: INTENDED FAILURE. The ELF is valid and opens cleanly, but
 * the verifier rejects the program with EACCES: it reads 8 bytes at offset
 * 16 of an 8-byte map value. The verifier log names the access ("invalid
 * access to map value, value_size=8 off=16 size=8").
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} small SEC(".maps");

SEC("syscall")
int out_of_bounds(void *ctx)
{
	__u32 zero = 0;
	__u64 *v = bpf_map_lookup_elem(&small, &zero);

	if (!v)
		return 0;
	return v[2];
}
