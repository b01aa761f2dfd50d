/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fleet's membership rows (issue 14): one lease per gateway host (gateways table,
 * migration 9). A host acquires its row at start, which bumps the row's generation (the
 * fencing token), and renews it every few seconds naming that generation; a renewal that
 * finds another generation was fenced off (someone acquired the row since) and must not act
 * for the sessions it thought it owned. A host whose lease_expires has passed is dead.
 */
#ifndef SPG_GATEWAY_STORE_H
#define SPG_GATEWAY_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/inventory_store.h"
#include "store/store.h"

struct store_gateway {
	char id[STORE_NAME_MAX];
	int64_t generation;
	int64_t lease_expires, started, renewed; /* unix seconds */
	int64_t sessions;	/* live sessions owned, counted now */
	int64_t load;		/* 1-minute load average x 100 at the last renewal */
	char version[32];
	bool alive;		/* lease_expires > now */
	/* failover (takeover_store.h, migration 11): its spgate-dp's service addresses (0: not
	 * published), the host that answers for them now, and who took it over last ("") */
	uint32_t vendor_address, sp_address;
	char holder[STORE_NAME_MAX];
	char taken_by[STORE_NAME_MAX];
};

/*
 * Takes the row of id for a lease until now + lease_s (creating it), with a new generation
 * (*generation: 1 for a new row, the old + 1 otherwise). 0 or -errno.
 */
int store_gateway_acquire(struct store *st, const char *id, const char *version, int64_t now,
			  int64_t lease_s, int64_t *generation);
/*
 * Extends id's lease to now + lease_s if the row still has generation; records load and the
 * live sessions id owns. 0, -ESTALE (fenced: the row has another generation or is gone) or
 * -errno.
 */
int store_gateway_renew(struct store *st, const char *id, int64_t generation, int64_t now,
			int64_t lease_s, int64_t load);
/* Every gateway, by id, with alive judged at now; fn's non-zero result stops (and returns). */
int store_gateway_foreach(struct store *st, int64_t now,
			  int (*fn)(const struct store_gateway *g, void *arg), void *arg);

#endif
