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

/* Seals f's next packet (sequence number f->seq + 1) into out; the frame's length. */
static inline uint16_t espgen_seal(IMB_MGR *mgr, struct espgen_flow *f, uint8_t *out)
{
	struct gcm_context_data ctx;
	uint8_t iv[12], aad[12];
	uint64_t seq = ++f->seq, seq_be = __builtin_bswap64(seq);
	uint32_t hi = __builtin_bswap32((uint32_t)(seq >> 32)), lo = __builtin_bswap32((uint32_t)seq);
	uint8_t *esp = out + f->esp_ofs, *ct = esp + 16;

	__builtin_memcpy(out, f->frame, f->len);
	__builtin_memcpy(esp + 4, &lo, 4);
	__builtin_memcpy(esp + 8, &seq_be, 8);
	__builtin_memcpy(iv, f->salt, 4);
	__builtin_memcpy(iv + 4, &seq_be, 8);
	/* RFC 4106 section 5, ESN: SPI, sequence high, sequence low */
	__builtin_memcpy(aad, &f->spi_be, 4);
	__builtin_memcpy(aad + 4, &hi, 4);
	__builtin_memcpy(aad + 8, &lo, 4);
	IMB_AES128_GCM_ENC(mgr, &f->key, &ctx, ct, ct, f->ct_len, iv, aad, sizeof(aad), ct + f->ct_len,
			   ESPGEN_ICV_LEN);
	return f->len;
}

#endif
