/* SPDX-License-Identifier: BSD-3-Clause */
/* Argument parsers of the control-plane commands: each names the argument and quotes the bad value. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

int ctl_parse(const char *cmd, const char *usage, int argc, char **argv, struct spgctl_opt *opts, char **pos,
	      int max_pos, int *n_pos)
{
	int rc = spgctl_parse(cmd, argc, argv, opts, pos, max_pos, n_pos);

	if (rc == SPGCTL_HELP)
		fputs(usage, stdout);
	return rc;
}

static bool parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*v = x;
	return true;
}

bool ctl_arg_id(const char *cmd, const char *what, const char *s, uint64_t *id)
{
	if (parse_u64(s, id) && *id != 0)
		return true;
	spgctl_usage_error(cmd, "%s: \"%s\" is not a session id (a positive number)", what, s);
	return false;
}

bool ctl_arg_count(const char *cmd, const char *what, const char *s, uint64_t max, uint64_t *v)
{
	if (parse_u64(s, v) && *v >= 1 && *v <= max)
		return true;
	spgctl_usage_error(cmd, "%s: \"%s\" is not a number from 1 to %" PRIu64, what, s, max);
	return false;
}

bool ctl_arg_ipv4(const char *cmd, const char *what, const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) == 1)
		return true;
	spgctl_usage_error(cmd, "%s: \"%s\" is not an IPv4 address", what, s);
	return false;
}

/* n decimal digits at *p into *v. */
static bool take_digits(const char **p, int n, int *v)
{
	*v = 0;
	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return false;
		*v = *v * 10 + (*(*p)++ - '0');
	}
	return true;
}

/* "Z", "+HH", "+HHMM" or "+HH:MM" (or '-') into seconds east of UTC. */
static bool take_zone(const char *p, long *east)
{
	int sign, hh, mm = 0;

	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0) {
		*east = 0;
		return true;
	}
	if (*p != '+' && *p != '-')
		return false;
	sign = *p++ == '-' ? -1 : 1;
	if (!take_digits(&p, 2, &hh))
		return false;
	if (*p == ':')
		p++;
	if (*p != '\0' && !take_digits(&p, 2, &mm))
		return false;
	if (*p != '\0' || hh > 23 || mm > 59)
		return false;
	*east = sign * (hh * 3600L + mm * 60L);
	return true;
}

/* ISO 8601 date with optional time and zone; no zone means local time. */
static bool parse_iso8601(const char *s, time_t *t)
{
	struct tm tm = {0}, check;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	bool zoned = false;
	long east = 0;
	const char *p = s;

	if (!take_digits(&p, 4, &y) || *p++ != '-' || !take_digits(&p, 2, &mo) || *p++ != '-' ||
	    !take_digits(&p, 2, &d))
		return false;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (!take_digits(&p, 2, &h) || *p++ != ':' || !take_digits(&p, 2, &mi))
			return false;
		if (*p == ':') {
			p++;
			if (!take_digits(&p, 2, &sec))
				return false;
			if (*p == '.' || *p == ',') /* fractions of a second do not matter here */
				for (p++; *p >= '0' && *p <= '9'; p++)
					;
		}
		if (*p != '\0') {
			if (!take_zone(p, &east))
				return false;
			zoned = true;
		}
	} else if (*p != '\0') {
		return false;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	check = tm;
	*t = zoned ? timegm(&tm) - east : mktime(&tm);
	/* mktime and timegm roll 2024-02-30 over to March: such a date does not exist. */
	return *t != (time_t)-1 && tm.tm_mday == check.tm_mday && tm.tm_mon == check.tm_mon;
}

bool ctl_arg_time(const char *cmd, const char *what, const char *s, time_t *t)
{
	uint64_t v;

	if (parse_u64(s, &v) && v <= INT64_MAX / 2) {
		*t = (time_t)v;
		return true;
	}
	if (parse_iso8601(s, t) && *t >= 0)
		return true;
	spgctl_usage_error(cmd, "%s: \"%s\" is neither unix seconds nor an ISO 8601 time (2024-05-01T12:00:00Z)",
			   what, s);
	return false;
}

bool ctl_split_server(const char *s, char *host, size_t host_size, char *port, size_t port_size)
{
	const char *colon, *end;
	uint64_t p;
	size_t hlen;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL || end[1] != ':')
			return false;
		s++;
		colon = end + 1;
		hlen = (size_t)(end - s);
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || memchr(s, ':', (size_t)(colon - s)) != NULL) /* bare IPv6 */
			return false;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= host_size || !parse_u64(colon + 1, &p) || p == 0 || p > 65535)
		return false;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	snprintf(port, port_size, "%" PRIu64, p);
	return true;
}

json_t *ctl_json_id(uint64_t id)
{
	/* the API takes JSON integers only; ids above 2^63 do not exist (SQLite rowids) */
	return json_integer(id > INT64_MAX ? -1 : (json_int_t)id);
}
