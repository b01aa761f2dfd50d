/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The inbound anti-replay window with 64-bit extended sequence numbers (RFC 4303 3.4.3 and
 * appendix A). Every packet is built and encrypted here with OpenSSL, as the SP's endpoint
 * would: only the low half of the sequence number travels, the high half is in the AAD.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp.h"
#include "esp.h"
#include "esp_test_util.h"
#include "session.h"
#include "unit.h"
#include "worker.h"

#define NATT_PORT 4500
#define INNER_LEN 72

static struct rte_mempool *pool;
/* Every case runs twice: on the crypto device's CPU crypto path (crypto_aesni_mb has it, so
 * spg_esp must choose it), then through its queue pairs. */
static bool lookaside;

/* A fresh inbound SA and the peer that sends on it. */
struct rig {
	struct spg_esp *esp;
	struct spg_sa *sa;
	uint32_t window;
	uint32_t spi;
	uint8_t key[16];
	uint8_t salt[4];
};

/* The inner packet of sequence number seq: IPv4/UDP from port 7000 carrying seq, with its
 * header checksum (the inbound path checks it). */
static void inner_packet(uint8_t *b, uint64_t seq)
{
	unsigned int i;
	uint16_t ck;

	memset(b, 0, INNER_LEN);
	b[0] = 0x45;
	put16(b + 2, INNER_LEN);
	b[8] = 64;
	b[9] = 17;
	put32(b + 12, 0xc6120001); /* 198.18.0.1 */
	put32(b + 16, 0xc0000201); /* 192.0.2.1 */
	put16(b + 20, 7000);
	put16(b + 22, 40000);
	put16(b + 24, INNER_LEN - 20);
	put32(b + 28, (uint32_t)(seq >> 32));
	put32(b + 32, (uint32_t)seq);
	for (i = 36; i < INNER_LEN; i++)
		b[i] = (uint8_t)i;
	ck = rte_ipv4_cksum((const struct rte_ipv4_hdr *)b);
	memcpy(b + 10, &ck, sizeof(ck));
}

/* RFC 4106 with ESN: nonce = salt || IV, AAD = SPI || seq high || seq low. */
static struct rte_mbuf *peer_packet(const struct rig *r, uint64_t seq, bool tamper)
{
	uint8_t pt[INNER_LEN + 4], nonce[12], aad[12], out[256];
	uint16_t clen = INNER_LEN + 2 + 2, len = 28 + 16 + clen + 16; /* 72 + 2 needs 2 of pad */
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl, ok;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	inner_packet(pt, seq);
	pt[INNER_LEN] = 1;
	pt[INNER_LEN + 1] = 2;
	pt[INNER_LEN + 2] = 2; /* pad length */
	pt[INNER_LEN + 3] = 4; /* next header: IPv4 */

	memset(out, 0, 28);
	out[0] = 0x45;
	put16(out + 2, len);
	out[8] = 64;
	out[9] = 17;
	put32(out + 12, 0xcb007107); /* 203.0.113.7 */
	put32(out + 16, 0xc6336401); /* 198.51.100.1 */
	put16(out + 20, NATT_PORT);
	put16(out + 22, NATT_PORT);
	put16(out + 24, len - 20);
	put32(out + 28, r->spi);
	put32(out + 32, (uint32_t)seq); /* only the low half travels */
	put32(out + 36, (uint32_t)(seq >> 32) ^ 0x01020304);
	put32(out + 40, (uint32_t)seq ^ 0x05060708);
	memcpy(nonce, r->salt, 4);
	memcpy(nonce + 4, out + 36, 8);
	put32(aad, r->spi);
	put32(aad + 4, (uint32_t)(seq >> 32));
	put32(aad + 8, (uint32_t)seq);
	ok = EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_EncryptInit_ex(c, NULL, NULL, r->key, nonce) &&
	     EVP_EncryptUpdate(c, NULL, &outl, aad, sizeof(aad)) &&
	     EVP_EncryptUpdate(c, out + 44, &outl, pt, clen) &&
	     EVP_EncryptFinal_ex(c, out + 44 + outl, &outl) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, out + 44 + clen);
	EVP_CIPHER_CTX_free(c);
	CU_ASSERT_FATAL(ok);
	if (tamper)
		out[len - 20] ^= 0x01; /* last ciphertext byte */
	memcpy(rte_pktmbuf_append(m, len), out, len);
	m->l2_len = 0;
	m->l3_len = 20;
	return m;
}

static void rig_up(struct rig *r, uint32_t window)
{
	struct spg_esp_config cfg = {
		.crypto_device = "crypto_aesni_mb",
		.key_len = 16,
		.replay_window = window,
		.udp_port = NATT_PORT,
		.local_addr = rte_cpu_to_be_32(0xc6336401),
		.n_queue_pairs = 2, /* the two-worker case uses both */
		.max_sas = 4, /* the rig's, and a session's two on the inbound path */
		.socket_id = (int)rte_socket_id(),
		.lookaside = lookaside,
	};
	struct spg_dp_sa_keys k;
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->window = window;
	r->spi = 0x00c0ffee;
	for (i = 0; i < sizeof(r->key); i++)
		r->key[i] = (uint8_t)(0x40 + i * 3);
	memcpy(r->salt, "\x11\x22\x33\x44", 4);
	r->esp = spg_esp_create(&cfg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->esp);
	CU_ASSERT_EQUAL(spg_esp_cpu_crypto(r->esp), !lookaside);
	memset(&k, 0, sizeof(k));
	k.spi = rte_cpu_to_be_32(r->spi);
	k.key_len = 16;
	memcpy(k.key, r->key, 16);
	memcpy(k.salt, r->salt, 4);
	r->sa = spg_sa_create(r->esp, &k, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->sa);
}

static void rig_down(struct rig *r)
{
	spg_sa_free(r->esp, r->sa);
	spg_esp_free(r->esp);
}

/*
 * Receives packets of the given sequence numbers as one burst; why[i] is the reason for
 * seqs[i] (SPG_OK when accepted, and then it must be the packet that was sent).
 */
static void rx_burst_newest(struct rig *r, const uint64_t *seqs, const bool *tamper, int n,
			    uint8_t *why, bool *newest)
{
	struct rte_mbuf *m[8];
	struct spg_sa *sa[8];
	void *ctx[8];
	uint8_t reason[8], expect[INNER_LEN];
	bool nw[8];
	int i, ok;

	CU_ASSERT_FATAL(n <= 8);
	for (i = 0; i < n; i++) {
		m[i] = peer_packet(r, seqs[i], tamper != NULL && tamper[i]);
		sa[i] = r->sa;
		ctx[i] = (void *)(uintptr_t)i;
	}
	ok = spg_esp_inbound_burst(r->esp, 0, m, sa, ctx, (uint16_t)n, reason, nw);
	for (i = 0; i < n; i++) {
		int orig = (int)(uintptr_t)ctx[i];

		why[orig] = reason[i];
		if (newest != NULL)
			newest[orig] = i < ok && nw[i];
		CU_ASSERT_EQUAL(i < ok, reason[i] == SPG_OK);
		if (i < ok) {
			inner_packet(expect, seqs[orig]);
			CU_ASSERT_EQUAL(m[i]->pkt_len, INNER_LEN);
			CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m[i], uint8_t *), expect, INNER_LEN),
					0);
		}
		rte_pktmbuf_free(m[i]);
	}
}

static void rx_burst(struct rig *r, const uint64_t *seqs, const bool *tamper, int n, uint8_t *why)
{
	rx_burst_newest(r, seqs, tamper, n, why, NULL);
}

static uint8_t rx(struct rig *r, uint64_t seq)
{
	uint8_t why;

	rx_burst(r, &seq, NULL, 1, &why);
	return why;
}

static uint8_t rx_tampered(struct rig *r, uint64_t seq)
{
	static const bool yes = true;
	uint8_t why;

	rx_burst(r, &seq, &yes, 1, &why);
	return why;
}

static void in_order_packets_are_accepted(void)
{
	struct rig r;
	uint64_t s;

	rig_up(&r, 64);
	for (s = 1; s <= 200; s++)
		CU_ASSERT_EQUAL(rx(&r, s), SPG_OK);
	rig_down(&r);
}

static void duplicate_is_rejected(void)
{
	struct rig r;

	rig_up(&r, 64);
	CU_ASSERT_EQUAL(rx(&r, 1), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 2), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 2), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, 1), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, 3), SPG_OK);
	/* sequence number 0 is never sent (RFC 4303 3.3.3) */
	CU_ASSERT_EQUAL(rx(&r, 0), SPG_DROP_REPLAY);
	rig_down(&r);
}

static void out_of_order_inside_the_window_is_accepted_once(void)
{
	struct rig r;

	rig_up(&r, 64);
	CU_ASSERT_EQUAL(rx(&r, 50), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 40), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 49), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 40), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, 49), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, 1), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 1), SPG_DROP_REPLAY);
	rig_down(&r);
}

/* After a jump, the numbers skipped are new, whatever the words they reuse once held. */
static void numbers_skipped_by_a_jump_arrive_late(void)
{
	struct rig r;
	uint64_t s;

	rig_up(&r, 64);
	for (s = 1; s <= 63; s++)
		CU_ASSERT_EQUAL(rx(&r, s), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 200), SPG_OK);
	for (s = 137; s < 200; s++)
		CU_ASSERT_EQUAL(rx(&r, s), SPG_OK);
	rig_down(&r);
}

/* highest - window + 1 is the oldest number still inside; one below it is out. */
static void window_edge(uint32_t w)
{
	const uint64_t top = 1000, edge = top - w + 1;
	struct rig r;

	rig_up(&r, w);
	CU_ASSERT_EQUAL(rx(&r, top), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, edge - 1), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, edge - 2), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, edge), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, edge), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, edge + 1), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, top - 1), SPG_OK);
	/* the window slides with the top */
	CU_ASSERT_EQUAL(rx(&r, top + 1), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, edge + 2), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, edge), SPG_DROP_REPLAY);
	rig_down(&r);
}

static void window_64_edge_is_exact(void)
{
	window_edge(64);
}

static void window_128_edge_is_exact(void)
{
	window_edge(128);
}

static void far_jump_forward_then_old_ones_are_rejected(void)
{
	const uint64_t jump = 5 + 1000000;
	struct rig r;
	uint64_t s;

	rig_up(&r, 64);
	for (s = 1; s <= 5; s++)
		CU_ASSERT_EQUAL(rx(&r, s), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, jump), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 6), SPG_DROP_REPLAY); /* never seen, but far too old now */
	CU_ASSERT_EQUAL(rx(&r, 3), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, jump - 64), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, jump - 63), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, jump - 1), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, jump), SPG_DROP_REPLAY);
	rig_down(&r);
}

/* Across 2^32: the library rebuilds the high half that never travels. */
static void esn_wrap(uint32_t w)
{
	const uint64_t hi1 = UINT64_C(1) << 32, top = hi1 + 5;
	struct rig r;

	rig_up(&r, w);
	CU_ASSERT_EQUAL(rx(&r, 0xfffffff0), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, top), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 0xfffffff8), SPG_OK); /* late, from the old subspace, inside */
	CU_ASSERT_EQUAL(rx(&r, 0xfffffff8), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, top), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, 0xfffffff0), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, hi1 + 3), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, hi1), SPG_OK); /* low half 0, high 1: a valid number */
	/* the window's edge lies in the old subspace */
	CU_ASSERT_EQUAL(rx(&r, top - w), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, top - w + 1), SPG_OK);
	/* a sender that forgot to carry into the high half fails authentication */
	CU_ASSERT_EQUAL(rx(&r, 6), SPG_DROP_BAD_ICV);
	CU_ASSERT_EQUAL(rx(&r, hi1 + 6), SPG_OK);
	rig_down(&r);
}

static void esn_wrap_window_64(void)
{
	esn_wrap(64);
}

static void esn_wrap_window_128(void)
{
	esn_wrap(128);
}

static void bad_icv_does_not_move_the_window(void)
{
	struct rig r;
	uint64_t s;

	rig_up(&r, 64);
	for (s = 1; s <= 10; s++)
		if (s != 7)
			CU_ASSERT_EQUAL(rx(&r, s), SPG_OK);
	CU_ASSERT_EQUAL(rx_tampered(&r, 110), SPG_DROP_BAD_ICV);
	/* had 110 moved the window, 7 would now be too old */
	CU_ASSERT_EQUAL(rx(&r, 7), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 10), SPG_DROP_REPLAY);
	/* nor marked 110 as seen */
	CU_ASSERT_EQUAL(rx(&r, 110), SPG_OK);
	CU_ASSERT_EQUAL(rx_tampered(&r, 111), SPG_DROP_BAD_ICV);
	CU_ASSERT_EQUAL(rx(&r, 110), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx_tampered(&r, 110), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, 111), SPG_OK);
	rig_down(&r);
}

/* Every number inside the window is remembered, whatever its place in a 64-bit word. */
static void every_number_in_the_window_is_remembered(uint32_t w)
{
	const uint64_t top = 1000;
	struct rig r;
	uint64_t s;
	int fresh = 0, replayed = 0;

	rig_up(&r, w);
	for (s = 1; s <= top; s++)
		CU_ASSERT_EQUAL(rx(&r, s), SPG_OK);
	for (s = top - w + 1; s <= top; s++) {
		uint8_t why = rx(&r, s);

		fresh += why == SPG_OK;
		replayed += why == SPG_DROP_REPLAY;
	}
	CU_ASSERT_EQUAL(fresh, 0);
	CU_ASSERT_EQUAL(replayed, w);
	rig_down(&r);
}

static void every_number_in_a_64_window_is_remembered(void)
{
	every_number_in_the_window_is_remembered(64);
}

static void every_number_in_a_128_window_is_remembered(void)
{
	every_number_in_the_window_is_remembered(128);
}

/* Sliding into a new word must not forget the words still inside the window, nor let the
 * oldest word's numbers stand for the newest's. */
static void window_128_slides_a_word_without_forgetting(void)
{
	struct rig r;

	rig_up(&r, 128);
	CU_ASSERT_EQUAL(rx(&r, 1000), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 873), SPG_OK);  /* oldest inside; same bit as 1001 */
	CU_ASSERT_EQUAL(rx(&r, 1001), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 910), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 1034), SPG_OK); /* a new word */
	CU_ASSERT_EQUAL(rx(&r, 910), SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(rx(&r, 911), SPG_OK);
	CU_ASSERT_EQUAL(rx(&r, 1001), SPG_DROP_REPLAY);
	rig_down(&r);
}

static void within_one_burst_the_window_moves_in_order(void)
{
	static const uint64_t dup[] = {11, 11, 12};
	static const uint64_t dup_high_bit[] = {50, 50, 51};
	static const uint64_t jump[] = {2000, 20, 1999};
	struct rig r;
	uint8_t why[3];

	rig_up(&r, 64);
	CU_ASSERT_EQUAL(rx(&r, 10), SPG_OK);
	rx_burst(&r, dup, NULL, 3, why);
	CU_ASSERT_EQUAL(why[0], SPG_OK);
	CU_ASSERT_EQUAL(why[1], SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(why[2], SPG_OK);
	rx_burst(&r, dup_high_bit, NULL, 3, why);
	CU_ASSERT_EQUAL(why[0], SPG_OK);
	CU_ASSERT_EQUAL(why[1], SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(why[2], SPG_OK);
	/* 20 passes the check before the burst, but 2000 has moved the window past it */
	rx_burst(&r, jump, NULL, 3, why);
	CU_ASSERT_EQUAL(why[0], SPG_OK);
	CU_ASSERT_EQUAL(why[1], SPG_DROP_REPLAY);
	CU_ASSERT_EQUAL(why[2], SPG_OK);
	rig_down(&r);
}

/* Accepted, and higher than everything the SA accepted before: what may move a session. */
static bool rx_newest(struct rig *r, uint64_t seq)
{
	uint8_t why;
	bool newest = false;

	rx_burst_newest(r, &seq, NULL, 1, &why, &newest);
	CU_ASSERT_EQUAL(why, SPG_OK);
	return newest;
}

/* Roaming follows only the newest packet: a late one inside the window is delivered, but it
 * must not be able to move the session (an on-path attacker re-sending a captured packet). */
static void only_a_new_top_is_newest(void)
{
	static const uint64_t burst[] = {30, 25, 31, 31};
	struct rig r;
	uint8_t why[4];
	bool newest[4];

	rig_up(&r, 64);
	CU_ASSERT_TRUE(rx_newest(&r, 10));
	CU_ASSERT_TRUE(rx_newest(&r, 20));
	CU_ASSERT_FALSE(rx_newest(&r, 15)); /* late: accepted once, not newest */
	CU_ASSERT_FALSE(rx_newest(&r, 19));
	CU_ASSERT_EQUAL(rx(&r, 15), SPG_DROP_REPLAY);
	rx_burst_newest(&r, burst, NULL, 4, why, newest);
	CU_ASSERT_EQUAL(why[0], SPG_OK);
	CU_ASSERT_TRUE(newest[0]);
	CU_ASSERT_EQUAL(why[1], SPG_OK);
	CU_ASSERT_FALSE(newest[1]);
	CU_ASSERT_EQUAL(why[2], SPG_OK);
	CU_ASSERT_TRUE(newest[2]);
	CU_ASSERT_EQUAL(why[3], SPG_DROP_REPLAY);
	CU_ASSERT_FALSE(newest[3]);
	rig_down(&r);
}

/*
 * RSS spreads an SP site's packets by outer ports: a captured packet re-sent from another
 * port reaches a second worker while the first still works on the original. Two threads
 * (queue pairs 0 and 1) get a copy of the same packet at the same moment, round after
 * round; exactly one copy may be accepted each time.
 */
#define RACE_ROUNDS 10000

/* The threads meet by spinning, not on a pthread barrier, whose wake-up takes far longer
 * than the crypto: both copies must be in flight at once. */
struct race {
	struct rig *r;
	uint64_t go, done; /* the round the main thread started, the peer finished */
	struct rte_mbuf *m[2];
	uint16_t accepted[2];
	bool newest[2];
};

/*
 * Bounded: 30 s per round, then the round counts as lost (the test fails, it does not hang).
 * 5 s was too short on a loaded 2-core machine: a peer thread without a core for that long
 * ended the loop early, and the test failed with every finished round accepted exactly once.
 */
static bool spin_until(const uint64_t *word, uint64_t value)
{
	uint64_t deadline = rte_get_tsc_cycles() + 30 * rte_get_tsc_hz();

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value)
		if (rte_get_tsc_cycles() > deadline)
			return false;
	return true;
}

static void race_one(struct race *rc, uint16_t side)
{
	struct spg_sa *sa = rc->r->sa;
	void *ctx = NULL;
	uint8_t why;
	bool newest = false;

	rc->accepted[side] = spg_esp_inbound_burst(rc->r->esp, side, &rc->m[side], &sa, &ctx, 1, &why, &newest);
	rc->newest[side] = rc->accepted[side] == 1 && newest;
}

static void *race_peer(void *arg)
{
	struct race *rc = arg;

	for (uint64_t round = 1; round <= RACE_ROUNDS; round++) {
		if (!spin_until(&rc->go, round))
			break;
		race_one(rc, 1);
		__atomic_store_n(&rc->done, round, __ATOMIC_RELEASE);
	}
	return NULL;
}

static void one_packet_on_two_workers_is_accepted_once(void)
{
	struct race rc = {0};
	struct rig r;
	pthread_t th;
	cpu_set_t all;
	unsigned int once = 0, twice = 0, never = 0, newest_once = 0;

	rig_up(&r, 64);
	rc.r = &r;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, race_peer, &rc), 0);
	/* EAL pinned this thread to one core; let the other worker run on any. */
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE && c < 64; c++)
		CPU_SET(c, &all);
	pthread_setaffinity_np(th, sizeof(all), &all);
	for (uint64_t round = 1; round <= RACE_ROUNDS; round++) {
		/* two copies of one packet: sequence numbers rise, so each round is fresh */
		rc.m[0] = peer_packet(&r, round, false);
		rc.m[1] = rte_pktmbuf_copy(rc.m[0], pool, 0, UINT32_MAX);
		CU_ASSERT_PTR_NOT_NULL_FATAL(rc.m[1]);
		rc.m[1]->l2_len = 0;
		rc.m[1]->l3_len = 20;
		__atomic_store_n(&rc.go, round, __ATOMIC_RELEASE);
		race_one(&rc, 0);
		if (!spin_until(&rc.done, round))
			break;
		switch (rc.accepted[0] + rc.accepted[1]) {
		case 1: once++; break;
		case 2: twice++; break;
		default: never++; break;
		}
		newest_once += rc.newest[0] + rc.newest[1] == 1;
		rte_pktmbuf_free(rc.m[0]);
		rte_pktmbuf_free(rc.m[1]);
	}
	__atomic_store_n(&rc.go, RACE_ROUNDS + 1, __ATOMIC_RELEASE); /* a peer still waiting gives up */
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(twice, 0);
	CU_ASSERT_EQUAL(never, 0);
	CU_ASSERT_EQUAL(once, RACE_ROUNDS);
	CU_ASSERT_EQUAL(newest_once, RACE_ROUNDS);
	if (twice != 0 || never != 0 || once != RACE_ROUNDS)
		fprintf(stderr, "\n    %u rounds: accepted once %u, twice %u, never %u\n", RACE_ROUNDS, once, twice,
			never);
	rig_down(&r);
}

/*
 * The inbound path itself (spg_inbound_burst) on a dataplane built by hand around the rig's
 * crypto: one session whose inbound SA has the rig's keys, SP 203.0.113.7:4500. Delivered
 * packets end as no_neighbor (the vendor side has no next hop): after the roaming decision.
 */
struct path {
	struct spg_dp dp;
	struct spg_worker *w;
};

static void path_up(struct path *pa, struct rig *r)
{
	static unsigned int n;
	char name[32];
	struct spg_dp_session_params p = {
		.id = 1,
		.virtual_addr = RTE_BE32(0xc6130001),     /* 198.19.0.1 */
		.workstation_addr = RTE_BE32(0xc633640a), /* 198.51.100.10 */
		.peer_addr = RTE_BE32(0xcb007107),        /* 203.0.113.7, as peer_packet sends */
		.peer_port = NATT_PORT,
		.n_port_ranges = 1,
		.ports = {{.proto = 17, .lo = 7000, .hi = 7000}},
	};
	struct spg_dp *dp = &pa->dp;

	memset(pa, 0, sizeof(*pa));
	dp->cfg.esp_udp_port = NATT_PORT;
	dp->cfg.shared_addr = RTE_BE32(0xc6120001); /* S: the inner source */
	dp->cfg.inner_addr = RTE_BE32(0xc0000201);  /* G_in */
	dp->n_workers = 1;
	dp->ports[SPG_DP_PORT_SP].addr = RTE_BE32(0xc6336401); /* 198.51.100.1 */
	dp->ports[SPG_DP_PORT_SP].mac = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, 0x01}};
	/* a /32 that is not W, and no gateway: nowhere to deliver to */
	dp->ports[SPG_DP_PORT_VENDOR].addr = RTE_BE32(0x0a000001);
	dp->ports[SPG_DP_PORT_VENDOR].mask = RTE_BE32(0xffffffff);
	snprintf(name, sizeof(name), "test_roam_%u", n++);
	dp->roam_ring = rte_ring_create_elem(name, sizeof(struct spg_roam), 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
	dp->esp = r->esp;
	dp->qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp->roam_ring);
	CU_ASSERT_FATAL(dp->qsbr != NULL && rte_rcu_qsbr_init(dp->qsbr, 1) == 0);
	dp->sessions = spg_session_table_create(2, SOCKET_ID_ANY, dp->qsbr, r->esp);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dp->sessions);
	CU_ASSERT_EQUAL_FATAL(spg_session_table_alloc_counters(dp->sessions, 1), 0);
	p.sa_in.spi = rte_cpu_to_be_32(r->spi);
	p.sa_in.key_len = 16;
	memcpy(p.sa_in.key, r->key, 16);
	memcpy(p.sa_in.salt, r->salt, 4);
	p.sa_out.spi = RTE_BE32(0x3000);
	p.sa_out.key_len = 16;
	memset(p.sa_out.key, 0x77, 16);
	CU_ASSERT_EQUAL_FATAL(spg_session_add(dp->sessions, &p), 0);
	pa->w = spg_worker_create(dp, 0, LCORE_ID_ANY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pa->w);
}

static void path_down(struct path *pa)
{
	spg_worker_free(pa->w);
	spg_session_table_free(pa->dp.sessions);
	rte_free(pa->dp.qsbr);
	rte_ring_free(pa->dp.roam_ring);
}

/* Packet seq of the rig's SP, sent from UDP port sport, as an Ethernet frame to the SP port. */
static void path_rx(struct path *pa, struct rig *r, uint64_t seq, uint16_t sport)
{
	struct rte_mbuf *m = peer_packet(r, seq, false);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_ether_hdr *eth;

	put16((uint8_t *)ip + 20, sport);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	CU_ASSERT_PTR_NOT_NULL_FATAL(eth);
	eth->dst_addr = pa->dp.ports[SPG_DP_PORT_SP].mac;
	eth->src_addr = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, 0x07}};
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	pa->w->now = rte_get_tsc_cycles();
	spg_inbound_burst(pa->w, &m, 1);
}

/* How many roaming reports wait; the last one's port (host order) in *port. */
static unsigned int roam_reports(struct path *pa, uint16_t *port)
{
	struct spg_roam rr;
	unsigned int n = 0;

	while (rte_ring_sc_dequeue_elem(pa->dp.roam_ring, &rr, sizeof(rr)) == 0) {
		*port = rte_be_to_cpu_16(spg_peer_port(rr.peer));
		n++;
	}
	return n;
}

/* An on-path attacker re-sends captured packets from a port of its own: neither a replay
 * nor an older packet the window still accepts may move the session; a newer one does. */
static void old_packet_from_a_new_port_does_not_move_the_session(void)
{
	struct rig r;
	struct path pa;
	uint64_t *drops;
	uint64_t delivered;
	uint16_t port = 0;

	rig_up(&r, 64);
	path_up(&pa, &r);
	drops = pa.w->stats.drops;
	path_rx(&pa, &r, 10, NATT_PORT);
	CU_ASSERT_EQUAL(drops[SPG_DROP_NO_NEIGHBOR], 1); /* got as far as delivery */
	CU_ASSERT_EQUAL(roam_reports(&pa, &port), 0);
	/* the attack: the same packet from port 4600 */
	path_rx(&pa, &r, 10, 4600);
	CU_ASSERT_EQUAL(drops[SPG_DROP_REPLAY], 1);
	CU_ASSERT_EQUAL(roam_reports(&pa, &port), 0);
	/* an older one never seen here (lost, or held back by the attacker) from port 4601 */
	delivered = drops[SPG_DROP_NO_NEIGHBOR];
	path_rx(&pa, &r, 5, 4601);
	CU_ASSERT_EQUAL(drops[SPG_DROP_NO_NEIGHBOR], delivered + 1);
	CU_ASSERT_EQUAL(drops[SPG_DROP_REPLAY], 1);
	CU_ASSERT_EQUAL(roam_reports(&pa, &port), 0);
	/* the SP's next packet from a new port (NAT rebinding) moves it */
	path_rx(&pa, &r, 11, 4602);
	CU_ASSERT_EQUAL(roam_reports(&pa, &port), 1);
	CU_ASSERT_EQUAL(port, 4602);
	path_down(&pa);
	rig_down(&r);
}

static int suite_init_cpu_crypto(void)
{
	lookaside = false;
	return 0;
}

static int suite_init_lookaside(void)
{
	lookaside = true;
	return 0;
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"in_order_packets_are_accepted", in_order_packets_are_accepted},
		{"duplicate_is_rejected", duplicate_is_rejected},
		{"out_of_order_inside_the_window_is_accepted_once",
		 out_of_order_inside_the_window_is_accepted_once},
		{"numbers_skipped_by_a_jump_arrive_late", numbers_skipped_by_a_jump_arrive_late},
		{"window_64_edge_is_exact", window_64_edge_is_exact},
		{"window_128_edge_is_exact", window_128_edge_is_exact},
		{"far_jump_forward_then_old_ones_are_rejected",
		 far_jump_forward_then_old_ones_are_rejected},
		{"esn_wrap_window_64", esn_wrap_window_64},
		{"esn_wrap_window_128", esn_wrap_window_128},
		{"every_number_in_a_64_window_is_remembered",
		 every_number_in_a_64_window_is_remembered},
		{"every_number_in_a_128_window_is_remembered",
		 every_number_in_a_128_window_is_remembered},
		{"window_128_slides_a_word_without_forgetting",
		 window_128_slides_a_word_without_forgetting},
		{"bad_icv_does_not_move_the_window", bad_icv_does_not_move_the_window},
		{"within_one_burst_the_window_moves_in_order",
		 within_one_burst_the_window_moves_in_order},
		{"only_a_new_top_is_newest", only_a_new_top_is_newest},
		{"one_packet_on_two_workers_is_accepted_once", one_packet_on_two_workers_is_accepted_once},
		{"old_packet_from_a_new_port_does_not_move_the_session",
		 old_packet_from_a_new_port_does_not_move_the_session},
		{NULL, NULL},
	};

	int rc;

	pool = esp_test_eal_pool("test_replay", 1023);
	if (pool == NULL)
		return 2;
	rc = unit_run("replay, CPU crypto", cases, suite_init_cpu_crypto, NULL);
	rc |= unit_run("replay, lookaside", cases, suite_init_lookaside, NULL);
	esp_test_eal_free(pool);
	return rc;
}
