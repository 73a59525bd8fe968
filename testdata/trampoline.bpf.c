// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trampoline: BPF trampoline programs. INTENDED FAILURE on the reference
 * kernel: BPF_PROG_LOAD returns EPERM with an empty verifier log for
 * fentry/fexit/lsm there. On a kernel with trampolines, fentry_prog runs
 * when bpf_fentry_test1 runs (any BPF_PROG_TEST_RUN of a tracing/skb
 * program calls it) and bumps fentry_runs; fexit_prog records the return
 * value (a + 1) in fexit_ret; lsm_prog runs on each bpf(2) call, bumps
 * lsm_runs and allows it (returns 0) when the bpf LSM is active.
 * fmod_ret_prog replaces the return of bpf_modify_return_test (which a
 * BPF_PROG_TEST_RUN of an fmod_ret program calls) with FMOD_RET_VALUE, so
 * the original does not run; fexit_modify sees that value as the
 * function's return and stores it in modify_ret. (The test run's retval
 * counts the original's side effects, differently in each kernel version:
 * attached, it differs from the unattached run's.)
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 fentry_runs = 0;
__u64 fexit_ret = 0;
__u64 lsm_runs = 0;

SEC("fentry/bpf_fentry_test1")
int BPF_PROG(fentry_prog, int a)
{
	__sync_fetch_and_add(&fentry_runs, 1);
	return 0;
}

SEC("fexit/bpf_fentry_test1")
int BPF_PROG(fexit_prog, int a, int ret)
{
	fexit_ret = ret;
	return 0;
}

SEC("lsm/bpf")
int BPF_PROG(lsm_prog, int cmd, union bpf_attr *attr, unsigned int size)
{
	__sync_fetch_and_add(&lsm_runs, 1);
	return 0;
}

#define FMOD_RET_VALUE 7
__u64 fmod_ret_runs = 0;

SEC("fmod_ret/bpf_modify_return_test")
int BPF_PROG(fmod_ret_prog, int a, int *b, int ret)
{
	__sync_fetch_and_add(&fmod_ret_runs, 1);
	return FMOD_RET_VALUE;
}

__s64 modify_ret = -1;

SEC("fexit/bpf_modify_return_test")
int BPF_PROG(fexit_modify, int a, int *b, int ret)
{
	modify_ret = ret;
	return 0;
}
