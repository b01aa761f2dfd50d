/* SPDX-License-Identifier: BSD-3-Clause */
/* Line bring-up: network lines at once; modem lines wait for the dialer (control/dial/). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "line.h"

struct line_call {
	struct event *ev;
	line_done_fn done;
	void *arg;
	struct line_result r;
	char reason[256];
};

static void line_report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct line_call *c = arg;
	struct line_result r = c->r;
	line_done_fn done = c->done;
	void *done_arg = c->arg;

	(void)fd;
	(void)what;
	/* The result outlives the call only for the callback's duration. */
	r.reason = c->reason;
	event_free(c->ev);
	c->ev = NULL;
	done(&r, done_arg);
	free(c);
}

static void line_network(struct line_call *c, const struct store_system *sys, uint16_t default_port)
{
	if (spg_endpoint_parse(sys->address, &c->r.agent_addr, &c->r.agent_port, default_port)) {
		c->r.ok = true;
		return;
	}
	snprintf(c->reason, sizeof(c->reason), "system %s: address \"%.64s\" is not a.b.c.d[:port]", sys->serial,
		 sys->address);
}

struct line_call *line_connect(struct event_base *base, const struct store_line *line,
			       const struct store_system *sys, uint16_t default_agent_port, line_done_fn done,
			       void *arg)
{
	struct line_call *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->done = done;
	c->arg = arg;
	if (line->type == STORE_CONNECT_NETWORK && sys->connect == STORE_CONNECT_NETWORK)
		line_network(c, sys, default_agent_port);
	else
		snprintf(c->reason, sizeof(c->reason), "line %s: modem lines cannot be dialed yet", line->id);
	c->ev = event_new(base, -1, 0, line_report_cb, c);
	if (c->ev == NULL) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	event_active(c->ev, EV_TIMEOUT, 0);
	return c;
}

void line_cancel(struct line_call *c)
{
	if (c == NULL)
		return;
	if (c->ev != NULL)
		event_free(c->ev);
	free(c);
}
