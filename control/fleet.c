/* SPDX-License-Identifier: BSD-3-Clause */
/* The lease of this gateway host in the fleet (fleet.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fleet.h"
#include "store/gateway_store.h"

struct fleet {
	struct store *st;
	struct event *timer;
	char id[64];
	int64_t generation;
	int64_t (*now)(void);
	int failing; /* said that renewals fail, not yet that they work again */
	int64_t renewed_at; /* the last acquire or renewal the store accepted */
	int64_t fresh_since; /* renewals have succeeded without a gap since */
	void (*on_fenced)(int64_t old_generation, void *arg);
	void *on_fenced_arg;
};

static int64_t now_of(const struct fleet *f)
{
	return f->now != NULL ? f->now() : (int64_t)time(NULL);
}

static int64_t load_x100(void)
{
	double avg[1];

	return getloadavg(avg, 1) == 1 ? (int64_t)(avg[0] * 100.0) : 0;
}

static void arm(struct fleet *f)
{
	struct timeval tv = { .tv_sec = FLEET_RENEW_S };

	evtimer_add(f->timer, &tv);
}

/*
 * Fenced: someone acquired this id's row since (the same gateway.id started twice, or later a
 * surviving host that took this one's sessions over). This host takes a new generation as a
 * member; acting for the sessions it had is the failover work's to refuse (docs/fleet.md).
 */
static void fenced(struct fleet *f)
{
	int64_t old = f->generation;
	int rc;

	/* first let go of what the new owner now runs, then come back as a member */
	if (f->on_fenced != NULL)
		f->on_fenced(old, f->on_fenced_arg);
	rc = store_gateway_acquire(f->st, f->id, SPGATE_VERSION, now_of(f), FLEET_LEASE_S,
				   &f->generation);
	fprintf(stderr, "spgate-control: gateway %s: the lease of generation %lld was taken over; "
			"%s\n", f->id, (long long)old,
		rc == 0 ? "rejoined the fleet with a new generation" : "cannot rejoin now");
	if (rc == 0)
		f->renewed_at = f->fresh_since = now_of(f);
}

static void renew(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fleet_renew(arg);
	arm(arg);
}

void fleet_renew(struct fleet *f)
{
	int rc;

	rc = store_gateway_renew(f->st, f->id, f->generation, now_of(f), FLEET_LEASE_S, load_x100());
	if (rc == -ESTALE) {
		fenced(f);
	} else if (rc < 0 && !f->failing) {
		/* store_watch says why when the server is gone; this says what it costs */
		fprintf(stderr, "spgate-control: gateway %s: cannot renew the fleet lease: %s; "
				"other hosts see this one dead %d s after the last renewal\n",
			f->id, strerror(-rc), FLEET_LEASE_S);
		f->failing = 1;
	}
	if (rc == 0 && (f->failing || !fleet_lease_fresh(f)))
		f->fresh_since = now_of(f); /* back after a gap: the others renew again too */
	if (rc == 0)
		f->renewed_at = now_of(f);
	if (rc == 0 && f->failing) {
		fprintf(stderr, "spgate-control: gateway %s: the fleet lease is renewed again\n", f->id);
		f->failing = 0;
	}
}

struct fleet *fleet_start(struct event_base *base, struct store *st, const char *id,
			  int64_t (*now)(void), char *err, size_t errlen)
{
	struct fleet *f = calloc(1, sizeof(*f));
	int rc;

	if (f == NULL || (f->timer = evtimer_new(base, renew, f)) == NULL) {
		free(f);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	f->st = st;
	f->now = now;
	snprintf(f->id, sizeof(f->id), "%s", id);
	rc = store_gateway_acquire(st, f->id, SPGATE_VERSION, now_of(f), FLEET_LEASE_S,
				   &f->generation);
	if (rc < 0) {
		snprintf(err, errlen, "gateway %s: cannot take the fleet lease: %s (%s)", id,
			 strerror(-rc), store_errmsg(st));
		fleet_stop(f);
		errno = -rc;
		return NULL;
	}
	f->renewed_at = f->fresh_since = now_of(f);
	arm(f);
	return f;
}

void fleet_stop(struct fleet *f)
{
	if (f == NULL)
		return;
	if (f->timer != NULL)
		event_free(f->timer);
	free(f);
}

int64_t fleet_generation(const struct fleet *f)
{
	return f->generation;
}

const char *fleet_id(const struct fleet *f)
{
	return f->id;
}

/*
 * Stop acting one renewal period before the lease runs out by this host's clock: by then
 * another host may be about to take this one's sessions, and two gateways re-attaching the
 * same agents would take them from each other in turn.
 */
bool fleet_lease_fresh(const struct fleet *f)
{
	return f == NULL || now_of(f) < f->renewed_at + FLEET_LEASE_S - FLEET_RENEW_S;
}

void fleet_on_fenced(struct fleet *f, void (*fn)(int64_t old_generation, void *arg), void *arg)
{
	f->on_fenced = fn;
	f->on_fenced_arg = arg;
}

/*
 * Taking another host over needs more than a fresh lease: after this host's own gap (its
 * start, or the store unreachable) every other host needs a renewal period to renew too, or
 * a store outage longer than a lease would look like the death of every host but the first
 * one back. A lease's length of renewals without a gap is enough for all of them.
 */
bool fleet_may_take_over(const struct fleet *f)
{
	return f != NULL && fleet_lease_fresh(f) && now_of(f) - f->fresh_since >= FLEET_LEASE_S;
}
