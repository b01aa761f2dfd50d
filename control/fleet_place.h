/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which gateway host of the fleet runs a new session (`gateway.connect`, issue 14 item 4):
 * the asked host itself (`asked`, the default), or the least loaded host that can serve it
 * (`least_loaded`): the live host with the fewest live sessions whose spgate-dp has published
 * its addresses and which answers for them itself (a host that stands by after a takeover
 * has its addresses at another host: the engineers' routes to its part of the virtual pool
 * lead there, so a session it ran could not be reached). Ties go to the asked host, then to
 * the lower 1-minute load, then to the lower id, so that an even fleet keeps connects where
 * they were asked and two hosts choosing at once choose alike.
 */
#ifndef SPG_FLEET_PLACE_H
#define SPG_FLEET_PLACE_H

#include <stdbool.h>
#include <stddef.h>

#include "store/gateway_store.h"
#include "store/store.h"

/*
 * The index in g[0..n) of the host to run a session asked of host me (which is standing by
 * when me_standby), or -1 when no host can.
 */
int fleet_place_choose(const struct store_gateway *g, size_t n, const char *me, bool me_standby);

/*
 * fleet_place_choose over the store's gateways at now: 0 with the chosen host's id in out,
 * -ENOENT when no host can serve (all dead, standing by, or without a published spgate-dp),
 * or -errno (the store's).
 */
int fleet_place(struct store *st, const char *me, bool me_standby, int64_t now, char *out, size_t len);

#endif
