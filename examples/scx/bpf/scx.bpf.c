/* A minimal sched_ext scheduler: one global FIFO. Every runnable task goes
 * to the global dispatch queue with the default slice, where each CPU takes
 * the oldest. Counters show the Go side that it schedules its tasks. */
#include "common.h"
#include "sched_ext.h"

char LICENSE[] SEC("license") = "GPL";

extern void scx_bpf_dsq_insert(struct task_struct *p, u64 dsq_id, u64 slice, u64 enq_flags) __ksym;

/* The process whose tasks are counted, set from Go before load. */
const volatile __u32 target_tgid;

__u64 enqueued;    /* tasks queued, all processes */
__u64 target_runs; /* times a task of target_tgid started running */
__u64 inits;       /* scheduler inits */
__u64 exits;       /* scheduler exits */

SEC("struct_ops/fifo_enqueue")
void BPF_PROG(fifo_enqueue, struct task_struct *p, u64 enq_flags)
{
	__sync_fetch_and_add(&enqueued, 1);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SEC("struct_ops/fifo_running")
void BPF_PROG(fifo_running, struct task_struct *p)
{
	if (p->tgid == target_tgid)
		__sync_fetch_and_add(&target_runs, 1);
}

/* init may sleep (struct_ops.s). */
SEC("struct_ops.s/fifo_init")
s32 BPF_PROG(fifo_init)
{
	__sync_fetch_and_add(&inits, 1);
	return 0;
}

SEC("struct_ops/fifo_exit")
void BPF_PROG(fifo_exit, struct scx_exit_info *ei)
{
	__sync_fetch_and_add(&exits, 1);
}

SEC(".struct_ops.link")
struct sched_ext_ops bpfgen_fifo = {
	.enqueue = (void *)fifo_enqueue,
	.running = (void *)fifo_running,
	.init = (void *)fifo_init,
	.exit = (void *)fifo_exit,
	.timeout_ms = 5000,
	.name = "bpfgen_fifo",
};
