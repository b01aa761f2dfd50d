/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-control: the control-plane daemon. One libevent loop carries the engineer and
 * operator APIs, authentication, the session lifecycle, the SP handshakes and the
 * connection to spgate-dp. Start-up: config, store, audit, keys, auth, spgate-dp (retried
 * until it answers), the sessions the store says are live, then the listeners.
 *
 * Stopping (SIGTERM/SIGINT) ends no session: spgate-dp keeps forwarding, the agents keep
 * their tunnels for agent.grace and modem calls stay up (DTR held; dial/reattach.c), so a
 * restarted spgate-control takes them over. SIGHUP
 * reopens the audit log after rotation.
 */
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "api/ops.h"
#include "api/server.h"
#include "audit.h"
#include "auth/auth.h"
#include "auth/challenge.h"
#include "auth/mfa.h"
#include "config.h"
#include "config_files.h"
#include "dp_prog.h"
#include "grant.h"
#include "line.h"
#include "log_stamp.h"
#include "session.h"
#include "snmp/snmp.h"
#include "sp_handshake.h"
#include "store/store.h"
#include "store/store_watch.h"
#include "fleet.h"
#include "fleet_listen.h"
#include "fleet_takeover.h"
#include "token.h"
#include "web/web.h"

#define CTL_CONFIG_DEFAULT "/etc/spgate/control.yaml"
#define CTL_AUDIT_SYNC_S 10
/* The SNMP session table shows sessions that ended within this long, besides the live ones. */
#define CTL_SNMP_RECENT_S 3600
#define CTL_SNMP_RECENT_MAX 1000

struct ctl {
	struct ctl_config cfg;
	struct event_base *base;
	struct store *store;
	struct store_watch *store_watch; /* reconnects a PostgreSQL store */
	struct fleet *fleet;             /* this host's lease in the gateways table */
	struct fleet_listen *listen;     /* decisions other hosts take for our sessions (PostgreSQL) */
	struct fleet_takeover *takeover; /* taking dead hosts' places; standing by (PostgreSQL) */
	struct audit *audit;
	struct token_key *tokens;
	EVP_PKEY *grant_key;
	SSL_CTX *agent_ctx;
	char gw_cert[SPG_GRANT_CERT_HEX + 1]; /* our client certificate's SHA-256: grants name it */
	struct auth *auth;
	struct mfa *mfa;		     /* TOTP factors (issue 16) */
	struct challenge_table *challenges; /* logins waiting for a second factor */
	struct dpp *dp;
	struct snmp_reporter *snmp; /* NULL: SNMP not configured */
	struct line_mgr *lines;
	struct session_mgr *sessions;
	struct api_ctx api_ctx;
	struct api_server *api;
	struct web_server *web; /* NULL: web.listen not set */
	struct event *sig_int, *sig_term, *sig_hup, *audit_sync;
};

/* ---- the sessions' peers: the real SP handshake, spgate-dp and lines ---- */

static struct sph_conn *peer_sp_open(void *arg, const struct sph_params *p, const struct sph_events *ev, void *ev_arg)
{
	struct ctl *ctl = arg;

	return sph_open(ctl->base, ctl->agent_ctx, p, ev, ev_arg);
}

static struct sph_conn *peer_sp_attach(void *arg, const struct sph_params *p, const struct sph_events *ev,
				       void *ev_arg)
{
	struct ctl *ctl = arg;

	return sph_attach(ctl->base, ctl->agent_ctx, p, ev, ev_arg);
}

static int peer_sp_rekey(void *arg, struct sph_conn *c, uint32_t spi)
{
	(void)arg;
	return sph_rekey(c, spi);
}

static int peer_sp_close(void *arg, struct sph_conn *c, const char *reason)
{
	(void)arg;
	return sph_close(c, reason);
}

static void peer_sp_free(void *arg, struct sph_conn *c)
{
	(void)arg;
	sph_free(c);
}

static const struct dpp_hello *peer_dp_hello(void *arg)
{
	struct ctl *ctl = arg;

	return dpp_is_up(ctl->dp) ? dpp_hello(ctl->dp) : NULL;
}

static int peer_dp_add(void *arg, const struct spg_dp_session_params *p)
{
	return dpp_add(((struct ctl *)arg)->dp, p);
}

static int peer_dp_update(void *arg, uint32_t what, const struct spg_dp_session_params *p)
{
	return dpp_update(((struct ctl *)arg)->dp, what, p);
}

static int peer_dp_delete(void *arg, uint64_t id)
{
	return dpp_delete(((struct ctl *)arg)->dp, id);
}

static int peer_dp_address(void *arg, uint8_t op, uint8_t port, uint32_t addr)
{
	return dpp_address(((struct ctl *)arg)->dp, op, port, addr);
}

static int peer_dp_list(void *arg, int (*fn)(const struct spg_dp_session_info *s, void *a), void *a)
{
	return dpp_list(((struct ctl *)arg)->dp, fn, a);
}

static int peer_dp_stats(void *arg, struct spg_dp_stats_rep *rep)
{
	return dpp_stats(((struct ctl *)arg)->dp, rep);
}

static int peer_dp_record(void *arg, const struct spg_dp_session_record_req *req, struct spg_dp_record_rep *rep)
{
	return dpp_record(((struct ctl *)arg)->dp, req, rep);
}

static int peer_dp_joiners(void *arg, const struct spg_dp_session_joiners_req *req)
{
	return dpp_joiners(((struct ctl *)arg)->dp, req);
}

static struct line_call *peer_line_connect(void *arg, const struct store_line *line, const struct store_system *sys,
					   uint16_t port, const struct line_events *ev, void *ev_arg)
{
	return line_connect(((struct ctl *)arg)->lines, line, sys, port, ev, ev_arg);
}

static void peer_line_cancel(void *arg, struct line_call *c)
{
	(void)arg;
	line_cancel(c);
}

static struct line_call *peer_line_reattach(void *arg, const struct store_line *line, const struct store_system *sys,
					    uint16_t port, uint64_t speed_bps, const struct line_events *ev, void *ev_arg)
{
	return line_reattach(((struct ctl *)arg)->lines, line, sys, port, speed_bps, ev, ev_arg);
}

static const struct session_peers real_peers = {
	.sp_open = peer_sp_open,
	.sp_attach = peer_sp_attach,
	.sp_rekey = peer_sp_rekey,
	.sp_close = peer_sp_close,
	.sp_free = peer_sp_free,
	.dp_hello = peer_dp_hello,
	.dp_add = peer_dp_add,
	.dp_update = peer_dp_update,
	.dp_delete = peer_dp_delete,
	.dp_list = peer_dp_list,
	.dp_stats = peer_dp_stats,
	.dp_record = peer_dp_record,
	.dp_joiners = peer_dp_joiners,
	.line_connect = peer_line_connect,
	.line_cancel = peer_line_cancel,
	.line_reattach = peer_line_reattach,
};

/* ---- what the SNMP subagent serves (snmp/snmp.h) ---- */

struct snmp_recent {
	int (*fn)(const struct store_session *s, void *a);
	void *a;
};

static int snmp_recent_one(const struct store_session *s, void *arg)
{
	struct snmp_recent *r = arg;

	/* the live ones were given already */
	return store_session_state_live(s->state) ? 0 : r->fn(s, r->a);
}

static int snmp_src_sessions(void *arg, int (*fn)(const struct store_session *s, void *a), void *a)
{
	struct ctl *ctl = arg;
	struct store_session_filter live = {.live_only = true};
	struct store_session_filter recent = {.since = (int64_t)time(NULL) - CTL_SNMP_RECENT_S,
					      .limit = CTL_SNMP_RECENT_MAX};
	struct snmp_recent r = {fn, a};
	int ret;

	ret = store_session_foreach(ctl->store, &live, fn, a);
	return ret != 0 ? ret : store_session_foreach(ctl->store, &recent, snmp_recent_one, &r);
}

static int snmp_src_lines(void *arg, int (*fn)(const struct store_line *l, void *a), void *a)
{
	return store_line_foreach(((struct ctl *)arg)->store, fn, a);
}

/* spgate-dp's calls fail fast with -ENOTCONN while it is down: no reconnect is forced here. */
static int snmp_src_dp_sessions(void *arg, int (*fn)(const struct spg_dp_session_info *s, void *a), void *a)
{
	struct ctl *ctl = arg;

	return dpp_is_up(ctl->dp) ? dpp_list(ctl->dp, fn, a) : -ENOTCONN;
}

static int snmp_src_dp_stats(void *arg, struct spg_dp_stats_rep *rep)
{
	struct ctl *ctl = arg;

	return dpp_is_up(ctl->dp) ? dpp_stats(ctl->dp, rep) : -ENOTCONN;
}

static int snmp_src_dp_drops(void *arg, struct spg_dp_drops_rep *rep)
{
	struct ctl *ctl = arg;

	return dpp_is_up(ctl->dp) ? dpp_drops(ctl->dp, rep) : -ENOTCONN;
}

static bool snmp_src_degraded(void *arg, int64_t id, char *why, size_t len)
{
	return session_degraded(((struct ctl *)arg)->sessions, id, why, len);
}

/* SNMP as the config says (nothing when snmp.enabled is false). 0 or -1 after saying why. */
static int start_snmp(struct ctl *ctl)
{
	const struct snmp_sources src = {
		.sessions = snmp_src_sessions,
		.lines = snmp_src_lines,
		.dp_sessions = snmp_src_dp_sessions,
		.dp_stats = snmp_src_dp_stats,
		.dp_drops = snmp_src_dp_drops,
		.degraded = snmp_src_degraded,
		.arg = ctl,
	};
	char err[512];

	ctl->snmp = snmp_new(ctl->base, &ctl->cfg, &src, err, sizeof(err));
	if (ctl->snmp == NULL && errno != 0) {
		fprintf(stderr, "spgate-control: snmp: %s\n", err);
		return -1;
	}
	if (ctl->snmp != NULL)
		fprintf(stderr, "spgate-control: snmp: subagent of %s under %s, %u managers\n",
			ctl->cfg.snmp.agentx_socket, ctl->cfg.snmp.base_oid_text, ctl->cfg.snmp.n_managers);
	return 0;
}

/* ---- start-up ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: spgate-control [--config FILE]\n"
		"       spgate-control --check-config FILE\n"
		"\n"
		"  --config FILE        the configuration (default %s)\n"
		"  --check-config FILE  check FILE and exit: 0 when it is valid\n"
		"  --version            print the version and exit\n"
		"  --help               this text\n"
		"\n"
		"Signals: TERM/INT stop (sessions live on: spgate-dp keeps forwarding, modem calls stay\n"
		"up, a restart takes them over), HUP reopens the audit log.\n",
		CTL_CONFIG_DEFAULT);
}

/* mkdir -p dir. 0755: operators must reach the socket; the files inside have their own modes. */
static int make_dir(const char *dir)
{
	char buf[CTL_PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Creates the directory that will hold the file path. 0 or -errno. */
static int make_parent_dir(const char *path)
{
	char buf[CTL_PATH_MAX], *p;

	snprintf(buf, sizeof(buf), "%s", path);
	p = strrchr(buf, '/');
	if (p == NULL || p == buf)
		return 0;
	*p = '\0';
	return make_dir(buf);
}

static int local_lookup(void *arg, const char *user, char *hash, size_t hashlen, char groups[][AUTH_NAME_MAX],
			unsigned *n_groups, unsigned max_groups)
{
	struct ctl *ctl = arg;
	struct store_user u;
	unsigned i;
	int ret;

	ret = store_user_get(ctl->store, user, &u);
	if (ret != 0)
		return ret;
	/* A user without a local password exists only for RADIUS: locally unknown. */
	if (u.password_hash[0] == '\0')
		return -ENOENT;
	snprintf(hash, hashlen, "%s", u.password_hash);
	for (i = 0; i < u.n_groups && i < max_groups; i++)
		snprintf(groups[i], AUTH_NAME_MAX, "%s", u.groups[i]);
	*n_groups = i;
	return 0;
}

static void auth_config_from(const struct ctl_config *c, struct auth_config *a)
{
	char addr[SPG_ADDR_STRLEN];
	unsigned i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < c->auth.n_methods && i < 2; i++)
		a->methods[i] = c->auth.methods[i] == CTL_AUTH_RADIUS ? AUTH_METHOD_RADIUS : AUTH_METHOD_LOCAL;
	a->n_methods = i;
	for (i = 0; i < c->auth.radius.n_servers && i < AUTH_MAX_SERVERS; i++) {
		snprintf(a->servers[i].address, sizeof(a->servers[i].address), "%s:%u",
			 spg_addr_str(c->auth.radius.servers[i].addr, addr), c->auth.radius.servers[i].port);
		snprintf(a->servers[i].secret, sizeof(a->servers[i].secret), "%s", c->auth.radius.servers[i].secret);
	}
	a->n_servers = i;
	a->timeout_ms = c->auth.radius.timeout_ms;
	a->retries = c->auth.radius.retries;
	snprintf(a->group_attribute, sizeof(a->group_attribute), "%s",
		 ctl_group_attribute_name(c->auth.radius.group_attribute));
	snprintf(a->nas_identifier, sizeof(a->nas_identifier), "%s", c->auth.radius.nas_identifier);
	a->require_message_authenticator = c->auth.radius.require_message_authenticator;
	a->max_failures = c->auth.lockout_max_failures;
	a->window_s = c->auth.lockout_window;
}

static void dp_state_cb(struct dpp *d, bool up, void *arg)
{
	struct ctl *ctl = arg;

	(void)d;
	if (ctl->sessions != NULL)
		session_mgr_dp_state(ctl->sessions, up);
	/*
	 * The addresses after the reconciliation, which deleted what this host no longer owns
	 * (spgate-dp refuses to silence an address sessions still leave from) and before any
	 * session is re-added: those wait for a rekey through their agent.
	 */
	if (up)
		fleet_takeover_dp_up(ctl->takeover);
	if (ctl->audit != NULL)
		audit_event(ctl->audit, "spgate-control", up ? "dp_up" : "dp_down", "spgate-dp", "ok", NULL);
}

#define STORE_WAIT_MAX_S 30

/*
 * A fleet's PostgreSQL may be starting, or away, when a gateway host boots: spgate-control
 * waits for it (1 s, doubling to 30 s between tries, each failure logged) instead of exiting,
 * which systemd's start limit would soon make final. Only a connection that cannot be made is
 * waited out; a failed migration or set-up is not. Runs before the signal handlers: SIGTERM
 * ends the wait.
 */
static struct store *open_fleet_store(const char *url, char *err, size_t errlen)
{
	unsigned int wait_s = 1;
	struct store *st;

	while ((st = store_open(url, err, errlen)) == NULL && errno == ECONNREFUSED) {
		/* libpq's message goes on over several lines: the first says what happened */
		fprintf(stderr, "spgate-control: store.url: %.*s; waiting for the store, next try in %u s\n",
			(int)strcspn(err, "\n"), err, wait_s);
		sleep(wait_s);
		wait_s = wait_s * 2 < STORE_WAIT_MAX_S ? wait_s * 2 : STORE_WAIT_MAX_S;
	}
	return st;
}

/* Store, audit log, token key, grant key, agent TLS context. 0 or -1 after saying why. */
static int open_state(struct ctl *ctl)
{
	const struct ctl_config *c = &ctl->cfg;
	char err[512];

	const char *const dirs_of[] = {c->control.database, c->control.audit_log, c->control.operator_socket};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(dirs_of) / sizeof(dirs_of[0]); i++) {
		ret = make_parent_dir(dirs_of[i]);
		if (ret != 0) {
			fprintf(stderr, "spgate-control: cannot create the directory of %s: %s\n", dirs_of[i],
				strerror(-ret));
			return -1;
		}
	}
	ret = make_dir(c->control.state_dir);
	if (ret != 0) {
		fprintf(stderr, "spgate-control: control.state_dir %s: %s\n", c->control.state_dir, strerror(-ret));
		return -1;
	}
	if (c->store.url[0] != '\0') {
		/* the URL is not quoted back: its conninfo may name a password file's user */
		ctl->store = open_fleet_store(c->store.url, err, sizeof(err));
		if (ctl->store == NULL) {
			fprintf(stderr, "spgate-control: store.url: %s\n", err);
			return -1;
		}
	} else {
		ctl->store = store_open(c->control.database, err, sizeof(err));
		if (ctl->store == NULL) {
			fprintf(stderr, "spgate-control: control.database %s: %s\n", c->control.database, err);
			return -1;
		}
	}
	store_set_gateway_id(ctl->store, c->gateway.id);
	ctl->fleet = fleet_start(ctl->base, ctl->store, c->gateway.id, NULL, err, sizeof(err));
	if (ctl->fleet == NULL) {
		fprintf(stderr, "spgate-control: gateway.id: %s\n", err);
		return -1;
	}
	ctl->store_watch = store_watch_start(ctl->base, ctl->store);
	if (ctl->store_watch == NULL) {
		fprintf(stderr, "spgate-control: cannot start the store's watch: out of memory\n");
		return -1;
	}
	ctl->audit = audit_open(c->control.audit_log, ctl->store);
	if (ctl->audit == NULL) {
		fprintf(stderr, "spgate-control: control.audit_log %s: %s\n", c->control.audit_log, strerror(errno));
		return -1;
	}
	ctl->tokens = token_key_load(c->control.state_dir);
	if (ctl->tokens == NULL) {
		fprintf(stderr, "spgate-control: %s/token.key: %s\n", c->control.state_dir, strerror(errno));
		return -1;
	}
	ctl->mfa = mfa_create(ctl->store, c->control.state_dir);
	ctl->challenges = challenge_table_new();
	if (ctl->mfa == NULL || ctl->challenges == NULL) {
		fprintf(stderr, "spgate-control: %s/mfa.key: %s\n", c->control.state_dir, strerror(errno));
		return -1;
	}
	ctl->grant_key = spg_grant_load_private_key(c->grant.signing_key, err, sizeof(err));
	if (ctl->grant_key == NULL) {
		fprintf(stderr, "spgate-control: grant.signing_key: %s\n", err);
		return -1;
	}
	ctl->agent_ctx = sph_client_ctx(c->agent.ca, c->agent.client_certificate, c->agent.client_key, err,
					sizeof(err));
	if (ctl->agent_ctx == NULL) {
		fprintf(stderr, "spgate-control: agent (ca, client_certificate, client_key): %s\n", err);
		return -1;
	}
	if (spg_cert_fingerprint(SSL_CTX_get0_certificate(ctl->agent_ctx), ctl->gw_cert) == NULL) {
		fprintf(stderr, "spgate-control: agent.client_certificate %s: cannot compute its SHA-256\n",
			c->agent.client_certificate);
		return -1;
	}
	return 0;
}

static int start_lines(struct ctl *ctl)
{
	struct line_env env = {
		.base = ctl->base,
		.cfg = &ctl->cfg,
		.store = ctl->store,
		.snmp = ctl->snmp,
	};

	ctl->lines = line_mgr_new(&env);
	if (ctl->lines == NULL) {
		fprintf(stderr, "spgate-control: lines: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}


static void heard_session(int64_t session_id, void *arg)
{
	struct ctl *ctl = arg;
	int rc = session_mgr_recheck(ctl->sessions, session_id);

	if (rc < 0)
		fprintf(stderr, "spgate-control: session %" PRId64 ": cannot read what another gateway host "
				"decided: %s\n", session_id, strerror(-rc));
}

static void poll_sessions(void *arg)
{
	struct ctl *ctl = arg;

	session_mgr_recheck_all(ctl->sessions);
}

/*
 * On a PostgreSQL store, decisions other hosts of the fleet take for our sessions (approve,
 * deny, disconnect) come as notifications (fleet_listen.h); one host on SQLite needs none.
 */
static int start_listen(struct ctl *ctl)
{
	struct fleet_listen_events ev = { heard_session, poll_sessions, ctl };
	char err[512];

	if (store_kind(ctl->store) != DB_POSTGRESQL)
		return 0;
	ctl->listen = fleet_listen_start(ctl->base, ctl->cfg.store.url, &ev, err, sizeof(err));
	if (ctl->listen == NULL) {
		fprintf(stderr, "spgate-control: store.url: %s\n", err);
		return -1;
	}
	/* what other hosts decided for the restored sessions while this one was away */
	session_mgr_recheck_all(ctl->sessions);
	return 0;
}

/* Failover in the fleet (fleet_takeover.h); with SQLite it only answers "not standing by". */
static int start_takeover(struct ctl *ctl)
{
	struct fleet_takeover_env env = {
		.base = ctl->base,
		.st = ctl->store,
		.fleet = ctl->fleet,
		.sessions = ctl->sessions,
		.audit = ctl->audit,
		.dp_hello = peer_dp_hello,
		.dp_address = peer_dp_address,
		.dp_arg = ctl,
	};

	ctl->takeover = fleet_takeover_start(&env);
	if (ctl->takeover == NULL) {
		fprintf(stderr, "spgate-control: fleet failover: cannot start: out of memory\n");
		return -1;
	}
	if (dpp_is_up(ctl->dp))
		fleet_takeover_dp_up(ctl->takeover);
	return 0;
}

static int start_auth_and_sessions(struct ctl *ctl)
{
	struct session_env env = {
		.base = ctl->base,
		.cfg = &ctl->cfg,
		.store = ctl->store,
		.audit = ctl->audit,
		.grant_key = ctl->grant_key,
		.gw_cert = ctl->gw_cert,
		.peers = &real_peers,
		.peers_arg = ctl,
		.fleet = ctl->fleet,
	};
	struct auth_config ac;
	int n;

	auth_config_from(&ctl->cfg, &ac);
	ctl->auth = auth_create(ctl->base, &ac, local_lookup, ctl);
	if (ctl->auth == NULL) {
		fprintf(stderr, "spgate-control: auth: cannot start: %s\n", strerror(errno));
		return -1;
	}
	ctl->dp = dpp_new(ctl->base, ctl->cfg.control.dataplane_socket, 0, dp_state_cb, ctl);
	if (ctl->dp == NULL) {
		fprintf(stderr, "spgate-control: control.dataplane_socket %s: %s\n", ctl->cfg.control.dataplane_socket,
			strerror(errno));
		return -1;
	}
	/* SNMP first: the lines and the sessions report to it */
	if (start_snmp(ctl) != 0 || start_lines(ctl) != 0)
		return -1;
	env.snmp = ctl->snmp;
	ctl->sessions = session_mgr_new(&env);
	if (ctl->sessions == NULL) {
		fprintf(stderr, "spgate-control: sessions: %s\n", strerror(errno));
		return -1;
	}
	n = session_mgr_restore(ctl->sessions);
	if (n < 0) {
		fprintf(stderr, "spgate-control: cannot reload the sessions from the store: %s\n", strerror(-n));
		return -1;
	}
	if (n > 0)
		fprintf(stderr, "spgate-control: taking over %d live sessions from the store\n", n);
	if (start_takeover(ctl) != 0)
		return -1;
	return start_listen(ctl);
}

/* The web console (issue 18), on its own listener, a client of the same ops as the API. */
static int start_web(struct ctl *ctl)
{
	const struct ctl_config *c = &ctl->cfg;
	char addr[SPG_ADDR_STRLEN], err[512];

	if (!c->web.enabled)
		return 0;
	ctl->web = web_server_new(ctl->base, c, &ctl->api_ctx, err, sizeof(err));
	if (ctl->web == NULL) {
		fprintf(stderr, "spgate-control: %s\n", err);
		return -1;
	}
	fprintf(stderr, "spgate-control: web console on https://%s:%u/ (pages from %s)\n",
		spg_addr_str(c->web.listen_addr, addr), c->web.listen_port, c->web.static_dir);
	return 0;
}

static int start_api(struct ctl *ctl)
{
	const struct ctl_config *c = &ctl->cfg;
	char listen[SPG_ENDPOINT_STRLEN], addr[SPG_ADDR_STRLEN], err[512];
	struct api_server_config sc = {
		.tls_listen = listen,
		.tls_certificate = c->engineer_api.certificate,
		.tls_private_key = c->engineer_api.private_key,
		.unix_path = c->control.operator_socket,
		.operator_group = c->control.operator_group,
		.idle_timeout_s = c->engineer_api.idle_timeout,
		.max_clients = c->engineer_api.max_clients,
		.max_per_source = c->engineer_api.max_per_source,
		.handshake_timeout_s = c->engineer_api.handshake_timeout,
		.operator_max_clients = c->control.operator_max_clients,
	};

	snprintf(listen, sizeof(listen), "%s:%u", spg_addr_str(c->engineer_api.listen_addr, addr),
		 c->engineer_api.listen_port);
	ctl->api_ctx = (struct api_ctx){
		.cfg = c,
		.gateway_id = c->gateway.id,
		.takeover = ctl->takeover,
		.store = ctl->store,
		.audit = ctl->audit,
		.auth = ctl->auth,
		.tokens = ctl->tokens,
		.sessions = ctl->sessions,
		.dp = ctl->dp,
		.lines = ctl->lines,
		.snmp = ctl->snmp,
		.challenges = ctl->challenges,
		.mfa = ctl->mfa,
	};
	ctl->api = api_server_new(ctl->base, &sc, api_ops_serve, &ctl->api_ctx, err, sizeof(err));
	if (ctl->api == NULL) {
		fprintf(stderr, "spgate-control: %s\n", err);
		return -1;
	}
	fprintf(stderr, "spgate-control %s: engineer API on %s (TLS), operators on %s\n", SPGATE_VERSION, listen,
		c->control.operator_socket);
	return start_web(ctl);
}

/* The descriptors the API's budgets need, before anything opens many. 0 or -1 after saying why. */
static int raise_nofile(const struct ctl *ctl)
{
	char err[512];

	if (api_raise_nofile(ctl->cfg.engineer_api.max_clients + ctl->cfg.control.operator_max_clients, err,
			     sizeof(err)) != 0) {
		fprintf(stderr, "spgate-control: %s\n", err);
		return -1;
	}
	return 0;
}

/* ---- signals and timers ---- */

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctl *ctl = arg;

	(void)what;
	fprintf(stderr, "spgate-control: %s: stopping; sessions live on\n", strsignal(sig));
	event_base_loopexit(ctl->base, NULL);
}

static void hup_cb(evutil_socket_t sig, short what, void *arg)
{
	struct ctl *ctl = arg;
	int ret;

	(void)sig;
	(void)what;
	ret = audit_reopen(ctl->audit);
	if (ret != 0)
		fprintf(stderr, "spgate-control: cannot reopen the audit log: %s\n", strerror(-ret));
}

static void audit_sync_cb(evutil_socket_t fd, short what, void *arg)
{
	struct ctl *ctl = arg;

	(void)fd;
	(void)what;
	audit_sync(ctl->audit);
}

static int start_signals(struct ctl *ctl)
{
	struct timeval sync = {CTL_AUDIT_SYNC_S, 0};

	signal(SIGPIPE, SIG_IGN);
	ctl->sig_int = evsignal_new(ctl->base, SIGINT, stop_cb, ctl);
	ctl->sig_term = evsignal_new(ctl->base, SIGTERM, stop_cb, ctl);
	ctl->sig_hup = evsignal_new(ctl->base, SIGHUP, hup_cb, ctl);
	ctl->audit_sync = event_new(ctl->base, -1, EV_PERSIST, audit_sync_cb, ctl);
	if (ctl->sig_int == NULL || ctl->sig_term == NULL || ctl->sig_hup == NULL || ctl->audit_sync == NULL)
		return -1;
	event_add(ctl->sig_int, NULL);
	event_add(ctl->sig_term, NULL);
	event_add(ctl->sig_hup, NULL);
	event_add(ctl->audit_sync, &sync);
	return 0;
}

static void ctl_free(struct ctl *ctl)
{
	/*
	 * Sessions first: they drop their agent channels without ending anything, and leave
	 * their modem calls up (DTR held) for the next spgate-control to re-attach.
	 */
	line_mgr_leave_calls_up(ctl->lines);
	fleet_takeover_stop(ctl->takeover);
	session_mgr_free(ctl->sessions);
	line_mgr_free(ctl->lines);
	/* after the sessions and lines, which report to it until they are gone */
	snmp_free(ctl->snmp);
	web_server_free(ctl->web);
	api_server_free(ctl->api);
	dpp_free(ctl->dp);
	if (ctl->auth != NULL)
		auth_free(ctl->auth);
	if (ctl->sig_int != NULL)
		event_free(ctl->sig_int);
	if (ctl->sig_term != NULL)
		event_free(ctl->sig_term);
	if (ctl->sig_hup != NULL)
		event_free(ctl->sig_hup);
	if (ctl->audit_sync != NULL)
		event_free(ctl->audit_sync);
	SSL_CTX_free(ctl->agent_ctx);
	EVP_PKEY_free(ctl->grant_key);
	token_key_free(ctl->tokens);
	mfa_free(ctl->mfa);
	challenge_table_free(ctl->challenges);
	if (ctl->audit != NULL) {
		audit_sync(ctl->audit);
		audit_close(ctl->audit);
	}
	fleet_listen_stop(ctl->listen);
	fleet_stop(ctl->fleet);
	store_watch_stop(ctl->store_watch);
	store_close(ctl->store);
	if (ctl->base != NULL)
		event_base_free(ctl->base);
	ctl_config_free(&ctl->cfg);
}

static int check_config(const char *path)
{
	struct ctl_config cfg;
	char err[512];

	if (ctl_config_load(path, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* the files it names too, as the start loads them: "ok" must mean the start gets past them */
	if (ctl_config_check_files(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", path, err);
		ctl_config_free(&cfg);
		return 1;
	}
	ctl_config_free(&cfg);
	printf("%s: ok\n", path);
	return 0;
}

/* Parses argv; returns -1 to go on with *config set, else the exit code. */
static int parse_args(int argc, char **argv, const char **config)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			*config = optarg;
			break;
		case 'k':
			return check_config(optarg);
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("spgate-control %s\n", SPGATE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "spgate-control: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	const char *config = CTL_CONFIG_DEFAULT;
	static struct ctl ctl;
	char err[512];
	int rc;

	rc = parse_args(argc, argv, &config);
	if (rc >= 0)
		return rc;
	spg_log_stamp_stderr(); /* the daemon's lines get UTC timestamps, unless the journal's */
	if (ctl_config_load(config, &ctl.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "spgate-control: %s\n", err);
		return 1;
	}
	ctl.base = event_base_new();
	rc = 1;
	if (ctl.base == NULL || raise_nofile(&ctl) != 0 || open_state(&ctl) != 0 || start_signals(&ctl) != 0 ||
	    start_auth_and_sessions(&ctl) != 0 || start_api(&ctl) != 0)
		goto out;
	audit_event(ctl.audit, "spgate-control", "start", SPGATE_VERSION, "ok", NULL);
	rc = event_base_dispatch(ctl.base) < 0 ? 1 : 0;
	audit_event(ctl.audit, "spgate-control", "stop", SPGATE_VERSION, "ok", NULL);
out:
	ctl_free(&ctl);
	return rc;
}
