/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dataplane built by spg_dp_init exactly as spgate-dp builds it, over two ring-backed
 * ethdevs (vendor: RX ring / TX ring, SP: RX ring / TX ring) whose names are the devargs,
 * so port setup finds them instead of probing. Next hops are learned up front.
 */
#ifndef SPG_BENCH_ENV_H
#define SPG_BENCH_ENV_H

#include <stdint.h>

#include <rte_ring.h>

#include "bench.h"
#include "dp.h"
#include "traffic.h"

enum bench_ring { RING_VENDOR_RX, RING_VENDOR_TX, RING_SP_RX, RING_SP_TX, RING_N };

struct bench_env {
	struct spg_dp dp;
	struct bench_plan plan;
	unsigned int instance;
	struct rte_ring *rings[RING_N];
	bool port_made[SPG_DP_N_PORTS];
	bool dp_ready;
	bool rcu_registered;
	uint32_t installed;  /* sessions 0..installed-1 are in the table */
	uint32_t *next_seq;  /* per session: last ESP sequence number the SP side sent */
	uint32_t *order;     /* BENCH_ORDER_LEN random session indexes ... */
	uint32_t order_n;    /* ... below this count */
	bool rec_discard;    /* the loop empties the recorder's ring after each burst (record.h) */
};

/* Snapshot of what sessions can take: heap, the crypto-session pool and esp.c's SAs. */
struct bench_mem_snap {
	uint64_t heap;
	uint64_t crypto_in_use;
	uint64_t sa_in_use;
	uint32_t crypto_obj;
	uint32_t crypto_elt;
	uint32_t sa_obj;
};

/*
 * Builds the dataplane for capacity sessions with one worker on worker_lcore (the calling
 * lcore for the single-lcore matrix). 0 or -errno; bench_env_free undoes any part.
 */
int bench_env_create(struct bench_env *e, enum spg_cipher cipher, uint32_t capacity, unsigned int worker_lcore,
		     uint64_t seed, bool lookaside, bool library_outbound);
void bench_env_free(struct bench_env *e);

/* Installs sessions installed..to-1 with spg_session_add; times the calls alone. */
int bench_env_install(struct bench_env *e, uint32_t to, struct bench_install *out);

/* Makes e->order a random walk over sessions 0..n-1 (rebuilt only when n changes). */
void bench_env_order(struct bench_env *e, uint32_t n, uint64_t seed);

void bench_mem_snap(const struct spg_esp *esp, struct bench_mem_snap *s);
/* Bytes spgate's session table preallocates per slot of capacity (table made and freed). */
double bench_table_bytes_per_slot(uint32_t capacity, unsigned int n_workers);
/* What rte_ipsec_sa_size says an SA of either direction needs, as esp.c asks it. */
uint32_t bench_ipsec_sa_size(uint8_t key_len, uint32_t replay_window);

#endif
