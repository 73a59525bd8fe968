// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobe_session: uprobe.session links (Linux 6.13), which run a program
 * at a function's entry and, when that run returned 0, at its return. The
 * function is step of testdata/usdt_target (found in $PATH), called once a
 * round.
 *
 *   session_step       SEC("uprobe.session/usdt_target:step")  returns 0: runs twice a call
 *   session_step_entry SEC("uprobe.session/usdt_target:step")  returns 1: once a call
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 session_runs = 0;
__u64 session_entry_runs = 0;

SEC("uprobe.session/usdt_target:step")
int session_step(void *ctx)
{
	__sync_fetch_and_add(&session_runs, 1);
	return 0;
}

SEC("uprobe.session/usdt_target:step")
int session_step_entry(void *ctx)
{
	__sync_fetch_and_add(&session_entry_runs, 1);
	return 1;
}
