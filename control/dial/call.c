/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A call object (dialer.h): its checked and copied parameters, its log lines, the outcome
 * names. The state machine that drives it is dialer.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dial/dial_int.h"

bool dial_verbose;

void dial_timing_defaults(struct dial_timing *t)
{
	*t = (struct dial_timing){
		.command_timeout_ms = 3000,
		.connect_timeout_ms = 60000,
		.guard_ms = 1000,
		.retry_delay_ms = 5000,
		.busy_retries = 2,
		.line_retries = 1,
	};
}

const char *dial_outcome_name(enum dial_outcome o)
{
	switch (o) {
	case DIAL_CONNECTED: return "connected";
	case DIAL_BUSY: return "busy";
	case DIAL_NO_ANSWER: return "no answer";
	case DIAL_NO_CARRIER: return "no carrier";
	case DIAL_NO_DIALTONE: return "no dial tone";
	case DIAL_ERROR: return "error";
	case DIAL_TIMEOUT: return "timeout";
	case DIAL_DEVICE: return "device";
	}
	return "unknown";
}

bool dial_outcome_is_line_fault(enum dial_outcome o)
{
	return o == DIAL_NO_DIALTONE || o == DIAL_ERROR || o == DIAL_TIMEOUT || o == DIAL_DEVICE;
}

static void dial_vlog(const struct dial_call *c, const char *fmt, va_list ap)
{
	char text[512];

	vsnprintf(text, sizeof(text), fmt, ap);
	/* One fprintf per line: lines of calls on other modems must not interleave. */
	fprintf(stderr, "spgate-control: line %s: %s\n", c->id, text);
}

void dial_log(const struct dial_call *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	dial_vlog(c, fmt, ap);
	va_end(ap);
}

void dial_debug(const struct dial_call *c, const char *fmt, ...)
{
	va_list ap;

	if (!dial_verbose)
		return;
	va_start(ap, fmt);
	dial_vlog(c, fmt, ap);
	va_end(ap);
}

/* Printable ASCII that fits a command line: the init string goes to the modem as it is. */
static bool command_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return n + 3 < DIAL_CMD_MAX;
}

/* A dial prefix is dial modifiers only ("9,", "0W"): nothing that could end the command. */
static bool prefix_ok(const char *s)
{
	if (strlen(s) > DIAL_PREFIX_MAX)
		return false;
	for (; *s != '\0'; s++)
		if (strchr("0123456789*#,WwPp", *s) == NULL)
			return false;
	return true;
}

static char *init_command(const char *init)
{
	char *s;

	if (init[0] == '\0' || strncasecmp(init, "AT", 2) == 0)
		return strdup(init);
	if (asprintf(&s, "AT%s", init) < 0)
		return NULL;
	return s;
}

int dial_call_init(struct dial_call *c, struct event_base *base, const struct dial_line *line,
		   const struct dial_timing *t, const char *const *numbers, size_t n, void *arg)
{
	const char *init, *prefix;
	char err[128];
	size_t i;

	c->fd = -1;
	c->base = base;
	c->arg = arg;
	c->state = DS_START;
	if (t != NULL)
		c->t = *t;
	else
		dial_timing_defaults(&c->t);
	/* A zero timeout would fail every step at once; zero guard and retry delays are fine. */
	if (c->t.command_timeout_ms == 0)
		c->t.command_timeout_ms = 3000;
	if (c->t.connect_timeout_ms == 0)
		c->t.connect_timeout_ms = 60000;
	if (base == NULL || line == NULL || line->id == NULL || line->device == NULL || (n > 0 && numbers == NULL))
		goto invalid;
	init = line->init != NULL ? line->init : "";
	prefix = line->dial_prefix != NULL ? line->dial_prefix : "";
	if (!command_ok(init) || !prefix_ok(prefix))
		goto invalid;
	c->baud = line->baud;
	c->flow = line->flow;
	c->n = n;
	c->nums = calloc(n > 0 ? n : 1, sizeof(*c->nums));
	if (c->nums == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		if (numbers[i] == NULL || hayes_phone_normalise(numbers[i], c->nums[i].number, err, sizeof(err)) < 0)
			goto invalid;
	c->id = strdup(line->id);
	c->device = strdup(line->device);
	c->init = init_command(init);
	c->prefix = strdup(prefix);
	c->timer = evtimer_new(base, dial_timer_cb, c);
	if (c->id == NULL || c->device == NULL || c->init == NULL || c->prefix == NULL || c->timer == NULL)
		goto nomem;
	/* Every event comes from the loop, never from inside the start call. */
	dial_io_arm(c, 0);
	return 0;
nomem:
	dial_call_free(c);
	errno = ENOMEM;
	return -1;
invalid:
	dial_call_free(c);
	errno = EINVAL;
	return -1;
}

void dial_call_free(struct dial_call *c)
{
	dial_io_close(c);
	dial_hangup_unregister(c);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c->id);
	free(c->device);
	free(c->init);
	free(c->prefix);
	free(c->nums);
	free(c);
}

struct dial_call *dial_start(struct event_base *base, const struct dial_line *line, const struct dial_timing *t,
			     const char *const *numbers, size_t n, const struct dial_events *ev, void *arg)
{
	struct dial_call *c;

	if (n == 0 || ev == NULL) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->ev = *ev;
	if (dial_call_init(c, base, line, t, numbers, n, arg) < 0)
		return NULL;
	return c;
}
