/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inventory import: customers, sites, service profiles, systems, users, groups, access rules
 * and lines from YAML or CSV (formats: config/README-inventory.md). The whole input is
 * checked before anything is written, and written in one transaction: all or nothing.
 * Re-importing the same input changes nothing (every row is an upsert).
 */
#ifndef SPG_INVENTORY_H
#define SPG_INVENTORY_H

#include <stddef.h>

#include "store/store.h"

enum inventory_format { INVENTORY_YAML, INVENTORY_CSV };

/* Rows read per table (each one upserted). */
struct inventory_counts {
	unsigned customers, sites, profiles, systems, users, groups, rules, lines;
};

/* "yaml" | "csv" → *out; 0 or -EINVAL. */
int inventory_format_parse(const char *s, enum inventory_format *out);

/*
 * Imports text (len bytes; name is what errors start with). Returns 0, -EINVAL for bad input
 * with "NAME:LINE: what is wrong" (YAML: "NAME:LINE:COL: path: ...") in err and the line in
 * *err_line (0 if none), or another -errno when the store failed (err says so).
 */
int inventory_import(struct store *st, enum inventory_format fmt, const char *name,
		     const char *text, size_t len, struct inventory_counts *counts, char *err,
		     size_t errlen, unsigned *err_line);

/* The same from a file; the format comes from fmt. */
int inventory_import_file(struct store *st, enum inventory_format fmt, const char *path,
			  struct inventory_counts *counts, char *err, size_t errlen,
			  unsigned *err_line);

#endif
