/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session lifecycle (docs/control-plane.md §2, DESIGN §4):
 *
 *   requested -> authorized -> [awaiting_approval] -> dialing -> sp_auth -> keyed -> active
 *             -> closing -> closed          or, from any live state, failed(reason)
 *
 * Every transition is written to the store (so it survives a restart) and to the audit
 * trail. Timers: the approval deadline, the idle timeout (from spgate-dp's counters, polled
 * every few seconds), the maximum duration, the agent channel's grace after it was lost,
 * and the rekey interval. When a session ends its line is released and its virtual address
 * held back for sessions.address_holdback.
 *
 * The session talks to its peers (the SP's agent, spgate-dp, the line) through struct
 * session_peers, which main.c fills with sp_handshake.h, dp_prog.h and line.h and the unit
 * tests with fakes.
 */
#ifndef SPG_SESSION_H
#define SPG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "alloc.h"
#include "audit.h"
#include "config.h"
#include "dp_api.h"
#include "dp_prog.h"
#include "line.h"
#include "snmp/snmp.h"
#include "sp_handshake.h"
#include "store/participant_store.h"
#include "store/session_store.h"

struct session_peers {
	/* The SP's agent (sp_handshake.h): the same contracts as sph_open ... sph_free. */
	struct sph_conn *(*sp_open)(void *arg, const struct sph_params *p, const struct sph_events *ev,
				    void *ev_arg);
	struct sph_conn *(*sp_attach)(void *arg, const struct sph_params *p, const struct sph_events *ev,
				      void *ev_arg);
	int (*sp_rekey)(void *arg, struct sph_conn *c, uint32_t new_gw_spi);
	int (*sp_close)(void *arg, struct sph_conn *c, const char *reason);
	void (*sp_free)(void *arg, struct sph_conn *c);
	/* spgate-dp (dp_prog.h). dp_hello returns NULL while spgate-dp is not up. */
	const struct dpp_hello *(*dp_hello)(void *arg);
	int (*dp_add)(void *arg, const struct spg_dp_session_params *p);
	int (*dp_update)(void *arg, uint32_t what, const struct spg_dp_session_params *p);
	int (*dp_delete)(void *arg, uint64_t id);
	int (*dp_list)(void *arg, int (*fn)(const struct spg_dp_session_info *s, void *a), void *a);
	/* spgate-dp's STATS (n_sessions, ids_hash) for the periodic check of sessions.reconcile.
	 * NULL: no periodic check (only the one at each (re)connect). */
	int (*dp_stats)(void *arg, struct spg_dp_stats_rep *rep);
	/* SESSION_RECORD (start/stop a recording). NULL: as a dataplane answering EOPNOTSUPP. */
	int (*dp_record)(void *arg, const struct spg_dp_session_record_req *req, struct spg_dp_record_rep *rep);
	/* SESSION_JOINERS (join). NULL: as a dataplane answering EOPNOTSUPP. */
	int (*dp_joiners)(void *arg, const struct spg_dp_session_joiners_req *req);
	/* The line (line.h). */
	struct line_call *(*line_connect)(void *arg, const struct store_line *line, const struct store_system *sys,
					  uint16_t default_agent_port, const struct line_events *ev, void *ev_arg);
	void (*line_cancel)(void *arg, struct line_call *c);
	/* A restart: takes over the session's modem call (line_reattach). NULL: such sessions
	 * fail at restart, their call taken for lost. */
	struct line_call *(*line_reattach)(void *arg, const struct store_line *line, const struct store_system *sys,
					   uint16_t default_agent_port, uint64_t speed_bps, const struct line_events *ev,
					   void *ev_arg);
};

struct session_env {
	struct event_base *base;
	const struct ctl_config *cfg;
	struct store *store;
	struct audit *audit;       /* may be NULL (tests) */
	EVP_PKEY *grant_key;       /* the vendor's Ed25519 key that signs grants */
	const char *gw_cert;       /* SHA-256 (hex) of our agent client certificate: each grant
	                              is bound to it (the agents check it on open) */
	const struct session_peers *peers;
	void *peers_arg;
	int64_t (*now)(void);      /* unix seconds; NULL: time(NULL) */
	unsigned tick_ms;          /* timers' granularity; 0: 1000 */
	unsigned poll_ticks;       /* counters polled every this many ticks; 0: 5 */
	struct snmp_reporter *snmp; /* notifications (snmp/snmp.h); NULL: none */
	/* this host's lease (fleet.h): agents are re-attached only while it is fresh; NULL: always */
	const struct fleet *fleet;
};

/* What `connect` asks for; the caller has authenticated the user. */
struct session_request {
	const char *serial;
	const char *user;
	const char *const *groups;
	size_t n_groups;
	bool privileged;      /* sees every system */
	uint32_t workstation; /* W, network order */
	/* the fleet's host to run the session (gateway.connect: least_loaded, fleet_place.h);
	 * NULL or this host's id: this host */
	const char *owner;
};

/* What the session is for (issue 15): kept with it, its audit records, traps and recording. */
struct session_purpose {
	const char *reason; /* why (connect --reason); NULL or "" none */
	const char *ticket; /* the service ticket ("T42") it works on; NULL or "" none */
};

struct session_mgr;
struct fleet;

/* NULL with errno set. Arms the timers; sessions come with session_mgr_restore. */
struct session_mgr *session_mgr_new(const struct session_env *env);
/*
 * Forgets the sessions in memory without ending them: the store keeps them, spgate-dp keeps
 * forwarding and the agents keep their tunnels for agent.grace, so a restarted daemon can
 * take them over (session_mgr_restore).
 */
void session_mgr_free(struct session_mgr *m);

/*
 * Takes over the live sessions of the store after a start: waiting approvals wait on,
 * active sessions re-attach their agent channel (retrying within agent.grace), sessions
 * caught half-way are failed and cleaned up, closing ones are closed. Returns how many
 * sessions were taken over, or -errno.
 */
int session_mgr_restore(struct session_mgr *m);

/*
 * Takes the live sessions this host now owns because it took dead host from's place
 * (store_gateway_take moved them): as after a restart, active ones re-attach to their agent
 * (with the grant that opened them, over this host's channel) and, once attached, are rekeyed
 * and added to this host's spgate-dp; waiting approvals wait on here; sessions half-way set
 * up, and those whose modem call was on the dead host's line, fail with a reason. Each is
 * audited (session_taken_over) and rechecked for decisions taken while nobody ran it.
 * Returns how many live on, or -errno.
 */
int session_mgr_take(struct session_mgr *m, const char *from);
/*
 * Fenced (another host took this one's lease and sessions): deletes every session held from
 * spgate-dp and forgets it without writing the store or telling the agent (its new owner
 * has it). Returns how many were dropped.
 */
size_t session_mgr_forget_all(struct session_mgr *m);

/*
 * Tells the manager spgate-dp came up (again) or went away. Up: reconcile: sessions the
 * store has as active but spgate-dp lacks are rekeyed through their agent and re-added;
 * spgate-dp's sessions the store does not know are deleted; the others are not touched.
 */
void session_mgr_dp_state(struct session_mgr *m, bool up);

/*
 * Starts a session (the API's connect). Returns 0 with *out the session in its state now
 * (when it already failed, *error_code is the API's code for it, else NULL); -EACCES when
 * the user may not reach serial; -ENOENT no such system; -EBUSY when someone holds the
 * system (*holder filled); -ENOTCONN when spgate-dp is not up; -EINVAL when the customer
 * requires a reason or a ticket the request lacks (*error_code "reason_required" or
 * "ticket_required"); other -errno.
 */
int session_connect(struct session_mgr *m, const struct session_request *req, struct store_session *out,
		    const char **error_code, struct alloc_holder *holder);
/* session_connect with what the session is for (NULL: nothing given). */
int session_connect_for(struct session_mgr *m, const struct session_request *req, const struct session_purpose *why,
			struct store_session *out, const char **error_code, struct alloc_holder *holder);

/*
 * Approves or denies a session awaiting approval, as actor. A session another gateway host
 * owns gets the decision in the store and its owner a notification (it proceeds there: *out
 * may still be awaiting approval). 0 with *out the session;
 * -ENOENT no such session or approval; -EALREADY already decided; -ETIMEDOUT expired;
 * -EINVAL not awaiting approval.
 */
int session_decide(struct session_mgr *m, int64_t id, bool approve, const char *actor, struct store_session *out);

/*
 * Ends a session (the API's disconnect). 0 with *out (closing or closed; still live when
 * another gateway host owns it: the request is in the store and the owner notified); -ENOENT.
 */
int session_disconnect(struct session_mgr *m, int64_t id, const char *actor, const char *reason,
		       struct store_session *out);

/*
 * Whether session id is active in the store but its agent's control channel is lost (the
 * grace of agent.grace runs): shown as state "degraded" with why (a sentence) in reason.
 * Not a store state: it lasts seconds, and every timer keeps treating the session as active.
 */
bool session_degraded(struct session_mgr *m, int64_t id, char *why, size_t len);

/* The session as the store has it. 0 or -ENOENT. */
int session_get(struct session_mgr *m, int64_t id, struct store_session *out);

/*
 * Acts on what another gateway host decided for session id, which this host owns (a
 * notification, fleet_listen.h): re-reads the store and, when it holds a disconnect request
 * or an approval decision that passes the checks a local one passes, acts on it as if it had
 * been made here. A session this host does not hold is left alone, unless the host that was
 * asked for it handed it on to this one (gateway.connect: least_loaded; placement_store.h):
 * then this host claims it once, checks it again and runs it. 0 or -errno (the store's).
 */
int session_mgr_recheck(struct session_mgr *m, int64_t id);
/* session_mgr_recheck for every session held, and every one handed on to this host and not
 * claimed yet: the polling while notifications are down. */
void session_mgr_recheck_all(struct session_mgr *m);

/* Sessions held in memory (live ones, and ended ones still draining their agent channel). */
size_t session_mgr_count(const struct session_mgr *m);
/* Sessions held whose agents send ESP to outer (network order): their grants' gw_outer. */
size_t session_mgr_count_from(struct session_mgr *m, uint32_t outer);

/* ---- join (issue 15): session_join.c ---- */

/* What `join` asks for; the caller has authenticated the user (step-up, workstation rules). */
struct join_request {
	int64_t session_id;
	const char *user;
	const char *const *groups;
	size_t n_groups;
	bool privileged;      /* sees every system */
	uint32_t workstation; /* W_j, network order */
};

/*
 * Asks to join session_id (a pending participant row, due in sessions.approval_timeout).
 * 0 with *out; or -ENOENT no such live session; -EACCES the user may not reach its system;
 * -EPERM the user holds it; and with *error_code set: -EINVAL ("not_active", "denied",
 * "reason_required", "ticket_required"), -EBUSY ("session_full": SPG_DP_MAX_JOINERS
 * participants live or asking), -EEXIST ("already_requested", "already_joined"),
 * -EADDRINUSE ("workstation_in_use"), -EAGAIN ("retry_later": refused a moment ago).
 */
int session_join(struct session_mgr *m, const struct join_request *req, const struct session_purpose *why,
		 struct store_participant *out, const char **error_code);

/* Who decides on a join request: the session's holder, or the customer (under `ask`). */
enum join_side {
	JOIN_SIDE_HOLDER,
	JOIN_SIDE_CUSTOMER,
};

/*
 * actor's vote, for side, on engineer's pending request to join session_id. Refusing ends
 * the request; accepting accepts it once every side needed said yes: a slot is taken and
 * spgate-dp gets SESSION_JOINERS (a dataplane that refuses makes it refused, reason set).
 * 0 with *out; -ENOENT no pending request; -EPERM actor is the joiner (four eyes), or not
 * the holder (side holder), or the holder (side customer: the holder never counts as the
 * customer); -EALREADY this side has voted; -EINVAL the customer's vote is not needed;
 * -ETIMEDOUT the deadline passed (it is expired now).
 */
int session_join_decide(struct session_mgr *m, int64_t session_id, const char *engineer, enum join_side side,
			bool accept, const char *actor, struct store_participant *out);

/*
 * Ends engineer's participation in session_id (accepted: the slot is cleared in spgate-dp at
 * once; pending: the request is withdrawn): left (actor is the joiner) or removed by actor,
 * the session's holder or an operator (by_operator). 0 with *out; -ENOENT none live; -EPERM
 * left by someone else than the joiner, or removed by someone else than holder or operator.
 */
int session_join_end(struct session_mgr *m, int64_t session_id, const char *engineer, const char *actor,
		     bool by_operator, bool left, struct store_participant *out);

/*
 * One timer tick, as the loop runs it every tick_ms: expires approvals, closes sessions
 * past max_duration, gives up lost channels past agent.grace, rekeys due sessions, and
 * every poll_ticks ticks reads spgate-dp's counters and closes idle sessions. Public so
 * tests can drive it with their own clock.
 */
void session_mgr_tick(struct session_mgr *m);

#endif
