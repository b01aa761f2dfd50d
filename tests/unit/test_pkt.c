/* SPDX-License-Identifier: BSD-3-Clause */
/* spg_pkt_check_ipv4: every length field, every truncation point, and the drop reasons. */
#include <stdint.h>
#include <string.h>

#include "pkt.h"
#include "unit.h"

#define ETH_LEN 14
#define IP_LEN 20

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_GRE = 47 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* A one's complement sum written for the test, independent of DPDK's and ours. */
static uint16_t ones_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sets the IP header checksum for the header at ip (options included). */
static void ip_fix_csum(uint8_t *ip)
{
	unsigned int hl = (ip[0] & 0xf) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ones_sum(ip, hl));
}

/*
 * Writes Ethernet + IPv4 (198.18.0.10 -> 198.18.128.7) + an L4 header of proto + payload
 * bytes into f; returns the frame length. TCP headers get tcp_hdr_len bytes.
 */
static uint16_t build_frame(uint8_t *f, uint8_t proto, unsigned int tcp_hdr_len, unsigned int payload)
{
	uint8_t *ip = f + ETH_LEN, *l4 = ip + IP_LEN;
	unsigned int l4_len;

	memset(f, 0, ETH_LEN + IP_LEN + 60 + payload);
	memset(f, 0x02, 12);
	put16(f + 12, 0x0800);
	switch (proto) {
	case P_TCP:
		l4_len = tcp_hdr_len;
		put16(l4, 40000);
		put16(l4 + 2, 22);
		l4[12] = (uint8_t)((tcp_hdr_len / 4) << 4);
		l4[13] = 0x18; /* PSH ACK */
		put16(l4 + 14, 65535);
		break;
	case P_UDP:
		l4_len = 8;
		put16(l4, 40000);
		put16(l4 + 2, 161);
		put16(l4 + 4, (uint16_t)(8 + payload));
		break;
	case P_ICMP:
		l4_len = 8;
		l4[0] = 8; /* echo request */
		put16(l4 + 4, 0x1234);
		put16(l4 + 6, 1);
		break;
	default:
		l4_len = 4;
		put16(l4 + 2, 0x0800);
		break;
	}
	memset(l4 + l4_len, 0xa5, payload);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_LEN + l4_len + payload));
	put16(ip + 4, 0x4242);
	put16(ip + 6, 0x4000); /* DF: allowed */
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 198, ip[13] = 18, ip[14] = 0, ip[15] = 10;
	ip[16] = 198, ip[17] = 18, ip[18] = 128, ip[19] = 7;
	ip_fix_csum(ip);
	return (uint16_t)(ETH_LEN + IP_LEN + l4_len + payload);
}

static enum spg_drop check_frame(struct unit_mbuf *u, const uint8_t *f, uint16_t len)
{
	struct rte_mbuf *m = unit_mbuf(u, f, len);

	m->l2_len = ETH_LEN;
	return spg_pkt_check_ipv4(m);
}

static void valid_tcp_udp_icmp_pass_and_set_lengths(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len;

	len = build_frame(f, P_TCP, 20, 10);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	CU_ASSERT_EQUAL(u.m.l3_len, 20);
	CU_ASSERT_EQUAL(u.m.l4_len, 20);
	CU_ASSERT_EQUAL(u.m.data_len, len);

	len = build_frame(f, P_TCP, 32, 0);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	CU_ASSERT_EQUAL(u.m.l4_len, 32);

	len = build_frame(f, P_UDP, 0, 17);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	CU_ASSERT_EQUAL(u.m.l3_len, 20);
	CU_ASSERT_EQUAL(u.m.l4_len, 8);

	len = build_frame(f, P_ICMP, 0, 56);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	CU_ASSERT_EQUAL(u.m.l3_len, 20);
	CU_ASSERT_EQUAL(u.m.l4_len, 8);
}

static void other_protocols_pass_without_l4_length(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_GRE, 0, 0);

	u.m.l4_len = 99;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	CU_ASSERT_EQUAL(u.m.l3_len, 20);
	CU_ASSERT_EQUAL(u.m.l4_len, 0);
}

static void packet_starting_at_l3_is_checked_too(void)
{
	struct unit_mbuf u;
	struct rte_mbuf *m;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_UDP, 0, 4);

	m = unit_mbuf(&u, f + ETH_LEN, (uint16_t)(len - ETH_LEN));
	m->l2_len = 0;
	CU_ASSERT_EQUAL(spg_pkt_check_ipv4(m), SPG_OK);
	CU_ASSERT_EQUAL(m->l4_len, 8);

	f[ETH_LEN + 10] ^= 1;
	m = unit_mbuf(&u, f + ETH_LEN, (uint16_t)(len - ETH_LEN));
	m->l2_len = 0;
	CU_ASSERT_EQUAL(spg_pkt_check_ipv4(m), SPG_DROP_IP_CHECKSUM);
}

/* The frame is cut short but the IP header still claims the whole datagram. */
static void every_truncated_frame_is_malformed_ip(void)
{
	static const uint8_t protos[] = { P_TCP, P_UDP, P_ICMP };
	struct unit_mbuf u;
	uint8_t f[256];
	unsigned int i, n;

	for (i = 0; i < RTE_DIM(protos); i++) {
		uint16_t len = build_frame(f, protos[i], 20, 12);

		for (n = 0; n < len; n++) {
			enum spg_drop r = check_frame(&u, f, (uint16_t)n);

			CU_ASSERT_EQUAL(r, SPG_DROP_MALFORMED_IP);
			if (r != SPG_DROP_MALFORMED_IP)
				printf("\nproto %u cut at %u: %s\n", protos[i], n, spg_drop_name(r));
		}
		CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	}
}

/* The datagram itself is short (total length and checksum agree): the L4 header is cut. */
static void every_truncated_datagram_gets_its_reason(void)
{
	static const struct {
		uint8_t proto;
		unsigned int tcp_hdr_len, payload, l4_need;
	} cases[] = {
		{ P_TCP, 20, 12, 20 }, /* any payload length is fine past the header */
		{ P_TCP, 32, 4, 32 },  /* data offset 8: the options must be there */
		{ P_UDP, 0, 12, 20 },  /* the UDP length says 20 */
		{ P_ICMP, 0, 12, 8 },
		{ P_GRE, 0, 12, 0 },
	};
	struct unit_mbuf u;
	uint8_t f[256];
	unsigned int i, ip_len;

	for (i = 0; i < RTE_DIM(cases); i++) {
		uint16_t full = build_frame(f, cases[i].proto, cases[i].tcp_hdr_len, cases[i].payload);

		for (ip_len = 0; ip_len <= (unsigned int)(full - ETH_LEN); ip_len++) {
			enum spg_drop want, got;

			put16(f + ETH_LEN + 2, (uint16_t)ip_len);
			ip_fix_csum(f + ETH_LEN);
			if (ip_len < IP_LEN)
				want = SPG_DROP_MALFORMED_IP;
			else if (ip_len - IP_LEN < cases[i].l4_need)
				want = SPG_DROP_MALFORMED_L4;
			else
				want = SPG_OK;
			got = check_frame(&u, f, (uint16_t)(ETH_LEN + ip_len));
			CU_ASSERT_EQUAL(got, want);
			if (got != want)
				printf("\ncase %u ip_len %u: got %s want %s\n", i, ip_len,
				       spg_drop_name(got), spg_drop_name(want));
		}
	}
}

static void wrong_version_and_short_ihl_are_malformed_ip(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_TCP, 20, 0);

	f[ETH_LEN] = 0x65; /* version 6, with a checksum that matches */
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_IP);

	len = build_frame(f, P_TCP, 20, 0);
	f[ETH_LEN] = 0x44;
	put16(f + ETH_LEN + 10, 0);
	put16(f + ETH_LEN + 10, (uint16_t)~ones_sum(f + ETH_LEN, IP_LEN));
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_IP);

	f[ETH_LEN] = 0x40;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_IP);
}

static void ip_options_are_refused(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_TCP, 20, 4);

	/* Turn the first 4 bytes of TCP into an IP option: IHL 6, valid checksum. */
	f[ETH_LEN] = 0x46;
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_IP_OPTIONS);
	/* Options are refused before the checksum is looked at. */
	f[ETH_LEN + 10] ^= 0xff;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_IP_OPTIONS);
}

static void total_length_beyond_data_or_below_header_is_malformed_ip(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_UDP, 0, 8);

	put16(f + ETH_LEN + 2, (uint16_t)(len - ETH_LEN + 1));
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_IP);

	put16(f + ETH_LEN + 2, 19);
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_IP);

	put16(f + ETH_LEN + 2, 0);
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_IP);
}

static void wrong_header_checksum_is_ip_checksum(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_TCP, 20, 0);

	f[ETH_LEN + 11] ^= 0x01;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_IP_CHECKSUM);

	len = build_frame(f, P_TCP, 20, 0);
	f[ETH_LEN + 8] = 63; /* TTL changed, checksum not */
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_IP_CHECKSUM);
}

static void fragments_are_refused(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_UDP, 0, 8);

	put16(f + ETH_LEN + 6, 0x2000); /* MF, offset 0: the first fragment */
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_FRAGMENT);

	put16(f + ETH_LEN + 6, 0x0001); /* the last fragment, offset 8 */
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_FRAGMENT);

	put16(f + ETH_LEN + 6, 0x5fff);
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_FRAGMENT);

	/* A fragment with a bad checksum is counted as a bad checksum: that test comes first. */
	f[ETH_LEN + 10] ^= 0x10;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_IP_CHECKSUM);

	put16(f + ETH_LEN + 6, 0x4000); /* DF alone is fine */
	ip_fix_csum(f + ETH_LEN);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
}

static void tcp_data_offset_below_5_or_beyond_data_is_malformed_l4(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_TCP, 20, 20);
	uint8_t *tcp = f + ETH_LEN + IP_LEN;

	tcp[12] = 4 << 4;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_L4);
	tcp[12] = 0;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_L4);
	tcp[12] = 10 << 4; /* 40 bytes of header: exactly what there is */
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	CU_ASSERT_EQUAL(u.m.l4_len, 40);
	tcp[12] = 11 << 4;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_L4);
	tcp[12] = 15 << 4;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_L4);
}

static void udp_length_outside_header_and_datagram_is_malformed_l4(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_UDP, 0, 12);
	uint8_t *udp = f + ETH_LEN + IP_LEN;

	put16(udp + 4, 7);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_L4);
	put16(udp + 4, 0);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_L4);
	put16(udp + 4, 21);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_L4);
	put16(udp + 4, 8); /* shorter than the IP payload: allowed */
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
	put16(udp + 4, 20);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_OK);
}

static void ethernet_padding_is_trimmed(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_UDP, 0, 2); /* 44 bytes: Ethernet pads it to 60 */

	CU_ASSERT_EQUAL(len, 44);
	memset(f + len, 0, 60 - len);
	CU_ASSERT_EQUAL(check_frame(&u, f, 60), SPG_OK);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(&u.m), 44);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(&u.m), 44);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(&u.m, uint8_t *), f, 44), 0);
}

static void checks_come_in_the_documented_order(void)
{
	struct unit_mbuf u;
	uint8_t f[256];
	uint16_t len = build_frame(f, P_TCP, 20, 0);

	/* Options with a too-big total length: IHL is looked at first. */
	f[ETH_LEN] = 0x46;
	put16(f + ETH_LEN + 2, 1000);
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_IP_OPTIONS);
	/* Too-big total length and a bad checksum: the length first. */
	f[ETH_LEN] = 0x45;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_MALFORMED_IP);
	/* Bad checksum and a broken TCP header: the checksum first. */
	len = build_frame(f, P_TCP, 20, 0);
	f[ETH_LEN + IP_LEN + 12] = 0;
	f[ETH_LEN + 10] ^= 1;
	CU_ASSERT_EQUAL(check_frame(&u, f, len), SPG_DROP_IP_CHECKSUM);
}

/* spg_ipv4_hdr_sum sums 32 bits at a time: it must agree with DPDK's 16-bit sum on any
 * header, carries and all (all-ones words make every fold carry). */
static void header_sum_agrees_with_rte_raw_cksum(void)
{
	uint32_t x = 2463534242u, bad = 0;
	uint8_t h[20];

	for (uint32_t n = 0; n < 200000; n++) {
		for (unsigned int i = 0; i < sizeof(h); i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			/* every 4th header mostly 0xff bytes */
			h[i] = (n & 3) == 0 && (x & 7) != 0 ? 0xff : (uint8_t)x;
		}
		bad += spg_ipv4_hdr_sum(h) != rte_raw_cksum(h, sizeof(h));
	}
	memset(h, 0xff, sizeof(h));
	bad += spg_ipv4_hdr_sum(h) != rte_raw_cksum(h, sizeof(h));
	CU_ASSERT_EQUAL(bad, 0);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "valid TCP, UDP and ICMP pass and set l3_len/l4_len", valid_tcp_udp_icmp_pass_and_set_lengths },
		{ "other protocols pass without an L4 length", other_protocols_pass_without_l4_length },
		{ "a packet starting at L3 is checked too", packet_starting_at_l3_is_checked_too },
		{ "every truncated frame is malformed_ip", every_truncated_frame_is_malformed_ip },
		{ "every truncated datagram gets its reason", every_truncated_datagram_gets_its_reason },
		{ "wrong version and short IHL are malformed_ip", wrong_version_and_short_ihl_are_malformed_ip },
		{ "IP options are refused", ip_options_are_refused },
		{ "total length beyond the data or below the header is malformed_ip",
		  total_length_beyond_data_or_below_header_is_malformed_ip },
		{ "a wrong header checksum is ip_checksum", wrong_header_checksum_is_ip_checksum },
		{ "fragments are refused", fragments_are_refused },
		{ "TCP data offset below 5 or beyond the data is malformed_l4",
		  tcp_data_offset_below_5_or_beyond_data_is_malformed_l4 },
		{ "UDP length outside header..datagram is malformed_l4",
		  udp_length_outside_header_and_datagram_is_malformed_l4 },
		{ "Ethernet padding is trimmed", ethernet_padding_is_trimmed },
		{ "checks come in the documented order", checks_come_in_the_documented_order },
		{ "the header sum agrees with rte_raw_cksum", header_sum_agrees_with_rte_raw_cksum },
		{ NULL, NULL },
	};

	return unit_run("pkt", cases, NULL, NULL);
}
