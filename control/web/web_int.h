/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the web console (control/web/): what its files share. Nothing else includes this. */
#ifndef SPG_WEB_INT_H
#define SPG_WEB_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "api/ops.h"
#include "config.h"
#include "web/session.h"
#include "web/web.h"

#define WEB_BODY_MAX (64 * 1024)
#define WEB_HEADERS_MAX (16 * 1024)
#define WEB_TIMEOUT_S 30

/* One TCP connection: counted in the budgets until evhttp closes it. */
struct web_conn {
	struct web_server *w;
	struct evhttp_connection *evcon;
	uint32_t addr; /* IPv4, network order */
	uint16_t port;
	TAILQ_ENTRY(web_conn) next;
};
TAILQ_HEAD(web_conn_list, web_conn);

/* A request waiting for an op that answers later (login through RADIUS). */
struct web_call {
	struct web_server *w;
	struct evhttp_request *req; /* NULL once its connection closed */
	struct web_conn *conn;
	struct api_peer peer;
	int kind; /* handlers.c / login.c: what to do with the reply */
	void *filter;		  /* handlers.c: the audit filters, freed with the call */
	char sid[WEB_ID_HEX + 1]; /* the session asking ("" at login): ended if its token is refused */
	void (*done)(struct web_call *call, json_t *reply);
	TAILQ_ENTRY(web_call) next;
};
TAILQ_HEAD(web_call_list, web_call);

struct web_server {
	struct event_base *base;
	const struct ctl_config *cfg;
	struct api_ctx *api;
	SSL_CTX *ssl_ctx;
	struct evhttp *http;
	struct web_sessions *sessions;
	struct web_conn_list conns;
	unsigned n_conns;
	struct web_call_list calls;
	int static_fd; /* web.static_dir, opened once */
	void *next_filter; /* handlers.c: handed to the next call web_call_op makes */
};

/* headers.c: the security headers every answer carries; api adds Cache-Control no-store. */
void web_headers_security(struct evkeyvalq *out, bool api);

/* static.c: GET/HEAD of a page or asset under the static directory. */
void web_static_serve(struct web_server *w, struct evhttp_request *req, const char *path);

/* handlers.c: a request under /api/. */
void web_api_route(struct web_server *w, struct evhttp_request *req, struct web_conn *conn, const char *path);
/* Answers req with status and a JSON body (taking its reference). */
void web_reply_json(struct evhttp_request *req, int status, json_t *body);
/* {"ok":false,"error":code,"message":text} with status. */
void web_reply_error(struct evhttp_request *req, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The request's body as a JSON object, or NULL after answering 400. */
json_t *web_body_json(struct evhttp_request *req);
/* Calls op (args: taking the reference) for the session's user; done gets the reply. */
void web_call_op(struct web_server *w, struct evhttp_request *req, struct web_conn *conn,
		 const struct web_session *s, bool as_operator, const char *op, json_t *args,
		 void (*done)(struct web_call *call, json_t *reply), int kind);
/* The HTTP status that fits an API error code. */
int web_status_of(const json_t *reply);

/* login.c */
void web_login(struct web_server *w, struct evhttp_request *req, struct web_conn *conn);
void web_logout(struct web_server *w, struct evhttp_request *req, struct web_conn *conn, struct web_session *s);

/* The time as the ops see it. */
int64_t web_now(const struct web_server *w);

#endif
