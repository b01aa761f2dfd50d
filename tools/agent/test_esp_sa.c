/* SPDX-License-Identifier: BSD-3-Clause */
/* The agent's ESP SA: wire format, ESN, anti-replay, sequence limits, the tunnel's filter. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "esp_sa.h"
#include "esp_tun.h"
#include "unit_run.h"

static const uint8_t key16[20] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
				  0xa0, 0xa1, 0xa2, 0xa3};

/* 192.0.2.1:40000 -> 192.0.2.10:161 UDP "hi!" (31 bytes: the trailer needs 3 pad bytes) */
static const uint8_t inner_udp[31] = {
	0x45, 0x00, 0x00, 0x1f, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xf6, 0xc1, 0xc0, 0x00, 0x02,
	0x01, 0xc0, 0x00, 0x02, 0x0a, 0x9c, 0x40, 0x00, 0xa1, 0x00, 0x0b, 0x00, 0x00, 0x68, 0x69,
	0x21};

/* inner_udp under key16, SPI 0x1234, sequence number 2^32 + 2, computed independently with
 * Python's cryptography AESGCM (nonce salt|IV, AAD SPI|seq high|seq low, IV = the 64-bit
 * sequence number, padding 1 2 3, next header 4). */
static const uint8_t wire_kat[68] = {
	0x00, 0x00, 0x12, 0x34, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x02, 0x04, 0x0a, 0x51, 0xa6, 0x52, 0x8f, 0xbc, 0x31, 0x2d, 0x89, 0xff, 0x8b, 0x95, 0x51,
	0x88, 0xaa, 0x29, 0xd6, 0x8c, 0x3a, 0x89, 0x52, 0xaf, 0x47, 0x09, 0x13, 0xc4, 0x8e, 0xdf,
	0xc9, 0xb5, 0x52, 0x88, 0x17, 0x8e, 0x30, 0x86, 0xa4, 0x33, 0x7a, 0x06, 0x2a, 0x41, 0x28,
	0xb6, 0xd0, 0x2b, 0x62, 0x07, 0x43, 0xc6, 0x1a};

static void pair(struct esp_sa *out, struct esp_sa *in, uint64_t seq_limit, uint32_t window)
{
	CU_ASSERT_EQUAL_FATAL(esp_sa_init(out, true, 0x1234, key16, 16, 0, seq_limit), 0);
	CU_ASSERT_EQUAL_FATAL(esp_sa_init(in, false, 0x1234, key16, 16, window, 0), 0);
}

static int seal(struct esp_sa *out, uint8_t *buf, size_t size)
{
	return esp_seal(out, inner_udp, sizeof(inner_udp), buf, size);
}

static void sealing_matches_an_independent_aes_gcm_byte_for_byte(void)
{
	struct esp_sa out, in;
	uint8_t buf[256];

	pair(&out, &in, UINT64_MAX, 128);
	out.seq = (UINT64_C(1) << 32) + 1; /* the next one is 2^32 + 2: seq high enters the AAD */
	CU_ASSERT_EQUAL_FATAL(seal(&out, buf, sizeof(buf)), (int)sizeof(wire_kat));
	CU_ASSERT_EQUAL(memcmp(buf, wire_kat, sizeof(wire_kat)), 0);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void opening_the_reference_packet_gives_the_inner_packet_back(void)
{
	struct esp_sa out, in;
	uint8_t plain[256];
	uint64_t seq = 0;

	pair(&out, &in, UINT64_MAX, 128);
	in.top = (UINT64_C(1) << 32) + 1; /* as if 2^32 + 1 had arrived */
	CU_ASSERT_EQUAL_FATAL(esp_open(&in, wire_kat, sizeof(wire_kat), plain, sizeof(plain), &seq),
			      (int)sizeof(inner_udp));
	CU_ASSERT_EQUAL(memcmp(plain, inner_udp, sizeof(inner_udp)), 0);
	CU_ASSERT_EQUAL(seq, (UINT64_C(1) << 32) + 2);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void the_same_packet_under_the_wrong_seq_high_fails_authentication(void)
{
	struct esp_sa out, in;
	uint8_t plain[256];

	pair(&out, &in, UINT64_MAX, 128);
	/* a window near 0 reconstructs seq high 0: the AAD differs, so the ICV cannot hold */
	CU_ASSERT_EQUAL(esp_open(&in, wire_kat, sizeof(wire_kat), plain, sizeof(plain), NULL),
			-AGENT_DROP_BAD_ICV);
	CU_ASSERT_EQUAL(in.top, 0);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void aes_256_round_trips(void)
{
	uint8_t key32[36], buf[256], plain[256];
	struct esp_sa out, in;

	memset(key32, 0x5a, sizeof(key32));
	CU_ASSERT_EQUAL_FATAL(esp_sa_init(&out, true, 0x9999, key32, 32, 0, UINT64_MAX), 0);
	CU_ASSERT_EQUAL_FATAL(esp_sa_init(&in, false, 0x9999, key32, 32, 64, 0), 0);
	CU_ASSERT_EQUAL(esp_open(&in, buf, (size_t)seal(&out, buf, sizeof(buf)), plain,
				 sizeof(plain), NULL),
			(int)sizeof(inner_udp));
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void a_replayed_packet_is_refused_before_decryption(void)
{
	struct esp_sa out, in;
	uint8_t buf[256], plain[256];
	int n;

	pair(&out, &in, UINT64_MAX, 64);
	n = seal(&out, buf, sizeof(buf));
	CU_ASSERT_EQUAL(esp_open(&in, buf, (size_t)n, plain, sizeof(plain), NULL), 31);
	CU_ASSERT_EQUAL(esp_open(&in, buf, (size_t)n, plain, sizeof(plain), NULL),
			-AGENT_DROP_REPLAY);
	CU_ASSERT_EQUAL(in.packets, 1);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void a_tampered_packet_fails_and_does_not_move_the_window(void)
{
	struct esp_sa out, in;
	uint8_t buf[256], plain[256];
	int n;

	pair(&out, &in, UINT64_MAX, 64);
	out.seq = 999;
	n = seal(&out, buf, sizeof(buf));
	buf[ESP_HDR_LEN + ESP_IV_LEN + 3] ^= 0x01;
	CU_ASSERT_EQUAL(esp_open(&in, buf, (size_t)n, plain, sizeof(plain), NULL),
			-AGENT_DROP_BAD_ICV);
	CU_ASSERT_EQUAL(in.top, 0);
	buf[ESP_HDR_LEN + ESP_IV_LEN + 3] ^= 0x01; /* the genuine packet still gets in */
	CU_ASSERT_EQUAL(esp_open(&in, buf, (size_t)n, plain, sizeof(plain), NULL), 31);
	CU_ASSERT_EQUAL(in.top, 1000);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void late_packets_inside_the_window_pass_and_older_ones_do_not(void)
{
	struct esp_sa out, in;
	uint8_t pkt[200][128], plain[256];
	int len[200], i;

	pair(&out, &in, UINT64_MAX, 64);
	for (i = 0; i < 200; i++)
		len[i] = seal(&out, pkt[i], sizeof(pkt[i])); /* pkt[i] has sequence number i + 1 */
	CU_ASSERT_EQUAL(esp_open(&in, pkt[199], (size_t)len[199], plain, sizeof(plain), NULL), 31);
	/* 200 accepted: 137..199 are inside a window of 64, 136 and below are not */
	CU_ASSERT_EQUAL(esp_open(&in, pkt[136], (size_t)len[136], plain, sizeof(plain), NULL), 31);
	CU_ASSERT_EQUAL(esp_open(&in, pkt[150], (size_t)len[150], plain, sizeof(plain), NULL), 31);
	CU_ASSERT_EQUAL(esp_open(&in, pkt[135], (size_t)len[135], plain, sizeof(plain), NULL),
			-AGENT_DROP_REPLAY);
	CU_ASSERT_EQUAL(esp_open(&in, pkt[150], (size_t)len[150], plain, sizeof(plain), NULL),
			-AGENT_DROP_REPLAY);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void the_window_bitmap_forgets_nothing_when_it_slides_far(void)
{
	struct esp_sa in;
	uint64_t s;

	CU_ASSERT_EQUAL_FATAL(esp_sa_init(&in, false, 0x1234, key16, 16, 4096, 0), 0);
	for (s = 1; s <= 5000; s += 3)
		esp_replay_update(&in, s);
	CU_ASSERT_FALSE(esp_replay_check(&in, 4999));      /* seen */
	CU_ASSERT_TRUE(esp_replay_check(&in, 4998));       /* inside, not seen */
	CU_ASSERT_FALSE(esp_replay_check(&in, 5000 - 4096)); /* just behind the window */
	esp_replay_update(&in, 1000000);                   /* a jump wider than the bitmap */
	CU_ASSERT_TRUE(esp_replay_check(&in, 999999));
	CU_ASSERT_FALSE(esp_replay_check(&in, 1000000));
	CU_ASSERT_FALSE(esp_replay_check(&in, 0));
	esp_sa_clear(&in);
}

static void esn_reconstruction_follows_rfc_4303_appendix_a(void)
{
	const uint64_t hi = UINT64_C(1) << 32;

	/* window inside one subspace: low numbers below it belong to the next one */
	CU_ASSERT_EQUAL(esp_esn_reconstruct(hi + 1000, 990, 64), hi + 990);
	CU_ASSERT_EQUAL(esp_esn_reconstruct(hi + 1000, 5, 64), 2 * hi + 5);
	/* window straddling the boundary: high low numbers are from the previous subspace */
	CU_ASSERT_EQUAL(esp_esn_reconstruct(hi + 10, 0xfffffff0u, 64), 0xfffffff0u);
	CU_ASSERT_EQUAL(esp_esn_reconstruct(hi + 10, 20, 64), hi + 20);
	/* at the very start nothing is before 0 */
	CU_ASSERT_EQUAL(esp_esn_reconstruct(10, 0xfffffff0u, 64), 0xfffffff0u);
}

static void packets_cross_the_2_to_the_32_boundary_with_esn(void)
{
	struct esp_sa out, in;
	uint8_t buf[128], plain[256];
	uint64_t seq;
	int i, n;

	pair(&out, &in, UINT64_MAX, 64);
	out.seq = 0xfffffffdu;
	in.top = 0xfffffffdu;
	for (i = 0; i < 4; i++) {
		n = seal(&out, buf, sizeof(buf));
		CU_ASSERT_EQUAL(esp_open(&in, buf, (size_t)n, plain, sizeof(plain), &seq), 31);
		CU_ASSERT_EQUAL(seq, UINT64_C(0xfffffffe) + (uint64_t)i);
	}
	CU_ASSERT_EQUAL(in.top, (UINT64_C(1) << 32) + 1);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void an_sa_refuses_to_send_past_its_limit_and_asks_for_a_rekey_before(void)
{
	struct esp_sa out, in;
	uint8_t buf[128];
	int i;

	pair(&out, &in, 8, 64);
	for (i = 0; i < 5; i++)
		CU_ASSERT_TRUE(seal(&out, buf, sizeof(buf)) > 0);
	CU_ASSERT_FALSE(esp_sa_wants_rekey(&out));
	CU_ASSERT_TRUE(seal(&out, buf, sizeof(buf)) > 0); /* 6 = 3/4 of 8 */
	CU_ASSERT_TRUE(esp_sa_wants_rekey(&out));
	CU_ASSERT_TRUE(seal(&out, buf, sizeof(buf)) > 0);
	CU_ASSERT_TRUE(seal(&out, buf, sizeof(buf)) > 0);
	CU_ASSERT_EQUAL(seal(&out, buf, sizeof(buf)), -AGENT_DROP_SEQ_EXHAUSTED);
	CU_ASSERT_EQUAL(out.seq, 8); /* never wraps */
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

static void short_datagrams_and_keepalives_have_no_spi(void)
{
	static const uint8_t keepalive = 0xff;
	uint8_t ike[64] = {0};

	CU_ASSERT_EQUAL(esp_spi_of(&keepalive, 1), 0);
	CU_ASSERT_EQUAL(esp_spi_of(ike, sizeof(ike)), 0); /* the non-ESP marker */
	CU_ASSERT_EQUAL(esp_spi_of(wire_kat, 20), 0);
	CU_ASSERT_EQUAL(esp_spi_of(wire_kat, sizeof(wire_kat)), 0x1234);
}

static void a_bad_trailer_is_refused_even_when_authentic(void)
{
	uint8_t plain[64], buf[256], out_plain[256];
	struct esp_sa out, in;
	int n;

	pair(&out, &in, UINT64_MAX, 64);
	/* a 30-byte "packet" whose total length says 31: sealing does not check, opening must */
	memcpy(plain, inner_udp, 30);
	n = esp_seal(&out, plain, 30, buf, sizeof(buf));
	CU_ASSERT_EQUAL(esp_open(&in, buf, (size_t)n, out_plain, sizeof(out_plain), NULL),
			-AGENT_DROP_NOT_IPV4);
	esp_sa_clear(&out);
	esp_sa_clear(&in);
}

/* An inner packet from 192.0.2.1 to 192.0.2.10, protocol proto, destination port dport
 * (or ICMP type), with a 20-byte header. */
static size_t inner(uint8_t *p, uint8_t proto, uint16_t dport, uint32_t src)
{
	memset(p, 0, 40);
	p[0] = 0x45;
	p[3] = 40;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, &src, 4);
	p[16] = 192, p[17] = 0, p[18] = 2, p[19] = 10;
	if (proto == 1) {
		p[20] = (uint8_t)dport;
	} else {
		p[22] = (uint8_t)(dport >> 8);
		p[23] = (uint8_t)dport;
	}
	return 40;
}

static void the_tunnel_lets_only_the_sessions_service_ports_reach_s(void)
{
	struct agent_service_port ports[2] = {{6, 22, "tcp:22"}, {17, 161, "udp:161"}};
	struct esp_peer p = {.ports = ports, .n_ports = 2, .icmp_echo = false};
	uint32_t s = htonl(0xc000020a), gw = htonl(0xc0000201), stranger = htonl(0xc0000263);
	enum agent_drop why;
	uint8_t pkt[40];
	size_t n;

	p.gw_inner = gw;
	n = inner(pkt, 6, 22, gw);
	CU_ASSERT_TRUE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	n = inner(pkt, 17, 161, gw);
	CU_ASSERT_TRUE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	n = inner(pkt, 6, 23, gw);
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_PORT);
	n = inner(pkt, 17, 22, gw); /* the right number, the wrong protocol */
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	n = inner(pkt, 6, 22, stranger);
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_SRC);
	n = inner(pkt, 6, 22, gw);
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, htonl(0xc000020b), pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_DST);
	n = inner(pkt, 47, 0, gw); /* GRE */
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_PROTO);
}

static void icmp_echo_needs_the_grants_permission_and_errors_always_pass(void)
{
	struct esp_peer p = {.n_ports = 0, .icmp_echo = false};
	uint32_t s = htonl(0xc000020a), gw = htonl(0xc0000201);
	enum agent_drop why;
	uint8_t pkt[40];
	size_t n;

	p.gw_inner = gw;
	n = inner(pkt, 1, 8, gw);
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_PROTO);
	p.icmp_echo = true;
	CU_ASSERT_TRUE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	n = inner(pkt, 1, 3, gw); /* destination unreachable: PMTU discovery needs it */
	CU_ASSERT_TRUE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
}

/* Engineers who joined a gateway's session speak from G_in + 1 .. + 3 (issue 15). */
static void joiners_of_the_session_pass_from_g_in_plus_1_to_3_and_no_further(void)
{
	struct agent_service_port ports[1] = {{6, 22, "tcp:22"}};
	struct esp_peer p = {.ports = ports, .n_ports = 1};
	uint32_t s = htonl(0xc000020a), gw = htonl(0xc0000201);
	enum agent_drop why;
	uint8_t pkt[40];
	size_t n;

	p.gw_inner = gw;
	/* the attacks first: just past the slots, just before G_in */
	n = inner(pkt, 6, 22, htonl(0xc0000205));
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_SRC);
	n = inner(pkt, 6, 22, htonl(0xc0000200));
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_SRC);
	/* a joiner is held to the session's ports like its holder */
	n = inner(pkt, 6, 23, htonl(0xc0000202));
	CU_ASSERT_FALSE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
	CU_ASSERT_EQUAL(why, AGENT_DROP_INNER_PORT);
	for (uint32_t j = 1; j <= ESP_TUN_JOINERS; j++) {
		n = inner(pkt, 6, 22, htonl(0xc0000201 + j));
		CU_ASSERT_TRUE(esp_tun_inner_allowed(&p, s, pkt, n, &why));
		CU_ASSERT_TRUE(esp_tun_is_gw_inner(gw, htonl(0xc0000201 + j)));
	}
	CU_ASSERT_TRUE(esp_tun_is_gw_inner(gw, gw));
	CU_ASSERT_FALSE(esp_tun_is_gw_inner(gw, htonl(0xc0000205)));
	CU_ASSERT_FALSE(esp_tun_is_gw_inner(gw, htonl(0xc0000200)));
	/* no wrap at the top of the address space */
	CU_ASSERT_FALSE(esp_tun_is_gw_inner(htonl(0xfffffffe), htonl(0x00000001)));
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(sealing_matches_an_independent_aes_gcm_byte_for_byte),
		T(opening_the_reference_packet_gives_the_inner_packet_back),
		T(the_same_packet_under_the_wrong_seq_high_fails_authentication),
		T(aes_256_round_trips),
		T(a_replayed_packet_is_refused_before_decryption),
		T(a_tampered_packet_fails_and_does_not_move_the_window),
		T(late_packets_inside_the_window_pass_and_older_ones_do_not),
		T(the_window_bitmap_forgets_nothing_when_it_slides_far),
		T(esn_reconstruction_follows_rfc_4303_appendix_a),
		T(packets_cross_the_2_to_the_32_boundary_with_esn),
		T(an_sa_refuses_to_send_past_its_limit_and_asks_for_a_rekey_before),
		T(short_datagrams_and_keepalives_have_no_spi),
		T(a_bad_trailer_is_refused_even_when_authentic),
		T(the_tunnel_lets_only_the_sessions_service_ports_reach_s),
		T(icmp_echo_needs_the_grants_permission_and_errors_always_pass),
		T(joiners_of_the_session_pass_from_g_in_plus_1_to_3_and_no_further),
#undef T
		{NULL, NULL},
	};

	return unit_run("agent_esp_sa", cases, NULL, NULL);
}
