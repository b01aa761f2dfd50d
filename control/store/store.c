/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-control's SQLite store: open, schema migrations, transactions, statement cache. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "store/store.h"

/* Long enough to ride out a checkpoint or an operator's sqlite3 shell, short for a loop. */
#define BUSY_TIMEOUT_MS 2000

struct cached_stmt {
	const char *sql;
	sqlite3_stmt *stmt;
};

struct store {
	sqlite3 *db;
	struct cached_stmt *cache;
	size_t n_cache, cap_cache;
	unsigned depth; /* open store_begin()s */
};

static void err_set(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int store_errno(int rc)
{
	switch (rc) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
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
	case SQLITE_CONSTRAINT_CHECK:
	case SQLITE_CONSTRAINT_NOTNULL:
		return -EINVAL;
	}
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EINVAL;
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return -EBUSY;
	return -EIO;
}

int store_latest_version(void)
{
	return store_n_migrations == 0 ? 0 : store_migrations[store_n_migrations - 1].version;
}

sqlite3 *store_db(struct store *st)
{
	return st->db;
}

const char *store_errmsg(struct store *st)
{
	return sqlite3_errmsg(st->db);
}

int store_exec(struct store *st, const char *sql)
{
	return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

sqlite3_stmt *store_stmt(struct store *st, const char *sql)
{
	struct cached_stmt *grown;
	sqlite3_stmt *q;
	size_t i;

	for (i = 0; i < st->n_cache; i++) {
		if (st->cache[i].sql == sql) {
			q = st->cache[i].stmt;
			sqlite3_reset(q);
			sqlite3_clear_bindings(q);
			return q;
		}
	}
	if (st->n_cache == st->cap_cache) {
		size_t cap = st->cap_cache ? st->cap_cache * 2 : 32;

		grown = realloc(st->cache, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		st->cache = grown;
		st->cap_cache = cap;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &q, NULL) != SQLITE_OK)
		return NULL;
	st->cache[st->n_cache].sql = sql;
	st->cache[st->n_cache].stmt = q;
	st->n_cache++;
	return q;
}

int store_step_done(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return 0;
	return store_errno(sqlite3_extended_errcode(st->db));
}

int store_step_row(struct store *st, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	return store_errno(sqlite3_extended_errcode(st->db));
}

void store_column_copy(char *dst, size_t n, sqlite3_stmt *q, int col)
{
	const unsigned char *v = sqlite3_column_text(q, col);

	snprintf(dst, n, "%s", v != NULL ? (const char *)v : "");
}

int store_read_one(struct store *st, sqlite3_stmt *q, store_row_fn *read_row, void *out)
{
	int rc = store_step_row(st, q);

	if (rc < 0)
		return rc;
	rc = read_row(q, out);
	sqlite3_reset(q);
	return rc;
}

int store_get_by_int(struct store *st, const char *sql, int64_t key,
		     store_row_fn *read_row, void *out)
{
	sqlite3_stmt *q = store_stmt(st, sql);

	if (q == NULL)
		return -EIO;
	sqlite3_bind_int64(q, 1, key);
	return store_read_one(st, q, read_row, out);
}

int store_get_by_text(struct store *st, const char *sql, const char *key,
		      store_row_fn *read_row, void *out)
{
	sqlite3_stmt *q = store_stmt(st, sql);

	if (q == NULL)
		return -EIO;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	return store_read_one(st, q, read_row, out);
}

int store_run_by_text(struct store *st, const char *sql, const char *key, int64_t n)
{
	sqlite3_stmt *q = store_stmt(st, sql);

	if (q == NULL)
		return -EIO;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, n);
	return store_step_done(st, q);
}

const char *store_name_at(const char *const *names, size_t n, unsigned i)
{
	return i < n ? names[i] : "?";
}

int store_name_index(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -EINVAL;
}

int store_prepare(struct store *st, const char *sql, sqlite3_stmt **q)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, q, NULL) != SQLITE_OK)
		return -EIO;
	return 0;
}

int store_finalize(sqlite3_stmt *q, int step_rc, int fn_rc)
{
	sqlite3_finalize(q);
	if (fn_rc != 0)
		return fn_rc;
	return step_rc == SQLITE_DONE ? 0 : store_errno(step_rc);
}

int store_begin(struct store *st)
{
	char sql[32];

	snprintf(sql, sizeof(sql), "SAVEPOINT s%u", st->depth + 1);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_errno(sqlite3_extended_errcode(st->db));
	st->depth++;
	return 0;
}

int store_commit(struct store *st)
{
	char sql[32];

	if (st->depth == 0)
		return -EINVAL;
	snprintf(sql, sizeof(sql), "RELEASE s%u", st->depth);
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_errno(sqlite3_extended_errcode(st->db));
	st->depth--;
	return 0;
}

int store_rollback(struct store *st)
{
	char sql[64];
	int rc;

	if (st->depth == 0)
		return -EINVAL;
	snprintf(sql, sizeof(sql), "ROLLBACK TO s%u; RELEASE s%u", st->depth, st->depth);
	rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	st->depth--;
	return rc == SQLITE_OK ? 0 : store_errno(sqlite3_extended_errcode(st->db));
}

int store_meta_get(struct store *st, const char *key, char *buf, size_t buflen)
{
	sqlite3_stmt *q = store_stmt(st, "SELECT value FROM meta WHERE key = ?1");
	int rc;

	if (q == NULL)
		return -EIO;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = store_step_row(st, q);
	if (rc < 0)
		return rc;
	store_column_copy(buf, buflen, q, 0);
	sqlite3_reset(q);
	return 0;
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *q = store_stmt(st, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
					 "ON CONFLICT (key) DO UPDATE SET value = excluded.value");

	if (q == NULL)
		return -EIO;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	return store_step_done(st, q);
}

int store_schema_version(struct store *st)
{
	char buf[32], *end;
	long v;
	int rc;

	rc = store_meta_get(st, "schema_version", buf, sizeof(buf));
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	v = strtol(buf, &end, 10);
	if (end == buf || *end != '\0' || v < 0 || v > 1000000)
		return -EPROTO;
	return (int)v;
}

static int apply_migration(struct store *st, const struct store_migration *m, char *err,
			   size_t errlen)
{
	char version[16];
	char *msg = NULL;
	int rc;

	rc = store_begin(st);
	if (rc < 0) {
		err_set(err, errlen, "cannot start migration %d: %s", m->version,
			store_errmsg(st));
		return rc;
	}
	if (sqlite3_exec(st->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, errlen, "migration %d (%s) failed: %s", m->version, m->what,
			msg != NULL ? msg : "?");
		sqlite3_free(msg);
		store_rollback(st);
		return -EIO;
	}
	snprintf(version, sizeof(version), "%d", m->version);
	rc = store_meta_set(st, "schema_version", version);
	if (rc == 0)
		rc = store_commit(st);
	if (rc < 0) {
		err_set(err, errlen, "migration %d: cannot record the version: %s", m->version,
			store_errmsg(st));
		store_rollback(st);
	}
	return rc;
}

int store_migrate(struct store *st, int target, char *err, size_t errlen)
{
	int current = store_schema_version(st);
	size_t i;
	int rc;

	if (current < 0) {
		err_set(err, errlen, "cannot read the schema version: %s", strerror(-current));
		return current;
	}
	if (current > store_latest_version()) {
		err_set(err, errlen,
			"the database's schema version %d is newer than this spgate-control knows "
			"(%d): upgrade spgate-control or restore a matching backup",
			current, store_latest_version());
		return -EPROTO;
	}
	for (i = 0; i < store_n_migrations; i++) {
		const struct store_migration *m = &store_migrations[i];

		if (m->version <= current || m->version > target)
			continue;
		rc = apply_migration(st, m, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* The database holds password hashes: create it readable by its owner only. */
static int create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int configure(struct store *st, char *err, size_t errlen)
{
	static const char pragmas[] = "PRAGMA journal_mode = WAL;"
				      "PRAGMA synchronous = NORMAL;"
				      "PRAGMA foreign_keys = ON;"
				      "CREATE TABLE IF NOT EXISTS meta ("
				      "  key TEXT PRIMARY KEY, value TEXT NOT NULL);";
	char *msg = NULL;

	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(st->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, errlen, "cannot set up the database: %s", msg != NULL ? msg : "?");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

struct store *store_open_at(const char *path, int target, char *err, size_t errlen)
{
	struct store *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		err_set(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	rc = create_private(path);
	if (rc < 0) {
		err_set(err, errlen, "%s: cannot create: %s", path, strerror(-rc));
		free(st);
		errno = -rc;
		return NULL;
	}
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		err_set(err, errlen, "%s: cannot open: %s", path,
			st->db != NULL ? sqlite3_errmsg(st->db) : "out of memory");
		rc = -EIO;
		goto fail;
	}
	rc = configure(st, err, errlen);
	if (rc == 0)
		rc = store_migrate(st, target, err, errlen);
	if (rc < 0)
		goto fail;
	return st;
fail:
	store_close(st);
	errno = -rc;
	return NULL;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	return store_open_at(path, store_latest_version(), err, errlen);
}

void store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_cache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	free(st->cache);
	sqlite3_close(st->db);
	free(st);
}

void store_bind_optional(sqlite3_stmt *q, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

/* An address column: dotted quad, or NULL for 0. */
void store_bind_addr(sqlite3_stmt *q, int i, uint32_t addr)
{
	char buf[SPG_ADDR_STRLEN];

	if (addr == 0)
		sqlite3_bind_null(q, i);
	else
		sqlite3_bind_text(q, i, spg_addr_str(addr, buf), -1, SQLITE_TRANSIENT);
}

uint32_t store_column_addr(sqlite3_stmt *q, int col)
{
	const unsigned char *v = sqlite3_column_text(q, col);
	uint32_t addr;

	return v != NULL && spg_addr_parse((const char *)v, &addr) ? addr : 0;
}
