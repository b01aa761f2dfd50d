/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-control's SQLite store: opening (WAL, foreign keys, busy timeout), the versioned
 * schema, transactions and a cache of prepared statements. The typed queries live in
 * inventory_store.h and session_store.h; this file is the plumbing they share.
 *
 * The store is used from the event-loop thread only. Times are unix seconds (int64_t).
 */
#ifndef SPG_STORE_H
#define SPG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

struct store;

/* One step of the schema: applied in order of version, each in its own transaction. */
struct store_migration {
	int version;      /* 1, 2, 3, ... without gaps */
	const char *what; /* one line for the log: "sessions get counters" */
	const char *sql;  /* one or more statements */
};

/* The migrations this build knows (migrations.c), in order. */
extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

/* The newest schema version this build knows. */
int store_latest_version(void);

/*
 * Opens (creating if needed) the database at path and upgrades its schema to the latest.
 * Returns NULL with errno set and a sentence in err: EPROTO for a schema newer than this
 * build ("... schema version 9 is newer than this spgate-control (7) ..."), EIO otherwise.
 */
struct store *store_open(const char *path, char *err, size_t errlen);

/* As store_open, but upgrades only up to version target (tests of the migrations). */
struct store *store_open_at(const char *path, int target, char *err, size_t errlen);

/* Applies the migrations after the current version up to target; 0 or -errno (err set). */
int store_migrate(struct store *st, int target, char *err, size_t errlen);

/* Finalizes the cached statements and closes the database; NULL is fine. */
void store_close(struct store *st);

/* The schema version recorded in the meta table (0 for an empty database), or -errno. */
int store_schema_version(struct store *st);

/* Starts a transaction; nestable (savepoints). 0 or -errno. */
int store_begin(struct store *st);
/* Commits the innermost store_begin. 0 or -errno. */
int store_commit(struct store *st);
/* Undoes everything since the innermost store_begin. 0 or -errno. */
int store_rollback(struct store *st);

/*
 * A prepared statement for sql, reset and with its bindings cleared, cached by the pointer
 * sql (pass string literals). NULL on error (store_errmsg says why).
 */
sqlite3_stmt *store_stmt(struct store *st, const char *sql);
/* Runs sql (no results, no parameters) once; 0 or -EIO. */
int store_exec(struct store *st, const char *sql);
/* SQLite's last error message for this connection. */
const char *store_errmsg(struct store *st);
/* The underlying connection, for the store's own modules and tests. */
sqlite3 *store_db(struct store *st);

/* Steps q (no rows expected) and resets it: 0 or -errno. */
int store_step_done(struct store *st, sqlite3_stmt *q);
/* Steps q for one row: 0 with the row ready (reset q after reading), -ENOENT or -errno. */
int store_step_row(struct store *st, sqlite3_stmt *q);
/* Column col of the current row into dst as text ("" for NULL). */
void store_column_copy(char *dst, size_t n, sqlite3_stmt *q, int col);
/*
 * An uncached statement for a loop whose callback may run other queries (even the same
 * loop); finish with store_finalize(q, last step result, callback result) -> 0 or -errno.
 */
int store_prepare(struct store *st, const char *sql, sqlite3_stmt **q);
int store_finalize(sqlite3_stmt *q, int step_rc, int fn_rc);

/* Reads meta[key] into buf; 0, -ENOENT or -errno. */
int store_meta_get(struct store *st, const char *key, char *buf, size_t buflen);
/* Writes meta[key] = value; 0 or -errno. */
int store_meta_set(struct store *st, const char *key, const char *value);

/* Maps a SQLite result code to -errno (BUSY/LOCKED: -EBUSY, CONSTRAINT: -EEXIST, ...). */
int store_errno(int sqlite_rc);

/* An address column: binds a dotted quad, or NULL for 0 (addr in network order). */
void store_bind_addr(sqlite3_stmt *q, int i, uint32_t addr);
/* Reads one back: 0 for NULL or anything that is not a dotted quad. */
uint32_t store_column_addr(sqlite3_stmt *q, int col);

#endif
