// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * missing_ksym: INTENDED FAILURE. A strong typeless ksym that no kernel
 * has; resolving externs fails before any program is loaded (libbpf
 * reports ESRCH: "extern (ksym) 'bpfgen_missing_symbol': not found in
 * kernel").
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern const void bpfgen_missing_symbol __ksym;

__u64 addr = 0;

SEC("syscall")
int read_missing(void *ctx)
{
	addr = (__u64)&bpfgen_missing_symbol;
	return 0;
}
