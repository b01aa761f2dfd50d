/* SPDX-License-Identifier: BSD-3-Clause */
/* The two inventory readers: CSV lines and YAML lists, both into inventory records. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory_record.h"
#include "yaml_util.h"

/* CSV: one record per line, "kind,field,field,...", '#' comments, RFC 4180 quoting. */

#define CSV_MAX_COLUMNS (INVENTORY_MAX_FIELDS + 2)

/*
 * Splits line (NUL-terminated, modified in place) into columns. Unquoted columns are
 * trimmed of spaces; quoted ones keep everything, "" standing for one quote.
 */
static const char *csv_split(char *line, char **cols, unsigned *n)
{
	char *r = line, *w, *end;

	*n = 0;
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*n == CSV_MAX_COLUMNS)
			return "has too many columns";
		cols[(*n)++] = w = r;
		if (*r == '"') {
			for (r++;; r++) {
				if (*r == '\0')
					return "has a quoted column without its closing quote";
				if (*r == '"' && r[1] == '"')
					r++;
				else if (*r == '"')
					break;
				*w++ = *r;
			}
			for (r++; *r == ' ' || *r == '\t'; r++)
				;
			if (*r != ',' && *r != '\0')
				return "has text after a closing quote";
		} else {
			r += strcspn(r, ",");
			for (end = r; end > w && (end[-1] == ' ' || end[-1] == '\t'); end--)
				;
			w = end;
		}
		if (*r == '\0') {
			*w = '\0';
			return NULL;
		}
		*w = '\0';
		r++;
	}
}

static int csv_kind(const char *name, enum inventory_kind *kind)
{
	unsigned k;

	for (k = 0; k < INV_N; k++) {
		if (strcmp(inventory_kinds[k].name, name) == 0) {
			*kind = (enum inventory_kind)k;
			return 0;
		}
	}
	return -EINVAL;
}

static int csv_record(struct inventory_import *im, unsigned line_no, char **cols, unsigned n)
{
	const struct inventory_kind_desc *kd;
	struct inventory_record *r;
	unsigned i, max = 0, min = 0;
	const char *why;
	enum inventory_kind kind;
	char q[INVENTORY_QUOTE];

	if (csv_kind(cols[0], &kind) < 0)
		return inventory_error(im, line_no,
				       "%s:%u: %s is not a kind (customer, site, "
				       "profile, system, user, group, rule, line)",
				       im->name, line_no,
				       spg_yaml_quote(cols[0], strlen(cols[0]), q, sizeof(q)));
	kd = &inventory_kinds[kind];
	for (i = 0; i < kd->n_fields; i++) {
		if (kd->fields[i].yaml_only)
			continue;
		max++;
		if (kd->fields[i].required)
			min = max;
	}
	if (n - 1 < min || n - 1 > max)
		return inventory_error(im, line_no,
				       "%s:%u: %s has %u columns after the kind, "
				       "expected %u to %u",
				       im->name, line_no, kd->name, n - 1, min, max);
	r = inventory_new_record(im, kind, line_no, 0, line_no);
	if (r == NULL)
		return inventory_error(im, line_no, "%s:%u: out of memory", im->name, line_no);
	for (i = 0; i + 1 < n; i++) {
		const struct inventory_field *f = &kd->fields[i];

		if (cols[i + 1][0] == '\0' && !f->required)
			continue;
		why = inventory_set_field(r, f, cols[i + 1]);
		if (why != NULL)
			return inventory_record_error(
				im, r, "%s %s %s", f->name,
				spg_yaml_quote(cols[i + 1], strlen(cols[i + 1]), q, sizeof(q)),
				why);
	}
	return inventory_check_record(im, r);
}

static bool csv_skip(const char *line)
{
	line += strspn(line, " \t");
	return *line == '\0' || *line == '#' || strncmp(line, "kind,", 5) == 0;
}

int inventory_read_csv(struct inventory_import *im, const char *text, size_t len)
{
	char buf[INVENTORY_VALUE_MAX * 2], *cols[CSV_MAX_COLUMNS];
	size_t pos = 0, l;
	unsigned line_no = 0, n;
	const char *why, *nl;
	int rc;

	while (pos < len) {
		line_no++;
		nl = memchr(text + pos, '\n', len - pos);
		l = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;
		if (l >= sizeof(buf))
			return inventory_error(im, line_no,
					       "%s:%u: the line is longer than %zu bytes", im->name,
					       line_no, sizeof(buf) - 1);
		if (memchr(text + pos, '\0', l) != NULL)
			return inventory_error(im, line_no, "%s:%u: the line holds a NUL byte",
					       im->name, line_no);
		memcpy(buf, text + pos, l);
		buf[l] = '\0';
		if (l > 0 && buf[l - 1] == '\r')
			buf[l - 1] = '\0';
		pos += l + 1;
		if (csv_skip(buf))
			continue;
		why = csv_split(buf, cols, &n);
		if (why != NULL)
			return inventory_error(im, line_no, "%s:%u: the line %s", im->name, line_no,
					       why);
		rc = csv_record(im, line_no, cols, n);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* YAML: a mapping of lists (customers:, sites:, ...), each entry a mapping of fields. */

/* The text of a field's value; lists (of scalars) are joined with ';'. */
static int yaml_value(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		      const struct inventory_field *f, char *buf, size_t size)
{
	char item_path[SPG_YAML_PATH_MAX];
	size_t n, i, off = 0, l;
	const char *v;
	bool b;

	if (f->type == INVF_BOOL) {
		if (spg_yaml_get_bool(d, node, path, &b) < 0)
			return -1;
		snprintf(buf, size, "%s", b ? "true" : "false");
		return 0;
	}
	if (node->type != YAML_SEQUENCE_NODE ||
	    (f->type != INVF_PORTS && f->type != INVF_GROUPS && f->type != INVF_ADDRESS &&
	     f->type != INVF_PREFIXES))
		return spg_yaml_get_string(d, node, path, buf, size);
	if (spg_yaml_sequence(d, node, path, f->type == INVF_GROUPS || f->type == INVF_PREFIXES ? 0 : 1, 64,
			      &n) < 0)
		return -1;
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		spg_yaml_path_index(item_path, sizeof(item_path), path, i);
		if (spg_yaml_scalar(d, spg_yaml_item(d, node, i), item_path, &v) < 0)
			return -1;
		l = strlen(v);
		if (strchr(v, ';') != NULL || off + l + 2 > size)
			return spg_yaml_error(d, spg_yaml_item(d, node, i), item_path,
					      strchr(v, ';') ? "must not contain ';'"
							     : "the list is too long");
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ";" : "", v);
	}
	return 0;
}

static int yaml_record(struct inventory_import *im, struct spg_yaml_doc *d,
		       enum inventory_kind kind, yaml_node_t *node, unsigned index)
{
	const struct inventory_kind_desc *kd = &inventory_kinds[kind];
	struct spg_yaml_key keys[INVENTORY_MAX_FIELDS];
	char path[SPG_YAML_PATH_MAX], fpath[SPG_YAML_PATH_MAX], value[INVENTORY_VALUE_MAX],
		q[INVENTORY_QUOTE];
	yaml_node_t *v[INVENTORY_MAX_FIELDS];
	struct inventory_record *r;
	const char *why;
	unsigned i;

	for (i = 0; i < kd->n_fields; i++)
		keys[i] = (struct spg_yaml_key){ kd->fields[i].name, kd->fields[i].required };
	spg_yaml_path_index(path, sizeof(path), kd->section, index);
	if (spg_yaml_mapping(d, node, path, keys, kd->n_fields, v) < 0)
		return -1;
	r = inventory_new_record(im, kind, (unsigned)node->start_mark.line + 1,
				 (unsigned)node->start_mark.column + 1, index);
	if (r == NULL)
		return spg_yaml_error(d, node, path, "out of memory");
	for (i = 0; i < kd->n_fields; i++) {
		if (v[i] == NULL)
			continue;
		spg_yaml_path(fpath, sizeof(fpath), path, kd->fields[i].name);
		if (yaml_value(d, v[i], fpath, &kd->fields[i], value, sizeof(value)) < 0)
			return -1;
		why = inventory_set_field(r, &kd->fields[i], value);
		if (why != NULL)
			return spg_yaml_error(d, v[i], fpath, "%s %s",
					      spg_yaml_quote(value, strlen(value), q, sizeof(q)),
					      why);
	}
	return inventory_check_record(im, r) < 0 ? -2 : 0;
}

static int yaml_records(struct inventory_import *im, struct spg_yaml_doc *d)
{
	struct spg_yaml_key keys[INV_N];
	yaml_node_t *root = spg_yaml_root(d), *v[INV_N];
	size_t n, i;
	unsigned k;
	int rc;

	if (root == NULL)
		return spg_yaml_error(d, NULL, NULL, "the file is empty");
	for (k = 0; k < INV_N; k++)
		keys[k] = (struct spg_yaml_key){ inventory_kinds[k].section, false };
	if (spg_yaml_mapping(d, root, "", keys, INV_N, v) < 0)
		return -1;
	for (k = 0; k < INV_N; k++) {
		if (v[k] == NULL)
			continue;
		if (spg_yaml_sequence(d, v[k], inventory_kinds[k].section, 0, SIZE_MAX, &n) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			rc = yaml_record(im, d, (enum inventory_kind)k, spg_yaml_item(d, v[k], i),
					 (unsigned)i);
			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* The line of a "NAME:LINE:..." message, or 0. */
static unsigned line_of(const char *name, const char *err)
{
	size_t l = strlen(name);
	unsigned line = 0;

	if (strncmp(err, name, l) != 0 || sscanf(err + l, ":%u:", &line) != 1)
		return 0;
	return line;
}

int inventory_read_yaml(struct inventory_import *im, const char *text, size_t len)
{
	struct spg_yaml_doc d;
	int rc;

	rc = spg_yaml_load_buffer(&d, im->name, text, len, im->err, im->errlen);
	if (rc == 0)
		rc = yaml_records(im, &d);
	spg_yaml_free(&d);
	if (rc == -1) /* a YAML helper wrote the message; -2: record_error did */
		im->err_line = line_of(im->name, im->err != NULL ? im->err : "");
	return rc < 0 ? -EINVAL : 0;
}
