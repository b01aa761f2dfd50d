/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A connect one gateway host of a fleet takes and another runs (`gateway.connect:
 * least_loaded`, issue 14 item 4; docs/fleet.md). The asked host checks the engineer
 * (access, busy, the customer's reason and ticket), writes the session row owned by the host
 * it chose, in state authorized, with the request's groups (the grant the owner signs lists
 * them) and its own id as handed_by, and NOTIFYs the session's id. The owner claims the row
 * once (adopted_at), checks the request again on its own, and runs the session from there
 * as if it had been asked: approval, line, agent, spgate-dp.
 */
#ifndef SPG_PLACEMENT_STORE_H
#define SPG_PLACEMENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "grant.h"
#include "store/inventory_store.h"
#include "store/store.h"

/* Migration 12: the sessions' handed_by, request_groups, request_privileged, adopted_at. */
extern const char store_placement_schema[];

/* What the asked host handed on with session id. */
struct store_handed_request {
	char handed_by[STORE_NAME_MAX];
	char groups[SPG_GRANT_MAX_GROUPS][SPG_GRANT_NAME_MAX];
	size_t n_groups;
	bool privileged;
	bool adopted; /* its owner has claimed it */
};

/*
 * Records on the new session row id (written by handed_by) the requester's groups (at most
 * SPG_GRANT_MAX_GROUPS, each shorter than SPG_GRANT_NAME_MAX; -EINVAL otherwise, or for a
 * group holding a newline) and whether they see every system. 0 or -errno.
 */
int store_session_hand_on(struct store *st, int64_t id, const char *handed_by, const char *const *groups,
			  size_t n_groups, bool privileged);

/*
 * Claims handed-on session id for owner at now: 0 when this call claimed it (it was handed
 * on, is owned by owner, still authorized and never claimed), -EALREADY when it was claimed
 * before, -ENOENT when it is no such row (not handed on, another owner's, or no longer
 * authorized); -errno. A claim is final: a second notification, a poll or a restart never
 * adopts a session twice.
 */
int store_session_adopt(struct store *st, int64_t id, const char *owner, int64_t now);

/* The request handed on with session id: 0, -ENOENT (not handed on) or -errno. */
int store_session_handed_request(struct store *st, int64_t id, struct store_handed_request *r);

/*
 * The ids of owner's sessions handed on to it and not claimed yet, oldest first (at most max);
 * returns how many, or -errno.
 */
int store_session_unadopted(struct store *st, const char *owner, int64_t *ids, size_t max);

#endif
