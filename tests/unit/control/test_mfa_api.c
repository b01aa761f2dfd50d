/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The second factor through the API (issue 16), with the real authenticator (local method),
 * the TOTP factors and the challenge table: login's challenge, step-up at connect and the
 * auth.mfa: required gate. The attacks first: a password alone, an old client, another
 * login's challenge id, a replayed code, guessing codes, re-enrolling over a factor, a
 * connect that skips the step-up.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "api/json.h"
#include "api/ops.h"
#include "auth/auth.h"
#include "auth/challenge.h"
#include "auth/mfa.h"
#include "auth/passwd.h"
#include "config.h"
#include "ctl_test.h"
#include "store/inventory_store.h"
#include "token.h"

#define T0 1700000010

static char dir[64], db[512];
static struct store *st;
static struct token_key *tokens;
static struct ctl_config cfg;
static struct api_ctx ctx;
static struct event_base *base;
static json_t *last;
static int64_t now_s = T0;
static char alice_hash[PASSWD_HASH_MAX];
static char secret_b32[TOTP_BASE32_MAX];
static const uint8_t seal_key[32] = {7};

/* Each test logs in from an address of its own: failures count per source too. */
static struct api_peer ws = {.transport = API_TRANSPORT_TLS, .addr = 0x0a6433c6, .name = "198.51.100.10:5000"};
static const struct api_peer other_ws = {.transport = API_TRANSPORT_TLS, .addr = 0x0b6433c6,
					 .name = "198.51.100.11:5000"};
static const struct api_peer operator_peer = {.transport = API_TRANSPORT_UNIX, .uid = 0, .name = "uid 0 pid 1"};

static int64_t fake_now(void)
{
	return now_s;
}

/* alice and bob have the local password "<name>-pw", in storage-eu. */
static int lookup(void *arg, const char *user, char *hash, size_t hashlen, char groups[][AUTH_NAME_MAX],
		  unsigned *n_groups, unsigned max_groups)
{
	(void)arg;
	(void)max_groups;
	if (strcmp(user, "alice") != 0 && strcmp(user, "bob") != 0)
		return -ENOENT;
	if (strcmp(user, "bob") == 0 && passwd_hash("bob-pw", hash, hashlen) < 0)
		return -EIO;
	if (strcmp(user, "alice") == 0)
		snprintf(hash, hashlen, "%s", alice_hash);
	snprintf(groups[0], AUTH_NAME_MAX, "storage-eu");
	*n_groups = 1;
	return 0;
}

static void keep_reply(json_t *reply, void *arg)
{
	(void)arg;
	json_decref(last);
	last = reply;
}

/* Sends line as peer and runs the loop until the reply (bounded: 10 s). */
static json_t *call(const struct api_peer *peer, const char *line)
{
	int i;

	json_decref(last);
	last = NULL;
	api_ops_handle(&ctx, peer, line, strlen(line), keep_reply, NULL);
	for (i = 0; last == NULL && i < 1000; i++) {
		struct timeval tv = {0, 10000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	return last;
}

static bool is_ok(const json_t *r)
{
	return json_is_true(json_object_get(r, "ok"));
}

static const char *error_of(const json_t *r)
{
	const char *e = json_string_value(json_object_get(r, "error"));

	return e != NULL ? e : "(none)";
}

static const char *challenge_id(const json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "challenge"), "id"));
}

/* The code alice's phone shows at now_s (the factor enrolled in setup); 0 or -errno. */
static int phone_code(char code[TOTP_MAX_DIGITS + 1])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned acc = 0, bits = 0;
	uint8_t raw[64];
	size_t n = 0;
	const char *s;

	for (s = secret_b32; *s; s++) {
		acc = (acc << 5) | (unsigned)(strchr(alphabet, *s) - alphabet);
		bits += 5;
		if (bits >= 8) {
			raw[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return totp_code(raw, n, TOTP_SHA1, (uint64_t)now_s / TOTP_STEP_S, 6, code);
}

static void phone(char code[TOTP_MAX_DIGITS + 1])
{
	CU_ASSERT_EQUAL_FATAL(phone_code(code), 0);
}

/* The next test's address: 198.51.100.20, .21, ... */
static void new_source(void)
{
	static unsigned n = 20;

	ws.addr = htonl(0xc6336400u + n++);
}

static json_t *login(const struct api_peer *peer, const char *user, const char *pw)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"op\":\"login\",\"user\":\"%s\",\"password\":\"%s\",\"mfa\":true}", user, pw);
	return call(peer, line);
}

static json_t *answer(const struct api_peer *peer, const char *user, const char *id, const char *code)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"op\":\"login\",\"user\":\"%s\",\"challenge\":\"%s\",\"response\":\"%s\"}",
		 user, id != NULL ? id : "", code);
	return call(peer, line);
}

/* Logs alice in with her password and the current code; returns her token (static). */
static const char *alice_token(void)
{
	static char token[TOKEN_MAX_LEN];
	char id[CHALLENGE_ID_LEN + 1], code[TOTP_MAX_DIGITS + 1];
	json_t *r;

	now_s += TOTP_STEP_S; /* a step of its own: each code is good once */
	r = login(&ws, "alice", "alice-pw");
	CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_id(r));
	snprintf(id, sizeof(id), "%s", challenge_id(r));
	phone(code);
	r = answer(&ws, "alice", id, code);
	CU_ASSERT_TRUE_FATAL(is_ok(r));
	snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(r, "token")));
	return token;
}

static json_t *with_token(const char *token, const char *fields)
{
	char line[TOKEN_MAX_LEN + 512];

	snprintf(line, sizeof(line), "{\"token\":\"%s\",%s}", token, fields);
	return call(&ws, line);
}

static void a_password_alone_gives_an_enrolled_user_no_token(void)
{
	json_t *r = login(&ws, "alice", "alice-pw");

	CU_ASSERT_TRUE(is_ok(r));
	CU_ASSERT_PTR_NULL(json_object_get(r, "token"));
	CU_ASSERT_PTR_NOT_NULL(challenge_id(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(r, "challenge"), "factor")), "totp");
}

static void an_old_client_is_told_to_upgrade(void)
{
	json_t *r = call(&ws, "{\"op\":\"login\",\"user\":\"alice\",\"password\":\"alice-pw\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_UPGRADE);
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(r, "message")), "upgrade spgatectl"));
}

static void a_challenge_answered_for_another_user_or_from_elsewhere_is_refused(void)
{
	char id[CHALLENGE_ID_LEN + 1], code[TOTP_MAX_DIGITS + 1];
	json_t *r;

	new_source();

	now_s += TOTP_STEP_S;
	phone(code);
	r = login(&ws, "alice", "alice-pw");
	snprintf(id, sizeof(id), "%s", challenge_id(r));
	CU_ASSERT_STRING_EQUAL(error_of(answer(&ws, "bob", id, code)), API_E_AUTH_FAILED);
	/* gone: even alice cannot use it now */
	CU_ASSERT_STRING_EQUAL(error_of(answer(&ws, "alice", id, code)), API_E_AUTH_FAILED);
	r = login(&ws, "alice", "alice-pw");
	snprintf(id, sizeof(id), "%s", challenge_id(r));
	CU_ASSERT_STRING_EQUAL(error_of(answer(&other_ws, "alice", id, code)), API_E_AUTH_FAILED);
	CU_ASSERT_STRING_EQUAL(error_of(answer(&ws, "alice", "00000000000000000000000000000000", code)),
			       API_E_AUTH_FAILED);
	auth_note(ctx.auth, "alice", NULL, true);
	auth_note(ctx.auth, "bob", NULL, true);
}

static void a_code_that_logged_in_once_does_not_log_in_again(void)
{
	char id[CHALLENGE_ID_LEN + 1], code[TOTP_MAX_DIGITS + 1];
	json_t *r;

	new_source();

	now_s += TOTP_STEP_S;
	phone(code);
	r = login(&ws, "alice", "alice-pw");
	snprintf(id, sizeof(id), "%s", challenge_id(r));
	r = answer(&ws, "alice", id, code);
	CU_ASSERT_TRUE(is_ok(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "second_factor")), "totp");
	r = login(&ws, "alice", "alice-pw");
	snprintf(id, sizeof(id), "%s", challenge_id(r));
	CU_ASSERT_STRING_EQUAL(error_of(answer(&ws, "alice", id, code)), API_E_AUTH_FAILED);
	auth_note(ctx.auth, "alice", NULL, true);
}

/* max_failures is 3: three wrong codes, each after the right password, lock alice out. */
static void wrong_codes_count_like_wrong_passwords_and_the_password_clears_none(void)
{
	char id[CHALLENGE_ID_LEN + 1];
	json_t *r;
	int i;

	new_source();

	for (i = 0; i < 3; i++) {
		r = login(&ws, "alice", "alice-pw");
		CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_id(r));
		snprintf(id, sizeof(id), "%s", challenge_id(r));
		CU_ASSERT_STRING_EQUAL(error_of(answer(&ws, "alice", id, "000000")), API_E_AUTH_FAILED);
	}
	CU_ASSERT_STRING_EQUAL(error_of(login(&ws, "alice", "alice-pw")), API_E_RATE_LIMITED);
	auth_note(ctx.auth, "alice", NULL, true);
}

static void an_engineer_cannot_enrol_over_a_factor_but_an_operator_can_reset_it(void)
{
	json_t *r;

	new_source();
	r = with_token(alice_token(), "\"op\":\"mfa_enroll\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_FORBIDDEN);
	r = call(&operator_peer, "{\"op\":\"mfa_reset\",\"user\":\"bob\"}");
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_NOT_FOUND);
}

/* bob, enrolled nowhere, under auth.mfa: required, may only enrol. */
static void under_required_a_login_without_a_factor_may_only_enrol(void)
{
	char token[TOKEN_MAX_LEN];
	json_t *r;

	new_source();

	cfg.auth.mfa = CTL_MFA_REQUIRED;
	r = login(&ws, "bob", "bob-pw");
	CU_ASSERT_TRUE_FATAL(is_ok(r));
	CU_ASSERT_TRUE(json_is_null(json_object_get(r, "second_factor")));
	snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(r, "token")));
	CU_ASSERT_STRING_EQUAL(error_of(with_token(token, "\"op\":\"search\",\"query\":\"CK\"")), API_E_MFA_REQUIRED);
	CU_ASSERT_TRUE(is_ok(with_token(token, "\"op\":\"whoami\"")));
	r = with_token(token, "\"op\":\"mfa_enroll\"");
	CU_ASSERT_TRUE_FATAL(is_ok(r));
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(r, "uri")), "otpauth://totp/spgate:bob?"));
	CU_ASSERT_STRING_EQUAL(error_of(with_token(token, "\"op\":\"mfa_verify\",\"code\":\"000000\"")),
			       API_E_AUTH_FAILED);
	mfa_reset(ctx.mfa, "bob");
	cfg.auth.mfa = CTL_MFA_OPTIONAL;
	auth_note(ctx.auth, "bob", NULL, true);
}

/* A request for api_step_up as alice with a token of this second-factor age. */
static json_t *step_up(int64_t mfa_age, const char *otp)
{
	struct api_req r = {.ctx = &ctx, .peer = &ws, .op = "connect"};
	json_t *out;

	r.args = otp != NULL ? json_pack("{s:s,s:s}", "op", "connect", "otp", otp) : json_pack("{s:s}", "op", "connect");
	r.who.role = API_ROLE_ENGINEER;
	snprintf(r.who.user, sizeof(r.who.user), "alice");
	snprintf(r.who.groups[0], sizeof(r.who.groups[0]), "storage-eu");
	r.who.group_ptrs[0] = r.who.groups[0];
	r.who.n_groups = 1;
	r.who.mfa_at = mfa_age < 0 ? 0 : now_s - mfa_age;
	snprintf(r.who.mfa_factor, sizeof(r.who.mfa_factor), "%s", mfa_age < 0 ? "" : "totp");
	out = api_step_up(&r, "CK2001");
	json_decref(r.args);
	json_decref(last);
	last = out;
	return out;
}

static void a_customer_requiring_mfa_wants_a_fresh_code_at_connect(void)
{
	char code[TOTP_MAX_DIGITS + 1];
	json_t *r;

	new_source();

	now_s += TOTP_STEP_S;
	/* acme has mfa: required (setup); CK2001 is acme's */
	r = step_up(cfg.auth.mfa_max_age + 1, NULL);
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_MFA_STEP_UP);
	CU_ASSERT_STRING_EQUAL(error_of(step_up(-1, NULL)), API_E_MFA_STEP_UP);
	CU_ASSERT_STRING_EQUAL(error_of(step_up(cfg.auth.mfa_max_age + 1, "123")), API_E_AUTH_FAILED);
	CU_ASSERT_PTR_NULL(step_up(cfg.auth.mfa_max_age - 1, NULL));
	CU_ASSERT_STRING_EQUAL(error_of(step_up(cfg.auth.mfa_max_age, NULL)), API_E_MFA_STEP_UP);
	phone(code);
	CU_ASSERT_PTR_NULL(step_up(cfg.auth.mfa_max_age + 1, code));
	/* the same code a second time: used */
	CU_ASSERT_STRING_EQUAL(error_of(step_up(cfg.auth.mfa_max_age + 1, code)), API_E_AUTH_FAILED);
	auth_note(ctx.auth, "alice", NULL, true);
}

static void with_auth_mfa_off_nothing_is_asked(void)
{
	json_t *r;

	cfg.auth.mfa = CTL_MFA_OFF;
	r = login(&ws, "alice", "alice-pw");
	CU_ASSERT_PTR_NOT_NULL(json_object_get(r, "token"));
	CU_ASSERT_PTR_NULL(step_up(-1, NULL));
	cfg.auth.mfa = CTL_MFA_OPTIONAL;
}

static int setup(void)
{
	struct auth_config ac = {.methods = {AUTH_METHOD_LOCAL}, .n_methods = 1, .max_failures = 3, .window_s = 600};
	char uri[MFA_URI_MAX], code[TOTP_MAX_DIGITS + 1];
	struct store_customer c;

	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	if (ctl_test_load_sample(st) < 0 || store_customer_get(st, "acme", &c) < 0)
		return 1;
	c.mfa_required = true;
	if (store_customer_put(st, &c) < 0 || passwd_hash("alice-pw", alice_hash, sizeof(alice_hash)) < 0)
		return 1;
	ctl_config_defaults(&cfg);
	tokens = token_key_from_bytes((const uint8_t[TOKEN_KEY_LEN]){1});
	base = event_base_new();
	ctx = (struct api_ctx){.cfg = &cfg, .store = st, .tokens = tokens, .now = fake_now};
	ctx.auth = auth_create(base, &ac, lookup, NULL);
	ctx.mfa = mfa_create_with_key(st, seal_key);
	ctx.challenges = challenge_table_new();
	if (ctx.auth == NULL || ctx.mfa == NULL || ctx.challenges == NULL)
		return 1;
	if (mfa_enroll(ctx.mfa, "alice", TOTP_SHA1, now_s, uri, sizeof(uri), secret_b32) < 0)
		return 1;
	return phone_code(code) < 0 || mfa_confirm(ctx.mfa, "alice", code, now_s) < 0;
}

static int teardown(void)
{
	json_decref(last);
	auth_free(ctx.auth);
	mfa_free(ctx.mfa);
	challenge_table_free(ctx.challenges);
	token_key_free(tokens);
	event_base_free(base);
	store_close(st);
	ctl_test_rmdir(dir);
	return 0;
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(a_password_alone_gives_an_enrolled_user_no_token),
		T(an_old_client_is_told_to_upgrade),
		T(a_challenge_answered_for_another_user_or_from_elsewhere_is_refused),
		T(a_code_that_logged_in_once_does_not_log_in_again),
		T(wrong_codes_count_like_wrong_passwords_and_the_password_clears_none),
		T(an_engineer_cannot_enrol_over_a_factor_but_an_operator_can_reset_it),
		T(under_required_a_login_without_a_factor_may_only_enrol),
		T(a_customer_requiring_mfa_wants_a_fresh_code_at_connect),
		T(with_auth_mfa_off_nothing_is_asked),
#undef T
		{NULL, NULL},
	};

	return unit_run("mfa_api", cases, setup, teardown);
}
