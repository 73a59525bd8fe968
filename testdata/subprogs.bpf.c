// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * subprogs: sub-programs in .text shared by two programs, one calling
 * another, plus bpf_loop and bpf_for_each_map_elem callbacks.
 *
 *   prog_a: res_a = sum_squares(3, 4) + global_add(1, 2)   = 28, returns 28
 *   prog_b: res_b = sum_squares(5, 12) + global_add(10, 20) = 199, returns 199
 *   callbacks: loop_sum = sum of square(i) for i in 0..9 (bpf_loop) = 285,
 *              loop_iters = 10; fills vals[i] = (i+1)*10 for i in 0..3 and
 *              sums them with bpf_for_each_map_elem: each_sum = 100,
 *              each_count = 4; returns 0.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 res_a = 0;
__u64 res_b = 0;
__u64 loop_sum = 0;
__u64 loop_iters = 0;
__u64 each_sum = 0;
__u64 each_count = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} vals SEC(".maps");

/* Static sub-programs. */
static __noinline __u64 square(__u64 x)
{
	return x * x;
}

static __noinline __u64 sum_squares(__u64 a, __u64 b)
{
	return square(a) + square(b);
}

/* A global sub-program: the verifier checks it on its own. */
__noinline int global_add(int a, int b)
{
	return a + b;
}

SEC("syscall")
int prog_a(void *ctx)
{
	res_a = sum_squares(3, 4) + global_add(1, 2);
	return res_a;
}

SEC("syscall")
int prog_b(void *ctx)
{
	res_b = sum_squares(5, 12) + global_add(10, 20);
	return res_b;
}

struct loop_ctx {
	__u64 sum;
	__u64 iters;
};

static int loop_cb(__u32 idx, void *data)
{
	struct loop_ctx *c = data;

	c->sum += square(idx);
	c->iters++;
	return 0;
}

struct each_ctx {
	__u64 sum;
	__u64 count;
};

static __u64 each_cb(struct bpf_map *map, __u32 *key, __u64 *val, struct each_ctx *c)
{
	c->sum += *val;
	c->count++;
	return 0;
}

static __always_inline void set_val(__u32 key, __u64 val)
{
	bpf_map_update_elem(&vals, &key, &val, BPF_ANY);
}

SEC("syscall")
int callbacks(void *ctx)
{
	struct loop_ctx lc = {};
	struct each_ctx ec = {};

	bpf_loop(10, loop_cb, &lc, 0);
	loop_sum = lc.sum;
	loop_iters = lc.iters;

	set_val(0, 10);
	set_val(1, 20);
	set_val(2, 30);
	set_val(3, 40);
	bpf_for_each_map_elem(&vals, each_cb, &ec, 0);
	each_sum = ec.sum;
	each_count = ec.count;
	return 0;
}
