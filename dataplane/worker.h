/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path. Both directions are functions on bursts of mbufs so that spgate-bench runs
 * exactly what spgate-dp runs. A burst function consumes every mbuf it is given: forwarded
 * packets are appended to w->tx[port], everything else is counted and freed.
 */
#ifndef SPG_WORKER_H
#define SPG_WORKER_H

#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

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

/* Hands m to the control thread (ARP, ICMP to our addresses); counts it when that is full. */
static inline void spg_to_slow_path(struct spg_worker *w, struct rte_mbuf *m)
{
	if (rte_ring_mp_enqueue(w->dp->slow_ring, m) != 0)
		spg_drop(w, m, SPG_DROP_SLOW_PATH_FULL);
}

/*
 * The Ethernet layer of both directions. Returns true when m is an IPv4 frame for us that the
 * caller should process (m->l2_len set); otherwise m went to the slow path or was dropped.
 */
static inline bool spg_l2_input(struct spg_worker *w, const struct spg_port *port, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;

	if (unlikely(m->data_len < sizeof(*eth) || m->nb_segs != 1)) {
		spg_drop(w, m, SPG_DROP_MALFORMED_L2);
		return false;
	}
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (likely(eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_IPV4))) {
		/* Frames for other hosts reach a promiscuous or packet-socket port too. */
		if (unlikely(!rte_is_same_ether_addr(&eth->dst_addr, &port->mac) &&
			     !rte_is_broadcast_ether_addr(&eth->dst_addr))) {
			spg_drop(w, m, SPG_DROP_NOT_FOR_US);
			return false;
		}
		/* l2_len, and the other length fields (nothing on receive) zero, in one 64-bit
		 * store: the header check next sets l3_len and l4_len, bit fields of the same
		 * word, by loading it back, and a load that straddles a byte store just made
		 * waits for it to retire (profiled: a fifth of spg_pkt_check_ipv4's samples) */
		m->tx_offload = rte_mbuf_tx_offload(sizeof(*eth), 0, 0, 0, 0, 0, 0);
		return true;
	}
	if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP)) {
		spg_to_slow_path(w, m);
		return false;
	}
	spg_drop(w, m, SPG_DROP_NOT_IPV4);
	return false;
}

/* Worker main loop (rte_eal_remote_launch). */
int spg_worker_main(void *arg);

struct spg_worker *spg_worker_create(struct spg_dp *dp, uint16_t id, unsigned int lcore_id);
void spg_worker_free(struct spg_worker *w);

#endif
