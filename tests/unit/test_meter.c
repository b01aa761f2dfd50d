/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session rate meter, fed at synthetic TSC times. rte_meter converts rates with the
 * TSC frequency, which DPDK only knows once its EAL has started: the suite starts it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <rte_cycles.h>

#include "meter.h"
#include "unit.h"

static uint64_t hz;

static int suite_init(void)
{
	if (unit_eal_init("test_meter", NULL) != 0)
		return -1;
	hz = rte_get_tsc_hz();
	return hz == 0 ? -1 : 0;
}

static int suite_clean(void)
{
	rte_eal_cleanup();
	return 0;
}

static int configure(struct spg_meter *mt, uint64_t bytes_per_sec, uint64_t burst)
{
	struct spg_dp_rate r = { .bytes_per_sec = bytes_per_sec, .burst_bytes = burst };

	return spg_meter_config(mt, &r);
}

/*
 * Offers n packets of len bytes, one every interval_ns of simulated time from t0; returns
 * the bytes that passed. *t is left at the time after the last packet.
 */
static uint64_t offer(struct spg_meter *mt, uint64_t *t, unsigned int n, uint32_t len,
		      uint64_t interval_ns)
{
	uint64_t passed = 0, start = *t;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint64_t tsc = start + (uint64_t)((double)i * (double)interval_ns * (double)hz / 1e9);

		if (spg_meter_allow(mt, tsc, len))
			passed += len;
	}
	*t = start + (uint64_t)((double)n * (double)interval_ns * (double)hz / 1e9);
	return passed;
}

/* Simulated time starts after configuration: the meter's clock starts at config time. */
static uint64_t now(void)
{
	return rte_get_tsc_cycles();
}

static void unlimited_meter_passes_everything(void)
{
	struct spg_meter mt;
	uint64_t t;

	CU_ASSERT_EQUAL(configure(&mt, 0, 0), 0);
	CU_ASSERT_FALSE(mt.limited);
	t = now();
	CU_ASSERT_EQUAL(offer(&mt, &t, 10000, UINT32_MAX, 0), 10000ull * UINT32_MAX);
	/* A burst without a rate is still unlimited. */
	CU_ASSERT_EQUAL(configure(&mt, 0, 1000), 0);
	CU_ASSERT_TRUE(spg_meter_allow(&mt, 0, 1500));
}

static void the_burst_passes_at_once_and_no_more(void)
{
	struct spg_meter mt;
	uint64_t t;

	CU_ASSERT_EQUAL_FATAL(configure(&mt, 125000, 10000), 0);
	CU_ASSERT_TRUE(mt.limited);
	t = now();
	CU_ASSERT_EQUAL(offer(&mt, &t, 100, 1000, 0), 10000);

	CU_ASSERT_EQUAL_FATAL(configure(&mt, 125000, 10000), 0);
	t = now();
	CU_ASSERT_EQUAL(offer(&mt, &t, 150, 100, 0), 10000);
	/* A packet larger than the burst never passes. */
	CU_ASSERT_EQUAL_FATAL(configure(&mt, 125000, 10000), 0);
	CU_ASSERT_FALSE(spg_meter_allow(&mt, now(), 10001));
}

/* R bytes/s with burst B, offered at `offered` bytes/s for 10 s: B + 10 R pass, each second ~R. */
static void check_sustained_rate(uint64_t rate, uint64_t burst, uint32_t len, uint64_t offered)
{
	uint64_t interval_ns = (uint64_t)len * 1000000000ull / offered;
	unsigned int per_sec = (unsigned int)(1000000000ull / interval_ns), s;
	uint64_t total = 0, t, want = burst + 10 * rate;
	struct spg_meter mt;

	CU_ASSERT_EQUAL_FATAL(configure(&mt, rate, burst), 0);
	t = now();
	for (s = 0; s < 10; s++) {
		uint64_t passed = offer(&mt, &t, per_sec, len, interval_ns);

		total += passed;
		if (s > 0) /* the first second also carries the burst */
			CU_ASSERT(llabs((long long)passed - (long long)rate) <= (long long)(rate / 50 + len));
	}
	CU_ASSERT(llabs((long long)total - (long long)want) <= (long long)(want / 50));
	if (llabs((long long)total - (long long)want) > (long long)(want / 50))
		printf("\nrate %lu burst %lu: %lu bytes passed in 10 s, want %lu\n",
		       (unsigned long)rate, (unsigned long)burst, (unsigned long)total,
		       (unsigned long)want);
}

static void over_ten_seconds_the_rate_passes(void)
{
	check_sustained_rate(125000, 10000, 1500, 1500000);     /* 1 Mbit/s line, 12 Mbit/s offered */
	check_sustained_rate(7000, 3000, 64, 70000);            /* a 56k modem */
	check_sustained_rate(12500000, 125000, 1000, 50000000); /* 100 Mbit/s */
}

static void traffic_below_the_rate_all_passes(void)
{
	struct spg_meter mt;
	uint64_t t;

	CU_ASSERT_EQUAL_FATAL(configure(&mt, 125000, 3000), 0);
	t = now();
	/* 1000 bytes every 10 ms: 100 kB/s for 10 s. */
	CU_ASSERT_EQUAL(offer(&mt, &t, 1000, 1000, 10000000), 1000000);
}

static void a_zero_burst_gets_the_default(void)
{
	struct spg_meter mt;
	uint64_t t;

	/* rate / 20 */
	CU_ASSERT_EQUAL_FATAL(configure(&mt, 1000000, 0), 0);
	CU_ASSERT_EQUAL(mt.prof.cbs, 50000);
	CU_ASSERT_EQUAL(mt.prof.ebs, 0); /* no excess bucket: yellow would be dropped anyway */
	t = now();
	CU_ASSERT_EQUAL(offer(&mt, &t, 200, 1000, 0), 50000);
	/* at least 3000 bytes, so a slow line still passes a full-size packet */
	CU_ASSERT_EQUAL_FATAL(configure(&mt, 10000, 0), 0);
	t = now();
	CU_ASSERT_EQUAL(offer(&mt, &t, 10, 1000, 0), 3000);
	CU_ASSERT_EQUAL_FATAL(configure(&mt, 1, 0), 0);
	CU_ASSERT_TRUE(spg_meter_allow(&mt, now(), 1500));
	CU_ASSERT_FALSE(spg_meter_allow(&mt, now(), 1501));
}

static void absurd_rates_are_refused_and_extreme_ones_work(void)
{
	uint64_t t, passed, want;
	struct spg_meter mt;

	CU_ASSERT_EQUAL(configure(&mt, UINT64_MAX, 0), -EINVAL);
	CU_ASSERT_EQUAL(configure(&mt, UINT64_MAX, UINT64_MAX), -EINVAL);
	CU_ASSERT_EQUAL(configure(&mt, 125000, UINT64_MAX), -EINVAL);
	CU_ASSERT_EQUAL(configure(&mt, (UINT64_C(1) << 40) + 1, 0), -EINVAL);

	/* 2^40 bytes/s, about 8.8 Tbit/s: the largest rate taken, and it behaves. */
	CU_ASSERT_EQUAL_FATAL(configure(&mt, UINT64_C(1) << 40, 0), 0);
	t = now();
	CU_ASSERT_EQUAL(offer(&mt, &t, 1000, 1500, 1), 1500000);
	/* 1500 bytes every ns is 1.5e12 bytes/s offered: in 100 us, 1 MB + 2^40 * 1e-4 pass. */
	CU_ASSERT_EQUAL_FATAL(configure(&mt, UINT64_C(1) << 40, 1000000), 0);
	t = now();
	passed = offer(&mt, &t, 100000, 1500, 1);
	want = 1000000 + (UINT64_C(1) << 40) / 10000;
	CU_ASSERT(llabs((long long)passed - (long long)want) <= (long long)(want / 33));

	/* One byte a second with a burst of one: one at once, then one per second. */
	CU_ASSERT_EQUAL_FATAL(configure(&mt, 1, 1), 0);
	t = now();
	CU_ASSERT_EQUAL(offer(&mt, &t, 1000, 1, 10000000), 10);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "an unlimited meter passes everything", unlimited_meter_passes_everything },
		{ "the burst passes at once and no more", the_burst_passes_at_once_and_no_more },
		{ "over ten seconds the rate passes", over_ten_seconds_the_rate_passes },
		{ "traffic below the rate all passes", traffic_below_the_rate_all_passes },
		{ "a zero burst gets the default", a_zero_burst_gets_the_default },
		{ "absurd rates are refused and extreme ones work",
		  absurd_rates_are_refused_and_extreme_ones_work },
		{ NULL, NULL },
	};

	return unit_run("meter", cases, suite_init, suite_clean);
}
