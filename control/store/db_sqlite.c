/* SPDX-License-Identifier: BSD-3-Clause */
/* The SQLite backend: one file, WAL, foreign keys on, a busy timeout; the embedded default. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/db_int.h"

/* Long enough to ride out a checkpoint or an operator's sqlite3 shell, short for a loop. */
#define BUSY_TIMEOUT_MS 2000

struct lite {
	struct db db;
	sqlite3 *h;
};

struct lite_stmt {
	struct db_stmt q;
	sqlite3_stmt *s;
};

static sqlite3 *H(struct db *db)
{
	return ((struct lite *)db)->h;
}

static sqlite3_stmt *S(db_stmt *q)
{
	return ((struct lite_stmt *)q)->s;
}

/* SQLite's result code as -errno (BUSY/LOCKED: -EBUSY, CONSTRAINT: -EEXIST, ...). */
static int lite_errno(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		return -ENOENT;
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return -EEXIST;
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EINVAL;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return -EBUSY;
	return -EIO;
}

static int last_errno(struct db *db)
{
	int rc = lite_errno(sqlite3_extended_errcode(H(db)));

	return rc != 0 ? rc : -EIO;
}

static void lite_close(struct db *db)
{
	sqlite3_close(H(db));
	free(db);
}

static int lite_exec(struct db *db, const char *sql)
{
	return sqlite3_exec(H(db), sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : last_errno(db);
}

static int lite_prepare(struct db *db, const char *sql, db_stmt **out)
{
	struct lite_stmt *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return -ENOMEM;
	/* PERSISTENT: most statements live in the store's cache for the connection's life. */
	if (sqlite3_prepare_v3(H(db), sql, -1, SQLITE_PREPARE_PERSISTENT, &q->s, NULL) !=
	    SQLITE_OK) {
		free(q);
		return last_errno(db);
	}
	q->q.db = db;
	*out = &q->q;
	return 0;
}

static void lite_finalize(db_stmt *q)
{
	sqlite3_finalize(S(q));
	free(q);
}

static void lite_reset(db_stmt *q)
{
	sqlite3_reset(S(q));
}

static void lite_clear_bindings(db_stmt *q)
{
	sqlite3_clear_bindings(S(q));
}

static int lite_step(db_stmt *q)
{
	int rc = sqlite3_step(S(q));

	if (rc == SQLITE_ROW)
		return DB_ROW;
	if (rc == SQLITE_DONE)
		return DB_DONE;
	return last_errno(q->db);
}

static int lite_bind_int64(db_stmt *q, int i, int64_t v)
{
	return sqlite3_bind_int64(S(q), i, v) == SQLITE_OK ? 0 : -EINVAL;
}

static int lite_bind_null(db_stmt *q, int i)
{
	return sqlite3_bind_null(S(q), i) == SQLITE_OK ? 0 : -EINVAL;
}

static int lite_bind_text(db_stmt *q, int i, const char *s, int n, db_destructor d)
{
	return sqlite3_bind_text(S(q), i, s, n, d == DB_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT) ==
			       SQLITE_OK ?
		       0 :
		       -EINVAL;
}

static int lite_bind_blob(db_stmt *q, int i, const void *p, int n, db_destructor d)
{
	return sqlite3_bind_blob(S(q), i, p, n, d == DB_STATIC ? SQLITE_STATIC : SQLITE_TRANSIENT) ==
			       SQLITE_OK ?
		       0 :
		       -EINVAL;
}

static int64_t lite_column_int64(db_stmt *q, int col)
{
	return sqlite3_column_int64(S(q), col);
}

static const unsigned char *lite_column_text(db_stmt *q, int col)
{
	return sqlite3_column_text(S(q), col);
}

static const void *lite_column_blob(db_stmt *q, int col)
{
	return sqlite3_column_blob(S(q), col);
}

static int lite_column_bytes(db_stmt *q, int col)
{
	return sqlite3_column_bytes(S(q), col);
}

static int lite_column_is_null(db_stmt *q, int col)
{
	return sqlite3_column_type(S(q), col) == SQLITE_NULL;
}

static int lite_changes(struct db *db)
{
	return sqlite3_changes(H(db));
}

static const char *lite_errmsg(struct db *db)
{
	return sqlite3_errmsg(H(db));
}

static int lite_connected(struct db *db)
{
	(void)db;
	return 1;
}

static int lite_reconnect(struct db *db)
{
	(void)db;
	return 0;
}

static const struct db_ops lite_ops = {
	.name = "sqlite",
	.close = lite_close,
	.exec = lite_exec,
	.exec_ddl = lite_exec, /* the schema is written in SQLite's words */
	.prepare = lite_prepare,
	.finalize = lite_finalize,
	.reset = lite_reset,
	.clear_bindings = lite_clear_bindings,
	.step = lite_step,
	.bind_int64 = lite_bind_int64,
	.bind_null = lite_bind_null,
	.bind_text = lite_bind_text,
	.bind_blob = lite_bind_blob,
	.column_int64 = lite_column_int64,
	.column_text = lite_column_text,
	.column_blob = lite_column_blob,
	.column_bytes = lite_column_bytes,
	.column_is_null = lite_column_is_null,
	.changes = lite_changes,
	.errmsg = lite_errmsg,
	.connected = lite_connected,
	.reconnect = lite_reconnect,
};

/* The database holds password hashes: create it readable by its owner only. */
static int create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int configure(struct lite *l, char *err, size_t errlen)
{
	static const char pragmas[] = "PRAGMA journal_mode = WAL;"
				      "PRAGMA synchronous = NORMAL;"
				      "PRAGMA foreign_keys = ON;";
	char *msg = NULL;

	sqlite3_extended_result_codes(l->h, 1);
	sqlite3_busy_timeout(l->h, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(l->h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "cannot set up the database: %s", msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

struct db *db_sqlite_open(const char *path, char *err, size_t errlen)
{
	struct lite *l = calloc(1, sizeof(*l));
	int rc;

	if (l == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		errno = ENOMEM;
		return NULL;
	}
	l->db.ops = &lite_ops;
	l->db.kind = DB_SQLITE;
	l->db.generation = 1;
	rc = create_private(path);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(-rc));
		free(l);
		errno = -rc;
		return NULL;
	}
	if (sqlite3_open_v2(path, &l->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
			 l->h != NULL ? sqlite3_errmsg(l->h) : "out of memory");
		rc = -EIO;
		goto fail;
	}
	rc = configure(l, err, errlen);
	if (rc < 0)
		goto fail;
	return &l->db;
fail:
	sqlite3_close(l->h);
	free(l);
	errno = -rc;
	return NULL;
}
