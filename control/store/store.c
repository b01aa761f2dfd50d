/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-control's store: open, schema migrations, transactions, statement cache. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "store/store.h"

struct cached_stmt {
	const char *sql;
	db_stmt *stmt;
};

struct store {
	struct db *db;
	struct cached_stmt *cache;
	size_t n_cache, cap_cache;
	unsigned depth; /* open store_begin()s */
	char gateway_id[64];
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

int store_latest_version(void)
{
	return store_n_migrations == 0 ? 0 : store_migrations[store_n_migrations - 1].version;
}

struct db *store_db(struct store *st)
{
	return st->db;
}

const char *store_errmsg(struct store *st)
{
	return db_errmsg(st->db);
}

void store_set_gateway_id(struct store *st, const char *id)
{
	snprintf(st->gateway_id, sizeof(st->gateway_id), "%s", id != NULL ? id : "");
}

const char *store_gateway_id(struct store *st)
{
	return st->gateway_id;
}

int store_changes(struct store *st)
{
	return db_changes(st->db);
}

enum db_kind store_kind(struct store *st)
{
	return db_kind(st->db);
}

int store_available(struct store *st)
{
	return db_connected(st->db);
}

/*
 * A transaction cannot survive its connection: whatever store_begin()s were open are gone
 * with it, and their callers' commits will fail (-ENOTCONN), as they should.
 */
int store_reconnect(struct store *st)
{
	int rc = db_reconnect(st->db);

	if (rc == 0)
		st->depth = 0;
	return rc;
}

int store_exec(struct store *st, const char *sql)
{
	return db_exec(st->db, sql);
}

db_stmt *store_stmt(struct store *st, const char *sql)
{
	struct cached_stmt *grown;
	db_stmt *q;
	size_t i;

	for (i = 0; i < st->n_cache; i++) {
		if (st->cache[i].sql == sql) {
			q = st->cache[i].stmt;
			db_reset(q);
			db_clear_bindings(q);
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
	if (db_prepare(st->db, sql, &q) < 0)
		return NULL;
	st->cache[st->n_cache].sql = sql;
	st->cache[st->n_cache].stmt = q;
	st->n_cache++;
	return q;
}

int store_step_done(struct store *st, db_stmt *q)
{
	int rc = db_step(q);

	(void)st;
	db_reset(q);
	if (rc == DB_DONE || rc == DB_ROW) /* a row: an INSERT ... RETURNING nobody reads */
		return 0;
	return rc;
}

int store_step_row(struct store *st, db_stmt *q)
{
	int rc = db_step(q);

	(void)st;
	if (rc == DB_ROW)
		return 0;
	db_reset(q);
	if (rc == DB_DONE)
		return -ENOENT;
	return rc;
}

int store_insert_id(struct store *st, db_stmt *q, int64_t *id)
{
	int rc = db_step(q);

	(void)st;
	if (rc == DB_ROW)
		*id = db_column_int64(q, 0);
	db_reset(q);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? -EIO : rc; /* RETURNING always gives the row */
}

void store_column_copy(char *dst, size_t n, db_stmt *q, int col)
{
	const unsigned char *v = db_column_text(q, col);

	snprintf(dst, n, "%s", v != NULL ? (const char *)v : "");
}

int store_read_one(struct store *st, db_stmt *q, store_row_fn *read_row, void *out)
{
	int rc = store_step_row(st, q);

	if (rc < 0)
		return rc;
	rc = read_row(q, out);
	db_reset(q);
	return rc;
}

int store_get_by_int(struct store *st, const char *sql, int64_t key,
		     store_row_fn *read_row, void *out)
{
	db_stmt *q = store_stmt(st, sql);

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, key);
	return store_read_one(st, q, read_row, out);
}

int store_get_by_text(struct store *st, const char *sql, const char *key,
		      store_row_fn *read_row, void *out)
{
	db_stmt *q = store_stmt(st, sql);

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, key, -1, DB_STATIC);
	return store_read_one(st, q, read_row, out);
}

int store_run_by_text(struct store *st, const char *sql, const char *key, int64_t n)
{
	db_stmt *q = store_stmt(st, sql);

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, key, -1, DB_STATIC);
	db_bind_int64(q, 2, n);
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

int store_prepare(struct store *st, const char *sql, db_stmt **q)
{
	return db_prepare(st->db, sql, q) < 0 ? -EIO : 0;
}

int store_finalize(db_stmt *q, int step_rc, int fn_rc)
{
	db_finalize(q);
	if (fn_rc != 0)
		return fn_rc;
	if (step_rc == DB_DONE)
		return 0;
	return step_rc < 0 ? step_rc : -EIO;
}

/*
 * SQLite: a SAVEPOINT outside a transaction starts one, so every level is a savepoint.
 * PostgreSQL: savepoints live inside a transaction, so the outermost level is BEGIN/COMMIT.
 */
int store_begin(struct store *st)
{
	char sql[32];
	int rc;

	if (st->depth == 0 && db_kind(st->db) == DB_POSTGRESQL)
		snprintf(sql, sizeof(sql), "BEGIN");
	else
		snprintf(sql, sizeof(sql), "SAVEPOINT s%u", st->depth + 1);
	rc = db_exec(st->db, sql);
	if (rc < 0)
		return rc;
	st->depth++;
	return 0;
}

int store_commit(struct store *st)
{
	char sql[32];
	int rc;

	if (st->depth == 0)
		return -EINVAL;
	if (st->depth == 1 && db_kind(st->db) == DB_POSTGRESQL)
		snprintf(sql, sizeof(sql), "COMMIT");
	else
		snprintf(sql, sizeof(sql), "RELEASE s%u", st->depth);
	rc = db_exec(st->db, sql);
	if (rc < 0)
		return rc;
	st->depth--;
	return 0;
}

int store_rollback(struct store *st)
{
	char sql[64];
	int rc;

	if (st->depth == 0)
		return -EINVAL;
	if (st->depth == 1 && db_kind(st->db) == DB_POSTGRESQL)
		snprintf(sql, sizeof(sql), "ROLLBACK");
	else
		snprintf(sql, sizeof(sql), "ROLLBACK TO s%u; RELEASE s%u", st->depth, st->depth);
	rc = db_exec(st->db, sql);
	st->depth--;
	return rc;
}

int store_lock(struct store *st, int64_t key)
{
	db_stmt *q;

	if (db_kind(st->db) != DB_POSTGRESQL)
		return 0;
	if (st->depth == 0)
		return -EINVAL; /* a lock outside a transaction would end at once */
	q = store_stmt(st, "SELECT pg_advisory_xact_lock(?1)");
	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, key);
	return store_step_done(st, q);
}

int store_meta_get(struct store *st, const char *key, char *buf, size_t buflen)
{
	db_stmt *q = store_stmt(st, "SELECT value FROM meta WHERE key = ?1");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, key, -1, DB_STATIC);
	rc = store_step_row(st, q);
	if (rc < 0)
		return rc;
	store_column_copy(buf, buflen, q, 0);
	db_reset(q);
	return 0;
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	db_stmt *q = store_stmt(st, "INSERT INTO meta (key, value) VALUES (?1, ?2) "
					 "ON CONFLICT (key) DO UPDATE SET value = excluded.value");

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, key, -1, DB_STATIC);
	db_bind_text(q, 2, value, -1, DB_STATIC);
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
	int rc;

	rc = store_begin(st);
	if (rc < 0) {
		err_set(err, errlen, "cannot start migration %d: %s", m->version,
			store_errmsg(st));
		return rc;
	}
	if (db_exec_ddl(st->db, m->sql) < 0) {
		err_set(err, errlen, "migration %d (%s) failed: %s", m->version, m->what,
			store_errmsg(st));
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

static int migrate(struct store *st, int target, char *err, size_t errlen)
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

/* The key of the advisory lock that makes one host of a fleet migrate while the others wait. */
#define MIGRATION_LOCK "7411"

int store_migrate(struct store *st, int target, char *err, size_t errlen)
{
	int rc;

	if (db_kind(st->db) != DB_POSTGRESQL)
		return migrate(st, target, err, errlen);
	rc = db_exec(st->db, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")");
	if (rc < 0) {
		err_set(err, errlen, "cannot lock the schema for its migration: %s",
			store_errmsg(st));
		return rc;
	}
	rc = migrate(st, target, err, errlen);
	db_exec(st->db, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")");
	return rc;
}

struct store *store_open_at(const char *url, int target, char *err, size_t errlen)
{
	struct store *st;
	int rc;

	st = calloc(1, sizeof(*st));
	if (st == NULL) {
		err_set(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	st->db = db_open(url, err, errlen);
	if (st->db == NULL) {
		free(st);
		return NULL;
	}
	rc = db_exec(st->db, "CREATE TABLE IF NOT EXISTS meta ("
			     "  key TEXT PRIMARY KEY, value TEXT NOT NULL)");
	if (rc < 0)
		err_set(err, errlen, "cannot set up the database: %s", store_errmsg(st));
	if (rc == 0)
		rc = store_migrate(st, target, err, errlen);
	if (rc < 0) {
		store_close(st);
		errno = -rc;
		return NULL;
	}
	return st;
}

struct store *store_open(const char *url, char *err, size_t errlen)
{
	return store_open_at(url, store_latest_version(), err, errlen);
}

void store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->n_cache; i++)
		db_finalize(st->cache[i].stmt);
	free(st->cache);
	db_close(st->db);
	free(st);
}

void store_bind_optional(db_stmt *q, int i, const char *s)
{
	if (s == NULL || s[0] == '\0')
		db_bind_null(q, i);
	else
		db_bind_text(q, i, s, -1, DB_STATIC);
}

/* An address column: dotted quad, or NULL for 0. */
void store_bind_addr(db_stmt *q, int i, uint32_t addr)
{
	char buf[SPG_ADDR_STRLEN];

	if (addr == 0)
		db_bind_null(q, i);
	else
		db_bind_text(q, i, spg_addr_str(addr, buf), -1, DB_TRANSIENT);
}

uint32_t store_column_addr(db_stmt *q, int col)
{
	const unsigned char *v = db_column_text(q, col);
	uint32_t addr;

	return v != NULL && spg_addr_parse((const char *)v, &addr) ? addr : 0;
}
