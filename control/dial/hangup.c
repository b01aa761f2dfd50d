/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hanging up (dialer.h): guard, "+++", guard, ATH0, DTR down, close; in the background, with
 * every wait bounded. The devices being hung up are listed so that a new call on one waits
 * until the modem is on hook (dialer.c's dial_begin).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/dial_int.h"

struct hangup_device {
	struct hangup_device *next;
	char device[];
};

/* spgate-control runs its calls on one loop thread: the list needs no lock. */
static struct hangup_device *hanging_up;

static void registry_add(struct dial_call *c)
{
	size_t len = strlen(c->device) + 1;
	struct hangup_device *d = malloc(sizeof(*d) + len);

	/* Without memory a new call does not wait; it then finds the modem busy at worst. */
	if (d == NULL)
		return;
	memcpy(d->device, c->device, len);
	d->next = hanging_up;
	hanging_up = d;
	c->hangup_registered = true;
}

void dial_hangup_unregister(struct dial_call *c)
{
	struct hangup_device **p, *d;

	if (!c->hangup_registered)
		return;
	c->hangup_registered = false;
	for (p = &hanging_up; (d = *p) != NULL; p = &d->next) {
		if (strcmp(d->device, c->device) == 0) {
			*p = d->next;
			free(d);
			return;
		}
	}
}

bool dial_device_hanging_up(const char *device)
{
	const struct hangup_device *d;

	if (device == NULL)
		return false;
	for (d = hanging_up; d != NULL; d = d->next)
		if (strcmp(d->device, device) == 0)
			return true;
	return false;
}

/*
 * DTR must stay down long enough for the modem to see it (S25 on real modems; a modem that
 * polls its line, like spgate-modemsim, needs its poll interval): a call that reopened the
 * device at once could find the old call still up and its ATZ taken for data.
 */
#define HANGUP_SETTLE_MIN_MS 500

static unsigned hangup_settle_ms(const struct dial_timing *t)
{
	return t->guard_ms > HANGUP_SETTLE_MIN_MS ? t->guard_ms : HANGUP_SETTLE_MIN_MS;
}

/* Every step of a hang-up ends on its own timer: guard, "+++", guard, ATH0, the rest. */
uint64_t dial_hangup_max_ms(const struct dial_timing *t)
{
	return 2 * (uint64_t)t->guard_ms + t->command_timeout_ms + hangup_settle_ms(t);
}

void dial_hangup_finish(struct dial_call *c)
{
	dial_io_close(c);
	c->state = DS_HANGUP_SETTLE;
	dial_io_arm(c, hangup_settle_ms(&c->t));
}

static void hangup_settled(struct dial_call *c)
{
	dial_hangup_unregister(c);
	dial_log(c, "on hook");
	dial_call_release(c);
}

static void hangup_ath(struct dial_call *c)
{
	c->state = DS_HANGUP_ATH;
	if (dial_io_send(c, "ATH0") < 0) {
		dial_hangup_finish(c);
		return;
	}
	dial_io_arm(c, c->t.command_timeout_ms);
}

void dial_hangup_on_timer(struct dial_call *c)
{
	switch (c->state) {
	case DS_HANGUP_GUARD1:
		snprintf(c->sent, sizeof(c->sent), "+++");
		dial_debug(c, "> +++");
		/* No CR: the escape is three characters framed by silence. */
		if (dial_io_write(c, "+++", 3) < 0) {
			dial_hangup_finish(c);
			return;
		}
		c->state = DS_HANGUP_GUARD2;
		dial_io_arm(c, c->t.guard_ms);
		break;
	case DS_HANGUP_GUARD2:
		hangup_ath(c);
		break;
	case DS_HANGUP_SETTLE:
		hangup_settled(c);
		break;
	default:
		dial_log(c, "no answer to ATH0 within %u ms; dropping DTR", c->t.command_timeout_ms);
		dial_hangup_finish(c);
		break;
	}
}

void dial_hangup_on_result(struct dial_call *c, enum hayes_result r)
{
	/* During the guard times the modem answers "+++" (OK) or ends the call (NO CARRIER): wait on. */
	if (c->state != DS_HANGUP_ATH)
		return;
	if (r == HAYES_OK || r == HAYES_NO_CARRIER || r == HAYES_ERROR)
		dial_hangup_finish(c);
}

void dial_hangup(struct dial_call *c)
{
	if (c == NULL || c->dead || c->quiet)
		return;
	c->quiet = true;
	switch (c->state) {
	case DS_ONLINE:
		dial_log(c, "%s: hanging up", c->nums[c->cur].number);
		/* HUPCL back on at once: should we die half-way, the exit's close still hangs up. */
		(void)dial_tty_hold(c->fd, false);
		dial_io_dcd_stop(c);
		registry_add(c);
		c->state = DS_HANGUP_GUARD1;
		event_del(c->timer);
		dial_io_arm(c, c->t.guard_ms);
		break;
	case DS_DIAL:
		/* The modem is in command mode while dialing: any character aborts the dial. */
		dial_log(c, "%s: hanging up while dialing", c->nums[c->cur].number);
		registry_add(c);
		event_del(c->timer);
		hangup_ath(c);
		break;
	case DS_ONHOOK:
		/* ATH0 is on its way already: wait for its answer. */
		registry_add(c);
		c->state = DS_HANGUP_ATH;
		break;
	default:
		/* Not off hook (resetting, waiting, closed): dropping DTR and closing is enough. */
		dial_call_release(c);
		break;
	}
}
