/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SP's route service (seed steps 341-342) over rtnetlink: S on the TUN, the TUN up, and
 * a host route to each session's G_in through it. Addresses in network order. Every call
 * returns 0 or -errno with err naming what it tried ("route 192.0.2.1/32 dev sptun0: File
 * exists").
 */
#ifndef AGENT_ROUTE_H
#define AGENT_ROUTE_H

#include <stddef.h>
#include <stdint.h>

/* Sets the MTU, adds addr/32 (EEXIST is fine) and brings the link up. */
int route_link_setup(int ifindex, uint32_t mtu, uint32_t addr, char *err, size_t errlen);
/* dst/32 dev ifindex src src, replacing a route to dst that is there already. */
int route_host_add(int ifindex, uint32_t dst, uint32_t src, char *err, size_t errlen);
/* Removes dst/32 dev ifindex; a route that is not there (ESRCH) is fine. */
int route_host_del(int ifindex, uint32_t dst, char *err, size_t errlen);

/*
 * A gateway session's inner addresses: G_in (its holder) and G_in + 1 .. + n_joiners (the
 * engineers who joined it), each dst/32 dev ifindex src src, so the SP's replies to any of
 * them go into the tunnel. On an error the routes added so far are removed again.
 */
int route_inner_add(int ifindex, uint32_t gw_inner, unsigned int n_joiners, uint32_t src, char *err,
		    size_t errlen);
/* Removes those routes; returns the first error, having tried every one. */
int route_inner_del(int ifindex, uint32_t gw_inner, unsigned int n_joiners, char *err, size_t errlen);

#endif
