/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This host's membership of the gateway fleet (issue 14): acquires the lease row of
 * gateway.id at start and renews it every FLEET_RENEW_S seconds for FLEET_LEASE_S (a libevent
 * timer); other hosts judge this one dead FLEET_LEASE_S after its last renewal. The
 * generation acquired is the fencing token later failover work checks before acting for a
 * session (docs/fleet.md). With a SQLite store the fleet is this host alone.
 */
#ifndef SPG_FLEET_H
#define SPG_FLEET_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "store/store.h"

#define FLEET_RENEW_S 3
#define FLEET_LEASE_S 10

struct fleet;

/*
 * Acquires id's lease now (now(): unix seconds; NULL for time()) and starts renewing it.
 * NULL with errno set and err filled when the store refuses.
 */
struct fleet *fleet_start(struct event_base *base, struct store *st, const char *id,
			  int64_t (*now)(void), char *err, size_t errlen);
void fleet_stop(struct fleet *f);
/* Renews the lease now, as the timer does (fenced: on_fenced, then rejoin). */
void fleet_renew(struct fleet *f);
/* The generation this host holds (the fencing token). */
int64_t fleet_generation(const struct fleet *f);
/* gateway.id */
const char *fleet_id(const struct fleet *f);
/*
 * Whether this host may still act for its sessions (re-attach agents, take other hosts'
 * sessions): its last renewal is recent enough that nobody can have taken its lease. A host
 * cut off from the store stops acting before its lease ends. NULL (no fleet): true.
 */
bool fleet_lease_fresh(const struct fleet *f);
/*
 * Whether this host may take other hosts over: its lease fresh, and renewed without a gap for
 * a whole lease (so every living host has had the time to renew after a store outage or
 * this host's start).
 */
bool fleet_may_take_over(const struct fleet *f);
/*
 * fn runs when a renewal finds the lease taken (fenced), before this host rejoins with a
 * new generation: it must let go of every session it held, without writing them.
 */
void fleet_on_fenced(struct fleet *f, void (*fn)(int64_t old_generation, void *arg), void *arg);

#endif
