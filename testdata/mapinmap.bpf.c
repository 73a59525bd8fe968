// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mapinmap: maps of maps and a program array, all with initial slots.
 *
 *   outer_arr  (array of maps, 4 slots):  [0] = inner1, [2] = inner2
 *   outer_hash (hash of maps, 4 entries): key 1 = inner2
 *   outer_empty (array of maps, no initial slots, inline inner definition)
 *   jmp_table  (program array, 4 slots): [0] = tail_a
 *
 * XDP programs, run with BPF_PROG_TEST_RUN on any packet of >= 14 bytes:
 *
 *   mim_lookup: through outer_arr[0] stores 111 in inner1[0], through
 *     outer_arr[2] stores 222 in inner2[0]; then sets bits in mim_found:
 *     1 = outer_arr[0] present, 2 = outer_arr[1] present (must stay clear),
 *     4 = outer_arr[2] present, 8 = outer_hash[1] present,
 *     16 = outer_empty[0] present (must stay clear)
 *     so mim_found = 1|4|8 = 13; hash_inner_val = value read through
 *     outer_hash[1] (the same map as inner2, so 222). Returns XDP_PASS.
 *   tail_entry: path |= 1, tail calls jmp_table[tail_slot] (tail_slot in
 *     .bss, 0 by default). If the slot holds tail_a: tail_a does
 *     path |= 2 and returns XDP_DROP (1); path ends as 3. If the slot is
 *     empty the call falls through: path |= 4, returns XDP_PASS (2).
 *     Each run bumps entry_runs; tail_a bumps tail_runs.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner inner1 SEC(".maps");
struct inner inner2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_arr SEC(".maps") = {
	.values = { [0] = &inner1, [2] = &inner2 },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} outer_hash SEC(".maps") = {
	.values = { [1] = &inner2 },
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_HASH);
		__uint(max_entries, 8);
		__type(key, __u32);
		__type(value, __u32);
	});
} outer_empty SEC(".maps");

int tail_a(struct xdp_md *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, int(struct xdp_md *));
} jmp_table SEC(".maps") = {
	.values = { [0] = (void *)&tail_a },
};

__u32 mim_found = 0;
__u64 hash_inner_val = 0;
__u32 tail_slot = 0;
__u32 path = 0;
__u64 entry_runs = 0;
__u64 tail_runs = 0;

static void store(void *inner, __u64 val)
{
	__u32 zero = 0;

	bpf_map_update_elem(inner, &zero, &val, BPF_ANY);
}

SEC("xdp")
int mim_lookup(struct xdp_md *ctx)
{
	__u32 k0 = 0, k1 = 1, k2 = 2, found = 0;
	__u64 *v;
	void *m;

	m = bpf_map_lookup_elem(&outer_arr, &k0);
	if (m) {
		found |= 1;
		store(m, 111);
	}
	m = bpf_map_lookup_elem(&outer_arr, &k1);
	if (m)
		found |= 2;
	m = bpf_map_lookup_elem(&outer_arr, &k2);
	if (m) {
		found |= 4;
		store(m, 222);
	}
	m = bpf_map_lookup_elem(&outer_hash, &k1);
	if (m) {
		found |= 8;
		v = bpf_map_lookup_elem(m, &k0);
		if (v)
			hash_inner_val = *v;
	}
	m = bpf_map_lookup_elem(&outer_empty, &k0);
	if (m)
		found |= 16;
	mim_found = found;
	return XDP_PASS;
}

SEC("xdp")
int tail_a(struct xdp_md *ctx)
{
	path |= 2;
	tail_runs++;
	return XDP_DROP;
}

SEC("xdp")
int tail_entry(struct xdp_md *ctx)
{
	path = 1;
	entry_runs++;
	bpf_tail_call(ctx, &jmp_table, tail_slot);
	path |= 4;
	return XDP_PASS;
}
