/* SPDX-License-Identifier: BSD-3-Clause */
/* Aligned human tables, key/value blocks and JSON for spgatectl. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

struct out_table {
	unsigned int n_cols;
	const char *const *headers;
	char align[OUT_TABLE_MAX_COLS];
	size_t width[OUT_TABLE_MAX_COLS];
	bool header_done;
	char **cells; /* n_rows * n_cols, row-major */
	size_t n_rows;
	size_t cap_rows;
};

struct out_table *out_table_new(unsigned int n_cols, const char *const headers[], const char *align)
{
	struct out_table *t;
	unsigned int c;

	if (n_cols == 0 || n_cols > OUT_TABLE_MAX_COLS)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->n_cols = n_cols;
	t->headers = headers;
	for (c = 0; c < n_cols; c++) {
		t->align[c] = align != NULL && align[c] == 'r' ? 'r' : 'l';
		t->width[c] = strlen(headers[c]);
	}
	return t;
}

bool out_table_add(struct out_table *t, const char *const cells[])
{
	unsigned int c;
	char **row;

	if (t->n_rows == t->cap_rows) {
		size_t cap = t->cap_rows ? t->cap_rows * 2 : 64;
		char **grown = realloc(t->cells, cap * t->n_cols * sizeof(*grown));

		if (grown == NULL)
			return false;
		t->cells = grown;
		t->cap_rows = cap;
	}
	row = &t->cells[t->n_rows * t->n_cols];
	for (c = 0; c < t->n_cols; c++) {
		row[c] = strdup(cells[c] != NULL ? cells[c] : "");
		if (row[c] == NULL) {
			while (c-- > 0)
				free(row[c]);
			return false;
		}
		if (strlen(row[c]) > t->width[c])
			t->width[c] = strlen(row[c]);
	}
	t->n_rows++;
	return true;
}

static void print_row(const struct out_table *t, FILE *f, const char *const cells[])
{
	unsigned int c;

	for (c = 0; c < t->n_cols; c++) {
		bool last = c + 1 == t->n_cols;
		int w = (int)t->width[c];

		if (t->align[c] == 'r')
			fprintf(f, "%*s", w, cells[c]);
		else if (last) /* no trailing blanks */
			fputs(cells[c], f);
		else
			fprintf(f, "%-*s", w, cells[c]);
		fputs(last ? "\n" : "  ", f);
	}
}

void out_table_flush(struct out_table *t, FILE *f)
{
	size_t r;
	unsigned int c;

	if (!t->header_done) {
		print_row(t, f, t->headers);
		t->header_done = true;
	}
	for (r = 0; r < t->n_rows; r++) {
		char **row = &t->cells[r * t->n_cols];

		print_row(t, f, (const char *const *)row);
		for (c = 0; c < t->n_cols; c++)
			free(row[c]);
	}
	t->n_rows = 0;
}

void out_table_free(struct out_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n_rows * t->n_cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

void out_kv(FILE *f, const char *key, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "%-14s ", key);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
}

void out_json_init(struct out_json *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
}

static void json_quoted(FILE *f, const char *s)
{
	const unsigned char *p;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Comma and key before a value at the current depth. */
static void json_member(struct out_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (key != NULL) {
		json_quoted(j->f, key);
		fputc(':', j->f);
	}
}

static void json_open(struct out_json *j, const char *key, char brace)
{
	json_member(j, key);
	fputc(brace, j->f);
	if (j->depth + 1 < OUT_JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void json_close(struct out_json *j, char brace)
{
	fputc(brace, j->f);
	if (j->depth > 0)
		j->depth--;
}

void out_json_object_begin(struct out_json *j, const char *key)
{
	json_open(j, key, '{');
}

void out_json_object_end(struct out_json *j)
{
	json_close(j, '}');
}

void out_json_array_begin(struct out_json *j, const char *key)
{
	json_open(j, key, '[');
}

void out_json_array_end(struct out_json *j)
{
	json_close(j, ']');
}

void out_json_string(struct out_json *j, const char *key, const char *val)
{
	json_member(j, key);
	json_quoted(j->f, val);
}

void out_json_u64(struct out_json *j, const char *key, uint64_t val)
{
	json_member(j, key);
	fprintf(j->f, "%" PRIu64, val);
}

void out_json_bool(struct out_json *j, const char *key, bool val)
{
	json_member(j, key);
	fputs(val ? "true" : "false", j->f);
}

void out_json_finish(struct out_json *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}

const char *out_fmt_bits(uint64_t bps, char *buf, size_t size)
{
	static const struct {
		uint64_t unit;
		const char *suffix;
	} units[] = {{1000000000, "G"}, {1000000, "M"}, {1000, "k"}};
	unsigned int i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t whole = bps / units[i].unit;
		/* Two decimals, truncated, trailing zeros dropped: 33600 -> 33.6k. */
		unsigned int frac = (unsigned int)((bps % units[i].unit) / (units[i].unit / 100));

		if (whole == 0)
			continue;
		if (frac == 0)
			snprintf(buf, size, "%" PRIu64 "%s", whole, units[i].suffix);
		else if (frac % 10 == 0)
			snprintf(buf, size, "%" PRIu64 ".%u%s", whole, frac / 10, units[i].suffix);
		else
			snprintf(buf, size, "%" PRIu64 ".%02u%s", whole, frac, units[i].suffix);
		return buf;
	}
	snprintf(buf, size, "%" PRIu64, bps);
	return buf;
}

const char *out_fmt_age(uint64_t ms, char *buf, size_t size)
{
	uint64_t s = ms / 1000;

	if (s < 60)
		snprintf(buf, size, "%" PRIu64 "s", s);
	else if (s < 3600)
		snprintf(buf, size, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, size, "%" PRIu64 "d%02" PRIu64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}
