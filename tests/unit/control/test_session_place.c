/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * gateway.connect: least_loaded (issue 14 item 4): host A, asked for a connect, checks the
 * engineer and hands the session on to host B through the store (placement_store.h); B claims
 * it once, checks it again and runs it (session_place.c). Which host is chosen
 * (fleet_place.h) is a pure function of the fleet's rows, tested last. Two session managers on
 * one store play the hosts; the store's gateway.id says which host is speaking, and each test
 * calls session_mgr_recheck where B would hear a notification.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fleet_place.h"
#include "session_fixture.h"
#include "store/placement_store.h"

static struct session_mgr *host_b;

static void fleet_up(void)
{
	world_up();
	store_set_gateway_id(st, "gw-a");
	host_b = new_mgr();
}

static void fleet_down(void)
{
	session_mgr_free(host_b);
	host_b = NULL;
	world_down();
}

#define AS(id, expr)                                                                               \
	do {                                                                                       \
		store_set_gateway_id(st, id);                                                      \
		expr;                                                                              \
		store_set_gateway_id(st, "gw-a");                                                   \
	} while (0)
#define AS_B(expr) AS("gw-b", expr)

/* Host A is asked by user (in group) for serial and hands the session on to host to. */
static int64_t hand_on(const char *user, const char *group, const char *serial, const char *to)
{
	const char *groups[1] = {group};
	struct session_request req = {serial, user, groups, 1, false, htonl(0xc6336410), to};
	struct store_session s;
	struct alloc_holder h;
	const char *code = NULL;
	int ret = session_connect(mgr, &req, &s, &code, &h);

	CU_ASSERT_EQUAL_FATAL(ret, 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_AUTHORIZED);
	CU_ASSERT_STRING_EQUAL(s.owner_gateway, to);
	return s.id;
}

static int count_audited(const struct audit_record *r, void *arg)
{
	if (strcmp(r->action, "session_adopted") == 0)
		(*(int *)arg)++;
	return 0;
}

static int n_adopted(void)
{
	int n = 0;

	audit_list(st, 0, 1000, count_audited, &n);
	return n;
}

/* A host that is not the owner does nothing with a handed-on session, however it hears of it. */
static void only_the_chosen_owner_takes_on_a_handed_session(void)
{
	int64_t id;
	int rc;

	fleet_up();
	id = hand_on("alice", "storage-eu", "CK2001", "gw-b");
	/* A itself, and a third host C, hear the notification: neither runs it */
	CU_ASSERT_EQUAL(session_mgr_recheck(mgr, id), 0);
	AS("gw-c", rc = session_mgr_recheck(mgr, id));
	CU_ASSERT_EQUAL(rc, 0);
	run_loop();
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AUTHORIZED);
	CU_ASSERT_EQUAL(n_opens, 0);
	CU_ASSERT_EQUAL(n_adopted(), 0);
	fleet_down();
}

/* Neither a repeated notification, nor polling, nor a restart starts it twice. */
static void a_handed_session_is_adopted_once(void)
{
	struct session_mgr *b_again;
	int64_t id;
	int rc;

	fleet_up();
	id = hand_on("alice", "storage-eu", "CK2001", "gw-b");
	CU_ASSERT_TRUE(audited("session_handed_on"));
	AS_B(rc = session_mgr_recheck(host_b, id));
	CU_ASSERT_EQUAL(rc, 0);
	AS_B(rc = session_mgr_recheck(host_b, id));
	AS_B(session_mgr_recheck_all(host_b));
	AS_B(b_again = new_mgr(); session_mgr_recheck_all(b_again); session_mgr_recheck(b_again, id);
	     session_mgr_free(b_again));
	AS_B(run_loop()); /* B's own writes: on PostgreSQL only the owner writes its sessions */
	CU_ASSERT_EQUAL(n_adopted(), 1);
	CU_ASSERT_EQUAL(n_opens, 1);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_SP_AUTH);
	fleet_down();
}

/* Groups written to the store around A's checks (or access revoked meanwhile) are checked again. */
static void the_owner_checks_the_engineer_again(void)
{
	const char *nogroup[1] = {"no-such-group"};
	struct store_session row;
	int rc;

	fleet_up();
	memset(&row, 0, sizeof(row));
	snprintf(row.serial, sizeof(row.serial), "CK2001");
	snprintf(row.user, sizeof(row.user), "mallory");
	snprintf(row.owner_gateway, sizeof(row.owner_gateway), "gw-b");
	row.workstation = htonl(0xc6336410);
	row.state = STORE_SESSION_AUTHORIZED;
	row.created = row.updated = now_s;
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &row), 0);
	CU_ASSERT_EQUAL_FATAL(store_session_hand_on(st, row.id, "gw-a", nogroup, 1, false), 0);
	AS_B(rc = session_mgr_recheck(host_b, row.id));
	CU_ASSERT_EQUAL(rc, 0);
	run_loop();
	CU_ASSERT_EQUAL(state_of(row.id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(row.id), "may not reach system CK2001"));
	CU_ASSERT_EQUAL(n_opens, 0);
	fleet_down();
}

/* A request its owner hears of too late (it was away) is not started for nobody. */
static void a_stale_handed_request_is_not_started(void)
{
	int64_t id;
	int rc;

	fleet_up();
	id = hand_on("alice", "storage-eu", "CK2001", "gw-b");
	now_s += 31;
	AS_B(rc = session_mgr_recheck(host_b, id));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "waited 31 s"));
	CU_ASSERT_EQUAL(n_opens, 0);
	fleet_down();
}

/* Nothing was set up for an unclaimed request: a restart of its owner adopts it, not fails it. */
static void a_restarted_owner_adopts_what_was_handed_to_it(void)
{
	struct session_mgr *b_again;
	int64_t id;
	int rc;

	fleet_up();
	id = hand_on("alice", "storage-eu", "CK2001", "gw-b");
	AS_B(b_again = new_mgr(); rc = session_mgr_restore(b_again));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AUTHORIZED);
	AS_B(session_mgr_recheck_all(b_again); run_loop());
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_SP_AUTH);
	CU_ASSERT_EQUAL(n_opens, 1);
	AS_B(session_mgr_free(b_again));
	fleet_down();
}

/* The grant the owner signs lists the groups the asked host saw; approval runs on the owner. */
static void the_owner_runs_the_policy_and_grants_with_the_requesters_groups(void)
{
	struct store_session row, s;
	int64_t id;
	int rc;

	fleet_up();
	id = hand_on("bob", "storage-globex", "CK3001", "gw-b");
	AS_B(rc = session_mgr_recheck(host_b, id));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AWAITING_APPROVAL);
	/* approved on A, which notifies B: B proceeds */
	CU_ASSERT_EQUAL(session_decide(mgr, id, true, "carol", &s), 0);
	AS_B(rc = session_mgr_recheck(host_b, id); run_loop());
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_SP_AUTH);
	CU_ASSERT_EQUAL_FATAL(store_session_get(st, id, &row), 0);
	CU_ASSERT_STRING_EQUAL(row.owner_gateway, "gw-b");
	CU_ASSERT_PTR_NOT_NULL(strstr((const char *)row.grant, "\"groups\":[\"storage-globex\"]"));
	fleet_down();
}

/* A group name that could forge another in the stored list is refused at the asked host. */
static void a_group_name_with_a_newline_is_refused(void)
{
	const char *forged[1] = {"storage-eu\nsupport-admins"};
	struct store_session row;

	fleet_up();
	memset(&row, 0, sizeof(row));
	snprintf(row.serial, sizeof(row.serial), "CK2001");
	snprintf(row.user, sizeof(row.user), "alice");
	snprintf(row.owner_gateway, sizeof(row.owner_gateway), "gw-b");
	row.state = STORE_SESSION_AUTHORIZED;
	row.created = row.updated = now_s;
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &row), 0);
	CU_ASSERT_EQUAL(store_session_hand_on(st, row.id, "gw-a", forged, 1, false), -EINVAL);
	fleet_down();
}

/* ---- fleet_place_choose ---- */

static struct store_gateway gw(const char *id, int64_t sessions, int64_t load)
{
	struct store_gateway g;

	memset(&g, 0, sizeof(g));
	snprintf(g.id, sizeof(g.id), "%s", id);
	snprintf(g.holder, sizeof(g.holder), "%s", id);
	g.sessions = sessions;
	g.load = load;
	g.alive = true;
	g.vendor_address = htonl(0xc6336401);
	return g;
}

static void the_least_loaded_host_is_one_that_can_serve(void)
{
	struct store_gateway g[4] = {gw("gw-a", 5, 10), gw("gw-b", 1, 90), gw("gw-c", 0, 0), gw("gw-d", 0, 0)};

	g[2].alive = false;            /* dead */
	g[3].vendor_address = 0;       /* its spgate-dp never published */
	CU_ASSERT_EQUAL(fleet_place_choose(g, 4, "gw-a", false), 1);
	snprintf(g[1].holder, sizeof(g[1].holder), "gw-a"); /* B stands by: A holds its addresses */
	CU_ASSERT_EQUAL(fleet_place_choose(g, 4, "gw-a", false), 0);
	CU_ASSERT_EQUAL(fleet_place_choose(g, 4, "gw-a", true), -1); /* A stands by too */
	CU_ASSERT_EQUAL(fleet_place_choose(g, 0, "gw-a", false), -1);
}

static void ties_stay_where_asked_then_go_by_load_then_id(void)
{
	struct store_gateway g[3] = {gw("gw-a", 2, 50), gw("gw-b", 2, 10), gw("gw-c", 2, 10)};

	CU_ASSERT_EQUAL(fleet_place_choose(g, 3, "gw-a", false), 0);
	CU_ASSERT_EQUAL(fleet_place_choose(g, 3, "gw-a", true), 1);  /* A stands by: B (load), not C */
	CU_ASSERT_EQUAL(fleet_place_choose(g, 3, "gw-x", false), 1); /* a host not in the list */
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(only_the_chosen_owner_takes_on_a_handed_session),
		CASE(a_handed_session_is_adopted_once),
		CASE(the_owner_checks_the_engineer_again),
		CASE(a_stale_handed_request_is_not_started),
		CASE(a_group_name_with_a_newline_is_refused),
		CASE(a_restarted_owner_adopts_what_was_handed_to_it),
		CASE(the_owner_runs_the_policy_and_grants_with_the_requesters_groups),
		CASE(the_least_loaded_host_is_one_that_can_serve),
		CASE(ties_stay_where_asked_then_go_by_load_then_id),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("session_place", cases);
}
