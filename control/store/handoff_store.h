/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decisions one gateway host takes for a session another host owns (issue 14 item 4): an
 * approval or denial (the approvals table, as for a local one) or a disconnect (the request
 * kept on the session row here), followed by a NOTIFY on STORE_SESSION_CHANNEL with the
 * session id. The owner LISTENs (session_handoff.c) and re-reads and checks the store's
 * decision before acting on it: the notification is only a hint.
 */
#ifndef SPG_HANDOFF_STORE_H
#define SPG_HANDOFF_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_SESSION_CHANNEL "spgate_session"

/* Migration 10: the disconnect asked of a live session by another host. */
extern const char store_handoff_schema[];

/* Records that by asked at now to end live session id, for reason. -ENOENT: not live. */
int store_session_request_end(struct store *st, int64_t id, const char *by, const char *reason, int64_t now);

/* 1 with by and reason filled when live session id has an end requested; 0 none; -errno. */
int store_session_end_requested(struct store *st, int64_t id, char *by, size_t by_len, char *reason,
				size_t reason_len);

/* Tells the fleet's hosts that session id has news in the store (SQLite: nobody to tell). */
int store_session_notify(struct store *st, int64_t id);

#endif
