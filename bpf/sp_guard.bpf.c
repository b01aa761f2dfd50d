/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SP's guard (claims 59/60), XDP on the SP's outer interface while a session is up.
 * For IPv4 to the SP's outer address:
 *   UDP to the ESP port     pass only from a gateway of a live session (GUARD_GW_ESP)
 *   TCP to the TLS port     pass only from a control plane of a live session (GUARD_GW_CONTROL)
 *   ICMP, later fragments   pass only from either
 *   everything else         drop: service ports are reached through the tunnel, never in clear
 * Other IPv4 and non-IPv4 (ARP) pass. Every verdict is counted by reason.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "guard_common.h"

/* Set by the loader before the program is loaded (network byte order). */
const volatile __u32 sp_addr = 0;
const volatile __u16 esp_port = 0;
const volatile __u16 tls_port = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, GUARD_MAX_GATEWAYS);
	__type(key, __u32);
	__type(value, __u32);
} gateways SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, GUARD_REASON_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline int verdict(__u32 reason, int action)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &reason);

	if (c)
		*c += 1;
	return action;
}

static __always_inline __u32 gateway_flags(__u32 addr)
{
	__u32 *f = bpf_map_lookup_elem(&gateways, &addr);

	return f ? *f : 0;
}

SEC("xdp")
int sp_guard(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 ihl, gw;
	__u16 dport;

	if ((void *)(eth + 1) > end)
		return verdict(GUARD_DROP_MALFORMED, XDP_DROP);
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return verdict(GUARD_PASS_NOT_IPV4, XDP_PASS);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return verdict(GUARD_DROP_MALFORMED, XDP_DROP);
	if (ip->daddr != sp_addr)
		return verdict(GUARD_PASS_NOT_OURS, XDP_PASS);
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return verdict(GUARD_DROP_MALFORMED, XDP_DROP);
	gw = gateway_flags(ip->saddr);

	/* a later fragment carries no ports: only a gateway's can be ours */
	if (ip->frag_off & bpf_htons(0x1fff))
		return gw ? verdict(GUARD_PASS_GATEWAY_OTHER, XDP_PASS)
			  : verdict(GUARD_DROP_FRAGMENT, XDP_DROP);

	if (ip->protocol == IPPROTO_UDP || ip->protocol == IPPROTO_TCP) {
		/* both headers start with the source and destination ports */
		__u16 *ports = (void *)ip + ihl;

		if ((void *)(ports + 2) > end)
			return verdict(GUARD_DROP_MALFORMED, XDP_DROP);
		dport = ports[1];
		if (ip->protocol == IPPROTO_UDP) {
			if (dport != esp_port)
				return verdict(GUARD_DROP_UDP, XDP_DROP);
			return (gw & GUARD_GW_ESP) ? verdict(GUARD_PASS_ESP, XDP_PASS)
						   : verdict(GUARD_DROP_ESP_STRANGER, XDP_DROP);
		}
		if (dport != tls_port)
			return verdict(GUARD_DROP_TCP, XDP_DROP);
		return (gw & GUARD_GW_CONTROL) ? verdict(GUARD_PASS_CONTROL, XDP_PASS)
					       : verdict(GUARD_DROP_CONTROL_STRANGER, XDP_DROP);
	}
	if (ip->protocol == IPPROTO_ICMP)
		return gw ? verdict(GUARD_PASS_GATEWAY_OTHER, XDP_PASS)
			  : verdict(GUARD_DROP_ICMP, XDP_DROP);
	return verdict(GUARD_DROP_OTHER, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
