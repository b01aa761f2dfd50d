/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's objects (docs/control-plane.md §2) for people: each table is a list
 * of columns naming the member it shows and how; scripts get the server's JSON as it came.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "output.h"

#define CELL_MAX 256

char *ctl_json_dump(const json_t *v, size_t *len)
{
	size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	char *buf;

	if (n == 0)
		return NULL;
	buf = malloc(n + 2);
	if (buf == NULL)
		return NULL;
	if (json_dumpb(v, buf, n, JSON_COMPACT | JSON_ENCODE_ANY) != n) {
		free(buf);
		return NULL;
	}
	buf[n] = '\n';
	buf[n + 1] = '\0';
	*len = n;
	return buf;
}

void ctl_print_json(const json_t *v)
{
	size_t len;
	char *text = ctl_json_dump(v, &len);

	if (text == NULL) {
		fputs("null\n", stdout);
		return;
	}
	fwrite(text, 1, len + 1, stdout);
	fflush(stdout);
	free(text);
}

/* A scalar as text; arrays of scalars joined by commas ("tcp:22,tcp:443"). */
static const char *value_text(const json_t *v, char *buf, size_t size)
{
	size_t used = 0, i;
	char one[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v) > 0 ? json_string_value(v) : "-";
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, size, "%g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "yes";
	case JSON_FALSE:
		return "no";
	case JSON_ARRAY:
		buf[0] = '\0';
		for (i = 0; i < json_array_size(v) && used < size; i++) {
			const char *s = value_text(json_array_get(v, i), one, sizeof(one));

			used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "", s);
		}
		return buf[0] != '\0' ? buf : "-";
	case JSON_OBJECT:
		return "{...}";
	default:
		return "-";
	}
}

const char *ctl_text(const json_t *obj, const char *key, char *buf, size_t size)
{
	const json_t *v = json_object_get(obj, key);

	return v != NULL ? value_text(v, buf, size) : "-";
}

const char *ctl_fmt_time(const json_t *obj, const char *key, char *buf, size_t size)
{
	const json_t *v = json_object_get(obj, key);
	struct tm tm;
	time_t t;

	if (!json_is_integer(v))
		return ctl_text(obj, key, buf, size); /* an ISO string is shown as it is */
	t = (time_t)json_integer_value(v);
	if (localtime_r(&t, &tm) == NULL || strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	return buf;
}

enum col_kind {
	COL_TEXT,
	COL_TIME, /* unix seconds as a local date and time */
	COL_AGE,  /* unix seconds as the time since then: "12m03s" */
	COL_BITS, /* bit/s: "33.6k" */
};

struct col {
	const char *header;
	const char *key;
	enum col_kind kind;
	char align;
};

static const char *cell(const json_t *obj, const struct col *c, char *buf, size_t size)
{
	const json_t *v = json_object_get(obj, c->key);
	time_t now = time(NULL);

	switch (c->kind) {
	case COL_TIME:
		return ctl_fmt_time(obj, c->key, buf, size);
	case COL_AGE:
		if (!json_is_integer(v))
			return "-";
		return out_fmt_age(json_integer_value(v) < now ? (uint64_t)(now - json_integer_value(v)) * 1000 : 0,
				   buf, size);
	case COL_BITS:
		if (json_is_integer(v) && json_integer_value(v) == 0)
			return "-"; /* not known yet */
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return ctl_text(obj, c->key, buf, size);
		return out_fmt_bits((uint64_t)json_integer_value(v), buf, size);
	default:
		return ctl_text(obj, c->key, buf, size);
	}
}

static bool print_table(const json_t *rows, const struct col *cols, unsigned int n_cols)
{
	static char bufs[OUT_TABLE_MAX_COLS][CELL_MAX];
	const char *headers[OUT_TABLE_MAX_COLS], *cells[OUT_TABLE_MAX_COLS];
	char align[OUT_TABLE_MAX_COLS + 1];
	struct out_table *t;
	unsigned int c;
	size_t i;
	json_t *row;

	for (c = 0; c < n_cols; c++) {
		headers[c] = cols[c].header;
		align[c] = cols[c].align;
	}
	align[n_cols] = '\0';
	t = out_table_new(n_cols, headers, align);
	if (t == NULL)
		return false;
	json_array_foreach(rows, i, row) {
		for (c = 0; c < n_cols; c++)
			cells[c] = cell(row, &cols[c], bufs[c], CELL_MAX);
		if (!out_table_add(t, cells)) {
			out_table_free(t);
			return false;
		}
	}
	out_table_flush(t, stdout);
	out_table_free(t);
	return true;
}

#define N(cols) (sizeof(cols) / sizeof((cols)[0]))

bool ctl_print_systems(const json_t *systems)
{
	static const struct col cols[] = {
		{"SERIAL", "serial", COL_TEXT, 'l'},   {"CUSTOMER", "customer", COL_TEXT, 'l'},
		{"SITE", "site", COL_TEXT, 'l'},       {"REGION", "region", COL_TEXT, 'l'},
		{"CONNECT", "connect", COL_TEXT, 'l'}, {"ADDRESS", "address", COL_TEXT, 'l'},
		{"PORTS", "ports", COL_TEXT, 'l'},
	};
	return print_table(systems, cols, N(cols));
}

bool ctl_print_sessions(const json_t *sessions)
{
	static const struct col cols[] = {
		{"ID", "id", COL_TEXT, 'r'},
		{"SERIAL", "serial", COL_TEXT, 'l'},
		{"USER", "user", COL_TEXT, 'l'},
		{"WORKSTATION", "workstation", COL_TEXT, 'l'},
		{"STATE", "state", COL_TEXT, 'l'},
		{"VIRTUAL", "virtual_address", COL_TEXT, 'l'},
		{"SP", "sp_address", COL_TEXT, 'l'},
		{"LINE", "line", COL_TEXT, 'l'},
		{"SPEED", "speed_bps", COL_BITS, 'r'},
		{"AGE", "created", COL_AGE, 'r'},
		{"OUT-PKTS", "out_packets", COL_TEXT, 'r'},
		{"IN-PKTS", "in_packets", COL_TEXT, 'r'},
		{"JOINERS", "joiners", COL_TEXT, 'l'},
		{"OWNER", "owner_gateway", COL_TEXT, 'l'},
	};
	const json_t *first = json_array_get(sessions, 0);

	/* OWNER (the gateway host) only from a fleet's store, which says so by sending it */
	return print_table(sessions, cols, first != NULL && json_object_get(first, "owner_gateway") != NULL
						   ? N(cols) : N(cols) - 1);
}

bool ctl_print_joins(const json_t *joins)
{
	static const struct col cols[] = {
		{"SESSION", "session", COL_TEXT, 'r'},
		{"SERIAL", "serial", COL_TEXT, 'l'},
		{"HOLDER", "holder", COL_TEXT, 'l'},
		{"ENGINEER", "engineer", COL_TEXT, 'l'},
		{"WORKSTATION", "workstation", COL_TEXT, 'l'},
		{"STATE", "state", COL_TEXT, 'l'},
		{"SLOT", "slot", COL_TEXT, 'r'},
		{"HOLDER-SAYS", "holder_vote", COL_TEXT, 'l'},
		{"CUSTOMER-SAYS", "customer_vote", COL_TEXT, 'l'},
		{"DECIDE-BY", "deadline", COL_TIME, 'l'},
		{"REASON", "request_reason", COL_TEXT, 'l'},
	};
	return print_table(joins, cols, N(cols));
}

bool ctl_print_recordings(const json_t *recordings)
{
	static const struct col cols[] = {
		{"ID", "id", COL_TEXT, 'r'},          {"SESSION", "session", COL_TEXT, 'r'},
		{"SERIAL", "serial", COL_TEXT, 'l'},  {"USER", "user", COL_TEXT, 'l'},
		{"STATE", "state", COL_TEXT, 'l'},    {"SEALED", "sealed", COL_TEXT, 'l'},
		{"BYTES", "bytes", COL_TEXT, 'r'},    {"PACKETS", "packets", COL_TEXT, 'r'},
		{"DROPPED", "dropped", COL_TEXT, 'r'}, {"ENDED", "ended", COL_TIME, 'l'},
		{"SHA256", "sha256", COL_TEXT, 'l'},
	};
	return print_table(recordings, cols, N(cols));
}

bool ctl_print_tickets(const json_t *tickets)
{
	static const struct col cols[] = {
		{"ID", "id", COL_TEXT, 'r'},
		{"SERIAL", "serial", COL_TEXT, 'l'},
		{"CUSTOMER", "customer", COL_TEXT, 'l'},
		{"SITE", "site", COL_TEXT, 'l'},
		{"SUBMITTED-BY", "submitted_by", COL_TEXT, 'l'},
		{"CREATED", "created", COL_TIME, 'l'},
		{"PROBLEM", "problem", COL_TEXT, 'l'},
	};
	return print_table(tickets, cols, N(cols));
}

bool ctl_print_lines(const json_t *lines)
{
	static const struct col cols[] = {
		{"ID", "id", COL_TEXT, 'l'},         {"TYPE", "type", COL_TEXT, 'l'},
		{"REGION", "region", COL_TEXT, 'l'}, {"CUSTOMER", "customer", COL_TEXT, 'l'},
		{"STATE", "state", COL_TEXT, 'l'},   {"SESSION", "session", COL_TEXT, 'r'},
		{"CALLS", "calls", COL_TEXT, 'r'},   {"FAILURES", "failures", COL_TEXT, 'r'},
		{"LAST", "last_result", COL_TEXT, 'l'},
	};
	return print_table(lines, cols, N(cols));
}

bool ctl_print_gateways(const json_t *gateways)
{
	static const struct col cols[] = {
		{"ID", "id", COL_TEXT, 'l'},	       {"STATE", "state", COL_TEXT, 'l'},
		{"GEN", "generation", COL_TEXT, 'r'},  {"SESSIONS", "sessions", COL_TEXT, 'r'},
		{"LOAD", "load", COL_TEXT, 'r'},       {"RENEWED", "renewed", COL_AGE, 'r'},
		{"ADDRESSES_AT", "addresses_held_by", COL_TEXT, 'l'},
		{"TAKEN_BY", "taken_by", COL_TEXT, 'l'}, {"SELF", "self", COL_TEXT, 'l'},
	};
	return print_table(gateways, cols, N(cols));
}

/* One line, as `line enable|disable` prints it: the same columns as `lines`. */
void ctl_print_line(const json_t *line)
{
	json_t *one = json_array();

	json_array_append((json_t *)one, (json_t *)line);
	ctl_print_lines(one);
	json_decref(one);
}

/*
 * Audit events: id, time (ISO 8601, with "unix" beside it), actor, action, target, result
 * (control/audit.c); "detail" and anything else become key=value details.
 */
static const char *const event_columns[] = {"id", "time", "unix", "actor", "action", "target", "result"};

/* Appends key=value for v (an object's members one by one) to buf at *used. */
static void append_detail(char *buf, size_t size, size_t *used, const char *key, const json_t *v)
{
	const char *k;
	char one[CELL_MAX];
	json_t *m;

	if (*used >= size)
		return;
	if (json_is_object(v)) {
		json_object_foreach((json_t *)v, k, m)
			append_detail(buf, size, used, k, m);
		return;
	}
	*used += (size_t)snprintf(buf + *used, size - *used, "%s%s=%s", *used ? " " : "", key,
				  value_text(v, one, sizeof(one)));
}

static void event_details(const json_t *ev, char *buf, size_t size)
{
	size_t used = 0, k;
	const char *key;
	json_t *v;

	buf[0] = '\0';
	json_object_foreach((json_t *)ev, key, v) {
		for (k = 0; k < N(event_columns); k++)
			if (strcmp(key, event_columns[k]) == 0)
				break;
		if (k == N(event_columns))
			append_detail(buf, size, &used, key, v);
	}
}

bool ctl_print_events(const json_t *events)
{
	static const struct col cols[] = {
		{"ID", "id", COL_TEXT, 'r'},           {"TIME", "when", COL_TIME, 'l'},
		{"ACTOR", "actor", COL_TEXT, 'l'},     {"ACTION", "action", COL_TEXT, 'l'},
		{"TARGET", "target", COL_TEXT, 'l'},   {"RESULT", "result", COL_TEXT, 'l'},
		{"DETAILS", "details", COL_TEXT, 'l'},
	};
	json_t *rows = json_array(), *row, *copy, *when;
	char details[1024];
	bool ok = rows != NULL;
	size_t i;

	json_array_foreach(events, i, row) {
		if (!ok)
			break;
		copy = json_is_object(row) ? json_copy(row) : json_object();
		/* Unix seconds print in local time like every other time here; else the ISO text. */
		when = json_object_get(row, "unix");
		if (!json_is_integer(when))
			when = json_object_get(row, "time");
		event_details(row, details, sizeof(details));
		ok = copy != NULL && json_object_set_new(copy, "details", json_string(details)) == 0 &&
		     (when == NULL || json_object_set(copy, "when", when) == 0) && json_array_append_new(rows, copy) == 0;
	}
	ok = ok && print_table(rows, cols, N(cols));
	json_decref(rows);
	return ok;
}

/* ---- key/value blocks ---- */

struct field {
	const char *label;
	const char *key;
	enum col_kind kind;
	bool optional; /* left out when absent, null or empty */
};

static void print_fields(const json_t *obj, const struct field *f, size_t n)
{
	const struct col c0 = {NULL, NULL, COL_TEXT, 'l'};
	char buf[1024];
	size_t i;

	for (i = 0; i < n; i++) {
		const json_t *v = json_object_get(obj, f[i].key);
		struct col c = c0;

		if (f[i].optional && (v == NULL || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0)))
			continue;
		c.key = f[i].key;
		c.kind = f[i].kind;
		out_kv(stdout, f[i].label, "%s", cell(obj, &c, buf, sizeof(buf)));
	}
}

void ctl_print_session(const json_t *s)
{
	static const struct field fields[] = {
		{"session", "id", COL_TEXT, false},
		{"serial", "serial", COL_TEXT, false},
		{"customer", "customer", COL_TEXT, true},
		{"user", "user", COL_TEXT, false},
		{"workstation", "workstation", COL_TEXT, false},
		/* a fleet's: the host that runs it (least_loaded may have handed it on) */
		{"gateway", "owner_gateway", COL_TEXT, true},
		{"state", "state", COL_TEXT, false},
		{"reason", "reason", COL_TEXT, true},
		{"request reason", "request_reason", COL_TEXT, true},
		{"ticket", "ticket", COL_TEXT, true},
		{"recorded", "recorded", COL_TEXT, true},
		{"approval", "approval", COL_TEXT, true},
		{"approval id", "approval_id", COL_TEXT, true},
		{"approve by", "approval_deadline", COL_TIME, true},
		{"line", "line", COL_TEXT, true},
		{"virtual", "virtual_address", COL_TEXT, true},
		{"sp address", "sp_address", COL_TEXT, true},
		{"speed", "speed_bps", COL_BITS, true},
		{"created", "created", COL_TIME, false},
		{"updated", "updated", COL_TIME, true},
		{"out packets", "out_packets", COL_TEXT, true},
		{"out bytes", "out_bytes", COL_TEXT, true},
		{"in packets", "in_packets", COL_TEXT, true},
		{"in bytes", "in_bytes", COL_TEXT, true},
		{"drops", "drops", COL_TEXT, true},
	};
	print_fields(s, fields, N(fields));
}

void ctl_print_join(const json_t *j)
{
	static const struct field fields[] = {
		{"session", "id", COL_TEXT, false},
		{"serial", "serial", COL_TEXT, false},
		{"holder", "holder", COL_TEXT, false},
		{"state", "state", COL_TEXT, false},
		{"reason", "reason", COL_TEXT, true},
		{"slot", "slot", COL_TEXT, true},
		{"workstation", "workstation", COL_TEXT, false},
		{"virtual", "virtual_address", COL_TEXT, true},
		{"sp address", "sp_address", COL_TEXT, true},
		{"ports", "ports", COL_TEXT, true},
		{"expires", "expires", COL_TIME, true},
	};
	print_fields(j, fields, N(fields));
}

void ctl_print_ticket(const json_t *t)
{
	static const struct field fields[] = {
		{"ticket", "id", COL_TEXT, false},
		{"serial", "serial", COL_TEXT, true},
		{"customer", "customer", COL_TEXT, true},
		{"site", "site", COL_TEXT, true},
		{"problem", "problem", COL_TEXT, false},
		{"submitted by", "submitted_by", COL_TEXT, true},
		{"created", "created", COL_TIME, true},
	};
	print_fields(t, fields, N(fields));
}

void ctl_print_holder(FILE *f, const json_t *holder)
{
	char user[CELL_MAX], ws[CELL_MAX], since[64], id[32];

	fprintf(f, "held by %s from %s since %s (session %s)\n", ctl_text(holder, "user", user, sizeof(user)),
		ctl_text(holder, "workstation", ws, sizeof(ws)), ctl_fmt_time(holder, "since", since, sizeof(since)),
		ctl_text(holder, "session", id, sizeof(id)));
}
