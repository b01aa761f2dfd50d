/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `gateway.connect: least_loaded` (issue 14 item 4; fleet_place.h chooses the host,
 * placement_store.h keeps the request): the asked host checks the engineer and hands the
 * session on through the store; the owner claims it once and runs it as its own.
 *
 * From the attacker's side: the notification is only a hint (anyone who reaches the
 * database may NOTIFY); the owner acts only on a row the store says was handed on to it, is
 * still authorized and was never claimed, claims it with one conditional UPDATE (so a
 * repeated notification, a poll or a restart cannot start it twice), refuses a request older
 * than SESS_HANDED_MAX_AGE (a host that was away does not start a session nobody waits for
 * any more), and checks the engineer's access again with the groups the asked host saw:
 * access revoked meanwhile is refused on the owner too. Whoever can write the store can
 * write such a row, as they could any session: the store is inside the fleet's trust.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "search.h"
#include "session_int.h"
#include "store/handoff_store.h"
#include "store/placement_store.h"

/* s a handed-on request may wait for its owner; `connect --wait` gives up long before */
#define SESS_HANDED_MAX_AGE 30
/* handed-on sessions claimed per poll */
#define SESS_ADOPT_BATCH 64

bool sess_elsewhere(struct session_mgr *m, const char *owner)
{
	return owner != NULL && owner[0] != '\0' && strcmp(owner, store_gateway_id(m->env.store)) != 0;
}

/* The row and its request in one transaction: the owner never sees one without the other. */
static int create_handed(struct session_mgr *m, const struct session_request *req, struct store_session *row)
{
	int ret = store_begin(m->env.store);

	if (ret != 0)
		return ret;
	ret = store_session_create(m->env.store, row);
	if (ret == 0)
		ret = store_session_hand_on(m->env.store, row->id, store_gateway_id(m->env.store), req->groups,
					    req->n_groups, req->privileged);
	if (ret != 0) {
		store_rollback(m->env.store);
		return ret;
	}
	return store_commit(m->env.store);
}

int sess_hand_on(struct session_mgr *m, const struct session_request *req, const struct session_purpose *why,
		 struct store_session *out)
{
	struct store_session row;
	struct session *s;
	char to[STORE_NAME_MAX + 40];
	int ret;

	sess_row_init(m, req, why, &row);
	row.state = STORE_SESSION_AUTHORIZED; /* authorized here: session_connect_for's checks */
	snprintf(row.owner_gateway, sizeof(row.owner_gateway), "%s", req->owner);
	ret = create_handed(m, req, &row);
	if (ret != 0)
		return ret;
	/* in memory only for its audit records: its owner runs it */
	s = sess_add(m, &row);
	if (s != NULL) {
		snprintf(to, sizeof(to), "handed on to gateway host %s", req->owner);
		sess_audit(s, req->user, "session_requested", "ok", NULL);
		sess_audit(s, SESS_ACTOR_SYSTEM, "session_handed_on", "ok", to);
		sess_free(s);
	}
	if (store_session_notify(m->env.store, row.id) != 0)
		fprintf(stderr, "spgate-control: session %" PRId64 ": cannot notify gateway host %s (%s); "
				"it finds the session when it polls\n",
			row.id, req->owner, store_errmsg(m->env.store));
	fprintf(stderr, "spgate-control: session %" PRId64 " (%s, %s): handed on to gateway host %s, the least "
			"loaded\n", row.id, row.user, row.serial, req->owner);
	return store_session_get(m->env.store, row.id, out);
}

/* The checks the owner makes before running a claimed request: 0, or s was ended. */
static int recheck_request(struct session *s, const struct store_handed_request *r, const char *const *groups)
{
	struct search_caller who = {s->row.user, groups, r->n_groups, r->privileged};
	int64_t waited = sess_now(s->m) - s->row.created;
	int ret;

	if (waited > SESS_HANDED_MAX_AGE) {
		sess_end(s, STORE_SESSION_FAILED, "handoff_expired", SESS_ACTOR_SYSTEM,
			 "the request waited %" PRId64 " s for this gateway host (handed on by %s); connect again",
			 waited, r->handed_by);
		return -1;
	}
	ret = search_may_access(s->m->env.store, &who, s->row.serial);
	if (ret <= 0) {
		sess_end(s, STORE_SESSION_FAILED, ret == 0 ? "forbidden" : "not_found", SESS_ACTOR_SYSTEM,
			 "%s may not reach system %s (checked again on the gateway host that runs the session)",
			 s->row.user, s->row.serial);
		return -1;
	}
	return 0;
}

/* Runs a claimed request: its groups kept for the grant, checked again, then its policy. */
static void run_adopted(struct session_mgr *m, const struct store_session *row, const struct store_handed_request *r)
{
	const char *groups[SPG_GRANT_MAX_GROUPS];
	char from[STORE_NAME_MAX + 40];
	struct session *s;
	size_t i;

	s = sess_add(m, row);
	if (s == NULL) {
		store_session_set_state(m->env.store, row->id, STORE_SESSION_FAILED, "out of memory", sess_now(m));
		return;
	}
	for (i = 0; i < r->n_groups; i++)
		groups[i] = r->groups[i];
	snprintf(from, sizeof(from), "handed on by gateway host %s", r->handed_by);
	sess_audit(s, SESS_ACTOR_SYSTEM, "session_adopted", "ok", from);
	fprintf(stderr, "spgate-control: session %" PRId64 " (%s, %s): %s\n", row->id, row->user, row->serial, from);
	if (sess_keep_groups(s, groups, r->n_groups) != 0) {
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM, "out of memory");
		return;
	}
	if (recheck_request(s, r, groups) != 0)
		return;
	sess_apply_policy(s, row->user);
}

int sess_adopt(struct session_mgr *m, int64_t id)
{
	const char *me = store_gateway_id(m->env.store);
	struct store_handed_request r;
	struct store_session row;
	int ret;

	if (sess_find(m, id) != NULL || me[0] == '\0')
		return 0;
	/* cut off from the store, this host may be fenced already: it takes on nothing new */
	if (!fleet_lease_fresh(m->env.fleet))
		return 0;
	ret = store_session_get(m->env.store, id, &row);
	if (ret != 0)
		return ret == -ENOENT ? 0 : ret;
	if (strcmp(row.owner_gateway, me) != 0 || row.state != STORE_SESSION_AUTHORIZED)
		return 0;
	/* the request first: a store error then leaves the row to a later poll, not claimed */
	ret = store_session_handed_request(m->env.store, id, &r);
	if (ret == -ENOENT)
		return 0; /* not handed on: a session of this host's that it no longer holds */
	if (ret != 0)
		return ret;
	ret = store_session_adopt(m->env.store, id, me, sess_now(m));
	if (ret == -EALREADY || ret == -ENOENT)
		return 0;
	if (ret != 0)
		return ret;
	run_adopted(m, &row, &r);
	return 0;
}

void sess_adopt_waiting(struct session_mgr *m)
{
	int64_t ids[SESS_ADOPT_BATCH];
	int n, i, ret;

	if (store_gateway_id(m->env.store)[0] == '\0')
		return;
	n = store_session_unadopted(m->env.store, store_gateway_id(m->env.store), ids, SESS_ADOPT_BATCH);
	for (i = 0; i < n; i++) {
		ret = sess_adopt(m, ids[i]);
		if (ret < 0)
			fprintf(stderr, "spgate-control: session %" PRId64 ": cannot take it on: %s\n", ids[i],
				strerror(-ret));
	}
}

bool sess_unadopted(struct session_mgr *m, const struct store_session *row)
{
	struct store_handed_request r;

	return row->state == STORE_SESSION_AUTHORIZED && store_session_handed_request(m->env.store, row->id, &r) == 0 &&
	       !r.adopted;
}
