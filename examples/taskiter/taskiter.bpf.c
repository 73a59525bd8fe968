//go:build ignore

// taskiter lists the processes of the machine: a task iterator that
// writes one line "<pid> <ppid> <threads> <comm>" per process (thread
// group leader), skipping the other threads.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("iter/task")
int list_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;

	if (!task || task->pid != task->tgid)
		return 0;
	BPF_SEQ_PRINTF(seq, "%d %d %d %s\n", task->tgid, task->real_parent->tgid,
		       task->signal->nr_threads, task->comm);
	return 0;
}
