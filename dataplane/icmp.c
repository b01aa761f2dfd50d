/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "icmp.h"

#define ICMP_HDR_LEN 8
#define ICMP_NEW_HDRS_LEN (sizeof(struct rte_ipv4_hdr) + ICMP_HDR_LEN)
#define ICMP_QUOTED_PAYLOAD 8 /* RFC 792: the IP header and the first 64 bits of data */
#define ICMP_TTL 64
/* RFC 1812 4.3.2.5: precedence 6 (internetwork control) on errors, as Linux sends them. */
#define ICMP_TOS 0xc0
#define ICMP_TYPE_DEST_UNREACH 3
#define ICMP_CODE_FRAG_NEEDED 4

/*
 * RFC 1122 3.2.2: no error about a datagram whose source is not one host (0/8, loopback,
 * multicast, class E and the limited broadcast), nor about one sent to a multicast or
 * the broadcast address.
 */
static bool icmp_may_answer_addrs(uint32_t src_be, uint32_t dst_be)
{
	uint32_t src = rte_be_to_cpu_32(src_be), dst = rte_be_to_cpu_32(dst_be);
	uint8_t src_net = src >> 24;

	if (src_net == 0 || src_net == 127 || src_net >= 224)
		return false;
	if ((dst >> 28) == 0xe || dst == UINT32_MAX)
		return false;
	return true;
}

/* Only queries are answered with errors; errors and unknown types never are. */
static bool icmp_type_is_query(uint8_t type)
{
	switch (type) {
	case 0:  /* echo reply */
	case 8:  /* echo request */
	case 9:  /* router advertisement */
	case 10: /* router solicitation */
	case 13: /* timestamp */
	case 14: /* timestamp reply */
	case 15: /* information request */
	case 16: /* information reply */
	case 17: /* address mask request */
	case 18: /* address mask reply */
		return true;
	default:
		return false;
	}
}

/* Makes room for the new headers in front of the first quote_len bytes of data. */
static int icmp_make_room(struct rte_mbuf *m, uint32_t quote_len)
{
	uint8_t *data;

	if (rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - quote_len)) != 0)
		return -EINVAL;
	if (rte_pktmbuf_prepend(m, ICMP_NEW_HDRS_LEN) != NULL)
		return 0;
	/* Too little headroom: slide the quote back within the buffer instead. */
	if ((uint32_t)m->data_off + ICMP_NEW_HDRS_LEN + quote_len > m->buf_len)
		return -ENOSPC;
	data = rte_pktmbuf_mtod(m, uint8_t *);
	memmove(data + ICMP_NEW_HDRS_LEN, data, quote_len);
	m->data_len = (uint16_t)(m->data_len + ICMP_NEW_HDRS_LEN);
	m->pkt_len += ICMP_NEW_HDRS_LEN;
	return 0;
}

int spg_icmp_error_in_place(struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t next_hop_mtu,
			    uint32_t src_addr)
{
	const struct rte_ipv4_hdr *orig;
	struct rte_ipv4_hdr *ip;
	uint32_t len, hl, total, quote_len, orig_src;
	uint8_t *icmp;
	int rc;

	len = rte_pktmbuf_data_len(m);
	if (m->nb_segs != 1 || len < sizeof(*orig))
		return -EINVAL;
	orig = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	if ((orig->version_ihl >> 4) != 4 || (orig->version_ihl & RTE_IPV4_HDR_IHL_MASK) < 5)
		return -EINVAL;
	hl = rte_ipv4_hdr_len(orig);
	total = rte_be_to_cpu_16(orig->total_length);
	if (hl > len || total < hl)
		return -EINVAL;
	len = RTE_MIN(len, total); /* Ethernet padding is not part of the datagram */
	if (!icmp_may_answer_addrs(orig->src_addr, orig->dst_addr))
		return -EINVAL;
	/* Only the first fragment carries the L4 header the sender needs (RFC 1122 3.2.2). */
	if (rte_be_to_cpu_16(orig->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK)
		return -EINVAL;
	if (orig->next_proto_id == IPPROTO_ICMP &&
	    (len <= hl || !icmp_type_is_query(((const uint8_t *)orig)[hl])))
		return -EINVAL;

	orig_src = orig->src_addr;
	quote_len = RTE_MIN(hl + ICMP_QUOTED_PAYLOAD, len);
	rc = icmp_make_room(m, quote_len);
	if (rc != 0)
		return rc;

	ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = ICMP_TOS;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(ICMP_NEW_HDRS_LEN + quote_len));
	ip->packet_id = 0;
	ip->fragment_offset = 0;
	ip->time_to_live = ICMP_TTL;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->hdr_checksum = 0;
	ip->src_addr = src_addr;
	ip->dst_addr = orig_src;
	ip->hdr_checksum = rte_ipv4_cksum(ip);

	icmp = (uint8_t *)(ip + 1);
	icmp[0] = type;
	icmp[1] = code;
	memset(icmp + 2, 0, ICMP_HDR_LEN - 2);
	if (type == ICMP_TYPE_DEST_UNREACH && code == ICMP_CODE_FRAG_NEEDED) {
		icmp[6] = next_hop_mtu >> 8;
		icmp[7] = next_hop_mtu & 0xff;
	}
	((struct rte_icmp_hdr *)icmp)->icmp_cksum =
		(uint16_t)~rte_raw_cksum(icmp, ICMP_HDR_LEN + quote_len);

	m->l2_len = 0;
	m->l3_len = sizeof(*ip);
	m->l4_len = ICMP_HDR_LEN;
	return 0;
}
