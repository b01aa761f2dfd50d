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
	/* Several workers may carry one session; the lock is uncontended in the common case. */
	rte_spinlock_t lock;
	bool limited; /* false: unlimited, every packet passes */
	struct rte_meter_srtcm m;
	struct rte_meter_srtcm_profile prof;
};

/*
 * Configures the meter from a rate (bytes_per_sec == 0: unlimited). A zero burst gets a
 * default of max(bytes_per_sec / 20, 3000) bytes. Returns 0 or -EINVAL.
 */
int spg_meter_config(struct spg_meter *mt, const struct spg_dp_rate *rate);

/* True if a packet of len bytes at time tsc is within the rate. */
static inline bool spg_meter_allow(struct spg_meter *mt, uint64_t tsc, uint32_t len)
{
	enum rte_color c;

	if (!mt->limited)
		return true;
	rte_spinlock_lock(&mt->lock);
	c = rte_meter_srtcm_color_blind_check(&mt->m, &mt->prof, tsc, len);
	rte_spinlock_unlock(&mt->lock);
	return c == RTE_COLOR_GREEN;
}

#endif
