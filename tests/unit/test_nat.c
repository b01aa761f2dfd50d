/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spg_nat_translate: every packet is translated, then compared with the same packet built
 * from scratch with the new addresses, and its checksums are recomputed in full here — with
 * a one's complement sum of the test's own, not the module's.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>

#include "nat.h"
#include "unit.h"

#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

/* Workstation, its session's virtual address, the gateway's inner address, the shared SP. */
static const uint32_t W = ADDR(198, 18, 1, 10);
static const uint32_t V = ADDR(198, 18, 128, 7);
static const uint32_t G = ADDR(203, 0, 113, 1);
static const uint32_t S = ADDR(192, 0, 2, 1);

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_GRE = 47 };
enum { ICMP_ECHO_REPLY = 0, ICMP_UNREACH = 3, ICMP_ECHO = 8, ICMP_TIME_EXCEEDED = 11 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Big-endian 16-bit words, an odd last byte padded with zero (RFC 1071). */
static uint32_t sum_bytes(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold_complement(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The checksum of len bytes at p, as if the 16-bit field at csum_off were zero. */
static uint16_t csum_without_field(const uint8_t *p, size_t len, size_t csum_off, uint32_t sum)
{
	sum = sum_bytes(p, len, sum);
	sum += 0xffff - get16(p + csum_off); /* subtract the field, one's complement */
	return fold_complement(sum);
}

static unsigned int ihl_bytes(const uint8_t *ip)
{
	return (ip[0] & 0xf) * 4u;
}

static uint16_t scratch_ip_csum(const uint8_t *ip)
{
	return csum_without_field(ip, ihl_bytes(ip), 10, 0);
}

/* TCP/UDP checksum over the pseudo-header and l4_len bytes of segment. */
static uint16_t scratch_l4_csum(const uint8_t *ip, const uint8_t *l4, uint16_t l4_len)
{
	uint32_t sum = 0;
	uint16_t csum;

	sum = sum_bytes(ip + 12, 8, sum);
	sum += ip[9];
	sum += l4_len;
	csum = csum_without_field(l4, l4_len, ip[9] == P_TCP ? 16 : 6, sum);
	if (ip[9] == P_UDP && csum == 0)
		csum = 0xffff;
	return csum;
}

static uint16_t scratch_icmp_csum(const uint8_t *icmp, uint16_t len)
{
	return csum_without_field(icmp, len, 2, 0);
}

struct flow {
	uint8_t proto;
	uint8_t ihl; /* 0: 5 */
	uint32_t src, dst;
	uint16_t sport, dport; /* TCP/UDP; for ICMP echo: ident and sequence */
	bool udp_no_csum;
	uint8_t icmp_type, icmp_code;
	const uint8_t *payload; /* for ICMP errors: the quoted bytes */
	uint16_t payload_len;
};

/* Writes the datagram of f with every checksum computed from scratch; returns its length. */
static uint16_t build(uint8_t *p, const struct flow *f)
{
	unsigned int hl = (f->ihl ? f->ihl : 5) * 4u;
	uint8_t *l4 = p + hl;
	uint16_t l4_len;

	switch (f->proto) {
	case P_TCP:
		l4_len = (uint16_t)(20 + f->payload_len);
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put32(l4 + 4, 0x01020304);
		put32(l4 + 8, 0x05060708);
		l4[12] = 5 << 4;
		l4[13] = 0x18;
		put16(l4 + 14, 0xfaf0);
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		break;
	case P_UDP:
		l4_len = (uint16_t)(8 + f->payload_len);
		put16(l4, f->sport);
		put16(l4 + 2, f->dport);
		put16(l4 + 4, l4_len);
		put16(l4 + 6, 0);
		break;
	case P_ICMP:
		l4_len = (uint16_t)(8 + f->payload_len);
		l4[0] = f->icmp_type;
		l4[1] = f->icmp_code;
		put16(l4 + 2, 0);
		put16(l4 + 4, f->sport);
		put16(l4 + 6, f->dport);
		break;
	default:
		l4_len = (uint16_t)(4 + f->payload_len);
		put16(l4, 0);
		put16(l4 + 2, 0x0800);
		break;
	}
	if (f->payload_len != 0)
		memcpy(l4 + (l4_len - f->payload_len), f->payload, f->payload_len);

	p[0] = (uint8_t)(0x40 | hl / 4);
	p[1] = 0;
	put16(p + 2, (uint16_t)(hl + l4_len));
	put16(p + 4, 0x1c46);
	put16(p + 6, 0x4000);
	p[8] = 64;
	p[9] = f->proto;
	put16(p + 10, 0);
	put32(p + 12, f->src);
	put32(p + 16, f->dst);
	memset(p + 20, 1, hl - 20); /* options: NOPs */
	put16(p + 10, scratch_ip_csum(p));

	if (f->proto == P_TCP)
		put16(l4 + 16, scratch_l4_csum(p, l4, l4_len));
	else if (f->proto == P_UDP && !f->udp_no_csum)
		put16(l4 + 6, scratch_l4_csum(p, l4, l4_len));
	else if (f->proto == P_ICMP)
		put16(l4 + 2, scratch_icmp_csum(l4, l4_len));
	return (uint16_t)(hl + l4_len);
}

/*
 * Asserts every checksum in the datagram at p, recomputed from scratch, and those of the
 * packet an ICMP error quotes where the quote holds them. Returns the number that differ.
 */
static unsigned int verify_checksums(const uint8_t *p, uint16_t len)
{
	const uint8_t *l4 = p + ihl_bytes(p);
	uint16_t l4_len = (uint16_t)(len - ihl_bytes(p));
	unsigned int bad = 0;

	bad += get16(p + 10) != scratch_ip_csum(p);
	if (p[9] == P_TCP)
		bad += get16(l4 + 16) != scratch_l4_csum(p, l4, l4_len);
	if (p[9] == P_UDP && get16(l4 + 6) != 0)
		bad += get16(l4 + 6) != scratch_l4_csum(p, l4, l4_len);
	if (p[9] == P_ICMP) {
		bad += get16(l4 + 2) != scratch_icmp_csum(l4, l4_len);
		if (l4[0] == ICMP_UNREACH || l4[0] == ICMP_TIME_EXCEEDED) {
			const uint8_t *q = l4 + 8;
			uint16_t q_len = (uint16_t)(l4_len - 8);
			const uint8_t *q_l4 = q + ihl_bytes(q);
			uint16_t q_l4_len = (uint16_t)(q_len - ihl_bytes(q));

			bad += get16(q + 10) != scratch_ip_csum(q);
			/* A whole quoted datagram can be checked end to end. */
			if (get16(q + 2) == q_len) {
				if (q[9] == P_TCP)
					bad += get16(q_l4 + 16) != scratch_l4_csum(q, q_l4, q_l4_len);
				if (q[9] == P_UDP && get16(q_l4 + 6) != 0)
					bad += get16(q_l4 + 6) != scratch_l4_csum(q, q_l4, q_l4_len);
				if (q[9] == P_ICMP)
					bad += get16(q_l4 + 2) != scratch_icmp_csum(q_l4, q_l4_len);
			}
		}
	}
	return bad;
}

static enum spg_drop translate(uint8_t *p, uint16_t len, uint32_t new_src, uint32_t new_dst)
{
	return spg_nat_translate((struct rte_ipv4_hdr *)p, len - ihl_bytes(p),
				 rte_cpu_to_be_32(new_src), rte_cpu_to_be_32(new_dst));
}

static const uint8_t ssh_banner[] = "SSH-2.0-OpenSSH_9.2"; /* 19 bytes: an odd length */
static const uint8_t snmp_get[] = { 0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b' };

/* Builds f, translates it to (new_src, new_dst), and asserts it equals `want` built from scratch. */
static void assert_translates_to(const struct flow *f, uint32_t new_src, uint32_t new_dst,
				 const struct flow *want)
{
	uint8_t got[512], exp[512];
	uint16_t len = build(got, f), exp_len = build(exp, want);

	CU_ASSERT_EQUAL_FATAL(len, exp_len);
	CU_ASSERT_EQUAL(translate(got, len, new_src, new_dst), SPG_OK);
	CU_ASSERT_EQUAL(get32(got + 12), new_src);
	CU_ASSERT_EQUAL(get32(got + 16), new_dst);
	CU_ASSERT_EQUAL(get16(got + 10), get16(exp + 10));
	CU_ASSERT_EQUAL(verify_checksums(got, len), 0);
	CU_ASSERT_EQUAL(memcmp(got, exp, len), 0);
}

static void tcp_outbound_becomes_gateway_to_sp(void)
{
	struct flow f = { .proto = P_TCP, .src = W, .dst = V, .sport = 40000, .dport = 22,
			  .payload = ssh_banner, .payload_len = sizeof(ssh_banner) - 1 };
	struct flow want = f;
	uint8_t p[256];
	uint16_t len;

	want.src = G;
	want.dst = S;
	assert_translates_to(&f, G, S, &want);

	/* Field by field, for the record. */
	len = build(p, &f);
	translate(p, len, G, S);
	CU_ASSERT_EQUAL(get16(p + 20), 40000);
	CU_ASSERT_EQUAL(get16(p + 22), 22);
	CU_ASSERT_EQUAL(p[8], 64);
	CU_ASSERT_EQUAL(get16(p + 2), len);
	CU_ASSERT_EQUAL(get16(p + 20 + 16), scratch_l4_csum(p, p + 20, (uint16_t)(len - 20)));
	CU_ASSERT_EQUAL(memcmp(p + 40, ssh_banner, sizeof(ssh_banner) - 1), 0);
}

static void tcp_inbound_becomes_virtual_to_workstation(void)
{
	struct flow f = { .proto = P_TCP, .src = S, .dst = G, .sport = 22, .dport = 40000,
			  .payload = ssh_banner, .payload_len = sizeof(ssh_banner) - 1 };
	struct flow want = f;

	want.src = V;
	want.dst = W;
	assert_translates_to(&f, V, W, &want);
}

static void udp_checksum_follows_both_ways(void)
{
	struct flow f = { .proto = P_UDP, .src = W, .dst = V, .sport = 50123, .dport = 161,
			  .payload = snmp_get, .payload_len = sizeof(snmp_get) };
	struct flow want = f;

	want.src = G;
	want.dst = S;
	assert_translates_to(&f, G, S, &want);

	f.src = S, f.dst = G, f.sport = 161, f.dport = 50123;
	want = f;
	want.src = V;
	want.dst = W;
	assert_translates_to(&f, V, W, &want);
}

static void udp_without_checksum_stays_without(void)
{
	struct flow f = { .proto = P_UDP, .src = W, .dst = V, .sport = 50123, .dport = 161,
			  .udp_no_csum = true, .payload = snmp_get, .payload_len = sizeof(snmp_get) };
	struct flow want = f;
	uint8_t p[256];
	uint16_t len = build(p, &f);

	want.src = G;
	want.dst = S;
	assert_translates_to(&f, G, S, &want);
	translate(p, len, G, S);
	CU_ASSERT_EQUAL(get16(p + 26), 0);
}

static void udp_checksum_that_becomes_zero_is_sent_as_all_ones(void)
{
	uint8_t payload[2] = { 0, 0 }, p[64];
	struct flow want = { .proto = P_UDP, .src = G, .dst = S, .sport = 50123, .dport = 161,
			     .payload = payload, .payload_len = 2 };
	struct flow f = want;
	uint32_t sum;
	uint16_t len, x;

	/* Choose the payload word so that the translated datagram sums to all ones. */
	len = build(p, &want);
	sum = sum_bytes(p + 12, 8, 0) + P_UDP + 10u + sum_bytes(p + 20, 6, 0);
	x = fold_complement(sum);
	put16(payload, x);

	f.src = W;
	f.dst = V;
	len = build(p, &f);
	CU_ASSERT_NOT_EQUAL(get16(p + 26), 0xffff);
	CU_ASSERT_EQUAL(translate(p, len, G, S), SPG_OK);
	CU_ASSERT_EQUAL(get16(p + 26), 0xffff);
	assert_translates_to(&f, G, S, &want);
}

static void icmp_echo_changes_only_addresses(void)
{
	static const uint8_t ping_data[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS";
	struct flow f = { .proto = P_ICMP, .src = W, .dst = V, .icmp_type = ICMP_ECHO,
			  .sport = 0x4d2, .dport = 7, .payload = ping_data, .payload_len = 56 };
	struct flow want = f;
	uint8_t p[256];
	uint16_t len = build(p, &f), icmp_csum = get16(p + 22);

	want.src = G;
	want.dst = S;
	assert_translates_to(&f, G, S, &want);
	CU_ASSERT_EQUAL(translate(p, len, G, S), SPG_OK);
	CU_ASSERT_EQUAL(get16(p + 22), icmp_csum);

	f.src = S, f.dst = G, f.icmp_type = ICMP_ECHO_REPLY;
	want = f;
	want.src = V;
	want.dst = W;
	assert_translates_to(&f, V, W, &want);
}

#define QUOTE_ALL (-1)

/* An ICMP error from src to dst quoting the first quote_len bytes of `quoted` (or all). */
static uint16_t build_error(uint8_t *p, uint8_t *q_buf, uint32_t src, uint32_t dst, uint8_t type,
			    uint8_t code, uint16_t mtu, const struct flow *quoted, int quote_len)
{
	uint16_t q_full = build(q_buf, quoted);
	struct flow f = { .proto = P_ICMP, .src = src, .dst = dst, .icmp_type = type,
			  .icmp_code = code, .sport = 0, .dport = mtu, .payload = q_buf,
			  .payload_len = quote_len == QUOTE_ALL ? q_full : (uint16_t)quote_len };

	return build(p, &f);
}

static void assert_error_translates(uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
				    uint16_t mtu, const struct flow *quoted, int quote_len,
				    uint32_t new_src, uint32_t new_dst)
{
	uint8_t got[512], exp[512], q1[256], q2[256];
	struct flow q_want = *quoted;
	uint16_t len, exp_len;

	/* The quoted packet went the other way round. */
	q_want.src = quoted->src == dst ? new_dst : quoted->src;
	q_want.dst = quoted->dst == src ? new_src : quoted->dst;
	len = build_error(got, q1, src, dst, type, code, mtu, quoted, quote_len);
	exp_len = build_error(exp, q2, new_src, new_dst, type, code, mtu, &q_want, quote_len);
	CU_ASSERT_EQUAL_FATAL(len, exp_len);

	CU_ASSERT_EQUAL(translate(got, len, new_src, new_dst), SPG_OK);
	CU_ASSERT_EQUAL(verify_checksums(got, len), 0);
	CU_ASSERT_EQUAL(get32(got + 12), new_src);
	CU_ASSERT_EQUAL(get32(got + 16), new_dst);
	CU_ASSERT_EQUAL(get32(got + 28 + 12), q_want.src);
	CU_ASSERT_EQUAL(get32(got + 28 + 16), q_want.dst);
	CU_ASSERT_EQUAL(get16(got + 28 + 10), get16(exp + 28 + 10));
	CU_ASSERT_EQUAL(get16(got + 22), get16(exp + 22));
	CU_ASSERT_EQUAL(memcmp(got, exp, len), 0);
}

static void port_unreachable_quoting_udp_is_translated_inbound(void)
{
	/* The SP refuses a datagram the gateway sent it on the workstation's behalf. */
	struct flow q = { .proto = P_UDP, .src = G, .dst = S, .sport = 50123, .dport = 162,
			  .payload = snmp_get, .payload_len = sizeof(snmp_get) };
	uint8_t p[256], q_buf[128];
	uint16_t len;

	assert_error_translates(S, G, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL, V, W);

	/* The quoted UDP checksum, checked from scratch against the quoted addresses. */
	len = build_error(p, q_buf, S, G, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL);
	CU_ASSERT_EQUAL(translate(p, len, V, W), SPG_OK);
	CU_ASSERT_EQUAL(get32(p + 28 + 12), W);
	CU_ASSERT_EQUAL(get32(p + 28 + 16), V);
	CU_ASSERT_EQUAL(get16(p + 28 + 20 + 6), scratch_l4_csum(p + 28, p + 48, 8 + sizeof(snmp_get)));
	CU_ASSERT_EQUAL(get16(p + 28 + 10), scratch_ip_csum(p + 28));
	CU_ASSERT_EQUAL(get16(p + 22), scratch_icmp_csum(p + 20, (uint16_t)(len - 20)));

	/* Without a UDP checksum, the quoted one stays zero. */
	q.udp_no_csum = true;
	assert_error_translates(S, G, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL, V, W);
	len = build_error(p, q_buf, S, G, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL);
	translate(p, len, V, W);
	CU_ASSERT_EQUAL(get16(p + 28 + 20 + 6), 0);
}

static void frag_needed_quoting_tcp_is_translated_outbound(void)
{
	/* The workstation tells the SP (as V) that its segment was too big. */
	struct flow q = { .proto = P_TCP, .src = V, .dst = W, .sport = 443, .dport = 40001,
			  .payload = ssh_banner, .payload_len = sizeof(ssh_banner) - 1 };
	uint8_t p[256], q_buf[128];
	uint16_t len;

	assert_error_translates(W, V, ICMP_UNREACH, 4, 1400, &q, QUOTE_ALL, G, S);
	len = build_error(p, q_buf, W, V, ICMP_UNREACH, 4, 1400, &q, QUOTE_ALL);
	CU_ASSERT_EQUAL(translate(p, len, G, S), SPG_OK);
	CU_ASSERT_EQUAL(get32(p + 28 + 12), S);
	CU_ASSERT_EQUAL(get32(p + 28 + 16), G);
	CU_ASSERT_EQUAL(get16(p + 26), 1400);
	CU_ASSERT_EQUAL(get16(p + 48 + 16),
			scratch_l4_csum(p + 28, p + 48, (uint16_t)(20 + sizeof(ssh_banner) - 1)));

	/* RFC 792's 8 bytes: no TCP checksum quoted, nothing past the quote touched. */
	assert_error_translates(W, V, ICMP_UNREACH, 4, 1400, &q, 28, G, S);
	/* 18 bytes reach the checksum: it is updated. */
	assert_error_translates(W, V, ICMP_UNREACH, 4, 1400, &q, 38, G, S);
}

static void time_exceeded_quoting_echo_is_translated(void)
{
	static const uint8_t ping_data[] = "ping ping ping ping ";
	struct flow q = { .proto = P_ICMP, .src = G, .dst = S, .icmp_type = ICMP_ECHO,
			  .sport = 0x77, .dport = 3, .payload = ping_data, .payload_len = 20 };

	assert_error_translates(S, G, ICMP_TIME_EXCEEDED, 0, 0, &q, QUOTE_ALL, V, W);
	assert_error_translates(S, G, ICMP_TIME_EXCEEDED, 0, 0, &q, 28, V, W);
}

static void every_icmp_error_type_translates_its_quote(void)
{
	static const uint8_t types[] = { 3, 4, 5, 11, 12 };
	struct flow q = { .proto = P_UDP, .src = V, .dst = W, .sport = 161, .dport = 50000,
			  .payload = snmp_get, .payload_len = sizeof(snmp_get) };
	unsigned int i;

	for (i = 0; i < RTE_DIM(types); i++)
		assert_error_translates(W, V, types[i], 0, 0, &q, QUOTE_ALL, G, S);
}

static void quoted_header_with_options_is_respected(void)
{
	struct flow q = { .proto = P_UDP, .ihl = 6, .src = G, .dst = S, .sport = 50123, .dport = 69,
			  .payload = snmp_get, .payload_len = sizeof(snmp_get) };

	assert_error_translates(S, G, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL, V, W);
	assert_error_translates(S, G, ICMP_UNREACH, 3, 0, &q, 24 + 8, V, W);
}

static void quoted_addresses_of_other_hosts_stay_as_they_are(void)
{
	static const uint32_t X = ADDR(198, 51, 100, 9);
	struct flow q = { .proto = P_UDP, .src = X, .dst = W, .sport = 161, .dport = 50000,
			  .payload = snmp_get, .payload_len = sizeof(snmp_get) };
	uint8_t p[256], q_buf[128];
	uint16_t len;

	assert_error_translates(W, V, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL, G, S);
	q.src = V, q.dst = X;
	assert_error_translates(W, V, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL, G, S);

	len = build_error(p, q_buf, W, V, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL);
	CU_ASSERT_EQUAL(translate(p, len, G, S), SPG_OK);
	CU_ASSERT_EQUAL(get32(p + 28 + 12), S);
	CU_ASSERT_EQUAL(get32(p + 28 + 16), X);
}

static void non_error_icmp_leaves_its_payload_alone(void)
{
	/* A timestamp request whose payload happens to look like an IP header. */
	struct flow q = { .proto = P_UDP, .src = V, .dst = W, .sport = 1, .dport = 2 };
	uint8_t p[256], before[256], q_buf[64];
	uint16_t len = build_error(p, q_buf, W, V, 13, 0, 0, &q, QUOTE_ALL);

	memcpy(before, p, len);
	CU_ASSERT_EQUAL(translate(p, len, G, S), SPG_OK);
	CU_ASSERT_EQUAL(memcmp(p + 20, before + 20, len - 20), 0);
	CU_ASSERT_EQUAL(verify_checksums(p, len), 0);
}

static void other_protocols_change_only_the_ip_header(void)
{
	static const uint8_t inner[] = { 0x45, 0, 0, 20, 1, 2, 3, 4 };
	struct flow f = { .proto = P_GRE, .src = W, .dst = V, .payload = inner, .payload_len = 8 };
	struct flow want = f;
	uint8_t p[64], before[64];
	uint16_t len = build(p, &f);

	want.src = G;
	want.dst = S;
	assert_translates_to(&f, G, S, &want);
	memcpy(before, p, len);
	translate(p, len, G, S);
	CU_ASSERT_EQUAL(memcmp(p + 20, before + 20, len - 20), 0);
}

static void assert_refused_unchanged(uint8_t *p, uint16_t l4_len_claimed, uint16_t buf_len)
{
	uint8_t before[256];

	memcpy(before, p, buf_len);
	CU_ASSERT_EQUAL(spg_nat_translate((struct rte_ipv4_hdr *)p, l4_len_claimed,
					  rte_cpu_to_be_32(G), rte_cpu_to_be_32(S)),
			SPG_DROP_MALFORMED_L4);
	CU_ASSERT_EQUAL(memcmp(p, before, buf_len), 0);
}

static void truncated_quoted_header_is_malformed_and_untouched(void)
{
	struct flow q = { .proto = P_UDP, .src = V, .dst = W, .sport = 161, .dport = 50000,
			  .payload = snmp_get, .payload_len = sizeof(snmp_get) };
	struct flow q6 = q;
	uint8_t p[256], q_buf[128];
	uint16_t len;
	unsigned int n;

	/* Quotes of 0..19 bytes: not even a whole IP header. */
	for (n = 0; n < 20; n++) {
		len = build_error(p, q_buf, W, V, ICMP_UNREACH, 3, 0, &q, (int)n);
		assert_refused_unchanged(p, (uint16_t)(len - 20), len);
	}

	/* A quoted IHL below 5. */
	len = build_error(p, q_buf, W, V, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL);
	p[28] = 0x44;
	assert_refused_unchanged(p, (uint16_t)(len - 20), len);
	p[28] = 0x40;
	assert_refused_unchanged(p, (uint16_t)(len - 20), len);

	/* IHL 6 but only 23 bytes of the quoted header. */
	q6.ihl = 6;
	len = build_error(p, q_buf, W, V, ICMP_UNREACH, 3, 0, &q6, 23);
	assert_refused_unchanged(p, (uint16_t)(len - 20), len);

	/* Outer headers cut short as well. */
	len = build(p, &q);
	assert_refused_unchanged(p, 7, len);
	q.proto = P_TCP;
	len = build(p, &q);
	assert_refused_unchanged(p, 19, len);
	len = build_error(p, q_buf, W, V, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL);
	assert_refused_unchanged(p, 7, len);
}

static void checksum_update_of_one_word_matches_recomputation(void)
{
	struct flow f = { .proto = P_TCP, .src = W, .dst = V, .sport = 1, .dport = 22 };
	uint8_t p[64];
	uint16_t old_word, new_word, csum;

	build(p, &f);
	/* TTL decrement, the way a forwarder does it. */
	old_word = get16(p + 8);
	p[8]--;
	new_word = get16(p + 8);
	csum = spg_csum_update16(rte_cpu_to_be_16(get16(p + 10)), rte_cpu_to_be_16(old_word),
				 rte_cpu_to_be_16(new_word));
	CU_ASSERT_EQUAL(rte_be_to_cpu_16(csum), scratch_ip_csum(p));
	put16(p + 10, rte_be_to_cpu_16(csum));

	/* Host-order values with a host-order checksum work just as well. */
	csum = spg_csum_update32(get16(p + 10), W, G);
	put32(p + 12, G);
	CU_ASSERT_EQUAL(csum, scratch_ip_csum(p));
}

/* xorshift64*: seeded, so a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

enum rt_kind { RT_TCP, RT_UDP, RT_UDP_NO_CSUM, RT_ECHO, RT_ERR_UDP, RT_ERR_TCP, RT_ERR_TCP_8,
	       RT_ERR_ECHO, RT_GRE, RT_KINDS };

/* The packet of a kind from src to dst; errors quote a packet that went dst -> src. */
static uint16_t build_kind(uint8_t *p, uint8_t *q_buf, enum rt_kind kind, uint32_t src,
			   uint32_t dst, uint16_t sport, uint16_t dport, const uint8_t *payload,
			   uint16_t payload_len)
{
	struct flow f = { .src = src, .dst = dst, .sport = sport, .dport = dport,
			  .payload = payload, .payload_len = payload_len };
	struct flow q = { .src = dst, .dst = src, .sport = dport, .dport = sport,
			  .payload = payload, .payload_len = payload_len };

	switch (kind) {
	case RT_TCP:
		f.proto = P_TCP;
		return build(p, &f);
	case RT_UDP:
	case RT_UDP_NO_CSUM:
		f.proto = P_UDP;
		f.udp_no_csum = kind == RT_UDP_NO_CSUM;
		return build(p, &f);
	case RT_ECHO:
		f.proto = P_ICMP;
		f.icmp_type = ICMP_ECHO;
		return build(p, &f);
	case RT_ERR_UDP:
		q.proto = P_UDP;
		return build_error(p, q_buf, src, dst, ICMP_UNREACH, 3, 0, &q, QUOTE_ALL);
	case RT_ERR_TCP:
		q.proto = P_TCP;
		return build_error(p, q_buf, src, dst, ICMP_UNREACH, 4, 1280, &q, QUOTE_ALL);
	case RT_ERR_TCP_8:
		q.proto = P_TCP;
		return build_error(p, q_buf, src, dst, ICMP_UNREACH, 4, 1280, &q, 28);
	case RT_ERR_ECHO:
		q.proto = P_ICMP;
		q.icmp_type = ICMP_ECHO;
		return build_error(p, q_buf, src, dst, ICMP_TIME_EXCEEDED, 0, 0, &q, QUOTE_ALL);
	default:
		f.proto = P_GRE;
		return build(p, &f);
	}
}

static void random_packets_translate_and_round_trip(void)
{
	unsigned int i, failures = 0, tried[RT_KINDS] = { 0 };

	for (i = 0; i < 20000; i++) {
		uint8_t orig[256], got[256], exp[256], q1[128], q2[128], payload[64];
		enum rt_kind kind = rng() % RT_KINDS;
		uint32_t a, b, c, d;
		uint16_t sport = (uint16_t)rng(), dport = (uint16_t)rng();
		uint16_t plen = rng() % (sizeof(payload) + 1), len, exp_len;
		unsigned int j;
		bool ok;

		do {
			a = rng(), b = rng(), c = rng(), d = rng();
		} while (a == b || a == c || a == d || b == c || b == d || c == d);
		for (j = 0; j < plen; j++)
			payload[j] = (uint8_t)rng();

		len = build_kind(orig, q1, kind, a, b, sport, dport, payload, plen);
		exp_len = build_kind(exp, q2, kind, c, d, sport, dport, payload, plen);
		memcpy(got, orig, len);
		ok = len == exp_len && translate(got, len, c, d) == SPG_OK &&
		     verify_checksums(got, len) == 0 && memcmp(got, exp, len) == 0;
		/* And back again, to the very same bytes. */
		ok = ok && translate(got, len, a, b) == SPG_OK && memcmp(got, orig, len) == 0;
		tried[kind]++;
		if (!ok && failures++ == 0)
			printf("\nround trip %u failed: kind %d %08x>%08x as %08x>%08x ports %u>%u len %u\n",
			       i, kind, a, b, c, d, sport, dport, plen);
	}
	CU_ASSERT_EQUAL(failures, 0);
	for (i = 0; i < RT_KINDS; i++)
		CU_ASSERT(tried[i] > 1000);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "TCP outbound becomes gateway -> SP", tcp_outbound_becomes_gateway_to_sp },
		{ "TCP inbound becomes virtual -> workstation", tcp_inbound_becomes_virtual_to_workstation },
		{ "UDP checksum follows both ways", udp_checksum_follows_both_ways },
		{ "UDP without checksum stays without", udp_without_checksum_stays_without },
		{ "a UDP checksum that becomes zero is sent as all ones",
		  udp_checksum_that_becomes_zero_is_sent_as_all_ones },
		{ "ICMP echo changes only addresses", icmp_echo_changes_only_addresses },
		{ "port unreachable quoting UDP is translated inbound",
		  port_unreachable_quoting_udp_is_translated_inbound },
		{ "frag needed quoting TCP is translated outbound",
		  frag_needed_quoting_tcp_is_translated_outbound },
		{ "time exceeded quoting an echo is translated", time_exceeded_quoting_echo_is_translated },
		{ "every ICMP error type translates its quote", every_icmp_error_type_translates_its_quote },
		{ "a quoted header with options is respected", quoted_header_with_options_is_respected },
		{ "quoted addresses of other hosts stay as they are",
		  quoted_addresses_of_other_hosts_stay_as_they_are },
		{ "non-error ICMP leaves its payload alone", non_error_icmp_leaves_its_payload_alone },
		{ "other protocols change only the IP header", other_protocols_change_only_the_ip_header },
		{ "a truncated quoted header is malformed and untouched",
		  truncated_quoted_header_is_malformed_and_untouched },
		{ "a checksum update of one word matches recomputation",
		  checksum_update_of_one_word_matches_recomputation },
		{ "random packets translate and round-trip", random_packets_translate_and_round_trip },
		{ NULL, NULL },
	};

	return unit_run("nat", cases, NULL, NULL);
}
