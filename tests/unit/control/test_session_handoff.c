/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decisions another gateway host of the fleet takes for a session this one owns (issue 14
 * item 4): host B writes them to the store (and notifies), host A re-reads and checks them
 * before acting (session_mgr_recheck). Two session managers on one store play the two hosts;
 * the store's gateway.id says which host is speaking. The notification itself is the caller's
 * (fleet_listen.c), so each test calls session_mgr_recheck where A would hear one.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "approval.h"
#include "session_fixture.h"
#include "store/handoff_store.h"

static struct session_mgr *host_b;

static void fleet_up(void)
{
	world_up();
	store_set_gateway_id(st, "gw-a");
	host_b = new_mgr(); /* holds nothing: it never restored */
}

static void fleet_down(void)
{
	session_mgr_free(host_b);
	host_b = NULL;
	world_down();
}

/* Runs f as host B (the store's gateway.id is B's meanwhile). */
#define AS_B(expr)                                                                                 \
	do {                                                                                       \
		store_set_gateway_id(st, "gw-b");                                                   \
		expr;                                                                              \
		store_set_gateway_id(st, "gw-a");                                                   \
	} while (0)

/* Anyone who reaches the database can NOTIFY: with nothing in the store, nothing happens. */
static void a_notification_with_no_decision_behind_it_changes_nothing(void)
{
	int64_t id;

	fleet_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(session_mgr_recheck(mgr, id), 0);
	session_mgr_recheck_all(mgr);
	run_loop();
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AWAITING_APPROVAL);
	CU_ASSERT_EQUAL(n_opens, 0);
	CU_ASSERT_FALSE(audited("session_approved"));
	fleet_down();
}

/* A decision row written around the checks (the requester approving) is not acted on: the
 * session fails, its approval spent. */
static void a_self_approval_written_to_the_store_is_ignored_by_the_owner(void)
{
	int64_t id;

	fleet_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(store_approval_decide(st, id, STORE_APPROVAL_APPROVED, "bob", now_s), 0);
	CU_ASSERT_EQUAL(session_mgr_recheck(mgr, id), 0);
	run_loop();
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "breaks four eyes"));
	CU_ASSERT_EQUAL(n_opens, 0);
	CU_ASSERT_FALSE(audited("session_approved"));
	fleet_down();
}

/* Host B refuses a self-approval too, whoever owns the session (four eyes on either host). */
static void the_requester_cannot_approve_on_another_host(void)
{
	struct store_session s;
	int64_t id;
	int rc;

	fleet_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	AS_B(rc = session_decide(host_b, id, true, "bob", &s));
	CU_ASSERT_EQUAL(rc, -EPERM);
	fleet_down();
}

static void an_approval_on_another_host_releases_the_session_on_its_owner(void)
{
	struct store_session s;
	int64_t id;
	int rc;

	fleet_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	AS_B(rc = session_decide(host_b, id, true, "carol", &s));
	CU_ASSERT_EQUAL(rc, 0);
	/* B wrote the decision; the session waits on A until A hears of it */
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_AWAITING_APPROVAL);
	CU_ASSERT_STRING_EQUAL(s.owner_gateway, "gw-a");
	CU_ASSERT_EQUAL(session_mgr_recheck(mgr, id), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_DIALING);
	run_loop();
	CU_ASSERT_EQUAL(n_opens, 1);
	CU_ASSERT_TRUE(audited("session_approved"));
	/* a second notification of the same decision does not start it twice */
	CU_ASSERT_EQUAL(session_mgr_recheck(mgr, id), 0);
	run_loop();
	CU_ASSERT_EQUAL(n_opens, 1);
	fleet_down();
}

/* The polling while notifications are down finds the decision too. */
static void a_denial_on_another_host_is_found_by_polling(void)
{
	struct store_session s;
	int64_t id;
	int rc;

	fleet_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	AS_B(rc = session_decide(host_b, id, false, "carol", &s));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AWAITING_APPROVAL);
	session_mgr_recheck_all(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "carol denied"));
	CU_ASSERT_EQUAL(n_opens, 0);
	fleet_down();
}

static void a_disconnect_on_another_host_ends_the_session_on_its_owner(void)
{
	struct store_session s;
	int64_t id;
	int rc;

	fleet_up();
	id = active_session();
	AS_B(rc = session_disconnect(host_b, id, "operator", "disconnected by operator", &s));
	CU_ASSERT_EQUAL(rc, 0);
	/* B does not write the session off: A runs it and must tear it down */
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(n_closes, 0);
	CU_ASSERT_EQUAL(session_mgr_recheck(mgr, id), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSING);
	CU_ASSERT_EQUAL(n_closes, 1);
	last_conn()->ev->closed(last_conn(), true, last_conn()->arg);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "disconnected by operator");
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	fleet_down();
}

/* One host (no gateway.id of another in the row): a disconnect of a session nothing runs
 * writes it off as before. */
static void a_session_of_no_other_host_is_written_off_as_before(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	host_b = new_mgr();
	CU_ASSERT_EQUAL(session_disconnect(host_b, id, "operator", "disconnected by operator", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_CLOSED);
	fleet_down();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_notification_with_no_decision_behind_it_changes_nothing),
		CASE(a_self_approval_written_to_the_store_is_ignored_by_the_owner),
		CASE(the_requester_cannot_approve_on_another_host),
		CASE(an_approval_on_another_host_releases_the_session_on_its_owner),
		CASE(a_denial_on_another_host_is_found_by_polling),
		CASE(a_disconnect_on_another_host_ends_the_session_on_its_owner),
		CASE(a_session_of_no_other_host_is_written_off_as_before),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("session_handoff", cases);
}
