/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session lifecycle: the table of live sessions, transitions (persisted and audited),
 * ending a session and the API's entry points. The SP side is in session_sp.c, timers in
 * session_timers.c, taking over after a restart in session_restore.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "approval.h"
#include "search.h"
#include "session_int.h"

static void sess_tick_cb(evutil_socket_t fd, short what, void *arg);

int64_t sess_now(const struct session_mgr *m)
{
	return m->env.now != NULL ? m->env.now() : (int64_t)time(NULL);
}

static struct session_bucket *bucket_of(struct session_mgr *m, int64_t id)
{
	return &m->buckets[(uint64_t)id % SESS_BUCKETS];
}

struct session *sess_find(struct session_mgr *m, int64_t id)
{
	struct session *s;

	LIST_FOREACH(s, bucket_of(m, id), bucket)
		if (s->row.id == id)
			return s;
	return NULL;
}

struct session *sess_add(struct session_mgr *m, const struct store_session *row)
{
	struct session *s;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->m = m;
	s->row = *row;
	s->dp = SESS_DP_ABSENT;
	s->last_activity = sess_now(m);
	TAILQ_INSERT_TAIL(&m->all, s, all);
	LIST_INSERT_HEAD(bucket_of(m, row->id), s, bucket);
	m->n++;
	return s;
}

void sess_free(struct session *s)
{
	struct session_mgr *m = s->m;

	if (s->line != NULL)
		m->env.peers->line_cancel(m->env.peers_arg, s->line);
	if (s->sp != NULL)
		m->env.peers->sp_free(m->env.peers_arg, s->sp);
	TAILQ_REMOVE(&m->all, s, all);
	LIST_REMOVE(s, bucket);
	m->n--;
	free(s->grant_b64);
	free(s->sig_b64);
	free(s->groups);
	free(s);
}

void sess_audit(struct session *s, const char *actor, const char *action, const char *result, const char *reason)
{
	json_t *detail;
	char *text;

	if (s->m->env.audit == NULL)
		return;
	detail = json_pack("{s:I,s:s}", "session", (json_int_t)s->row.id, "state",
			   store_session_state_name(s->row.state));
	if (detail != NULL && reason != NULL && reason[0] != '\0')
		json_object_set_new(detail, "reason", json_string(reason));
	/* what the engineer said the session is for: with the request, and with its end */
	if (detail != NULL && s->row.request_reason[0] != '\0' &&
	    (strcmp(action, "session_requested") == 0 || !store_session_state_live(s->row.state)))
		json_object_set_new(detail, "request_reason", json_string(s->row.request_reason));
	if (detail != NULL && s->row.ticket[0] != '\0' &&
	    (strcmp(action, "session_requested") == 0 || !store_session_state_live(s->row.state)))
		json_object_set_new(detail, "ticket", json_string(s->row.ticket));
	if (detail != NULL && s->row.recorded && !store_session_state_live(s->row.state))
		json_object_set_new(detail, "recorded", json_true());
	text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	audit_event_at(s->m->env.audit, sess_now(s->m), actor, action, s->row.serial, result, text);
	free(text);
	json_decref(detail);
}

void sess_save(struct session *s)
{
	int ret;

	s->row.updated = sess_now(s->m);
	ret = store_session_update(s->m->env.store, &s->row);
	if (ret != 0)
		fprintf(stderr, "spgate-control: session %lld: cannot store it: %s\n", (long long)s->row.id,
			strerror(-ret));
}

static void sess_persist_state(struct session *s, enum store_session_state state, const char *reason)
{
	int64_t now = sess_now(s->m);
	int ret;

	s->row.state = state;
	if (reason != NULL)
		snprintf(s->row.reason, sizeof(s->row.reason), "%s", reason);
	s->row.updated = now;
	if (!store_session_state_live(state))
		s->row.closed = now;
	ret = store_session_set_state(s->m->env.store, s->row.id, state, reason, now);
	if (ret != 0)
		fprintf(stderr, "spgate-control: session %lld: cannot store state %s: %s\n", (long long)s->row.id,
			store_session_state_name(state), strerror(-ret));
}

void sess_to(struct session *s, enum store_session_state state, const char *reason, const char *actor)
{
	char action[48];

	sess_persist_state(s, state, reason);
	snprintf(action, sizeof(action), "session_%s", store_session_state_name(state));
	sess_audit(s, actor, action, "ok", reason);
}

/* Reports a change of s's line to SNMP: the line as it was before, and now. */
static void sess_line_changed(struct session *s, const struct store_line *before)
{
	struct store_line after;

	if (store_line_get(s->m->env.store, s->row.line_id, &after) == 0 && after.state != before->state)
		snmp_notify_line_state(s->m->env.snmp, &after, before->state);
}

void sess_line_state(struct session *s, enum store_line_state state)
{
	struct store_line before;

	if (store_line_get(s->m->env.store, s->row.line_id, &before) != 0)
		return;
	/* An operator may have disabled it meanwhile: that stays until the session ends. */
	if (before.state == STORE_LINE_DISABLED || before.state == STORE_LINE_FAILED)
		return;
	store_line_set_state(s->m->env.store, s->row.line_id, state, s->row.id);
	sess_line_changed(s, &before);
}

static void sess_release(struct session *s)
{
	struct session_mgr *m = s->m;
	struct store_line before;
	int ret;

	if (s->row.line_id[0] != '\0' && store_line_get(m->env.store, s->row.line_id, &before) == 0) {
		ret = alloc_line_release(m->env.store, s->row.line_id);
		if (ret != 0 && ret != -ENOENT)
			fprintf(stderr, "spgate-control: session %lld: cannot release line %s: %s\n",
				(long long)s->row.id, s->row.line_id, strerror(-ret));
		sess_line_changed(s, &before);
	}
	if (s->row.virtual_address != 0) {
		ret = alloc_release_address(m->env.store, s->row.virtual_address, sess_now(m),
					    m->env.cfg->sessions.address_holdback);
		if (ret != 0)
			fprintf(stderr, "spgate-control: session %lld: cannot hold back its address: %s\n",
				(long long)s->row.id, strerror(-ret));
	}
}

static void sess_dp_forget(struct session *s)
{
	struct session_mgr *m = s->m;
	int ret;

	if (s->dp == SESS_DP_ABSENT)
		return;
	ret = m->env.peers->dp_delete(m->env.peers_arg, (uint64_t)s->row.id);
	/* -ENOTCONN: spgate-dp is down; reconcile deletes it as an orphan when it is back. */
	if (ret != 0 && ret != -ENOENT && ret != -ENOTCONN)
		fprintf(stderr, "spgate-control: session %lld: spgate-dp refused to delete it: %s\n",
			(long long)s->row.id, strerror(-ret));
	s->dp = SESS_DP_ABSENT;
}

void sess_end(struct session *s, enum store_session_state state, const char *code, const char *actor,
	      const char *fmt, ...)
{
	struct session_mgr *m = s->m;
	char reason[STORE_REASON_MAX];
	char action[48];
	bool was_up = s->row.state == STORE_SESSION_ACTIVE || s->row.state == STORE_SESSION_CLOSING;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (s->line != NULL) {
		m->env.peers->line_cancel(m->env.peers_arg, s->line);
		s->line = NULL;
	}
	/*
	 * The agent's tunnel is up: ask it to tear down rather than leave it to its grace timer,
	 * and keep s until it answered (the channel's callbacks point at s).
	 */
	if (s->sp != NULL) {
		if (s->sp_state == SESS_SP_UP && m->env.peers->sp_close(m->env.peers_arg, s->sp, reason) == 0)
			s->sp_state = SESS_SP_CLOSING;
		if (s->sp_state == SESS_SP_CLOSING)
			s->ending = true;
		else
			sess_sp_drop(s);
	}
	sess_record_stop(s); /* before spgate-dp forgets the session: the stop reports the counters */
	sess_join_end_all(s, reason);
	sess_dp_forget(s);
	sess_release(s);
	sess_persist_state(s, state, reason);
	snprintf(action, sizeof(action), "session_%s", store_session_state_name(state));
	sess_audit(s, actor, action, state == STORE_SESSION_FAILED ? "failed" : "ok", reason);
	if (was_up)
		snmp_notify_session_down(m->env.snmp, &s->row);
	if (state == STORE_SESSION_FAILED) {
		m->last_fail_id = s->row.id;
		m->last_fail_code = code != NULL ? code : "internal";
	}
	if (!s->ending)
		sess_free(s);
}

void sess_close(struct session *s, const char *actor, const char *reason)
{
	struct session_mgr *m = s->m;

	if (s->ending || s->row.state == STORE_SESSION_CLOSING)
		return;
	if (s->sp != NULL && s->sp_state == SESS_SP_UP &&
	    m->env.peers->sp_close(m->env.peers_arg, s->sp, reason) == 0) {
		s->sp_state = SESS_SP_CLOSING;
		sess_to(s, STORE_SESSION_CLOSING, reason, actor);
		return;
	}
	/* No channel to the agent (never opened, or lost): nobody to wait for. */
	sess_end(s, STORE_SESSION_CLOSED, NULL, actor, "%s", reason);
}

struct session_mgr *session_mgr_new(const struct session_env *env)
{
	struct session_mgr *m;
	struct timeval tv;
	unsigned i;

	if (env->base == NULL || env->cfg == NULL || env->store == NULL || env->peers == NULL) {
		errno = EINVAL;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return NULL;
	m->env = *env;
	if (m->env.tick_ms == 0)
		m->env.tick_ms = 1000;
	if (m->env.poll_ticks == 0)
		m->env.poll_ticks = 5;
	TAILQ_INIT(&m->all);
	for (i = 0; i < SESS_BUCKETS; i++)
		LIST_INIT(&m->buckets[i]);
	m->tick = event_new(env->base, -1, EV_PERSIST, sess_tick_cb, m);
	if (m->tick == NULL) {
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	tv.tv_sec = m->env.tick_ms / 1000;
	tv.tv_usec = (m->env.tick_ms % 1000) * 1000;
	event_add(m->tick, &tv);
	return m;
}

void session_mgr_free(struct session_mgr *m)
{
	struct session *s;

	if (m == NULL)
		return;
	while ((s = TAILQ_FIRST(&m->all)) != NULL)
		sess_free(s);
	event_free(m->tick);
	free(m);
}

size_t session_mgr_forget_all(struct session_mgr *m)
{
	struct session *s;
	size_t n = 0;

	while ((s = TAILQ_FIRST(&m->all)) != NULL) {
		sess_dp_forget(s);
		sess_free(s);
		n++;
	}
	return n;
}

size_t session_mgr_count_from(struct session_mgr *m, uint32_t outer)
{
	struct session *s;
	size_t n = 0;

	TAILQ_FOREACH(s, &m->all, all)
		if (sess_outer_address(s) == outer)
			n++;
	return n;
}

size_t session_mgr_count(const struct session_mgr *m)
{
	return m->n;
}

static void sess_tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	session_mgr_tick(arg);
}

int sess_keep_groups(struct session *s, const char *const *groups, size_t n_groups)
{
	size_t i, n = n_groups < SPG_GRANT_MAX_GROUPS ? n_groups : SPG_GRANT_MAX_GROUPS;

	if (n == 0)
		return 0;
	s->groups = calloc(n, sizeof(*s->groups));
	if (s->groups == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		snprintf(s->groups[i], sizeof(s->groups[i]), "%s", groups[i]);
	s->n_groups = n;
	return 0;
}

void sess_row_init(struct session_mgr *m, const struct session_request *req, const struct session_purpose *why,
		   struct store_session *row)
{
	memset(row, 0, sizeof(*row));
	snprintf(row->serial, sizeof(row->serial), "%s", req->serial);
	snprintf(row->user, sizeof(row->user), "%s", req->user);
	row->workstation = req->workstation;
	snprintf(row->request_reason, sizeof(row->request_reason), "%s", why->reason != NULL ? why->reason : "");
	snprintf(row->ticket, sizeof(row->ticket), "%s", why->ticket != NULL ? why->ticket : "");
	row->state = STORE_SESSION_REQUESTED;
	row->created = row->updated = sess_now(m);
}

/*
 * The first steps of connect: a row in requested, authorized at once. The grant is signed
 * later, when the session may proceed (sess_proceed), never before approval.
 * Returns s; or NULL with *id set when the session was created but has failed already
 * (and is gone from memory); or NULL with *id 0 and errno set.
 */
static struct session *sess_create(struct session_mgr *m, const struct session_request *req,
				   const struct session_purpose *why, int64_t *id)
{
	struct store_session row;
	struct session *s;
	int ret;

	sess_row_init(m, req, why, &row);
	ret = store_session_create(m->env.store, &row);
	if (ret != 0) {
		errno = -ret;
		return NULL;
	}
	s = sess_add(m, &row);
	if (s == NULL) {
		store_session_set_state(m->env.store, row.id, STORE_SESSION_FAILED, "out of memory", row.created);
		errno = ENOMEM;
		return NULL;
	}
	*id = row.id;
	sess_audit(s, req->user, "session_requested", "ok", NULL);
	sess_to(s, STORE_SESSION_AUTHORIZED, NULL, req->user);
	if (sess_keep_groups(s, req->groups, req->n_groups) != 0) {
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM, "out of memory");
		return NULL;
	}
	return s;
}

void sess_apply_policy(struct session *s, const char *actor)
{
	struct session_mgr *m = s->m;
	enum store_policy policy;
	int64_t deadline;
	int ret;

	ret = approval_policy(m->env.store, s->row.serial, &policy);
	if (ret != 0) {
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM, "cannot read the approval policy: %s",
			 strerror(-ret));
		return;
	}
	switch (policy) {
	case STORE_POLICY_AUTO:
		sess_proceed(s, actor);
		return;
	case STORE_POLICY_DENY:
		sess_end(s, STORE_SESSION_FAILED, "denied", SESS_ACTOR_SYSTEM,
			 "the customer does not allow remote sessions");
		return;
	case STORE_POLICY_ASK:
		break;
	}
	deadline = sess_now(m) + m->env.cfg->sessions.approval_timeout;
	ret = approval_request(m->env.store, s->row.id, deadline);
	if (ret != 0) {
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM, "cannot ask for approval: %s",
			 strerror(-ret));
		return;
	}
	sess_to(s, STORE_SESSION_AWAITING_APPROVAL, NULL, actor);
}

/* The customer's require_reason and require_ticket: refused before any session exists. */
static int sess_check_purpose(struct session_mgr *m, const struct store_system *sys, const struct session_purpose *why,
			      const char **error_code)
{
	struct store_customer c;
	int ret;

	ret = store_customer_get(m->env.store, sys->customer, &c);
	if (ret != 0)
		return ret;
	if (c.require_reason && (why->reason == NULL || why->reason[0] == '\0')) {
		*error_code = "reason_required";
		return -EINVAL;
	}
	if (c.require_ticket && (why->ticket == NULL || why->ticket[0] == '\0')) {
		*error_code = "ticket_required";
		return -EINVAL;
	}
	return 0;
}

int session_connect(struct session_mgr *m, const struct session_request *req, struct store_session *out,
		    const char **error_code, struct alloc_holder *holder)
{
	return session_connect_for(m, req, NULL, out, error_code, holder);
}

int session_connect_for(struct session_mgr *m, const struct session_request *req, const struct session_purpose *why,
			struct store_session *out, const char **error_code, struct alloc_holder *holder)
{
	static const struct session_purpose none = {NULL, NULL};
	struct search_caller who = {req->user, req->groups, req->n_groups, req->privileged};
	const struct dpp_hello *hello;
	struct store_system sys;
	struct session *s;
	int64_t id = 0;
	int ret;

	*error_code = NULL;
	if (why == NULL)
		why = &none;
	ret = search_may_access(m->env.store, &who, req->serial);
	if (ret <= 0)
		return ret == 0 ? -EACCES : ret;
	ret = alloc_holder(m->env.store, req->serial, holder);
	if (ret != 0)
		return ret > 0 ? -EBUSY : ret;
	ret = store_system_get(m->env.store, req->serial, &sys);
	if (ret != 0)
		return ret;
	ret = sess_check_purpose(m, &sys, why, error_code);
	if (ret != 0)
		return ret;
	/* another host of the fleet runs it (gateway.connect: least_loaded): its spgate-dp counts */
	if (sess_elsewhere(m, req->owner))
		return sess_hand_on(m, req, why, out);
	hello = m->env.peers->dp_hello(m->env.peers_arg);
	if (hello == NULL)
		return -ENOTCONN;
	s = sess_create(m, req, why, &id);
	if (s == NULL && id == 0)
		return -errno;
	/* s may be gone after this (failed sessions are freed); the store has the outcome. */
	if (s != NULL)
		sess_apply_policy(s, req->user);
	ret = store_session_get(m->env.store, id, out);
	if (ret != 0)
		return ret;
	if (out->state == STORE_SESSION_FAILED && m->last_fail_id == id)
		*error_code = m->last_fail_code;
	return 0;
}

int session_decide(struct session_mgr *m, int64_t id, bool approve, const char *actor, struct store_session *out)
{
	struct session *s = sess_find(m, id);
	int ret;

	if (s == NULL || s->row.state != STORE_SESSION_AWAITING_APPROVAL) {
		ret = store_session_get(m->env.store, id, out);
		if (ret == 0 && s == NULL && out->state == STORE_SESSION_AWAITING_APPROVAL &&
		    sess_owned_elsewhere(m, out))
			return sess_decide_elsewhere(m, id, approve, actor, out);
		return ret != 0 ? ret : -EINVAL;
	}
	ret = approval_decide(m->env.store, id, approve, actor, sess_now(m));
	if (ret == -ETIMEDOUT) {
		sess_end(s, STORE_SESSION_FAILED, "timeout", SESS_ACTOR_SYSTEM,
			 "no approver answered within %u s", m->env.cfg->sessions.approval_timeout);
		return ret;
	}
	if (ret != 0)
		return ret;
	if (approve) {
		sess_audit(s, actor, "session_approved", "ok", NULL);
		sess_proceed(s, actor);
	} else {
		sess_end(s, STORE_SESSION_FAILED, "denied", actor, "the customer's approver %s denied the session", actor);
	}
	return store_session_get(m->env.store, id, out);
}

int session_disconnect(struct session_mgr *m, int64_t id, const char *actor, const char *reason,
		       struct store_session *out)
{
	struct session *s = sess_find(m, id);
	int ret;

	if (s != NULL && !s->ending) {
		if (s->row.state == STORE_SESSION_KEYED || s->row.state == STORE_SESSION_ACTIVE ||
		    s->row.state == STORE_SESSION_CLOSING)
			sess_close(s, actor, reason);
		else
			sess_end(s, STORE_SESSION_CLOSED, NULL, actor, "%s", reason);
		return store_session_get(m->env.store, id, out);
	}
	ret = store_session_get(m->env.store, id, out);
	if (ret != 0 || !store_session_state_live(out->state))
		return ret;
	if (sess_owned_elsewhere(m, out))
		return sess_disconnect_elsewhere(m, id, actor, reason, out);
	/* Live in the store but not here: nothing runs for it any more; just write it off. */
	ret = store_session_set_state(m->env.store, id, STORE_SESSION_CLOSED, reason, sess_now(m));
	if (ret != 0)
		return ret;
	return store_session_get(m->env.store, id, out);
}

bool session_degraded(struct session_mgr *m, int64_t id, char *why, size_t len)
{
	struct session *s = m != NULL ? sess_find(m, id) : NULL;

	if (s == NULL || s->ending || s->row.state != STORE_SESSION_ACTIVE || s->lost_why[0] == '\0')
		return false;
	snprintf(why, len, "lost the SP's control channel %lld s ago (%s); re-attaching until agent.grace (%u s) ends",
		 (long long)(sess_now(m) - s->lost_at), s->lost_why, m->env.cfg->agent.grace);
	return true;
}

int session_get(struct session_mgr *m, int64_t id, struct store_session *out)
{
	return store_session_get(m->env.store, id, out);
}
