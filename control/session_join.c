/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Join instead of wait (issue 15): a second engineer asks to join a live session; its holder
 * (and, under the customer's `ask` policy, the customer's approvers) decide; an accepted
 * joiner gets a slot j (1..SPG_DP_MAX_JOINERS) and spgate-dp lets their workstation W_j use
 * the session's V_i, leaving towards the SP with G_in + j. The participant rows
 * (store/participant_store.h) are the truth; s->joiner_addr mirrors the accepted ones for
 * spgate-dp and its listings.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "grow.h"
#include "addr.h"
#include "approval.h"
#include "search.h"
#include "session_int.h"

/* After a refusal or expiry, the same engineer may ask again only this much later: a holder
 * who said no is not to be asked again and again. */
#define JOIN_RETRY_AFTER_S 60

/* An audit record about participant p of s (s may be NULL: the session's row is read). */
static void join_audit(struct session_mgr *m, const struct store_participant *p, const char *serial, const char *actor,
		       const char *action, const char *result)
{
	char ws[SPG_ADDR_STRLEN], *text;
	json_t *d;

	if (m->env.audit == NULL)
		return;
	d = json_pack("{s:I,s:s,s:s,s:s}", "session", (json_int_t)p->session_id, "engineer", p->engineer,
		      "workstation", spg_addr_str(p->workstation, ws), "state", store_part_state_name(p->state));
	if (d != NULL && p->slot != 0)
		json_object_set_new(d, "slot", json_integer(p->slot));
	if (d != NULL && p->reason[0] != '\0')
		json_object_set_new(d, "reason", json_string(p->reason));
	if (d != NULL && p->request_reason[0] != '\0')
		json_object_set_new(d, "request_reason", json_string(p->request_reason));
	if (d != NULL && p->ticket[0] != '\0')
		json_object_set_new(d, "ticket", json_string(p->ticket));
	if (d != NULL && p->customer_by[0] != '\0')
		json_object_set_new(d, "customer_approver", json_string(p->customer_by));
	text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	audit_event_at(m->env.audit, sess_now(m), actor, action, serial, result, text);
	free(text);
	json_decref(d);
}

static void join_save(struct session_mgr *m, const struct store_participant *p)
{
	int ret = store_participant_update(m->env.store, p);

	if (ret != 0)
		fprintf(stderr, "spgate-control: session %lld: cannot store %s's join: %s\n", (long long)p->session_id,
			p->engineer, strerror(-ret));
}

/* Ends p in a final state, persisted and audited as action. */
static void join_finish(struct session_mgr *m, struct store_participant *p, const char *serial,
			enum store_part_state state, const char *actor, const char *action, const char *reason)
{
	p->state = state;
	p->slot = 0;
	p->ended = sess_now(m);
	if (p->decided == 0)
		p->decided = p->ended;
	snprintf(p->decided_by, sizeof(p->decided_by), "%s", actor);
	snprintf(p->reason, sizeof(p->reason), "%s", reason != NULL ? reason : "");
	join_save(m, p);
	join_audit(m, p, serial, actor, action, state == STORE_PART_REFUSED ? "denied" : "ok");
}

int sess_join_push(struct session *s)
{
	const struct session_peers *pe = s->m->env.peers;
	struct spg_dp_session_joiners_req req;

	if (pe->dp_joiners == NULL)
		return -EOPNOTSUPP;
	memset(&req, 0, sizeof(req));
	req.id = (uint64_t)s->row.id;
	memcpy(req.joiner_addr, s->joiner_addr, sizeof(req.joiner_addr));
	return pe->dp_joiners(s->m->env.peers_arg, &req);
}

static bool has_joiners(const struct session *s)
{
	unsigned j;

	for (j = 0; j < SPG_DP_MAX_JOINERS; j++)
		if (s->joiner_addr[j] != 0)
			return true;
	return false;
}

void sess_join_readd(struct session *s)
{
	int ret;

	if (!has_joiners(s))
		return;
	ret = sess_join_push(s);
	if (ret != 0 && ret != -ENOTCONN)
		fprintf(stderr, "spgate-control: session %lld: cannot give spgate-dp its joiners again: %s\n",
			(long long)s->row.id, strerror(-ret));
	s->joiners_differ = ret != 0;
}

void sess_join_seen(struct session *s, const struct spg_dp_session_info *info)
{
	s->joiners_differ = memcmp(info->joiner_addr, s->joiner_addr, sizeof(s->joiner_addr)) != 0;
}

void sess_join_resend(struct session_mgr *m)
{
	struct session *s;

	TAILQ_FOREACH(s, &m->all, all) {
		if (!s->joiners_differ || s->ending || s->dp != SESS_DP_PRESENT)
			continue;
		fprintf(stderr, "spgate-control: session %lld: spgate-dp has other joiners than expected; re-sending\n",
			(long long)s->row.id);
		sess_audit(s, SESS_ACTOR_SYSTEM, "dp_joiners_resent", "ok",
			   "spgate-dp listed other joiner workstations than the store's");
		sess_join_readd(s);
	}
}

/* ---- asking ---- */

struct live_count {
	unsigned n;
	uint32_t workstation; /* the requested one: taken by a live participant? */
	bool taken;
};

static int count_live(const struct store_participant *p, void *arg)
{
	struct live_count *c = arg;

	c->n++;
	if (p->workstation == c->workstation)
		c->taken = true;
	return 0;
}

/* Whether the engineer was refused (or expired) in s a moment ago. */
static bool refused_recently(struct session_mgr *m, int64_t session_id, const char *user)
{
	struct store_participant last;

	if (store_participant_latest(m->env.store, session_id, user, &last) != 0)
		return false;
	return (last.state == STORE_PART_REFUSED || last.state == STORE_PART_EXPIRED) &&
	       sess_now(m) - last.ended < JOIN_RETRY_AFTER_S;
}

/* The checks on the session and the crowd in it; 0, or the refusal with *code. */
static int join_admissible(struct session_mgr *m, const struct session *s, const struct join_request *req,
			   const char **code)
{
	struct store_participant_filter f = {.session_id = s->row.id, .live_only = true};
	struct live_count c = {0, req->workstation, false};
	struct store_participant mine;
	int ret;

	if (s->ending || s->row.state != STORE_SESSION_ACTIVE)
		return *code = "not_active", -EINVAL;
	if (store_participant_live(m->env.store, s->row.id, req->user, &mine) == 0)
		return *code = mine.state == STORE_PART_ACCEPTED ? "already_joined" : "already_requested", -EEXIST;
	if (refused_recently(m, s->row.id, req->user))
		return *code = "retry_later", -EAGAIN;
	ret = store_participant_foreach(m->env.store, &f, count_live, &c);
	if (ret != 0)
		return ret;
	if (c.n >= SPG_DP_MAX_JOINERS)
		return *code = "session_full", -EBUSY;
	if (c.taken || req->workstation == s->row.workstation)
		return *code = "workstation_in_use", -EADDRINUSE;
	return 0;
}

/* The customer's require_reason/require_ticket and policy; 0 with *vote, or the refusal. */
static int join_customer(struct session_mgr *m, const struct session *s, const struct session_purpose *why,
			 enum store_part_vote *vote, const char **code)
{
	struct store_customer c;
	struct store_system sys;
	int ret;

	/* s->row.customer is not kept in memory: the system's row names it */
	ret = store_system_get(m->env.store, s->row.serial, &sys);
	if (ret == 0)
		ret = store_customer_get(m->env.store, sys.customer, &c);
	if (ret != 0)
		return ret;
	if (c.require_reason && (why->reason == NULL || why->reason[0] == '\0'))
		return *code = "reason_required", -EINVAL;
	if (c.require_ticket && (why->ticket == NULL || why->ticket[0] == '\0'))
		return *code = "ticket_required", -EINVAL;
	if (c.policy == STORE_POLICY_DENY)
		return *code = "denied", -EINVAL;
	*vote = c.policy == STORE_POLICY_ASK ? STORE_VOTE_PENDING : STORE_VOTE_NOT_NEEDED;
	return 0;
}

int session_join(struct session_mgr *m, const struct join_request *req, const struct session_purpose *why,
		 struct store_participant *out, const char **error_code)
{
	struct search_caller who = {req->user, req->groups, req->n_groups, req->privileged};
	struct session *s = sess_find(m, req->session_id);
	enum store_part_vote vote;
	int ret;

	*error_code = NULL;
	if (s == NULL)
		return -ENOENT;
	/* Exactly the access a connect to the system needs: a session is no back door to it. */
	ret = search_may_access(m->env.store, &who, s->row.serial);
	if (ret <= 0)
		return ret == 0 ? -EACCES : ret;
	if (strcmp(req->user, s->row.user) == 0)
		return -EPERM;
	ret = join_customer(m, s, why, &vote, error_code);
	if (ret == 0)
		ret = join_admissible(m, s, req, error_code);
	if (ret != 0)
		return ret;
	memset(out, 0, sizeof(*out));
	out->session_id = s->row.id;
	snprintf(out->engineer, sizeof(out->engineer), "%s", req->user);
	out->workstation = req->workstation;
	out->state = STORE_PART_PENDING;
	snprintf(out->request_reason, sizeof(out->request_reason), "%s", why->reason != NULL ? why->reason : "");
	snprintf(out->ticket, sizeof(out->ticket), "%s", why->ticket != NULL ? why->ticket : "");
	out->holder_vote = STORE_VOTE_PENDING;
	out->customer_vote = vote;
	out->requested = sess_now(m);
	out->deadline = out->requested + m->env.cfg->sessions.approval_timeout;
	ret = store_participant_create(m->env.store, out);
	if (ret == -EEXIST)
		return *error_code = "already_requested", -EEXIST;
	if (ret != 0)
		return ret;
	join_audit(m, out, s->row.serial, req->user, "join_requested", "ok");
	return 0;
}

/* ---- deciding ---- */

/* The lowest free slot of s (1..), or 0. */
static unsigned free_slot(const struct session *s)
{
	unsigned j;

	for (j = 0; j < SPG_DP_MAX_JOINERS; j++)
		if (s->joiner_addr[j] == 0)
			return j + 1;
	return 0;
}

static void dp_refusal(int ret, const struct store_participant *p, char *why, size_t len)
{
	char ws[SPG_ADDR_STRLEN];

	spg_addr_str(p->workstation, ws);
	if (ret == -EOPNOTSUPP)
		snprintf(why, len, "this spgate-dp cannot let a second workstation into a session "
				   "(it answered EOPNOTSUPP to SESSION_JOINERS)");
	else if (ret == -EINVAL)
		snprintf(why, len, "spgate-dp refused workstation %s as a joiner (EINVAL: an address it may not "
				   "use, such as the holder's, another joiner's or one of its own)", ws);
	else
		snprintf(why, len, "spgate-dp could not add workstation %s: %s", ws, strerror(-ret));
}

/* Every side said yes: a slot, spgate-dp told. p ends accepted or refused. */
static void join_admit(struct session *s, struct store_participant *p, const char *actor)
{
	struct session_mgr *m = s->m;
	unsigned slot = free_slot(s);
	char why[STORE_REASON_MAX];
	int ret;

	if (slot == 0) {
		join_finish(m, p, s->row.serial, STORE_PART_REFUSED, SESS_ACTOR_SYSTEM, "join_refused",
			    "the session has no free joiner slot");
		return;
	}
	s->joiner_addr[slot - 1] = p->workstation;
	ret = sess_join_push(s);
	/* -ENOTCONN: spgate-dp is down; reconciliation sends the joiners when it is back. */
	if (ret != 0 && ret != -ENOTCONN) {
		s->joiner_addr[slot - 1] = 0;
		dp_refusal(ret, p, why, sizeof(why));
		join_finish(m, p, s->row.serial, STORE_PART_REFUSED, SESS_ACTOR_SYSTEM, "join_refused", why);
		return;
	}
	s->joiners_differ = ret != 0;
	p->state = STORE_PART_ACCEPTED;
	p->slot = slot;
	p->decided = sess_now(m);
	snprintf(p->decided_by, sizeof(p->decided_by), "%s", actor);
	join_save(m, p);
	join_audit(m, p, s->row.serial, actor, "join_accepted", "ok");
}

/* Whether actor may vote for side on p; 0 or -EPERM / -EINVAL / -EALREADY. */
static int vote_allowed(const struct session *s, const struct store_participant *p, enum join_side side,
			const char *actor)
{
	/* Four eyes: whatever path leads here, nobody lets themselves in. */
	if (strcmp(actor, p->engineer) == 0)
		return -EPERM;
	if (side == JOIN_SIDE_HOLDER) {
		if (strcmp(actor, s->row.user) != 0)
			return -EPERM;
		return p->holder_vote == STORE_VOTE_PENDING ? 0 : -EALREADY;
	}
	/* The holder's yes is the holder's: it never stands in for the customer's. */
	if (strcmp(actor, s->row.user) == 0)
		return -EPERM;
	if (p->customer_vote == STORE_VOTE_NOT_NEEDED)
		return -EINVAL;
	return p->customer_vote == STORE_VOTE_PENDING ? 0 : -EALREADY;
}

static void join_refuse(struct session *s, struct store_participant *p, enum join_side side, const char *actor)
{
	char why[STORE_REASON_MAX];

	snprintf(why, sizeof(why), "%s %s refused the join",
		 side == JOIN_SIDE_HOLDER ? "the session's holder" : "the customer's approver", actor);
	join_finish(s->m, p, s->row.serial, STORE_PART_REFUSED, actor, "join_refused", why);
}

int session_join_decide(struct session_mgr *m, int64_t session_id, const char *engineer, enum join_side side,
			bool accept, const char *actor, struct store_participant *out)
{
	struct session *s = sess_find(m, session_id);
	int ret;

	ret = store_participant_live(m->env.store, session_id, engineer, out);
	if (ret != 0 || out->state != STORE_PART_PENDING || s == NULL || s->ending)
		return ret != 0 ? ret : -ENOENT;
	ret = vote_allowed(s, out, side, actor);
	if (ret != 0)
		return ret;
	/* The timer may not have fired yet: a late answer must not win over the deadline. */
	if (sess_now(m) >= out->deadline) {
		join_finish(m, out, s->row.serial, STORE_PART_EXPIRED, SESS_ACTOR_SYSTEM, "join_expired",
			    "nobody decided before the deadline (sessions.approval_timeout)");
		return -ETIMEDOUT;
	}
	if (!accept) {
		join_refuse(s, out, side, actor);
		return 0;
	}
	if (side == JOIN_SIDE_HOLDER) {
		out->holder_vote = STORE_VOTE_YES;
	} else {
		out->customer_vote = STORE_VOTE_YES;
		snprintf(out->customer_by, sizeof(out->customer_by), "%s", actor);
	}
	join_save(m, out);
	join_audit(m, out, s->row.serial, actor, side == JOIN_SIDE_HOLDER ? "join_holder_accepted" : "join_approved",
		   "ok");
	if (out->holder_vote == STORE_VOTE_YES && out->customer_vote != STORE_VOTE_PENDING)
		join_admit(s, out, actor);
	return 0;
}

/* ---- leaving, removal, the session's end, expiry, restart ---- */

/* Clears p's slot in s and tells spgate-dp at once. */
static void join_cut(struct session *s, const struct store_participant *p)
{
	int ret;

	if (p->slot == 0 || p->slot > SPG_DP_MAX_JOINERS || s->joiner_addr[p->slot - 1] != p->workstation)
		return;
	s->joiner_addr[p->slot - 1] = 0;
	ret = sess_join_push(s);
	if (ret != 0 && ret != -ENOTCONN)
		fprintf(stderr, "spgate-control: session %lld: spgate-dp did not take %s out: %s\n",
			(long long)s->row.id, p->engineer, strerror(-ret));
	s->joiners_differ = ret != 0;
}

int session_join_end(struct session_mgr *m, int64_t session_id, const char *engineer, const char *actor,
		     bool by_operator, bool left, struct store_participant *out)
{
	struct session *s = sess_find(m, session_id);
	char why[STORE_REASON_MAX];
	int ret;

	ret = store_participant_live(m->env.store, session_id, engineer, out);
	if (ret != 0)
		return ret;
	if (left && strcmp(actor, engineer) != 0)
		return -EPERM;
	/* Removal: the holder or an operator; a joiner never removes another. */
	if (!left && !by_operator && (s == NULL || strcmp(actor, s->row.user) != 0))
		return -EPERM;
	if (s != NULL)
		join_cut(s, out);
	if (left)
		snprintf(why, sizeof(why), "%s left", engineer);
	else
		snprintf(why, sizeof(why), "removed by %s", actor);
	join_finish(m, out, s != NULL ? s->row.serial : "-", left ? STORE_PART_LEFT : STORE_PART_REMOVED, actor,
		    left ? "join_left" : "join_removed", why);
	return 0;
}

struct part_list {
	struct store_participant *p;
	size_t n, cap;
};

static int collect_part(const struct store_participant *p, void *arg)
{
	struct part_list *l = arg;

	return spg_grow_append(&l->p, &l->n, &l->cap, sizeof(*p), 8, p);
}

void sess_join_end_all(struct session *s, const char *reason)
{
	struct store_participant_filter f = {.session_id = s->row.id, .live_only = true};
	struct part_list l = {NULL, 0, 0};
	char why[STORE_REASON_MAX];
	size_t i;

	/* Collect first: the rows change under the query otherwise. */
	if (store_participant_foreach(s->m->env.store, &f, collect_part, &l) != 0)
		fprintf(stderr, "spgate-control: session %lld: cannot list its participants\n", (long long)s->row.id);
	snprintf(why, sizeof(why), "the session ended: %.200s", reason);
	for (i = 0; i < l.n; i++)
		join_finish(s->m, &l.p[i], s->row.serial, STORE_PART_ENDED, SESS_ACTOR_SYSTEM, "join_ended", why);
	free(l.p);
	/* SESSION_DEL takes the joiners out of spgate-dp with the session. */
	memset(s->joiner_addr, 0, sizeof(s->joiner_addr));
}

void sess_join_restore(struct session *s)
{
	struct store_participant_filter f = {.session_id = s->row.id, .live_only = true};
	struct part_list l = {NULL, 0, 0};
	size_t i;

	store_participant_foreach(s->m->env.store, &f, collect_part, &l);
	for (i = 0; i < l.n; i++)
		if (l.p[i].state == STORE_PART_ACCEPTED && l.p[i].slot >= 1 && l.p[i].slot <= SPG_DP_MAX_JOINERS)
			s->joiner_addr[l.p[i].slot - 1] = l.p[i].workstation;
	free(l.p);
}

void sess_join_expire(struct session_mgr *m, int64_t now)
{
	struct part_list l = {NULL, 0, 0};
	struct store_session row;
	size_t i;
	int ret;

	ret = store_participant_foreach_due(m->env.store, now, collect_part, &l);
	if (ret != 0)
		fprintf(stderr, "spgate-control: cannot expire join requests: %s\n", strerror(-ret));
	for (i = 0; i < l.n; i++) {
		if (store_session_get(m->env.store, l.p[i].session_id, &row) != 0)
			snprintf(row.serial, sizeof(row.serial), "-");
		join_finish(m, &l.p[i], row.serial, STORE_PART_EXPIRED, SESS_ACTOR_SYSTEM, "join_expired",
			    "nobody decided before the deadline (sessions.approval_timeout)");
	}
	free(l.p);
}
