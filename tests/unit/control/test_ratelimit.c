/* SPDX-License-Identifier: BSD-3-Clause */
/* Login rate limiting: a sliding window per user and per source, on a clock the test turns. */
#include <stdint.h>
#include <stdio.h>

#include "auth/ratelimit.h"
#include "unit_run.h"

static uint64_t fake_now;

static uint64_t fake_clock(void *ctx)
{
	(void)ctx;
	return fake_now;
}

/* 3 failures in 60 s, starting at t = 1000. */
static struct ratelimit *limiter(void)
{
	struct ratelimit *rl;

	fake_now = 1000;
	rl = ratelimit_create(3, 60, 0, fake_clock, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	return rl;
}

static void fail_times(struct ratelimit *rl, const char *user, const char *src, unsigned n)
{
	while (n--)
		ratelimit_failure(rl, user, src);
}

static void a_fresh_user_may_try(void)
{
	struct ratelimit *rl = limiter();
	unsigned wait = 99;

	CU_ASSERT_TRUE(ratelimit_allowed(rl, "alice", "192.0.2.7", &wait));
	CU_ASSERT_EQUAL(wait, 0);
	ratelimit_free(rl);
}

static void failures_below_the_limit_still_allow_a_try(void)
{
	struct ratelimit *rl = limiter();

	fail_times(rl, "alice", "192.0.2.7", 2);
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "alice", "192.0.2.7", NULL));
	ratelimit_free(rl);
}

static void max_failures_in_the_window_refuse_the_user_from_any_source(void)
{
	struct ratelimit *rl = limiter();
	unsigned wait = 0;

	fail_times(rl, "alice", "192.0.2.7", 3);
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "alice", "198.51.100.9", &wait));
	CU_ASSERT_EQUAL(wait, 60);
	ratelimit_free(rl);
}

static void the_refusal_ends_when_the_oldest_failure_leaves_the_window(void)
{
	struct ratelimit *rl = limiter();
	unsigned wait = 0;

	ratelimit_failure(rl, "alice", "192.0.2.7"); /* t=1000 */
	fake_now = 1020;
	fail_times(rl, "alice", "192.0.2.7", 2); /* t=1020 */
	fake_now = 1059;
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "alice", NULL, &wait));
	CU_ASSERT_EQUAL(wait, 1);
	fake_now = 1060; /* the failure at 1000 is now 60 s old: out of the window */
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "alice", NULL, &wait));
	/* One more failure refills the window until the failures at 1020 age out. */
	ratelimit_failure(rl, "alice", NULL);
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "alice", NULL, &wait));
	CU_ASSERT_EQUAL(wait, 20);
	fake_now = 1080;
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "alice", NULL, NULL));
	ratelimit_free(rl);
}

static void a_source_guessing_many_users_is_refused_for_every_user(void)
{
	struct ratelimit *rl = limiter();

	ratelimit_failure(rl, "alice", "203.0.113.5");
	ratelimit_failure(rl, "bob", "203.0.113.5");
	ratelimit_failure(rl, "carol", "203.0.113.5");
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "dave", "203.0.113.5", NULL));
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "dave", "203.0.113.6", NULL));
	ratelimit_free(rl);
}

static void a_success_clears_the_users_failures_but_not_the_sources(void)
{
	struct ratelimit *rl = limiter();

	fail_times(rl, "alice", "203.0.113.5", 2);
	ratelimit_failure(rl, "bob", "203.0.113.5");
	ratelimit_success(rl, "alice");
	fail_times(rl, "alice", "198.51.100.1", 2);
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "alice", "198.51.100.1", NULL));
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "erin", "203.0.113.5", NULL));
	ratelimit_free(rl);
}

static void user_names_differing_in_case_share_one_budget(void)
{
	struct ratelimit *rl = limiter();

	ratelimit_failure(rl, "alice", NULL);
	ratelimit_failure(rl, "Alice", NULL);
	ratelimit_failure(rl, "ALICE", NULL);
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "aLiCe", NULL, NULL));
	ratelimit_free(rl);
}

static void attempts_in_flight_count_against_the_limit(void)
{
	struct ratelimit *rl = limiter();

	ratelimit_failure(rl, "alice", NULL);
	CU_ASSERT_TRUE(ratelimit_allowed_pending(rl, "alice", 1, "192.0.2.1", 0, NULL));
	CU_ASSERT_FALSE(ratelimit_allowed_pending(rl, "alice", 2, "192.0.2.1", 0, NULL));
	CU_ASSERT_FALSE(ratelimit_allowed_pending(rl, "bob", 0, "192.0.2.1", 3, NULL));
	ratelimit_free(rl);
}

static void zero_max_failures_never_limits(void)
{
	struct ratelimit *rl = ratelimit_create(0, 0, 0, fake_clock, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	fail_times(rl, "alice", "192.0.2.7", 1000);
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "alice", "192.0.2.7", NULL));
	ratelimit_free(rl);
}

static void a_limit_without_a_window_is_refused(void)
{
	CU_ASSERT_PTR_NULL(ratelimit_create(5, 0, 0, NULL, NULL));
}

static void a_full_table_forgets_expired_keys_first(void)
{
	struct ratelimit *rl;

	fake_now = 1000;
	rl = ratelimit_create(1, 60, 4, fake_clock, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	ratelimit_failure(rl, "mallory", NULL);
	fake_now = 1030;
	ratelimit_failure(rl, "u0", NULL);
	ratelimit_failure(rl, "u1", NULL);
	ratelimit_failure(rl, "u2", NULL); /* the table is full */
	fake_now = 1070;		   /* mallory's failure has expired, the others have not */
	ratelimit_failure(rl, "u3", NULL);
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "mallory", NULL, NULL));
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "u0", NULL, NULL));
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "u1", NULL, NULL));
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "u2", NULL, NULL));
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "u3", NULL, NULL));
	ratelimit_free(rl);
}

static void a_full_table_with_nothing_expired_evicts_the_stalest_key(void)
{
	struct ratelimit *rl;
	char name[16];
	unsigned i;

	fake_now = 1000;
	rl = ratelimit_create(1, 600, 4, fake_clock, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rl);
	for (i = 0; i < 4; i++) {
		fake_now = 1000 + i;
		snprintf(name, sizeof(name), "u%u", i);
		ratelimit_failure(rl, name, NULL);
	}
	fake_now = 1010;
	ratelimit_failure(rl, "u4", NULL);
	CU_ASSERT_TRUE(ratelimit_allowed(rl, "u0", NULL, NULL)); /* stalest: forgotten */
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "u1", NULL, NULL));
	CU_ASSERT_FALSE(ratelimit_allowed(rl, "u4", NULL, NULL));
	ratelimit_free(rl);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(a_fresh_user_may_try),
		T(failures_below_the_limit_still_allow_a_try),
		T(max_failures_in_the_window_refuse_the_user_from_any_source),
		T(the_refusal_ends_when_the_oldest_failure_leaves_the_window),
		T(a_source_guessing_many_users_is_refused_for_every_user),
		T(a_success_clears_the_users_failures_but_not_the_sources),
		T(user_names_differing_in_case_share_one_budget),
		T(attempts_in_flight_count_against_the_limit),
		T(zero_max_failures_never_limits),
		T(a_limit_without_a_window_is_refused),
		T(a_full_table_forgets_expired_keys_first),
		T(a_full_table_with_nothing_expired_evicts_the_stalest_key),
#undef T
		{NULL, NULL},
	};

	return unit_run("ratelimit", cases, NULL, NULL);
}
