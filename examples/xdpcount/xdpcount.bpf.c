//go:build ignore

// xdpcount counts, per CPU, the UDP packets to one port arriving on an
// interface, and passes every packet on.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ETH_P_IP 0x0800

// port is the UDP destination port counted, set before load.
const volatile __u16 port = 0;

struct datagrams {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct datagrams);
} counts SEC(".maps");

SEC("xdp")
int count_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	struct datagrams *c;
	__u32 key = 0;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return XDP_PASS;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end || udp->dest != bpf_htons(port))
		return XDP_PASS;
	c = bpf_map_lookup_elem(&counts, &key);
	if (c) {
		c->packets++; // per CPU: no other CPU writes this value
		c->bytes += end - data;
	}
	return XDP_PASS;
}
