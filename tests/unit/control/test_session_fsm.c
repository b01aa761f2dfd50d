/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session lifecycle against a real store and audit trail, with fakes for the SP's
 * agent and spgate-dp: each test drives a session through its states, firing the agent's
 * callbacks and the timers (on a fake clock) by hand.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "alloc.h"
#include "audit.h"
#include "config.h"
#include "ctl_test.h"
#include "session.h"

#define T0 1700000000

/* ---- a fake agent channel: the test fires its callbacks ---- */

struct sph_conn {
	const struct sph_events *ev;
	void *arg;
	bool attach;
	bool freed;
	uint32_t gw_spi;
	char agent[32];
	char close_reason[256];
	uint32_t rekey_spi;
};

#define MAX_CONNS 32
static struct sph_conn conns[MAX_CONNS];
static int n_conns, n_opens, n_attaches, n_rekeys, n_closes;
static bool refuse_connect_at_once;
static char last_sp_serial[64]; /* the serial the agent's certificate had to name */

static struct sph_conn *fake_start(const struct sph_params *p, const struct sph_events *ev, void *arg, bool attach)
{
	struct sph_conn *c;

	CU_ASSERT_FATAL(n_conns < MAX_CONNS);
	c = &conns[n_conns++];
	*c = (struct sph_conn){.ev = ev, .arg = arg, .attach = attach, .gw_spi = p->gw_spi};
	snprintf(c->agent, sizeof(c->agent), "%s:%u", p->agent_addr, p->agent_port);
	snprintf(last_sp_serial, sizeof(last_sp_serial), "%s", p->sp_serial ? p->sp_serial : "");
	if (refuse_connect_at_once) {
		/* As sph_open does for a connect refused on the spot: before returning. */
		struct sph_open_result r = {.ok = false, .reason = "connect to agent: Connection refused"};

		ev->opened(c, &r, arg);
	}
	return c;
}

static struct sph_conn *fake_open(void *a, const struct sph_params *p, const struct sph_events *ev, void *arg)
{
	(void)a;
	n_opens++;
	return fake_start(p, ev, arg, false);
}

static struct sph_conn *fake_attach(void *a, const struct sph_params *p, const struct sph_events *ev, void *arg)
{
	(void)a;
	n_attaches++;
	return fake_start(p, ev, arg, true);
}

static int fake_rekey(void *a, struct sph_conn *c, uint32_t spi)
{
	(void)a;
	n_rekeys++;
	c->rekey_spi = spi;
	return 0;
}

static int fake_close(void *a, struct sph_conn *c, const char *reason)
{
	(void)a;
	n_closes++;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason);
	return 0;
}

static void fake_free(void *a, struct sph_conn *c)
{
	(void)a;
	c->freed = true;
}

static struct sph_conn *last_conn(void)
{
	CU_ASSERT_FATAL(n_conns > 0);
	return &conns[n_conns - 1];
}

static void agent_says_up(struct sph_conn *c, uint32_t sp_spi)
{
	struct sph_open_result r = {.ok = true, .sp_address = htonl(0xc000020a), .sp_spi = sp_spi, .esp_port = 4500};

	r.keys.key_len = 16;
	memset(r.keys.gw_to_sp, 0x11, sizeof(r.keys.gw_to_sp));
	memset(r.keys.sp_to_gw, 0x22, sizeof(r.keys.sp_to_gw));
	r.has_keys = !c->attach;
	c->ev->opened(c, &r, c->arg);
}

static void agent_refuses(struct sph_conn *c, const char *reason)
{
	struct sph_open_result r = {.ok = false, .refused = true, .reason = reason};

	c->ev->opened(c, &r, c->arg);
}

static void agent_rekeyed(struct sph_conn *c, uint32_t generation, uint32_t sp_spi)
{
	struct sph_keys k = {.key_len = 16};

	memset(k.gw_to_sp, 0x33, sizeof(k.gw_to_sp));
	memset(k.sp_to_gw, 0x44, sizeof(k.sp_to_gw));
	c->ev->rekeyed(c, generation, sp_spi, &k, c->arg);
}

/* ---- a fake spgate-dp: a small table ---- */

#define MAX_DP 16
static struct {
	bool used;
	struct spg_dp_session_params p;
	uint64_t packets;
} dp[MAX_DP];
static bool dp_up = true;
static int n_dp_adds, n_dp_updates, n_dp_deletes;

static const struct dpp_hello hello = {
	.api_version = 1,
	.max_sessions = 254,
	.key_len = 16,
	.shared_addr = 0x0a0200c0,  /* 192.0.2.10 */
	.inner_addr = 0x010200c0,   /* 192.0.2.1 */
	.outer_addr = 0x017100cb,   /* 203.0.113.1 */
	.esp_udp_port = 4500,
	.pool_addr = 0x000013c6,    /* 198.19.0.0 */
	.pool_prefix_len = 24,
};

static int dp_find(uint64_t id)
{
	int i;

	for (i = 0; i < MAX_DP; i++)
		if (dp[i].used && dp[i].p.id == id)
			return i;
	return -1;
}

static const struct dpp_hello *fake_dp_hello(void *a)
{
	(void)a;
	return dp_up ? &hello : NULL;
}

static int fake_dp_add(void *a, const struct spg_dp_session_params *p)
{
	int i;

	(void)a;
	if (!dp_up)
		return -ENOTCONN;
	if (dp_find(p->id) >= 0)
		return -EEXIST;
	for (i = 0; i < MAX_DP && dp[i].used; i++)
		;
	CU_ASSERT_FATAL(i < MAX_DP);
	dp[i].used = true;
	dp[i].p = *p;
	dp[i].packets = 0;
	n_dp_adds++;
	return 0;
}

static int fake_dp_update(void *a, uint32_t what, const struct spg_dp_session_params *p)
{
	int i = dp_find(p->id);

	(void)a;
	(void)what;
	if (!dp_up)
		return -ENOTCONN;
	if (i < 0)
		return -ENOENT;
	dp[i].p = *p;
	n_dp_updates++;
	return 0;
}

static int fake_dp_delete(void *a, uint64_t id)
{
	int i = dp_find(id);

	(void)a;
	if (!dp_up)
		return -ENOTCONN;
	if (i < 0)
		return -ENOENT;
	dp[i].used = false;
	n_dp_deletes++;
	return 0;
}

static int fake_dp_list(void *a, int (*fn)(const struct spg_dp_session_info *s, void *arg), void *arg)
{
	struct spg_dp_session_info info;
	int i, ret;

	(void)a;
	if (!dp_up)
		return -ENOTCONN;
	for (i = 0; i < MAX_DP; i++) {
		if (!dp[i].used)
			continue;
		memset(&info, 0, sizeof(info));
		info.id = dp[i].p.id;
		info.spi_in = dp[i].p.sa_in.spi;
		info.spi_out = dp[i].p.sa_out.spi;
		info.out.packets = dp[i].packets;
		ret = fn(&info, arg);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* STATS as spgate-dp computes it: the count and the ids' hash of the table. */
static int n_dp_stats;
static int fake_dp_stats(void *a, struct spg_dp_stats_rep *rep)
{
	uint64_t acc = 0;
	int i;

	(void)a;
	if (!dp_up)
		return -ENOTCONN;
	memset(rep, 0, sizeof(*rep));
	for (i = 0; i < MAX_DP; i++) {
		if (!dp[i].used)
			continue;
		rep->n_sessions++;
		acc ^= spg_dp_id_mix(dp[i].p.id);
	}
	rep->ids_hash = spg_dp_ids_fold(acc);
	n_dp_stats++;
	return 0;
}

static struct event_base *base;
static struct line_mgr *lines;

static struct line_call *real_line_connect(void *a, const struct store_line *line, const struct store_system *sys,
					   uint16_t port, const struct line_events *ev, void *arg)
{
	(void)a;
	return line_connect(lines, line, sys, port, ev, arg);
}

/* The modem call a restart re-attaches to: what the session asked, answered by the test. */
static char reattach_token;
static struct line_events reattach_ev;
static void *reattach_arg;
static int n_reattaches, n_reattach_cancels;
static uint64_t reattach_speed;

static struct line_call *fake_line_reattach(void *a, const struct store_line *line, const struct store_system *sys,
					    uint16_t port, uint64_t speed_bps, const struct line_events *ev, void *arg)
{
	(void)a;
	(void)line;
	(void)sys;
	(void)port;
	n_reattaches++;
	reattach_ev = *ev;
	reattach_arg = arg;
	reattach_speed = speed_bps;
	return (struct line_call *)&reattach_token;
}

static void real_line_cancel(void *a, struct line_call *c)
{
	(void)a;
	if (c == (struct line_call *)&reattach_token) {
		n_reattach_cancels++;
		return;
	}
	line_cancel(c);
}

static const struct session_peers fakes = {
	.sp_open = fake_open,
	.sp_attach = fake_attach,
	.sp_rekey = fake_rekey,
	.sp_close = fake_close,
	.sp_free = fake_free,
	.dp_hello = fake_dp_hello,
	.dp_add = fake_dp_add,
	.dp_update = fake_dp_update,
	.dp_delete = fake_dp_delete,
	.dp_list = fake_dp_list,
	.dp_stats = fake_dp_stats,
	.line_connect = real_line_connect,
	.line_cancel = real_line_cancel,
	.line_reattach = fake_line_reattach,
};

/* ---- the world of one test ---- */

static char dir[64], db[128];
static struct store *st;
static struct audit *au;
static struct ctl_config cfg;
static EVP_PKEY *grant_key;
static struct session_mgr *mgr;
static int64_t now_s;

static int64_t fake_now(void)
{
	return now_s;
}

static struct session_mgr *new_mgr(void)
{
	struct session_env env = {
		.base = base,
		.cfg = &cfg,
		.store = st,
		.audit = au,
		.grant_key = grant_key,
		.gw_cert = "abababababababababababababababababababababababababababababababab",
		.peers = &fakes,
		.now = fake_now,
		.tick_ms = 3600000, /* the tests tick by hand */
		.poll_ticks = 1,
	};
	struct session_mgr *m = session_mgr_new(&env);

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static void world_up(void)
{
	char path[160];

	memset(conns, 0, sizeof(conns));
	memset(dp, 0, sizeof(dp));
	n_conns = n_opens = n_attaches = n_rekeys = n_closes = 0;
	n_dp_adds = n_dp_updates = n_dp_deletes = n_dp_stats = 0;
	n_reattaches = n_reattach_cancels = 0;
	dp_up = true;
	refuse_connect_at_once = false;
	now_s = T0;
	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	CU_ASSERT_EQUAL_FATAL(ctl_test_load_sample(st), 0);
	snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
	au = audit_open(path, st);
	CU_ASSERT_PTR_NOT_NULL_FATAL(au);
	base = event_base_new();
	ctl_config_defaults(&cfg);
	cfg.sessions.approval_timeout = 300;
	cfg.sessions.idle_timeout = 60;
	cfg.sessions.max_duration = 3600;
	cfg.sessions.address_holdback = 60;
	cfg.agent.grace = 30;
	cfg.agent.rekey_after = 600;
	cfg.dial.health_check = 0;
	lines = line_mgr_new(&(struct line_env){.base = base, .cfg = &cfg, .store = st});
	CU_ASSERT_PTR_NOT_NULL_FATAL(lines);
	mgr = new_mgr();
	session_mgr_dp_state(mgr, true);
}

static void world_down(void)
{
	session_mgr_free(mgr);
	mgr = NULL;
	line_mgr_free(lines);
	lines = NULL;
	event_base_free(base);
	audit_close(au);
	store_close(st);
	ctl_test_rmdir(dir);
}

static void run_loop(void)
{
	event_base_loop(base, EVLOOP_NONBLOCK);
}

static enum store_session_state state_of(int64_t id)
{
	struct store_session s;

	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	return s.state;
}

static const char *reason_of(int64_t id)
{
	static struct store_session s;

	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	return s.reason;
}

/* user (with one group) connects to serial; returns the session id, or -errno. */
static int64_t connect_as(const char *user, const char *group, const char *serial, const char **code)
{
	const char *groups[1] = {group};
	struct session_request req = {serial, user, groups, 1, false, htonl(0xc6336410)};
	struct store_session s;
	struct alloc_holder h;
	const char *c;
	int ret;

	ret = session_connect(mgr, &req, &s, code != NULL ? code : &c, &h);
	return ret != 0 ? ret : s.id;
}

/* alice's session to CK2001, brought to active. */
static int64_t active_session(void)
{
	int64_t id = connect_as("alice", "storage-eu", "CK2001", NULL);

	CU_ASSERT_FATAL(id > 0);
	run_loop();
	CU_ASSERT_EQUAL_FATAL(state_of(id), STORE_SESSION_SP_AUTH);
	agent_says_up(last_conn(), 0x2000);
	CU_ASSERT_EQUAL_FATAL(state_of(id), STORE_SESSION_ACTIVE);
	return id;
}

static int match_action(const struct audit_record *r, void *arg)
{
	return strcmp(r->action, arg) == 0 ? 1 : 0;
}

/* Whether the audit trail has an event with this action. */
static bool audited(const char *action)
{
	return audit_list(st, 0, 1000, match_action, (void *)action) == 1;
}

static bool line_is(const char *id, enum store_line_state want)
{
	struct store_line l;

	return store_line_get(st, id, &l) == 0 && l.state == want;
}

/* ---- the tests ---- */

static void a_session_to_an_auto_policy_system_goes_all_the_way_to_active(void)
{
	struct store_session s;
	int64_t id;
	int i;

	world_up();
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_DIALING);
	run_loop();
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_SP_AUTH);
	CU_ASSERT_STRING_EQUAL(last_conn()->agent, "203.0.113.11:7443");
	agent_says_up(last_conn(), 0x2000);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(last_conn()->gw_spi, s.spi_in);
	i = dp_find((uint64_t)id);
	CU_ASSERT_FATAL(i >= 0);
	CU_ASSERT_EQUAL(ntohl(dp[i].p.sa_in.spi), s.spi_in);
	CU_ASSERT_EQUAL(ntohl(dp[i].p.sa_out.spi), 0x2000);
	CU_ASSERT_EQUAL(dp[i].p.sa_out.key[0], 0x11);
	CU_ASSERT_EQUAL(dp[i].p.sa_in.key[0], 0x22);
	CU_ASSERT_EQUAL(dp[i].p.peer_addr, htonl(0xcb00710b));
	CU_ASSERT_EQUAL(dp[i].p.peer_port, 4500);
	CU_ASSERT_EQUAL(dp[i].p.workstation_addr, htonl(0xc6336410));
	CU_ASSERT_EQUAL(dp[i].p.virtual_addr & htonl(0xffffff00), hello.pool_addr);
	CU_ASSERT_EQUAL(dp[i].p.virtual_addr, s.virtual_address);
	CU_ASSERT_EQUAL(dp[i].p.n_port_ranges, 2);
	CU_ASSERT_EQUAL(dp[i].p.ports[0].lo, 7000);
	CU_ASSERT_EQUAL(dp[i].p.icmp_echo, 1);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_CONNECTED));
	CU_ASSERT_TRUE(audited("session_requested"));
	CU_ASSERT_TRUE(audited("session_authorized"));
	CU_ASSERT_TRUE(audited("session_dialing"));
	CU_ASSERT_TRUE(audited("session_sp_auth"));
	CU_ASSERT_TRUE(audited("session_keyed"));
	CU_ASSERT_TRUE(audited("session_active"));
	world_down();
}

static void a_second_engineer_is_told_who_holds_the_system(void)
{
	const char *groups[1] = {"support-admins"};
	struct session_request req = {"CK2001", "root-support", groups, 1, true, htonl(0xc6336411)};
	struct store_session s;
	struct alloc_holder h;
	const char *code;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL(session_connect(mgr, &req, &s, &code, &h), -EBUSY);
	CU_ASSERT_EQUAL(h.session, id);
	CU_ASSERT_STRING_EQUAL(h.user, "alice");
	CU_ASSERT_EQUAL(h.workstation, htonl(0xc6336410));
	world_down();
}

static void an_engineer_cannot_connect_outside_the_access_rules(void)
{
	world_up();
	CU_ASSERT_EQUAL(connect_as("alice", "storage-eu", "CK3001", NULL), -EACCES);
	CU_ASSERT_EQUAL(connect_as("alice", "storage-eu", "NOPE1", NULL), -ENOENT);
	world_down();
}

static void connect_while_the_dataplane_is_down_is_refused(void)
{
	world_up();
	dp_up = false;
	CU_ASSERT_EQUAL(connect_as("alice", "storage-eu", "CK2001", NULL), -ENOTCONN);
	world_down();
}

static void an_ask_policy_session_waits_for_approval_then_goes_on(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AWAITING_APPROVAL);
	CU_ASSERT_EQUAL(n_opens, 0);
	CU_ASSERT_EQUAL(session_decide(mgr, id, true, "carol", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_DIALING);
	run_loop();
	CU_ASSERT_EQUAL(n_opens, 1);
	CU_ASSERT_TRUE(audited("session_approved"));
	world_down();
}

/* The stored grant of id: its length (0: none was ever signed), and its JSON in buf. */
static size_t stored_grant(int64_t id, char *buf, size_t len)
{
	struct store_session row;

	CU_ASSERT_EQUAL_FATAL(store_session_get(st, id, &row), 0);
	snprintf(buf, len, "%.*s", (int)row.grant_len, (const char *)row.grant);
	return row.grant_len + row.grant_sig_len;
}

static void a_grant_is_signed_only_after_approval_and_never_for_a_denied_session(void)
{
	struct store_session s;
	char grant[STORE_GRANT_MAX + 1];
	int64_t denied, late, approved;

	world_up();
	denied = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(stored_grant(denied, grant, sizeof(grant)), 0);
	CU_ASSERT_EQUAL(session_decide(mgr, denied, false, "carol", &s), 0);
	CU_ASSERT_EQUAL(stored_grant(denied, grant, sizeof(grant)), 0);
	late = connect_as("bob", "storage-globex", "CK3001", NULL);
	now_s += 300;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(late), STORE_SESSION_FAILED);
	CU_ASSERT_EQUAL(stored_grant(late, grant, sizeof(grant)), 0);
	approved = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(stored_grant(approved, grant, sizeof(grant)), 0);
	CU_ASSERT_EQUAL(session_decide(mgr, approved, true, "carol", &s), 0);
	CU_ASSERT_NOT_EQUAL(stored_grant(approved, grant, sizeof(grant)), 0);
	/* bound to our client certificate, with the requester's groups kept until now */
	CU_ASSERT_PTR_NOT_NULL(strstr(grant, "\"gw_cert\":\"abababab"));
	CU_ASSERT_PTR_NOT_NULL(strstr(grant, "\"groups\":[\"storage-globex\"]"));
	run_loop();
	CU_ASSERT_STRING_EQUAL(last_sp_serial, "CK3001");
	world_down();
}

static void a_denied_approval_fails_naming_the_approver(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(session_decide(mgr, id, false, "carol", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.reason, "carol"));
	CU_ASSERT_EQUAL(session_decide(mgr, id, true, "carol", &s), -EINVAL);
	world_down();
}

static void an_unanswered_approval_times_out(void)
{
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	now_s += 299;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AWAITING_APPROVAL);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "no approver answered within 300 s"));
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

static void a_deny_policy_customer_fails_the_session_at_once(void)
{
	static const char extra[] = "customers:\n  - { name: initech, approval_policy: deny }\n"
				    "sites:\n  - { customer: initech, name: austin, region: us }\n"
				    "systems:\n  - { serial: CK4001, customer: initech, site: austin, connect: network, "
				    "address: 203.0.113.14, profile: storage-default }\n"
				    "rules:\n  - { group: storage-eu, customer: initech }\n";
	char err[256];
	const char *code = NULL;
	int64_t id;

	world_up();
	CU_ASSERT_EQUAL_FATAL(inventory_import(st, INVENTORY_YAML, "extra", extra, strlen(extra), NULL, err, sizeof(err), NULL),
			      0);
	id = connect_as("alice", "storage-eu", "CK4001", &code);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "the customer does not allow remote sessions");
	CU_ASSERT_PTR_NOT_NULL_FATAL(code);
	CU_ASSERT_STRING_EQUAL(code, "denied");
	world_down();
}

static void an_agent_refusal_fails_the_session_and_frees_line_and_address(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	run_loop();
	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	agent_refuses(last_conn(), "wrong serial");
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "the SP refused the grant: wrong serial");
	CU_ASSERT_TRUE(last_conn()->freed);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	CU_ASSERT_EQUAL(store_holdback_active(st, s.virtual_address, now_s), 1);
	CU_ASSERT_EQUAL(store_holdback_active(st, s.virtual_address, now_s + 61), 0);
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	world_down();
}

static void a_connect_refused_on_the_spot_fails_the_session_cleanly(void)
{
	int64_t id;

	world_up();
	refuse_connect_at_once = true;
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	run_loop();
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "Connection refused"));
	CU_ASSERT_TRUE(last_conn()->freed);
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

static void an_idle_session_is_closed_through_its_agent(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	now_s += 40;
	dp[dp_find((uint64_t)id)].packets = 10; /* traffic: the idle clock starts again */
	session_mgr_tick(mgr);
	now_s += 40;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	now_s += 20;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSING);
	CU_ASSERT_STRING_EQUAL(last_conn()->close_reason, "idle for 60 s (sessions.idle_timeout)");
	last_conn()->ev->closed(last_conn(), true, last_conn()->arg);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "idle for 60 s (sessions.idle_timeout)");
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	world_down();
}

static void a_session_is_closed_at_its_maximum_duration(void)
{
	int64_t id;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	now_s += 3599;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSING);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_conn()->close_reason, "maximum duration"));
	world_down();
}

static void disconnect_closes_through_the_agent_and_the_dataplane(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "alice", "disconnected by alice", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_CLOSING);
	CU_ASSERT_EQUAL(n_closes, 1);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0); /* traffic flows until the agent tore down */
	last_conn()->ev->closed(last_conn(), true, last_conn()->arg);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "disconnected by alice");
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_TRUE(last_conn()->freed);
	CU_ASSERT_TRUE(audited("session_closing"));
	CU_ASSERT_TRUE(audited("session_closed"));
	world_down();
}

static void disconnect_while_awaiting_approval_closes_at_once(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "bob", "disconnected by bob", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_CLOSED);
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

static void a_lost_agent_channel_is_reattached_within_grace(void)
{
	char why[512];
	int64_t id;
	int adds;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	adds = n_dp_adds;
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why)));
	last_conn()->ev->lost(last_conn(), "missed 3 pongs", last_conn()->arg);
	CU_ASSERT_TRUE(audited("session_channel_lost"));
	/* degraded at once, with the reason, not after the grace (issue 13) */
	CU_ASSERT_TRUE(session_degraded(mgr, id, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "missed 3 pongs"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "agent.grace"));
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_attaches, 1);
	CU_ASSERT_TRUE(session_degraded(mgr, id, why, sizeof(why))); /* re-attach in flight */
	agent_says_up(last_conn(), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why))); /* back to active */
	CU_ASSERT_EQUAL(n_rekeys, 0); /* spgate-dp kept it: keys stay */
	CU_ASSERT_EQUAL(n_dp_adds, adds);
	now_s += 60;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	world_down();
}

static void a_channel_lost_for_longer_than_grace_fails_the_session(void)
{
	char why[512];
	int64_t id;

	world_up();
	id = active_session();
	last_conn()->ev->lost(last_conn(), "connection closed", last_conn()->arg);
	CU_ASSERT_TRUE(session_degraded(mgr, id, why, sizeof(why)));
	now_s += 5;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_attaches, 1);
	last_conn()->ev->opened(last_conn(), &(struct sph_open_result){.ok = false, .reason = "timed out"},
				last_conn()->arg);
	now_s += 25;
	session_mgr_tick(mgr);
	/* failed, not closed (issue 13): nobody ended it, and an operator must see that */
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "agent.grace"));
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	world_down();
}

/*
 * Found by the soak test (issue 13): an agent killed and restarted no longer has the session
 * and refuses the re-attach. Nobody ended the session: it fails with the reason, as after
 * agent.grace, and is not recorded as closed like a disconnect.
 */
static void a_session_the_restarted_agent_no_longer_has_fails(void)
{
	char why[512];
	int64_t id;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	last_conn()->ev->lost(last_conn(), "connection closed", last_conn()->arg);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_attaches, 1);
	agent_refuses(last_conn(), "no such session");
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "the SP's agent no longer has the session: no such session");
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why)));
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

static void a_session_is_rekeyed_after_rekey_after(void)
{
	struct store_session before, after;
	int64_t id;
	int i;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	CU_ASSERT_EQUAL(session_get(mgr, id, &before), 0);
	now_s += 600;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1);
	agent_rekeyed(last_conn(), 1, 0x3000);
	CU_ASSERT_EQUAL(session_get(mgr, id, &after), 0);
	CU_ASSERT_EQUAL(after.generation, 1);
	CU_ASSERT_EQUAL(after.spi_in, last_conn()->rekey_spi);
	CU_ASSERT_NOT_EQUAL(after.spi_in, before.spi_in);
	i = dp_find((uint64_t)id);
	CU_ASSERT_EQUAL(ntohl(dp[i].p.sa_out.spi), 0x3000);
	CU_ASSERT_EQUAL(dp[i].p.sa_out.key[0], 0x33);
	CU_ASSERT_EQUAL(n_dp_updates, 1);
	world_down();
}

static void a_restart_leaves_sessions_the_dataplane_kept_untouched(void)
{
	int64_t id;
	int adds, updates;

	world_up();
	id = active_session();
	adds = n_dp_adds;
	updates = n_dp_updates;
	session_mgr_free(mgr); /* spgate-control goes away; spgate-dp forwards on */
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	CU_ASSERT_EQUAL(n_attaches, 1);
	session_mgr_dp_state(mgr, true);
	agent_says_up(last_conn(), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	CU_ASSERT_EQUAL(n_dp_adds, adds);
	CU_ASSERT_EQUAL(n_dp_updates, updates);
	CU_ASSERT_EQUAL(n_dp_deletes, 0);
	world_down();
}

static void a_restart_rekeys_and_readds_what_the_dataplane_lost_and_drops_orphans(void)
{
	struct spg_dp_session_params orphan = {.id = 999};
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	session_mgr_free(mgr);
	memset(dp, 0, sizeof(dp)); /* spgate-dp restarted too ... */
	fake_dp_add(NULL, &orphan); /* ... and holds a session nobody knows */
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	session_mgr_dp_state(mgr, true);
	CU_ASSERT_EQUAL(dp_find(999), -1);
	CU_ASSERT_TRUE(audited("dp_orphan_deleted"));
	agent_says_up(last_conn(), 0); /* attached */
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1);
	agent_rekeyed(last_conn(), 1, 0x4000);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(s.generation, 1);
	CU_ASSERT_EQUAL(ntohl(dp[dp_find((uint64_t)id)].p.sa_in.spi), s.spi_in);
	world_down();
}

static void a_dataplane_restart_alone_rekeys_and_readds_active_sessions(void)
{
	int64_t id;

	world_up();
	id = active_session();
	session_mgr_dp_state(mgr, false);
	memset(dp, 0, sizeof(dp));
	session_mgr_dp_state(mgr, true);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1);
	agent_rekeyed(last_conn(), 1, 0x5000);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	world_down();
}

/*
 * Issue 13: a session deleted from spgate-dp behind spgate-control's back (spgatectl dp
 * session del --force) is noticed within sessions.reconcile by the STATS summary alone, then
 * rekeyed and re-added; a stranger's session is deleted; a dataplane that matches is only
 * asked for STATS, never listed.
 */
static void a_session_deleted_behind_our_back_is_rekeyed_and_readded_within_a_period(void)
{
	struct spg_dp_session_params orphan = {.id = 999};
	struct store_session before, after;
	int64_t id;
	int stats, deletes;

	world_up();
	cfg.sessions.idle_timeout = 0;
	cfg.sessions.reconcile = 5;
	id = active_session();
	CU_ASSERT_EQUAL(session_get(mgr, id, &before), 0);
	/* In step: STATS only, nothing rekeyed. */
	now_s += 5;
	stats = n_dp_stats;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_dp_stats, stats + 1);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	/* The attack: gone from spgate-dp; not seen before the period is over. */
	CU_ASSERT_EQUAL_FATAL(fake_dp_delete(NULL, (uint64_t)id), 0);
	now_s += 4;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1); /* spgate-dp takes no key twice: new keys first */
	CU_ASSERT_TRUE(audited("dp_session_missing"));
	agent_rekeyed(last_conn(), 1, 0x6000);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(session_get(mgr, id, &after), 0);
	CU_ASSERT_EQUAL(after.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_NOT_EQUAL(after.spi_in, before.spi_in);
	CU_ASSERT_EQUAL(ntohl(dp[dp_find((uint64_t)id)].p.sa_in.spi), after.spi_in);
	/* A session nobody owns appears (same count as a lost one would keep): deleted. */
	deletes = n_dp_deletes;
	fake_dp_add(NULL, &orphan);
	now_s += 5;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(dp_find(999), -1);
	CU_ASSERT_EQUAL(n_dp_deletes, deletes + 1);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(n_rekeys, 1); /* ours was in place: not rekeyed again */
	world_down();
}

static void a_restart_fails_sessions_caught_half_way(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_DIALING);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	session_mgr_free(mgr);
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "restarted"));
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	world_down();
}

/* Makes id's line a modem line, as if the session had dialed; its speed as the store has it. */
static void line_becomes_modem(int64_t id)
{
	struct store_session s;
	struct store_line l;

	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL_FATAL(store_line_get(st, s.line_id, &l), 0);
	l.type = STORE_CONNECT_MODEM;
	snprintf(l.device, sizeof(l.device), "/dev/ttyS0");
	CU_ASSERT_EQUAL_FATAL(store_line_put(st, &l, true), 0);
	CU_ASSERT_TRUE_FATAL(line_is(s.line_id, STORE_LINE_CONNECTED));
}

static void a_restart_fails_a_dialed_session_whose_call_was_lost(void)
{
	struct line_result r = {.ok = false,
				.reason = "line net1: the call was lost while spgate-control was stopped (NO CARRIER)"};
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	line_becomes_modem(id);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	session_mgr_free(mgr);
	mgr = new_mgr();
	/* Taken over until the modem tells: the agent and spgate-dp carry on meanwhile. */
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	CU_ASSERT_EQUAL_FATAL(n_reattaches, 1);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	reattach_ev.done(&r, reattach_arg);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), r.reason);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_EQUAL(n_reattach_cancels, 0); /* the call is over: nothing to hang up */
	world_down();
}

static void a_restart_reattaches_a_dialed_session_to_its_live_call(void)
{
	struct line_result r = {.ok = true, .reason = "", .speed_bps = 28800};
	struct store_session s;
	int64_t id;
	int adds;

	world_up();
	id = active_session();
	line_becomes_modem(id);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	adds = n_dp_adds;
	session_mgr_free(mgr);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_CONNECTED));
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	CU_ASSERT_EQUAL_FATAL(n_reattaches, 1);
	CU_ASSERT_EQUAL(reattach_speed, s.speed_bps);
	session_mgr_dp_state(mgr, true);
	agent_says_up(last_conn(), 0);
	reattach_ev.done(&r, reattach_arg);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	/* The modem said its speed of now: the session's rate follows, in spgate-dp too. */
	CU_ASSERT_EQUAL(s.speed_bps, 28800);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_CONNECTED));
	CU_ASSERT_EQUAL(n_dp_adds, adds);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	CU_ASSERT_EQUAL(n_reattach_cancels, 0);
	world_down();
	/* world_down is spgate-control's exit: the call is handed to line_cancel (left up there) */
	CU_ASSERT_EQUAL(n_reattach_cancels, 1);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_session_to_an_auto_policy_system_goes_all_the_way_to_active),
		CASE(a_second_engineer_is_told_who_holds_the_system),
		CASE(an_engineer_cannot_connect_outside_the_access_rules),
		CASE(connect_while_the_dataplane_is_down_is_refused),
		CASE(an_ask_policy_session_waits_for_approval_then_goes_on),
		CASE(a_denied_approval_fails_naming_the_approver),
		CASE(a_grant_is_signed_only_after_approval_and_never_for_a_denied_session),
		CASE(an_unanswered_approval_times_out),
		CASE(a_deny_policy_customer_fails_the_session_at_once),
		CASE(an_agent_refusal_fails_the_session_and_frees_line_and_address),
		CASE(a_connect_refused_on_the_spot_fails_the_session_cleanly),
		CASE(an_idle_session_is_closed_through_its_agent),
		CASE(a_session_is_closed_at_its_maximum_duration),
		CASE(disconnect_closes_through_the_agent_and_the_dataplane),
		CASE(disconnect_while_awaiting_approval_closes_at_once),
		CASE(a_lost_agent_channel_is_reattached_within_grace),
		CASE(a_channel_lost_for_longer_than_grace_fails_the_session),
		CASE(a_session_the_restarted_agent_no_longer_has_fails),
		CASE(a_session_is_rekeyed_after_rekey_after),
		CASE(a_restart_leaves_sessions_the_dataplane_kept_untouched),
		CASE(a_restart_rekeys_and_readds_what_the_dataplane_lost_and_drops_orphans),
		CASE(a_dataplane_restart_alone_rekeys_and_readds_active_sessions),
		CASE(a_session_deleted_behind_our_back_is_rekeyed_and_readded_within_a_period),
		CASE(a_restart_fails_sessions_caught_half_way),
		CASE(a_restart_fails_a_dialed_session_whose_call_was_lost),
		CASE(a_restart_reattaches_a_dialed_session_to_its_live_call),
#undef CASE
		{NULL, NULL},
	};
	int rc;

	grant_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (grant_key == NULL)
		return 2;
	rc = ctl_test_run("session_fsm", cases, NULL, NULL);
	EVP_PKEY_free(grant_key);
	return rc;
}
