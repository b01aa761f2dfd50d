/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the packet check and the NAT: whatever the input, no crash, and
 * for every packet the check accepts, translation keeps each checksum that was right right,
 * and translating back restores the addresses. Built with the other targets (tests/fuzz/
 * meson.build); run it with tools/fuzz.sh fuzz_pkt [SECONDS] (-max_len=1600).
 *
 * The first input byte chooses whether the packet starts with an Ethernet header (bit 0)
 * and whether its IP header checksum is left as it is (bit 1) or set right.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>

#include "nat.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_mbuf {
	struct rte_mbuf m;
	uint8_t buf[RTE_PKTMBUF_HEADROOM + 2048];
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* All ones when the data, its checksum included, is right. */
static uint16_t ones_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Whether the L4 checksum (TCP, UDP with one, ICMP) of a checked packet is right. */
static int l4_csum_ok(const uint8_t *ip, uint32_t l4_len)
{
	const uint8_t *l4 = ip + 20;
	uint32_t pseudo;

	switch (ip[9]) {
	case 6:
	case 17:
		if (ip[9] == 17 && be16(l4 + 6) == 0)
			return 1;
		pseudo = ones_sum(ip + 12, 8, 0) + ip[9] + l4_len;
		return ones_sum(l4, l4_len, pseudo) == 0xffff;
	case 1:
		return ones_sum(l4, l4_len, 0) == 0xffff;
	default:
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fuzz_mbuf fm;
	struct rte_mbuf *m = &fm.m;
	uint8_t *ip, before[20];
	uint32_t l4_len, old_src, old_dst, new_src = 0x0a0012c6, new_dst = 0x010200c0;
	int l4_ok;

	if (size < 1 || size - 1 > sizeof(fm.buf) - RTE_PKTMBUF_HEADROOM)
		return 0;
	memset(m, 0, sizeof(*m));
	m->buf_addr = fm.buf;
	m->buf_len = sizeof(fm.buf);
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->nb_segs = 1;
	rte_mbuf_refcnt_set(m, 1);
	m->data_len = (uint16_t)(size - 1);
	m->pkt_len = (uint32_t)(size - 1);
	m->l2_len = data[0] & 1 ? 14 : 0;
	memcpy(fm.buf + RTE_PKTMBUF_HEADROOM, data + 1, size - 1);
	/* Random bytes seldom carry a right header checksum: mostly give them one. */
	if (!(data[0] & 2) && size - 1 >= m->l2_len + 20u) {
		uint8_t *h = fm.buf + RTE_PKTMBUF_HEADROOM + m->l2_len;
		uint16_t c;

		h[10] = h[11] = 0;
		c = (uint16_t)~ones_sum(h, 20, 0);
		h[10] = c >> 8;
		h[11] = c & 0xff;
	}

	if (spg_pkt_check_ipv4(m) != SPG_OK)
		return 0;
	ip = (uint8_t *)spg_pkt_ipv4(m);
	if (m->pkt_len != m->data_len || m->data_len != m->l2_len + be16(ip + 2u))
		abort();
	l4_len = be16(ip + 2) - 20u;
	l4_ok = l4_csum_ok(ip, l4_len);
	memcpy(before, ip, 20);

	if (spg_nat_translate((struct rte_ipv4_hdr *)ip, l4_len, new_src, new_dst) != SPG_OK)
		return 0;
	if (ones_sum(ip, 20, 0) != 0xffff)
		abort();
	if (l4_ok && !l4_csum_ok(ip, l4_len))
		abort();

	memcpy(&old_src, before + 12, 4);
	memcpy(&old_dst, before + 16, 4);
	if (spg_nat_translate((struct rte_ipv4_hdr *)ip, l4_len, old_src, old_dst) != SPG_OK)
		abort();
	if (memcmp(ip + 12, before + 12, 8) != 0 || ones_sum(ip, 20, 0) != 0xffff)
		abort();
	if (l4_ok && !l4_csum_ok(ip, l4_len))
		abort();
	return 0;
}
