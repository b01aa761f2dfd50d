/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dialer: one call on one modem line, as a state machine on spgate-control's event loop
 * (DESIGN §4 "dialing", seed steps 324-326). It opens the line's serial device (termios:
 * raw, the line's baud and flow control, CLOCAL, HUPCL), resets and inits the
 * modem (ATZ, the init string; each must answer OK), dials the numbers in order
 * (ATDT<prefix><number>) and reads the result:
 *
 *   CONNECT <speed>  connected: the connect speed is reported; the call is then watched
 *                    (NO CARRIER, EOF/hang-up on the device, or DCD falling where the device
 *                    has modem-control lines => dropped; a later "CONNECT <speed>" line =>
 *                    the modem retrained to that speed)
 *   BUSY             the same number again after retry_delay, doubling, up to busy_retries
 *   NO CARRIER       the same number once more after retry_delay, then the next number
 *   NO ANSWER        the next number at once
 *   NO DIALTONE / ERROR / no answer from the modem within command_timeout (or no result
 *                    within connect_timeout after ATDT) / device errors
 *                    => a line fault: retried after retry_delay up to line_retries, then
 *                    the call fails with line_fault = true
 *
 * Before each redial and after every failure the modem is put on hook (ATH0) so the line is
 * free at once. Hang-up of a connected call: wait guard_ms, "+++", wait guard_ms, ATH0 (OK
 * or command_timeout), drop DTR (TIOCMBIC; ignored on devices without modem lines, such as
 * pseudo-terminals), close. A device being hung up is not opened again until that finished:
 * a new call on it waits (bounded by command_timeout * 3).
 *
 * Restarts (DESIGN: sessions outlive spgate-control): while a call is up HUPCL is off, so
 * neither dial_detach's close nor the kernel's at a crash drops DTR and the modem (&D2)
 * keeps the call; a hang-up or a lost call sets HUPCL again. The next spgate-control takes
 * the call over with dial_reattach: the device is opened without a reset (no ATZ, DTR only
 * raised, never dropped) and the call verified: by DCD where the device has modem-control
 * lines, else (a pseudo-terminal) by the Hayes escape: guard, "+++", the modem's OK (or
 * guard + command_timeout), "ATO", which a modem with a call answers "CONNECT [speed]"
 * (and goes back online) and one without "NO CARRIER" (or ERROR).
 *
 * Results, retries and failures are always logged with the line id; every dialogue line sent
 * and received too when dial_verbose is set, so an operator can read a failed call from the
 * log. Carrier loss is seen as "NO CARRIER", as EOF/EIO on the device, or by polling DCD once
 * a second (CLOCAL stays set: the modem has no carrier while dialing).
 */
#ifndef SPG_DIALER_H
#define SPG_DIALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dial/hayes.h"

/* Logs the raw dialogue (every line sent and received) when true; results and failures are
 * always logged. Default false. */
extern bool dial_verbose;

enum dial_flow { DIAL_FLOW_NONE, DIAL_FLOW_RTSCTS, DIAL_FLOW_XONXOFF };

struct dial_line {
	const char *id;          /* line id, for logs and reasons */
	const char *device;      /* "/dev/ttyS0", or a pseudo-terminal's path */
	unsigned baud;           /* DTE speed: 1200..230400 (a termios B* constant exists) */
	enum dial_flow flow;
	const char *init;        /* sent after ATZ, e.g. "AT&F E0 V1 X4 &C1 &D2"; "" none */
	const char *dial_prefix; /* put before every number, e.g. "9,"; "" none */
};

struct dial_timing {
	unsigned command_timeout_ms; /* an AT command's OK: default 3000 */
	unsigned connect_timeout_ms; /* ATDT until a result: default 60000 */
	unsigned guard_ms;           /* "+++" guard time: default 1000 */
	unsigned retry_delay_ms;     /* first back-off: default 5000; doubles per retry */
	unsigned busy_retries;       /* default 2 */
	unsigned line_retries;       /* line faults retried: default 1 */
};
/* Fills *t with the defaults above. */
void dial_timing_defaults(struct dial_timing *t);

enum dial_outcome {
	DIAL_CONNECTED,
	DIAL_BUSY,
	DIAL_NO_ANSWER,
	DIAL_NO_CARRIER,
	DIAL_NO_DIALTONE,
	DIAL_ERROR,
	DIAL_TIMEOUT,
	DIAL_DEVICE, /* cannot open or configure the device, or an I/O error */
};
/* "connected", "busy", "no answer", "no carrier", "no dial tone", "error", "timeout", "device". */
const char *dial_outcome_name(enum dial_outcome o);
/* True for outcomes that say the line (modem, device, exchange) is at fault, not the number. */
bool dial_outcome_is_line_fault(enum dial_outcome o);

struct dial_events {
	/* Connected to number (as dialed, without prefix) at speed_bps (0: the modem said none). */
	void (*connected)(void *arg, const char *number, uint64_t speed_bps);
	/*
	 * Every number and retry used up, or a line fault not worth retrying. outcome is the last
	 * result; reason is for people: "line modem1: +15550101 busy (3 tries); +15550102 no
	 * answer". The modem is on hook and the device closed; the call is over (do not hang up).
	 */
	void (*failed)(void *arg, enum dial_outcome outcome, bool line_fault, const char *reason);
	/* A connected call retrained: the new speed. */
	void (*speed_changed)(void *arg, uint64_t speed_bps);
	/* A connected call was lost: "NO CARRIER", "device closed", "carrier lost (DCD)". The
	 * device is closed; the call is over (do not hang up). */
	void (*dropped)(void *arg, const char *reason);
};

struct dial_call;

/*
 * Starts a call to numbers[0..n) (normalised, as hayes_phone_normalise makes them; copied).
 * Every event comes later from the loop, never from inside dial_start. NULL with errno set
 * (ENOMEM; EINVAL: n == 0, a number hayes_phone_normalise refuses, an init string that is
 * not printable ASCII or too long, a dial prefix that is not dial modifiers "0-9*#,WP");
 * no event comes then. t may be NULL for the defaults; zero timeouts take the defaults.
 */
struct dial_call *dial_start(struct event_base *base, const struct dial_line *line, const struct dial_timing *t,
			     const char *const *numbers, size_t n, const struct dial_events *ev, void *arg);

/*
 * Ends the call: hangs up as above if it is connected or dialing (in the background: the
 * call object frees itself when the modem is on hook, or after the bounded waits). No event
 * comes after dial_hangup. NULL is fine. Call it at most once, and not after failed/dropped.
 */
void dial_hangup(struct dial_call *c);

/*
 * Leaves a connected call up for the next spgate-control (its exit): closes the device
 * without dropping DTR and frees the call; no event comes after. So is a call still being
 * re-attached (dial_reattach). A call not connected (dialing, hanging up) is hung up as
 * dial_hangup does. NULL is fine; at most once, and not
 * after dial_hangup, failed or dropped.
 */
void dial_detach(struct dial_call *c);

/*
 * Takes over the call that an earlier spgate-control left up on line (dial_detach, or its
 * crash): opens the device without resetting the modem and checks that the call is still
 * there (DCD; without modem-control lines the escape and ATO, which take 2 * guard_ms plus
 * the modem's answers, at most 2 * guard_ms + 2 * command_timeout). Then connected(label, speed) with the speed ATO reported, else
 * speed_bps (what the store had); from then on the call is as if dial_start had made it.
 * Or failed(outcome, line_fault, reason) when there is no call any more (DCD down, NO
 * CARRIER, ERROR: outcome DIAL_NO_CARRIER) or the device or the modem does not answer; the
 * device is then closed with DTR dropped, so the modem is on hook. label names the call in
 * logs (the number, as dialed by the earlier process; copied). NULL with errno set
 * (ENOMEM, EINVAL as dial_start); no event comes then.
 */
struct dial_call *dial_reattach(struct event_base *base, const struct dial_line *line, const struct dial_timing *t,
				const char *label, uint64_t speed_bps, const struct dial_events *ev, void *arg);

/*
 * Health check of a line: open, ATZ, init string, each answering OK, close. done(arg, ok,
 * reason) comes once, later, from the loop. NULL with errno set; done does not come then.
 */
struct dial_check;
struct dial_check *dial_check_start(struct event_base *base, const struct dial_line *line,
				    const struct dial_timing *t, void (*done)(void *arg, bool ok, const char *reason),
				    void *arg);
/* Abandons a check in progress; done does not come. NULL is fine. */
void dial_check_cancel(struct dial_check *c);

/* True while a hang-up of device is in progress (tests, and the line module's status). */
bool dial_device_hanging_up(const char *device);

#endif
