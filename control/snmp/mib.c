/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mib/SPGATE-MIB.txt's layout below the configured base, and how spgate's values become
 * SNMP's: enumerations, gauges, DateAndTime, string indexes.
 */
#include <string.h>
#include <time.h>

#include "snmp/snmp_int.h"

void snmp_mib_init(struct snmp_mib *m, const uint32_t *base, unsigned base_len)
{
	unsigned i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < base_len && i < MAX_OID_LEN; i++)
		m->base[i] = base[i];
	m->base_len = i;
}

size_t snmp_mib_oid(const struct snmp_mib *m, oid *out, const oid *arcs, size_t n)
{
	if (m->base_len + n > MAX_OID_LEN)
		return 0;
	memcpy(out, m->base, m->base_len * sizeof(oid));
	memcpy(out + m->base_len, arcs, n * sizeof(oid));
	return m->base_len + n;
}

bool snmp_mib_parse_oid(const char *text, oid *out, size_t max, size_t *n)
{
	const char *p = text;
	size_t count = 0;

	if (*p == '.')
		p++;
	while (*p != '\0') {
		unsigned long long v = 0;
		const char *start = p;

		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (unsigned long long)(*p - '0');
			if (v > 0xffffffffull)
				return false;
		}
		if (p == start || count == max || (*p != '.' && *p != '\0') || (*p == '.' && p[1] == '\0'))
			return false;
		out[count++] = (oid)v;
		if (*p == '.')
			p++;
	}
	*n = count;
	return count >= 2;
}

int32_t snmp_mib_session_state(enum store_session_state s)
{
	/* The MIB's SpgSessionStatus lists the store's states in their order, from 1. */
	return (int32_t)s + 1;
}

int32_t snmp_mib_session_status(enum store_session_state s, bool degraded)
{
	/* only an active session can be degraded: any other state says more */
	return degraded && s == STORE_SESSION_ACTIVE ? SNMP_SESSION_STATUS_DEGRADED : snmp_mib_session_state(s);
}

int32_t snmp_mib_line_state(enum store_line_state s)
{
	return (int32_t)s + 1;
}

int32_t snmp_mib_line_type(enum store_connect c)
{
	return c == STORE_CONNECT_MODEM ? 2 : 1;
}

uint32_t snmp_mib_gauge(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

size_t snmp_mib_date_and_time(int64_t unix_s, uint8_t out[11])
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	out[0] = (uint8_t)((tm.tm_year + 1900) >> 8);
	out[1] = (uint8_t)(tm.tm_year + 1900);
	out[2] = (uint8_t)(tm.tm_mon + 1);
	out[3] = (uint8_t)tm.tm_mday;
	out[4] = (uint8_t)tm.tm_hour;
	out[5] = (uint8_t)tm.tm_min;
	out[6] = (uint8_t)(tm.tm_sec > 59 ? 59 : tm.tm_sec); /* DateAndTime has no leap second */
	out[7] = 0;
	/* without the zone octets a DateAndTime is local time: add "+0:0" to say UTC */
	out[8] = '+';
	out[9] = 0;
	out[10] = 0;
	return 11;
}

size_t snmp_mib_string_index(const char *s, oid *out, size_t max)
{
	size_t len = strlen(s), i;

	if (len + 1 > max)
		return 0;
	out[0] = (oid)len;
	for (i = 0; i < len; i++)
		out[i + 1] = (oid)(unsigned char)s[i];
	return len + 1;
}

const char *snmp_mib_notification_name(enum snmp_notification n)
{
	static const char *const names[] = {
		[SNMP_NOTIFY_SESSION_UP] = "spgSessionUp",
		[SNMP_NOTIFY_SESSION_DOWN] = "spgSessionDown",
		[SNMP_NOTIFY_DIAL_FAILURE] = "spgDialFailure",
		[SNMP_NOTIFY_AUTH_FAILURE] = "spgAuthFailure",
		[SNMP_NOTIFY_LINE_STATE] = "spgLineStateChange",
		[SNMP_NOTIFY_DP_PORT_DOWN] = "spgDpPortDown",
		[SNMP_NOTIFY_DP_PORT_UP] = "spgDpPortUp",
		[SNMP_NOTIFY_SESSION_DEGRADED] = "spgSessionDegraded",
	};

	return (unsigned)n < sizeof(names) / sizeof(names[0]) && names[n] != NULL ? names[n] : "?";
}
