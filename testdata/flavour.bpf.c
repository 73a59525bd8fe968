// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * flavour: weak kfuncs declared with a "___flavour" suffix, as programs do
 * to pick between kernel versions. The kernel knows them by their base
 * name (bpf_task_from_pid, bpf_task_release), so a loader must look that
 * up. The syscall program call_flavoured records:
 *   flavour_exists = 1        (bpf_ksym_exists of the flavoured kfunc)
 *   flavour_pid = the caller's process id, found through the kfuncs
 *   plain_missing = 0         (weak bpfgen_no_such_kfunc___v2; .data,
 *                              initially 1)
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern struct task_struct *bpf_task_from_pid___v2(s32 pid) __ksym __weak;
extern void bpf_task_release___v2(struct task_struct *p) __ksym __weak;
extern int bpfgen_no_such_kfunc___v2(void) __ksym __weak;

__u32 flavour_exists = 0;
__s32 flavour_pid = 0;
__u32 plain_missing = 1;

SEC("syscall")
int call_flavoured(void *ctx)
{
	struct task_struct *t;

	flavour_exists = ksym_present(bpf_task_from_pid___v2);
	if (flavour_exists) {
		t = bpf_task_from_pid___v2((s32)(bpf_get_current_pid_tgid() >> 32));
		if (t) {
			flavour_pid = t->pid;
			bpf_task_release___v2(t);
		}
	}
	plain_missing = ksym_present(bpfgen_no_such_kfunc___v2);
	if (plain_missing)
		bpfgen_no_such_kfunc___v2();
	return 0;
}
