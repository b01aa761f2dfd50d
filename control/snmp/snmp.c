/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SNMP reporting (snmp.h): the subagent, the managers and the cache between the sources
 * and the subagent. Every SNMP_REFRESH_S seconds the sources are read into a new view,
 * which replaces the served one whole (build, then swap), so a walk never sees half a
 * refresh and a request never waits for the store or spgate-dp.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snmp/snmp_int.h"

#define SNMP_REFRESH_S 3

struct snmp_reporter {
	struct event_base *base;
	struct snmp_sources src;
	struct snmp_mib mib;
	struct snmp_agentx *agentx;
	struct snmp_managers *managers;
	struct snmp_view views[2];
	struct snmp_view *current; /* served: one of views */
	struct snmp_data data;
	struct event *refresh;
	struct timespec started;
};

/* Hundredths of a second since snmp_new: the notifications' sysUpTime.0. */
static uint32_t uptime(const struct snmp_reporter *r)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint32_t)((now.tv_sec - r->started.tv_sec) * 100 + (now.tv_nsec - r->started.tv_nsec) / 10000000);
}

static void refresh(struct snmp_reporter *r)
{
	struct snmp_view *next = r->current == &r->views[0] ? &r->views[1] : &r->views[0];

	snmp_view_clear(next);
	if (snmp_data_collect(&r->data, &r->src) != 0) {
		snmp_log_msg("cannot refresh the tables: out of memory");
		return;
	}
	snmp_tables_build(next, &r->mib, &r->data);
	if (next->failed) {
		snmp_log_msg("cannot refresh the tables: out of memory");
		snmp_view_clear(next);
		return;
	}
	r->current = next;
}

static void refresh_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	refresh(arg);
}

struct snmp_reporter *snmp_new(struct event_base *base, const struct ctl_config *cfg, const struct snmp_sources *src,
			       char *err, size_t errlen)
{
	struct timeval every = {SNMP_REFRESH_S, 0};
	struct snmp_reporter *r;
	int saved;

	if (!cfg->snmp.enabled) {
		errno = 0;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->base = base;
	r->src = *src;
	clock_gettime(CLOCK_MONOTONIC, &r->started);
	snmp_mib_init(&r->mib, cfg->snmp.base_oid, cfg->snmp.base_oid_len);
	snmp_view_init(&r->views[0]);
	snmp_view_init(&r->views[1]);
	r->current = &r->views[0];
	refresh(r);
	r->agentx = snmp_agentx_start(base, cfg, &r->mib, &r->current, err, errlen);
	if (r->agentx == NULL)
		goto fail;
	r->managers = snmp_managers_open(base, cfg, err, errlen);
	if (r->managers == NULL) {
		errno = EINVAL;
		goto fail;
	}
	r->refresh = event_new(base, -1, EV_PERSIST, refresh_cb, r);
	if (r->refresh == NULL || event_add(r->refresh, &every) != 0) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		goto fail;
	}
	return r;
fail:
	saved = errno != 0 ? errno : EINVAL;
	snmp_free(r);
	errno = saved;
	return NULL;
}

void snmp_free(struct snmp_reporter *r)
{
	if (r == NULL)
		return;
	if (r->refresh != NULL)
		event_free(r->refresh);
	snmp_managers_close(r->managers);
	snmp_agentx_stop(r->agentx);
	snmp_view_clear(&r->views[0]);
	snmp_view_clear(&r->views[1]);
	snmp_data_free(&r->data);
	free(r);
}

static void send_pdu(struct snmp_reporter *r, netsnmp_pdu *pdu, enum snmp_notification n)
{
	if (pdu == NULL) {
		snmp_log_msg("%s: out of memory", snmp_mib_notification_name(n));
		return;
	}
	snmp_managers_send(r->managers, pdu, snmp_mib_notification_name(n));
}

/* Nothing to do without a reporter, or without managers to tell. */
static bool wanted(const struct snmp_reporter *r)
{
	return r != NULL && r->managers != NULL;
}

void snmp_notify_session_up(struct snmp_reporter *r, const struct store_session *s)
{
	if (wanted(r))
		send_pdu(r, snmp_pdu_session_up(&r->mib, snmp_managers_pdu_type(r->managers), uptime(r), s),
			 SNMP_NOTIFY_SESSION_UP);
}

void snmp_notify_session_degraded(struct snmp_reporter *r, const struct store_session *s, const char *why)
{
	if (wanted(r))
		send_pdu(r,
			 snmp_pdu_session_degraded(&r->mib, snmp_managers_pdu_type(r->managers), uptime(r), s, why),
			 SNMP_NOTIFY_SESSION_DEGRADED);
}

void snmp_notify_session_down(struct snmp_reporter *r, const struct store_session *s)
{
	if (wanted(r))
		send_pdu(r, snmp_pdu_session_down(&r->mib, snmp_managers_pdu_type(r->managers), uptime(r), s),
			 SNMP_NOTIFY_SESSION_DOWN);
}

void snmp_notify_dial_failure(struct snmp_reporter *r, const char *line_id, const char *serial, int64_t session_id,
			      const char *result)
{
	if (wanted(r))
		send_pdu(r,
			 snmp_pdu_dial_failure(&r->mib, snmp_managers_pdu_type(r->managers), uptime(r), line_id, serial,
					       session_id, result),
			 SNMP_NOTIFY_DIAL_FAILURE);
}

void snmp_notify_auth_failure_factor(struct snmp_reporter *r, const char *user, const char *source,
				     const char *factor)
{
	if (wanted(r))
		send_pdu(r,
			 snmp_pdu_auth_failure_factor(&r->mib, snmp_managers_pdu_type(r->managers), uptime(r), user,
						      source, factor),
			 SNMP_NOTIFY_AUTH_FAILURE);
}

void snmp_notify_auth_failure(struct snmp_reporter *r, const char *user, const char *source)
{
	snmp_notify_auth_failure_factor(r, user, source, "password");
}

void snmp_notify_line_state(struct snmp_reporter *r, const struct store_line *l, enum store_line_state old_state)
{
	if (wanted(r))
		send_pdu(r, snmp_pdu_line_state(&r->mib, snmp_managers_pdu_type(r->managers), uptime(r), l, old_state),
			 SNMP_NOTIFY_LINE_STATE);
}

void snmp_notify_dp_port(struct snmp_reporter *r, unsigned port_index, bool up)
{
	if (wanted(r))
		send_pdu(r, snmp_pdu_dp_port(&r->mib, snmp_managers_pdu_type(r->managers), uptime(r), port_index, up),
			 up ? SNMP_NOTIFY_DP_PORT_UP : SNMP_NOTIFY_DP_PORT_DOWN);
}
