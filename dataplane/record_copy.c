/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The workers' half of session recording: one copy per packet of a recorded session, on
 * the worker's own ring. Out of line, so the burst loops keep only the flag test.
 */
#include <rte_ring.h>

#include "recorder.h"
#include "worker.h"

/* The head of a pcapng Enhanced Packet Block, as rte_pcapng_copy lays it out. */
struct epb_head {
	uint32_t block_type;
	uint32_t block_length;
	uint32_t interface_id;
	uint32_t timestamp_hi;
	uint32_t timestamp_lo;
	uint32_t capture_length;
	uint32_t original_length;
};

static uint64_t wall_ns(const struct spg_rec_worker *rw, uint64_t tsc)
{
	uint64_t d = tsc - rw->base_tsc;

	/* in two parts, so that a long uptime does not overflow d * 1e9 */
	return rw->base_ns + d / rw->tsc_hz * 1000000000ull + d % rw->tsc_hz * 1000000000ull / rw->tsc_hz;
}

void spg_record_copy(struct spg_worker *w, const struct spg_session *s, const struct rte_mbuf *m,
		     enum rte_pcapng_direction dir)
{
	const struct spg_rec_worker *rw = &w->rec;
	struct epb_head *epb;
	struct rte_mbuf *c;
	uint64_t ns;

	if (rw->ring == NULL)
		goto lost;
	c = rte_pcapng_copy(rw->port_id, w->id, m, rw->pool, rw->snaplen, w->now, dir);
	if (unlikely(c == NULL))
		goto lost;
	/* DPDK 22.11 turns the TSC into a wall clock far in the future: stamp it ourselves. */
	epb = rte_pktmbuf_mtod(c, struct epb_head *);
	ns = wall_ns(rw, w->now);
	epb->timestamp_hi = (uint32_t)(ns >> 32);
	epb->timestamp_lo = (uint32_t)ns;
	/* Whose copy it is: the recorder finds the recording by slot and checks the id (the
	 * slot may hold another session by then). The copy is never transmitted, so its
	 * offload and hash fields are free to carry that. */
	c->hash.usr = s->index;
	c->tx_offload = s->id;
	if (unlikely(rte_ring_sp_enqueue(rw->ring, c) != 0)) {
		rte_pktmbuf_free(c);
		goto lost;
	}
	w->stats.rec_copied++;
	return;
lost:
	w->sess[s->index].rec_dropped++;
	w->stats.rec_dropped++;
}
