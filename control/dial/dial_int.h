/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the dialer: the call object that call.c (its parameters and logs), dialer.c (the
 * state machine), io.c (the device's bytes and timers), hangup.c and check.c share, and the
 * serial device itself (tty.c).
 *
 * Lifetime: every entry from the loop (timer, read, write, DCD poll) goes through
 * dial_call_enter/dial_call_leave; dial_call_release closes everything at once but frees
 * the object only when no callback of it is on the stack, so a user callback may end the
 * call (dial_hangup from connected()) without pulling the object from under its caller.
 */
#ifndef SPG_DIAL_INT_H
#define SPG_DIAL_INT_H

#include "dial/dialer.h"

#define DIAL_CMD_MAX 128
#define DIAL_PREFIX_MAX 32
/* How often a call polls a device that an earlier call is still hanging up. */
#define DIAL_FREE_POLL_MS 20
#define DIAL_BACKOFF_MAX_MS 3600000u

enum dial_state {
	DS_START,     /* dial_start returned; the first step runs from the loop */
	DS_WAIT_FREE, /* an earlier call is hanging up the device */
	DS_RESET,     /* ATZ sent */
	DS_INIT,      /* the init string sent */
	DS_DIAL,      /* ATDT sent */
	DS_ONHOOK,    /* ATH0 sent after a failed attempt */
	DS_BACKOFF,   /* waiting to redial (device open) or to reopen (closed after a line fault) */
	DS_ONLINE,
	DS_HANGUP_GUARD1, /* silence before "+++" */
	DS_HANGUP_GUARD2, /* silence after "+++" */
	DS_HANGUP_ATH,    /* ATH0 sent; waiting for the modem to say it is on hook */
	DS_HANGUP_SETTLE, /* closed (DTR down); the device rests before anyone opens it again */
	/* Re-attaching to a call left up by an earlier spgate-control (reattach.c), on a device
	 * without DCD: silence, "+++", its OK, "ATO" answered CONNECT (up) or NO CARRIER. */
	DS_REATTACH_GUARD1,
	DS_REATTACH_GUARD2,
	DS_REATTACH_ATO,
};

/* What follows once the modem is on hook after a failed attempt. */
enum dial_next { DIAL_NEXT_REDIAL, DIAL_NEXT_NUMBER, DIAL_NEXT_FAIL };

struct dial_number {
	char number[HAYES_PHONE_MAX];
	unsigned tries;
	unsigned busy;       /* busy retries used */
	unsigned no_carrier; /* no-carrier retries used */
	enum dial_outcome last;
};

struct dial_call {
	struct event_base *base;
	char *id, *device, *init, *prefix;
	unsigned baud;
	enum dial_flow flow;
	struct dial_timing t;
	struct dial_events ev;
	void *arg;
	bool check; /* a health check (check.c): stop after the init string */
	void (*check_done)(void *arg, bool ok, const char *reason);
	bool quiet; /* dial_hangup or dial_check_cancel: no event any more */
	bool reattach; /* dial_reattach: take over a live call, never reset or dial */

	struct dial_number *nums;
	size_t n, cur;
	enum dial_state state;
	enum dial_next next;
	unsigned next_delay_ms;
	unsigned line_faults; /* line faults retried so far */
	uint64_t wait_since_ms; /* monotonic; when DS_WAIT_FREE began */
	enum dial_outcome last;
	char fault[192]; /* the last line fault, for the reason */
	uint64_t speed;

	int fd;
	struct event *rd, *wr, *timer, *dcd;
	bool dcd_seen;
	bool hangup_registered;
	struct hayes_reader reader;
	char sent[DIAL_CMD_MAX]; /* the last command, to tell its echo */
	char out[2 * DIAL_CMD_MAX];
	size_t out_len;

	unsigned depth;
	bool dead;
};

/* call.c; dial_call_init frees c when it fails (errno set) */
int dial_call_init(struct dial_call *c, struct event_base *base, const struct dial_line *line,
		   const struct dial_timing *t, const char *const *numbers, size_t n, void *arg);
void dial_call_free(struct dial_call *c);
void dial_log(const struct dial_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dial_debug(const struct dial_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* dialer.c */
void dial_on_timer(struct dial_call *c);
void dial_on_result(struct dial_call *c, enum hayes_result r, uint64_t speed);
void dial_on_device_error(struct dial_call *c, int err);
void dial_on_carrier_lost(struct dial_call *c);

/* io.c */
void dial_call_enter(struct dial_call *c);
bool dial_call_leave(struct dial_call *c);
void dial_call_release(struct dial_call *c);
void dial_timer_cb(evutil_socket_t fd, short what, void *arg);
void dial_io_arm(struct dial_call *c, unsigned ms);
int dial_io_open(struct dial_call *c);
void dial_io_close(struct dial_call *c);
int dial_io_send(struct dial_call *c, const char *cmd);
int dial_io_write(struct dial_call *c, const char *data, size_t len);
void dial_io_dcd_start(struct dial_call *c);
void dial_io_dcd_stop(struct dial_call *c);

/* hangup.c */
void dial_hangup_on_timer(struct dial_call *c);
void dial_hangup_on_result(struct dial_call *c, enum hayes_result r);
void dial_hangup_finish(struct dial_call *c);
void dial_hangup_unregister(struct dial_call *c);
uint64_t dial_hangup_max_ms(const struct dial_timing *t);

/* reattach.c */
void dial_reattach_begin(struct dial_call *c);
void dial_reattach_on_timer(struct dial_call *c);
void dial_reattach_on_result(struct dial_call *c, enum hayes_result r, uint64_t speed);
void dial_reattach_on_device_error(struct dial_call *c, int err);
void dial_io_leave(struct dial_call *c);

/* check.c */
void dial_check_passed(struct dial_call *c);

/*
 * tty.c: open gives fd or -errno with err set (hold: HUPCL off from the start); close sets
 * HUPCL, flushes, drops DTR and closes (hangs up); leave closes with HUPCL off and DTR
 * untouched (the call stays up); hold clears (true) or sets HUPCL, 0 or -errno; DCD 1, 0 or
 * -errno (no modem-control lines: a pseudo-terminal).
 */
int dial_tty_open(const char *device, unsigned baud, enum dial_flow flow, bool hold, char *err, size_t errlen);
void dial_tty_close(int fd);
void dial_tty_leave(int fd);
int dial_tty_hold(int fd, bool hold);
int dial_tty_dcd(int fd);

#endif
