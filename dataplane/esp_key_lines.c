/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which cache lines of a native SA's key schedule (intel-ipsec-mb's struct gcm_key_data, 1 KiB
 * with the VAES layout) one AES-GCM call reads, by payload length, so that a packet asks for
 * those lines only. Why: with a million sessions every key schedule a packet needs is beyond
 * L2, and asking for all 16 lines of it took 16 of the ~10 line fill buffers' worth of
 * memory traffic per packet, where a 64-byte packet's call reads 5 (the round keys and the
 * few hash-key powers its blocks need: the VAES layout keeps H^48 .. H^1 in that order, so a
 * short payload reads only the last lines).
 *
 * Learnt rather than written down: at open each line of a scratch key schedule is spoilt in
 * turn, and a line is counted as read when the call's output (data or tag) then changes. That
 * follows whatever layout the library version and CPU chose. A line the calibration misses
 * can only cost a cache miss, never a wrong result: the prefetch is a hint, the call reads
 * the real key schedule.
 */
#include <string.h>

#include <intel-ipsec-mb.h>

#include <rte_common.h>
#include <rte_prefetch.h>

#include "esp.h"
#include "esp_int.h"

#define LINE RTE_CACHE_LINE_SIZE
#define BLOCK 16

/* One AES-GCM call of the esp's key length and direction dir (0 encrypt, 1 decrypt). */
static void gcm_call(IMB_MGR *mgr, uint8_t key_len, unsigned int dir, const struct gcm_key_data *k,
		     const uint8_t *in, uint8_t *out, uint32_t len, uint8_t tag[BLOCK])
{
	static const uint8_t iv[ESP_NONCE_LEN] = { 1, 2, 3, 4 }, aad[ESP_AAD_LEN_ESN] = { 5, 6, 7, 8 };
	struct gcm_context_data ctx;

	if (key_len == 16 && dir == 0)
		IMB_AES128_GCM_ENC(mgr, k, &ctx, out, in, len, iv, aad, sizeof(aad), tag, BLOCK);
	else if (key_len == 16)
		IMB_AES128_GCM_DEC(mgr, k, &ctx, out, in, len, iv, aad, sizeof(aad), tag, BLOCK);
	else if (dir == 0)
		IMB_AES256_GCM_ENC(mgr, k, &ctx, out, in, len, iv, aad, sizeof(aad), tag, BLOCK);
	else
		IMB_AES256_GCM_DEC(mgr, k, &ctx, out, in, len, iv, aad, sizeof(aad), tag, BLOCK);
}

/* The lines of k that a call on len bytes reads, as a bit mask. */
static uint32_t lines_read(IMB_MGR *mgr, uint8_t key_len, unsigned int dir, const struct gcm_key_data *k,
			   uint32_t n_lines, uint32_t len)
{
	struct gcm_key_data spoilt;
	uint8_t in[ESP_KEY_LINE_CLASSES * BLOCK], ref[sizeof(in)], out[sizeof(in)];
	uint8_t ref_tag[BLOCK], tag[BLOCK];
	uint32_t mask = 0;

	for (uint32_t i = 0; i < len; i++)
		in[i] = (uint8_t)(i * 7 + 1);
	gcm_call(mgr, key_len, dir, k, in, ref, len, ref_tag);
	for (uint32_t l = 0; l < n_lines; l++) {
		uint8_t *line = (uint8_t *)&spoilt + l * LINE;

		memcpy(&spoilt, k, sizeof(spoilt));
		for (uint32_t b = 0; b < LINE && l * LINE + b < sizeof(spoilt); b++)
			line[b] ^= 0xff;
		gcm_call(mgr, key_len, dir, &spoilt, in, out, len, tag);
		if (memcmp(out, ref, len) != 0 || memcmp(tag, ref_tag, sizeof(tag)) != 0)
			mask |= 1u << l;
	}
	return mask;
}

void esp_key_lines_learn(struct spg_esp *esp)
{
	static const uint8_t key[32] = { 0x5a, 0x17, 0xc3, 0x88, 0x01, 0x7e, 0x42, 0x99, 0xd0, 0x3b, 0x6f,
					 0x24, 0xe5, 0x10, 0xab, 0x4c, 0x73, 0x0d, 0x9e, 0x61, 0xb8, 0x2a,
					 0xf4, 0x35, 0xc7, 0x58, 0x0e, 0x91, 0x6d, 0x23, 0xba, 0x47 };
	IMB_MGR *mgr = esp->imb_mgr;
	struct gcm_key_data k;
	uint32_t n_lines = RTE_MIN((uint32_t)(sizeof(k) + LINE - 1) / LINE, 32u);

	RTE_BUILD_BUG_ON(sizeof(struct gcm_key_data) > 32 * LINE);
	if (esp->key_len == 16)
		IMB_AES128_GCM_PRE(mgr, key, &k);
	else
		IMB_AES256_GCM_PRE(mgr, key, &k);
	esp->key_lines_all = n_lines == 32 ? UINT32_MAX : (1u << n_lines) - 1;
	for (unsigned int dir = 0; dir < 2; dir++) {
		/* Class b holds the payloads of 16b - 15 .. 16b bytes, which (ESP pads to 4) run
		 * 16b - 12 .. 16b: both ends are tried. */
		for (uint32_t b = 1; b < ESP_KEY_LINE_CLASSES; b++)
			esp->key_lines[dir][b] = lines_read(mgr, esp->key_len, dir, &k, n_lines, b * BLOCK) |
						 lines_read(mgr, esp->key_len, dir, &k, n_lines, b * BLOCK - 12);
		esp->key_lines[dir][0] = esp->key_lines[dir][1];
	}
	memset(&k, 0, sizeof(k));
}

static inline uint32_t lines_for(const struct spg_esp *esp, bool outbound, uint32_t len)
{
	uint32_t b = (len + BLOCK - 1) / BLOCK;

	return b < ESP_KEY_LINE_CLASSES ? esp->key_lines[!outbound][b] : esp->key_lines_all;
}

uint32_t spg_esp_key_lines(const struct spg_esp *esp, bool outbound, uint32_t len)
{
	if (outbound ? !spg_esp_native_outbound(esp) : !spg_esp_native_inbound(esp))
		return 0;
	return lines_for(esp, outbound, len);
}

void esp_key_lines_prefetch(const struct spg_esp *esp, const struct spg_sa *sa, uint32_t len)
{
	const uint8_t *k = sa->outbound ? sa->nat.gcm_key : sa->nin.gcm_key;
	uint32_t mask = lines_for(esp, sa->outbound, len);

	while (mask != 0) {
		rte_prefetch0(k + (uint32_t)__builtin_ctz(mask) * LINE);
		mask &= mask - 1;
	}
}
