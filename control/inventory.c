/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inventory import. Both formats fill the same records through one table of fields per
 * kind (so YAML keys and CSV columns are checked by the same code); then the records are
 * checked as a whole (duplicates, address vs connect method) and written in one
 * transaction in dependency order, so a CSV may list a system before its customer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/passwd.h"
#include "inventory.h"
#include "inventory_record.h"
#include "store/inventory_store.h"

#define FILE_MAX (64 * 1024 * 1024)

/* Whole-input checks, then the write. */

static int by_kind_key(const void *a, const void *b)
{
	const struct inventory_record *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = strcmp(x->key, y->key);
	if (c != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_kind_seq(const void *a, const void *b)
{
	const struct inventory_record *x = a, *y = b;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts for writing; refuses a key given twice (at the second place it is given). */
static int check_duplicates(struct inventory_import *im)
{
	size_t i;

	if (im->n == 0)
		return 0;
	qsort(im->recs, im->n, sizeof(im->recs[0]), by_kind_key);
	for (i = 1; i < im->n; i++) {
		const struct inventory_record *a = &im->recs[i - 1], *b = &im->recs[i];

		if (a->kind == b->kind && strcmp(a->key, b->key) == 0)
			return inventory_record_error(im, b, "%s is given twice (first at line %u)",
						      b->key, a->line);
	}
	qsort(im->recs, im->n, sizeof(im->recs[0]), by_kind_seq);
	return 0;
}

/* Checks the names a record refers to, so the message says which one is unknown. */
static int check_refs(struct inventory_import *im, const struct inventory_record *r)
{
	const char *customer = NULL, *site = NULL, *profile = NULL;
	struct store_customer c;
	struct store_profile p;
	struct store_site s;

	switch (r->kind) {
	case INV_SITE:
		customer = r->u.site.customer;
		break;
	case INV_SYSTEM:
		customer = r->u.system.customer;
		site = r->u.system.site;
		profile = r->u.system.profile;
		break;
	case INV_RULE:
		customer = r->u.rule.customer;
		site = r->u.rule.site[0] != '\0' ? r->u.rule.site : NULL;
		break;
	case INV_LINE:
		customer = r->u.line.customer[0] != '\0' ? r->u.line.customer : NULL;
		break;
	default:
		return 0;
	}
	if (customer != NULL && store_customer_get(im->st, customer, &c) == -ENOENT)
		return inventory_record_error(im, r, "customer \"%s\" is unknown", customer);
	if (site != NULL && store_site_get(im->st, customer, site, &s) == -ENOENT)
		return inventory_record_error(im, r, "site \"%s\" of customer \"%s\" is unknown",
					      site, customer);
	if (profile != NULL && store_profile_get(im->st, profile, &p) == -ENOENT)
		return inventory_record_error(im, r, "profile \"%s\" is unknown", profile);
	return 0;
}

static int put_user(struct inventory_import *im, struct inventory_record *r)
{
	int rc;

	if (r->password[0] != '\0') {
		rc = passwd_hash(r->password, r->u.user.password_hash,
				 sizeof(r->u.user.password_hash));
		explicit_bzero(r->password, sizeof(r->password));
		if (rc < 0)
			return inventory_record_error(im, r, "%s: cannot hash the password: %s",
						      r->u.user.name, strerror(-rc));
	}
	return store_user_put(im->st, &r->u.user);
}

static int put_record(struct inventory_import *im, struct inventory_record *r)
{
	switch (r->kind) {
	case INV_CUSTOMER:
		return store_customer_put(im->st, &r->u.customer);
	case INV_GROUP:
		return store_group_put(im->st, &r->u.group);
	case INV_PROFILE:
		return store_profile_put(im->st, &r->u.profile);
	case INV_SITE:
		return store_site_put(im->st, &r->u.site);
	case INV_SYSTEM:
		return store_system_put(im->st, &r->u.system);
	case INV_USER:
		return put_user(im, r);
	case INV_RULE:
		return store_rule_put(im->st, &r->u.rule);
	case INV_LINE:
		return store_line_put(im->st, &r->u.line, r->enabled);
	case INV_N:
		break;
	}
	return -EINVAL;
}

static void count(struct inventory_counts *c, enum inventory_kind k)
{
	unsigned *slot[INV_N] = {
		[INV_CUSTOMER] = &c->customers, [INV_GROUP] = &c->groups,
		[INV_PROFILE] = &c->profiles,	[INV_SITE] = &c->sites,
		[INV_SYSTEM] = &c->systems,	[INV_USER] = &c->users,
		[INV_RULE] = &c->rules,		[INV_LINE] = &c->lines,
	};

	(*slot[k])++;
}

/* Records why the store failed (not the input: the caller sees rc, not -EINVAL). */
static int store_failed(struct inventory_import *im, int rc, unsigned line, const char *what)
{
	inventory_error(im, line, "%s: %s: %s", im->name, what, store_errmsg(im->st));
	return rc;
}

static int write_records(struct inventory_import *im, struct inventory_counts *counts)
{
	size_t i;
	int rc;

	rc = store_begin(im->st);
	if (rc < 0)
		return store_failed(im, rc, 0, "cannot start a transaction");
	for (i = 0; i < im->n; i++) {
		struct inventory_record *r = &im->recs[i];

		rc = check_refs(im, r);
		if (rc == 0)
			rc = put_record(im, r);
		if (rc < 0 && !im->failed)
			store_failed(im, rc, r->line, "cannot store a record");
		if (rc < 0) {
			store_rollback(im->st);
			return rc;
		}
		count(counts, r->kind);
	}
	rc = store_commit(im->st);
	if (rc < 0) {
		store_failed(im, rc, 0, "cannot commit");
		store_rollback(im->st);
	}
	return rc;
}

int inventory_format_parse(const char *s, enum inventory_format *out)
{
	if (s != NULL && strcmp(s, "yaml") == 0)
		*out = INVENTORY_YAML;
	else if (s != NULL && strcmp(s, "csv") == 0)
		*out = INVENTORY_CSV;
	else
		return -EINVAL;
	return 0;
}

int inventory_import(struct store *st, enum inventory_format fmt, const char *name,
		     const char *text, size_t len, struct inventory_counts *counts, char *err,
		     size_t errlen, unsigned *err_line)
{
	struct inventory_import im = { .st = st, .name = name, .err = err, .errlen = errlen };
	struct inventory_counts c = { 0 };
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = fmt == INVENTORY_YAML ? inventory_read_yaml(&im, text, len)
				   : inventory_read_csv(&im, text, len);
	if (rc == 0)
		rc = check_duplicates(&im);
	if (rc == 0)
		rc = write_records(&im, &c);
	free(im.recs);
	if (err_line != NULL)
		*err_line = im.err_line;
	if (rc == 0 && counts != NULL)
		*counts = c;
	return rc;
}

int inventory_import_file(struct store *st, enum inventory_format fmt, const char *path,
			  struct inventory_counts *counts, char *err, size_t errlen,
			  unsigned *err_line)
{
	char *buf;
	size_t len;
	FILE *f;
	int rc;

	if (err_line != NULL)
		*err_line = 0;
	f = fopen(path, "re");
	if (f == NULL) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(FILE_MAX + 1);
	if (buf == NULL) {
		fclose(f);
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	len = fread(buf, 1, FILE_MAX + 1, f);
	if (ferror(f) || len > FILE_MAX) {
		snprintf(err, errlen, "%s: %s", path,
			 ferror(f) ? "cannot read" : "larger than 64 MiB");
		rc = ferror(f) ? -EIO : -EFBIG;
	} else {
		rc = inventory_import(st, fmt, path, buf, len, counts, err, errlen, err_line);
	}
	free(buf);
	fclose(f);
	return rc;
}
