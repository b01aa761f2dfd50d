/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbor (ARP) table: IPv4 next hop -> MAC, per port. Workers read it lock-free; the
 * control thread learns from ARP it receives and asks for unresolved next hops.
 */
#ifndef SPG_NEIGHBOR_H
#define SPG_NEIGHBOR_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

struct spg_neigh_table;

struct spg_neigh_table *spg_neigh_create(uint32_t max_entries, int socket_id);
void spg_neigh_free(struct spg_neigh_table *t);

/* Worker: the MAC for addr (network order) on port, or false when unknown. */
bool spg_neigh_lookup(struct spg_neigh_table *t, uint16_t port, uint32_t addr, struct rte_ether_addr *mac);

/*
 * Changes whenever a lookup's answer may have changed (a MAC learned or replaced): a worker
 * may keep what it looked up for as long as this stays the same.
 */
uint32_t spg_neigh_generation(const struct spg_neigh_table *t);

/* Control thread: learn or refresh. Returns 0 or -ENOSPC. */
int spg_neigh_learn(struct spg_neigh_table *t, uint16_t port, uint32_t addr, const struct rte_ether_addr *mac,
		    uint64_t now_tsc);

/*
 * Control thread: whether an ARP request for addr should go out now (none sent for it in the
 * last second), recording that one is being sent.
 */
bool spg_neigh_should_solicit(struct spg_neigh_table *t, uint16_t port, uint32_t addr, uint64_t now_tsc);

#endif
