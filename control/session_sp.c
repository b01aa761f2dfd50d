/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A session's way to its SP: the grant, allocation of line, address and SPI, the line,
 * the SP handshake and its callbacks, installing the keys in spgate-dp, rekeying and
 * re-attaching the agent channel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "addr.h"
#include "grant.h"
#include "fleet.h"
#include "session_int.h"

static const struct sph_events sess_sp_events;

void sess_sp_drop(struct session *s)
{
	if (s->sp != NULL)
		s->m->env.peers->sp_free(s->m->env.peers_arg, s->sp);
	s->sp = NULL;
	s->sp_state = SESS_SP_NONE;
}

/* The profile's "tcp:22,tcp:443" as the grant's list. */
static int grant_ports(struct store *st, const struct store_system *sys, struct spg_grant *g)
{
	char names[SPG_GRANT_MAX_PORTS][STORE_NAME_MAX];
	struct store_profile prof;
	unsigned n = 0, i;
	int ret;

	if (sys->profile[0] == '\0')
		return 0;
	ret = store_profile_get(st, sys->profile, &prof);
	if (ret != 0)
		return ret;
	ret = store_split_names(prof.ports, ',', names, SPG_GRANT_MAX_PORTS, &n);
	if (ret != 0)
		return ret;
	for (i = 0; i < n; i++)
		snprintf(g->ports[i], sizeof(g->ports[i]), "%s", names[i]);
	g->n_ports = n;
	g->icmp_echo = prof.icmp_echo;
	return 0;
}

static int keep_signed_grant(struct session *s, char *grant_b64, char *sig_b64, char *err, size_t errlen)
{
	uint8_t *grant, *sig;
	size_t glen, slen;

	grant = spg_base64_decode(grant_b64, STORE_GRANT_MAX, &glen);
	sig = spg_base64_decode(sig_b64, STORE_SIG_MAX, &slen);
	if (grant == NULL || sig == NULL) {
		free(grant);
		free(sig);
		snprintf(err, errlen, "the signed grant does not fit the store");
		return -E2BIG;
	}
	memcpy(s->row.grant, grant, glen);
	s->row.grant_len = glen;
	memcpy(s->row.grant_sig, sig, slen);
	s->row.grant_sig_len = slen;
	free(grant);
	free(sig);
	s->grant_b64 = grant_b64;
	s->sig_b64 = sig_b64;
	sess_save(s);
	return 0;
}

int sess_issue_grant(struct session *s, const struct store_system *sys, const struct dpp_hello *hello, char *err,
		     size_t errlen)
{
	const struct ctl_config *cfg = s->m->env.cfg;
	char *grant_b64 = NULL, *sig_b64 = NULL;
	struct spg_grant g;
	size_t i;
	int ret;

	if (hello == NULL) {
		snprintf(err, errlen, "the dataplane (spgate-dp) is not running");
		return -ENOTCONN;
	}
	memset(&g, 0, sizeof(g));
	g.version = SPG_GRANT_VERSION;
	g.session = (uint64_t)s->row.id;
	snprintf(g.engineer, sizeof(g.engineer), "%s", s->row.user);
	for (i = 0; i < s->n_groups; i++)
		snprintf(g.groups[i], sizeof(g.groups[i]), "%s", s->groups[i]);
	g.n_groups = i;
	snprintf(g.serial, sizeof(g.serial), "%s", s->row.serial);
	snprintf(g.gw_cert, sizeof(g.gw_cert), "%s", s->m->env.gw_cert != NULL ? s->m->env.gw_cert : "");
	g.issued = sess_now(s->m);
	g.expires = g.issued + cfg->grant.lifetime;
	g.gw_inner = hello->inner_addr;
	g.gw_outer = hello->outer_addr;
	g.gw_outer_port = hello->esp_udp_port;
	ret = grant_ports(s->m->env.store, sys, &g);
	if (ret != 0) {
		snprintf(err, errlen, "profile %s of %s: %s", sys->profile, sys->serial, strerror(-ret));
		return ret;
	}
	ret = spg_grant_new_nonce(&g);
	if (ret == 0)
		ret = spg_grant_sign(&g, s->m->env.grant_key, &grant_b64, &sig_b64, err, errlen);
	if (ret == 0)
		ret = keep_signed_grant(s, grant_b64, sig_b64, err, errlen);
	if (ret != 0) {
		free(grant_b64);
		free(sig_b64);
	}
	free(s->groups);
	s->groups = NULL;
	s->n_groups = 0;
	return ret;
}

/* The address of the grant's "gw_outer" endpoint ("203.0.113.1:4500"); 0 when it has none. */
static uint32_t grant_outer_address(const char *endpoint)
{
	char host[INET_ADDRSTRLEN];
	const char *colon = endpoint != NULL ? strchr(endpoint, ':') : NULL;
	uint32_t addr;

	if (colon == NULL || (size_t)(colon - endpoint) >= sizeof(host))
		return 0;
	memcpy(host, endpoint, (size_t)(colon - endpoint));
	host[colon - endpoint] = '\0';
	return inet_pton(AF_INET, host, &addr) == 1 ? addr : 0;
}

uint32_t sess_outer_address(const struct session *s)
{
	json_t *g = s->row.grant_len > 0 ? json_loadb((const char *)s->row.grant, s->row.grant_len, 0, NULL) : NULL;
	uint32_t addr = grant_outer_address(json_string_value(json_object_get(g, "gw_outer")));

	json_decref(g);
	return addr;
}

/* The grant's ports and icmp_echo: what the agent enforces is what spgate-dp enforces. */
static int params_ports_from_grant(const struct session *s, struct spg_dp_session_params *p, char *err,
				   size_t errlen)
{
	const char *ports[SPG_GRANT_MAX_PORTS];
	json_t *g, *list, *v;
	size_t i, n = 0;
	int ret;

	g = json_loadb((const char *)s->row.grant, s->row.grant_len, 0, NULL);
	list = g != NULL ? json_object_get(g, "ports") : NULL;
	if (!json_is_array(list)) {
		json_decref(g);
		snprintf(err, errlen, "the stored grant has no port list");
		return -EINVAL;
	}
	json_array_foreach(list, i, v)
		if (json_is_string(v) && n < SPG_GRANT_MAX_PORTS)
			ports[n++] = json_string_value(v);
	p->icmp_echo = json_is_true(json_object_get(g, "icmp_echo"));
	/* ESP leaves from the address the agent knows (the grant's gw_outer): after a takeover,
	 * the dead host's address, which this host's spgate-dp now holds too */
	p->outer_src = grant_outer_address(json_string_value(json_object_get(g, "gw_outer")));
	ret = dpp_set_ports(p, ports, n, err, errlen);
	json_decref(g);
	return ret;
}

static int sess_dp_params(const struct session *s, struct spg_dp_session_params *p, char *err, size_t errlen)
{
	const struct dpp_hello *hello = s->m->env.peers->dp_hello(s->m->env.peers_arg);

	memset(p, 0, sizeof(*p));
	p->id = (uint64_t)s->row.id;
	p->virtual_addr = s->row.virtual_address;
	p->workstation_addr = s->row.workstation;
	p->peer_addr = s->row.agent_address;
	/* The agent's ESP port is not stored; after a restart spgate-dp's own is the best guess. */
	p->peer_port = s->esp_port ? s->esp_port : hello != NULL ? hello->esp_udp_port : SPH_DEFAULT_ESP_PORT;
	dpp_set_rate(p, s->row.speed_bps);
	return params_ports_from_grant(s, p, err, errlen);
}

/* Puts s with keys k into spgate-dp (add, or update what it has). 0 or -errno. */
static int sess_dp_install(struct session *s, const struct sph_keys *k)
{
	const struct session_peers *pe = s->m->env.peers;
	struct spg_dp_session_params p;
	bool added = false;
	char err[160];
	int ret;

	ret = sess_dp_params(s, &p, err, sizeof(err));
	if (ret != 0) {
		fprintf(stderr, "spgate-control: session %lld: %s\n", (long long)s->row.id, err);
		return ret;
	}
	dpp_set_keys(&p, k, s->row.spi_in, s->row.spi_out);
	ret = -ENOENT;
	if (s->dp == SESS_DP_PRESENT || s->dp == SESS_DP_STALE || s->dp == SESS_DP_UNKNOWN)
		ret = pe->dp_update(s->m->env.peers_arg, SPG_DP_UPD_ALL, &p);
	if (ret == -ENOENT) {
		ret = pe->dp_add(s->m->env.peers_arg, &p);
		if (ret == -EEXIST)
			ret = pe->dp_update(s->m->env.peers_arg, SPG_DP_UPD_ALL, &p);
		added = ret == 0;
	}
	explicit_bzero(&p, sizeof(p));
	if (ret == 0)
		s->dp = SESS_DP_PRESENT;
	/* A re-added session (spgate-dp restarted) comes without joiners: they go again. */
	if (added)
		sess_join_readd(s);
	else if (ret == -ENOTCONN)
		s->dp = SESS_DP_UNKNOWN;
	return ret;
}

static void sess_sp_params(const struct session *s, struct sph_params *p, char *addr)
{
	const struct ctl_config *cfg = s->m->env.cfg;
	const struct dpp_hello *hello = s->m->env.peers->dp_hello(s->m->env.peers_arg);

	memset(p, 0, sizeof(*p));
	p->agent_addr = spg_addr_str(s->row.agent_address, addr);
	p->agent_port = s->row.agent_port;
	p->grant_b64 = s->grant_b64;
	p->sig_b64 = s->sig_b64;
	p->session_id = (uint64_t)s->row.id;
	p->sp_serial = s->row.serial; /* the agent's certificate must name the SP we dial */
	p->gw_spi = s->row.spi_in;
	/* spgate-dp's cipher decides; aes-128-gcm (its default) while it is not up. */
	p->key_len = hello != NULL ? hello->key_len : 16;
	p->connect_timeout_s = cfg->agent.connect_timeout;
	p->reply_timeout_s = cfg->agent.connect_timeout;
	p->keepalive_s = cfg->agent.keepalive;
}

/*
 * Starts sp_open or sp_attach. A connect refused at once is reported from inside the call,
 * before we know the connection: the callback notes it and we act on it here, when s is
 * ours again. Returns 0, -EAGAIN (it failed at once: sp_early_* say why) or -errno.
 */
static int sess_sp_start(struct session *s, bool attach)
{
	const struct session_peers *pe = s->m->env.peers;
	char addr[SPG_ADDR_STRLEN];
	struct sph_params p;
	struct sph_conn *c;

	sess_sp_params(s, &p, addr);
	s->sp_early_fail = false;
	s->sp_state = attach ? SESS_SP_ATTACHING : SESS_SP_OPENING;
	s->sp_starting = true;
	c = attach ? pe->sp_attach(s->m->env.peers_arg, &p, &sess_sp_events, s)
		   : pe->sp_open(s->m->env.peers_arg, &p, &sess_sp_events, s);
	s->sp_starting = false;
	if (s->sp_early_fail)
		return -EAGAIN; /* the callback dropped the connection; c is not ours any more */
	if (c == NULL) {
		s->sp_state = SESS_SP_NONE;
		snprintf(s->sp_early_reason, sizeof(s->sp_early_reason), "%s", strerror(errno));
		return -errno;
	}
	s->sp = c;
	return 0;
}

/* The line is up but the SP's agent cannot be reached over it: a dial failure too. */
static void sess_dial_failed(struct session *s, const char *reason)
{
	snmp_notify_dial_failure(s->m->env.snmp, s->row.line_id, s->row.serial, s->row.id, "agent unreachable");
	sess_end(s, STORE_SESSION_FAILED, "dial_failed", SESS_ACTOR_SYSTEM, "cannot reach the SP's agent: %s", reason);
}

static void sess_sp_open(struct session *s)
{
	int ret = sess_sp_start(s, false);

	if (ret == -EAGAIN && !s->sp_early_refused)
		sess_dial_failed(s, s->sp_early_reason);
	else if (ret == -EAGAIN)
		sess_end(s, STORE_SESSION_FAILED, "sp_refused", SESS_ACTOR_SYSTEM, "cannot reach the SP's agent: %s",
			 s->sp_early_reason);
	else if (ret != 0)
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM, "cannot start the SP handshake: %s",
			 s->sp_early_reason);
}

static void sess_line_done(const struct line_result *r, void *arg)
{
	struct session *s = arg;

	if (!r->ok) {
		s->line = NULL; /* the call is over */
		sess_end(s, STORE_SESSION_FAILED, "dial_failed", SESS_ACTOR_SYSTEM, "%s", r->reason);
		return;
	}
	/* s->line stays: a modem call is up until the session hangs it up (sess_end) */
	s->row.agent_address = r->agent_addr;
	s->row.agent_port = r->agent_port;
	s->row.speed_bps = r->speed_bps;
	sess_save(s);
	sess_to(s, STORE_SESSION_SP_AUTH, NULL, SESS_ACTOR_SYSTEM);
	sess_sp_open(s);
}

/* A modem retrained: the session's rate follows the line, in spgate-dp too. */
static void sess_line_speed(uint64_t speed_bps, void *arg)
{
	struct session *s = arg;
	struct spg_dp_session_params p;
	char reason[64];
	int ret;

	s->row.speed_bps = speed_bps;
	sess_save(s);
	snprintf(reason, sizeof(reason), "line speed now %llu bit/s", (unsigned long long)speed_bps);
	sess_audit(s, SESS_ACTOR_SYSTEM, "session_speed", "ok", reason);
	if (s->dp != SESS_DP_PRESENT)
		return; /* installed later with the row's speed */
	memset(&p, 0, sizeof(p));
	p.id = (uint64_t)s->row.id;
	dpp_set_rate(&p, speed_bps);
	ret = s->m->env.peers->dp_update(s->m->env.peers_arg, SPG_DP_UPD_RATE, &p);
	if (ret != 0)
		fprintf(stderr, "spgate-control: session %lld: cannot set the new rate in spgate-dp: %s\n",
			(long long)s->row.id, strerror(-ret));
}

/* The call went away under the session: nothing reaches the SP any more. */
static void sess_line_dropped(const char *reason, void *arg)
{
	struct session *s = arg;

	s->line = NULL; /* the call is over */
	sess_end(s, STORE_SESSION_FAILED, "line_dropped", SESS_ACTOR_SYSTEM, "%s", reason);
}

const struct line_events sess_line_events = {
	.done = sess_line_done,
	.speed_changed = sess_line_speed,
	.dropped = sess_line_dropped,
};

/*
 * The pool this host allocates from: its part of spgate-dp's (gateway.virtual_pool: in a
 * fleet, engineers route each host's part to that host), or all of it. 0 or -EINVAL.
 */
static int alloc_pool(const struct session *s, const struct dpp_hello *hello, uint32_t *pool, uint8_t *prefix)
{
	const struct ctl_config *c = s->m->env.cfg;
	char mine[SPG_ADDR_STRLEN], dps[SPG_ADDR_STRLEN];

	*pool = hello->pool_addr;
	*prefix = hello->pool_prefix_len;
	if (c->gateway.pool_prefix == 0)
		return 0;
	if (c->gateway.pool_prefix < hello->pool_prefix_len ||
	    (c->gateway.pool_addr & spg_prefix_mask(hello->pool_prefix_len)) != hello->pool_addr) {
		fprintf(stderr, "spgate-control: gateway.virtual_pool %s/%u is not inside spgate-dp's "
				"vendor.virtual_pool %s/%u: no address for session %lld\n",
			spg_addr_str(c->gateway.pool_addr, mine), c->gateway.pool_prefix,
			spg_addr_str(hello->pool_addr, dps), hello->pool_prefix_len, (long long)s->row.id);
		return -EINVAL;
	}
	*pool = c->gateway.pool_addr;
	*prefix = c->gateway.pool_prefix;
	return 0;
}

/* Line, address and SPI, each recorded in the store by alloc.c as it is claimed. */
static int sess_allocate(struct session *s, struct store_line *line, const char **code)
{
	struct session_mgr *m = s->m;
	const struct dpp_hello *hello = m->env.peers->dp_hello(m->env.peers_arg);
	uint32_t pool;
	uint8_t prefix;
	int ret;

	*code = "dataplane";
	if (hello == NULL)
		return -ENOTCONN;
	*code = "no_line";
	ret = alloc_line(m->env.store, s->row.serial, s->row.id, line);
	if (ret != 0)
		return ret;
	snprintf(s->row.line_id, sizeof(s->row.line_id), "%s", line->id);
	*code = "no_address";
	ret = alloc_pool(s, hello, &pool, &prefix);
	if (ret != 0)
		return ret;
	ret = alloc_virtual_address(m->env.store, s->row.id, pool, prefix, sess_now(m), &s->row.virtual_address);
	if (ret != 0)
		return ret;
	*code = "internal";
	ret = alloc_spi(m->env.store, &s->row.spi_in);
	if (ret != 0)
		return ret;
	sess_save(s);
	return 0;
}

void sess_proceed(struct session *s, const char *actor)
{
	struct session_mgr *m = s->m;
	struct store_system sys;
	struct store_line line;
	const char *code;
	char err[256];
	int ret;

	ret = sess_allocate(s, &line, &code);
	if (ret == -ENOTCONN)
		sess_end(s, STORE_SESSION_FAILED, code, SESS_ACTOR_SYSTEM, "the dataplane (spgate-dp) is not running");
	else if (ret == -ENOSPC && strcmp(code, "no_line") == 0)
		sess_end(s, STORE_SESSION_FAILED, code, SESS_ACTOR_SYSTEM, "no free line to reach %s", s->row.serial);
	else if (ret == -ENOSPC)
		sess_end(s, STORE_SESSION_FAILED, code, SESS_ACTOR_SYSTEM, "no free virtual address in the pool");
	else if (ret != 0)
		sess_end(s, STORE_SESSION_FAILED, code, SESS_ACTOR_SYSTEM, "allocation failed: %s", strerror(-ret));
	if (ret != 0)
		return;
	ret = store_system_get(m->env.store, s->row.serial, &sys);
	if (ret != 0) {
		sess_end(s, STORE_SESSION_FAILED, "not_found", SESS_ACTOR_SYSTEM, "system %s: %s", s->row.serial,
			 strerror(-ret));
		return;
	}
	/* authorized and approved: only now is there a grant to lose */
	if (sess_issue_grant(s, &sys, m->env.peers->dp_hello(m->env.peers_arg), err, sizeof(err)) != 0) {
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM, "cannot issue a grant: %s", err);
		return;
	}
	sess_to(s, STORE_SESSION_DIALING, NULL, actor);
	s->line = m->env.peers->line_connect(m->env.peers_arg, &line, &sys, m->env.cfg->agent.port, &sess_line_events,
					     s);
	if (s->line == NULL)
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM, "cannot bring up line %s", line.id);
}

static void sess_opened_first(struct session *s, const struct sph_open_result *r)
{
	struct session_mgr *m = s->m;
	int ret;

	if (!r->ok) {
		sess_sp_drop(s);
		if (r->refused) {
			sess_end(s, STORE_SESSION_FAILED, "sp_refused", SESS_ACTOR_SYSTEM, "the SP refused the grant: %s",
				 r->reason);
		} else if (r->wrong_identity) {
			/* someone else's key answered for this SP: not a dial failure, an impostor */
			fprintf(stderr, "spgate-control: session %lld: SP %s: %s\n", (long long)s->row.id, s->row.serial,
				r->reason);
			sess_end(s, STORE_SESSION_FAILED, "sp_identity", SESS_ACTOR_SYSTEM,
				 "the SP's agent is not %s: %s", s->row.serial, r->reason);
		} else {
			sess_dial_failed(s, r->reason);
		}
		return;
	}
	s->sp_state = SESS_SP_UP;
	s->row.sp_address = r->sp_address;
	s->row.spi_out = r->sp_spi;
	s->row.generation = r->generation;
	s->esp_port = r->esp_port;
	sess_save(s);
	sess_to(s, STORE_SESSION_KEYED, NULL, SESS_ACTOR_SYSTEM);
	ret = sess_dp_install(s, &r->keys);
	if (ret != 0) {
		sess_end(s, STORE_SESSION_FAILED, "dataplane", SESS_ACTOR_SYSTEM, "spgate-dp refused the session: %s",
			 ret == -ENOTCONN ? "it is not running or did not answer in time" : strerror(-ret));
		return;
	}
	/*
	 * Recording starts before the session is reported active, in the next message after the
	 * add (spgate-dp must hold the session to record it): only packets in that round trip
	 * of the local socket can pass unrecorded, before the engineer has been told anything.
	 */
	if (!sess_record_start(s))
		return;
	sess_line_state(s, STORE_LINE_CONNECTED);
	s->keyed_at = s->last_activity = sess_now(m);
	sess_to(s, STORE_SESSION_ACTIVE, NULL, SESS_ACTOR_SYSTEM);
	snmp_notify_session_up(m->env.snmp, &s->row);
}

static void sess_opened_again(struct session *s, const struct sph_open_result *r)
{
	struct session_mgr *m = s->m;
	bool was_degraded;

	if (!r->ok) {
		sess_sp_drop(s);
		if (r->refused) {
			/* failed, not closed: the agent lost it (a crash, a restart), nobody ended it */
			sess_end(s, STORE_SESSION_FAILED, "agent_lost", SESS_ACTOR_SYSTEM,
				 "the SP's agent no longer has the session: %s", r->reason);
			return;
		}
		s->retry_at = sess_now(m) + SESS_ATTACH_RETRY_S;
		fprintf(stderr, "spgate-control: session %lld: re-attach failed: %s; retrying\n", (long long)s->row.id,
			r->reason);
		return;
	}
	s->sp_state = SESS_SP_UP;
	s->lost_at = 0;
	was_degraded = s->lost_why[0] != '\0';
	if (was_degraded)
		fprintf(stderr, "spgate-control: session %lld: active again: the SP's control channel is back\n",
			(long long)s->row.id);
	s->lost_why[0] = '\0';
	s->row.generation = r->generation;
	s->keyed_at = sess_now(m);
	sess_save(s);
	/* the managers were told spgSessionDegraded: tell them it is active again (SPGATE-MIB) */
	if (was_degraded)
		snmp_notify_session_up(m->env.snmp, &s->row);
	sess_audit(s, SESS_ACTOR_SYSTEM, "session_reattached", "ok", NULL);
	/* spgate-dp lost it (or never had our SPIs): new keys are the only way back in. */
	if (s->dp == SESS_DP_ABSENT || s->dp == SESS_DP_STALE)
		sess_rekey(s);
}

static void sess_sp_opened(struct sph_conn *c, const struct sph_open_result *r, void *arg)
{
	struct session *s = arg;

	if (s->sp == NULL)
		s->sp = c; /* reported from inside sp_open/sp_attach */
	if (s->sp_starting && !r->ok) {
		s->sp_early_fail = true;
		s->sp_early_refused = r->refused;
		snprintf(s->sp_early_reason, sizeof(s->sp_early_reason), "%s", r->reason);
		sess_sp_drop(s);
		return;
	}
	if (s->sp_state == SESS_SP_ATTACHING)
		sess_opened_again(s, r);
	else
		sess_opened_first(s, r);
}

static void sess_sp_rekeyed(struct sph_conn *c, uint32_t generation, uint32_t new_sp_spi,
			    const struct sph_keys *keys, void *arg)
{
	struct session *s = arg;
	uint32_t old_in = s->row.spi_in, old_out = s->row.spi_out;
	int ret;

	(void)c;
	s->rekey_inflight = false;
	s->row.spi_in = s->rekey_spi;
	s->row.spi_out = new_sp_spi;
	s->row.generation = generation;
	s->keyed_at = sess_now(s->m);
	ret = sess_dp_install(s, keys);
	if (ret != 0 && ret != -ENOTCONN) {
		s->row.spi_in = old_in;
		s->row.spi_out = old_out;
		sess_close(s, SESS_ACTOR_SYSTEM, "spgate-dp refused the session's new keys");
		return;
	}
	/* -ENOTCONN: spgate-dp is down; reconcile rekeys again once it is back. */
	sess_save(s);
	sess_audit(s, SESS_ACTOR_SYSTEM, "session_rekeyed", ret == 0 ? "ok" : "pending", NULL);
}

static void sess_sp_lost(struct sph_conn *c, const char *why, void *arg)
{
	struct session *s = arg;
	int64_t now = sess_now(s->m);
	enum sess_sp was = s->sp_state;

	(void)c;
	sess_sp_drop(s);
	s->rekey_inflight = false;
	if (s->ending) {
		sess_free(s);
		return;
	}
	if (was == SESS_SP_CLOSING) {
		sess_end(s, STORE_SESSION_CLOSED, NULL, SESS_ACTOR_SYSTEM, "%s", s->row.reason);
		return;
	}
	s->lost_at = now;
	s->retry_at = now;
	/* degraded from now on (session_degraded), visible at once rather than after the grace */
	snprintf(s->lost_why, sizeof(s->lost_why), "%s", why != NULL && why[0] != '\0' ? why : "connection lost");
	fprintf(stderr, "spgate-control: session %lld: degraded: lost the SP's control channel (%s); "
		"re-attaching for up to %u s (agent.grace)\n", (long long)s->row.id, s->lost_why,
		s->m->env.cfg->agent.grace);
	sess_audit(s, SESS_ACTOR_SYSTEM, "session_channel_lost", "failed", why);
	snmp_notify_session_degraded(s->m->env.snmp, &s->row, s->lost_why);
}

static void sess_sp_closed(struct sph_conn *c, bool confirmed, void *arg)
{
	struct session *s = arg;

	(void)c;
	sess_sp_drop(s);
	if (!confirmed)
		fprintf(stderr, "spgate-control: session %lld: the agent did not confirm the teardown\n",
			(long long)s->row.id);
	if (s->ending) {
		sess_free(s);
		return;
	}
	sess_end(s, STORE_SESSION_CLOSED, NULL, SESS_ACTOR_SYSTEM, "%s", s->row.reason);
}

static const struct sph_events sess_sp_events = {
	.opened = sess_sp_opened,
	.rekeyed = sess_sp_rekeyed,
	.lost = sess_sp_lost,
	.closed = sess_sp_closed,
	.pong = NULL,
};

bool sess_reattach(struct session *s)
{
	if (s->grant_b64 == NULL)
		s->grant_b64 = spg_base64_encode(s->row.grant, s->row.grant_len);
	if (s->sig_b64 == NULL)
		s->sig_b64 = spg_base64_encode(s->row.grant_sig, s->row.grant_sig_len);
	s->retry_at = sess_now(s->m) + SESS_ATTACH_RETRY_S;
	if (s->grant_b64 == NULL || s->sig_b64 == NULL)
		return true;
	/* cut off from the store: another host may own the session by now (fleet.h) */
	if (!fleet_lease_fresh(s->m->env.fleet))
		return true;
	if (sess_sp_start(s, true) != 0 && s->sp_early_fail && s->sp_early_refused) {
		sess_end(s, STORE_SESSION_FAILED, "agent_lost", SESS_ACTOR_SYSTEM,
			 "the SP's agent no longer has the session: %s", s->sp_early_reason);
		return false;
	}
	return true;
}

int sess_rekey(struct session *s)
{
	uint32_t spi;
	int ret;

	if (s->sp_state != SESS_SP_UP)
		return -ENOTCONN;
	if (s->rekey_inflight)
		return -EBUSY;
	ret = alloc_spi(s->m->env.store, &spi);
	if (ret != 0)
		return ret;
	ret = s->m->env.peers->sp_rekey(s->m->env.peers_arg, s->sp, spi);
	if (ret != 0)
		return ret;
	s->rekey_inflight = true;
	s->rekey_spi = spi;
	return 0;
}
