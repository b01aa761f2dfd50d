/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `spgate-agent --status`: a Unix stream socket in the state directory (mode 0600, so only
 * root or the agent's user asks). The agent answers each connection with one JSON line (the
 * status of sp_sessions_status) and closes it.
 */
#ifndef AGENT_CTL_H
#define AGENT_CTL_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

#include "sp_session.h"

#define AGENT_CTL_SOCKET "agent.sock"

struct agent_ctl;

/* Creates state_dir (0700) if needed and listens on state_dir/agent.sock. NULL + err. */
struct agent_ctl *agent_ctl_new(struct event_base *base, const char *state_dir,
				struct sp_sessions *sessions, char *err, size_t errlen);
/* Stops listening and removes the socket file. */
void agent_ctl_free(struct agent_ctl *c);

/* The client: prints the agent's status as tables, or as its JSON line. Exit status 0 when
 * the agent answered, 1 when it did not. */
int agent_ctl_print_status(const char *state_dir, bool json);

#endif
