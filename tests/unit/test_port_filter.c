/* SPDX-License-Identifier: BSD-3-Clause */
/* The SP-side port filter, in both directions. */
#include <stdint.h>
#include <string.h>

#include "port_filter.h"
#include "unit.h"

enum { P_ICMP = 1, P_TCP = 6, P_UDP = 17, P_GRE = 47 };
enum { TCP_SYN = 0x02, TCP_ACK = 0x10, TCP_RST = 0x04 };

/* A packet: its IP header and then up to 64 bytes of L4. */
struct pkt {
	uint8_t ip[20];
	uint8_t l4[64];
	uint32_t l4_len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/*
 * The filter of a session with ssh and https, SNMP over UDP, ports 8000..8080 over TCP,
 * and echo as given.
 */
static struct spg_port_filter session_filter(uint8_t icmp_echo)
{
	struct spg_dp_session_params p;
	struct spg_port_filter f;

	memset(&p, 0, sizeof(p));
	p.icmp_echo = icmp_echo;
	p.n_port_ranges = 4;
	p.ports[0] = (struct spg_dp_port_range){ .proto = P_TCP, .lo = 22, .hi = 22 };
	p.ports[1] = (struct spg_dp_port_range){ .proto = P_TCP, .lo = 443, .hi = 443 };
	p.ports[2] = (struct spg_dp_port_range){ .proto = P_UDP, .lo = 161, .hi = 162 };
	p.ports[3] = (struct spg_dp_port_range){ .proto = P_TCP, .lo = 8000, .hi = 8080 };
	spg_port_filter_init(&f, &p);
	return f;
}

static void ip_hdr(uint8_t *ip, uint8_t proto)
{
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[8] = 64;
	ip[9] = proto;
}

static struct pkt tcp(uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	ip_hdr(p.ip, P_TCP);
	put16(p.l4, sport);
	put16(p.l4 + 2, dport);
	p.l4[12] = 5 << 4;
	p.l4[13] = flags;
	p.l4_len = 20;
	return p;
}

static struct pkt udp(uint16_t sport, uint16_t dport)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	ip_hdr(p.ip, P_UDP);
	put16(p.l4, sport);
	put16(p.l4 + 2, dport);
	put16(p.l4 + 4, 8);
	p.l4_len = 8;
	return p;
}

static struct pkt icmp(uint8_t type, uint8_t code)
{
	struct pkt p;

	memset(&p, 0, sizeof(p));
	ip_hdr(p.ip, P_ICMP);
	p.l4[0] = type;
	p.l4[1] = code;
	p.l4_len = 8;
	return p;
}

/* An ICMP error quoting the IP header and first 8 bytes of q. */
static struct pkt icmp_error(uint8_t type, uint8_t code, const struct pkt *q)
{
	struct pkt p = icmp(type, code);

	memcpy(p.l4 + 8, q->ip, 20);
	memcpy(p.l4 + 28, q->l4, 8);
	p.l4_len = 36;
	return p;
}

static enum spg_drop out(const struct spg_port_filter *f, const struct pkt *p)
{
	return spg_port_filter_outbound(f, (const struct rte_ipv4_hdr *)p->ip, p->l4, p->l4_len);
}

static enum spg_drop in(const struct spg_port_filter *f, const struct pkt *p)
{
	return spg_port_filter_inbound(f, (const struct rte_ipv4_hdr *)p->ip, p->l4, p->l4_len);
}

static void tcp_to_allowed_ports_passes_and_others_are_port_filtered(void)
{
	struct spg_port_filter f = session_filter(0);
	struct pkt p;

	p = tcp(40000, 22, TCP_SYN);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_OK);
	p = tcp(40000, 443, TCP_ACK);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_OK);
	p = tcp(40000, 23, TCP_SYN);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = tcp(22, 80, TCP_SYN); /* the source port does not matter outbound */
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = tcp(40000, 0, TCP_SYN);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
}

static void udp_to_allowed_ports_passes_and_others_are_port_filtered(void)
{
	struct spg_port_filter f = session_filter(0);
	struct pkt p;

	p = udp(50000, 161);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_OK);
	p = udp(50000, 162);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_OK);
	p = udp(50000, 53);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = udp(161, 50000);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_OK);
	p = udp(53, 50000);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PORT_FILTERED);
	p = udp(50000, 161); /* inbound, it is the source that counts */
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PORT_FILTERED);
}

static void range_edges_are_inclusive(void)
{
	struct spg_port_filter f = session_filter(0);
	struct pkt p;

	p = tcp(40000, 7999, TCP_ACK);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = tcp(40000, 8000, TCP_ACK);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_OK);
	p = tcp(40000, 8042, TCP_ACK);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_OK);
	p = tcp(40000, 8080, TCP_ACK);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_OK);
	p = tcp(40000, 8081, TCP_ACK);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = tcp(8080, 40000, TCP_ACK);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_OK);
	p = tcp(8081, 40000, TCP_ACK);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PORT_FILTERED);
}

static void the_protocol_of_a_range_matters(void)
{
	struct spg_port_filter f = session_filter(0);
	struct pkt p;

	p = udp(50000, 22);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = tcp(40000, 161, TCP_SYN);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = udp(22, 50000);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PORT_FILTERED);
	p = tcp(161, 40000, TCP_ACK);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PORT_FILTERED);
}

static void an_empty_filter_lets_nothing_through(void)
{
	struct spg_dp_session_params sp;
	struct spg_port_filter f;
	struct pkt p;

	memset(&sp, 0, sizeof(sp));
	spg_port_filter_init(&f, &sp);
	p = tcp(40000, 22, TCP_SYN);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = udp(50000, 161);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PORT_FILTERED);
	p = icmp(8, 0);
	CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PROTO_FILTERED);
}

static void init_copies_the_ranges_and_caps_their_count(void)
{
	struct spg_dp_session_params sp;
	struct spg_port_filter f;
	unsigned int i;

	memset(&sp, 0, sizeof(sp));
	sp.icmp_echo = 1;
	sp.n_port_ranges = 200;
	for (i = 0; i < SPG_DP_MAX_PORT_RANGES; i++)
		sp.ports[i] = (struct spg_dp_port_range){ .proto = P_TCP, .lo = (uint16_t)(1000 + i),
							  .hi = (uint16_t)(1000 + i) };
	spg_port_filter_init(&f, &sp);
	CU_ASSERT_EQUAL(f.icmp_echo, 1);
	CU_ASSERT_EQUAL(f.n_ranges, SPG_DP_MAX_PORT_RANGES);
	CU_ASSERT_EQUAL(f.ranges[7].lo, 1007);
	CU_ASSERT_EQUAL(f.ranges[7].proto, P_TCP);
}

static void a_syn_from_the_sp_is_sp_initiated(void)
{
	struct spg_port_filter f = session_filter(0);
	struct pkt p;

	p = tcp(22, 40000, TCP_SYN);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_SP_INITIATED);
	p = tcp(445, 40000, TCP_SYN);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_SP_INITIATED);
	p = tcp(22, 40000, TCP_SYN | 0x08);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_SP_INITIATED);
}

static void syn_ack_and_other_replies_from_allowed_ports_pass_inbound(void)
{
	struct spg_port_filter f = session_filter(0);
	struct pkt p;

	p = tcp(22, 40000, TCP_SYN | TCP_ACK);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_OK);
	p = tcp(443, 40000, TCP_ACK);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_OK);
	p = tcp(22, 40000, TCP_RST);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_OK);
	p = tcp(23, 40000, TCP_SYN | TCP_ACK);
	CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PORT_FILTERED);
}

static void echo_is_allowed_only_when_configured(void)
{
	struct spg_port_filter on = session_filter(1), off = session_filter(0);
	struct pkt req = icmp(8, 0), reply = icmp(0, 0);

	CU_ASSERT_EQUAL(out(&on, &req), SPG_OK);
	CU_ASSERT_EQUAL(in(&on, &reply), SPG_OK);
	CU_ASSERT_EQUAL(out(&off, &req), SPG_DROP_PROTO_FILTERED);
	CU_ASSERT_EQUAL(in(&off, &reply), SPG_DROP_PROTO_FILTERED);
}

static void the_sp_may_not_ping_the_vendor_side(void)
{
	struct spg_port_filter on = session_filter(1), off = session_filter(0);
	struct pkt req = icmp(8, 0), reply = icmp(0, 0);

	CU_ASSERT_EQUAL(in(&on, &req), SPG_DROP_SP_INITIATED);
	CU_ASSERT_EQUAL(in(&off, &req), SPG_DROP_SP_INITIATED);
	/* Nor get an answer to a ping that never got in. */
	CU_ASSERT_EQUAL(out(&on, &reply), SPG_DROP_PROTO_FILTERED);
}

static void other_icmp_types_are_proto_filtered(void)
{
	static const uint8_t types[] = { 9, 10, 13, 14, 15, 17, 42, 255 };
	struct spg_port_filter f = session_filter(1);
	unsigned int i;

	for (i = 0; i < RTE_DIM(types); i++) {
		struct pkt p = icmp(types[i], 0);

		CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PROTO_FILTERED);
		CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PROTO_FILTERED);
	}
}

static void icmp_errors_pass_when_they_quote_an_allowed_port(void)
{
	static const uint8_t error_types[] = { 3, 4, 5, 11, 12 };
	struct spg_port_filter f = session_filter(0);
	/* What the SP sent towards the workstation, and what the workstation sent the SP. */
	struct pkt from_sp = tcp(22, 40000, TCP_ACK), to_sp = tcp(40000, 22, TCP_ACK);
	struct pkt udp_from_sp = udp(161, 50000), udp_to_sp = udp(50000, 162);
	unsigned int i;

	for (i = 0; i < RTE_DIM(error_types); i++) {
		struct pkt e;

		e = icmp_error(error_types[i], 0, &from_sp);
		CU_ASSERT_EQUAL(out(&f, &e), SPG_OK);
		e = icmp_error(error_types[i], 0, &to_sp);
		CU_ASSERT_EQUAL(in(&f, &e), SPG_OK);
		e = icmp_error(error_types[i], 3, &udp_from_sp);
		CU_ASSERT_EQUAL(out(&f, &e), SPG_OK);
		e = icmp_error(error_types[i], 3, &udp_to_sp);
		CU_ASSERT_EQUAL(in(&f, &e), SPG_OK);
	}
}

static void icmp_errors_quoting_other_ports_are_port_filtered(void)
{
	struct spg_port_filter f = session_filter(0);
	struct pkt from_sp = tcp(23, 40000, TCP_ACK), to_sp = tcp(40000, 23, TCP_ACK);
	struct pkt e;

	e = icmp_error(3, 4, &from_sp);
	CU_ASSERT_EQUAL(out(&f, &e), SPG_DROP_PORT_FILTERED);
	e = icmp_error(3, 3, &to_sp);
	CU_ASSERT_EQUAL(in(&f, &e), SPG_DROP_PORT_FILTERED);

	/* The right port on the wrong side of the quote does not count. */
	from_sp = tcp(40000, 22, TCP_ACK);
	e = icmp_error(3, 4, &from_sp);
	CU_ASSERT_EQUAL(out(&f, &e), SPG_DROP_PORT_FILTERED);
	to_sp = tcp(22, 40000, TCP_ACK);
	e = icmp_error(11, 0, &to_sp);
	CU_ASSERT_EQUAL(in(&f, &e), SPG_DROP_PORT_FILTERED);

	/* Nor the right port of the other protocol. */
	from_sp = udp(22, 40000);
	e = icmp_error(3, 3, &from_sp);
	CU_ASSERT_EQUAL(out(&f, &e), SPG_DROP_PORT_FILTERED);
}

static void icmp_errors_about_pings_follow_the_echo_setting(void)
{
	struct spg_port_filter on = session_filter(1), off = session_filter(0);
	struct pkt req = icmp(8, 0), reply = icmp(0, 0), e;

	e = icmp_error(11, 0, &req);
	CU_ASSERT_EQUAL(in(&on, &e), SPG_OK);
	CU_ASSERT_EQUAL(in(&off, &e), SPG_DROP_PROTO_FILTERED);
	CU_ASSERT_EQUAL(out(&on, &e), SPG_DROP_PROTO_FILTERED);
	e = icmp_error(3, 1, &reply);
	CU_ASSERT_EQUAL(out(&on, &e), SPG_OK);
	CU_ASSERT_EQUAL(out(&off, &e), SPG_DROP_PROTO_FILTERED);
	CU_ASSERT_EQUAL(in(&on, &e), SPG_DROP_PROTO_FILTERED);
}

static void icmp_errors_with_truncated_quotes_are_malformed(void)
{
	struct spg_port_filter f = session_filter(1);
	struct pkt from_sp = tcp(22, 40000, TCP_ACK), e;
	uint32_t n;

	e = icmp_error(3, 3, &from_sp);
	for (n = 0; n < 36; n++) {
		e.l4_len = n;
		CU_ASSERT_EQUAL(out(&f, &e), SPG_DROP_MALFORMED_L4);
		CU_ASSERT_EQUAL(in(&f, &e), SPG_DROP_MALFORMED_L4);
	}
	e.l4_len = 36;
	CU_ASSERT_EQUAL(out(&f, &e), SPG_OK);

	e.l4[8] = 0x44; /* quoted IHL 4 */
	CU_ASSERT_EQUAL(out(&f, &e), SPG_DROP_MALFORMED_L4);
	e.l4[8] = 0x46; /* quoted IHL 6: the ports are 4 bytes further on, past the quote */
	CU_ASSERT_EQUAL(out(&f, &e), SPG_DROP_MALFORMED_L4);
	e.l4_len = 40;
	CU_ASSERT_EQUAL(in(&f, &e), SPG_DROP_PORT_FILTERED); /* zeros there: port 0 */
}

static void truncated_headers_are_malformed(void)
{
	struct spg_port_filter f = session_filter(1);
	struct pkt t = tcp(40000, 22, TCP_ACK), u = udp(50000, 161), i = icmp(8, 0);

	t.l4_len = 19;
	CU_ASSERT_EQUAL(out(&f, &t), SPG_DROP_MALFORMED_L4);
	CU_ASSERT_EQUAL(in(&f, &t), SPG_DROP_MALFORMED_L4);
	u.l4_len = 7;
	CU_ASSERT_EQUAL(out(&f, &u), SPG_DROP_MALFORMED_L4);
	CU_ASSERT_EQUAL(in(&f, &u), SPG_DROP_MALFORMED_L4);
	i.l4_len = 7;
	CU_ASSERT_EQUAL(out(&f, &i), SPG_DROP_MALFORMED_L4);
	CU_ASSERT_EQUAL(in(&f, &i), SPG_DROP_MALFORMED_L4);
}

static void gre_and_other_protocols_are_proto_filtered(void)
{
	static const uint8_t protos[] = { P_GRE, 50 /* ESP */, 132 /* SCTP */, 41, 0 };
	struct spg_port_filter f = session_filter(1);
	unsigned int i;

	for (i = 0; i < RTE_DIM(protos); i++) {
		struct pkt p = tcp(40000, 22, TCP_ACK);

		p.ip[9] = protos[i];
		CU_ASSERT_EQUAL(out(&f, &p), SPG_DROP_PROTO_FILTERED);
		CU_ASSERT_EQUAL(in(&f, &p), SPG_DROP_PROTO_FILTERED);
	}
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "TCP to allowed ports passes, others are port_filtered",
		  tcp_to_allowed_ports_passes_and_others_are_port_filtered },
		{ "UDP to allowed ports passes, others are port_filtered",
		  udp_to_allowed_ports_passes_and_others_are_port_filtered },
		{ "range edges are inclusive", range_edges_are_inclusive },
		{ "the protocol of a range matters", the_protocol_of_a_range_matters },
		{ "an empty filter lets nothing through", an_empty_filter_lets_nothing_through },
		{ "init copies the ranges and caps their count", init_copies_the_ranges_and_caps_their_count },
		{ "a SYN from the SP is sp_initiated", a_syn_from_the_sp_is_sp_initiated },
		{ "SYN+ACK and other replies from allowed ports pass inbound",
		  syn_ack_and_other_replies_from_allowed_ports_pass_inbound },
		{ "echo is allowed only when configured", echo_is_allowed_only_when_configured },
		{ "the SP may not ping the vendor side", the_sp_may_not_ping_the_vendor_side },
		{ "other ICMP types are proto_filtered", other_icmp_types_are_proto_filtered },
		{ "ICMP errors pass when they quote an allowed port",
		  icmp_errors_pass_when_they_quote_an_allowed_port },
		{ "ICMP errors quoting other ports are port_filtered",
		  icmp_errors_quoting_other_ports_are_port_filtered },
		{ "ICMP errors about pings follow the echo setting",
		  icmp_errors_about_pings_follow_the_echo_setting },
		{ "ICMP errors with truncated quotes are malformed", icmp_errors_with_truncated_quotes_are_malformed },
		{ "truncated headers are malformed", truncated_headers_are_malformed },
		{ "GRE and other protocols are proto_filtered", gre_and_other_protocols_are_proto_filtered },
		{ NULL, NULL },
	};

	return unit_run("port_filter", cases, NULL, NULL);
}
