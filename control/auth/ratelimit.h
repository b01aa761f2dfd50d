/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Login failure rate limiting: at most max_failures failed logins per user and per source
 * address within a sliding window of window_s seconds. When either key has reached the limit,
 * further attempts are refused until its oldest counted failure leaves the window. A success
 * clears the user's failures (not the source's: one address guessing many users stays limited).
 * User keys are case-folded so "Alice" and "alice" share a budget.
 * Not thread-safe: used on the event loop thread only.
 */
#ifndef SPG_RATELIMIT_H
#define SPG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

/* Returns the current time in seconds from any fixed origin (monotonic). */
typedef uint64_t (*ratelimit_clock_fn)(void *ctx);

/*
 * max_entries bounds the memory (0: 65536 keys); when full, the key with the oldest last
 * failure is forgotten. clock NULL: CLOCK_MONOTONIC. NULL with errno set (EINVAL: window_s 0
 * while max_failures > 0).
 */
struct ratelimit *ratelimit_create(unsigned max_failures, unsigned window_s, unsigned max_entries,
				   ratelimit_clock_fn clock, void *clock_ctx);

/*
 * True when user from source may try now. When not, *retry_after_s (may be NULL) says how
 * many seconds until the next attempt is allowed. max_failures 0 always allows.
 */
bool ratelimit_allowed(struct ratelimit *rl, const char *user, const char *source,
		       unsigned *retry_after_s);

/*
 * As ratelimit_allowed(), counting attempts still in progress as if they had failed, so that
 * many parallel attempts cannot all slip in before the first failure is recorded.
 */
bool ratelimit_allowed_pending(struct ratelimit *rl, const char *user, unsigned user_pending,
			       const char *source, unsigned source_pending,
			       unsigned *retry_after_s);

/* Records a failed attempt for user and for source. */
void ratelimit_failure(struct ratelimit *rl, const char *user, const char *source);

/* Forgets user's failures after a successful login. */
void ratelimit_success(struct ratelimit *rl, const char *user);

void ratelimit_free(struct ratelimit *rl);

#endif
