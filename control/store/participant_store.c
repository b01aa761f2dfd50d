/* SPDX-License-Identifier: BSD-3-Clause */
/* Participant rows (participant_store.h), and the migration that makes their table. */
#include <errno.h>
#include <string.h>

#include "store/participant_store.h"

/*
 * Issue 15 (join): one row per join request. A partial unique index keeps one live row per
 * (session, engineer), whoever writes; a second index keeps two accepted joiners of a session
 * out of one slot.
 */
const char store_participant_schema[] =
	"CREATE TABLE participants ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  session_id INTEGER NOT NULL REFERENCES sessions (id),"
	"  engineer TEXT NOT NULL,"
	"  workstation TEXT NOT NULL,"
	"  slot INTEGER NOT NULL DEFAULT 0 CHECK (slot BETWEEN 0 AND 3),"
	"  state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'refused', 'expired', 'removed',"
	"    'left', 'ended')),"
	"  request_reason TEXT NOT NULL DEFAULT '',"
	"  ticket TEXT NOT NULL DEFAULT '',"
	"  holder_vote TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (holder_vote IN ('not_needed', 'pending', 'yes', 'no')),"
	"  customer_vote TEXT NOT NULL DEFAULT 'not_needed'"
	"    CHECK (customer_vote IN ('not_needed', 'pending', 'yes', 'no')),"
	"  customer_by TEXT NOT NULL DEFAULT '',"
	"  decided_by TEXT NOT NULL DEFAULT '',"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  requested INTEGER NOT NULL,"
	"  deadline INTEGER NOT NULL,"
	"  decided INTEGER NOT NULL DEFAULT 0,"
	"  ended INTEGER NOT NULL DEFAULT 0);"
	"CREATE UNIQUE INDEX participants_live ON participants (session_id, engineer)"
	"  WHERE state IN ('pending', 'accepted');"
	"CREATE UNIQUE INDEX participants_slot ON participants (session_id, slot)"
	"  WHERE state = 'accepted';"
	"CREATE INDEX participants_pending ON participants (deadline) WHERE state = 'pending';";

static const char *const part_state_names[] = {"pending", "accepted", "refused", "expired",
					       "removed", "left",     "ended"};
static const char *const part_vote_names[] = {"not_needed", "pending", "yes", "no"};

STORE_ENUM_NAMES(enum store_part_state, part_state_names, store_part_state_name, store_part_state_parse)
STORE_ENUM_NAMES(enum store_part_vote, part_vote_names, store_part_vote_name, store_part_vote_parse)

bool store_part_state_live(enum store_part_state s)
{
	return s == STORE_PART_PENDING || s == STORE_PART_ACCEPTED;
}

#define PART_COLUMNS                                                                             \
	"id, session_id, engineer, workstation, slot, state, request_reason, ticket, holder_vote, " \
	"customer_vote, customer_by, decided_by, reason, requested, deadline, decided, ended "     \
	"FROM participants"

static int part_read(db_stmt *q, void *out)
{
	struct store_participant *p = out;
	char state[16], hv[16], cv[16];
	int rc;

	memset(p, 0, sizeof(*p));
	p->id = db_column_int64(q, 0);
	p->session_id = db_column_int64(q, 1);
	store_column_copy(p->engineer, sizeof(p->engineer), q, 2);
	p->workstation = store_column_addr(q, 3);
	p->slot = (unsigned)db_column_int(q, 4);
	store_column_copy(state, sizeof(state), q, 5);
	store_column_copy(p->request_reason, sizeof(p->request_reason), q, 6);
	store_column_copy(p->ticket, sizeof(p->ticket), q, 7);
	store_column_copy(hv, sizeof(hv), q, 8);
	store_column_copy(cv, sizeof(cv), q, 9);
	store_column_copy(p->customer_by, sizeof(p->customer_by), q, 10);
	store_column_copy(p->decided_by, sizeof(p->decided_by), q, 11);
	store_column_copy(p->reason, sizeof(p->reason), q, 12);
	p->requested = db_column_int64(q, 13);
	p->deadline = db_column_int64(q, 14);
	p->decided = db_column_int64(q, 15);
	p->ended = db_column_int64(q, 16);
	rc = store_part_state_parse(state, &p->state);
	if (rc == 0)
		rc = store_part_vote_parse(hv, &p->holder_vote);
	if (rc == 0)
		rc = store_part_vote_parse(cv, &p->customer_vote);
	return rc;
}

int store_participant_create(struct store *st, struct store_participant *p)
{
	db_stmt *q = store_stmt(st, "INSERT INTO participants (session_id, engineer, workstation, slot, state, "
					 "request_reason, ticket, holder_vote, customer_vote, requested, deadline) "
					 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, p->session_id);
	db_bind_text(q, 2, p->engineer, -1, DB_STATIC);
	store_bind_addr(q, 3, p->workstation);
	db_bind_int(q, 4, (int)p->slot);
	db_bind_text(q, 5, store_part_state_name(p->state), -1, DB_STATIC);
	db_bind_text(q, 6, p->request_reason, -1, DB_STATIC);
	db_bind_text(q, 7, p->ticket, -1, DB_STATIC);
	db_bind_text(q, 8, store_part_vote_name(p->holder_vote), -1, DB_STATIC);
	db_bind_text(q, 9, store_part_vote_name(p->customer_vote), -1, DB_STATIC);
	db_bind_int64(q, 10, p->requested);
	db_bind_int64(q, 11, p->deadline);
	return store_insert_id(st, q, &p->id);
}

int store_participant_update(struct store *st, const struct store_participant *p)
{
	db_stmt *q = store_stmt(st, "UPDATE participants SET workstation = ?2, slot = ?3, state = ?4, "
					 "request_reason = ?5, ticket = ?6, holder_vote = ?7, customer_vote = ?8, "
					 "customer_by = ?9, decided_by = ?10, reason = ?11, deadline = ?12, "
					 "decided = ?13, ended = ?14 WHERE id = ?1");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, p->id);
	store_bind_addr(q, 2, p->workstation);
	db_bind_int(q, 3, (int)p->slot);
	db_bind_text(q, 4, store_part_state_name(p->state), -1, DB_STATIC);
	db_bind_text(q, 5, p->request_reason, -1, DB_STATIC);
	db_bind_text(q, 6, p->ticket, -1, DB_STATIC);
	db_bind_text(q, 7, store_part_vote_name(p->holder_vote), -1, DB_STATIC);
	db_bind_text(q, 8, store_part_vote_name(p->customer_vote), -1, DB_STATIC);
	db_bind_text(q, 9, p->customer_by, -1, DB_STATIC);
	db_bind_text(q, 10, p->decided_by, -1, DB_STATIC);
	db_bind_text(q, 11, p->reason, -1, DB_STATIC);
	db_bind_int64(q, 12, p->deadline);
	db_bind_int64(q, 13, p->decided);
	db_bind_int64(q, 14, p->ended);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ENOENT;
	return rc;
}

static int part_get(struct store *st, const char *sql, int64_t session_id, const char *engineer,
		    struct store_participant *p)
{
	db_stmt *q = store_stmt(st, sql);

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, session_id);
	db_bind_text(q, 2, engineer, -1, DB_STATIC);
	return store_read_one(st, q, part_read, p);
}

int store_participant_live(struct store *st, int64_t session_id, const char *engineer,
			   struct store_participant *p)
{
	return part_get(st, "SELECT " PART_COLUMNS " WHERE session_id = ?1 AND engineer = ?2 "
			    "AND state IN ('pending', 'accepted')",
			session_id, engineer, p);
}

int store_participant_latest(struct store *st, int64_t session_id, const char *engineer,
			     struct store_participant *p)
{
	return part_get(st, "SELECT " PART_COLUMNS " WHERE session_id = ?1 AND engineer = ?2 "
			    "ORDER BY id DESC LIMIT 1",
			session_id, engineer, p);
}

static int part_loop(db_stmt *q, int (*fn)(const struct store_participant *p, void *arg), void *arg)
{
	struct store_participant p;
	int rc, fn_rc = 0;

	while ((rc = db_step(q)) == DB_ROW) {
		fn_rc = part_read(q, &p);
		if (fn_rc == 0)
			fn_rc = fn(&p, arg);
		if (fn_rc != 0)
			break;
	}
	return store_finalize(q, rc, fn_rc);
}

int store_participant_foreach(struct store *st, const struct store_participant_filter *f,
			      int (*fn)(const struct store_participant *p, void *arg), void *arg)
{
	db_stmt *q;
	int rc;

	rc = store_prepare(st, "SELECT " PART_COLUMNS " WHERE (?1 = 0 OR session_id = ?1) "
			       "AND (CAST(?2 AS TEXT) IS NULL OR engineer = ?2) "
			       "AND (?3 = 0 OR state IN ('pending', 'accepted')) ORDER BY id LIMIT 1000", &q);
	if (rc != 0)
		return rc;
	db_bind_int64(q, 1, f != NULL ? f->session_id : 0);
	if (f != NULL && f->engineer != NULL)
		db_bind_text(q, 2, f->engineer, -1, DB_STATIC);
	db_bind_int(q, 3, f != NULL && f->live_only);
	return part_loop(q, fn, arg);
}

int store_participant_foreach_due(struct store *st, int64_t t,
				  int (*fn)(const struct store_participant *p, void *arg), void *arg)
{
	db_stmt *q;
	int rc;

	rc = store_prepare(st, "SELECT " PART_COLUMNS " WHERE state = 'pending' AND deadline <= ?1 ORDER BY id", &q);
	if (rc != 0)
		return rc;
	db_bind_int64(q, 1, t);
	return part_loop(q, fn, arg);
}
