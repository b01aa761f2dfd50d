/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who sees what in the web console, decided by the API's ops (control/web/handlers.c calls
 * them): a customer's approver lists only the sessions and recordings of the customers they
 * approve for, exports only those recordings, and approves nothing of another customer's; the
 * console's operator role is granted only to a token of a privileged group.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "api/ops.h"
#include "approval.h"
#include "ctl_test.h"
#include "store/recording_store.h"
#include "token.h"

#define NOW 1700000000

static char dir[64], db[128], recfile[128];
static struct store *st;
static struct token_key *tokens;
static struct ctl_config cfg;
static struct api_ctx ctx;
static json_t *last;
static int64_t globex_session, acme_session, globex_rec;
static int64_t login_mfa_at; /* the next tokens' second factor (0: none) */

static const struct api_peer web_peer = {.transport = API_TRANSPORT_TLS, .addr = 0x0a6433c6, .name = "web"};
static const struct api_peer web_operator_peer = {
	.transport = API_TRANSPORT_TLS, .addr = 0x0a6433c6, .name = "web", .web_operator = true};

static int64_t fake_now(void)
{
	return NOW;
}

static void keep_reply(json_t *reply, void *arg)
{
	(void)arg;
	json_decref(last);
	last = reply;
}

/* op with fields as user (groups comma-separated), from peer; the reply. */
static json_t *as(const struct api_peer *peer, const char *user, const char *groups, const char *fields)
{
	char g[4][TOKEN_NAME_MAX], token[TOKEN_MAX_LEN], line[TOKEN_MAX_LEN + 512];
	unsigned n = 0;
	const char *p = groups;

	while (*p != '\0' && n < 4) {
		size_t len = strcspn(p, ",");

		snprintf(g[n++], TOKEN_NAME_MAX, "%.*s", (int)len, p);
		p += len + (p[len] == ',');
	}
	CU_ASSERT_EQUAL_FATAL(token_issue_mfa(tokens, user, g, n, 600, NOW, login_mfa_at,
					      login_mfa_at ? "totp" : NULL, token, sizeof(token)), 0);
	snprintf(line, sizeof(line), "{\"token\":\"%s\",%s}", token, fields);
	json_decref(last);
	last = NULL;
	api_ops_handle(&ctx, peer, line, strlen(line), keep_reply, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	return last;
}

static bool is_ok(const json_t *reply)
{
	return json_is_true(json_object_get(reply, "ok"));
}

static const char *error_of(const json_t *reply)
{
	const char *e = json_string_value(json_object_get(reply, "error"));

	return e != NULL ? e : "(none)";
}

/* The serials of a list reply's key ("sessions", "recordings"), comma-separated. */
static const char *serials(const json_t *reply, const char *key, char *buf, size_t len)
{
	const json_t *list = json_object_get(reply, key);
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < json_array_size(list) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? "," : "",
					json_string_value(json_object_get(json_array_get(list, i), "serial")));
	return buf;
}

static int64_t session(const char *serial, const char *customer, const char *user)
{
	struct store_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.serial, sizeof(s.serial), "%s", serial);
	snprintf(s.customer, sizeof(s.customer), "%s", customer);
	snprintf(s.user, sizeof(s.user), "%s", user);
	s.state = STORE_SESSION_AWAITING_APPROVAL;
	s.created = s.updated = NOW;
	if (store_session_create(st, &s) != 0 || approval_request(st, s.id, NOW + 300) != 0)
		abort();
	return s.id;
}

static void an_approver_lists_only_their_customers_sessions(void)
{
	char buf[256];

	as(&web_peer, "gina", "globex-approvers", "\"op\":\"sessions\",\"approvable\":true");
	CU_ASSERT_TRUE(is_ok(last));
	CU_ASSERT_STRING_EQUAL(serials(last, "sessions", buf, sizeof(buf)), "CK3001");
	as(&web_peer, "ada", "acme-approvers", "\"op\":\"sessions\",\"approvable\":true");
	CU_ASSERT_STRING_EQUAL(serials(last, "sessions", buf, sizeof(buf)), "CK2001");
	/* an engineer who approves for nobody sees nobody's through this scope */
	as(&web_peer, "bob", "storage-globex", "\"op\":\"sessions\",\"approvable\":true");
	CU_ASSERT_STRING_EQUAL(serials(last, "sessions", buf, sizeof(buf)), "");
	/* approvable cannot be combined into everybody's: all is ignored with it */
	as(&web_peer, "ada", "acme-approvers", "\"op\":\"sessions\",\"approvable\":true,\"all\":true");
	CU_ASSERT_STRING_EQUAL(serials(last, "sessions", buf, sizeof(buf)), "CK2001");
}

/* approve and deny decide with approval_check_decider (the op needs the session manager,
 * which test_web.sh runs for real): the same verdicts the console's approvers get */
static void an_approver_of_another_customer_cannot_decide(void)
{
	const char *ada_groups[] = {"acme-approvers"}, *gina_groups[] = {"globex-approvers"};
	const char *bob_groups[] = {"storage-globex", "globex-approvers"};
	struct approval_decider ada = {"ada", ada_groups, 1, false}, gina = {"gina", gina_groups, 1, false};
	struct approval_decider bob = {"bob", bob_groups, 2, false};

	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &ada, globex_session, true), APPROVAL_NOT_APPROVER);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &ada, globex_session, false), APPROVAL_NOT_APPROVER);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &gina, acme_session, true), APPROVAL_NOT_APPROVER);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &gina, globex_session, true), APPROVAL_MAY);
	/* the requester never approves their own, whatever groups they hold (four eyes) */
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &bob, globex_session, true), APPROVAL_SELF);
}

static void an_approver_lists_and_exports_only_their_customers_recordings(void)
{
	char buf[256], fields[96];

	as(&web_peer, "ada", "acme-approvers", "\"op\":\"recordings\",\"approvable\":true");
	CU_ASSERT_STRING_EQUAL(serials(last, "recordings", buf, sizeof(buf)), "");
	as(&web_peer, "gina", "globex-approvers", "\"op\":\"recordings\",\"approvable\":true");
	CU_ASSERT_STRING_EQUAL(serials(last, "recordings", buf, sizeof(buf)), "CK3001");
	snprintf(fields, sizeof(fields), "\"op\":\"recording_export\",\"id\":%lld", (long long)globex_rec);
	as(&web_peer, "ada", "acme-approvers", fields);
	CU_ASSERT_STRING_EQUAL(error_of(last), "not_found");
	as(&web_peer, "gina", "globex-approvers", fields);
	CU_ASSERT_TRUE(is_ok(last));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(last, "data")), "c2VhbGVk"); /* "sealed" */
}

/* issue 18: the customer requires a second factor, of its approvers too */
static void an_approver_of_an_mfa_customer_needs_a_second_factor(void)
{
	struct store_customer globex;
	char fields[96];

	CU_ASSERT_EQUAL_FATAL(store_customer_get(st, "globex", &globex), 0);
	globex.mfa_required = true;
	CU_ASSERT_EQUAL_FATAL(store_customer_put(st, &globex), 0);
	snprintf(fields, sizeof(fields), "\"op\":\"recording_export\",\"id\":%lld", (long long)globex_rec);
	as(&web_peer, "gina", "globex-approvers", fields);
	CU_ASSERT_STRING_EQUAL(error_of(last), "forbidden");
	CU_ASSERT_PTR_NOT_NULL(strstr(json_string_value(json_object_get(last, "message")), "requires a second factor"));
	login_mfa_at = NOW - 60;
	as(&web_peer, "gina", "globex-approvers", fields);
	CU_ASSERT_TRUE(is_ok(last));
	login_mfa_at = 0;
	globex.mfa_required = false;
	CU_ASSERT_EQUAL_FATAL(store_customer_put(st, &globex), 0);
}

static void the_consoles_operator_role_needs_a_privileged_group(void)
{
	as(&web_operator_peer, "gina", "globex-approvers", "\"op\":\"audit\"");
	CU_ASSERT_STRING_EQUAL(error_of(last), "forbidden");
	as(&web_peer, "carol", "support-admins", "\"op\":\"audit\"");
	CU_ASSERT_STRING_EQUAL(error_of(last), "forbidden"); /* not without asking for it */
	as(&web_operator_peer, "carol", "support-admins", "\"op\":\"audit\"");
	CU_ASSERT_TRUE(is_ok(last));
	as(&web_operator_peer, "carol", "support-admins", "\"op\":\"whoami\"");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(last, "role")), "operator");
}

static int setup(void)
{
	uint8_t key[TOKEN_KEY_LEN] = {1, 2, 3};
	struct store_customer acme;
	struct store_recording rec = {0};
	int fd;

	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	if (ctl_test_load_sample(st) != 0 || store_customer_get(st, "acme", &acme) != 0)
		return -1;
	snprintf(acme.approvers, sizeof(acme.approvers), "acme-approvers");
	if (store_customer_put(st, &acme) != 0)
		return -1;
	tokens = token_key_from_bytes(key);
	ctl_config_defaults(&cfg);
	ctx = (struct api_ctx){.cfg = &cfg, .store = st, .tokens = tokens, .now = fake_now};
	globex_session = session("CK3001", "globex", "bob");
	acme_session = session("CK2001", "acme", "alice");
	snprintf(recfile, sizeof(recfile), "%s/rec.pcapng.p7m", dir);
	fd = open(recfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "sealed", 6) != 6)
		return -1;
	close(fd);
	rec.session_id = globex_session;
	snprintf(rec.path, sizeof(rec.path), "%s", recfile);
	rec.state = STORE_REC_COMPLETE;
	rec.sealed = true;
	rec.started = NOW;
	if (store_recording_create(st, &rec) != 0 || store_recording_update(st, &rec) != 0)
		return -1;
	globex_rec = rec.id;
	return tokens == NULL ? -1 : 0;
}

static int teardown(void)
{
	json_decref(last);
	token_key_free(tokens);
	store_close(st);
	ctl_test_rmdir(dir);
	return 0;
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{"an_approver_lists_only_their_customers_sessions", an_approver_lists_only_their_customers_sessions},
		{"an_approver_of_another_customer_cannot_decide", an_approver_of_another_customer_cannot_decide},
		{"an_approver_lists_and_exports_only_their_customers_recordings",
		 an_approver_lists_and_exports_only_their_customers_recordings},
		{"an_approver_of_an_mfa_customer_needs_a_second_factor", an_approver_of_an_mfa_customer_needs_a_second_factor},
		{"the_consoles_operator_role_needs_a_privileged_group", the_consoles_operator_role_needs_a_privileged_group},
		{NULL, NULL},
	};

	return ctl_test_run("web_scope", cases, setup, teardown);
}
