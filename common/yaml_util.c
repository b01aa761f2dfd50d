/* SPDX-License-Identifier: BSD-3-Clause */
/* Strict YAML config helpers: see yaml_util.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_util.h"

/* Room for a quoted value in a message: long values are cut and end in "...". */
#define QUOTE_MAX 72

static void err_set(struct spg_yaml_doc *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void err_set(struct spg_yaml_doc *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err == NULL || d->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(d->err, d->errlen, fmt, ap);
	va_end(ap);
}

/* libyaml only reports a byte offset for encoding errors; turn it into a line and column. */
static void offset_to_position(const unsigned char *buf, size_t len, size_t offset, size_t *line,
			       size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static void syntax_error(struct spg_yaml_doc *d, const yaml_parser_t *p, const void *buf,
			 size_t len)
{
	const char *problem = p->problem != NULL ? p->problem : "cannot parse";
	size_t line, col;

	if (p->error == YAML_MEMORY_ERROR) {
		err_set(d, "%s: out of memory while parsing", d->file);
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		offset_to_position(buf, len, p->problem_offset, &line, &col);
		err_set(d, "%s:%zu:%zu: %s", d->file, line, col, problem);
		return;
	}
	line = p->problem_mark.line + 1;
	col = p->problem_mark.column + 1;
	if (p->context != NULL)
		err_set(d, "%s:%zu:%zu: %s (%s at %zu:%zu)", d->file, line, col, problem,
			p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	else
		err_set(d, "%s:%zu:%zu: %s", d->file, line, col, problem);
}

int spg_yaml_load_buffer(struct spg_yaml_doc *d, const char *name, const void *buf, size_t len,
			 char *err, size_t errlen)
{
	yaml_document_t next;
	yaml_parser_t parser;
	int rc = -1;

	memset(d, 0, sizeof(*d));
	d->file = name;
	d->err = err;
	d->errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (!yaml_parser_initialize(&parser)) {
		err_set(d, "%s: cannot start the YAML parser", name);
		return -1;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &d->doc)) {
		syntax_error(d, &parser, buf, len);
		goto out;
	}
	d->loaded = true;
	/* A second document would be ignored silently by everyone reading only the first. */
	if (!yaml_parser_load(&parser, &next)) {
		syntax_error(d, &parser, buf, len);
		goto out;
	}
	if (yaml_document_get_root_node(&next) != NULL) {
		err_set(d, "%s:%zu:%zu: only one YAML document is allowed", name,
			next.start_mark.line + 1, next.start_mark.column + 1);
		yaml_document_delete(&next);
		goto out;
	}
	yaml_document_delete(&next);
	rc = 0;
out:
	yaml_parser_delete(&parser);
	return rc;
}

int spg_yaml_load(struct spg_yaml_doc *d, const char *path, char *err, size_t errlen)
{
	unsigned char *buf = NULL;
	size_t len;
	FILE *f;
	int rc;

	memset(d, 0, sizeof(*d));
	d->file = path;
	d->err = err;
	d->errlen = errlen;
	f = fopen(path, "re");
	if (f == NULL) {
		err_set(d, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	buf = malloc(SPG_YAML_MAX_FILE + 1);
	if (buf == NULL) {
		err_set(d, "%s: out of memory", path);
		fclose(f);
		return -1;
	}
	len = fread(buf, 1, SPG_YAML_MAX_FILE + 1, f);
	if (ferror(f)) {
		err_set(d, "%s: cannot read: %s", path, strerror(errno));
		rc = -1;
	} else if (len > SPG_YAML_MAX_FILE) {
		err_set(d, "%s: larger than %d bytes", path, SPG_YAML_MAX_FILE);
		rc = -1;
	} else {
		rc = spg_yaml_load_buffer(d, path, buf, len, err, errlen);
	}
	free(buf);
	fclose(f);
	return rc;
}

void spg_yaml_free(struct spg_yaml_doc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	d->loaded = false;
}

yaml_node_t *spg_yaml_root(struct spg_yaml_doc *d)
{
	return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

const char *spg_yaml_quote(const char *value, size_t len, char *buf, size_t bufsize)
{
	bool cut = false;
	size_t pos = 0, i;
	char esc[5];
	int n;

	/* The opening quote, the closing one, "..." and the NUL must fit. */
	if (bufsize < 6) {
		if (bufsize > 0)
			buf[0] = '\0';
		return buf;
	}
	buf[pos++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '"' || c == '\\')
			n = snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			n = snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\t')
			n = snprintf(esc, sizeof(esc), "\\t");
		else if (c < 0x20 || c == 0x7f)
			n = snprintf(esc, sizeof(esc), "\\x%02x", c);
		else
			n = snprintf(esc, sizeof(esc), "%c", c);
		if (pos + (size_t)n + 5 > bufsize) {
			cut = true;
			break;
		}
		memcpy(buf + pos, esc, (size_t)n);
		pos += (size_t)n;
	}
	buf[pos++] = '"';
	if (cut) {
		memcpy(buf + pos, "...", 3);
		pos += 3;
	}
	buf[pos] = '\0';
	return buf;
}

int spg_yaml_verror(struct spg_yaml_doc *d, const yaml_node_t *node, const char *path,
		    const char *fmt, va_list ap)
{
	size_t off;
	int n;

	if (d->err == NULL || d->errlen == 0)
		return -1;
	if (node != NULL)
		n = snprintf(d->err, d->errlen, "%s:%zu:%zu: ", d->file, node->start_mark.line + 1,
			     node->start_mark.column + 1);
	else
		n = snprintf(d->err, d->errlen, "%s:1:1: ", d->file);
	off = n < 0 ? 0 : (size_t)n;
	if (path != NULL && path[0] != '\0' && off < d->errlen) {
		n = snprintf(d->err + off, d->errlen - off, "%s: ", path);
		off += n < 0 ? 0 : (size_t)n;
	}
	if (off < d->errlen)
		vsnprintf(d->err + off, d->errlen - off, fmt, ap);
	return -1;
}

int spg_yaml_error(struct spg_yaml_doc *d, const yaml_node_t *node, const char *path,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	spg_yaml_verror(d, node, path, fmt, ap);
	va_end(ap);
	return -1;
}

const char *spg_yaml_path(char *buf, size_t bufsize, const char *parent, const char *key)
{
	if (parent == NULL || parent[0] == '\0')
		snprintf(buf, bufsize, "%s", key);
	else
		snprintf(buf, bufsize, "%s.%s", parent, key);
	return buf;
}

const char *spg_yaml_path_index(char *buf, size_t bufsize, const char *parent, size_t index)
{
	snprintf(buf, bufsize, "%s[%zu]", parent != NULL ? parent : "", index);
	return buf;
}

static bool scalar_is_null(const yaml_node_t *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp((const char *)node->data.scalar.value, nulls[i]) == 0)
			return true;
	return false;
}

/* What was found instead of the expected kind, for "expected a mapping, got ...". */
static const char *node_description(const yaml_node_t *node, char *buf, size_t bufsize)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (scalar_is_null(node))
			return "an empty value";
		return spg_yaml_quote((const char *)node->data.scalar.value,
				      node->data.scalar.length, buf, bufsize);
	default:
		return "nothing";
	}
}

static int expect_type(struct spg_yaml_doc *d, const yaml_node_t *node, const char *path,
		       yaml_node_type_t type)
{
	static const char *const names[] = {
		[YAML_SCALAR_NODE] = "a value",
		[YAML_SEQUENCE_NODE] = "a list",
		[YAML_MAPPING_NODE] = "a mapping",
	};
	char q[QUOTE_MAX];

	if (node->type == type)
		return 0;
	return spg_yaml_error(d, node, path, "expected %s, got %s", names[type],
			      node_description(node, q, sizeof(q)));
}

static bool scalar_equals(const yaml_node_t *node, const char *s)
{
	size_t len = strlen(s);

	return node->type == YAML_SCALAR_NODE && node->data.scalar.length == len &&
	       memcmp(node->data.scalar.value, s, len) == 0;
}

static bool scalars_equal(const yaml_node_t *a, const yaml_node_t *b)
{
	return a->type == YAML_SCALAR_NODE && b->type == YAML_SCALAR_NODE &&
	       a->data.scalar.length == b->data.scalar.length &&
	       memcmp(a->data.scalar.value, b->data.scalar.value, a->data.scalar.length) == 0;
}

static void known_keys(const struct spg_yaml_key *keys, size_t n_keys, char *buf, size_t bufsize)
{
	size_t off = 0, i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < n_keys && off < bufsize; i++) {
		n = snprintf(buf + off, bufsize - off, "%s%s", i ? ", " : "", keys[i].name);
		off += n < 0 ? 0 : (size_t)n;
	}
}

int spg_yaml_mapping(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		     const struct spg_yaml_key *keys, size_t n_keys, yaml_node_t **values)
{
	yaml_node_pair_t *p, *q;
	char quoted[QUOTE_MAX], list[256];
	size_t i;

	if (expect_type(d, node, path, YAML_MAPPING_NODE) < 0)
		return -1;
	for (i = 0; i < n_keys; i++)
		values[i] = NULL;
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&d->doc, p->value);

		if (k->type != YAML_SCALAR_NODE)
			return spg_yaml_error(d, k, path, "a key must be a plain name, got %s",
					      node_description(k, quoted, sizeof(quoted)));
		for (i = 0; i < n_keys && !scalar_equals(k, keys[i].name); i++)
			;
		if (i == n_keys) {
			known_keys(keys, n_keys, list, sizeof(list));
			return spg_yaml_error(d, k, path, "unknown key %s (known keys: %s)",
					      spg_yaml_quote((const char *)k->data.scalar.value,
							     k->data.scalar.length, quoted,
							     sizeof(quoted)),
					      list);
		}
		if (values[i] != NULL) {
			yaml_node_t *first = k;

			for (q = node->data.mapping.pairs.start; q < p; q++) {
				first = yaml_document_get_node(&d->doc, q->key);
				if (scalars_equal(first, k))
					break;
			}
			return spg_yaml_error(d, k, path,
					      "duplicate key \"%s\" (first given at %zu:%zu)",
					      keys[i].name, first->start_mark.line + 1,
					      first->start_mark.column + 1);
		}
		values[i] = v;
	}
	for (i = 0; i < n_keys; i++)
		if (keys[i].required && values[i] == NULL)
			return spg_yaml_error(d, node, path, "missing required key \"%s\"",
					      keys[i].name);
	return 0;
}

int spg_yaml_scalar(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		    const char **value)
{
	char q[QUOTE_MAX];

	if (expect_type(d, node, path, YAML_SCALAR_NODE) < 0)
		return -1;
	if (scalar_is_null(node))
		return spg_yaml_error(d, node, path, "has no value");
	if (strlen((const char *)node->data.scalar.value) != node->data.scalar.length)
		return spg_yaml_error(d, node, path, "%s contains a NUL character",
				      spg_yaml_quote((const char *)node->data.scalar.value,
						     node->data.scalar.length, q, sizeof(q)));
	*value = (const char *)node->data.scalar.value;
	return 0;
}

int spg_yaml_get_string(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
			size_t bufsize)
{
	const char *v;
	char q[QUOTE_MAX];

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	if (node->data.scalar.length >= bufsize)
		return spg_yaml_error(d, node, path, "%s is too long (at most %zu characters)",
				      spg_yaml_quote(v, node->data.scalar.length, q, sizeof(q)),
				      bufsize - 1);
	memcpy(buf, v, node->data.scalar.length + 1);
	return 0;
}

int spg_yaml_get_bool(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, bool *out)
{
	static const char *const trues[] = { "true", "True", "TRUE" };
	static const char *const falses[] = { "false", "False", "FALSE" };
	const char *v;
	char q[QUOTE_MAX];
	size_t i;

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	if (node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (i = 0; i < 3; i++) {
			if (strcmp(v, trues[i]) == 0) {
				*out = true;
				return 0;
			}
			if (strcmp(v, falses[i]) == 0) {
				*out = false;
				return 0;
			}
		}
	}
	return spg_yaml_error(d, node, path, "%s is not a boolean (true or false, unquoted)",
			      spg_yaml_quote(v, node->data.scalar.length, q, sizeof(q)));
}

int spg_yaml_get_u64(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	const char *s, *p;
	char q[QUOTE_MAX];

	if (spg_yaml_scalar(d, node, path, &s) < 0)
		return -1;
	spg_yaml_quote(s, node->data.scalar.length, q, sizeof(q));
	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return spg_yaml_error(d, node, path,
				      "%s is a quoted string, not an unsigned integer", q);
	for (p = s; *p != '\0'; p++)
		if (*p < '0' || *p > '9')
			return spg_yaml_error(d, node, path, "%s is not an unsigned integer", q);
	/* YAML 1.1 reads "010" as octal and 1.2 as decimal: refuse what readers disagree on. */
	if (s[0] == '0' && s[1] != '\0')
		return spg_yaml_error(d, node, path, "%s is not an unsigned integer (leading zero)",
				      q);
	for (p = s; *p != '\0'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return spg_yaml_error(d, node, path,
					      "%s is out of range %" PRIu64 "..%" PRIu64, q, min,
					      max);
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return spg_yaml_error(d, node, path,
				      "%" PRIu64 " is out of range %" PRIu64 "..%" PRIu64, v, min,
				      max);
	*out = v;
	return 0;
}

int spg_yaml_get_u32(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint32_t min,
		     uint32_t max, uint32_t *out)
{
	uint64_t v;

	if (spg_yaml_get_u64(d, node, path, min, max, &v) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int spg_yaml_sequence(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		      size_t min_items, size_t max_items, size_t *n)
{
	size_t count;

	if (expect_type(d, node, path, YAML_SEQUENCE_NODE) < 0)
		return -1;
	count = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	if (count < min_items || count > max_items)
		return spg_yaml_error(d, node, path, "has %zu entries, expected %zu to %zu", count,
				      min_items, max_items);
	*n = count;
	return 0;
}

yaml_node_t *spg_yaml_item(struct spg_yaml_doc *d, yaml_node_t *seq, size_t i)
{
	return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

int spg_yaml_get_u32_list(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
			  size_t min_items, size_t max_items, uint32_t min, uint32_t max,
			  uint32_t *out, size_t *n)
{
	char item_path[SPG_YAML_PATH_MAX];
	size_t count, i;

	if (spg_yaml_sequence(d, node, path, min_items, max_items, &count) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		yaml_node_t *item = spg_yaml_item(d, node, i);

		spg_yaml_path_index(item_path, sizeof(item_path), path, i);
		if (spg_yaml_get_u32(d, item, item_path, min, max, &out[i]) < 0)
			return -1;
	}
	*n = count;
	return 0;
}

int spg_yaml_get_string_list(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
			     size_t max_items, size_t max_len, char **out, size_t *n)
{
	char item_path[SPG_YAML_PATH_MAX], q[QUOTE_MAX];
	size_t count, i;
	yaml_node_t *item;
	const char *v;

	*n = 0;
	if (spg_yaml_sequence(d, node, path, 0, max_items, &count) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		item = spg_yaml_item(d, node, i);
		spg_yaml_path_index(item_path, sizeof(item_path), path, i);
		if (spg_yaml_scalar(d, item, item_path, &v) < 0)
			goto fail;
		if (item->data.scalar.length > max_len) {
			spg_yaml_error(d, item, item_path,
				       "%s is too long (at most %zu characters)",
				       spg_yaml_quote(v, item->data.scalar.length, q, sizeof(q)),
				       max_len);
			goto fail;
		}
		out[i] = strdup(v);
		if (out[i] == NULL) {
			spg_yaml_error(d, item, item_path, "out of memory");
			goto fail;
		}
	}
	*n = count;
	return 0;
fail:
	while (i-- > 0) {
		free(out[i]);
		out[i] = NULL;
	}
	return -1;
}
