// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * usdt: USDT probes of testdata/usdt_target, read with libbpf's
 * <bpf/usdt.bpf.h> as users write them. The sections name the binary
 * by its bare name, which is looked up in $PATH. Its maps
 * (__bpf_usdt_specs, __bpf_usdt_ip_to_spec_id) and its
 * LINUX_HAS_BPF_COOKIE kconfig extern come with the header.
 *
 *   usdt_args    SEC("usdt/usdt_target:bpfgen:args")     counts runs, keeps the
 *                last round's six arguments, their count and bpf_usdt_cookie
 *   usdt_site    SEC("usdt/usdt_target:bpfgen:site")     two sites: counts and sums
 *                the argument (1 or 2)
 *   usdt_guarded SEC("usdt/usdt_target:bpfgen:guarded")  semaphore-guarded: counts
 */
#include "common.h"
#include <bpf/usdt.bpf.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 args_runs = 0;
long args[6] = {};
int args_cnt = 0;
long args_cookie = 0;

__u64 site_runs = 0;
__u64 site_sum = 0;

__u64 guarded_runs = 0;
long guarded_last = 0;

SEC("usdt/usdt_target:bpfgen:args")
int usdt_args(struct pt_regs *ctx)
{
	long v;

	for (int i = 0; i < 6; i++) {
		if (bpf_usdt_arg(ctx, i, &v))
			return 0;
		args[i] = v;
	}
	args_cnt = bpf_usdt_arg_cnt(ctx);
	args_cookie = bpf_usdt_cookie(ctx);
	__sync_fetch_and_add(&args_runs, 1);
	return 0;
}

SEC("usdt/usdt_target:bpfgen:site")
int BPF_USDT(usdt_site, int which)
{
	__sync_fetch_and_add(&site_runs, 1);
	__sync_fetch_and_add(&site_sum, which);
	return 0;
}

SEC("usdt/usdt_target:bpfgen:guarded")
int BPF_USDT(usdt_guarded, int round)
{
	__sync_fetch_and_add(&guarded_runs, 1);
	guarded_last = round;
	return 0;
}
