/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SNMP reporting without a network: the OID layout of SPGATE-MIB, the notification PDUs as
 * they would be sent (checked varbind by varbind), and the view the subagent serves.
 * The PDUs go nowhere; tests/integration/test_snmp.sh sends them to a real snmptrapd.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "snmp/snmp_int.h"
#include "unit_run.h"

/* The default base: net-snmp's playpen. */
static const uint32_t base[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999};
#define BASE_LEN 9

static struct snmp_mib mib(void)
{
	struct snmp_mib m;

	snmp_mib_init(&m, base, BASE_LEN);
	return m;
}

static uint32_t ip(const char *s)
{
	return inet_addr(s);
}

static netsnmp_variable_list *var_at(netsnmp_pdu *p, unsigned i)
{
	netsnmp_variable_list *v = p->variables;

	while (v != NULL && i-- > 0)
		v = v->next_variable;
	return v;
}

static unsigned var_count(netsnmp_pdu *p)
{
	netsnmp_variable_list *v;
	unsigned n = 0;

	for (v = p->variables; v != NULL; v = v->next_variable)
		n++;
	return n;
}

/* True when v is named base.arcs (n arcs). */
static bool named(const netsnmp_variable_list *v, const oid *arcs, size_t n)
{
	oid want[MAX_OID_LEN];
	size_t i;

	for (i = 0; i < BASE_LEN; i++)
		want[i] = base[i];
	memcpy(want + BASE_LEN, arcs, n * sizeof(oid));
	return v != NULL && snmp_oid_compare(v->name, v->name_length, want, BASE_LEN + n) == 0;
}

/* spgNotifyX.0 */
static bool is_notify_obj(const netsnmp_variable_list *v, enum snmp_notify_obj obj)
{
	const oid arcs[] = {1, 4, obj, 0};

	return named(v, arcs, 4);
}

static bool string_is(const netsnmp_variable_list *v, const char *s)
{
	return v != NULL && v->type == ASN_OCTET_STR && v->val_len == strlen(s) &&
	       memcmp(v->val.string, s, v->val_len) == 0;
}

static bool ip_is(const netsnmp_variable_list *v, const char *s)
{
	uint32_t a = ip(s);

	return v != NULL && v->type == ASN_IPADDRESS && v->val_len == 4 && memcmp(v->val.string, &a, 4) == 0;
}

static bool integer_is(const netsnmp_variable_list *v, u_char type, long x)
{
	return v != NULL && v->type == type && *v->val.integer == x;
}

/* sysUpTime.0 = uptime, snmpTrapOID.0 = base.0.n: the two every notification starts with. */
static bool starts_as(netsnmp_pdu *p, int type, uint32_t uptime, enum snmp_notification n)
{
	static const oid sys_uptime[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
	static const oid trap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};
	netsnmp_variable_list *v0 = var_at(p, 0), *v1 = var_at(p, 1);
	oid want[MAX_OID_LEN];
	size_t i;

	for (i = 0; i < BASE_LEN; i++)
		want[i] = base[i];
	want[BASE_LEN] = 0;
	want[BASE_LEN + 1] = n;
	return p->command == type && v0 != NULL && v1 != NULL &&
	       snmp_oid_compare(v0->name, v0->name_length, sys_uptime, OID_LENGTH(sys_uptime)) == 0 &&
	       integer_is(v0, ASN_TIMETICKS, uptime) &&
	       snmp_oid_compare(v1->name, v1->name_length, trap_oid, OID_LENGTH(trap_oid)) == 0 &&
	       v1->type == ASN_OBJECT_ID &&
	       snmp_oid_compare(v1->val.objid, v1->val_len / sizeof(oid), want, BASE_LEN + 2) == 0;
}

static struct store_session a_session(void)
{
	struct store_session s;

	memset(&s, 0, sizeof(s));
	s.id = 42;
	snprintf(s.serial, sizeof(s.serial), "CK2001");
	snprintf(s.customer, sizeof(s.customer), "acme");
	snprintf(s.user, sizeof(s.user), "alice");
	snprintf(s.line_id, sizeof(s.line_id), "net-eu-1");
	s.state = STORE_SESSION_ACTIVE;
	s.virtual_address = ip("198.19.0.1");
	s.workstation = ip("198.51.100.10");
	s.sp_address = ip("192.0.2.10");
	s.agent_address = ip("203.0.113.11");
	s.speed_bps = 33600;
	s.created = 1700000000;
	return s;
}

static void oids_are_built_below_the_configured_base(void)
{
	struct snmp_mib m = mib();
	const oid arcs[] = {1, 1, 1, 2, 42};
	oid out[MAX_OID_LEN], parsed[MAX_OID_LEN];
	size_t n;

	CU_ASSERT_EQUAL(snmp_mib_oid(&m, out, arcs, 5), BASE_LEN + 5);
	CU_ASSERT_EQUAL(out[6], 8072);
	CU_ASSERT_EQUAL(out[BASE_LEN + 4], 42);
	CU_ASSERT_TRUE(snmp_mib_parse_oid(".1.3.6.1.4.1.99999", parsed, MAX_OID_LEN, &n));
	CU_ASSERT_EQUAL(n, 7);
	CU_ASSERT_EQUAL(parsed[6], 99999);
	CU_ASSERT_FALSE(snmp_mib_parse_oid("1.3..6", parsed, MAX_OID_LEN, &n));
	CU_ASSERT_FALSE(snmp_mib_parse_oid("1.3.6.", parsed, MAX_OID_LEN, &n));
	CU_ASSERT_FALSE(snmp_mib_parse_oid("1", parsed, MAX_OID_LEN, &n));
	CU_ASSERT_FALSE(snmp_mib_parse_oid("1.3.x", parsed, MAX_OID_LEN, &n));
	CU_ASSERT_FALSE(snmp_mib_parse_oid("1.3.6.1.4.1.4294967296", parsed, MAX_OID_LEN, &n));
}

static void an_oid_that_would_not_fit_is_refused(void)
{
	struct snmp_mib m = mib();
	oid arcs[MAX_OID_LEN] = {0}, out[MAX_OID_LEN];

	CU_ASSERT_EQUAL(snmp_mib_oid(&m, out, arcs, MAX_OID_LEN - BASE_LEN), MAX_OID_LEN);
	CU_ASSERT_EQUAL(snmp_mib_oid(&m, out, arcs, MAX_OID_LEN - BASE_LEN + 1), 0);
}

static void a_line_index_is_its_length_then_its_octets(void)
{
	oid idx[8];

	CU_ASSERT_EQUAL(snmp_mib_string_index("m-1", idx, 8), 4);
	CU_ASSERT_EQUAL(idx[0], 3);
	CU_ASSERT_EQUAL(idx[1], 'm');
	CU_ASSERT_EQUAL(idx[3], '1');
	CU_ASSERT_EQUAL(snmp_mib_string_index("toolongforeight", idx, 8), 0);
}

static void states_map_to_the_mib_enumerations(void)
{
	CU_ASSERT_EQUAL(snmp_mib_session_state(STORE_SESSION_REQUESTED), 1);
	CU_ASSERT_EQUAL(snmp_mib_session_state(STORE_SESSION_AWAITING_APPROVAL), 3);
	CU_ASSERT_EQUAL(snmp_mib_session_state(STORE_SESSION_ACTIVE), 7);
	CU_ASSERT_EQUAL(snmp_mib_session_state(STORE_SESSION_CLOSED), 9);
	CU_ASSERT_EQUAL(snmp_mib_session_state(STORE_SESSION_FAILED), 10);
	CU_ASSERT_EQUAL(snmp_mib_line_state(STORE_LINE_IDLE), 1);
	CU_ASSERT_EQUAL(snmp_mib_line_state(STORE_LINE_DISABLED), 5);
	CU_ASSERT_EQUAL(snmp_mib_line_type(STORE_CONNECT_NETWORK), 1);
	CU_ASSERT_EQUAL(snmp_mib_line_type(STORE_CONNECT_MODEM), 2);
	CU_ASSERT_EQUAL(snmp_mib_gauge(33600), 33600);
	CU_ASSERT_EQUAL(snmp_mib_gauge(10000000000ull), UINT32_MAX);
}

static void only_an_active_session_shows_degraded(void)
{
	/* degraded(11) comes after the stored states: their numbers stay as they were */
	CU_ASSERT_EQUAL(snmp_mib_session_status(STORE_SESSION_ACTIVE, true), 11);
	CU_ASSERT_EQUAL(snmp_mib_session_status(STORE_SESSION_ACTIVE, false), 7);
	CU_ASSERT_EQUAL(snmp_mib_session_status(STORE_SESSION_KEYED, true), 6);
	CU_ASSERT_EQUAL(snmp_mib_session_status(STORE_SESSION_CLOSING, true), 8);
	CU_ASSERT_EQUAL(snmp_mib_session_status(STORE_SESSION_FAILED, true), 10);
	CU_ASSERT_EQUAL(snmp_mib_session_status(STORE_SESSION_FAILED, false), 10);
}

static void a_start_time_is_a_utc_date_and_time(void)
{
	uint8_t d[11];

	/* 2023-11-14 22:13:20 UTC */
	CU_ASSERT_EQUAL(snmp_mib_date_and_time(1700000000, d), 11);
	CU_ASSERT_EQUAL((d[0] << 8) | d[1], 2023);
	CU_ASSERT_EQUAL(d[2], 11);
	CU_ASSERT_EQUAL(d[3], 14);
	CU_ASSERT_EQUAL(d[4], 22);
	CU_ASSERT_EQUAL(d[5], 13);
	CU_ASSERT_EQUAL(d[6], 20);
	CU_ASSERT_EQUAL(d[8], '+');
	CU_ASSERT_EQUAL(d[9], 0);
	CU_ASSERT_EQUAL(d[10], 0);
}

static void session_up_carries_line_sp_address_speed_id_and_serial(void)
{
	struct snmp_mib m = mib();
	struct store_session s = a_session();
	netsnmp_pdu *p = snmp_pdu_session_up(&m, SNMP_MSG_TRAP2, 1234, &s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(starts_as(p, SNMP_MSG_TRAP2, 1234, SNMP_NOTIFY_SESSION_UP));
	CU_ASSERT_EQUAL(var_count(p), 11);
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 2), SNMP_NO_SESSION_ID));
	CU_ASSERT_TRUE(integer_is(var_at(p, 2), ASN_UNSIGNED, 42));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 3), SNMP_NO_SERIAL));
	CU_ASSERT_TRUE(string_is(var_at(p, 3), "CK2001"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 4), SNMP_NO_ENGINEER));
	CU_ASSERT_TRUE(string_is(var_at(p, 4), "alice"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 5), SNMP_NO_LINE_ID));
	CU_ASSERT_TRUE(string_is(var_at(p, 5), "net-eu-1"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 6), SNMP_NO_SP_ADDRESS));
	CU_ASSERT_TRUE(ip_is(var_at(p, 6), "192.0.2.10"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 7), SNMP_NO_PEER_ADDRESS));
	CU_ASSERT_TRUE(ip_is(var_at(p, 7), "203.0.113.11"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 8), SNMP_NO_SPEED));
	CU_ASSERT_TRUE(integer_is(var_at(p, 8), ASN_GAUGE, 33600));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 9), SNMP_NO_RECORDED));
	CU_ASSERT_TRUE(integer_is(var_at(p, 9), ASN_INTEGER, 2)); /* TruthValue false */
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 10), SNMP_NO_REQUEST_REASON));
	CU_ASSERT_TRUE(string_is(var_at(p, 10), ""));
	snmp_free_pdu(p);
}

static void session_down_adds_the_final_state_and_the_reason(void)
{
	struct snmp_mib m = mib();
	struct store_session s = a_session();
	netsnmp_pdu *p;

	s.state = STORE_SESSION_FAILED;
	snprintf(s.reason, sizeof(s.reason), "dial_failed");
	s.recorded = true;
	snprintf(s.ticket, sizeof(s.ticket), "T42");
	snprintf(s.request_reason, sizeof(s.request_reason), "disk 3 failed");
	p = snmp_pdu_session_down(&m, SNMP_MSG_INFORM, 5, &s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(starts_as(p, SNMP_MSG_INFORM, 5, SNMP_NOTIFY_SESSION_DOWN));
	CU_ASSERT_EQUAL(var_count(p), 13);
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 11), SNMP_NO_RECORDED));
	CU_ASSERT_TRUE(integer_is(var_at(p, 11), ASN_INTEGER, 1)); /* recorded: TruthValue true */
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 12), SNMP_NO_REQUEST_REASON));
	CU_ASSERT_TRUE(string_is(var_at(p, 12), "T42: disk 3 failed"));
	CU_ASSERT_TRUE(string_is(var_at(p, 3), "CK2001"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 9), SNMP_NO_SESSION_STATE));
	CU_ASSERT_TRUE(integer_is(var_at(p, 9), ASN_INTEGER, 10));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 10), SNMP_NO_REASON));
	CU_ASSERT_TRUE(string_is(var_at(p, 10), "dial_failed"));
	snmp_free_pdu(p);
}

static void session_degraded_carries_the_session_and_why_its_channel_was_lost(void)
{
	struct snmp_mib m = mib();
	struct store_session s = a_session();
	netsnmp_pdu *p = snmp_pdu_session_degraded(&m, SNMP_MSG_TRAP2, 77, &s, "connection reset");

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(starts_as(p, SNMP_MSG_TRAP2, 77, SNMP_NOTIFY_SESSION_DEGRADED));
	CU_ASSERT_STRING_EQUAL(snmp_mib_notification_name(SNMP_NOTIFY_SESSION_DEGRADED), "spgSessionDegraded");
	CU_ASSERT_EQUAL(var_count(p), 9);
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 2), SNMP_NO_SESSION_ID));
	CU_ASSERT_TRUE(integer_is(var_at(p, 2), ASN_UNSIGNED, 42));
	CU_ASSERT_TRUE(string_is(var_at(p, 3), "CK2001"));
	CU_ASSERT_TRUE(string_is(var_at(p, 4), "alice"));
	CU_ASSERT_TRUE(string_is(var_at(p, 5), "net-eu-1"));
	CU_ASSERT_TRUE(ip_is(var_at(p, 6), "192.0.2.10"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 7), SNMP_NO_PEER_ADDRESS));
	CU_ASSERT_TRUE(ip_is(var_at(p, 7), "203.0.113.11"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 8), SNMP_NO_REASON));
	CU_ASSERT_TRUE(string_is(var_at(p, 8), "connection reset"));
	snmp_free_pdu(p);
}

static void dial_failure_names_the_line_the_system_and_the_result(void)
{
	struct snmp_mib m = mib();
	netsnmp_pdu *p = snmp_pdu_dial_failure(&m, SNMP_MSG_TRAP2, 0, "modem-1", "CK2002", 9, "busy");

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(starts_as(p, SNMP_MSG_TRAP2, 0, SNMP_NOTIFY_DIAL_FAILURE));
	CU_ASSERT_EQUAL(var_count(p), 6);
	CU_ASSERT_TRUE(integer_is(var_at(p, 2), ASN_UNSIGNED, 9));
	CU_ASSERT_TRUE(string_is(var_at(p, 3), "CK2002"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 4), SNMP_NO_LINE_ID));
	CU_ASSERT_TRUE(string_is(var_at(p, 4), "modem-1"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 5), SNMP_NO_RESULT));
	CU_ASSERT_TRUE(string_is(var_at(p, 5), "busy"));
	snmp_free_pdu(p);
}

static void auth_failure_says_who_and_from_where(void)
{
	struct snmp_mib m = mib();
	netsnmp_pdu *p = snmp_pdu_auth_failure(&m, SNMP_MSG_TRAP2, 7, "mallory", "198.51.100.10");

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(starts_as(p, SNMP_MSG_TRAP2, 7, SNMP_NOTIFY_AUTH_FAILURE));
	CU_ASSERT_EQUAL(var_count(p), 5);
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 2), SNMP_NO_ENGINEER));
	CU_ASSERT_TRUE(string_is(var_at(p, 2), "mallory"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 3), SNMP_NO_SOURCE));
	CU_ASSERT_TRUE(string_is(var_at(p, 3), "198.51.100.10"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 4), SNMP_NO_AUTH_FACTOR));
	CU_ASSERT_TRUE(string_is(var_at(p, 4), "password"));
	snmp_free_pdu(p);
}

static void auth_failure_names_the_second_factor_that_failed(void)
{
	struct snmp_mib m = mib();
	netsnmp_pdu *p = snmp_pdu_auth_failure_factor(&m, SNMP_MSG_TRAP2, 7, "alice", "198.51.100.10", "totp");

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(var_count(p), 5);
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 4), SNMP_NO_AUTH_FACTOR));
	CU_ASSERT_TRUE(string_is(var_at(p, 4), "totp"));
	snmp_free_pdu(p);
}

static void line_state_change_has_the_new_and_the_old_state(void)
{
	struct snmp_mib m = mib();
	struct store_line l;
	netsnmp_pdu *p;

	memset(&l, 0, sizeof(l));
	snprintf(l.id, sizeof(l.id), "modem-1");
	l.state = STORE_LINE_FAILED;
	snprintf(l.last_result, sizeof(l.last_result), "no dialtone");
	p = snmp_pdu_line_state(&m, SNMP_MSG_TRAP2, 0, &l, STORE_LINE_DIALING);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_TRUE(starts_as(p, SNMP_MSG_TRAP2, 0, SNMP_NOTIFY_LINE_STATE));
	CU_ASSERT_EQUAL(var_count(p), 7);
	CU_ASSERT_TRUE(string_is(var_at(p, 2), "modem-1"));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 3), SNMP_NO_LINE_STATE));
	CU_ASSERT_TRUE(integer_is(var_at(p, 3), ASN_INTEGER, 4));
	CU_ASSERT_TRUE(is_notify_obj(var_at(p, 4), SNMP_NO_LINE_OLD_STATE));
	CU_ASSERT_TRUE(integer_is(var_at(p, 4), ASN_INTEGER, 2));
	CU_ASSERT_TRUE(integer_is(var_at(p, 5), ASN_UNSIGNED, 0));
	CU_ASSERT_TRUE(string_is(var_at(p, 6), "no dialtone"));
	snmp_free_pdu(p);
}

static void dp_port_notifications_count_ports_from_one(void)
{
	struct snmp_mib m = mib();
	netsnmp_pdu *down = snmp_pdu_dp_port(&m, SNMP_MSG_TRAP2, 0, SPG_DP_PORT_SP, false);
	netsnmp_pdu *up = snmp_pdu_dp_port(&m, SNMP_MSG_TRAP2, 0, SPG_DP_PORT_VENDOR, true);

	CU_ASSERT_PTR_NOT_NULL_FATAL(down);
	CU_ASSERT_PTR_NOT_NULL_FATAL(up);
	CU_ASSERT_TRUE(starts_as(down, SNMP_MSG_TRAP2, 0, SNMP_NOTIFY_DP_PORT_DOWN));
	CU_ASSERT_TRUE(is_notify_obj(var_at(down, 2), SNMP_NO_PORT_INDEX));
	CU_ASSERT_TRUE(integer_is(var_at(down, 2), ASN_UNSIGNED, 2));
	CU_ASSERT_TRUE(starts_as(up, SNMP_MSG_TRAP2, 0, SNMP_NOTIFY_DP_PORT_UP));
	CU_ASSERT_TRUE(integer_is(var_at(up, 2), ASN_UNSIGNED, 1));
	snmp_free_pdu(down);
	snmp_free_pdu(up);
}

static void the_view_answers_get_and_getnext_in_oid_order(void)
{
	static const oid b[] = {1, 2, 5}, a[] = {1, 2, 3}, c[] = {1, 3}, before[] = {1}, between[] = {1, 2, 4};
	struct snmp_view v;
	const struct snmp_view_entry *e;

	snmp_view_init(&v);
	snmp_view_add_string(&v, b, 3, "b");
	snmp_view_add_c64(&v, c, 2, 5000000000ull);
	snmp_view_add_u32(&v, a, 3, ASN_GAUGE, 7);
	snmp_view_sort(&v);
	CU_ASSERT_FALSE(v.failed);
	e = snmp_view_get(&v, a, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	CU_ASSERT_EQUAL(*(const u_long *)snmp_view_value(&v, e), 7);
	CU_ASSERT_PTR_NULL(snmp_view_get(&v, between, 3));
	e = snmp_view_next(&v, before, 1);
	CU_ASSERT_TRUE(e != NULL && snmp_oid_compare(snmp_view_name(&v, e), e->name_len, a, 3) == 0);
	e = snmp_view_next(&v, a, 3);
	CU_ASSERT_TRUE(e != NULL && snmp_oid_compare(snmp_view_name(&v, e), e->name_len, b, 3) == 0);
	e = snmp_view_next(&v, between, 3);
	CU_ASSERT_TRUE(e != NULL && e->type == ASN_OCTET_STR && e->len == 1);
	e = snmp_view_next(&v, b, 3);
	CU_ASSERT_TRUE(e != NULL && e->type == ASN_COUNTER64 &&
		       ((const struct counter64 *)snmp_view_value(&v, e))->high == 1);
	CU_ASSERT_PTR_NULL(snmp_view_next(&v, c, 2));
	snmp_view_clear(&v);
}

static void tables_put_sessions_lines_and_a_dataplane_that_is_down(void)
{
	struct snmp_mib m = mib();
	struct store_session s = a_session();
	struct store_line lines[2];
	struct snmp_data d;
	struct snmp_view v;
	const oid serial[] = {1, 1, 1, SNMP_SESS_SERIAL, 42}, dp_up[] = {1, 3, SNMP_DP_UP, 0};
	const oid dp_uptime[] = {1, 3, SNMP_DP_UPTIME, 0};
	oid name[MAX_OID_LEN], first_line[MAX_OID_LEN];
	const struct snmp_view_entry *e;
	size_t n;

	memset(&d, 0, sizeof(d));
	memset(lines, 0, sizeof(lines));
	snprintf(lines[0].id, sizeof(lines[0].id), "longer-id");
	snprintf(lines[1].id, sizeof(lines[1].id), "zz");
	d.sessions = &s;
	d.n_sessions = 1;
	d.lines = lines;
	d.n_lines = 2;
	snmp_view_init(&v);
	snmp_tables_build(&v, &m, &d);
	CU_ASSERT_FALSE(v.failed);
	n = snmp_mib_oid(&m, name, serial, 5);
	e = snmp_view_get(&v, name, n);
	CU_ASSERT_TRUE(e != NULL && e->len == 6 && memcmp(snmp_view_value(&v, e), "CK2001", 6) == 0);
	/* an index of a shorter id sorts first: "zz" (2.122.122) before "longer-id" (9. ...) */
	first_line[0] = 1;
	first_line[1] = SNMP_ARC_LINES;
	n = snmp_mib_oid(&m, name, first_line, 2);
	e = snmp_view_next(&v, name, n);
	CU_ASSERT_TRUE(e != NULL && snmp_view_name(&v, e)[BASE_LEN + 4] == 2);
	n = snmp_mib_oid(&m, name, dp_up, 4);
	e = snmp_view_get(&v, name, n);
	CU_ASSERT_TRUE(e != NULL && *(const long *)snmp_view_value(&v, e) == 2);
	n = snmp_mib_oid(&m, name, dp_uptime, 4);
	CU_ASSERT_PTR_NULL(snmp_view_get(&v, name, n));
	snmp_view_clear(&v);
}

/* Sources of two active sessions, 42 (its agent lost) and 43, and a closed one, 44. */
static int three_sessions(void *arg, int (*fn)(const struct store_session *s, void *a), void *a)
{
	struct store_session s = a_session();
	int ret;

	(void)arg;
	ret = fn(&s, a);
	s.id = 43;
	if (ret == 0)
		ret = fn(&s, a);
	s.id = 44;
	s.state = STORE_SESSION_CLOSED;
	snprintf(s.reason, sizeof(s.reason), "disconnected");
	return ret != 0 ? ret : fn(&s, a);
}

static bool degraded_42_and_44(void *arg, int64_t id, char *why, size_t len)
{
	(void)arg;
	if (id != 42 && id != 44)
		return false;
	snprintf(why, len, "lost the SP's control channel");
	return true;
}

/* spgSessionState.id and spgSessionReason.id as served */
static long served_state(const struct snmp_view *v, const struct snmp_mib *m, oid id, const char **reason,
			 size_t *reason_len)
{
	const oid state[] = {1, 1, 1, SNMP_SESS_STATE, id}, why[] = {1, 1, 1, SNMP_SESS_REASON, id};
	oid name[MAX_OID_LEN];
	const struct snmp_view_entry *e = snmp_view_get(v, name, snmp_mib_oid(m, name, why, 5));

	*reason = e != NULL ? snmp_view_value(v, e) : NULL;
	*reason_len = e != NULL ? e->len : 0;
	e = snmp_view_get(v, name, snmp_mib_oid(m, name, state, 5));
	return e != NULL ? *(const long *)snmp_view_value(v, e) : -1;
}

static void the_table_shows_degraded_with_why_for_an_active_session_whose_agent_is_lost(void)
{
	struct snmp_mib m = mib();
	struct snmp_sources src = {.sessions = three_sessions, .degraded = degraded_42_and_44};
	struct snmp_data d;
	struct snmp_view v;
	const char *reason;
	size_t len;

	memset(&d, 0, sizeof(d));
	CU_ASSERT_EQUAL_FATAL(snmp_data_collect(&d, &src), 0);
	CU_ASSERT_EQUAL(d.n_sessions, 3);
	snmp_view_init(&v);
	snmp_tables_build(&v, &m, &d);
	CU_ASSERT_FALSE(v.failed);
	CU_ASSERT_EQUAL(served_state(&v, &m, 42, &reason, &len), 11);
	CU_ASSERT_TRUE(reason != NULL && len == 29 && memcmp(reason, "lost the SP's control channel", 29) == 0);
	CU_ASSERT_EQUAL(served_state(&v, &m, 43, &reason, &len), 7);
	CU_ASSERT_EQUAL(len, 0);
	/* a session that ended is what the store says, whatever the manager would answer */
	CU_ASSERT_EQUAL(served_state(&v, &m, 44, &reason, &len), 9);
	CU_ASSERT_TRUE(reason != NULL && len == 12 && memcmp(reason, "disconnected", 12) == 0);
	snmp_view_clear(&v);
	/* without the source, nothing is degraded */
	src.degraded = NULL;
	CU_ASSERT_EQUAL_FATAL(snmp_data_collect(&d, &src), 0);
	snmp_view_init(&v);
	snmp_tables_build(&v, &m, &d);
	CU_ASSERT_EQUAL(served_state(&v, &m, 42, &reason, &len), 7);
	snmp_view_clear(&v);
	snmp_data_free(&d);
}

static void without_snmp_enabled_there_is_no_reporter_and_notifying_is_harmless(void)
{
	struct ctl_config cfg;
	struct snmp_sources src = {0};
	struct store_session s = a_session();
	char err[128];

	ctl_config_defaults(&cfg);
	errno = EINVAL;
	CU_ASSERT_PTR_NULL(snmp_new(NULL, &cfg, &src, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, 0);
	snmp_notify_session_up(NULL, &s);
	snmp_notify_session_degraded(NULL, &s, "gone");
	snmp_notify_auth_failure(NULL, "alice", "here");
	snmp_notify_dp_port(NULL, 0, false);
	snmp_free(NULL);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"oids_are_built_below_the_configured_base", oids_are_built_below_the_configured_base},
		{"an_oid_that_would_not_fit_is_refused", an_oid_that_would_not_fit_is_refused},
		{"a_line_index_is_its_length_then_its_octets", a_line_index_is_its_length_then_its_octets},
		{"states_map_to_the_mib_enumerations", states_map_to_the_mib_enumerations},
		{"only_an_active_session_shows_degraded", only_an_active_session_shows_degraded},
		{"a_start_time_is_a_utc_date_and_time", a_start_time_is_a_utc_date_and_time},
		{"session_up_carries_line_sp_address_speed_id_and_serial",
		 session_up_carries_line_sp_address_speed_id_and_serial},
		{"session_down_adds_the_final_state_and_the_reason", session_down_adds_the_final_state_and_the_reason},
		{"session_degraded_carries_the_session_and_why_its_channel_was_lost",
		 session_degraded_carries_the_session_and_why_its_channel_was_lost},
		{"dial_failure_names_the_line_the_system_and_the_result",
		 dial_failure_names_the_line_the_system_and_the_result},
		{"auth_failure_says_who_and_from_where", auth_failure_says_who_and_from_where},
		{"auth_failure_names_the_second_factor_that_failed", auth_failure_names_the_second_factor_that_failed},
		{"line_state_change_has_the_new_and_the_old_state", line_state_change_has_the_new_and_the_old_state},
		{"dp_port_notifications_count_ports_from_one", dp_port_notifications_count_ports_from_one},
		{"the_view_answers_get_and_getnext_in_oid_order", the_view_answers_get_and_getnext_in_oid_order},
		{"tables_put_sessions_lines_and_a_dataplane_that_is_down",
		 tables_put_sessions_lines_and_a_dataplane_that_is_down},
		{"the_table_shows_degraded_with_why_for_an_active_session_whose_agent_is_lost",
		 the_table_shows_degraded_with_why_for_an_active_session_whose_agent_is_lost},
		{"without_snmp_enabled_there_is_no_reporter_and_notifying_is_harmless",
		 without_snmp_enabled_there_is_no_reporter_and_notifying_is_harmless},
		{NULL, NULL},
	};

	return unit_run("snmp", cases, NULL, NULL);
}
