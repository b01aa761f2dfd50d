/* SPDX-License-Identifier: BSD-3-Clause */
/* Revoked tokens and users' revocations: see token_store.h. */
#include <errno.h>

#include "store/token_store.h"

int store_token_revoke(struct store *st, const char *id, const char *user, int64_t expires, int64_t now)
{
	db_stmt *q;
	int rc;

	q = store_stmt(st, "INSERT INTO revoked_tokens (id, user, expires) VALUES (?1, ?2, ?3) "
			   "ON CONFLICT DO NOTHING");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_text(q, 2, user, -1, DB_STATIC);
	db_bind_int64(q, 3, expires);
	rc = store_step_done(st, q);
	if (rc != 0)
		return rc;
	/* An expired token is refused anyway: its row is no longer needed. */
	q = store_stmt(st, "DELETE FROM revoked_tokens WHERE expires <= ?1");
	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, now);
	return store_step_done(st, q);
}

int store_user_revoke(struct store *st, const char *user, int64_t before)
{
	return store_run_by_text(st,
				 "INSERT INTO user_revocations (user, before) VALUES (?1, ?2) "
				 "ON CONFLICT (user) DO UPDATE SET before = CASE WHEN excluded.before > "
				 "user_revocations.before THEN excluded.before ELSE user_revocations.before END",
				 user, before);
}

static int read_flag(db_stmt *q, void *out)
{
	*(int *)out = db_column_int(q, 0) != 0;
	return 0;
}

int store_token_revoked(struct store *st, const char *id, const char *user, int64_t iat)
{
	db_stmt *q;
	int revoked = 0, rc;

	q = store_stmt(st, "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE id = ?1) OR "
			   "EXISTS (SELECT 1 FROM user_revocations WHERE user = ?2 AND before >= ?3)");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_text(q, 2, user, -1, DB_STATIC);
	db_bind_int64(q, 3, iat);
	rc = store_read_one(st, q, read_flag, &revoked);
	return rc < 0 ? rc : revoked;
}
