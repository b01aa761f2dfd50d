/* SPDX-License-Identifier: BSD-3-Clause */
/* The PostgreSQL store's reconnect timer (store_watch.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_watch.h"

#define CHECK_MS 1000	    /* how soon a loss seen by a failed query is acted on */
#define POLL_MS 100	    /* PQconnectPoll steps of a connect in flight */
#define BACKOFF_MIN_MS 1000 /* after a failed attempt; doubles ... */
#define BACKOFF_MAX_MS 30000 /* ... up to this */

struct store_watch {
	struct store *st;
	struct event *timer;
	unsigned backoff_ms;
	int lost; /* said "lost" and not yet "back" */
};

static void arm(struct store_watch *w, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	evtimer_add(w->timer, &tv);
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct store_watch *w = arg;
	int rc;

	(void)fd;
	(void)what;
	if (store_available(w->st)) {
		arm(w, CHECK_MS);
		return;
	}
	if (!w->lost) {
		fprintf(stderr, "spgate-control: the store (postgresql) is unreachable: %s; "
				"live sessions go on, requests are refused until it is back\n",
			store_errmsg(w->st));
		w->lost = 1;
		w->backoff_ms = BACKOFF_MIN_MS;
	}
	rc = store_reconnect(w->st);
	if (rc == 0) {
		fprintf(stderr, "spgate-control: the store (postgresql) is back\n");
		w->lost = 0;
		arm(w, CHECK_MS);
	} else if (rc == -EINPROGRESS) {
		arm(w, POLL_MS);
	} else {
		arm(w, w->backoff_ms);
		w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
	}
}

struct store_watch *store_watch_start(struct event_base *base, struct store *st)
{
	struct store_watch *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->st = st;
	w->timer = evtimer_new(base, tick, w);
	if (w->timer == NULL) {
		free(w);
		return NULL;
	}
	if (store_kind(st) == DB_POSTGRESQL)
		arm(w, CHECK_MS);
	return w;
}

void store_watch_stop(struct store_watch *w)
{
	if (w == NULL)
		return;
	event_free(w->timer);
	free(w);
}
