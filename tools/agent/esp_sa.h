/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One ESP security association of spgate-agent's userspace endpoint: tunnel mode, AES-GCM
 * (RFC 4106) with 64-bit extended sequence numbers, packets as they travel in UDP (RFC 3948):
 *
 *   SPI(4) | seq low(4) | IV(8) | AES-GCM(inner IPv4 | pad 1,2,.. | pad len | next hdr 4) | ICV(16)
 *
 * AAD = SPI | seq high | seq low; nonce = salt | IV. The IV is the 64-bit sequence number,
 * unique per key by construction. Inbound: an RFC 6479 bitmap window (checked before
 * decryption, updated only after the ICV verified) with ESN reconstruction (RFC 4303 A2).
 * Outbound: sequence numbers never wrap; at seq_limit the SA refuses to send.
 *
 * No I/O and no allocation per packet, so it is unit-testable on buffers.
 */
#ifndef AGENT_ESP_SA_H
#define AGENT_ESP_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "drops.h"

#define ESP_SA_KEY_MAX 32
#define ESP_SA_SALT_LEN 4
#define ESP_HDR_LEN 8    /* SPI + sequence number (low half) */
#define ESP_IV_LEN 8
#define ESP_ICV_LEN 16
#define ESP_OVERHEAD_MAX (ESP_HDR_LEN + ESP_IV_LEN + 3 + 2 + ESP_ICV_LEN)
#define ESP_REPLAY_WINDOW_MAX 4096
#define ESP_REPLAY_WORDS 128 /* a power of 2 > ESP_REPLAY_WINDOW_MAX / 64 + 1 */

struct esp_sa {
	EVP_CIPHER_CTX *ctx; /* keyed once; the nonce is set per packet */
	uint32_t spi;        /* host order */
	uint8_t salt[ESP_SA_SALT_LEN];
	uint8_t key_len;
	bool outbound;
	/* outbound */
	uint64_t seq;       /* the last sequence number used; 0: none yet */
	uint64_t seq_limit; /* the highest one allowed */
	/* inbound: RFC 6479 */
	uint64_t top;       /* the highest sequence number accepted */
	uint32_t window;
	uint64_t bits[ESP_REPLAY_WORDS];
	/* counters */
	uint64_t packets;
	uint64_t bytes;
};

/* key_salt: key_len bytes of key, then 4 of salt. 0 or -EINVAL (key_len, window, spi < 256)
 * or -ENOMEM. window is ignored for outbound SAs, seq_limit for inbound ones. */
int esp_sa_init(struct esp_sa *sa, bool outbound, uint32_t spi, const uint8_t *key_salt,
		uint8_t key_len, uint32_t window, uint64_t seq_limit);
/* Frees the cipher context and wipes the key material. Safe on a zeroed or cleared SA. */
void esp_sa_clear(struct esp_sa *sa);

/*
 * Encrypts the IPv4 packet inner[0..len) into out (the UDP payload). Returns its length, or
 * -AGENT_DROP_SEQ_EXHAUSTED, -AGENT_DROP_TOO_BIG (out_size too small), -AGENT_DROP_IO_ERROR
 * (the cipher failed).
 */
int esp_seal(struct esp_sa *sa, const uint8_t *inner, size_t len, uint8_t *out, size_t out_size);

/*
 * Decrypts the UDP payload esp[0..len) into inner (inner_size >= len is always enough).
 * Returns the inner packet's length, or -AGENT_DROP_MALFORMED, _REPLAY, _BAD_ICV,
 * _BAD_TRAILER, _NOT_IPV4. The caller found the SA by esp_spi_of(). *seq gets the
 * reconstructed 64-bit sequence number when not NULL.
 */
int esp_open(struct esp_sa *sa, const uint8_t *esp, size_t len, uint8_t *inner,
	     size_t inner_size, uint64_t *seq);

/* The SPI of a UDP payload (host order), or 0 for what cannot be ESP (too short, or the
 * RFC 3948 non-ESP marker / NAT keepalive). */
uint32_t esp_spi_of(const uint8_t *payload, size_t len);

/* True once an outbound SA has used 3/4 of its sequence numbers: time to ask for a rekey. */
bool esp_sa_wants_rekey(const struct esp_sa *sa);

/* The replay window alone (exported for the unit tests). */
uint64_t esp_esn_reconstruct(uint64_t top, uint32_t seq_lo, uint32_t window);
bool esp_replay_check(const struct esp_sa *sa, uint64_t seq);
void esp_replay_update(struct esp_sa *sa, uint64_t seq);

#endif
