/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Vendor -> SP: parse, find the session by V_i, check the workstation, filter ports, meter,
 * translate W -> V_i into G_in -> S (a joiner's W_j -> V_i into G_in + j -> S), encrypt into
 * the session's tunnel, send to E_i.
 */
#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "icmp.h"
#include "meter.h"
#include "nat.h"
#include "pkt.h"
#include "port_addr.h"
#include "port_filter.h"
#include "worker.h"

/* How many packets ahead the SA and counters of a session are prefetched. */
#define PREFETCH_AHEAD 4

/* What sending a packet needs of its session, taken while the session's line is at hand:
 * after the crypto of a whole burst it no longer is. */
struct out_meta {
	uint64_t peer;
	uint32_t index;
	uint32_t inner_len;
};

/* The second stage: what the packet's processing reads beyond the session's first line
 * (sa_lines of its SA: esp_native.c reads one, librte_ipsec's path SPG_ESP_SA_HOT_LINES). */
static inline void prefetch_session(const struct spg_worker *w, const struct spg_session *s, unsigned int sa_lines)
{
	if (s == NULL)
		return;
	spg_session_prefetch_rest(s, &s->meter_out);
	for (unsigned int l = 0; l < sa_lines; l++)
		rte_prefetch0(RTE_PTR_ADD(s->sa_out, l * RTE_CACHE_LINE_SIZE));
	rte_prefetch0(&w->sess[s->index]);
}

static inline void count_drop(struct spg_worker *w, uint32_t index, struct rte_mbuf *m, enum spg_drop why)
{
	w->sess[index].out.drops++;
	spg_drop(w, m, why);
}

static inline bool in_pool(const struct spg_dp *dp, uint32_t addr)
{
	uint32_t mask = rte_cpu_to_be_32(~0u << (32 - dp->cfg.pool_prefix_len));

	return (addr & mask) == dp->cfg.pool_addr;
}

/* Sends m (data at its IPv4 header) back to the vendor side as an ICMP error from us. */
static void icmp_error_back(struct spg_worker *w, struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t mtu)
{
	const struct spg_port *vp = &w->dp->ports[SPG_DP_PORT_VENDOR];
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_VENDOR];
	uint32_t dst;

	if (spg_icmp_error_in_place(m, type, code, mtu, vp->addr) != 0) {
		rte_pktmbuf_free(m);
		return;
	}
	dst = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *)->dst_addr;
	if (!spg_l2_prepend(w, SPG_DP_PORT_VENDOR, m, dst) || tx->n == RTE_DIM(tx->pkts)) {
		w->stats.drops[SPG_DROP_NO_NEIGHBOR]++;
		rte_pktmbuf_free(m);
		return;
	}
	tx->pkts[tx->n++] = m;
}

/* TTL, size and rate checks, then NAT. Returns SPG_OK when m is ready for ESP. */
static enum spg_drop prepare_one(struct spg_worker *w, struct spg_session *s, struct rte_mbuf *m)
{
	struct spg_dp *dp = w->dp;
	struct rte_ipv4_hdr *ip = spg_pkt_ipv4(m);
	uint32_t l4_len = rte_be_to_cpu_16(ip->total_length) - m->l3_len;
	uint16_t len = rte_be_to_cpu_16(ip->total_length);
	uint32_t inner_src = dp->cfg.inner_addr;
	enum spg_drop why;

	/* The holder's packets: one compare, as before joiners existed. */
	if (unlikely(ip->src_addr != s->workstation_addr)) {
		unsigned int j = spg_session_joiner_slot(s, ip->src_addr);

		if (j == 0)
			return SPG_DROP_WRONG_SOURCE;
		/* Joiner j leaves as G_in + j, so the SP (and its replies) tell it apart. */
		inner_src = spg_nat_joiner_inner(inner_src, j);
	}
	why = spg_port_filter_outbound(spg_session_filter(s), ip, spg_pkt_l4(m), l4_len);
	if (unlikely(why != SPG_OK))
		return why;
	if (unlikely(ip->time_to_live <= 1))
		return SPG_DROP_TTL_EXCEEDED;
	if (unlikely(len > dp->inner_mtu))
		return (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_DF_FLAG)) ? SPG_DROP_FRAG_NEEDED
									   : SPG_DROP_TOO_BIG;
	if (unlikely(!spg_meter_check(&s->meter_out, w->now, len, dp->n_workers > 1)))
		return SPG_DROP_OVER_RATE;
	/* What the engineer sent, as sent (W -> V_i, with its Ethernet header): before NAT.
	 * On the recording's vendor-port interface it was received. */
	spg_record_maybe(w, s, m, RTE_PCAPNG_DIRECTION_IN);

	why = spg_nat_translate(ip, l4_len, inner_src, dp->cfg.shared_addr);
	if (unlikely(why != SPG_OK))
		return why;
	/* A router's TTL decrement: the header checksum changes by one in the TTL byte. */
	ip->time_to_live--;
	ip->hdr_checksum = spg_csum_update16(ip->hdr_checksum, rte_cpu_to_be_16((uint16_t)(ip->time_to_live + 1) << 8),
					     rte_cpu_to_be_16((uint16_t)ip->time_to_live << 8));
	rte_pktmbuf_adj(m, m->l2_len);
	m->l2_len = 0;
	return SPG_OK;
}

/* Errors that the sender should hear about are answered; the packet is counted either way. */
static void reject(struct spg_worker *w, struct spg_session *s, struct rte_mbuf *m, enum spg_drop why)
{
	w->sess[s->index].out.drops++;
	w->stats.drops[why]++;
	if (why == SPG_DROP_FRAG_NEEDED || why == SPG_DROP_TTL_EXCEEDED) {
		rte_pktmbuf_adj(m, m->l2_len);
		m->l2_len = 0;
		if (why == SPG_DROP_FRAG_NEEDED)
			icmp_error_back(w, m, 3 /* destination unreachable */, 4 /* fragmentation needed */, w->dp->inner_mtu);
		else
			icmp_error_back(w, m, 11 /* time exceeded */, 0, 0);
		return;
	}
	rte_pktmbuf_free(m);
}

/*
 * Finishes and queues one encrypted packet. prev is the Ethernet header of the packet sent
 * just before to the same endpoint in this burst, or NULL: a run of one session's packets
 * resolves its next hop once and copies the 14 bytes after (the neighbour table cannot have
 * told anything else within the burst that matters: a change is seen by the next burst).
 * Returns this packet's Ethernet header, or NULL when it was dropped.
 */
static const struct rte_ether_hdr *send_encrypted(struct spg_worker *w, struct rte_mbuf *m, const struct out_meta *meta,
						  const struct rte_ether_hdr *prev)
{
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_SP];
	uint64_t peer = meta->peer;
	struct spg_sess_counters *c = &w->sess[meta->index];
	struct rte_ether_hdr *eth;

	spg_esp_outer_finish(m, spg_peer_addr(peer), rte_be_to_cpu_16(spg_peer_port(peer)));
	if (prev != NULL && (eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eth))) != NULL) {
		rte_memcpy(eth, prev, sizeof(*eth));
		m->l2_len = sizeof(*eth);
	} else if (unlikely(!spg_l2_prepend(w, SPG_DP_PORT_SP, m, spg_peer_addr(peer)))) {
		count_drop(w, meta->index, m, SPG_DROP_NO_NEIGHBOR);
		return NULL;
	}
	c->out.packets++;
	c->out.bytes += meta->inner_len;
	w->stats.out.packets++;
	w->stats.out.bytes += meta->inner_len;
	tx->pkts[tx->n++] = m;
	return rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
}

/* Classifies a burst from the vendor port; returns how many packets await a session lookup. */
static uint16_t classify(struct spg_worker *w, struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **cand,
			 uint32_t *keys)
{
	struct spg_dp *dp = w->dp;
	const struct spg_port *vp = &dp->ports[SPG_DP_PORT_VENDOR];
	uint16_t nc = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ipv4_hdr *ip;
		enum spg_drop why;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!spg_l2_input(w, vp, m))
			continue;
		why = spg_pkt_check_ipv4(m);
		if (unlikely(why != SPG_OK)) {
			spg_drop(w, m, why);
			continue;
		}
		ip = spg_pkt_ipv4(m);
		if (unlikely(!in_pool(dp, ip->dst_addr))) {
			if (spg_port_owns(vp, ip->dst_addr))
				spg_to_slow_path(w, m);
			else
				spg_drop(w, m, SPG_DROP_NOT_FOR_US);
			continue;
		}
		keys[nc] = ip->dst_addr;
		cand[nc++] = m;
	}
	return nc;
}

void spg_outbound_burst(struct spg_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct spg_dp *dp = w->dp;
	struct rte_mbuf *cand[SPG_BURST], *esp_pkts[SPG_BURST];
	struct spg_session *sess[SPG_BURST];
	struct spg_sa *sas[SPG_BURST];
	struct out_meta meta[SPG_BURST];
	void *ctx[SPG_BURST];
	uint8_t reason[SPG_BURST];
	uint32_t keys[SPG_BURST];
	uint16_t nc, ne = 0, ok;
	unsigned int sa_lines;
	bool early_keys;
	const struct rte_ether_hdr *prev = NULL;
	uint64_t prev_peer = 0;

	RTE_ASSERT(n <= SPG_BURST);
	nc = classify(w, pkts, n, cand, keys);
	if (nc == 0)
		return;
	spg_session_lookup_vip_bulk(dp->sessions, keys, nc, sess);
	sa_lines = spg_esp_native_outbound(dp->esp) ? 1 : SPG_ESP_SA_HOT_LINES;
	early_keys = spg_session_table_count(dp->sessions) > SPG_ESP_EARLY_KEY_SESSIONS;
	/* Two stages, as l3fwd does: the sessions' first lines now, for the whole burst; the
	 * rest of a session, its SA and its counters a few packets ahead of use, once that
	 * first line (with the SA pointer and the slot index) has had time to arrive. */
	for (uint16_t i = 0; i < nc; i++)
		if (sess[i] != NULL)
			rte_prefetch0(sess[i]);
	for (uint16_t i = 0; i < PREFETCH_AHEAD && i < nc; i++)
		prefetch_session(w, sess[i], sa_lines);

	for (uint16_t i = 0; i < nc; i++) {
		struct spg_session *s = sess[i];
		struct rte_mbuf *m = cand[i];
		enum spg_drop why;

		if (i + PREFETCH_AHEAD < nc)
			prefetch_session(w, sess[i + PREFETCH_AHEAD], sa_lines);
		if (unlikely(s == NULL)) {
			spg_drop(w, m, SPG_DROP_NO_SESSION);
			continue;
		}
		why = prepare_one(w, s, m);
		if (unlikely(why != SPG_OK)) {
			reject(w, s, m, why);
			continue;
		}
		/* the endpoint as it is now: roaming may move it while the burst is encrypted */
		meta[ne] = (struct out_meta){
			.peer = __atomic_load_n(&s->peer, __ATOMIC_ACQUIRE),
			.index = s->index,
			.inner_len = m->pkt_len,
		};
		ctx[ne] = &meta[ne];
		sas[ne] = __atomic_load_n(&s->sa_out, __ATOMIC_ACQUIRE);
		/* its SA's first line (with the key schedule's address) was asked for
		 * PREFETCH_AHEAD packets ago: with many sessions, now the key schedule too, which
		 * the burst reads only after this loop (once per run of one SA) */
		if (early_keys && (ne == 0 || sas[ne] != sas[ne - 1]))
			spg_esp_sa_prefetch_crypto(dp->esp, sas[ne], m->pkt_len + SPG_ESP_PAD_TRAILER_MAX);
		esp_pkts[ne++] = m;
	}
	if (ne == 0)
		return;

	ok = spg_esp_outbound_burst(dp->esp, w->id, esp_pkts, sas, ctx, ne, reason);
	for (uint16_t i = 0; i < PREFETCH_AHEAD && i < ok; i++)
		rte_prefetch0(&w->sess[((struct out_meta *)ctx[i])->index]);
	for (uint16_t i = 0; i < ok; i++) {
		const struct out_meta *mt = ctx[i];

		if (i + PREFETCH_AHEAD < ok)
			rte_prefetch0(&w->sess[((struct out_meta *)ctx[i + PREFETCH_AHEAD])->index]);
		prev = send_encrypted(w, esp_pkts[i], mt, prev != NULL && mt->peer == prev_peer ? prev : NULL);
		prev_peer = mt->peer;
	}
	for (uint16_t i = ok; i < ne; i++)
		count_drop(w, ((struct out_meta *)ctx[i])->index, esp_pkts[i], (enum spg_drop)reason[i]);
}
