/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bringing up a gateway line to a system (DESIGN §4 "dialing", seed steps 324-326): the seam
 * between the session lifecycle and the line's kind, and the lines' run-time health.
 *
 * A `network` line needs nothing: the system's agent is reachable at the system's address,
 * so the result comes at once (on the next loop turn). A `modem` line dials the system's
 * phone numbers in order (dial/dialer.h); once connected the SP answers at the line's peer
 * address and the CONNECT speed is the session's rate. The call then stays up until
 * line_cancel hangs it up; a retrain or a dropped call is reported through the events.
 *
 * Line faults (no dial tone, the modem silent or answering ERROR, the device gone) are
 * counted per line; dial.max_line_faults of them in a row mark the line `failed`, which
 * allocation skips, until an operator enables it again or a health check (ATZ and the init
 * string answering OK, every dial.health_check seconds) passes. A busy or unanswered number
 * is not the line's fault: the line is on hook and free at once.
 */
#ifndef SPG_LINE_H
#define SPG_LINE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "snmp/snmp.h"
#include "store/inventory_store.h"

struct line_result {
	bool ok;
	const char *reason;  /* !ok: "line modem1: +15550101 busy (3 tries)", ... */
	uint32_t agent_addr; /* ok: where spgate-agent listens, network order */
	uint16_t agent_port; /* ok: host order */
	uint64_t speed_bps;  /* ok: the line's speed, 0 for unlimited (network) */
};

typedef void (*line_done_fn)(const struct line_result *r, void *arg);

struct line_events {
	/* Exactly once, never from inside line_connect. !ok: the call is over (no line_cancel). */
	line_done_fn done;
	/* After done(ok): a modem retrained to speed_bps. May be NULL. */
	void (*speed_changed)(uint64_t speed_bps, void *arg);
	/* After done(ok): the call was lost (reason for people); it is over (no line_cancel). */
	void (*dropped)(const char *reason, void *arg);
};

struct line_env {
	struct event_base *base;
	const struct ctl_config *cfg; /* dial.* */
	struct store *store;          /* line state and counters */
	struct snmp_reporter *snmp;   /* may be NULL */
};

struct line_mgr;
struct line_call;

/* NULL with errno set. Arms the health check of failed lines (dial.health_check). */
struct line_mgr *line_mgr_new(const struct line_env *env);
/* Hangs up nothing: calls belong to their sessions, which cancel them first. NULL is fine. */
void line_mgr_free(struct line_mgr *lm);

/*
 * Connects line to sys. default_agent_port is used when the system's address (network) or
 * the line's peer (modem) names none. NULL with errno set (ENOMEM); no event comes then.
 */
struct line_call *line_connect(struct line_mgr *lm, const struct store_line *line, const struct store_system *sys,
			       uint16_t default_agent_port, const struct line_events *ev, void *arg);
/*
 * Takes over a modem call that an earlier spgate-control left up for the session that holds
 * line (a restart; dial_reattach): done(ok) with the agent's address and the speed (the
 * modem's, or speed_bps, the store's) once the modem confirmed the call, then events as for
 * line_connect; or done(!ok) "line modem1: the call was lost while spgate-control was
 * stopped (...)": the call is over (no line_cancel), the line's counters say "dropped".
 * NULL with errno set (ENOMEM; EINVAL: not a modem line); no event comes then.
 */
struct line_call *line_reattach(struct line_mgr *lm, const struct store_line *line, const struct store_system *sys,
				uint16_t default_agent_port, uint64_t speed_bps, const struct line_events *ev, void *arg);
/*
 * Stops a connect in progress or hangs up a connected call; no event comes after. NULL ok.
 * After line_mgr_leave_calls_up a connected call is left up instead (dial_detach).
 */
void line_cancel(struct line_call *c);
/* spgate-control is exiting, sessions live on: line_cancel leaves connected calls up. */
void line_mgr_leave_calls_up(struct line_mgr *lm);

/*
 * An operator's enable/disable of line id: disabled lines are skipped by allocation (a call
 * in progress goes on until its session ends); enabling brings a disabled or failed line
 * back to idle (or connected, if its session still holds it) and forgets its faults.
 * 0, -ENOENT, -EIO.
 */
int line_set_enabled(struct line_mgr *lm, const char *id, bool enabled);

/* Runs one round of health checks now (tests; the timer does it every dial.health_check s). */
void line_mgr_check_failed(struct line_mgr *lm);

#endif
