/* SPDX-License-Identifier: BSD-3-Clause */
/* The scripted modem, the recorded events and the bounded loop of dialer_fixture.h. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "dialer_fixture.h"

struct modem modem;
struct got got;
struct event_base *base;
struct dial_line line;
struct dial_timing timing;

const char *const one_number[1] = {"+15550101"};
const char *const two_numbers[2] = {"+15550101", "+15550102"};

double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static bool step_live(const struct step *s)
{
	return s->expect != NULL || s->reply != NULL || s->close;
}

static void modem_schedule(unsigned delay_ms)
{
	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};

	modem.pending = true;
	evtimer_add(modem.tm, &tv);
}

static void modem_write_len(const char *s, size_t len)
{
	if (modem.master >= 0)
		CU_ASSERT_EQUAL(write(modem.master, s, len), (ssize_t)len);
}

static void modem_write(const char *s)
{
	modem_write_len(s, strlen(s));
}

static void modem_close_master(void)
{
	if (modem.rd != NULL)
		event_free(modem.rd);
	modem.rd = NULL;
	if (modem.master >= 0)
		close(modem.master);
	modem.master = -1;
}

static void modem_step_cb(evutil_socket_t fd, short what, void *arg)
{
	const struct step *s = &modem.script[modem.pos++];

	(void)fd;
	(void)what;
	(void)arg;
	modem.pending = false;
	if (s->close)
		modem_close_master();
	else if (s->reply != NULL)
		modem_write_len(s->reply, s->len > 0 ? s->len : strlen(s->reply));
	if (step_live(&modem.script[modem.pos]) && modem.script[modem.pos].expect == NULL)
		modem_schedule(modem.script[modem.pos].delay_ms);
}

static void modem_command(const char *cmd)
{
	const struct step *s = &modem.script[modem.pos];

	if (modem.n_cmds < MAX_CMDS) {
		snprintf(modem.cmds[modem.n_cmds], sizeof(modem.cmds[0]), "%s", cmd);
		modem.at[modem.n_cmds++] = now_ms();
	}
	if (modem.echo && strcmp(cmd, "+++") != 0) {
		modem_write(cmd);
		modem_write("\r");
	}
	if (modem.pending || s->expect == NULL || strcmp(s->expect, cmd) != 0)
		return;
	if (s->reply != NULL || s->close) {
		modem_schedule(s->delay_ms);
		return;
	}
	/* Nothing to say: the step is done at once, ready for the next command. */
	modem.pos++;
}

static void modem_read_cb(evutil_socket_t fd, short what, void *arg)
{
	ssize_t n;
	char *cr;

	(void)what;
	(void)arg;
	n = read(fd, modem.rx + modem.rx_len, sizeof(modem.rx) - 1 - modem.rx_len);
	if (n <= 0)
		return;
	modem.rx_len += (size_t)n;
	modem.rx[modem.rx_len] = '\0';
	for (;;) {
		if (strncmp(modem.rx, "+++", 3) == 0) {
			modem_command("+++");
			memmove(modem.rx, modem.rx + 3, modem.rx_len - 3 + 1);
			modem.rx_len -= 3;
			continue;
		}
		cr = strchr(modem.rx, '\r');
		if (cr == NULL)
			break;
		*cr = '\0';
		modem_command(modem.rx);
		modem.rx_len -= (size_t)(cr + 1 - modem.rx);
		memmove(modem.rx, cr + 1, modem.rx_len + 1);
	}
	if (modem.rx_len == sizeof(modem.rx) - 1)
		modem.rx_len = 0;
}

/* A pseudo-terminal whose slave the dialer opens by path; the test keeps a slave fd open
 * too, so the master sees no hang-up while the dialer closes and reopens the device. */
static void modem_open(const struct step *script, bool echo)
{
	struct termios tio;

	memset(&modem, 0, sizeof(modem));
	modem.script = script;
	modem.echo = echo;
	modem.master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	CU_ASSERT_FATAL(modem.master >= 0);
	CU_ASSERT_FATAL(grantpt(modem.master) == 0 && unlockpt(modem.master) == 0);
	CU_ASSERT_FATAL(ptsname_r(modem.master, modem.path, sizeof(modem.path)) == 0);
	modem.slave = open(modem.path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	CU_ASSERT_FATAL(modem.slave >= 0);
	CU_ASSERT_FATAL(tcgetattr(modem.slave, &tio) == 0);
	cfmakeraw(&tio);
	CU_ASSERT_FATAL(tcsetattr(modem.slave, TCSANOW, &tio) == 0);
	modem.rd = event_new(base, modem.master, EV_READ | EV_PERSIST, modem_read_cb, NULL);
	modem.tm = evtimer_new(base, modem_step_cb, NULL);
	CU_ASSERT_FATAL(modem.rd != NULL && modem.tm != NULL);
	event_add(modem.rd, NULL);
}

static void modem_free(void)
{
	modem_close_master();
	if (modem.tm != NULL)
		event_free(modem.tm);
	if (modem.slave >= 0)
		close(modem.slave);
	modem.tm = NULL;
	modem.slave = -1;
}

int modem_cmd_index(const char *cmd, int from)
{
	int i;

	for (i = from; i < (int)modem.n_cmds; i++)
		if (strcmp(modem.cmds[i], cmd) == 0)
			return i;
	return -1;
}

void end_call(void)
{
	dial_hangup(got.call);
	got.call = NULL;
}

static void on_connected(void *arg, const char *number, uint64_t speed_bps)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.connected++;
	snprintf(got.number, sizeof(got.number), "%s", number);
	got.speed = speed_bps;
	got.at = now_ms();
	if (got.hang_up_at_once) {
		end_call();
		got.hung_up_at = now_ms();
		CU_ASSERT(dial_device_hanging_up(modem.path));
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
	if (got.hang_up_on_retrain)
		end_call();
}

static void on_dropped(void *arg, const char *reason)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.dropped++;
	snprintf(got.reason, sizeof(got.reason), "%s", reason);
	got.call = NULL;
}

void on_checked(void *arg, bool ok, const char *reason)
{
	CU_ASSERT_PTR_EQUAL(arg, &got);
	got.checked++;
	got.ok = ok;
	snprintf(got.reason, sizeof(got.reason), "%s", reason);
}

const struct dial_events events = {on_connected, on_failed, on_speed_changed, on_dropped};

static void tick_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

bool run_until(bool (*cond)(void), unsigned max_ms)
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

void run_for(unsigned ms)
{
	run_until(never, ms);
}

bool is_connected(void)
{
	return got.connected > 0;
}

bool has_failed(void)
{
	return got.failed > 0;
}

bool has_dropped(void)
{
	return got.dropped > 0;
}

bool has_checked(void)
{
	return got.checked > 0;
}

bool device_free(void)
{
	return !dial_device_hanging_up(modem.path);
}

void world_up(const struct step *script, bool echo)
{
	memset(&got, 0, sizeof(got));
	base = event_base_new();
	CU_ASSERT_FATAL(base != NULL);
	modem_open(script, echo);
	line = (struct dial_line){
		.id = "modem1",
		.device = modem.path,
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

void world_down(void)
{
	if (got.call != NULL)
		end_call();
	run_until(device_free, 2000);
	modem_free();
	event_base_free(base);
	base = NULL;
}

struct dial_call *start(const char *const *numbers, size_t n)
{
	got.call = dial_start(base, &line, &timing, numbers, n, &events, &got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got.call);
	return got.call;
}

struct dial_call *reattach(const char *label, uint64_t speed_bps)
{
	got.call = dial_reattach(base, &line, &timing, label, speed_bps, &events, &got);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got.call);
	return got.call;
}

bool device_hupcl(void)
{
	struct termios tio;

	CU_ASSERT_FATAL(tcgetattr(modem.slave, &tio) == 0);
	return (tio.c_cflag & HUPCL) != 0;
}

void call_until(const char *const *numbers, size_t n, bool (*cond)(void), unsigned max_ms)
{
	start(numbers, n);
	CU_ASSERT(run_until(cond, max_ms));
}

void hang_up(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(got.call);
	end_call();
	CU_ASSERT(run_until(device_free, 2000));
}

struct dial_check *start_check(void)
{
	struct dial_check *k = dial_check_start(base, &line, &timing, on_checked, &got);

	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	return k;
}

bool reason_has(const char *what)
{
	if (strstr(got.reason, what) != NULL)
		return true;
	fprintf(stderr, "\n    reason \"%s\" lacks \"%s\"\n", got.reason, what);
	return false;
}

int dialer_test_run(const char *name, const struct ctl_test_case *cases)
{
	dial_verbose = getenv("DIAL_VERBOSE") != NULL;
	return ctl_test_run(name, cases, NULL, NULL);
}
