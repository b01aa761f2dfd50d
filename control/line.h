/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bringing up a gateway line to a system (DESIGN §4 "dialing"): the seam between the
 * session lifecycle and the line's kind. A `network` line needs nothing: the system's agent
 * is reachable at its address, so the result comes at once (on the next loop turn). A
 * `modem` line will dial (control/dial/) and report the CONNECT speed; until that exists it
 * fails with a reason an engineer can read.
 */
#ifndef SPG_LINE_H
#define SPG_LINE_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "store/inventory_store.h"

struct line_result {
	bool ok;
	const char *reason;  /* !ok: "modem lines cannot be dialed yet", ... */
	uint32_t agent_addr; /* ok: where spgate-agent listens, network order */
	uint16_t agent_port; /* ok: host order */
	uint64_t speed_bps;  /* ok: the line's speed, 0 for unlimited (network) */
};

typedef void (*line_done_fn)(const struct line_result *r, void *arg);

struct line_call;

/*
 * Connects line to sys. done is called exactly once, never from inside line_connect,
 * unless line_cancel comes first. default_agent_port is used when the system's address
 * names none. NULL with errno set (ENOMEM); done is not called then.
 */
struct line_call *line_connect(struct event_base *base, const struct store_line *line,
			       const struct store_system *sys, uint16_t default_agent_port, line_done_fn done,
			       void *arg);
/* Stops a connect in progress (hangs up a modem); done is not called. NULL is fine. */
void line_cancel(struct line_call *c);

#endif
