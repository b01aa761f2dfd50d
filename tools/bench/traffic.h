/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Synthetic traffic for spgate-bench: the addressing plan, the sessions' parameters, and a
 * generator that fills an RX ring with frames as a NIC would: outbound TCP from each
 * session's workstation to its V_i, inbound ESP-in-UDP from each session's SP site.
 */
#ifndef SPG_BENCH_TRAFFIC_H
#define SPG_BENCH_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "bench.h"
#include "dp_api.h"

#define BENCH_BURST 32
#define BENCH_MIN_SIZE 40 /* IPv4 + TCP headers */
#define BENCH_FRAME_MAX 2048
/* Length of the pre-built random sequence of sessions the generators walk through. */
#define BENCH_ORDER_LEN (1u << 22)
/* The port TCP traffic goes to on the SP, and the workstations' port. */
#define BENCH_SERVICE_PORT 443
#define BENCH_CLIENT_PORT 40022
#define BENCH_N_WORKSTATIONS 224
/* Up to this many sessions, the sealer keeps a keyed OpenSSL context per session. */
#define BENCH_EVP_CACHE 65536
/* Table slots beyond the sessions installed (see bench_run_cipher). */
#define BENCH_CAPACITY_SLACK 64

/* Who is where; addresses in network order. Documentation ranges only, except the virtual
 * pool for more sessions than 198.18.0.0/15 holds (see bench_plan_init). */
struct bench_plan {
	enum spg_cipher cipher;
	uint8_t key_len;
	uint64_t seed;
	uint32_t vendor_addr; /* vendor port, workstations on its /24 */
	uint32_t sp_addr;     /* SP port: G_out */
	uint32_t sp_next_hop; /* the SP sites are behind it */
	uint32_t pool_addr;
	uint8_t pool_prefix_len;
	uint32_t shared_addr; /* S */
	uint32_t inner_addr;  /* G_in */
	uint16_t esp_port;
	struct rte_ether_addr vendor_mac; /* the ports' MACs, known after spg_dp_init */
	struct rte_ether_addr sp_mac;
};

void bench_plan_init(struct bench_plan *p, enum spg_cipher cipher, uint32_t capacity, uint64_t seed);
/* The full parameters of session i (0-based) as spgate-control would send them. */
void bench_session_params(const struct bench_plan *p, uint32_t i, struct spg_dp_session_params *out);
uint32_t bench_workstation_addr(uint32_t k); /* k < BENCH_N_WORKSTATIONS */
struct rte_ether_addr bench_workstation_mac(uint32_t k);
struct rte_ether_addr bench_next_hop_mac(void);

/* ESP payload the crypto device processes for an inner packet of size bytes. */
uint16_t bench_esp_crypto_len(uint16_t size);

/* A uniformly random walk over sessions 0..n-1, len entries. */
void bench_order_fill(uint32_t *order, uint32_t len, uint32_t n, uint64_t seed);

struct bench_gen {
	enum bench_dir dir;
	const struct bench_plan *plan;
	struct rte_mempool *pool;
	struct rte_ring *ring; /* RX ring of the port being fed */
	uint16_t frame_len;
	uint16_t size;
	uint32_t n_sessions;
	const uint32_t *order;
	uint32_t order_pos;
	uint64_t generated;
	/* outbound: one template, addresses and checksums patched per packet */
	uint8_t *tmpl;
	uint32_t ip_sum;  /* one's complement sums of the template with zero addresses */
	uint32_t tcp_sum;
	/* inbound: blocks of ESP frames sealed ahead of time, each sent once */
	uint8_t *block;
	uint32_t block_cap;
	uint32_t block_n;
	uint32_t block_pos;
	uint32_t spare_pos; /* the bare loop's cursor, so it never moves the pipeline's */
	uint32_t *next_seq; /* per session, shared by every generator of the same SAs */
	uint8_t *plain;     /* inner packet + ESP trailer, identical for all packets */
	uint16_t crypto_len;
	void *evp;          /* EVP_CIPHER_CTX, keyed per packet */
	void **evp_keyed;   /* per session, keyed once (up to BENCH_EVP_CACHE sessions) */
};

/*
 * Sets up a generator of size-byte inner packets over sessions 0..n_sessions-1 in the order
 * of order[BENCH_ORDER_LEN]. Inbound generators seal with OpenSSL (an implementation that is
 * not ours) and keep per-session sequence numbers in next_seq. 0 or -errno.
 */
int bench_gen_init(struct bench_gen *g, const struct bench_plan *plan, enum bench_dir dir, uint16_t size,
		   uint32_t n_sessions, const uint32_t *order, uint32_t *next_seq, struct rte_mempool *pool,
		   struct rte_ring *ring);
void bench_gen_free(struct bench_gen *g);

/* Inbound: whether a whole burst of sealed frames is left; when not, call bench_gen_refill. */
static inline bool bench_gen_ready(const struct bench_gen *g)
{
	return g->dir == BENCH_OUTBOUND || g->block_n - g->block_pos >= BENCH_BURST;
}
/* Seals the next block (not timed by the callers). 0 or -errno. */
int bench_gen_refill(struct bench_gen *g);
/* Sends the current block again: only for loops that never decrypt. */
static inline void bench_gen_rewind(struct bench_gen *g)
{
	g->block_pos = 0;
}
/* Switches between the pipeline's cursor in the block and the bare loop's. */
static inline void bench_gen_swap_cursor(struct bench_gen *g)
{
	uint32_t p = g->block_pos;

	g->block_pos = g->spare_pos;
	g->spare_pos = p;
}

/* Allocates, fills and enqueues one burst; returns the number of frames enqueued. */
uint16_t bench_gen_burst(struct bench_gen *g);

/* Drains a TX ring, freeing the mbufs; returns how many there were. */
uint32_t bench_sink(struct rte_ring *r);

#endif
