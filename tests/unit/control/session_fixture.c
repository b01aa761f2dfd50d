/* SPDX-License-Identifier: BSD-3-Clause */
/* The fakes (agent channel, spgate-dp, modem re-attach), clock and world of session_fixture.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "alloc.h"
#include "audit.h"
#include "session_fixture.h"

/* ---- a fake agent channel: the test fires its callbacks ---- */

static struct sph_conn conns[MAX_CONNS];
static int n_conns;
int n_opens, n_attaches, n_rekeys, n_closes;
bool refuse_connect_at_once;
char last_sp_serial[64];

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

struct sph_conn *last_conn(void)
{
	CU_ASSERT_FATAL(n_conns > 0);
	return &conns[n_conns - 1];
}

void agent_says_up(struct sph_conn *c, uint32_t sp_spi)
{
	struct sph_open_result r = {.ok = true, .sp_address = htonl(0xc000020a), .sp_spi = sp_spi, .esp_port = 4500};

	r.keys.key_len = 16;
	memset(r.keys.gw_to_sp, 0x11, sizeof(r.keys.gw_to_sp));
	memset(r.keys.sp_to_gw, 0x22, sizeof(r.keys.sp_to_gw));
	r.has_keys = !c->attach;
	c->ev->opened(c, &r, c->arg);
}

void agent_refuses(struct sph_conn *c, const char *reason)
{
	struct sph_open_result r = {.ok = false, .refused = true, .reason = reason};

	c->ev->opened(c, &r, c->arg);
}

void agent_closes(struct sph_conn *c)
{
	c->ev->closed(c, true, c->arg);
}

void agent_rekeyed(struct sph_conn *c, uint32_t generation, uint32_t sp_spi)
{
	struct sph_keys k = {.key_len = 16};

	memset(k.gw_to_sp, 0x33, sizeof(k.gw_to_sp));
	memset(k.sp_to_gw, 0x44, sizeof(k.sp_to_gw));
	c->ev->rekeyed(c, generation, sp_spi, &k, c->arg);
}

/* ---- a fake spgate-dp: a small table ---- */

struct fake_dp_entry dp[MAX_DP];
bool dp_up = true;
int n_dp_adds, n_dp_updates, n_dp_deletes;

const struct dpp_hello hello = {
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

int dp_find(uint64_t id)
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

int fake_dp_add(void *a, const struct spg_dp_session_params *p)
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
	dp[i] = (struct fake_dp_entry){.used = true, .p = *p};
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

int fake_dp_delete(void *a, uint64_t id)
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
		info.record_state = dp[i].record_state;
		info.record_error = dp[i].record_error;
		memcpy(info.joiner_addr, dp[i].joiner_addr, sizeof(info.joiner_addr));
		ret = fn(&info, arg);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* STATS as spgate-dp computes it: the count and the ids' hash of the table. */
int n_dp_stats;
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

int record_refuse;
char record_path[SPG_DP_RECORD_PATH_MAX];
char record_comment[SPG_DP_RECORD_COMMENT_MAX];
enum store_session_state state_at_record;
int n_record_starts, n_record_stops;

static int fake_dp_record(void *a, const struct spg_dp_session_record_req *req, struct spg_dp_record_rep *rep)
{
	struct store_session s;
	int i = dp_find(req->id), fd;

	(void)a;
	if (i < 0)
		return -ENOENT;
	if (!req->on) {
		n_record_stops++;
		rep->id = req->id;
		rep->state = dp[i].record_state;
		rep->packets = 42;
		dp[i].record_state = SPG_DP_RECORD_OFF;
		return 0;
	}
	n_record_starts++;
	if (record_refuse != 0)
		return -record_refuse;
	session_get(mgr, (int64_t)req->id, &s);
	state_at_record = s.state;
	snprintf(record_path, sizeof(record_path), "%s", req->path);
	snprintf(record_comment, sizeof(record_comment), "%s", req->comment);
	fd = open(req->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	CU_ASSERT_EQUAL(write(fd, "pcapng stand-in: MARKER-4711\n", 29), 29);
	close(fd);
	dp[i].record_state = SPG_DP_RECORD_ON;
	return 0;
}

int joiners_refuse;
int n_dp_joiners;
struct spg_dp_session_joiners_req last_joiners;

static int fake_dp_joiners(void *a, const struct spg_dp_session_joiners_req *req)
{
	int i = dp_find(req->id);

	(void)a;
	if (!dp_up)
		return -ENOTCONN;
	if (joiners_refuse != 0)
		return -joiners_refuse;
	if (i < 0)
		return -ENOENT;
	n_dp_joiners++;
	last_joiners = *req;
	memcpy(dp[i].joiner_addr, req->joiner_addr, sizeof(dp[i].joiner_addr));
	return 0;
}

static struct event_base *base;

struct event_base *world_base(void)
{
	return base;
}
static struct line_mgr *lines;

static struct line_call *real_line_connect(void *a, const struct store_line *line, const struct store_system *sys,
					   uint16_t port, const struct line_events *ev, void *arg)
{
	(void)a;
	return line_connect(lines, line, sys, port, ev, arg);
}

/* The modem call a restart re-attaches to: what the session asked, answered by the test. */
static char reattach_token;
struct line_events reattach_ev;
void *reattach_arg;
int n_reattaches, n_reattach_cancels;
uint64_t reattach_speed;

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
	.dp_record = fake_dp_record,
	.dp_joiners = fake_dp_joiners,
	.line_connect = real_line_connect,
	.line_cancel = real_line_cancel,
	.line_reattach = fake_line_reattach,
};

/* ---- the world of one test ---- */

char dir[64];
static char db[512];
struct store *st;
struct audit *au;
struct ctl_config cfg;
static EVP_PKEY *grant_key;
struct session_mgr *mgr;
int64_t now_s;

static int64_t fake_now(void)
{
	return now_s;
}

struct session_mgr *new_mgr(void)
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

void world_up(void)
{
	char path[160];

	memset(conns, 0, sizeof(conns));
	memset(dp, 0, sizeof(dp));
	n_conns = n_opens = n_attaches = n_rekeys = n_closes = 0;
	n_dp_adds = n_dp_updates = n_dp_deletes = n_dp_stats = 0;
	n_reattaches = n_reattach_cancels = 0;
	n_record_starts = n_record_stops = 0;
	record_refuse = 0;
	joiners_refuse = 0;
	n_dp_joiners = 0;
	memset(&last_joiners, 0, sizeof(last_joiners));
	record_path[0] = record_comment[0] = '\0';
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
	snprintf(cfg.recordings.dir, sizeof(cfg.recordings.dir), "%s/rec", dir);
	lines = line_mgr_new(&(struct line_env){.base = base, .cfg = &cfg, .store = st});
	CU_ASSERT_PTR_NOT_NULL_FATAL(lines);
	mgr = new_mgr();
	session_mgr_dp_state(mgr, true);
}

void world_down(void)
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

void run_loop(void)
{
	event_base_loop(base, EVLOOP_NONBLOCK);
}

enum store_session_state state_of(int64_t id)
{
	struct store_session s;

	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	return s.state;
}

const char *reason_of(int64_t id)
{
	static struct store_session s;

	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	return s.reason;
}

/* user (with one group) connects to serial; returns the session id, or -errno. */
int64_t connect_as(const char *user, const char *group, const char *serial, const char **code)
{
	const char *groups[1] = {group};
	struct session_request req = {serial, user, groups, 1, false, htonl(0xc6336410), NULL};
	struct store_session s;
	struct alloc_holder h;
	const char *c;
	int ret;

	ret = session_connect(mgr, &req, &s, code != NULL ? code : &c, &h);
	return ret != 0 ? ret : s.id;
}

/* alice's session to CK2001, brought to active. */
int64_t active_session(void)
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
bool audited(const char *action)
{
	return audit_list(st, 0, 1000, match_action, (void *)action) == 1;
}

bool line_is(const char *id, enum store_line_state want)
{
	struct store_line l;

	return store_line_get(st, id, &l) == 0 && l.state == want;
}

int session_test_run(const char *name, const struct ctl_test_case *cases)
{
	int rc;

	grant_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (grant_key == NULL)
		return 2;
	rc = ctl_test_run(name, cases, NULL, NULL);
	EVP_PKEY_free(grant_key);
	return rc;
}
