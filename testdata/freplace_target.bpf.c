// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * freplace_target: the program whose global function freplace.bpf.o
 * replaces. Run call_replaceable (XDP, a >= 14-byte packet): it returns 2
 * (XDP_PASS) and stores replaceable(input) in result, input (.data) being
 * 41: result = 42 with the original function, 4100 once freplace's
 * new_replaceable replaces it.
 */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

__u32 input = 41;
__u32 result = 0;

__noinline int replaceable(int x)
{
	return x + 1;
}

SEC("xdp")
int call_replaceable(struct xdp_md *ctx)
{
	result = replaceable(input);
	return XDP_PASS;
}
