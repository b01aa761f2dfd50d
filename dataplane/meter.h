/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rate matching (claims 16/40): each session is throttled to its SP line's speed in both
 * directions with an srTCM meter (green passes, the rest is dropped as over_rate).
 */
#ifndef SPG_METER_H
#define SPG_METER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_meter.h>
#include <rte_spinlock.h>

#include "dp_api.h"

struct spg_meter {
	/* Only when several workers may carry one session (RSS spreads a session's flows);
	 * with a single worker nobody else writes the bucket. */
	rte_spinlock_t lock;
	/* false: unlimited, every packet passes. The control thread clears it and waits a
	 * grace period before it rewrites m and prof, so a worker never sees them half made. */
	bool limited;
	struct rte_meter_srtcm m;
	struct rte_meter_srtcm_profile prof;
};

/*
 * Configures the meter from a rate (bytes_per_sec == 0: unlimited). A zero burst gets a
 * default of max(bytes_per_sec / 20, 3000) bytes. Returns 0 or -EINVAL.
 */
int spg_meter_config(struct spg_meter *mt, const struct spg_dp_rate *rate);

/* True if a packet of len bytes at time tsc is within the rate; shared: other workers may
 * meter the same session at the same time, so take the lock. */
static inline bool spg_meter_check(struct spg_meter *mt, uint64_t tsc, uint32_t len, bool shared)
{
	enum rte_color c;

	if (!__atomic_load_n(&mt->limited, __ATOMIC_ACQUIRE))
		return true;
	if (!shared)
		return rte_meter_srtcm_color_blind_check(&mt->m, &mt->prof, tsc, len) == RTE_COLOR_GREEN;
	rte_spinlock_lock(&mt->lock);
	c = rte_meter_srtcm_color_blind_check(&mt->m, &mt->prof, tsc, len);
	rte_spinlock_unlock(&mt->lock);
	return c == RTE_COLOR_GREEN;
}

/* spg_meter_check for a meter that several workers may use. */
static inline bool spg_meter_allow(struct spg_meter *mt, uint64_t tsc, uint32_t len)
{
	return spg_meter_check(mt, tsc, len, true);
}

#endif
