/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An ICMP error is let through when the packet it quotes would have passed the filter in
 * the other direction: out of the vendor side only errors about what the SP sent from an
 * allowed port (or an echo reply), into it only errors about what went to an allowed port
 * (or an echo request).
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "port_filter.h"

#define PF_ICMP_HDR_LEN 8
#define PF_QUOTED_L4_LEN 8 /* RFC 792: an error quotes at least 8 bytes past the IP header */

enum pf_dir { PF_OUT, PF_IN };

void spg_port_filter_init(struct spg_port_filter *f, const struct spg_dp_session_params *p)
{
	memset(f, 0, sizeof(*f));
	f->icmp_echo = p->icmp_echo != 0;
	f->n_ranges = RTE_MIN(p->n_port_ranges, (uint8_t)SPG_DP_MAX_PORT_RANGES);
	memcpy(f->ranges, p->ports, f->n_ranges * sizeof(f->ranges[0]));
}

static inline bool pf_port_allowed(const struct spg_port_filter *f, uint8_t proto, rte_be16_t port_be)
{
	uint16_t port = rte_be_to_cpu_16(port_be);
	unsigned int i;

	for (i = 0; i < f->n_ranges; i++) {
		const struct spg_dp_port_range *r = &f->ranges[i];

		if (r->proto == proto && port >= r->lo && port <= r->hi)
			return true;
	}
	return false;
}

static inline bool icmp_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * The packet quoted in an ICMP error travelled opposite to the error: an outbound error
 * quotes an SP -> vendor packet (its source port is the service port), an inbound error
 * a vendor -> SP packet (its destination port is).
 */
static enum spg_drop pf_icmp_error(const struct spg_port_filter *f, const uint8_t *icmp,
				   uint32_t l4_len, enum pf_dir dir)
{
	const struct rte_ipv4_hdr *in = (const struct rte_ipv4_hdr *)(icmp + PF_ICMP_HDR_LEN);
	const uint8_t *q_l4;
	uint32_t in_hl;

	if (l4_len < PF_ICMP_HDR_LEN + sizeof(*in))
		return SPG_DROP_MALFORMED_L4;
	if ((in->version_ihl >> 4) != 4 || (in->version_ihl & RTE_IPV4_HDR_IHL_MASK) < 5)
		return SPG_DROP_MALFORMED_L4;
	in_hl = rte_ipv4_hdr_len(in);
	if (l4_len < PF_ICMP_HDR_LEN + in_hl + PF_QUOTED_L4_LEN)
		return SPG_DROP_MALFORMED_L4;
	q_l4 = (const uint8_t *)in + in_hl;

	switch (in->next_proto_id) {
	case IPPROTO_TCP:
	case IPPROTO_UDP: {
		/* TCP and UDP both start with source and destination port. */
		const struct rte_udp_hdr *ports = (const struct rte_udp_hdr *)q_l4;
		rte_be16_t sp_port = dir == PF_OUT ? ports->src_port : ports->dst_port;

		return pf_port_allowed(f, in->next_proto_id, sp_port) ? SPG_OK
								       : SPG_DROP_PORT_FILTERED;
	}
	case IPPROTO_ICMP: {
		uint8_t quoted_type = q_l4[0];
		uint8_t allowed_type = dir == PF_OUT ? RTE_IP_ICMP_ECHO_REPLY : RTE_IP_ICMP_ECHO_REQUEST;

		return f->icmp_echo && quoted_type == allowed_type ? SPG_OK : SPG_DROP_PROTO_FILTERED;
	}
	default:
		return SPG_DROP_PROTO_FILTERED;
	}
}

enum spg_drop spg_port_filter_outbound(const struct spg_port_filter *f, const struct rte_ipv4_hdr *ip,
				       const void *l4, uint32_t l4_len)
{
	switch (ip->next_proto_id) {
	case IPPROTO_TCP: {
		const struct rte_tcp_hdr *tcp = l4;

		if (l4_len < sizeof(*tcp))
			return SPG_DROP_MALFORMED_L4;
		return pf_port_allowed(f, IPPROTO_TCP, tcp->dst_port) ? SPG_OK : SPG_DROP_PORT_FILTERED;
	}
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp = l4;

		if (l4_len < sizeof(*udp))
			return SPG_DROP_MALFORMED_L4;
		return pf_port_allowed(f, IPPROTO_UDP, udp->dst_port) ? SPG_OK : SPG_DROP_PORT_FILTERED;
	}
	case IPPROTO_ICMP: {
		const uint8_t *icmp = l4;

		if (l4_len < PF_ICMP_HDR_LEN)
			return SPG_DROP_MALFORMED_L4;
		if (icmp[0] == RTE_IP_ICMP_ECHO_REQUEST)
			return f->icmp_echo ? SPG_OK : SPG_DROP_PROTO_FILTERED;
		if (icmp_is_error(icmp[0]))
			return pf_icmp_error(f, icmp, l4_len, PF_OUT);
		/* An echo reply out would answer a ping from the SP, which never gets in. */
		return SPG_DROP_PROTO_FILTERED;
	}
	default:
		return SPG_DROP_PROTO_FILTERED;
	}
}

enum spg_drop spg_port_filter_inbound(const struct spg_port_filter *f, const struct rte_ipv4_hdr *ip,
				      const void *l4, uint32_t l4_len)
{
	switch (ip->next_proto_id) {
	case IPPROTO_TCP: {
		const struct rte_tcp_hdr *tcp = l4;

		if (l4_len < sizeof(*tcp))
			return SPG_DROP_MALFORMED_L4;
		/* A bare SYN opens a connection, whatever port it comes from. */
		if ((tcp->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG)
			return SPG_DROP_SP_INITIATED;
		return pf_port_allowed(f, IPPROTO_TCP, tcp->src_port) ? SPG_OK : SPG_DROP_PORT_FILTERED;
	}
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp = l4;

		if (l4_len < sizeof(*udp))
			return SPG_DROP_MALFORMED_L4;
		return pf_port_allowed(f, IPPROTO_UDP, udp->src_port) ? SPG_OK : SPG_DROP_PORT_FILTERED;
	}
	case IPPROTO_ICMP: {
		const uint8_t *icmp = l4;

		if (l4_len < PF_ICMP_HDR_LEN)
			return SPG_DROP_MALFORMED_L4;
		if (icmp[0] == RTE_IP_ICMP_ECHO_REQUEST)
			return SPG_DROP_SP_INITIATED;
		if (icmp[0] == RTE_IP_ICMP_ECHO_REPLY)
			return f->icmp_echo ? SPG_OK : SPG_DROP_PROTO_FILTERED;
		if (icmp_is_error(icmp[0]))
			return pf_icmp_error(f, icmp, l4_len, PF_IN);
		return SPG_DROP_PROTO_FILTERED;
	}
	default:
		return SPG_DROP_PROTO_FILTERED;
	}
}
