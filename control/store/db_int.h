/* SPDX-License-Identifier: BSD-3-Clause */
/* Inside the backend layer: the table of a backend's functions that db.c dispatches to. */
#ifndef SPG_DB_INT_H
#define SPG_DB_INT_H

#include "store/db.h"

struct db_ops {
	const char *name;
	void (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*exec_ddl)(struct db *db, const char *sql);
	int (*prepare)(struct db *db, const char *sql, db_stmt **q);
	void (*finalize)(db_stmt *q);
	void (*reset)(db_stmt *q);
	void (*clear_bindings)(db_stmt *q);
	int (*step)(db_stmt *q);
	int (*bind_int64)(db_stmt *q, int i, int64_t v);
	int (*bind_null)(db_stmt *q, int i);
	int (*bind_text)(db_stmt *q, int i, const char *s, int n, db_destructor d);
	int (*bind_blob)(db_stmt *q, int i, const void *p, int n, db_destructor d);
	int64_t (*column_int64)(db_stmt *q, int col);
	const unsigned char *(*column_text)(db_stmt *q, int col);
	const void *(*column_blob)(db_stmt *q, int col);
	int (*column_bytes)(db_stmt *q, int col);
	int (*column_is_null)(db_stmt *q, int col);
	int (*changes)(struct db *db);
	const char *(*errmsg)(struct db *db);
	int (*connected)(struct db *db);
	int (*reconnect)(struct db *db);
	/* Notifications (PostgreSQL's LISTEN/NOTIFY); NULL: the backend has none. */
	int (*listen)(struct db *db, const char *channel);
	int (*notify)(struct db *db, const char *channel, const char *payload);
	int (*socket)(struct db *db);
	int (*notifications)(struct db *db, db_notify_fn fn, void *arg);
};

/* The head of every backend's connection and statement. */
struct db {
	const struct db_ops *ops;
	enum db_kind kind;
	unsigned generation;
};

struct db_stmt {
	struct db *db;
};

struct db *db_sqlite_open(const char *path, char *err, size_t errlen);
struct db *db_pg_open(const char *conninfo, char *err, size_t errlen);

#endif
