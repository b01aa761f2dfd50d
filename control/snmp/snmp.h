/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SNMP reporting (DESIGN §4, seed step 337): notifications (traps or informs) to every
 * configured manager, and an AgentX subagent that serves the session and line tables and
 * spgate-dp's counters (mib/SPGATE-MIB.txt). Both run on spgate-control's event loop through
 * net-snmp's own sockets: nothing here blocks, and a manager or snmpd that is down only
 * costs a log line (the subagent reconnects on its own).
 *
 * The rest of spgate-control calls the snmp_notify_* functions at the events the MIB names;
 * they are safe with a NULL reporter (SNMP not configured, unit tests).
 */
#ifndef SPG_SNMP_H
#define SPG_SNMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "dp_api.h"
#include "store/inventory_store.h"
#include "store/session_store.h"

/*
 * Where the subagent reads what it serves. Called from the event loop only; each call must
 * be quick (store reads, or spgate-dp's socket with its short timeout). The subagent keeps
 * what they return in a cache refreshed every few seconds, never inside a request.
 */
struct snmp_sources {
	/* Live sessions and those that ended recently, as the store has them. */
	int (*sessions)(void *arg, int (*fn)(const struct store_session *s, void *a), void *a);
	int (*lines)(void *arg, int (*fn)(const struct store_line *l, void *a), void *a);
	/* spgate-dp's per-session counters; -ENOTCONN while spgate-dp is down. */
	int (*dp_sessions)(void *arg, int (*fn)(const struct spg_dp_session_info *s, void *a), void *a);
	/* spgate-dp's global counters and drops by reason; -ENOTCONN while it is down. */
	int (*dp_stats)(void *arg, struct spg_dp_stats_rep *rep);
	/* spgate-dp's drops by reason (reasons[i] is reason i + 1); -ENOTCONN while it is down. */
	int (*dp_drops)(void *arg, struct spg_dp_drops_rep *rep);
	/*
	 * Whether live session id is degraded (active, its SP control channel lost: session.h's
	 * session_degraded), with why; NULL: no session is.
	 */
	bool (*degraded)(void *arg, int64_t id, char *why, size_t len);
	void *arg;
};

struct snmp_reporter;

/*
 * Starts SNMP as cfg->snmp says (cfg->snmp.enabled false: returns NULL, errno 0). Returns
 * NULL with errno set and a message in err when the configuration cannot be used.
 */
struct snmp_reporter *snmp_new(struct event_base *base, const struct ctl_config *cfg,
			       const struct snmp_sources *src, char *err, size_t errlen);
void snmp_free(struct snmp_reporter *r);

/* A session became active: line, SP address (E_i), speed (0: network), id, serial. */
void snmp_notify_session_up(struct snmp_reporter *r, const struct store_session *s);
/*
 * An active session lost its SP control channel (why): degraded until it is re-attached
 * (snmp_notify_session_up again) or agent.grace ends it (snmp_notify_session_down).
 */
void snmp_notify_session_degraded(struct snmp_reporter *r, const struct store_session *s, const char *why);
/* A session ended (closed or failed); s->reason says why. */
void snmp_notify_session_down(struct snmp_reporter *r, const struct store_session *s);
/* A dial attempt failed for good: line id, the numbers tried, the result, the session. */
void snmp_notify_dial_failure(struct snmp_reporter *r, const char *line_id, const char *serial,
			      int64_t session_id, const char *result);
/* An engineer's or operator's login failed (the user name as given, where from). */
void snmp_notify_auth_failure(struct snmp_reporter *r, const char *user, const char *source);
/* The same naming the factor that failed: "password", "totp", "radius-challenge", "challenge". */
void snmp_notify_auth_failure_factor(struct snmp_reporter *r, const char *user, const char *source,
				     const char *factor);
/* A line changed state (idle, dialing, connected, failed, disabled). */
void snmp_notify_line_state(struct snmp_reporter *r, const struct store_line *l,
			    enum store_line_state old_state);
/*
 * A port of spgate-dp (enum spg_dp_port_index: 0 vendor, 1 SP; spgDpPortIndex 1 and 2) went
 * down or came back (link state as spgate-dp reports it).
 */
void snmp_notify_dp_port(struct snmp_reporter *r, unsigned port_index, bool up);

#endif
