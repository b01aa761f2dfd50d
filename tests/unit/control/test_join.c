/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Join instead of wait (issue 15): who may ask to join a live session, who must agree (the
 * holder, and the customer's approvers under `ask`), slots and SESSION_JOINERS, removal and
 * leaving, the session's end, expiry, and restarts of spgate-control and spgate-dp.
 * Attacks first. Against a real store and audit trail, with session_fixture.c's fakes for the
 * SP's agent and spgate-dp (which answers SESSION_JOINERS into its table).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/ops.h"
#include "audit.h"
#include "session_fixture.h"
#include "token.h"

#define WS_HOLDER htonl(0xc6336410) /* 198.51.100.16: connect_as's workstation */
#define WS(n) htonl(0xc6336410 + (n)) /* 198.51.100.16 + n */

static int ask(int64_t id, const char *user, const char *group, uint32_t ws, struct store_participant *p,
	       const char **code)
{
	const char *groups[1] = {group};
	struct join_request req = {id, user, groups, 1, false, ws};
	struct session_purpose why = {"second pair of eyes", NULL};
	const char *c;

	return session_join(mgr, &req, &why, p, code != NULL ? code : &c);
}

static enum store_part_state part_state(int64_t id, const char *user)
{
	struct store_participant p;

	CU_ASSERT_EQUAL_FATAL(store_participant_latest(st, id, user, &p), 0);
	return p.state;
}

static uint32_t dp_joiner(int64_t id, unsigned slot)
{
	int i = dp_find((uint64_t)id);

	CU_ASSERT_FATAL(i >= 0);
	return dp[i].joiner_addr[slot - 1];
}

/* bob's session to globex's CK3001 (policy ask), approved by carol, brought to active. */
static int64_t active_globex_session(void)
{
	struct store_session s;
	int64_t id = connect_as("bob", "storage-globex", "CK3001", NULL);

	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_EQUAL_FATAL(session_decide(mgr, id, true, "carol", &s), 0);
	run_loop();
	agent_says_up(last_conn(), 0x2100);
	CU_ASSERT_EQUAL_FATAL(state_of(id), STORE_SESSION_ACTIVE);
	return id;
}

/* carol joins alice's acme session (auto: alice's yes suffices) in slot 1. */
static int64_t session_with_carol(void)
{
	struct store_participant p;
	int64_t id = active_session();

	CU_ASSERT_EQUAL_FATAL(ask(id, "carol", "storage-eu", WS(1), &p, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(session_join_decide(mgr, id, "carol", JOIN_SIDE_HOLDER, true, "alice", &p), 0);
	CU_ASSERT_EQUAL_FATAL(p.state, STORE_PART_ACCEPTED);
	return id;
}

/* ---- attacks ---- */

static void a_join_to_a_session_of_a_customer_the_engineer_may_not_see_is_refused(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = active_session(); /* acme */
	CU_ASSERT_EQUAL(ask(id, "bob", "storage-globex", WS(1), &p, NULL), -EACCES);
	CU_ASSERT_EQUAL(store_participant_latest(st, id, "bob", &p), -ENOENT);
	CU_ASSERT_EQUAL(n_dp_joiners, 0);
	CU_ASSERT_FALSE(audited("join_requested"));
	world_down();
}

static void the_holder_cannot_join_their_own_session(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL(ask(id, "alice", "storage-eu", WS(1), &p, NULL), -EPERM);
	CU_ASSERT_EQUAL(store_participant_latest(st, id, "alice", &p), -ENOENT);
	world_down();
}

static void under_ask_the_holders_accept_alone_leaves_the_join_pending(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = active_globex_session();
	CU_ASSERT_EQUAL_FATAL(ask(id, "dave", "storage-globex", WS(1), &p, NULL), 0);
	CU_ASSERT_EQUAL(p.customer_vote, STORE_VOTE_PENDING);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_HOLDER, true, "bob", &p), 0);
	CU_ASSERT_EQUAL(p.state, STORE_PART_PENDING);
	CU_ASSERT_EQUAL(part_state(id, "dave"), STORE_PART_PENDING);
	CU_ASSERT_EQUAL(n_dp_joiners, 0);
	CU_ASSERT_EQUAL(dp_joiner(id, 1), 0);
	/* the holder's yes never stands in for the customer's, even said twice or as an approver */
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_HOLDER, true, "bob", &p), -EALREADY);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_CUSTOMER, true, "bob", &p), -EPERM);
	CU_ASSERT_EQUAL(part_state(id, "dave"), STORE_PART_PENDING);
	/* the customer's approver agrees too: in */
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_CUSTOMER, true, "carol", &p), 0);
	CU_ASSERT_EQUAL(p.state, STORE_PART_ACCEPTED);
	CU_ASSERT_STRING_EQUAL(p.customer_by, "carol");
	CU_ASSERT_EQUAL(dp_joiner(id, 1), WS(1));
	CU_ASSERT_TRUE(audited("join_approved"));
	CU_ASSERT_TRUE(audited("join_accepted"));
	world_down();
}

static void the_joiner_never_approves_their_own_join(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = active_globex_session();
	CU_ASSERT_EQUAL_FATAL(ask(id, "dave", "storage-globex", WS(1), &p, NULL), 0);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_CUSTOMER, true, "dave", &p), -EPERM);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_HOLDER, true, "dave", &p), -EPERM);
	/* nor does a bystander speak for the holder */
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_HOLDER, true, "mallory", &p), -EPERM);
	CU_ASSERT_EQUAL(part_state(id, "dave"), STORE_PART_PENDING);
	CU_ASSERT_EQUAL(n_dp_joiners, 0);
	world_down();
}

static void a_fourth_participant_is_refused(void)
{
	struct store_participant p;
	const char *code = NULL;
	int64_t id;

	world_up();
	id = session_with_carol();
	CU_ASSERT_EQUAL(ask(id, "dave", "storage-eu", WS(2), &p, NULL), 0);
	CU_ASSERT_EQUAL(ask(id, "erin", "storage-eu", WS(3), &p, NULL), 0);
	CU_ASSERT_EQUAL(ask(id, "frank", "storage-eu", WS(4), &p, &code), -EBUSY);
	CU_ASSERT_STRING_EQUAL(code, "session_full");
	CU_ASSERT_EQUAL(store_participant_latest(st, id, "frank", &p), -ENOENT);
	world_down();
}

static void one_request_per_engineer_and_no_workstation_twice(void)
{
	struct store_participant p;
	const char *code = NULL;
	int64_t id;

	world_up();
	id = session_with_carol();
	CU_ASSERT_EQUAL(ask(id, "carol", "storage-eu", WS(5), &p, &code), -EEXIST);
	CU_ASSERT_STRING_EQUAL(code, "already_joined");
	CU_ASSERT_EQUAL(ask(id, "dave", "storage-eu", WS(2), &p, NULL), 0);
	CU_ASSERT_EQUAL(ask(id, "dave", "storage-eu", WS(2), &p, &code), -EEXIST);
	CU_ASSERT_STRING_EQUAL(code, "already_requested");
	CU_ASSERT_EQUAL(ask(id, "erin", "storage-eu", WS_HOLDER, &p, &code), -EADDRINUSE);
	CU_ASSERT_EQUAL(ask(id, "erin", "storage-eu", WS(1), &p, &code), -EADDRINUSE);
	CU_ASSERT_STRING_EQUAL(code, "workstation_in_use");
	world_down();
}

static void removal_by_someone_else_than_holder_or_operator_is_refused(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = session_with_carol();
	CU_ASSERT_EQUAL(ask(id, "dave", "storage-eu", WS(2), &p, NULL), 0);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_HOLDER, true, "alice", &p), 0);
	/* a joiner removes another, or a stranger tries: no */
	CU_ASSERT_EQUAL(session_join_end(mgr, id, "carol", "dave", false, false, &p), -EPERM);
	CU_ASSERT_EQUAL(session_join_end(mgr, id, "carol", "mallory", false, false, &p), -EPERM);
	/* nobody leaves in someone else's name */
	CU_ASSERT_EQUAL(session_join_end(mgr, id, "carol", "dave", false, true, &p), -EPERM);
	CU_ASSERT_EQUAL(part_state(id, "carol"), STORE_PART_ACCEPTED);
	CU_ASSERT_EQUAL(dp_joiner(id, 1), WS(1));
	world_down();
}

/* ---- the way it should go ---- */

static void accept_sends_session_joiners_with_the_right_slot(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = session_with_carol();
	CU_ASSERT_EQUAL(store_participant_live(st, id, "carol", &p), 0);
	CU_ASSERT_EQUAL(p.slot, 1);
	CU_ASSERT_EQUAL(n_dp_joiners, 1);
	CU_ASSERT_EQUAL(last_joiners.id, (uint64_t)id);
	CU_ASSERT_EQUAL(last_joiners.joiner_addr[0], WS(1));
	CU_ASSERT_EQUAL(last_joiners.joiner_addr[1], 0);
	CU_ASSERT_EQUAL(ask(id, "dave", "storage-eu", WS(2), &p, NULL), 0);
	/* auto policy: the customer has no say to give */
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_CUSTOMER, true, "carol", &p), -EINVAL);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_HOLDER, true, "alice", &p), 0);
	CU_ASSERT_EQUAL(p.slot, 2);
	CU_ASSERT_EQUAL(last_joiners.joiner_addr[0], WS(1));
	CU_ASSERT_EQUAL(last_joiners.joiner_addr[1], WS(2));
	CU_ASSERT_EQUAL(last_joiners.joiner_addr[2], 0);
	world_down();
}

static void removal_clears_only_that_slot_at_once(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = session_with_carol();
	CU_ASSERT_EQUAL(ask(id, "dave", "storage-eu", WS(2), &p, NULL), 0);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "dave", JOIN_SIDE_HOLDER, true, "alice", &p), 0);
	CU_ASSERT_EQUAL(session_join_end(mgr, id, "carol", "alice", false, false, &p), 0);
	CU_ASSERT_EQUAL(p.state, STORE_PART_REMOVED);
	CU_ASSERT_EQUAL(dp_joiner(id, 1), 0);
	CU_ASSERT_EQUAL(dp_joiner(id, 2), WS(2));
	CU_ASSERT_TRUE(audited("join_removed"));
	/* an operator removes too; the next joiner takes the lowest free slot */
	CU_ASSERT_EQUAL(session_join_end(mgr, id, "dave", "root", true, false, &p), 0);
	CU_ASSERT_EQUAL(dp_joiner(id, 2), 0);
	CU_ASSERT_EQUAL(ask(id, "erin", "storage-eu", WS(3), &p, NULL), 0);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "erin", JOIN_SIDE_HOLDER, true, "alice", &p), 0);
	CU_ASSERT_EQUAL(p.slot, 1);
	world_down();
}

static void a_joiner_leaves_and_is_cut_off(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = session_with_carol();
	CU_ASSERT_EQUAL(session_join_end(mgr, id, "carol", "carol", false, true, &p), 0);
	CU_ASSERT_EQUAL(p.state, STORE_PART_LEFT);
	CU_ASSERT_EQUAL(dp_joiner(id, 1), 0);
	CU_ASSERT_TRUE(audited("join_left"));
	CU_ASSERT_EQUAL(session_join_end(mgr, id, "carol", "carol", false, true, &p), -ENOENT);
	world_down();
}

static void the_holders_refusal_ends_the_request_in_words(void)
{
	struct store_participant p;
	const char *code = NULL;
	int64_t id;

	world_up();
	id = active_session();
	CU_ASSERT_EQUAL(ask(id, "carol", "storage-eu", WS(1), &p, NULL), 0);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "carol", JOIN_SIDE_HOLDER, false, "alice", &p), 0);
	CU_ASSERT_EQUAL(p.state, STORE_PART_REFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.reason, "holder alice refused"));
	CU_ASSERT_EQUAL(n_dp_joiners, 0);
	CU_ASSERT_TRUE(audited("join_refused"));
	/* and carol does not ask again at once */
	CU_ASSERT_EQUAL(ask(id, "carol", "storage-eu", WS(1), &p, &code), -EAGAIN);
	CU_ASSERT_STRING_EQUAL(code, "retry_later");
	now_s += 60;
	CU_ASSERT_EQUAL(ask(id, "carol", "storage-eu", WS(1), &p, NULL), 0);
	world_down();
}

static void a_dataplane_without_joiners_makes_the_join_refused(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	id = active_session();
	joiners_refuse = EOPNOTSUPP;
	CU_ASSERT_EQUAL(ask(id, "carol", "storage-eu", WS(1), &p, NULL), 0);
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "carol", JOIN_SIDE_HOLDER, true, "alice", &p), 0);
	CU_ASSERT_EQUAL(p.state, STORE_PART_REFUSED);
	CU_ASSERT_PTR_NOT_NULL(strstr(p.reason, "EOPNOTSUPP"));
	CU_ASSERT_EQUAL(dp_joiner(id, 1), 0);
	world_down();
}

static void the_sessions_end_ends_every_participant(void)
{
	struct store_participant p;
	struct store_session s;
	int64_t id;

	world_up();
	id = session_with_carol();
	CU_ASSERT_EQUAL(ask(id, "dave", "storage-eu", WS(2), &p, NULL), 0);
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "alice", "disconnected by alice", &s), 0);
	agent_closes(last_conn());
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSED);
	CU_ASSERT_EQUAL(part_state(id, "carol"), STORE_PART_ENDED);
	CU_ASSERT_EQUAL(part_state(id, "dave"), STORE_PART_ENDED);
	CU_ASSERT_EQUAL(store_participant_live(st, id, "carol", &p), -ENOENT);
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_TRUE(audited("join_ended"));
	world_down();
}

static void an_unanswered_join_expires(void)
{
	struct store_participant p;
	int64_t id;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	CU_ASSERT_EQUAL(ask(id, "carol", "storage-eu", WS(1), &p, NULL), 0);
	now_s += 299;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(part_state(id, "carol"), STORE_PART_PENDING);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(part_state(id, "carol"), STORE_PART_EXPIRED);
	CU_ASSERT_TRUE(audited("join_expired"));
	/* a late yes changes nothing */
	CU_ASSERT_EQUAL(session_join_decide(mgr, id, "carol", JOIN_SIDE_HOLDER, true, "alice", &p), -ENOENT);
	CU_ASSERT_EQUAL(n_dp_joiners, 0);
	world_down();
}

static void a_restart_restores_joiners_and_a_dataplane_restart_gets_them_again(void)
{
	int64_t id;

	world_up();
	id = session_with_carol();
	session_mgr_free(mgr); /* spgate-control goes away ... */
	memset(dp, 0, sizeof(dp)); /* ... and spgate-dp restarted too */
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	session_mgr_dp_state(mgr, true);
	agent_says_up(last_conn(), 0);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1);
	agent_rekeyed(last_conn(), 1, 0x4000);
	CU_ASSERT_EQUAL(part_state(id, "carol"), STORE_PART_ACCEPTED);
	CU_ASSERT_EQUAL(dp_joiner(id, 1), WS(1));
	world_down();
}

static void joiners_lost_by_the_dataplane_are_sent_again_at_the_next_listing(void)
{
	int64_t id;
	int sends;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = session_with_carol();
	sends = n_dp_joiners;
	memset(dp[dp_find((uint64_t)id)].joiner_addr, 0, sizeof(dp[0].joiner_addr));
	session_mgr_tick(mgr); /* poll_ticks 1: the counters' listing compares joiner_addr */
	CU_ASSERT_EQUAL(n_dp_joiners, sends + 1);
	CU_ASSERT_EQUAL(dp_joiner(id, 1), WS(1));
	CU_ASSERT_TRUE(audited("dp_joiners_resent"));
	session_mgr_tick(mgr); /* in step now: nothing more */
	CU_ASSERT_EQUAL(n_dp_joiners, sends + 1);
	world_down();
}

/* ---- through the API: who is asking decides what they may ---- */

static struct token_key *tokens;
static struct api_ctx ctx;
static json_t *last;

static int64_t api_clock(void)
{
	return now_s;
}

static void keep_reply(json_t *reply, void *arg)
{
	(void)arg;
	json_decref(last);
	last = reply;
}

static void api_up(void)
{
	uint8_t key[TOKEN_KEY_LEN] = {7, 7, 7};

	tokens = token_key_from_bytes(key);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tokens);
	ctx = (struct api_ctx){.cfg = &cfg, .store = st, .audit = au, .tokens = tokens, .sessions = mgr, .now = api_clock};
}

static void api_down(void)
{
	json_decref(last);
	last = NULL;
	token_key_free(tokens);
}

/* user (in group, from workstation ws; 0: the operator socket) sends fields; the reply's error
 * code, or "ok". */
static const char *api_as(const char *user, const char *group, uint32_t ws, const char *fields)
{
	char groups[1][TOKEN_NAME_MAX];
	struct api_peer peer = {.transport = API_TRANSPORT_TLS, .addr = ws, .name = "198.51.100.x:5000"};
	char token[TOKEN_MAX_LEN], line[TOKEN_MAX_LEN + 512];
	const char *e;

	snprintf(groups[0], sizeof(groups[0]), "%s", group);
	json_decref(last);
	last = NULL;
	if (ws == 0) {
		peer = (struct api_peer){.transport = API_TRANSPORT_UNIX, .uid = 0, .name = "uid 0 pid 1"};
		snprintf(line, sizeof(line), "{%s}", fields);
	} else {
		CU_ASSERT_EQUAL_FATAL(token_issue(tokens, user, groups, 1, 600, now_s, token, sizeof(token)), 0);
		snprintf(line, sizeof(line), "{\"token\":\"%s\",%s}", token, fields);
	}
	api_ops_handle(&ctx, &peer, line, strlen(line), keep_reply, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	if (json_is_true(json_object_get(last, "ok")))
		return "ok";
	e = json_string_value(json_object_get(last, "error"));
	return e != NULL ? e : "(none)";
}

static void api_a_stranger_cannot_join_and_nobody_lets_themselves_in(void)
{
	char req[128];
	int64_t id;

	world_up();
	api_up();
	id = active_globex_session(); /* bob's, globex: ask */
	snprintf(req, sizeof(req), "\"op\":\"join\",\"id\":%lld", (long long)id);
	CU_ASSERT_STRING_EQUAL(api_as("alice", "storage-eu", WS(1), req), "forbidden");
	CU_ASSERT_TRUE(audited("join"));
	CU_ASSERT_STRING_EQUAL(api_as("bob", "storage-globex", WS_HOLDER, req), "forbidden");
	CU_ASSERT_STRING_EQUAL(api_as("dave", "storage-globex", WS(2), req), "ok");
	/* dave is also a globex approver: still not for his own join */
	snprintf(req, sizeof(req), "\"op\":\"join_accept\",\"id\":%lld,\"engineer\":\"dave\"", (long long)id);
	CU_ASSERT_STRING_EQUAL(api_as("dave", "globex-approvers", WS(2), req), "forbidden");
	/* an engineer who is neither holder nor approver has no say */
	CU_ASSERT_STRING_EQUAL(api_as("erin", "storage-globex", WS(3), req), "forbidden");
	/* operators may not approve for globex (its approvers are globex-approvers) */
	CU_ASSERT_STRING_EQUAL(api_as("root", "-", 0, req), "forbidden");
	CU_ASSERT_EQUAL(part_state(id, "dave"), STORE_PART_PENDING);
	/* the holder, then an approver: in */
	CU_ASSERT_STRING_EQUAL(api_as("bob", "storage-globex", WS_HOLDER, req), "ok");
	CU_ASSERT_EQUAL(part_state(id, "dave"), STORE_PART_PENDING);
	CU_ASSERT_STRING_EQUAL(api_as("carol", "globex-approvers", WS(4), req), "ok");
	CU_ASSERT_EQUAL(part_state(id, "dave"), STORE_PART_ACCEPTED);
	CU_ASSERT_EQUAL(dp_joiner(id, 1), WS(2));
	api_down();
	world_down();
}

static void api_removal_is_the_holders_or_an_operators_and_sessions_show_participants(void)
{
	char req[128];
	json_t *s, *p;
	int64_t id;

	world_up();
	api_up();
	id = session_with_carol();
	snprintf(req, sizeof(req), "\"op\":\"join\",\"id\":%lld", (long long)id);
	CU_ASSERT_STRING_EQUAL(api_as("dave", "storage-eu", WS(2), req), "ok");
	snprintf(req, sizeof(req), "\"op\":\"join_accept\",\"id\":%lld,\"engineer\":\"dave\"", (long long)id);
	CU_ASSERT_STRING_EQUAL(api_as("alice", "storage-eu", WS_HOLDER, req), "ok");
	/* alice's sessions: holder and both joiners */
	CU_ASSERT_STRING_EQUAL(api_as("alice", "storage-eu", WS_HOLDER, "\"op\":\"sessions\""), "ok");
	s = json_array_get(json_object_get(last, "sessions"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "joiners")), "carol (slot 1), dave (slot 2)");
	p = json_object_get(s, "participants");
	CU_ASSERT_EQUAL(json_array_size(p), 3);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_array_get(p, 0), "role")), "holder");
	/* dave's own list has the session he joined */
	CU_ASSERT_STRING_EQUAL(api_as("dave", "storage-eu", WS(2), "\"op\":\"sessions\""), "ok");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(last, "sessions")), 1);
	/* dave removes carol: no; the operator: yes */
	snprintf(req, sizeof(req), "\"op\":\"join_remove\",\"id\":%lld,\"engineer\":\"carol\"", (long long)id);
	CU_ASSERT_STRING_EQUAL(api_as("dave", "storage-eu", WS(2), req), "forbidden");
	CU_ASSERT_EQUAL(dp_joiner(id, 1), WS(1));
	CU_ASSERT_STRING_EQUAL(api_as("root", "-", 0, req), "ok");
	CU_ASSERT_EQUAL(dp_joiner(id, 1), 0);
	CU_ASSERT_EQUAL(dp_joiner(id, 2), WS(2));
	/* dave leaves */
	snprintf(req, sizeof(req), "\"op\":\"join_leave\",\"id\":%lld", (long long)id);
	CU_ASSERT_STRING_EQUAL(api_as("dave", "storage-eu", WS(2), req), "ok");
	CU_ASSERT_EQUAL(dp_joiner(id, 2), 0);
	api_down();
	world_down();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_join_to_a_session_of_a_customer_the_engineer_may_not_see_is_refused),
		CASE(the_holder_cannot_join_their_own_session),
		CASE(under_ask_the_holders_accept_alone_leaves_the_join_pending),
		CASE(the_joiner_never_approves_their_own_join),
		CASE(a_fourth_participant_is_refused),
		CASE(one_request_per_engineer_and_no_workstation_twice),
		CASE(removal_by_someone_else_than_holder_or_operator_is_refused),
		CASE(accept_sends_session_joiners_with_the_right_slot),
		CASE(removal_clears_only_that_slot_at_once),
		CASE(a_joiner_leaves_and_is_cut_off),
		CASE(the_holders_refusal_ends_the_request_in_words),
		CASE(a_dataplane_without_joiners_makes_the_join_refused),
		CASE(the_sessions_end_ends_every_participant),
		CASE(an_unanswered_join_expires),
		CASE(a_restart_restores_joiners_and_a_dataplane_restart_gets_them_again),
		CASE(joiners_lost_by_the_dataplane_are_sent_again_at_the_next_listing),
		CASE(api_a_stranger_cannot_join_and_nobody_lets_themselves_in),
		CASE(api_removal_is_the_holders_or_an_operators_and_sessions_show_participants),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("join", cases);
}
