/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-espgen's frames: ESP tunnel packets (RFC 4303; in UDP per RFC 3948, or plain ESP)
 * sealed with AES-128-GCM (RFC 4106, ESN: the high half of the sequence number in the AAD)
 * through intel-ipsec-mb's direct API, as an SP site would send them to a gateway. Each SA
 * (a "flow") keeps a whole frame as template: Ethernet, outer IPv4 (its checksum fixed, the
 * ID being 0), UDP, ESP header and the plaintext (inner IPv4/TCP, padding 1, 2, ..., pad
 * length, next header 4). Sealing a packet copies the template and writes only what changes:
 * the sequence number (ESP header and IV, which is the 64-bit number: unique per key), the
 * ciphertext and the ICV. No DPDK state: the unit tests seal with it directly.
 */
#ifndef SPG_ESPGEN_FRAME_H
#define SPG_ESPGEN_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#define ESPGEN_INNER_MIN 40 /* IPv4 + TCP headers */
#define ESPGEN_INNER_MAX 1400
#define ESPGEN_FRAME_MAX 1536
#define ESPGEN_KEY_LEN 16 /* AES-128-GCM */
#define ESPGEN_SALT_LEN 4
#define ESPGEN_ICV_LEN 16

/* What every flow's frames share; addresses and ports in host order. */
struct espgen_frame_params {
	uint8_t dst_mac[6];  /* the gateway's port */
	uint8_t src_mac[6];
	uint32_t gateway;    /* outer destination */
	uint16_t udp_port;   /* ESP in UDP from and to this port; 0: plain ESP (protocol 50) */
	uint32_t inner_src;  /* the inner packet, TCP with ACK set */
	uint32_t inner_dst;
	uint16_t inner_sport;
	uint16_t inner_len;  /* ESPGEN_INNER_MIN .. ESPGEN_INNER_MAX */
};

/* One SA as its sender holds it. */
struct espgen_sa {
	uint32_t spi;
	uint8_t key[ESPGEN_KEY_LEN];
	uint8_t salt[ESPGEN_SALT_LEN];
	uint32_t peer;        /* outer source, host order */
	uint16_t inner_dport; /* the inner packet's destination port (tells SAs apart to a policy) */
};

struct espgen_flow {
	struct gcm_key_data key; /* expanded once: round keys and GHASH keys */
	uint64_t seq;            /* the last number sent; the next packet takes seq + 1 */
	uint32_t spi_be;
	uint8_t salt[ESPGEN_SALT_LEN];
	uint16_t len;    /* of the whole frame */
	uint16_t esp_ofs;
	uint16_t ct_len; /* plaintext + padding + pad length + next header */
	uint8_t frame[ESPGEN_FRAME_MAX];
} __attribute__((aligned(64)));

/* The inner IPv4/TCP packet every frame carries for sa (checksums right); its length. */
uint16_t espgen_inner_packet(const struct espgen_frame_params *p, const struct espgen_sa *sa, uint8_t *out);

/* Builds f's template; 0, or -EINVAL when p's lengths are out of range. */
int espgen_flow_init(IMB_MGR *mgr, struct espgen_flow *f, const struct espgen_frame_params *p,
		     const struct espgen_sa *sa);

/* What sealing one framed packet needs besides the frame: kept apart from the call (below). */
struct espgen_gcm_params {
	uint8_t iv[16];  /* 12 used: salt || IV */
	uint8_t aad[16]; /* 12 used: SPI, sequence high, sequence low (RFC 4106 section 5, ESN) */
};

/* Copies f's next frame (sequence number f->seq + 1) into out with its ESP header and IV, and
 * fills *gp for espgen_encrypt; the frame's length. */
static inline uint16_t espgen_frame_next(struct espgen_flow *f, uint8_t *out, struct espgen_gcm_params *gp)
{
	uint64_t seq = ++f->seq, seq_be = __builtin_bswap64(seq);
	uint32_t hi = __builtin_bswap32((uint32_t)(seq >> 32)), lo = __builtin_bswap32((uint32_t)seq);
	uint8_t *esp = out + f->esp_ofs;

	__builtin_memcpy(out, f->frame, f->len);
	__builtin_memcpy(esp + 4, &lo, 4);
	__builtin_memcpy(esp + 8, &seq_be, 8);
	__builtin_memcpy(gp->iv, f->salt, 4);
	__builtin_memcpy(gp->iv + 4, &seq_be, 8);
	__builtin_memcpy(gp->aad, &f->spi_be, 4);
	__builtin_memcpy(gp->aad + 4, &hi, 4);
	__builtin_memcpy(gp->aad + 8, &lo, 4);
	return f->len;
}

/* Encrypts a frame espgen_frame_next made, in place, and writes its ICV. Called a burst after
 * the framing, as spgate-dp's esp_native.c does: intel-ipsec-mb's masked loads of the IV, AAD
 * and plaintext cannot be forwarded from the stores that just wrote them, and waiting for
 * those made the generator barely faster than the gateway it feeds. */
static inline void espgen_encrypt(IMB_MGR *mgr, const struct espgen_flow *f, uint8_t *out,
				  const struct espgen_gcm_params *gp)
{
	struct gcm_context_data ctx;
	uint8_t *ct = out + f->esp_ofs + 16;

	IMB_AES128_GCM_ENC(mgr, &f->key, &ctx, ct, ct, f->ct_len, gp->iv, gp->aad, 12, ct + f->ct_len,
			   ESPGEN_ICV_LEN);
}

/* Seals f's next packet (sequence number f->seq + 1) into out; the frame's length. */
static inline uint16_t espgen_seal(IMB_MGR *mgr, struct espgen_flow *f, uint8_t *out)
{
	struct espgen_gcm_params gp;
	uint16_t len = espgen_frame_next(f, out, &gp);

	espgen_encrypt(mgr, f, out, &gp);
	return len;
}

#endif
