/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-modemsim: a bank of Hayes-compatible modems on pseudo-terminals, and the telephone
 * network behind them, so that spgate-control's dialer is exercised for real without modems.
 *
 *   config.c  the YAML config (modems, numbers) and number lookup
 *   pty.c     pseudo-terminal creation, the device symlink, "is a DTE attached?"
 *   modem.c   one modem: the AT interpreter and the call state machine
 *   hook.c    the hook script, run per modem in order, never blocking the loop
 *   main.c    command line, signals, reload, counters
 */
#ifndef SPG_MODEMSIM_H
#define SPG_MODEMSIM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#define SIM_NUMBER_MAX 48
#define SIM_PEER_MAX 128
#define SIM_PREFIX_MAX 16
#define SIM_MAX_MODEMS 64
#define SIM_MAX_NUMBERS 1024

/* What a called number does. */
enum sim_result {
	SIM_ANSWER,
	SIM_BUSY,
	SIM_NO_ANSWER,
	SIM_NO_CARRIER,
	SIM_ERROR,
};
/* The config spelling: "answer", "busy", "no_answer", "no_carrier", "error". */
const char *sim_result_name(enum sim_result r);

struct sim_number {
	char number[SIM_NUMBER_MAX]; /* normalised: digits, '+', '*', '#' */
	enum sim_result result;
	uint32_t speed;             /* SIM_ANSWER: the CONNECT speed */
	uint32_t busy_first;        /* SIM_ANSWER: BUSY for the first N calls */
	uint32_t delay_ms;          /* until the result (ring time, or "after") */
	uint32_t drop_after_ms;     /* 0: never dropped */
	uint32_t retrain_after_ms;  /* 0: never retrains */
	uint32_t retrain_speed;
	uint64_t calls;             /* since start or reload: what busy_first counts */
};

struct sim_modem_conf {
	char device[PATH_MAX];
	char peer[SIM_PEER_MAX];
	char prefix[SIM_PREFIX_MAX]; /* stripped from the dial string before matching */
	bool dialtone;
	bool dead;
};

struct sim_config {
	char hook[PATH_MAX]; /* "" none */
	struct sim_modem_conf *modems;
	size_t n_modems;
	struct sim_number *numbers;
	size_t n_numbers;
	enum sim_result unknown;  /* what an unknown number gets */
	uint32_t ring_ms;         /* default ring time */
};

/* 0, or -1 with "FILE:LINE:COL: key.path: message" in err; *c is untouched on error. */
int sim_config_load(const char *path, struct sim_config *c, char *err, size_t errlen);
void sim_config_free(struct sim_config *c);
/* Keeps digits, '+', '*' and '#' of in (dial modifiers and separators go). */
void sim_number_normalise(const char *in, char *out, size_t outsize);
/* The entry for a normalised number, or NULL. */
struct sim_number *sim_config_find_number(struct sim_config *c, const char *number);
const struct sim_modem_conf *sim_config_find_modem(const struct sim_config *c,
						    const char *device);

/* Pseudo-terminals (pty.c). */
/* Opens a master (non-blocking, close-on-exec) with a raw slave; slave path into slave. */
int sim_pty_open(char *slave, size_t slavesize);
/* Points link at target, replacing a symlink; refuses anything else. 0 or -errno. */
int sim_pty_link(const char *link, const char *target);
/* Removes link if it still points at target. */
void sim_pty_unlink(const char *link, const char *target);
/* True when some process has the slave of master open. */
bool sim_pty_slave_open(int master);
/*
 * Whether the slave's last close dropped DTR: a serial port's driver drops DTR on the last
 * close when HUPCL is set; a DTE clears it to keep a call up while it is away (a restart).
 */
bool sim_pty_slave_hupcl(int master);

/* Hooks (hook.c). */
struct sim_hook_queue;
enum sim_hook_event { SIM_HOOK_UP, SIM_HOOK_DOWN, SIM_HOOK_RETRAIN };
struct sim_hook_queue *sim_hook_queue_new(struct event_base *base, const char *name);
void sim_hook_queue_free(struct sim_hook_queue *q);
/* Queues one run of script (nothing when script is ""): after the earlier ones finished. */
void sim_hook_run(struct sim_hook_queue *q, const char *script, enum sim_hook_event ev,
		  const char *device, const char *number, uint32_t speed, const char *peer);
bool sim_hook_idle(const struct sim_hook_queue *q);
/* Reaps exited children (from the SIGCHLD handler) and starts the queued runs. */
void sim_hook_reap(void);

/* Modems (modem.c). */
#define SIM_COUNTERS(X)                                              \
	X(commands, "command lines")                                 \
	X(calls, "dial attempts")                                    \
	X(connects, "connected")                                     \
	X(busy, "busy")                                              \
	X(no_answer, "no answer")                                    \
	X(no_carrier, "no carrier (number)")                         \
	X(no_dialtone, "no dial tone")                               \
	X(dial_errors, "error (number)")                             \
	X(aborted, "dials aborted by the DTE")                       \
	X(hangups, "hung up by ATH/ATZ")                             \
	X(dtr_drops, "hung up by the DTE closing the device")        \
	X(dtr_held, "calls kept up across a close with HUPCL off")   \
	X(dropped, "dropped by the network (drop_after)")            \
	X(retrains, "retrains")                                      \
	X(escapes, "+++ escapes")                                    \
	X(errors, "command errors")

struct sim_counters {
#define X(name, text) uint64_t name;
	SIM_COUNTERS(X)
#undef X
};

struct sim_modem;
/* The modem for conf->device: opens the pty and makes the link. NULL with errno set. */
struct sim_modem *sim_modem_new(struct event_base *base, const struct sim_modem_conf *conf);
/* Hangs up a call (hook "down"), stops reading and removes the link; frees nothing. */
void sim_modem_shutdown(struct sim_modem *m);
/* True when the modem's hook runs are all done (shutdown waits for them). */
bool sim_modem_idle(const struct sim_modem *m);
void sim_modem_free(struct sim_modem *m);
const char *sim_modem_device(const struct sim_modem *m);
/* Takes the behaviour flags (peer, prefix, dialtone, dead) of a reloaded config. */
void sim_modem_set_conf(struct sim_modem *m, const struct sim_modem_conf *conf);
void sim_modem_print_counters(const struct sim_modem *m);

/* The running state shared by the modems (main.c). */
struct sim_config *sim_current_config(void);
extern bool sim_verbose;
void sim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define sim_debug(...)                   \
	do {                             \
		if (sim_verbose)         \
			sim_log(__VA_ARGS__); \
	} while (0)

#endif
