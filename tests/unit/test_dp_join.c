/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Joiners (issue 15, "join instead of wait") on a dataplane built by hand: the real outbound
 * and inbound bursts of one session, SESSION_JOINERS through the control handler, and the
 * ESP both ways opened and sealed here with OpenSSL under the session's keys. A joiner's
 * workstation is refused until it joins, then leaves as G_in + slot; the SP's replies to
 * G_in + slot reach it as from V_i; an empty slot's replies are unknown_joiner; clearing a
 * joiner cuts it off at once; the holder is untouched throughout.
 */
#include <errno.h>
#include <stdlib.h>

#include <openssl/evp.h>

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
#include "unit.h"
#include "worker.h"

#define ID 1
#define NATT DPW_NATT
#define S_ADDR DPW_S_ADDR
#define G_IN DPW_G_IN
#define SP_PORT_ADDR DPW_G_OUT
#define HOLDER 0xc000020au      /* 192.0.2.10, params()'s W */
#define W1 0xc000020bu          /* 192.0.2.11 */
#define W3 0xc000020du          /* 192.0.2.13 */
#define PAYLOAD "JOIN-UNIT"

static struct spg_dp dp;
static struct spg_worker *w;
static struct rte_mempool *pkt_pool;
static bool ready;
static struct spg_dp_session_params sess;
static uint64_t in_seq;
static uint8_t rep_buf[SPG_DP_MSG_MAX];
static const struct rte_ether_addr vendor_mac = {{0x02, 0, 0, 0, 0, 0x01}};
static const struct rte_ether_addr sp_mac = {{0x02, 0, 0, 0, 0, 0x02}};
static const struct rte_ether_addr far_mac = {{0x02, 0, 0, 0, 0, 0x0a}};

static bool setup_dp(void)
{
	const struct dp_world_cfg c = {
		.max_sessions = 2, .max_sas = 8, .vendor_port_id = RTE_MAX_ETHPORTS - 1,
		.sp_port_id = RTE_MAX_ETHPORTS - 1, .vendor_mac = vendor_mac, .sp_mac = sp_mac,
	};

	if (!dp_world_build(&dp, &c, "test_dp_join"))
		return false;
	/* every next hop resolved: the SP site, the holder and both joiners' workstations */
	spg_neigh_learn(dp.neigh, SPG_DP_PORT_SP, htonl(0xcb007100u + ID), &far_mac, rte_get_tsc_cycles());
	for (uint32_t a = HOLDER; a <= W3; a++)
		spg_neigh_learn(dp.neigh, SPG_DP_PORT_VENDOR, htonl(a), &far_mac, rte_get_tsc_cycles());
	w = spg_worker_create(&dp, 0, LCORE_ID_ANY);
	if (w == NULL) {
		fprintf(stderr, "test_dp_join: worker: %s\n", rte_strerror(rte_errno));
		return false;
	}
	dp.workers[0] = w;
	pkt_pool = rte_pktmbuf_pool_create("test_join_pkts", 127, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	return pkt_pool != NULL;
}

static int suite_init(void)
{
	if (unit_eal_init("test_dp_join", "crypto_aesni_mb") != 0)
		return 0; /* the tests fail on !ready */
	ready = setup_dp();
	return 0;
}

static int suite_clean(void)
{
	if (ready) {
		spg_worker_free(w);
		dp_world_free(&dp);
		rte_mempool_free(pkt_pool);
	}
	return 0;
}

/* ---- control messages ---- */

static int call(uint16_t type, const void *body, size_t body_len)
{
	return dp_world_call(&dp, type, body, body_len, rep_buf);
}

static int set_joiners(uint32_t j1, uint32_t j2, uint32_t j3)
{
	struct spg_dp_session_joiners_req req = {
		.id = ID, .joiner_addr = { j1 ? htonl(j1) : 0, j2 ? htonl(j2) : 0, j3 ? htonl(j3) : 0 } };

	return call(SPG_DP_SESSION_JOINERS, &req, sizeof(req));
}

/* Every test starts with session ID alone in the table, without joiners. */
static bool fresh_session(void)
{
	struct spg_dp_session_id_req del = {.id = ID};
	struct spg_dp_session_add_req add;

	if (!ready) {
		CU_FAIL("EAL, crypto device, session table or worker did not start");
		return false;
	}
	call(SPG_DP_SESSION_DEL, &del, sizeof(del));
	spg_session_table_reclaim(dp.sessions);
	sess = params(ID);
	sess.rate_out.bytes_per_sec = 0; /* unlimited: the tests count every packet */
	sess.rate_in.bytes_per_sec = 0;
	add.p = sess;
	CU_ASSERT_EQUAL_FATAL(call(SPG_DP_SESSION_ADD, &add, sizeof(add)), 0);
	in_seq = 0;
	return true;
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

/* The counters a test looks at: one drop reason. */
static uint64_t drops(enum spg_drop why)
{
	return w->stats.drops[why];
}

/*
 * One packet from workstation src to V_i:22 through the outbound burst. Returns true when it
 * left for the SP; then *inner gets the decrypted inner packet (the ESP opened here).
 */
static bool send_out(uint32_t src, uint8_t *inner)
{
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_SP];
	uint8_t l3[128], tag[16];
	struct rte_mbuf *m;
	const uint8_t *esp;
	uint32_t seq_lo;
	uint16_t len = tcp_packet(l3, src, ntohl(sess.virtual_addr), 40000, 22);
	int clen;
	bool sent;

	m = frame(&vendor_mac, l3, len);
	w->now = rte_rdtsc();
	spg_outbound_burst(w, &m, 1);
	sent = tx->n == 1;
	if (sent) {
		/* Ethernet | IPv4 | UDP | SPI | seq | IV | ciphertext | ICV */
		esp = rte_pktmbuf_mtod_offset(tx->pkts[0], const uint8_t *,
					      sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) +
						      sizeof(struct rte_udp_hdr));
		clen = (int)(rte_pktmbuf_pkt_len(tx->pkts[0]) - sizeof(struct rte_ether_hdr) - sizeof(struct rte_ipv4_hdr) -
			     sizeof(struct rte_udp_hdr) - 16 - 16);
		CU_ASSERT_EQUAL(memcmp(esp, &sess.sa_out.spi, 4), 0);
		memcpy(&seq_lo, esp + 4, 4);
		memcpy(tag, esp + 16 + clen, 16);
		CU_ASSERT_FATAL(clen > 0 && clen < 128);
		CU_ASSERT_TRUE(gcm(false, &sess.sa_out, esp + 8, ntohl(seq_lo), esp + 16, clen, inner, tag));
	}
	rte_pktmbuf_free_bulk(tx->pkts, tx->n);
	tx->n = 0;
	return sent;
}

/*
 * The SP's packet S:22 -> dst:40000, sealed under the session's inbound key, through the
 * inbound burst. Returns true when it was delivered; then *frame_out gets what went to the
 * vendor side (Ethernet and IPv4).
 */
static bool send_in(uint32_t dst, uint8_t *frame_out)
{
	struct spg_txbuf *tx = &w->tx[SPG_DP_PORT_VENDOR];
	uint8_t pt[128], out[256];
	uint16_t ilen = tcp_packet(pt, S_ADDR, dst, 22, 40000), len;
	struct rte_mbuf *m;
	bool sent;

	len = esp_ref_seal_udp(out, &sess.sa_in, ++in_seq, sess.peer_addr, RTE_BE32(SP_PORT_ADDR), NATT, pt, ilen);
	m = frame(&sp_mac, out, len);
	w->now = rte_rdtsc();
	spg_inbound_burst(w, &m, 1);
	sent = tx->n == 1;
	if (sent)
		memcpy(frame_out, rte_pktmbuf_mtod(tx->pkts[0], const uint8_t *),
		       RTE_MIN(rte_pktmbuf_data_len(tx->pkts[0]), 128u));
	rte_pktmbuf_free_bulk(tx->pkts, tx->n);
	tx->n = 0;
	return sent;
}

static uint32_t src_of(const uint8_t *ip)
{
	return ntohl(((const struct rte_ipv4_hdr *)ip)->src_addr);
}

static uint32_t dst_of(const uint8_t *ip)
{
	return ntohl(((const struct rte_ipv4_hdr *)ip)->dst_addr);
}

/* ---- the attacks first ---- */

static void workstation_that_did_not_join_is_wrong_source(void)
{
	uint8_t inner[128];
	uint64_t before;

	if (!fresh_session())
		return;
	before = drops(SPG_DROP_WRONG_SOURCE);
	CU_ASSERT_FALSE(send_out(W1, inner));
	CU_ASSERT_EQUAL(drops(SPG_DROP_WRONG_SOURCE), before + 1);
	/* an empty slot is 0: a packet from 0.0.0.0 must not match it */
	CU_ASSERT_FALSE(send_out(0, inner));
	CU_ASSERT_EQUAL(drops(SPG_DROP_WRONG_SOURCE), before + 2);
	CU_ASSERT_EQUAL(set_joiners(W1, 0, 0), 0);
	CU_ASSERT_FALSE(send_out(0, inner));
	CU_ASSERT_FALSE(send_out(W3, inner)); /* slot 3 is empty */
	CU_ASSERT_EQUAL(drops(SPG_DROP_WRONG_SOURCE), before + 4);
}

static void reply_to_an_empty_slot_is_unknown_joiner(void)
{
	uint8_t out[128];
	uint64_t unknown, spoofed;

	if (!fresh_session())
		return;
	unknown = drops(SPG_DROP_UNKNOWN_JOINER);
	spoofed = drops(SPG_DROP_SPOOFED_INNER);
	CU_ASSERT_FALSE(send_in(G_IN + 1, out)); /* nobody joined */
	CU_ASSERT_EQUAL(drops(SPG_DROP_UNKNOWN_JOINER), unknown + 1);
	CU_ASSERT_EQUAL(set_joiners(W1, 0, 0), 0);
	CU_ASSERT_FALSE(send_in(G_IN + 2, out)); /* slot 2 is empty */
	CU_ASSERT_FALSE(send_in(G_IN + 3, out));
	CU_ASSERT_EQUAL(drops(SPG_DROP_UNKNOWN_JOINER), unknown + 3);
	/* beyond the slots, and below G_in: no joiner's address at all */
	CU_ASSERT_FALSE(send_in(G_IN + 4, out));
	CU_ASSERT_FALSE(send_in(G_IN - 1, out));
	CU_ASSERT_EQUAL(drops(SPG_DROP_SPOOFED_INNER), spoofed + 2);
}

static void cleared_joiner_is_cut_off_at_once(void)
{
	uint8_t inner[128], out[128];
	uint64_t wrong, unknown;

	if (!fresh_session())
		return;
	CU_ASSERT_EQUAL(set_joiners(W1, 0, 0), 0);
	CU_ASSERT_TRUE(send_out(W1, inner));
	CU_ASSERT_TRUE(send_in(G_IN + 1, out));
	CU_ASSERT_EQUAL(set_joiners(0, 0, 0), 0);
	wrong = drops(SPG_DROP_WRONG_SOURCE);
	unknown = drops(SPG_DROP_UNKNOWN_JOINER);
	CU_ASSERT_FALSE(send_out(W1, inner));
	CU_ASSERT_FALSE(send_in(G_IN + 1, out));
	CU_ASSERT_EQUAL(drops(SPG_DROP_WRONG_SOURCE), wrong + 1);
	CU_ASSERT_EQUAL(drops(SPG_DROP_UNKNOWN_JOINER), unknown + 1);
	/* the holder never noticed */
	CU_ASSERT_TRUE(send_out(HOLDER, inner));
	CU_ASSERT_TRUE(send_in(G_IN, out));
}

static void moving_a_joiner_leaves_the_other_slots_alone(void)
{
	uint8_t inner[128], out[128];

	if (!fresh_session())
		return;
	CU_ASSERT_EQUAL(set_joiners(W1, 0, W3), 0);
	CU_ASSERT_EQUAL(set_joiners(0, 0, W3), 0); /* slot 1 leaves, slot 3 stays slot 3 */
	CU_ASSERT_FALSE(send_out(W1, inner));
	CU_ASSERT_TRUE(send_out(W3, inner));
	CU_ASSERT_EQUAL(src_of(inner), G_IN + 3);
	CU_ASSERT_TRUE(send_in(G_IN + 3, out));
	CU_ASSERT_EQUAL(dst_of(out + sizeof(struct rte_ether_hdr)), W3);
}

/* ---- what joining allows ---- */

static void joiner_leaves_as_g_in_plus_its_slot(void)
{
	uint8_t inner[128];

	if (!fresh_session())
		return;
	CU_ASSERT_EQUAL(set_joiners(W1, 0, W3), 0);
	CU_ASSERT_TRUE_FATAL(send_out(W1, inner));
	CU_ASSERT_EQUAL(src_of(inner), G_IN + 1);
	CU_ASSERT_EQUAL(dst_of(inner), S_ADDR);
	CU_ASSERT_EQUAL(rte_ipv4_cksum((const struct rte_ipv4_hdr *)inner), 0); /* a right checksum sums to 0 */
	CU_ASSERT_EQUAL(memcmp(inner + 40, PAYLOAD, sizeof(PAYLOAD) - 1), 0);
	CU_ASSERT_TRUE_FATAL(send_out(W3, inner));
	CU_ASSERT_EQUAL(src_of(inner), G_IN + 3);
	/* and the holder as ever */
	CU_ASSERT_TRUE_FATAL(send_out(HOLDER, inner));
	CU_ASSERT_EQUAL(src_of(inner), G_IN);
}

static void reply_to_g_in_plus_slot_reaches_that_joiner_from_v_i(void)
{
	uint8_t out[128];
	const uint8_t *ip = out + sizeof(struct rte_ether_hdr);

	if (!fresh_session())
		return;
	CU_ASSERT_EQUAL(set_joiners(W1, 0, W3), 0);
	CU_ASSERT_TRUE_FATAL(send_in(G_IN + 1, out));
	CU_ASSERT_EQUAL(src_of(ip), ntohl(sess.virtual_addr));
	CU_ASSERT_EQUAL(dst_of(ip), W1);
	CU_ASSERT_EQUAL(rte_ipv4_cksum((const struct rte_ipv4_hdr *)ip), 0);
	CU_ASSERT_TRUE_FATAL(send_in(G_IN + 3, out));
	CU_ASSERT_EQUAL(dst_of(ip), W3);
	CU_ASSERT_TRUE_FATAL(send_in(G_IN, out));
	CU_ASSERT_EQUAL(src_of(ip), ntohl(sess.virtual_addr));
	CU_ASSERT_EQUAL(dst_of(ip), HOLDER);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"workstation_that_did_not_join_is_wrong_source", workstation_that_did_not_join_is_wrong_source},
		{"reply_to_an_empty_slot_is_unknown_joiner", reply_to_an_empty_slot_is_unknown_joiner},
		{"cleared_joiner_is_cut_off_at_once", cleared_joiner_is_cut_off_at_once},
		{"moving_a_joiner_leaves_the_other_slots_alone", moving_a_joiner_leaves_the_other_slots_alone},
		{"joiner_leaves_as_g_in_plus_its_slot", joiner_leaves_as_g_in_plus_its_slot},
		{"reply_to_g_in_plus_slot_reaches_that_joiner_from_v_i",
		 reply_to_g_in_plus_slot_reaches_that_joiner_from_v_i},
		{NULL, NULL},
	};

	return unit_run("join", cases, suite_init, suite_clean);
}
