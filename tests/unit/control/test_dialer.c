/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dialer against a scripted modem: the test holds the master side of a pseudo-terminal
 * and answers each command the dialer writes to the slave as the script says, on a real
 * event loop. Timings are short (tens of milliseconds) so the whole suite runs in seconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ctl_test.h"
#include "dial/dialer.h"

static struct event_base *base;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* ---- the scripted modem ---- */

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
#define HANGUP_STEPS SAY("+++", OK, 0), SAY("ATH0", OK, 0)

static struct modem {
	int master, slave;
	char path[64];
	const struct step *script;
	size_t pos;
	bool echo;
	bool pending; /* a step's reply is scheduled */
	char rx[256];
	size_t rx_len;
	char cmds[MAX_CMDS][128];
	double at[MAX_CMDS];
	size_t n_cmds;
	struct event *rd, *tm;
} m;

static bool step_live(const struct step *s)
{
	return s->expect != NULL || s->reply != NULL || s->close;
}

static void modem_schedule(unsigned delay_ms)
{
	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};

	m.pending = true;
	evtimer_add(m.tm, &tv);
}

static void modem_write_len(const char *s, size_t len)
{
	if (m.master >= 0)
		CU_ASSERT_EQUAL(write(m.master, s, len), (ssize_t)len);
}

static void modem_write(const char *s)
{
	modem_write_len(s, strlen(s));
}

static void modem_close_master(void)
{
	if (m.rd != NULL)
		event_free(m.rd);
	m.rd = NULL;
	if (m.master >= 0)
		close(m.master);
	m.master = -1;
}

static void modem_step_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct step *s = &m.script[m.pos++];

	(void)fd;
	(void)what;
	(void)arg;
	m.pending = false;
	if (s->close)
		modem_close_master();
	else if (s->reply != NULL)
		modem_write_len(s->reply, s->len > 0 ? s->len : strlen(s->reply));
	if (step_live(&m.script[m.pos]) && m.script[m.pos].expect == NULL)
		modem_schedule(m.script[m.pos].delay_ms);
}

static void modem_command(const char *cmd)
{
	const struct step *s = &m.script[m.pos];

	if (m.n_cmds < MAX_CMDS) {
		snprintf(m.cmds[m.n_cmds], sizeof(m.cmds[0]), "%s", cmd);
		m.at[m.n_cmds++] = now_ms();
	}
	if (m.echo && strcmp(cmd, "+++") != 0) {
		modem_write(cmd);
		modem_write("\r");
	}
	if (m.pending || s->expect == NULL || strcmp(s->expect, cmd) != 0)
		return;
	if (s->reply != NULL || s->close) {
		modem_schedule(s->delay_ms);
		return;
	}
	/* Nothing to say: the step is done at once, ready for the next command. */
	m.pos++;
}

static void modem_read_cb(evutil_socket_t fd, short what, void *arg)
{
	ssize_t n;
	char *cr;

	(void)what;
	(void)arg;
	n = read(fd, m.rx + m.rx_len, sizeof(m.rx) - 1 - m.rx_len);
	if (n <= 0)
		return;
	m.rx_len += (size_t)n;
	m.rx[m.rx_len] = '\0';
	for (;;) {
		if (strncmp(m.rx, "+++", 3) == 0) {
			modem_command("+++");
			memmove(m.rx, m.rx + 3, m.rx_len - 3 + 1);
			m.rx_len -= 3;
			continue;
		}
		cr = strchr(m.rx, '\r');
		if (cr == NULL)
			break;
		*cr = '\0';
		modem_command(m.rx);
		m.rx_len -= (size_t)(cr + 1 - m.rx);
		memmove(m.rx, cr + 1, m.rx_len + 1);
	}
	if (m.rx_len == sizeof(m.rx) - 1)
		m.rx_len = 0;
}

/* A pseudo-terminal whose slave the dialer opens by path; the test keeps a slave fd open
 * too, so the master sees no hang-up while the dialer closes and reopens the device. */
static void modem_open(const struct step *script, bool echo)
{
	struct termios tio;

	memset(&m, 0, sizeof(m));
	m.script = script;
	m.echo = echo;
	m.master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	CU_ASSERT_FATAL(m.master >= 0);
	CU_ASSERT_FATAL(grantpt(m.master) == 0 && unlockpt(m.master) == 0);
	CU_ASSERT_FATAL(ptsname_r(m.master, m.path, sizeof(m.path)) == 0);
	m.slave = open(m.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	CU_ASSERT_FATAL(m.slave >= 0);
	CU_ASSERT_FATAL(tcgetattr(m.slave, &tio) == 0);
	cfmakeraw(&tio);
	CU_ASSERT_FATAL(tcsetattr(m.slave, TCSANOW, &tio) == 0);
	m.rd = event_new(base, m.master, EV_READ | EV_PERSIST, modem_read_cb, NULL);
	m.tm = evtimer_new(base, modem_step_cb, NULL);
	CU_ASSERT_FATAL(m.rd != NULL && m.tm != NULL);
	event_add(m.rd, NULL);
}

static void modem_free(void)
{
	modem_close_master();
	if (m.tm != NULL)
		event_free(m.tm);
	if (m.slave >= 0)
		close(m.slave);
	m.tm = NULL;
	m.slave = -1;
}

/* The index of the first command cmd at or after from, or -1. */
static int modem_cmd_index(const char *cmd, int from)
{
	int i;

	for (i = from; i < (int)m.n_cmds; i++)
		if (strcmp(m.cmds[i], cmd) == 0)
			return i;
	return -1;
}

/* ---- what the dialer reported ---- */

static struct got {
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
} got;

static void on_connected(void *arg, const char *number, uint64_t speed_bps)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.connected++;
	snprintf(got.number, sizeof(got.number), "%s", number);
	got.speed = speed_bps;
	got.at = now_ms();
	if (got.hang_up_at_once) {
		dial_hangup(got.call);
		got.call = NULL;
		got.hung_up_at = now_ms();
		CU_ASSERT(dial_device_hanging_up(m.path));
	}
}

static void on_failed(void *arg, enum dial_outcome outcome, bool line_fault, const char *reason)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.failed++;
	got.outcome = outcome;
	got.line_fault = line_fault;
	snprintf(got.reason, sizeof(got.reason), "%s", reason);
	got.at = now_ms();
	got.call = NULL;
}

static void on_speed_changed(void *arg, uint64_t speed_bps)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.speed_changed++;
	got.new_speed = speed_bps;
	if (got.hang_up_on_retrain) {
		dial_hangup(got.call);
		got.call = NULL;
	}
}

static void on_dropped(void *arg, const char *reason)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.dropped++;
	snprintf(got.reason, sizeof(got.reason), "%s", reason);
	got.call = NULL;
}

static void on_checked(void *arg, bool ok, const char *reason)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.checked++;
	got.ok = ok;
	snprintf(got.reason, sizeof(got.reason), "%s", reason);
}

static const struct dial_events events = {on_connected, on_failed, on_speed_changed, on_dropped};

/* ---- running the loop, bounded ---- */

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Runs the loop until cond() holds or max_ms passed; whether cond() held. */
static bool run_until(bool (*cond)(void), unsigned max_ms)
{
	struct timeval tick = {0, 5000};
	struct event *t = event_new(base, -1, EV_PERSIST, tick_cb, NULL);
	double deadline = now_ms() + max_ms;
	bool held;

	event_add(t, &tick);
	while (!(held = cond()) && now_ms() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	return held;
}

static bool never(void)
{
	return false;
}

/* Lets the loop run for ms (to see that nothing more happens). */
static void run_for(unsigned ms)
{
	run_until(never, ms);
}

static bool is_connected(void)
{
	return got.connected > 0;
}

static bool has_failed(void)
{
	return got.failed > 0;
}

static bool has_dropped(void)
{
	return got.dropped > 0;
}

static bool has_checked(void)
{
	return got.checked > 0;
}

static bool device_free(void)
{
	return !dial_device_hanging_up(m.path);
}

static struct dial_line line;
static struct dial_timing timing;

static void world_up(const struct step *script, bool echo)
{
	memset(&got, 0, sizeof(got));
	base = event_base_new();
	CU_ASSERT_FATAL(base != NULL);
	modem_open(script, echo);
	line = (struct dial_line){
		.id = "modem1",
		.device = m.path,
		.baud = 115200,
		.flow = DIAL_FLOW_RTSCTS,
		.init = "AT&F E0 V1 X4",
		.dial_prefix = "",
	};
	timing = (struct dial_timing){
		.command_timeout_ms = 300,
		.connect_timeout_ms = 500,
		.guard_ms = 50,
		.retry_delay_ms = 50,
		.busy_retries = 2,
		.line_retries = 0,
	};
}

static void world_down(void)
{
	if (got.call != NULL) {
		dial_hangup(got.call);
		got.call = NULL;
	}
	run_until(device_free, 2000);
	modem_free();
	event_base_free(base);
	base = NULL;
}

static struct dial_call *start(const char *const *numbers, size_t n)
{
	got.call = dial_start(base, &line, &timing, numbers, n, &events, &got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got.call);
	return got.call;
}

/* Hangs a connected call up and waits until the modem is on hook. */
static void hang_up(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got.call);
	dial_hangup(got.call);
	got.call = NULL;
	CU_ASSERT(run_until(device_free, 2000));
}

static bool reason_has(const char *what)
{
	if (strstr(got.reason, what) != NULL)
		return true;
	fprintf(stderr, "\n    reason \"%s\" lacks \"%s\"\n", got.reason, what);
	return false;
}

static const char *const one_number[] = {"+15550101"};
static const char *const two_numbers[] = {"+15550101", "+15550102"};

/* ---- the cases ---- */

static void a_call_connects_and_reports_number_and_speed(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 5),
		SAY("AT&F E0 V1 X4", OK, 5),
		SAY("ATDT+15550101", "\r\nCONNECT 33600/ARQ/V42BIS\r\n", 20),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	start(one_number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_STRING_EQUAL(got.number, "+15550101");
	CU_ASSERT_EQUAL(got.speed, 33600);
	CU_ASSERT_EQUAL(got.failed, 0);
	CU_ASSERT_EQUAL_FATAL(m.n_cmds, 3);
	CU_ASSERT_STRING_EQUAL(m.cmds[0], "ATZ");
	CU_ASSERT_STRING_EQUAL(m.cmds[1], "AT&F E0 V1 X4");
	CU_ASSERT_STRING_EQUAL(m.cmds[2], "ATDT+15550101");
	hang_up();
	world_down();
}

/* A banner with a NUL, a control character and line noise before the OK. */
#define CHATTER "\r\nU.S. Robotics\0\x01 Courier\r\n\x80\xfe\r\n" OK

static void a_modem_that_echoes_and_chatters_still_connects(void)
{
	static const struct step script[] = {
		{"ATZ", CHATTER, 5, false, sizeof(CHATTER) - 1},
		SAY("AT&F E0 V1 X4", "\r\nRING\r\nok\r\n", 5),
		SAY("ATDT9,5550101", "\r\nCARRIER 33600\r\nPROTOCOL: LAPM\r\nconnect 31200/v42bis\r\n", 20),
		HANGUP_STEPS,
		END,
	};
	static const char *const number[] = {"5550101"};

	world_up(script, true);
	line.dial_prefix = "9,";
	start(number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT_STRING_EQUAL(got.number, "5550101");
	CU_ASSERT_EQUAL(got.speed, 31200);
	CU_ASSERT_EQUAL(m.n_cmds, 3);
	hang_up();
	world_down();
}

static void a_connect_without_speed_reports_zero(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT\r\n", 10),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	start(one_number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT_EQUAL(got.speed, 0);
	hang_up();
	world_down();
}

static void numeric_results_and_an_init_string_without_at_work(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("ATE0V0", "0\r", 0),
		SAY("ATDT+15550101", "1\r", 10),
		SAY("+++", "0\r", 0),
		SAY("ATH0", "0\r", 0),
		END,
	};

	world_up(script, false);
	line.init = "E0V0";
	start(one_number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT_EQUAL(got.speed, 0);
	CU_ASSERT_STRING_EQUAL(m.cmds[1], "ATE0V0");
	hang_up();
	world_down();
}

static void a_busy_number_is_redialed_after_the_back_off(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nBUSY\r\n", 10),
		SAY("ATH0", OK, 0),
		SAY("ATDT+15550101", "\r\nBUSY\r\n", 10),
		SAY("ATH0", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 28800\r\n", 10),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	start(two_numbers, 2);
	CU_ASSERT(run_until(is_connected, 3000));
	CU_ASSERT_STRING_EQUAL(got.number, "+15550101");
	CU_ASSERT_EQUAL(got.speed, 28800);
	CU_ASSERT_EQUAL_FATAL(m.n_cmds, 7);
	CU_ASSERT_STRING_EQUAL(m.cmds[3], "ATH0");
	CU_ASSERT_STRING_EQUAL(m.cmds[4], "ATDT+15550101");
	CU_ASSERT_STRING_EQUAL(m.cmds[6], "ATDT+15550101");
	/* The back-off: retry_delay, then doubled. */
	CU_ASSERT(m.at[4] - m.at[3] >= 45);
	CU_ASSERT(m.at[6] - m.at[5] >= 95);
	hang_up();
	world_down();
}

static void no_answer_moves_on_to_the_next_number_at_once(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nNO ANSWER\r\n", 10),
		SAY("ATH0", OK, 0),
		SAY("ATDT+15550102", "\r\nCONNECT 9600\r\n", 10),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	start(two_numbers, 2);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT_STRING_EQUAL(got.number, "+15550102");
	CU_ASSERT_EQUAL(got.speed, 9600);
	CU_ASSERT_EQUAL_FATAL(m.n_cmds, 5);
	CU_ASSERT(m.at[4] - m.at[3] < 40);
	hang_up();
	world_down();
}

static void no_carrier_redials_once_then_moves_on(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nNO CARRIER\r\n", 5),
		SAY("ATH0", OK, 0),
		SAY("ATDT+15550101", "\r\nNO CARRIER\r\n", 5),
		SAY("ATH0", OK, 0),
		SAY("ATDT+15550102", "\r\nCONNECT 14400\r\n", 5),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	start(two_numbers, 2);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT_STRING_EQUAL(got.number, "+15550102");
	CU_ASSERT_EQUAL(m.n_cmds, 7);
	hang_up();
	world_down();
}

static void when_every_number_fails_the_reason_names_each(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nBUSY\r\n", 5),
		SAY("ATH0", OK, 0),
		SAY("ATDT+15550101", "\r\nBUSY\r\n", 5),
		SAY("ATH0", OK, 0),
		SAY("ATDT+15550102", "\r\nNO ANSWER\r\n", 5),
		SAY("ATH0", OK, 0),
		END,
	};

	world_up(script, false);
	timing.busy_retries = 1;
	start(two_numbers, 2);
	CU_ASSERT(run_until(has_failed, 2000));
	CU_ASSERT_EQUAL(got.failed, 1);
	CU_ASSERT_EQUAL(got.connected, 0);
	CU_ASSERT_EQUAL(got.outcome, DIAL_NO_ANSWER);
	CU_ASSERT_FALSE(got.line_fault);
	CU_ASSERT(reason_has("line modem1: "));
	CU_ASSERT(reason_has("+15550101 busy (2 tries)"));
	CU_ASSERT(reason_has("+15550102 no answer"));
	CU_ASSERT_EQUAL(m.n_cmds, 8);
	run_for(100);
	CU_ASSERT_EQUAL(got.failed, 1);
	world_down();
}

static void no_dial_tone_is_a_line_fault(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nNO DIALTONE\r\n", 5),
		END,
	};

	world_up(script, false);
	start(two_numbers, 2);
	CU_ASSERT(run_until(has_failed, 2000));
	CU_ASSERT_EQUAL(got.outcome, DIAL_NO_DIALTONE);
	CU_ASSERT_TRUE(got.line_fault);
	CU_ASSERT(reason_has("+15550101 no dial tone"));
	CU_ASSERT(reason_has("no dial tone (is the phone line plugged in?)"));
	CU_ASSERT(reason_has("not dialed: +15550102"));
	world_down();
}

static void error_on_init_is_retried_then_fails_as_a_line_fault(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", "\r\nERROR\r\n", 0),
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", "\r\nERROR\r\n", 0),
		END,
	};

	world_up(script, false);
	timing.line_retries = 1;
	start(one_number, 1);
	CU_ASSERT(run_until(has_failed, 2000));
	CU_ASSERT_EQUAL(got.outcome, DIAL_ERROR);
	CU_ASSERT_TRUE(got.line_fault);
	CU_ASSERT(reason_has("ERROR to AT&F E0 V1 X4"));
	CU_ASSERT(reason_has("not dialed: +15550101"));
	/* Reopened and reset for the retry, after the back-off. */
	CU_ASSERT_EQUAL_FATAL(m.n_cmds, 4);
	CU_ASSERT_STRING_EQUAL(m.cmds[2], "ATZ");
	CU_ASSERT(m.at[2] - m.at[1] >= 45);
	CU_ASSERT_EQUAL(modem_cmd_index("ATDT+15550101", 0), -1);
	world_down();
}

static void a_silent_modem_times_out_as_a_line_fault(void)
{
	static const struct step script[] = {END};
	double t0;

	world_up(script, false);
	t0 = now_ms();
	start(one_number, 1);
	CU_ASSERT(run_until(has_failed, 2000));
	CU_ASSERT_EQUAL(got.outcome, DIAL_TIMEOUT);
	CU_ASSERT_TRUE(got.line_fault);
	CU_ASSERT(reason_has("within 300 ms of ATZ"));
	CU_ASSERT(got.at - t0 >= 295);
	CU_ASSERT_EQUAL(m.n_cmds, 1);
	world_down();
}

static void a_dial_without_result_times_out(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		END,
	};

	world_up(script, false);
	start(one_number, 1);
	CU_ASSERT(run_until(has_failed, 2000));
	CU_ASSERT_EQUAL(got.outcome, DIAL_TIMEOUT);
	CU_ASSERT_TRUE(got.line_fault);
	CU_ASSERT(reason_has("+15550101 timeout"));
	CU_ASSERT(reason_has("within 500 ms of ATDT+15550101"));
	world_down();
}

/* 200 bytes without an end of line, ending in what looks like a result: cut, never a result. */
#define JUNK20 "CONNECT 9600 xxxxxxx"
#define JUNK200 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20 JUNK20

static void a_retrain_reports_the_new_speed_once(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 33600\r\n", 5),
		LATER("\r\nCONNECT 28800\r\n", 30),
		LATER("garbage\x01\r\n" JUNK200 JUNK200 "\r\nCONNECT 28800\r\nCONNECT\r\n", 30),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	start(one_number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	run_for(150);
	CU_ASSERT_EQUAL(got.speed_changed, 1);
	CU_ASSERT_EQUAL(got.new_speed, 28800);
	CU_ASSERT_EQUAL(got.dropped, 0);
	hang_up();
	world_down();
}

static bool has_retrained(void)
{
	return got.speed_changed > 0;
}

static void hang_up_from_inside_speed_changed_is_safe(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 33600\r\n", 5),
		/* In one read: the rest after the retrain comes after the hang-up began. */
		LATER("\r\nCONNECT 28800\r\nNO CARRIER\r\nCONNECT 14400\r\n", 20),
		HANGUP_STEPS,
		END,
	};

	world_up(script, false);
	got.hang_up_on_retrain = true;
	start(one_number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT(run_until(has_retrained, 2000));
	CU_ASSERT(run_until(device_free, 2000));
	CU_ASSERT_EQUAL(got.new_speed, 28800);
	CU_ASSERT_EQUAL(modem_cmd_index("+++", 0), 3);
	CU_ASSERT_EQUAL(modem_cmd_index("ATH0", 0), 4);
	run_for(50);
	CU_ASSERT_EQUAL(got.speed_changed, 1);
	CU_ASSERT_EQUAL(got.dropped + got.failed, 0);
	world_down();
}

static void no_carrier_while_online_drops_the_call(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 33600\r\n", 5),
		LATER("\r\nNO CARRIER\r\n", 30),
		END,
	};

	world_up(script, false);
	start(one_number, 1);
	CU_ASSERT(run_until(has_dropped, 2000));
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_STRING_EQUAL(got.reason, "NO CARRIER");
	run_for(100);
	CU_ASSERT_EQUAL(got.dropped, 1);
	CU_ASSERT_EQUAL(got.failed, 0);
	world_down();
}

static void a_connect_and_no_carrier_in_one_read_connect_then_drop(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 2400\r\n\r\nNO CARRIER\r\n", 5),
		END,
	};

	world_up(script, false);
	start(one_number, 1);
	CU_ASSERT(run_until(has_dropped, 2000));
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_EQUAL(got.dropped, 1);
	world_down();
}

static void the_device_closing_while_online_drops_the_call(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 33600\r\n", 5),
		CLOSE_AFTER(30),
		END,
	};

	world_up(script, false);
	/* The master's hang-up reaches every slave fd; the test's own must not keep it alive. */
	start(one_number, 1);
	CU_ASSERT(run_until(has_dropped, 2000));
	CU_ASSERT_STRING_EQUAL(got.reason, "device closed");
	CU_ASSERT_EQUAL(got.failed, 0);
	world_down();
}

static void hang_up_sends_the_escape_then_ath0_and_reports_nothing_more(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 33600\r\n", 5),
		/* Said during the guard time: the call is ours to end, not dropped. */
		LATER("\r\nNO CARRIER\r\n", 10),
		SAY("+++", OK, 0),
		SAY("ATH0", OK, 0),
		END,
	};
	int esc, ath;

	world_up(script, false);
	got.hang_up_at_once = true;
	start(one_number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT(run_until(device_free, 2000));
	esc = modem_cmd_index("+++", 0);
	ath = modem_cmd_index("ATH0", 0);
	CU_ASSERT_FATAL(esc == 3 && ath == 4);
	CU_ASSERT(m.at[esc] - got.hung_up_at >= 45);
	CU_ASSERT(m.at[ath] - m.at[esc] >= 45);
	run_for(100);
	CU_ASSERT_EQUAL(got.connected, 1);
	CU_ASSERT_EQUAL(got.dropped, 0);
	CU_ASSERT_EQUAL(got.failed, 0);
	CU_ASSERT_EQUAL(got.speed_changed, 0);
	world_down();
}

static bool connected_twice(void)
{
	return got.connected == 2;
}

static void a_new_call_waits_until_the_last_one_is_on_hook(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", "\r\nCONNECT 33600\r\n", 5),
		SAY("+++", OK, 0),
		SAY("ATH0", OK, 40),
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550102", "\r\nCONNECT 9600\r\n", 5),
		HANGUP_STEPS,
		END,
	};
	static const char *const second[] = {"+15550102"};
	int ath, atz;

	world_up(script, false);
	got.hang_up_at_once = true;
	start(one_number, 1);
	CU_ASSERT(run_until(is_connected, 2000));
	CU_ASSERT_TRUE(dial_device_hanging_up(m.path));
	got.hang_up_at_once = false;
	start(second, 1);
	CU_ASSERT(run_until(connected_twice, 2000));
	CU_ASSERT_EQUAL(got.connected, 2);
	CU_ASSERT_STRING_EQUAL(got.number, "+15550102");
	ath = modem_cmd_index("ATH0", 0);
	atz = modem_cmd_index("ATZ", 1);
	CU_ASSERT(ath > 0 && atz > ath);
	/* The second ATZ only after the first call's ATH0 got its (late) OK. */
	CU_ASSERT(atz > 0 && m.at[atz] - m.at[ath] >= 35);
	hang_up();
	world_down();
}

static bool modem_saw_atdt(void)
{
	return modem_cmd_index("ATDT+15550101", 0) >= 0;
}

static void hang_up_while_dialing_aborts_with_ath0(void)
{
	static const struct step script[] = {
		SAY("ATZ", OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		SAY("ATDT+15550101", NULL, 0),
		SAY("ATH0", "\r\nNO CARRIER\r\n", 5),
		END,
	};
	double t0;

	world_up(script, false);
	start(one_number, 1);
	CU_ASSERT(run_until(modem_saw_atdt, 2000));
	t0 = now_ms();
	dial_hangup(got.call);
	got.call = NULL;
	CU_ASSERT_TRUE(dial_device_hanging_up(m.path));
	CU_ASSERT(run_until(device_free, 2000));
	/*
	 * Ended by the modem's answer, not by the command timeout: the answer (5 ms) plus the
	 * 500 ms the device rests with DTR down, against 300 ms + 500 ms for a timeout.
	 */
	CU_ASSERT(now_ms() - t0 >= 500);
	CU_ASSERT(now_ms() - t0 < 750);
	CU_ASSERT_EQUAL(modem_cmd_index("ATH0", 0), 3);
	run_for(100);
	CU_ASSERT_EQUAL(got.connected + got.failed + got.dropped, 0);
	world_down();
}

static void hang_up_before_anything_happened_closes_quietly(void)
{
	static const struct step script[] = {SAY("ATZ", OK, 0), END};

	world_up(script, false);
	start(one_number, 1);
	dial_hangup(got.call);
	got.call = NULL;
	CU_ASSERT_FALSE(dial_device_hanging_up(m.path));
	run_for(100);
	CU_ASSERT_EQUAL(m.n_cmds, 0);
	CU_ASSERT_EQUAL(got.connected + got.failed + got.dropped, 0);
	world_down();
}

static void a_health_check_passes_on_ok_answers(void)
{
	static const struct step script[] = {
		SAY("ATZ", "ATZ\r" OK, 0),
		SAY("AT&F E0 V1 X4", OK, 0),
		END,
	};
	struct dial_check *k;

	world_up(script, false);
	k = dial_check_start(base, &line, &timing, on_checked, &got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(got.checked, 0);
	CU_ASSERT(run_until(has_checked, 2000));
	CU_ASSERT_TRUE(got.ok);
	CU_ASSERT(reason_has("line modem1"));
	CU_ASSERT_EQUAL(m.n_cmds, 2);
	run_for(50);
	CU_ASSERT_EQUAL(got.checked, 1);
	world_down();
}

static void a_health_check_fails_on_error(void)
{
	static const struct step script[] = {
		SAY("ATZ", "\r\nERROR\r\n", 0),
		END,
	};

	world_up(script, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dial_check_start(base, &line, &timing, on_checked, &got));
	CU_ASSERT(run_until(has_checked, 2000));
	CU_ASSERT_FALSE(got.ok);
	CU_ASSERT(reason_has("line modem1: modem answered ERROR to ATZ"));
	CU_ASSERT_EQUAL(m.n_cmds, 1);
	world_down();
}

static void a_cancelled_health_check_reports_nothing(void)
{
	static const struct step script[] = {SAY("ATZ", OK, 50), END};
	struct dial_check *k;

	world_up(script, false);
	k = dial_check_start(base, &line, &timing, on_checked, &got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	run_for(20);
	CU_ASSERT_EQUAL(m.n_cmds, 1);
	dial_check_cancel(k);
	run_for(150);
	CU_ASSERT_EQUAL(got.checked, 0);
	dial_check_cancel(NULL);
	world_down();
}

static void a_bad_device_path_fails_from_the_loop(void)
{
	static const struct step script[] = {END};

	world_up(script, false);
	line.device = "/nonexistent/ttyS9";
	timing.line_retries = 3;
	start(one_number, 1);
	CU_ASSERT_EQUAL(got.failed, 0);
	CU_ASSERT(run_until(has_failed, 1000));
	CU_ASSERT_EQUAL(got.outcome, DIAL_DEVICE);
	CU_ASSERT_TRUE(got.line_fault);
	CU_ASSERT(reason_has("cannot open /nonexistent/ttyS9: No such file or directory"));
	CU_ASSERT(reason_has("not dialed: +15550101"));
	world_down();
}

static void an_unknown_baud_rate_fails_the_call(void)
{
	static const struct step script[] = {END};

	world_up(script, false);
	line.baud = 12345;
	start(one_number, 1);
	CU_ASSERT(run_until(has_failed, 1000));
	CU_ASSERT_EQUAL(got.outcome, DIAL_DEVICE);
	CU_ASSERT(reason_has("baud 12345"));
	CU_ASSERT_EQUAL(m.n_cmds, 0);
	world_down();
}

static void bad_arguments_are_refused_without_an_event(void)
{
	static const struct step script[] = {END};
	static const char *const bad[] = {"555;ATH"};

	world_up(script, false);
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, one_number, 0, &events, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, bad, 1, &events, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	line.init = "ATZ\rATH";
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, one_number, 1, &events, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	errno = 0;
	CU_ASSERT_PTR_NULL(dial_check_start(base, &line, &timing, on_checked, &got));
	CU_ASSERT_EQUAL(errno, EINVAL);
	line.init = "";
	line.dial_prefix = "9;";
	CU_ASSERT_PTR_NULL(dial_start(base, &line, &timing, one_number, 1, &events, &got));
	run_for(50);
	CU_ASSERT_EQUAL(got.connected + got.failed + got.dropped + got.checked, 0);
	CU_ASSERT_EQUAL(m.n_cmds, 0);
	dial_hangup(NULL);
	world_down();
}

static void outcome_names_and_line_faults(void)
{
	struct dial_timing t;

	CU_ASSERT_STRING_EQUAL(dial_outcome_name(DIAL_NO_DIALTONE), "no dial tone");
	CU_ASSERT_STRING_EQUAL(dial_outcome_name(DIAL_BUSY), "busy");
	CU_ASSERT_TRUE(dial_outcome_is_line_fault(DIAL_TIMEOUT));
	CU_ASSERT_TRUE(dial_outcome_is_line_fault(DIAL_DEVICE));
	CU_ASSERT_FALSE(dial_outcome_is_line_fault(DIAL_NO_ANSWER));
	CU_ASSERT_FALSE(dial_outcome_is_line_fault(DIAL_NO_CARRIER));
	dial_timing_defaults(&t);
	CU_ASSERT_EQUAL(t.command_timeout_ms, 3000);
	CU_ASSERT_EQUAL(t.connect_timeout_ms, 60000);
	CU_ASSERT_EQUAL(t.busy_retries, 2);
	CU_ASSERT_EQUAL(t.line_retries, 1);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(outcome_names_and_line_faults),
		CASE(a_call_connects_and_reports_number_and_speed),
		CASE(a_modem_that_echoes_and_chatters_still_connects),
		CASE(a_connect_without_speed_reports_zero),
		CASE(numeric_results_and_an_init_string_without_at_work),
		CASE(a_busy_number_is_redialed_after_the_back_off),
		CASE(no_answer_moves_on_to_the_next_number_at_once),
		CASE(no_carrier_redials_once_then_moves_on),
		CASE(when_every_number_fails_the_reason_names_each),
		CASE(no_dial_tone_is_a_line_fault),
		CASE(error_on_init_is_retried_then_fails_as_a_line_fault),
		CASE(a_silent_modem_times_out_as_a_line_fault),
		CASE(a_dial_without_result_times_out),
		CASE(a_retrain_reports_the_new_speed_once),
		CASE(hang_up_from_inside_speed_changed_is_safe),
		CASE(no_carrier_while_online_drops_the_call),
		CASE(a_connect_and_no_carrier_in_one_read_connect_then_drop),
		CASE(the_device_closing_while_online_drops_the_call),
		CASE(hang_up_sends_the_escape_then_ath0_and_reports_nothing_more),
		CASE(a_new_call_waits_until_the_last_one_is_on_hook),
		CASE(hang_up_while_dialing_aborts_with_ath0),
		CASE(hang_up_before_anything_happened_closes_quietly),
		CASE(a_health_check_passes_on_ok_answers),
		CASE(a_health_check_fails_on_error),
		CASE(a_cancelled_health_check_reports_nothing),
		CASE(a_bad_device_path_fails_from_the_loop),
		CASE(an_unknown_baud_rate_fails_the_call),
		CASE(bad_arguments_are_refused_without_an_event),
#undef CASE
		{NULL, NULL},
	};

	dial_verbose = getenv("DIAL_VERBOSE") != NULL;
	return ctl_test_run("dialer", cases, NULL, NULL);
}
