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

#include "session_int.h"

struct row_list {
	struct store_session *rows;
	size_t n, cap;
};

static int collect_row(const struct store_session *row, void *arg)
{
	struct row_list *l = arg;
	struct store_session *bigger;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		bigger = realloc(l->rows, l->cap * sizeof(*l->rows));
		if (bigger == NULL)
			return -ENOMEM;
		l->rows = bigger;
	}
	l->rows[l->n++] = *row;
	return 0;
}

static bool on_modem_line(struct session_mgr *m, const struct store_session *row)
{
	struct store_line l;

	return row->line_id[0] != '\0' && store_line_get(m->env.store, row->line_id, &l) == 0 &&
	       l.type == STORE_CONNECT_MODEM;
}

/* One live session of the store; returns 1 when it lives on, 0 when it was ended. */
static int restore_one(struct session_mgr *m, const struct store_session *row)
{
	struct session *s = sess_find(m, row->id);

	if (s != NULL)
		return 1; /* restored already */
	s = sess_add(m, row);
	if (s == NULL)
		return -ENOMEM;
	s->dp = SESS_DP_UNKNOWN;
	switch (row->state) {
	case STORE_SESSION_AWAITING_APPROVAL:
		s->dp = SESS_DP_ABSENT;
		return 1; /* the approval deadline is in the store; the tick expires it */
	case STORE_SESSION_ACTIVE:
		/* A modem call died with the old process (its device was closed: DTR dropped). */
		if (on_modem_line(m, row)) {
			sess_end(s, STORE_SESSION_FAILED, "line_dropped", SESS_ACTOR_SYSTEM,
				 "the call on line %s ended when spgate-control stopped", row->line_id);
			return 0;
		}
		/* As if the channel was lost now: re-attach within agent.grace. */
		s->lost_at = sess_now(m);
		return sess_reattach(s) ? 1 : 0;
	case STORE_SESSION_CLOSING:
		sess_end(s, STORE_SESSION_CLOSED, NULL, SESS_ACTOR_SYSTEM, "%s", row->reason);
		return 0;
	default:
		/* Half-way: the line, the handshake and the keys died with the old process. */
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM,
			 "spgate-control restarted while the session was being set up");
		return 0;
	}
}

int session_mgr_restore(struct session_mgr *m)
{
	struct store_session_filter f = {.live_only = true};
	struct row_list l = {NULL, 0, 0};
	int ret, taken = 0;
	size_t i;

	/* Collect first: ending a session writes to the store, not inside its iteration. */
	ret = store_session_foreach(m->env.store, &f, collect_row, &l);
	for (i = 0; ret == 0 && i < l.n; i++) {
		int r = restore_one(m, &l.rows[i]);

		if (r < 0)
			ret = r;
		else
			taken += r;
	}
	free(l.rows);
	if (ret != 0)
		return ret;
	if (m->dp_up)
		session_mgr_dp_state(m, true);
	return taken;
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
	uint64_t *bigger;

	if (s != NULL && wants_dp(s)) {
		s->seen = true;
		s->dp = ntohl(info->spi_in) == s->row.spi_in && ntohl(info->spi_out) == s->row.spi_out
				? SESS_DP_PRESENT
				: SESS_DP_STALE;
		return 0;
	}
	/* Deleted after the listing: deleting during it could move the cursor under us. */
	if (o->n == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		bigger = realloc(o->ids, o->cap * sizeof(*o->ids));
		if (bigger == NULL)
			return -ENOMEM;
		o->ids = bigger;
	}
	o->ids[o->n++] = info->id;
	return 0;
}

static void delete_orphans(struct session_mgr *m, const struct orphans *o)
{
	char detail[64];
	size_t i;
	int ret;

	for (i = 0; i < o->n; i++) {
		ret = m->env.peers->dp_delete(m->env.peers_arg, o->ids[i]);
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
		if (!s->seen)
			s->dp = SESS_DP_ABSENT;
		/* The keys are not kept anywhere: re-adding needs a new generation from the agent. */
		if (s->row.state == STORE_SESSION_ACTIVE && s->dp != SESS_DP_PRESENT && s->sp_state == SESS_SP_UP) {
			fprintf(stderr, "spgate-control: session %lld is missing from spgate-dp; rekeying to re-add it\n",
				(long long)s->row.id);
			sess_rekey(s);
		}
	}
}

void session_mgr_dp_state(struct session_mgr *m, bool up)
{
	struct session *s;

	m->dp_up = up;
	if (up) {
		reconcile(m);
		return;
	}
	TAILQ_FOREACH(s, &m->all, all)
		if (s->dp == SESS_DP_PRESENT || s->dp == SESS_DP_STALE)
			s->dp = SESS_DP_UNKNOWN;
}
