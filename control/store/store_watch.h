/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keeps a PostgreSQL store connected: a libevent timer that notices a lost connection and
 * reconnects with back-off (0.1 s polls while a connect is in flight, then 1, 2, 4 ... 30 s
 * between attempts), saying so once on loss and once on recovery. Live sessions do not wait
 * for it: the dataplane forwards without the store; requests meanwhile are answered "store
 * unavailable" (api/ops.c). A SQLite store needs none: store_watch_start returns a no-op.
 */
#ifndef SPG_STORE_WATCH_H
#define SPG_STORE_WATCH_H

#include <event2/event.h>

#include "store/store.h"

struct store_watch;

/* NULL on ENOMEM. */
struct store_watch *store_watch_start(struct event_base *base, struct store *st);
void store_watch_stop(struct store_watch *w);

#endif
