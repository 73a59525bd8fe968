/* struct_ops maps: a TCP congestion control registered through a link
 * (.struct_ops.link) and one registered by writing the map (.struct_ops);
 * both share programs. */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

__u64 acked_calls;
__u64 ssthresh_calls;

SEC("struct_ops/so_ssthresh")
__u32 BPF_PROG(so_ssthresh, struct sock *sk)
{
	ssthresh_calls++;
	return 10;
}

SEC("struct_ops/so_undo_cwnd")
__u32 BPF_PROG(so_undo_cwnd, struct sock *sk)
{
	return 10;
}

SEC("struct_ops/so_cong_avoid")
void BPF_PROG(so_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
	acked_calls++;
}

/* Named by no map, which alone leaves it unloaded; the "?" also keeps
 * libbpf 1.1 (which knows neither struct_ops.s nor that rule) from
 * loading it, so that TestLibbpfStructOps can compare. */
SEC("?struct_ops.s/so_unused")
__u32 BPF_PROG(so_unused, struct sock *sk)
{
	return 0;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops so_link = {
	.ssthresh = (void *)so_ssthresh,
	.cong_avoid = (void *)so_cong_avoid,
	.undo_cwnd = (void *)so_undo_cwnd,
	.name = "bpfgen_so_link",
};

SEC(".struct_ops")
struct tcp_congestion_ops so_plain = {
	.ssthresh = (void *)so_ssthresh,
	.cong_avoid = (void *)so_cong_avoid,
	.undo_cwnd = (void *)so_undo_cwnd,
	.flags = 0,
	.name = "bpfgen_so_plain",
};
