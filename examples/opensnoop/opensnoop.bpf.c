//go:build ignore

// opensnoop watches one process's opens with an fentry and an fexit
// program on the kernel's do_sys_openat2, where open, openat and openat2
// meet (BPF trampolines, Linux 5.5+; its arguments are the same from 5.10
// to 7.x): fentry sees the path before the kernel acts, fexit the result
// too, a file descriptor or -errno.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

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

SEC("fentry/do_sys_openat2")
int BPF_PROG(open_entry, int dfd, const char *filename, struct open_how *how)
{
	if (!watched())
		return 0;
	__sync_fetch_and_add(&entries, 1);
	bpf_probe_read_user_str(last_path, sizeof(last_path), filename);
	return 0;
}

SEC("fexit/do_sys_openat2")
int BPF_PROG(open_exit, int dfd, const char *filename, struct open_how *how, int ret)
{
	if (!watched())
		return 0;
	__sync_fetch_and_add(&exits, 1);
	// long before Linux 7.x, int since: an fd or -errno fits an int
	// either way, and the register's low half is that int.
	last_ret = ret;
	return 0;
}
