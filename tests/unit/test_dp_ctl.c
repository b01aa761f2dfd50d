/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's handler (spg_ctl_handle) on a real session table: every request
 * answered, sessions added, read back, listed, updated and deleted, and garbage refused with
 * an error reply. The checks of the messages themselves are in test_dp_msg.c.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "ctl_peer.h"
#include "ctl_server.h"
#include "dp.h"
#include "dp_msg_fixture.h"
#include "esp.h"
#include "session.h"
#include "unit.h"

#define TABLE_SIZE 2

static struct spg_dp dp;
static uint8_t rep[SPG_DP_MSG_MAX];
static bool dp_ready;
static uint32_t seq;

static bool dp_setup(void)
{
	struct spg_esp_config ec = {
		.crypto_device = "crypto_aesni_mb",
		.key_len = 16,
		.replay_window = 128,
		.udp_port = 4500,
		.local_addr = RTE_BE32(0xcb007101), /* 203.0.113.1 */
		.n_queue_pairs = 1,
		.max_sas = 64,
		.socket_id = 0,
	};
	static bool tried;

	if (tried)
		return dp_ready;
	tried = true;
	if (unit_eal_init("test_dp_ctl", "crypto_aesni_mb") != 0)
		return false;
	memset(&dp, 0, sizeof(dp));
	dp.cfg.cipher = SPG_CIPHER_AES_128_GCM;
	dp.cfg.max_sessions = TABLE_SIZE;
	dp.cfg.shared_addr = RTE_BE32(0xc0a80001);   /* 192.168.0.1 */
	dp.cfg.inner_addr = RTE_BE32(0xc6336401);    /* 198.51.100.1 */
	dp.cfg.pool_addr = RTE_BE32(0xc6120000);     /* 198.18.0.0/24 */
	dp.cfg.pool_prefix_len = 24;
	dp.ports[SPG_DP_PORT_VENDOR].port_id = RTE_MAX_ETHPORTS - 1; /* none: zero stats */
	dp.ports[SPG_DP_PORT_SP].port_id = RTE_MAX_ETHPORTS - 1;
	dp.start_tsc = rte_get_tsc_cycles();
	pthread_mutex_init(&dp.ctl_lock, NULL);
	dp.esp = spg_esp_create(&ec);
	dp.qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (dp.esp == NULL || dp.qsbr == NULL || rte_rcu_qsbr_init(dp.qsbr, 1) != 0)
		return false;
	dp.sessions = spg_session_table_create(TABLE_SIZE, 0, dp.qsbr, dp.esp);
	if (dp.sessions == NULL || spg_session_table_alloc_counters(dp.sessions, 1) != 0)
		return false;
	dp_ready = true;
	return true;
}

/* Sends one request through spg_ctl_handle; checks the reply's framing; returns its errno. */
static int call(uint16_t type, const void *body, size_t body_len, void *rep_body, size_t *rep_body_len)
{
	struct spg_dp_hdr h = {.version = SPG_DP_API_VERSION, .type = type, .len = (uint32_t)(HDR + body_len),
			       .seq = ++seq};
	const char *why = NULL;
	size_t n;

	memcpy(msg, &h, HDR);
	if (body_len)
		memcpy(msg + HDR, body, body_len);
	n = spg_ctl_handle(&dp, msg, HDR + body_len, rep);
	CU_ASSERT_EQUAL_FATAL(spg_dp_msg_check(rep, n, true, &why), 0);
	memcpy(&h, rep, HDR);
	CU_ASSERT_EQUAL(h.seq, seq);
	CU_ASSERT_EQUAL(h.type, type | SPG_DP_REPLY);
	if (rep_body != NULL)
		memcpy(rep_body, rep + HDR, n - HDR);
	if (rep_body_len != NULL)
		*rep_body_len = n - HDR;
	return h.error;
}

static int add(const struct spg_dp_session_params *p)
{
	struct spg_dp_session_add_req req = {.p = *p};

	return call(SPG_DP_SESSION_ADD, &req, sizeof(req), NULL, NULL);
}

static int del(uint64_t id)
{
	struct spg_dp_session_id_req req = {.id = id};

	return call(SPG_DP_SESSION_DEL, &req, sizeof(req), NULL, NULL);
}

static int get(uint64_t id, struct spg_dp_session_info *info)
{
	struct spg_dp_session_id_req req = {.id = id};
	struct spg_dp_session_get_rep r;
	int rc = call(SPG_DP_SESSION_GET, &req, sizeof(req), &r, NULL);

	if (rc == 0)
		*info = r.s;
	return rc;
}

static int update(uint32_t what, const struct spg_dp_session_params *p)
{
	struct spg_dp_session_update_req req = {.what = what, .p = *p};

	return call(SPG_DP_SESSION_UPDATE, &req, sizeof(req), NULL, NULL);
}

/* Every ctl test starts from an empty table. */
static bool fresh_table(void)
{
	struct spg_session *s;
	uint32_t cursor = 0;

	if (!dp_setup()) {
		CU_FAIL("EAL, crypto device or session table did not start");
		return false;
	}
	while ((s = spg_session_next(dp.sessions, &cursor)) != NULL)
		spg_session_del(dp.sessions, s->id);
	spg_session_table_reclaim(dp.sessions);
	return true;
}

/* Starts from a table holding only p; false when the dataplane did not start. */
static bool table_with(const struct spg_dp_session_params *p)
{
	if (!fresh_table())
		return false;
	CU_ASSERT_EQUAL(add(p), 0);
	return true;
}

/* Lists sessions as req says (the request must succeed); the reply's head, its body's length
 * in *len. */
static struct spg_dp_session_list_rep list(const struct spg_dp_session_list_req *req, size_t *len)
{
	uint8_t body[SPG_DP_MSG_MAX];
	struct spg_dp_session_list_rep head;

	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_LIST, req, sizeof(*req), body, len), 0);
	memcpy(&head, body, sizeof(head));
	return head;
}

static void ctl_hello_describes_the_dataplane(void)
{
	struct spg_dp_hello_req req = {.client_version = SPG_DP_API_VERSION, .client_name = "test"};
	struct spg_dp_hello_rep r;

	if (!fresh_table())
		return;
	CU_ASSERT_EQUAL(call(SPG_DP_HELLO, &req, sizeof(req), &r, NULL), 0);
	CU_ASSERT_EQUAL(r.api_version, SPG_DP_API_VERSION);
	CU_ASSERT_EQUAL(r.max_sessions, TABLE_SIZE);
	CU_ASSERT_EQUAL(r.n_sessions, 0);
	CU_ASSERT_EQUAL(r.key_len, 16);
	CU_ASSERT_EQUAL(r.pool_addr, dp.cfg.pool_addr);
	CU_ASSERT_EQUAL(r.pool_prefix_len, 24);
	CU_ASSERT_EQUAL(strncmp(r.version, "spgate-dp ", 10), 0);
	CU_ASSERT_EQUAL(call(SPG_DP_PING, NULL, 0, NULL, NULL), 0);
}

static void ctl_added_session_can_be_read_back(void)
{
	struct spg_dp_session_params p = params(1);
	struct spg_dp_session_info info;

	if (!table_with(&p))
		return;
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.id, 1);
	CU_ASSERT_EQUAL(info.virtual_addr, p.virtual_addr);
	CU_ASSERT_EQUAL(info.workstation_addr, p.workstation_addr);
	CU_ASSERT_EQUAL(info.peer_addr, p.peer_addr);
	CU_ASSERT_EQUAL(info.peer_port, 4500);
	CU_ASSERT_EQUAL(info.spi_out, p.sa_out.spi);
	CU_ASSERT_EQUAL(info.spi_in, p.sa_in.spi);
	CU_ASSERT_EQUAL(info.n_port_ranges, 2);
	CU_ASSERT_EQUAL(info.ports[1].hi, 162);
	CU_ASSERT_EQUAL(info.icmp_echo, 1);
	CU_ASSERT_EQUAL(info.rate_out.bytes_per_sec, 4200);
}

static void ctl_list_pages_through_the_table(void)
{
	struct spg_dp_session_params p1 = params(1), p2 = params(2);
	struct spg_dp_session_list_req req = {.cursor = 0, .max = 0};
	struct spg_dp_session_list_rep head;
	size_t len;

	if (!table_with(&p1))
		return;
	CU_ASSERT_EQUAL(add(&p2), 0);
	head = list(&req, &len);
	CU_ASSERT_EQUAL(head.count, 2);
	CU_ASSERT_EQUAL(head.total, 2);
	CU_ASSERT_EQUAL(head.done, 1);
	CU_ASSERT_EQUAL(len, sizeof(head) + 2 * sizeof(struct spg_dp_session_info));

	/* One at a time: the cursor carries the iteration across replies. */
	req.max = 1;
	head = list(&req, &len);
	CU_ASSERT_EQUAL(head.count, 1);
	CU_ASSERT_EQUAL(head.done, 0);
	req.cursor = head.next_cursor;
	head = list(&req, &len);
	CU_ASSERT_EQUAL(head.count, 1);
	CU_ASSERT_EQUAL(head.done, 1);
}

static void ctl_batch_adds_every_session_and_answers_for_each(void)
{
	struct {
		struct spg_dp_session_add_batch_req head;
		struct spg_dp_session_params p[4];
	} req;
	uint8_t body[SPG_DP_MSG_MAX];
	struct spg_dp_session_add_batch_rep head;
	struct spg_dp_session_info info;
	int32_t errs[4];
	size_t len;

	if (!fresh_table())
		return;
	memset(&req, 0, sizeof(req));
	req.head.count = 4;
	req.p[0] = params(1);
	req.p[1] = params(2);
	req.p[1].id = 1; /* the first one's id */
	req.p[2] = params(3);
	req.p[2].sa_in.key_len = 32;
	req.p[3] = params(4); /* after two refusals, still added */
	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_ADD_BATCH, &req, sizeof(req), body, &len), 0);
	CU_ASSERT_EQUAL_FATAL(len, sizeof(head) + sizeof(errs));
	memcpy(&head, body, sizeof(head));
	memcpy(errs, body + sizeof(head), sizeof(errs));
	CU_ASSERT_EQUAL(head.count, 4);
	CU_ASSERT_EQUAL(head.n_failed, 2);
	CU_ASSERT_EQUAL(errs[0], 0);
	CU_ASSERT_EQUAL(errs[1], EEXIST);
	CU_ASSERT_EQUAL(errs[2], EINVAL);
	CU_ASSERT_EQUAL(errs[3], 0);
	CU_ASSERT_EQUAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.virtual_addr, req.p[0].virtual_addr);
	CU_ASSERT_EQUAL(get(3, &info), ENOENT);
	CU_ASSERT_EQUAL(get(4, &info), 0);
	/* the single add still works beside it (in a table of two: make room first) */
	CU_ASSERT_EQUAL(del(4), 0);
	req.p[0] = params(5);
	CU_ASSERT_EQUAL(add(&req.p[0]), 0);
	CU_ASSERT_EQUAL(get(5, &info), 0);
}

static void ctl_del_batch_deletes_every_session_and_answers_for_each(void)
{
	struct spg_dp_session_params p1 = params(1), p2 = params(2);
	struct {
		struct spg_dp_session_del_batch_req head;
		uint64_t id[3];
	} req = {.head = {.count = 3}, .id = {2, 7, 1}};
	uint8_t body[SPG_DP_MSG_MAX];
	struct spg_dp_session_add_batch_rep head;
	struct spg_dp_session_info info;
	int32_t errs[3];
	size_t len;

	if (!table_with(&p1))
		return;
	CU_ASSERT_EQUAL_FATAL(add(&p2), 0);
	CU_ASSERT_EQUAL(call(SPG_DP_SESSION_DEL_BATCH, &req, sizeof(req), body, &len), 0);
	CU_ASSERT_EQUAL_FATAL(len, sizeof(head) + sizeof(errs));
	memcpy(&head, body, sizeof(head));
	memcpy(errs, body + sizeof(head), sizeof(errs));
	CU_ASSERT_EQUAL(head.count, 3);
	CU_ASSERT_EQUAL(head.n_failed, 1);
	CU_ASSERT_EQUAL(errs[0], 0);
	CU_ASSERT_EQUAL(errs[1], ENOENT); /* no session 7: the ids after it still go */
	CU_ASSERT_EQUAL(errs[2], 0);
	CU_ASSERT_EQUAL(get(1, &info), ENOENT);
	CU_ASSERT_EQUAL(get(2, &info), ENOENT);
}

static void ctl_duplicate_id_is_eexist(void)
{
	struct spg_dp_session_params p = params(1), dup = params(2);

	if (!table_with(&p))
		return;
	dup.id = 1;
	CU_ASSERT_EQUAL(add(&dup), EEXIST);
}

static void ctl_duplicate_virtual_address_is_eexist(void)
{
	struct spg_dp_session_params p = params(1), dup = params(2);

	if (!table_with(&p))
		return;
	dup.virtual_addr = p.virtual_addr;
	CU_ASSERT_EQUAL(add(&dup), EEXIST);
}

static void ctl_full_table_is_enospc(void)
{
	struct spg_dp_session_params p1 = params(1), p2 = params(2), p3 = params(3);

	if (!table_with(&p1))
		return;
	CU_ASSERT_EQUAL(add(&p2), 0);
	CU_ASSERT_EQUAL(add(&p3), ENOSPC);
}

/* The resolve requests waiting in dp.resolve_ring, as spg_resolve_pack values, in order. */
static unsigned int resolve_requests(uint64_t *reqs, unsigned int max)
{
	return rte_ring_sc_dequeue_burst_elem(dp.resolve_ring, reqs, sizeof(reqs[0]), max, NULL);
}

/*
 * Issue 13: the first packet of a new session was dropped as no_neighbor while the next hop's
 * ARP was only asked for by that packet. Adding a session asks for both of its next hops
 * (the SP side's gateway, the on-link workstation), and for none already known.
 */
static void ctl_added_session_preresolves_its_next_hops(void)
{
	const struct rte_ether_addr mac = {{0x02, 0, 0, 0, 0, 0x01}};
	const uint32_t gw = RTE_BE32(0xc63364fe); /* 198.51.100.254 */
	struct spg_dp_session_params p = params(1);
	uint64_t reqs[8];
	unsigned int n;

	if (!fresh_table())
		return;
	dp.ports[SPG_DP_PORT_VENDOR].addr = RTE_BE32(0xc0000201); /* 192.0.2.1/24 */
	dp.ports[SPG_DP_PORT_VENDOR].mask = RTE_BE32(0xffffff00);
	dp.ports[SPG_DP_PORT_SP].addr = RTE_BE32(0xc6336402); /* 198.51.100.2/24 */
	dp.ports[SPG_DP_PORT_SP].mask = RTE_BE32(0xffffff00);
	dp.ports[SPG_DP_PORT_SP].next_hop = gw;
	dp.resolve_ring = rte_ring_create_elem("test_resolve", sizeof(uint64_t), 16, 0, RING_F_SC_DEQ);
	dp.neigh = spg_neigh_create(16, 0);
	CU_ASSERT_FATAL(dp.resolve_ring != NULL && dp.neigh != NULL);
	CU_ASSERT_EQUAL(add(&p), 0);
	n = resolve_requests(reqs, RTE_DIM(reqs));
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(reqs[0], spg_resolve_pack(SPG_DP_PORT_SP, gw));
	CU_ASSERT_EQUAL(reqs[1], spg_resolve_pack(SPG_DP_PORT_VENDOR, p.workstation_addr));
	/* a refused add asks for nothing */
	CU_ASSERT_EQUAL(add(&p), EEXIST);
	CU_ASSERT_EQUAL(resolve_requests(reqs, RTE_DIM(reqs)), 0);
	/* known neighbors are not asked for again */
	CU_ASSERT_EQUAL(spg_neigh_learn(dp.neigh, SPG_DP_PORT_SP, gw, &mac, rte_get_tsc_cycles()), 0);
	CU_ASSERT_EQUAL(spg_neigh_learn(dp.neigh, SPG_DP_PORT_VENDOR, p.workstation_addr, &mac, rte_get_tsc_cycles()),
			0);
	p = params(2);
	CU_ASSERT_EQUAL(add(&p), 0);
	CU_ASSERT_EQUAL(resolve_requests(reqs, RTE_DIM(reqs)), 0);
	/* back to the ports and rings the other tests know */
	rte_ring_free(dp.resolve_ring);
	spg_neigh_free(dp.neigh);
	dp.resolve_ring = NULL;
	dp.neigh = NULL;
	for (unsigned int i = 0; i < SPG_DP_N_PORTS; i++)
		dp.ports[i].addr = dp.ports[i].mask = dp.ports[i].next_hop = 0;
}

static void ctl_bad_key_length_is_einval(void)
{
	struct spg_dp_session_params p = params(1);

	if (!fresh_table())
		return;
	p.sa_out.key_len = p.sa_in.key_len = 32;
	CU_ASSERT_EQUAL(add(&p), EINVAL);
	CU_ASSERT_EQUAL(spg_session_count(dp.sessions), 0);
}

static void ctl_virtual_address_outside_pool_is_einval(void)
{
	struct spg_dp_session_params p;

	if (!fresh_table())
		return;
	p = params(1), p.virtual_addr = RTE_BE32(0xc6120100); /* 198.18.1.0 */
	CU_ASSERT_EQUAL(add(&p), EINVAL);
	p = params(1), p.virtual_addr = RTE_BE32(0xc6120000); /* the network address */
	CU_ASSERT_EQUAL(add(&p), EINVAL);
	p = params(1), p.virtual_addr = RTE_BE32(0xc61200ff); /* the broadcast address */
	CU_ASSERT_EQUAL(add(&p), EINVAL);
	CU_ASSERT_EQUAL(spg_session_count(dp.sessions), 0);
}

static void ctl_update_changes_only_what_it_names(void)
{
	struct spg_dp_session_params p = params(1), u;
	struct spg_dp_session_info info;

	if (!table_with(&p))
		return;
	memset(&u, 0, sizeof(u));
	u.id = 1;
	u.peer_addr = RTE_BE32(0xcb007163); /* 203.0.113.99 */
	u.peer_port = 4501;
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_ENDPOINT, &u), 0);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.peer_addr, u.peer_addr);
	CU_ASSERT_EQUAL(info.peer_port, 4501);
	CU_ASSERT_EQUAL(info.n_port_ranges, 2);
	CU_ASSERT_EQUAL(info.rate_out.bytes_per_sec, 4200);

	u.rate_out.bytes_per_sec = 1250000;
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_RATE, &u), 0);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.rate_out.bytes_per_sec, 1250000);
	CU_ASSERT_EQUAL(info.rate_in.bytes_per_sec, 0);

	/* Rekey with new SPIs: the same keys are refused (GCM nonces would repeat), new ones taken. */
	u.sa_out = p.sa_out;
	u.sa_in = p.sa_in;
	u.sa_out.spi = htonl(0x3001);
	u.sa_in.spi = htonl(0x4001);
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_KEYS, &u), EEXIST);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.spi_in, p.sa_in.spi);
	fixture_fresh_key(u.sa_out.key);
	fixture_fresh_key(u.sa_in.key);
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_KEYS, &u), 0);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.spi_out, htonl(0x3001));
	CU_ASSERT_EQUAL(info.spi_in, htonl(0x4001));
}

static void ctl_bad_update_is_refused(void)
{
	struct spg_dp_session_params p = params(1), u;

	if (!table_with(&p))
		return;
	u = p;
	CU_ASSERT_EQUAL(update(0, &u), EINVAL);
	CU_ASSERT_EQUAL(update(1u << 4, &u), EINVAL);
	u.peer_port = 0;
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_ENDPOINT, &u), EINVAL);
	u = p;
	u.n_port_ranges = 1;
	u.ports[0].lo = 100, u.ports[0].hi = 10;
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_PORTS, &u), EINVAL);
	u = p;
	u.sa_out.key_len = 32;
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_KEYS, &u), EINVAL);
	u = p;
	u.id = 42;
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_ENDPOINT, &u), ENOENT);
}

static void ctl_deleted_session_is_gone(void)
{
	struct spg_dp_session_params p = params(1);
	struct spg_dp_session_info info;

	if (!table_with(&p))
		return;
	CU_ASSERT_EQUAL(del(1), 0);
	CU_ASSERT_EQUAL(get(1, &info), ENOENT);
	CU_ASSERT_EQUAL(del(1), ENOENT);
	/* Its virtual address and SPI are free again, its keys never: a re-add needs new ones. */
	spg_session_table_reclaim(dp.sessions);
	CU_ASSERT_EQUAL(add(&p), EEXIST);
	fixture_fresh_key(p.sa_out.key);
	fixture_fresh_key(p.sa_in.key);
	CU_ASSERT_EQUAL(add(&p), 0);
}

static void ctl_stats_and_drops_answer(void)
{
	struct spg_dp_stats_rep st;
	struct spg_dp_drops_rep dr;
	struct spg_dp_session_params p = params(1);

	if (!table_with(&p))
		return;
	CU_ASSERT_EQUAL(call(SPG_DP_STATS, NULL, 0, &st, NULL), 0);
	CU_ASSERT_EQUAL(st.n_sessions, 1);
	CU_ASSERT_EQUAL(st.max_sessions, TABLE_SIZE);
	CU_ASSERT_EQUAL(st.drops_total, 0);
	CU_ASSERT_EQUAL(call(SPG_DP_DROPS, NULL, 0, &dr, NULL), 0);
	CU_ASSERT_EQUAL(dr.n_reasons, SPG_DROP_MAX - 1);
	CU_ASSERT_STRING_EQUAL(dr.reasons[0].name, spg_drop_name(1));
	CU_ASSERT_STRING_EQUAL(dr.reasons[SPG_DROP_MAX - 2].name, spg_drop_name(SPG_DROP_MAX - 1));
}

static uint32_t stats_ids_hash(uint32_t *n_sessions)
{
	struct spg_dp_stats_rep st;

	memset(&st, 0xa5, sizeof(st));
	CU_ASSERT_EQUAL(call(SPG_DP_STATS, NULL, 0, &st, NULL), 0);
	*n_sessions = st.n_sessions;
	return st.ids_hash;
}

/*
 * STATS' ids_hash summarises the ids spgate-dp holds, so spgate-control can tell "the same
 * sessions" without listing them: a session deleted behind its back (and another added in its
 * place, keeping the count) changes it; the same set reached in another order does not.
 */
static void ctl_stats_ids_hash_follows_the_table(void)
{
	struct spg_dp_session_params p1 = params(1), p2 = params(2), p3 = params(3);
	uint32_t n, h_empty, h_12, h_13;

	if (!fresh_table())
		return;
	h_empty = stats_ids_hash(&n);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(h_empty, 0);
	CU_ASSERT_EQUAL(add(&p1), 0);
	CU_ASSERT_EQUAL(add(&p2), 0);
	h_12 = stats_ids_hash(&n);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(h_12, spg_dp_ids_fold(spg_dp_id_mix(1) ^ spg_dp_id_mix(2)));
	/* 1 ^ 2 == 3: unmixed ids would make {1, 2} and {3} alike. */
	CU_ASSERT_NOT_EQUAL(h_12, spg_dp_ids_fold(spg_dp_id_mix(3)));
	/* The attack of issue 13: a session deleted behind the control plane's back ... */
	CU_ASSERT_EQUAL(del(2), 0);
	CU_ASSERT_EQUAL(stats_ids_hash(&n), spg_dp_ids_fold(spg_dp_id_mix(1)));
	CU_ASSERT_EQUAL(n, 1);
	/* ... and another in its place: the count is the same, the hash is not. */
	CU_ASSERT_EQUAL(add(&p3), 0);
	h_13 = stats_ids_hash(&n);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_NOT_EQUAL(h_13, h_12);
	CU_ASSERT_EQUAL(h_13, spg_dp_ids_fold(spg_dp_id_mix(1) ^ spg_dp_id_mix(3)));
	/* A failed add (its id exists) changes nothing. */
	CU_ASSERT_EQUAL(add(&p1), EEXIST);
	CU_ASSERT_EQUAL(stats_ids_hash(&n), h_13);
	CU_ASSERT_EQUAL(del(1), 0);
	CU_ASSERT_EQUAL(del(3), 0);
	CU_ASSERT_EQUAL(stats_ids_hash(&n), h_empty);
	CU_ASSERT_EQUAL(n, 0);
}

/* Feeds n bytes of msg to the handler; the reply must be a well-formed error reply. */
static void expect_error_reply(size_t n, int want)
{
	const char *why = NULL;
	struct spg_dp_hdr h;
	size_t len;

	len = spg_ctl_handle(&dp, msg, n, rep);
	CU_ASSERT_EQUAL(len, HDR);
	memcpy(&h, rep, HDR);
	CU_ASSERT_EQUAL(h.error, want);
	CU_ASSERT_EQUAL(h.seq, 7);
	/* Even a reply to an unknown type is one a client accepts and reads the errno from. */
	CU_ASSERT_EQUAL(spg_dp_msg_check(rep, len, true, &why), 0);
}

static void ctl_garbage_gets_an_error_reply(void)
{
	struct spg_dp_hdr h;

	if (!fresh_table())
		return;
	/* Each refusal is logged; keep the test's output readable. */
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_WARNING);
	srand(1);
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)rand();
	/* Random bytes: never version 1 with a matching length, so EPROTO or EBADMSG. */
	for (size_t n = 0; n < 64; n++) {
		size_t len = spg_ctl_handle(&dp, msg, n, rep);

		memcpy(&h, rep, HDR);
		CU_ASSERT_EQUAL(len, HDR);
		CU_ASSERT_TRUE(h.error == EPROTO || h.error == EBADMSG);
	}
	expect_error_reply(build(SPG_DP_API_VERSION, SPG_DP_SESSION_ADD, 3, 0), EBADMSG);
	expect_error_reply(build(SPG_DP_API_VERSION, 99, 0, 0), EOPNOTSUPP);
	expect_error_reply(build(7, SPG_DP_PING, 0, 0), EPROTO);
	build(SPG_DP_API_VERSION, SPG_DP_PING, 0, 0);
	set_len_field(1000);
	expect_error_reply(HDR, EBADMSG);
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_INFO);
	/* Still answering. */
	CU_ASSERT_EQUAL(call(SPG_DP_PING, NULL, 0, NULL, NULL), 0);
}

static void ctl_peer_of_another_user_is_refused(void)
{
	const gid_t other_group = 4242;

	CU_ASSERT_FALSE(spg_ctl_peer_allowed(1001, 1001, 1000, NULL));
	/* a control group does not open the socket to everybody */
	CU_ASSERT_FALSE(spg_ctl_peer_allowed(1001, 1001, 1000, &other_group));
}

static void ctl_peer_root_self_or_in_the_control_group_is_allowed(void)
{
	const gid_t group = 4242;
	struct passwd *nobody = getpwnam("nobody");

	CU_ASSERT_TRUE(spg_ctl_peer_allowed(0, 0, 1000, NULL));
	CU_ASSERT_TRUE(spg_ctl_peer_allowed(1000, 1000, 1000, NULL));
	CU_ASSERT_TRUE(spg_ctl_peer_allowed(1001, group, 1000, &group)); /* primary group */
	/* a supplementary group: getgrouplist lists the user's own group among them */
	CU_ASSERT_FATAL(nobody != NULL);
	CU_ASSERT_TRUE(spg_ctl_peer_allowed(nobody->pw_uid, 4343, 1000, &nobody->pw_gid));
}

/* Serves a socket with dataplane.control_group set to group; returns its stat or -errno. */
static int serve_with_group(const char *group, struct stat *st)
{
	char dir[] = "/tmp/spg-test-dp-ctl.XXXXXX", path[64];
	struct spg_ctl_server *s;
	int rc = 0;

	if (mkdtemp(dir) == NULL)
		return -errno;
	snprintf(path, sizeof(path), "%s/dp.sock", dir);
	snprintf(dp.cfg.control_group, sizeof(dp.cfg.control_group), "%s", group);
	s = spg_ctl_server_create(&dp, path);
	if (s == NULL)
		rc = -errno;
	else if (stat(path, st) < 0)
		rc = -errno;
	spg_ctl_server_free(s);
	dp.cfg.control_group[0] = '\0';
	rmdir(dir);
	return rc;
}

static void ctl_socket_refuses_an_unknown_control_group(void)
{
	struct stat st;

	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_CRIT);
	CU_ASSERT_EQUAL(serve_with_group("spg-no-such-group", &st), -ENOENT);
	rte_log_set_level(RTE_LOGTYPE_USER1, RTE_LOG_INFO);
}

static void ctl_socket_is_0600_or_0660_for_the_control_group(void)
{
	struct group *own = getgrgid(getegid());
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(serve_with_group("", &st), 0);
	CU_ASSERT_TRUE(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_FATAL(own != NULL);
	CU_ASSERT_EQUAL_FATAL(serve_with_group(own->gr_name, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0660);
	CU_ASSERT_EQUAL(st.st_gid, getegid());
}

static int joiners(uint64_t id, uint32_t j1, uint32_t j2, uint32_t j3)
{
	struct spg_dp_session_joiners_req req = {.id = id, .joiner_addr = {j1, j2, j3}};

	return call(SPG_DP_SESSION_JOINERS, &req, sizeof(req), NULL, NULL);
}

/* What a joiner may not be; the session keeps the joiners it had (none). */
static void ctl_joiners_refuses_what_no_workstation_is(void)
{
	struct spg_dp_session_params p = params(1);
	struct spg_dp_session_info info;
	const uint32_t w1 = htonl(0xc000020bu), g_in = ntohl(dp.cfg.inner_addr);
	const uint32_t bad[] = {
		p.workstation_addr,       /* the holder's own workstation */
		htonl(0xc6120005u),       /* inside the pool 198.18.0.0/24 */
		htonl(0xc6120000u),       /* the pool's network address */
		dp.cfg.shared_addr,       /* S */
		dp.cfg.inner_addr,        /* G_in */
		htonl(g_in + 1),          /* G_in + 1 */
		htonl(g_in + 3),          /* G_in + 3 */
		htonl(0x00000001u),       /* 0.0.0.1 */
		htonl(0x7f000001u),       /* 127.0.0.1 */
		htonl(0xe0000001u),       /* 224.0.0.1 */
		htonl(0xffffffffu),       /* broadcast */
	};

	if (!table_with(&p))
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(joiners(1, bad[i], 0, 0), EINVAL);
		CU_ASSERT_EQUAL(joiners(1, w1, 0, bad[i]), EINVAL); /* a good one beside does not help */
	}
	CU_ASSERT_EQUAL(joiners(1, w1, w1, 0), EINVAL); /* one workstation in two slots */
	CU_ASSERT_EQUAL(joiners(1, w1, 0, w1), EINVAL);
	CU_ASSERT_EQUAL(joiners(2, w1, 0, 0), ENOENT);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	for (int j = 0; j < SPG_DP_MAX_JOINERS; j++)
		CU_ASSERT_EQUAL(info.joiner_addr[j], 0);
	/* G_in + 4 is nobody's: an ordinary host */
	CU_ASSERT_EQUAL(joiners(1, htonl(g_in + 4), 0, 0), 0);
}

static void ctl_joiners_are_read_back_listed_and_cleared(void)
{
	struct spg_dp_session_params p = params(1);
	struct spg_dp_session_list_req lreq = {0};
	struct spg_dp_session_info info;
	uint8_t body[SPG_DP_MSG_MAX];
	const uint32_t w1 = htonl(0xc000020bu), w3 = htonl(0xc000020du);

	if (!table_with(&p))
		return;
	CU_ASSERT_EQUAL(joiners(1, w1, 0, w3), 0);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.joiner_addr[0], w1);
	CU_ASSERT_EQUAL(info.joiner_addr[1], 0);
	CU_ASSERT_EQUAL(info.joiner_addr[2], w3);
	CU_ASSERT_EQUAL_FATAL(call(SPG_DP_SESSION_LIST, &lreq, sizeof(lreq), body, NULL), 0);
	memcpy(&info, body + sizeof(struct spg_dp_session_list_rep), sizeof(info));
	CU_ASSERT_EQUAL(info.joiner_addr[0], w1);
	CU_ASSERT_EQUAL(info.joiner_addr[2], w3);
	/* an update leaves them alone */
	p.rate_out.bytes_per_sec = 9000;
	CU_ASSERT_EQUAL(update(SPG_DP_UPD_RATE, &p), 0);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.joiner_addr[0], w1);
	CU_ASSERT_EQUAL(joiners(1, 0, 0, 0), 0);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.joiner_addr[0], 0);
	CU_ASSERT_EQUAL(info.joiner_addr[2], 0);
}

static void ctl_deleted_session_takes_its_joiners_along(void)
{
	struct spg_dp_session_params p = params(1);
	struct spg_dp_session_info info;
	const uint32_t w1 = htonl(0xc000020bu);

	if (!table_with(&p))
		return;
	CU_ASSERT_EQUAL(joiners(1, w1, 0, 0), 0);
	CU_ASSERT_EQUAL(del(1), 0);
	CU_ASSERT_EQUAL(get(1, &info), ENOENT);
	CU_ASSERT_EQUAL(joiners(1, w1, 0, 0), ENOENT);
	/* the same id again starts without joiners */
	p = params(1);
	CU_ASSERT_EQUAL(add(&p), 0);
	spg_session_table_reclaim(dp.sessions);
	CU_ASSERT_EQUAL_FATAL(get(1, &info), 0);
	CU_ASSERT_EQUAL(info.joiner_addr[0], 0);
}

static int suite_clean(void)
{
	if (dp_ready) {
		spg_session_table_free(dp.sessions);
		spg_esp_free(dp.esp);
		rte_free(dp.qsbr);
	}
	return 0;
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"ctl_hello_describes_the_dataplane", ctl_hello_describes_the_dataplane},
		{"ctl_added_session_can_be_read_back", ctl_added_session_can_be_read_back},
		{"ctl_list_pages_through_the_table", ctl_list_pages_through_the_table},
		{"ctl_batch_adds_every_session_and_answers_for_each", ctl_batch_adds_every_session_and_answers_for_each},
		{"ctl_del_batch_deletes_every_session_and_answers_for_each",
		 ctl_del_batch_deletes_every_session_and_answers_for_each},
		{"ctl_duplicate_id_is_eexist", ctl_duplicate_id_is_eexist},
		{"ctl_duplicate_virtual_address_is_eexist", ctl_duplicate_virtual_address_is_eexist},
		{"ctl_full_table_is_enospc", ctl_full_table_is_enospc},
		{"ctl_added_session_preresolves_its_next_hops", ctl_added_session_preresolves_its_next_hops},
		{"ctl_bad_key_length_is_einval", ctl_bad_key_length_is_einval},
		{"ctl_virtual_address_outside_pool_is_einval", ctl_virtual_address_outside_pool_is_einval},
		{"ctl_update_changes_only_what_it_names", ctl_update_changes_only_what_it_names},
		{"ctl_bad_update_is_refused", ctl_bad_update_is_refused},
		{"ctl_deleted_session_is_gone", ctl_deleted_session_is_gone},
		{"ctl_stats_and_drops_answer", ctl_stats_and_drops_answer},
		{"ctl_stats_ids_hash_follows_the_table", ctl_stats_ids_hash_follows_the_table},
		{"ctl_joiners_refuses_what_no_workstation_is", ctl_joiners_refuses_what_no_workstation_is},
		{"ctl_joiners_are_read_back_listed_and_cleared", ctl_joiners_are_read_back_listed_and_cleared},
		{"ctl_deleted_session_takes_its_joiners_along", ctl_deleted_session_takes_its_joiners_along},
		{"ctl_garbage_gets_an_error_reply", ctl_garbage_gets_an_error_reply},
		{"ctl_peer_of_another_user_is_refused", ctl_peer_of_another_user_is_refused},
		{"ctl_peer_root_self_or_in_the_control_group_is_allowed",
		 ctl_peer_root_self_or_in_the_control_group_is_allowed},
		{"ctl_socket_refuses_an_unknown_control_group", ctl_socket_refuses_an_unknown_control_group},
		{"ctl_socket_is_0600_or_0660_for_the_control_group",
		 ctl_socket_is_0600_or_0660_for_the_control_group},
		{NULL, NULL},
	};

	return unit_run("dp_ctl", cases, NULL, suite_clean);
}
