/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Decisions taken on another gateway host for the sessions this one owns, and the decisions
 * this host takes for another's (issue 14 item 4; docs/fleet.md). The deciding host writes
 * the decision to the store (the approvals table; a disconnect request on the session row)
 * and NOTIFYs the session's id; the owner hears it (fleet_listen.c), or finds it by polling
 * while its LISTEN connection is down, and acts as if the decision had been made here.
 *
 * A notification is only a hint: anyone who can reach the database may NOTIFY. The owner
 * re-reads the decision from the store and checks it as it checks a local one (four eyes,
 * the deadline) before acting; a notification with nothing behind it changes nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"
#include "session_int.h"
#include "store/handoff_store.h"

bool sess_owned_elsewhere(struct session_mgr *m, const struct store_session *row)
{
	const char *me = store_gateway_id(m->env.store);

	return row->owner_gateway[0] != '\0' && me[0] != '\0' && strcmp(row->owner_gateway, me) != 0;
}

/* A hint to the owning host; without it the owner finds what changed when it polls. */
static void notify_owner(struct session_mgr *m, int64_t id, const struct store_session *row, const char *what)
{
	if (store_session_notify(m->env.store, id) != 0)
		fprintf(stderr, "spgate-control: session %" PRId64 ": cannot notify its owner %s (%s); "
				"it finds the %s when it polls\n",
			id, row->owner_gateway, store_errmsg(m->env.store), what);
}

int sess_decide_elsewhere(struct session_mgr *m, int64_t id, bool approve, const char *actor,
			  struct store_session *out)
{
	int ret = approval_decide(m->env.store, id, approve, actor, sess_now(m));

	/* an expired approval is the owner's to end, at its own deadline timer */
	if (ret == 0)
		notify_owner(m, id, out, "decision");
	if (ret != 0)
		return ret;
	return store_session_get(m->env.store, id, out);
}

int sess_disconnect_elsewhere(struct session_mgr *m, int64_t id, const char *actor, const char *reason,
			      struct store_session *out)
{
	int ret = store_session_request_end(m->env.store, id, actor, reason, sess_now(m));

	if (ret == 0)
		notify_owner(m, id, out, "disconnect");
	if (ret != 0 && ret != -ENOENT)
		return ret;
	return store_session_get(m->env.store, id, out);
}

/* The approval decided elsewhere, re-read and checked as approval_decide checks a local one. */
static void recheck_approval(struct session *s)
{
	struct store_approval a;
	char by[STORE_NAME_MAX];

	if (approval_get(s->m->env.store, s->row.id, &a) != 0 ||
	    (a.decision != STORE_APPROVAL_APPROVED && a.decision != STORE_APPROVAL_DENIED))
		return; /* pending (a bare hint), or expired: the deadline timer ends it */
	snprintf(by, sizeof(by), "%s", a.decided_by);
	/*
	 * Not a decision approval_decide would have written: refuse it, and end the session,
	 * since its approval row is spent and no approver could decide any more.
	 */
	if (by[0] == '\0' || strcmp(by, s->row.user) == 0 || a.decided_at > a.deadline) {
		sess_end(s, STORE_SESSION_FAILED, "denied", SESS_ACTOR_SYSTEM,
			 "refused an approval decision by \"%s\" that breaks four eyes or its deadline", by);
		return;
	}
	if (a.decision == STORE_APPROVAL_APPROVED) {
		sess_audit(s, by, "session_approved", "ok", NULL);
		sess_proceed(s, by);
	} else {
		sess_end(s, STORE_SESSION_FAILED, "denied", by, "the customer's approver %s denied the session", by);
	}
}

int session_mgr_recheck(struct session_mgr *m, int64_t id)
{
	struct session *s = sess_find(m, id);
	char by[STORE_NAME_MAX], reason[STORE_REASON_MAX];
	struct store_session out;
	int ret;

	if (s == NULL)
		return sess_adopt(m, id); /* a connect another host handed on to this one, or not ours */
	if (s->ending)
		return 0; /* no longer live here: nothing to do */
	ret = store_session_end_requested(m->env.store, id, by, sizeof(by), reason, sizeof(reason));
	if (ret < 0)
		return ret;
	if (ret == 1)
		return session_disconnect(m, id, by, reason, &out);
	if (s->row.state == STORE_SESSION_AWAITING_APPROVAL)
		recheck_approval(s);
	return 0;
}

void session_mgr_recheck_all(struct session_mgr *m)
{
	int64_t *ids;
	struct session *s;
	size_t n = 0, i;

	/* ids first: acting on one may free it or others */
	ids = calloc(m->n + 1, sizeof(*ids));
	if (ids == NULL)
		return;
	TAILQ_FOREACH(s, &m->all, all)
		if (n < m->n && !s->ending)
			ids[n++] = s->row.id;
	for (i = 0; i < n; i++)
		session_mgr_recheck(m, ids[i]);
	free(ids);
	sess_adopt_waiting(m);
}
