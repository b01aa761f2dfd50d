/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session timers, run from one periodic tick: approval deadlines, maximum duration,
 * the grace of a lost agent channel, rekeying, and the idle timeout from spgate-dp's
 * counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "approval.h"
#include "recording.h"
#include "fleet.h"
#include "session_int.h"

#define SESS_RETENTION_EVERY_S 3600

static void approval_expired_cb(int64_t session_id, void *arg)
{
	struct session_mgr *m = arg;
	struct session *s = sess_find(m, session_id);

	if (s == NULL || s->row.state != STORE_SESSION_AWAITING_APPROVAL)
		return;
	sess_end(s, STORE_SESSION_FAILED, "timeout", SESS_ACTOR_SYSTEM,
		 "no approver answered within %u s (sessions.approval_timeout)", m->env.cfg->sessions.approval_timeout);
}

/*
 * A lost agent channel: try to re-attach until agent.grace has passed, then give up.
 * Returns false when s was ended (and freed).
 */
static bool lost_channel_check(struct session *s, int64_t now)
{
	const struct ctl_config *cfg = s->m->env.cfg;

	if (s->lost_at == 0 || s->sp_state != SESS_SP_NONE)
		return true;
	if (now - s->lost_at >= (int64_t)cfg->agent.grace) {
		/* Failed, not closed: nobody ended it, the agent (or the way to it) died. */
		sess_end(s, STORE_SESSION_FAILED, "agent_lost", SESS_ACTOR_SYSTEM,
			 "lost the SP's control channel and could not re-attach within %u s (agent.grace)",
			 cfg->agent.grace);
		return false;
	}
	if (now >= s->retry_at)
		return sess_reattach(s);
	return true;
}

static void session_check(struct session *s, int64_t now)
{
	const struct ctl_config *cfg = s->m->env.cfg;
	char reason[128];

	if (s->ending)
		return;
	if (s->row.state != STORE_SESSION_ACTIVE && s->row.state != STORE_SESSION_KEYED)
		return;
	if (cfg->sessions.max_duration > 0 && now - s->row.created >= (int64_t)cfg->sessions.max_duration) {
		snprintf(reason, sizeof(reason), "reached the maximum duration of %u s (sessions.max_duration)",
			 cfg->sessions.max_duration);
		sess_close(s, SESS_ACTOR_SYSTEM, reason);
		return;
	}
	if (!lost_channel_check(s, now))
		return;
	if (s->sp_state == SESS_SP_UP && !s->rekey_inflight && cfg->agent.rekey_after > 0 &&
	    now - s->keyed_at >= (int64_t)cfg->agent.rekey_after)
		sess_rekey(s);
}

struct poll_ctx {
	struct session_mgr *m;
	int64_t now;
};

static int poll_one(const struct spg_dp_session_info *info, void *arg)
{
	struct poll_ctx *pc = arg;
	struct session *s = sess_find(pc->m, (int64_t)info->id);
	uint64_t packets = info->out.packets + info->in.packets;
	struct store_session_counters c;

	if (s == NULL || s->row.state != STORE_SESSION_ACTIVE)
		return 0;
	sess_record_seen(s, info);
	sess_join_seen(s, info);
	if (packets == s->last_packets && s->row.counters.last_activity != 0)
		return 0;
	if (packets != s->last_packets)
		s->last_activity = pc->now;
	s->last_packets = packets;
	c.out_packets = info->out.packets;
	c.in_packets = info->in.packets;
	c.out_bytes = info->out.bytes;
	c.in_bytes = info->in.bytes;
	c.drops = info->out.drops + info->in.drops;
	c.last_activity = s->last_activity;
	s->row.counters = c;
	store_session_set_counters(pc->m->env.store, s->row.id, &c, pc->now);
	return 0;
}

/* Reads spgate-dp's counters and closes sessions that carried nothing for idle_timeout. */
void sess_poll_counters(struct session_mgr *m)
{
	uint32_t idle = m->env.cfg->sessions.idle_timeout;
	struct poll_ctx pc = {m, sess_now(m)};
	struct session *s, *tmp;
	char reason[128];

	if (!m->dp_up)
		return;
	/* Without counters nobody can tell idle from busy: close nothing for idleness then. */
	if (m->env.peers->dp_list(m->env.peers_arg, poll_one, &pc) != 0)
		return;
	sess_record_act(m); /* after the listing: ending a session deletes it from spgate-dp */
	sess_join_resend(m);
	if (idle == 0)
		return;
	TAILQ_FOREACH_SAFE(s, &m->all, all, tmp) {
		if (s->ending || s->row.state != STORE_SESSION_ACTIVE || pc.now - s->last_activity < (int64_t)idle)
			continue;
		snprintf(reason, sizeof(reason), "idle for %u s (sessions.idle_timeout)", idle);
		sess_close(s, SESS_ACTOR_SYSTEM, reason);
	}
}

void session_mgr_tick(struct session_mgr *m)
{
	int64_t now = sess_now(m);
	struct session *s, *tmp;
	int ret;

	/*
	 * Cut off from the fleet's store (fleet.h), this host may no longer own its sessions:
	 * ending one now would release a line and an address its new owner holds. It waits to
	 * hear (a renewal, or being fenced); spgate-dp and the agents carry on meanwhile.
	 */
	if (!fleet_lease_fresh(m->env.fleet))
		return;
	ret = approval_expired(m->env.store, now, approval_expired_cb, m);
	/* -ENOTCONN: PostgreSQL is away, which store_watch.c says once, not every second */
	if (ret < 0 && ret != -ENOTCONN)
		fprintf(stderr, "spgate-control: cannot expire approvals: %s\n", strerror(-ret));
	sess_join_expire(m, now);
	TAILQ_FOREACH_SAFE(s, &m->all, all, tmp)
		session_check(s, now);
	if (++m->ticks % m->env.poll_ticks == 0) {
		sess_poll_counters(m);
		/* connects handed on to this host whose notification went astray */
		sess_adopt_waiting(m);
	}
	if (now - m->reconciled_at >= (int64_t)m->env.cfg->sessions.reconcile)
		sess_reconcile_check(m);
	/* recordings.keep_days must hold on a quiet gateway too, not only when a session ends */
	if (now - m->retained_at >= SESS_RETENTION_EVERY_S) {
		m->retained_at = now;
		ret = rec_retention(m->env.store, m->env.audit, m->env.cfg, now);
		if (ret < 0)
			fprintf(stderr, "spgate-control: recordings' retention: %s\n", strerror(-ret));
	}
}
