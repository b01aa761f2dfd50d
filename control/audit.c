/* SPDX-License-Identifier: BSD-3-Clause */
/* The audit trail: JSON lines on disk and rows in the store. See audit.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

#define DEFAULT_LIST_LIMIT 100

struct audit {
	char *path;
	int fd;
	struct store *st; /* may be NULL */
};

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	return fd < 0 ? -errno : fd;
}

struct audit *audit_open(const char *path, struct store *st)
{
	struct audit *a = calloc(1, sizeof(*a));
	int fd;

	if (a == NULL)
		return NULL;
	a->path = strdup(path);
	fd = a->path != NULL ? open_log(path) : -ENOMEM;
	if (fd < 0) {
		free(a->path);
		free(a);
		errno = -fd;
		return NULL;
	}
	a->fd = fd;
	a->st = st;
	return a;
}

int audit_reopen(struct audit *a)
{
	int fd = open_log(a->path);

	if (fd < 0)
		return fd;
	close(a->fd);
	a->fd = fd;
	return 0;
}

int audit_sync(struct audit *a)
{
	return fdatasync(a->fd) < 0 ? -errno : 0;
}

void audit_close(struct audit *a)
{
	if (a == NULL)
		return;
	close(a->fd);
	free(a->path);
	free(a);
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* detail as JSON: the parsed object, or the raw text as a string if it does not parse. */
static json_t *detail_value(const char *detail, bool *valid)
{
	json_t *v;

	*valid = true;
	if (detail == NULL)
		return NULL;
	v = json_loads(detail, JSON_DECODE_ANY, NULL);
	if (v != NULL)
		return v;
	*valid = false;
	return json_string(detail);
}

/* The event as JSON; *valid tells whether its detail parsed as JSON. */
static json_t *record_json(const struct audit_record *r, bool *valid)
{
	char iso[32];
	struct tm tm;
	time_t t = (time_t)r->time;
	json_t *o, *detail;

	if (gmtime_r(&t, &tm) == NULL || strftime(iso, sizeof(iso), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(iso, sizeof(iso), "?");
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "time", iso, "unix", (json_int_t)r->time,
		      "actor", or_empty(r->actor), "action", or_empty(r->action), "target",
		      or_empty(r->target), "result", or_empty(r->result));
	if (o == NULL)
		return NULL;
	if (r->id != 0)
		json_object_set_new(o, "id", json_integer(r->id));
	detail = detail_value(r->detail, valid);
	if (detail != NULL)
		json_object_set_new(o, "detail", detail);
	return o;
}

json_t *audit_record_json(const struct audit_record *r)
{
	bool valid;

	return record_json(r, &valid);
}

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One write() for the line and its newline, so a crash never glues two events together. */
static int write_line(int fd, const char *line)
{
	size_t n = strlen(line);
	char *buf = malloc(n + 1);
	int rc;

	if (buf == NULL)
		return -ENOMEM;
	memcpy(buf, line, n);
	buf[n] = '\n';
	rc = write_all(fd, buf, n + 1);
	free(buf);
	return rc;
}

static int insert_row(struct store *st, const struct audit_record *r)
{
	db_stmt *q = store_stmt(st, "INSERT INTO audit (time, actor, action, target, result, "
					 "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, r->time);
	db_bind_text(q, 2, or_empty(r->actor), -1, DB_STATIC);
	db_bind_text(q, 3, or_empty(r->action), -1, DB_STATIC);
	db_bind_text(q, 4, or_empty(r->target), -1, DB_STATIC);
	db_bind_text(q, 5, or_empty(r->result), -1, DB_STATIC);
	if (r->detail != NULL)
		db_bind_text(q, 6, r->detail, -1, DB_STATIC);
	return store_step_done(st, q);
}

int audit_event_at(struct audit *a, int64_t now, const char *actor, const char *action,
		   const char *target, const char *result, const char *detail_json)
{
	struct audit_record r = { .time = now, .actor = actor, .action = action,
				  .target = target, .result = result, .detail = detail_json };
	char *line = NULL;
	bool valid = true;
	int rc = 0, sink;
	json_t *o;

	o = record_json(&r, &valid);
	if (o != NULL)
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (line == NULL) {
		fprintf(stderr, "audit: out of memory; lost event: %s %s %s %s\n", or_empty(actor),
			or_empty(action), or_empty(target), or_empty(result));
		return -ENOMEM;
	}
	sink = write_line(a->fd, line);
	if (sink < 0) {
		fprintf(stderr, "audit: cannot write %s: %s; event: %s\n", a->path,
			strerror(-sink), line);
		rc = sink;
	}
	sink = a->st != NULL ? insert_row(a->st, &r) : 0;
	if (sink < 0) {
		fprintf(stderr, "audit: cannot store the event: %s; event: %s\n",
			store_errmsg(a->st), line);
		rc = rc < 0 ? rc : sink;
	}
	free(line);
	if (rc == 0 && !valid)
		rc = -EINVAL;
	return rc;
}

int audit_event(struct audit *a, const char *actor, const char *action, const char *target,
		const char *result, const char *detail_json)
{
	return audit_event_at(a, (int64_t)time(NULL), actor, action, target, result,
			      detail_json);
}

int audit_list(struct store *st, int64_t since, unsigned limit,
	       int (*fn)(const struct audit_record *r, void *arg), void *arg)
{
	struct audit_record r;
	db_stmt *q;
	int rc, fn_rc = 0;

	/* The newest limit events, handed out oldest first as one reads a log. */
	rc = store_prepare(st, "SELECT id, time, actor, action, target, result, detail FROM "
			   "(SELECT * FROM audit WHERE time >= ?1 ORDER BY id DESC LIMIT ?2) newest "
			   "ORDER BY id", &q);
	if (rc < 0)
		return rc;
	db_bind_int64(q, 1, since);
	db_bind_int64(q, 2, limit ? limit : DEFAULT_LIST_LIMIT);
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		r.id = db_column_int64(q, 0);
		r.time = db_column_int64(q, 1);
		r.actor = (const char *)db_column_text(q, 2);
		r.action = (const char *)db_column_text(q, 3);
		r.target = (const char *)db_column_text(q, 4);
		r.result = (const char *)db_column_text(q, 5);
		r.detail = (const char *)db_column_text(q, 6);
		fn_rc = fn(&r, arg);
	}
	return store_finalize(q, rc, fn_rc);
}
