/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-control or spgate-dp restarting under live sessions: reconciliation with what
 * spgate-dp kept, rekeys and re-adds, sessions caught half way, and dialed sessions whose
 * modem call is re-attached or was lost.
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

static void a_restart_leaves_sessions_the_dataplane_kept_untouched(void)
{
	int64_t id;
	int adds, updates;

	world_up();
	id = active_session();
	adds = n_dp_adds;
	updates = n_dp_updates;
	session_mgr_free(mgr); /* spgate-control goes away; spgate-dp forwards on */
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	CU_ASSERT_EQUAL(n_attaches, 1);
	session_mgr_dp_state(mgr, true);
	agent_says_up(last_conn(), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	CU_ASSERT_EQUAL(n_dp_adds, adds);
	CU_ASSERT_EQUAL(n_dp_updates, updates);
	CU_ASSERT_EQUAL(n_dp_deletes, 0);
	world_down();
}

static void a_restart_rekeys_and_readds_what_the_dataplane_lost_and_drops_orphans(void)
{
	struct spg_dp_session_params orphan = {.id = 999};
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	session_mgr_free(mgr);
	memset(dp, 0, sizeof(dp)); /* spgate-dp restarted too ... */
	fake_dp_add(NULL, &orphan); /* ... and holds a session nobody knows */
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	session_mgr_dp_state(mgr, true);
	CU_ASSERT_EQUAL(dp_find(999), -1);
	CU_ASSERT_TRUE(audited("dp_orphan_deleted"));
	agent_says_up(last_conn(), 0); /* attached */
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1);
	agent_rekeyed(last_conn(), 1, 0x4000);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(s.generation, 1);
	CU_ASSERT_EQUAL(ntohl(dp[dp_find((uint64_t)id)].p.sa_in.spi), s.spi_in);
	world_down();
}

static void a_dataplane_restart_alone_rekeys_and_readds_active_sessions(void)
{
	int64_t id;

	world_up();
	id = active_session();
	session_mgr_dp_state(mgr, false);
	memset(dp, 0, sizeof(dp));
	session_mgr_dp_state(mgr, true);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1);
	agent_rekeyed(last_conn(), 1, 0x5000);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	world_down();
}

/*
 * Issue 13: a session deleted from spgate-dp behind spgate-control's back (spgatectl dp
 * session del --force) is noticed within sessions.reconcile by the STATS summary alone, then
 * rekeyed and re-added; a stranger's session is deleted; a dataplane that matches is only
 * asked for STATS, never listed.
 */
static void a_session_deleted_behind_our_back_is_rekeyed_and_readded_within_a_period(void)
{
	struct spg_dp_session_params orphan = {.id = 999};
	struct store_session before, after;
	int64_t id;
	int stats, deletes;

	world_up();
	cfg.sessions.idle_timeout = 0;
	cfg.sessions.reconcile = 5;
	id = active_session();
	CU_ASSERT_EQUAL(session_get(mgr, id, &before), 0);
	/* In step: STATS only, nothing rekeyed. */
	now_s += 5;
	stats = n_dp_stats;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_dp_stats, stats + 1);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	/* The attack: gone from spgate-dp; not seen before the period is over. */
	CU_ASSERT_EQUAL_FATAL(fake_dp_delete(NULL, (uint64_t)id), 0);
	now_s += 4;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1); /* spgate-dp takes no key twice: new keys first */
	CU_ASSERT_TRUE(audited("dp_session_missing"));
	agent_rekeyed(last_conn(), 1, 0x6000);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(session_get(mgr, id, &after), 0);
	CU_ASSERT_EQUAL(after.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_NOT_EQUAL(after.spi_in, before.spi_in);
	CU_ASSERT_EQUAL(ntohl(dp[dp_find((uint64_t)id)].p.sa_in.spi), after.spi_in);
	/* A session nobody owns appears (same count as a lost one would keep): deleted. */
	deletes = n_dp_deletes;
	fake_dp_add(NULL, &orphan);
	now_s += 5;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(dp_find(999), -1);
	CU_ASSERT_EQUAL(n_dp_deletes, deletes + 1);
	CU_ASSERT_TRUE(dp_find((uint64_t)id) >= 0);
	CU_ASSERT_EQUAL(n_rekeys, 1); /* ours was in place: not rekeyed again */
	world_down();
}

static void a_restart_fails_sessions_caught_half_way(void)
{
	struct store_session s;
	int64_t id;

	world_up();
	id = connect_as("alice", "storage-eu", "CK2001", NULL);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_DIALING);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	session_mgr_free(mgr);
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "restarted"));
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	world_down();
}

/* Makes id's line a modem line, as if the session had dialed; its speed as the store has it. */
static void line_becomes_modem(int64_t id)
{
	struct store_session s;
	struct store_line l;

	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL_FATAL(store_line_get(st, s.line_id, &l), 0);
	l.type = STORE_CONNECT_MODEM;
	snprintf(l.device, sizeof(l.device), "/dev/ttyS0");
	CU_ASSERT_EQUAL_FATAL(store_line_put(st, &l, true), 0);
	CU_ASSERT_TRUE_FATAL(line_is(s.line_id, STORE_LINE_CONNECTED));
}

static void a_restart_fails_a_dialed_session_whose_call_was_lost(void)
{
	struct line_result r = {.ok = false,
				.reason = "line net1: the call was lost while spgate-control was stopped (NO CARRIER)"};
	struct store_session s;
	int64_t id;

	world_up();
	id = active_session();
	line_becomes_modem(id);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	session_mgr_free(mgr);
	mgr = new_mgr();
	/* Taken over until the modem tells: the agent and spgate-dp carry on meanwhile. */
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	CU_ASSERT_EQUAL_FATAL(n_reattaches, 1);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	reattach_ev.done(&r, reattach_arg);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), r.reason);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_IDLE));
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_EQUAL(n_reattach_cancels, 0); /* the call is over: nothing to hang up */
	world_down();
}

static void a_restart_reattaches_a_dialed_session_to_its_live_call(void)
{
	struct line_result r = {.ok = true, .reason = "", .speed_bps = 28800};
	struct store_session s;
	int64_t id;
	int adds;

	world_up();
	id = active_session();
	line_becomes_modem(id);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	adds = n_dp_adds;
	session_mgr_free(mgr);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_CONNECTED));
	mgr = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(mgr), 1);
	CU_ASSERT_EQUAL_FATAL(n_reattaches, 1);
	CU_ASSERT_EQUAL(reattach_speed, s.speed_bps);
	session_mgr_dp_state(mgr, true);
	agent_says_up(last_conn(), 0);
	reattach_ev.done(&r, reattach_arg);
	CU_ASSERT_EQUAL(session_get(mgr, id, &s), 0);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	/* The modem said its speed of now: the session's rate follows, in spgate-dp too. */
	CU_ASSERT_EQUAL(s.speed_bps, 28800);
	CU_ASSERT_TRUE(line_is(s.line_id, STORE_LINE_CONNECTED));
	CU_ASSERT_EQUAL(n_dp_adds, adds);
	CU_ASSERT_EQUAL(n_rekeys, 0);
	CU_ASSERT_EQUAL(n_reattach_cancels, 0);
	world_down();
	/* world_down is spgate-control's exit: the call is handed to line_cancel (left up there) */
	CU_ASSERT_EQUAL(n_reattach_cancels, 1);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_restart_leaves_sessions_the_dataplane_kept_untouched),
		CASE(a_restart_rekeys_and_readds_what_the_dataplane_lost_and_drops_orphans),
		CASE(a_dataplane_restart_alone_rekeys_and_readds_active_sessions),
		CASE(a_session_deleted_behind_our_back_is_rekeyed_and_readded_within_a_period),
		CASE(a_restart_fails_sessions_caught_half_way),
		CASE(a_restart_fails_a_dialed_session_whose_call_was_lost),
		CASE(a_restart_reattaches_a_dialed_session_to_its_live_call),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("session_restore", cases);
}
