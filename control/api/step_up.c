/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Step-up at connect (issue 16): a customer with `mfa: required` in the inventory is reached
 * only by a login whose second factor is younger than auth.mfa_max_age, or with a fresh TOTP
 * code given with the connect ("otp"). The age comes from the token, which the server
 * signed: a client that claims a fresh factor, or skips the question, gets nothing.
 *
 * Checked only for systems the caller may reach: anyone else gets connect's usual refusal
 * and learns nothing of the customer's policy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "api/json.h"
#include "api/ops.h"
#include "auth/auth.h"
#include "auth/mfa.h"
#include "search.h"
#include "snmp/snmp.h"
#include "store/inventory_store.h"

/* Whether serial's customer requires MFA and the caller may reach it. 1, 0 or -errno. */
static int step_up_wanted(struct api_req *r, const char *serial)
{
	struct search_caller who = {r->who.user, r->who.group_ptrs, r->who.n_groups, r->who.privileged};
	struct store_customer c;
	struct store_system s;
	int ret;

	ret = store_system_get(r->ctx->store, serial, &s);
	if (ret == -ENOENT)
		return 0;
	if (ret == 0)
		ret = search_may_access(r->ctx->store, &who, serial);
	if (ret <= 0)
		return ret == -ENOENT ? 0 : ret;
	ret = store_customer_get(r->ctx->store, s.customer, &c);
	if (ret < 0)
		return ret;
	return c.mfa_required;
}

static void step_up_audit(struct api_req *r, const char *serial, const char *result, const char *why)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "{\"factor\":\"totp\",\"why\":\"%s\"}", why);
	api_audit(r, "step_up", serial, result, detail);
}

/* A code given with the connect: one TOTP check, rate limited like a login. */
static json_t *step_up_check(struct api_req *r, const char *serial, const char *code)
{
	char source[SPG_ADDR_STRLEN];
	int ret;

	spg_addr_str(r->peer->addr, source);
	if (!auth_allowed(r->ctx->auth, r->who.user, source)) {
		step_up_audit(r, serial, "rate_limited", "rate limited (user or source)");
		return api_json_error(API_E_RATE_LIMITED, "too many failed attempts; try again later");
	}
	ret = r->ctx->mfa != NULL ? mfa_check(r->ctx->mfa, r->who.user, code, api_now(r->ctx)) : -ENOENT;
	auth_note(r->ctx->auth, r->who.user, source, ret == 0);
	if (ret == 0) {
		step_up_audit(r, serial, "ok", "fresh code");
		return NULL;
	}
	step_up_audit(r, serial, "failed", ret == -EKEYREJECTED || ret == -EINVAL ? "wrong, replayed or expired code"
										: strerror(-ret));
	snmp_notify_auth_failure_factor(r->ctx->snmp, r->who.user, source, "totp");
	return api_json_error(API_E_AUTH_FAILED, "step-up refused: wrong or expired code");
}

json_t *api_step_up(struct api_req *r, const char *serial)
{
	const struct ctl_config *cfg = r->ctx->cfg;
	int64_t age = api_now(r->ctx) - r->who.mfa_at;
	const char *code;
	json_t *err = NULL;
	int ret;

	if (r->who.role != API_ROLE_ENGINEER || cfg->auth.mfa == CTL_MFA_OFF)
		return NULL;
	ret = step_up_wanted(r, serial);
	if (ret < 0)
		return api_json_error(API_E_INTERNAL, "cannot read %s's customer: %s", serial, strerror(-ret));
	/* Younger than mfa_max_age; 0 asks a fresh code at every connect. */
	if (ret == 0 || (r->who.mfa_at > 0 && age >= 0 && age < (int64_t)cfg->auth.mfa_max_age))
		return NULL;
	if (api_arg_string_opt(r->args, "otp", &code, &err) != 0)
		return err;
	if (code != NULL)
		return step_up_check(r, serial, code);
	ret = r->ctx->mfa != NULL ? mfa_enrolled(r->ctx->mfa, r->who.user) : 0;
	if (ret > 0) {
		step_up_audit(r, serial, "asked", r->who.mfa_at ? "second factor too old" : "no second factor");
		return api_json_error(API_E_MFA_STEP_UP,
				      "%s's customer requires a second factor from the last %u s: give a fresh code "
				      "(spgatectl connect asks for it; upgrade spgatectl if it did not)",
				      serial, cfg->auth.mfa_max_age);
	}
	step_up_audit(r, serial, "forbidden", r->who.mfa_at ? "second factor too old" : "no second factor");
	if (r->who.mfa_at > 0)
		return api_json_error(API_E_FORBIDDEN,
				      "%s's customer requires a second factor from the last %u s: log in again "
				      "(your RADIUS server asks for a fresh code)",
				      serial, cfg->auth.mfa_max_age);
	return api_json_error(API_E_FORBIDDEN,
			      "%s's customer requires a second factor: enrol one (spgatectl mfa enroll), then log in again",
			      serial);
}

/*
 * The approver's side (issue 18): a customer with `mfa: required` is decided for (approve) and
 * its recordings exported only by an approver whose login passed a second factor, on the
 * console as with spgatectl. Operators on the socket are who the socket says.
 */
json_t *api_approver_factor(struct api_req *r, const char *customer, const char *what)
{
	struct store_customer c;
	char detail[160];
	int ret;

	if (r->who.role != API_ROLE_ENGINEER || r->who.mfa_at > 0)
		return NULL;
	ret = store_customer_get(r->ctx->store, customer, &c);
	if (ret == -ENOENT || (ret == 0 && !c.mfa_required))
		return NULL;
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot read customer %s: %s", customer, strerror(-ret));
	snprintf(detail, sizeof(detail), "{\"factor\":\"none\",\"why\":\"%s without a second factor\"}", what);
	api_audit(r, what, customer, "forbidden", detail);
	return api_json_error(API_E_FORBIDDEN,
			      "%s requires a second factor: log in with one to %s (enrol a factor with spgatectl mfa "
			      "enroll, or use a RADIUS account that asks for a code)",
			      customer, what);
}
