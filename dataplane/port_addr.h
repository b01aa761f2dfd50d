/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The addresses a port owns (issue 14, failover): its configured (primary) address, unless
 * silenced because another host of the fleet holds it, and up to SPG_DP_PORT_ADDRS_MAX extra
 * addresses taken over from a dead host, the way VRRP moves an address. Owning an address
 * means answering ARP and ping for it, accepting ESP sent to it (SP port) and being allowed
 * as a session's outer source (SP port). Only ADDRESS messages change it (dp_api.h says what
 * each op does); the control thread writes, workers read with spg_port_owns.
 */
#ifndef SPG_PORT_ADDR_H
#define SPG_PORT_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_branch_prediction.h>

#include "dp.h"

/* Not inline: only packets to no primary address get here (taken-over ESP, strays). */
bool spg_port_owns_extra(const struct spg_port *p, uint32_t addr);

/* Worker or control thread: whether port p owns addr (network order) now. The primary costs
 * one compare and a byte of the same line, as the single address did. */
static inline bool spg_port_owns(const struct spg_port *p, uint32_t addr)
{
	if (likely(addr == p->addr))
		return !__atomic_load_n(&p->primary_silent, __ATOMIC_RELAXED);
	return spg_port_owns_extra(p, addr);
}

/* Control thread. The sender address of the port's own ARP requests: the primary, else the
 * first extra address, else 0.0.0.0 (an RFC 5227 probe, which overwrites nobody's cache). */
uint32_t spg_port_arp_source(const struct spg_port *p);

/* Control thread: ADDRESS ADD and DEL (dp_api.h). 0 or a positive errno, *why set then. */
int spg_port_addr_add(struct spg_dp *dp, unsigned int port, uint32_t addr, const char **why);
int spg_port_addr_del(struct spg_dp *dp, unsigned int port, uint32_t addr, const char **why);

/* Control thread: every address of both ports into e (SPG_DP_ADDR_LIST_MAX entries of room);
 * returns how many. */
uint32_t spg_port_addr_list(const struct spg_dp *dp, struct spg_dp_address_entry *e);

/* Whether the SP port owns the address a session's outer_src names (0: its primary) now;
 * false means EADDRNOTAVAIL for the session. */
bool spg_port_addr_outer_src_ok(const struct spg_dp *dp, uint32_t outer_src);

/*
 * Control thread, from the slow path: an ARP frame on port said sip is at sha. When the port
 * owns sip and sha is not its own MAC, another host answers for one of our addresses (a host
 * cut off that does not know it was taken over, or a misconfiguration): counted, logged at
 * most every SPG_ADDR_CONFLICT_LOG_S per port, and not fought over (no answer in kind: the
 * fleet's store decides who holds an address). Returns whether it was such a conflict.
 */
#define SPG_ADDR_CONFLICT_LOG_S 10
bool spg_port_addr_conflict(struct spg_dp *dp, unsigned int port, uint32_t sip, const struct rte_ether_addr *sha,
			    uint64_t now);

/* Control thread, from the slow path: sends the gratuitous ARPs that are due at now (TSC).
 * Returns how many it sent. */
unsigned int spg_port_addr_announce_due(struct spg_dp *dp, uint64_t now);

#endif
