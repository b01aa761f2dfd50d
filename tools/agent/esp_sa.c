/* SPDX-License-Identifier: BSD-3-Clause */
/* ESP SA: AES-GCM seal/open, ESN, anti-replay (see esp_sa.h). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "esp_sa.h"

#define IPPROTO_IPV4_TUNNEL 4 /* next header of a tunnel-mode IPv4 packet */
#define MIN_CIPHERTEXT 4       /* pad length + next header, aligned to 4 */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int esp_sa_init(struct esp_sa *sa, bool outbound, uint32_t spi, const uint8_t *key_salt,
		uint8_t key_len, uint32_t window, uint64_t seq_limit)
{
	const EVP_CIPHER *cipher = key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();

	memset(sa, 0, sizeof(*sa));
	if ((key_len != 16 && key_len != 32) || spi < 256 ||
	    (!outbound && (window < 64 || window > ESP_REPLAY_WINDOW_MAX)) ||
	    (outbound && seq_limit == 0))
		return -EINVAL;
	sa->ctx = EVP_CIPHER_CTX_new();
	if (sa->ctx == NULL)
		return -ENOMEM;
	/* Keyed once: the key schedule is the expensive part; per packet only the nonce changes. */
	if ((outbound ? EVP_EncryptInit_ex(sa->ctx, cipher, NULL, key_salt, NULL)
		      : EVP_DecryptInit_ex(sa->ctx, cipher, NULL, key_salt, NULL)) != 1 ||
	    EVP_CIPHER_CTX_ctrl(sa->ctx, EVP_CTRL_GCM_SET_IVLEN, ESP_SA_SALT_LEN + ESP_IV_LEN,
				NULL) != 1) {
		EVP_CIPHER_CTX_free(sa->ctx);
		sa->ctx = NULL;
		return -ENOMEM;
	}
	memcpy(sa->salt, key_salt + key_len, ESP_SA_SALT_LEN);
	sa->spi = spi;
	sa->key_len = key_len;
	sa->outbound = outbound;
	sa->seq_limit = seq_limit;
	sa->window = window;
	return 0;
}

void esp_sa_clear(struct esp_sa *sa)
{
	EVP_CIPHER_CTX_free(sa->ctx);
	OPENSSL_cleanse(sa, sizeof(*sa));
}

uint32_t esp_spi_of(const uint8_t *payload, size_t len)
{
	/* 1 byte 0xff is a NAT keepalive; SPI 0 marks IKE (non-ESP marker); 1..255 reserved */
	if (len < ESP_HDR_LEN + ESP_IV_LEN + MIN_CIPHERTEXT + ESP_ICV_LEN)
		return 0;
	return get32(payload) < 256 ? 0 : get32(payload);
}

bool esp_sa_wants_rekey(const struct esp_sa *sa)
{
	return sa->outbound && sa->seq >= sa->seq_limit - sa->seq_limit / 4;
}

uint64_t esp_esn_reconstruct(uint64_t top, uint32_t seq_lo, uint32_t window)
{
	uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32), bottom = tl - window + 1;

	/* RFC 4303 A2.1: the window lies within one 2^32 subspace, or straddles two */
	if (tl >= window - 1)
		th += seq_lo < bottom;
	else if (th != 0)
		th -= seq_lo >= bottom;
	return (uint64_t)th << 32 | seq_lo;
}

bool esp_replay_check(const struct esp_sa *sa, uint64_t seq)
{
	if (seq == 0)
		return false;
	if (seq > sa->top)
		return true;
	if (sa->top - seq >= sa->window)
		return false;
	return (sa->bits[(seq >> 6) & (ESP_REPLAY_WORDS - 1)] & UINT64_C(1) << (seq & 63)) == 0;
}

void esp_replay_update(struct esp_sa *sa, uint64_t seq)
{
	uint64_t word = seq >> 6, top_word = sa->top >> 6, i, n;

	if (seq > sa->top) {
		/* RFC 6479: clear the words the window slides into, at most all of them */
		n = word - top_word < ESP_REPLAY_WORDS ? word - top_word : ESP_REPLAY_WORDS;
		for (i = 1; i <= n; i++)
			sa->bits[(top_word + i) & (ESP_REPLAY_WORDS - 1)] = 0;
		sa->top = seq;
	}
	sa->bits[word & (ESP_REPLAY_WORDS - 1)] |= UINT64_C(1) << (seq & 63);
}

static void nonce_and_aad(const struct esp_sa *sa, uint64_t seq, const uint8_t *iv,
			  uint8_t nonce[12], uint8_t aad[12])
{
	memcpy(nonce, sa->salt, ESP_SA_SALT_LEN);
	memcpy(nonce + ESP_SA_SALT_LEN, iv, ESP_IV_LEN);
	put32(aad, sa->spi);
	put32(aad + 4, (uint32_t)(seq >> 32));
	put32(aad + 8, (uint32_t)seq);
}

int esp_seal(struct esp_sa *sa, const uint8_t *inner, size_t len, uint8_t *out, size_t out_size)
{
	uint8_t nonce[12], aad[12], trailer[3 + 2];
	size_t padded = (len + 2 + 3) & ~(size_t)3, pad = padded - len - 2, i;
	uint8_t *iv = out + ESP_HDR_LEN, *ct = iv + ESP_IV_LEN;
	int n, n2;
	uint64_t seq;

	if (sa->seq >= sa->seq_limit)
		return -AGENT_DROP_SEQ_EXHAUSTED;
	if (len > 65535 || out_size < ESP_HDR_LEN + ESP_IV_LEN + padded + ESP_ICV_LEN)
		return -AGENT_DROP_TOO_BIG;
	seq = ++sa->seq;
	put32(out, sa->spi);
	put32(out + 4, (uint32_t)seq);
	put32(iv, (uint32_t)(seq >> 32));
	put32(iv + 4, (uint32_t)seq);
	for (i = 0; i < pad; i++)
		trailer[i] = (uint8_t)(i + 1);
	trailer[pad] = (uint8_t)pad;
	trailer[pad + 1] = IPPROTO_IPV4_TUNNEL;
	nonce_and_aad(sa, seq, iv, nonce, aad);
	if (EVP_EncryptInit_ex(sa->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(sa->ctx, NULL, &n, aad, sizeof(aad)) != 1 ||
	    EVP_EncryptUpdate(sa->ctx, ct, &n, inner, (int)len) != 1 ||
	    EVP_EncryptUpdate(sa->ctx, ct + n, &n2, trailer, (int)(pad + 2)) != 1 ||
	    EVP_EncryptFinal_ex(sa->ctx, ct + n + n2, &n) != 1 ||
	    EVP_CIPHER_CTX_ctrl(sa->ctx, EVP_CTRL_GCM_GET_TAG, ESP_ICV_LEN, ct + padded) != 1)
		return -AGENT_DROP_IO_ERROR;
	sa->packets++;
	sa->bytes += len;
	return (int)(ESP_HDR_LEN + ESP_IV_LEN + padded + ESP_ICV_LEN);
}

/* The decrypted payload: inner IPv4 | pad 1, 2, ... | pad length | next header 4. */
static int check_trailer(const uint8_t *plain, size_t plen)
{
	size_t pad = plain[plen - 2], i, inner;

	if (plain[plen - 1] != IPPROTO_IPV4_TUNNEL || pad + 2 > plen)
		return -AGENT_DROP_BAD_TRAILER;
	inner = plen - 2 - pad;
	for (i = 0; i < pad; i++)
		if (plain[inner + i] != i + 1)
			return -AGENT_DROP_BAD_TRAILER;
	if (inner < 20 || plain[0] >> 4 != 4 || (plain[0] & 0xf) < 5 ||
	    ((size_t)plain[2] << 8 | plain[3]) != inner || (size_t)(plain[0] & 0xf) * 4 > inner)
		return -AGENT_DROP_NOT_IPV4;
	return (int)inner;
}

/*
 * With ESN a packet behind the window is never refused by the window: RFC 4303 A2.2 takes
 * it for the next 2^32 subspace, and it fails authentication. When its low half lies behind
 * the window by less than 2^31 (and so many numbers were ever used), it is a late or
 * replayed packet rather than a forgery: count it as a replay. Either way the window stays.
 */
static bool stale(const struct esp_sa *sa, uint64_t seq)
{
	uint32_t behind = (uint32_t)sa->top - (uint32_t)seq;

	return seq > sa->top && behind >= sa->window && behind < UINT32_C(1) << 31 &&
	       sa->top > behind;
}

int esp_open(struct esp_sa *sa, const uint8_t *esp, size_t len, uint8_t *inner,
	     size_t inner_size, uint64_t *seq_out)
{
	const uint8_t *iv = esp + ESP_HDR_LEN, *ct = iv + ESP_IV_LEN;
	uint8_t nonce[12], aad[12], tag[ESP_ICV_LEN];
	size_t clen;
	uint64_t seq;
	int n, n2;

	if (len < ESP_HDR_LEN + ESP_IV_LEN + MIN_CIPHERTEXT + ESP_ICV_LEN || len > 65535)
		return -AGENT_DROP_MALFORMED;
	clen = len - ESP_HDR_LEN - ESP_IV_LEN - ESP_ICV_LEN;
	if (clen % 4 != 0 || inner_size < clen)
		return -AGENT_DROP_MALFORMED;
	seq = esp_esn_reconstruct(sa->top, get32(esp + 4), sa->window);
	if (!esp_replay_check(sa, seq))
		return -AGENT_DROP_REPLAY;
	nonce_and_aad(sa, seq, iv, nonce, aad);
	memcpy(tag, ct + clen, ESP_ICV_LEN);
	if (EVP_DecryptInit_ex(sa->ctx, NULL, NULL, NULL, nonce) != 1 ||
	    EVP_DecryptUpdate(sa->ctx, NULL, &n, aad, sizeof(aad)) != 1 ||
	    EVP_DecryptUpdate(sa->ctx, inner, &n, ct, (int)clen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(sa->ctx, EVP_CTRL_GCM_SET_TAG, ESP_ICV_LEN, tag) != 1 ||
	    EVP_DecryptFinal_ex(sa->ctx, inner + n, &n2) != 1) {
		return stale(sa, seq) ? -AGENT_DROP_REPLAY : -AGENT_DROP_BAD_ICV;
	}
	/* only authenticated packets move the window */
	esp_replay_update(sa, seq);
	n = check_trailer(inner, clen);
	if (n < 0)
		return n;
	sa->packets++;
	sa->bytes += (uint64_t)n;
	if (seq_out != NULL)
		*seq_out = seq;
	return n;
}
