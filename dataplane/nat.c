/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Checksums are updated with RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'). The values and the
 * checksum are taken as they sit in the packet: a one's complement sum does not depend on
 * byte order, as long as the checksum and the values share one.
 */
#include <netinet/in.h>
#include <stdbool.h>

#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "nat.h"

#define NAT_ICMP_HDR_LEN 8
#define NAT_TCP_CKSUM_END 18 /* a quoted TCP header must reach past its checksum */

/* The TCP/UDP checksum covers the pseudo-header, hence both addresses. */
static inline uint16_t csum_update_addrs(uint16_t csum, uint32_t old_src, uint32_t old_dst,
					 uint32_t new_src, uint32_t new_dst)
{
	csum = spg_csum_update32(csum, old_src, new_src);
	return spg_csum_update32(csum, old_dst, new_dst);
}

/* A UDP checksum of 0 means "none"; a computed 0 is sent as all ones (RFC 768). */
static inline uint16_t udp_csum_nonzero(uint16_t csum)
{
	return csum == 0 ? 0xffff : csum;
}

static inline bool icmp_type_is_error(uint8_t type)
{
	switch (type) {
	case 3:  /* destination unreachable */
	case 4:  /* source quench */
	case 5:  /* redirect */
	case 11: /* time exceeded */
	case 12: /* parameter problem */
		return true;
	default:
		return false;
	}
}

/*
 * The quoted packet went the other way: its source is the outer destination and its
 * destination the outer source. Every 16-bit word changed inside the quote is part of the
 * ICMP data, so the ICMP checksum follows each change.
 */
static enum spg_drop nat_icmp_error(struct rte_icmp_hdr *icmp, uint32_t l4_len, uint32_t old_src,
				    uint32_t old_dst, uint32_t new_src, uint32_t new_dst)
{
	struct rte_ipv4_hdr *in = (struct rte_ipv4_hdr *)((uint8_t *)icmp + NAT_ICMP_HDR_LEN);
	uint32_t in_src, in_dst, q_src, q_dst, in_hl, q_l4_len;
	uint16_t icmp_csum, old_csum, new_csum;
	uint8_t *q_l4;

	if (l4_len < NAT_ICMP_HDR_LEN + sizeof(*in))
		return SPG_DROP_MALFORMED_L4;
	if ((in->version_ihl >> 4) != 4 || (in->version_ihl & RTE_IPV4_HDR_IHL_MASK) < 5)
		return SPG_DROP_MALFORMED_L4;
	in_hl = rte_ipv4_hdr_len(in);
	if (l4_len < NAT_ICMP_HDR_LEN + in_hl)
		return SPG_DROP_MALFORMED_L4;
	q_l4 = (uint8_t *)in + in_hl;
	q_l4_len = l4_len - NAT_ICMP_HDR_LEN - in_hl;

	in_src = in->src_addr;
	in_dst = in->dst_addr;
	q_src = in_src == old_dst ? new_dst : in_src;
	q_dst = in_dst == old_src ? new_src : in_dst;
	icmp_csum = icmp->icmp_cksum;

	if (in->next_proto_id == IPPROTO_TCP && q_l4_len >= NAT_TCP_CKSUM_END) {
		struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)q_l4;

		old_csum = tcp->cksum;
		new_csum = csum_update_addrs(old_csum, in_src, in_dst, q_src, q_dst);
		tcp->cksum = new_csum;
		icmp_csum = spg_csum_update16(icmp_csum, old_csum, new_csum);
	} else if (in->next_proto_id == IPPROTO_UDP && q_l4_len >= sizeof(struct rte_udp_hdr)) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)q_l4;

		old_csum = udp->dgram_cksum;
		if (old_csum != 0) {
			new_csum = udp_csum_nonzero(
				csum_update_addrs(old_csum, in_src, in_dst, q_src, q_dst));
			udp->dgram_cksum = new_csum;
			icmp_csum = spg_csum_update16(icmp_csum, old_csum, new_csum);
		}
	}

	old_csum = in->hdr_checksum;
	new_csum = csum_update_addrs(old_csum, in_src, in_dst, q_src, q_dst);
	in->hdr_checksum = new_csum;
	icmp_csum = spg_csum_update16(icmp_csum, old_csum, new_csum);

	icmp_csum = csum_update_addrs(icmp_csum, in_src, in_dst, q_src, q_dst);
	in->src_addr = q_src;
	in->dst_addr = q_dst;
	icmp->icmp_cksum = icmp_csum;
	return SPG_OK;
}

enum spg_drop spg_nat_translate(struct rte_ipv4_hdr *ip, uint32_t l4_len, uint32_t new_src,
				uint32_t new_dst)
{
	uint32_t old_src = ip->src_addr, old_dst = ip->dst_addr;
	void *l4 = (uint8_t *)ip + rte_ipv4_hdr_len(ip);
	enum spg_drop rc;

	switch (ip->next_proto_id) {
	case IPPROTO_TCP: {
		struct rte_tcp_hdr *tcp = l4;

		if (l4_len < sizeof(*tcp))
			return SPG_DROP_MALFORMED_L4;
		tcp->cksum = csum_update_addrs(tcp->cksum, old_src, old_dst, new_src, new_dst);
		break;
	}
	case IPPROTO_UDP: {
		struct rte_udp_hdr *udp = l4;

		if (l4_len < sizeof(*udp))
			return SPG_DROP_MALFORMED_L4;
		if (udp->dgram_cksum != 0)
			udp->dgram_cksum = udp_csum_nonzero(csum_update_addrs(
				udp->dgram_cksum, old_src, old_dst, new_src, new_dst));
		break;
	}
	case IPPROTO_ICMP: {
		struct rte_icmp_hdr *icmp = l4;

		if (l4_len < NAT_ICMP_HDR_LEN)
			return SPG_DROP_MALFORMED_L4;
		/* Echo and the rest: the ICMP checksum has no pseudo-header. */
		if (icmp_type_is_error(icmp->icmp_type)) {
			rc = nat_icmp_error(icmp, l4_len, old_src, old_dst, new_src, new_dst);
			if (rc != SPG_OK)
				return rc;
		}
		break;
	}
	default:
		break;
	}

	ip->hdr_checksum = csum_update_addrs(ip->hdr_checksum, old_src, old_dst, new_src, new_dst);
	ip->src_addr = new_src;
	ip->dst_addr = new_dst;
	return SPG_OK;
}
