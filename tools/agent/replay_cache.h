/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The grant nonces this agent has accepted an "open" with, each kept until its grant
 * expires, so a grant opens one session only, also across a restart of the agent: the
 * set lives in a small file (state_dir/grant-nonces) rewritten atomically on every change
 * (temporary file, fsync, rename, fsync of the directory).
 *
 * Bounded: when max live nonces are held, a new one is refused (-ENOSPC), never an old one
 * forgotten: forgetting would re-open the door to the replay this exists to stop. A full
 * cache refuses new sessions until grants expire (max is far above max_sessions times the
 * grants a gateway can issue per grant lifetime in practice; see agent.example.yaml).
 *
 * The record has a start ("since"), written when it is first made: a grant issued before it
 * is refused (-ESTALE), since the record cannot tell whether it was used. So losing the file
 * (a state_dir on tmpfs across a reboot, a wiped disk) never re-opens old grants: it only
 * refuses grants issued before the loss, which the gateway replaces with fresh ones.
 *
 * File format, one entry per line after two header lines:
 *   spgate-agent grant nonces 2
 *   since <unix seconds>
 *   <32 lowercase hex> <expiry, unix seconds>
 */
#ifndef AGENT_REPLAY_CACHE_H
#define AGENT_REPLAY_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct replay_cache;

/*
 * Loads path (a missing file is an empty cache that begins at now, written at once; expired
 * entries are dropped). NULL with
 * err naming the file and line when it cannot be read or is not a nonce file: an agent
 * that cannot remember refuses to start rather than accept replays.
 */
struct replay_cache *replay_cache_open(const char *path, size_t max, time_t now, char *err,
				       size_t errlen);
void replay_cache_free(struct replay_cache *rc);

/*
 * Records nonce (of a grant issued at issued, valid until expires) and persists the set. 0;
 * -ESTALE issued before the record began; -EEXIST seen before (a replay); -ENOSPC max live
 * nonces held; -EINVAL not 32 lowercase hex digits; -EIO the file could not be written
 * (nothing recorded: the caller refuses the grant). err says.
 */
int replay_cache_add(struct replay_cache *rc, const char *nonce, int64_t issued, int64_t expires,
		     time_t now, char *err, size_t errlen);
/* When the record began (unix seconds). */
int64_t replay_cache_since(const struct replay_cache *rc);
/* Whether nonce is held (and not expired at now). */
int replay_cache_seen(const struct replay_cache *rc, const char *nonce, time_t now);
/* Live entries at now. */
size_t replay_cache_count(const struct replay_cache *rc, time_t now);

#endif
