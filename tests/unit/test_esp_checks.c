/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spg_esp refuses for the right reason what the peer (esp_test_peer.c) sends wrong: tampered
 * bytes, bad trailers and lengths, replays within a burst; and its own limits: the inner MTU,
 * missing headroom, bad keys and full tables.
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

static void tampered_packets_fail_authentication(void)
{
	struct spg_esp *esp = esp_new(16, 1, 4);
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[128];
	struct rte_mbuf *m;

	peer_init(&p, 0x30000003, 16, 3);
	sa = sa_new(esp, &p, false);
	inner_packet(inner, 100, 7);

	m = esp_mbuf(&p, 1, inner, 100, NULL);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 44 + 30) ^= 0x01; /* ciphertext */
	CU_ASSERT_EQUAL(receive(esp, sa, m, inner, 100), SPG_DROP_BAD_ICV);

	m = esp_mbuf(&p, 1, inner, 100, NULL);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, m->pkt_len - 1) ^= 0x80; /* ICV */
	CU_ASSERT_EQUAL(receive(esp, sa, m, inner, 100), SPG_DROP_BAD_ICV);

	m = esp_mbuf(&p, 1, inner, 100, NULL);
	*rte_pktmbuf_mtod_offset(m, uint8_t *, 36) ^= 0x01; /* IV, part of the nonce */
	CU_ASSERT_EQUAL(receive(esp, sa, m, inner, 100), SPG_DROP_BAD_ICV);

	/* none of them moved the window: the genuine packet 1 still gets in, once */
	CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 1, inner, 100, NULL), inner, 100), SPG_OK);
	CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 1, inner, 100, NULL), inner, 100),
			SPG_DROP_REPLAY);

	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void bad_trailers_and_lengths_are_malformed(void)
{
	struct spg_esp *esp = esp_new(16, 1, 4);
	struct peer_opts bad_pad = {.bad_pad = true}, ipv6_next = {.next_header = 41};
	struct peer_opts long_pad = {.extra_pad = 8};
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[128], junk[64];
	struct rte_mbuf *m;

	peer_init(&p, 0x40000004, 16, 4);
	sa = sa_new(esp, &p, false);
	inner_packet(inner, 61, 1); /* needs 1 byte of padding */

	CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 1, inner, 61, &bad_pad), inner, 61),
			SPG_DROP_MALFORMED_ESP);
	CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 2, inner, 61, &ipv6_next), inner, 61),
			SPG_DROP_MALFORMED_ESP);
	/* more padding than needed is legal (RFC 4303 2.4) */
	CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 3, inner, 61, &long_pad), inner, 61), SPG_OK);

	/* ciphertext not a multiple of 4: refused before any crypto */
	m = esp_mbuf(&p, 4, inner, 61, NULL);
	rte_pktmbuf_append(m, 1);
	CU_ASSERT_EQUAL(receive(esp, sa, m, inner, 61), SPG_DROP_MALFORMED_ESP);

	/* authentic, says IPv4, but is not */
	memset(junk, 0x65, sizeof(junk)); /* IPv6's version, IPv4's header length */
	CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 5, junk, sizeof(junk), NULL), junk,
				sizeof(junk)),
			SPG_DROP_MALFORMED_ESP);

	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

/* esp_native_in.c reads the trailer itself: an authentic packet whose pad length field
 * claims more than the payload holds is refused, nothing read outside it. (librte_ipsec's
 * path is the library's own checks, covered above.) */
static void pad_length_beyond_the_payload_is_malformed(void)
{
	struct spg_esp *esp = esp_new(16, 1, 4);
	struct peer_opts too_long = {.pad_len = 250}, whole = {.pad_len = 34};
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[128];

	peer_init(&p, 0x40000005, 16, 5);
	sa = sa_new(esp, &p, false);
	inner_packet(inner, 32, 1); /* ciphertext 36 bytes: 32 + 2 padding + 2 */
	if (spg_esp_native_inbound(esp)) {
		CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 1, inner, 32, &too_long), inner, 32),
				SPG_DROP_MALFORMED_ESP);
		/* exactly the whole payload as padding: the pad bytes check refuses it */
		CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 2, inner, 32, &whole), inner, 32),
				SPG_DROP_MALFORMED_ESP);
		/* and the window did not move for them: number 1 still passes */
		CU_ASSERT_EQUAL(receive(esp, sa, esp_mbuf(&p, 1, inner, 32, NULL), inner, 32), SPG_OK);
	}
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void duplicate_within_one_burst_is_replay(void)
{
	struct spg_esp *esp = esp_new(16, 1, 4);
	struct peer p;
	struct spg_sa *sa[3];
	struct rte_mbuf *m[3];
	void *ctx[3];
	uint8_t inner[128], why[3];
	int i;

	peer_init(&p, 0x50000005, 16, 5);
	sa[0] = sa[1] = sa[2] = sa_new(esp, &p, false);
	inner_packet(inner, 80, 9);
	m[0] = esp_mbuf(&p, 7, inner, 80, NULL);
	m[1] = esp_mbuf(&p, 8, inner, 80, NULL);
	m[2] = esp_mbuf(&p, 7, inner, 80, NULL);
	for (i = 0; i < 3; i++)
		ctx[i] = m[i];
	/* both copies of 7 pass the window check before either is recorded; the second one
	 * is caught when the window is updated, after decryption */
	CU_ASSERT_EQUAL(spg_esp_inbound_burst(esp, 0, m, sa, ctx, 3, why, NULL), 2);
	CU_ASSERT_EQUAL(why[2], SPG_DROP_REPLAY);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_PTR_EQUAL(ctx[i], m[i]);
		rte_pktmbuf_free(m[i]);
	}
	spg_sa_free(esp, sa[0]);
	spg_esp_free(esp);
}

static void inner_mtu_fills_the_link_exactly(void)
{
	struct spg_esp *esp = esp_new(16, 1, 2);
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[2048], why;
	struct rte_mbuf *m;
	uint16_t mtu = spg_esp_inner_mtu(1500);

	CU_ASSERT_EQUAL(mtu, 1438);
	CU_ASSERT_EQUAL(spg_esp_inner_mtu(1280), 1218);
	CU_ASSERT_EQUAL(spg_esp_inner_mtu(9000), 8938);
	peer_init(&p, 0x80000008, 16, 8);
	sa = sa_new(esp, &p, true);

	m = send_one(esp, sa, inner, inner_packet(inner, mtu, 1), &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(m->pkt_len, 1500);
	rte_pktmbuf_free(m);
	/* one byte more no longer fits */
	m = send_one(esp, sa, inner, inner_packet(inner, mtu + 1, 1), &why);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(m->pkt_len > 1500);
	rte_pktmbuf_free(m);
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void outbound_without_headroom_is_no_mbuf(void)
{
	struct spg_esp *esp = esp_new(16, 1, 2);
	struct peer p;
	struct spg_sa *sa;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t inner[128], why = 0xff;
	void *ctx = &why;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	peer_init(&p, 0x90000009, 16, 9);
	sa = sa_new(esp, &p, true);
	inner_packet(inner, 100, 1);
	memcpy(rte_pktmbuf_prepend(m, rte_pktmbuf_headroom(m)), inner, 100);
	rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - 100);
	CU_ASSERT_EQUAL(spg_esp_outbound_burst(esp, 0, &m, &sa, &ctx, 1, &why), 0);
	CU_ASSERT_EQUAL(why, SPG_DROP_NO_MBUF);
	CU_ASSERT_PTR_EQUAL(ctx, &why);
	rte_pktmbuf_free(m);
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void bad_keys_and_full_tables_are_refused(void)
{
	struct spg_esp_config cfg = {
		.crypto_device = "crypto_aesni_mb",
		.key_len = 24,
		.replay_window = 64,
		.udp_port = NATT_PORT,
		.n_queue_pairs = 1,
		.max_sas = 2,
		.lookaside = lookaside,
	};
	struct spg_esp *esp;
	struct spg_dp_sa_keys k;
	struct spg_sa *a, *b;
	struct peer p;

	CU_ASSERT_PTR_NULL(spg_esp_create(&cfg));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	cfg.key_len = 16;
	cfg.replay_window = 32;
	CU_ASSERT_PTR_NULL(spg_esp_create(&cfg));
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	cfg.replay_window = 64;
	cfg.crypto_device = "crypto_no_such_driver";
	CU_ASSERT_PTR_NULL(spg_esp_create(&cfg));
	CU_ASSERT_EQUAL(rte_errno, ENODEV);

	esp = esp_new(16, 1, 2);
	peer_init(&p, 0xa000000a, 32, 10);
	peer_keys(&p, &k);
	CU_ASSERT_PTR_NULL(spg_sa_create(esp, &k, true)); /* 32-byte key on an aes-128 gateway */
	CU_ASSERT_EQUAL(rte_errno, EINVAL);
	peer_init(&p, 255, 16, 10);
	peer_keys(&p, &k);
	CU_ASSERT_PTR_NULL(spg_sa_create(esp, &k, true)); /* RFC 4303 reserves SPIs 1..255 */
	CU_ASSERT_EQUAL(rte_errno, EINVAL);

	peer_init(&p, 0xa000000a, 16, 10);
	a = sa_new(esp, &p, true);
	b = sa_new(esp, &p, false);
	peer_keys(&p, &k);
	CU_ASSERT_PTR_NULL(spg_sa_create(esp, &k, true));
	CU_ASSERT_EQUAL(rte_errno, ENOSPC);
	spg_sa_free(esp, a);
	a = sa_new(esp, &p, true); /* freed room is usable again */
	spg_sa_free(esp, a);
	RTE_SET_USED(b); /* left for spg_esp_free to release */
	spg_esp_free(esp);
}

/* A native SA's key schedule is asked for only in the lines its payload's AES-GCM reads
 * (esp_key_lines.c learns them at start): the round keys always, more hash-key powers for
 * longer payloads, the whole schedule past what was learnt. */
static void key_lines_grow_with_the_payload(void)
{
	for (uint8_t key_len = 16; key_len <= 32; key_len += 16) {
		struct spg_esp *esp = esp_new(key_len, 1, 2);

		for (int dir = 0; dir < 2; dir++) {
			bool out = dir == 0;
			uint32_t all = spg_esp_key_lines(esp, out, 1u << 16), prev = 0, bad = 0;

			if (out ? !spg_esp_native_outbound(esp) : !spg_esp_native_inbound(esp)) {
				CU_ASSERT_EQUAL(all, 0);
				continue;
			}
			CU_ASSERT_EQUAL(all & (all + 1), 0); /* lines 0 .. n - 1 */
			CU_ASSERT(__builtin_popcount(all) * RTE_CACHE_LINE_SIZE >= spg_esp_native_key_bytes(esp));
			for (uint32_t len = 4; len <= 1500; len += 4) {
				uint32_t m = spg_esp_key_lines(esp, out, len);

				bad += (m & 1) == 0 || (m & ~all) != 0 || (m & prev) != prev;
				prev = m;
			}
			CU_ASSERT_EQUAL(bad, 0);
			CU_ASSERT_EQUAL(prev, all);
		}
		spg_esp_free(esp);
	}
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"tampered_packets_fail_authentication", tampered_packets_fail_authentication},
		{"bad_trailers_and_lengths_are_malformed", bad_trailers_and_lengths_are_malformed},
		{"duplicate_within_one_burst_is_replay", duplicate_within_one_burst_is_replay},
		{"pad_length_beyond_the_payload_is_malformed", pad_length_beyond_the_payload_is_malformed},
		{"inner_mtu_fills_the_link_exactly", inner_mtu_fills_the_link_exactly},
		{"outbound_without_headroom_is_no_mbuf", outbound_without_headroom_is_no_mbuf},
		{"bad_keys_and_full_tables_are_refused", bad_keys_and_full_tables_are_refused},
		{"key_lines_grow_with_the_payload", key_lines_grow_with_the_payload},
		{NULL, NULL},
	};

	return esp_test_run_paths("test_esp_checks", cases);
}
