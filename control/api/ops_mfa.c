/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The second-factor ops (issue 16): an engineer enrols a TOTP factor (mfa_enroll, then
 * mfa_verify with a first code), an operator resets one (mfa_reset). Each is audited.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "api/json.h"
#include "api/ops.h"
#include "auth/auth.h"
#include "auth/mfa.h"

static json_t *mfa_unavailable(struct api_req *r)
{
	if (r->ctx->mfa == NULL || r->ctx->cfg->auth.mfa == CTL_MFA_OFF)
		return api_json_error(API_E_FORBIDDEN, "second factors are switched off here (auth.mfa: off)");
	return NULL;
}

json_t *api_op_mfa_enroll(struct api_req *r)
{
	char uri[MFA_URI_MAX], secret[TOTP_BASE32_MAX];
	const char *alg_name = "SHA1";
	enum totp_alg alg;
	json_t *err = NULL, *reply;
	int ret;

	if ((err = mfa_unavailable(r)) != NULL || api_arg_string_opt(r->args, "algorithm", &alg_name, &err) != 0)
		return err;
	if (alg_name == NULL)
		alg_name = "SHA1";
	if (totp_alg_parse(alg_name, &alg) < 0)
		return api_json_error(API_E_BAD_REQUEST, "argument \"algorithm\": \"%.16s\" is not SHA1 or SHA256",
				      alg_name);
	ret = mfa_enroll(r->ctx->mfa, r->who.user, alg, api_now(r->ctx), uri, sizeof(uri), secret);
	api_audit(r, "mfa_enroll", r->who.user, ret == 0 ? "pending" : "failed", NULL);
	if (ret == -EEXIST)
		return api_json_error(API_E_FORBIDDEN,
				      "%s has a second factor already; an operator must reset it first "
				      "(spgatectl --operator mfa reset %s)",
				      r->who.user, r->who.user);
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot enrol a factor: %s", strerror(-ret));
	reply = api_json_ok();
	json_object_set_new(reply, "uri", json_string(uri));
	json_object_set_new(reply, "secret", json_string(secret));
	json_object_set_new(reply, "algorithm", json_string(totp_alg_name(alg)));
	json_object_set_new(reply, "digits", json_integer(MFA_DIGITS));
	json_object_set_new(reply, "period", json_integer(TOTP_STEP_S));
	explicit_bzero(uri, sizeof(uri));
	explicit_bzero(secret, sizeof(secret));
	return reply;
}

json_t *api_op_mfa_verify(struct api_req *r)
{
	char source[SPG_ADDR_STRLEN];
	const char *code;
	json_t *err = NULL;
	int ret;

	if ((err = mfa_unavailable(r)) != NULL || api_arg_string(r->args, "code", &code, &err) != 0)
		return err;
	spg_addr_str(r->peer->addr, source);
	/* A code is a guess like a password: the same rate limits. */
	if (!auth_allowed(r->ctx->auth, r->who.user, source))
		return api_json_error(API_E_RATE_LIMITED, "too many failed attempts; try again later");
	ret = mfa_confirm(r->ctx->mfa, r->who.user, code, api_now(r->ctx));
	auth_note(r->ctx->auth, r->who.user, source, ret == 0);
	api_audit(r, "mfa_verify", r->who.user, ret == 0 ? "ok" : "failed", NULL);
	if (ret == -ENOENT)
		return api_json_error(API_E_NOT_FOUND, "no enrolment waits for a code: run spgatectl mfa enroll first");
	if (ret == -EKEYREJECTED || ret == -EINVAL)
		return api_json_error(API_E_AUTH_FAILED, "wrong code: check the authenticator's clock and try again");
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot confirm the factor: %s", strerror(-ret));
	return api_json_ok();
}

json_t *api_op_mfa_reset(struct api_req *r)
{
	const char *user;
	json_t *err = NULL, *reply;
	int ret;

	if (api_arg_string(r->args, "user", &user, &err) != 0)
		return err;
	if (user[0] == '\0' || strlen(user) >= API_NAME_MAX)
		return api_json_error(API_E_BAD_REQUEST, "argument \"user\": \"%.64s\" is not a user name", user);
	if (r->ctx->mfa == NULL)
		return api_json_error(API_E_FORBIDDEN, "second factors are not configured");
	ret = mfa_reset(r->ctx->mfa, user);
	api_audit(r, "mfa_reset", user, ret == 0 ? "ok" : ret == -ENOENT ? "none" : "failed", NULL);
	if (ret == -ENOENT)
		return api_json_error(API_E_NOT_FOUND, "%s has no second factor", user);
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot reset %s's factor: %s", user, strerror(-ret));
	reply = api_json_ok();
	json_object_set_new(reply, "user", json_string(user));
	return reply;
}
