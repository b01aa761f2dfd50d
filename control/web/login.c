/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Console login and logout. A login is the engineer API's own login op (api/ops_login.c):
 * RADIUS or local, the same lockout per user and per source, the same second factor (a TOTP
 * code or the RADIUS server's challenge, answered with {user, challenge, response}), the same
 * audit records. The token it earns stays in the session on the server; the browser gets a
 * cookie naming the session and the session's CSRF token.
 */
#include <stdio.h>
#include <string.h>

#include <event2/keyvalq_struct.h>

#include "api/json.h"
#include "search.h"
#include "web/web_int.h"

enum { KIND_LOGIN = 100, KIND_LOGOUT };

/* Whether the login's groups mark an operator: the privileged groups, as search.h says. */
static bool groups_privileged(struct web_server *w, const json_t *groups)
{
	const char *g[API_MAX_GROUPS];
	size_t i, n = 0;

	for (i = 0; json_is_array(groups) && i < json_array_size(groups) && n < API_MAX_GROUPS; i++)
		if (json_is_string(json_array_get(groups, i)))
			g[n++] = json_string_value(json_array_get(groups, i));
	return w->api->store != NULL && search_groups_privileged(w->api->store, w->cfg, g, n);
}

static void login_session(struct web_call *call, json_t *reply)
{
	struct web_server *w = call->w;
	const char *user = json_string_value(json_object_get(reply, "user"));
	const char *token = json_string_value(json_object_get(reply, "token"));
	bool operator = groups_privileged(w, json_object_get(reply, "groups"));
	struct web_session *s;
	char cookie[256];
	json_t *out;

	s = web_session_create(w->sessions, user != NULL ? user : "", token, operator, web_now(w));
	json_decref(reply); /* holds the token: it goes no further than the session */
	if (s == NULL || web_cookie_set(w->sessions, s, cookie, sizeof(cookie)) != 0) {
		web_reply_error(call->req, 503, API_E_BUSY, "too many console logins; try again later");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(call->req), "Set-Cookie", cookie);
	out = json_pack("{s:b,s:s,s:b,s:s}", "ok", 1, "user", s->user, "operator", s->operator, "csrf", s->csrf);
	web_reply_json(call->req, HTTP_OK, out);
}

static void done_login(struct web_call *call, json_t *reply)
{
	if (json_is_string(json_object_get(reply, "token"))) {
		login_session(call, reply);
		return;
	}
	/* a challenge (a second factor is asked), or the refusal in the API's words */
	web_reply_json(call->req, web_status_of(reply), reply);
}

void web_login(struct web_server *w, struct evhttp_request *req, struct web_conn *conn)
{
	json_t *body = web_body_json(req), *args;
	static const char *const keys[] = {"user", "password", "challenge", "response"};
	size_t i;

	if (body == NULL)
		return;
	args = json_pack("{s:b}", "mfa", 1);
	for (i = 0; args != NULL && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_get(body, keys[i]) != NULL)
			json_object_set(args, keys[i], json_object_get(body, keys[i]));
	json_decref(body);
	web_call_op(w, req, conn, NULL, false, "login", args, done_login, KIND_LOGIN);
}

static void done_logout(struct web_call *call, json_t *reply)
{
	struct web_session *s = web_session_get(call->w->sessions, call->sid);
	bool ok = json_is_true(json_object_get(reply, "ok"));

	/* the console's session ends even when the store could not revoke the token */
	if (s != NULL)
		web_session_revoke(call->w->sessions, s);
	evhttp_add_header(evhttp_request_get_output_headers(call->req), "Set-Cookie", web_cookie_clear());
	if (ok) {
		json_decref(reply);
		web_reply_json(call->req, HTTP_OK, json_pack("{s:b}", "ok", 1));
		return;
	}
	web_reply_json(call->req, web_status_of(reply), reply);
}

void web_logout(struct web_server *w, struct evhttp_request *req, struct web_conn *conn, struct web_session *s)
{
	web_call_op(w, req, conn, s, false, "logout", json_object(), done_logout, KIND_LOGOUT);
}
