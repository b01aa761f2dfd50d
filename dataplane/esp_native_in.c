/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inbound ESP without librte_ipsec: ESP in UDP (RFC 4303, 3948) with AES-GCM (RFC 4106, ESN),
 * decrypted in place with intel-ipsec-mb's direct API and that SA's expanded keys, one call
 * per packet in the burst's order, as esp_native.c does outbound (its opening comment says
 * why). Used under the same conditions (crypto_aesni_mb, CPU crypto).
 *
 * What a packet goes through, in librte_ipsec's order (esp.c's opening comment), so that the
 * drop reasons are the same on both paths:
 * - the ciphertext length must be a positive multiple of 4, else MALFORMED_ESP;
 * - the sequence number is reconstructed (RFC 4303 A2.1) and checked against the window
 *   before any crypto (RFC 4303 3.4.3): REPLAY;
 * - the ICV, computed over the SA's SPI, the reconstructed high half and the low half
 *   (RFC 4106 section 5), compared in constant time: BAD_ICV, or REPLAY for a packet that
 *   fails because it lies behind the window (inb_auth_failure);
 * - the trailer: next header 4 (IPv4), the padding 1, 2, ... (RFC 4303 2.4) within the
 *   payload: MALFORMED_ESP;
 * - only then is the number recorded, under the SA's lock, once for each run of one SA's
 *   packets (several workers may receive on one SA: exactly one accepts a number);
 * - the outer headers, ESP header, IV and trailer are cut off and the inner packet must look
 *   like IPv4: MALFORMED_ESP.
 * A packet that fails authentication never touches the window. Decrypting in place before
 * the ICV is known only spoils a packet that is dropped anyway.
 */
#include <string.h>

#include <intel-ipsec-mb.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_esp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_int.h"
#include "esp_replay.h"

/* How many packets ahead a packet's key schedule is asked for. */
#define KEY_AHEAD 4
#define NEXT_HEADER_IPV4 4
/* UDP, ESP header and IV in front of the ciphertext. */
#define FRONT_LEN (sizeof(struct rte_udp_hdr) + sizeof(struct rte_esp_hdr) + ESP_IV_LEN)

/* What the checks of one packet left for its decryption, the window and the stripping. The
 * nonce and AAD are written a burst before intel-ipsec-mb reads them, as outbound does
 * (esp_native.c, struct gcm_params, says why). */
struct in_pkt {
	uint8_t nonce[16]; /* ESP_NONCE_LEN used */
	uint32_t aad[4];   /* ESP_AAD_LEN_ESN used */
	uint64_t sqn;
	uint32_t clen;      /* the payload to decrypt */
	uint16_t cut_front; /* outer IPv4 + FRONT_LEN */
	uint16_t cut_back;  /* padding, pad length, next header, ICV */
};

/* 16 bytes equal, in a time that does not depend on where they differ. */
static inline bool icv_equal(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;

	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	return ((a0 ^ b0) | (a1 ^ b1)) == 0;
}

/* The trailer of a decrypted payload of clen bytes: SPG_OK and its length, or MALFORMED_ESP. */
static inline uint8_t check_trailer(const uint8_t *p, uint32_t clen, uint32_t *trailer)
{
	uint32_t pad = p[clen - 2];

	if (unlikely(p[clen - 1] != NEXT_HEADER_IPV4 || pad + ESP_TRAILER_MIN > clen))
		return SPG_DROP_MALFORMED_ESP;
	for (uint32_t i = 0; i < pad; i++)
		if (unlikely(p[clen - ESP_TRAILER_MIN - pad + i] != (uint8_t)(i + 1)))
			return SPG_DROP_MALFORMED_ESP;
	*trailer = pad + ESP_TRAILER_MIN;
	return SPG_OK;
}

/* Checks one packet of SA s before its decryption and fills *ip for it; SPG_OK or why not. */
static uint8_t check_one(struct rte_mbuf *m, const struct spg_sa *s, struct in_pkt *ip)
{
	const struct rte_esp_hdr *eh;
	uint32_t front;

	if (unlikely(!rte_pktmbuf_is_contiguous(m)) && rte_pktmbuf_linearize(m) != 0)
		return SPG_DROP_CRYPTO_ERROR;
	front = m->l2_len + m->l3_len + FRONT_LEN;
	if (unlikely(rte_pktmbuf_pkt_len(m) < front + ESP_PAD_ALIGN + ESP_ICV_LEN))
		return SPG_DROP_MALFORMED_ESP;
	ip->clen = rte_pktmbuf_pkt_len(m) - front - ESP_ICV_LEN;
	if (unlikely((ip->clen & (ESP_PAD_ALIGN - 1)) != 0))
		return SPG_DROP_MALFORMED_ESP;
	eh = rte_pktmbuf_mtod_offset(m, const struct rte_esp_hdr *, front - sizeof(*eh) - ESP_IV_LEN);
	ip->sqn = esn_reconstruct(replay_top(s), rte_be_to_cpu_32(eh->seq), s->lib_window);
	if (!replay_fresh(s, ip->sqn))
		return SPG_DROP_REPLAY;

	RTE_BUILD_BUG_ON(ESP_NONCE_LEN > sizeof(ip->nonce) || ESP_AAD_LEN_ESN > sizeof(ip->aad));
	memcpy(ip->nonce, s->nin.salt, sizeof(s->nin.salt));
	memcpy(ip->nonce + sizeof(s->nin.salt), eh + 1, ESP_IV_LEN);
	ip->aad[0] = s->spi;
	ip->aad[1] = rte_cpu_to_be_32((uint32_t)(ip->sqn >> 32));
	ip->aad[2] = eh->seq;
	ip->cut_front = (uint16_t)front;
	return SPG_OK;
}

/* Decrypts a packet check_one passed, in place, and checks its ICV and trailer; SPG_OK or why not. */
static uint8_t decrypt_one(const struct spg_esp *esp, struct rte_mbuf *m, const struct spg_sa *s, struct in_pkt *ip)
{
	struct gcm_context_data gctx;
	uint8_t *p = rte_pktmbuf_mtod_offset(m, uint8_t *, ip->cut_front);
	uint8_t icv[ESP_ICV_LEN];
	uint32_t trailer;
	uint8_t why;

	if (esp->key_len == 16)
		IMB_AES128_GCM_DEC((IMB_MGR *)esp->imb_mgr, s->nin.gcm_key, &gctx, p, p, ip->clen, ip->nonce,
				   (const uint8_t *)ip->aad, ESP_AAD_LEN_ESN, icv, sizeof(icv));
	else
		IMB_AES256_GCM_DEC((IMB_MGR *)esp->imb_mgr, s->nin.gcm_key, &gctx, p, p, ip->clen, ip->nonce,
				   (const uint8_t *)ip->aad, ESP_AAD_LEN_ESN, icv, sizeof(icv));
	if (unlikely(!icv_equal(icv, p + ip->clen)))
		return inb_auth_failure(s, rte_be_to_cpu_32(ip->aad[2]));
	why = check_trailer(p, ip->clen, &trailer);
	if (unlikely(why != SPG_OK))
		return why;
	ip->cut_back = (uint16_t)(trailer + ESP_ICV_LEN);
	return SPG_OK;
}

/* Records the run's decrypted numbers in the window, under the SA's lock (once for the run). */
static void record_run(struct spg_sa *s, const struct in_pkt ip[], uint8_t why[], bool newest[], uint16_t n)
{
	rte_spinlock_lock(&s->lock);
	for (uint16_t j = 0; j < n; j++) {
		enum replay_verdict v;

		if (why[j] != SPG_OK)
			continue;
		v = replay_record(s, ip[j].sqn);
		if (v == REPLAY_SEEN)
			why[j] = SPG_DROP_REPLAY;
		newest[j] = v == REPLAY_NEWEST;
	}
	rte_spinlock_unlock(&s->lock);
}

/* Cuts an accepted packet down to its inner packet, which must look like IPv4. */
static uint8_t strip(struct rte_mbuf *m, const struct in_pkt *ip)
{
	rte_pktmbuf_adj(m, ip->cut_front);
	rte_pktmbuf_trim(m, ip->cut_back);
	m->ol_flags &= ~(RTE_MBUF_F_RX_SEC_OFFLOAD | RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED);
	return inb_inner_ok(m) ? SPG_OK : SPG_DROP_MALFORMED_ESP;
}

static inline void prefetch_key(const struct spg_esp *esp, const struct spg_sa *s, uint32_t clen)
{
	if (s != NULL && s->native && !s->outbound)
		esp_key_lines_prefetch(esp, s, clen);
}

/* The packets i.. that share packet i's SA: how many. */
static inline uint16_t run_length(struct spg_sa *const sa[], uint16_t i, uint16_t n)
{
	uint16_t k = 1;

	while (i + k < n && sa[i + k] == sa[i])
		k++;
	return k;
}

/* spg_esp_inbound_burst's contract (esp.h), successes in the packets' own order. */
uint16_t esp_native_inbound(struct spg_esp *esp, struct rte_mbuf *mb[], struct spg_sa *sa[], void *ctx[],
			    uint16_t n, uint8_t reason[], bool newest[])
{
	struct rte_mbuf *in_mb[ESP_BURST_MAX];
	void *in_ctx[ESP_BURST_MAX];
	struct in_pkt ip[ESP_BURST_MAX];
	uint8_t why[ESP_BURST_MAX];
	bool top[ESP_BURST_MAX];
	uint16_t n_ok = 0, pos, n_all = n;

	n = RTE_MIN(n, (uint16_t)ESP_BURST_MAX);
	for (uint16_t i = 0; i < n; i++) {
		in_mb[i] = mb[i];
		in_ctx[i] = ctx[i];
		top[i] = false;
		ip[i].clen = 0;
		/* a caller's slip (no SA, or an outbound one) is CRYPTO_ERROR, not a crash */
		why[i] = unlikely(sa[i] == NULL || !sa[i]->native || sa[i]->outbound) ? SPG_DROP_CRYPTO_ERROR
										 : check_one(mb[i], sa[i], &ip[i]);
	}
	for (uint16_t i = 0; i < KEY_AHEAD && i < n; i++)
		if (i == 0 || sa[i] != sa[i - 1])
			prefetch_key(esp, sa[i], ip[i].clen);
	for (uint16_t i = 0; i < n;) {
		struct spg_sa *s = sa[i];
		uint16_t k = run_length(sa, i, n);
		bool any = false;

		for (uint16_t j = i; j < i + k; j++) {
			/* once per run of one SA, as outbound */
			if (j + KEY_AHEAD < n && sa[j + KEY_AHEAD] != sa[j + KEY_AHEAD - 1])
				prefetch_key(esp, sa[j + KEY_AHEAD], ip[j + KEY_AHEAD].clen);
			if (why[j] == SPG_OK)
				why[j] = decrypt_one(esp, mb[j], s, &ip[j]);
			any |= why[j] == SPG_OK;
		}
		if (any)
			record_run(s, &ip[i], &why[i], &top[i], k);
		for (uint16_t j = i; j < i + k; j++)
			if (why[j] == SPG_OK)
				why[j] = strip(mb[j], &ip[j]);
		i = (uint16_t)(i + k);
	}
	for (uint16_t i = 0; i < n; i++) {
		if (why[i] != SPG_OK)
			continue;
		mb[n_ok] = in_mb[i];
		ctx[n_ok] = in_ctx[i];
		reason[n_ok] = SPG_OK;
		if (newest != NULL)
			newest[n_ok] = top[i];
		n_ok++;
	}
	pos = n_ok;
	for (uint16_t i = 0; i < n; i++) {
		if (why[i] == SPG_OK)
			continue;
		mb[pos] = in_mb[i];
		ctx[pos] = in_ctx[i];
		reason[pos++] = why[i];
	}
	/* more than the contract allows: refused untouched, where they are */
	for (uint16_t i = n; i < n_all; i++)
		reason[i] = SPG_DROP_CRYPTO_ERROR;
	return n_ok;
}
