/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_meter.h>
#include <rte_spinlock.h>

#include "meter.h"

#define METER_BURST_MIN 3000
/*
 * rte_meter works in TSC cycles per token with 64-bit integers: far above these the
 * period arithmetic overflows. 2^40 bytes/s is about 8.8 Tbit/s, 2^40 bytes of burst
 * far more than any line could ever need.
 */
#define METER_RATE_MAX (UINT64_C(1) << 40)
#define METER_BURST_MAX (UINT64_C(1) << 40)

int spg_meter_config(struct spg_meter *mt, const struct spg_dp_rate *rate)
{
	struct rte_meter_srtcm_params params;

	memset(mt, 0, sizeof(*mt));
	rte_spinlock_init(&mt->lock);
	if (rate->bytes_per_sec == 0)
		return 0;
	if (rate->bytes_per_sec > METER_RATE_MAX || rate->burst_bytes > METER_BURST_MAX)
		return -EINVAL;
	/* Before rte_eal_init the TSC rate is unknown (0) and the profile would divide by it. */
	if (rte_get_tsc_hz() == 0)
		return -EINVAL;

	params.cir = rate->bytes_per_sec;
	params.cbs = rate->burst_bytes != 0 ? rate->burst_bytes
					    : RTE_MAX(rate->bytes_per_sec / 20, (uint64_t)METER_BURST_MIN);
	/* No excess bucket: whatever is not green is over the rate. */
	params.ebs = 0;
	if (rte_meter_srtcm_profile_config(&mt->prof, &params) != 0)
		return -EINVAL;
	if (rte_meter_srtcm_config(&mt->m, &mt->prof) != 0)
		return -EINVAL;
	mt->limited = true;
	return 0;
}
