/* SPDX-License-Identifier: BSD-3-Clause */
#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "pkt.h"

#define PKT_IPV4_HDR_LEN 20
#define PKT_ICMP_HDR_LEN 8

/* The L4 header must be whole; remaining is the IP payload length. */
static inline enum spg_drop pkt_check_l4(struct rte_mbuf *m, const struct rte_ipv4_hdr *ip,
					 uint32_t remaining)
{
	const void *l4 = (const uint8_t *)ip + PKT_IPV4_HDR_LEN;

	switch (ip->next_proto_id) {
	case IPPROTO_TCP: {
		const struct rte_tcp_hdr *tcp = l4;
		uint32_t hdr_len;

		if (remaining < sizeof(*tcp))
			return SPG_DROP_MALFORMED_L4;
		hdr_len = (uint32_t)(tcp->data_off >> 4) * 4;
		if (hdr_len < sizeof(*tcp) || hdr_len > remaining)
			return SPG_DROP_MALFORMED_L4;
		m->l4_len = hdr_len;
		break;
	}
	case IPPROTO_UDP: {
		const struct rte_udp_hdr *udp = l4;
		uint32_t dgram_len;

		if (remaining < sizeof(*udp))
			return SPG_DROP_MALFORMED_L4;
		dgram_len = rte_be_to_cpu_16(udp->dgram_len);
		if (dgram_len < sizeof(*udp) || dgram_len > remaining)
			return SPG_DROP_MALFORMED_L4;
		m->l4_len = sizeof(*udp);
		break;
	}
	case IPPROTO_ICMP:
		if (remaining < PKT_ICMP_HDR_LEN)
			return SPG_DROP_MALFORMED_L4;
		m->l4_len = PKT_ICMP_HDR_LEN;
		break;
	default:
		/* ESP, GRE, ...: the port filter decides; nothing to parse here. */
		m->l4_len = 0;
		break;
	}
	return SPG_OK;
}

enum spg_drop spg_pkt_check_ipv4(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t avail, total_len;
	uint16_t frag;
	uint8_t ihl;

	if (m->data_len < (uint32_t)m->l2_len + PKT_IPV4_HDR_LEN)
		return SPG_DROP_MALFORMED_IP;
	avail = m->data_len - m->l2_len;
	ip = spg_pkt_ipv4(m);

	if ((ip->version_ihl >> 4) != 4)
		return SPG_DROP_MALFORMED_IP;
	ihl = ip->version_ihl & RTE_IPV4_HDR_IHL_MASK;
	/* A header longer than what arrived is malformed, whatever it claims to carry. */
	if (ihl < 5 || (uint32_t)ihl * 4 > avail)
		return SPG_DROP_MALFORMED_IP;
	if (ihl > 5)
		return SPG_DROP_IP_OPTIONS;
	total_len = rte_be_to_cpu_16(ip->total_length);
	if (total_len < PKT_IPV4_HDR_LEN || total_len > avail)
		return SPG_DROP_MALFORMED_IP;
	/* Over a correct header, checksum included, the one's complement sum is all ones. */
	RTE_BUILD_BUG_ON(PKT_IPV4_HDR_LEN != 20);
	if (spg_ipv4_hdr_sum(ip) != 0xffff)
		return SPG_DROP_IP_CHECKSUM;
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return SPG_DROP_FRAGMENT;

	/* Ethernet pads short frames; the padding must not reach the tunnel or the checksums. */
	if (avail > total_len)
		rte_pktmbuf_trim(m, (uint16_t)(avail - total_len));

	m->l3_len = PKT_IPV4_HDR_LEN;
	return pkt_check_l4(m, ip, total_len - PKT_IPV4_HDR_LEN);
}
