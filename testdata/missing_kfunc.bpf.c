// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * missing_kfunc: INTENDED FAILURE. A strong kfunc that the kernel's BTF
 * does not have; resolving externs fails before any program is loaded
 * (libbpf reports ESRCH: "extern (func ksym) 'bpfgen_missing_kfunc': not
 * found in kernel or module BTFs").
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern int bpfgen_missing_kfunc(int x) __ksym;

__s64 result = 0;

SEC("syscall")
int call_missing(void *ctx)
{
	result = bpfgen_missing_kfunc(1);
	return 0;
}
