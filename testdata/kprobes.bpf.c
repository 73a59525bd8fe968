// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kprobes: kprobes whose sections name their function, attached by a
 * skeleton's Attach as libbpf auto-attaches them. Each program counts the
 * getpid(2) calls of the process target_pid (.rodata; 0 counts nothing).
 * Needs a kernel with kprobes (CONFIG_KPROBES).
 *
 *   ksyscall_getpid    SEC("ksyscall/getpid")             the syscall's entry
 *   kretsyscall_getpid SEC("kretsyscall/getpid")          its return
 *   kprobe_getpid      SEC("kprobe/__x64_sys_getpid")     the x86-64 wrapper
 *   kretprobe_getpid   SEC("kretprobe/__x64_sys_getpid")
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 target_pid = 0;

__u64 ksyscall_runs = 0;
__u64 kretsyscall_runs = 0;
__u64 kprobe_runs = 0;
__u64 kretprobe_runs = 0;

static __always_inline int mine(void)
{
	return target_pid && (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

SEC("ksyscall/getpid")
int ksyscall_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&ksyscall_runs, 1);
	return 0;
}

SEC("kretsyscall/getpid")
int kretsyscall_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&kretsyscall_runs, 1);
	return 0;
}

SEC("kprobe/__x64_sys_getpid")
int kprobe_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&kprobe_runs, 1);
	return 0;
}

SEC("kretprobe/__x64_sys_getpid")
int kretprobe_getpid(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&kretprobe_runs, 1);
	return 0;
}
