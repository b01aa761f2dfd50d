/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dial state machine (dialer.h): reset, init, dial the numbers with the retry rules,
 * watch the connected call. The bytes are io.c's, the hang-up hangup.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/dial_int.h"

static const char *ms_text(char buf[32], unsigned ms)
{
	if (ms % 1000 == 0)
		snprintf(buf, 32, "%u s", ms / 1000);
	else
		snprintf(buf, 32, "%u ms", ms);
	return buf;
}

/* base_ms doubled k times, capped at an hour. */
static unsigned backoff_ms(unsigned base_ms, unsigned k)
{
	uint64_t ms = (uint64_t)base_ms << (k < 20 ? k : 20);

	return ms > DIAL_BACKOFF_MAX_MS ? DIAL_BACKOFF_MAX_MS : (unsigned)ms;
}

/* Appends to s[cap] at *off, keeping what is already there when it does not fit. */
static void __attribute__((format(printf, 4, 5))) append(char *s, size_t cap, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s + *off, cap - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = (size_t)n >= cap - *off ? cap - 1 : *off + (size_t)n;
}

/*
 * "line modem1: +15550101 busy (3 tries); +15550102 no answer", then the line fault and the
 * numbers never dialed. NULL when out of memory.
 */
static char *dial_reason(const struct dial_call *c, bool line_fault)
{
	size_t cap = 64 + strlen(c->id) + sizeof(c->fault) + c->n * (HAYES_PHONE_MAX + 48), off = 0, i;
	const char *sep = "";
	bool undialed = false;
	char *s = malloc(cap);

	if (s == NULL)
		return NULL;
	append(s, cap, &off, "line %s: ", c->id);
	for (i = 0; i < c->n; i++) {
		const struct dial_number *num = &c->nums[i];

		if (num->tries == 0) {
			undialed = true;
			continue;
		}
		append(s, cap, &off, "%s%s %s", sep, num->number, dial_outcome_name(num->last));
		if (num->tries > 1)
			append(s, cap, &off, " (%u tries)", num->tries);
		sep = "; ";
	}
	if (line_fault && c->fault[0] != '\0') {
		append(s, cap, &off, "%s%s", sep, c->fault);
		sep = "; ";
	}
	if (undialed) {
		append(s, cap, &off, "%snot dialed:", sep);
		for (i = 0; i < c->n; i++)
			if (c->nums[i].tries == 0)
				append(s, cap, &off, " %s", c->nums[i].number);
	}
	return s;
}

/* The call (or check) failed: on hook, device closed, failed() or done(false), then freed. */
static void dial_end(struct dial_call *c, enum dial_outcome o, bool line_fault)
{
	char *reason = dial_reason(c, line_fault);
	const char *text = reason != NULL ? reason : c->fault;
	size_t skip = strlen(c->id) + 7;

	dial_io_close(c);
	event_del(c->timer);
	/* The reason starts with "line <id>: ", as dial_log's lines do. */
	if (reason != NULL && strlen(reason) >= skip)
		dial_log(c, "%s failed: %s", c->check ? "health check" : "call", reason + skip);
	else
		dial_log(c, "%s failed: %s", c->check ? "health check" : "call", text);
	if (!c->quiet && c->check)
		c->check_done(c->arg, false, text);
	else if (!c->quiet && c->ev.failed != NULL)
		c->ev.failed(c->arg, o, line_fault, text);
	free(reason);
	dial_call_release(c);
}

/*
 * A line fault (c->fault says what): the device is closed and, while line_retries allow,
 * reopened after the back-off to try the same step again; retry false for faults that
 * another try cannot mend (no such device).
 */
static void dial_line_fault(struct dial_call *c, enum dial_outcome o, bool retry)
{
	char delay_text[32];
	unsigned delay;

	/* The modem failed to go on hook after the last number's last result: that result stands. */
	if (c->state == DS_ONHOOK && c->next == DIAL_NEXT_FAIL) {
		dial_log(c, "%s", c->fault);
		dial_end(c, c->last, dial_outcome_is_line_fault(c->last));
		return;
	}
	c->last = o;
	if (c->state == DS_DIAL)
		c->nums[c->cur].last = o;
	dial_io_close(c);
	event_del(c->timer);
	if (c->check || !retry || c->line_faults >= c->t.line_retries) {
		dial_end(c, o, true);
		return;
	}
	c->line_faults++;
	delay = c->t.retry_delay_ms;
	dial_log(c, "%s, retry %u/%u in %s", c->fault, c->line_faults, c->t.line_retries, ms_text(delay_text, delay));
	c->state = DS_BACKOFF;
	dial_io_arm(c, delay);
}

static void __attribute__((format(printf, 3, 4))) dial_fault(struct dial_call *c, enum dial_outcome o,
							     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fault, sizeof(c->fault), fmt, ap);
	va_end(ap);
	dial_line_fault(c, o, true);
}

static void dial_command(struct dial_call *c, enum dial_state state, const char *cmd)
{
	int rc;

	c->state = state;
	rc = dial_io_send(c, cmd);
	if (rc < 0) {
		dial_fault(c, DIAL_DEVICE, "%s: cannot send %s: %s", c->device, cmd, strerror(-rc));
		return;
	}
	dial_io_arm(c, state == DS_DIAL ? c->t.connect_timeout_ms : c->t.command_timeout_ms);
}

/* Errors of open() that another try will not mend: the configuration is wrong. */
static bool open_error_is_final(int rc)
{
	switch (-rc) {
	case ENOENT:
	case ENOTDIR:
	case ENODEV:
	case ENXIO:
	case EACCES:
	case EPERM:
	case EINVAL:
	case ENOTTY:
	case ELOOP:
	case ENAMETOOLONG:
		return true;
	default:
		return false;
	}
}

static uint64_t dial_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Opens the device (once no earlier call is hanging it up) and resets the modem. */
static void dial_begin(struct dial_call *c)
{
	int rc;

	if (dial_device_hanging_up(c->device)) {
		uint64_t now = dial_now_ms();

		if (c->state != DS_WAIT_FREE) {
			c->state = DS_WAIT_FREE;
			c->wait_since_ms = now;
		}
		/* The hang-up ends on its own timers; this bound only catches one that never ends. */
		if (now - c->wait_since_ms > dial_hangup_max_ms(&c->t) + c->t.command_timeout_ms) {
			dial_fault(c, DIAL_DEVICE, "%s is still being hung up after %llu ms", c->device,
				   (unsigned long long)(now - c->wait_since_ms));
			return;
		}
		dial_io_arm(c, DIAL_FREE_POLL_MS);
		return;
	}
	rc = dial_io_open(c);
	if (rc < 0) {
		dial_line_fault(c, DIAL_DEVICE, !open_error_is_final(rc));
		return;
	}
	dial_command(c, DS_RESET, "ATZ");
}

static void dial_number(struct dial_call *c)
{
	struct dial_number *num = &c->nums[c->cur];
	char cmd[DIAL_CMD_MAX];

	num->tries++;
	snprintf(cmd, sizeof(cmd), "ATDT%s%s", c->prefix, num->number);
	dial_log(c, "dialing %s%s", num->number, num->tries > 1 ? " again" : "");
	dial_command(c, DS_DIAL, cmd);
}

static void dial_online(struct dial_call *c, uint64_t speed)
{
	struct dial_number *num = &c->nums[c->cur];

	num->last = DIAL_CONNECTED;
	c->state = DS_ONLINE;
	c->speed = speed;
	event_del(c->timer);
	if (speed != 0)
		dial_log(c, "%s: CONNECT %llu", num->number, (unsigned long long)speed);
	else
		dial_log(c, "%s: CONNECT (no speed given)", num->number);
	/*
	 * HUPCL off while the call is up: the close at an exit (even kill -9) then leaves DTR
	 * up and the call lives on for the next spgate-control (reattach.c); a hang-up or a
	 * dropped call sets it back before closing.
	 */
	if (dial_tty_hold(c->fd, true) < 0)
		dial_log(c, "%s: cannot clear HUPCL: a restart of spgate-control will hang up", num->number);
	dial_io_dcd_start(c);
	/* Last: connected() may hang up, which changes the state under us. */
	if (!c->quiet && c->ev.connected != NULL)
		c->ev.connected(c->arg, num->number, speed);
}

/* A connected call is lost: closed, dropped() and freed. */
static void dial_drop(struct dial_call *c, const char *reason)
{
	dial_log(c, "%s: call dropped: %s", c->nums[c->cur].number, reason);
	dial_io_close(c);
	event_del(c->timer);
	if (!c->quiet && c->ev.dropped != NULL)
		c->ev.dropped(c->arg, reason);
	dial_call_release(c);
}

/* BUSY, NO ANSWER, NO CARRIER: the number's fault, not the line's. The retry rules of dialer.h. */
static void dial_attempt_failed(struct dial_call *c, enum dial_outcome o, enum hayes_result r)
{
	struct dial_number *num = &c->nums[c->cur];
	char delay_text[32];

	num->last = o;
	c->last = o;
	c->next_delay_ms = 0;
	if (o == DIAL_BUSY && num->busy < c->t.busy_retries) {
		num->busy++;
		c->next = DIAL_NEXT_REDIAL;
		c->next_delay_ms = backoff_ms(c->t.retry_delay_ms, num->busy - 1);
		dial_log(c, "%s: %s, retry %u/%u in %s", num->number, hayes_result_name(r), num->busy,
			 c->t.busy_retries, ms_text(delay_text, c->next_delay_ms));
	} else if (o == DIAL_NO_CARRIER && num->no_carrier < 1) {
		num->no_carrier++;
		c->next = DIAL_NEXT_REDIAL;
		c->next_delay_ms = c->t.retry_delay_ms;
		dial_log(c, "%s: %s, retry 1/1 in %s", num->number, hayes_result_name(r),
			 ms_text(delay_text, c->next_delay_ms));
	} else if (c->cur + 1 < c->n) {
		dial_log(c, "%s: %s, next number %s", num->number, hayes_result_name(r), c->nums[c->cur + 1].number);
		c->cur++;
		c->next = DIAL_NEXT_NUMBER;
	} else {
		dial_log(c, "%s: %s, no number left", num->number, hayes_result_name(r));
		c->next = DIAL_NEXT_FAIL;
	}
	/* Most modems are on hook already after these; ATH0 makes sure before the line is reused. */
	dial_command(c, DS_ONHOOK, "ATH0");
}

static void dial_after_onhook(struct dial_call *c)
{
	switch (c->next) {
	case DIAL_NEXT_REDIAL:
		c->state = DS_BACKOFF;
		event_del(c->timer);
		dial_io_arm(c, c->next_delay_ms);
		break;
	case DIAL_NEXT_NUMBER:
		dial_number(c);
		break;
	case DIAL_NEXT_FAIL:
		dial_end(c, c->last, false);
		break;
	}
}

static void on_command_result(struct dial_call *c, enum hayes_result r)
{
	if (r == HAYES_OK) {
		if (c->state == DS_RESET && c->init[0] != '\0')
			dial_command(c, DS_INIT, c->init);
		else if (c->check)
			dial_check_passed(c);
		else
			dial_number(c);
		return;
	}
	if (r == HAYES_ERROR)
		dial_fault(c, DIAL_ERROR, "modem answered ERROR to %s", c->sent);
	else
		dial_debug(c, "%s ignored after %s", hayes_result_name(r), c->sent);
}

static void on_dial_result(struct dial_call *c, enum hayes_result r, uint64_t speed)
{
	switch (r) {
	case HAYES_CONNECT:
		dial_online(c, speed);
		break;
	case HAYES_BUSY:
		dial_attempt_failed(c, DIAL_BUSY, r);
		break;
	case HAYES_NO_ANSWER:
		dial_attempt_failed(c, DIAL_NO_ANSWER, r);
		break;
	case HAYES_NO_CARRIER:
		dial_attempt_failed(c, DIAL_NO_CARRIER, r);
		break;
	case HAYES_NO_DIALTONE:
		dial_fault(c, DIAL_NO_DIALTONE, "the modem found no dial tone (is the phone line plugged in?)");
		break;
	case HAYES_ERROR:
		dial_fault(c, DIAL_ERROR, "modem answered ERROR to %s", c->sent);
		break;
	default:
		/* OK, RING: nothing to do with our call. */
		dial_debug(c, "%s ignored while dialing", hayes_result_name(r));
		break;
	}
}

static void on_online_result(struct dial_call *c, enum hayes_result r, uint64_t speed)
{
	if (r == HAYES_NO_CARRIER) {
		dial_drop(c, "NO CARRIER");
		return;
	}
	if (r != HAYES_CONNECT || speed == 0 || speed == c->speed)
		return;
	dial_log(c, "%s: retrained: CONNECT %llu", c->nums[c->cur].number, (unsigned long long)speed);
	c->speed = speed;
	if (!c->quiet && c->ev.speed_changed != NULL)
		c->ev.speed_changed(c->arg, speed);
}

void dial_on_result(struct dial_call *c, enum hayes_result r, uint64_t speed)
{
	switch (c->state) {
	case DS_RESET:
	case DS_INIT:
		on_command_result(c, r);
		break;
	case DS_DIAL:
		on_dial_result(c, r, speed);
		break;
	case DS_ONHOOK:
		if (r == HAYES_OK)
			dial_after_onhook(c);
		else if (r == HAYES_ERROR)
			dial_fault(c, DIAL_ERROR, "modem answered ERROR to ATH0");
		break;
	case DS_ONLINE:
		on_online_result(c, r, speed);
		break;
	case DS_HANGUP_GUARD1:
	case DS_HANGUP_GUARD2:
	case DS_HANGUP_ATH:
		dial_hangup_on_result(c, r);
		break;
	case DS_REATTACH_GUARD1:
	case DS_REATTACH_GUARD2:
	case DS_REATTACH_ATO:
		dial_reattach_on_result(c, r, speed);
		break;
	default:
		dial_debug(c, "%s ignored", hayes_result_name(r));
		break;
	}
}

void dial_on_timer(struct dial_call *c)
{
	const char *what = c->state == DS_DIAL ? "result" : "OK";
	unsigned ms = c->state == DS_DIAL ? c->t.connect_timeout_ms : c->t.command_timeout_ms;

	switch (c->state) {
	case DS_START:
	case DS_WAIT_FREE:
		if (c->reattach)
			dial_reattach_begin(c);
		else
			dial_begin(c);
		break;
	case DS_BACKOFF:
		if (c->fd < 0)
			dial_begin(c);
		else
			dial_number(c);
		break;
	case DS_RESET:
	case DS_INIT:
	case DS_DIAL:
	case DS_ONHOOK:
		if (c->out_len > 0)
			dial_fault(c, DIAL_DEVICE, "%s: %s not sent within %u ms (flow control holding it?)", c->device,
				   c->sent, ms);
		else
			dial_fault(c, DIAL_TIMEOUT, "no %s from the modem within %u ms of %s", what, ms, c->sent);
		break;
	case DS_ONLINE:
		break;
	case DS_HANGUP_GUARD1:
	case DS_HANGUP_GUARD2:
	case DS_HANGUP_ATH:
	case DS_HANGUP_SETTLE:
		dial_hangup_on_timer(c);
		break;
	case DS_REATTACH_GUARD1:
	case DS_REATTACH_GUARD2:
	case DS_REATTACH_ATO:
		dial_reattach_on_timer(c);
		break;
	}
}

void dial_on_device_error(struct dial_call *c, int err)
{
	switch (c->state) {
	case DS_ONLINE:
		dial_drop(c, "device closed");
		break;
	case DS_HANGUP_GUARD1:
	case DS_HANGUP_GUARD2:
	case DS_HANGUP_ATH:
		dial_hangup_finish(c);
		break;
	case DS_REATTACH_GUARD1:
	case DS_REATTACH_GUARD2:
	case DS_REATTACH_ATO:
		dial_reattach_on_device_error(c, err);
		break;
	default:
		if (err == 0)
			dial_fault(c, DIAL_DEVICE, "%s: device closed", c->device);
		else
			dial_fault(c, DIAL_DEVICE, "%s: %s", c->device, strerror(err));
		break;
	}
}

void dial_on_carrier_lost(struct dial_call *c)
{
	if (c->state == DS_ONLINE)
		dial_drop(c, "carrier lost (DCD)");
}

