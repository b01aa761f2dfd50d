/* SPDX-License-Identifier: BSD-3-Clause */
/* Whether spgate-control owns a dataplane session (dp_owner.c), before `dp session del`. */
#ifndef SPGCTL_DP_OWNER_H
#define SPGCTL_DP_OWNER_H

#include <stddef.h>
#include <stdint.h>

enum dp_owner {
	DP_OWNER_NONE,    /* spgate-control does not have it in spgate-dp (unknown, or ended) */
	DP_OWNER_CONTROL, /* spgate-control has it live: it would re-add it (state says which) */
	DP_OWNER_UNKNOWN, /* spgate-control's operator socket did not answer (err says why) */
};

/*
 * Asks spgate-control's operator socket (--control-socket, $SPGATE_CONTROL_SOCKET, or the
 * default) about session id within timeout_ms.
 */
enum dp_owner dp_session_owner(uint64_t id, int timeout_ms, char *state, size_t statelen, char *err,
			       size_t errlen);

#endif
