/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate's ESP against a peer written here with OpenSSL's EVP AES-GCM and nothing of DPDK
 * (esp_test_peer.c): what spg_esp encrypts, the peer decrypts and checks field by field
 * (RFC 4303, 4106 with ESN, 3948); what the peer encrypts, spg_esp accepts; and the outer
 * endpoints (roaming, a session taken over from another host). test_esp_checks.c and
 * test_esp_bursts.c hold the refusals and the bursts.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "esp_test_peer.h"

static void outbound_checked_by_peer(uint8_t key_len)
{
	static const uint16_t lens[] = {60, 61, 62, 63, 28, 1400};
	struct spg_esp *esp = esp_new(key_len, 1, 4);
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[2048], got[2048];
	unsigned int i;

	peer_init(&p, 0x10000001, key_len, 1);
	sa = sa_new(esp, &p, true);
	for (i = 0; i < RTE_DIM(lens); i++) {
		uint8_t why;
		struct rte_mbuf *m;
		const uint8_t *pkt;

		inner_packet(inner, lens[i], i);
		m = send_one(esp, sa, inner, lens[i], &why);
		CU_ASSERT_EQUAL(why, SPG_OK);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		pkt = rte_pktmbuf_mtod(m, const uint8_t *);
		/* before outer_finish: source set, destination still the caller's to write */
		CU_ASSERT_EQUAL(m->l2_len, 0);
		CU_ASSERT_EQUAL(m->l3_len, 20);
		CU_ASSERT_EQUAL(get32(pkt + 12), G_OUT);
		CU_ASSERT_EQUAL(get32(pkt + 16), 0);
		CU_ASSERT_EQUAL(get16(pkt + 20), NATT_PORT);
		CU_ASSERT_EQUAL(get16(pkt + 22), 0);
		spg_esp_outer_finish(m, rte_cpu_to_be_32(E), NATT_PORT);
		CU_ASSERT_EQUAL(peer_decrypt(pkt, (uint16_t)m->pkt_len, &p, i + 1, got), lens[i]);
		CU_ASSERT_EQUAL(memcmp(got, inner, lens[i]), 0);
		rte_pktmbuf_free(m);
	}
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void outbound_aes128_gcm_decrypts_at_an_independent_peer(void)
{
	outbound_checked_by_peer(16);
}

static void outbound_aes256_gcm_decrypts_at_an_independent_peer(void)
{
	outbound_checked_by_peer(32);
}

static void inbound_checked_against_peer(uint8_t key_len)
{
	static const uint16_t lens[] = {60, 61, 62, 63, 28, 1400};
	struct spg_esp *esp = esp_new(key_len, 1, 4);
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[2048];
	unsigned int i;

	peer_init(&p, 0x20000002, key_len, 2);
	sa = sa_new(esp, &p, false);
	for (i = 0; i < RTE_DIM(lens); i++) {
		struct rte_mbuf *m;
		void *ctx;
		uint8_t why = 0xff;

		inner_packet(inner, lens[i], i);
		m = esp_mbuf(&p, i + 1, inner, lens[i], NULL);
		ctx = m;
		CU_ASSERT_EQUAL(spg_esp_inbound_burst(esp, 0, &m, &sa, &ctx, 1, &why, NULL), 1);
		CU_ASSERT_EQUAL(why, SPG_OK);
		CU_ASSERT_PTR_EQUAL(ctx, m);
		CU_ASSERT_EQUAL(m->pkt_len, lens[i]);
		CU_ASSERT_EQUAL(m->l2_len, 0);
		CU_ASSERT_EQUAL(m->l3_len, 20);
		CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *), inner, lens[i]), 0);
		rte_pktmbuf_free(m);
	}
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void inbound_aes128_gcm_accepts_an_independent_peer(void)
{
	inbound_checked_against_peer(16);
}

static void inbound_aes256_gcm_accepts_an_independent_peer(void)
{
	inbound_checked_against_peer(32);
}

static void outer_finish_writes_the_roaming_endpoint(void)
{
	struct spg_esp *esp = esp_new(16, 1, 2);
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[128], why;
	const uint8_t *pkt;
	struct rte_mbuf *m;
	uint32_t bad = 0;

	peer_init(&p, 0xc000000c, 16, 12);
	sa = sa_new(esp, &p, true);
	m = send_one(esp, sa, inner, inner_packet(inner, 99, 1), &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	pkt = rte_pktmbuf_mtod(m, const uint8_t *);
	spg_esp_outer_finish(m, rte_cpu_to_be_32(E), NATT_PORT);
	spg_esp_outer_finish(m, rte_cpu_to_be_32(ADDR(198, 51, 100, 77)), 61002); /* NAT rebinding */
	CU_ASSERT_EQUAL(get32(pkt + 16), ADDR(198, 51, 100, 77));
	CU_ASSERT_EQUAL(get16(pkt + 22), 61002);
	CU_ASSERT_EQUAL(get16(pkt + 2), m->pkt_len);
	CU_ASSERT_EQUAL(get16(pkt + 24), m->pkt_len - 20);
	CU_ASSERT_EQUAL(get16(pkt + 26), 0);
	CU_ASSERT_EQUAL(ip_checksum(pkt, 20), 0);
	/* the checksum is summed from the fields, not read back: every carry must fold, which
	 * only some of the addresses of 198.18.0.0/15 make it do */
	for (uint32_t i = 0; i < (1u << 17); i++) {
		uint32_t dst = ADDR(198, 18, 0, 0) + i;

		spg_esp_outer_finish(m, rte_cpu_to_be_32(dst), (uint16_t)(1024 + (i & 0x7fff)));
		bad += ip_checksum(pkt, 20) != 0 || get32(pkt + 16) != dst;
	}
	CU_ASSERT_EQUAL(bad, 0);
	rte_pktmbuf_free(m);
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

/* Issue 14: a session taken over from another host leaves from that host's G_out, on every
 * outbound path (esp_native.c's header, librte_ipsec's template); its peer still opens it. */
static void sa_created_from_another_address_leaves_from_it(void)
{
	const uint32_t taken = ADDR(198, 51, 100, 9);
	struct spg_esp *esp = esp_new(16, 1, 4);
	struct spg_dp_sa_keys k;
	struct peer p, q;
	struct spg_sa *sa, *own;
	uint8_t inner[128], got[128], why;
	const uint8_t *pkt;
	struct rte_mbuf *m;
	uint16_t len = inner_packet(inner, 80, 3);

	peer_init(&p, 0xc000000d, 16, 13);
	peer_keys(&p, &k);
	sa = spg_sa_create_from(esp, &k, true, rte_cpu_to_be_32(taken));
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	m = send_one(esp, sa, inner, len, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	pkt = rte_pktmbuf_mtod(m, const uint8_t *);
	CU_ASSERT_EQUAL(get32(pkt + 12), taken);
	spg_esp_outer_finish(m, rte_cpu_to_be_32(E), NATT_PORT);
	CU_ASSERT_EQUAL(get32(pkt + 12), taken); /* finishing keeps it */
	CU_ASSERT_EQUAL(ip_checksum(pkt, 20), 0);
	peer_expects_src = taken;
	CU_ASSERT_EQUAL(peer_decrypt(pkt, (uint16_t)m->pkt_len, &p, 1, got), len);
	peer_expects_src = G_OUT;
	CU_ASSERT_EQUAL(memcmp(got, inner, len), 0);
	rte_pktmbuf_free(m);

	/* 0: the configured address, as spg_sa_create; the other SA is not disturbed */
	peer_init(&q, 0xc000000e, 16, 14);
	peer_keys(&q, &k);
	own = spg_sa_create_from(esp, &k, true, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(own);
	m = send_one(esp, own, inner, len, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(get32(rte_pktmbuf_mtod(m, const uint8_t *) + 12), G_OUT);
	rte_pktmbuf_free(m);
	m = send_one(esp, sa, inner, len, &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(get32(rte_pktmbuf_mtod(m, const uint8_t *) + 12), taken);
	rte_pktmbuf_free(m);
	spg_sa_free(esp, own);
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"outbound_aes128_gcm_decrypts_at_an_independent_peer", outbound_aes128_gcm_decrypts_at_an_independent_peer},
		{"outbound_aes256_gcm_decrypts_at_an_independent_peer", outbound_aes256_gcm_decrypts_at_an_independent_peer},
		{"inbound_aes128_gcm_accepts_an_independent_peer", inbound_aes128_gcm_accepts_an_independent_peer},
		{"inbound_aes256_gcm_accepts_an_independent_peer", inbound_aes256_gcm_accepts_an_independent_peer},
		{"outer_finish_writes_the_roaming_endpoint", outer_finish_writes_the_roaming_endpoint},
		{"sa_created_from_another_address_leaves_from_it", sa_created_from_another_address_leaves_from_it},
		{NULL, NULL},
	};

	return esp_test_run_paths("test_esp", cases);
}
