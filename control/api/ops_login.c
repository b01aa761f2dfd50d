/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The login op, with its second factor (issue 16): a first request with user and password;
 * when the RADIUS server challenges, or the user has a TOTP factor, the reply is a challenge
 * (an opaque id and a prompt, auth/challenge.h) and the client sends the code back with the
 * id in a second request, several times for RADIUS servers that ask more than once.
 *
 *   {"op":"login","user":U,"password":P,"mfa":true}
 *     -> {"ok":true,"token":...}  or  {"ok":true,"challenge":{"id","prompt","factor","echo"}}
 *   {"op":"login","user":U,"challenge":ID,"response":CODE}
 *     -> the same two answers, or an error
 *
 * "mfa":true says the client can answer challenges; an older client gets an error that says
 * to upgrade, never a reply it would misread. Every failed code counts in the same rate limits
 * as a wrong password, and a right password clears no failure until the whole login is done.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "api/json.h"
#include "api/ops.h"
#include "audit.h"
#include "auth/auth.h"
#include "auth/challenge.h"
#include "auth/mfa.h"
#include "snmp/snmp.h"
#include "token.h"

#define LOGIN_MAX_ROUNDS 5 /* RADIUS challenges answered in one login; a 6th ends it */
#define FACTOR_RADIUS "radius-challenge"
#define FACTOR_TOTP "totp"

/* One login request on its way through auth: what login_done needs beside the result. */
struct login_ctx {
	struct api_req *r;
	unsigned round;	   /* challenges answered before this request */
	bool mfa_capable;  /* the client said it can answer a challenge */
	bool answering;	   /* this request answers a challenge */
};

static json_t *login_token(struct api_req *r, const char *user, const char groups[][AUTH_NAME_MAX],
			   unsigned n_groups, const char *factor)
{
	char token[TOKEN_MAX_LEN];
	json_t *reply, *g;
	int64_t now = api_now(r->ctx);
	unsigned i;
	int ret;

	ret = token_issue_mfa(r->ctx->tokens, user, groups, n_groups, r->ctx->cfg->engineer_api.token_ttl, now,
			      factor != NULL ? now : 0, factor, token, sizeof(token));
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot issue a token: %s", strerror(-ret));
	g = json_array();
	for (i = 0; i < n_groups; i++)
		json_array_append_new(g, json_string(groups[i]));
	reply = api_json_ok();
	json_object_set_new(reply, "token", json_string(token));
	json_object_set_new(reply, "expires", json_integer(now + r->ctx->cfg->engineer_api.token_ttl));
	json_object_set_new(reply, "user", json_string(user));
	json_object_set_new(reply, "groups", g);
	json_object_set_new(reply, "second_factor", factor != NULL ? json_string(factor) : json_null());
	explicit_bzero(token, sizeof(token));
	return reply;
}

/* The login's audit record: source, method, factor, and the backend's words. */
static void login_audit(struct api_req *r, const char *user, const char *outcome, const char *method,
			const char *factor, const char *detail)
{
	char source[SPG_ADDR_STRLEN];
	json_t *d;
	char *text;

	d = json_pack("{s:s,s:s,s:s,s:s}", "source", spg_addr_str(r->peer->addr, source), "method",
		      method != NULL ? method : "none", "factor", factor != NULL ? factor : "none", "detail",
		      detail != NULL ? detail : "");
	text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	snprintf(r->who.user, sizeof(r->who.user), "%s", user);
	api_audit(r, "login", user, outcome, text);
	free(text);
	json_decref(d);
}

static json_t *login_failed(struct api_req *r, const char *user, const char *factor)
{
	char source[SPG_ADDR_STRLEN];

	snmp_notify_auth_failure_factor(r->ctx->snmp, user, spg_addr_str(r->peer->addr, source),
					factor != NULL ? factor : "password");
	if (factor != NULL)
		return api_json_error(API_E_AUTH_FAILED, "login refused: wrong or expired code");
	return api_json_error(API_E_AUTH_FAILED, "login refused: unknown user or wrong password");
}

/* Parks c and answers with its id and prompt. */
static json_t *login_challenge(struct api_req *r, const struct challenge *c, bool capable)
{
	char id[CHALLENGE_ID_LEN + 1];
	json_t *reply;
	int ret;

	if (!capable)
		return api_json_error(API_E_UPGRADE,
				      "this server requires a second factor for %s; upgrade spgatectl", c->user);
	if (r->ctx->challenges == NULL)
		return api_json_error(API_E_AUTH_UNAVAILABLE, "second factors are not configured");
	ret = challenge_put(r->ctx->challenges, api_now(r->ctx), c, id);
	if (ret == -EBUSY)
		return api_json_error(API_E_AUTH_UNAVAILABLE, "too many logins in progress; try again later");
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot park the login: %s", strerror(-ret));
	reply = api_json_ok();
	json_object_set_new(reply, "challenge",
			    json_pack("{s:s,s:s,s:s,s:b,s:I}", "id", id, "factor",
				      c->kind == CHALLENGE_RADIUS ? FACTOR_RADIUS : FACTOR_TOTP, "prompt",
				      c->kind == CHALLENGE_RADIUS && c->radius.prompt[0] != '\0'
					      ? c->radius.prompt
					      : "Authenticator code: ",
				      "echo", 0, "expires_in", (json_int_t)CHALLENGE_TTL_S));
	return reply;
}

/*
 * Whether a first factor that passed must still give a TOTP code: auth.mfa is not off and the
 * user has a confirmed factor. A store that cannot tell asks for it (fail closed): a user
 * without one then cannot log in until the store answers again.
 */
static bool login_needs_totp(struct api_req *r, const char *user)
{
	if (r->ctx->cfg->auth.mfa == CTL_MFA_OFF)
		return false;
	return r->ctx->mfa != NULL && mfa_enrolled(r->ctx->mfa, user) != 0;
}

static json_t *login_accepted(struct login_ctx *lc, const struct auth_result *res)
{
	struct api_req *r = lc->r;
	struct challenge c = {.kind = CHALLENGE_TOTP};
	const char *factor = res->challenge_answered ? FACTOR_RADIUS : NULL;

	if (factor == NULL && login_needs_totp(r, res->user)) {
		snprintf(c.user, sizeof(c.user), "%s", res->user);
		snprintf(c.source, sizeof(c.source), "%s", res->source);
		memcpy(c.groups, res->groups, sizeof(c.groups));
		c.n_groups = res->n_groups;
		snprintf(c.method, sizeof(c.method), "%s", res->method != NULL ? res->method : "none");
		login_audit(r, res->user, "challenge", res->method, FACTOR_TOTP, res->detail);
		return login_challenge(r, &c, lc->mfa_capable);
	}
	/* auth cleared the failures already unless this login was started as auth_start_mfa */
	auth_note(r->ctx->auth, res->user, res->source, true);
	login_audit(r, res->user, "ok", res->method, factor, res->detail);
	api_req_authenticated(r);
	return login_token(r, res->user, res->groups, res->n_groups, factor);
}

static json_t *login_radius_challenge(struct login_ctx *lc, const struct auth_result *res)
{
	struct challenge c = {.kind = CHALLENGE_RADIUS, .round = lc->round + 1};

	login_audit(lc->r, res->user, "challenge", res->method, FACTOR_RADIUS, res->detail);
	if (lc->round >= LOGIN_MAX_ROUNDS) {
		auth_note(lc->r->ctx->auth, res->user, res->source, false);
		return api_json_error(API_E_AUTH_FAILED, "login refused: more than %d challenges", LOGIN_MAX_ROUNDS);
	}
	snprintf(c.user, sizeof(c.user), "%s", res->user);
	snprintf(c.source, sizeof(c.source), "%s", res->source);
	c.radius = res->challenge;
	return login_challenge(lc->r, &c, lc->mfa_capable);
}

static void login_done(const struct auth_result *res, void *arg)
{
	struct login_ctx *lc = arg;
	struct api_req *r = lc->r;
	const char *factor = lc->answering ? FACTOR_RADIUS : NULL;
	json_t *reply;

	switch (res->outcome) {
	case AUTH_OK:
		reply = login_accepted(lc, res);
		break;
	case AUTH_CHALLENGE:
		reply = login_radius_challenge(lc, res);
		break;
	case AUTH_FAILED:
		login_audit(r, res->user, "failed", res->method, factor, res->detail);
		reply = login_failed(r, res->user, factor);
		break;
	case AUTH_RATE_LIMITED:
		login_audit(r, res->user, "rate_limited", res->method, factor, res->detail);
		reply = api_json_error(API_E_RATE_LIMITED, "too many failed logins; try again later");
		break;
	default:
		login_audit(r, res->user, "unavailable", res->method, factor, res->detail);
		reply = api_json_error(API_E_AUTH_UNAVAILABLE, "no authentication backend answered; try again later");
		break;
	}
	free(lc);
	api_req_finish(r, reply);
}

static json_t *login_start_error(int ret)
{
	if (ret == -EINVAL)
		return api_json_error(API_E_BAD_REQUEST,
				      "argument \"user\", \"password\" or \"response\" is empty, too long or holds "
				      "control characters");
	if (ret == -EBUSY)
		return api_json_error(API_E_AUTH_UNAVAILABLE, "too many logins in progress; try again later");
	return api_json_error(API_E_INTERNAL, "cannot start authentication: %s", strerror(-ret));
}

/* A TOTP code for a parked login: checked here, on the loop thread (one HMAC per step). */
static json_t *login_answer_totp(struct api_req *r, const struct challenge *c, const char *code)
{
	int ret = r->ctx->mfa != NULL ? mfa_check(r->ctx->mfa, c->user, code, api_now(r->ctx)) : -ENOENT;

	if (ret != 0) {
		auth_note(r->ctx->auth, c->user, c->source, false);
		login_audit(r, c->user, "failed", c->method, FACTOR_TOTP,
			    ret == -EKEYREJECTED ? "totp: wrong, replayed or expired code" : strerror(-ret));
		return login_failed(r, c->user, FACTOR_TOTP);
	}
	auth_note(r->ctx->auth, c->user, c->source, true);
	login_audit(r, c->user, "ok", c->method, FACTOR_TOTP, "totp: code accepted");
	api_req_authenticated(r);
	return login_token(r, c->user, c->groups, c->n_groups, FACTOR_TOTP);
}

/* The second request of a login: the answer to a parked challenge. */
static json_t *login_answer(struct api_req *r, const char *user, const char *id, const char *source)
{
	struct login_ctx *lc;
	struct challenge c;
	const char *response;
	json_t *err = NULL;
	int ret;

	if (api_arg_string(r->args, "response", &response, &err) != 0)
		return err;
	if (!auth_allowed(r->ctx->auth, user, source)) {
		login_audit(r, user, "rate_limited", NULL, "challenge", "rate limited (user or source)");
		return api_json_error(API_E_RATE_LIMITED, "too many failed logins; try again later");
	}
	ret = r->ctx->challenges != NULL ? challenge_take(r->ctx->challenges, api_now(r->ctx), id, user, source, &c)
					 : -ENOENT;
	if (ret != 0) {
		/* Guessing ids costs like guessing passwords. */
		auth_note(r->ctx->auth, user, source, false);
		snmp_notify_auth_failure_factor(r->ctx->snmp, user, source, "challenge");
		login_audit(r, user, "failed", NULL, "challenge",
			    ret == -EPERM ? "challenge of another user or source" : "no such challenge");
		return api_json_error(API_E_AUTH_FAILED,
				      "login refused: the challenge expired, was answered already or is not "
				      "yours; log in again");
	}
	if (c.kind == CHALLENGE_TOTP)
		return login_answer_totp(r, &c, response);
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL)
		return api_json_error(API_E_INTERNAL, "out of memory");
	*lc = (struct login_ctx){.r = r, .round = c.round, .mfa_capable = true, .answering = true};
	ret = auth_continue(r->ctx->auth, c.user, response, &c.radius, source, login_done, lc);
	explicit_bzero(&c, sizeof(c));
	if (ret != 0) {
		free(lc);
		return login_start_error(ret);
	}
	return NULL;
}

json_t *api_op_login(struct api_req *r)
{
	const char *user, *password, *id;
	char source[SPG_ADDR_STRLEN];
	struct login_ctx *lc;
	json_t *err = NULL;
	bool capable = false;
	int ret;

	if (api_arg_string(r->args, "user", &user, &err) != 0 ||
	    api_arg_string_opt(r->args, "challenge", &id, &err) != 0 ||
	    api_arg_bool_opt(r->args, "mfa", &capable, &err) != 0)
		return err;
	if (id == NULL && api_arg_string(r->args, "password", &password, &err) != 0)
		return err;
	if (r->ctx->auth == NULL || r->ctx->tokens == NULL)
		return api_json_error(API_E_AUTH_UNAVAILABLE, "authentication is not configured");
	spg_addr_str(r->peer->addr, source);
	if (id != NULL)
		return login_answer(r, user, id, source);
	lc = calloc(1, sizeof(*lc));
	if (lc == NULL)
		return api_json_error(API_E_INTERNAL, "out of memory");
	*lc = (struct login_ctx){.r = r, .mfa_capable = capable};
	if (login_needs_totp(r, user))
		ret = auth_start_mfa(r->ctx->auth, user, password, source, login_done, lc);
	else
		ret = auth_start(r->ctx->auth, user, password, source, login_done, lc);
	if (ret != 0) {
		free(lc);
		return login_start_error(ret);
	}
	return NULL;
}
