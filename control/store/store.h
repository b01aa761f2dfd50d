/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-control's store: opening (SQLite or PostgreSQL, db.h), the versioned schema,
 * transactions and a cache of prepared statements. The typed queries live in
 * inventory_store.h and session_store.h; this file is the plumbing they share.
 *
 * The store is used from the event-loop thread only. Times are unix seconds (int64_t).
 */
#ifndef SPG_STORE_H
#define SPG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct store;

/* One step of the schema: applied in order of version, each in its own transaction. */
struct store_migration {
	int version;      /* 1, 2, 3, ... increasing (9 waits for 8 from another branch) */
	const char *what; /* one line for the log: "sessions get counters" */
	const char *sql;  /* one or more statements */
};

/* The migrations this build knows (migrations.c), in order. */
extern const struct store_migration store_migrations[];
extern const size_t store_n_migrations;

/* The newest schema version this build knows. */
int store_latest_version(void);

/*
 * Opens (creating if needed) the database at url and upgrades its schema to the latest.
 * url: a path or sqlite:///path (SQLite), postgresql://... or a libpq conninfo (db.h).
 * Returns NULL with errno set and a sentence in err: EPROTO for a schema newer than this
 * build ("... schema version 9 is newer than this spgate-control (7) ..."), EIO otherwise.
 */
struct store *store_open(const char *url, char *err, size_t errlen);

/* As store_open, but upgrades only up to version target (tests of the migrations). */
struct store *store_open_at(const char *url, int target, char *err, size_t errlen);

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
 * Inside a store_begin: makes the hosts sharing a PostgreSQL store do key's work one at a
 * time (a transaction-scoped advisory lock, released at the outermost commit or rollback).
 * SQLite serves one host: nothing to do. 0 or -errno.
 */
int store_lock(struct store *st, int64_t key);
/* The keys of store_lock: one per kind of allocation. */
#define STORE_LOCK_ALLOC_LINE 0x53504701
#define STORE_LOCK_ALLOC_ADDRESS 0x53504702

/*
 * A prepared statement for sql, reset and with its bindings cleared, cached by the pointer
 * sql (pass string literals). NULL on error (store_errmsg says why).
 */
db_stmt *store_stmt(struct store *st, const char *sql);
/* Runs sql (no results, no parameters) once; 0 or -errno. */
int store_exec(struct store *st, const char *sql);
/* The backend's last error message for this connection. */
const char *store_errmsg(struct store *st);
/* The underlying connection, for the store's own modules and tests. */
struct db *store_db(struct store *st);
/* Rows changed by the last write statement. */
int store_changes(struct store *st);
/* The backend: DB_SQLITE or DB_POSTGRESQL. */
enum db_kind store_kind(struct store *st);
/*
 * 1 while the store is reachable. A PostgreSQL store that lost its server answers every call
 * with -ENOTCONN until store_reconnect (called by a timer, store_watch.c) brings it back.
 */
int store_available(struct store *st);
/* This host's gateway.id, written as the owner of the sessions it creates; "" none. */
void store_set_gateway_id(struct store *st, const char *id);
const char *store_gateway_id(struct store *st);
/* One non-blocking step of reconnecting: 0 connected, -EINPROGRESS, or -errno. */
int store_reconnect(struct store *st);

/* Steps q (no rows expected) and resets it: 0 or -errno. */
int store_step_done(struct store *st, db_stmt *q);
/* Steps q for one row: 0 with the row ready (reset q after reading), -ENOENT or -errno. */
int store_step_row(struct store *st, db_stmt *q);
/*
 * Steps q, an INSERT ... RETURNING id (both engines: SQLite since 3.35), and resets it:
 * 0 with *id the new row's id, or -errno.
 */
int store_insert_id(struct store *st, db_stmt *q, int64_t *id);
/* Column col of the current row into dst as text ("" for NULL). */
void store_column_copy(char *dst, size_t n, db_stmt *q, int col);

/* Reads the current row of q into out, the caller's struct; 0 or -errno. */
typedef int store_row_fn(db_stmt *q, void *out);
/*
 * Steps q (bound by the caller) for one row, reads it with read_row and resets q:
 * read_row's result, -ENOENT or -errno.
 */
int store_read_one(struct store *st, db_stmt *q, store_row_fn *read_row, void *out);
/* store_read_one of the cached statement sql (a literal, as for store_stmt) with ?1 = key. */
int store_get_by_int(struct store *st, const char *sql, int64_t key,
		     store_row_fn *read_row, void *out);
int store_get_by_text(struct store *st, const char *sql, const char *key,
		      store_row_fn *read_row, void *out);
/* Runs the cached statement sql (no rows) with ?1 = key, ?2 = n: store_step_done's result. */
int store_run_by_text(struct store *st, const char *sql, const char *key, int64_t n);
/*
 * An uncached statement for a loop whose callback may run other queries (even the same
 * loop); finish with store_finalize(q, last step result, callback result) -> 0 or -errno.
 */
int store_prepare(struct store *st, const char *sql, db_stmt **q);
int store_finalize(db_stmt *q, int step_rc, int fn_rc);

/* Reads meta[key] into buf; 0, -ENOENT or -errno. */
int store_meta_get(struct store *st, const char *key, char *buf, size_t buflen);
/* Writes meta[key] = value; 0 or -errno. */
int store_meta_set(struct store *st, const char *key, const char *value);

/* names[i], or "?" past the end of the table. */
const char *store_name_at(const char *const *names, size_t n, unsigned i);
/* The i for which names[i] is s; -EINVAL when there is none (or s is NULL). */
int store_name_index(const char *const *names, size_t n, const char *s);
/*
 * Defines name_fn(v) -> names[v] or "?" and parse_fn(text, &v) -> 0 or -EINVAL for an enum
 * whose values index the static table names: the text columns that hold enums.
 */
#define STORE_ENUM_NAMES(type, names, name_fn, parse_fn)                                      \
	const char *name_fn(type v)                                                           \
	{                                                                                     \
		return store_name_at(names, sizeof(names) / sizeof((names)[0]), (unsigned)v); \
	}                                                                                     \
	int parse_fn(const char *s, type *out)                                                \
	{                                                                                     \
		int i = store_name_index(names, sizeof(names) / sizeof((names)[0]), s);       \
                                                                                              \
		if (i < 0)                                                                    \
			return i;                                                             \
		*out = (type)i;                                                               \
		return 0;                                                                     \
	}

/* Binds s (static), or NULL when s is NULL or empty: optional references. */
void store_bind_optional(db_stmt *q, int i, const char *s);
/* An address column: binds a dotted quad, or NULL for 0 (addr in network order). */
void store_bind_addr(db_stmt *q, int i, uint32_t addr);
/* Reads one back: 0 for NULL or anything that is not a dotted quad. */
uint32_t store_column_addr(db_stmt *q, int col);

#endif
