/* SPDX-License-Identifier: BSD-3-Clause */
/* The dataplane's state, shared by the control thread and the workers. */
#ifndef SPG_DP_H
#define SPG_DP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "config.h"
#include "dp_api.h"
#include "drops.h"
#include "esp.h"
#include "neighbor.h"
#include "recorder.h"
#include "session.h"

#define SPG_BURST 32

struct spg_port {
	uint16_t port_id;
	struct rte_ether_addr mac;
	uint32_t addr;     /* network order: the configured (primary) address */
	uint32_t mask;     /* network order */
	uint32_t next_hop; /* network order, 0 if none */
	uint16_t mtu;
	/* ADDRESS DEL silenced the primary: another host of the fleet holds it (port_addr.h).
	 * Beside addr, so the workers' ownership check reads no other line for it. */
	bool primary_silent;
	/* Addresses moved here from another host (issue 14, port_addr.h), 0 = free slot: the
	 * control thread stores, workers load (spg_port_owns). */
	uint32_t extra[SPG_DP_PORT_ADDRS_MAX];
	/* Control thread only: gratuitous ARPs still to send for [0] the primary, [1 + i]
	 * extra[i], and when the next of each is due (TSC). */
	uint8_t garp_left[1 + SPG_DP_PORT_ADDRS_MAX];
	uint64_t garp_next_tsc[1 + SPG_DP_PORT_ADDRS_MAX];
	/* Control thread writes, telemetry reads: ARP frames from another host claiming an
	 * address this port owns (port_addr.h), and when the last was logged (TSC; 0 never). */
	uint64_t addr_conflicts;
	uint64_t conflict_logged_tsc;
	uint64_t conflicts_logged; /* addr_conflicts when it was */
};

struct spg_worker_stats {
	uint64_t drops[SPG_DROP_MAX];
	struct spg_dp_dir_counters out; /* forwarded vendor -> SP */
	struct spg_dp_dir_counters in;  /* forwarded SP -> vendor */
	uint64_t rec_copied;  /* copies queued for the recorder */
	uint64_t rec_dropped; /* copies lost: recorder pool or ring full */
} __rte_cache_aligned;

struct spg_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[SPG_BURST * 2];
};

/*
 * A worker's resolved next hops per port, direct-mapped by address: the SP side's gateway
 * and the vendor side's workstations, without a hash lookup per packet.
 */
#define SPG_NH_CACHE_SIZE 64 /* a power of 2 */
struct spg_nh_cache {
	uint32_t addr; /* network order; 0: empty */
	uint32_t generation; /* spg_neigh_generation() when mac was looked up */
	struct rte_ether_addr mac;
};

struct spg_dp;

struct spg_worker {
	struct spg_dp *dp;
	unsigned int lcore_id;
	uint16_t id;    /* 0 .. n_workers-1: also its RX/TX queue and crypto queue pair */
	uint64_t now;   /* TSC at the start of the current burst */
	struct spg_worker_stats stats;
	struct spg_sess_counters *sess; /* this worker's counters, indexed by session slot */
	struct spg_txbuf tx[SPG_DP_N_PORTS];
	struct spg_nh_cache nh[SPG_DP_N_PORTS][SPG_NH_CACHE_SIZE];
	struct spg_rec_worker rec; /* read only for recorded sessions */
} __rte_cache_aligned;

/* What a worker hands to the control thread: a slow-path packet or a roaming report. */
struct spg_roam {
	uint32_t index;
	uint32_t pad;
	uint64_t id; /* the slot may have been reused by the time the report is read */
	uint64_t peer;
};

static inline uint64_t spg_resolve_pack(uint16_t port_index, uint32_t addr)
{
	return (uint64_t)port_index << 32 | addr;
}

/* The next hop on port p towards dst: dst itself on the port's subnet, else its gateway (0: none). */
static inline uint32_t spg_next_hop_for(const struct spg_port *p, uint32_t dst)
{
	if (((dst ^ p->addr) & p->mask) == 0)
		return dst;
	return p->next_hop;
}

struct spg_dp {
	struct spg_dp_config cfg;
	struct spg_port ports[SPG_DP_N_PORTS];
	struct rte_mempool *mbuf_pool;
	struct spg_esp *esp;
	struct spg_session_table *sessions;
	struct spg_neigh_table *neigh;
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *slow_ring;    /* mbufs: ARP, ICMP to our own port addresses */
	struct rte_ring *roam_ring;    /* elements: struct spg_roam */
	struct rte_ring *resolve_ring; /* elements: uint64_t, spg_resolve_pack() */
	/* Frames the control thread sends (ARP, ping replies), m->port = port index; worker 0
	 * transmits them on its own queues, so PMDs with a single TX queue work too. */
	struct rte_ring *ctl_tx_ring;
	struct spg_recorder *rec; /* session recording (recorder.h) */
	struct spg_worker *workers[SPG_CFG_MAX_WORKERS];
	unsigned int n_workers;
	uint16_t inner_mtu; /* largest inner packet the SP link carries after ESP */
	uint64_t start_tsc;
	volatile bool quit;
	/* Serialises the control socket and telemetry callbacks (a thread of its own). */
	pthread_mutex_t ctl_lock;
};

/* Sums of the workers' counters, for the control socket and telemetry. */
void spg_dp_sum_stats(struct spg_dp *dp, struct spg_worker_stats *sum);
void spg_dp_sum_session(struct spg_dp *dp, uint32_t index, struct spg_sess_counters *sum);
/* Fills info from a session (no keys) with its summed counters. */
void spg_dp_session_info(struct spg_dp *dp, const struct spg_session *s, struct spg_dp_session_info *info);
/* Port statistics from the PMDs. */
void spg_dp_port_stats(struct spg_dp *dp, struct spg_dp_port_stats out[SPG_DP_N_PORTS]);


/*
 * Builds the dataplane's state from dp->cfg after rte_eal_init: mbuf pool, crypto, session
 * and neighbor tables, rings, RCU, ports and workers (not yet launched). Returns 0 or -errno,
 * having logged the reason; spg_dp_fini undoes whatever was done.
 */
int spg_dp_init(struct spg_dp *dp);
void spg_dp_fini(struct spg_dp *dp);
#endif
