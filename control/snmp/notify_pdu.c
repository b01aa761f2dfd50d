/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The notifications of SPGATE-MIB as PDUs: sysUpTime.0 and snmpTrapOID.0 first (RFC 3416
 * 4.2.6), then the notification's OBJECTS as instances .0 of spgNotifyObjects, in the
 * MIB's order. Building is apart from sending so that the tests can read what would go.
 */
#include <stdio.h>
#include <string.h>

#include "snmp/snmp_int.h"

static const oid sys_uptime_oid[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
static const oid snmp_trap_oid_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

struct pdu_builder {
	const struct snmp_mib *m;
	netsnmp_pdu *pdu;
	bool failed;
};

static void add(struct pdu_builder *b, const oid *name, size_t len, u_char type, const void *val, size_t vlen)
{
	if (b->failed)
		return;
	if (len == 0 || snmp_pdu_add_variable(b->pdu, name, len, type, val, vlen) == NULL)
		b->failed = true;
}

/* spgNotifyX.0 */
static size_t notify_obj(const struct snmp_mib *m, enum snmp_notify_obj obj, oid *out)
{
	const oid arcs[] = {SNMP_ARC_OBJECTS, SNMP_ARC_NOTIFY_OBJECTS, obj, 0};

	return snmp_mib_oid(m, out, arcs, 4);
}

static void add_string(struct pdu_builder *b, enum snmp_notify_obj obj, const char *s)
{
	oid name[MAX_OID_LEN];

	add(b, name, notify_obj(b->m, obj, name), ASN_OCTET_STR, s, strlen(s));
}

static void add_u32(struct pdu_builder *b, enum snmp_notify_obj obj, u_char type, uint32_t x)
{
	oid name[MAX_OID_LEN];
	u_long v = x;

	add(b, name, notify_obj(b->m, obj, name), type, &v, sizeof(v));
}

static void add_i32(struct pdu_builder *b, enum snmp_notify_obj obj, int32_t x)
{
	oid name[MAX_OID_LEN];
	long v = x;

	add(b, name, notify_obj(b->m, obj, name), ASN_INTEGER, &v, sizeof(v));
}

static void add_ip(struct pdu_builder *b, enum snmp_notify_obj obj, uint32_t addr)
{
	oid name[MAX_OID_LEN];

	add(b, name, notify_obj(b->m, obj, name), ASN_IPADDRESS, &addr, 4);
}

/* Session ids are int64 in the store and Unsigned32 in the MIB (4 billion sessions is far). */
static uint32_t session_id32(int64_t id)
{
	return id < 0 || id > UINT32_MAX ? 0 : (uint32_t)id;
}

static bool start(struct pdu_builder *b, const struct snmp_mib *m, int pdu_type, uint32_t uptime,
		  enum snmp_notification n)
{
	oid trap_oid[MAX_OID_LEN];
	const oid arcs[] = {SNMP_ARC_NOTIFICATIONS, n};
	size_t trap_len = snmp_mib_oid(m, trap_oid, arcs, 2);
	u_long ticks = uptime;

	memset(b, 0, sizeof(*b));
	b->m = m;
	b->pdu = snmp_pdu_create(pdu_type);
	if (b->pdu == NULL)
		return false;
	add(b, sys_uptime_oid, OID_LENGTH(sys_uptime_oid), ASN_TIMETICKS, &ticks, sizeof(ticks));
	add(b, snmp_trap_oid_oid, OID_LENGTH(snmp_trap_oid_oid), ASN_OBJECT_ID, trap_oid, trap_len * sizeof(oid));
	return !b->failed;
}

static netsnmp_pdu *finish(struct pdu_builder *b)
{
	if (b->failed) {
		snmp_free_pdu(b->pdu);
		return NULL;
	}
	return b->pdu;
}

static void add_session(struct pdu_builder *b, const struct store_session *s)
{
	add_u32(b, SNMP_NO_SESSION_ID, ASN_UNSIGNED, session_id32(s->id));
	add_string(b, SNMP_NO_SERIAL, s->serial);
	add_string(b, SNMP_NO_ENGINEER, s->user);
	add_string(b, SNMP_NO_LINE_ID, s->line_id);
	add_ip(b, SNMP_NO_SP_ADDRESS, s->sp_address);
	add_ip(b, SNMP_NO_PEER_ADDRESS, s->agent_address);
	add_u32(b, SNMP_NO_SPEED, ASN_GAUGE, snmp_mib_gauge(s->speed_bps));
}

/* Issue 15's varbinds: recorded (TruthValue: 1 true, 2 false) and "T42: reason". */
static void add_purpose(struct pdu_builder *b, const struct store_session *s)
{
	char why[STORE_NAME_MAX + STORE_REASON_MAX + 4];

	add_i32(b, SNMP_NO_RECORDED, s->recorded ? 1 : 2);
	snprintf(why, sizeof(why), "%s%s%s", s->ticket, s->ticket[0] != '\0' && s->request_reason[0] != '\0' ? ": " : "",
		 s->request_reason);
	add_string(b, SNMP_NO_REQUEST_REASON, why);
}

netsnmp_pdu *snmp_pdu_session_up(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				 const struct store_session *s)
{
	struct pdu_builder b;

	if (!start(&b, m, pdu_type, uptime, SNMP_NOTIFY_SESSION_UP))
		return finish(&b);
	add_session(&b, s);
	add_purpose(&b, s);
	return finish(&b);
}

netsnmp_pdu *snmp_pdu_session_degraded(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				       const struct store_session *s, const char *why)
{
	struct pdu_builder b;

	if (!start(&b, m, pdu_type, uptime, SNMP_NOTIFY_SESSION_DEGRADED))
		return finish(&b);
	add_u32(&b, SNMP_NO_SESSION_ID, ASN_UNSIGNED, session_id32(s->id));
	add_string(&b, SNMP_NO_SERIAL, s->serial);
	add_string(&b, SNMP_NO_ENGINEER, s->user);
	add_string(&b, SNMP_NO_LINE_ID, s->line_id);
	add_ip(&b, SNMP_NO_SP_ADDRESS, s->sp_address);
	add_ip(&b, SNMP_NO_PEER_ADDRESS, s->agent_address);
	add_string(&b, SNMP_NO_REASON, why != NULL ? why : "");
	return finish(&b);
}

netsnmp_pdu *snmp_pdu_session_down(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				   const struct store_session *s)
{
	struct pdu_builder b;

	if (!start(&b, m, pdu_type, uptime, SNMP_NOTIFY_SESSION_DOWN))
		return finish(&b);
	add_session(&b, s);
	add_i32(&b, SNMP_NO_SESSION_STATE, snmp_mib_session_state(s->state));
	add_string(&b, SNMP_NO_REASON, s->reason);
	add_purpose(&b, s);
	return finish(&b);
}

netsnmp_pdu *snmp_pdu_dial_failure(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				   const char *line_id, const char *serial, int64_t session_id,
				   const char *result)
{
	struct pdu_builder b;

	if (!start(&b, m, pdu_type, uptime, SNMP_NOTIFY_DIAL_FAILURE))
		return finish(&b);
	add_u32(&b, SNMP_NO_SESSION_ID, ASN_UNSIGNED, session_id32(session_id));
	add_string(&b, SNMP_NO_SERIAL, serial != NULL ? serial : "");
	add_string(&b, SNMP_NO_LINE_ID, line_id != NULL ? line_id : "");
	add_string(&b, SNMP_NO_RESULT, result != NULL ? result : "");
	return finish(&b);
}

netsnmp_pdu *snmp_pdu_auth_failure_factor(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
					  const char *user, const char *source, const char *factor)
{
	struct pdu_builder b;

	if (!start(&b, m, pdu_type, uptime, SNMP_NOTIFY_AUTH_FAILURE))
		return finish(&b);
	add_string(&b, SNMP_NO_ENGINEER, user != NULL ? user : "");
	add_string(&b, SNMP_NO_SOURCE, source != NULL ? source : "");
	add_string(&b, SNMP_NO_AUTH_FACTOR, factor != NULL ? factor : "password");
	return finish(&b);
}

netsnmp_pdu *snmp_pdu_auth_failure(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				   const char *user, const char *source)
{
	return snmp_pdu_auth_failure_factor(m, pdu_type, uptime, user, source, "password");
}

netsnmp_pdu *snmp_pdu_line_state(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
				 const struct store_line *l, enum store_line_state old_state)
{
	struct pdu_builder b;

	if (!start(&b, m, pdu_type, uptime, SNMP_NOTIFY_LINE_STATE))
		return finish(&b);
	add_string(&b, SNMP_NO_LINE_ID, l->id);
	add_i32(&b, SNMP_NO_LINE_STATE, snmp_mib_line_state(l->state));
	add_i32(&b, SNMP_NO_LINE_OLD_STATE, snmp_mib_line_state(old_state));
	add_u32(&b, SNMP_NO_SESSION_ID, ASN_UNSIGNED, session_id32(l->session_id));
	add_string(&b, SNMP_NO_RESULT, l->last_result);
	return finish(&b);
}

netsnmp_pdu *snmp_pdu_dp_port(const struct snmp_mib *m, int pdu_type, uint32_t uptime,
			      unsigned port_index, bool up)
{
	struct pdu_builder b;

	if (!start(&b, m, pdu_type, uptime, up ? SNMP_NOTIFY_DP_PORT_UP : SNMP_NOTIFY_DP_PORT_DOWN))
		return finish(&b);
	/* spgDpPortIndex counts from 1; spgate-dp's port numbers from 0 */
	add_u32(&b, SNMP_NO_PORT_INDEX, ASN_UNSIGNED, port_index + 1);
	return finish(&b);
}
