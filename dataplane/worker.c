/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "worker.h"

/* Empty polls in a row before an idle worker starts sleeping (when configured to). */
#define IDLE_POLLS_BEFORE_SLEEP 64

static inline uint32_t nh_slot(uint32_t addr)
{
	uint32_t h = rte_be_to_cpu_32(addr);

	return (h ^ (h >> 8) ^ (h >> 16)) & (SPG_NH_CACHE_SIZE - 1);
}

bool spg_l2_prepend(struct spg_worker *w, uint16_t port_index, struct rte_mbuf *m, uint32_t dst_addr)
{
	const struct spg_port *p = &w->dp->ports[port_index];
	struct spg_nh_cache *c;
	struct rte_ether_hdr *eth;
	uint32_t nh = spg_next_hop_for(p, dst_addr);
	uint32_t gen;

	if (nh == 0)
		return false;
	/* Keep what the table said while nothing was learned since: no hash lookup per packet. */
	c = &w->nh[port_index][nh_slot(nh)];
	gen = spg_neigh_generation(w->dp->neigh);
	if (unlikely(c->addr != nh || c->generation != gen)) {
		struct rte_ether_addr mac;

		if (unlikely(!spg_neigh_lookup(w->dp->neigh, port_index, nh, &mac))) {
			uint64_t req = spg_resolve_pack(port_index, nh);

			/* The control thread asks; a full ring only delays that. */
			rte_ring_mp_enqueue_elem(w->dp->resolve_ring, &req, sizeof(req));
			return false;
		}
		c->addr = nh;
		c->generation = gen;
		c->mac = mac;
	}
	eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth));
	if (unlikely(eth == NULL))
		return false;
	eth->dst_addr = c->mac;
	eth->src_addr = p->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	m->l2_len = sizeof(*eth);
	return true;
}

void spg_worker_flush(struct spg_worker *w)
{
	for (uint16_t p = 0; p < SPG_DP_N_PORTS; p++) {
		struct spg_txbuf *tx = &w->tx[p];
		uint16_t sent;

		if (tx->n == 0)
			continue;
		sent = rte_eth_tx_burst(w->dp->ports[p].port_id, w->id, tx->pkts, tx->n);
		for (uint16_t i = sent; i < tx->n; i++)
			spg_drop(w, tx->pkts[i], SPG_DROP_TX_FULL);
		tx->n = 0;
	}
}

/* Worker 0 also sends what the control thread queued (ARP, ping replies). */
static uint16_t send_control_frames(struct spg_worker *w)
{
	struct rte_mbuf *pkts[SPG_BURST];
	unsigned int n;

	n = rte_ring_sc_dequeue_burst(w->dp->ctl_tx_ring, (void **)pkts, SPG_BURST, NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct spg_txbuf *tx = &w->tx[pkts[i]->port < SPG_DP_N_PORTS ? pkts[i]->port : 0];

		if (tx->n == RTE_DIM(tx->pkts)) {
			spg_drop(w, pkts[i], SPG_DROP_TX_FULL);
			continue;
		}
		tx->pkts[tx->n++] = pkts[i];
	}
	return (uint16_t)n;
}

static void idle_sleep(struct spg_worker *w, unsigned int *idle)
{
	struct spg_dp *dp = w->dp;

	if (dp->cfg.idle_sleep_us == 0 || ++*idle < IDLE_POLLS_BEFORE_SLEEP)
		return;
	/* Offline while asleep, so the control thread's grace periods do not wait for us. */
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	rte_delay_us_sleep(dp->cfg.idle_sleep_us);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
}

int spg_worker_main(void *arg)
{
	struct spg_worker *w = arg;
	struct spg_dp *dp = w->dp;
	struct rte_mbuf *pkts[SPG_BURST];
	unsigned int idle = 0;
	uint16_t n;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	RTE_LOG(INFO, USER1, "worker %u running on lcore %u\n", w->id, rte_lcore_id());

	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		uint16_t total = 0;

		w->now = rte_rdtsc();
		n = rte_eth_rx_burst(dp->ports[SPG_DP_PORT_VENDOR].port_id, w->id, pkts, SPG_BURST);
		if (n != 0)
			spg_outbound_burst(w, pkts, n);
		total += n;
		n = rte_eth_rx_burst(dp->ports[SPG_DP_PORT_SP].port_id, w->id, pkts, SPG_BURST);
		if (n != 0)
			spg_inbound_burst(w, pkts, n);
		total += n;
		spg_worker_flush(w);
		if (w->id == 0 && send_control_frames(w) != 0)
			spg_worker_flush(w);
		rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
		if (total == 0)
			idle_sleep(w, &idle);
		else
			idle = 0;
	}

	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->id);
	return 0;
}

struct spg_worker *spg_worker_create(struct spg_dp *dp, uint16_t id, unsigned int lcore_id)
{
	struct spg_worker *w;

	w = rte_zmalloc_socket("spg_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
			       lcore_id == LCORE_ID_ANY ? SOCKET_ID_ANY : (int)rte_lcore_to_socket_id(lcore_id));
	if (w == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	w->dp = dp;
	w->id = id;
	w->lcore_id = lcore_id;
	w->sess = spg_session_table_counters(dp->sessions, id);
	if (w->sess == NULL) { /* spg_session_table_alloc_counters() was not called for it */
		rte_free(w);
		rte_errno = EINVAL;
		return NULL;
	}
	return w;
}

void spg_worker_free(struct spg_worker *w)
{
	rte_free(w);
}
