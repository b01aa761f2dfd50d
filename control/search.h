/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Authorization and search (the seeds' connection monitor): which systems a caller may see
 * and reach. A caller sees a system when an access rule of one of their groups allows its
 * customer (or its site), or when the caller is privileged.
 */
#ifndef SPG_SEARCH_H
#define SPG_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "store/inventory_store.h"
#include "store/store.h"

struct search_caller {
	const char *user;
	const char *const *groups;
	size_t n_groups;
	bool privileged; /* operators, and members of a privileged group */
};

enum search_by { SEARCH_ANY, SEARCH_SERIAL, SEARCH_CUSTOMER, SEARCH_SITE, SEARCH_TICKET };

/* "any" | "serial" | "customer" | "site" | "ticket" → *out; 0 or -EINVAL. */
int search_by_parse(const char *s, enum search_by *out);

/*
 * True when one of groups is privileged: named in cfg's sessions.privileged_groups (cfg may
 * be NULL) or marked privileged in the store's groups table.
 */
bool search_groups_privileged(struct store *st, const struct ctl_config *cfg,
			      const char *const *groups, size_t n_groups);

/*
 * Calls fn for each system visible to who that query matches, ordered by serial:
 * serial: a part of the serial (case-insensitive); customer, site: the whole name
 * (case-insensitive); ticket: a ticket id ("42" or "T42"); any: any of these.
 * An empty query matches every visible system. At most limit systems (0: 1000).
 * Returns 0, fn's first non-zero return, or -errno (-EINVAL: a query over 256 bytes).
 */
int search_systems(struct store *st, const struct search_caller *who, const char *query,
		   enum search_by by, unsigned limit,
		   int (*fn)(const struct store_system *s, void *arg), void *arg);

/* 1 when who may reach serial, 0 when not, -ENOENT when there is no such system. */
int search_may_access(struct store *st, const struct search_caller *who, const char *serial);

#endif
