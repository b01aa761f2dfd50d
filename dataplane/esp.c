/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP tunnel mode in UDP (RFC 4303, 3948) with AES-GCM (RFC 4106), through librte_ipsec over an
 * rte_cryptodev. When the device has RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO (crypto_aesni_mb does),
 * SAs are RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO: rte_ipsec_pkt_cpu_prepare() builds the headers
 * and runs rte_cryptodev_sym_cpu_crypto_process() on the group in the same call, marking the
 * packets the device failed with RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED; no crypto op, no queue
 * pair, no enqueue/dequeue. Otherwise (or with cfg->lookaside) they are lookaside
 * (RTE_SECURITY_ACTION_TYPE_NONE) through the device's queue pairs. Both paths share the
 * grouping, our replay window and the drop reasons below.
 *
 * What librte_ipsec 22.11 does for NAT-T, and what this file does about it:
 * - Outbound (options.udp_encap = 1): the library appends a UDP header to our outer IPv4
 *   template (ports from ipsec_xform.udp), fills the UDP length, the outer total length and
 *   the packet id (low 16 bits of the sequence number). It computes no outer IPv4 checksum
 *   and sets l3_len to the IPv4 header alone. spg_esp_outer_finish() writes the destination,
 *   both lengths, a zero UDP checksum and the IPv4 checksum.
 * - Inbound: the library knows nothing of NAT-T. It finds the ESP header at l2_len + l3_len,
 *   so we add the UDP header to l3_len. Inbound SAs must NOT set options.udp_encap: in 22.11
 *   esp_sa_init() has no case for an inbound NAT-T tunnel SA and silently leaves it
 *   uninitialised (no next-header check, zero cipher offsets).
 *
 * The anti-replay window is ours, not the library's. In 22.11 esn_inb_update_sqn() keeps the
 * bit to set in a uint32_t, so sequence numbers whose position in their 64-bit word is 32..63
 * are never recorded: their replays pass. And for windows such as 128 or 256 its bitmap has
 * too few words, so words alias. We keep an RFC 6479 bitmap per inbound SA (a word more than
 * the window spans), check it before crypto and update it after decryption; the library's
 * window stays (it cannot be turned off with ESN), sized so that its words never alias
 * (lib_window_size), and can then only refuse what ours refuses too. ESN reconstruction
 * (RFC 4303 A2.1) uses the library's window size on both sides, so that the sequence number
 * we record is the one the ICV authenticated.
 *
 * Drop reasons. The library says per burst only "these k succeeded, the rest are behind
 * them, in order" (rte_errno holds the last error of the batch), so we recover which packet
 * failed where by matching mbuf pointers (follow_refusal) and classify each failure:
 * - refused by our window before crypto (seen, too old, zero): REPLAY.
 * - refused by prepare: inbound, a length not fitting AES-GCM is MALFORMED_ESP, no tailroom
 *   for the library's scratch (ESN high half + AAD, 20 bytes) is CRYPTO_ERROR, anything else
 *   is the library's window: REPLAY. Outbound, no headroom/tailroom is NO_MBUF, anything else
 *   is sequence-number exhaustion: CRYPTO_ERROR.
 * - not enqueued, or not back from the device in time: CRYPTO_ERROR.
 * - crypto op status AUTH_FAILED: BAD_ICV, except a stale packet (see inb_auth_failure);
 *   other statuses: CRYPTO_ERROR. CPU crypto reports only "failed" (the library keeps the
 *   device's status to itself): inbound that is an authentication failure (BAD_ICV or stale,
 *   as above; a GCM decryption has no other way to fail on a packet prepare accepted),
 *   outbound CRYPTO_ERROR. These never reach rte_ipsec_pkt_process() nor our window, so a
 *   forged packet cannot move it.
 * - refused by process: the library first checks the trailer (padding, pad length, next
 *   header == IPv4) and only strips packets that pass, which resets l2_len/l3_len to 0; then
 *   it updates its window. So a refused packet whose l3_len still covers the outer headers is
 *   MALFORMED_ESP, one with l3_len == 0 is REPLAY.
 * - refused by our window after decryption (a duplicate that raced, e.g. twice in one
 *   burst, or a number a later packet of the burst pushed out of the window): REPLAY.
 * - decrypted, but the inner packet is not IPv4: MALFORMED_ESP.
 *
 * Threads: outbound SAs use RTE_IPSEC_SAFLAG_SQN_ATOM, so several workers may send on one.
 * Inbound SAs do not: one worker at a time per inbound SA (neither window is locked).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_esp.h>
#include <rte_ip.h>
#include <rte_ipsec.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_spinlock.h>
#include <rte_udp.h>

#include "esp.h"

#define ESP_BURST_MAX 64
#define ESP_ICV_LEN 16
#define ESP_IV_LEN 8		/* on the wire */
#define ESP_NONCE_LEN 12	/* salt + IV */
#define ESP_AAD_LEN_ESN 12	/* SPI, sequence high, sequence low (RFC 4106 section 5) */
#define ESP_PAD_ALIGN 4
#define ESP_TRAILER_MIN 2	/* pad length, next header */
/* What the library parks behind the ICV while the op is in flight: the ESN high half, and its
 * AAD scratch (struct aead_gcm_aad, 16 bytes with its padding). */
#define ESP_LIB_SCRATCH (4 + 16)
#define ESP_OUTER_TTL 64

/* librte_ipsec refuses more than 2^21; the arithmetic here is safe far beyond this */
#define ESP_REPLAY_WINDOW_MAX (1u << 20)
#define ESP_QP_DESCRIPTORS 256
#define ESP_OPS_PER_QP 256
#define ESP_OP_CACHE 32
#define ESP_DEQUEUE_SPINS (1u << 20)

/* A crypto op is rte_crypto_op, rte_crypto_sym_op, then our private area: the GCM counter
 * block the library fills (salt, IV, counter: 16 bytes), then the packet's index in the burst. */
#define ESP_OP_IV_OFS (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define ESP_OP_TAG_OFS (ESP_OP_IV_OFS + 16)
#define ESP_OP_PRIV_SIZE 32

/* The most lines of a crypto session prefetched per packet. */
#define CRYPTO_PREFETCH_LINES_MAX 32

/* Replay bitmaps of up to this many words (windows up to 192) live in the SA's first line. */
#define SA_INLINE_WORDS 4

struct spg_esp {
	struct rte_mempool *op_pool; /* lookaside only */
	struct rte_mempool *sess_pool;
	/* SAs: one preallocated array and a stack of free indexes (a mempool would add a
	 * 64-byte header to every object). Taken and given back by the control thread; the
	 * lock only guards against a second one. */
	uint8_t *sa_mem;
	uint32_t *sa_free;
	uint32_t n_sa_free;
	uint32_t max_sas;
	uint32_t sa_size;      /* bytes per SA in sa_mem, a multiple of the cache line */
	rte_spinlock_t sa_lock;
	uint32_t sa_lib_size;  /* bytes an rte_ipsec_sa of either direction needs */
	uint32_t replay_words; /* our bitmap's 64-bit words, a power of 2 */
	uint32_t replay_window;
	uint32_t lib_window;
	uint32_t local_addr;
	uint16_t udp_port;
	uint8_t key_len;
	uint8_t dev_id;
	bool cpu_crypto;  /* RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO rather than lookaside */
	bool dev_created; /* we plugged it in, so we remove it */
	bool dev_started;
	char dev_name[RTE_CRYPTODEV_NAME_MAX_LEN];
};

/*
 * 512 bytes with the default windows: our line, the library's session line, then its SA.
 * Workers read the first two lines and the rte_ipsec_sa's first ones for every group.
 */
struct spg_sa {
	/* inbound: the anti-replay window */
	uint64_t top;	     /* highest sequence number accepted */
	uint32_t seen_ofs;   /* from the SA's start to its RFC 6479 bitmap, replay_mask + 1 words:
			      * seen_inline, or after lib_sa for windows too wide for it */
	uint32_t replay_mask;
	uint32_t window;     /* what we accept: top - window + 1 .. top */
	uint32_t lib_window; /* what the library (and ESN reconstruction) uses, >= window */
	uint32_t spi;	     /* network order */
	bool outbound;
	bool in_use;
	uint8_t crypto_lines; /* cache lines of its crypto session, all read by every packet's crypto */
	uint64_t seen_inline[SA_INLINE_WORDS];
	/* Its address is the lookaside crypto session's opaque data: groups come back by it. */
	struct rte_ipsec_session ss;
	uint8_t lib_sa[] __rte_cache_aligned; /* struct rte_ipsec_sa, sa_lib_size bytes */
};

struct esp_group {
	struct spg_sa *sa;
	uint16_t start;
	uint16_t cnt;
	uint16_t fill;
};

static unsigned int esp_instances; /* names the pools of each spg_esp uniquely */

static struct rte_ipsec_sa *sa_lib(struct spg_sa *s)
{
	return (struct rte_ipsec_sa *)s->lib_sa;
}

static struct spg_sa *sa_of_session(const struct rte_ipsec_session *ss)
{
	return container_of(ss, struct spg_sa, ss);
}

static uint64_t *sa_seen(const struct spg_sa *s)
{
	return (uint64_t *)((uintptr_t)s + s->seen_ofs);
}

static struct spg_sa *sa_at(const struct spg_esp *esp, uint32_t i)
{
	return (struct spg_sa *)(esp->sa_mem + (size_t)i * esp->sa_size);
}

static uint16_t *op_tag(struct rte_crypto_op *op)
{
	return rte_crypto_op_ctod_offset(op, uint16_t *, ESP_OP_TAG_OFS);
}

/* ---- set-up ---- */

static void sa_params(const struct spg_esp *esp, bool outbound, uint32_t spi_host, uint32_t salt,
		      struct rte_crypto_sym_xform *xf, struct rte_ipv4_hdr *outer,
		      struct rte_ipsec_sa_prm *prm)
{
	memset(prm, 0, sizeof(*prm));
	prm->crypto_xform = xf;
	prm->ipsec_xform.spi = spi_host;
	prm->ipsec_xform.salt = salt;
	prm->ipsec_xform.options.esn = 1;
	prm->ipsec_xform.proto = RTE_SECURITY_IPSEC_SA_PROTO_ESP;
	prm->ipsec_xform.mode = RTE_SECURITY_IPSEC_SA_MODE_TUNNEL;
	prm->ipsec_xform.tunnel.type = RTE_SECURITY_IPSEC_TUNNEL_IPV4;
	prm->tun.next_proto = IPPROTO_IPIP;
	if (outbound) {
		memset(outer, 0, sizeof(*outer));
		outer->version_ihl = RTE_IPV4_VHL_DEF;
		outer->time_to_live = ESP_OUTER_TTL;
		outer->next_proto_id = IPPROTO_UDP;
		outer->src_addr = esp->local_addr;
		prm->flags = RTE_IPSEC_SAFLAG_SQN_ATOM;
		prm->ipsec_xform.direction = RTE_SECURITY_IPSEC_SA_DIR_EGRESS;
		prm->ipsec_xform.options.udp_encap = 1;
		prm->ipsec_xform.udp.sport = esp->udp_port;
		prm->ipsec_xform.udp.dport = 0; /* the session's endpoint, per packet */
		prm->tun.hdr = outer;
		prm->tun.hdr_len = sizeof(*outer);
		prm->tun.hdr_l3_off = 0;
	} else {
		prm->ipsec_xform.direction = RTE_SECURITY_IPSEC_SA_DIR_INGRESS;
		prm->ipsec_xform.replay_win_sz = esp->lib_window;
	}
}

static void gcm_xform(const struct spg_esp *esp, bool outbound, const uint8_t *key,
		      struct rte_crypto_sym_xform *xf)
{
	memset(xf, 0, sizeof(*xf));
	xf->type = RTE_CRYPTO_SYM_XFORM_AEAD;
	xf->aead.op = outbound ? RTE_CRYPTO_AEAD_OP_ENCRYPT : RTE_CRYPTO_AEAD_OP_DECRYPT;
	xf->aead.algo = RTE_CRYPTO_AEAD_AES_GCM;
	xf->aead.key.data = key;
	xf->aead.key.length = esp->key_len;
	xf->aead.iv.offset = ESP_OP_IV_OFS;
	xf->aead.iv.length = ESP_NONCE_LEN;
	xf->aead.digest_length = ESP_ICV_LEN;
	xf->aead.aad_length = ESP_AAD_LEN_ESN;
}

/*
 * librte_ipsec 22.11 keeps max(2, pow2(ceil(w / 64))) 64-bit words for a window of w, but w
 * numbers can span (w - 1) / 64 + 2 words: for w = 128 the oldest and newest share a word.
 * The smallest w' >= w for which they never do.
 */
static uint32_t lib_window_size(uint32_t w)
{
	for (;; w++) {
		uint32_t words = RTE_MAX(rte_align32pow2(RTE_ALIGN_MUL_CEIL(w, 64) / 64), 2u);

		if (words >= (w - 1) / 64 + 2)
			return w;
	}
}

/* The larger of what an inbound and an outbound rte_ipsec_sa need, or a negative errno. */
static int sa_lib_size(const struct spg_esp *esp)
{
	static const uint8_t zero_key[SPG_DP_KEY_MAX];
	struct rte_crypto_sym_xform xf;
	struct rte_ipv4_hdr outer;
	struct rte_ipsec_sa_prm prm;
	int in, out;

	gcm_xform(esp, false, zero_key, &xf);
	sa_params(esp, false, 256, 0, &xf, &outer, &prm);
	in = rte_ipsec_sa_size(&prm);
	gcm_xform(esp, true, zero_key, &xf);
	sa_params(esp, true, 256, 0, &xf, &outer, &prm);
	out = rte_ipsec_sa_size(&prm);
	if (in < 0)
		return in;
	if (out < 0)
		return out;
	return RTE_MAX(in, out);
}

static int crypto_device_open(struct spg_esp *esp, const struct spg_esp_config *cfg)
{
	struct rte_cryptodev_sym_capability_idx cap_idx = {
		.type = RTE_CRYPTO_SYM_XFORM_AEAD,
		.algo.aead = RTE_CRYPTO_AEAD_AES_GCM,
	};
	const struct rte_cryptodev_symmetric_capability *cap;
	struct rte_cryptodev_info info;
	char args[64];
	int id;

	snprintf(esp->dev_name, sizeof(esp->dev_name), "%s", cfg->crypto_device);
	id = rte_cryptodev_get_dev_id(esp->dev_name);
	if (id < 0) {
		snprintf(args, sizeof(args), "max_nb_queue_pairs=%u", cfg->n_queue_pairs);
		/* rte_vdev_init() by way of EAL: librte_bus_vdev is not in libdpdk.pc's libraries */
		if (rte_eal_hotplug_add("vdev", esp->dev_name, args) != 0)
			return ENODEV;
		esp->dev_created = true;
		id = rte_cryptodev_get_dev_id(esp->dev_name);
		if (id < 0)
			return ENODEV;
	}
	esp->dev_id = (uint8_t)id;

	rte_cryptodev_info_get(esp->dev_id, &info);
	if (cfg->n_queue_pairs > info.max_nb_queue_pairs)
		return EINVAL;
	esp->cpu_crypto = !cfg->lookaside && (info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO) != 0;
	cap = rte_cryptodev_sym_capability_get(esp->dev_id, &cap_idx);
	if (cap == NULL || rte_cryptodev_sym_capability_check_aead(cap, cfg->key_len, ESP_ICV_LEN,
								    ESP_AAD_LEN_ESN,
								    ESP_NONCE_LEN) != 0)
		return ENOTSUP;
	return 0;
}

static int crypto_device_start(struct spg_esp *esp, const struct spg_esp_config *cfg)
{
	struct rte_cryptodev_config conf = {
		.socket_id = cfg->socket_id,
		.nb_queue_pairs = cfg->n_queue_pairs,
		.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY,
	};
	struct rte_cryptodev_qp_conf qp_conf = {
		.nb_descriptors = ESP_QP_DESCRIPTORS,
		.mp_session = esp->sess_pool,
	};
	uint16_t qp;

	if (rte_cryptodev_configure(esp->dev_id, &conf) != 0)
		return EIO;
	for (qp = 0; qp < cfg->n_queue_pairs; qp++)
		if (rte_cryptodev_queue_pair_setup(esp->dev_id, qp, &qp_conf, cfg->socket_id) != 0)
			return EIO;
	if (rte_cryptodev_start(esp->dev_id) != 0)
		return EIO;
	esp->dev_started = true;
	return 0;
}

static bool config_valid(const struct spg_esp_config *cfg)
{
	return cfg != NULL && cfg->crypto_device != NULL && cfg->crypto_device[0] != '\0' &&
	       (cfg->key_len == 16 || cfg->key_len == 32) && cfg->replay_window >= 64 &&
	       cfg->replay_window <= ESP_REPLAY_WINDOW_MAX &&
	       cfg->udp_port != 0 && cfg->n_queue_pairs != 0 && cfg->max_sas != 0;
}

/* The SA array, every SA free; windows too wide for the SA's first line go after lib_sa. */
static int sa_array_create(struct spg_esp *esp, const struct spg_esp_config *cfg)
{
	uint32_t size = sizeof(struct spg_sa) + esp->sa_lib_size;

	RTE_BUILD_BUG_ON(offsetof(struct spg_sa, ss) != RTE_CACHE_LINE_SIZE);
	RTE_BUILD_BUG_ON(offsetof(struct spg_sa, lib_sa) != 2 * RTE_CACHE_LINE_SIZE);
	if (esp->replay_words > SA_INLINE_WORDS)
		size += esp->replay_words * sizeof(uint64_t);
	esp->sa_size = RTE_ALIGN_CEIL(size, RTE_CACHE_LINE_SIZE);
	esp->max_sas = cfg->max_sas;
	esp->sa_mem = rte_zmalloc_socket("spg_esp_sa", (size_t)esp->sa_size * cfg->max_sas, RTE_CACHE_LINE_SIZE,
					 cfg->socket_id);
	esp->sa_free = rte_malloc_socket("spg_esp_sa_free", sizeof(uint32_t) * (size_t)cfg->max_sas, 0,
					 cfg->socket_id);
	if (esp->sa_mem == NULL || esp->sa_free == NULL)
		return -ENOMEM;
	/* Hand out low addresses first: pop from the top of a stack filled in reverse. */
	for (uint32_t i = 0; i < cfg->max_sas; i++)
		esp->sa_free[i] = cfg->max_sas - 1 - i;
	esp->n_sa_free = cfg->max_sas;
	rte_spinlock_init(&esp->sa_lock);
	return 0;
}

static struct spg_sa *sa_get(struct spg_esp *esp)
{
	struct spg_sa *s = NULL;

	rte_spinlock_lock(&esp->sa_lock);
	if (esp->n_sa_free != 0)
		s = sa_at(esp, esp->sa_free[--esp->n_sa_free]);
	rte_spinlock_unlock(&esp->sa_lock);
	return s;
}

static void sa_put(struct spg_esp *esp, struct spg_sa *s)
{
	uint32_t i = (uint32_t)(((uint8_t *)s - esp->sa_mem) / esp->sa_size);

	rte_spinlock_lock(&esp->sa_lock);
	esp->sa_free[esp->n_sa_free++] = i;
	rte_spinlock_unlock(&esp->sa_lock);
}

struct spg_esp *spg_esp_create(const struct spg_esp_config *cfg)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct spg_esp *esp;
	unsigned int instance;
	int rc, size;

	if (!config_valid(cfg)) {
		rte_errno = EINVAL;
		return NULL;
	}
	esp = rte_zmalloc_socket("spg_esp", sizeof(*esp), 0, cfg->socket_id);
	if (esp == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	esp->key_len = cfg->key_len;
	esp->replay_window = cfg->replay_window;
	esp->lib_window = lib_window_size(cfg->replay_window);
	/* a word more than the window can span, so the oldest word is never the newest */
	esp->replay_words = rte_align32pow2(RTE_ALIGN_MUL_CEIL(cfg->replay_window, 64) / 64 + 1);
	esp->udp_port = cfg->udp_port;
	esp->local_addr = cfg->local_addr;
	instance = __atomic_fetch_add(&esp_instances, 1, __ATOMIC_RELAXED);

	size = sa_lib_size(esp);
	if (size < 0) {
		rc = -size;
		goto fail;
	}
	esp->sa_lib_size = RTE_ALIGN_CEIL((uint32_t)size, RTE_CACHE_LINE_SIZE);

	rc = crypto_device_open(esp, cfg);
	if (rc != 0)
		goto fail;

	rc = ENOMEM;
	snprintf(name, sizeof(name), "spg_esp%u_ses", instance);
	esp->sess_pool = rte_cryptodev_sym_session_pool_create(
		name, cfg->max_sas, rte_cryptodev_sym_get_private_session_size(esp->dev_id), 0, 0,
		cfg->socket_id);
	if (esp->sess_pool == NULL)
		goto fail;
	if (!esp->cpu_crypto) {
		snprintf(name, sizeof(name), "spg_esp%u_ops", instance);
		esp->op_pool = rte_crypto_op_pool_create(name, RTE_CRYPTO_OP_TYPE_SYMMETRIC,
							 (unsigned int)cfg->n_queue_pairs * ESP_OPS_PER_QP,
							 ESP_OP_CACHE, ESP_OP_PRIV_SIZE, cfg->socket_id);
		if (esp->op_pool == NULL)
			goto fail;
	}
	if (sa_array_create(esp, cfg) != 0)
		goto fail;

	rc = crypto_device_start(esp, cfg);
	if (rc != 0)
		goto fail;
	return esp;

fail:
	spg_esp_free(esp);
	rte_errno = rc;
	return NULL;
}

static void sa_release(struct spg_esp *esp, struct spg_sa *s)
{
	rte_ipsec_sa_fini(sa_lib(s));
	rte_cryptodev_sym_session_free(esp->dev_id, s->ss.crypto.ses);
	memset(s, 0, sizeof(*s));
}

void spg_esp_free(struct spg_esp *esp)
{
	if (esp == NULL)
		return;
	/* SAs still held: their crypto sessions go back to the device before it stops. */
	for (uint32_t i = 0; esp->sa_mem != NULL && i < esp->max_sas; i++)
		if (sa_at(esp, i)->in_use)
			sa_release(esp, sa_at(esp, i));
	if (esp->dev_started)
		rte_cryptodev_stop(esp->dev_id);
	/* A device we created goes away; one we found (--vdev) stays, stopped: closed, it could
	 * never be started again. */
	if (esp->dev_created)
		rte_eal_hotplug_remove("vdev", esp->dev_name);
	rte_free(esp->sa_free);
	rte_free(esp->sa_mem);
	rte_mempool_free(esp->op_pool);
	rte_mempool_free(esp->sess_pool);
	rte_free(esp);
}

/*
 * The crypto session (the cryptodev header, then the PMD's key schedule and GHASH keys:
 * 1,600 bytes for crypto_aesni_mb) is read in its whole by every packet's crypto. With
 * many sessions it is not in cache: measured, prefetching all of it rather than its first
 * three lines saved 10-15 % of the cycles per packet at 1,024 sessions.
 */
static uint8_t crypto_session_lines(const struct spg_esp *esp)
{
	uint32_t lines = RTE_ALIGN_CEIL(esp->sess_pool->elt_size, RTE_CACHE_LINE_SIZE) / RTE_CACHE_LINE_SIZE;

	return (uint8_t)RTE_MIN(lines, (uint32_t)CRYPTO_PREFETCH_LINES_MAX);
}

struct spg_sa *spg_sa_create(struct spg_esp *esp, const struct spg_dp_sa_keys *keys, bool outbound)
{
	struct rte_crypto_sym_xform xf;
	struct rte_ipsec_sa_prm prm;
	struct rte_ipv4_hdr outer;
	struct spg_sa *s;
	void *ses;
	uint32_t salt;
	int rc;

	if (esp == NULL || keys == NULL || keys->key_len != esp->key_len ||
	    rte_be_to_cpu_32(keys->spi) < 256) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = sa_get(esp);
	if (s == NULL) {
		rte_errno = ENOSPC;
		return NULL;
	}
	memset(s, 0, sizeof(*s));

	gcm_xform(esp, outbound, keys->key, &xf);
	ses = rte_cryptodev_sym_session_create(esp->dev_id, &xf, esp->sess_pool);
	if (ses == NULL) {
		rc = rte_errno == ENOMEM ? ENOSPC : rte_errno;
		goto fail;
	}
	/* The library copies the salt into the nonce as it lies in memory (network order). */
	memcpy(&salt, keys->salt, sizeof(salt));
	sa_params(esp, outbound, rte_be_to_cpu_32(keys->spi), salt, &xf, &outer, &prm);
	rc = rte_ipsec_sa_init(sa_lib(s), &prm, esp->sa_lib_size);
	if (rc < 0) {
		rc = -rc;
		goto fail_ses;
	}
	s->ss.sa = sa_lib(s);
	s->ss.type = esp->cpu_crypto ? RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO : RTE_SECURITY_ACTION_TYPE_NONE;
	s->ss.crypto.ses = ses;
	s->ss.crypto.dev_id = esp->dev_id;
	rc = rte_ipsec_session_prepare(&s->ss);
	if (rc != 0) {
		rc = -rc;
		goto fail_sa;
	}
	s->seen_ofs = esp->replay_words <= SA_INLINE_WORDS ? offsetof(struct spg_sa, seen_inline)
							    : (uint32_t)sizeof(*s) + esp->sa_lib_size;
	memset(sa_seen(s), 0, esp->replay_words * sizeof(uint64_t));
	s->replay_mask = esp->replay_words - 1;
	s->window = esp->replay_window;
	s->lib_window = esp->lib_window;
	s->spi = keys->spi;
	s->outbound = outbound;
	s->crypto_lines = crypto_session_lines(esp);
	s->in_use = true;
	return s;

fail_sa:
	rte_ipsec_sa_fini(sa_lib(s));
fail_ses:
	rte_cryptodev_sym_session_free(esp->dev_id, ses);
fail:
	memset(s, 0, sizeof(*s));
	sa_put(esp, s);
	rte_errno = rc;
	return NULL;
}

void spg_sa_free(struct spg_esp *esp, struct spg_sa *sa)
{
	if (esp == NULL || sa == NULL)
		return;
	sa_release(esp, sa);
	sa_put(esp, sa);
}

uint32_t spg_sa_spi(const struct spg_sa *sa)
{
	return sa->spi;
}

void spg_esp_sa_prefetch_crypto(const struct spg_sa *sa)
{
	const void *ses = sa->ss.crypto.ses;

	for (unsigned int l = 0; l < sa->crypto_lines; l++)
		rte_prefetch0(RTE_PTR_ADD(ses, l * RTE_CACHE_LINE_SIZE));
}

bool spg_esp_cpu_crypto(const struct spg_esp *esp)
{
	return esp->cpu_crypto;
}

void spg_esp_sa_usage(const struct spg_esp *esp, uint32_t *bytes_per_sa, uint32_t *in_use)
{
	*bytes_per_sa = esp->sa_size + (uint32_t)sizeof(esp->sa_free[0]);
	*in_use = esp->max_sas - esp->n_sa_free;
}

uint16_t spg_esp_inner_mtu(uint16_t link_mtu)
{
	const unsigned int fixed = SPG_ESP_HDR_OVERHEAD + ESP_ICV_LEN;
	unsigned int room;

	/* outer IP + UDP + ESP + IV + round_up(L + 2, 4) + ICV <= link_mtu */
	if (link_mtu < fixed + ESP_PAD_ALIGN)
		return 0;
	room = RTE_ALIGN_FLOOR(link_mtu - fixed, ESP_PAD_ALIGN);
	return (uint16_t)(room - ESP_TRAILER_MIN);
}

void spg_esp_outer_finish(struct rte_mbuf *m, uint32_t dst_addr, uint16_t dst_port)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t len = (uint16_t)rte_pktmbuf_pkt_len(m);

	ip->dst_addr = dst_addr;
	ip->total_length = rte_cpu_to_be_16(len);
	udp->dst_port = rte_cpu_to_be_16(dst_port);
	udp->dgram_len = rte_cpu_to_be_16(len - sizeof(*ip));
	udp->dgram_cksum = 0; /* allowed for ESP in UDP over IPv4 (RFC 3948 section 2.1) */
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* ---- bursts ---- */

/*
 * Orders the burst by SA, keeping the order within each SA: order[] lists the packets'
 * indexes group after group. Returns the number of groups. With many sessions most packets
 * are a group of their own, so groups are found through a small open-addressed table, not by
 * comparing every packet with every group.
 */
#define GROUP_SLOTS (2 * ESP_BURST_MAX) /* a power of 2, at most half full */
static uint16_t group_by_sa(struct spg_sa *const sa[], uint16_t n, uint16_t order[],
			    struct esp_group g[])
{
	uint8_t gid[ESP_BURST_MAX], slot[GROUP_SLOTS];
	uint16_t i, j, ng = 0, start = 0;

	RTE_BUILD_BUG_ON(GROUP_SLOTS != 1 << 7); /* the hash below keeps 7 bits */
	memset(slot, 0xff, sizeof(slot));
	for (i = 0; i < n; i++) {
		if (i > 0 && sa[i] == sa[i - 1]) {
			j = gid[i - 1];
		} else {
			/* SAs are cache-line aligned: the bits above the line pick the slot */
			uint32_t h = (uint32_t)(((uintptr_t)sa[i] >> 6) * UINT64_C(0x9e3779b97f4a7c15) >> 57);

			while (slot[h] != 0xff && g[slot[h]].sa != sa[i])
				h = (h + 1) & (GROUP_SLOTS - 1);
			if (slot[h] == 0xff) {
				slot[h] = (uint8_t)ng;
				g[ng].sa = sa[i];
				g[ng].cnt = 0;
				ng++;
			}
			j = slot[h];
		}
		gid[i] = (uint8_t)j;
		g[j].cnt++;
	}
	for (j = 0; j < ng; j++) {
		g[j].start = start;
		g[j].fill = start;
		start += g[j].cnt;
	}
	for (i = 0; i < n; i++)
		order[g[gid[i]].fill++] = i;
	return ng;
}

/*
 * A librte_ipsec call accepted n_ok of the n packets passed in after[] and moved the others
 * behind them, both in their original order. Reorders idx[] (the packets' burst indexes, as
 * passed) the same way, by matching each packet's mbuf against the accepted ones.
 */
static void follow_refusal(struct rte_mbuf *const by_index[], struct rte_mbuf *const after[],
			   uint16_t idx[], uint16_t n, uint16_t n_ok)
{
	uint16_t tmp[ESP_BURST_MAX];
	uint16_t i, good = 0, bad = n_ok;

	for (i = 0; i < n; i++) {
		if (good < n_ok && after[good] == by_index[idx[i]])
			tmp[good++] = idx[i];
		else
			tmp[bad++] = idx[i];
	}
	memcpy(idx, tmp, n * sizeof(tmp[0]));
}

/* RFC 4303 appendix A2.1, as librte_ipsec does it (ipsec_sqn.h: reconstruct_esn). */
static uint64_t esn_reconstruct(uint64_t top, uint32_t seq_lo, uint32_t window)
{
	uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32), bottom = tl - window + 1;

	if (tl >= window - 1)
		th += seq_lo < bottom;
	else if (th != 0)
		th -= seq_lo >= bottom;
	return (uint64_t)th << 32 | seq_lo;
}

static bool replay_fresh(const struct spg_sa *s, uint64_t sqn)
{
	if (sqn == 0)
		return false;
	if (sqn > s->top)
		return true;
	if (sqn + s->window <= s->top)
		return false;
	return (sa_seen(s)[(sqn >> 6) & s->replay_mask] & UINT64_C(1) << (sqn & 63)) == 0;
}

/* Records sqn as seen, sliding the window when it is the new top; false if it was not fresh. */
static bool replay_record(struct spg_sa *s, uint64_t sqn)
{
	uint64_t word = sqn >> 6, top_word = s->top >> 6, i, n;
	uint64_t *seen = sa_seen(s);

	if (!replay_fresh(s, sqn))
		return false;
	if (sqn > s->top) {
		n = RTE_MIN(word - top_word, (uint64_t)s->replay_mask + 1);
		for (i = 1; i <= n; i++)
			seen[(top_word + i) & s->replay_mask] = 0;
		s->top = sqn;
	}
	seen[word & s->replay_mask] |= UINT64_C(1) << (sqn & 63);
	return true;
}

static uint8_t outb_prepare_failure(struct rte_mbuf *m)
{
	uint32_t plen = rte_pktmbuf_pkt_len(m);
	uint32_t tail = RTE_ALIGN_CEIL(plen + ESP_TRAILER_MIN, ESP_PAD_ALIGN) - plen +
			ESP_ICV_LEN + ESP_LIB_SCRATCH;

	if (rte_pktmbuf_headroom(m) < SPG_ESP_HDR_OVERHEAD ||
	    rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m)) < tail)
		return SPG_DROP_NO_MBUF;
	return SPG_DROP_CRYPTO_ERROR; /* sequence numbers exhausted */
}

static uint8_t inb_prepare_failure(struct rte_mbuf *m)
{
	int64_t clen = (int64_t)rte_pktmbuf_pkt_len(m) - m->l2_len - m->l3_len -
		       (int64_t)(sizeof(struct rte_esp_hdr) + ESP_IV_LEN + ESP_ICV_LEN);

	if (clen < 0 || (clen & (ESP_PAD_ALIGN - 1)) != 0)
		return SPG_DROP_MALFORMED_ESP;
	if (rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m)) < ESP_LIB_SCRATCH)
		return SPG_DROP_CRYPTO_ERROR;
	return SPG_DROP_REPLAY;
}

/*
 * With ESN, a packet below the window never fails a window check: RFC 4303 A2.2 (and the
 * library) take it for the next 2^32 subspace, so it reaches the device and fails
 * authentication. When the library took it for a packet ahead of the window although, modulo
 * 2^32, it lies behind the window by less than 2^31 (and such an older sequence number
 * exists), it is a late or replayed packet, not a forgery: REPLAY.
 */
static uint8_t inb_auth_failure(const struct spg_sa *s, uint32_t seq_lo)
{
	uint32_t behind = (uint32_t)s->top - seq_lo;

	if (esn_reconstruct(s->top, seq_lo, s->lib_window) > s->top && behind >= s->lib_window &&
	    behind < UINT32_C(1) << 31 && s->top > behind)
		return SPG_DROP_REPLAY;
	return SPG_DROP_BAD_ICV;
}

/* The packet now starts at the inner header; it must at least look like IPv4. */
static bool inb_inner_ok(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t hlen;

	if (rte_pktmbuf_data_len(m) < sizeof(*ip) || (ip->version_ihl >> 4) != IPVERSION)
		return false;
	hlen = rte_ipv4_hdr_len(ip);
	if (hlen < sizeof(*ip) || hlen > rte_pktmbuf_data_len(m))
		return false;
	m->l2_len = 0;
	m->l3_len = hlen;
	return true;
}

/* One burst's working state, shared by the steps of esp_burst(). Packets are named by their
 * index x into in_mb[]; why[x] is SPG_OK only for those that made it through. */
struct esp_burst {
	struct rte_mbuf *in_mb[ESP_BURST_MAX], *work[ESP_BURST_MAX], *done[ESP_BURST_MAX];
	struct rte_crypto_op *ops[ESP_BURST_MAX], *deq[ESP_BURST_MAX];
	void *in_ctx[ESP_BURST_MAX];
	uint64_t sqn[ESP_BURST_MAX]; /* inbound: as reconstructed, and authenticated */
	uint16_t widx[ESP_BURST_MAX], ok[ESP_BURST_MAX];
	uint8_t why[ESP_BURST_MAX];
	uint16_t n_in, n_op, n_enq, n_deq, n_ok;
	bool outbound;
};

/* Takes group g's packets that may go to the device into b->work (inbound: those the replay
 * window lets through) and returns how many. */
static uint16_t burst_admit_group(struct esp_burst *b, const struct esp_group *g, const uint16_t order[],
				  struct rte_mbuf **gm, uint16_t *gidx)
{
	uint16_t n_grp = 0;

	for (uint16_t j = 0; j < g->cnt; j++) {
		uint16_t x = order[g->start + j];
		struct rte_mbuf *m = b->in_mb[x];

		m->ol_flags &= ~(RTE_MBUF_F_RX_SEC_OFFLOAD | RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED);
		if (b->outbound) {
			m->l2_len = 0;
		} else {
			const struct rte_esp_hdr *eh;

			m->l3_len += sizeof(struct rte_udp_hdr);
			eh = rte_pktmbuf_mtod_offset(m, const struct rte_esp_hdr *, m->l2_len + m->l3_len);
			b->sqn[x] = esn_reconstruct(g->sa->top, rte_be_to_cpu_32(eh->seq), g->sa->lib_window);
			if (!replay_fresh(g->sa, b->sqn[x])) {
				b->why[x] = SPG_DROP_REPLAY;
				continue;
			}
		}
		gm[n_grp] = m;
		gidx[n_grp++] = x;
	}
	return n_grp;
}

/* Each group's SA is read only when its turn comes: ask for its lines now (our line, the
 * session line, the rte_ipsec_sa's first ones), for every group. */
static void prefetch_groups(const struct esp_group g[], uint16_t ng)
{
	for (uint16_t i = 0; i < ng; i++)
		for (unsigned int l = 0; g[i].sa != NULL && l < SPG_ESP_SA_HOT_LINES; l++)
			rte_prefetch0(RTE_PTR_ADD(g[i].sa, l * RTE_CACHE_LINE_SIZE));
}

/* The crypto session's lines hang off the SA's session line: asked for CRYPTO_AHEAD groups
 * ahead, once that line had time to come. */
#define CRYPTO_AHEAD 2
static void prefetch_crypto_session(const struct esp_group g[], uint16_t ng, uint16_t i)
{
	if (i < ng && g[i].sa != NULL)
		spg_esp_sa_prefetch_crypto(g[i].sa);
}

/* The packets prepare refused (from k on, after follow_refusal), and why. */
static void refused_by_prepare(struct esp_burst *b, const uint16_t idx[], uint16_t k, uint16_t n)
{
	for (uint16_t j = k; j < n; j++)
		b->why[idx[j]] = b->outbound ? outb_prepare_failure(b->in_mb[idx[j]])
					     : inb_prepare_failure(b->in_mb[idx[j]]);
}

/* Lookaside: groups the burst by SA and has librte_ipsec prepare a crypto op for each packet. */
static void burst_prepare(struct esp_burst *b, struct spg_sa *sa[])
{
	struct esp_group g[ESP_BURST_MAX];
	uint16_t order[ESP_BURST_MAX];
	uint16_t ng = group_by_sa(sa, b->n_in, order, g);

	prefetch_groups(g, ng);
	for (uint16_t i = 0; i < CRYPTO_AHEAD; i++)
		prefetch_crypto_session(g, ng, i);
	for (uint16_t i = 0; i < ng; i++) {
		struct rte_mbuf **gm = &b->work[g[i].start];
		uint16_t *gidx = &b->widx[g[i].start];
		uint16_t n_grp, k;

		prefetch_crypto_session(g, ng, i + CRYPTO_AHEAD);
		/* a caller's slip, not the packets' fault: CRYPTO_ERROR rather than a crash */
		if (g[i].sa == NULL || g[i].sa->outbound != b->outbound)
			continue;
		n_grp = burst_admit_group(b, &g[i], order, gm, gidx);
		if (n_grp == 0)
			continue;
		k = rte_ipsec_pkt_crypto_prepare(&g[i].sa->ss, gm, &b->ops[b->n_op], n_grp);
		if (k != n_grp) {
			follow_refusal(b->in_mb, gm, gidx, n_grp, k);
			refused_by_prepare(b, gidx, k, n_grp);
		}
		for (uint16_t j = 0; j < k; j++)
			*op_tag(b->ops[b->n_op + j]) = gidx[j];
		b->n_op += k;
	}
}

/* Enqueues the prepared ops and collects them back. */
static void burst_crypto(struct spg_esp *esp, uint16_t qp, struct esp_burst *b)
{
	uint32_t spins = 0;

	if (b->n_op != 0)
		b->n_enq = rte_cryptodev_enqueue_burst(esp->dev_id, qp, b->ops, b->n_op);
	/* The software PMDs finish within the first dequeue. A device that does not return an
	 * op within the bound keeps it (and its mbuf): never seen with the software PMDs. */
	while (b->n_deq < b->n_enq && spins < ESP_DEQUEUE_SPINS) {
		uint16_t got = rte_cryptodev_dequeue_burst(esp->dev_id, qp, &b->deq[b->n_deq], b->n_enq - b->n_deq);

		b->n_deq += got;
		spins += got == 0;
	}
}

/*
 * Has librte_ipsec finish n packets of SA s that the device processed successfully (mb[j]
 * is packet idx[j]), then the last checks: inbound, the replay window and the inner header.
 */
static void burst_finish(struct esp_burst *b, struct spg_sa *s, struct rte_mbuf *mb[], uint16_t idx[], uint16_t n)
{
	uint16_t k = rte_ipsec_pkt_process(&s->ss, mb, n);

	if (k != n) {
		follow_refusal(b->in_mb, mb, idx, n, k);
		for (uint16_t j = k; j < n; j++) {
			uint16_t x = idx[j];

			if (!b->outbound)
				b->why[x] = b->in_mb[x]->l3_len == 0 ? SPG_DROP_REPLAY : SPG_DROP_MALFORMED_ESP;
		}
	}
	for (uint16_t j = 0; j < k; j++) {
		uint16_t x = idx[j];

		if (b->outbound) {
			b->in_mb[x]->ol_flags &= ~RTE_MBUF_F_RX_SEC_OFFLOAD;
		} else {
			if (!replay_record(s, b->sqn[x])) {
				b->why[x] = SPG_DROP_REPLAY;
				continue;
			}
			if (!inb_inner_ok(b->in_mb[x])) {
				b->why[x] = SPG_DROP_MALFORMED_ESP;
				continue;
			}
		}
		b->why[x] = SPG_OK;
		b->ok[b->n_ok++] = x;
	}
}

/* Lookaside: regroups what came back by SA and has librte_ipsec finish each group. */
static void burst_process(struct esp_burst *b)
{
	struct rte_ipsec_group grp[ESP_BURST_MAX];
	uint16_t ng;

	/* (its VLAs must not be empty) */
	ng = b->n_deq == 0 ? 0
			   : rte_ipsec_pkt_crypto_group((const struct rte_crypto_op **)(uintptr_t)b->deq,
							b->done, grp, b->n_deq);
	for (uint16_t i = 0; i < ng; i++) {
		const struct rte_ipsec_session *ss = grp[i].id.ptr;
		struct spg_sa *s = sa_of_session(ss);
		uint16_t first = (uint16_t)(grp[i].m - b->done), n_good = 0;

		for (uint16_t j = 0; j < grp[i].cnt; j++) {
			struct rte_crypto_op *op = b->deq[first + j];
			uint16_t x = *op_tag(op);

			if (op->status == RTE_CRYPTO_OP_STATUS_SUCCESS) {
				b->work[n_good] = b->done[first + j];
				b->widx[n_good++] = x;
			} else if (!b->outbound && op->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED) {
				b->why[x] = inb_auth_failure(s, (uint32_t)b->sqn[x]);
			}
		}
		if (n_good != 0)
			burst_finish(b, s, b->work, b->widx, n_good);
	}
}

/*
 * CPU crypto: group after group, prepare and crypto in one library call, then finish. The
 * device's failures are flagged in the mbufs and go no further (see the top of the file).
 */
static void burst_cpu(struct esp_burst *b, struct spg_sa *sa[])
{
	struct esp_group g[ESP_BURST_MAX];
	uint16_t order[ESP_BURST_MAX];
	uint16_t ng = group_by_sa(sa, b->n_in, order, g);

	prefetch_groups(g, ng);
	for (uint16_t i = 0; i < CRYPTO_AHEAD; i++)
		prefetch_crypto_session(g, ng, i);
	for (uint16_t i = 0; i < ng; i++) {
		struct spg_sa *s = g[i].sa;
		struct rte_mbuf **gm = &b->work[g[i].start];
		uint16_t *gidx = &b->widx[g[i].start];
		uint16_t n_grp, k, n_good = 0;

		prefetch_crypto_session(g, ng, i + CRYPTO_AHEAD);
		if (s == NULL || s->outbound != b->outbound)
			continue;
		n_grp = burst_admit_group(b, &g[i], order, gm, gidx);
		if (n_grp == 0)
			continue;
		k = rte_ipsec_pkt_cpu_prepare(&s->ss, gm, n_grp);
		if (k != n_grp) {
			follow_refusal(b->in_mb, gm, gidx, n_grp, k);
			refused_by_prepare(b, gidx, k, n_grp);
		}
		for (uint16_t j = 0; j < k; j++) {
			uint16_t x = gidx[j];

			if (unlikely(gm[j]->ol_flags & RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED)) {
				b->why[x] = b->outbound ? SPG_DROP_CRYPTO_ERROR : inb_auth_failure(s, (uint32_t)b->sqn[x]);
				continue;
			}
			gm[n_good] = gm[j];
			gidx[n_good++] = x;
		}
		if (n_good != 0)
			burst_finish(b, s, gm, gidx, n_good);
	}
}

/* Successes first, then failures with their reasons, as the contract says. */
static uint16_t burst_report(const struct esp_burst *b, struct rte_mbuf *mb[], void *ctx[], uint16_t n,
			     uint8_t reason[])
{
	uint16_t pos;

	for (pos = 0; pos < b->n_ok; pos++) {
		mb[pos] = b->in_mb[b->ok[pos]];
		ctx[pos] = b->in_ctx[b->ok[pos]];
		reason[pos] = SPG_OK;
	}
	for (uint16_t i = 0; i < b->n_in; i++) {
		if (b->why[i] == SPG_OK)
			continue;
		mb[pos] = b->in_mb[i];
		ctx[pos] = b->in_ctx[i];
		reason[pos++] = b->why[i];
	}
	/* more than the contract allows: refused untouched, where they are */
	for (uint16_t i = b->n_in; i < n; i++)
		reason[i] = SPG_DROP_CRYPTO_ERROR;
	return b->n_ok;
}

static uint16_t esp_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
			  struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[],
			  bool outbound)
{
	struct esp_burst b;

	b.outbound = outbound;
	b.n_op = b.n_enq = b.n_deq = b.n_ok = 0;
	b.n_in = RTE_MIN(n, (uint16_t)ESP_BURST_MAX);
	for (uint16_t i = 0; i < b.n_in; i++) {
		b.in_mb[i] = mb[i];
		b.in_ctx[i] = ctx[i];
		/* every path that does not end in success names its reason */
		b.why[i] = SPG_DROP_CRYPTO_ERROR;
	}
	if (b.n_in != 0 && esp->cpu_crypto) {
		burst_cpu(&b, sa);
	} else if (b.n_in != 0 &&
		   rte_crypto_op_bulk_alloc(esp->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, b.ops, b.n_in) != 0) {
		burst_prepare(&b, sa);
		burst_crypto(esp, qp, &b);
		burst_process(&b);
		/* back to the pool: what came back, and what never went to the device */
		rte_mempool_put_bulk(esp->op_pool, (void **)b.deq, b.n_deq);
		rte_mempool_put_bulk(esp->op_pool, (void **)&b.ops[b.n_enq], b.n_in - b.n_enq);
	}
	return burst_report(&b, mb, ctx, n, reason);
}

uint16_t spg_esp_outbound_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
				struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[])
{
	return esp_burst(esp, qp, mb, sa, ctx, n, reason, true);
}

uint16_t spg_esp_inbound_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
			       struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[])
{
	return esp_burst(esp, qp, mb, sa, ctx, n, reason, false);
}
