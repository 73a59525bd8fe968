//go:build ignore

// tcxcount counts the UDP datagrams arriving on an interface at its tcx
// ingress hook, by destination port, and lets every packet through.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define ETH_P_IP 0x0800
#define TCX_NEXT -1

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);   // destination port, host order
	__type(value, __u64); // datagrams
} ports SEC(".maps");

SEC("tcx/ingress")
int count_ports(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	__u64 one = 1, *n;
	__u16 port;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TCX_NEXT;
	if (ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		return TCX_NEXT;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return TCX_NEXT;
	port = bpf_ntohs(udp->dest);
	n = bpf_map_lookup_elem(&ports, &port);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&ports, &port, &one, BPF_NOEXIST);
	return TCX_NEXT;
}
