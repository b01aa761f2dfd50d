/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Calls that outlive spgate-control (dialer.h): leaving a connected call up at exit
 * (dial_detach) and taking it over again at start (dial_reattach). The modem is never
 * reset here: ATZ, or a DTR drop, would end the very call we came for.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/dial_int.h"

/* A call still being taken over is left up as well: the next process asks the modem again. */
static bool reattaching(const struct dial_call *c)
{
	return c->reattach && (c->state == DS_START || c->state == DS_REATTACH_GUARD1 ||
			       c->state == DS_REATTACH_GUARD2 || c->state == DS_REATTACH_ATO);
}

void dial_detach(struct dial_call *c)
{
	if (c == NULL || c->dead || c->quiet)
		return;
	if (c->state != DS_ONLINE && !reattaching(c)) {
		/* Dialing or half-way: the next spgate-control fails such a session anyway. */
		dial_hangup(c);
		return;
	}
	c->quiet = true;
	dial_log(c, "%s: call left up for the next spgate-control (DTR held)", c->nums[c->cur].number);
	dial_io_leave(c);
	dial_call_release(c);
}

/* No call to take over (or no way to tell): closed with DTR dropped, failed(), freed. */
static void __attribute__((format(printf, 3, 4))) reattach_fail(struct dial_call *c, enum dial_outcome o,
								const char *fmt, ...)
{
	char reason[sizeof(c->fault) + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fault, sizeof(c->fault), fmt, ap);
	va_end(ap);
	snprintf(reason, sizeof(reason), "line %s: %s", c->id, c->fault);
	dial_log(c, "%s: cannot re-attach: %s", c->nums[0].number, c->fault);
	/* Deliberately: HUPCL on and DTR down put a modem that still thinks it is online on hook. */
	dial_io_close(c);
	event_del(c->timer);
	if (!c->quiet && c->ev.failed != NULL)
		c->ev.failed(c->arg, o, dial_outcome_is_line_fault(o), reason);
	dial_call_release(c);
}

/* The call is there: from now on as if dial_start had connected it. */
static void reattach_online(struct dial_call *c, uint64_t speed, const char *how)
{
	c->state = DS_ONLINE;
	if (speed != 0)
		c->speed = speed;
	c->nums[0].last = DIAL_CONNECTED;
	event_del(c->timer);
	dial_log(c, "%s: re-attached to the call (%s), %llu bit/s", c->nums[0].number, how,
		 (unsigned long long)c->speed);
	dial_io_dcd_start(c);
	if (!c->quiet && c->ev.connected != NULL)
		c->ev.connected(c->arg, c->nums[0].number, c->speed);
}

void dial_reattach_begin(struct dial_call *c)
{
	int rc, dcd;

	/* No ATZ, no init string, HUPCL off from the start: nothing here may end the call. */
	rc = dial_io_open(c);
	if (rc < 0) {
		char why[sizeof(c->fault)];

		/* reattach_fail writes c->fault: not from itself */
		snprintf(why, sizeof(why), "%s", c->fault);
		reattach_fail(c, DIAL_DEVICE, "%s", why);
		return;
	}
	dcd = dial_tty_dcd(c->fd);
	if (dcd == 1) {
		reattach_online(c, 0, "carrier detect up");
		return;
	}
	if (dcd == 0) {
		reattach_fail(c, DIAL_NO_CARRIER, "no carrier (DCD down)");
		return;
	}
	/* No modem-control lines: ask the modem, with the escape that keeps a call up. */
	c->state = DS_REATTACH_GUARD1;
	dial_io_arm(c, c->t.guard_ms);
}

static void reattach_ato(struct dial_call *c)
{
	c->state = DS_REATTACH_ATO;
	event_del(c->timer);
	if (dial_io_send(c, "ATO") < 0) {
		reattach_fail(c, DIAL_DEVICE, "%s: cannot send ATO", c->device);
		return;
	}
	dial_io_arm(c, c->t.command_timeout_ms);
}

void dial_reattach_on_timer(struct dial_call *c)
{
	switch (c->state) {
	case DS_REATTACH_GUARD1:
		snprintf(c->sent, sizeof(c->sent), "+++");
		dial_debug(c, "> +++");
		if (dial_io_write(c, "+++", 3) < 0) {
			reattach_fail(c, DIAL_DEVICE, "%s: cannot send +++", c->device);
			return;
		}
		/*
		 * The modem answers the escape OK once its own guard time (S12) passed; ATO goes
		 * then. A byte before that would cancel the escape and be data. Without a call the
		 * modem is in command mode and says nothing: ATO goes after this bound.
		 */
		c->state = DS_REATTACH_GUARD2;
		dial_io_arm(c, c->t.guard_ms + c->t.command_timeout_ms);
		break;
	case DS_REATTACH_GUARD2:
		reattach_ato(c);
		break;
	default:
		reattach_fail(c, DIAL_TIMEOUT, "no answer from the modem within %u ms of ATO", c->t.command_timeout_ms);
		break;
	}
}

void dial_reattach_on_result(struct dial_call *c, enum hayes_result r, uint64_t speed)
{
	switch (r) {
	case HAYES_CONNECT:
		if (c->state == DS_REATTACH_ATO)
			reattach_online(c, speed, "the modem answered CONNECT to ATO");
		break;
	case HAYES_NO_CARRIER:
	case HAYES_ERROR:
		/* ATO without a call: NO CARRIER (or ERROR on some modems); a NO CARRIER said during
		 * the guard time is the call ending too. */
		reattach_fail(c, DIAL_NO_CARRIER, "the modem answered %s to %s", hayes_result_name(r),
			      c->state == DS_REATTACH_ATO ? "ATO" : "the escape");
		break;
	case HAYES_OK:
		/* The escape's answer: command mode with the call up; back online with ATO. */
		if (c->state == DS_REATTACH_GUARD2)
			reattach_ato(c);
		break;
	default:
		dial_debug(c, "%s ignored during the re-attach", hayes_result_name(r));
		break;
	}
}

void dial_reattach_on_device_error(struct dial_call *c, int err)
{
	if (err == 0)
		reattach_fail(c, DIAL_DEVICE, "%s: device closed", c->device);
	else
		reattach_fail(c, DIAL_DEVICE, "%s: %s", c->device, strerror(err));
}

struct dial_call *dial_reattach(struct event_base *base, const struct dial_line *line, const struct dial_timing *t,
				const char *label, uint64_t speed_bps, const struct dial_events *ev, void *arg)
{
	struct dial_call *c;

	if (ev == NULL || label == NULL || label[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->ev = *ev;
	c->reattach = true;
	/* No numbers to check: dial_call_init keeps one empty slot, which the label fills. */
	if (dial_call_init(c, base, line, t, NULL, 0, arg) < 0)
		return NULL;
	c->n = 1;
	snprintf(c->nums[0].number, sizeof(c->nums[0].number), "%s", label);
	c->nums[0].tries = 1;
	c->speed = speed_bps;
	return c;
}
