/* SPDX-License-Identifier: BSD-3-Clause */
/* The Hayes dialogue as text (hayes.h): result codes, lines out of a byte stream, numbers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/hayes.h"

static const char *const result_names[] = {
	[HAYES_NONE] = "none",
	[HAYES_OK] = "OK",
	[HAYES_CONNECT] = "CONNECT",
	[HAYES_RING] = "RING",
	[HAYES_NO_CARRIER] = "NO CARRIER",
	[HAYES_ERROR] = "ERROR",
	[HAYES_NO_DIALTONE] = "NO DIALTONE",
	[HAYES_BUSY] = "BUSY",
	[HAYES_NO_ANSWER] = "NO ANSWER",
};

const char *hayes_result_name(enum hayes_result r)
{
	if ((unsigned)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "none";
	return result_names[r];
}

static const struct {
	const char *text;
	enum hayes_result r;
} verbose_results[] = {
	{"OK", HAYES_OK},
	{"RING", HAYES_RING},
	{"NO CARRIER", HAYES_NO_CARRIER},
	{"ERROR", HAYES_ERROR},
	{"NO DIALTONE", HAYES_NO_DIALTONE},
	{"NO DIAL TONE", HAYES_NO_DIALTONE},
	{"BUSY", HAYES_BUSY},
	{"NO ANSWER", HAYES_NO_ANSWER},
};

/* ATV0 codes; 5 is the original Hayes "CONNECT 1200", 10 the Smartmodem 2400's "CONNECT 2400". */
static enum hayes_result numeric_result(unsigned code, uint64_t *speed)
{
	switch (code) {
	case 0: return HAYES_OK;
	case 1: return HAYES_CONNECT;
	case 2: return HAYES_RING;
	case 3: return HAYES_NO_CARRIER;
	case 4: return HAYES_ERROR;
	case 5: *speed = 1200; return HAYES_CONNECT;
	case 6: return HAYES_NO_DIALTONE;
	case 7: return HAYES_BUSY;
	case 8: return HAYES_NO_ANSWER;
	case 10: *speed = 2400; return HAYES_CONNECT;
	default: return HAYES_NONE;
	}
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Upper-cases line into out with blanks trimmed and runs of blanks made one space, so that
 * "  no   carrier " compares equal to "NO CARRIER". False when it does not fit: no result
 * code is that long.
 */
static bool normalise_line(const char *line, char *out, size_t outlen)
{
	size_t n = 0;
	bool blank = false;

	for (; *line != '\0'; line++) {
		char ch = *line;

		if (is_blank(ch)) {
			blank = n > 0;
			continue;
		}
		if (blank) {
			if (n + 1 >= outlen)
				return false;
			out[n++] = ' ';
			blank = false;
		}
		if (n + 1 >= outlen)
			return false;
		out[n++] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 'a' + 'A') : ch;
	}
	out[n] = '\0';
	return true;
}

/* "CONNECT", "CONNECT 33600", "CONNECT 33600/ARQ", "CONNECT/LAPM"; not "CONNECTED". */
static bool parse_connect(const char *s, uint64_t *speed)
{
	uint64_t v = 0;

	if (strncmp(s, "CONNECT", 7) != 0)
		return false;
	s += 7;
	if (*s != '\0' && *s != ' ' && *s != '/')
		return false;
	while (*s == ' ')
		s++;
	for (; is_digit(*s); s++) {
		/* A speed that does not fit is garbage on the line: the call is up, speed unknown. */
		if (v > (UINT64_MAX - 9) / 10) {
			v = 0;
			break;
		}
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*speed = v;
	return true;
}

enum hayes_result hayes_classify(const char *line, uint64_t *speed_bps)
{
	char up[HAYES_LINE_MAX];
	uint64_t speed = 0;
	enum hayes_result r = HAYES_NONE;
	size_t i;

	if (speed_bps != NULL)
		*speed_bps = 0;
	if (line == NULL || !normalise_line(line, up, sizeof(up)) || up[0] == '\0')
		return HAYES_NONE;
	if (is_digit(up[0]) && (up[1] == '\0' || (is_digit(up[1]) && up[2] == '\0'))) {
		r = numeric_result((unsigned)strtoul(up, NULL, 10), &speed);
	} else if (parse_connect(up, &speed)) {
		r = HAYES_CONNECT;
	} else {
		for (i = 0; i < sizeof(verbose_results) / sizeof(verbose_results[0]); i++)
			if (strcmp(up, verbose_results[i].text) == 0)
				r = verbose_results[i].r;
	}
	if (speed_bps != NULL && r == HAYES_CONNECT)
		*speed_bps = speed;
	return r;
}

void hayes_reader_init(struct hayes_reader *r)
{
	memset(r, 0, sizeof(*r));
}

int hayes_reader_feed(struct hayes_reader *r, const void *data, size_t len, int (*fn)(const char *line, void *arg),
		      void *arg)
{
	const unsigned char *p = data;
	size_t i;
	int rc;

	for (i = 0; i < len; i++) {
		unsigned char ch = p[i];

		if (ch == '\r' || ch == '\n') {
			r->skipping = false;
			if (r->len == 0)
				continue;
			r->buf[r->len] = '\0';
			r->len = 0;
			rc = fn(r->buf, arg);
			if (rc != 0)
				return rc;
			continue;
		}
		if (ch < 0x20 || ch == 0x7f)
			continue;
		if (r->skipping)
			continue;
		/* Line noise: keep lines printable ASCII, so they can be logged and compared as is. */
		if (ch >= 0x80)
			ch = '?';
		if (r->len == HAYES_LINE_MAX - 1) {
			/* Hand on what fits now: a line that never ends must not stall the dialogue. */
			r->overflow++;
			r->skipping = true;
			r->buf[r->len] = '\0';
			r->len = 0;
			rc = fn(r->buf, arg);
			if (rc != 0)
				return rc;
			continue;
		}
		r->buf[r->len++] = (char)ch;
	}
	return 0;
}

/* in as it can be quoted in a message: at most 40 characters, non-printables as '?'. */
static void quote_input(const char *in, char out[48])
{
	size_t n;

	for (n = 0; in[n] != '\0' && n < 40; n++)
		out[n] = ((unsigned char)in[n] >= 0x20 && (unsigned char)in[n] < 0x7f) ? in[n] : '?';
	out[n] = '\0';
	if (in[n] != '\0')
		memcpy(out + n, "...", 4);
}

static int phone_error(const char *in, char *out, char *err, size_t errlen, const char *why)
{
	char quoted[48];

	out[0] = '\0';
	if (err != NULL && errlen > 0) {
		quote_input(in != NULL ? in : "", quoted);
		snprintf(err, errlen, "phone number \"%s\": %s", quoted, why);
	}
	return -EINVAL;
}

int hayes_phone_normalise(const char *in, char out[HAYES_PHONE_MAX], char *err, size_t errlen)
{
	bool digit = false;
	size_t n = 0;
	const char *p;
	char why[96];

	if (in == NULL)
		return phone_error(in, out, err, errlen, "is missing");
	for (p = in; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == ' ' || ch == '-' || ch == '.' || ch == '(' || ch == ')')
			continue;
		if (is_digit((char)ch)) {
			digit = true;
		} else if (ch == '+') {
			if (n != 0)
				return phone_error(in, out, err, errlen, "'+' may only come first");
		} else if (ch == 'w' || ch == 'p') {
			ch = (unsigned char)(ch - 'a' + 'A');
		} else if (ch != 'W' && ch != 'P' && ch != '*' && ch != '#' && ch != ',') {
			if (ch >= 0x20 && ch < 0x7f)
				snprintf(why, sizeof(why), "'%c' is not allowed", ch);
			else
				snprintf(why, sizeof(why), "byte 0x%02x is not allowed", ch);
			strncat(why, " (digits, a leading +, * # , W P and separators)", sizeof(why) - strlen(why) - 1);
			return phone_error(in, out, err, errlen, why);
		}
		if (n == HAYES_PHONE_MAX - 1) {
			snprintf(why, sizeof(why), "longer than %d characters", HAYES_PHONE_MAX - 1);
			return phone_error(in, out, err, errlen, why);
		}
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	if (n == 0)
		return phone_error(in, out, err, errlen, "is empty");
	if (!digit)
		return phone_error(in, out, err, errlen, "has no digit");
	return 0;
}
