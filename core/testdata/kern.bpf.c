// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kern: CO-RE records of every kind against the real kernel's types, for
 * comparing user-space CO-RE with the kernel's own (both must give the
 * same translated instructions). It loads on the reference kernel (6.18).
 *
 * dump_task (iter/task) reads the iterated task directly: bitfields,
 * a u64 read through a local u32 field (the load is widened), fields
 * through anonymous unions, array elements, and a renamed field behind an
 * existence check (its read is poisoned, in dead code).
 *
 * kern_consts (syscall) records constants: field sizes, offsets,
 * signedness, bitfield shifts, type existence, size, ids and matches,
 * enumerators (a 64-bit one through ld_imm64, a missing one poisoned in
 * dead code).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Before 5.14, task_struct's state was "long state". */
struct task_struct___old {
	long state;
} __attribute__((preserve_access_index));

/* utime is a u64: read here through a u32, the load is widened. */
struct task_struct___narrow {
	unsigned int utime;
	int pid;
} __attribute__((preserve_access_index));

/* A struct whose fields sit in anonymous unions and structs. */
struct sk_buff___l {
	struct sk_buff *prev;
	unsigned long dev_scratch;
	unsigned int len;
} __attribute__((preserve_access_index));

struct list_head___bad {
	int next;
};

enum bpf_map_type___l {
	BPF_MAP_TYPE_RINGBUF___l = 1,
	BPF_MAP_TYPE_BPFGEN_NONE = 2,
};

__u64 out[32] = {};
__u64 runs = 0;

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct task_struct___old *old = (void *)task;
	struct task_struct___narrow *narrow = (void *)task;

	if (!task)
		return 0;
	out[0] = BPF_CORE_READ_BITFIELD(task, sched_reset_on_fork);
	out[1] = BPF_CORE_READ_BITFIELD(task, in_execve);
	out[2] = narrow->utime;
	out[3] = narrow->pid;
	out[4] = task->comm[3];
	if (bpf_core_field_exists(old->state))
		out[5] = old->state;
	else
		out[5] = task->__state;
	out[6] = task->real_parent ? 1 : 0;
	__sync_fetch_and_add(&runs, 1);
	return 0;
}

SEC("syscall")
int kern_consts(void *ctx)
{
	struct task_struct *t = 0;
	struct sk_buff___l *skb = 0;

	out[0] = bpf_core_field_offset(skb->prev) | bpf_core_field_offset(skb->dev_scratch) << 16 |
		 (__u64)bpf_core_field_offset(skb->len) << 32;
	out[1] = bpf_core_field_size(t->comm) | bpf_core_field_offset(t->comm[5]) << 16;
	out[2] = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED) |
		 __builtin_preserve_field_info(t->flags, BPF_FIELD_SIGNED) << 1;
	out[3] = __builtin_preserve_field_info(t->sched_reset_on_fork, BPF_FIELD_LSHIFT_U64) |
		 __builtin_preserve_field_info(t->sched_reset_on_fork, BPF_FIELD_RSHIFT_U64) << 8;
	out[4] = bpf_core_type_exists(struct task_struct) | bpf_core_type_exists(struct list_head___bad) << 1;
	out[5] = bpf_core_type_size(struct task_struct);
	out[6] = bpf_core_type_id_kernel(struct task_struct);
	out[7] = bpf_core_type_id_local(struct task_struct);
	out[8] = bpf_core_type_matches(struct list_head) | bpf_core_type_matches(struct list_head___bad) << 1 |
		 bpf_core_type_matches(pid_t) << 2;
	out[9] = bpf_core_enum_value(enum perf_callchain_context, PERF_CONTEXT_HV);
	out[10] = bpf_core_enum_value(enum bpf_map_type___l, BPF_MAP_TYPE_RINGBUF___l);
	if (bpf_core_enum_value_exists(enum bpf_map_type___l, BPF_MAP_TYPE_BPFGEN_NONE))
		out[11] = bpf_core_enum_value(enum bpf_map_type___l, BPF_MAP_TYPE_BPFGEN_NONE);
	out[12] = bpf_core_field_exists(((struct task_struct___old *)0)->state);
	runs++;
	return 0;
}
