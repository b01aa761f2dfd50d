/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The health check of a line (dialer.h): a call that stops once ATZ and the init string
 * answered OK. It shares the call's machinery; a failure is reported at once, not retried.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dial/dial_int.h"

struct dial_check {
	struct dial_call call; /* first: freeing the call frees the check */
};

struct dial_check *dial_check_start(struct event_base *base, const struct dial_line *line,
				    const struct dial_timing *t, void (*done)(void *arg, bool ok, const char *reason),
				    void *arg)
{
	struct dial_check *k;

	if (done == NULL) {
		errno = EINVAL;
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return NULL;
	k->call.check = true;
	k->call.check_done = done;
	/* On failure dial_call_init has freed k (through its first member). */
	if (dial_call_init(&k->call, base, line, t, NULL, 0, arg) < 0)
		return NULL;
	return k;
}

void dial_check_passed(struct dial_call *c)
{
	char reason[160];

	dial_io_close(c);
	event_del(c->timer);
	snprintf(reason, sizeof(reason), "line %s: the modem answered OK to ATZ%s", c->id,
		 c->init[0] != '\0' ? " and the init string" : "");
	dial_log(c, "health check passed");
	if (!c->quiet)
		c->check_done(c->arg, true, reason);
	dial_call_release(c);
}

void dial_check_cancel(struct dial_check *k)
{
	if (k == NULL || k->call.dead || k->call.quiet)
		return;
	k->call.quiet = true;
	dial_call_release(&k->call);
}
