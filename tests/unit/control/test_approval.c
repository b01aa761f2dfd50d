/* SPDX-License-Identifier: BSD-3-Clause */
/* Approval: the customer's policy, who may decide, decisions, and expiry at the deadline. */
#include <arpa/inet.h>
#include <errno.h>

#include "approval.h"
#include "ctl_test.h"

#define NOW 1700000000

static char dir[64], db[512];
static struct store *st;
static struct ctl_config cfg;

static void fresh(void)
{
	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	if (ctl_test_load_sample(st) != 0)
		abort();
	ctl_config_defaults(&cfg);
}

static void done(void)
{
	store_close(st);
	st = NULL;
	ctl_test_rmdir(dir);
}

static int64_t session(const char *serial)
{
	struct store_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.serial, sizeof(s.serial), "%s", serial);
	snprintf(s.user, sizeof(s.user), "bob");
	s.state = STORE_SESSION_AWAITING_APPROVAL;
	s.created = s.updated = NOW;
	if (store_session_create(st, &s) != 0)
		abort();
	return s.id;
}

static void the_policy_is_the_customers(void)
{
	struct store_customer initech = { .name = "initech", .policy = STORE_POLICY_DENY };
	struct store_site site = { .customer = "initech", .name = "rome", .region = "eu" };
	struct store_system sys = { .serial = "IN1", .customer = "initech", .site = "rome",
				    .connect = STORE_CONNECT_NETWORK, .address = "203.0.113.20",
				    .profile = "storage-default" };
	enum store_policy p;

	fresh();
	CU_ASSERT_EQUAL(approval_policy(st, "CK2001", &p), 0);
	CU_ASSERT_EQUAL(p, STORE_POLICY_AUTO);
	CU_ASSERT_EQUAL(approval_policy(st, "CK3001", &p), 0);
	CU_ASSERT_EQUAL(p, STORE_POLICY_ASK);
	CU_ASSERT_EQUAL_FATAL(store_customer_put(st, &initech), 0);
	CU_ASSERT_EQUAL_FATAL(store_site_put(st, &site), 0);
	CU_ASSERT_EQUAL_FATAL(store_system_put(st, &sys), 0);
	CU_ASSERT_EQUAL(approval_policy(st, "IN1", &p), 0);
	CU_ASSERT_EQUAL(p, STORE_POLICY_DENY);
	CU_ASSERT_EQUAL(approval_policy(st, "NOSUCH", &p), -ENOENT);
	done();
}

static void an_approval_before_the_deadline_is_recorded_once(void)
{
	struct store_approval a;
	int64_t id;

	fresh();
	id = session("CK3001");
	CU_ASSERT_EQUAL(approval_request(st, id, NOW + 300), 0);
	CU_ASSERT_EQUAL(approval_request(st, id, NOW + 300), -EEXIST);
	CU_ASSERT_EQUAL(approval_decide(st, id, true, "carol", NOW + 10), 0);
	CU_ASSERT_EQUAL(approval_get(st, id, &a), 0);
	CU_ASSERT_EQUAL(a.decision, STORE_APPROVAL_APPROVED);
	CU_ASSERT_STRING_EQUAL(a.decided_by, "carol");
	CU_ASSERT_EQUAL(a.decided_at, NOW + 10);
	CU_ASSERT_EQUAL(approval_decide(st, id, false, "dave", NOW + 11), -EALREADY);
	CU_ASSERT_EQUAL(approval_decide(st, 999, true, "carol", NOW), -ENOENT);
	done();
}

static void an_answer_at_or_after_the_deadline_is_too_late(void)
{
	struct store_approval a;
	int64_t id;

	fresh();
	id = session("CK3001");
	CU_ASSERT_EQUAL(approval_request(st, id, NOW + 300), 0);
	CU_ASSERT_EQUAL(approval_decide(st, id, true, "carol", NOW + 300), -ETIMEDOUT);
	CU_ASSERT_EQUAL(approval_get(st, id, &a), 0);
	CU_ASSERT_EQUAL(a.decision, STORE_APPROVAL_EXPIRED);
	CU_ASSERT_STRING_EQUAL(a.decided_by, "");
	done();
}

struct expired {
	int64_t ids[8];
	int n;
};

static void note_expired(int64_t session_id, void *arg)
{
	struct expired *e = arg;

	if (e->n < 8)
		e->ids[e->n] = session_id;
	e->n++;
}

static void pending_approvals_expire_at_their_deadline_and_no_sooner(void)
{
	struct expired e = { .n = 0 };
	struct store_approval a;
	int64_t early, late, decided, next;

	fresh();
	early = session("CK3001");
	late = session("CK3001");
	decided = session("CK3001");
	CU_ASSERT_EQUAL(approval_request(st, early, NOW + 100), 0);
	CU_ASSERT_EQUAL(approval_request(st, late, NOW + 300), 0);
	CU_ASSERT_EQUAL(approval_request(st, decided, NOW + 50), 0);
	CU_ASSERT_EQUAL(approval_decide(st, decided, false, "carol", NOW + 1), 0);
	CU_ASSERT_EQUAL(approval_next_deadline(st, &next), 1);
	CU_ASSERT_EQUAL(next, NOW + 100);
	CU_ASSERT_EQUAL(approval_expired(st, NOW + 99, note_expired, &e), 0);
	CU_ASSERT_EQUAL(e.n, 0);
	CU_ASSERT_EQUAL(approval_expired(st, NOW + 100, note_expired, &e), 1);
	CU_ASSERT_EQUAL(e.n, 1);
	CU_ASSERT_EQUAL(e.ids[0], early);
	CU_ASSERT_EQUAL(approval_get(st, early, &a), 0);
	CU_ASSERT_EQUAL(a.decision, STORE_APPROVAL_EXPIRED);
	CU_ASSERT_EQUAL(approval_get(st, decided, &a), 0);
	CU_ASSERT_EQUAL(a.decision, STORE_APPROVAL_DENIED);
	CU_ASSERT_EQUAL(approval_next_deadline(st, &next), 1);
	CU_ASSERT_EQUAL(next, NOW + 300);
	CU_ASSERT_EQUAL(approval_expired(st, NOW + 1000, NULL, NULL), 1);
	CU_ASSERT_EQUAL(approval_next_deadline(st, &next), 0);
	done();
}

static void approvers_are_the_configured_groups_and_the_customers_own(void)
{
	const char *const approvers[] = { "approvers" };
	const char *const globex_approvers[] = { "storage-eu", "globex-approvers" };
	const char *const engineers[] = { "storage-eu", "storage-globex" };
	int64_t globex, acme;

	fresh();
	globex = session("CK3001");
	acme = session("CK2001");
	CU_ASSERT(approval_may_decide(st, &cfg, approvers, 1, globex));
	CU_ASSERT(approval_may_decide(st, &cfg, approvers, 1, acme));
	CU_ASSERT(approval_may_decide(st, &cfg, globex_approvers, 2, globex));
	CU_ASSERT(!approval_may_decide(st, &cfg, globex_approvers, 2, acme));
	CU_ASSERT(!approval_may_decide(st, &cfg, engineers, 2, globex));
	CU_ASSERT(!approval_may_decide(st, &cfg, globex_approvers, 2, 999));
	cfg.sessions.n_approver_groups = 0;
	CU_ASSERT(!approval_may_decide(st, &cfg, approvers, 1, globex));
	done();
}

static void nobody_approves_their_own_request_whatever_their_groups(void)
{
	const char *const approvers[] = { "approvers", "globex-approvers" };
	struct approval_decider bob = { "bob", approvers, 2, false };
	struct approval_decider bob_operator = { "bob", NULL, 0, true };
	struct approval_decider carol = { "carol", approvers, 2, false };
	int64_t id;

	fresh();
	id = session("CK3001"); /* requested by bob */
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &bob, id, true), APPROVAL_SELF);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &bob, id, false), APPROVAL_SELF);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &bob_operator, id, true), APPROVAL_SELF);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &carol, id, true), APPROVAL_MAY);
	CU_ASSERT_EQUAL(approval_request(st, id, NOW + 300), 0);
	/* the store-level check holds even for a caller that skipped the policy */
	CU_ASSERT_EQUAL(approval_decide(st, id, true, "bob", NOW + 1), -EPERM);
	CU_ASSERT_EQUAL(approval_decide(st, id, true, "carol", NOW + 1), 0);
	done();
}

static void operators_approve_only_where_the_customer_allows_it(void)
{
	const char *const operators[] = { "operators" };
	struct store_customer globex = { .name = "globex", .policy = STORE_POLICY_ASK, .approvers = "operators" };
	struct approval_decider op = { "root", NULL, 0, true };
	struct approval_decider eng = { "dave", operators, 1, false };
	int64_t id;

	fresh();
	id = session("CK3001");
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &op, id, true), APPROVAL_OPERATORS_NOT_ALLOWED);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &op, id, false), APPROVAL_MAY);
	CU_ASSERT_EQUAL_FATAL(store_customer_put(st, &globex), 0);
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &op, id, true), APPROVAL_MAY);
	/* an engineer's group called "operators" is not the gateway's operators */
	CU_ASSERT_EQUAL(approval_check_decider(st, &cfg, &eng, id, true), APPROVAL_NOT_APPROVER);
	done();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "the_policy_is_the_customers", the_policy_is_the_customers },
		{ "an_approval_before_the_deadline_is_recorded_once",
		  an_approval_before_the_deadline_is_recorded_once },
		{ "an_answer_at_or_after_the_deadline_is_too_late",
		  an_answer_at_or_after_the_deadline_is_too_late },
		{ "pending_approvals_expire_at_their_deadline_and_no_sooner",
		  pending_approvals_expire_at_their_deadline_and_no_sooner },
		{ "approvers_are_the_configured_groups_and_the_customers_own",
		  approvers_are_the_configured_groups_and_the_customers_own },
		{ "nobody_approves_their_own_request_whatever_their_groups",
		  nobody_approves_their_own_request_whatever_their_groups },
		{ "operators_approve_only_where_the_customer_allows_it",
		  operators_approve_only_where_the_customer_allows_it },
		{ NULL, NULL },
	};

	return ctl_test_run("approval", cases, NULL, NULL);
}
