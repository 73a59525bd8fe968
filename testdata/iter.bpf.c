// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * iter: a task iterator. Reading the iterator (BPF_LINK_CREATE +
 * BPF_ITER_CREATE, then read the fd) gives the header line
 * "tgid pid comm" followed by one line "<tgid> <pid> <comm>" per task
 * (thread), e.g. "1 1 init". Each task visited bumps `tasks` in .bss.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 tasks = 0;

SEC("iter/task")
int dump_task(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task)
		return 0;
	if (ctx->meta->seq_num == 0)
		BPF_SEQ_PRINTF(seq, "tgid pid comm\n");
	BPF_SEQ_PRINTF(seq, "%d %d %s\n", task->tgid, task->pid, task->comm);
	__sync_fetch_and_add(&tasks, 1);
	return 0;
}
