/* SPDX-License-Identifier: BSD-3-Clause */
/* Decisions for a session another host owns: see handoff_store.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "store/handoff_store.h"

/*
 * Columns of their own rather than the session's state: the owner writes its whole row on
 * every change (sess_save), which would overwrite a state another host wrote before the
 * owner heard of it.
 */
const char store_handoff_schema[] =
	"ALTER TABLE sessions ADD COLUMN end_requested_by TEXT;"
	"ALTER TABLE sessions ADD COLUMN end_requested_reason TEXT;"
	"ALTER TABLE sessions ADD COLUMN end_requested_at INTEGER;";

int store_session_request_end(struct store *st, int64_t id, const char *by, const char *reason, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE sessions SET end_requested_by = ?2, end_requested_reason = ?3, "
				    "end_requested_at = ?4 WHERE id = ?1 AND closed IS NULL");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, by, -1, DB_STATIC);
	db_bind_text(q, 3, reason, -1, DB_STATIC);
	db_bind_int64(q, 4, now);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ENOENT;
	return rc;
}

int store_session_end_requested(struct store *st, int64_t id, char *by, size_t by_len, char *reason,
				size_t reason_len)
{
	db_stmt *q = store_stmt(st, "SELECT end_requested_by, COALESCE(end_requested_reason, '') FROM sessions "
				    "WHERE id = ?1 AND closed IS NULL AND end_requested_by IS NOT NULL");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	rc = store_step_row(st, q);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	store_column_copy(by, by_len, q, 0);
	store_column_copy(reason, reason_len, q, 1);
	db_reset(q);
	return 1;
}

int store_session_notify(struct store *st, int64_t id)
{
	char payload[24];

	snprintf(payload, sizeof(payload), "%" PRId64, id);
	return db_notify(store_db(st), STORE_SESSION_CHANNEL, payload);
}
