/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The console's JSON API under /api/. Every answer is an op of the engineer API (api/ops.c)
 * called with the session's token, so identity, revocation, scope, four-eyes and audit are
 * decided exactly as for spgatectl; this file only picks the op and its scope:
 *
 *   GET  /api/me              whoami, plus the CSRF token and whether the pages are an operator's
 *   GET  /api/pending         sessions {approvable}: awaiting a decision by this approver
 *   GET  /api/sessions        approver: sessions {approvable, history}; operator: {all, history}
 *   GET  /api/recordings      approver: recordings {approvable}; operator: all
 *   GET  /api/recording?id=N  recording_export, as a file download
 *   GET  /api/lines           operators: lines and their states
 *   GET  /api/gateways        operators: the gateway hosts sharing the store, with their leases
 *   GET  /api/audit           operators: the trail, filtered by actor, action, target, result
 *   POST /api/approve, /api/deny  {id, comment}
 *   POST /api/disconnect      {id}
 *   POST /api/login, /api/logout  (login.c)
 *
 * Every POST carries Content-Type application/json and, once logged in, X-CSRF-Token. The
 * pages' periodic refreshes carry X-Refresh: they do not count as activity for the idle time.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>

#include "addr.h"
#include "api/json.h"
#include "grant.h"
#include "web/web_int.h"

#define AUDIT_LIMIT_MAX 2000

enum { KIND_PLAIN, KIND_PENDING, KIND_ME, KIND_DOWNLOAD, KIND_AUDIT };

void web_reply_json(struct evhttp_request *req, int status, json_t *body)
{
	struct evbuffer *b = evbuffer_new();
	char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
	if (b != NULL && text != NULL)
		evbuffer_add_printf(b, "%s\n", text);
	evhttp_send_reply(req, status, status == HTTP_OK ? "OK" : "Error", b);
	if (b != NULL)
		evbuffer_free(b);
	free(text);
	json_decref(body);
}

void web_reply_error(struct evhttp_request *req, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	web_reply_json(req, status, json_pack("{s:b,s:s,s:s}", "ok", 0, "error", code, "message", msg));
}

int web_status_of(const json_t *reply)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
		{API_E_UNAUTHORIZED, 401}, {API_E_AUTH_FAILED, 401}, {API_E_FORBIDDEN, 403},
		{API_E_MFA_REQUIRED, 403}, {API_E_NOT_FOUND, 404},   {API_E_RATE_LIMITED, 429},
		{API_E_AUTH_UNAVAILABLE, 503}, {API_E_BUSY, 503},    {API_E_INTERNAL, 500},
		{API_E_TIMEOUT, 409},
	};
	const char *code = json_string_value(json_object_get(reply, "error"));
	size_t i;

	if (json_is_true(json_object_get(reply, "ok")))
		return HTTP_OK;
	for (i = 0; code != NULL && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(code, map[i].code) == 0)
			return map[i].status;
	return HTTP_BADREQUEST;
}

json_t *web_body_json(struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	json_error_t jerr;
	json_t *o;

	o = json_loadb((const char *)evbuffer_pullup(in, -1), len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		web_reply_error(req, HTTP_BADREQUEST, API_E_BAD_REQUEST, "the request body is not a JSON object%s%s",
				len ? ": " : "", len ? jerr.text : "");
		return NULL;
	}
	return o;
}

/* What the op answered, sent to the browser in the call's own way. */
static void call_reply(json_t *reply, void *arg)
{
	struct web_call *call = arg;

	struct web_session *s;
	const char *code = json_string_value(json_object_get(reply, "error"));

	if (call->w != NULL)
		TAILQ_REMOVE(&call->w->calls, call, next);
	/* the token expired or was revoked (logout elsewhere, spgatectl user revoke): the
	 * console's session ends with it */
	if (call->w != NULL && code != NULL && strcmp(code, API_E_UNAUTHORIZED) == 0 &&
	    (s = web_session_get(call->w->sessions, call->sid)) != NULL)
		web_session_revoke(call->w->sessions, s);
	if (call->w != NULL && call->req != NULL)
		call->done(call, reply);
	else
		json_decref(reply);
	free(call->filter);
	free(call);
}

void web_call_op(struct web_server *w, struct evhttp_request *req, struct web_conn *conn,
		 const struct web_session *s, bool as_operator, const char *op, json_t *args,
		 void (*done)(struct web_call *call, json_t *reply), int kind)
{
	char a[SPG_ADDR_STRLEN];
	struct web_call *call;
	char *line;

	call = calloc(1, sizeof(*call));
	if (args == NULL || call == NULL) {
		free(call);
		json_decref(args);
		web_reply_error(req, HTTP_INTERNAL, API_E_INTERNAL, "out of memory");
		return;
	}
	json_object_set_new(args, "op", json_string(op));
	if (s != NULL)
		json_object_set_new(args, "token", json_string(s->token));
	line = json_dumps(args, JSON_COMPACT);
	json_decref(args);
	*call = (struct web_call){.w = w, .req = req, .conn = conn, .kind = kind, .done = done,
				  .peer = {.transport = API_TRANSPORT_TLS, .addr = conn->addr, .port = conn->port,
					   .web_operator = as_operator}};
	snprintf(call->peer.name, sizeof(call->peer.name), "web %s:%u", spg_addr_str(conn->addr, a), conn->port);
	if (s != NULL)
		snprintf(call->sid, sizeof(call->sid), "%s", s->id);
	call->filter = w->next_filter;
	w->next_filter = NULL;
	TAILQ_INSERT_TAIL(&w->calls, call, next);
	if (line == NULL) {
		call_reply(api_json_error(API_E_INTERNAL, "out of memory"), call);
		return;
	}
	api_ops_handle(w->api, &call->peer, line, strlen(line), call_reply, call);
	explicit_bzero(line, strlen(line));
	free(line);
}

/* The op's answer as it is, with the status its error code means. */
static void done_plain(struct web_call *call, json_t *reply)
{
	web_reply_json(call->req, web_status_of(reply), reply);
}

/* sessions {approvable} narrowed to those waiting for a decision. */
static void done_pending(struct web_call *call, json_t *reply)
{
	json_t *list = json_object_get(reply, "sessions"), *s;
	size_t i;

	for (i = 0; json_is_array(list) && i < json_array_size(list);) {
		s = json_array_get(list, i);
		if (json_is_string(json_object_get(s, "approval")) &&
		    strcmp(json_string_value(json_object_get(s, "approval")), "pending") == 0)
			i++;
		else
			json_array_remove(list, i);
	}
	done_plain(call, reply);
}

/* recording_export's base64 as the file itself. */
static void done_download(struct web_call *call, json_t *reply)
{
	const char *data = json_string_value(json_object_get(reply, "data"));
	const char *format = json_string_value(json_object_get(reply, "format"));
	json_int_t id = json_integer_value(json_object_get(json_object_get(reply, "recording"), "id"));
	struct evkeyvalq *h = evhttp_request_get_output_headers(call->req);
	char disposition[128];
	struct evbuffer *b;
	uint8_t *bytes;
	size_t len = 0;

	if (data == NULL || format == NULL) {
		done_plain(call, reply);
		return;
	}
	bytes = spg_base64_decode(data, strlen(data), &len);
	b = evbuffer_new();
	if (bytes == NULL || b == NULL) {
		free(bytes);
		if (b != NULL)
			evbuffer_free(b);
		json_decref(reply);
		web_reply_error(call->req, HTTP_INTERNAL, API_E_INTERNAL, "cannot decode the recording");
		return;
	}
	snprintf(disposition, sizeof(disposition), "attachment; filename=\"recording-%" PRId64 ".%s\"", (int64_t)id,
		 strcmp(format, "cms-der") == 0 ? "pcapng.p7m" : "pcapng");
	evhttp_add_header(h, "Content-Type", "application/octet-stream");
	evhttp_add_header(h, "Content-Disposition", disposition);
	evbuffer_add(b, bytes, len);
	evhttp_send_reply(call->req, HTTP_OK, "OK", b);
	evbuffer_free(b);
	free(bytes);
	json_decref(reply);
}

static void done_audit(struct web_call *call, json_t *reply);

static void call_with_filter(struct web_server *w, struct evhttp_request *req, struct web_conn *c,
			     struct web_session *s, json_t *args, void *filter);

/* The query's value of key, or NULL. */
static const char *query_get(struct evhttp_request *req, struct evkeyvalq *q, const char *key)
{
	const char *qs = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));

	if (TAILQ_EMPTY(q) && qs != NULL)
		evhttp_parse_query_str(qs, q);
	return evhttp_find_header(q, key);
}

/* A positive integer argument of the query or the body; 0 when absent or bad. */
static json_int_t id_of(const char *text)
{
	char *end;
	long long v;

	if (text == NULL)
		return 0;
	v = strtoll(text, &end, 10);
	return end != text && *end == '\0' && v > 0 ? v : 0;
}

static void done_me(struct web_call *call, json_t *reply)
{
	struct web_session *s = web_session_get(call->w->sessions, call->sid);

	if (s != NULL && json_is_true(json_object_get(reply, "ok"))) {
		json_object_set_new(reply, "csrf", json_string(s->csrf));
		json_object_set_new(reply, "operator", json_boolean(s->operator));
		json_object_set_new(reply, "idle_timeout", json_integer(call->w->cfg->web.session_timeout));
	}
	done_plain(call, reply);
}

/* The audit filters: each a substring the field must hold; NULL or "" matches all. */
struct audit_filter {
	char actor[WEB_NAME_MAX], action[WEB_NAME_MAX], target[WEB_NAME_MAX], result[WEB_NAME_MAX];
};

static bool field_has(const json_t *ev, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(ev, key));

	return want[0] == '\0' || (v != NULL && strstr(v, want) != NULL);
}

static void done_audit(struct web_call *call, json_t *reply)
{
	struct audit_filter *f = call->filter;
	json_t *list = json_object_get(reply, "events"), *ev;
	size_t i;

	for (i = 0; f != NULL && json_is_array(list) && i < json_array_size(list);) {
		ev = json_array_get(list, i);
		if (field_has(ev, "actor", f->actor) && field_has(ev, "action", f->action) &&
		    field_has(ev, "target", f->target) && field_has(ev, "result", f->result))
			i++;
		else
			json_array_remove(list, i);
	}
	free(call->filter);
	call->filter = NULL;
	done_plain(call, reply);
}

static void copy_filter(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src != NULL ? src : "");
}

static void get_audit(struct web_server *w, struct evhttp_request *req, struct web_conn *c, struct web_session *s)
{
	struct evkeyvalq q = TAILQ_HEAD_INITIALIZER(q);
	struct audit_filter *f = calloc(1, sizeof(*f));
	json_int_t limit = id_of(query_get(req, &q, "limit")), since = id_of(query_get(req, &q, "since"));
	json_t *args = json_object();

	if (f == NULL) {
		json_decref(args);
		evhttp_clear_headers(&q);
		web_reply_error(req, HTTP_INTERNAL, API_E_INTERNAL, "out of memory");
		return;
	}
	copy_filter(f->actor, sizeof(f->actor), query_get(req, &q, "actor"));
	copy_filter(f->action, sizeof(f->action), query_get(req, &q, "action"));
	copy_filter(f->target, sizeof(f->target), query_get(req, &q, "target"));
	copy_filter(f->result, sizeof(f->result), query_get(req, &q, "result"));
	evhttp_clear_headers(&q);
	json_object_set_new(args, "limit", json_integer(limit > 0 && limit <= AUDIT_LIMIT_MAX ? limit : 200));
	if (since > 0)
		json_object_set_new(args, "since", json_integer(since));
	call_with_filter(w, req, c, s, args, f);
}

static void get_route(struct web_server *w, struct evhttp_request *req, struct web_conn *c, struct web_session *s,
		      const char *path)
{
	struct evkeyvalq q = TAILQ_HEAD_INITIALIZER(q);
	bool history;
	json_int_t id;

	history = query_get(req, &q, "history") != NULL;
	id = id_of(query_get(req, &q, "id"));
	evhttp_clear_headers(&q);
	if (strcmp(path, "/api/me") == 0)
		web_call_op(w, req, c, s, false, "whoami", json_object(), done_me, KIND_ME);
	else if (strcmp(path, "/api/pending") == 0)
		web_call_op(w, req, c, s, false, "sessions", json_pack("{s:b}", "approvable", 1), done_pending,
			    KIND_PENDING);
	else if (strcmp(path, "/api/sessions") == 0)
		web_call_op(w, req, c, s, s->operator, "sessions",
			    json_pack("{s:b,s:b}", s->operator ? "all" : "approvable", 1, "history", history),
			    done_plain, KIND_PLAIN);
	else if (strcmp(path, "/api/recordings") == 0)
		web_call_op(w, req, c, s, s->operator, "recordings",
			    s->operator ? json_object() : json_pack("{s:b}", "approvable", 1), done_plain, KIND_PLAIN);
	else if (strcmp(path, "/api/recording") == 0)
		web_call_op(w, req, c, s, s->operator, "recording_export", json_pack("{s:I}", "id", id),
			    done_download, KIND_DOWNLOAD);
	else if (strcmp(path, "/api/lines") == 0)
		web_call_op(w, req, c, s, true, "lines", json_object(), done_plain, KIND_PLAIN);
	else if (strcmp(path, "/api/gateways") == 0)
		web_call_op(w, req, c, s, true, "gateways", json_object(), done_plain, KIND_PLAIN);
	else if (strcmp(path, "/api/audit") == 0)
		get_audit(w, req, c, s);
	else
		web_reply_error(req, HTTP_NOTFOUND, API_E_NOT_FOUND, "no such API path: %.64s", path);
}

/* approve, deny {id, comment}; disconnect {id}. */
static void post_route(struct web_server *w, struct evhttp_request *req, struct web_conn *c, struct web_session *s,
		       const char *path)
{
	json_t *body, *args;
	const char *op = path + strlen("/api/");
	bool as_operator = false;

	if (strcmp(path, "/api/logout") == 0) {
		web_logout(w, req, c, s);
		return;
	}
	if (strcmp(op, "approve") != 0 && strcmp(op, "deny") != 0 && strcmp(op, "disconnect") != 0) {
		web_reply_error(req, HTTP_NOTFOUND, API_E_NOT_FOUND, "no such API path: %.64s", path);
		return;
	}
	body = web_body_json(req);
	if (body == NULL)
		return;
	args = json_object();
	json_object_set(args, "id", json_object_get(body, "id"));
	if (json_object_get(body, "comment") != NULL)
		json_object_set(args, "comment", json_object_get(body, "comment"));
	json_decref(body);
	/* approving stays the customer's approvers' (four eyes, their groups); an operator ends
	 * anybody's session, an approver only what the API lets an engineer end */
	if (strcmp(op, "disconnect") == 0)
		as_operator = s->operator;
	web_call_op(w, req, c, s, as_operator, op, args, done_plain, KIND_PLAIN);
}

static bool is_json(struct evhttp_request *req)
{
	const char *ct = evhttp_find_header(evhttp_request_get_input_headers(req), "Content-Type");

	return ct != NULL && strncmp(ct, "application/json", strlen("application/json")) == 0;
}

void web_api_route(struct web_server *w, struct evhttp_request *req, struct web_conn *c, const char *path)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *in = evhttp_request_get_input_headers(req);
	struct web_session *s;

	/* A cross-site form cannot send this type, and a cross-site script cannot without a
	 * preflight the console never answers. */
	if (cmd == EVHTTP_REQ_POST && !is_json(req)) {
		web_reply_error(req, HTTP_BADREQUEST, API_E_BAD_REQUEST, "POST bodies are application/json");
		return;
	}
	if (cmd == EVHTTP_REQ_POST && strcmp(path, "/api/login") == 0) {
		web_login(w, req, c);
		return;
	}
	/* X-Refresh: the pages' timer asking again, not the user: the idle clock goes on */
	s = web_session_find(w->sessions, evhttp_find_header(in, "Cookie"), web_now(w),
			     cmd != EVHTTP_REQ_GET || evhttp_find_header(in, "X-Refresh") == NULL);
	if (s == NULL) {
		web_reply_error(req, 401, API_E_UNAUTHORIZED, "you are not logged in, or your login ended: log in");
		return;
	}
	if (cmd == EVHTTP_REQ_POST && !web_csrf_ok(s, evhttp_find_header(in, "X-CSRF-Token"))) {
		web_reply_error(req, 403, API_E_FORBIDDEN,
				"the request lacks this login's CSRF token (X-CSRF-Token): reload the page");
		return;
	}
	if (cmd == EVHTTP_REQ_POST)
		post_route(w, req, c, s, path);
	else if (cmd == EVHTTP_REQ_GET)
		get_route(w, req, c, s, path);
	else
		web_reply_error(req, HTTP_BADMETHOD, API_E_BAD_REQUEST, "%s takes GET or POST", path);
}

static void call_with_filter(struct web_server *w, struct evhttp_request *req, struct web_conn *c,
			     struct web_session *s, json_t *args, void *filter)
{
	/* the filter rides on the call: audit answers synchronously, before this returns */
	w->next_filter = filter;
	web_call_op(w, req, c, s, true, "audit", args, done_audit, KIND_AUDIT);
	free(w->next_filter);
	w->next_filter = NULL;
}
