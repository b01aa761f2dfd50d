/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SP guard's loader (bpf/sp_guard.bpf.c): load and attach it to the SP's outer
 * interface, keep its gateway map in step with the live sessions, read its counters, and
 * detach it. The attachment is a bpf_link held by this process, so the guard goes away with
 * the agent even when it dies: an SP is never left locked with nobody to unlock it.
 */
#ifndef AGENT_GUARD_H
#define AGENT_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../bpf/guard_common.h"

struct guard;

struct guard_gateway {
	uint32_t addr;  /* network order */
	uint32_t flags; /* GUARD_GW_ESP | GUARD_GW_CONTROL */
};

/* Loads the program with the SP's outer address and ports and attaches it (native when
 * native is true, else generic XDP). NULL with err set. */
struct guard *guard_open(const char *ifname, bool native, uint32_t sp_addr, uint16_t esp_port,
			 uint16_t tls_port, char *err, size_t errlen);
/* Makes the gateway map hold exactly gw[0..n) (flags of equal addresses are OR'ed).
 * 0 or -errno with err set. */
int guard_set_gateways(struct guard *g, const struct guard_gateway *gw, size_t n, char *err,
		       size_t errlen);
/* Adds the per-CPU counters into sum[GUARD_REASON_MAX]. 0 or -errno. */
int guard_add_counters(struct guard *g, uint64_t sum[GUARD_REASON_MAX]);
/* Detaches and unloads. NULL is fine. */
void guard_close(struct guard *g);

const char *guard_reason_name(unsigned int reason);

#endif
