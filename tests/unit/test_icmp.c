/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP errors built in place, checked byte by byte with checksums computed here from scratch. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "esp_test_util.h"
#include "icmp.h"
#include "unit.h"

#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static const uint32_t W = ADDR(198, 18, 1, 10);   /* the workstation */
static const uint32_t V = ADDR(198, 18, 128, 7);  /* its session's virtual address */
static const uint32_t GW = ADDR(198, 18, 0, 1);   /* the gateway's vendor-side address */

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17 };

/* Over data that carries its own checksum, a correct one makes the sum all ones. */
static uint16_t ones_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An IPv4 datagram of total_len bytes from src to dst, header checksum set; payload patterned. */
static void build_ip(uint8_t *p, uint16_t total_len, uint8_t proto, uint32_t src, uint32_t dst)
{
	unsigned int i;

	for (i = 20; i < total_len; i++)
		p[i] = (uint8_t)(i * 7 + 3);
	p[0] = 0x45;
	p[1] = 0x10;
	put16(p + 2, total_len);
	put16(p + 4, 0xbeef);
	put16(p + 6, 0x4000); /* DF */
	p[8] = 63;
	p[9] = proto;
	put16(p + 10, 0);
	put32(p + 12, src);
	put32(p + 16, dst);
	put16(p + 10, (uint16_t)~ones_sum(p, 20));
}

static struct rte_mbuf *mbuf_of(struct unit_mbuf *u, const uint8_t *p, uint16_t len)
{
	return unit_mbuf(u, p, len);
}

static int icmp_error(struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu)
{
	return spg_icmp_error_in_place(m, type, code, mtu, rte_cpu_to_be_32(GW));
}

/* Asserts the common shape of an error about `orig` quoting quote_len bytes of it. */
static void assert_error(struct rte_mbuf *m, const uint8_t *orig, uint16_t quote_len,
			 uint8_t type, uint8_t code)
{
	const uint8_t *ip = rte_pktmbuf_mtod(m, const uint8_t *), *icmp = ip + 20;
	uint16_t len = (uint16_t)(28 + quote_len);

	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), len);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), len);
	CU_ASSERT_EQUAL(ip[0], 0x45);
	CU_ASSERT_EQUAL(get16(ip + 2), len);
	CU_ASSERT_EQUAL(get16(ip + 4), 0);
	CU_ASSERT_EQUAL(get16(ip + 6), 0); /* DF clear, not a fragment */
	CU_ASSERT_EQUAL(ip[8], 64);
	CU_ASSERT_EQUAL(ip[9], P_ICMP);
	CU_ASSERT_EQUAL(get32(ip + 12), GW);
	CU_ASSERT_EQUAL(get32(ip + 16), get32(orig + 12));
	CU_ASSERT_EQUAL(ones_sum(ip, 20), 0xffff);
	CU_ASSERT_EQUAL(icmp[0], type);
	CU_ASSERT_EQUAL(icmp[1], code);
	CU_ASSERT_EQUAL(ones_sum(icmp, (size_t)8 + quote_len), 0xffff);
	CU_ASSERT_EQUAL(memcmp(icmp + 8, orig, quote_len), 0);
	CU_ASSERT_EQUAL(m->l2_len, 0);
	CU_ASSERT_EQUAL(m->l3_len, 20);
}

static void frag_needed_from_a_full_size_tcp_packet(void)
{
	static uint8_t orig[1500];
	struct unit_mbuf u;
	struct rte_mbuf *m;
	const uint8_t *icmp;

	build_ip(orig, sizeof(orig), P_TCP, W, V);
	m = mbuf_of(&u, orig, sizeof(orig));
	CU_ASSERT_EQUAL_FATAL(icmp_error(m, 3, 4, 1418), 0);
	assert_error(m, orig, 28, 3, 4);
	icmp = rte_pktmbuf_mtod_offset(m, const uint8_t *, 20);
	CU_ASSERT_EQUAL(get16(icmp + 4), 0);
	CU_ASSERT_EQUAL(get16(icmp + 6), 1418);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), 56);
	/* Built in the headroom in front of the quote: nothing was moved. */
	CU_ASSERT_EQUAL(m->data_off, RTE_PKTMBUF_HEADROOM - 28);
}

static void works_without_headroom_too(void)
{
	uint8_t orig[600];
	struct unit_mbuf u;
	struct rte_mbuf *m;

	build_ip(orig, sizeof(orig), P_UDP, W, V);
	m = unit_mbuf(&u, NULL, sizeof(orig));
	m->data_off = 0;
	memcpy(u.buf, orig, sizeof(orig));
	CU_ASSERT_EQUAL_FATAL(icmp_error(m, 3, 4, 576), 0);
	CU_ASSERT_EQUAL(m->data_off, 0);
	assert_error(m, orig, 28, 3, 4);
	CU_ASSERT_EQUAL(get16(rte_pktmbuf_mtod_offset(m, uint8_t *, 26)), 576);
}

static void time_exceeded_from_a_short_packet_quotes_all_of_it(void)
{
	uint8_t orig[24];
	struct unit_mbuf u;
	struct rte_mbuf *m;

	build_ip(orig, sizeof(orig), P_UDP, W, V);
	m = mbuf_of(&u, orig, sizeof(orig));
	CU_ASSERT_EQUAL_FATAL(icmp_error(m, 11, 0, 1400), 0);
	assert_error(m, orig, 24, 11, 0);
	/* The MTU is only for "fragmentation needed". */
	CU_ASSERT_EQUAL(get32(rte_pktmbuf_mtod_offset(m, uint8_t *, 24)), 0);
	CU_ASSERT_EQUAL(rte_pktmbuf_pkt_len(m), 52);
}

static void ethernet_padding_is_not_quoted(void)
{
	uint8_t frame[46];
	struct unit_mbuf u;
	struct rte_mbuf *m;

	memset(frame, 0xee, sizeof(frame));
	build_ip(frame, 22, P_UDP, W, V);
	m = mbuf_of(&u, frame, sizeof(frame));
	CU_ASSERT_EQUAL_FATAL(icmp_error(m, 3, 1, 0), 0);
	assert_error(m, frame, 22, 3, 1);
}

static void a_header_with_options_is_quoted_whole(void)
{
	uint8_t orig[100];
	struct unit_mbuf u;
	struct rte_mbuf *m;

	build_ip(orig, sizeof(orig), P_TCP, W, V);
	orig[0] = 0x47;
	memset(orig + 20, 1, 8); /* two words of NOP options */
	put16(orig + 10, 0);
	put16(orig + 10, (uint16_t)~ones_sum(orig, 28));
	m = mbuf_of(&u, orig, sizeof(orig));
	CU_ASSERT_EQUAL_FATAL(icmp_error(m, 3, 13, 0), 0);
	assert_error(m, orig, 28 + 8, 3, 13);
}

static void echo_requests_and_replies_are_answered(void)
{
	static const uint8_t query_types[] = { 8, 0, 13 };
	uint8_t orig[84];
	struct unit_mbuf u;
	struct rte_mbuf *m;
	unsigned int i;

	for (i = 0; i < RTE_DIM(query_types); i++) {
		build_ip(orig, sizeof(orig), P_ICMP, W, V);
		orig[20] = query_types[i];
		orig[21] = 0;
		m = mbuf_of(&u, orig, sizeof(orig));
		CU_ASSERT_EQUAL_FATAL(icmp_error(m, 3, 1, 0), 0);
		assert_error(m, orig, 28, 3, 1);
	}
}

static void refuse_unchanged(const uint8_t *orig, uint16_t len)
{
	struct unit_mbuf u;
	struct rte_mbuf *m = mbuf_of(&u, orig, len);

	CU_ASSERT_EQUAL(icmp_error(m, 3, 4, 1400), -EINVAL);
	CU_ASSERT_EQUAL(rte_pktmbuf_data_len(m), len);
	CU_ASSERT_EQUAL(m->data_off, RTE_PKTMBUF_HEADROOM);
	CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *), orig, len), 0);
}

static void an_icmp_error_is_never_answered(void)
{
	static const uint8_t error_types[] = { 3, 4, 5, 11, 12 };
	uint8_t orig[56];
	unsigned int i;

	for (i = 0; i < RTE_DIM(error_types); i++) {
		build_ip(orig, sizeof(orig), P_ICMP, W, V);
		orig[20] = error_types[i];
		refuse_unchanged(orig, sizeof(orig));
	}
	/* Nor one whose type cannot be seen. */
	build_ip(orig, 20, P_ICMP, W, V);
	refuse_unchanged(orig, 20);
}

static void sources_that_are_not_one_host_are_refused(void)
{
	static const uint32_t bad_src[] = {
		ADDR(0, 0, 0, 0), ADDR(255, 255, 255, 255), ADDR(224, 0, 0, 5),
		ADDR(239, 255, 255, 250), ADDR(127, 0, 0, 1), ADDR(240, 0, 0, 1),
	};
	uint8_t orig[60];
	unsigned int i;

	for (i = 0; i < RTE_DIM(bad_src); i++) {
		build_ip(orig, sizeof(orig), P_UDP, bad_src[i], V);
		refuse_unchanged(orig, sizeof(orig));
	}
}

static void packets_to_broadcast_or_multicast_are_refused(void)
{
	uint8_t orig[60];

	build_ip(orig, sizeof(orig), P_UDP, W, ADDR(255, 255, 255, 255));
	refuse_unchanged(orig, sizeof(orig));
	build_ip(orig, sizeof(orig), P_UDP, W, ADDR(224, 0, 0, 251));
	refuse_unchanged(orig, sizeof(orig));
}

static void later_fragments_and_broken_headers_are_refused(void)
{
	uint8_t orig[60];

	build_ip(orig, sizeof(orig), P_UDP, W, V);
	put16(orig + 6, 0x00b9); /* offset 1480 */
	refuse_unchanged(orig, sizeof(orig));

	build_ip(orig, sizeof(orig), P_UDP, W, V);
	orig[0] = 0x44;
	refuse_unchanged(orig, sizeof(orig));
	orig[0] = 0x65;
	refuse_unchanged(orig, sizeof(orig));
	refuse_unchanged(orig, 19);

	build_ip(orig, sizeof(orig), P_UDP, W, V);
	orig[0] = 0x4f; /* 60 bytes of header in 40 bytes of data */
	refuse_unchanged(orig, 40);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "frag needed from a full-size TCP packet", frag_needed_from_a_full_size_tcp_packet },
		{ "works without headroom too", works_without_headroom_too },
		{ "time exceeded from a short packet quotes all of it",
		  time_exceeded_from_a_short_packet_quotes_all_of_it },
		{ "Ethernet padding is not quoted", ethernet_padding_is_not_quoted },
		{ "a header with options is quoted whole", a_header_with_options_is_quoted_whole },
		{ "echo requests and replies are answered", echo_requests_and_replies_are_answered },
		{ "an ICMP error is never answered", an_icmp_error_is_never_answered },
		{ "sources that are not one host are refused", sources_that_are_not_one_host_are_refused },
		{ "packets to broadcast or multicast are refused",
		  packets_to_broadcast_or_multicast_are_refused },
		{ "later fragments and broken headers are refused",
		  later_fragments_and_broken_headers_are_refused },
		{ NULL, NULL },
	};

	return unit_run("icmp", cases, NULL, NULL);
}
