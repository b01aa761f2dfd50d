/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The crypto limit: the same PMD as the pipeline (crypto_aesni_mb, an instance of its own)
 * doing AES-GCM with ESN-sized AAD on buffers of the pipeline's ESP payload length, bursts
 * of 32, the way the pipeline calls it: synchronous CPU crypto
 * (rte_cryptodev_sym_cpu_crypto_process) when the pipeline uses it, else rte_cryptodev
 * enqueue/dequeue with ops allocated and freed per burst. Nothing else: no ESP headers, no
 * SA lookups, no packet I/O.
 */
#ifndef SPG_BENCH_BASELINE_H
#define SPG_BENCH_BASELINE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "bench.h"
#include "traffic.h"

struct bench_crypto {
	uint8_t dev_id;
	bool cpu; /* CPU crypto, else enqueue/dequeue */
	bool created;
	bool started;
	struct rte_mempool *sess_pool;
	struct rte_mempool *op_pool;
	struct rte_mempool *mbuf_pool;
	void *sess[2][2]; /* [enum spg_cipher][decrypt] */
	struct rte_mbuf *src[BENCH_BURST];
	/* Lookaside decryption writes here, so the ciphertext stays valid; CPU crypto works in
	 * place only, so this holds the sealed copy that is put back before each burst. */
	struct rte_mbuf *dst[BENCH_BURST];
};

/* cpu: CPU crypto, when the device has it (c->cpu says). 0 or -errno. */
int bench_crypto_create(struct bench_crypto *c, bool cpu);
void bench_crypto_free(struct bench_crypto *c);

/*
 * Sets the buffers up for len-byte payloads (decrypt: sealed once, so that every tag
 * verifies). 0 or -errno.
 */
int bench_crypto_prepare(struct bench_crypto *c, enum spg_cipher cipher, bool decrypt, uint16_t len);
/*
 * Runs bursts for at least `cycles` TSC cycles; adds what it did to *out. 0, -EIO when the
 * device failed an operation, or another -errno.
 */
int bench_crypto_run(struct bench_crypto *c, enum spg_cipher cipher, bool decrypt, uint16_t len, uint64_t cycles,
		     struct bench_rate *out);

void bench_rate_finish(struct bench_rate *r);

#endif
