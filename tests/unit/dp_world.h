/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A dataplane built by hand for the unit tests that run its real bursts and control handler
 * (test_dp_addr, test_dp_join, test_recorder): AES-128-GCM on crypto_aesni_mb, S 192.168.0.1,
 * G_in 198.51.100.1, the virtual pool 198.18.0.0/24, ESP in UDP 4500, the vendor port
 * 192.0.2.1/24 and the SP port (G_out) 203.0.113.254/24, one worker's counters. What each
 * test adds (rings, neighbours, a recorder, the worker) is its own.
 */
#ifndef SPG_DP_WORLD_H
#define SPG_DP_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>

#include "dp.h"

#define DPW_NATT 4500
#define DPW_S_ADDR 0xc0a80001u      /* 192.168.0.1 */
#define DPW_G_IN 0xc6336401u        /* 198.51.100.1 */
#define DPW_VENDOR_ADDR 0xc0000201u /* 192.0.2.1/24 */
#define DPW_G_OUT 0xcb0071feu       /* 203.0.113.254/24 */

struct dp_world_cfg {
	uint32_t max_sessions;
	uint32_t max_sas;
	uint16_t vendor_port_id, sp_port_id;
	struct rte_ether_addr vendor_mac, sp_mac;
};

/* Fills dp (zeroed first) and creates its crypto, session table, neighbours and counters;
 * false (with the reason printed, naming who) when one of them cannot be made. */
bool dp_world_build(struct spg_dp *dp, const struct dp_world_cfg *c, const char *who);
/* Frees what dp_world_build made. */
void dp_world_free(struct spg_dp *dp);

/* A control message (type, body as given) through spg_ctl_handle; its answer, left in rep
 * (SPG_DP_MSG_MAX bytes), must be a valid reply (asserted). Returns the reply's errno field. */
int dp_world_call(struct spg_dp *dp, uint16_t type, const void *body, size_t body_len, uint8_t *rep);

#endif
