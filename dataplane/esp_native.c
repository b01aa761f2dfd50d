/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outbound ESP without librte_ipsec: the ESP-in-UDP tunnel framing (RFC 4303, 3948) built in
 * place and AES-GCM (RFC 4106) through intel-ipsec-mb's direct API, one call per packet with
 * that packet's own SA key, in the order the packets came: no grouping by SA, no crypto
 * session. Used when the device is crypto_aesni_mb with CPU crypto (the same library and the
 * same code path the PMD would take for each packet); inbound likewise in esp_native_in.c.
 * Every other device stays on esp.c's librte_ipsec path.
 *
 * Why: profiled, the outbound cycles beyond the AES-GCM itself went to librte_ipsec's
 * per-group prepare/process, one rte_cryptodev_sym_cpu_crypto_process() per SA group (with
 * random sessions, per packet) and the 1,600-byte cryptodev session that every packet's
 * crypto reads. Here an SA's crypto state is intel-ipsec-mb's struct gcm_key_data (round keys
 * and GHASH keys, 1,024 bytes with the VAES layout) in one array beside the SAs, prefetched
 * a few packets ahead, and the rest of what a packet needs of its SA is in the SA's first line.
 *
 * The packet, as librte_ipsec 22.11 framed it (the peer tests decrypt it with scapy):
 * outer IPv4 (TTL 64, no DF, id = the sequence number's low 16 bits), UDP from our port,
 * ESP header (SPI, low 32 bits of the 64-bit sequence number), 8-byte IV = the whole
 * sequence number (RFC 4106 section 3.1: unique per key, which the key guard makes the SA's),
 * the inner packet, padding 1, 2, ... to a multiple of 4 with pad length and next header 4
 * (IPv4), 16-byte ICV. Nonce: salt || IV. AAD (ESN, RFC 4106 section 5): SPI, sequence high,
 * sequence low. Sequence numbers start at 1 and never wrap (RFC 4303 3.3.3): an SA that
 * used them all fails its packets with CRYPTO_ERROR until it is rekeyed. A run of packets of
 * one SA in a burst takes its numbers with one atomic operation.
 */
#include <errno.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_esp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_int.h"

/* How many packets ahead a packet's key schedule is asked for. */
#define KEY_AHEAD 4
#define NEXT_HEADER_IPV4 4

int esp_native_open(struct spg_esp *esp, const struct spg_esp_config *cfg)
{
	IMB_MGR *mgr;
	void *mem;

	if (!esp->cpu_crypto || (cfg->library_outbound && cfg->library_inbound) ||
	    strncmp(esp->dev_name, "crypto_aesni_mb", 15) != 0)
		return 0;
	/* In DPDK memory, as the rest of the dataplane's state (on its socket, freed with it),
	 * rather than alloc_mb_mgr's heap block. */
	mem = rte_zmalloc_socket("spg_esp_imb_mgr", imb_get_mb_mgr_size(), RTE_CACHE_LINE_SIZE,
				 cfg->socket_id);
	if (mem == NULL)
		return ENOMEM;
	mgr = imb_set_pointers_mb_mgr(mem, 0, 1);
	init_mb_mgr_auto(mgr, NULL);
	if (imb_get_errno(mgr) != 0) {
		rte_free(mem);
		return ENOTSUP;
	}
	esp->gcm_key_size = RTE_ALIGN_CEIL((uint32_t)sizeof(struct gcm_key_data), RTE_CACHE_LINE_SIZE);
	esp->gcm_keys = rte_malloc_socket("spg_esp_gcm_keys", (size_t)esp->gcm_key_size * cfg->max_sas,
					  RTE_CACHE_LINE_SIZE, cfg->socket_id);
	if (esp->gcm_keys == NULL) {
		rte_free(mem);
		return ENOMEM;
	}
	/* Touched now, not by the installs: rte_zmalloc skips memory it knows to be zero, and
	 * each first touch of a 4 KiB page then cost an install a page fault (measured: control-
	 * socket batch installs at half the rate of the librte_ipsec path, whose session pool
	 * is populated at start). */
	memset(esp->gcm_keys, 0, (size_t)esp->gcm_key_size * cfg->max_sas);
	esp->imb_mgr = mgr;
	esp_key_lines_learn(esp);
	esp->native_out = !cfg->library_outbound;
	esp->native_in = !cfg->library_inbound;
	return 0;
}

void esp_native_close(struct spg_esp *esp)
{
	if (esp->gcm_keys != NULL) {
		/* key material: gone before the memory goes back */
		memset(esp->gcm_keys, 0, (size_t)esp->gcm_key_size * esp->max_sas);
		rte_free(esp->gcm_keys);
	}
	rte_free(esp->imb_mgr); /* the memory imb_set_pointers_mb_mgr used */
	esp->gcm_keys = NULL;
	esp->imb_mgr = NULL;
	esp->native_out = false;
	esp->native_in = false;
}

/* Expands s's key into its slot of the key array. */
static struct gcm_key_data *expand_key(struct spg_esp *esp, const struct spg_sa *s, const struct spg_dp_sa_keys *keys)
{
	struct gcm_key_data *k = (struct gcm_key_data *)(esp->gcm_keys + (size_t)sa_index(esp, s) * esp->gcm_key_size);

	if (esp->key_len == 16)
		IMB_AES128_GCM_PRE((IMB_MGR *)esp->imb_mgr, keys->key, k);
	else
		IMB_AES256_GCM_PRE((IMB_MGR *)esp->imb_mgr, keys->key, k);
	return k;
}

void esp_native_sa_init(struct spg_esp *esp, struct spg_sa *s, const struct spg_dp_sa_keys *keys, uint32_t src_addr)
{
	s->nat.gcm_key = expand_key(esp, s, keys);
	memcpy(s->nat.salt, keys->salt, sizeof(s->nat.salt));
	s->nat.src_addr = src_addr;
	s->sqn = 0;
	s->native = true;
}

/* An inbound SA: the keys only; its replay window is set up as on the library's path. */
void esp_native_sa_init_in(struct spg_esp *esp, struct spg_sa *s, const struct spg_dp_sa_keys *keys)
{
	s->nin.gcm_key = expand_key(esp, s, keys);
	memcpy(s->nin.salt, keys->salt, sizeof(s->nin.salt));
	s->native = true;
}

void esp_native_sa_release(struct spg_esp *esp, struct spg_sa *s)
{
	memset(esp->gcm_keys + (size_t)sa_index(esp, s) * esp->gcm_key_size, 0, esp->gcm_key_size);
}

/* The outer IPv4 + UDP + ESP header + IV in front of the inner packet (44 bytes). */
struct esp_front {
	struct rte_ipv4_hdr ip;
	struct rte_udp_hdr udp;
	struct rte_esp_hdr esp;
	uint64_t iv;
} __rte_packed;

/*
 * What a packet's AES-GCM call reads besides its data: the nonce (salt || IV) and the AAD,
 * written by frame_one a whole burst before encrypt_one passes them. Why not on the stack
 * just before the call, as the obvious code would: intel-ipsec-mb loads both with one
 * masked 16-byte load each, which cannot be forwarded from the 4- and 8-byte stores that
 * had just built them, and every packet then waited for those stores to retire (profiled at
 * 1 session: a sixth of the AES-GCM function's samples on those two loads). The same holds
 * for the inner header NAT just rewrote and the trailer written byte by byte; a burst of
 * framing first gives all of them time to reach L1.
 */
struct gcm_params {
	uint8_t nonce[16]; /* ESP_NONCE_LEN used */
	uint32_t aad[4];   /* ESP_AAD_LEN_ESN used */
	uint32_t clen;     /* the payload to encrypt: inner packet, padding, trailer */
};

/* Frames one packet as sequence number sqn (taken by take_sqn) and fills *gp for its
 * encryption; SPG_OK or why not (m untouched in its data then, but perhaps longer: the
 * caller frees it). */
static uint8_t frame_one(const struct spg_esp *esp, struct rte_mbuf *m, const struct spg_sa *s, uint64_t sqn,
			 struct gcm_params *gp)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);
	uint32_t pad = (ESP_PAD_ALIGN - ((len + ESP_TRAILER_MIN) & (ESP_PAD_ALIGN - 1))) & (ESP_PAD_ALIGN - 1);
	struct esp_front *f;
	uint8_t *t;

	RTE_BUILD_BUG_ON(sizeof(struct esp_front) != SPG_ESP_HDR_OVERHEAD);
	if (unlikely(!rte_pktmbuf_is_contiguous(m)) && rte_pktmbuf_linearize(m) != 0)
		return SPG_DROP_NO_MBUF;
	if (unlikely(rte_pktmbuf_headroom(m) < sizeof(*f) ||
		     rte_pktmbuf_tailroom(m) < pad + ESP_TRAILER_MIN + ESP_ICV_LEN))
		return SPG_DROP_NO_MBUF;
	if (unlikely(sqn == 0))
		return SPG_DROP_CRYPTO_ERROR; /* the SA's numbers are used up */

	t = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(pad + ESP_TRAILER_MIN + ESP_ICV_LEN));
	for (uint32_t i = 0; i < pad; i++)
		t[i] = (uint8_t)(i + 1); /* RFC 4303 2.4's default padding */
	t[pad] = (uint8_t)pad;
	t[pad + 1] = NEXT_HEADER_IPV4;

	f = (struct esp_front *)rte_pktmbuf_prepend(m, sizeof(*f));
	f->ip = (struct rte_ipv4_hdr){
		.version_ihl = RTE_IPV4_VHL_DEF,
		.packet_id = rte_cpu_to_be_16((uint16_t)sqn),
		.time_to_live = ESP_OUTER_TTL,
		.next_proto_id = IPPROTO_UDP,
		.src_addr = s->nat.src_addr,
	};
	f->udp = (struct rte_udp_hdr){ .src_port = rte_cpu_to_be_16(esp->udp_port) };
	f->esp.spi = s->spi;
	f->esp.seq = rte_cpu_to_be_32((uint32_t)sqn);
	f->iv = rte_cpu_to_be_64(sqn);

	memcpy(gp->nonce, s->nat.salt, sizeof(s->nat.salt));
	memcpy(gp->nonce + sizeof(s->nat.salt), &f->iv, ESP_IV_LEN);
	gp->aad[0] = s->spi;
	gp->aad[1] = rte_cpu_to_be_32((uint32_t)(sqn >> 32));
	gp->aad[2] = f->esp.seq;
	gp->clen = len + pad + ESP_TRAILER_MIN;
	m->l2_len = 0;
	m->l3_len = sizeof(f->ip);
	m->ol_flags &= ~(RTE_MBUF_F_RX_SEC_OFFLOAD | RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED);
	return SPG_OK;
}

/* Encrypts a packet frame_one framed, in place, and writes its ICV. */
static inline void encrypt_one(const struct spg_esp *esp, struct rte_mbuf *m, const struct spg_sa *s,
			       const struct gcm_params *gp)
{
	uint8_t *p = rte_pktmbuf_mtod_offset(m, uint8_t *, sizeof(struct esp_front));
	struct gcm_context_data gctx;

	RTE_BUILD_BUG_ON(ESP_NONCE_LEN > sizeof(gp->nonce) || ESP_AAD_LEN_ESN > sizeof(gp->aad));
	if (esp->key_len == 16)
		IMB_AES128_GCM_ENC((IMB_MGR *)esp->imb_mgr, s->nat.gcm_key, &gctx, p, p, gp->clen, gp->nonce,
				   (const uint8_t *)gp->aad, ESP_AAD_LEN_ESN, p + gp->clen, ESP_ICV_LEN);
	else
		IMB_AES256_GCM_ENC((IMB_MGR *)esp->imb_mgr, s->nat.gcm_key, &gctx, p, p, gp->clen, gp->nonce,
				   (const uint8_t *)gp->aad, ESP_AAD_LEN_ESN, p + gp->clen, ESP_ICV_LEN);
}

/*
 * Takes the sequence numbers for packets i.. of the burst that share packet i's SA, one
 * compare-and-swap for the run (other workers may send on the SA too); returns the run's length and
 * its first number in *first. Numbers a failed packet took stay unused: a gap, never a reuse.
 * Numbers run 1 .. 2^64 - 1; a run that would pass the end gets *first = 0 (CRYPTO_ERROR)
 * and the counter stays where it was.
 */
static uint16_t take_sqn(struct spg_sa *const sa[], uint16_t i, uint16_t n, uint64_t *first)
{
	struct spg_sa *s = sa[i];
	uint16_t k = 1;
	uint64_t old;

	while (i + k < n && sa[i + k] == s)
		k++;
	/* a compare-and-swap, not an add: the counter must never wrap, even for a moment */
	old = __atomic_load_n(&s->sqn, __ATOMIC_RELAXED);
	do {
		if (unlikely(old > UINT64_MAX - 1 - k)) {
			*first = 0;
			return k;
		}
	} while (!__atomic_compare_exchange_n(&s->sqn, &old, old + k, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	*first = old + 1;
	return k;
}

static inline void prefetch_key(const struct spg_esp *esp, const struct spg_sa *s, uint32_t clen)
{
	if (s != NULL && s->native)
		esp_key_lines_prefetch(esp, s, clen);
}

/* spg_esp_outbound_burst's contract (esp.h), in the packets' own order: the whole burst is
 * framed first, then encrypted (struct gcm_params says why). */
uint16_t esp_native_outbound(struct spg_esp *esp, struct rte_mbuf *mb[], struct spg_sa *sa[], void *ctx[],
			     uint16_t n, uint8_t reason[])
{
	struct gcm_params gp[ESP_BURST_MAX];
	struct rte_mbuf *bad[ESP_BURST_MAX];
	void *bad_ctx[ESP_BURST_MAX];
	uint8_t why[ESP_BURST_MAX], bad_why[ESP_BURST_MAX];
	uint16_t n_ok = 0, n_bad = 0, n_all = n;
	uint64_t sqn = 0;

	n = RTE_MIN(n, (uint16_t)ESP_BURST_MAX);
	for (uint16_t i = 0, run = 0; i < n; i++) {
		struct spg_sa *s = sa[i];

		gp[i].clen = 0;
		/* a caller's slip (no SA, or an inbound one) is CRYPTO_ERROR, not a crash */
		if (unlikely(s == NULL || !s->native)) {
			why[i] = SPG_DROP_CRYPTO_ERROR;
			run = 0;
			continue;
		}
		if (run == 0)
			run = take_sqn(sa, i, n, &sqn);
		why[i] = frame_one(esp, mb[i], s, sqn, &gp[i]);
		sqn += sqn != 0;
		run--;
	}

	for (uint16_t i = 0; i < KEY_AHEAD && i < n; i++)
		if (i == 0 || sa[i] != sa[i - 1])
			prefetch_key(esp, sa[i], gp[i].clen);
	for (uint16_t i = 0; i < n; i++) {
		/* once per run of one SA: with one session, its lines asked for per packet cost
		 * more than they save (a failed packet's clen is stale: a hint, no more) */
		if (i + KEY_AHEAD < n && sa[i + KEY_AHEAD] != sa[i + KEY_AHEAD - 1])
			prefetch_key(esp, sa[i + KEY_AHEAD], gp[i + KEY_AHEAD].clen);
		if (likely(why[i] == SPG_OK)) {
			encrypt_one(esp, mb[i], sa[i], &gp[i]);
			mb[n_ok] = mb[i];
			ctx[n_ok] = ctx[i];
			reason[n_ok++] = SPG_OK;
		} else {
			bad[n_bad] = mb[i];
			bad_ctx[n_bad] = ctx[i];
			bad_why[n_bad++] = why[i];
		}
	}
	for (uint16_t j = 0; j < n_bad; j++) {
		mb[n_ok + j] = bad[j];
		ctx[n_ok + j] = bad_ctx[j];
		reason[n_ok + j] = bad_why[j];
	}
	/* more than the contract allows: refused untouched, where they are */
	for (uint16_t i = n; i < n_all; i++)
		reason[i] = SPG_DROP_CRYPTO_ERROR;
	return n_ok;
}
