// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conntrack: kfuncs of netfilter's connection tracking, which live in
 * vmlinux where NF_CONNTRACK=y (the reference kernel) and in the
 * nf_conntrack module's BTF where it is a module (Debian's kernels): the
 * loaders must find them in either. The XDP program ct_lookup looks up a
 * TCP connection 192.0.2.1:1 -> 192.0.2.2:2 that does not exist and
 * records lookup_error = -ENOENT (-2), found = 0, and bumps runs.
 */
#include "common.h"
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "GPL";

/* The 12-byte options every kernel with these kfuncs accepts. */
struct ct_opts {
	s32 netns_id;
	s32 error;
	u8 l4proto;
	u8 dir;
	u8 reserved[2];
};

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *ctx, struct bpf_sock_tuple *tuple,
					 u32 tuple_len, struct ct_opts *opts, u32 opts_len) __ksym;
extern void bpf_ct_release(struct nf_conn *ct) __ksym;

__u64 runs = 0;
__s32 lookup_error = 1;
__u32 found = 7;

SEC("xdp")
int ct_lookup(struct xdp_md *ctx)
{
	struct bpf_sock_tuple tuple = {};
	struct ct_opts opts;
	struct nf_conn *ct;

	/* Field by field: an initialiser would become an anonymous .rodata. */
	__builtin_memset(&opts, 0, sizeof(opts));
	opts.netns_id = -1;
	opts.l4proto = 6; /* TCP */

	tuple.ipv4.saddr = bpf_htonl(0xc0000201);
	tuple.ipv4.daddr = bpf_htonl(0xc0000202);
	tuple.ipv4.sport = bpf_htons(1);
	tuple.ipv4.dport = bpf_htons(2);
	ct = bpf_xdp_ct_lookup(ctx, &tuple, sizeof(tuple.ipv4), &opts, sizeof(opts));
	if (ct) {
		found = 1;
		bpf_ct_release(ct);
	} else {
		found = 0;
	}
	lookup_error = opts.error;
	__sync_fetch_and_add(&runs, 1);
	return XDP_PASS;
}
