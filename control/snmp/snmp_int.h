/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the SNMP module: the OID layout of mib/SPGATE-MIB.txt below the configured base,
 * the notification PDUs (built without sending, so the unit tests can read them), the
 * managers' sessions, the served view and the AgentX subagent. Only snmp.c sees them all.
 */
#ifndef SPG_SNMP_INT_H
#define SPG_SNMP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>

#include "snmp/snmp.h"

/* ---- mib.c: the layout of SPGATE-MIB below the base B ---- */

#define SNMP_ARC_NOTIFICATIONS 0 /* B.0.n */
#define SNMP_ARC_OBJECTS 1       /* B.1 */
#define SNMP_ARC_SESSIONS 1      /* B.1.1.1.col.id */
#define SNMP_ARC_LINES 2         /* B.1.2.1.col.len.chars */
#define SNMP_ARC_DATAPLANE 3     /* B.1.3.n.0, B.1.3.10.1.col.port, B.1.3.11.1.col.reason */
#define SNMP_ARC_NOTIFY_OBJECTS 4 /* B.1.4.n.0 */

enum snmp_notification {
	SNMP_NOTIFY_SESSION_UP = 1,
	SNMP_NOTIFY_SESSION_DOWN,
	SNMP_NOTIFY_DIAL_FAILURE,
	SNMP_NOTIFY_AUTH_FAILURE,
	SNMP_NOTIFY_LINE_STATE,
	SNMP_NOTIFY_DP_PORT_DOWN,
	SNMP_NOTIFY_DP_PORT_UP,
	SNMP_NOTIFY_SESSION_DEGRADED,
};

/* SpgSessionStatus' degraded(11): after the store's states, never stored (SPGATE-MIB). */
#define SNMP_SESSION_STATUS_DEGRADED 11

/* Columns of spgSessionEntry. */
enum snmp_session_col {
	SNMP_SESS_SERIAL = 2,
	SNMP_SESS_CUSTOMER,
	SNMP_SESS_ENGINEER,
	SNMP_SESS_LINE,
	SNMP_SESS_STATE,
	SNMP_SESS_REASON,
	SNMP_SESS_VIRTUAL,
	SNMP_SESS_WORKSTATION,
	SNMP_SESS_SP_ADDRESS,
	SNMP_SESS_PEER_ADDRESS,
	SNMP_SESS_SPEED,
	SNMP_SESS_OUT_PACKETS,
	SNMP_SESS_OUT_OCTETS,
	SNMP_SESS_OUT_DROPS,
	SNMP_SESS_IN_PACKETS,
	SNMP_SESS_IN_OCTETS,
	SNMP_SESS_IN_DROPS,
	SNMP_SESS_START_TIME,
};

/* Columns of spgLineEntry. */
enum snmp_line_col {
	SNMP_LINE_TYPE = 2,
	SNMP_LINE_REGION,
	SNMP_LINE_CUSTOMER,
	SNMP_LINE_STATE,
	SNMP_LINE_SESSION,
	SNMP_LINE_CALLS,
	SNMP_LINE_FAILURES,
	SNMP_LINE_CONSECUTIVE_FAULTS,
	SNMP_LINE_LAST_RESULT,
	SNMP_LINE_DEVICE,
};

/* Scalars and tables of spgDataplane. */
enum snmp_dp_obj {
	SNMP_DP_UP = 1,
	SNMP_DP_UPTIME,
	SNMP_DP_SESSIONS,
	SNMP_DP_MAX_SESSIONS,
	SNMP_DP_OUT_PACKETS,
	SNMP_DP_OUT_OCTETS,
	SNMP_DP_IN_PACKETS,
	SNMP_DP_IN_OCTETS,
	SNMP_DP_DROPS,
	SNMP_DP_PORT_TABLE,
	SNMP_DP_DROP_TABLE,
};

enum snmp_dp_port_col {
	SNMP_PORT_NAME = 2,
	SNMP_PORT_RX_PACKETS,
	SNMP_PORT_RX_OCTETS,
	SNMP_PORT_TX_PACKETS,
	SNMP_PORT_TX_OCTETS,
	SNMP_PORT_RX_MISSED,
	SNMP_PORT_TX_ERRORS,
};

enum snmp_dp_drop_col { SNMP_DROP_NAME = 2, SNMP_DROP_COUNT };

/* spgNotifyObjects. */
enum snmp_notify_obj {
	SNMP_NO_SESSION_ID = 1,
	SNMP_NO_SERIAL,
	SNMP_NO_ENGINEER,
	SNMP_NO_LINE_ID,
	SNMP_NO_SP_ADDRESS,
	SNMP_NO_PEER_ADDRESS,
	SNMP_NO_SPEED,
	SNMP_NO_SESSION_STATE,
	SNMP_NO_REASON,
	SNMP_NO_RESULT,
	SNMP_NO_SOURCE,
	SNMP_NO_LINE_STATE,
	SNMP_NO_LINE_OLD_STATE,
	SNMP_NO_PORT_INDEX,
	SNMP_NO_AUTH_FACTOR,
	SNMP_NO_RECORDED = 20,       /* issue 15 */
	SNMP_NO_REQUEST_REASON = 21,
};

struct snmp_mib {
	oid base[MAX_OID_LEN];
	size_t base_len;
};

/* The base from the configuration (validated there). */
void snmp_mib_init(struct snmp_mib *m, const uint32_t *base, unsigned base_len);
/*
 * base . arcs[0..n) into out (MAX_OID_LEN sub-identifiers); the length, or 0 when it would
 * not fit.
 */
size_t snmp_mib_oid(const struct snmp_mib *m, oid *out, const oid *arcs, size_t n);
/* "1.3.6.1" into out[0..*n); false when it is not one. */
bool snmp_mib_parse_oid(const char *text, oid *out, size_t max, size_t *n);
/* SpgSessionStatus / SpgLineStatus values (1-based) of the store's states. */
int32_t snmp_mib_session_state(enum store_session_state s);
/* spgSessionState of a row: degraded(11) for an active session whose SP channel is lost. */
int32_t snmp_mib_session_status(enum store_session_state s, bool degraded);
int32_t snmp_mib_line_state(enum store_line_state s);
/* spgLineType: network(1), modem(2). */
int32_t snmp_mib_line_type(enum store_connect c);
/* A speed in bit/s as Gauge32: capped at 2^32 - 1. */
uint32_t snmp_mib_gauge(uint64_t v);
/* Unix seconds as an 11-octet DateAndTime in UTC (zone +0:0); the length (11). */
size_t snmp_mib_date_and_time(int64_t unix_s, uint8_t out[11]);
/* The index of a line row: its id's length, then its octets; the arcs written or 0. */
size_t snmp_mib_string_index(const char *s, oid *out, size_t max);
/* The name of a notification, for logs ("spgSessionUp"). */
const char *snmp_mib_notification_name(enum snmp_notification n);

/* ---- notify_pdu.c: the notifications as PDUs ---- */

/*
 * A TRAP2 or INFORM PDU (pdu_type SNMP_MSG_TRAP2 | SNMP_MSG_INFORM) with sysUpTime.0 and
 * snmpTrapOID.0 first, then the notification's objects as spgNotifyX.0. NULL without memory.
 */
netsnmp_pdu *snmp_pdu_session_up(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				 const struct store_session *s);
netsnmp_pdu *snmp_pdu_session_degraded(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				       const struct store_session *s, const char *why);
netsnmp_pdu *snmp_pdu_session_down(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				   const struct store_session *s);
netsnmp_pdu *snmp_pdu_dial_failure(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				   const char *line_id, const char *serial, int64_t session_id,
				   const char *result);
netsnmp_pdu *snmp_pdu_auth_failure_factor(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
					  const char *user, const char *source, const char *factor);
netsnmp_pdu *snmp_pdu_auth_failure(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				   const char *user, const char *source);
netsnmp_pdu *snmp_pdu_line_state(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				 const struct store_line *l, enum store_line_state old_state);
netsnmp_pdu *snmp_pdu_dp_port(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
			      unsigned port_index, bool up);

/* ---- notify.c: the managers ---- */

struct snmp_managers;

/* Opens a session to every manager of cfg->snmp (after init_snmp). NULL with err set. */
struct snmp_managers *snmp_managers_open(struct event_base *base, const struct ctl_config *cfg,
					 char *err, size_t errlen);
void snmp_managers_close(struct snmp_managers *ms);
/* Sends pdu (then freed) to every manager without waiting; failures are logged. */
void snmp_managers_send(struct snmp_managers *ms, netsnmp_pdu *pdu, const char *what);
/* SNMP_MSG_TRAP2 or SNMP_MSG_INFORM, as configured. */
int snmp_managers_pdu_type(const struct snmp_managers *ms);

/* ---- view.c: what the subagent serves, sorted by OID ---- */

struct snmp_view_entry {
	size_t name_off; /* into the view's oid arena */
	size_t name_len;
	u_char type;
	size_t len;      /* value bytes */
	size_t val_off;  /* into the view's byte arena */
};

struct snmp_view {
	struct snmp_view_entry *entries;
	size_t n, cap;
	oid *names;
	size_t names_len, names_cap;
	uint8_t *bytes;
	size_t bytes_len, bytes_cap;
	bool failed; /* out of memory while building: do not swap it in */
};

void snmp_view_init(struct snmp_view *v);
void snmp_view_clear(struct snmp_view *v);
/* Adds name = value (type ASN_*; integers and counters as their C types). */
void snmp_view_add(struct snmp_view *v, const oid *name, size_t name_len, u_char type,
		   const void *val, size_t len);
void snmp_view_add_string(struct snmp_view *v, const oid *name, size_t name_len, const char *s);
void snmp_view_add_u32(struct snmp_view *v, const oid *name, size_t name_len, u_char type,
		       uint32_t x);
void snmp_view_add_i32(struct snmp_view *v, const oid *name, size_t name_len, int32_t x);
void snmp_view_add_c64(struct snmp_view *v, const oid *name, size_t name_len, uint64_t x);
/* Addresses in network order. */
void snmp_view_add_ip(struct snmp_view *v, const oid *name, size_t name_len, uint32_t addr);
/* Sorts the entries by OID; call once after the last add. */
void snmp_view_sort(struct snmp_view *v);
/* The entry named name exactly, or the first after it; NULL if none. */
const struct snmp_view_entry *snmp_view_get(const struct snmp_view *v, const oid *name, size_t len);
const struct snmp_view_entry *snmp_view_next(const struct snmp_view *v, const oid *name, size_t len);
const oid *snmp_view_name(const struct snmp_view *v, const struct snmp_view_entry *e);
const void *snmp_view_value(const struct snmp_view *v, const struct snmp_view_entry *e);

/* ---- tables.c: the rows, from what the sources returned ---- */

struct snmp_data {
	struct store_session *sessions; /* degraded ones with why in reason */
	size_t n_sessions, cap_sessions;
	bool *degraded; /* [i]: sessions[i] is degraded; NULL: none is */
	size_t cap_degraded;
	struct spg_dp_session_info *dp_sessions;
	size_t n_dp_sessions, cap_dp_sessions;
	struct store_line *lines;
	size_t n_lines, cap_lines;
	bool dp_up;
	struct spg_dp_stats_rep dp_stats;
	bool have_drops;
	struct spg_dp_drops_rep dp_drops;
};

/* Reads everything from src into d (emptied first). -ENOMEM, or 0. */
int snmp_data_collect(struct snmp_data *d, const struct snmp_sources *src);
void snmp_data_free(struct snmp_data *d);
/* Adds the session, line and dataplane objects of d to v. */
void snmp_tables_build(struct snmp_view *v, const struct snmp_mib *m, const struct snmp_data *d);

/* ---- agentx.c: the subagent on the event loop ---- */

struct snmp_agentx;

/*
 * Starts net-snmp as an AgentX subagent of the master at cfg->snmp.agentx_socket (which
 * need not be up: the subagent retries every agentx_ping seconds) and registers the base's
 * objects, served from *view (the caller swaps it). Calls init_snmp: once per process.
 */
struct snmp_agentx *snmp_agentx_start(struct event_base *base, const struct ctl_config *cfg,
				      const struct snmp_mib *m, struct snmp_view *const *view, char *err,
				      size_t errlen);
void snmp_agentx_stop(struct snmp_agentx *ax);

/* Logs "spgate-control: snmp: ..." to stderr, as the rest of spgate-control does. */
void snmp_log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
