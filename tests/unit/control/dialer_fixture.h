/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the dialer's tests (test_dialer, test_dialer_online): a scripted modem on the
 * master side of a pseudo-terminal, the events the dialer reported, and a bounded event loop.
 * The test answers each command the dialer writes to the slave as the script says, on a real
 * event loop. Timings are short (tens of milliseconds) so each suite runs in seconds.
 */
#ifndef SPG_DIALER_FIXTURE_H
#define SPG_DIALER_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "ctl_test.h"
#include "dial/dialer.h"

/*
 * One step: when the dialer sends expect (NULL: as soon as the previous step is done), wait
 * delay_ms, then write reply (NULL: say nothing) or close the master side.
 */
struct step {
	const char *expect;
	const char *reply;
	unsigned delay_ms;
	bool close;
	size_t len; /* of reply, when it holds NUL bytes; 0: strlen */
};

#define OK "\r\nOK\r\n"
#define MAX_CMDS 32
/* The modem answers cmd with reply after ms; says reply unprompted ms after the last step;
 * closes the master side; ends the script. */
#define SAY(cmd, reply, ms) {(cmd), (reply), (ms), false, 0}
#define LATER(reply, ms) {NULL, (reply), (ms), false, 0}
#define CLOSE_AFTER(ms) {NULL, NULL, (ms), true, 0}
#define END {NULL, NULL, 0, false, 0}
/* The reset and the init string of world_up()'s line, each answered OK after ms. */
#define INIT_STEPS(ms) SAY("ATZ", OK, (ms)), SAY("AT&F E0 V1 X4", OK, (ms))
#define HANGUP_STEPS SAY("+++", OK, 0), SAY("ATH0", OK, 0)

struct modem {
	int master, slave;
	char path[64];
	const struct step *script;
	size_t pos;
	bool echo;
	bool pending; /* a step's reply is scheduled */
	char rx[256];
	size_t rx_len;
	char cmds[MAX_CMDS][128]; /* every command the dialer sent, in order */
	double at[MAX_CMDS];      /* when each came */
	size_t n_cmds;
	struct event *rd, *tm;
};
extern struct modem modem;

/* What the dialer reported. */
struct got {
	int connected, failed, speed_changed, dropped, checked;
	char number[64];
	uint64_t speed, new_speed;
	enum dial_outcome outcome;
	bool line_fault, ok;
	char reason[1024];
	double at;            /* when the last event came */
	bool hang_up_at_once; /* connected(): dial_hangup from inside the callback */
	bool hang_up_on_retrain;
	struct dial_call *call;
	double hung_up_at;
};
extern struct got got;

/* The world of one test, set up by world_up(): the line and timing may be changed before
 * the call starts. */
extern struct event_base *base;
extern struct dial_line line;
extern struct dial_timing timing;
extern const struct dial_events events;

extern const char *const one_number[1];
extern const char *const two_numbers[2];

double now_ms(void);

/* The index of the first command cmd at or after from, or -1. */
int modem_cmd_index(const char *cmd, int from);

/* A fresh event loop, modem (answering as script says, echoing commands when echo) and line
 * "modem1" on it; world_down() hangs up what is still up and frees them. */
void world_up(const struct step *script, bool echo);
void world_down(void);

/* Runs the loop until cond() holds or max_ms passed; whether cond() held. */
bool run_until(bool (*cond)(void), unsigned max_ms);
/* Lets the loop run for ms (to see that nothing more happens). */
void run_for(unsigned ms);

bool is_connected(void);
bool has_failed(void);
bool has_dropped(void);
bool has_checked(void);
bool device_free(void);

/* Starts a call to numbers (must not fail). */
struct dial_call *start(const char *const *numbers, size_t n);
/* Takes over a call left up on the line (dial_reattach, must not fail), labelled label. */
struct dial_call *reattach(const char *label, uint64_t speed_bps);
/* Whether the pseudo-terminal has HUPCL set (its settings are shared by every opener). */
bool device_hupcl(void);
/* Starts a call to numbers and runs the loop until cond() holds, at most max_ms. */
void call_until(const char *const *numbers, size_t n, bool (*cond)(void), unsigned max_ms);
/* dial_hangup() on the call under test, at once. */
void end_call(void);
/* Hangs a connected call up and waits until the modem is on hook. */
void hang_up(void);

/* The health check's callback, recording into got. */
void on_checked(void *arg, bool ok, const char *reason);
/* Starts a health check of the line (must not fail). */
struct dial_check *start_check(void);

/* Whether the last reason holds what; says on stderr what it lacks when not. */
bool reason_has(const char *what);

/* Runs the cases as suite name; DIAL_VERBOSE in the environment logs the dialogue. */
int dialer_test_run(const char *name, const struct ctl_test_case *cases);

#endif
