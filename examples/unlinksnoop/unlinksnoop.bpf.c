//go:build ignore

// unlinksnoop watches one process's unlinks with an fentry and an fexit
// program on do_unlinkat (BPF trampolines, Linux 5.5+): fentry sees the
// path before the kernel acts, fexit the result too.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

// pid is the process watched, set before load.
const volatile __u32 pid = 0;

__u64 entries = 0;
__u64 exits = 0;
__s64 last_ret = 0;
char last_path[64] = {};

static bool watched(void)
{
	return bpf_get_current_pid_tgid() >> 32 == pid;
}

SEC("fentry/do_unlinkat")
int BPF_PROG(unlink_entry, int dfd, struct filename *name)
{
	if (!watched())
		return 0;
	__sync_fetch_and_add(&entries, 1);
	bpf_probe_read_kernel_str(last_path, sizeof(last_path), BPF_CORE_READ(name, name));
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(unlink_exit, int dfd, struct filename *name, long ret)
{
	if (!watched())
		return 0;
	__sync_fetch_and_add(&exits, 1);
	last_ret = ret;
	return 0;
}
