// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksyms: kernel symbols and kfuncs. The syscall program use_ksyms records:
 *   looked_up = the pid looked up: lookup_pid (.rodata) or, when that is
 *     0 (the default), the caller's process id (a syscall program run with
 *     BPF_PROG_TEST_RUN runs in the caller's context)
 *   task_found = 1, found_pid = found_tgid = looked_up (via the kfuncs
 *     bpf_task_from_pid / bpf_task_release, strong externs)
 *   kfunc_exists = 1          (weak kfunc bpf_rcu_read_lock is present: a
 *                              typed func ksym loaded by ld_imm64)
 *   missing_kfunc_exists = 0  (weak kfunc bpfgen_no_such_kfunc; .data,
 *                              initially 1)
 *   prog_put_addr             = address of the text symbol bpf_prog_put,
 *                               as in /proc/kallsyms
 *   missing_addr = 0          (weak typeless bpfgen_no_such_symbol; .data,
 *                              initially 1)
 * and bumps runs.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern int bpfgen_no_such_kfunc(void) __ksym __weak;

extern const void bpf_prog_put __ksym;
extern const void bpfgen_no_such_symbol __ksym __weak;

const volatile __s32 lookup_pid = 0;

__s32 looked_up = 0;
__u32 task_found = 0;
__s32 found_pid = 0;
__s32 found_tgid = 0;
__u32 kfunc_exists = 0;
__u32 missing_kfunc_exists = 1;
__u64 prog_put_addr = 0;
__u64 missing_addr = 1;
__u64 runs = 0;

SEC("syscall")
int use_ksyms(void *ctx)
{
	struct task_struct *t;

	looked_up = lookup_pid ? lookup_pid : (__s32)(bpf_get_current_pid_tgid() >> 32);
	t = bpf_task_from_pid(looked_up);
	if (t) {
		task_found = 1;
		found_pid = t->pid;
		found_tgid = t->tgid;
		bpf_task_release(t);
	}
	kfunc_exists = ksym_present(bpf_rcu_read_lock);
	missing_kfunc_exists = ksym_present(bpfgen_no_such_kfunc);
	if (missing_kfunc_exists)
		bpfgen_no_such_kfunc();
	prog_put_addr = (__u64)&bpf_prog_put;
	missing_addr = (__u64)&bpfgen_no_such_symbol;
	runs++;
	return 0;
}
