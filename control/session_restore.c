/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Taking over after a restart of either daemon. The store is the truth: sessions it has as
 * active are re-attached to their agent and, where spgate-dp lost them, rekeyed and
 * re-added; spgate-dp's sessions it does not know are deleted; sessions that are fine are
 * not touched, so their traffic flows on.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "grow.h"
#include "session_int.h"

struct row_list {
	struct store_session *rows;
	size_t n, cap;
};

static int collect_row(const struct store_session *row, void *arg)
{
	struct row_list *l = arg;

	return spg_grow_append(&l->rows, &l->n, &l->cap, sizeof(*row), 16, row);
}

static bool on_modem_line(struct session_mgr *m, const struct store_session *row)
{
	struct store_line l;

	return row->line_id[0] != '\0' && store_line_get(m->env.store, row->line_id, &l) == 0 &&
	       l.type == STORE_CONNECT_MODEM;
}

/* The modem answered (or not) whether the call is still up: as a dial's result, but no new call. */
static void restore_line_done(const struct line_result *r, void *arg)
{
	struct session *s = arg;

	if (!r->ok) {
		s->line = NULL; /* the call is over */
		sess_end(s, STORE_SESSION_FAILED, "line_dropped", SESS_ACTOR_SYSTEM, "%s", r->reason);
		return;
	}
	/* The modem may have retrained while nobody listened: ATO tells the speed of now. */
	if (r->speed_bps != 0 && r->speed_bps != s->row.speed_bps && sess_line_events.speed_changed != NULL)
		sess_line_events.speed_changed(r->speed_bps, s);
}

/*
 * An active session on a modem line: the old process left the call up (HUPCL off: its exit
 * did not drop DTR); take it over. Meanwhile spgate-dp and the agent carry on, and the agent
 * is re-attached at once, as for a network line. 0, or -1 when s was ended.
 */
static int restore_modem_call(struct session_mgr *m, struct session *s)
{
	struct line_events ev = sess_line_events;
	struct store_system sys;
	struct store_line line;
	int ret;

	if (m->env.peers->line_reattach == NULL) {
		sess_end(s, STORE_SESSION_FAILED, "line_dropped", SESS_ACTOR_SYSTEM,
			 "the call on line %s ended when spgate-control stopped", s->row.line_id);
		return -1;
	}
	ret = store_line_get(m->env.store, s->row.line_id, &line);
	if (ret == 0)
		ret = store_system_get(m->env.store, s->row.serial, &sys);
	if (ret != 0) {
		sess_end(s, STORE_SESSION_FAILED, "line_dropped", SESS_ACTOR_SYSTEM,
			 "cannot re-attach to the call on line %s: %s", s->row.line_id, strerror(-ret));
		return -1;
	}
	ev.done = restore_line_done;
	s->line = m->env.peers->line_reattach(m->env.peers_arg, &line, &sys, m->env.cfg->agent.port, s->row.speed_bps,
					      &ev, s);
	if (s->line == NULL) {
		sess_end(s, STORE_SESSION_FAILED, "line_dropped", SESS_ACTOR_SYSTEM,
			 "cannot re-attach to the call on line %s: %s", s->row.line_id, strerror(errno));
		return -1;
	}
	return 0;
}

/* A taken session's modem call was on the dead host's serial line: it went down with it. */
static int fail_taken_modem_call(struct session *s, const char *from)
{
	sess_end(s, STORE_SESSION_FAILED, "line_dropped", SESS_ACTOR_SYSTEM,
		 "its modem call was on line %s of gateway host %s, which died; a modem call cannot move",
		 s->row.line_id, from);
	return 0;
}

/*
 * One live session of the store; returns 1 when it lives on, 0 when it was ended. from: the
 * dead host it was taken from (session_mgr_take), or NULL after a restart of this one.
 */
static int restore_one(struct session_mgr *m, const struct store_session *row, const char *from)
{
	struct session *s = sess_find(m, row->id);

	if (s != NULL)
		return 1; /* restored already */
	/* handed on to this host and never claimed: nothing was set up; it is adopted instead */
	if (from == NULL && sess_unadopted(m, row))
		return 0;
	s = sess_add(m, row);
	if (s == NULL)
		return -ENOMEM;
	s->dp = from != NULL ? SESS_DP_ABSENT : SESS_DP_UNKNOWN;
	switch (row->state) {
	case STORE_SESSION_AWAITING_APPROVAL:
		s->dp = SESS_DP_ABSENT;
		return 1; /* the approval deadline is in the store; the tick expires it */
	case STORE_SESSION_ACTIVE:
		sess_record_restore(s);
		sess_join_restore(s);
		if (on_modem_line(m, row) && from != NULL)
			return fail_taken_modem_call(s, from);
		if (on_modem_line(m, row) && restore_modem_call(m, s) != 0)
			return 0;
		/* As if the channel was lost now: re-attach within agent.grace. */
		s->lost_at = sess_now(m);
		return sess_reattach(s) ? 1 : 0;
	case STORE_SESSION_CLOSING:
		sess_end(s, STORE_SESSION_CLOSED, NULL, SESS_ACTOR_SYSTEM, "%s", row->reason);
		return 0;
	default:
		/* Half-way: the line, the handshake and the keys died with the old process. */
		if (from != NULL)
			sess_end(s, STORE_SESSION_FAILED, "gateway_died", SESS_ACTOR_SYSTEM,
				 "gateway host %s died while the session was being set up", from);
		else
			sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM,
				 "spgate-control restarted while the session was being set up");
		return 0;
	}
}

/* The live sessions this host owns: on PostgreSQL, other hosts' sessions are theirs. */
static struct store_session_filter owned_live(struct session_mgr *m)
{
	struct store_session_filter f = {.live_only = true};

	if (store_kind(m->env.store) == DB_POSTGRESQL && store_gateway_id(m->env.store)[0] != '\0')
		f.owner = store_gateway_id(m->env.store);
	return f;
}

static void audit_taken(struct session_mgr *m, const struct store_session *row, const char *from)
{
	json_t *d;
	char *text;

	fprintf(stderr, "spgate-control: session %lld (%s, %s): taken over from gateway host %s\n", (long long)row->id,
		row->user, row->serial, from);
	if (m->env.audit == NULL)
		return;
	d = json_pack("{s:I, s:s, s:s, s:s}", "session", (json_int_t)row->id, "user", row->user, "from", from,
		      "to", store_gateway_id(m->env.store));
	text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	audit_event_at(m->env.audit, sess_now(m), SESS_ACTOR_SYSTEM, "session_taken_over", row->serial, "ok", text);
	free(text);
	json_decref(d);
}

/*
 * The live sessions this host owns, taken into memory: after a start (from NULL), or those it
 * now owns because it took dead host from's place (the ones it ran before are left alone).
 * Returns how many live on, or -errno.
 */
static int restore_owned(struct session_mgr *m, const char *from)
{
	struct store_session_filter f = owned_live(m);
	struct row_list l = {NULL, 0, 0};
	int ret, taken = 0;
	size_t i;

	/* Collect first: ending a session writes to the store, not inside its iteration. */
	ret = store_session_foreach(m->env.store, &f, collect_row, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		int r;

		if (from != NULL && sess_find(m, l.rows[i].id) != NULL)
			continue; /* ours before */
		if (from != NULL)
			audit_taken(m, &l.rows[i], from);
		r = restore_one(m, &l.rows[i], from);
		if (r < 0)
			ret = r;
		else
			taken += r;
	}
	/* taken ones: what was decided for them while nobody ran them, a disconnect, an approval */
	for (i = 0; from != NULL && ret == 0 && i < l.n; i++)
		if (sess_find(m, l.rows[i].id) != NULL)
			session_mgr_recheck(m, l.rows[i].id);
	free(l.rows);
	if (ret != 0)
		return ret;
	/* they join the reconciliation: a taken one is absent from spgate-dp, rekeyed once attached */
	if (m->dp_up)
		session_mgr_dp_state(m, true);
	return taken;
}

int session_mgr_restore(struct session_mgr *m)
{
	return restore_owned(m, NULL);
}

int session_mgr_take(struct session_mgr *m, const char *from)
{
	return restore_owned(m, from);
}

struct orphans {
	struct session_mgr *m;
	uint64_t *ids;
	size_t n, cap;
};

static bool wants_dp(const struct session *s)
{
	return !s->ending && (s->row.state == STORE_SESSION_KEYED || s->row.state == STORE_SESSION_ACTIVE ||
			      s->row.state == STORE_SESSION_CLOSING);
}

static int reconcile_one(const struct spg_dp_session_info *info, void *arg)
{
	struct orphans *o = arg;
	struct session *s = sess_find(o->m, (int64_t)info->id);

	if (s != NULL && wants_dp(s)) {
		s->seen = true;
		sess_record_seen(s, info);
		sess_join_seen(s, info);
		s->dp = ntohl(info->spi_in) == s->row.spi_in && ntohl(info->spi_out) == s->row.spi_out
				? SESS_DP_PRESENT
				: SESS_DP_STALE;
		return 0;
	}
	/* Deleted after the listing: deleting during it could move the cursor under us. */
	return spg_grow_append(&o->ids, &o->n, &o->cap, sizeof(info->id), 16, &info->id);
}

static void delete_orphans(struct session_mgr *m, const struct orphans *o)
{
	struct store_session row;
	char detail[64];
	size_t i;
	int ret;

	for (i = 0; i < o->n; i++) {
		ret = m->env.peers->dp_delete(m->env.peers_arg, o->ids[i]);
		/* Mostly a session that ended while spgate-dp could not be told: say which. */
		if (store_session_get(m->env.store, (int64_t)o->ids[i], &row) == 0)
			fprintf(stderr, "spgate-control: spgate-dp still had session %llu, which is %s (%s): %s\n",
				(unsigned long long)o->ids[i], store_session_state_name(row.state),
				row.reason[0] != '\0' ? row.reason : "no reason recorded",
				ret == 0 ? "deleted" : strerror(-ret));
		else
			fprintf(stderr, "spgate-control: spgate-dp had session %llu, which the store does not know: %s\n",
				(unsigned long long)o->ids[i], ret == 0 ? "deleted" : strerror(-ret));
		if (m->env.audit != NULL) {
			snprintf(detail, sizeof(detail), "{\"session\":%llu}", (unsigned long long)o->ids[i]);
			audit_event_at(m->env.audit, sess_now(m), SESS_ACTOR_SYSTEM, "dp_orphan_deleted", "spgate-dp",
				       ret == 0 ? "ok" : "failed", detail);
		}
	}
}

static void reconcile(struct session_mgr *m)
{
	struct orphans o = {m, NULL, 0, 0};
	struct session *s, *tmp;
	int ret;

	TAILQ_FOREACH(s, &m->all, all)
		s->seen = false;
	ret = m->env.peers->dp_list(m->env.peers_arg, reconcile_one, &o);
	if (ret != 0) {
		fprintf(stderr, "spgate-control: cannot list spgate-dp's sessions: %s\n", strerror(-ret));
		free(o.ids);
		return;
	}
	delete_orphans(m, &o);
	free(o.ids);
	TAILQ_FOREACH_SAFE(s, &m->all, all, tmp) {
		if (!wants_dp(s))
			continue;
		if (!s->seen) {
			s->dp = SESS_DP_ABSENT;
			sess_record_lost(s);
		}
		/* The keys are not kept anywhere: re-adding needs a new generation from the agent. */
		if (s->row.state == STORE_SESSION_ACTIVE && s->dp != SESS_DP_PRESENT && s->sp_state == SESS_SP_UP) {
			fprintf(stderr, "spgate-control: session %lld is missing from spgate-dp; rekeying to re-add it\n",
				(long long)s->row.id);
			sess_audit(s, SESS_ACTOR_SYSTEM, "dp_session_missing", "pending",
				   "spgate-dp did not have the session (or not with its keys); rekeying to re-add it");
			sess_rekey(s);
		}
	}
	sess_record_act(m);
	sess_join_resend(m);
}

void sess_expected_dp(struct session_mgr *m, uint32_t *n, uint32_t *ids_hash)
{
	struct session *s;
	uint64_t acc = 0;

	*n = 0;
	TAILQ_FOREACH(s, &m->all, all) {
		if (!wants_dp(s) || (s->dp != SESS_DP_PRESENT && s->dp != SESS_DP_STALE))
			continue;
		(*n)++;
		acc ^= spg_dp_id_mix((uint64_t)s->row.id);
	}
	*ids_hash = spg_dp_ids_fold(acc);
}

void sess_reconcile_check(struct session_mgr *m)
{
	struct spg_dp_stats_rep st;
	uint32_t n, hash;
	int ret;

	if (!m->dp_up || m->env.peers->dp_stats == NULL)
		return;
	m->reconciled_at = sess_now(m);
	memset(&st, 0, sizeof(st));
	ret = m->env.peers->dp_stats(m->env.peers_arg, &st);
	if (ret != 0) {
		/* -ENOTCONN: reconnecting has started, and reconciles when it succeeds. */
		if (ret != -ENOTCONN)
			fprintf(stderr, "spgate-control: cannot ask spgate-dp for its session count: %s\n",
				strerror(-ret));
		return;
	}
	sess_expected_dp(m, &n, &hash);
	if (st.n_sessions == n && st.ids_hash == hash)
		return;
	fprintf(stderr,
		"spgate-control: spgate-dp holds %u sessions (ids hash %08x) where %u (%08x) are expected; "
		"reconciling\n", st.n_sessions, st.ids_hash, n, hash);
	reconcile(m);
}

void session_mgr_dp_state(struct session_mgr *m, bool up)
{
	struct session *s;

	m->dp_up = up;
	if (up) {
		m->reconciled_at = sess_now(m);
		reconcile(m);
		return;
	}
	TAILQ_FOREACH(s, &m->all, all)
		if (s->dp == SESS_DP_PRESENT || s->dp == SESS_DP_STALE)
			s->dp = SESS_DP_UNKNOWN;
}
