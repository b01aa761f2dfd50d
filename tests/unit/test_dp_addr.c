/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Moveable service addresses (issue 14, failover) on a dataplane built by hand: ADDRESS
 * through the control handler, ARP through the slow path (frames queued on the slow ring,
 * answers taken from the control TX ring), and the real outbound and inbound bursts of a
 * session whose ESP leaves from, and arrives at, an address taken over from another host
 * (sealed and opened here with OpenSSL under the session's keys). An address is owned only
 * once added; a silenced primary is nobody's here; DEL is refused while a session uses it.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include <rte_arp.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "ctl_server.h"
#include "dp.h"
#include "esp_ref.h"
#include "dp_msg_fixture.h"
#include "dp_world.h"
#include "port_addr.h"
#include "slow_path.h"
#include "unit.h"
#include "worker.h"

#define NATT DPW_NATT
#define S_ADDR DPW_S_ADDR
#define G_IN DPW_G_IN
#define VENDOR_ADDR DPW_VENDOR_ADDR
#define VENDOR_TAKEN 0xc0000202u /* 192.0.2.2: the dead host's vendor-port address */
#define G_OUT DPW_G_OUT
#define G_OUT_TAKEN 0xcb0071fdu  /* 203.0.113.253: the dead host's G_out */
#define SP_NEIGHBOR 0xcb007132u  /* 203.0.113.50: asks for our addresses */
#define UNKNOWN_NH 0xcb007133u   /* 203.0.113.51: never resolved */
#define WORKSTATION 0xc000020au  /* 192.0.2.10, params()'s W */
#define PORT_ID_VENDOR (RTE_MAX_ETHPORTS - 1)
#define PORT_ID_SP (RTE_MAX_ETHPORTS - 2)
#define PAYLOAD "ADDR-UNIT"

static struct spg_dp dp;
static struct spg_worker *w;
static struct rte_mempool *pkt_pool;
static bool ready;
static uint64_t in_seq;
static uint8_t rep_buf[SPG_DP_MSG_MAX];
static const struct rte_ether_addr vendor_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct rte_ether_addr sp_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct rte_ether_addr far_mac = {{0x02, 0, 0, 0, 0, 0x0a}};

static bool setup_rings(void)
{
	dp.slow_ring = rte_ring_create("t_addr_slow", 256, 0, RING_F_SC_DEQ);
	dp.roam_ring = rte_ring_create_elem("t_addr_roam", sizeof(struct spg_roam), 64, 0, RING_F_SC_DEQ);
	dp.resolve_ring = rte_ring_create_elem("t_addr_resolve", sizeof(uint64_t), 64, 0, RING_F_SC_DEQ);
	dp.ctl_tx_ring = rte_ring_create("t_addr_ctl_tx", 256, 0, RING_F_SC_DEQ);
	return dp.slow_ring != NULL && dp.roam_ring != NULL && dp.resolve_ring != NULL && dp.ctl_tx_ring != NULL;
}

static bool setup_dp(void)
{
	const struct dp_world_cfg c = {
		.max_sessions = 4, .max_sas = 16, .vendor_port_id = PORT_ID_VENDOR, .sp_port_id = PORT_ID_SP,
		.vendor_mac = vendor_mac, .sp_mac = sp_mac,
	};

	if (!dp_world_build(&dp, &c, "test_dp_addr") || !setup_rings())
		return false;
	/* the SP sites of sessions 1 .. 3 and the workstation are resolved */
	for (uint32_t id = 1; id <= 3; id++)
		spg_neigh_learn(dp.neigh, SPG_DP_PORT_SP, htonl(0xcb007100u + id), &far_mac, rte_get_tsc_cycles());
	spg_neigh_learn(dp.neigh, SPG_DP_PORT_VENDOR, htonl(WORKSTATION), &far_mac, rte_get_tsc_cycles());
	w = spg_worker_create(&dp, 0, LCORE_ID_ANY);
	if (w == NULL) {
		fprintf(stderr, "test_dp_addr: worker: %s\n", rte_strerror(rte_errno));
		return false;
	}
	dp.workers[0] = w;
	pkt_pool = rte_pktmbuf_pool_create("test_addr_pkts", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.mbuf_pool = pkt_pool;
	return pkt_pool != NULL;
}

static int suite_init(void)
{
	if (unit_eal_init("test_dp_addr", "crypto_aesni_mb") != 0)
		return 0; /* the tests fail on !ready */
	ready = setup_dp();
	return 0;
}

static void drain_ctl_tx(void)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(dp.ctl_tx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
}

static int suite_clean(void)
{
	if (ready) {
		drain_ctl_tx();
		spg_worker_free(w);
		dp_world_free(&dp);
		rte_ring_free(dp.slow_ring);
		rte_ring_free(dp.roam_ring);
		rte_ring_free(dp.resolve_ring);
		rte_ring_free(dp.ctl_tx_ring);
		rte_mempool_free(pkt_pool);
	}
	return 0;
}

/* ---- control messages ---- */

/* A message of body_len bytes of body (type and body as given) through the handler: the errno. */
static int call(uint16_t type, const void *body, size_t body_len)
{
	return dp_world_call(&dp, type, body, body_len, rep_buf);
}

static int address(uint8_t op, uint8_t port, uint32_t addr)
{
	struct spg_dp_address_req req = {.op = op, .port = port, .addr = addr ? htonl(addr) : 0};

	return call(SPG_DP_ADDRESS, &req, sizeof(req));
}

/* Session id with its ESP from outer_src (host order, 0: the primary): the errno of its add. */
static int add_session(uint64_t id, uint32_t outer_src, struct spg_dp_session_params *p)
{
	struct spg_dp_session_add_req add;

	*p = params(id);
	p->rate_out.bytes_per_sec = 0; /* unlimited: the tests count every packet */
	p->rate_in.bytes_per_sec = 0;
	p->outer_src = outer_src ? htonl(outer_src) : 0;
	add.p = *p;
	return call(SPG_DP_SESSION_ADD, &add, sizeof(add));
}

static int del_session(uint64_t id)
{
	struct spg_dp_session_id_req del = {.id = id};
	int err = call(SPG_DP_SESSION_DEL, &del, sizeof(del));

	spg_session_table_reclaim(dp.sessions);
	return err;
}

/* Every test starts with no session, the primaries active, no extra address, nothing queued. */
static bool fresh(void)
{
	if (!ready) {
		CU_FAIL("EAL, crypto device, session table, rings or worker did not start");
		return false;
	}
	for (uint64_t id = 1; id <= 3; id++)
		del_session(id);
	for (unsigned int p = 0; p < SPG_DP_N_PORTS; p++) {
		for (unsigned int i = 0; i < SPG_DP_PORT_ADDRS_MAX; i++)
			if (dp.ports[p].extra[i] != 0)
				CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, (uint8_t)p, ntohl(dp.ports[p].extra[i])), 0);
		if (dp.ports[p].primary_silent)
			CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, (uint8_t)p, ntohl(dp.ports[p].addr)), 0);
		/* the announcements of earlier tests are not this test's */
		memset(dp.ports[p].garp_left, 0, sizeof(dp.ports[p].garp_left));
	}
	drain_ctl_tx();
	in_seq = 0;
	return true;
}

/* ---- ARP ---- */

/* What the dataplane sent on one port: an ARP frame's fields (host order addresses). */
struct arp_seen {
	uint16_t port_index;
	uint16_t op;
	bool eth_broadcast;
	struct rte_ether_addr eth_src, sha;
	uint32_t sip, tip;
};

/* Takes every frame the control thread queued; fills up to max ARP frames; returns how many. */
static unsigned int sent_arp(struct arp_seen *seen, unsigned int max)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while (rte_ring_dequeue(dp.ctl_tx_ring, (void **)&m) == 0) {
		const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
		const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);

		if (eth->ether_type == RTE_BE16(RTE_ETHER_TYPE_ARP) && n < max)
			seen[n++] = (struct arp_seen){
				.port_index = m->port,
				.op = rte_be_to_cpu_16(arp->arp_opcode),
				.eth_broadcast = rte_is_broadcast_ether_addr(&eth->dst_addr),
				.eth_src = eth->src_addr,
				.sha = arp->arp_data.arp_sha,
				.sip = ntohl(arp->arp_data.arp_sip),
				.tip = ntohl(arp->arp_data.arp_tip),
			};
		rte_pktmbuf_free(m);
	}
	return n;
}

/* The station at sha on port_index's link asks who has tip, saying it is sip: the frame
 * through the slow path. Returns how many ARP frames came back (the first in *reply). */
static unsigned int ask_arp_from(const struct rte_ether_addr *sha, uint16_t port_index, uint32_t sip, uint32_t tip,
				 struct arp_seen *reply)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pkt_pool);
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *arp;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + sizeof(*arp));
	CU_ASSERT_PTR_NOT_NULL_FATAL(eth);
	arp = (struct rte_arp_hdr *)(eth + 1);
	memset(&eth->dst_addr, 0xff, sizeof(eth->dst_addr));
	eth->src_addr = *sha;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	memset(arp, 0, sizeof(*arp));
	arp->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	arp->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	arp->arp_hlen = RTE_ETHER_ADDR_LEN;
	arp->arp_plen = 4;
	arp->arp_opcode = RTE_BE16(RTE_ARP_OP_REQUEST);
	arp->arp_data.arp_sha = *sha;
	arp->arp_data.arp_sip = htonl(sip);
	arp->arp_data.arp_tip = htonl(tip);
	m->port = dp.ports[port_index].port_id;
	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue(dp.slow_ring, m), 0);
	spg_slow_path_poll(&dp);
	return sent_arp(reply, 1);
}

/* A neighbor (far_mac) on port_index's link asks who has tip. */
static unsigned int ask_arp(uint16_t port_index, uint32_t sip, uint32_t tip, struct arp_seen *reply)
{
	return ask_arp_from(&far_mac, port_index, sip, tip, reply);
}

static bool answers_arp_for(uint16_t port_index, uint32_t addr)
{
	uint32_t asker = port_index == SPG_DP_PORT_SP ? SP_NEIGHBOR : 0xc0000232u; /* 192.0.2.50 */
	struct arp_seen r;

	if (ask_arp(port_index, asker, addr, &r) == 0)
		return false;
	CU_ASSERT_EQUAL(r.op, RTE_ARP_OP_REPLY);
	CU_ASSERT_EQUAL(r.port_index, port_index);
	CU_ASSERT_EQUAL(r.sip, addr);
	CU_ASSERT_EQUAL(r.tip, asker);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&r.sha, &dp.ports[port_index].mac));
	return true;
}

/* A gratuitous ARP for addr on port_index, as RFC 5227 announces: request, sip = tip, broadcast. */
static void assert_garp(const struct arp_seen *g, uint16_t port_index, uint32_t addr)
{
	CU_ASSERT_EQUAL(g->port_index, port_index);
	CU_ASSERT_EQUAL(g->op, RTE_ARP_OP_REQUEST);
	CU_ASSERT_TRUE(g->eth_broadcast);
	CU_ASSERT_EQUAL(g->sip, addr);
	CU_ASSERT_EQUAL(g->tip, addr);
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&g->sha, &dp.ports[port_index].mac));
	CU_ASSERT_TRUE(rte_is_same_ether_addr(&g->eth_src, &dp.ports[port_index].mac));
}

/* The SP port's ARP request for a next hop nobody answered yet: its sender address. */
static uint32_t solicit_source(void)
{
	static uint32_t asked;
	/* a second ask for one address within a second is held back: a fresh address each time */
	uint64_t req = spg_resolve_pack(SPG_DP_PORT_SP, htonl(UNKNOWN_NH + asked++));
	struct arp_seen r;

	CU_ASSERT_EQUAL_FATAL(rte_ring_enqueue_elem(dp.resolve_ring, &req, sizeof(req)), 0);
	spg_slow_path_poll(&dp);
	CU_ASSERT_EQUAL_FATAL(sent_arp(&r, 1), 1);
	CU_ASSERT_EQUAL(r.op, RTE_ARP_OP_REQUEST);
	CU_ASSERT_TRUE(r.eth_broadcast);
	return r.sip;
}

/* ---- the session's far ends (esp_ref.h) ---- */

#define gcm esp_ref_gcm
static uint16_t tcp_packet(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	return esp_ref_tcp_packet(b, src, dst, sport, dport, PAYLOAD);
}
static struct rte_mbuf *frame(const struct rte_ether_addr *dst_mac, const uint8_t *l3, uint16_t len)
{
	return esp_ref_frame(pkt_pool, dst_mac, &far_mac, l3, len);
}

/*
 * The workstation's packet to session p's V_i:22 through the outbound burst. Returns the outer
 * source address (host order) of the ESP that left for the SP, 0 when none did; the ESP is
 * opened here under p's outbound key.
 */
static uint32_t send_out(const struct spg_dp_session_params *p)
{
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_SP];
	uint8_t l3[128], tag[16], inner[128];
	const struct rte_ipv4_hdr *outer;
	struct rte_mbuf *m;
	const uint8_t *esp;
	uint32_t seq_lo, src = 0;
	uint16_t len = tcp_packet(l3, WORKSTATION, ntohl(p->virtual_addr), 40000, 22);
	int clen;

	m = frame(&vendor_mac, l3, len);
	w->now = rte_rdtsc();
	spg_outbound_burst(w, &m, 1);
	if (tx->n == 1) {
		/* Ethernet | IPv4 | UDP | SPI | seq | IV | ciphertext | ICV */
		outer = rte_pktmbuf_mtod_offset(tx->pkts[0], const struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
		CU_ASSERT_EQUAL(rte_ipv4_cksum(outer), 0);
		CU_ASSERT_EQUAL(outer->dst_addr, p->peer_addr);
		src = ntohl(outer->src_addr);
		esp = (const uint8_t *)(outer + 1) + sizeof(struct rte_udp_hdr);
		clen = (int)(rte_pktmbuf_pkt_len(tx->pkts[0]) - sizeof(struct rte_ether_hdr) - sizeof(*outer) -
			     sizeof(struct rte_udp_hdr) - 16 - 16);
		CU_ASSERT_EQUAL(memcmp(esp, &p->sa_out.spi, 4), 0);
		memcpy(&seq_lo, esp + 4, 4);
		memcpy(tag, esp + 16 + clen, 16);
		CU_ASSERT_FATAL(clen > 0 && clen < 128);
		CU_ASSERT_TRUE(gcm(false, &p->sa_out, esp + 8, ntohl(seq_lo), esp + 16, clen, inner, tag));
	}
	rte_pktmbuf_free_bulk(tx->pkts, tx->n);
	tx->n = 0;
	return src;
}

/*
 * The SP's packet S:22 -> G_in:40000 sealed under session p's inbound key, sent to outer
 * destination dst (host order) through the inbound burst. True when it reached the vendor side.
 */
static bool send_in(const struct spg_dp_session_params *p, uint32_t dst)
{
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_VENDOR];
	uint8_t pt[128], out[256];
	uint16_t ilen = tcp_packet(pt, S_ADDR, G_IN, 22, 40000), len;
	struct rte_mbuf *m;
	bool sent;

	len = esp_ref_seal_udp(out, &p->sa_in, ++in_seq, p->peer_addr, htonl(dst), NATT, pt, ilen);
	m = frame(&sp_mac, out, len);
	w->now = rte_rdtsc();
	spg_inbound_burst(w, &m, 1);
	sent = tx->n == 1;
	rte_pktmbuf_free_bulk(tx->pkts, tx->n);
	tx->n = 0;
	return sent;
}

static uint64_t not_for_us(void)
{
	return w->stats.drops[SPG_DROP_NOT_FOR_US];
}

/* ---- the attacks first ---- */

static void address_not_added_is_not_ours(void)
{
	struct spg_dp_session_params p;
	uint64_t before;

	if (!fresh())
		return;
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_SP, G_OUT_TAKEN));
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_VENDOR, VENDOR_TAKEN));
	CU_ASSERT_EQUAL(add_session(1, G_OUT_TAKEN, &p), EADDRNOTAVAIL);
	/* the vendor port's address is not the SP port's either */
	CU_ASSERT_EQUAL(add_session(1, VENDOR_ADDR, &p), EADDRNOTAVAIL);
	/* ESP of a real session sent to an address not held is dropped before its SA is looked at */
	CU_ASSERT_EQUAL(add_session(1, 0, &p), 0);
	before = not_for_us();
	CU_ASSERT_FALSE(send_in(&p, G_OUT_TAKEN));
	CU_ASSERT_EQUAL(not_for_us(), before + 1);
	CU_ASSERT_TRUE(send_in(&p, G_OUT));
}

static void malformed_address_messages_are_refused(void)
{
	struct spg_dp_address_req req = {.op = SPG_DP_ADDR_ADD, .port = SPG_DP_PORT_SP, .addr = htonl(G_OUT_TAKEN)};
	uint8_t big[sizeof(req) + 1] = {0};
	struct spg_dp_hdr h;
	size_t n;

	if (!fresh())
		return;
	/* one byte short or long: the structural check refuses it before any handler */
	n = build(SPG_DP_API_VERSION, SPG_DP_ADDRESS, sizeof(req) - 1, 0);
	memcpy(msg + HDR, &req, sizeof(req) - 1);
	n = spg_ctl_handle(&dp, msg, n, rep_buf);
	memcpy(&h, rep_buf, HDR);
	CU_ASSERT_EQUAL(n, HDR);
	CU_ASSERT_EQUAL(h.error, EBADMSG);
	memcpy(big, &req, sizeof(req));
	CU_ASSERT_EQUAL(call(SPG_DP_ADDRESS, big, sizeof(big)), EBADMSG);
	CU_ASSERT_FALSE(spg_port_owns(&dp.ports[SPG_DP_PORT_SP], htonl(G_OUT_TAKEN)));

	CU_ASSERT_EQUAL(address(0, SPG_DP_PORT_SP, G_OUT_TAKEN), EINVAL);
	CU_ASSERT_EQUAL(address(4, SPG_DP_PORT_SP, G_OUT_TAKEN), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_N_PORTS, G_OUT_TAKEN), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, 0xff, G_OUT_TAKEN), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0xffffffffu), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0xcb0071ffu), EINVAL); /* the subnet's broadcast */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0xcb007100u), EINVAL); /* its network */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0xe0000012u), EINVAL); /* multicast */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0x7f000001u), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, VENDOR_ADDR), EINVAL); /* the other port's */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, 0xc6120005u), EINVAL); /* in the pool */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, S_ADDR), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, G_IN), EINVAL);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, G_IN + 3), EINVAL); /* a joiner's G_in + j */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, G_OUT), EINVAL);
	/* nothing refused was taken, or announced */
	for (unsigned int i = 0; i < SPG_DP_PORT_ADDRS_MAX; i++) {
		CU_ASSERT_EQUAL(dp.ports[SPG_DP_PORT_SP].extra[i], 0);
		CU_ASSERT_EQUAL(dp.ports[SPG_DP_PORT_VENDOR].extra[i], 0);
	}
	CU_ASSERT_EQUAL(rte_ring_count(dp.ctl_tx_ring), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT_TAKEN), ENOENT);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, 0), ENOENT);
}

static void a_port_holds_at_most_its_share_of_addresses(void)
{
	if (!fresh())
		return;
	for (uint32_t i = 0; i < SPG_DP_PORT_ADDRS_MAX; i++)
		CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0xcb007180u + i), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), ENOSPC);
	/* one held already is no new one */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, 0xcb007180u), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, 0xcb007185u), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	drain_ctl_tx(); /* the announcements */
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_SP, G_OUT_TAKEN));
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_SP, 0xcb007185u));
}

static void address_in_use_by_a_session_cannot_go(void)
{
	struct spg_dp_session_params p;

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	drain_ctl_tx(); /* the announcement */
	CU_ASSERT_EQUAL(add_session(1, G_OUT_TAKEN, &p), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT_TAKEN), EBUSY);
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_SP, G_OUT_TAKEN));
	CU_ASSERT_EQUAL(send_out(&p), G_OUT_TAKEN);
	/* nor the primary while a session leaves from it (outer_src 0) */
	CU_ASSERT_EQUAL(add_session(2, 0, &p), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT), EBUSY);
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_SP, G_OUT));
	/* the control plane deletes the sessions first */
	CU_ASSERT_EQUAL(del_session(1), 0);
	CU_ASSERT_EQUAL(del_session(2), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT_TAKEN), ENOENT);
}

static void deleted_address_is_no_longer_ours(void)
{
	struct spg_dp_session_params p;
	uint64_t before;

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, VENDOR_TAKEN), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_VENDOR, VENDOR_TAKEN), 0);
	drain_ctl_tx();
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_SP, G_OUT_TAKEN));
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_VENDOR, VENDOR_TAKEN));
	CU_ASSERT_EQUAL(add_session(1, G_OUT_TAKEN, &p), EADDRNOTAVAIL);
	CU_ASSERT_EQUAL(add_session(1, 0, &p), 0);
	before = not_for_us();
	CU_ASSERT_FALSE(send_in(&p, G_OUT_TAKEN));
	CU_ASSERT_EQUAL(not_for_us(), before + 1);
	/* its repeated announcements stop too */
	CU_ASSERT_EQUAL(spg_port_addr_announce_due(&dp, rte_get_tsc_cycles() + 10 * rte_get_tsc_hz()), 0);
}

static void silenced_primary_is_another_hosts(void)
{
	struct spg_dp_session_params p;
	uint64_t before;

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT), 0);
	CU_ASSERT_EQUAL(rte_ring_count(dp.ctl_tx_ring), 0); /* no announcement of its going */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT), ENOENT);
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_SP, G_OUT));
	/* its own next-hop requests are RFC 5227 probes: they overwrite nobody's cache */
	CU_ASSERT_EQUAL(solicit_source(), 0);
	CU_ASSERT_EQUAL(add_session(1, 0, &p), EADDRNOTAVAIL);
	CU_ASSERT_EQUAL(add_session(1, G_OUT, &p), EADDRNOTAVAIL);
	/* ESP to it is not ours either (the SA of a session added before is at hand) */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL(add_session(1, G_OUT_TAKEN, &p), 0);
	before = not_for_us();
	CU_ASSERT_FALSE(send_in(&p, G_OUT));
	CU_ASSERT_EQUAL(not_for_us(), before + 1);
	CU_ASSERT_TRUE(send_in(&p, G_OUT_TAKEN));
	/* with an extra address held, next-hop requests come from it */
	drain_ctl_tx();
	CU_ASSERT_EQUAL(solicit_source(), G_OUT_TAKEN);
	/* the vendor port's primary is silenced alike */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_VENDOR, VENDOR_ADDR), 0);
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_VENDOR, VENDOR_ADDR));
}

/* ---- what adding allows ---- */

static void added_address_is_announced_three_times(void)
{
	struct arp_seen g[4];
	uint64_t now = rte_get_tsc_cycles(), hz = rte_get_tsc_hz();

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL_FATAL(sent_arp(g, 4), 1); /* at once */
	assert_garp(&g[0], SPG_DP_PORT_SP, G_OUT_TAKEN);
	/* then twice more, 0.5 s apart, from the slow path */
	CU_ASSERT_EQUAL(spg_port_addr_announce_due(&dp, now), 0);
	CU_ASSERT_EQUAL(spg_port_addr_announce_due(&dp, now + hz), 1);
	CU_ASSERT_EQUAL(spg_port_addr_announce_due(&dp, now + hz + hz / 4), 0);
	CU_ASSERT_EQUAL(spg_port_addr_announce_due(&dp, now + 2 * hz), 1);
	CU_ASSERT_EQUAL(spg_port_addr_announce_due(&dp, now + 10 * hz), 0);
	CU_ASSERT_EQUAL_FATAL(sent_arp(g, 4), 2);
	assert_garp(&g[0], SPG_DP_PORT_SP, G_OUT_TAKEN);
	assert_garp(&g[1], SPG_DP_PORT_SP, G_OUT_TAKEN);
	/* adding it again answers 0 and announces again */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL_FATAL(sent_arp(g, 4), 1);
	assert_garp(&g[0], SPG_DP_PORT_SP, G_OUT_TAKEN);
	/* the vendor port's, with the vendor port's MAC */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, VENDOR_TAKEN), 0);
	CU_ASSERT_EQUAL_FATAL(sent_arp(g, 4), 1);
	assert_garp(&g[0], SPG_DP_PORT_VENDOR, VENDOR_TAKEN);
}

static void added_address_is_answered_for(void)
{
	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, VENDOR_TAKEN), 0);
	drain_ctl_tx();
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_SP, G_OUT_TAKEN));
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_VENDOR, VENDOR_TAKEN));
	/* on its own port only */
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_VENDOR, G_OUT_TAKEN));
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_SP, VENDOR_TAKEN));
	/* the primaries as before */
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_SP, G_OUT));
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_VENDOR, VENDOR_ADDR));
	CU_ASSERT_EQUAL(solicit_source(), G_OUT); /* an active primary stays the sender */
}

static void another_hosts_announcement_of_our_address_is_not_learned(void)
{
	struct rte_ether_addr mac;
	struct arp_seen r;

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	drain_ctl_tx();
	/* the dead host came back and announces its old address: it is no next hop of ours */
	ask_arp(SPG_DP_PORT_SP, G_OUT_TAKEN, G_OUT_TAKEN, &r);
	CU_ASSERT_FALSE(spg_neigh_lookup(dp.neigh, SPG_DP_PORT_SP, htonl(G_OUT_TAKEN), &mac));
	ask_arp(SPG_DP_PORT_SP, G_OUT, G_OUT, &r);
	CU_ASSERT_FALSE(spg_neigh_lookup(dp.neigh, SPG_DP_PORT_SP, htonl(G_OUT), &mac));
	/* an ordinary neighbor still is */
	ask_arp(SPG_DP_PORT_SP, SP_NEIGHBOR, G_OUT, &r);
	CU_ASSERT_TRUE(spg_neigh_lookup(dp.neigh, SPG_DP_PORT_SP, htonl(SP_NEIGHBOR), &mac));
}

static uint64_t conflicts(unsigned int port)
{
	return __atomic_load_n(&dp.ports[port].addr_conflicts, __ATOMIC_RELAXED);
}

/* Another host claiming an address a port holds (split brain) is counted; a probe from
 * 0.0.0.0, a neighbour asking for it, our own frames and a silenced primary are not. */
static void another_host_claiming_our_address_is_a_conflict(void)
{
	uint64_t sp, vendor;
	struct arp_seen r;

	if (!fresh())
		return;
	sp = conflicts(SPG_DP_PORT_SP);
	vendor = conflicts(SPG_DP_PORT_VENDOR);
	ask_arp(SPG_DP_PORT_SP, 0, G_OUT, &r);
	ask_arp(SPG_DP_PORT_SP, SP_NEIGHBOR, G_OUT, &r);
	ask_arp_from(&sp_mac, SPG_DP_PORT_SP, G_OUT, G_OUT, &r);
	CU_ASSERT_EQUAL(conflicts(SPG_DP_PORT_SP), sp);
	/* another host's gratuitous ARP for our primary */
	ask_arp(SPG_DP_PORT_SP, G_OUT, G_OUT, &r);
	CU_ASSERT_EQUAL(conflicts(SPG_DP_PORT_SP), sp + 1);
	/* an address taken over, used by someone else as its own */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	drain_ctl_tx();
	ask_arp(SPG_DP_PORT_SP, G_OUT_TAKEN, SP_NEIGHBOR, &r);
	CU_ASSERT_EQUAL(conflicts(SPG_DP_PORT_SP), sp + 2);
	ask_arp(SPG_DP_PORT_VENDOR, VENDOR_ADDR, VENDOR_ADDR, &r);
	CU_ASSERT_EQUAL(conflicts(SPG_DP_PORT_VENDOR), vendor + 1);
	/* silenced, the primary is the other host's to claim */
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT), 0);
	ask_arp(SPG_DP_PORT_SP, G_OUT, G_OUT, &r);
	CU_ASSERT_EQUAL(conflicts(SPG_DP_PORT_SP), sp + 2);
}

static void taken_over_session_leaves_from_and_arrives_at_the_taken_address(void)
{
	struct spg_dp_session_params taken, own;
	struct spg_dp_session_update_req upd;
	struct spg_dp_session_get_rep got;
	struct spg_dp_session_id_req get = {.id = 1};
	uint32_t src;

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL(add_session(1, G_OUT_TAKEN, &taken), 0);
	CU_ASSERT_EQUAL(add_session(2, 0, &own), 0);
	CU_ASSERT_EQUAL(send_out(&taken), G_OUT_TAKEN);
	CU_ASSERT_EQUAL(send_out(&own), G_OUT);
	CU_ASSERT_TRUE(send_in(&taken, G_OUT_TAKEN));
	CU_ASSERT_TRUE(send_in(&own, G_OUT));
	/* GET shows where each leaves from */
	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_GET, &get, sizeof(get)), 0);
	memcpy(&got, rep_buf + HDR, sizeof(got));
	CU_ASSERT_EQUAL(ntohl(got.s.outer_src), G_OUT_TAKEN);
	get.id = 2;
	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_GET, &get, sizeof(get)), 0);
	memcpy(&got, rep_buf + HDR, sizeof(got));
	CU_ASSERT_EQUAL(ntohl(got.s.outer_src), G_OUT);

	/* an update cannot move it; a rekey's new SA leaves from the same address */
	memset(&upd, 0, sizeof(upd));
	upd.what = SPG_DP_UPD_KEYS;
	upd.p = params(1);
	upd.p.sa_out.spi = htonl(0x3001);
	upd.p.sa_in.spi = htonl(0x4001);
	upd.p.outer_src = htonl(G_OUT);
	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_UPDATE, &upd, sizeof(upd)), EINVAL);
	upd.p.outer_src = htonl(G_OUT_TAKEN);
	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_UPDATE, &upd, sizeof(upd)), 0);
	taken.sa_out = upd.p.sa_out;
	taken.sa_in = upd.p.sa_in;
	in_seq = 0;
	spg_session_table_reclaim(dp.sessions);
	src = send_out(&taken);
	CU_ASSERT_EQUAL(src, G_OUT_TAKEN);
	CU_ASSERT_TRUE(send_in(&taken, G_OUT_TAKEN));
}

static void readded_primary_is_announced_and_answered_again(void)
{
	struct spg_dp_session_params p;
	struct arp_seen g[2];

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, G_OUT), 0);
	CU_ASSERT_FALSE(answers_arp_for(SPG_DP_PORT_SP, G_OUT));
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT), 0);
	CU_ASSERT_EQUAL_FATAL(sent_arp(g, 2), 1);
	assert_garp(&g[0], SPG_DP_PORT_SP, G_OUT);
	CU_ASSERT_TRUE(answers_arp_for(SPG_DP_PORT_SP, G_OUT));
	CU_ASSERT_EQUAL(solicit_source(), G_OUT);
	CU_ASSERT_EQUAL(add_session(1, 0, &p), 0);
	CU_ASSERT_EQUAL(send_out(&p), G_OUT);
	CU_ASSERT_TRUE(send_in(&p, G_OUT));
}

/* LIST: the address of entry e (host order) when e is (port, primary, active), else 0. */
static bool listed(const struct spg_dp_address_entry *e, uint32_t n, uint8_t port, uint8_t primary, uint8_t active,
		   uint32_t addr)
{
	for (uint32_t i = 0; i < n; i++)
		if (e[i].port == port && e[i].primary == primary && e[i].active == active && ntohl(e[i].addr) == addr)
			return true;
	return false;
}

static void list_shows_every_address(void)
{
	struct spg_dp_address_req req = {.op = SPG_DP_ADDR_LIST};
	struct spg_dp_address_list_rep head;
	struct spg_dp_address_entry e[SPG_DP_ADDR_LIST_MAX];

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, G_OUT_TAKEN), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, VENDOR_TAKEN), 0);
	CU_ASSERT_EQUAL(address(SPG_DP_ADDR_DEL, SPG_DP_PORT_VENDOR, VENDOR_ADDR), 0);
	CU_ASSERT_EQUAL(call(SPG_DP_ADDRESS, &req, sizeof(req)), 0);
	memcpy(&head, rep_buf + HDR, sizeof(head));
	CU_ASSERT_EQUAL_FATAL(head.count, 4);
	memcpy(e, rep_buf + HDR + sizeof(head), head.count * sizeof(e[0]));
	CU_ASSERT_TRUE(listed(e, head.count, SPG_DP_PORT_SP, 1, 1, G_OUT));
	CU_ASSERT_TRUE(listed(e, head.count, SPG_DP_PORT_SP, 0, 1, G_OUT_TAKEN));
	CU_ASSERT_TRUE(listed(e, head.count, SPG_DP_PORT_VENDOR, 1, 0, VENDOR_ADDR));
	CU_ASSERT_TRUE(listed(e, head.count, SPG_DP_PORT_VENDOR, 0, 1, VENDOR_TAKEN));
}

static void hello_names_the_vendor_address(void)
{
	struct spg_dp_hello_req req = {.client_version = SPG_DP_API_VERSION};
	struct spg_dp_hello_rep rep;

	if (!fresh())
		return;
	CU_ASSERT_EQUAL(call(SPG_DP_HELLO, &req, sizeof(req)), 0);
	memcpy(&rep, rep_buf + HDR, sizeof(rep));
	CU_ASSERT_EQUAL(ntohl(rep.vendor_addr), VENDOR_ADDR);
	CU_ASSERT_EQUAL(rep.api_version, SPG_DP_API_VERSION);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"address_not_added_is_not_ours", address_not_added_is_not_ours},
		{"malformed_address_messages_are_refused", malformed_address_messages_are_refused},
		{"a_port_holds_at_most_its_share_of_addresses", a_port_holds_at_most_its_share_of_addresses},
		{"address_in_use_by_a_session_cannot_go", address_in_use_by_a_session_cannot_go},
		{"deleted_address_is_no_longer_ours", deleted_address_is_no_longer_ours},
		{"silenced_primary_is_another_hosts", silenced_primary_is_another_hosts},
		{"added_address_is_announced_three_times", added_address_is_announced_three_times},
		{"added_address_is_answered_for", added_address_is_answered_for},
		{"another_hosts_announcement_of_our_address_is_not_learned",
		 another_hosts_announcement_of_our_address_is_not_learned},
		{"another_host_claiming_our_address_is_a_conflict", another_host_claiming_our_address_is_a_conflict},
		{"taken_over_session_leaves_from_and_arrives_at_the_taken_address",
		 taken_over_session_leaves_from_and_arrives_at_the_taken_address},
		{"readded_primary_is_announced_and_answered_again", readded_primary_is_announced_and_answered_again},
		{"list_shows_every_address", list_shows_every_address},
		{"hello_names_the_vendor_address", hello_names_the_vendor_address},
		{NULL, NULL},
	};

	return unit_run("dataplane moveable addresses", cases, suite_init, suite_clean);
}
