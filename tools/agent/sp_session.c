/* SPDX-License-Identifier: BSD-3-Clause */
/* Session state and what a session installs on the SP (see sp_session.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "addr.h"
#include "esp_tun.h"
#include "guard.h"
#include "log.h"
#include "route.h"
#include "sp_session.h"

enum sp_state { SPS_NEW, SPS_UP, SPS_GRACE };

struct sp_session {
	struct sp_sessions *m;
	struct sp_session *next;
	enum sp_state state;
	struct spg_grant grant;
	char *grant_b64;
	uint32_t gw_spi;
	uint32_t sp_spi;
	uint32_t next_gw_spi; /* rekey in progress */
	uint32_t next_sp_spi;
	uint32_t generation;
	uint8_t key_len;
	uint32_t ctl_addr; /* the control plane's address, as its TLS connection came */
	void *channel;     /* NULL in grace */
	struct esp_peer peer;
	struct agent_service_port ports[AGENT_CFG_MAX_PORTS];
	size_t n_ports;
	bool peer_added;
	bool route_added;
	struct event *grace_ev;
	struct event *overlap_ev;
	struct event *expiry_ev;
	time_t created;
	time_t grace_until;
};

struct sp_sessions {
	struct event_base *base;
	const struct agent_config *cfg;
	struct sp_channel_ops ops;
	struct sp_session *list;
	size_t n;
	struct esp_tun *tun;
	struct guard *guard;
	uint64_t drops[AGENT_DROP_MAX];
	uint64_t guard_past[GUARD_REASON_MAX]; /* counters of guards already unloaded */
};

static const char *state_name(enum sp_state s)
{
	return s == SPS_NEW ? "keying" : s == SPS_UP ? "up" : "grace";
}

struct sp_sessions *sp_sessions_new(struct event_base *base, const struct agent_config *cfg,
				    const struct sp_channel_ops *ops)
{
	struct sp_sessions *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->base = base;
	m->cfg = cfg;
	m->ops = *ops;
	return m;
}

void sp_sessions_teardown(struct sp_sessions *m, const char *why)
{
	while (m->list != NULL)
		sp_session_destroy(m->list, why);
}

void sp_sessions_free(struct sp_sessions *m, const char *why)
{
	if (m == NULL)
		return;
	sp_sessions_teardown(m, why);
	free(m);
}

/* The guard's gateway map: every session's gateway (ESP) and control plane (TLS). */
static void guard_sync(struct sp_sessions *m)
{
	struct guard_gateway gw[2 * GUARD_MAX_GATEWAYS];
	struct sp_session *s;
	size_t i, n = 0;
	char err[256];

	if (m->guard == NULL)
		return;
	for (s = m->list; s != NULL && n + 2 <= sizeof(gw) / sizeof(gw[0]); s = s->next) {
		if (s->state == SPS_NEW)
			continue;
		gw[n].addr = s->peer.remote_addr;
		gw[n++].flags = GUARD_GW_ESP;
		gw[n].addr = s->grant.gw_outer; /* roaming moves remote_addr; the grant's stays */
		gw[n++].flags = GUARD_GW_ESP;
		if (s->ctl_addr != 0) {
			gw[n].addr = s->ctl_addr;
			gw[n++].flags = GUARD_GW_CONTROL;
		}
	}
	/* the fleet's other gateways may reach the TLS port: a survivor re-attaches from there */
	for (i = 0; i < m->cfg->n_guard_gateways && n < sizeof(gw) / sizeof(gw[0]); i++) {
		gw[n].addr = m->cfg->guard_gateways[i];
		gw[n++].flags = GUARD_GW_CONTROL;
	}
	if (guard_set_gateways(m->guard, gw, n, err, sizeof(err)) != 0)
		log_err("%s", err);
}

static bool spi_in_use(struct sp_sessions *m, uint32_t spi)
{
	struct sp_session *s;

	for (s = m->list; s != NULL; s = s->next)
		if (s->sp_spi == spi || s->next_sp_spi == spi ||
		    (s->peer.has_prev && s->peer.in_prev.spi == spi))
			return true;
	return false;
}

static uint32_t new_spi(struct sp_sessions *m)
{
	uint32_t spi;

	do {
		if (RAND_bytes((uint8_t *)&spi, sizeof(spi)) != 1)
			spi = (uint32_t)random();
	} while (spi < 256 || spi_in_use(m, spi));
	return spi;
}

/* The grant's ports that this SP offers: what the tunnel lets through. */
static void allowed_ports(struct sp_session *s, const struct agent_config *cfg)
{
	uint8_t proto;
	uint16_t port;
	size_t i, j;

	s->n_ports = 0;
	for (i = 0; i < s->grant.n_ports; i++) {
		if (!spg_grant_port_parse(s->grant.ports[i], &proto, &port))
			continue;
		for (j = 0; j < cfg->n_ports; j++)
			if (cfg->ports[j].proto == proto && cfg->ports[j].port == port)
				s->ports[s->n_ports++] = cfg->ports[j];
	}
}

static void grace_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_session *s = arg;

	(void)fd;
	(void)what;
	log_info("session %" PRIu64 ": grace period over, tearing down", s->grant.session);
	sp_session_destroy(s, "grace period over");
}

static void expiry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_session *s = arg;

	(void)fd;
	(void)what;
	log_info("session %" PRIu64 ": its grant expired, tearing down", s->grant.session);
	sp_session_destroy(s, "grant expired");
}

static void overlap_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sp_session *s = arg;

	(void)fd;
	(void)what;
	if (s->peer.has_prev) {
		log_debug("session %" PRIu64 ": inbound SA 0x%08x of the previous generation retired",
			  s->grant.session, s->peer.in_prev.spi);
		esp_sa_clear(&s->peer.in_prev);
		s->peer.has_prev = false;
	}
}

static void peer_rekey_wanted(struct esp_peer *p, void *arg)
{
	struct sp_session *s = arg;

	(void)p;
	log_info("session %" PRIu64 ": outbound SA near its sequence number limit, asking for a rekey",
		 s->grant.session);
	if (s->channel != NULL && s->m->ops.rekey_wanted != NULL)
		s->m->ops.rekey_wanted(s->channel);
}

struct sp_session *sp_session_create(struct sp_sessions *m, const struct spg_grant *g,
				     const char *grant_b64, uint32_t gw_spi, uint8_t key_len,
				     uint32_t ctl_addr, void *channel, char *err, size_t errlen)
{
	struct sp_session *s, *old, *next;

	for (old = m->list; old != NULL; old = next) {
		next = old->next;
		/* a live session with the same id never gets here: tls_server.c refuses that */
		/* a session owns G_in .. G_in+3 (its joiners speak from G_in + j): two that
		 * overlap would share replies */
		if (esp_tun_is_gw_inner(old->grant.gw_inner, g->gw_inner) ||
		    esp_tun_is_gw_inner(g->gw_inner, old->grant.gw_inner)) {
			log_info("session %" PRIu64 " replaces session %" PRIu64
				 " (same or overlapping gateway inner addresses)", g->session, old->grant.session);
			sp_session_destroy(old, "replaced by a new session");
		}
	}
	if (m->n >= m->cfg->max_sessions) {
		snprintf(err, errlen, "%zu sessions are live, the most this SP allows", m->n);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL || (s->grant_b64 = strdup(grant_b64)) == NULL) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->m = m;
	s->grant = *g;
	s->gw_spi = gw_spi;
	s->key_len = key_len;
	s->ctl_addr = ctl_addr;
	s->channel = channel;
	s->created = time(NULL);
	s->grace_ev = evtimer_new(m->base, grace_cb, s);
	s->overlap_ev = evtimer_new(m->base, overlap_cb, s);
	s->expiry_ev = evtimer_new(m->base, expiry_cb, s);
	allowed_ports(s, m->cfg);
	s->sp_spi = new_spi(m);
	s->next = m->list;
	m->list = s;
	m->n++;
	return s;
}

static void log_keys(const struct sp_session *s, uint32_t generation, const struct sp_keys *k)
{
	char in[9], out[9];

	if (!agent_log_enabled(AGENT_LOG_DEBUG))
		return;
	log_debug("session %" PRIu64 " generation %" PRIu32 " keys gw->sp %s sp->gw %s",
		  s->grant.session, generation,
		  spg_key_fingerprint(k->gw_to_sp, (size_t)k->key_len + 4, in),
		  spg_key_fingerprint(k->sp_to_gw, (size_t)k->key_len + 4, out));
}

static int ensure_tunnel(struct sp_sessions *m, char *err, size_t errlen)
{
	const struct agent_config *cfg = m->cfg;
	struct esp_tun_config tc = {
		.tun_name = cfg->tun_name,
		.tun_mtu = cfg->tun_mtu,
		.local_addr = cfg->listen_addr,
		.esp_port = cfg->esp_port,
		.shared_addr = cfg->shared_addr,
		.nat_keepalive_s = cfg->nat_keepalive_s,
		.drops = m->drops,
	};
	int rc;

	if (m->tun != NULL)
		return 0;
	m->tun = esp_tun_create(m->base, &tc, err, errlen);
	if (m->tun == NULL)
		return -EIO;
	rc = route_link_setup(esp_tun_ifindex(m->tun), cfg->tun_mtu, cfg->shared_addr, err, errlen);
	if (rc != 0) {
		esp_tun_free(m->tun);
		m->tun = NULL;
	}
	return rc;
}

static int ensure_guard(struct sp_sessions *m, char *err, size_t errlen)
{
	const struct agent_config *cfg = m->cfg;

	if (m->guard != NULL || cfg->guard_mode == AGENT_GUARD_OFF)
		return 0;
	m->guard = guard_open(cfg->guard_ifname, cfg->guard_mode == AGENT_GUARD_XDP_NATIVE,
			      cfg->listen_addr, cfg->esp_port, cfg->listen_port, err, errlen);
	if (m->guard == NULL)
		return -EIO;
	log_info("guard attached to %s", cfg->guard_ifname);
	return 0;
}

/* The last session is gone: nothing of ours stays on the SP. */
static void release_shared(struct sp_sessions *m)
{
	if (m->n > 0)
		return;
	if (m->guard != NULL) {
		guard_add_counters(m->guard, m->guard_past);
		guard_close(m->guard);
		m->guard = NULL;
		log_info("guard detached from %s", m->cfg->guard_ifname);
	}
	if (m->tun != NULL) {
		esp_tun_free(m->tun);
		m->tun = NULL;
		log_info("tunnel device %s removed", m->cfg->tun_name);
	}
}

int sp_session_install(struct sp_session *s, const struct sp_keys *k, char *err, size_t errlen)
{
	struct sp_sessions *m = s->m;
	const struct agent_config *cfg = m->cfg;
	struct esp_peer *p = &s->peer;
	struct timeval expires_in = {0};
	int rc;

	p->gw_inner = s->grant.gw_inner;
	p->remote_addr = s->grant.gw_outer;
	p->remote_port = s->grant.gw_outer_port;
	p->ports = s->ports;
	p->n_ports = s->n_ports;
	p->icmp_echo = s->grant.icmp_echo;
	p->rekey_wanted = peer_rekey_wanted;
	p->arg = s;
	rc = esp_sa_init(&p->in, false, s->sp_spi, k->gw_to_sp, k->key_len, cfg->replay_window, 0);
	if (rc == 0)
		rc = esp_sa_init(&p->out, true, s->gw_spi, k->sp_to_gw, k->key_len, 0, cfg->seq_limit);
	if (rc != 0) {
		snprintf(err, errlen, "cannot set up the SAs: %s", strerror(-rc));
		return rc;
	}
	log_keys(s, 0, k);
	/* the grant's expiry is the end of the access it grants, whatever the gateway says */
	expires_in.tv_sec = s->grant.expires > (int64_t)time(NULL)
				    ? (time_t)(s->grant.expires - (int64_t)time(NULL)) : 0;
	evtimer_add(s->expiry_ev, &expires_in);
	rc = ensure_tunnel(m, err, errlen);
	if (rc != 0)
		return rc;
	esp_tun_add_peer(m->tun, p);
	s->peer_added = true;
	rc = route_inner_add(esp_tun_ifindex(m->tun), s->grant.gw_inner, ESP_TUN_JOINERS, cfg->shared_addr,
			     err, errlen);
	if (rc != 0)
		return rc;
	s->route_added = true;
	s->state = SPS_UP;
	rc = ensure_guard(m, err, errlen);
	if (rc != 0)
		return rc;
	guard_sync(m);
	return 0;
}

void sp_session_destroy(struct sp_session *s, const char *why)
{
	struct sp_sessions *m = s->m;
	struct sp_session **pp;
	void *channel = s->channel;
	char err[256], gw[SPG_ADDR_STRLEN];

	for (pp = &m->list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			m->n--;
			break;
		}
	if (s->route_added &&
	    route_inner_del(esp_tun_ifindex(m->tun), s->grant.gw_inner, ESP_TUN_JOINERS, err, sizeof(err)) != 0)
		log_warn("session %" PRIu64 ": %s", s->grant.session, err);
	if (s->peer_added)
		esp_tun_remove_peer(m->tun, &s->peer);
	esp_sa_clear(&s->peer.in);
	esp_sa_clear(&s->peer.out);
	if (s->peer.has_prev)
		esp_sa_clear(&s->peer.in_prev);
	if (s->grace_ev != NULL)
		event_free(s->grace_ev);
	if (s->overlap_ev != NULL)
		event_free(s->overlap_ev);
	if (s->expiry_ev != NULL)
		event_free(s->expiry_ev);
	if (s->state != SPS_NEW)
		log_info("session %" PRIu64 " (gateway %s) torn down: %s", s->grant.session,
			 spg_addr_str(s->grant.gw_inner, gw), why);
	release_shared(m);
	guard_sync(m);
	free(s->grant_b64);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
	if (channel != NULL && m->ops.ended != NULL)
		m->ops.ended(channel, why);
}

void sp_session_detach(struct sp_session *s, const char *why)
{
	struct timeval tv = {.tv_sec = s->m->cfg->grace_s};

	s->channel = NULL;
	if (s->state != SPS_UP) {
		sp_session_destroy(s, why);
		return;
	}
	s->state = SPS_GRACE;
	s->grace_until = time(NULL) + (time_t)s->m->cfg->grace_s;
	evtimer_add(s->grace_ev, &tv);
	log_info("session %" PRIu64 ": control channel lost (%s); tunnel kept for %" PRIu32 " s",
		 s->grant.session, why, s->m->cfg->grace_s);
}

struct sp_session *sp_session_find_id(struct sp_sessions *m, uint64_t id)
{
	struct sp_session *s;

	for (s = m->list; s != NULL; s = s->next)
		if (s->grant.session == id)
			return s;
	return NULL;
}

struct sp_session *sp_session_find(struct sp_sessions *m, const char *grant_b64)
{
	struct sp_session *s;

	for (s = m->list; s != NULL; s = s->next)
		if (s->state != SPS_NEW && strcmp(s->grant_b64, grant_b64) == 0)
			return s;
	return NULL;
}

int sp_session_attach(struct sp_session *s, void *channel, uint32_t ctl_addr)
{
	/* a session can have one channel: a second attach takes it over from the first */
	if (s->channel != NULL && s->channel != channel && s->m->ops.ended != NULL) {
		void *old = s->channel;

		s->channel = NULL;
		s->m->ops.ended(old, "taken over by another control channel");
	}
	evtimer_del(s->grace_ev);
	s->channel = channel;
	s->state = SPS_UP;
	s->ctl_addr = ctl_addr;
	guard_sync(s->m);
	log_info("session %" PRIu64 ": control channel attached (generation %" PRIu32 ")",
		 s->grant.session, s->generation);
	return 0;
}

uint32_t sp_session_rekey_prepare(struct sp_session *s, uint32_t new_gw_spi)
{
	s->next_gw_spi = new_gw_spi;
	s->next_sp_spi = new_spi(s->m);
	return s->next_sp_spi;
}

int sp_session_rekey_commit(struct sp_session *s, uint32_t generation, const struct sp_keys *k,
			    char *err, size_t errlen)
{
	const struct agent_config *cfg = s->m->cfg;
	struct timeval tv = {.tv_sec = cfg->rekey_overlap_s};
	struct esp_sa in, out;
	int rc;

	rc = esp_sa_init(&in, false, s->next_sp_spi, k->gw_to_sp, k->key_len, cfg->replay_window, 0);
	if (rc == 0) {
		rc = esp_sa_init(&out, true, s->next_gw_spi, k->sp_to_gw, k->key_len, 0,
				 cfg->seq_limit);
		if (rc != 0)
			esp_sa_clear(&in);
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot set up the SAs: %s", strerror(-rc));
		return rc;
	}
	/* the gateway may still send with the old SA until spgate-dp has the new one */
	if (s->peer.has_prev)
		esp_sa_clear(&s->peer.in_prev);
	s->peer.in_prev = s->peer.in;
	s->peer.has_prev = true;
	s->peer.in = in;
	esp_sa_clear(&s->peer.out);
	s->peer.out = out;
	s->peer.rekey_asked = false;
	s->gw_spi = s->next_gw_spi;
	s->sp_spi = s->next_sp_spi;
	s->next_sp_spi = 0;
	s->generation = generation;
	evtimer_add(s->overlap_ev, &tv);
	log_keys(s, generation, k);
	log_info("session %" PRIu64 ": rekeyed to generation %" PRIu32 ", SPIs in 0x%08x out 0x%08x",
		 s->grant.session, generation, s->sp_spi, s->gw_spi);
	return 0;
}

uint64_t sp_session_id(const struct sp_session *s)
{
	return s->grant.session;
}

uint32_t sp_session_generation(const struct sp_session *s)
{
	return s->generation;
}

uint32_t sp_session_spi(const struct sp_session *s)
{
	return s->sp_spi;
}

uint8_t sp_session_key_len(const struct sp_session *s)
{
	return s->key_len;
}

size_t sp_session_ports(const struct sp_session *s, const char *out[], size_t max)
{
	size_t i;

	for (i = 0; i < s->n_ports && i < max; i++)
		out[i] = s->ports[i].text;
	return i;
}

void sp_session_counters(const struct sp_session *s, uint64_t *rx, uint64_t *tx)
{
	*rx = s->peer.rx_packets;
	*tx = s->peer.tx_packets;
}

static json_t *session_json(const struct sp_session *s)
{
	char gw_in[SPG_ADDR_STRLEN], remote[SPG_ADDR_STRLEN], ctl[SPG_ADDR_STRLEN];
	json_t *o, *ports = json_array();
	size_t i;

	for (i = 0; i < s->n_ports; i++)
		json_array_append_new(ports, json_string(s->ports[i].text));
	o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:I, s:I, s:I, s:I, s:I, s:o}",
		      "session", (json_int_t)s->grant.session, "state", state_name(s->state),
		      "engineer", s->grant.engineer, "gw_inner", spg_addr_str(s->grant.gw_inner, gw_in),
		      "gw_outer", spg_addr_str(s->peer.remote_addr, remote),
		      "gw_outer_port", (int)s->peer.remote_port,
		      "control", spg_addr_str(s->ctl_addr, ctl),
		      "generation", (json_int_t)s->generation, "spi_in", (json_int_t)s->sp_spi,
		      "spi_out", (json_int_t)s->gw_spi, "rx_packets", (json_int_t)s->peer.rx_packets,
		      "tx_packets", (json_int_t)s->peer.tx_packets, "ports", ports);
	if (o != NULL && s->state == SPS_GRACE)
		json_object_set_new(o, "grace_left",
				    json_integer((json_int_t)(s->grace_until - time(NULL))));
	if (o != NULL)
		json_object_set_new(o, "expires", json_integer((json_int_t)s->grant.expires));
	return o;
}

json_t *sp_sessions_status(struct sp_sessions *m)
{
	uint64_t guard[GUARD_REASON_MAX];
	json_t *o = json_object(), *list = json_array(), *drops = json_object(), *g = json_object();
	struct sp_session *s;
	unsigned int i;

	for (s = m->list; s != NULL; s = s->next)
		json_array_append_new(list, session_json(s));
	for (i = 0; i < AGENT_DROP_MAX; i++)
		json_object_set_new(drops, agent_drop_name(i), json_integer((json_int_t)m->drops[i]));
	memcpy(guard, m->guard_past, sizeof(guard));
	if (m->guard != NULL)
		guard_add_counters(m->guard, guard);
	for (i = 0; i < GUARD_REASON_MAX; i++)
		json_object_set_new(g, guard_reason_name(i), json_integer((json_int_t)guard[i]));
	json_object_set_new(o, "serial", json_string(m->cfg->serial));
	json_object_set_new(o, "sessions", list);
	json_object_set_new(o, "tunnel", json_pack("{s:s, s:b}", "device", m->cfg->tun_name,
						   "present", m->tun != NULL));
	json_object_set_new(o, "tunnel_drops", drops);
	json_object_set_new(o, "guard", json_pack("{s:s, s:b, s:o}", "interface",
						  m->cfg->guard_ifname, "attached", m->guard != NULL,
						  "counters", g));
	return o;
}
