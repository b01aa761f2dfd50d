/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP set-up: the crypto device, its session pool, the SA array and each SA's crypto
 * session, rte_ipsec_sa and replay window; and the outer headers' last touches. What
 * librte_ipsec does and does not do for us is told at the top of esp.c.
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
#include "esp_int.h"

static unsigned int esp_instances; /* names the pools of each spg_esp uniquely */

static void sa_params(const struct spg_esp *esp, bool outbound, uint32_t spi_host, uint32_t salt,
		      uint32_t src_addr, struct rte_crypto_sym_xform *xf, struct rte_ipv4_hdr *outer,
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
		outer->src_addr = src_addr;
		prm->flags = RTE_IPSEC_SAFLAG_SQN_ATOM;
		prm->ipsec_xform.direction = RTE_SECURITY_IPSEC_SA_DIR_EGRESS;
		prm->ipsec_xform.options.udp_encap = 1;
		prm->ipsec_xform.udp.sport = esp->udp_port;
		prm->ipsec_xform.udp.dport = 0; /* the session's endpoint, per packet */
		prm->tun.hdr = outer;
		prm->tun.hdr_len = sizeof(*outer);
		prm->tun.hdr_l3_off = 0;
	} else {
		/* Several workers may prepare packets of one inbound SA at once: with SQN_ATOM the
		 * library's prepare reads its window under its reader lock while a process()
		 * (which esp.c serialises per SA with spg_sa.lock, as the flag requires) updates a
		 * copy. */
		prm->flags = RTE_IPSEC_SAFLAG_SQN_ATOM;
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
	sa_params(esp, false, 256, 0, esp->local_addr, &xf, &outer, &prm);
	in = rte_ipsec_sa_size(&prm);
	gcm_xform(esp, true, zero_key, &xf);
	sa_params(esp, true, 256, 0, esp->local_addr, &xf, &outer, &prm);
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
	if (esp->sa_mem == NULL)
		return -ENOMEM;
	/* Hand out low addresses first: the stack's top is SA 0. (This touches every SA's first
	 * line now rather than at its first install.) */
	for (uint32_t i = 0; i < cfg->max_sas; i++)
		sa_at(esp, i)->next_free = i + 1 < cfg->max_sas ? i + 1 : SA_FREE_END;
	esp->sa_free_head = 0;
	esp->n_sa_free = cfg->max_sas;
	rte_spinlock_init(&esp->sa_lock);
	return 0;
}

static struct spg_sa *sa_get(struct spg_esp *esp)
{
	struct spg_sa *s = NULL;

	rte_spinlock_lock(&esp->sa_lock);
	if (esp->sa_free_head != SA_FREE_END) {
		s = sa_at(esp, esp->sa_free_head);
		esp->sa_free_head = s->next_free;
		esp->n_sa_free--;
	}
	rte_spinlock_unlock(&esp->sa_lock);
	return s;
}

static void sa_put(struct spg_esp *esp, struct spg_sa *s)
{
	uint32_t i = (uint32_t)(((uint8_t *)s - esp->sa_mem) / esp->sa_size);

	rte_spinlock_lock(&esp->sa_lock);
	s->next_free = esp->sa_free_head;
	esp->sa_free_head = i;
	esp->n_sa_free++;
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
	/* spg_sa.seen_ofs and replay_mask are 16 bits wide */
	RTE_BUILD_BUG_ON(ESP_REPLAY_WINDOW_MAX / 64 * 2 > UINT16_MAX + 1);
	if (sizeof(struct spg_sa) + esp->sa_lib_size > UINT16_MAX) {
		rc = ENOTSUP;
		goto fail;
	}

	rc = crypto_device_open(esp, cfg);
	if (rc != 0)
		goto fail;
	esp->max_sas = cfg->max_sas;
	rc = esp_native_open(esp, cfg);
	if (rc != 0)
		goto fail;
	/* Nor an rte_ipsec_sa: SAs shrink to our two lines (and a window too wide for the first) */
	if (esp->native_out && esp->native_in)
		esp->sa_lib_size = 0;

	rc = ENOMEM;
	snprintf(name, sizeof(name), "spg_esp%u_ses", instance);
	/* With both directions native no SA takes a cryptodev session (1,600 bytes each on
	 * crypto_aesni_mb): the device's queue pairs still want a pool, a token one. */
	esp->sess_pool = rte_cryptodev_sym_session_pool_create(
		name, esp->native_out && esp->native_in ? ESP_TOKEN_SESSIONS : cfg->max_sas,
		rte_cryptodev_sym_get_private_session_size(esp->dev_id), 0, 0, cfg->socket_id);
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
	if (s->native) {
		esp_native_sa_release(esp, s);
	} else {
		rte_ipsec_sa_fini(sa_lib(s));
		rte_cryptodev_sym_session_free(esp->dev_id, s->ss.crypto.ses);
	}
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
	esp_native_close(esp);
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

/* An inbound SA's anti-replay window (either path): empty, its lock free. */
static void sa_replay_init(const struct spg_esp *esp, struct spg_sa *s)
{
	s->seen_ofs = (uint16_t)(esp->replay_words <= SA_INLINE_WORDS ? offsetof(struct spg_sa, seen_inline)
								       : sizeof(*s) + esp->sa_lib_size);
	rte_spinlock_init(&s->lock);
	memset(sa_seen(s), 0, esp->replay_words * sizeof(uint64_t));
	s->replay_mask = (uint16_t)(esp->replay_words - 1);
	s->window = esp->replay_window;
	s->lib_window = esp->lib_window;
}

struct spg_sa *spg_sa_create(struct spg_esp *esp, const struct spg_dp_sa_keys *keys, bool outbound)
{
	return spg_sa_create_from(esp, keys, outbound, 0);
}

struct spg_sa *spg_sa_create_from(struct spg_esp *esp, const struct spg_dp_sa_keys *keys, bool outbound,
				  uint32_t src_addr)
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
	if (src_addr == 0)
		src_addr = esp->local_addr;
	if (outbound && esp->native_out) {
		esp_native_sa_init(esp, s, keys, src_addr);
		s->spi = keys->spi;
		s->outbound = true;
		s->in_use = true;
		return s;
	}
	if (!outbound && esp->native_in) {
		esp_native_sa_init_in(esp, s, keys);
		sa_replay_init(esp, s);
		s->spi = keys->spi;
		s->in_use = true;
		return s;
	}

	gcm_xform(esp, outbound, keys->key, &xf);
	ses = rte_cryptodev_sym_session_create(esp->dev_id, &xf, esp->sess_pool);
	if (ses == NULL) {
		rc = rte_errno == ENOMEM ? ENOSPC : rte_errno;
		goto fail;
	}
	/* The library copies the salt into the nonce as it lies in memory (network order). */
	memcpy(&salt, keys->salt, sizeof(salt));
	sa_params(esp, outbound, rte_be_to_cpu_32(keys->spi), salt, src_addr, &xf, &outer, &prm);
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
	sa_replay_init(esp, s);
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

void spg_esp_sa_prefetch_crypto(const struct spg_esp *esp, const struct spg_sa *sa, uint32_t len)
{
	if (sa->native) {
		esp_key_lines_prefetch(esp, sa, len);
		return;
	}
	for (unsigned int l = 0; l < sa->crypto_lines; l++)
		rte_prefetch0(RTE_PTR_ADD(sa->ss.crypto.ses, l * RTE_CACHE_LINE_SIZE));
}

bool spg_esp_cpu_crypto(const struct spg_esp *esp)
{
	return esp->cpu_crypto;
}

bool spg_esp_native_outbound(const struct spg_esp *esp)
{
	return esp->native_out;
}

bool spg_esp_native_inbound(const struct spg_esp *esp)
{
	return esp->native_in;
}

uint32_t spg_esp_native_key_bytes(const struct spg_esp *esp)
{
	return esp->native_out || esp->native_in ? esp->gcm_key_size : 0;
}

void spg_esp_sa_usage(const struct spg_esp *esp, uint32_t *bytes_per_sa, uint32_t *in_use)
{
	*bytes_per_sa = esp->sa_size;
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

