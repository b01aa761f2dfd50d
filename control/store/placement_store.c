/* SPDX-License-Identifier: BSD-3-Clause */
/* A connect taken on one host and run on another: see placement_store.h. */
#include <errno.h>
#include <string.h>

#include "store/placement_store.h"

/*
 * Columns of their own, as for the disconnect requests (handoff_store.c): the owner writes
 * the session's row whole on every change, and none of these is part of it. request_groups
 * holds the group names one per line (a group name never holds a newline: checked here).
 */
const char store_placement_schema[] =
	"ALTER TABLE sessions ADD COLUMN handed_by TEXT;"
	"ALTER TABLE sessions ADD COLUMN request_groups TEXT;"
	"ALTER TABLE sessions ADD COLUMN request_privileged INTEGER;"
	"ALTER TABLE sessions ADD COLUMN adopted_at INTEGER;";

static int join_groups(const char *const *groups, size_t n, char *out, size_t len)
{
	size_t used = 0, i, g;

	if (n > SPG_GRANT_MAX_GROUPS)
		return -EINVAL;
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		g = strlen(groups[i]);
		if (g == 0 || g >= SPG_GRANT_NAME_MAX || strchr(groups[i], '\n') != NULL || used + g + 2 > len)
			return -EINVAL;
		memcpy(out + used, groups[i], g);
		used += g;
		out[used++] = '\n';
		out[used] = '\0';
	}
	return 0;
}

int store_session_hand_on(struct store *st, int64_t id, const char *handed_by, const char *const *groups,
			  size_t n_groups, bool privileged)
{
	char joined[SPG_GRANT_MAX_GROUPS * SPG_GRANT_NAME_MAX + 1];
	db_stmt *q;
	int rc = join_groups(groups, n_groups, joined, sizeof(joined));

	if (rc != 0)
		return rc;
	q = store_stmt(st, "UPDATE sessions SET handed_by = ?2, request_groups = ?3, request_privileged = ?4 "
			   "WHERE id = ?1 AND closed IS NULL AND handed_by IS NULL");
	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, handed_by, -1, DB_STATIC);
	db_bind_text(q, 3, joined, -1, DB_STATIC);
	db_bind_int(q, 4, privileged ? 1 : 0);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ENOENT;
	return rc;
}

/* Whether id was handed on at all (for telling -EALREADY from -ENOENT). */
static int claimed_before(struct store *st, int64_t id, const char *owner)
{
	db_stmt *q = store_stmt(st, "SELECT 1 FROM sessions WHERE id = ?1 AND owner_gateway = ?2 "
				    "AND handed_by IS NOT NULL AND adopted_at IS NOT NULL");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, owner, -1, DB_STATIC);
	rc = store_step_row(st, q);
	if (rc == 0)
		db_reset(q);
	return rc == 0 ? -EALREADY : rc;
}

int store_session_adopt(struct store *st, int64_t id, const char *owner, int64_t now)
{
	/* one conditional UPDATE: of two claims (a notification and a poll, a restart) one wins */
	db_stmt *q = store_stmt(st, "UPDATE sessions SET adopted_at = ?3 WHERE id = ?1 AND owner_gateway = ?2 "
				    "AND handed_by IS NOT NULL AND adopted_at IS NULL AND closed IS NULL "
				    "AND state = 'authorized'");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, owner, -1, DB_STATIC);
	db_bind_int64(q, 3, now);
	rc = store_step_done(st, q);
	if (rc != 0)
		return rc;
	return store_changes(st) == 1 ? 0 : claimed_before(st, id, owner);
}

static void split_groups(const char *joined, struct store_handed_request *r)
{
	const char *p = joined, *nl;

	r->n_groups = 0;
	while (*p != '\0' && r->n_groups < SPG_GRANT_MAX_GROUPS && (nl = strchr(p, '\n')) != NULL) {
		if (nl > p && (size_t)(nl - p) < SPG_GRANT_NAME_MAX) {
			memcpy(r->groups[r->n_groups], p, (size_t)(nl - p));
			r->groups[r->n_groups++][nl - p] = '\0';
		}
		p = nl + 1;
	}
}

static int request_read(db_stmt *q, void *out)
{
	struct store_handed_request *r = out;
	const unsigned char *joined;

	memset(r, 0, sizeof(*r));
	store_column_copy(r->handed_by, sizeof(r->handed_by), q, 0);
	joined = db_column_text(q, 1);
	split_groups(joined != NULL ? (const char *)joined : "", r);
	r->privileged = db_column_int(q, 2) != 0;
	r->adopted = db_column_int(q, 3) != 0;
	return 0;
}

int store_session_handed_request(struct store *st, int64_t id, struct store_handed_request *r)
{
	return store_get_by_int(st, "SELECT handed_by, COALESCE(request_groups, ''), "
				    "COALESCE(request_privileged, 0), adopted_at IS NOT NULL FROM sessions "
				    "WHERE id = ?1 AND handed_by IS NOT NULL", id, request_read, r);
}

int store_session_unadopted(struct store *st, const char *owner, int64_t *ids, size_t max)
{
	db_stmt *q;
	size_t n = 0;
	int rc;

	rc = store_prepare(st, "SELECT id FROM sessions WHERE owner_gateway = ?1 AND handed_by IS NOT NULL "
			       "AND adopted_at IS NULL AND closed IS NULL ORDER BY id", &q);
	if (rc < 0)
		return rc;
	db_bind_text(q, 1, owner, -1, DB_STATIC);
	while (n < max && (rc = db_step(q)) == DB_ROW)
		ids[n++] = db_column_int64(q, 0);
	rc = store_finalize(q, n < max ? rc : DB_DONE, 0);
	return rc < 0 ? rc : (int)n;
}
