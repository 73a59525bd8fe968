/* Compiled by TestKfuncs against the running kernel's vmlinux.h, written
 * by bpfgen with kfunc declarations: the kfuncs come from the header, and
 * t->tgid is a CO-RE field read (preserve_access_index). It returns the
 * process id of the process that runs it, read from its task_struct. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("syscall")
int own_tgid(void *ctx)
{
	int tgid = bpf_get_current_pid_tgid() >> 32;
	struct task_struct *t = bpf_task_from_pid(tgid);
	int got;

	if (!t)
		return -1;
	got = t->tgid;
	bpf_task_release(t);
	return got;
}
