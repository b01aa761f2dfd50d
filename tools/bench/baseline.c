/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "baseline.h"

/* Named apart from the pipeline's "crypto_aesni_mb"; the vdev bus matches the driver by
 * prefix, so it is the same PMD. */
#define LIMIT_DEVICE "crypto_aesni_mb_limit"
#define LIMIT_DESCRIPTORS 256 /* as the pipeline's queue pairs */
#define LIMIT_OPS 1024
#define LIMIT_OP_CACHE 32
/* Op private area: the 12-byte GCM nonce (room for a counter block), then the AAD. */
#define LIMIT_IV_OFS (sizeof(struct rte_crypto_op) + sizeof(struct rte_crypto_sym_op))
#define LIMIT_AAD_OFS (LIMIT_IV_OFS + 16)
#define LIMIT_OP_PRIV 32
#define ESP_HDR_IV 16
#define GCM_NONCE 12
#define GCM_AAD_ESN 12
#define GCM_ICV 16

void bench_rate_finish(struct bench_rate *r)
{
	double hz = (double)rte_get_tsc_hz();

	r->cycles_per_pkt = r->packets != 0 ? (double)r->cycles / (double)r->packets : 0.0;
	r->mpps = r->cycles != 0 ? (double)r->packets * hz / (double)r->cycles / 1e6 : 0.0;
}

static int device_start(struct bench_crypto *c, int socket)
{
	struct rte_cryptodev_config conf = {
		.socket_id = socket,
		.nb_queue_pairs = 1,
		.ff_disable = RTE_CRYPTODEV_FF_ASYMMETRIC_CRYPTO | RTE_CRYPTODEV_FF_SECURITY,
	};
	struct rte_cryptodev_qp_conf qp = {
		.nb_descriptors = LIMIT_DESCRIPTORS,
		.mp_session = c->sess_pool,
	};

	if (rte_cryptodev_configure(c->dev_id, &conf) != 0 ||
	    rte_cryptodev_queue_pair_setup(c->dev_id, 0, &qp, socket) != 0 || rte_cryptodev_start(c->dev_id) != 0)
		return -EIO;
	c->started = true;
	return 0;
}

static void *session_create(struct bench_crypto *c, enum spg_cipher cipher, bool decrypt)
{
	static const uint8_t key[32] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15,
					 0x88, 0x09, 0xcf, 0x4f, 0x3c, 0x60, 0x3d, 0xeb, 0x10, 0x15, 0xca,
					 0x71, 0xbe, 0x2b, 0x73, 0xae, 0xf0, 0x85, 0x7d, 0x77, 0x81 };
	struct rte_crypto_sym_xform xf = {
		.type = RTE_CRYPTO_SYM_XFORM_AEAD,
		.aead = {
			.op = decrypt ? RTE_CRYPTO_AEAD_OP_DECRYPT : RTE_CRYPTO_AEAD_OP_ENCRYPT,
			.algo = RTE_CRYPTO_AEAD_AES_GCM,
			.key = { .data = key, .length = spg_cipher_key_len(cipher) },
			.iv = { .offset = LIMIT_IV_OFS, .length = GCM_NONCE },
			.digest_length = GCM_ICV,
			.aad_length = GCM_AAD_ESN,
		},
	};

	return rte_cryptodev_sym_session_create(c->dev_id, &xf, c->sess_pool);
}

int bench_crypto_create(struct bench_crypto *c, bool cpu)
{
	struct rte_cryptodev_info info;
	int socket = (int)rte_socket_id();
	int id, rc;

	memset(c, 0, sizeof(*c));
	id = rte_cryptodev_get_dev_id(LIMIT_DEVICE);
	if (id < 0) {
		if (rte_eal_hotplug_add("vdev", LIMIT_DEVICE, "max_nb_queue_pairs=1") != 0)
			return -ENODEV;
		c->created = true;
		id = rte_cryptodev_get_dev_id(LIMIT_DEVICE);
		if (id < 0)
			return -ENODEV;
	}
	c->dev_id = (uint8_t)id;
	rte_cryptodev_info_get(c->dev_id, &info);
	c->cpu = cpu && (info.feature_flags & RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO) != 0;
	c->sess_pool = rte_cryptodev_sym_session_pool_create(
		"bench_lim_ses", 8, rte_cryptodev_sym_get_private_session_size(c->dev_id), 0, 0, socket);
	c->op_pool = rte_crypto_op_pool_create("bench_lim_ops", RTE_CRYPTO_OP_TYPE_SYMMETRIC, LIMIT_OPS,
					       LIMIT_OP_CACHE, LIMIT_OP_PRIV, socket);
	c->mbuf_pool = rte_pktmbuf_pool_create("bench_lim_mbufs", 4 * BENCH_BURST - 1, 0, 0,
					       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (c->sess_pool == NULL || c->op_pool == NULL || c->mbuf_pool == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = device_start(c, socket);
	if (rc != 0)
		goto fail;
	for (int ci = 0; ci < 2; ci++) {
		for (int d = 0; d < 2; d++) {
			c->sess[ci][d] = session_create(c, (enum spg_cipher)ci, d != 0);
			if (c->sess[ci][d] == NULL) {
				rc = -ENOTSUP;
				goto fail;
			}
		}
	}
	if (rte_pktmbuf_alloc_bulk(c->mbuf_pool, c->src, BENCH_BURST) != 0 ||
	    rte_pktmbuf_alloc_bulk(c->mbuf_pool, c->dst, BENCH_BURST) != 0) {
		rc = -ENOMEM;
		goto fail;
	}
	return 0;

fail:
	bench_crypto_free(c);
	return rc;
}

void bench_crypto_free(struct bench_crypto *c)
{
	for (int ci = 0; ci < 2; ci++)
		for (int d = 0; d < 2; d++)
			if (c->sess[ci][d] != NULL)
				rte_cryptodev_sym_session_free(c->dev_id, c->sess[ci][d]);
	for (int k = 0; k < BENCH_BURST; k++) {
		rte_pktmbuf_free(c->src[k]);
		rte_pktmbuf_free(c->dst[k]);
	}
	if (c->started)
		rte_cryptodev_stop(c->dev_id);
	if (c->created)
		rte_eal_hotplug_remove("vdev", LIMIT_DEVICE);
	rte_mempool_free(c->mbuf_pool);
	rte_mempool_free(c->op_pool);
	rte_mempool_free(c->sess_pool);
	memset(c, 0, sizeof(*c));
}

/* Sets the buffers up as ESP packets would be laid out: ESP header + IV, payload, ICV. */
static void buffers_prepare(struct bench_crypto *c, uint16_t len)
{
	for (int k = 0; k < BENCH_BURST; k++) {
		struct rte_mbuf *bufs[2] = { c->src[k], c->dst[k] };

		for (int j = 0; j < 2; j++) {
			uint16_t total = (uint16_t)(ESP_HDR_IV + len + GCM_ICV);
			uint8_t *d;

			rte_pktmbuf_reset(bufs[j]);
			d = (uint8_t *)rte_pktmbuf_append(bufs[j], total);
			for (uint16_t b = 0; b < total; b++)
				d[b] = (uint8_t)(b * 13 + k);
		}
	}
}

/* salt || IV, and SPI || sequence high || sequence low, as an ESN SA's packet has */
static void nonce_aad_fill(uint8_t *iv, uint8_t *aad, int k)
{
	uint32_t seq = rte_cpu_to_be_32((uint32_t)k + 1);

	memset(iv, 0xa5, 4);
	memset(iv + 4, 0, 4);
	memcpy(iv + 8, &seq, 4);
	memset(aad, 0x11, 4);
	memset(aad + 4, 0, 4);
	memcpy(aad + 8, &seq, 4);
}

static void op_fill(struct bench_crypto *c, struct rte_crypto_op *op, void *sess, int k, uint16_t len,
		    bool out_of_place)
{
	struct rte_crypto_sym_op *sym = op->sym;
	struct rte_mbuf *m = c->src[k];
	uint8_t *iv = rte_crypto_op_ctod_offset(op, uint8_t *, LIMIT_IV_OFS);
	uint8_t *aad = rte_crypto_op_ctod_offset(op, uint8_t *, LIMIT_AAD_OFS);

	rte_crypto_op_attach_sym_session(op, sess);
	sym->m_src = m;
	sym->m_dst = out_of_place ? c->dst[k] : NULL;
	sym->aead.data.offset = ESP_HDR_IV;
	sym->aead.data.length = len;
	sym->aead.digest.data = rte_pktmbuf_mtod_offset(m, uint8_t *, ESP_HDR_IV + len);
	sym->aead.digest.phys_addr = rte_pktmbuf_iova_offset(m, ESP_HDR_IV + len);
	sym->aead.aad.data = aad;
	sym->aead.aad.phys_addr = rte_crypto_op_ctophys_offset(op, LIMIT_AAD_OFS);
	nonce_aad_fill(iv, aad, k);
}

/*
 * One burst of CPU crypto, in place; returns the packets that succeeded, or -EIO. Decryption
 * first puts the sealed copy back (the pipeline too gets fresh packets every time): a copy
 * of ESP header + payload + ICV per packet, counted in the limit's time.
 */
static int cpu_burst(struct bench_crypto *c, void *sess, uint16_t len, bool decrypt)
{
	const uint32_t total = ESP_HDR_IV + len + GCM_ICV;
	struct rte_crypto_va_iova_ptr iv[BENCH_BURST], aad[BENCH_BURST], dgst[BENCH_BURST];
	struct rte_crypto_vec vec[BENCH_BURST];
	struct rte_crypto_sgl sgl[BENCH_BURST];
	uint8_t ivb[BENCH_BURST][16], aadb[BENCH_BURST][16];
	int32_t status[BENCH_BURST];
	struct rte_crypto_sym_vec sv = {
		.num = BENCH_BURST, .src_sgl = sgl, .iv = iv, .digest = dgst, .aad = aad, .status = status,
	};
	union rte_crypto_sym_ofs ofs = { .raw = 0 };
	uint32_t ok;

	ofs.ofs.cipher.head = ESP_HDR_IV;
	for (int k = 0; k < BENCH_BURST; k++) {
		uint8_t *d = rte_pktmbuf_mtod(c->src[k], uint8_t *);

		if (decrypt)
			memcpy(d, rte_pktmbuf_mtod(c->dst[k], uint8_t *), total);
		vec[k] = (struct rte_crypto_vec){ .base = d, .iova = rte_pktmbuf_iova(c->src[k]),
						  .len = ESP_HDR_IV + len, .tot_len = ESP_HDR_IV + len };
		sgl[k] = (struct rte_crypto_sgl){ .vec = &vec[k], .num = 1 };
		nonce_aad_fill(ivb[k], aadb[k], k);
		iv[k] = (struct rte_crypto_va_iova_ptr){ .va = ivb[k] };
		aad[k] = (struct rte_crypto_va_iova_ptr){ .va = aadb[k] };
		dgst[k] = (struct rte_crypto_va_iova_ptr){ .va = d + ESP_HDR_IV + len,
							   .iova = rte_pktmbuf_iova_offset(c->src[k], ESP_HDR_IV + len) };
	}
	ok = rte_cryptodev_sym_cpu_crypto_process(c->dev_id, sess, ofs, &sv);
	return ok == BENCH_BURST ? (int)ok : -EIO;
}

/* One burst through the device; returns the ops that came back successful, or -EIO. */
static int burst(struct bench_crypto *c, void *sess, uint16_t len, bool out_of_place)
{
	struct rte_crypto_op *ops[BENCH_BURST], *done[BENCH_BURST];
	uint16_t enq, deq = 0;
	int ok = 0;

	if (rte_crypto_op_bulk_alloc(c->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, ops, BENCH_BURST) == 0)
		return -ENOMEM;
	for (int k = 0; k < BENCH_BURST; k++)
		op_fill(c, ops[k], sess, k, len, out_of_place);
	enq = rte_cryptodev_enqueue_burst(c->dev_id, 0, ops, BENCH_BURST);
	while (deq < enq)
		deq += rte_cryptodev_dequeue_burst(c->dev_id, 0, &done[deq], enq - deq);
	for (uint16_t k = 0; k < deq; k++)
		ok += done[k]->status == RTE_CRYPTO_OP_STATUS_SUCCESS;
	rte_mempool_put_bulk(c->op_pool, (void **)done, deq);
	if (enq < BENCH_BURST)
		rte_mempool_put_bulk(c->op_pool, (void **)&ops[enq], BENCH_BURST - enq);
	return ok == BENCH_BURST ? ok : -EIO;
}

int bench_crypto_run(struct bench_crypto *c, enum spg_cipher cipher, bool decrypt, uint16_t len, uint64_t cycles,
		     struct bench_rate *out)
{
	void *sess = c->sess[cipher][decrypt];
	uint64_t start = rte_rdtsc(), now = start;
	int rc;

	while (now - start < cycles) {
		rc = c->cpu ? cpu_burst(c, sess, len, decrypt) : burst(c, sess, len, decrypt);
		if (rc < 0)
			return rc;
		out->packets += (uint64_t)rc;
		now = rte_rdtsc();
	}
	out->cycles += now - start;
	return 0;
}

int bench_crypto_prepare(struct bench_crypto *c, enum spg_cipher cipher, bool decrypt, uint16_t len)
{
	if (ESP_HDR_IV + len + GCM_ICV > RTE_MBUF_DEFAULT_DATAROOM)
		return -EINVAL;
	buffers_prepare(c, len);
	/* Lookaside decrypts out of place, so the sealed sources verify every time, as in the
	 * pipeline; CPU crypto restores them from the sealed copies in dst. */
	if (decrypt && c->cpu) {
		int rc = cpu_burst(c, c->sess[cipher][0], len, false);

		for (int k = 0; rc >= 0 && k < BENCH_BURST; k++)
			memcpy(rte_pktmbuf_mtod(c->dst[k], uint8_t *), rte_pktmbuf_mtod(c->src[k], uint8_t *),
			       ESP_HDR_IV + len + GCM_ICV);
		return rc < 0 ? rc : 0;
	}
	if (decrypt) {
		int rc = burst(c, c->sess[cipher][0], len, false);

		return rc < 0 ? rc : 0;
	}
	return 0;
}
