/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This host's ear in the fleet (issue 14 item 4): a connection of its own to the PostgreSQL
 * store that LISTENs on STORE_SESSION_CHANNEL (handoff_store.h), its socket watched by the
 * event loop (PQconsumeInput/PQnotifies through db_notifications). Each notification's
 * session id goes to on_session; while the connection is down, on_poll is called every
 * FLEET_LISTEN_POLL_S seconds instead (and once when it is back: what was sent meanwhile is
 * lost), and the connection is made again without blocking the loop. A separate connection
 * because the store's own consumes notifications inside its queries, where no socket event
 * would announce them.
 */
#ifndef SPG_FLEET_LISTEN_H
#define SPG_FLEET_LISTEN_H

#include <stdint.h>

#include <event2/event.h>

#define FLEET_LISTEN_POLL_S 2

struct fleet_listen;

struct fleet_listen_events {
	void (*on_session)(int64_t session_id, void *arg);
	void (*on_poll)(void *arg);
	void *arg;
};

/*
 * Connects to url (PostgreSQL; blocking, as the store's first connection does) and LISTENs.
 * NULL with errno set and err filled.
 */
struct fleet_listen *fleet_listen_start(struct event_base *base, const char *url,
					const struct fleet_listen_events *ev, char *err, size_t errlen);
void fleet_listen_stop(struct fleet_listen *l);
/* 1 while notifications arrive (the LISTEN connection is up). */
int fleet_listen_up(const struct fleet_listen *l);

#endif
