// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ksym_data: a typed ksym of a per-CPU kernel variable. INTENDED FAILURE on
 * the reference kernel: CONFIG_KALLSYMS_ALL is off, so bpf_prog_active is
 * not in kallsyms and resolving it fails with ENOENT. On a kernel where it
 * resolves, the syscall program stores 1 in `seen` and the current CPU's
 * bpf_prog_active in `active`.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern const int bpf_prog_active __ksym;

__u32 seen = 0;
__s32 active = -1;

SEC("syscall")
int read_data_ksym(void *ctx)
{
	const int *p = bpf_this_cpu_ptr(&bpf_prog_active);

	seen = 1;
	active = *p;
	return 0;
}
