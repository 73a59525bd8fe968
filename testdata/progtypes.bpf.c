// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * progtypes: one program per section kind that loads on the reference
 * kernel. Each program bumps its own .bss counter (<name>_runs) and returns
 * a fixed value:
 *
 *   xdp_prog      SEC("xdp")                  returns XDP_PASS (2)
 *   tc_prog       SEC("tc")                   returns TC_ACT_OK (0)
 *   cgskb_prog    SEC("cgroup_skb/ingress")   returns 1 (allow)
 *   socket_prog   SEC("socket")               returns 0 (keep 0 bytes of the packet)
 *   tpbtf_prog    SEC("tp_btf/sched_switch")  returns 0
 *   rawtp_prog    SEC("raw_tp/sys_exit")      returns 0
 *   perf_prog     SEC("perf_event")           returns 0
 *   uprobe_prog   SEC("uprobe")               returns 0
 *   uprobe_s_prog SEC("uprobe.s")             sleepable, returns 0
 *   syscall_prog  SEC("syscall")              sleepable, returns 42
 *   not_autoload  SEC("?tp/syscalls/sys_enter_getppid") not loaded by default
 *
 * xdp_prog, tc_prog, cgskb_prog, socket_prog and syscall_prog can be run
 * with BPF_PROG_TEST_RUN (the skb ones need a packet of >= 14 bytes).
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 xdp_runs = 0;
__u64 tc_runs = 0;
__u64 cgskb_runs = 0;
__u64 socket_runs = 0;
__u64 tpbtf_runs = 0;
__u64 rawtp_runs = 0;
__u64 perf_runs = 0;
__u64 uprobe_runs = 0;
__u64 uprobe_s_runs = 0;
__u64 syscall_runs = 0;
__u64 not_autoload_runs = 0;

SEC("xdp")
int xdp_prog(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&xdp_runs, 1);
	return XDP_PASS;
}

SEC("tc")
int tc_prog(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&tc_runs, 1);
	return 0; /* TC_ACT_OK */
}

SEC("cgroup_skb/ingress")
int cgskb_prog(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&cgskb_runs, 1);
	return 1;
}

SEC("socket")
int socket_prog(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&socket_runs, 1);
	return 0;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(tpbtf_prog, bool preempt, struct task_struct *prev, struct task_struct *next)
{
	__sync_fetch_and_add(&tpbtf_runs, 1);
	return 0;
}

SEC("raw_tp/sys_exit")
int rawtp_prog(struct bpf_raw_tracepoint_args *ctx)
{
	__sync_fetch_and_add(&rawtp_runs, 1);
	return 0;
}

SEC("perf_event")
int perf_prog(struct bpf_perf_event_data *ctx)
{
	__sync_fetch_and_add(&perf_runs, 1);
	return 0;
}

SEC("uprobe")
int uprobe_prog(struct pt_regs *ctx)
{
	__sync_fetch_and_add(&uprobe_runs, 1);
	return 0;
}

SEC("uprobe.s")
int uprobe_s_prog(struct pt_regs *ctx)
{
	__sync_fetch_and_add(&uprobe_s_runs, 1);
	return 0;
}

SEC("syscall")
int syscall_prog(void *ctx)
{
	__sync_fetch_and_add(&syscall_runs, 1);
	return 42;
}

SEC("?tp/syscalls/sys_enter_getppid")
int not_autoload(void *ctx)
{
	__sync_fetch_and_add(&not_autoload_runs, 1);
	return 0;
}
