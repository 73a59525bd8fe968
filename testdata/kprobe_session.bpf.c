// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kprobe_session: kprobe.session links (Linux 6.10, with kprobes and
 * CONFIG_FPROBE), which run a program at a function's entry and, when
 * that run returned 0, at its return. Each program counts the getpid(2)
 * calls of the process target_pid (.rodata; 0 counts nothing) in the
 * getpid functions ftrace lists that the section's glob matches (any
 * run of characters, then "sys_getp", one character, "d": which ones
 * depends on the kernel, 7.3 lists no __x64_sys_getpid), each call as many
 * times as it passes one.
 *
 *   kprobe_session       returns 0: runs twice a call
 *   kprobe_session_entry returns 1: once a call
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 target_pid = 0;

__u64 session_runs = 0;
__u64 session_entry_runs = 0;

static __always_inline int mine(void)
{
	return target_pid && (bpf_get_current_pid_tgid() >> 32) == target_pid;
}

SEC("kprobe.session/*sys_getp?d")
int kprobe_session(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&session_runs, 1);
	return 0;
}

SEC("kprobe.session/*sys_getp?d")
int kprobe_session_entry(void *ctx)
{
	if (mine())
		__sync_fetch_and_add(&session_entry_runs, 1);
	return 1;
}
