/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-session address translation with incremental checksum updates (RFC 1624):
 * outbound W -> V_i becomes G_in -> S, inbound S -> G_in becomes V_i -> W; for a session's
 * joiner in slot j, W_j -> V_i becomes G_in + j -> S and back.
 */
#ifndef SPG_NAT_H
#define SPG_NAT_H

#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "drops.h"

/*
 * Rewrites ip's source to new_src and destination to new_dst, updating the IPv4 header
 * checksum and the TCP/UDP checksum (a zero UDP checksum stays zero). For ICMP errors
 * (unreachable, time exceeded, parameter problem, source quench, redirect) the quoted IP
 * header is translated the other way round — its source becomes new_dst and its destination
 * new_src — with its header checksum, its UDP/TCP checksum where quoted, and the ICMP
 * checksum updated. l4_len is the number of bytes from the L4 header to the end of the packet.
 * Returns SPG_OK, or MALFORMED_L4 when a quoted header is truncated (nothing is changed then).
 */
enum spg_drop spg_nat_translate(struct rte_ipv4_hdr *ip, uint32_t l4_len, uint32_t new_src,
				uint32_t new_dst);

/*
 * Joiners (issue 15): slot j (1 .. SPG_DP_MAX_JOINERS) of a session is G_in + j inside the
 * tunnel. Both in network order.
 */
static inline uint32_t spg_nat_joiner_inner(uint32_t inner_addr, unsigned int j)
{
	return rte_cpu_to_be_32(rte_be_to_cpu_32(inner_addr) + j);
}

/* The joiner slot an inner destination G_in + j names (1 .. max_joiners), or 0. */
static inline unsigned int spg_nat_joiner_of_inner(uint32_t inner_addr, uint32_t dst, unsigned int max_joiners)
{
	uint32_t j = rte_be_to_cpu_32(dst) - rte_be_to_cpu_32(inner_addr);

	return j >= 1 && j <= max_joiners ? j : 0;
}

static inline uint16_t spg_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Incremental update of a one's complement checksum field for a 32-bit value change (RFC 1624
 * eqn. 3); the checksum and the values must be in the same byte order (as they sit in the
 * packet, normally). Inline: both directions call these per packet, from other files. */
static inline uint16_t spg_csum_update32(uint16_t csum, uint32_t old_val, uint32_t new_val)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~(old_val >> 16);
	sum += (uint16_t)~old_val;
	sum += new_val >> 16;
	sum += new_val & 0xffff;
	return (uint16_t)~spg_csum_fold(sum);
}

/* Same for a 16-bit value change. */
static inline uint16_t spg_csum_update16(uint16_t csum, uint16_t old_val, uint16_t new_val)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t)~old_val;
	sum += new_val;
	return (uint16_t)~spg_csum_fold(sum);
}

#endif
