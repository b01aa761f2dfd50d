/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate's ESP against a peer written here with OpenSSL's EVP AES-GCM and nothing of DPDK:
 * what spg_esp encrypts, the peer decrypts and checks field by field (RFC 4303, 4106 with
 * ESN, 3948); what the peer encrypts, spg_esp must accept — or refuse for the right reason.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "esp.h"
#include "esp_test_util.h"
#include "unit.h"

#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))

static const uint32_t G_OUT = ADDR(198, 51, 100, 1); /* the gateway's outer address */
static const uint32_t E = ADDR(203, 0, 113, 7);      /* the SP site's outer endpoint */
static const uint32_t G_IN = ADDR(198, 18, 0, 1);
static const uint32_t S = ADDR(192, 0, 2, 1);
#define NATT_PORT 4500
#define ESP_OUT_OFS 28 /* outer IPv4 + UDP */

static struct rte_mempool *pool;
/* Every case runs twice: on the crypto device's CPU crypto path (crypto_aesni_mb has it, so
 * spg_esp must choose it), then through its queue pairs. */
static bool lookaside;
static bool library_outbound; /* both directions through librte_ipsec even where esp_native*.c could */

/* One direction's SA as the peer holds it. */
struct peer {
	uint32_t spi;
	uint8_t key_len;
	uint8_t key[32];
	uint8_t salt[4];
};

static uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void peer_init(struct peer *p, uint32_t spi, uint8_t key_len, uint8_t seed)
{
	unsigned int i;

	p->spi = spi;
	p->key_len = key_len;
	for (i = 0; i < sizeof(p->key); i++)
		p->key[i] = (uint8_t)(seed * 31 + i * 7 + 1);
	for (i = 0; i < sizeof(p->salt); i++)
		p->salt[i] = (uint8_t)(seed + 0xa0 + i);
}

static void peer_keys(const struct peer *p, struct spg_dp_sa_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->spi = rte_cpu_to_be_32(p->spi);
	k->key_len = p->key_len;
	memcpy(k->key, p->key, p->key_len);
	memcpy(k->salt, p->salt, sizeof(k->salt));
}

/* RFC 4106: nonce = salt || IV; with ESN the AAD is SPI, sequence high, sequence low. */
static bool gcm(bool encrypt, const struct peer *p, const uint8_t iv[8], uint64_t seq,
		const uint8_t *in, int len, uint8_t *out, uint8_t tag[16])
{
	uint8_t nonce[12], aad[12];
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int outl, ok;

	memcpy(nonce, p->salt, 4);
	memcpy(nonce + 4, iv, 8);
	put32(aad, p->spi);
	put32(aad + 4, (uint32_t)(seq >> 32));
	put32(aad + 8, (uint32_t)seq);
	ok = EVP_CipherInit_ex(c, p->key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL,
			       NULL, NULL, encrypt) &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
	     EVP_CipherInit_ex(c, NULL, NULL, p->key, nonce, encrypt) &&
	     EVP_CipherUpdate(c, NULL, &outl, aad, sizeof(aad)) &&
	     EVP_CipherUpdate(c, out, &outl, in, len);
	if (ok && !encrypt)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
	ok = ok && EVP_CipherFinal_ex(c, out + outl, &outl) > 0;
	if (ok && encrypt)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* An inner IPv4/UDP packet G_in -> S of len bytes whose payload starts with tag. */
static uint16_t inner_packet(uint8_t *b, uint16_t len, uint32_t tag)
{
	uint16_t i;

	memset(b, 0, 28);
	b[0] = 0x45;
	put16(b + 2, len);
	b[8] = 64;
	b[9] = 17;
	put32(b + 12, G_IN);
	put32(b + 16, S);
	put16(b + 10, ip_checksum(b, 20));
	put16(b + 20, 40000);
	put16(b + 22, 443);
	put16(b + 24, len - 20);
	for (i = 28; i < len; i++)
		b[i] = (uint8_t)(i * 13 + tag);
	if (len >= 32)
		put32(b + 28, tag);
	return len;
}

struct peer_opts {
	uint8_t next_header; /* 0: 4 (IPv4) */
	bool bad_pad;
	uint8_t extra_pad; /* padding beyond the minimum, a multiple of 4 */
	uint8_t pad_len;   /* 0: the padding's true length; else what the pad length field claims */
};

/* The SP site's endpoint sending inner to the gateway: outer IPv4 + UDP + ESP. */
static uint16_t peer_encrypt(uint8_t *out, const struct peer *p, uint64_t seq,
			     const uint8_t *inner, uint16_t inner_len, const struct peer_opts *o)
{
	uint8_t pt[2048], iv[8];
	uint16_t pad = (4 - (inner_len + 2) % 4) % 4, clen, len, i;

	if (o != NULL)
		pad += o->extra_pad;
	clen = inner_len + pad + 2;
	len = ESP_OUT_OFS + 8 + 8 + clen + 16;
	memcpy(pt, inner, inner_len);
	for (i = 0; i < pad; i++)
		pt[inner_len + i] = (uint8_t)(i + 1);
	if (o != NULL && o->bad_pad && pad > 0)
		pt[inner_len] ^= 0x80;
	pt[inner_len + pad] = o != NULL && o->pad_len != 0 ? o->pad_len : (uint8_t)pad;
	pt[inner_len + pad + 1] = o != NULL && o->next_header != 0 ? o->next_header : 4;

	memset(out, 0, ESP_OUT_OFS);
	out[0] = 0x45;
	put16(out + 2, len);
	out[8] = 64;
	out[9] = 17;
	put32(out + 12, E);
	put32(out + 16, G_OUT);
	put16(out + 10, ip_checksum(out, 20));
	put16(out + 20, NATT_PORT);
	put16(out + 22, NATT_PORT);
	put16(out + 24, len - 20);
	put32(out + 28, p->spi);
	put32(out + 32, (uint32_t)seq);
	put32(iv, (uint32_t)(seq >> 32) ^ 0x5a5a5a5a);
	put32(iv + 4, (uint32_t)seq ^ 0xa5a5a5a5);
	memcpy(out + 36, iv, 8);
	if (!gcm(true, p, iv, seq, pt, clen, out + 44, out + 44 + clen))
		return 0;
	return len;
}

static struct rte_mbuf *mbuf_of(const uint8_t *data, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, len), data, len);
	return m;
}

/* An ESP-in-UDP packet as spg_esp_inbound_burst expects it. */
static struct rte_mbuf *esp_mbuf(const struct peer *p, uint64_t seq, const uint8_t *inner,
				 uint16_t inner_len, const struct peer_opts *o)
{
	uint8_t pkt[2048];
	uint16_t len = peer_encrypt(pkt, p, seq, inner, inner_len, o);
	struct rte_mbuf *m;

	CU_ASSERT_FATAL(len != 0);
	m = mbuf_of(pkt, len);
	m->l2_len = 0;
	m->l3_len = 20;
	return m;
}

/* The outer source the peer expects: G_OUT but in sa_created_from_another_address_leaves_from_it. */
static uint32_t peer_expects_src = ADDR(198, 51, 100, 1);

/*
 * The SP site's endpoint receiving what the gateway sent: checks the outer headers as
 * spg_esp_outer_finish(E, NATT_PORT) left them, the ESP header, the trailer, and decrypts.
 * Returns the inner length, or -1 when authentication failed.
 */
static int peer_decrypt(const uint8_t *pkt, uint16_t len, const struct peer *p,
			uint64_t expect_seq, uint8_t *inner)
{
	uint8_t pt[2048];
	int clen = len - ESP_OUT_OFS - 8 - 8 - 16, i, pad, inner_len;

	CU_ASSERT_FATAL(clen > 2);
	CU_ASSERT_EQUAL(pkt[0], 0x45);
	CU_ASSERT_EQUAL(get16(pkt + 2), len);
	CU_ASSERT_EQUAL(get16(pkt + 6), 0); /* DF clear, not a fragment */
	CU_ASSERT_EQUAL(pkt[8], 64);
	CU_ASSERT_EQUAL(pkt[9], 17);
	CU_ASSERT_EQUAL(ip_checksum(pkt, 20), 0);
	CU_ASSERT_EQUAL(get32(pkt + 12), peer_expects_src);
	CU_ASSERT_EQUAL(get32(pkt + 16), E);
	CU_ASSERT_EQUAL(get16(pkt + 20), NATT_PORT);
	CU_ASSERT_EQUAL(get16(pkt + 22), NATT_PORT);
	CU_ASSERT_EQUAL(get16(pkt + 24), len - 20);
	CU_ASSERT_EQUAL(get16(pkt + 26), 0);
	CU_ASSERT_EQUAL(get32(pkt + 28), p->spi);
	CU_ASSERT_EQUAL(get32(pkt + 32), (uint32_t)expect_seq);
	CU_ASSERT_EQUAL(clen % 4, 0);
	if (!gcm(false, p, pkt + 36, expect_seq, pkt + 44, clen, pt, (uint8_t *)pkt + len - 16))
		return -1;
	CU_ASSERT_EQUAL(pt[clen - 1], 4); /* next header: IPv4 */
	pad = pt[clen - 2];
	inner_len = clen - 2 - pad;
	CU_ASSERT_FATAL(inner_len > 0);
	CU_ASSERT_EQUAL(pad, (4 - (inner_len + 2) % 4) % 4); /* no more padding than needed */
	for (i = 0; i < pad; i++)
		CU_ASSERT_EQUAL(pt[inner_len + i], i + 1);
	memcpy(inner, pt, inner_len);
	return inner_len;
}

static struct spg_esp *esp_new(uint8_t key_len, uint16_t n_qp, uint32_t max_sas)
{
	struct spg_esp_config cfg = {
		.crypto_device = "crypto_aesni_mb",
		.key_len = key_len,
		.replay_window = 64,
		.udp_port = NATT_PORT,
		.local_addr = rte_cpu_to_be_32(G_OUT),
		.n_queue_pairs = n_qp,
		.max_sas = max_sas,
		.socket_id = (int)rte_socket_id(),
		.lookaside = lookaside,
		.library_outbound = library_outbound,
		.library_inbound = library_outbound,
	};
	struct spg_esp *esp = spg_esp_create(&cfg);

	if (esp == NULL)
		fprintf(stderr, "spg_esp_create: %s\n", rte_strerror(rte_errno));
	CU_ASSERT_PTR_NOT_NULL_FATAL(esp);
	CU_ASSERT_EQUAL(spg_esp_cpu_crypto(esp), !lookaside);
	CU_ASSERT_EQUAL(spg_esp_native_outbound(esp), !lookaside && !library_outbound);
	CU_ASSERT_EQUAL(spg_esp_native_inbound(esp), !lookaside && !library_outbound);
	return esp;
}

static struct spg_sa *sa_new(struct spg_esp *esp, const struct peer *p, bool outbound)
{
	struct spg_dp_sa_keys k;
	struct spg_sa *sa;

	peer_keys(p, &k);
	sa = spg_sa_create(esp, &k, outbound);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sa);
	CU_ASSERT_EQUAL(spg_sa_spi(sa), k.spi);
	return sa;
}

/* One packet through outbound; NULL when it failed, with *why set. */
static struct rte_mbuf *send_one(struct spg_esp *esp, struct spg_sa *sa, const uint8_t *inner,
				 uint16_t len, uint8_t *why)
{
	struct rte_mbuf *m = mbuf_of(inner, len);
	void *ctx = m;
	uint8_t reason = 0xff;

	m->l2_len = 14; /* left over from the caller's parse: spg_esp must not care */
	if (spg_esp_outbound_burst(esp, 0, &m, &sa, &ctx, 1, &reason) != 1) {
		*why = reason;
		rte_pktmbuf_free(m);
		return NULL;
	}
	*why = reason;
	CU_ASSERT_PTR_EQUAL(ctx, m);
	return m;
}

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

/* One packet through inbound: the reason (SPG_OK when accepted, then checked). */
static uint8_t receive(struct spg_esp *esp, struct spg_sa *sa, struct rte_mbuf *m,
		       const uint8_t *inner, uint16_t inner_len)
{
	void *ctx = m;
	uint8_t why = 0xff;
	uint16_t ok = spg_esp_inbound_burst(esp, 0, &m, &sa, &ctx, 1, &why, NULL);

	CU_ASSERT_PTR_EQUAL(ctx, m);
	CU_ASSERT_EQUAL(ok, why == SPG_OK);
	if (ok == 1) {
		CU_ASSERT_EQUAL(m->pkt_len, inner_len);
		CU_ASSERT_EQUAL(memcmp(rte_pktmbuf_mtod(m, uint8_t *), inner, inner_len), 0);
	}
	rte_pktmbuf_free(m);
	return why;
}

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

/* A burst A B C A C B A: back grouped by SA, order kept within each, ctx[] alongside mb[]. */
static const int mix[] = {0, 1, 2, 0, 2, 1, 0};
#define N_MIX ((int)RTE_DIM(mix))

/* Each SA appears as one run; within it, burst indexes ascend. */
static void check_runs(const int *sa_of_pos, const int *idx_of_pos, int n)
{
	int changes = 0, i;

	for (i = 1; i < n; i++) {
		if (sa_of_pos[i] != sa_of_pos[i - 1])
			changes++;
		else
			CU_ASSERT(idx_of_pos[i] > idx_of_pos[i - 1]);
	}
	CU_ASSERT_EQUAL(changes, 2);
}

/* librte_ipsec's path regroups by SA; esp_native.c keeps the burst's order. Either way each
 * packet comes back with its own ctx, encrypted with its own SA, in its SA's order. */
static void mixed_outbound_burst_comes_back_grouped_by_sa(void)
{
	struct spg_esp *esp = esp_new(16, 1, 8);
	struct peer p[3];
	struct spg_sa *sas[3], *sa[N_MIX];
	struct rte_mbuf *m[N_MIX];
	void *ctx[N_MIX];
	int idx[N_MIX], sa_of_pos[N_MIX], idx_of_pos[N_MIX], seen[3] = {0, 0, 0}, i;
	uint8_t inner[256], got[256], why[N_MIX];

	for (i = 0; i < 3; i++) {
		peer_init(&p[i], 0x60000000 + i, 16, (uint8_t)(10 + i));
		sas[i] = sa_new(esp, &p[i], true);
	}
	for (i = 0; i < N_MIX; i++) {
		idx[i] = i;
		sa[i] = sas[mix[i]];
		m[i] = mbuf_of(inner, inner_packet(inner, (uint16_t)(64 + i), (uint32_t)i));
		ctx[i] = &idx[i];
	}
	CU_ASSERT_EQUAL_FATAL(spg_esp_outbound_burst(esp, 0, m, sa, ctx, N_MIX, why), N_MIX);
	for (i = 0; i < N_MIX; i++) {
		int orig = *(int *)ctx[i], s = mix[orig];
		const uint8_t *pkt = rte_pktmbuf_mtod(m[i], const uint8_t *);

		sa_of_pos[i] = s;
		idx_of_pos[i] = orig;
		CU_ASSERT_EQUAL(why[i], SPG_OK);
		spg_esp_outer_finish(m[i], rte_cpu_to_be_32(E), NATT_PORT);
		/* the mbuf at position i is the packet ctx[i] names, encrypted with its SA, and
		 * sequence numbers count per SA in burst order */
		CU_ASSERT_EQUAL(peer_decrypt(pkt, (uint16_t)m[i]->pkt_len, &p[s], ++seen[s], got),
				64 + orig);
		CU_ASSERT_EQUAL(get32(got + 28), (uint32_t)orig);
		rte_pktmbuf_free(m[i]);
	}
	if (spg_esp_native_outbound(esp)) {
		/* esp_native.c keeps the burst's order outright, which keeps each SA's */
		for (i = 0; i < N_MIX; i++)
			CU_ASSERT_EQUAL(idx_of_pos[i], i);
	} else {
		check_runs(sa_of_pos, idx_of_pos, N_MIX);
	}
	for (i = 0; i < 3; i++)
		spg_sa_free(esp, sas[i]);
	spg_esp_free(esp);
}

static void mixed_inbound_burst_comes_back_grouped_with_failures_last(void)
{
	struct spg_esp *esp = esp_new(32, 1, 8);
	struct peer p[3];
	struct spg_sa *sas[3], *sa[N_MIX];
	struct rte_mbuf *m[N_MIX];
	void *ctx[N_MIX];
	int idx[N_MIX], sa_of_pos[N_MIX], idx_of_pos[N_MIX], seq[3] = {0, 0, 0}, i;
	const int tampered = 4;
	uint8_t inner[256], why[N_MIX];

	for (i = 0; i < 3; i++) {
		peer_init(&p[i], 0x70000000 + i, 32, (uint8_t)(20 + i));
		sas[i] = sa_new(esp, &p[i], false);
	}
	for (i = 0; i < N_MIX; i++) {
		idx[i] = i;
		sa[i] = sas[mix[i]];
		inner_packet(inner, (uint16_t)(64 + i), (uint32_t)i);
		m[i] = esp_mbuf(&p[mix[i]], (uint64_t)++seq[mix[i]], inner, (uint16_t)(64 + i), NULL);
		ctx[i] = &idx[i];
	}
	*rte_pktmbuf_mtod_offset(m[tampered], uint8_t *, m[tampered]->pkt_len - 3) ^= 1;
	CU_ASSERT_EQUAL_FATAL(spg_esp_inbound_burst(esp, 0, m, sa, ctx, N_MIX, why, NULL), N_MIX - 1);
	for (i = 0; i < N_MIX - 1; i++) {
		int orig = *(int *)ctx[i];

		sa_of_pos[i] = mix[orig];
		idx_of_pos[i] = orig;
		CU_ASSERT_EQUAL(why[i], SPG_OK);
		CU_ASSERT_EQUAL(m[i]->pkt_len, (uint32_t)(64 + orig));
		CU_ASSERT_EQUAL(get32(rte_pktmbuf_mtod(m[i], uint8_t *) + 28), (uint32_t)orig);
	}
	CU_ASSERT_EQUAL(*(int *)ctx[N_MIX - 1], tampered);
	CU_ASSERT_EQUAL(why[N_MIX - 1], SPG_DROP_BAD_ICV);
	if (spg_esp_native_inbound(esp)) {
		/* esp_native_in.c keeps the burst's order (without the tampered one) */
		for (i = 0; i < N_MIX - 1; i++)
			CU_ASSERT_EQUAL(idx_of_pos[i], i < tampered ? i : i + 1);
	} else {
		/* without the tampered C, C has one packet: still three runs */
		check_runs(sa_of_pos, idx_of_pos, N_MIX - 1);
	}
	for (i = 0; i < N_MIX; i++)
		rte_pktmbuf_free(m[i]);
	for (i = 0; i < 3; i++)
		spg_sa_free(esp, sas[i]);
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

/* ---- two workers on one outbound SA ---- */

/* small bursts, many of them: the most chances for two workers to take a number at once */
#define PER_WORKER 20000
#define WORKER_BURST 2

struct worker_arg {
	struct spg_esp *esp;
	struct spg_sa *sa;
	uint16_t qp;
	uint32_t seq[PER_WORKER];
	int sent;
};

static void *worker(void *arg)
{
	struct worker_arg *w = arg;
	uint8_t inner[64];
	int i;

	inner_packet(inner, sizeof(inner), w->qp);
	while (w->sent < PER_WORKER) {
		struct rte_mbuf *m[WORKER_BURST];
		struct spg_sa *sa[WORKER_BURST];
		void *ctx[WORKER_BURST];
		uint8_t why[WORKER_BURST];
		uint16_t ok;

		for (i = 0; i < WORKER_BURST; i++) {
			m[i] = rte_pktmbuf_alloc(pool);
			if (m[i] == NULL)
				return NULL;
			memcpy(rte_pktmbuf_append(m[i], sizeof(inner)), inner, sizeof(inner));
			sa[i] = w->sa;
			ctx[i] = NULL;
		}
		ok = spg_esp_outbound_burst(w->esp, w->qp, m, sa, ctx, WORKER_BURST, why);
		for (i = 0; i < WORKER_BURST; i++) {
			if (i < ok)
				w->seq[w->sent++] = get32(rte_pktmbuf_mtod(m[i], uint8_t *) + 32);
			rte_pktmbuf_free(m[i]);
		}
		if (ok != WORKER_BURST)
			return NULL;
	}
	return NULL;
}

static void two_workers_on_one_sa_never_reuse_a_sequence_number(void)
{
	static struct worker_arg w[2];
	static uint8_t seen[2 * PER_WORKER + 1];
	struct spg_esp *esp = esp_new(16, 2, 2);
	struct peer p;
	struct spg_sa *sa;
	pthread_attr_t attr;
	cpu_set_t cpus;
	pthread_t t[2];
	int i, j, dup = 0, out_of_range = 0;

	peer_init(&p, 0xb000000b, 16, 11);
	sa = sa_new(esp, &p, true);
	/* EAL pinned this thread to lcore 0; let the workers run on every CPU, at once */
	CPU_ZERO(&cpus);
	for (i = 0; i < CPU_SETSIZE && i < 64; i++)
		CPU_SET(i, &cpus);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	for (i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].esp = esp;
		w[i].sa = sa;
		w[i].qp = (uint16_t)i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], &attr, worker, &w[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_attr_destroy(&attr);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(w[i].sent, PER_WORKER);
		for (j = 0; j < w[i].sent; j++) {
			uint32_t s = w[i].seq[j];

			if (s == 0 || s > 2 * PER_WORKER)
				out_of_range++;
			else if (seen[s]++)
				dup++;
			/* each worker sees its own numbers ascend */
			if (j > 0)
				CU_ASSERT(s > w[i].seq[j - 1]);
		}
	}
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT_EQUAL(out_of_range, 0);
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

static void outer_finish_writes_the_roaming_endpoint(void)
{
	struct spg_esp *esp = esp_new(16, 1, 2);
	struct peer p;
	struct spg_sa *sa;
	uint8_t inner[128], why;
	const uint8_t *pkt;
	struct rte_mbuf *m;

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

static int suite_init_cpu_crypto(void)
{
	lookaside = false;
	library_outbound = false;
	return 0;
}

static int suite_init_library_outbound(void)
{
	lookaside = false;
	library_outbound = true;
	return 0;
}

static int suite_init_lookaside(void)
{
	lookaside = true;
	library_outbound = false;
	return 0;
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"outbound_aes128_gcm_decrypts_at_an_independent_peer",
		 outbound_aes128_gcm_decrypts_at_an_independent_peer},
		{"outbound_aes256_gcm_decrypts_at_an_independent_peer",
		 outbound_aes256_gcm_decrypts_at_an_independent_peer},
		{"inbound_aes128_gcm_accepts_an_independent_peer",
		 inbound_aes128_gcm_accepts_an_independent_peer},
		{"inbound_aes256_gcm_accepts_an_independent_peer",
		 inbound_aes256_gcm_accepts_an_independent_peer},
		{"tampered_packets_fail_authentication", tampered_packets_fail_authentication},
		{"bad_trailers_and_lengths_are_malformed", bad_trailers_and_lengths_are_malformed},
		{"duplicate_within_one_burst_is_replay", duplicate_within_one_burst_is_replay},
		{"pad_length_beyond_the_payload_is_malformed", pad_length_beyond_the_payload_is_malformed},
		{"mixed_outbound_burst_comes_back_grouped_by_sa",
		 mixed_outbound_burst_comes_back_grouped_by_sa},
		{"mixed_inbound_burst_comes_back_grouped_with_failures_last",
		 mixed_inbound_burst_comes_back_grouped_with_failures_last},
		{"inner_mtu_fills_the_link_exactly", inner_mtu_fills_the_link_exactly},
		{"outbound_without_headroom_is_no_mbuf", outbound_without_headroom_is_no_mbuf},
		{"bad_keys_and_full_tables_are_refused", bad_keys_and_full_tables_are_refused},
		{"outer_finish_writes_the_roaming_endpoint", outer_finish_writes_the_roaming_endpoint},
		{"sa_created_from_another_address_leaves_from_it", sa_created_from_another_address_leaves_from_it},
		{"two_workers_on_one_sa_never_reuse_a_sequence_number",
		 two_workers_on_one_sa_never_reuse_a_sequence_number},
		{NULL, NULL},
	};

	int rc;

	pool = esp_test_eal_pool("test_esp", 8191);
	if (pool == NULL)
		return 2;
	rc = unit_run("esp, CPU crypto", cases, suite_init_cpu_crypto, NULL);
	rc |= unit_run("esp, CPU crypto, through librte_ipsec", cases, suite_init_library_outbound, NULL);
	rc |= unit_run("esp, lookaside", cases, suite_init_lookaside, NULL);
	esp_test_eal_free(pool);
	return rc;
}
