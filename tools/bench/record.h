/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The cost of session recording (issue 15): the pipeline with every installed session
 * recorded, beside the plain pipeline of the same case. The worker makes and queues its
 * copies exactly as in spgate-dp; the loop then takes them off the ring and frees them (that
 * is counted): the file writes are the recorder thread's, on another core, and not measured.
 */
#ifndef SPG_BENCH_RECORD_H
#define SPG_BENCH_RECORD_H

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "baseline.h"
#include "env.h"
#include "worker.h"

/* cases.c: one case of the matrix on e, as the matrix runs it. 0 or -errno. */
int bench_run_case(struct bench_env *e, struct bench_crypto *cr, const struct bench_opts *o, struct bench_case *c);

/* After each burst of a recorded run: what the recorder thread would dequeue. */
static inline void bench_rec_discard(struct spg_worker *w)
{
	struct rte_mbuf *copies[64];
	unsigned int n;

	if (w->rec.ring == NULL)
		return;
	while ((n = rte_ring_sc_dequeue_burst(w->rec.ring, (void **)copies, RTE_DIM(copies), NULL)) != 0)
		rte_pktmbuf_free_bulk(copies, n);
}

/* The recorded cases of a step of n sessions (every direction and size), into r->rec. */
int bench_record_step(struct bench_env *e, struct bench_crypto *cr, const struct bench_opts *o, uint32_t n,
		      struct bench_results *r);

#endif
