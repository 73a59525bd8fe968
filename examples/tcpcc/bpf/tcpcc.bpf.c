/* A TCP congestion control in BPF: Reno (the kernel's own functions, as
 * kfuncs) with counters the Go side reads. Registered from Go through the
 * light skeleton (tcpcc_lskel.go): see main.go. */
#include "common.h"

char LICENSE[] SEC("license") = "GPL";

extern void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern __u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
extern __u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

/* What the congestion control saw, for the Go side. */
__u64 inits;        /* connections that started with it */
__u64 acks;         /* cong_avoid calls: ACKs that may grow the window */
__u64 acked;        /* packets those ACKs acknowledged */
__u64 losses;       /* ssthresh calls: loss or ECN events */
__u32 max_cwnd;     /* largest congestion window seen */

SEC("struct_ops/bpfgen_init")
void BPF_PROG(bpfgen_init, struct sock *sk)
{
	__sync_fetch_and_add(&inits, 1);
}

SEC("struct_ops/bpfgen_cong_avoid")
void BPF_PROG(bpfgen_cong_avoid, struct sock *sk, __u32 ack, __u32 n)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;

	__sync_fetch_and_add(&acks, 1);
	__sync_fetch_and_add(&acked, n);
	tcp_reno_cong_avoid(sk, ack, n);
	if (tp->snd_cwnd > max_cwnd)
		max_cwnd = tp->snd_cwnd;
}

SEC("struct_ops/bpfgen_ssthresh")
__u32 BPF_PROG(bpfgen_ssthresh, struct sock *sk)
{
	__sync_fetch_and_add(&losses, 1);
	return tcp_reno_ssthresh(sk);
}

SEC("struct_ops/bpfgen_undo_cwnd")
__u32 BPF_PROG(bpfgen_undo_cwnd, struct sock *sk)
{
	return tcp_reno_undo_cwnd(sk);
}

SEC(".struct_ops.link")
struct tcp_congestion_ops bpfgen_reno = {
	.init = (void *)bpfgen_init,
	.cong_avoid = (void *)bpfgen_cong_avoid,
	.ssthresh = (void *)bpfgen_ssthresh,
	.undo_cwnd = (void *)bpfgen_undo_cwnd,
	.name = "bpfgen_reno",
};
