/* SPDX-License-Identifier: BSD-3-Clause */
/* Users' TOTP factors: see mfa_store.h. */
#include <errno.h>
#include <string.h>

#include "store/mfa_store.h"

static int read_factor(db_stmt *q, void *out)
{
	struct store_mfa_factor *f = out;
	int n = db_column_bytes(q, 3);

	store_column_copy(f->user, sizeof(f->user), q, 0);
	store_column_copy(f->algorithm, sizeof(f->algorithm), q, 1);
	f->digits = (unsigned)db_column_int(q, 2);
	if (n < 0 || (size_t)n > sizeof(f->secret))
		return -EBADMSG;
	memcpy(f->secret, db_column_blob(q, 3), (size_t)n);
	f->secret_len = (size_t)n;
	f->confirmed = db_column_int(q, 4) != 0;
	f->last_step = db_column_int64(q, 5);
	f->created = db_column_int64(q, 6);
	return 0;
}

int store_mfa_get(struct store *st, const char *user, struct store_mfa_factor *f)
{
	return store_get_by_text(st,
				 "SELECT user, algorithm, digits, secret, confirmed, last_step, created "
				 "FROM mfa_factors WHERE user = ?1",
				 user, read_factor, f);
}

static int changed_one(struct store *st, int rc, int none)
{
	if (rc == 0 && store_changes(st) == 0)
		return none;
	return rc;
}

int store_mfa_put_pending(struct store *st, const struct store_mfa_factor *f)
{
	db_stmt *q;
	int rc;

	q = store_stmt(st, "INSERT INTO mfa_factors (user, algorithm, digits, secret, created) "
			   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user) DO UPDATE SET "
			   "algorithm = excluded.algorithm, digits = excluded.digits, "
			   "secret = excluded.secret, created = excluded.created, last_step = -1 "
			   "WHERE mfa_factors.confirmed = 0");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, f->user, -1, DB_STATIC);
	db_bind_text(q, 2, f->algorithm, -1, DB_STATIC);
	db_bind_int(q, 3, (int)f->digits);
	db_bind_blob(q, 4, f->secret, (int)f->secret_len, DB_STATIC);
	db_bind_int64(q, 5, f->created);
	rc = store_step_done(st, q);
	/* The upsert's WHERE kept a confirmed factor: only an operator's reset removes it. */
	return changed_one(st, rc, -EEXIST);
}

int store_mfa_confirm(struct store *st, const char *user, int64_t step, int64_t now)
{
	db_stmt *q;

	q = store_stmt(st, "UPDATE mfa_factors SET confirmed = 1, last_step = ?2, confirmed_at = ?3 "
			   "WHERE user = ?1 AND confirmed = 0");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, user, -1, DB_STATIC);
	db_bind_int64(q, 2, step);
	db_bind_int64(q, 3, now);
	return changed_one(st, store_step_done(st, q), -ENOENT);
}

int store_mfa_use_step(struct store *st, const char *user, int64_t step)
{
	int rc = store_run_by_text(st,
				   "UPDATE mfa_factors SET last_step = ?2 "
				   "WHERE user = ?1 AND confirmed = 1 AND last_step < ?2",
				   user, step);

	return changed_one(st, rc, -EALREADY);
}

int store_mfa_delete(struct store *st, const char *user)
{
	db_stmt *q;

	q = store_stmt(st, "DELETE FROM mfa_factors WHERE user = ?1");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, user, -1, DB_STATIC);
	return changed_one(st, store_step_done(st, q), -ENOENT);
}
