// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kconfig: extern kconfig values. The syscall program read_kconfig copies
 * them into .bss. Expected values come from /proc/config.gz and uname;
 * on the reference kernel (6.18.44): kernel_version = KERNEL_VERSION(6,18,44)
 * capped at 255 for the sublevel, bpf_syscall = 1, cubic = 1 (TRI_YES),
 * hz = 250, hostname = "(none)", ipv6 = 1, missing = 0 (missing is in
 * .data with initial value -1, so the 0 shows the loader wrote it); runs
 * counts the runs.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_TCP_CONG_CUBIC __kconfig;
extern int CONFIG_HZ __kconfig;
extern char CONFIG_DEFAULT_HOSTNAME[16] __kconfig;
extern bool CONFIG_IPV6 __kconfig __weak;
extern int CONFIG_BPFGEN_DOES_NOT_EXIST __kconfig __weak;

__u32 kernel_version = 0;
__u32 bpf_syscall = 0;
__u32 cubic = 0;
__s32 hz = 0;
char hostname[16] = {};
__u32 ipv6 = 0;
__s32 missing = -1;
__u64 runs = 0;

SEC("syscall")
int read_kconfig(void *ctx)
{
	int i;

	kernel_version = LINUX_KERNEL_VERSION;
	bpf_syscall = CONFIG_BPF_SYSCALL;
	cubic = CONFIG_TCP_CONG_CUBIC;
	hz = CONFIG_HZ;
	for (i = 0; i < 16; i++)
		hostname[i] = CONFIG_DEFAULT_HOSTNAME[i];
	ipv6 = CONFIG_IPV6;
	missing = CONFIG_BPFGEN_DOES_NOT_EXIST;
	runs++;
	return 0;
}
