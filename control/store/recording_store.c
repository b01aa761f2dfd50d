/* SPDX-License-Identifier: BSD-3-Clause */
/* Recording rows (recording_store.h). */
#include <errno.h>
#include <string.h>

#include "store/recording_store.h"

static const char *const rec_state_names[] = {"recording", "complete", "incomplete", "failed", "deleted"};

STORE_ENUM_NAMES(enum store_rec_state, rec_state_names, store_rec_state_name, store_rec_state_parse)

#define REC_COLUMNS                                                                               \
	"r.id, r.session_id, IFNULL(s.serial, ''), IFNULL(c.name, ''), IFNULL(s.user, ''), r.path, " \
	"r.state, r.sealed, r.sha256, r.bytes, r.packets, r.dropped, r.error, r.started, "          \
	"IFNULL(r.ended, 0) FROM recordings r "                                                      \
	"LEFT JOIN sessions s ON s.id = r.session_id "                                               \
	"LEFT JOIN systems y ON y.serial = s.serial "                                                \
	"LEFT JOIN customers c ON c.id = y.customer_id"

static int rec_read(db_stmt *q, void *out)
{
	struct store_recording *r = out;
	char state[16];

	memset(r, 0, sizeof(*r));
	r->id = db_column_int64(q, 0);
	r->session_id = db_column_int64(q, 1);
	store_column_copy(r->serial, sizeof(r->serial), q, 2);
	store_column_copy(r->customer, sizeof(r->customer), q, 3);
	store_column_copy(r->user, sizeof(r->user), q, 4);
	store_column_copy(r->path, sizeof(r->path), q, 5);
	store_column_copy(state, sizeof(state), q, 6);
	r->sealed = db_column_int(q, 7) != 0;
	store_column_copy(r->sha256, sizeof(r->sha256), q, 8);
	r->bytes = (uint64_t)db_column_int64(q, 9);
	r->packets = (uint64_t)db_column_int64(q, 10);
	r->dropped = (uint64_t)db_column_int64(q, 11);
	store_column_copy(r->error, sizeof(r->error), q, 12);
	r->started = db_column_int64(q, 13);
	r->ended = db_column_int64(q, 14);
	return store_rec_state_parse(state, &r->state);
}

int store_recording_create(struct store *st, struct store_recording *r)
{
	db_stmt *q = store_stmt(st, "INSERT INTO recordings (session_id, path, state, error, started, recorded) "
					 "VALUES (?1, ?2, ?3, ?4, ?5, "
					 "CASE WHEN ?3 = 'recording' THEN 1 ELSE 0 END) RETURNING id");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, r->session_id);
	db_bind_text(q, 2, r->path, -1, DB_STATIC);
	db_bind_text(q, 3, store_rec_state_name(r->state), -1, DB_STATIC);
	db_bind_text(q, 4, r->error, -1, DB_STATIC);
	db_bind_int64(q, 5, r->started);
	return store_insert_id(st, q, &r->id);
}

int store_recording_update(struct store *st, const struct store_recording *r)
{
	db_stmt *q = store_stmt(st, "UPDATE recordings SET path = ?2, state = ?3, sealed = ?4, sha256 = ?5, "
					 "bytes = ?6, packets = ?7, dropped = ?8, error = ?9, ended = ?10 WHERE id = ?1");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, r->id);
	db_bind_text(q, 2, r->path, -1, DB_STATIC);
	db_bind_text(q, 3, store_rec_state_name(r->state), -1, DB_STATIC);
	db_bind_int(q, 4, r->sealed);
	db_bind_text(q, 5, r->sha256, -1, DB_STATIC);
	db_bind_int64(q, 6, (int64_t)r->bytes);
	db_bind_int64(q, 7, (int64_t)r->packets);
	db_bind_int64(q, 8, (int64_t)r->dropped);
	db_bind_text(q, 9, r->error, -1, DB_STATIC);
	if (r->ended != 0)
		db_bind_int64(q, 10, r->ended);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ENOENT;
	return rc;
}

int store_recording_get(struct store *st, int64_t id, struct store_recording *r)
{
	return store_get_by_int(st, "SELECT " REC_COLUMNS " WHERE r.id = ?1", id, rec_read, r);
}

int store_recording_of_session(struct store *st, int64_t session_id, struct store_recording *r)
{
	return store_get_by_int(st, "SELECT " REC_COLUMNS " WHERE r.session_id = ?1", session_id, rec_read, r);
}

static int rec_loop(struct store *st, db_stmt *q, int (*fn)(const struct store_recording *r, void *arg),
		    void *arg)
{
	struct store_recording r;
	int rc, fn_rc = 0;

	while ((rc = db_step(q)) == DB_ROW) {
		fn_rc = rec_read(q, &r);
		if (fn_rc == 0)
			fn_rc = fn(&r, arg);
		if (fn_rc != 0)
			break;
	}
	(void)st;
	return store_finalize(q, rc, fn_rc);
}

int store_recording_foreach(struct store *st, const struct store_recording_filter *f,
			    int (*fn)(const struct store_recording *r, void *arg), void *arg)
{
	db_stmt *q;
	int rc;

	rc = store_prepare(st, "SELECT " REC_COLUMNS " WHERE (CAST(?1 AS TEXT) IS NULL OR s.user = ?1) "
			       "AND (CAST(?2 AS TEXT) IS NULL OR s.serial = ?2) AND (?3 = 0 OR r.session_id = ?3) "
			       "ORDER BY r.id DESC LIMIT 1000", &q);
	if (rc != 0)
		return rc;
	if (f != NULL && f->user != NULL)
		db_bind_text(q, 1, f->user, -1, DB_STATIC);
	if (f != NULL && f->serial != NULL)
		db_bind_text(q, 2, f->serial, -1, DB_STATIC);
	db_bind_int64(q, 3, f != NULL ? f->session_id : 0);
	return rec_loop(st, q, fn, arg);
}

int store_recording_foreach_kept(struct store *st, int (*fn)(const struct store_recording *r, void *arg),
				 void *arg)
{
	db_stmt *q;
	int rc;

	rc = store_prepare(st, "SELECT " REC_COLUMNS " WHERE r.state IN ('complete', 'incomplete', 'failed') "
			       "AND r.ended IS NOT NULL ORDER BY r.ended, r.id", &q);
	if (rc != 0)
		return rc;
	return rec_loop(st, q, fn, arg);
}
