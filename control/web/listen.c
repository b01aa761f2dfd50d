/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The console's listener: evhttp (libevent's HTTP parser, none of our own) over OpenSSL
 * bufferevents, so a client that does not speak TLS never reaches HTTP at all. Connections
 * live by the engineer API's budgets (engineer_api.max_clients, engineer_api.max_per_source),
 * counted here for the console's own listener; logins count against the API's lockout
 * because they are the API's own login op (login.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/err.h>

#include "addr.h"
#include "web/web_int.h"

int64_t web_now(const struct web_server *w)
{
	return api_now(w->api);
}

SSL_CTX *web_tls_context(const struct ctl_config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL) {
		snprintf(err, errlen, "web: cannot create a TLS context");
		return NULL;
	}
	/* TLS 1.2 at least: every browser that runs the pages speaks it */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->web.certificate) != 1) {
		snprintf(err, errlen, "web.certificate %s: cannot load: %s", cfg->web.certificate,
			 ERR_reason_error_string(ERR_get_error()));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->web.private_key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "web.key %s: cannot load: %s", cfg->web.private_key,
			 ERR_reason_error_string(ERR_get_error()));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "web.key %s does not match the certificate %s", cfg->web.private_key,
			 cfg->web.certificate);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

int web_check_static_dir(const struct ctl_config *cfg, char *err, size_t errlen)
{
	char index[CTL_PATH_MAX + 16];

	snprintf(index, sizeof(index), "%s/index.html", cfg->web.static_dir);
	if (access(index, R_OK) != 0) {
		snprintf(err, errlen, "web.static_dir %s: cannot read index.html there: %s", cfg->web.static_dir,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* evhttp asks for each accepted connection's bufferevent: a TLS one (the fd is set later). */
static struct bufferevent *tls_bev(struct event_base *base, void *arg)
{
	struct web_server *w = arg;
	struct bufferevent *bev;
	SSL *ssl = SSL_new(w->ssl_ctx);

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

static void conn_closed(struct evhttp_connection *evcon, void *arg)
{
	struct web_conn *c = arg;
	struct web_server *w = c->w;
	struct web_call *call;

	(void)evcon;
	/* a reply that comes later has nowhere to go */
	TAILQ_FOREACH(call, &w->calls, next)
		if (call->conn == c) {
			call->req = NULL;
			call->conn = NULL;
		}
	TAILQ_REMOVE(&w->conns, c, next);
	w->n_conns--;
	free(c);
}

static struct web_conn *conn_find(struct web_server *w, struct evhttp_connection *evcon)
{
	struct web_conn *c;

	TAILQ_FOREACH(c, &w->conns, next)
		if (c->evcon == evcon)
			return c;
	return NULL;
}

static unsigned conns_from(const struct web_server *w, uint32_t addr)
{
	const struct web_conn *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &w->conns, next)
		n += c->addr == addr;
	return n;
}

/* The connection's entry, new on its first request; NULL after answering 503 (over budget). */
static struct web_conn *conn_admit(struct web_server *w, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	const struct sockaddr_in *sin;
	struct web_conn *c = conn_find(w, evcon);
	const char *why = NULL;
	uint32_t addr = 0;

	if (c != NULL)
		return c;
	sin = (const struct sockaddr_in *)evhttp_connection_get_addr(evcon);
	if (sin != NULL && sin->sin_family == AF_INET)
		addr = sin->sin_addr.s_addr;
	if (w->n_conns >= w->cfg->engineer_api.max_clients)
		why = "too many console connections";
	else if (conns_from(w, addr) >= w->cfg->engineer_api.max_per_source)
		why = "too many console connections from your address";
	if (why == NULL && (c = calloc(1, sizeof(*c))) == NULL)
		why = "out of memory";
	if (why != NULL) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
		web_reply_error(req, HTTP_SERVUNAVAIL, "busy", "%s; try again later", why);
		return NULL;
	}
	*c = (struct web_conn){.w = w, .evcon = evcon, .addr = addr, .port = sin != NULL ? ntohs(sin->sin_port) : 0};
	TAILQ_INSERT_TAIL(&w->conns, c, next);
	w->n_conns++;
	evhttp_connection_set_closecb(evcon, conn_closed, c);
	return c;
}

static void route(struct evhttp_request *req, void *arg)
{
	struct web_server *w = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	bool api = path != NULL && strncmp(path, "/api/", 5) == 0;
	struct web_conn *c;

	web_headers_security(evhttp_request_get_output_headers(req), api);
	c = conn_admit(w, req);
	if (c == NULL)
		return;
	if (path == NULL || path[0] == '\0')
		path = "/";
	if (api) {
		web_api_route(w, req, c, path);
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, HTTP_BADMETHOD, "pages are read with GET");
		return;
	}
	web_static_serve(w, req, path);
}

static int web_listen(struct web_server *w, char *err, size_t errlen)
{
	char addr[SPG_ADDR_STRLEN];

	w->http = evhttp_new(w->base);
	if (w->http == NULL) {
		snprintf(err, errlen, "web: cannot create the HTTP server");
		return -1;
	}
	evhttp_set_bevcb(w->http, tls_bev, w);
	evhttp_set_gencb(w->http, route, w);
	evhttp_set_timeout(w->http, WEB_TIMEOUT_S);
	evhttp_set_max_body_size(w->http, WEB_BODY_MAX);
	evhttp_set_max_headers_size(w->http, WEB_HEADERS_MAX);
	/* every method reaches route(), which refuses the others itself: with the security headers */
	spg_addr_str(w->cfg->web.listen_addr, addr);
	if (evhttp_bind_socket_with_handle(w->http, addr, w->cfg->web.listen_port) == NULL) {
		snprintf(err, errlen, "web.listen %s:%u: cannot listen: %s", addr, w->cfg->web.listen_port,
			 strerror(errno));
		return -1;
	}
	return 0;
}

struct web_server *web_server_new(struct event_base *base, const struct ctl_config *cfg, struct api_ctx *api,
				  char *err, size_t errlen)
{
	struct web_server *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		snprintf(err, errlen, "web: out of memory");
		return NULL;
	}
	*w = (struct web_server){.base = base, .cfg = cfg, .api = api, .static_fd = -1};
	TAILQ_INIT(&w->conns);
	TAILQ_INIT(&w->calls);
	w->static_fd = open(cfg->web.static_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->static_fd < 0) {
		snprintf(err, errlen, "web.static_dir %s: cannot open: %s", cfg->web.static_dir, strerror(errno));
		goto fail;
	}
	if (web_check_static_dir(cfg, err, errlen) != 0)
		goto fail;
	w->sessions = web_sessions_new(cfg->web.session_timeout, cfg->web.session_max);
	w->ssl_ctx = w->sessions != NULL ? web_tls_context(cfg, err, errlen) : NULL;
	if (w->ssl_ctx == NULL || web_listen(w, err, errlen) != 0)
		goto fail;
	return w;
fail:
	web_server_free(w);
	return NULL;
}

void web_server_free(struct web_server *w)
{
	struct web_call *call;

	if (w == NULL)
		return;
	/* evhttp_free closes the connections: their close callbacks free the entries */
	if (w->http != NULL)
		evhttp_free(w->http);
	while ((call = TAILQ_FIRST(&w->calls)) != NULL) {
		/* the ops still hold the call: they answer into the void (handlers.c) */
		TAILQ_REMOVE(&w->calls, call, next);
		call->w = NULL;
		call->req = NULL;
	}
	web_sessions_free(w->sessions);
	if (w->ssl_ctx != NULL)
		SSL_CTX_free(w->ssl_ctx);
	if (w->static_fd >= 0)
		close(w->static_fd);
	free(w);
}
