/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ops table and the gate in front of it: parse, find the op, who is asking, may they,
 * then the handler. Also the identity ops: logout and whoami (login: ops_login.c).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "api/json.h"
#include "api/ops.h"
#include "store/store.h"
#include "snmp/snmp.h"
#include "audit.h"
#include "auth/auth.h"
#include "search.h"
#include "store/token_store.h"
#include "token.h"

static json_t *op_logout(struct api_req *r);
static json_t *op_whoami(struct api_req *r);

static const struct api_op api_ops[] = {
	{"login", API_ROLE_ENGINEER, false, api_op_login, false},
	{"logout", API_ROLE_ENGINEER, true, op_logout, true},
	{"whoami", API_ROLES_ANY, true, op_whoami, true},
	{"search", API_ROLES_ANY, true, api_op_search, false},
	{"connect", API_ROLE_ENGINEER, true, api_op_connect, false},
	{"sessions", API_ROLES_ANY, true, api_op_sessions, false},
	{"session", API_ROLES_ANY, true, api_op_session, false},
	{"disconnect", API_ROLES_ANY, true, api_op_disconnect, false},
	{"approve", API_ROLES_ANY, true, api_op_approve, false},
	{"deny", API_ROLES_ANY, true, api_op_deny, false},
	{"join", API_ROLE_ENGINEER, true, api_op_join, false},
	{"join_status", API_ROLE_ENGINEER, true, api_op_join_status, false},
	{"joins", API_ROLES_ANY, true, api_op_joins, false},
	{"join_accept", API_ROLES_ANY, true, api_op_join_accept, false},
	{"join_refuse", API_ROLES_ANY, true, api_op_join_refuse, false},
	{"join_remove", API_ROLES_ANY, true, api_op_join_remove, false},
	{"join_leave", API_ROLE_ENGINEER, true, api_op_join_leave, false},
	{"ticket_submit", API_ROLES_ANY, true, api_op_ticket_submit, false},
	{"tickets", API_ROLES_ANY, true, api_op_tickets, false},
	{"lines", API_ROLES_ANY, true, api_op_lines, false},
	{"line_enable", API_ROLE_OPERATOR, true, api_op_line_enable, false},
	{"line_disable", API_ROLE_OPERATOR, true, api_op_line_disable, false},
	{"audit", API_ROLE_OPERATOR, true, api_op_audit, false},
	{"recordings", API_ROLES_ANY, true, api_op_recordings, false},
	{"recording_export", API_ROLES_ANY, true, api_op_recording_export, false},
	{"inventory_import", API_ROLE_OPERATOR, true, api_op_inventory_import, false},
	{"dp_stats", API_ROLE_OPERATOR, true, api_op_dp_stats, false},
	{"gateways", API_ROLE_OPERATOR, true, api_op_gateways, false},
	{"user_revoke", API_ROLE_OPERATOR, true, api_op_user_revoke, false},
	{"mfa_enroll", API_ROLE_ENGINEER, true, api_op_mfa_enroll, true},
	{"mfa_verify", API_ROLE_ENGINEER, true, api_op_mfa_verify, true},
	{"mfa_reset", API_ROLE_OPERATOR, true, api_op_mfa_reset, false},
	{NULL, 0, false, NULL, false},
};

const struct api_op *api_op_find(const char *name)
{
	const struct api_op *op;

	for (op = api_ops; op->name != NULL; op++)
		if (strcmp(op->name, name) == 0)
			return op;
	return NULL;
}

int64_t api_now(const struct api_ctx *ctx)
{
	return ctx->now != NULL ? ctx->now() : (int64_t)time(NULL);
}

void api_audit(struct api_req *r, const char *action, const char *target, const char *result,
	       const char *detail_json)
{
	const char *actor = r->who.user[0] != '\0' ? r->who.user : r->peer->name;

	if (r->ctx->audit != NULL)
		audit_event_at(r->ctx->audit, api_now(r->ctx), actor, action, target, result, detail_json);
}

void api_req_finish(struct api_req *r, json_t *reply)
{
	r->reply(reply, r->reply_arg);
	json_decref(r->args);
	free(r);
}

static void identity_set_groups(struct api_identity *who, const char groups[][API_NAME_MAX], unsigned n)
{
	unsigned i;

	for (i = 0; i < n && i < API_MAX_GROUPS; i++) {
		snprintf(who->groups[i], sizeof(who->groups[i]), "%s", groups[i]);
		who->group_ptrs[i] = who->groups[i];
	}
	who->n_groups = i;
}

/* An operator is who the socket says: the uid's name. */
static void identity_operator(struct api_req *r)
{
	struct passwd pw, *pwp = NULL;
	char buf[4096];

	r->who.role = API_ROLE_OPERATOR;
	r->who.privileged = true;
	if (getpwuid_r(r->peer->uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp != NULL)
		snprintf(r->who.user, sizeof(r->who.user), "%s", pwp->pw_name);
	else
		snprintf(r->who.user, sizeof(r->who.user), "uid%u", (unsigned)r->peer->uid);
}

/* An engineer is who the token says. Returns NULL, or the refusal. */
static json_t *identity_engineer(struct api_req *r, bool needs_token)
{
	struct token_claims claims;
	const char *token;
	json_t *err = NULL;

	r->who.role = API_ROLE_ENGINEER;
	if (!needs_token)
		return NULL;
	if (api_arg_string_opt(r->args, "token", &token, &err) != 0)
		return err;
	if (token == NULL)
		return api_json_error(API_E_UNAUTHORIZED, "%s needs a token: log in first", r->op);
	if (r->ctx->tokens == NULL || token_verify(r->ctx->tokens, token, api_now(r->ctx), &claims) != 0)
		return api_json_error(API_E_UNAUTHORIZED, "the token is invalid or has expired: log in again");
	/* Fail closed: a store that cannot tell counts as revoked. */
	if (r->ctx->store == NULL || store_token_revoked(r->ctx->store, claims.id, claims.user, claims.iat) != 0)
		return api_json_error(API_E_UNAUTHORIZED,
				      "the token was revoked (logout, or an operator revoked %s's tokens): log in again",
				      claims.user);
	snprintf(r->who.token_id, sizeof(r->who.token_id), "%s", claims.id);
	r->who.issued = claims.iat;
	snprintf(r->who.user, sizeof(r->who.user), "%s", claims.user);
	identity_set_groups(&r->who, claims.groups, claims.n_groups);
	r->who.expires = claims.exp;
	r->who.mfa_at = claims.mfa_at;
	snprintf(r->who.mfa_factor, sizeof(r->who.mfa_factor), "%s", claims.mfa_factor);
	r->who.privileged = r->ctx->store != NULL &&
			    search_groups_privileged(r->ctx->store, r->ctx->cfg, r->who.group_ptrs, r->who.n_groups);
	return NULL;
}

/*
 * The web console's operators log in like engineers (RADIUS or local) and hold a token; they
 * act as operators when the console asks it and their groups are privileged (the inventory's
 * privileged: true, or sessions.privileged_groups), the same mark that lets an engineer see
 * every system. NULL, or the refusal.
 */
static json_t *identity_web_operator(struct api_req *r, const struct api_op *op)
{
	if (!r->peer->web_operator)
		return NULL;
	if (!op->needs_token || !r->who.privileged)
		return api_json_error(API_E_FORBIDDEN, "%s: only operators (a privileged group) may do this", op->name);
	r->who.role = API_ROLE_OPERATOR;
	return NULL;
}

static const char *role_name(unsigned roles)
{
	if (roles == API_ROLE_OPERATOR)
		return "operators";
	if (roles == API_ROLE_ENGINEER)
		return "engineers";
	return "engineers and operators";
}

/* Who may call op; NULL, or the refusal. */
static json_t *api_gate(struct api_req *r, const struct api_op *op)
{
	json_t *err;

	if (r->peer->transport == API_TRANSPORT_UNIX) {
		identity_operator(r);
	} else {
		err = identity_engineer(r, op->needs_token);
		if (err != NULL)
			return err;
		err = identity_web_operator(r, op);
		if (err != NULL)
			return err;
	}
	if (!(op->roles & r->who.role))
		return api_json_error(API_E_FORBIDDEN, "%s is for %s only", op->name, role_name(op->roles));
	/* auth.mfa required: a login without a second factor may only enrol one. */
	if (r->who.role == API_ROLE_ENGINEER && op->needs_token && !op->without_mfa && r->who.mfa_at == 0 &&
	    r->ctx->cfg->auth.mfa == CTL_MFA_REQUIRED)
		return api_json_error(API_E_MFA_REQUIRED,
				      "this server requires a second factor: enrol one (spgatectl mfa enroll, then "
				      "mfa verify), then log in again");
	return NULL;
}

/*
 * A PostgreSQL store that lost its server (store_watch.c reconnects): every op needs the store
 * (tokens, inventory, sessions), so all are refused with one clear error until it is back.
 */
static bool store_lost(const struct api_ctx *ctx)
{
	return ctx->store != NULL && !store_available(ctx->store);
}

static json_t *store_unavailable(struct api_ctx *ctx)
{
	if (!store_lost(ctx))
		return NULL;
	return api_json_error(API_E_STORE_UNAVAILABLE,
			      "the store is unavailable (spgate-control is reconnecting to PostgreSQL); "
			      "live sessions go on: try again shortly");
}

static void ops_handle(struct api_ctx *ctx, const struct api_peer *peer, const char *line, size_t len,
		       void (*reply)(json_t *reply, void *arg), void (*authenticated)(void *arg), void *arg)
{
	const struct api_op *op;
	struct api_req *r;
	json_t *args, *out = NULL;
	const char *name;

	args = api_json_parse_request(line, len, &name, &out);
	if (args == NULL) {
		reply(out, arg);
		return;
	}
	op = api_op_find(name);
	if (op == NULL) {
		reply(api_json_error(API_E_BAD_REQUEST, "unknown op \"%.64s\"", name), arg);
		json_decref(args);
		return;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		reply(api_json_error(API_E_INTERNAL, "out of memory"), arg);
		json_decref(args);
		return;
	}
	*r = (struct api_req){.ctx = ctx, .peer = peer, .args = args, .op = op->name, .reply = reply,
			      .authenticated = authenticated, .reply_arg = arg};
	out = store_unavailable(ctx);
	if (out == NULL)
		out = api_gate(r, op);
	if (out == NULL && op->needs_token)
		api_req_authenticated(r);
	if (out == NULL)
		out = op->fn(r);
	/* the server went away during the op: say so rather than the -ENOTCONN it caused */
	if (out != NULL && json_is_false(json_object_get(out, "ok")) && store_lost(ctx)) {
		json_decref(out);
		out = store_unavailable(ctx);
	}
	if (out != NULL)
		api_req_finish(r, out);
}

void api_ops_handle(struct api_ctx *ctx, const struct api_peer *peer, const char *line, size_t len,
		    void (*reply)(json_t *reply, void *arg), void *arg)
{
	ops_handle(ctx, peer, line, len, reply, NULL, arg);
}

void api_req_authenticated(struct api_req *r)
{
	if (r->authenticated != NULL)
		r->authenticated(r->reply_arg);
}

static void serve_reply(json_t *reply, void *arg)
{
	api_call_reply(arg, reply);
}

static void serve_authenticated(void *arg)
{
	api_call_authenticated(arg);
}

void api_ops_serve(struct api_call *call, const char *line, size_t len, void *arg)
{
	ops_handle(arg, api_call_peer(call), line, len, serve_reply, serve_authenticated, call);
}

/* Ends the caller's token on the server: it is refused from now on, also after a restart. */
static json_t *op_logout(struct api_req *r)
{
	int ret;

	ret = store_token_revoke(r->ctx->store, r->who.token_id, r->who.user, r->who.expires, api_now(r->ctx));
	api_audit(r, "logout", r->who.user, ret == 0 ? "ok" : "failed", NULL);
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot revoke the token: %s", strerror(-ret));
	return api_json_ok();
}

static json_t *op_whoami(struct api_req *r)
{
	json_t *reply = api_json_ok(), *groups = json_array();
	unsigned i;

	for (i = 0; i < r->who.n_groups; i++)
		json_array_append_new(groups, json_string(r->who.groups[i]));
	json_object_set_new(reply, "user", json_string(r->who.user));
	json_object_set_new(reply, "groups", groups);
	json_object_set_new(reply, "role", json_string(r->who.role == API_ROLE_OPERATOR ? "operator" : "engineer"));
	json_object_set_new(reply, "privileged", json_boolean(r->who.privileged));
	json_object_set_new(reply, "expires", r->who.expires ? json_integer(r->who.expires) : json_null());
	if (r->who.role == API_ROLE_ENGINEER) {
		json_object_set_new(reply, "second_factor",
				    r->who.mfa_at ? json_string(r->who.mfa_factor) : json_null());
		json_object_set_new(reply, "second_factor_at", r->who.mfa_at ? json_integer(r->who.mfa_at) : json_null());
	}
	return reply;
}
