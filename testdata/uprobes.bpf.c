// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobes: uprobes whose sections name binary and symbol, attached by a
 * skeleton's Attach as libbpf auto-attaches them. The binary is a bare
 * library name, found on the machine that attaches. Each program counts
 * every call, of every process (a shell calls getpid() as it starts).
 *
 *   uprobe_getpid    SEC("uprobe/libc.so.6:getpid")     libc's getpid() entry
 *   uretprobe_getpid SEC("uretprobe/libc.so.6:getpid")  its returns
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 uprobe_runs = 0;
__u64 uretprobe_runs = 0;

SEC("uprobe/libc.so.6:getpid")
int uprobe_getpid(void *ctx)
{
	__sync_fetch_and_add(&uprobe_runs, 1);
	return 0;
}

SEC("uretprobe/libc.so.6:getpid")
int uretprobe_getpid(void *ctx)
{
	__sync_fetch_and_add(&uretprobe_runs, 1);
	return 0;
}
