//go:build ignore

// goprobe counts the calls of a Go function and sums its first argument,
// an int. Go's register ABI (ABIInternal) passes it in RAX on amd64 and
// in R0 on arm64, not where C's ABI would.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u64 calls = 0;
__s64 arg_sum = 0;

SEC("uprobe")
int go_func(struct pt_regs *ctx)
{
#if defined(__TARGET_ARCH_x86)
	long arg = ctx->ax;
#elif defined(__TARGET_ARCH_arm64)
	// The header is x86's; arm64's registers, as its uapi declares them.
	struct arm64_regs {
		__u64 regs[31];
	};
	long arg = ((struct arm64_regs *)ctx)->regs[0];
#else
#error goprobe knows Go's ABI on amd64 and arm64 only
#endif
	__sync_fetch_and_add(&calls, 1);
	__sync_fetch_and_add(&arg_sum, arg);
	return 0;
}
