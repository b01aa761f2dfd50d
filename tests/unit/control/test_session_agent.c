/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A live session and its SP's agent: a lost control channel (degraded at once, re-attached
 * within agent.grace, or failed after it) and rekeying after agent.rekey_after.
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

static void a_lost_agent_channel_is_reattached_within_grace(void)
{
	char why[512];
	int64_t id;
	int adds;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	adds = n_dp_adds;
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why)));
	last_conn()->ev->lost(last_conn(), "missed 3 pongs", last_conn()->arg);
	CU_ASSERT_TRUE(audited("session_channel_lost"));
	/* degraded at once, with the reason, not after the grace (issue 13) */
	CU_ASSERT_TRUE(session_degraded(mgr, id, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "missed 3 pongs"));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "agent.grace"));
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_attaches, 1);
	CU_ASSERT_TRUE(session_degraded(mgr, id, why, sizeof(why))); /* re-attach in flight */
	agent_says_up(last_conn(), 0);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why))); /* back to active */
	CU_ASSERT_EQUAL(n_rekeys, 0); /* spgate-dp kept it: keys stay */
	CU_ASSERT_EQUAL(n_dp_adds, adds);
	now_s += 60;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	world_down();
}

static void a_channel_lost_for_longer_than_grace_fails_the_session(void)
{
	char why[512];
	int64_t id;

	world_up();
	id = active_session();
	last_conn()->ev->lost(last_conn(), "connection closed", last_conn()->arg);
	CU_ASSERT_TRUE(session_degraded(mgr, id, why, sizeof(why)));
	now_s += 5;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_attaches, 1);
	last_conn()->ev->opened(last_conn(), &(struct sph_open_result){.ok = false, .reason = "timed out"},
				last_conn()->arg);
	now_s += 25;
	session_mgr_tick(mgr);
	/* failed, not closed (issue 13): nobody ended it, and an operator must see that */
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(reason_of(id), "agent.grace"));
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	world_down();
}

static void a_session_is_rekeyed_after_rekey_after(void)
{
	struct store_session before, after;
	int64_t id;
	int i;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	CU_ASSERT_EQUAL(session_get(mgr, id, &before), 0);
	now_s += 600;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1);
	agent_rekeyed(last_conn(), 1, 0x3000);
	CU_ASSERT_EQUAL(session_get(mgr, id, &after), 0);
	CU_ASSERT_EQUAL(after.generation, 1);
	CU_ASSERT_EQUAL(after.spi_in, last_conn()->rekey_spi);
	CU_ASSERT_NOT_EQUAL(after.spi_in, before.spi_in);
	i = dp_find((uint64_t)id);
	CU_ASSERT_EQUAL(ntohl(dp[i].p.sa_out.spi), 0x3000);
	CU_ASSERT_EQUAL(dp[i].p.sa_out.key[0], 0x33);
	CU_ASSERT_EQUAL(n_dp_updates, 1);
	world_down();
}

/*
 * Found by the soak test (issue 13): an agent killed and restarted no longer has the session
 * and refuses the re-attach. Nobody ended the session: it fails with the reason, as after
 * agent.grace, and is not recorded as closed like a disconnect.
 */
static void a_session_the_restarted_agent_no_longer_has_fails(void)
{
	char why[512];
	int64_t id;

	world_up();
	cfg.sessions.idle_timeout = 0;
	id = active_session();
	last_conn()->ev->lost(last_conn(), "connection closed", last_conn()->arg);
	now_s += 1;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(n_attaches, 1);
	agent_refuses(last_conn(), "no such session");
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_FAILED);
	CU_ASSERT_STRING_EQUAL(reason_of(id), "the SP's agent no longer has the session: no such session");
	CU_ASSERT_FALSE(session_degraded(mgr, id, why, sizeof(why)));
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1);
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	world_down();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_lost_agent_channel_is_reattached_within_grace),
		CASE(a_channel_lost_for_longer_than_grace_fails_the_session),
		CASE(a_session_the_restarted_agent_no_longer_has_fails),
		CASE(a_session_is_rekeyed_after_rekey_after),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("session_agent", cases);
}
