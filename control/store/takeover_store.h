/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Taking a dead gateway host's place in the fleet (issue 14, failover): the service
 * addresses each host publishes (its spgate-dp's vendor-port and SP-port addresses, the ones
 * engineers route to and agents send ESP to), which host holds them now, and the one
 * transaction in which a survivor takes a dead host's row, addresses and live sessions.
 * Calls return 0 or -errno.
 */
#ifndef SPG_TAKEOVER_STORE_H
#define SPG_TAKEOVER_STORE_H

#include <stdint.h>

#include "store/inventory_store.h"
#include "store/store.h"

extern const char store_takeover_schema[];

/* A host's service addresses (network order; 0 not published yet) and who holds them. */
struct store_gateway_addresses {
	char id[STORE_NAME_MAX];
	uint32_t vendor_address, sp_address;
	char holder[STORE_NAME_MAX]; /* the host answering for them: id itself unless taken */
};

/* Publishes id's addresses (at each spgate-dp (re)connect), if id still has generation. */
int store_gateway_publish(struct store *st, const char *id, int64_t generation, uint32_t vendor_address,
			  uint32_t sp_address);
/* The row of id's addresses. -ENOENT: no such host. */
int store_gateway_addresses_get(struct store *st, const char *id, struct store_gateway_addresses *a);
/* Every other host's addresses that holder holds (taken over), by id. */
int store_gateway_held_foreach(struct store *st, const char *holder,
			       int (*fn)(const struct store_gateway_addresses *a, void *arg), void *arg);

/*
 * holder gives id's addresses back to id, if id is alive at now (its lease runs): -EALREADY
 * when holder does not hold them or id is not alive.
 */
int store_gateway_give_back(struct store *st, const char *id, const char *holder, int64_t now);

/* A dead host that has something to take: live sessions it owns, or addresses it holds. */
struct store_gateway_dead {
	char id[STORE_NAME_MAX];
	int64_t generation;
	int64_t sessions;
};

/* Hosts whose lease expired before now, other than me, that own live sessions or hold addresses. */
int store_gateway_dead_foreach(struct store *st, const char *me, int64_t now,
			       int (*fn)(const struct store_gateway_dead *d, void *arg), void *arg);

/*
 * In one transaction: fences dead (its generation + 1, taken_by = me) if its row still has
 * generation and its lease expired before now; then the addresses dead held and the live
 * sessions it owned become me's. Only one survivor wins a row: -EALREADY for the others (or
 * when dead renewed meanwhile). *n_sessions: how many sessions moved.
 */
int store_gateway_take(struct store *st, const char *dead, int64_t generation, const char *me, int64_t now,
		       int64_t *n_sessions);

#endif
