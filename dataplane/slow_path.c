/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include <rte_arp.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "addr.h"
#include "port_addr.h"
#include "slow_path.h"

#define SLOW_BURST 32

static int port_index_of(const struct spg_dp *dp, uint16_t port_id)
{
	for (int i = 0; i < SPG_DP_N_PORTS; i++)
		if (dp->ports[i].port_id == port_id)
			return i;
	return -1;
}

static void send_ctl(struct spg_dp *dp, int port, struct rte_mbuf *m)
{
	m->port = (uint16_t)port;
	if (rte_ring_mp_enqueue(dp->ctl_tx_ring, m) != 0)
		rte_pktmbuf_free(m);
}

static void arp_fill(struct rte_mbuf *m, const struct rte_ether_addr *eth_dst, uint16_t op,
		     const struct spg_port *p, uint32_t sip, const struct rte_ether_addr *tha, uint32_t tip)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);

	eth->dst_addr = *eth_dst;
	eth->src_addr = p->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = sizeof(uint32_t);
	arp->arp_opcode = rte_cpu_to_be_16(op);
	arp->arp_data.arp_sha = p->mac;
	arp->arp_data.arp_sip = sip;
	arp->arp_data.arp_tha = *tha;
	arp->arp_data.arp_tip = tip;
	m->data_len = m->pkt_len = sizeof(*eth) + sizeof(*arp);
}

static bool on_link(const struct spg_port *p, uint32_t addr)
{
	return addr != 0 && ((addr ^ p->addr) & p->mask) == 0;
}

static void handle_arp(struct spg_dp *dp, int port, struct rte_mbuf *m)
{
	const struct spg_port *p = &dp->ports[port];
	struct rte_arp_hdr *arp;
	struct rte_ether_addr sha;
	uint32_t sip;

	if (m->data_len < sizeof(struct rte_ether_hdr) + sizeof(*arp)) {
		rte_pktmbuf_free(m);
		return;
	}
	arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
	if (arp->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) || arp->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != sizeof(uint32_t)) {
		rte_pktmbuf_free(m);
		return;
	}
	sha = arp->arp_data.arp_sha;
	sip = arp->arp_data.arp_sip;
	spg_port_addr_conflict(dp, (unsigned int)port, sip, &sha, rte_get_tsc_cycles());
	/* Learn only neighbors on the port's own subnet: nothing else can be a next hop; and
	 * not one of our own addresses, which another host may announce (a failover's race). */
	if (on_link(p, sip) && !rte_is_multicast_ether_addr(&sha) && !rte_is_zero_ether_addr(&sha) &&
	    !spg_port_owns(p, sip))
		spg_neigh_learn(dp->neigh, (uint16_t)port, sip, &sha, rte_get_tsc_cycles());

	/* Every address the port owns now, a taken-over one too (port_addr.h); a silenced
	 * primary is another host's to answer for. */
	if (arp->arp_opcode == RTE_BE16(RTE_ARP_OP_REQUEST) && spg_port_owns(p, arp->arp_data.arp_tip)) {
		arp_fill(m, &sha, RTE_ARP_OP_REPLY, p, arp->arp_data.arp_tip, &sha, sip);
		send_ctl(dp, port, m);
		return;
	}
	rte_pktmbuf_free(m);
}

/* Answers ping to the gateway's own port addresses, so operators can check reachability. */
static void handle_icmp(struct spg_dp *dp, int port, struct rte_mbuf *m)
{
	const struct spg_port *p = &dp->ports[port];
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_icmp_hdr *icmp;
	uint32_t ihl, len, us;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) + sizeof(*icmp) || ip->next_proto_id != IPPROTO_ICMP)
		goto drop;
	ihl = rte_ipv4_hdr_len(ip);
	len = rte_be_to_cpu_16(ip->total_length);
	if (ihl != sizeof(*ip) || len < ihl + sizeof(*icmp) || m->data_len < sizeof(*eth) + len)
		goto drop;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || !spg_port_owns(p, ip->dst_addr))
		goto drop;

	eth->dst_addr = eth->src_addr;
	eth->src_addr = p->mac;
	/* from the address that was pinged: a taken-over one answers as itself */
	us = ip->dst_addr;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = us;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, len - ihl);
	if (icmp->icmp_cksum == 0)
		icmp->icmp_cksum = 0xffff;
	m->data_len = m->pkt_len = sizeof(*eth) + len;
	send_ctl(dp, port, m);
	return;
drop:
	rte_pktmbuf_free(m);
}

static unsigned int poll_packets(struct spg_dp *dp)
{
	struct rte_mbuf *pkts[SLOW_BURST];
	unsigned int n = rte_ring_sc_dequeue_burst(dp->slow_ring, (void **)pkts, SLOW_BURST, NULL);

	for (unsigned int i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int port = port_index_of(dp, m->port);
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

		if (port < 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP))
			handle_arp(dp, port, m);
		else
			handle_icmp(dp, port, m);
	}
	return n;
}

/* A broadcast ARP request from port for tip, with sender address sip. */
static void arp_request(struct spg_dp *dp, int port, uint32_t sip, uint32_t tip)
{
	static const struct rte_ether_addr zero;
	struct rte_ether_addr bcast;
	struct rte_mbuf *m;

	m = rte_pktmbuf_alloc(dp->mbuf_pool);
	if (m == NULL)
		return;
	memset(&bcast, 0xff, sizeof(bcast));
	if (rte_pktmbuf_append(m, sizeof(struct rte_ether_hdr) + sizeof(struct rte_arp_hdr)) == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	arp_fill(m, &bcast, RTE_ARP_OP_REQUEST, &dp->ports[port], sip, &zero, tip);
	send_ctl(dp, port, m);
}

/* Next-hop resolution: from an address the port owns, else as an RFC 5227 probe (0.0.0.0). */
static void solicit(struct spg_dp *dp, int port, uint32_t addr)
{
	arp_request(dp, port, spg_port_arp_source(&dp->ports[port]), addr);
}

void spg_slow_path_garp(struct spg_dp *dp, unsigned int port, uint32_t addr)
{
	arp_request(dp, (int)port, addr, addr);
}

static unsigned int poll_resolve(struct spg_dp *dp)
{
	uint64_t reqs[SLOW_BURST];
	uint64_t now = rte_get_tsc_cycles();
	unsigned int n = rte_ring_sc_dequeue_burst_elem(dp->resolve_ring, reqs, sizeof(reqs[0]), SLOW_BURST, NULL);

	for (unsigned int i = 0; i < n; i++) {
		int port = (int)(reqs[i] >> 32);
		uint32_t addr = (uint32_t)reqs[i];

		if (port < SPG_DP_N_PORTS && spg_neigh_should_solicit(dp->neigh, (uint16_t)port, addr, now))
			solicit(dp, port, addr);
	}
	return n;
}

static unsigned int poll_roaming(struct spg_dp *dp)
{
	struct spg_roam r[SLOW_BURST];
	char addr[SPG_ADDR_STRLEN];
	unsigned int n = rte_ring_sc_dequeue_burst_elem(dp->roam_ring, r, sizeof(r[0]), SLOW_BURST, NULL);

	for (unsigned int i = 0; i < n; i++) {
		struct spg_session *s = spg_session_at(dp->sessions, r[i].index);

		if (s == NULL || s->id != r[i].id || s->peer == r[i].peer)
			continue;
		RTE_LOG(INFO, USER1, "session %" PRIu64 ": SP site moved to %s:%u\n", s->id,
			spg_addr_str(spg_peer_addr(r[i].peer), addr), rte_be_to_cpu_16(spg_peer_port(r[i].peer)));
		spg_session_set_peer(dp->sessions, r[i].index, r[i].peer);
	}
	return n;
}

unsigned int spg_slow_path_poll(struct spg_dp *dp)
{
	return poll_packets(dp) + poll_resolve(dp) + poll_roaming(dp) +
	       spg_port_addr_announce_due(dp, rte_get_tsc_cycles());
}
