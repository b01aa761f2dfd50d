/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the session module (session.c, session_sp.c, session_timers.c,
 * session_restore.c); nothing else includes this.
 */
#ifndef SPG_SESSION_INT_H
#define SPG_SESSION_INT_H

#include <sys/queue.h>

#include "grant.h"
#include "session.h"

/* glibc's sys/queue.h predates the _SAFE iterator. */
#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)                                                 \
	for ((var) = TAILQ_FIRST(head); (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);      \
	     (var) = (tvar))
#endif

#define SESS_ACTOR_SYSTEM "spgate-control"
#define SESS_BUCKETS 1024
#define SESS_ATTACH_RETRY_S 2

/* The agent channel. */
enum sess_sp {
	SESS_SP_NONE,      /* none (not yet, or lost: lost_at says) */
	SESS_SP_OPENING,   /* sph_open in flight */
	SESS_SP_ATTACHING, /* sph_attach in flight */
	SESS_SP_UP,
	SESS_SP_CLOSING,   /* sph_close in flight */
};

/* Whether spgate-dp holds the session, as far as we know. */
enum sess_dp {
	SESS_DP_ABSENT,
	SESS_DP_PRESENT,
	SESS_DP_STALE,   /* present with other SPIs than ours (a rekey cut short by a crash) */
	SESS_DP_UNKNOWN, /* spgate-dp is down or not asked yet */
};

struct session {
	TAILQ_ENTRY(session) all;
	LIST_ENTRY(session) bucket;
	struct session_mgr *m;
	struct store_session row; /* what the store has; written through on every change */
	char *grant_b64, *sig_b64;
	/* the requester's groups, for the grant signed once the session may proceed (after
	 * approval); freed then. NULL after a restart: such a grant lists no groups */
	char (*groups)[SPG_GRANT_NAME_MAX];
	size_t n_groups;
	struct line_call *line;
	struct sph_conn *sp;
	enum sess_sp sp_state;
	enum sess_dp dp;
	uint16_t esp_port;       /* the agent's ESP-in-UDP port (0: spgate-dp's own) */
	bool rekey_inflight;
	uint32_t rekey_spi;      /* our new inbound SPI while a rekey is in flight */
	int64_t keyed_at;        /* last (re)key: rekey_after counts from here */
	int64_t lost_at;         /* the agent channel went away at; 0: not lost */
	char lost_why[STORE_REASON_MAX]; /* why it went away, while the session is degraded ("": not) */
	int64_t retry_at;        /* next attach attempt while lost */
	int64_t last_activity;   /* a counter last grew at (idle timeout) */
	uint64_t last_packets;
	bool sp_starting;        /* inside sp_open/sp_attach, which may report failure at once */
	bool sp_early_fail;      /* ... and did: handled once the call has returned */
	bool sp_early_refused;
	char sp_early_reason[STORE_REASON_MAX];
	bool ending;             /* final state written; waiting for the agent to confirm */
	bool seen;               /* reconcile: spgate-dp listed it */
	int64_t rec_id;          /* its running recording's row (session_record.c); 0 none */
	bool rec_required;       /* the customer's policy is `required` */
	bool rec_lossy;          /* spgate-dp said it dropped copies (audited once) */
	bool rec_failed;         /* spgate-dp said the recording failed (or lost it) ... */
	bool rec_failed_handled; /* ... and that was acted on */
	int rec_error;           /* the write's errno; ESTALE: spgate-dp lost the recording */
	/* join: the accepted joiners' workstations by slot (the store's participants, as sent
	 * to spgate-dp with SESSION_JOINERS); 0 an empty slot */
	uint32_t joiner_addr[SPG_DP_MAX_JOINERS];
	bool joiners_differ;     /* a listing showed spgate-dp with other joiners: re-send */
};

TAILQ_HEAD(session_list, session);
LIST_HEAD(session_bucket, session);

struct session_mgr {
	struct session_env env;
	struct session_list all;
	struct session_bucket buckets[SESS_BUCKETS];
	size_t n;
	struct event *tick;
	unsigned ticks;
	bool dp_up;
	int64_t reconciled_at; /* last check against spgate-dp (sessions.reconcile) */
	int64_t retained_at;   /* last run of the recordings' retention (hourly, and at each end) */
	/* The API code of the last failure, for session_connect's synchronous answer. */
	int64_t last_fail_id;
	const char *last_fail_code;
};

/* session_handoff.c: sessions another gateway host of the fleet owns */
/* True when row's owner is another host (a SQLite store's sessions are all this host's). */
bool sess_owned_elsewhere(struct session_mgr *m, const struct store_session *row);
/* Writes the decision (or the disconnect request) to the store and notifies the owner;
 * *out: the session as the store has it (row read before, owner_gateway used in messages). */
int sess_decide_elsewhere(struct session_mgr *m, int64_t id, bool approve, const char *actor,
			  struct store_session *out);
int sess_disconnect_elsewhere(struct session_mgr *m, int64_t id, const char *actor, const char *reason,
			      struct store_session *out);

/* session_place.c: a connect asked of one host of the fleet and run by another */
/* True when owner names another host than this one (NULL, "" or our own id: false). */
bool sess_elsewhere(struct session_mgr *m, const char *owner);
/* The asked host: writes the authorized session owned by req->owner with the request's
 * groups, audits it and notifies the owner. 0 with *out the row, or -errno. */
int sess_hand_on(struct session_mgr *m, const struct session_request *req, const struct session_purpose *why,
		 struct store_session *out);
/* The owner: claims handed-on session id once, checks the request again and runs it from its
 * approval on. 0 (adopted, refused and ended, or nothing to adopt), or -errno (the store's). */
int sess_adopt(struct session_mgr *m, int64_t id);
/* sess_adopt for every session handed on to this host and not claimed yet (polling). */
void sess_adopt_waiting(struct session_mgr *m);
/* Whether row is a handed-on session nobody has claimed yet (a restart leaves it to adopt). */
bool sess_unadopted(struct session_mgr *m, const struct store_session *row);

/* session.c */
/* The row a connect starts from (state requested, created now). */
void sess_row_init(struct session_mgr *m, const struct session_request *req, const struct session_purpose *why,
		   struct store_session *row);
/* Keeps the requester's groups until the grant is signed (sess_issue_grant). 0 or -ENOMEM. */
int sess_keep_groups(struct session *s, const char *const *groups, size_t n_groups);
/* The customer's approval policy decides whether s goes on now, waits, or ends. */
void sess_apply_policy(struct session *s, const char *actor);
int64_t sess_now(const struct session_mgr *m);
struct session *sess_find(struct session_mgr *m, int64_t id);
struct session *sess_add(struct session_mgr *m, const struct store_session *row);
void sess_free(struct session *s);
/* Moves s to a live state: persisted, audited. */
void sess_to(struct session *s, enum store_session_state state, const char *reason, const char *actor);
/* Writes every field of s->row; logs a failure (the session goes on in memory). */
void sess_save(struct session *s);
/*
 * Ends s in a final state: line and address released, spgate-dp entry deleted, agent
 * told (failed while its channel is up) or dropped, persisted, audited; s is freed, or
 * kept until the agent answers. code: the API error code of a failure (NULL: internal).
 */
void sess_end(struct session *s, enum store_session_state state, const char *code, const char *actor,
	      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Moves s's line to state (connected), unless an operator or a fault took it out of service. */
void sess_line_state(struct session *s, enum store_line_state state);
/* Closes s the orderly way: closing, the agent tears down, spgate-dp forgets it, closed. */
void sess_close(struct session *s, const char *actor, const char *reason);
/* An audit record about s. */
void sess_audit(struct session *s, const char *actor, const char *action, const char *result, const char *reason);

/* session_sp.c */
/* Signs s's grant, bound to our agent client certificate; only once s may proceed (authorized
 * and, where the policy asks, approved): a denied or timed-out session never has one. */
int sess_issue_grant(struct session *s, const struct store_system *sys, const struct dpp_hello *hello, char *err,
		     size_t errlen);
/* Allocates line, address and SPI and brings the line up (after authorization/approval). */
void sess_proceed(struct session *s, const char *actor);
/*
 * Re-attaches the agent channel of an active session (restart, or lost channel). Returns
 * false when the agent refused at once and s was ended (and freed).
 */
bool sess_reattach(struct session *s);
/* The address the agent sends s's ESP to (its grant's gw_outer); 0 before it has a grant. */
uint32_t sess_outer_address(const struct session *s);
/* Starts a rekey (rekey_after, or to (re)install s in spgate-dp); 0 or -errno. */
int sess_rekey(struct session *s);
/* Lets go of the agent channel without telling the agent. */
void sess_sp_drop(struct session *s);
/* What s's line reports (done: dialed; speed_changed: retrain; dropped: call lost). */
extern const struct line_events sess_line_events;

/* session_restore.c */
/* What spgate-dp should hold: how many sessions we installed there, and their ids' hash as
 * spgate-dp's STATS computes it (spg_dp_ids_fold). */
void sess_expected_dp(struct session_mgr *m, uint32_t *n, uint32_t *ids_hash);
/*
 * The periodic check (sessions.reconcile): compares spgate-dp's STATS with sess_expected_dp
 * and, only when they differ, reconciles as at a reconnect: rekeys and re-adds what is
 * missing, deletes what we do not own.
 */
void sess_reconcile_check(struct session_mgr *m);

/* session_record.c */
/* Starts s's recording when its customer's policy says so, after s is in spgate-dp. Returns
 * false when s was ended (required, and the recording cannot start). */
bool sess_record_start(struct session *s);
/* Stops s's recording, seals it, hashes it, audits it and applies retention (sess_end). */
void sess_record_stop(struct session *s);
/* What a SESSION_LIST entry says about s's recording: noted, acted on by sess_record_act. */
void sess_record_seen(struct session *s, const struct spg_dp_session_info *info);
/* spgate-dp no longer has s: its recording is lost. */
void sess_record_lost(struct session *s);
/* After a listing: ends (required) or marks the sessions whose recording failed. */
void sess_record_act(struct session_mgr *m);
/* After a restart: finds s's running recording in the store. */
void sess_record_restore(struct session *s);

/* session_join.c */
/* Sends s's joiners to spgate-dp (SESSION_JOINERS); 0 or -errno (-EOPNOTSUPP: it cannot). */
int sess_join_push(struct session *s);
/* After s was (re-)added to spgate-dp: its joiners, if any, go too. */
void sess_join_readd(struct session *s);
/* What a SESSION_LIST entry says about s's joiners: noted; sess_join_resend acts on it. */
void sess_join_seen(struct session *s, const struct spg_dp_session_info *info);
/* After a listing: re-sends the joiners of the sessions spgate-dp has otherwise. */
void sess_join_resend(struct session_mgr *m);
/* s ends: every pending or accepted participant ends with it (audited). */
void sess_join_end_all(struct session *s, const char *reason);
/* After a restart: s's accepted joiners from the store. */
void sess_join_restore(struct session *s);
/* Expires the join requests due at now. */
void sess_join_expire(struct session_mgr *m, int64_t now);

/* session_timers.c */
void sess_poll_counters(struct session_mgr *m);

#endif
