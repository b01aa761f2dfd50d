/* SPDX-License-Identifier: BSD-3-Clause */
#include "ratelimit.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#define RL_KEY_MAX 80 /* "u:" or "a:" + a user or address, truncated */

/* The failures of one key (a user or a source address), oldest first in a ring. */
struct rl_entry {
	struct rl_entry *next; /* hash chain */
	char key[RL_KEY_MAX];
	unsigned head, n; /* ring start and number of failures counted */
	uint64_t last;	  /* time of the newest failure, for eviction */
	uint64_t t[];	  /* max_failures slots */
};

struct ratelimit {
	unsigned max_failures, window_s, max_entries, n_entries;
	ratelimit_clock_fn clock;
	void *clock_ctx;
	uint32_t seed; /* random, so chosen names do not all land in one bucket */
	unsigned n_buckets;
	struct rl_entry **buckets;
};

static uint64_t rl_monotonic(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

struct ratelimit *ratelimit_create(unsigned max_failures, unsigned window_s, unsigned max_entries,
				   ratelimit_clock_fn clock, void *clock_ctx)
{
	struct ratelimit *rl;

	if (max_failures > 0 && window_s == 0) {
		errno = EINVAL;
		return NULL;
	}
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL)
		return NULL;
	rl->max_failures = max_failures;
	rl->window_s = window_s;
	rl->max_entries = max_entries ? max_entries : 65536;
	rl->clock = clock ? clock : rl_monotonic;
	rl->clock_ctx = clock_ctx;
	for (rl->n_buckets = 64; rl->n_buckets < rl->max_entries / 4; rl->n_buckets *= 2)
		;
	rl->buckets = calloc(rl->n_buckets, sizeof(*rl->buckets));
	if (rl->buckets == NULL) {
		free(rl);
		errno = ENOMEM;
		return NULL;
	}
	if (RAND_bytes((unsigned char *)&rl->seed, sizeof(rl->seed)) != 1)
		rl->seed = (uint32_t)time(NULL);
	return rl;
}

/* "u:<user, case-folded>" or "a:<source>". */
static void rl_make_key(char key[RL_KEY_MAX], char kind, const char *name)
{
	size_t i;

	key[0] = kind;
	key[1] = ':';
	for (i = 0; name[i] != '\0' && i + 3 < RL_KEY_MAX; i++)
		key[i + 2] = kind == 'u' ? (char)tolower((unsigned char)name[i]) : name[i];
	key[i + 2] = '\0';
}

static unsigned rl_bucket(const struct ratelimit *rl, const char *key)
{
	uint32_t h = 2166136261u ^ rl->seed;

	for (; *key != '\0'; key++)
		h = (h ^ (uint8_t)*key) * 16777619u;
	return h & (rl->n_buckets - 1);
}

static struct rl_entry *rl_find(const struct ratelimit *rl, const char *key,
				struct rl_entry ***link)
{
	struct rl_entry **pp = &rl->buckets[rl_bucket(rl, key)];

	for (; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->key, key) == 0)
			break;
	if (link != NULL)
		*link = pp;
	return *pp;
}

/* Drops failures that have left the window. */
static void rl_expire(const struct ratelimit *rl, struct rl_entry *e, uint64_t now)
{
	while (e->n > 0 && e->t[e->head] + rl->window_s <= now) {
		e->head = (e->head + 1) % rl->max_failures;
		e->n--;
	}
}

static void rl_unlink(struct ratelimit *rl, struct rl_entry **link)
{
	struct rl_entry *e = *link;

	*link = e->next;
	free(e);
	rl->n_entries--;
}

/*
 * Makes room for one entry: forgets keys with nothing left in the window, or else the key
 * whose newest failure is oldest. Linear, but only runs when the table is full.
 */
static void rl_make_room(struct ratelimit *rl, uint64_t now)
{
	struct rl_entry **oldest = NULL;
	unsigned b;

	for (b = 0; b < rl->n_buckets; b++) {
		struct rl_entry **pp = &rl->buckets[b];

		while (*pp != NULL) {
			rl_expire(rl, *pp, now);
			if ((*pp)->n == 0) {
				rl_unlink(rl, pp);
				continue;
			}
			if (oldest == NULL || (*pp)->last < (*oldest)->last)
				oldest = pp;
			pp = &(*pp)->next;
		}
	}
	if (rl->n_entries >= rl->max_entries && oldest != NULL)
		rl_unlink(rl, oldest);
}

/*
 * Seconds until key may try again with pending attempts in flight, 0 when it may try now.
 * When only the pending attempts are in the way, 1: they end soon, one way or the other.
 */
static unsigned rl_wait(struct ratelimit *rl, const char *key, unsigned pending, uint64_t now)
{
	struct rl_entry *e = rl_find(rl, key, NULL);
	unsigned n = 0;

	if (e != NULL) {
		rl_expire(rl, e, now);
		n = e->n;
	}
	if (n + pending < rl->max_failures)
		return 0;
	if (n < rl->max_failures)
		return 1;
	return (unsigned)(e->t[e->head] + rl->window_s - now);
}

bool ratelimit_allowed_pending(struct ratelimit *rl, const char *user, unsigned user_pending,
			       const char *source, unsigned source_pending,
			       unsigned *retry_after_s)
{
	char key[RL_KEY_MAX];
	unsigned wait = 0, w;
	uint64_t now;

	if (rl->max_failures == 0)
		return true;
	now = rl->clock(rl->clock_ctx);
	rl_make_key(key, 'u', user);
	wait = rl_wait(rl, key, user_pending, now);
	if (source != NULL && source[0] != '\0') {
		rl_make_key(key, 'a', source);
		w = rl_wait(rl, key, source_pending, now);
		wait = w > wait ? w : wait;
	}
	if (retry_after_s != NULL)
		*retry_after_s = wait;
	return wait == 0;
}

bool ratelimit_allowed(struct ratelimit *rl, const char *user, const char *source,
		       unsigned *retry_after_s)
{
	return ratelimit_allowed_pending(rl, user, 0, source, 0, retry_after_s);
}

static void rl_record(struct ratelimit *rl, const char *key, uint64_t now)
{
	struct rl_entry **link, *e = rl_find(rl, key, &link);

	if (e == NULL) {
		if (rl->n_entries >= rl->max_entries) {
			rl_make_room(rl, now);
			rl_find(rl, key, &link); /* the chain may have changed */
		}
		e = calloc(1, sizeof(*e) + rl->max_failures * sizeof(e->t[0]));
		if (e == NULL)
			return; /* unrecorded: fail open on this one attempt rather than crash */
		strcpy(e->key, key);
		*link = e;
		rl->n_entries++;
	}
	rl_expire(rl, e, now);
	if (e->n == rl->max_failures) { /* full: the oldest makes way */
		e->head = (e->head + 1) % rl->max_failures;
		e->n--;
	}
	e->t[(e->head + e->n) % rl->max_failures] = now;
	e->n++;
	e->last = now;
}

void ratelimit_failure(struct ratelimit *rl, const char *user, const char *source)
{
	char key[RL_KEY_MAX];
	uint64_t now;

	if (rl->max_failures == 0)
		return;
	now = rl->clock(rl->clock_ctx);
	rl_make_key(key, 'u', user);
	rl_record(rl, key, now);
	if (source != NULL && source[0] != '\0') {
		rl_make_key(key, 'a', source);
		rl_record(rl, key, now);
	}
}

void ratelimit_success(struct ratelimit *rl, const char *user)
{
	char key[RL_KEY_MAX];
	struct rl_entry **link;

	if (rl->max_failures == 0)
		return;
	rl_make_key(key, 'u', user);
	if (rl_find(rl, key, &link) != NULL)
		rl_unlink(rl, link);
}

void ratelimit_free(struct ratelimit *rl)
{
	unsigned b;

	if (rl == NULL)
		return;
	for (b = 0; b < rl->n_buckets; b++)
		while (rl->buckets[b] != NULL)
			rl_unlink(rl, &rl->buckets[b]);
	free(rl->buckets);
	free(rl);
}
