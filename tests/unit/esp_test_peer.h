/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What test_esp.c, test_esp_checks.c and test_esp_bursts.c share (esp_test_peer.c): the
 * addresses, the SP site's peer written with OpenSSL's EVP AES-GCM and nothing of DPDK, and
 * the spg_esp set-up. Every case runs on the three paths (esp_test_run_paths): CPU crypto
 * (esp_native*.c on crypto_aesni_mb), CPU crypto through librte_ipsec, and lookaside.
 */
#ifndef SPG_ESP_TEST_PEER_H
#define SPG_ESP_TEST_PEER_H

#include <stdbool.h>
#include <stdint.h>

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

extern struct rte_mempool *pool;
/* Every case runs on each path: lookaside through the queue pairs, else CPU crypto; with
 * library_outbound both directions through librte_ipsec even where esp_native*.c could. */
extern bool lookaside;
extern bool library_outbound;
/* The outer source the peer expects: G_OUT but in sa_created_from_another_address_leaves_from_it. */
extern uint32_t peer_expects_src;

/* One direction's SA as the peer holds it. */
struct peer {
	uint32_t spi;
	uint8_t key_len;
	uint8_t key[32];
	uint8_t salt[4];
};


struct peer_opts {
	uint8_t next_header; /* 0: 4 (IPv4) */
	bool bad_pad;
	uint8_t extra_pad; /* padding beyond the minimum, a multiple of 4 */
	uint8_t pad_len;   /* 0: the padding's true length; else what the pad length field claims */
};

uint16_t ip_checksum(const uint8_t *h, size_t len);
void peer_init(struct peer *p, uint32_t spi, uint8_t key_len, uint8_t seed);
void peer_keys(const struct peer *p, struct spg_dp_sa_keys *k);
/* RFC 4106: nonce = salt || IV; with ESN the AAD is SPI, sequence high, sequence low. */
bool gcm(bool encrypt, const struct peer *p, const uint8_t iv[8], uint64_t seq, const uint8_t *in, int len,
	 uint8_t *out, uint8_t tag[16]);
/* An inner IPv4/UDP packet G_in -> S of len bytes whose payload starts with tag. */
uint16_t inner_packet(uint8_t *b, uint16_t len, uint32_t tag);
/* The SP site's endpoint sending inner to the gateway: outer IPv4 + UDP + ESP. */
uint16_t peer_encrypt(uint8_t *out, const struct peer *p, uint64_t seq, const uint8_t *inner, uint16_t inner_len,
		      const struct peer_opts *o);
struct rte_mbuf *mbuf_of(const uint8_t *data, uint16_t len);
struct rte_mbuf *esp_mbuf(const struct peer *p, uint64_t seq, const uint8_t *inner, uint16_t inner_len,
			  const struct peer_opts *o);
/* The SP site receiving what the gateway sent: the inner length, or -1 when authentication failed. */
int peer_decrypt(const uint8_t *pkt, uint16_t len, const struct peer *p, uint64_t expect_seq, uint8_t *inner);
struct spg_esp *esp_new(uint8_t key_len, uint16_t n_qp, uint32_t max_sas);
struct spg_sa *sa_new(struct spg_esp *esp, const struct peer *p, bool outbound);
struct rte_mbuf *send_one(struct spg_esp *esp, struct spg_sa *sa, const uint8_t *inner, uint16_t len, uint8_t *why);
/* One packet through inbound: the reason (SPG_OK when accepted, then checked). */
uint8_t receive(struct spg_esp *esp, struct spg_sa *sa, struct rte_mbuf *m, const uint8_t *inner,
		uint16_t inner_len);
/* Starts EAL with crypto_aesni_mb, runs cases on each path; the programs' exit code. */
int esp_test_run_paths(const char *name, const struct unit_case *cases);

#endif
