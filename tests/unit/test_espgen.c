/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-espgen (tools/bench/espgen*.c), the inbound peer comparison's generator: what it
 * seals, the dataplane's own inbound code (spg_esp_inbound_burst, on each of its paths)
 * accepts, and refuses once tampered or replayed; its ESN high half and its plain-ESP frames
 * are checked with the OpenSSL peer (esp_test_peer.c); its SA file parser names bad input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "../../tools/bench/espgen_frame.h"
#include "../../tools/bench/espgen_sa.h"
#include "esp_test_peer.h"

#define ETH 14
#define DPORT 40000

static IMB_MGR *mgr;
static struct espgen_flow flow;

static const struct espgen_frame_params params = {
	.dst_mac = { 0x02, 0, 0, 0, 0x03, 0x01 },
	.src_mac = { 0x02, 0, 0, 0, 0x03, 0xfe },
	.gateway = ADDR(198, 51, 100, 1), /* G_OUT */
	.udp_port = NATT_PORT,
	.inner_src = ADDR(192, 0, 2, 10),
	.inner_dst = ADDR(198, 18, 0, 1),
	.inner_sport = 443,
	.inner_len = 64,
};

/* The flow of peer p's SA with frame parameters fp. */
static void flow_of(const struct peer *p, const struct espgen_frame_params *fp)
{
	struct espgen_sa sa = { .spi = p->spi, .peer = E, .inner_dport = DPORT };

	memcpy(sa.key, p->key, sizeof(sa.key));
	memcpy(sa.salt, p->salt, sizeof(sa.salt));
	if (mgr == NULL) {
		mgr = alloc_mb_mgr(0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(mgr);
		init_mb_mgr_auto(mgr, NULL);
	}
	CU_ASSERT_EQUAL_FATAL(espgen_flow_init(mgr, &flow, fp, &sa), 0);
}

/* The next sealed frame, from its outer IPv4 header on, as spg_esp_inbound_burst takes it. */
static struct rte_mbuf *sealed(void)
{
	uint8_t frame[ESPGEN_FRAME_MAX];
	uint16_t len = espgen_seal(mgr, &flow, frame);
	struct rte_mbuf *m;

	CU_ASSERT_EQUAL(get16(frame + 12), 0x0800);
	CU_ASSERT_EQUAL(memcmp(frame, params.dst_mac, 6), 0);
	m = mbuf_of(frame + ETH, (uint16_t)(len - ETH));
	m->l2_len = 0;
	m->l3_len = 20;
	return m;
}

static void tampered_and_replayed_frames_are_refused(void)
{
	struct spg_esp *esp = esp_new(16, 1, 4);
	struct peer p;
	struct spg_sa *sa;
	struct rte_mbuf *m, *copy;
	uint8_t inner[128];
	struct espgen_sa esa = { .inner_dport = DPORT };
	uint16_t inner_len = espgen_inner_packet(&params, &esa, inner);

	peer_init(&p, 0x2345, 16, 5);
	sa = sa_new(esp, &p, false);
	flow_of(&p, &params);
	m = sealed();
	rte_pktmbuf_mtod(m, uint8_t *)[60] ^= 1; /* a ciphertext byte */
	CU_ASSERT_EQUAL(receive(esp, sa, m, inner, inner_len), SPG_DROP_BAD_ICV);
	m = sealed();
	copy = mbuf_of(rte_pktmbuf_mtod(m, uint8_t *), (uint16_t)m->pkt_len);
	copy->l2_len = 0;
	copy->l3_len = 20;
	CU_ASSERT_EQUAL(receive(esp, sa, m, inner, inner_len), SPG_OK);
	/* the same packet again: a replay, whichever path decrypts */
	CU_ASSERT_EQUAL(receive(esp, sa, copy, inner, inner_len), SPG_DROP_REPLAY);
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void sealed_frames_decrypt_with_the_dataplanes_inbound(void)
{
	struct spg_esp *esp = esp_new(16, 1, 4);
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[128];
	struct espgen_sa esa = { .inner_dport = DPORT };
	uint16_t inner_len = espgen_inner_packet(&params, &esa, inner);

	CU_ASSERT_EQUAL(inner_len, 64);
	CU_ASSERT_EQUAL(get16(inner + 22), DPORT);
	peer_init(&p, 0x1234, 16, 3);
	sa = sa_new(esp, &p, false);
	flow_of(&p, &params);
	for (uint64_t seq = 1; seq <= 40; seq++) {
		struct rte_mbuf *m = sealed();
		const uint8_t *pkt = rte_pktmbuf_mtod(m, const uint8_t *);

		CU_ASSERT_EQUAL(get32(pkt + 12), E);              /* outer source: the SA's peer */
		CU_ASSERT_EQUAL(get32(pkt + 16), params.gateway);
		CU_ASSERT_EQUAL(ip_checksum(pkt, 20), 0);
		CU_ASSERT_EQUAL(get16(pkt + 22), NATT_PORT);      /* ESP in UDP */
		CU_ASSERT_EQUAL(get32(pkt + 28), p.spi);
		CU_ASSERT_EQUAL(get32(pkt + 32), (uint32_t)seq);  /* fresh, increasing */
		CU_ASSERT_EQUAL(receive(esp, sa, m, inner, inner_len), SPG_OK);
	}
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

/* Checks the frame's ciphertext with the OpenSSL peer at sequence number seq: the inner packet. */
static void peer_opens(const struct peer *p, const uint8_t *frame, uint16_t len, uint16_t esp_ofs, uint64_t seq,
		       const uint8_t *inner, uint16_t inner_len)
{
	const uint8_t *esp = frame + esp_ofs, *ct = esp + 16;
	uint16_t ct_len = (uint16_t)(len - esp_ofs - 16 - 16);
	uint8_t pt[2048], tag[16];

	memcpy(tag, ct + ct_len, 16);
	CU_ASSERT_EQUAL(get32(esp + 4), (uint32_t)seq);
	CU_ASSERT_TRUE(gcm(false, p, esp + 8, seq, ct, ct_len, pt, tag));
	CU_ASSERT_EQUAL(memcmp(pt, inner, inner_len), 0);
	CU_ASSERT_EQUAL(pt[ct_len - 1], 4); /* next header IPv4 */
}

static void esn_high_half_and_plain_esp_open_at_the_peer(void)
{
	struct espgen_frame_params plain = params;
	struct espgen_sa esa = { .inner_dport = DPORT };
	uint8_t frame[ESPGEN_FRAME_MAX], inner[128];
	uint16_t inner_len = espgen_inner_packet(&params, &esa, inner), len;
	struct peer p;

	peer_init(&p, 0x3456, 16, 7);
	flow_of(&p, &params);
	flow.seq = UINT32_MAX - 1; /* the next two cross into the high half (ESN) */
	for (uint64_t seq = UINT32_MAX; seq <= (uint64_t)UINT32_MAX + 1; seq++) {
		len = espgen_seal(mgr, &flow, frame);
		peer_opens(&p, frame, len, ETH + 28, seq, inner, inner_len);
	}
	plain.udp_port = 0; /* ipsec-secgw's cpu-crypto SAs take plain ESP only */
	flow_of(&p, &plain);
	len = espgen_seal(mgr, &flow, frame);
	CU_ASSERT_EQUAL(frame[ETH + 9], 50);
	CU_ASSERT_EQUAL(get16(frame + ETH + 2), len - ETH);
	peer_opens(&p, frame, len, ETH + 20, 1, inner, inner_len);
}

static void sa_lines_with_bad_fields_are_named(void)
{
	static const struct {
		const char *line, *named;
	} bad[] = {
		{ "0x10 00112233445566778899aabbccddeeff00112233 198.19.0.1", "found 3 fields" },
		{ "0 00112233445566778899aabbccddeeff00112233 198.19.0.1 10000", "SPI \"0\"" },
		{ "0x100000000 00112233445566778899aabbccddeeff00112233 198.19.0.1 10000", "SPI \"0x100000000\"" },
		{ "0x10 00112233445566778899aabbccddeeff001122 198.19.0.1 10000", "key \"00112233" },
		{ "0x10 00112233445566778899aabbccddeeff0011223g 198.19.0.1 10000", "key \"00112233" },
		{ "0x10 00112233445566778899aabbccddeeff00112233 198.19.0.300 10000", "peer \"198.19.0.300\"" },
		{ "0x10 00112233445566778899aabbccddeeff00112233 198.19.0.1 65536", "port \"65536\"" },
		{ "0x10 00112233445566778899aabbccddeeff00112233 198.19.0.1 -1", "port \"-1\"" },
		{ "0x10 00112233445566778899aabbccddeeff00112233 198.19.0.1 10000 x", "found 5 fields" },
	};
	struct espgen_sa sa;
	char err[160];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(espgen_sa_parse(bad[i].line, &sa, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].named));
	}
	CU_ASSERT_EQUAL(espgen_sa_parse("0x100000 00112233445566778899aabbccddeeff0a0b0c0d 198.19.0.1 10000\n", &sa,
					err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(sa.spi, 0x100000);
	CU_ASSERT_EQUAL(sa.key[15], 0xff);
	CU_ASSERT_EQUAL(sa.salt[0], 0x0a);
	CU_ASSERT_EQUAL(sa.salt[3], 0x0d);
	CU_ASSERT_EQUAL(sa.peer, ADDR(198, 19, 0, 1));
	CU_ASSERT_EQUAL(sa.inner_dport, 10000);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"sa_lines_with_bad_fields_are_named", sa_lines_with_bad_fields_are_named},
		{"tampered_and_replayed_frames_are_refused", tampered_and_replayed_frames_are_refused},
		{"sealed_frames_decrypt_with_the_dataplanes_inbound", sealed_frames_decrypt_with_the_dataplanes_inbound},
		{"esn_high_half_and_plain_esp_open_at_the_peer", esn_high_half_and_plain_esp_open_at_the_peer},
		{NULL, NULL},
	};
	int rc = esp_test_run_paths("test_espgen", cases);

	if (mgr != NULL)
		free_mb_mgr(mgr);
	return rc;
}
