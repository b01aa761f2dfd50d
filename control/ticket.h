/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Service tickets (claim 17): a ticket names a system and a problem. It is submitted with a
 * serial, or with a customer and site that hold exactly one system the submitter may see;
 * `connect` with a ticket resolves it back to the system.
 */
#ifndef SPG_TICKET_H
#define SPG_TICKET_H

#include <stddef.h>
#include <stdint.h>

#include "search.h"
#include "store/inventory_store.h"
#include "store/store.h"

/*
 * Submits a ticket at now. Give serial, or serial NULL and customer + site. Errors:
 * -EINVAL (no system named, empty or over-long problem), -ENOENT (no such system, or not
 * visible to who), -ENOTUNIQ (the site holds several systems: give the serial).
 */
int ticket_submit(struct store *st, const struct search_caller *who, const char *serial,
		  const char *customer, const char *site, const char *problem, int64_t now,
		  struct store_ticket *out);

/* Parses "42" or "T42" into *id; 0 or -EINVAL. */
int ticket_id_parse(const char *s, int64_t *id);

/* Reads ticket id if who may see its system; -ENOENT otherwise. */
int ticket_get(struct store *st, const struct search_caller *who, int64_t id,
	       struct store_ticket *t);

/* Calls fn for each ticket whose system who may see, newest first. */
int ticket_list(struct store *st, const struct search_caller *who,
		int (*fn)(const struct store_ticket *t, void *arg), void *arg);

#endif
