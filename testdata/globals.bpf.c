// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * globals: every kind of global data section. The syscall program
 * read_globals copies the read-only values into .bss (out_*), adds 1 to
 * data_var and to custom_data, and counts its runs in `runs`.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct config {
	__u32 a;
	__u64 b;
	char name[8];
};

enum color {
	COLOR_RED = 1,
	COLOR_GREEN = 2,
	COLOR_BLUE = 4,
};

struct bits {
	__u32 x : 3;
	__u32 y : 5;
	__u32 z : 24;
};

struct nested {
	__u32 kind;
	union {
		__u32 word;
		struct {
			__u16 lo;
			__u16 hi;
		} half;
	} u;
};

/* .rodata */
const volatile struct config cfg = {
	.a = 7,
	.b = 0x1122334455667788ULL,
	.name = "bpfgen",
};
const volatile __u32 ro_arr[4] = { 1, 2, 3, 4 };
const volatile enum color ro_color = COLOR_GREEN;
const volatile struct bits ro_bits = { .x = 5, .y = 17, .z = 0xabcdef };
const volatile struct nested ro_nested = {
	.kind = 3,
	.u.half = { .lo = 0x1234, .hi = 0x5678 },
};

/* .data */
__u64 data_var = 42;
__u32 data_arr[2] = { 100, 200 };

/* .data.custom and .rodata.custom */
__u64 custom_data SEC(".data.custom") = 0xdeadbeef;
const volatile __u32 custom_ro SEC(".rodata.custom") = 0xcafe;

/* .bss */
__u32 out_a = 0;
__u64 out_b = 0;
char out_name[8] = {};
__u32 out_arr_sum = 0;
__u32 out_color = 0;
__u32 out_bits_x = 0, out_bits_y = 0, out_bits_z = 0;
__u32 out_nested_kind = 0, out_nested_word = 0;
__u64 out_data_var = 0;
__u32 out_data_arr_sum = 0;
__u64 out_custom_data = 0;
__u32 out_custom_ro = 0;
__u64 runs = 0;

SEC("syscall")
int read_globals(void *ctx)
{
	int i;

	out_a = cfg.a;
	out_b = cfg.b;
	for (i = 0; i < 8; i++)
		out_name[i] = cfg.name[i];
	out_arr_sum = ro_arr[0] + ro_arr[1] + ro_arr[2] + ro_arr[3];
	out_color = ro_color;
	out_bits_x = ro_bits.x;
	out_bits_y = ro_bits.y;
	out_bits_z = ro_bits.z;
	out_nested_kind = ro_nested.kind;
	out_nested_word = ro_nested.u.word;
	out_data_var = data_var;
	data_var += 1;
	out_data_arr_sum = data_arr[0] + data_arr[1];
	out_custom_data = custom_data;
	custom_data += 1;
	out_custom_ro = custom_ro;
	runs += 1;
	return 0;
}
