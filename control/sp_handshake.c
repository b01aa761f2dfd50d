/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SP handshake, client side (see sp_handshake.h). One state machine per connection:
 *
 *   CONNECTING -> AWAIT_REPLY -> AWAIT_UP -> UP <-> REKEYING
 *                      |  (attach: AWAIT_REPLY -> UP)    UP -> CLOSING -> DONE
 *
 * One request is outstanding at a time (open, attach, rekey or close) besides pings, so
 * a reply ({"ok":...}) belongs to the state we are in; pongs and the agent's own messages
 * carry an "op". One timer ("deadline") bounds whatever we wait for; the ping timer runs
 * in UP and REKEYING.
 *
 * Callbacks may call sph_free(): handlers count themselves in (in_cb) and the struct is
 * freed when the outermost handler returns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "addr.h"
#include "grant.h"
#include "sp_handshake.h"

#define SPH_LINE_MAX 16384 /* one JSON message; more is a protocol violation */

enum sph_state {
	SPH_CONNECTING,
	SPH_AWAIT_REPLY,
	SPH_AWAIT_UP,
	SPH_UP,
	SPH_REKEYING,
	SPH_CLOSING,
	SPH_DONE,
};

struct sph_conn {
	struct event_base *base;
	struct bufferevent *bev;
	struct event *deadline;
	struct event *ping;
	struct sph_events ev;
	void *arg;
	enum sph_state state;
	bool attach;
	bool opened; /* opened(ok) was called: failures are lost() from now on */
	bool wrong_identity;
	char *sp_serial; /* the serial the agent's certificate must name; NULL: any */
	int in_cb;
	bool free_pending;
	char *grant_b64;
	char *sig_b64;
	uint64_t session;
	uint32_t gw_spi;
	uint32_t next_gw_spi;
	uint32_t generation;
	uint8_t key_len;
	unsigned int reply_timeout_s;
	unsigned int keepalive_s;
	unsigned int missed_pongs;
	unsigned int pings_unanswered;
	unsigned int replies_to_skip; /* the answer to a rekey that a close overtook */
	bool starting;                /* inside sph_open/sph_attach: failures wait */
	char early[320];              /* a failure seen while starting, reported from the loop */
	char peer[SPG_ENDPOINT_STRLEN];
	struct sph_open_result res; /* kept from the open reply until "up" */
	char sp_address_str[SPG_ADDR_STRLEN];
	char ports_buf[SPH_MAX_PORTS][24];
	const char *ports[SPH_MAX_PORTS];
};

static void conn_destroy(struct sph_conn *c)
{
	if (c->bev != NULL)
		bufferevent_free(c->bev); /* BEV_OPT_CLOSE_ON_FREE: the socket and the SSL too */
	if (c->deadline != NULL)
		event_free(c->deadline);
	if (c->ping != NULL)
		event_free(c->ping);
	free(c->grant_b64);
	free(c->sig_b64);
	free(c->sp_serial);
	OPENSSL_cleanse(&c->res.keys, sizeof(c->res.keys));
	free(c);
}

static void cb_enter(struct sph_conn *c)
{
	c->in_cb++;
}

static void cb_leave(struct sph_conn *c)
{
	if (--c->in_cb == 0 && c->free_pending)
		conn_destroy(c);
}

/* Stops everything; the connection only waits for sph_free now. */
static void conn_stop(struct sph_conn *c)
{
	c->state = SPH_DONE;
	event_del(c->deadline);
	event_del(c->ping);
	if (c->bev != NULL) {
		bufferevent_disable(c->bev, EV_READ | EV_WRITE);
		bufferevent_free(c->bev);
		c->bev = NULL;
	}
}

static void fail(struct sph_conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Ends the connection with the one callback its stage calls for. */
static void fail(struct sph_conn *c, const char *fmt, ...)
{
	struct sph_open_result r = {.ok = false};
	enum sph_state was = c->state;
	char why[256];
	va_list ap;

	if (was == SPH_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	conn_stop(c);
	if (was == SPH_CLOSING) {
		c->ev.closed(c, false, c->arg);
	} else if (c->opened) {
		c->ev.lost(c, why, c->arg);
	} else {
		r.reason = why;
		r.wrong_identity = c->wrong_identity;
		c->ev.opened(c, &r, c->arg);
	}
}

static void refused(struct sph_conn *c, const char *reason)
{
	struct sph_open_result r = {.ok = false, .refused = true, .reason = reason};

	conn_stop(c);
	c->ev.opened(c, &r, c->arg);
}

static void arm_deadline(struct sph_conn *c, unsigned int seconds)
{
	struct timeval tv = {.tv_sec = seconds};

	event_add(c->deadline, &tv);
}

static int send_json(struct sph_conn *c, json_t *msg)
{
	char *s;
	int rc = -ENOMEM;

	if (msg == NULL)
		return -ENOMEM;
	s = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (s == NULL)
		return -ENOMEM;
	if (c->bev != NULL && bufferevent_write(c->bev, s, strlen(s)) == 0 &&
	    bufferevent_write(c->bev, "\n", 1) == 0)
		rc = 0;
	free(s);
	return rc;
}

static bool derive_keys(struct sph_conn *c, uint32_t generation, struct sph_keys *k)
{
	uint8_t ctx[SPG_ESP_EXPORTER_CTX_LEN], out[2 * (SPH_KEY_MAX + SPH_SALT_LEN)];
	size_t half = (size_t)c->key_len + SPH_SALT_LEN;
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);

	spg_esp_exporter_context(c->session, generation, ctx);
	if (ssl == NULL || SSL_export_keying_material(ssl, out, 2 * half, SPG_ESP_EXPORTER_LABEL,
						      strlen(SPG_ESP_EXPORTER_LABEL), ctx,
						      sizeof(ctx), 1) != 1) {
		ERR_clear_error();
		return false;
	}
	memset(k, 0, sizeof(*k));
	memcpy(k->gw_to_sp, out, half);
	memcpy(k->sp_to_gw, out + half, half);
	k->key_len = c->key_len;
	OPENSSL_cleanse(out, sizeof(out));
	return true;
}

static bool spi_of(json_t *msg, uint32_t *spi)
{
	json_t *v = json_object_get(msg, "spi");

	if (!json_is_integer(v) || json_integer_value(v) < 256 ||
	    json_integer_value(v) > UINT32_MAX)
		return false;
	*spi = (uint32_t)json_integer_value(v);
	return true;
}

/* The agent's {"ok":true,...} to open or attach: what the caller gets in opened(). */
static bool read_open_reply(struct sph_conn *c, json_t *msg)
{
	struct sph_open_result *r = &c->res;
	json_t *addr = json_object_get(msg, "sp_address"), *ports = json_object_get(msg, "ports");
	json_t *esp_port = json_object_get(msg, "esp_port"), *gen, *p;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->ok = true;
	r->ports = c->ports;
	r->sp_address_str = c->sp_address_str;
	r->esp_port = SPH_DEFAULT_ESP_PORT;
	/* attach answers only need "generation"; what else an agent says is taken */
	if (c->attach) {
		gen = json_object_get(msg, "generation");
		if (!json_is_integer(gen) || json_integer_value(gen) < 0 ||
		    json_integer_value(gen) > UINT32_MAX)
			return false;
		r->generation = (uint32_t)json_integer_value(gen);
		c->generation = r->generation;
	}
	if (addr != NULL || !c->attach) {
		if (!json_is_string(addr) || !spg_addr_parse(json_string_value(addr), &r->sp_address))
			return false;
		spg_addr_str(r->sp_address, c->sp_address_str);
	}
	if (ports != NULL || !c->attach) {
		if (!json_is_array(ports) || json_array_size(ports) > SPH_MAX_PORTS)
			return false;
		json_array_foreach(ports, i, p) {
			if (!json_is_string(p) || strlen(json_string_value(p)) >= sizeof(c->ports_buf[i]))
				return false;
			strcpy(c->ports_buf[i], json_string_value(p));
			c->ports[i] = c->ports_buf[i];
		}
		r->n_ports = json_array_size(ports);
	}
	if (json_object_get(msg, "spi") != NULL || !c->attach)
		if (!spi_of(msg, &r->sp_spi))
			return false;
	if (esp_port != NULL) {
		if (!json_is_integer(esp_port) || json_integer_value(esp_port) < 1 ||
		    json_integer_value(esp_port) > 65535)
			return false;
		r->esp_port = (uint16_t)json_integer_value(esp_port);
	}
	return true;
}

static const char *reason_of(json_t *msg)
{
	const char *s = json_string_value(json_object_get(msg, "reason"));

	return s != NULL ? s : "no reason given";
}

static void start_pings(struct sph_conn *c)
{
	struct timeval tv = {.tv_sec = c->keepalive_s};

	c->pings_unanswered = 0;
	event_add(c->ping, &tv);
}

static void become_up(struct sph_conn *c)
{
	c->state = SPH_UP;
	c->opened = true;
	event_del(c->deadline);
	start_pings(c);
	c->ev.opened(c, &c->res, c->arg);
	OPENSSL_cleanse(&c->res.keys, sizeof(c->res.keys));
}

static void on_reply(struct sph_conn *c, json_t *msg)
{
	bool ok = json_is_true(json_object_get(msg, "ok"));
	struct sph_keys keys;
	uint32_t spi;

	switch (c->state) {
	case SPH_AWAIT_REPLY:
		if (!ok) {
			refused(c, reason_of(msg));
			return;
		}
		if (!read_open_reply(c, msg)) {
			fail(c, "agent %s: malformed answer to %s", c->peer,
			     c->attach ? "attach" : "open");
			return;
		}
		if (c->attach) {
			become_up(c);
			return;
		}
		if (!derive_keys(c, 0, &c->res.keys)) {
			fail(c, "agent %s: cannot export keying material", c->peer);
			return;
		}
		c->res.has_keys = true;
		c->state = SPH_AWAIT_UP;
		arm_deadline(c, c->reply_timeout_s);
		return;
	case SPH_REKEYING:
		if (!ok) {
			fail(c, "agent %s refused the rekey: %s", c->peer, reason_of(msg));
			return;
		}
		if (!spi_of(msg, &spi)) {
			fail(c, "agent %s: malformed answer to rekey", c->peer);
			return;
		}
		if (!derive_keys(c, c->generation + 1, &keys)) {
			fail(c, "agent %s: cannot export keying material", c->peer);
			return;
		}
		c->generation++;
		c->gw_spi = c->next_gw_spi;
		c->state = SPH_UP;
		event_del(c->deadline);
		c->ev.rekeyed(c, c->generation, spi, &keys, c->arg);
		OPENSSL_cleanse(&keys, sizeof(keys));
		return;
	case SPH_CLOSING:
		if (c->replies_to_skip > 0) {
			c->replies_to_skip--;
			return;
		}
		conn_stop(c);
		c->ev.closed(c, ok, c->arg);
		return;
	default:
		fail(c, "agent %s: an answer nobody asked for", c->peer);
	}
}

static void on_op(struct sph_conn *c, const char *op, json_t *msg)
{
	json_t *rx, *tx;

	if (strcmp(op, "up") == 0 && c->state == SPH_AWAIT_UP) {
		become_up(c);
	} else if (strcmp(op, "pong") == 0 && c->opened) {
		c->pings_unanswered = 0;
		rx = json_object_get(msg, "rx");
		tx = json_object_get(msg, "tx");
		if (c->ev.pong != NULL)
			c->ev.pong(c, (uint64_t)json_integer_value(rx), (uint64_t)json_integer_value(tx),
				   c->arg);
	} else if (strcmp(op, "down") == 0 || strcmp(op, "failed") == 0) {
		fail(c, "agent %s: %s", c->peer, reason_of(msg));
	} else if (strcmp(op, "rekey_request") == 0 && c->opened) {
		if (c->ev.rekey_wanted != NULL)
			c->ev.rekey_wanted(c, c->arg);
	} else {
		fail(c, "agent %s: unexpected \"%.32s\"", c->peer, op);
	}
}

static void on_line(struct sph_conn *c, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *msg, *op;

	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(msg)) {
		fail(c, "agent %s: not a JSON object: %s", c->peer, msg ? "" : jerr.text);
		json_decref(msg);
		return;
	}
	op = json_object_get(msg, "op");
	if (json_is_string(op))
		on_op(c, json_string_value(op), msg);
	else if (json_is_boolean(json_object_get(msg, "ok")))
		on_reply(c, msg);
	else
		fail(c, "agent %s: a message with neither \"op\" nor \"ok\"", c->peer);
	json_decref(msg);
}

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct sph_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	size_t len;
	char *line;

	cb_enter(c);
	while (c->state != SPH_DONE &&
	       (line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF)) != NULL) {
		on_line(c, line, len);
		free(line);
	}
	if (c->state != SPH_DONE && evbuffer_get_length(in) > SPH_LINE_MAX)
		fail(c, "agent %s: a line longer than %d bytes", c->peer, SPH_LINE_MAX);
	cb_leave(c);
}

/* Why the connection failed, in words. sock_err is errno as the callback found it. */
static void describe_tls_error(struct sph_conn *c, int sock_err, char *buf, size_t len)
{
	SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
	unsigned long e = bufferevent_get_openssl_error(c->bev);
	long vr = ssl != NULL ? SSL_get_verify_result(ssl) : X509_V_OK;
	char ebuf[160];

	if (vr != X509_V_OK) {
		snprintf(buf, len, "certificate verify failed: %s", X509_verify_cert_error_string(vr));
	} else if (e != 0 && ERR_GET_LIB(e) != 0) {
		ERR_error_string_n(e, ebuf, sizeof(ebuf));
		snprintf(buf, len, "%s", ebuf);
	} else if (sock_err != 0) {
		/* libevent reports a failed connect as SSL_ERROR_SYSCALL (lib 0): errno says more */
		snprintf(buf, len, "%s", evutil_socket_error_to_string(sock_err));
	} else {
		snprintf(buf, len, "connection closed");
	}
	while (bufferevent_get_openssl_error(c->bev) != 0)
		;
	ERR_clear_error();
}

static bool serial_char_ok(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '-';
}

int sph_cert_serial(X509 *cert, char *out, size_t len)
{
	static const char prefix[] = "spgate:sp:";
	const size_t plen = sizeof(prefix) - 1;
	GENERAL_NAMES *names;
	int i, found = 0;

	names = cert != NULL ? X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL) : NULL;
	for (i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const unsigned char *u;
		size_t ulen, k;

		if (gn->type != GEN_URI)
			continue;
		u = ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier);
		ulen = (size_t)ASN1_STRING_length(gn->d.uniformResourceIdentifier);
		if (ulen < plen || memcmp(u, prefix, plen) != 0)
			continue;
		/* one certificate, one SP: a certificate naming two could serve as either */
		if (found++ > 0 || ulen == plen || ulen - plen >= len)
			found = 2;
		for (k = plen; found == 1 && k < ulen; k++)
			if (!serial_char_ok(u[k]))
				found = 2;
		if (found == 1) {
			memcpy(out, u + plen, ulen - plen);
			out[ulen - plen] = '\0';
		}
	}
	GENERAL_NAMES_free(names);
	ERR_clear_error();
	return found > 1 ? -1 : found;
}

/* The agent's certificate names the SP we dialled (the inventory's serial), or we leave:
 * another SP's key must not serve for this one (it would get this SP's grant and keys). */
static bool identity_ok(struct sph_conn *c)
{
	X509 *cert = SSL_get0_peer_certificate(bufferevent_openssl_get_ssl(c->bev));
	char named[64];
	int rc;

	if (c->sp_serial == NULL)
		return true;
	rc = sph_cert_serial(cert, named, sizeof(named));
	if (rc == 1 && strcmp(named, c->sp_serial) == 0)
		return true;
	c->wrong_identity = true;
	if (rc == 1)
		fail(c, "agent %s: certificate names %s, expected %s", c->peer, named, c->sp_serial);
	else
		fail(c, "agent %s: certificate names %s, expected %s", c->peer,
		     rc == 0 ? "no SP serial" : "more than one or an unreadable SP serial",
		     c->sp_serial);
	return false;
}

static void send_first_request(struct sph_conn *c)
{
	json_t *msg;

	if (c->attach)
		msg = json_pack("{s:s, s:s, s:s}", "op", "attach", "grant", c->grant_b64, "sig",
				c->sig_b64);
	else
		msg = json_pack("{s:s, s:s, s:s, s:I, s:i}", "op", "open", "grant", c->grant_b64,
				"sig", c->sig_b64, "spi", (json_int_t)c->gw_spi, "key_len",
				(int)c->key_len);
	if (send_json(c, msg) != 0) {
		fail(c, "agent %s: cannot send %s", c->peer, c->attach ? "attach" : "open");
		return;
	}
	c->state = SPH_AWAIT_REPLY;
	arm_deadline(c, c->reply_timeout_s);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct sph_conn *c = arg;
	int sock_err = EVUTIL_SOCKET_ERROR();
	char why[200];

	(void)bev;
	cb_enter(c);
	if (what & BEV_EVENT_CONNECTED) {
		if (identity_ok(c))
			send_first_request(c);
	} else if (what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) {
		if (what & BEV_EVENT_EOF) {
			snprintf(why, sizeof(why), "connection closed");
		} else {
			describe_tls_error(c, sock_err, why, sizeof(why));
		}
		if (c->starting) /* the caller does not know c yet: report it from the loop */
			snprintf(c->early, sizeof(c->early), "connect to agent %s: %s", c->peer, why);
		else if (c->state == SPH_CONNECTING)
			fail(c, "connect to agent %s: %s", c->peer, why);
		else
			fail(c, "channel to agent %s lost: %s", c->peer, why);
	}
	cb_leave(c);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	static const char *const waiting_for[] = {
		[SPH_CONNECTING] = "connect and TLS handshake",
		[SPH_AWAIT_REPLY] = "answer to open/attach",
		[SPH_AWAIT_UP] = "\"up\"",
		[SPH_UP] = "nothing",
		[SPH_REKEYING] = "answer to rekey",
		[SPH_CLOSING] = "answer to close",
		[SPH_DONE] = "nothing",
	};
	struct sph_conn *c = arg;

	(void)fd;
	(void)what;
	cb_enter(c);
	if (c->early[0] != '\0')
		fail(c, "%s", c->early);
	else
		fail(c, "agent %s: timed out waiting for %s", c->peer, waiting_for[c->state]);
	cb_leave(c);
}

static void ping_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sph_conn *c = arg;
	struct timeval tv = {.tv_sec = c->keepalive_s};

	(void)fd;
	(void)what;
	cb_enter(c);
	if (c->pings_unanswered >= c->missed_pongs) {
		fail(c, "agent %s: no pong for %u pings", c->peer, c->pings_unanswered);
	} else if (send_json(c, json_pack("{s:s}", "op", "ping")) != 0) {
		fail(c, "agent %s: cannot send ping", c->peer);
	} else {
		c->pings_unanswered++;
		event_add(c->ping, &tv);
	}
	cb_leave(c);
}

static bool params_ok(const struct sph_params *p, const struct sph_events *ev, bool attach,
		      struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(p->agent_port != 0 ? p->agent_port : SPH_DEFAULT_PORT);
	return p->agent_addr != NULL && spg_addr_parse(p->agent_addr, &sin->sin_addr.s_addr) &&
	       p->grant_b64 != NULL && p->sig_b64 != NULL &&
	       (p->key_len == 16 || p->key_len == 32) && (attach || p->gw_spi >= 256) &&
	       ev != NULL && ev->opened != NULL && ev->lost != NULL;
}

static struct sph_conn *start(struct event_base *base, SSL_CTX *ctx, const struct sph_params *p,
			      const struct sph_events *ev, void *arg, bool attach)
{
	struct sockaddr_in sin;
	struct sph_conn *c;
	char addr[SPG_ADDR_STRLEN];
	SSL *ssl = NULL;

	if (base == NULL || ctx == NULL || p == NULL || !params_ok(p, ev, attach, &sin)) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->base = base;
	c->ev = *ev;
	c->arg = arg;
	c->attach = attach;
	c->state = SPH_CONNECTING;
	c->session = p->session_id;
	c->gw_spi = p->gw_spi;
	c->key_len = p->key_len;
	c->reply_timeout_s = p->reply_timeout_s ? p->reply_timeout_s : 10;
	c->keepalive_s = p->keepalive_s ? p->keepalive_s : 15;
	c->missed_pongs = p->missed_pongs ? p->missed_pongs : 3;
	snprintf(c->peer, sizeof(c->peer), "%s:%u", spg_addr_str(sin.sin_addr.s_addr, addr),
		 ntohs(sin.sin_port));
	c->grant_b64 = strdup(p->grant_b64);
	c->sig_b64 = strdup(p->sig_b64);
	if (p->sp_serial != NULL && (c->sp_serial = strdup(p->sp_serial)) == NULL)
		goto nomem;
	c->deadline = evtimer_new(base, deadline_cb, c);
	c->ping = evtimer_new(base, ping_cb, c);
	ssl = SSL_new(ctx);
	if (c->grant_b64 == NULL || c->sig_b64 == NULL || c->deadline == NULL || c->ping == NULL ||
	    ssl == NULL)
		goto nomem;
	if (p->agent_name != NULL &&
	    (SSL_set1_host(ssl, p->agent_name) != 1 ||
	     SSL_set_tlsext_host_name(ssl, p->agent_name) != 1)) {
		errno = EINVAL;
		goto fail;
	}
	c->bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
						BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL)
		goto nomem;
	ssl = NULL; /* the bufferevent owns it now */
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	arm_deadline(c, p->connect_timeout_s ? p->connect_timeout_s : 10);
	/* libevent reports some connect failures from inside the call; opened() must not come
	 * before the caller has c, so such a failure is reported from the loop, at once */
	c->starting = true;
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sin, sizeof(sin)) != 0 &&
	    c->early[0] == '\0')
		snprintf(c->early, sizeof(c->early), "connect to agent %s: %s", c->peer,
			 strerror(errno));
	c->starting = false;
	if (c->early[0] != '\0')
		arm_deadline(c, 0);
	return c;

nomem:
	errno = ENOMEM;
fail:
	SSL_free(ssl);
	conn_destroy(c);
	return NULL;
}

struct sph_conn *sph_open(struct event_base *base, SSL_CTX *ctx, const struct sph_params *p,
			  const struct sph_events *ev, void *arg)
{
	return start(base, ctx, p, ev, arg, false);
}

struct sph_conn *sph_attach(struct event_base *base, SSL_CTX *ctx, const struct sph_params *p,
			    const struct sph_events *ev, void *arg)
{
	return start(base, ctx, p, ev, arg, true);
}

int sph_rekey(struct sph_conn *c, uint32_t new_gw_spi)
{
	if (c == NULL || c->state == SPH_DONE || !c->opened)
		return -ENOTCONN;
	if (c->state != SPH_UP)
		return -EBUSY;
	if (new_gw_spi < 256 || c->ev.rekeyed == NULL)
		return -EINVAL;
	if (send_json(c, json_pack("{s:s, s:I, s:I}", "op", "rekey", "spi", (json_int_t)new_gw_spi,
				   "generation", (json_int_t)c->generation + 1)) != 0)
		return -ENOMEM;
	c->next_gw_spi = new_gw_spi;
	c->state = SPH_REKEYING;
	arm_deadline(c, c->reply_timeout_s);
	return 0;
}

int sph_close(struct sph_conn *c, const char *reason)
{
	if (c == NULL || c->state == SPH_DONE || !c->opened)
		return -ENOTCONN;
	if (c->state == SPH_CLOSING)
		return -EBUSY;
	if (c->ev.closed == NULL)
		return -EINVAL;
	if (send_json(c, json_pack("{s:s, s:s}", "op", "close", "reason",
				   reason != NULL ? reason : "closed")) != 0)
		return -ENOMEM;
	if (c->state == SPH_REKEYING)
		c->replies_to_skip = 1;
	c->state = SPH_CLOSING;
	event_del(c->ping);
	arm_deadline(c, c->reply_timeout_s);
	return 0;
}

void sph_free(struct sph_conn *c)
{
	if (c == NULL)
		return;
	if (c->in_cb > 0) {
		conn_stop(c);
		c->free_pending = true;
		return;
	}
	conn_destroy(c);
}

uint32_t sph_generation(const struct sph_conn *c)
{
	return c->generation;
}

uint64_t sph_session_id(const struct sph_conn *c)
{
	return c->session;
}

const char *sph_key_fingerprint(const uint8_t *key_salt, uint8_t key_len, char out[9])
{
	return spg_key_fingerprint(key_salt, (size_t)key_len + SPH_SALT_LEN, out);
}

SSL_CTX *sph_client_ctx(const char *ca_file, const char *cert_file, const char *key_file,
			char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
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
	if (ca_file == NULL || SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
		snprintf(err, errlen, "%s: cannot load CA certificates: %s",
			 ca_file ? ca_file : "(no CA file)", ebuf);
		goto fail;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (cert_file != NULL && SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
		ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
		snprintf(err, errlen, "%s: cannot load the client certificate: %s", cert_file, ebuf);
		goto fail;
	}
	if (cert_file != NULL &&
	    (key_file == NULL || SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1 ||
	     SSL_CTX_check_private_key(ctx) != 1)) {
		ERR_error_string_n(ERR_get_error(), ebuf, sizeof(ebuf));
		snprintf(err, errlen, "%s: not the key of %s: %s", key_file ? key_file : "(no key)",
			 cert_file, ebuf);
		goto fail;
	}
	ERR_clear_error();
	return ctx;
fail:
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}
