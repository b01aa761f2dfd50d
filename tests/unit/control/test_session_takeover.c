/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failover in the gateway fleet (issue 14 item 5): host A dies, host B takes its place. Two
 * session managers on one store play the two hosts (the store's gateway.id says which one is
 * speaking), each with its lease (fleet.c) and its failover watch (fleet_takeover.c) on the
 * fake clock; the fake spgate-dp's table stands for the dataplane of whichever host acts
 * (emptied when B takes over: B's dataplane never had A's sessions). PostgreSQL only: one
 * host on SQLite has nobody to take over (each case says it is skipped there).
 *
 * The attacks first: a host that is alive is not taken; of two survivors only one takes; a
 * host cut off and taken over cannot write the sessions it lost, drops them when it hears it
 * was fenced, and takes nothing back when it returns.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fleet.h"
#include "fleet_takeover.h"
#include "session_fixture.h"
#include "store/gateway_store.h"
#include "store/takeover_store.h"

#define A_VENDOR 0x016433c6u /* 198.51.100.1 */
#define B_VENDOR 0x036433c6u /* 198.51.100.3 */
#define B_OUTER 0x037100cbu  /* 203.0.113.3 */

/* One host's spgate-dp as its failover sees it: its HELLO and the ADDRESS calls it got. */
struct host_dp {
	struct dpp_hello hello;
	bool up;
	struct spg_dp_address_req calls[16];
	int n;
};

static struct host_dp dp_a, dp_b;
static struct fleet *fleet_a, *fleet_b;
static struct fleet_takeover *to_a, *to_b;
static struct session_mgr *host_b;

static int64_t clock_now(void)
{
	return now_s;
}

static const struct dpp_hello *host_hello(void *arg)
{
	struct host_dp *h = arg;

	return h->up ? &h->hello : NULL;
}

static int host_address(void *arg, uint8_t op, uint8_t port, uint32_t addr)
{
	struct host_dp *h = arg;

	if (h->n < 16)
		h->calls[h->n++] = (struct spg_dp_address_req){.op = op, .port = port, .addr = addr};
	return 0;
}

static bool got_address(const struct host_dp *h, uint8_t op, uint8_t port, uint32_t addr)
{
	int i;

	for (i = 0; i < h->n; i++)
		if (h->calls[i].op == op && h->calls[i].port == port && h->calls[i].addr == addr)
			return true;
	return false;
}

static struct fleet *host_fleet(const char *id)
{
	char err[256];
	struct fleet *f;

	store_set_gateway_id(st, id);
	f = fleet_start(world_base(), st, id, clock_now, err, sizeof(err));
	if (f == NULL)
		fprintf(stderr, "fleet_start %s: %s\n", id, err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	return f;
}

static struct fleet_takeover *host_takeover(struct fleet *f, struct session_mgr *m, struct host_dp *h)
{
	struct fleet_takeover_env env = {
		.base = world_base(), /* its timer is not run: the tests call fleet_takeover_watch */
		.st = st,
		.fleet = f,
		.sessions = m,
		.audit = au,
		.dp_hello = host_hello,
		.dp_address = host_address,
		.dp_arg = h,
		.now = clock_now,
	};
	struct fleet_takeover *t = fleet_takeover_start(&env);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	fleet_takeover_dp_up(t);
	return t;
}

/* Host A (with the world's manager) up, with alice's session active on it. */
static int64_t host_a_up_with_a_session(void)
{
	int64_t id;

	world_up();
	memset(&dp_a, 0, sizeof(dp_a));
	memset(&dp_b, 0, sizeof(dp_b));
	dp_a.hello = hello;
	dp_a.hello.vendor_addr = A_VENDOR;
	dp_a.up = true;
	dp_b.hello = hello;
	dp_b.hello.vendor_addr = B_VENDOR;
	dp_b.hello.outer_addr = B_OUTER;
	dp_b.up = true;
	fleet_a = host_fleet("gw-a");
	to_a = host_takeover(fleet_a, mgr, &dp_a);
	id = active_session();
	return id;
}

/* As host B: its lease taken now (the clock has moved on), its manager and failover. */
static void host_b_up(void)
{
	fleet_b = host_fleet("gw-b");
	host_b = new_mgr();
	to_b = host_takeover(fleet_b, host_b, &dp_b);
}

static void hosts_down(void)
{
	fleet_takeover_stop(to_b);
	fleet_takeover_stop(to_a);
	session_mgr_free(host_b);
	fleet_stop(fleet_b);
	fleet_stop(fleet_a);
	to_a = to_b = NULL;
	host_b = NULL;
	fleet_a = fleet_b = NULL;
	world_down();
}

/* A lease's time passes, the given hosts renewing every period as their timers do. */
static void lease_passes(struct fleet *f1, struct fleet *f2)
{
	int i;

	for (i = 0; i * FLEET_RENEW_S < FLEET_LEASE_S; i++) {
		now_s += FLEET_RENEW_S;
		if (f1 != NULL)
			fleet_renew(f1);
		if (f2 != NULL)
			fleet_renew(f2);
	}
}

static const char *owner_of(int64_t id)
{
	static struct store_session s;

	CU_ASSERT_EQUAL_FATAL(store_session_get(st, id, &s), 0);
	return s.owner_gateway;
}

static bool pg_only(const char *what)
{
	if (ctl_test_pg() != NULL)
		return true;
	fprintf(stderr, "(%s: a fleet on PostgreSQL; skipped on SQLite) ", what);
	return false;
}

/* B takes A's place: A's session moves to B, B re-attaches and installs it from A's address. */
static void b_takes_over_a_dead_host(int64_t id)
{
	int conns = n_attaches;

	now_s += FLEET_LEASE_S + 1; /* A renews no more */
	memset(dp, 0, sizeof(struct fake_dp_entry) * MAX_DP); /* B's dataplane never had it */
	host_b_up();
	fleet_takeover_watch(to_b); /* B just started: the others get a lease's time to renew */
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-a");
	lease_passes(fleet_b, NULL);
	fleet_takeover_watch(to_b);
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-b");
	CU_ASSERT_EQUAL_FATAL(n_attaches, conns + 1);
	CU_ASSERT_TRUE(last_conn()->attach);
	agent_says_up(last_conn(), 0x2000);
	CU_ASSERT_EQUAL_FATAL(n_rekeys, 1); /* B's dataplane lacks it: new keys from B's channel */
	agent_rekeyed(last_conn(), 1, 0x2001);
	store_set_gateway_id(st, "gw-a");
}

/* The attack of a slow host: while A renews, nobody takes it. */
static void a_host_that_renews_is_not_taken(void)
{
	int64_t id;

	if (!pg_only("a live host"))
		return;
	id = host_a_up_with_a_session();
	host_b_up();
	lease_passes(fleet_a, fleet_b);
	fleet_takeover_watch(to_b);
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-a");
	CU_ASSERT_EQUAL(session_mgr_count(host_b), 0);
	CU_ASSERT_FALSE(got_address(&dp_b, SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, hello.outer_addr));
	CU_ASSERT_FALSE(got_address(&dp_b, SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, A_VENDOR));
	CU_ASSERT_TRUE(got_address(&dp_b, SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, B_VENDOR)); /* its own */
	CU_ASSERT_FALSE(audited("gateway_taken_over"));
	hosts_down();
}

static void a_dead_hosts_session_is_taken_and_installed_with_its_address(void)
{
	struct store_gateway_addresses a;
	int64_t id, gen_a;
	int i;

	if (!pg_only("takeover"))
		return;
	id = host_a_up_with_a_session();
	gen_a = fleet_generation(fleet_a);
	b_takes_over_a_dead_host(id);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	i = dp_find((uint64_t)id);
	CU_ASSERT_FATAL(i >= 0);
	/* ESP leaves from the address the agent knows: A's, which B's dataplane now holds */
	CU_ASSERT_EQUAL(dp[i].p.outer_src, hello.outer_addr);
	CU_ASSERT_TRUE(got_address(&dp_b, SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, hello.outer_addr));
	CU_ASSERT_TRUE(got_address(&dp_b, SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, A_VENDOR));
	CU_ASSERT_EQUAL(store_gateway_addresses_get(st, "gw-a", &a), 0);
	CU_ASSERT_STRING_EQUAL(a.holder, "gw-b");
	CU_ASSERT_TRUE(audited("gateway_taken_over"));
	CU_ASSERT_TRUE(audited("session_taken_over"));
	/* A's generation is fenced: its next renewal is refused */
	CU_ASSERT_EQUAL(store_gateway_renew(st, "gw-a", gen_a, now_s, FLEET_LEASE_S, 0), -ESTALE);
	hosts_down();
}

/* Two survivors see the same dead host: the fence lets exactly one take it. */
static void of_two_survivors_only_one_takes_a_dead_host(void)
{
	int64_t id, gen_a, moved = -1;

	if (!pg_only("two survivors"))
		return;
	id = host_a_up_with_a_session();
	gen_a = fleet_generation(fleet_a);
	now_s += FLEET_LEASE_S + 1;
	CU_ASSERT_EQUAL(store_gateway_take(st, "gw-a", gen_a, "gw-c", now_s, &moved), 0);
	CU_ASSERT_EQUAL(moved, 1);
	CU_ASSERT_EQUAL(store_gateway_take(st, "gw-a", gen_a, "gw-b", now_s, &moved), -EALREADY);
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-c");
	hosts_down();
}

/*
 * A was cut off, not dead: it still runs the session in memory. Its late writes change
 * nothing; its next renewal finds it fenced, and it drops the session (from its dataplane
 * too) without ending it: the agent, the store and B carry on.
 */
static void a_fenced_host_drops_what_it_lost_without_writing_it(void)
{
	int64_t id;
	int deletes;

	if (!pg_only("fencing"))
		return;
	id = host_a_up_with_a_session();
	b_takes_over_a_dead_host(id);
	/* as A, from its memory: */
	CU_ASSERT_EQUAL(store_session_set_state(st, id, STORE_SESSION_FAILED, "agent_lost", now_s), -ENOENT);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	deletes = n_dp_deletes;
	fleet_renew(fleet_a);
	CU_ASSERT_EQUAL(session_mgr_count(mgr), 0);
	CU_ASSERT_EQUAL(n_dp_deletes, deletes + 1);
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_ACTIVE);
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-b");
	CU_ASSERT_TRUE(audited("gateway_fenced"));
	/* B holds A's addresses: A silences its own and stands by */
	CU_ASSERT_STRING_EQUAL(fleet_takeover_standby(to_a), "gw-b");
	CU_ASSERT_TRUE(got_address(&dp_a, SPG_DP_ADDR_DEL, SPG_DP_PORT_VENDOR, A_VENDOR));
	CU_ASSERT_TRUE(got_address(&dp_a, SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, hello.outer_addr));
	CU_ASSERT_STRING_EQUAL(fleet_takeover_standby(to_b), "");
	hosts_down();
}

/* A restarted: it rejoins with a new generation and restores nothing of what B took. */
static void a_host_that_comes_back_takes_nothing_back(void)
{
	struct session_mgr *again;
	struct fleet_takeover *t;
	struct fleet *f;
	struct host_dp fresh;
	int64_t id;

	if (!pg_only("coming back"))
		return;
	id = host_a_up_with_a_session();
	b_takes_over_a_dead_host(id);
	fleet_takeover_stop(to_a);
	to_a = NULL;
	session_mgr_free(mgr);
	mgr = NULL;
	f = host_fleet("gw-a");
	again = new_mgr();
	CU_ASSERT_EQUAL(session_mgr_restore(again), 0);
	fresh = dp_a;
	fresh.n = 0;
	t = host_takeover(f, again, &fresh);
	CU_ASSERT_STRING_EQUAL(fleet_takeover_standby(t), "gw-b");
	CU_ASSERT_TRUE(got_address(&fresh, SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, hello.outer_addr));
	fleet_takeover_watch(t); /* B is alive: nothing to take */
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-b");
	CU_ASSERT_EQUAL(session_mgr_count(again), 0);
	fleet_takeover_stop(t);
	session_mgr_free(again);
	fleet_stop(f);
	store_set_gateway_id(st, "gw-a");
	hosts_down();
}

/*
 * B dies too, with A standing by: A takes B's place, and with it its own addresses back
 * (they were B's to hold) — the only way a host gets them again.
 */
static void a_standby_host_gets_its_addresses_back_by_taking_their_holder(void)
{
	int64_t id;

	if (!pg_only("addresses back"))
		return;
	id = host_a_up_with_a_session();
	b_takes_over_a_dead_host(id);
	fleet_renew(fleet_a); /* fenced: A stands by, rejoined with a new generation */
	CU_ASSERT_STRING_EQUAL(fleet_takeover_standby(to_a), "gw-b");
	lease_passes(fleet_a, NULL); /* A lives on, a lease's time without a gap; B does not renew */
	dp_a.n = 0;
	memset(dp, 0, sizeof(struct fake_dp_entry) * MAX_DP);
	fleet_takeover_watch(to_a);
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-a");
	CU_ASSERT_STRING_EQUAL(fleet_takeover_standby(to_a), "");
	CU_ASSERT_TRUE(got_address(&dp_a, SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, hello.outer_addr));
	CU_ASSERT_TRUE(got_address(&dp_a, SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, B_VENDOR));
	hosts_down();
}

/*
 * The addresses go back, never the sessions: B holds A's addresses while a session it took
 * from A lives, gives them back when the last one ends and A lives again; A then announces
 * them and serves connects. Not to a dead host, not while a session uses them.
 */
static void the_addresses_go_back_when_the_taken_sessions_have_ended(void)
{
	struct store_gateway_addresses a;
	struct store_session s;
	int64_t id;

	if (!pg_only("giving back"))
		return;
	id = host_a_up_with_a_session();
	b_takes_over_a_dead_host(id);
	fleet_renew(fleet_a); /* A comes back: fenced, stands by */
	CU_ASSERT_STRING_EQUAL(fleet_takeover_standby(to_a), "gw-b");
	store_set_gateway_id(st, "gw-b");
	fleet_takeover_watch(to_b); /* the session lives: kept */
	CU_ASSERT_EQUAL(store_gateway_addresses_get(st, "gw-a", &a), 0);
	CU_ASSERT_STRING_EQUAL(a.holder, "gw-b");
	CU_ASSERT_EQUAL(session_disconnect(host_b, id, "alice", "done", &s), 0);
	agent_closes(last_conn());
	CU_ASSERT_EQUAL(state_of(id), STORE_SESSION_CLOSED);
	dp_b.n = 0;
	fleet_takeover_watch(to_b);
	CU_ASSERT_EQUAL(store_gateway_addresses_get(st, "gw-a", &a), 0);
	CU_ASSERT_STRING_EQUAL(a.holder, "gw-a");
	CU_ASSERT_TRUE(got_address(&dp_b, SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, hello.outer_addr));
	CU_ASSERT_TRUE(got_address(&dp_b, SPG_DP_ADDR_DEL, SPG_DP_PORT_VENDOR, A_VENDOR));
	CU_ASSERT_TRUE(audited("gateway_addresses_returned"));
	store_set_gateway_id(st, "gw-a");
	dp_a.n = 0;
	fleet_takeover_watch(to_a);
	CU_ASSERT_STRING_EQUAL(fleet_takeover_standby(to_a), "");
	CU_ASSERT_TRUE(got_address(&dp_a, SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, hello.outer_addr));
	CU_ASSERT_TRUE(got_address(&dp_a, SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, A_VENDOR));
	hosts_down();
}

/* A holder whose host is still dead keeps its addresses, sessions or not. */
static void addresses_are_not_given_back_to_a_dead_host(void)
{
	struct store_gateway_addresses a;
	struct store_session s;
	int64_t id;

	if (!pg_only("not to the dead"))
		return;
	id = host_a_up_with_a_session();
	b_takes_over_a_dead_host(id);
	store_set_gateway_id(st, "gw-b");
	CU_ASSERT_EQUAL(session_disconnect(host_b, id, "alice", "done", &s), 0);
	agent_closes(last_conn());
	fleet_takeover_watch(to_b);
	CU_ASSERT_EQUAL(store_gateway_addresses_get(st, "gw-a", &a), 0);
	CU_ASSERT_STRING_EQUAL(a.holder, "gw-b");
	store_set_gateway_id(st, "gw-a");
	hosts_down();
}

/*
 * The store was away longer than a lease: every lease looks expired when it comes back. The
 * first host back must not take the others, which renew within a period.
 */
static void a_store_outage_does_not_make_the_first_host_back_take_the_others(void)
{
	int64_t id;

	if (!pg_only("store outage"))
		return;
	id = host_a_up_with_a_session();
	host_b_up();
	lease_passes(fleet_a, fleet_b);
	now_s += 2 * FLEET_LEASE_S; /* the outage: nobody renews */
	fleet_renew(fleet_b);       /* B is back first */
	fleet_takeover_watch(to_b);
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-a");
	lease_passes(fleet_a, fleet_b); /* A renews in its period too */
	fleet_takeover_watch(to_b);
	CU_ASSERT_STRING_EQUAL(owner_of(id), "gw-a");
	CU_ASSERT_FALSE(audited("gateway_taken_over"));
	hosts_down();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_host_that_renews_is_not_taken),
		CASE(of_two_survivors_only_one_takes_a_dead_host),
		CASE(a_store_outage_does_not_make_the_first_host_back_take_the_others),
		CASE(a_fenced_host_drops_what_it_lost_without_writing_it),
		CASE(a_host_that_comes_back_takes_nothing_back),
		CASE(a_dead_hosts_session_is_taken_and_installed_with_its_address),
		CASE(a_standby_host_gets_its_addresses_back_by_taking_their_holder),
		CASE(the_addresses_go_back_when_the_taken_sessions_have_ended),
		CASE(addresses_are_not_given_back_to_a_dead_host),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("session_takeover", cases);
}
