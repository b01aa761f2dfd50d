/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session lifecycle up to its end: connect, access rules, approval (ask, deny, timeout),
 * the grant, agent refusals, idle and maximum-duration closes, and disconnect.
 * Against a real store and audit trail, with session_fixture.c's fakes for the SP's agent
 * and spgate-dp: each test fires the agent's callbacks and the timers (on a fake clock) by hand.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "audit.h"
#include "session_fixture.h"

static void a_session_to_an_auto_policy_system_goes_all_the_way_to_active(void)
{
	struct store_session s;
	int64_t id;
	int i;

	world_up();
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_DIALING);
	run_loop();
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_SP_AUTH);
	CU_ASSERT_STRING_EQUAL(last_conn()->agent, "203.0.113.11:7443");
	agent_says_up(last_conn(), 0x2000);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(last_conn()->gw_spi, s.spi_in);
	i = dp_find((uint64_t)id);
	CU_ASSERT_FATAL(i >= 0);
	CU_ASSERT_EQUAL(ntohl(dp[i].p.sa_in.spi), s.spi_in);
	CU_ASSERT_EQUAL(ntohl(dp[i].p.sa_out.spi), 0x2000);
	CU_ASSERT_EQUAL(dp[i].p.sa_out.key[0], 0x11);
	CU_ASSERT_EQUAL(dp[i].p.sa_in.key[0], 0x22);
	CU_ASSERT_EQUAL(dp[i].p.peer_addr, htonl(0xcb00710b));
	CU_ASSERT_EQUAL(dp[i].p.peer_port, 4500);
	CU_ASSERT_EQUAL(dp[i].p.workstation_addr, htonl(0xc6336410));
	CU_ASSERT_EQUAL(dp[i].p.virtual_addr & htonl(0xffffff00), hello.pool_addr);
	CU_ASSERT_EQUAL(dp[i].p.virtual_addr, s.virtual_address);
	CU_ASSERT_EQUAL(dp[i].p.n_port_ranges, 2);
	CU_ASSERT_EQUAL(dp[i].p.ports[0].lo, 7000);
	CU_ASSERT_EQUAL(dp[i].p.icmp_echo, 1);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_CONNECTED));
	CU_ASSERT_TRUE(audited("session_requested"));
	CU_ASSERT_TRUE(audited("session_authorized"));
	CU_ASSERT_TRUE(audited("session_dialing"));
	CU_ASSERT_TRUE(audited("session_sp_auth"));
	CU_ASSERT_TRUE(audited("session_keyed"));
	CU_ASSERT_TRUE(audited("session_active"));
	world_down();
}

static void a_second_engineer_is_told_who_holds_the_system(void)
{
	const char *groups[1] = {"support-admins"};
	struct session_request req = {"CK2001", "root-support", groups, 1, true, htonl(0xc6336411), NULL};
	struct store_session s;
	struct alloc_holder h;
	const char *code;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL(session_connect(mgr, &req, &s, &code, &h), -EBUSY);
	CU_ASSERT_EQUAL(h.session, id);
	CU_ASSERT_STRING_EQUAL(h.user, "alice");
	CU_ASSERT_EQUAL(h.workstation, htonl(0xc6336410));
	world_down();
}

static void an_engineer_cannot_connect_outside_the_access_rules(void)
{
	world_up();
	CU_ASSERT_EQUAL(connect_as("alice", "storage-eu", "CK3001", NULL), -EACCES);
	CU_ASSERT_EQUAL(connect_as("alice", "storage-eu", "NOPE1", NULL), -ENOENT);
	world_down();
}

static void connect_while_the_dataplane_is_down_is_refused(void)
{
	world_up();
	dp_up = false;
	CU_ASSERT_EQUAL(connect_as("alice", "storage-eu", "CK2001", NULL), -ENOTCONN);
	world_down();
}

static void an_ask_policy_session_waits_for_approval_then_goes_on(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AWAITING_APPROVAL);
	CU_ASSERT_EQUAL(n_opens, 0);
	CU_ASSERT_EQUAL(session_decide(mgr, id, true, "carol", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_DIALING);
	run_loop();
	CU_ASSERT_EQUAL(n_opens, 1);
	CU_ASSERT_TRUE(audited("session_approved"));
	world_down();
}

/* The stored grant of id: its length (0: none was ever signed), and its JSON in buf. */
static size_t stored_grant(int64_t id, char *buf, size_t len)
{
	struct store_session row;

	CU_ASSERT_EQUAL_FATAL(store_session_get(st, id, &row), 0);
	snprintf(buf, len, "%.*s", (int)row.grant_len, (const char *)row.grant);
	return row.grant_len + row.grant_sig_len;
}

static void a_grant_is_signed_only_after_approval_and_never_for_a_denied_session(void)
{
	struct store_session s;
	char grant[STORE_GRANT_MAX + 1];
	int64_t denied, late, approved;

	world_up();
	denied = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(stored_grant(denied, grant, sizeof(grant)), 0);
	CU_ASSERT_EQUAL(session_decide(mgr, denied, false, "carol", &s), 0);
	CU_ASSERT_EQUAL(stored_grant(denied, grant, sizeof(grant)), 0);
	late = connect_as("bob", "storage-globex", "CK3001", NULL);
	now_s += 300;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(late), STORE_SESSION_FAILED);
	CU_ASSERT_EQUAL(stored_grant(late, grant, sizeof(grant)), 0);
	approved = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(stored_grant(approved, grant, sizeof(grant)), 0);
	CU_ASSERT_EQUAL(session_decide(mgr, approved, true, "carol", &s), 0);
	CU_ASSERT_NOT_EQUAL(stored_grant(approved, grant, sizeof(grant)), 0);
	/* bound to our client certificate, with the requester's groups kept until now */
	CU_ASSERT_PTR_NOT_NULL(strstr(grant, "\"gw_cert\":\"abababab"));
	CU_ASSERT_PTR_NOT_NULL(strstr(grant, "\"groups\":[\"storage-globex\"]"));
	run_loop();
	CU_ASSERT_STRING_EQUAL(last_sp_serial, "CK3001");
	world_down();
}

static void a_denied_approval_fails_naming_the_approver(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(session_decide(mgr, id, false, "carol", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.reason, "carol"));
	CU_ASSERT_EQUAL(session_decide(mgr, id, true, "carol", &s), -EINVAL);
	world_down();
}

static void an_unanswered_approval_times_out(void)
{
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	now_s += 299;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_AWAITING_APPROVAL);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "no approver answered within 300 s"));
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

static void a_deny_policy_customer_fails_the_session_at_once(void)
{
	static const char extra[] = "customers:\n  - { name: initech, approval_policy: deny }\n"
				    "sites:\n  - { customer: initech, name: austin, region: us }\n"
				    "systems:\n  - { serial: CK4001, customer: initech, site: austin, connect: network, "
				    "address: 203.0.113.14, profile: storage-default }\n"
				    "rules:\n  - { group: storage-eu, customer: initech }\n";
	char err[256];
	const char *code = NULL;
	int64_t id;

	world_up();
	CU_ASSERT_EQUAL_FATAL(inventory_import(st, INVENTORY_YAML, "extra", extra, strlen(extra), NULL, err, sizeof(err), NULL),
			      0);
	id = connect_as("alice", "storage-eu", "CK4001", &code);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "the customer does not allow remote sessions");
	CU_ASSERT_PTR_NOT_NULL_FATAL(code);
	CU_ASSERT_STRING_EQUAL(code, "denied");
	world_down();
}

static void an_agent_refusal_fails_the_session_and_frees_line_and_address(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	run_loop();
	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	agent_refuses(last_conn(), "wrong serial");
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "the SP refused the grant: wrong serial");
	CU_ASSERT_TRUE(last_conn()->freed);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	CU_ASSERT_EQUAL(store_holdback_active(st, s.virtual_address, now_s), 1);
	CU_ASSERT_EQUAL(store_holdback_active(st, s.virtual_address, now_s + 61), 0);
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	world_down();
}

static void a_connect_refused_on_the_spot_fails_the_session_cleanly(void)
{
	int64_t id;

	world_up();
	refuse_connect_at_once = true;
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	run_loop();
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "Connection refused"));
	CU_ASSERT_TRUE(last_conn()->freed);
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

static void an_idle_session_is_closed_through_its_agent(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	now_s += 40;
	dp[dp_find((uint64_t)id)].packets = 10; /* traffic: the idle clock starts again */
	session_mgr_tick(mgr);
	now_s += 40;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	now_s += 20;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSING);
	CU_ASSERT_STRING_EQUAL(last_conn()->close_reason, "idle for 60 s (sessions.idle_timeout)");
	last_conn()->ev->closed(last_conn(), true, last_conn()->arg);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "idle for 60 s (sessions.idle_timeout)");
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	world_down();
}

static void a_session_is_closed_at_its_maximum_duration(void)
{
	int64_t id;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	now_s += 3599;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSING);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_conn()->close_reason, "maximum duration"));
	world_down();
}

static void disconnect_closes_through_the_agent_and_the_dataplane(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "alice", "disconnected by alice", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_CLOSING);
	CU_ASSERT_EQUAL(n_closes, 1);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0); /* traffic flows until the agent tore down */
	last_conn()->ev->closed(last_conn(), true, last_conn()->arg);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "disconnected by alice");
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_TRUE(last_conn()->freed);
	CU_ASSERT_TRUE(audited("session_closing"));
	CU_ASSERT_TRUE(audited("session_closed"));
	world_down();
}

static void disconnect_while_awaiting_approval_closes_at_once(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("bob", "storage-globex", "CK3001", NULL);
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "bob", "disconnected by bob", &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_CLOSED);
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_session_to_an_auto_policy_system_goes_all_the_way_to_active),
		CASE(a_second_engineer_is_told_who_holds_the_system),
		CASE(an_engineer_cannot_connect_outside_the_access_rules),
		CASE(connect_while_the_dataplane_is_down_is_refused),
		CASE(an_ask_policy_session_waits_for_approval_then_goes_on),
		CASE(a_denied_approval_fails_naming_the_approver),
		CASE(a_grant_is_signed_only_after_approval_and_never_for_a_denied_session),
		CASE(an_unanswered_approval_times_out),
		CASE(a_deny_policy_customer_fails_the_session_at_once),
		CASE(an_agent_refusal_fails_the_session_and_frees_line_and_address),
		CASE(a_connect_refused_on_the_spot_fails_the_session_cleanly),
		CASE(an_idle_session_is_closed_through_its_agent),
		CASE(a_session_is_closed_at_its_maximum_duration),
		CASE(disconnect_closes_through_the_agent_and_the_dataplane),
		CASE(disconnect_while_awaiting_approval_closes_at_once),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("session_lifecycle", cases);
}
