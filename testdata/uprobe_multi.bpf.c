// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobe_multi: uprobe.multi links (Linux 6.6) on the functions of
 * testdata/usdt_target (found in $PATH) that a glob matches: site_one and
 * site_two, each called once a round.
 *
 *   multi_site     SEC("uprobe.multi/usdt_target:site_*")     counts entries,
 *                  sums bpf_get_attach_cookie
 *   multi_site_ret SEC("uretprobe.multi/usdt_target:site_*")  counts returns
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 multi_runs = 0;
__u64 multi_cookies = 0;
__u64 multi_ret_runs = 0;

SEC("uprobe.multi/usdt_target:site_*")
int multi_site(void *ctx)
{
	__sync_fetch_and_add(&multi_runs, 1);
	__sync_fetch_and_add(&multi_cookies, bpf_get_attach_cookie(ctx));
	return 0;
}

SEC("uretprobe.multi/usdt_target:site_*")
int multi_site_ret(void *ctx)
{
	__sync_fetch_and_add(&multi_ret_runs, 1);
	return 0;
}
