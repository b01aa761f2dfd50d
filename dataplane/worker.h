/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path. Both directions are functions on bursts of mbufs so that spgate-bench runs
 * exactly what spgate-dp runs. A burst function consumes every mbuf it is given: forwarded
 * packets are appended to w->tx[port], everything else is counted and freed.
 */
#ifndef SPG_WORKER_H
#define SPG_WORKER_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "dp.h"

/* Vendor port RX: lookup by V_i, filter, meter, NAT, ESP encrypt -> w->tx[SP]. */
void spg_outbound_burst(struct spg_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* SP port RX: lookup by SPI, decrypt, check inner, filter, meter, NAT -> w->tx[VENDOR]. */
void spg_inbound_burst(struct spg_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* Sends what the bursts queued; what the PMD refuses is counted as TX_FULL. */
void spg_worker_flush(struct spg_worker *w);

/* Adds an Ethernet header for next hop addr on port (data starts at L3); false: NO_NEIGHBOR. */
bool spg_l2_prepend(struct spg_worker *w, uint16_t port, struct rte_mbuf *m, uint32_t dst_addr);

/* Counts and frees a dropped packet. */
static inline void spg_drop(struct spg_worker *w, struct rte_mbuf *m, enum spg_drop why)
{
	w->stats.drops[why]++;
	rte_pktmbuf_free(m);
}

/* Worker main loop (rte_eal_remote_launch). */
int spg_worker_main(void *arg);

struct spg_worker *spg_worker_create(struct spg_dp *dp, uint16_t id, unsigned int lcore_id);
void spg_worker_free(struct spg_worker *w);

#endif
