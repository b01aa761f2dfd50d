/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SP handshake, agent side (see tls_server.h). Per connection ("channel"):
 *
 * Both ends authenticate: the control plane must present a client certificate of the gateway
 * CA (tls.gateway_ca), else the TLS handshake fails (logged with the peer's address). A
 * channel must send its first complete request within session.request_timeout seconds, and
 * one source address may hold session.max_channels_per_source channels at once, so nobody
 * who merely reaches the port can hold every slot.
 *
 *   open   -> verify the grant, its gw_cert against this channel's client certificate, no
 *             live session with its id, its nonce never seen (replay_cache.c)
 *             -> {"ok":false,"reason"} and close, or
 *             session + keys -> {"ok":true,...} -> tunnel, route, guard -> {"op":"up"}
 *   attach -> verify, find the live session this grant opened -> {"ok":true,"generation"}
 *   ping   -> {"op":"pong","rx","tx"}
 *   rekey  -> keys of generation N -> {"ok":true,"spi"} -> switch
 *   close  -> teardown -> {"ok":true} and close
 *
 * A channel that goes silent for control_timeout seconds, drops or errs is lost: its
 * session keeps the tunnel for the grace period (sp_session_detach).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "grant.h"
#include "log.h"
#include "replay_cache.h"
#include "tls_server.h"

#define LINE_MAX_BYTES 16384
#define MAX_CHANNELS 16
#define REPLAY_FILE "grant-nonces"

struct channel {
	struct tls_server *srv;
	struct channel *next;
	struct bufferevent *bev;
	struct sp_session *session;
	uint32_t peer_addr;
	char peer[SPG_ENDPOINT_STRLEN];
	char gw_cert[SPG_GRANT_CERT_HEX + 1]; /* SHA-256 of the client certificate; "" before */
	struct event *request_ev; /* the first complete request must come before this fires */
	bool closing; /* flushing the last words, then freed */
	int busy;     /* inside read_cb: freeing waits until it returns */
	bool dead;
};

struct tls_server {
	struct event_base *base;
	const struct agent_config *cfg;
	EVP_PKEY *vendor_key;
	SSL_CTX *ctx;
	struct evconnlistener *listener;
	struct sp_sessions *sessions;
	struct replay_cache *replay;
	struct channel *channels;
	size_t n_channels;
};

static void channel_free(struct channel *ch)
{
	struct tls_server *srv = ch->srv;
	struct channel **pp;

	if (ch->busy > 0) {
		ch->dead = true;
		ch->closing = true;
		return;
	}
	for (pp = &srv->channels; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ch) {
			*pp = ch->next;
			srv->n_channels--;
			break;
		}
	if (ch->request_ev != NULL)
		event_free(ch->request_ev);
	bufferevent_free(ch->bev);
	free(ch);
}

static void write_done_cb(struct bufferevent *bev, void *arg)
{
	struct channel *ch = arg;

	if (evbuffer_get_length(bufferevent_get_output(bev)) > 0)
		return;
	/* close_notify, so the control plane reads a clean end, not a truncation */
	SSL_shutdown(bufferevent_openssl_get_ssl(bev));
	ERR_clear_error();
	channel_free(ch);
}

static void gone_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	channel_free(arg);
}

/* Stops reading; frees the channel once what was written has left. */
static void channel_finish(struct channel *ch)
{
	ch->closing = true;
	bufferevent_disable(ch->bev, EV_READ);
	bufferevent_setcb(ch->bev, NULL, write_done_cb, gone_cb, ch);
	bufferevent_set_timeouts(ch->bev, NULL, NULL);
	write_done_cb(ch->bev, ch);
}

static void send_json(struct channel *ch, json_t *msg)
{
	char *s = msg != NULL ? json_dumps(msg, JSON_COMPACT) : NULL;

	json_decref(msg);
	if (s == NULL) {
		log_err("channel %s: cannot encode a message", ch->peer);
		return;
	}
	bufferevent_write(ch->bev, s, strlen(s));
	bufferevent_write(ch->bev, "\n", 1);
	free(s);
}

static void refuse(struct channel *ch, const char *reason)
{
	send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason", reason));
	channel_finish(ch);
}

static bool derive_keys(struct channel *ch, uint64_t session, uint32_t generation,
			uint8_t key_len, struct sp_keys *k)
{
	uint8_t ctx[SPG_ESP_EXPORTER_CTX_LEN], out[2 * SP_KEY_SALT_MAX];
	size_t half = (size_t)key_len + 4;
	SSL *ssl = bufferevent_openssl_get_ssl(ch->bev);
	bool ok;

	spg_esp_exporter_context(session, generation, ctx);
	ok = SSL_export_keying_material(ssl, out, 2 * half, SPG_ESP_EXPORTER_LABEL,
					strlen(SPG_ESP_EXPORTER_LABEL), ctx, sizeof(ctx), 1) == 1;
	ERR_clear_error();
	if (ok) {
		memset(k, 0, sizeof(*k));
		memcpy(k->gw_to_sp, out, half);
		memcpy(k->sp_to_gw, out + half, half);
		k->key_len = key_len;
	}
	OPENSSL_cleanse(out, sizeof(out));
	return ok;
}

static bool get_u32(json_t *msg, const char *key, uint32_t min, uint32_t *out)
{
	json_t *v = json_object_get(msg, key);

	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > UINT32_MAX)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

static json_t *session_reply(const struct tls_server *srv, const struct sp_session *s)
{
	const char *ports[AGENT_CFG_MAX_PORTS];
	char addr[SPG_ADDR_STRLEN];
	json_t *list = json_array();
	size_t i, n = sp_session_ports(s, ports, AGENT_CFG_MAX_PORTS);

	for (i = 0; i < n; i++)
		json_array_append_new(list, json_string(ports[i]));
	return json_pack("{s:b, s:s, s:o, s:I, s:i}", "ok", 1, "sp_address",
			 spg_addr_str(srv->cfg->shared_addr, addr), "ports", list, "spi",
			 (json_int_t)sp_session_spi(s), "esp_port", (int)srv->cfg->esp_port);
}

/* The grant's verdict; logs the detail (never sent: it would help a forger). */
static enum spg_grant_verdict check_grant(struct channel *ch, json_t *msg, const char *op,
					  struct spg_grant *g, const char **grant_b64)
{
	const char *sig = json_string_value(json_object_get(msg, "sig"));
	enum spg_grant_verdict v;
	char detail[256];

	*grant_b64 = json_string_value(json_object_get(msg, "grant"));
	v = spg_grant_verify(*grant_b64, sig, ch->srv->vendor_key, ch->srv->cfg->serial, time(NULL),
			     g, detail, sizeof(detail));
	if (v != SPG_GRANT_OK)
		log_info("channel %s: %s refused: %s (%s)", ch->peer, op, spg_grant_verdict_name(v),
			 detail);
	return v;
}

/*
 * The checks that make a grant single-use and bound to its gateway, after its signature:
 * issued to this channel's client certificate, for no live session, never used before (the
 * nonce is recorded here, so a refused open later still spends it). Refuses and returns
 * false, or true.
 */
static bool open_allowed(struct channel *ch, const struct spg_grant *g)
{
	struct tls_server *srv = ch->srv;
	char err[256];
	int rc;

	if (strcmp(g->gw_cert, ch->gw_cert) != 0) {
		log_warn("channel %s: open of session %" PRIu64 " refused: the grant is bound to "
			 "gateway certificate %.16s..., this channel presented %.16s...",
			 ch->peer, g->session, g->gw_cert, ch->gw_cert);
		refuse(ch, "wrong gateway");
		return false;
	}
	if (sp_session_find_id(srv->sessions, g->session) != NULL) {
		log_warn("channel %s: open refused: session %" PRIu64 " is live; a second open "
			 "does not replace it", ch->peer, g->session);
		refuse(ch, "session already open");
		return false;
	}
	rc = replay_cache_add(srv->replay, g->nonce, g->issued, g->expires, time(NULL), err,
			      sizeof(err));
	if (rc != 0) {
		log_warn("channel %s: open of session %" PRIu64 " refused: %s", ch->peer, g->session,
			 err);
		refuse(ch, rc == -EEXIST ? "replayed grant" : rc == -ESTALE ? "stale grant" : "busy");
		return false;
	}
	return true;
}

static void on_open(struct channel *ch, json_t *msg)
{
	struct tls_server *srv = ch->srv;
	enum spg_grant_verdict v;
	const char *grant_b64;
	struct spg_grant g;
	struct sp_session *s;
	struct sp_keys keys;
	uint32_t gw_spi, key_len = 16;
	char err[256];

	if (ch->session != NULL) {
		/* answered, not closed: closing would cut the live session's channel */
		send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason",
					"session already open on this channel"));
		return;
	}
	v = check_grant(ch, msg, "open", &g, &grant_b64);
	if (v != SPG_GRANT_OK) {
		refuse(ch, spg_grant_verdict_name(v));
		return;
	}
	if (!get_u32(msg, "spi", 256, &gw_spi) ||
	    (json_object_get(msg, "key_len") != NULL && !get_u32(msg, "key_len", 16, &key_len)) ||
	    (key_len != 16 && key_len != 32)) {
		log_info("channel %s: open refused: spi or key_len missing or out of range", ch->peer);
		refuse(ch, "malformed request");
		return;
	}
	if (!open_allowed(ch, &g))
		return;
	s = sp_session_create(srv->sessions, &g, grant_b64, gw_spi, (uint8_t)key_len, ch->peer_addr,
			      ch, err, sizeof(err));
	if (s == NULL) {
		log_warn("channel %s: open refused: %s", ch->peer, err);
		refuse(ch, "busy");
		return;
	}
	ch->session = s;
	if (!derive_keys(ch, g.session, 0, (uint8_t)key_len, &keys)) {
		log_err("channel %s: cannot export keying material", ch->peer);
		ch->session = NULL;
		ch->closing = true; /* refuse() below says it, not ended() */
		sp_session_destroy(s, "key export failed");
		send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason", "internal error"));
		channel_finish(ch);
		return;
	}
	log_info("session %" PRIu64 ": grant of %s accepted from %s, SPIs in 0x%08x out 0x%08x",
		 g.session, g.engineer, ch->peer, sp_session_spi(s), gw_spi);
	send_json(ch, session_reply(srv, s));
	if (sp_session_install(s, &keys, err, sizeof(err)) != 0) {
		OPENSSL_cleanse(&keys, sizeof(keys));
		log_err("session %" PRIu64 ": cannot bring the tunnel up: %s", g.session, err);
		ch->session = NULL;
		ch->closing = true; /* the session's end is announced below, not by ended() */
		sp_session_destroy(s, err);
		send_json(ch, json_pack("{s:s, s:s}", "op", "failed", "reason", err));
		channel_finish(ch);
		return;
	}
	OPENSSL_cleanse(&keys, sizeof(keys));
	send_json(ch, json_pack("{s:s}", "op", "up"));
	log_info("session %" PRIu64 ": up", g.session);
}

static void on_attach(struct channel *ch, json_t *msg)
{
	struct tls_server *srv = ch->srv;
	enum spg_grant_verdict v;
	const char *grant_b64;
	struct spg_grant g;
	struct sp_session *s;
	json_t *reply;

	if (ch->session != NULL) {
		send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason",
					"session already open on this channel"));
		return;
	}
	/* an expired grant names no live session: its session ended when it expired */
	v = check_grant(ch, msg, "attach", &g, &grant_b64);
	if (v != SPG_GRANT_OK) {
		refuse(ch, spg_grant_verdict_name(v));
		return;
	}
	s = sp_session_find(srv->sessions, grant_b64);
	if (s == NULL) {
		log_info("channel %s: attach refused: no live session for grant of session %" PRIu64,
			 ch->peer, g.session);
		refuse(ch, "no such session");
		return;
	}
	sp_session_attach(s, ch, ch->peer_addr);
	ch->session = s;
	reply = session_reply(srv, s);
	json_object_set_new(reply, "generation", json_integer(sp_session_generation(s)));
	send_json(ch, reply);
}

static void on_rekey(struct channel *ch, json_t *msg)
{
	struct sp_session *s = ch->session;
	uint32_t gw_spi, gen, sp_spi;
	struct sp_keys keys;
	char err[256];

	if (!get_u32(msg, "spi", 256, &gw_spi) || !get_u32(msg, "generation", 1, &gen)) {
		send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason", "malformed request"));
		return;
	}
	if (gen != sp_session_generation(s) + 1) {
		snprintf(err, sizeof(err), "generation %" PRIu32 " expected",
			 sp_session_generation(s) + 1);
		send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason", err));
		return;
	}
	sp_spi = sp_session_rekey_prepare(s, gw_spi);
	if (!derive_keys(ch, sp_session_id(s), gen, sp_session_key_len(s), &keys)) {
		send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason", "internal error"));
		return;
	}
	/* answer first, then switch: the answer tells the gateway which SPI to expect */
	send_json(ch, json_pack("{s:b, s:I}", "ok", 1, "spi", (json_int_t)sp_spi));
	if (sp_session_rekey_commit(s, gen, &keys, err, sizeof(err)) != 0) {
		log_err("session %" PRIu64 ": rekey failed: %s", sp_session_id(s), err);
		sp_session_destroy(s, err); /* ended() tells the control plane */
	}
	OPENSSL_cleanse(&keys, sizeof(keys));
}

static void on_close(struct channel *ch, json_t *msg)
{
	const char *reason = json_string_value(json_object_get(msg, "reason"));
	struct sp_session *s = ch->session;

	log_info("session %" PRIu64 ": close requested by %s: %s", sp_session_id(s), ch->peer,
		 reason != NULL ? reason : "no reason given");
	ch->closing = true;
	ch->session = NULL;
	sp_session_destroy(s, reason != NULL ? reason : "closed by the control plane");
	send_json(ch, json_pack("{s:b}", "ok", 1));
	channel_finish(ch);
}

static void on_ping(struct channel *ch)
{
	uint64_t rx, tx;

	sp_session_counters(ch->session, &rx, &tx);
	send_json(ch, json_pack("{s:s, s:I, s:I}", "op", "pong", "rx", (json_int_t)rx, "tx",
				(json_int_t)tx));
}

static void on_message(struct channel *ch, json_t *msg)
{
	const char *op = json_string_value(json_object_get(msg, "op"));
	struct timeval tv = {.tv_sec = ch->srv->cfg->control_timeout_s};

	if (op == NULL) {
		log_info("channel %s: a message without \"op\"", ch->peer);
		refuse(ch, "malformed request");
	} else if (strcmp(op, "open") == 0) {
		on_open(ch, msg);
	} else if (strcmp(op, "attach") == 0) {
		on_attach(ch, msg);
	} else if (ch->session == NULL) {
		log_info("channel %s: \"%.32s\" without a session", ch->peer, op);
		refuse(ch, "no session on this channel");
	} else if (strcmp(op, "ping") == 0) {
		on_ping(ch);
	} else if (strcmp(op, "rekey") == 0) {
		on_rekey(ch, msg);
	} else if (strcmp(op, "close") == 0) {
		on_close(ch, msg);
	} else {
		log_info("channel %s: unknown op \"%.32s\"", ch->peer, op);
		send_json(ch, json_pack("{s:b, s:s}", "ok", 0, "reason", "unknown op"));
	}
	/* with a session the channel may be quiet between pings, up to control_timeout */
	if (!ch->closing && ch->session != NULL)
		bufferevent_set_timeouts(ch->bev, &tv, NULL);
}

/* The channel ended on its own (EOF, error, silence): its session goes into grace. */
static void channel_lost(struct channel *ch, const char *why)
{
	if (ch->session != NULL) {
		struct sp_session *s = ch->session;

		ch->session = NULL;
		sp_session_detach(s, why);
	} else {
		log_debug("channel %s closed: %s", ch->peer, why);
	}
	channel_free(ch);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct channel *ch = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	json_error_t jerr;
	size_t len;
	char *line;
	json_t *msg;

	ch->busy++;
	while (!ch->closing && (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		evtimer_del(ch->request_ev); /* a complete request came in time */
		msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		free(line);
		if (!json_is_object(msg)) {
			log_info("channel %s: not a JSON object: %s", ch->peer, msg ? "" : jerr.text);
			json_decref(msg);
			refuse(ch, "malformed request");
			break;
		}
		on_message(ch, msg);
		json_decref(msg);
	}
	if (!ch->closing && evbuffer_get_length(in) > LINE_MAX_BYTES) {
		log_info("channel %s: a line longer than %d bytes", ch->peer, LINE_MAX_BYTES);
		refuse(ch, "malformed request");
	}
	if (--ch->busy == 0 && ch->dead)
		channel_free(ch);
}

/* The gateway proved a certificate of the gateway CA: note which, for open's binding. */
static void handshake_done(struct channel *ch)
{
	X509 *cert = SSL_get0_peer_certificate(bufferevent_openssl_get_ssl(ch->bev));
	char name[128] = "?";

	if (spg_cert_fingerprint(cert, ch->gw_cert) == NULL) {
		/* cannot happen with SSL_VERIFY_FAIL_IF_NO_PEER_CERT; refuse all the same */
		log_err("channel %s: no client certificate after the handshake", ch->peer);
		ch->gw_cert[0] = '\0';
		refuse(ch, "no client certificate");
		return;
	}
	X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof(name));
	log_info("channel %s: gateway certificate %s (sha256 %.16s...)", ch->peer, name,
		 ch->gw_cert);
}

/* Nothing complete within request_timeout: a slot held by someone who says nothing. */
static void request_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct channel *ch = arg;

	(void)fd;
	(void)what;
	if (ch->closing)
		return;
	log_info("channel %s: no complete request within %" PRIu32 " s, closed", ch->peer,
		 ch->srv->cfg->request_timeout_s);
	channel_lost(ch, "no request in time");
}

static size_t channels_from(const struct tls_server *srv, uint32_t addr)
{
	const struct channel *c;
	size_t n = 0;

	for (c = srv->channels; c != NULL; c = c->next)
		n += c->peer_addr == addr;
	return n;
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct channel *ch = arg;
	unsigned long e;
	char why[200];

	if (what & BEV_EVENT_CONNECTED) {
		handshake_done(ch);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		snprintf(why, sizeof(why), "silent for too long");
	} else if (what & BEV_EVENT_EOF) {
		snprintf(why, sizeof(why), "closed by the peer");
	} else {
		e = bufferevent_get_openssl_error(bev);
		if (e != 0)
			ERR_error_string_n(e, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s",
				 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		while (bufferevent_get_openssl_error(bev) != 0)
			;
	}
	ERR_clear_error();
	if (ch->gw_cert[0] == '\0' && !(what & BEV_EVENT_TIMEOUT))
		log_warn("channel %s: TLS handshake failed: %s", ch->peer, why);
	channel_lost(ch, why);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct tls_server *srv = arg;
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct timeval hello = {.tv_sec = srv->cfg->request_timeout_s};
	char a[SPG_ADDR_STRLEN];
	struct channel *ch;
	SSL *ssl;

	(void)l;
	(void)salen;
	if (srv->n_channels >= MAX_CHANNELS || sa->sa_family != AF_INET) {
		log_warn("refusing a connection: %zu channels open", srv->n_channels);
		evutil_closesocket(fd);
		return;
	}
	if (channels_from(srv, sin->sin_addr.s_addr) >= srv->cfg->max_channels_per_source) {
		log_warn("refusing a connection from %s: it holds %" PRIu32 " channels already "
			 "(session.max_channels_per_source)", spg_addr_str(sin->sin_addr.s_addr, a),
			 srv->cfg->max_channels_per_source);
		evutil_closesocket(fd);
		return;
	}
	ch = calloc(1, sizeof(*ch));
	ssl = SSL_new(srv->ctx);
	if (ch == NULL || ssl == NULL) {
		free(ch);
		SSL_free(ssl);
		evutil_closesocket(fd);
		return;
	}
	ch->srv = srv;
	ch->peer_addr = sin->sin_addr.s_addr;
	snprintf(ch->peer, sizeof(ch->peer), "%s:%u", spg_addr_str(ch->peer_addr, a),
		 ntohs(sin->sin_port));
	ch->bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
						 BEV_OPT_CLOSE_ON_FREE);
	if (ch->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		free(ch);
		return;
	}
	ch->request_ev = evtimer_new(srv->base, request_timeout_cb, ch);
	if (ch->request_ev == NULL) {
		bufferevent_free(ch->bev);
		free(ch);
		return;
	}
	evtimer_add(ch->request_ev, &hello);
	bufferevent_setcb(ch->bev, read_cb, NULL, event_cb, ch);
	bufferevent_set_timeouts(ch->bev, &hello, NULL);
	bufferevent_enable(ch->bev, EV_READ | EV_WRITE);
	ch->next = srv->channels;
	srv->channels = ch;
	srv->n_channels++;
	log_debug("channel %s: connected", ch->peer);
}

/* sp_session.c's news for a channel: its session ended without the channel asking. */
static void session_ended(void *channel, const char *why)
{
	struct channel *ch = channel;

	ch->session = NULL;
	if (ch->closing)
		return;
	send_json(ch, json_pack("{s:s, s:s}", "op", "down", "reason", why));
	channel_finish(ch);
}

static void session_rekey_wanted(void *channel)
{
	send_json(channel, json_pack("{s:s}", "op", "rekey_request"));
}

static SSL_CTX *server_ctx(const struct agent_config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char ebuf[160];

	if (ctx == NULL) {
		snprintf(err, errlen, "cannot create a TLS context");
		return NULL;
	}
	if (SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION) != 1) {
		snprintf(err, errlen, "this OpenSSL cannot do TLS 1.3");
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
		ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
		snprintf(err, errlen, "%s: %s", cfg->cert_file, ebuf);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
		snprintf(err, errlen, "%s: %s", cfg->key_file, ebuf);
		goto fail;
	}
	/* mutual TLS: only a gateway of this fleet (a certificate of the gateway CA) gets in */
	if (SSL_CTX_load_verify_locations(ctx, cfg->gateway_ca_file, NULL) != 1) {
		ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
		snprintf(err, errlen, "tls.gateway_ca %s: %s", cfg->gateway_ca_file, ebuf);
		goto fail;
	}
	SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(cfg->gateway_ca_file));
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	/* no session tickets: a resumed session's exporter would still be unique, but there
	 * is nothing to resume on a channel that lives as long as its session */
	SSL_CTX_set_num_tickets(ctx, 0);
	/* a control plane that dies sends no close_notify: that is an EOF, not a TLS error */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	ERR_clear_error();
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

/* state_dir/grant-nonces; the directory is made if missing (ctl.c makes it too). */
static struct replay_cache *open_replay_cache(const struct agent_config *cfg, char *err,
					      size_t errlen)
{
	char path[AGENT_CFG_PATH + sizeof(REPLAY_FILE) + 1];

	if (mkdir(cfg->state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: %s", cfg->state_dir, strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, REPLAY_FILE);
	return replay_cache_open(path, cfg->replay_cache_max, time(NULL), err, errlen);
}

struct tls_server *tls_server_new(struct event_base *base, const struct agent_config *cfg,
				  EVP_PKEY *vendor_key, char *err, size_t errlen)
{
	static const struct sp_channel_ops ops = {
		.ended = session_ended,
		.rekey_wanted = session_rekey_wanted,
	};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(cfg->listen_port)};
	struct tls_server *srv = calloc(1, sizeof(*srv));
	char a[SPG_ADDR_STRLEN];

	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->base = base;
	srv->cfg = cfg;
	srv->vendor_key = vendor_key;
	srv->ctx = server_ctx(cfg, err, errlen);
	if (srv->ctx == NULL)
		goto fail;
	srv->sessions = sp_sessions_new(base, cfg, &ops);
	if (srv->sessions == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	srv->replay = open_replay_cache(cfg, err, errlen);
	if (srv->replay == NULL)
		goto fail;
	sin.sin_addr.s_addr = cfg->listen_addr;
	srv->listener = evconnlistener_new_bind(
		base, accept_cb, srv, LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
		16, (struct sockaddr *)&sin, sizeof(sin));
	if (srv->listener == NULL) {
		snprintf(err, errlen, "listen on %s:%u: %s", spg_addr_str(cfg->listen_addr, a),
			 cfg->listen_port, evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		goto fail;
	}
	return srv;
fail:
	tls_server_free(srv);
	return NULL;
}

void tls_server_stop(struct tls_server *srv, const char *why)
{
	if (srv->listener != NULL)
		evconnlistener_disable(srv->listener);
	if (srv->sessions != NULL)
		sp_sessions_teardown(srv->sessions, why);
}

void tls_server_free(struct tls_server *srv)
{
	if (srv == NULL)
		return;
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	if (srv->sessions != NULL)
		sp_sessions_free(srv->sessions, "agent stopping");
	while (srv->channels != NULL)
		channel_free(srv->channels);
	SSL_CTX_free(srv->ctx);
	replay_cache_free(srv->replay);
	free(srv);
}

struct sp_sessions *tls_server_sessions(struct tls_server *srv)
{
	return srv->sessions;
}
