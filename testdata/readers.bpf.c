// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * readers: what the skeleton's typed readers, batches and typed test runs
 * are tested with.
 *
 *   handle_getpid (tp/syscalls/sys_enter_getpid): on each getpid() of the
 *     process filter_pid, fills last_event {pid, cpu, seq} (seq counts from
 *     1) and sends it to the ring buffer `events` and the perf event array
 *     `samples`. The skeleton is generated with the record type of both
 *     (bpfgen skeleton -record events=event -record samples=event).
 *   sum (syscall, for a typed test run): args->sum = a + b, totals[a] =
 *     args->sum; returns 1 when a > b, else 0.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct event {
	__u32 pid;
	__u32 cpu;
	__u64 seq;
};

struct sum_args {
	__u32 a;
	__u32 b;
	__u64 sum;
};

/* Process id whose getpid() calls make events. */
const volatile __u32 filter_pid = 0;

/* The last event sent (also what puts struct event into BTF). */
struct event last_event = {};
__u64 seq = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} samples SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} totals SEC(".maps");

SEC("tp/syscalls/sys_enter_getpid")
int handle_getpid(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct event *e;

	if (pid != filter_pid)
		return 0;
	last_event.pid = pid;
	last_event.cpu = bpf_get_smp_processor_id();
	last_event.seq = __sync_add_and_fetch(&seq, 1);
	bpf_perf_event_output(ctx, &samples, BPF_F_CURRENT_CPU, &last_event, sizeof(last_event));
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	*e = last_event;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

SEC("syscall")
int sum(struct sum_args *args)
{
	__u32 a = args->a;
	__u64 s = (__u64)a + args->b;

	args->sum = s;
	bpf_map_update_elem(&totals, &a, &s, BPF_ANY);
	return a > args->b;
}
