/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Approval policy per customer: auto (go ahead), ask (hold until an approver decides, or
 * deny when the deadline passes), deny. This module keeps the approval rows; changing the
 * session's state is the caller's (session.c), and so is the timer: arm it at
 * approval_next_deadline and call approval_expired when it fires.
 */
#ifndef SPG_APPROVAL_H
#define SPG_APPROVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store/inventory_store.h"
#include "store/session_store.h"
#include "store/store.h"

/* The policy of serial's customer; -ENOENT: no such system. */
int approval_policy(struct store *st, const char *serial, enum store_policy *policy);

/* Opens a pending approval for session_id, due at deadline; -EEXIST if it has one. */
int approval_request(struct store *st, int64_t session_id, int64_t deadline);

/*
 * True when a caller with these groups may approve or deny session_id: a member of one of
 * cfg's sessions.approver_groups, or of the group named in the customer's approvers (not
 * the reserved "operators"). It does not know the requester: approval_check_decider does.
 */
bool approval_may_decide(struct store *st, const struct ctl_config *cfg,
			 const char *const *groups, size_t n_groups, int64_t session_id);

/* Who wants to approve or deny a session. */
struct approval_decider {
	const char *user;
	const char *const *groups;
	size_t n_groups;
	bool operator; /* on the operators' socket */
};

enum approval_verdict {
	APPROVAL_MAY,
	APPROVAL_SELF,                   /* the decider requested the session: never (four eyes) */
	APPROVAL_NOT_APPROVER,           /* an engineer outside the approver groups */
	APPROVAL_OPERATORS_NOT_ALLOWED,  /* an operator approving where the customer did not allow it */
};

/*
 * Whether d may approve (approve true) or deny session_id. Nobody decides on a session they
 * requested. Engineers: approval_may_decide. Operators may always deny, and approve only
 * when the customer's approvers is the reserved name "operators".
 */
enum approval_verdict approval_check_decider(struct store *st, const struct ctl_config *cfg,
					     const struct approval_decider *d, int64_t session_id,
					     bool approve);

/*
 * approval_check_decider for a request by requester rather than by the session's holder: a
 * join request (the joiner never approves their own join; session_id's customer decides).
 */
enum approval_verdict approval_check_decider_for(struct store *st, const struct ctl_config *cfg,
						 const struct approval_decider *d, int64_t session_id,
						 const char *requester, bool approve);

/*
 * Records by's decision on session_id at now. -ENOENT: no approval; -EPERM: by requested
 * the session (four eyes, whoever calls); -EALREADY: already decided or expired;
 * -ETIMEDOUT: the deadline passed (it is marked expired then).
 */
int approval_decide(struct store *st, int64_t session_id, bool approve, const char *by,
		    int64_t now);

/* Reads the approval of session_id. */
int approval_get(struct store *st, int64_t session_id, struct store_approval *a);

/*
 * Marks every pending approval whose deadline is at or before now expired and calls
 * fn(session_id, arg) for each (fn may be NULL). Returns how many expired, or -errno.
 */
int approval_expired(struct store *st, int64_t now, void (*fn)(int64_t session_id, void *arg),
		     void *arg);

/* The next deadline to arm a timer for: 1 (*deadline set), 0 none pending, or -errno. */
int approval_next_deadline(struct store *st, int64_t *deadline);

#endif
