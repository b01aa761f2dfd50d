/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's share of packet work: ARP (answer for our port addresses, learn,
 * solicit unresolved next hops), ICMP echo to our port addresses, and applying the roaming
 * reports of workers. What it sends goes through dp->ctl_tx_ring to worker 0.
 */
#ifndef SPG_SLOW_PATH_H
#define SPG_SLOW_PATH_H

#include "dp.h"

/* Handles what the workers queued. Returns the number of items handled. */
unsigned int spg_slow_path_poll(struct spg_dp *dp);

/* Queues one gratuitous ARP for addr on port: a broadcast ARP request with sender and target
 * address addr and the port's MAC (RFC 5227's ARP announcement; port_addr.c decides when). */
void spg_slow_path_garp(struct spg_dp *dp, unsigned int port, uint32_t addr);

#endif
