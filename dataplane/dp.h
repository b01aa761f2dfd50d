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
#include "session.h"

#define SPG_BURST 32

struct spg_port {
	uint16_t port_id;
	struct rte_ether_addr mac;
	uint32_t addr;     /* network order */
	uint32_t mask;     /* network order */
	uint32_t next_hop; /* network order, 0 if none */
	uint16_t mtu;
};

/* Per-session counters, one array per worker, summed on read. */
struct spg_sess_counters {
	struct spg_dp_dir_counters out;
	struct spg_dp_dir_counters in;
};

struct spg_worker_stats {
	uint64_t drops[SPG_DROP_MAX];
	struct spg_dp_dir_counters out; /* forwarded vendor -> SP */
	struct spg_dp_dir_counters in;  /* forwarded SP -> vendor */
} __rte_cache_aligned;

struct spg_txbuf {
	uint16_t n;
	struct rte_mbuf *pkts[SPG_BURST * 2];
};

struct spg_dp;

struct spg_worker {
	struct spg_dp *dp;
	unsigned int lcore_id;
	uint16_t id;    /* 0 .. n_workers-1: also its RX/TX queue and crypto queue pair */
	uint64_t now;   /* TSC at the start of the current burst */
	struct spg_worker_stats stats;
	struct spg_sess_counters *sess; /* max_sessions entries */
	struct spg_txbuf tx[SPG_DP_N_PORTS];
} __rte_cache_aligned;

/* What a worker hands to the control thread: a slow-path packet or a roaming report. */
struct spg_roam {
	uint32_t index;
	uint64_t peer;
};

struct spg_dp {
	struct spg_dp_config cfg;
	struct spg_port ports[SPG_DP_N_PORTS];
	struct rte_mempool *mbuf_pool;
	struct spg_esp *esp;
	struct spg_session_table *sessions;
	struct spg_neigh_table *neigh;
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *slow_ring;  /* mbufs: ARP, packets to our own addresses */
	struct rte_ring *roam_ring;  /* struct spg_roam *, fixed pool below */
	struct rte_ring *resolve_ring; /* next hops to resolve, as (uintptr_t)(addr | port << 32) */
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

#endif
