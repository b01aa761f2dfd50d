/* SPDX-License-Identifier: BSD-3-Clause */
/* Line bring-up: network lines at once, modem lines through the dialer; the lines' health. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dial/dialer.h"
#include "line.h"

#define LINE_REASON_MAX 512
#define LINE_MAX_NUMBERS 8
#define LINE_DEFAULT_FLOW "rtscts"

struct line_mgr {
	struct line_env env;
	bool leaving; /* spgate-control is exiting: connected calls are left up, not hung up */
	struct event *check_timer;
	struct line_check *checks; /* health checks in progress */
};

struct line_call {
	struct line_mgr *lm;
	struct line_events ev;
	void *arg;
	struct store_line line;  /* as allocated (session_id set) */
	char serial[STORE_SERIAL_MAX];
	struct event *report;    /* network lines, and failures found before dialing */
	struct dial_call *dial;  /* modem lines */
	bool connected;
	bool reattach; /* taking over a call an earlier spgate-control left up */
	struct line_result r;
	char reason[LINE_REASON_MAX];
};

struct line_check {
	struct line_check *next;
	struct line_mgr *lm;
	struct dial_check *dc;
	char id[STORE_NAME_MAX];
};

/* ---- state changes, seen by SNMP ---- */

static void line_state_to(struct line_mgr *lm, const char *id, enum store_line_state state, int64_t session_id)
{
	struct store_line before, after;
	int rc;

	if (store_line_get(lm->env.store, id, &before) != 0)
		return;
	rc = store_line_set_state(lm->env.store, id, state, session_id);
	if (rc != 0) {
		fprintf(stderr, "spgate-control: line %s: cannot record state %s: %s\n", id,
			store_line_state_name(state), strerror(-rc));
		return;
	}
	if (before.state != state && store_line_get(lm->env.store, id, &after) == 0)
		snmp_notify_line_state(lm->env.snmp, &after, before.state);
}

/* ---- the dialer's view of a line ---- */

static enum dial_flow line_flow(const struct store_line *l)
{
	if (strcmp(l->flow, "xonxoff") == 0)
		return DIAL_FLOW_XONXOFF;
	if (strcmp(l->flow, "none") == 0)
		return DIAL_FLOW_NONE;
	return DIAL_FLOW_RTSCTS;
}

static void line_dial_params(const struct line_mgr *lm, const struct store_line *l, struct dial_line *d,
			     struct dial_timing *t)
{
	const struct ctl_config *cfg = lm->env.cfg;

	d->id = l->id;
	d->device = l->device;
	d->baud = l->baud != 0 ? l->baud : cfg->dial.baud;
	d->flow = line_flow(l);
	d->init = l->init;
	d->dial_prefix = l->dial_prefix;
	dial_timing_defaults(t);
	t->command_timeout_ms = cfg->dial.command_timeout_ms;
	t->connect_timeout_ms = cfg->dial.connect_timeout * 1000;
	t->guard_ms = cfg->dial.guard_ms;
	t->retry_delay_ms = cfg->dial.retry_delay_ms;
	t->busy_retries = cfg->dial.busy_retries;
	t->line_retries = cfg->dial.line_retries;
}

/* ---- reporting a result ---- */

static void line_report_cb(evutil_socket_t fd, short what, void *arg)
{
	struct line_call *c = arg;
	struct line_result r = c->r;

	(void)fd;
	(void)what;
	/* The result outlives the call only for the callback's duration. */
	r.reason = c->reason;
	event_free(c->report);
	c->report = NULL;
	c->ev.done(&r, c->arg);
	/* ok: the caller still holds c and frees it with line_cancel */
	if (!r.ok)
		free(c);
}

/* Reports c->r from the loop: done never runs inside line_connect. */
static int line_report_later(struct line_call *c)
{
	c->report = event_new(c->lm->env.base, -1, 0, line_report_cb, c);
	if (c->report == NULL)
		return -ENOMEM;
	event_active(c->report, EV_TIMEOUT, 0);
	return 0;
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

/* ---- modem calls ---- */

static void modem_connected(void *arg, const char *number, uint64_t speed_bps)
{
	struct line_call *c = arg;
	struct line_mgr *lm = c->lm;
	char result[STORE_NAME_MAX];
	struct line_result r = c->r;

	/* A modem that reports no speed (X0, or numeric "1") runs at most at the DTE speed. */
	if (speed_bps == 0)
		speed_bps = c->line.baud != 0 ? c->line.baud : lm->env.cfg->dial.baud;
	if (c->reattach) {
		/* The same call as before the restart: not counted again. */
		fprintf(stderr, "spgate-control: line %s: %s still connected at %llu bit/s; re-attached\n", c->line.id,
			number, (unsigned long long)speed_bps);
	} else {
		snprintf(result, sizeof(result), "connected %llu", (unsigned long long)speed_bps);
		store_line_note_call(lm->env.store, c->line.id, result, false, false, true);
		fprintf(stderr, "spgate-control: line %s: %s connected at %llu bit/s\n", c->line.id, number,
			(unsigned long long)speed_bps);
	}
	c->connected = true;
	r.ok = true;
	r.speed_bps = speed_bps;
	r.reason = "";
	c->ev.done(&r, c->arg);
}

/* Marks the line failed once its faults in a row reach dial.max_line_faults. */
static void line_count_fault(struct line_mgr *lm, const char *id)
{
	struct store_line l;

	if (store_line_get(lm->env.store, id, &l) != 0 || l.consecutive_faults < lm->env.cfg->dial.max_line_faults)
		return;
	fprintf(stderr, "spgate-control: line %s: %u line faults in a row; marked failed until it is enabled "
		"or passes a health check\n", id, l.consecutive_faults);
	/* The session that dialed still holds it; its release keeps a failed line failed. */
	line_state_to(lm, id, STORE_LINE_FAILED, l.session_id);
}

/* The call to re-attach to was gone: a call lost, not a failed dial (no fault, no dial trap). */
static void modem_reattach_failed(struct line_call *c, const char *reason)
{
	struct line_result r = { .ok = false };
	const char *detail = reason;
	size_t skip = strlen(c->line.id) + 7;

	/* The dialer's reason starts with "line <id>: ", as ours does. */
	if (strncmp(reason, "line ", 5) == 0 && strlen(reason) >= skip)
		detail = reason + skip;
	store_line_note_call(c->lm->env.store, c->line.id, "dropped", false, false, false);
	snprintf(c->reason, sizeof(c->reason), "line %s: the call was lost while spgate-control was stopped (%s)",
		 c->line.id, detail);
	fprintf(stderr, "spgate-control: %s\n", c->reason);
	r.reason = c->reason;
	c->ev.done(&r, c->arg);
	free(c);
}

static void modem_failed(void *arg, enum dial_outcome outcome, bool line_fault, const char *reason)
{
	struct line_call *c = arg;
	struct line_mgr *lm = c->lm;
	struct line_result r = { .ok = false };

	c->dial = NULL; /* over: the dialer freed it */
	if (c->reattach) {
		modem_reattach_failed(c, reason);
		return;
	}
	store_line_note_call(lm->env.store, c->line.id, dial_outcome_name(outcome), true, line_fault, false);
	if (line_fault)
		line_count_fault(lm, c->line.id);
	snmp_notify_dial_failure(lm->env.snmp, c->line.id, c->serial, c->line.session_id, dial_outcome_name(outcome));
	snprintf(c->reason, sizeof(c->reason), "%s", reason);
	r.reason = c->reason;
	c->ev.done(&r, c->arg);
	free(c);
}

static void modem_speed_changed(void *arg, uint64_t speed_bps)
{
	struct line_call *c = arg;

	fprintf(stderr, "spgate-control: line %s: retrained to %llu bit/s\n", c->line.id,
		(unsigned long long)speed_bps);
	if (c->ev.speed_changed != NULL)
		c->ev.speed_changed(speed_bps, c->arg);
}

static void modem_dropped(void *arg, const char *reason)
{
	struct line_call *c = arg;
	char text[LINE_REASON_MAX];

	c->dial = NULL;
	store_line_note_call(c->lm->env.store, c->line.id, "dropped", false, false, false);
	snprintf(text, sizeof(text), "line %s: the call was lost (%s)", c->line.id, reason);
	fprintf(stderr, "spgate-control: %s\n", text);
	c->ev.dropped(text, c->arg);
	free(c);
}

static const struct dial_events modem_events = {
	.connected = modem_connected,
	.failed = modem_failed,
	.speed_changed = modem_speed_changed,
	.dropped = modem_dropped,
};

/* The system's numbers ("n1;n2", normalised at import) in the order they are tried. */
static size_t split_numbers(char *list, const char *numbers[LINE_MAX_NUMBERS])
{
	char *save = NULL, *tok;
	size_t n = 0;

	for (tok = strtok_r(list, ";", &save); tok != NULL && n < LINE_MAX_NUMBERS; tok = strtok_r(NULL, ";", &save))
		numbers[n++] = tok;
	return n;
}

static int line_modem(struct line_call *c, const struct store_system *sys, uint16_t default_port)
{
	char list[STORE_ADDRESS_MAX];
	const char *numbers[LINE_MAX_NUMBERS];
	struct dial_line d;
	struct dial_timing t;
	size_t n;

	c->r.agent_addr = c->line.peer_addr;
	c->r.agent_port = c->line.peer_port != 0 ? c->line.peer_port : default_port;
	snprintf(list, sizeof(list), "%s", sys->address);
	n = split_numbers(list, numbers);
	if (n == 0 || c->line.peer_addr == 0) {
		snprintf(c->reason, sizeof(c->reason), n == 0 ? "system %s has no phone number" :
			 "line %s has no peer address", n == 0 ? sys->serial : c->line.id);
		return line_report_later(c);
	}
	line_dial_params(c->lm, &c->line, &d, &t);
	c->dial = dial_start(c->lm->env.base, &d, &t, numbers, n, &modem_events, c);
	return c->dial == NULL ? -errno : 0;
}

/* A call on line for sys, reporting to ev with arg; NULL (errno) without memory. */
static struct line_call *line_call_new(struct line_mgr *lm, const struct store_line *line,
				       const struct store_system *sys, const struct line_events *ev,
				       void *arg)
{
	struct line_call *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->lm = lm;
	c->ev = *ev;
	c->arg = arg;
	c->line = *line;
	snprintf(c->serial, sizeof(c->serial), "%s", sys->serial);
	return c;
}

struct line_call *line_connect(struct line_mgr *lm, const struct store_line *line, const struct store_system *sys,
			       uint16_t default_agent_port, const struct line_events *ev, void *arg)
{
	struct line_call *c;
	int rc;

	c = line_call_new(lm, line, sys, ev, arg);
	if (c == NULL)
		return NULL;
	if (line->type != sys->connect) {
		snprintf(c->reason, sizeof(c->reason), "line %s is a %s line; system %s is reached by %s", line->id,
			 store_connect_name(line->type), sys->serial, store_connect_name(sys->connect));
		rc = line_report_later(c);
	} else if (line->type == STORE_CONNECT_NETWORK) {
		line_network(c, sys, default_agent_port);
		rc = line_report_later(c);
	} else {
		rc = line_modem(c, sys, default_agent_port);
	}
	if (rc != 0) {
		free(c);
		errno = -rc;
		return NULL;
	}
	return c;
}

/*
 * A restart: sys's numbers, the line's peer and the speed as the store has them; the dialer
 * checks that the call is still up (dial_reattach) and done() says so, or why not.
 */
struct line_call *line_reattach(struct line_mgr *lm, const struct store_line *line, const struct store_system *sys,
				uint16_t default_agent_port, uint64_t speed_bps, const struct line_events *ev, void *arg)
{
	char label[STORE_ADDRESS_MAX + 16];
	struct line_call *c;
	struct dial_line d;
	struct dial_timing t;

	if (line->type != STORE_CONNECT_MODEM) {
		errno = EINVAL;
		return NULL;
	}
	c = line_call_new(lm, line, sys, ev, arg);
	if (c == NULL)
		return NULL;
	c->reattach = true;
	c->r.agent_addr = line->peer_addr;
	c->r.agent_port = line->peer_port != 0 ? line->peer_port : default_agent_port;
	/* Which of several numbers answered is not recorded: the log then names the system. */
	if (sys->address[0] != '\0' && strchr(sys->address, ';') == NULL)
		snprintf(label, sizeof(label), "%s", sys->address);
	else
		snprintf(label, sizeof(label), "call to %s", sys->serial);
	line_dial_params(lm, &c->line, &d, &t);
	c->dial = dial_reattach(lm->env.base, &d, &t, label, speed_bps, &modem_events, c);
	if (c->dial == NULL) {
		int err = errno;

		free(c);
		errno = err;
		return NULL;
	}
	return c;
}

void line_cancel(struct line_call *c)
{
	if (c == NULL)
		return;
	if (c->report != NULL)
		event_free(c->report);
	if (c->dial != NULL && c->lm->leaving) {
		/* Sessions outlive spgate-control: the next one re-attaches to the call. */
		dial_detach(c->dial);
	} else if (c->dial != NULL) {
		dial_hangup(c->dial);
		if (c->connected)
			fprintf(stderr, "spgate-control: line %s: hung up\n", c->line.id);
	}
	free(c);
}

void line_mgr_leave_calls_up(struct line_mgr *lm)
{
	if (lm != NULL)
		lm->leaving = true;
}

/* ---- operators and health checks ---- */

int line_set_enabled(struct line_mgr *lm, const char *id, bool enabled)
{
	struct store_line l;
	enum store_line_state to;
	int rc;

	rc = store_line_get(lm->env.store, id, &l);
	if (rc != 0)
		return rc;
	if (!enabled)
		to = STORE_LINE_DISABLED;
	else if (l.state == STORE_LINE_DISABLED || l.state == STORE_LINE_FAILED)
		to = l.session_id != 0 ? STORE_LINE_CONNECTED : STORE_LINE_IDLE;
	else
		to = l.state;
	if (enabled)
		store_line_note_call(lm->env.store, id, "check: enabled by an operator", false, false, true);
	line_state_to(lm, id, to, to == STORE_LINE_IDLE ? 0 : l.session_id);
	return 0;
}

static void check_unlink(struct line_check *k)
{
	struct line_check **pp;

	for (pp = &k->lm->checks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == k) {
			*pp = k->next;
			break;
		}
}

static void check_done(void *arg, bool ok, const char *reason)
{
	struct line_check *k = arg;
	struct line_mgr *lm = k->lm;
	struct store_line l;

	check_unlink(k);
	/* An operator may have disabled or enabled it meanwhile: only a failed line recovers. */
	if (ok && store_line_get(lm->env.store, k->id, &l) == 0 && l.state == STORE_LINE_FAILED) {
		store_line_note_call(lm->env.store, k->id, "check: ok", false, false, true);
		fprintf(stderr, "spgate-control: line %s: health check passed; back in service\n", k->id);
		line_state_to(lm, k->id, STORE_LINE_IDLE, 0);
	}
	/* a failed check: the dialer has logged why */
	(void)reason;
	free(k);
}

static bool check_running(const struct line_mgr *lm, const char *id)
{
	const struct line_check *k;

	for (k = lm->checks; k != NULL; k = k->next)
		if (strcmp(k->id, id) == 0)
			return true;
	return false;
}

static int check_one(const struct store_line *l, void *arg)
{
	struct line_mgr *lm = arg;
	struct line_check *k;
	struct dial_line d;
	struct dial_timing t;

	/* A failed line still held by its session is checked once the session lets it go. */
	if (l->type != STORE_CONNECT_MODEM || l->state != STORE_LINE_FAILED || l->session_id != 0 ||
	    check_running(lm, l->id))
		return 0;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return 0;
	k->lm = lm;
	snprintf(k->id, sizeof(k->id), "%s", l->id);
	line_dial_params(lm, l, &d, &t);
	d.id = k->id;
	k->dc = dial_check_start(lm->env.base, &d, &t, check_done, k);
	if (k->dc == NULL) {
		free(k);
		return 0;
	}
	k->next = lm->checks;
	lm->checks = k;
	return 0;
}

void line_mgr_check_failed(struct line_mgr *lm)
{
	store_line_foreach(lm->env.store, check_one, lm);
}

static void check_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	line_mgr_check_failed(arg);
}

struct line_mgr *line_mgr_new(const struct line_env *env)
{
	struct line_mgr *lm = calloc(1, sizeof(*lm));
	struct timeval tv;

	if (lm == NULL)
		return NULL;
	lm->env = *env;
	if (env->cfg->dial.health_check == 0)
		return lm;
	lm->check_timer = event_new(env->base, -1, EV_PERSIST, check_timer_cb, lm);
	tv.tv_sec = env->cfg->dial.health_check;
	tv.tv_usec = 0;
	if (lm->check_timer == NULL || event_add(lm->check_timer, &tv) != 0) {
		line_mgr_free(lm);
		errno = ENOMEM;
		return NULL;
	}
	return lm;
}

void line_mgr_free(struct line_mgr *lm)
{
	struct line_check *k, *next;

	if (lm == NULL)
		return;
	for (k = lm->checks; k != NULL; k = next) {
		next = k->next;
		dial_check_cancel(k->dc);
		free(k);
	}
	if (lm->check_timer != NULL)
		event_free(lm->check_timer);
	free(lm);
}
