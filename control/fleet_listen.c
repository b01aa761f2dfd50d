/* SPDX-License-Identifier: BSD-3-Clause */
/* Notifications from the other hosts of the fleet (fleet_listen.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet_listen.h"
#include "store/db.h"
#include "store/handoff_store.h"

#define CONNECT_POLL_MS 100 /* PQconnectPoll steps of a reconnect in flight */

struct fleet_listen {
	struct event_base *base;
	struct db *db;
	struct event *readable; /* on the LISTEN connection's socket; NULL while it is down */
	struct event *timer;    /* polling and reconnecting while it is down */
	struct fleet_listen_events ev;
	int64_t next_poll_ms;   /* counts down to the next on_poll while down */
};

static void arm(struct fleet_listen *l, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(l->timer, &tv);
}

/* The payload is a session id in decimal; anything else is not ours to act on. */
static void heard(const char *channel, const char *payload, void *arg)
{
	struct fleet_listen *l = arg;
	char *end = NULL;
	long long id;

	if (strcmp(channel, STORE_SESSION_CHANNEL) != 0 || payload == NULL)
		return;
	errno = 0;
	id = strtoll(payload, &end, 10);
	if (errno != 0 || end == payload || *end != '\0' || id <= 0)
		return;
	l->ev.on_session((int64_t)id, l->ev.arg);
}

static void lost(struct fleet_listen *l)
{
	const char *why = db_errmsg(l->db);

	/* libpq's message goes on over several lines: the first says what happened */
	fprintf(stderr, "spgate-control: the fleet's notification connection is lost: %.*s; "
			"polling the store every %d s until it is back\n",
		(int)strcspn(why, "\n"), why, FLEET_LISTEN_POLL_S);
	event_free(l->readable);
	l->readable = NULL;
	l->next_poll_ms = 0;
	arm(l, 0);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct fleet_listen *l = arg;

	(void)fd;
	(void)what;
	if (db_notifications(l->db, heard, l) < 0)
		lost(l);
}

/* LISTEN on a (new) connection and watch its socket: 0 or -errno. */
static int listen_on(struct fleet_listen *l)
{
	int rc = db_listen(l->db, STORE_SESSION_CHANNEL);

	if (rc < 0)
		return rc;
	l->readable = event_new(l->base, db_socket(l->db), EV_READ | EV_PERSIST, on_readable, l);
	if (l->readable == NULL || event_add(l->readable, NULL) != 0)
		return -ENOMEM;
	return 0;
}

static void down_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fleet_listen *l = arg;
	int rc;

	(void)fd;
	(void)what;
	if (l->next_poll_ms <= 0) {
		l->ev.on_poll(l->ev.arg);
		l->next_poll_ms = FLEET_LISTEN_POLL_S * 1000;
	}
	rc = db_reconnect(l->db);
	if (rc == 0 && listen_on(l) == 0) {
		fprintf(stderr, "spgate-control: the fleet's notification connection is back\n");
		l->ev.on_poll(l->ev.arg); /* what was decided while nobody listened */
		return;
	}
	if (rc == 0) { /* connected but LISTEN failed: drop it and start over */
		if (l->readable != NULL)
			event_free(l->readable);
		l->readable = NULL;
	}
	rc = rc == -EINPROGRESS ? CONNECT_POLL_MS : FLEET_LISTEN_POLL_S * 1000;
	l->next_poll_ms -= rc;
	arm(l, (unsigned)rc);
}

struct fleet_listen *fleet_listen_start(struct event_base *base, const char *url,
					const struct fleet_listen_events *ev, char *err, size_t errlen)
{
	struct fleet_listen *l = calloc(1, sizeof(*l));
	char why[256];
	int rc;

	if (l == NULL || (l->timer = evtimer_new(base, down_tick, l)) == NULL) {
		free(l);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	l->base = base;
	l->ev = *ev;
	l->db = db_open(url, why, sizeof(why));
	if (l->db == NULL) {
		rc = -errno;
		snprintf(err, errlen, "the fleet's notification connection: %s", why);
		goto fail;
	}
	rc = listen_on(l);
	if (rc < 0) {
		snprintf(err, errlen, "the fleet's notification connection: LISTEN %s: %s", STORE_SESSION_CHANNEL,
			 db_errmsg(l->db));
		goto fail;
	}
	return l;
fail:
	fleet_listen_stop(l);
	errno = -rc;
	return NULL;
}

void fleet_listen_stop(struct fleet_listen *l)
{
	if (l == NULL)
		return;
	if (l->readable != NULL)
		event_free(l->readable);
	event_free(l->timer);
	if (l->db != NULL)
		db_close(l->db);
	free(l);
}

int fleet_listen_up(const struct fleet_listen *l)
{
	return l != NULL && l->readable != NULL;
}
