/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store's database backends: one connection to SQLite (db_sqlite.c) or PostgreSQL
 * (db_pg.c, libpq) behind one small API that mirrors the part of SQLite's the typed queries
 * use, so that a store file written against sqlite3_* converts mechanically (docs/fleet.md):
 *
 *   sed -i -e 's/\bsqlite3_stmt\b/db_stmt/g' \
 *          -e 's/\bsqlite3_\(bind_[a-z0-9]*\|column_[a-z0-9]*\|step\|reset\|finalize\)\b/db_\1/g' \
 *          -e 's/\bSQLITE_\(STATIC\|TRANSIENT\|ROW\|DONE\)\b/DB_\1/g' \
 *          -e 's/sqlite3_changes(store_db(\([a-z]*\)))/store_changes(\1)/g' FILE.c
 *
 * SQL is written in the subset both engines run: `?N` (or `?`) parameters, which db_pg.c
 * renumbers as $N; COALESCE, CASE, ON CONFLICT ... DO NOTHING/UPDATE, RETURNING for a new id;
 * the reserved words "user" and "grant" quoted. The few dialect differences left (types in
 * the schema, LIKE's case, IFNULL) are rewritten in one place: db_pg.c's translate().
 *
 * Errors are -errno: -EEXIST a unique key, -ENOENT a foreign key, -EINVAL another constraint,
 * -EBUSY a lock or serialization conflict (retry), -ENOTCONN the server is unreachable,
 * -EIO anything else (db_errmsg says what). Used from one thread (the event loop).
 */
#ifndef SPG_DB_H
#define SPG_DB_H

#include <stddef.h>
#include <stdint.h>

struct db;
typedef struct db_stmt db_stmt;

enum db_kind { DB_SQLITE, DB_POSTGRESQL };

/* db_step's results besides -errno (the values of SQLite's, so that old comparisons hold). */
#define DB_ROW 100
#define DB_DONE 101

/* Lifetime of bound text/blob: DB_STATIC until the next step, DB_TRANSIENT copied now. */
typedef void (*db_destructor)(void *);
#define DB_STATIC ((db_destructor)0)
#define DB_TRANSIENT ((db_destructor)-1)

/*
 * Opens url: "sqlite:///abs/path.db", a plain path (SQLite), or "postgresql://..." /
 * "postgres://..." / a libpq "key=value" conninfo (PostgreSQL). NULL with errno set and a
 * sentence in err (never holding a password).
 */
struct db *db_open(const char *url, char *err, size_t errlen);
void db_close(struct db *db);
enum db_kind db_kind(const struct db *db);
/* "sqlite" or "postgresql", for messages. */
const char *db_kind_name(const struct db *db);
/* True for a URL naming PostgreSQL (the form, not whether it is reachable). */
int db_url_is_postgresql(const char *url);

/* Runs sql (one or more statements, no parameters, no rows): 0 or -errno. */
int db_exec(struct db *db, const char *sql);
/* Runs schema DDL written for SQLite, rewritten for the backend (types, identities). */
int db_exec_ddl(struct db *db, const char *sql);
/* Prepares sql; 0 or -errno. */
int db_prepare(struct db *db, const char *sql, db_stmt **q);
void db_finalize(db_stmt *q);
/* Ends the current execution; bindings stay. */
void db_reset(db_stmt *q);
void db_clear_bindings(db_stmt *q);
/* DB_ROW (a row is ready), DB_DONE, or -errno. */
int db_step(db_stmt *q);

int db_bind_int64(db_stmt *q, int i, int64_t v);
int db_bind_int(db_stmt *q, int i, int v);
int db_bind_null(db_stmt *q, int i);
/* n < 0: up to the NUL. */
int db_bind_text(db_stmt *q, int i, const char *s, int n, db_destructor d);
int db_bind_blob(db_stmt *q, int i, const void *p, int n, db_destructor d);

int64_t db_column_int64(db_stmt *q, int col);
int db_column_int(db_stmt *q, int col);
/* NULL for SQL NULL; valid until the next step or reset. */
const unsigned char *db_column_text(db_stmt *q, int col);
const void *db_column_blob(db_stmt *q, int col);
int db_column_bytes(db_stmt *q, int col);
int db_column_is_null(db_stmt *q, int col);

/* Rows changed by the last INSERT/UPDATE/DELETE stepped on this connection. */
int db_changes(struct db *db);
/* The last error's message on this connection. */
const char *db_errmsg(struct db *db);
/* 1 while the connection is usable; PostgreSQL's may be lost and come back (db_reconnect). */
int db_connected(struct db *db);
/*
 * PostgreSQL: one step of reconnecting without blocking long (PQconnectStart/Poll):
 * 0 connected (prepared statements must be prepared again: the generation changed),
 * -EINPROGRESS still going (call again later), -errno failed. SQLite: 0.
 */
int db_reconnect(struct db *db);
/*
 * Notifications between the hosts of a fleet (PostgreSQL's LISTEN/NOTIFY; docs/fleet.md).
 * A notification is only a hint that something changed in the store: whoever receives one
 * re-reads the store and checks what it finds as it would check a local request, since any
 * client of the database may NOTIFY anything.
 *
 * db_listen subscribes this connection to channel (an identifier: [a-z_]); db_notify sends
 * payload on channel (delivered to the listeners when the sender's transaction commits);
 * db_socket is the connection's socket to wait on for readability (-1: none); and
 * db_notifications reads what arrived without blocking and calls fn for each: the count, or
 * -ENOTCONN when the connection is lost. SQLite (one host): db_notify does nothing (0), the
 * others answer -EOPNOTSUPP.
 */
typedef void (*db_notify_fn)(const char *channel, const char *payload, void *arg);
int db_listen(struct db *db, const char *channel);
int db_notify(struct db *db, const char *channel, const char *payload);
int db_socket(struct db *db);
int db_notifications(struct db *db, db_notify_fn fn, void *arg);

/* Counts the connections made: statements prepared under an older one are stale. */
unsigned db_generation(const struct db *db);

#endif
