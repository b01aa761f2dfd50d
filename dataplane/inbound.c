/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SP -> vendor: parse the outer packet, find the SA by SPI, decrypt (ICV, anti-replay),
 * insist on S -> G_in inside, filter, meter, translate back to V_i -> W, send to W; or, for
 * S -> G_in + j, to joiner j's workstation W_j (issue 15).
 * An authenticated packet from a new outer endpoint moves the session there (roaming), if
 * it is also newer than every packet the SA accepted before it, as WireGuard does: a copy of
 * an old packet re-sent from elsewhere (an on-path attacker's replay, which the window lets
 * through as long as the original was lost or is still in flight) never does.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_esp.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_udp.h>

#include "meter.h"
#include "nat.h"
#include "pkt.h"
#include "port_addr.h"
#include "port_filter.h"
#include "worker.h"

/* UDP payload: ESP header, 8-byte IV, at least pad length + next header, 16-byte ICV. */
#define ESP_MIN_UDP_PAYLOAD (sizeof(struct rte_esp_hdr) + 8 + 2 + 16)

/* How many packets ahead the SA and counters of a session are prefetched. */
#define PREFETCH_AHEAD 4

struct in_meta {
	struct spg_session *s;
	uint64_t from; /* outer source as spg_peer_pack() */
	bool newest;   /* its sequence number was the SA's new top */
};

/* The second stage: what the packet's processing reads beyond the session's first line. */
static inline void prefetch_session(const struct spg_worker *w, const struct spg_session *s)
{
	if (s == NULL)
		return;
	spg_session_prefetch_rest(s, &s->meter_in);
	/* its SA's first line (the window) and second (native: the key's address and the salt;
	 * librte_ipsec: its session) */
	rte_prefetch0(s->sa_in);
	rte_prefetch0(RTE_PTR_ADD(s->sa_in, RTE_CACHE_LINE_SIZE));
	rte_prefetch0(&w->sess[s->index]);
}

/* After the crypto of a whole burst the sessions' lines are gone again: what delivering
 * reads (the session, its filter and meter, its counters), a few packets ahead. */
static inline void prefetch_for_delivery(const struct spg_worker *w, const struct spg_session *s)
{
	rte_prefetch0(s);
	spg_session_prefetch_rest(s, &s->meter_in);
	rte_prefetch0(&w->sess[s->index]);
}

static inline void count_drop(struct spg_worker *w, struct spg_session *s, struct rte_mbuf *m, enum spg_drop why)
{
	w->sess[s->index].in.drops++;
	spg_drop(w, m, why);
}

/*
 * Finds the SPI of ESP in UDP to our port (network order) and the sender's endpoint.
 * Returns SPG_OK, or why m is no ESP packet of ours: NOT_ESP (another protocol or port, or
 * RFC 3948's non-ESP marker for IKE), NAT_KEEPALIVE, or MALFORMED_ESP (too short).
 */
static enum spg_drop esp_spi(struct spg_worker *w, struct rte_mbuf *m, uint32_t *spi, uint64_t *from)
{
	const struct rte_ipv4_hdr *ip = spg_pkt_ipv4(m);
	const struct rte_udp_hdr *udp;
	uint16_t payload;

	if (ip->next_proto_id != IPPROTO_UDP)
		return SPG_DROP_NOT_ESP;
	udp = spg_pkt_l4(m);
	if (udp->dst_port != rte_cpu_to_be_16(w->dp->cfg.esp_udp_port))
		return SPG_DROP_NOT_ESP;
	payload = rte_be_to_cpu_16(udp->dgram_len) - sizeof(*udp);
	if (payload == 1 && *(const uint8_t *)(udp + 1) == 0xff)
		return SPG_DROP_NAT_KEEPALIVE;
	if (payload < sizeof(uint32_t))
		return SPG_DROP_MALFORMED_ESP;
	/* After the 14-byte Ethernet header the SPI is only 2-byte aligned. */
	memcpy(spi, udp + 1, sizeof(*spi));
	if (*spi == 0)
		return SPG_DROP_NOT_ESP;
	if (payload < ESP_MIN_UDP_PAYLOAD)
		return SPG_DROP_MALFORMED_ESP;
	*from = spg_peer_pack(ip->src_addr, udp->src_port);
	return SPG_OK;
}

static uint16_t classify(struct spg_worker *w, struct rte_mbuf **pkts, uint16_t n, struct rte_mbuf **cand,
			 uint32_t *keys, uint64_t *from)
{
	const struct spg_port *sp = &w->dp->ports[SPG_DP_PORT_SP];
	uint16_t nc = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		const struct rte_ipv4_hdr *ip;
		enum spg_drop why;
		uint32_t spi;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (!spg_l2_input(w, sp, m))
			continue;
		why = spg_pkt_check_ipv4(m);
		if (unlikely(why != SPG_OK)) {
			spg_drop(w, m, why);
			continue;
		}
		ip = spg_pkt_ipv4(m);
		/* G_out, or an address taken over from another host of the fleet (port_addr.h) */
		if (unlikely(!spg_port_owns(sp, ip->dst_addr))) {
			spg_drop(w, m, SPG_DROP_NOT_FOR_US);
			continue;
		}
		why = esp_spi(w, m, &spi, &from[nc]);
		if (unlikely(why != SPG_OK)) {
			if (ip->next_proto_id == IPPROTO_ICMP)
				spg_to_slow_path(w, m);
			else
				spg_drop(w, m, why);
			continue;
		}
		keys[nc] = spi;
		cand[nc++] = m;
	}
	return nc;
}

/*
 * Whose packet it is: the holder's (to G_in) or joiner j's (to G_in + j), whose workstation
 * goes to *ws. SPOOFED_INNER when not from S or to none of those; UNKNOWN_JOINER when to a
 * joiner slot that is empty (never joined, or removed).
 */
static inline enum spg_drop inner_addressee(const struct spg_dp *dp, const struct spg_session *s,
					    const struct rte_ipv4_hdr *ip, uint32_t *ws)
{
	unsigned int j;

	if (unlikely(ip->src_addr != dp->cfg.shared_addr))
		return SPG_DROP_SPOOFED_INNER;
	if (likely(ip->dst_addr == dp->cfg.inner_addr)) {
		*ws = s->workstation_addr;
		return SPG_OK;
	}
	j = spg_nat_joiner_of_inner(dp->cfg.inner_addr, ip->dst_addr, SPG_DP_MAX_JOINERS);
	if (j == 0)
		return SPG_DROP_SPOOFED_INNER;
	*ws = spg_session_joiner(s, j);
	return *ws != 0 ? SPG_OK : SPG_DROP_UNKNOWN_JOINER;
}

/* Checks and translates one decrypted packet; SPG_OK when it may go to workstation *ws. */
static enum spg_drop finish_one(struct spg_worker *w, struct spg_session *s, struct rte_mbuf *m, uint32_t *ws)
{
	struct spg_dp *dp = w->dp;
	struct rte_ipv4_hdr *ip;
	uint32_t l4_len;
	enum spg_drop why;

	m->l2_len = 0;
	why = spg_pkt_check_ipv4(m);
	if (unlikely(why != SPG_OK))
		return why;
	ip = spg_pkt_ipv4(m);
	why = inner_addressee(dp, s, ip, ws);
	if (unlikely(why != SPG_OK))
		return why;
	l4_len = rte_be_to_cpu_16(ip->total_length) - m->l3_len;
	why = spg_port_filter_inbound(spg_session_filter(s), ip, spg_pkt_l4(m), l4_len);
	if (unlikely(why != SPG_OK))
		return why;
	if (unlikely(ip->time_to_live <= 1))
		return SPG_DROP_TTL_EXCEEDED;
	if (unlikely(!spg_meter_check(&s->meter_in, w->now, m->pkt_len, dp->n_workers > 1)))
		return SPG_DROP_OVER_RATE;
	why = spg_nat_translate(ip, l4_len, s->virtual_addr, *ws);
	if (unlikely(why != SPG_OK))
		return why;
	ip->time_to_live--;
	ip->hdr_checksum = spg_csum_update16(ip->hdr_checksum, rte_cpu_to_be_16((uint16_t)(ip->time_to_live + 1) << 8),
					     rte_cpu_to_be_16((uint16_t)ip->time_to_live << 8));
	return SPG_OK;
}

static void deliver(struct spg_worker *w, struct rte_mbuf *m, const struct in_meta *meta)
{
	struct spg_session *s = meta->s;
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_VENDOR];
	struct spg_sess_counters *c = &w->sess[s->index];
	uint32_t len, ws;
	enum spg_drop why;

	why = finish_one(w, s, m, &ws);
	if (unlikely(why != SPG_OK)) {
		count_drop(w, s, m, why);
		return;
	}
	/* Authenticated, and newer than anything before: the SP site may have moved (NAT
	 * rebinding). A late packet from elsewhere is delivered but moves nothing. */
	if (unlikely(meta->from != __atomic_load_n(&s->peer, __ATOMIC_RELAXED)) && meta->newest) {
		struct spg_roam r = { .index = s->index, .id = s->id, .peer = meta->from };

		rte_ring_mp_enqueue_elem(w->dp->roam_ring, &r, sizeof(r));
	}
	len = m->pkt_len;
	if (unlikely(!spg_l2_prepend(w, SPG_DP_PORT_VENDOR, m, ws) || tx->n == RTE_DIM(tx->pkts))) {
		count_drop(w, s, m, SPG_DROP_NO_NEIGHBOR);
		return;
	}
	/* Decrypted, checked and translated back: the frame the workstation gets (V_i -> W),
	 * so that both directions read as one stream. Sent, on the vendor-port interface. */
	spg_record_maybe(w, s, m, RTE_PCAPNG_DIRECTION_OUT);
	c->in.packets++;
	c->in.bytes += len;
	w->stats.in.packets++;
	w->stats.in.bytes += len;
	tx->pkts[tx->n++] = m;
}

void spg_inbound_burst(struct spg_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
	struct spg_dp *dp = w->dp;
	struct rte_mbuf *cand[SPG_BURST], *esp_pkts[SPG_BURST];
	struct spg_session *sess[SPG_BURST];
	struct spg_sa *sas[SPG_BURST];
	struct in_meta meta[SPG_BURST];
	uint64_t from[SPG_BURST];
	void *ctx[SPG_BURST];
	uint8_t reason[SPG_BURST];
	bool newest[SPG_BURST];
	uint32_t keys[SPG_BURST];
	uint16_t nc, ne = 0, ok;
	bool early_keys;

	RTE_ASSERT(n <= SPG_BURST);
	nc = classify(w, pkts, n, cand, keys, from);
	if (nc == 0)
		return;
	early_keys = spg_session_table_count(dp->sessions) > SPG_ESP_EARLY_KEY_SESSIONS;
	spg_session_lookup_spi_bulk(dp->sessions, keys, nc, sess);
	/* Two stages, as l3fwd does: the sessions' first lines now, for the whole burst; the
	 * rest of a session, its SA and its counters a few packets ahead of use, once that
	 * first line (with the SA pointer and the slot index) has had time to arrive. */
	for (uint16_t i = 0; i < nc; i++)
		if (sess[i] != NULL)
			rte_prefetch0(sess[i]);
	for (uint16_t i = 0; i < PREFETCH_AHEAD && i < nc; i++)
		prefetch_session(w, sess[i]);

	for (uint16_t i = 0; i < nc; i++) {
		struct rte_mbuf *m = cand[i];

		if (i + PREFETCH_AHEAD < nc)
			prefetch_session(w, sess[i + PREFETCH_AHEAD]);
		if (unlikely(sess[i] == NULL)) {
			spg_drop(w, m, SPG_DROP_NO_SA);
			continue;
		}
		rte_pktmbuf_adj(m, m->l2_len);
		m->l2_len = 0;
		meta[ne] = (struct in_meta){ .s = sess[i], .from = from[i] };
		ctx[ne] = &meta[ne];
		sas[ne] = __atomic_load_n(&sess[i]->sa_in, __ATOMIC_ACQUIRE);
		/* its SA's lines were asked for PREFETCH_AHEAD packets ago: with many sessions, now
		 * the crypto session behind it too, which the burst reads only after this loop
		 * (once per run of one SA) */
		if (early_keys && (ne == 0 || sas[ne] != sas[ne - 1]))
			spg_esp_sa_prefetch_crypto(dp->esp, sas[ne], rte_pktmbuf_pkt_len(m));
		esp_pkts[ne++] = m;
	}
	if (ne == 0)
		return;

	ok = spg_esp_inbound_burst(dp->esp, w->id, esp_pkts, sas, ctx, ne, reason, newest);
	for (uint16_t i = 0; i < ok; i++) {
		((struct in_meta *)ctx[i])->newest = newest[i];
		deliver(w, esp_pkts[i], ctx[i]);
	}
	for (uint16_t i = ok; i < ne; i++)
		count_drop(w, ((struct in_meta *)ctx[i])->s, esp_pkts[i], (enum spg_drop)reason[i]);
}
