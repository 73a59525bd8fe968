// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * freplace: replaces the global function replaceable of a loaded
 * freplace_target program (the loader is given that program: load
 * Options.AttachTargets, lskel.RunOptions.AttachTargets). Needs BPF
 * trampolines: on the reference kernel BPF_PROG_LOAD returns EPERM. Once
 * attached, a run of freplace_target's call_replaceable stores 100 * 41 in
 * its result and new_replaceable bumps replaced_runs.
 */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

__u64 replaced_runs = 0;

SEC("freplace/replaceable")
int new_replaceable(int x)
{
	__sync_fetch_and_add(&replaced_runs, 1);
	return x * 100;
}
