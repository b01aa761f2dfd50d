/* SPDX-License-Identifier: BSD-3-Clause */
/* The backend layer's front: picks the backend from the URL and dispatches to it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/db_int.h"

int db_url_is_postgresql(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
	       (strchr(url, '=') != NULL && strncmp(url, "sqlite:", 7) != 0 && url[0] != '/');
}

struct db *db_open(const char *url, char *err, size_t errlen)
{
	if (url == NULL || url[0] == '\0') {
		snprintf(err, errlen, "no store URL");
		errno = EINVAL;
		return NULL;
	}
	if (db_url_is_postgresql(url))
		return db_pg_open(url, err, errlen);
	/* sqlite:///abs/path keeps its third slash: the path is absolute. */
	if (strncmp(url, "sqlite://", 9) == 0)
		url += 9;
	else if (strncmp(url, "sqlite:", 7) == 0)
		url += 7;
	return db_sqlite_open(url, err, errlen);
}

void db_close(struct db *db)
{
	if (db != NULL)
		db->ops->close(db);
}

enum db_kind db_kind(const struct db *db)
{
	return db->kind;
}

const char *db_kind_name(const struct db *db)
{
	return db->ops->name;
}

unsigned db_generation(const struct db *db)
{
	return db->generation;
}

int db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

int db_exec_ddl(struct db *db, const char *sql)
{
	return db->ops->exec_ddl(db, sql);
}

int db_prepare(struct db *db, const char *sql, db_stmt **q)
{
	return db->ops->prepare(db, sql, q);
}

void db_finalize(db_stmt *q)
{
	if (q != NULL)
		q->db->ops->finalize(q);
}

void db_reset(db_stmt *q)
{
	q->db->ops->reset(q);
}

void db_clear_bindings(db_stmt *q)
{
	q->db->ops->clear_bindings(q);
}

int db_step(db_stmt *q)
{
	return q->db->ops->step(q);
}

int db_bind_int64(db_stmt *q, int i, int64_t v)
{
	return q->db->ops->bind_int64(q, i, v);
}

int db_bind_int(db_stmt *q, int i, int v)
{
	return q->db->ops->bind_int64(q, i, v);
}

int db_bind_null(db_stmt *q, int i)
{
	return q->db->ops->bind_null(q, i);
}

int db_bind_text(db_stmt *q, int i, const char *s, int n, db_destructor d)
{
	if (s == NULL)
		return db_bind_null(q, i);
	return q->db->ops->bind_text(q, i, s, n, d);
}

int db_bind_blob(db_stmt *q, int i, const void *p, int n, db_destructor d)
{
	return q->db->ops->bind_blob(q, i, p, n, d);
}

int64_t db_column_int64(db_stmt *q, int col)
{
	return q->db->ops->column_int64(q, col);
}

int db_column_int(db_stmt *q, int col)
{
	return (int)q->db->ops->column_int64(q, col);
}

const unsigned char *db_column_text(db_stmt *q, int col)
{
	return q->db->ops->column_text(q, col);
}

const void *db_column_blob(db_stmt *q, int col)
{
	return q->db->ops->column_blob(q, col);
}

int db_column_bytes(db_stmt *q, int col)
{
	return q->db->ops->column_bytes(q, col);
}

int db_column_is_null(db_stmt *q, int col)
{
	return q->db->ops->column_is_null(q, col);
}

int db_changes(struct db *db)
{
	return db->ops->changes(db);
}

const char *db_errmsg(struct db *db)
{
	return db->ops->errmsg(db);
}

int db_connected(struct db *db)
{
	return db->ops->connected(db);
}

int db_reconnect(struct db *db)
{
	return db->ops->reconnect(db);
}

int db_listen(struct db *db, const char *channel)
{
	return db->ops->listen != NULL ? db->ops->listen(db, channel) : -EOPNOTSUPP;
}

int db_notify(struct db *db, const char *channel, const char *payload)
{
	/* one host on SQLite: nobody else to tell */
	return db->ops->notify != NULL ? db->ops->notify(db, channel, payload) : 0;
}

int db_socket(struct db *db)
{
	return db->ops->socket != NULL ? db->ops->socket(db) : -1;
}

int db_notifications(struct db *db, db_notify_fn fn, void *arg)
{
	return db->ops->notifications != NULL ? db->ops->notifications(db, fn, arg) : -EOPNOTSUPP;
}
