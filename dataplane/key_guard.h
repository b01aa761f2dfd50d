/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * No AES-GCM key twice. Every SA starts its sequence number, and so the IV half of its
 * nonce, at 1: an SA installed with a key that an earlier SA (of any session, or of the same
 * one before a rekey or a delete) already encrypted with repeats nonces under that key, and
 * on the inbound side restarts the replay window so that old captured packets pass again.
 * The guard remembers the keys in use and the most recently retired ones, as fingerprints
 * (HMAC-SHA256 under a secret drawn at start, truncated to 64 bits; never the key), so
 * the session table can refuse a key it has seen. Control thread only.
 *
 * Its memory lasts as long as the process: after a restart of spgate-dp, spgate-control
 * never re-adds old keys (it rekeys through the agent, see docs/control-plane.md).
 */
#ifndef SPG_KEY_GUARD_H
#define SPG_KEY_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "dp_api.h"

struct spg_key_guard;

/* Room for live_max keys in use and live_max / 2 + 256 retired ones. NULL + errno. */
struct spg_key_guard *spg_key_guard_create(uint32_t live_max);
void spg_key_guard_free(struct spg_key_guard *g);

/* The fingerprint of an SA's key (never 0). */
uint64_t spg_key_fp(const struct spg_key_guard *g, const struct spg_dp_sa_keys *k);

/* True when fp is a key in use or one retired not too long ago. */
bool spg_key_guard_seen(const struct spg_key_guard *g, uint64_t fp);
/* Records fp as in use (it must not be seen). 0, or -ENOSPC past live_max. */
int spg_key_guard_claim(struct spg_key_guard *g, uint64_t fp);
/* fp is no longer in use: it stays seen until the retired ones after it push it out. */
void spg_key_guard_retire(struct spg_key_guard *g, uint64_t fp);
/* How many fingerprints are in use and retired (for tests and reports). */
void spg_key_guard_count(const struct spg_key_guard *g, uint32_t *live, uint32_t *retired);

#endif
