/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The test_esp* programs' peer: an SP site written here with OpenSSL's EVP AES-GCM and nothing
 * of DPDK (RFC 4303, 4106 with ESN, 3948), and the spg_esp set-up every case shares.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "esp_test_peer.h"

struct rte_mempool *pool;
/* Every case runs twice: on the crypto device's CPU crypto path (crypto_aesni_mb has it, so
 * spg_esp must choose it), then through its queue pairs. */
bool lookaside;
bool library_outbound; /* both directions through librte_ipsec even where esp_native*.c could */


uint16_t ip_checksum(const uint8_t *h, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(h + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void peer_init(struct peer *p, uint32_t spi, uint8_t key_len, uint8_t seed)
{
	unsigned int i;

	p->spi = spi;
	p->key_len = key_len;
	for (i = 0; i < sizeof(p->key); i++)
		p->key[i] = (uint8_t)(seed * 31 + i * 7 + 1);
	for (i = 0; i < sizeof(p->salt); i++)
		p->salt[i] = (uint8_t)(seed + 0xa0 + i);
}

void peer_keys(const struct peer *p, struct spg_dp_sa_keys *k)
{
	memset(k, 0, sizeof(*k));
	k->spi = rte_cpu_to_be_32(p->spi);
	k->key_len = p->key_len;
	memcpy(k->key, p->key, p->key_len);
	memcpy(k->salt, p->salt, sizeof(k->salt));
}

/* RFC 4106: nonce = salt || IV; with ESN the AAD is SPI, sequence high, sequence low. */
bool gcm(bool encrypt, const struct peer *p, const uint8_t iv[8], uint64_t seq,
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
uint16_t inner_packet(uint8_t *b, uint16_t len, uint32_t tag)
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


/* The SP site's endpoint sending inner to the gateway: outer IPv4 + UDP + ESP. */
uint16_t peer_encrypt(uint8_t *out, const struct peer *p, uint64_t seq,
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

struct rte_mbuf *mbuf_of(const uint8_t *data, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(rte_pktmbuf_append(m, len), data, len);
	return m;
}

/* An ESP-in-UDP packet as spg_esp_inbound_burst expects it. */
struct rte_mbuf *esp_mbuf(const struct peer *p, uint64_t seq, const uint8_t *inner,
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
uint32_t peer_expects_src = ADDR(198, 51, 100, 1);

/*
 * The SP site's endpoint receiving what the gateway sent: checks the outer headers as
 * spg_esp_outer_finish(E, NATT_PORT) left them, the ESP header, the trailer, and decrypts.
 * Returns the inner length, or -1 when authentication failed.
 */
int peer_decrypt(const uint8_t *pkt, uint16_t len, const struct peer *p,
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

struct spg_esp *esp_new(uint8_t key_len, uint16_t n_qp, uint32_t max_sas)
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

struct spg_sa *sa_new(struct spg_esp *esp, const struct peer *p, bool outbound)
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
struct rte_mbuf *send_one(struct spg_esp *esp, struct spg_sa *sa, const uint8_t *inner,
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

/* One packet through inbound: the reason (SPG_OK when accepted, then checked). */
uint8_t receive(struct spg_esp *esp, struct spg_sa *sa, struct rte_mbuf *m,
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

int esp_test_run_paths(const char *name, const struct unit_case *cases)
{
	char title[96];
	int rc;

	pool = esp_test_eal_pool(name, 8191);
	if (pool == NULL)
		return 2;
	snprintf(title, sizeof(title), "%s, CPU crypto", name);
	rc = unit_run(title, cases, suite_init_cpu_crypto, NULL);
	snprintf(title, sizeof(title), "%s, CPU crypto, through librte_ipsec", name);
	rc |= unit_run(title, cases, suite_init_library_outbound, NULL);
	snprintf(title, sizeof(title), "%s, lookaside", name);
	rc |= unit_run(title, cases, suite_init_lookaside, NULL);
	esp_test_eal_free(pool);
	return rc;
}
