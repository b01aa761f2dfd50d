/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One modem: the Hayes AT interpreter in command mode and the call state machine.
 *
 *   COMMAND --ATD--> DIALING --ring/result timer--> ONLINE (CONNECT)   or COMMAND (BUSY, ...)
 *   DIALING --any byte from the DTE--> COMMAND (NO CARRIER)
 *   ONLINE --guard, "+++", guard--> COMMAND with the call up (OK); ATO back, ATH0 hangs up
 *   call up --drop_after--> COMMAND (NO CARRIER);  DTE closes the device (DTR) --> hang up
 *
 * Nothing is written while no DTE holds the device: a modem talks to DTR, and a stale
 * "NO CARRIER" waiting in the pty would confuse the next dialer opening it.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "modemsim.h"

#define LINE_MAX_CHARS 255
#define PROBE_MS 100
#define N_SREGS 256
#define S_ESCAPE 2
#define S_CR 3
#define S_LF 4
#define S_BS 5
#define S_GUARD 12 /* in 1/50 s */

/* Result codes, numbered as ATV0 prints them. */
enum result_code {
	RC_OK = 0,
	RC_CONNECT = 1,
	RC_NO_CARRIER = 3,
	RC_ERROR = 4,
	RC_NO_DIALTONE = 6,
	RC_BUSY = 7,
	RC_NO_ANSWER = 8,
};

static const char *const result_texts[] = {
	[RC_OK] = "OK",
	[RC_CONNECT] = "CONNECT",
	[RC_NO_CARRIER] = "NO CARRIER",
	[RC_ERROR] = "ERROR",
	[RC_NO_DIALTONE] = "NO DIALTONE",
	[RC_BUSY] = "BUSY",
	[RC_NO_ANSWER] = "NO ANSWER",
};

enum modem_state { ST_COMMAND, ST_DIALING, ST_ONLINE };

/* What AT&F restores. */
struct settings {
	bool echo, verbose, quiet;
	unsigned x, c, d, k, l, m;
	uint8_t s[N_SREGS];
};

struct sim_modem {
	struct event_base *base;
	struct sim_modem_conf conf;
	char name[64];
	char slave[PATH_MAX];
	int master;
	bool dte;           /* a DTE holds the slave open */
	bool stopped;       /* shut down: no more input */
	struct event *rx, *probe, *dial_timer, *drop_timer, *retrain_timer, *escape_timer;
	struct sim_hook_queue *hooks;

	struct settings set;
	char line[LINE_MAX_CHARS + 1];
	size_t len;
	bool overflow;
	bool last_cr;
	char last_cmd[LINE_MAX_CHARS + 1]; /* for A/ */

	enum modem_state state;
	bool call_up;                 /* connected: online, or in command mode after +++ */
	struct sim_number call;       /* the called number's behaviour, as when dialed */
	enum sim_result pending;      /* what the dial timer will answer */
	char dialed[LINE_MAX_CHARS + 1]; /* "ATDT9,+1 555 0100", for the log */
	uint32_t speed;
	uint64_t last_rx_ms;
	unsigned plus;                /* '+' of an escape seen so far */

	struct sim_counters counters;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000), .tv_usec = (long)(ms % 1000) * 1000 };

	return tv;
}

static void settings_default(struct settings *s)
{
	static const uint8_t sregs[] = { 0, 0, '+', '\r', '\n', 8, 2, 50, 2, 6, 14, 95, 50 };

	memset(s, 0, sizeof(*s));
	s->echo = true;
	s->verbose = true;
	s->x = 4;
	s->c = 1;
	s->d = 2;
	s->k = 3;
	s->l = 2;
	s->m = 1;
	memcpy(s->s, sregs, sizeof(sregs));
}

static void out(struct sim_modem *m, const char *buf, size_t len)
{
	ssize_t n;

	if (!m->dte || len == 0)
		return;
	n = write(m->master, buf, len);
	/* A DTE that does not read loses output, as on a serial line without flow control. */
	if (n < 0 && errno != EAGAIN && errno != EIO)
		sim_log("%s: write: %s", m->name, strerror(errno));
	else if (n >= 0 && (size_t)n < len)
		sim_debug("%s: the DTE does not read: %zu bytes lost", m->name, len - (size_t)n);
}

/* Information text (I, S?, &V): framed like a verbose result, or plain after ATV0. */
static void info(struct sim_modem *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void info(struct sim_modem *m, const char *fmt, ...)
{
	char text[256], buf[300];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	n = snprintf(buf, sizeof(buf), m->set.verbose ? "\r\n%s\r\n" : "%s\r\n", text);
	out(m, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* The code a real modem at this ATX level reports instead (X0-X1 know no BUSY, ...). */
static enum result_code result_for_x(unsigned x, enum result_code r)
{
	if (r == RC_BUSY && x < 3)
		return RC_NO_CARRIER;
	if (r == RC_NO_DIALTONE && (x < 2 || x == 3))
		return RC_NO_CARRIER;
	return r;
}

/* Sends a result code; returns its text as sent (for the log). */
static const char *result(struct sim_modem *m, enum result_code r, uint32_t speed)
{
	static char text[64];
	char buf[80];
	int n;

	r = result_for_x(m->set.x, r);
	if (r == RC_CONNECT && m->set.x > 0 && speed != 0)
		snprintf(text, sizeof(text), "CONNECT %u", speed);
	else
		snprintf(text, sizeof(text), "%s", result_texts[r]);
	if (m->set.quiet)
		return text;
	if (m->set.verbose)
		n = snprintf(buf, sizeof(buf), "\r\n%s\r\n", text);
	else
		n = snprintf(buf, sizeof(buf), "%d\r", (int)r);
	sim_debug("%s: <- %s", m->name, text);
	out(m, buf, (size_t)n);
	return text;
}

static void hook(struct sim_modem *m, enum sim_hook_event ev)
{
	sim_hook_run(m->hooks, sim_current_config()->hook, ev, m->conf.device, m->call.number,
		     m->speed, m->conf.peer);
}

/* Ends the call or the dial in progress; "down" runs when a call was connected. */
static void call_end(struct sim_modem *m)
{
	evtimer_del(m->dial_timer);
	evtimer_del(m->drop_timer);
	evtimer_del(m->retrain_timer);
	evtimer_del(m->escape_timer);
	if (m->call_up)
		hook(m, SIM_HOOK_DOWN);
	m->call_up = false;
	m->state = ST_COMMAND;
	m->plus = 0;
}

static void go_online(struct sim_modem *m)
{
	m->state = ST_ONLINE;
	m->plus = 0;
	m->last_rx_ms = now_ms();
}

static void dial_result(evutil_socket_t fd, short what, void *arg)
{
	static const enum result_code codes[] = {
		[SIM_ANSWER] = RC_CONNECT,
		[SIM_BUSY] = RC_BUSY,
		[SIM_NO_ANSWER] = RC_NO_ANSWER,
		[SIM_NO_CARRIER] = RC_NO_CARRIER,
		[SIM_ERROR] = RC_ERROR,
	};
	struct sim_modem *m = arg;
	const char *text;
	struct timeval tv;

	(void)fd;
	(void)what;
	m->state = ST_COMMAND;
	switch (m->pending) {
	case SIM_ANSWER:
		m->counters.connects++;
		break;
	case SIM_BUSY:
		m->counters.busy++;
		break;
	case SIM_NO_ANSWER:
		m->counters.no_answer++;
		break;
	case SIM_NO_CARRIER:
		m->counters.no_carrier++;
		break;
	case SIM_ERROR:
		m->counters.dial_errors++;
		break;
	}
	text = result(m, codes[m->pending], m->speed);
	sim_log("%s: %s -> %s (after %u.%u s%s)", m->name, m->dialed, text,
		m->call.delay_ms / 1000, m->call.delay_ms % 1000 / 100,
		m->pending == SIM_ANSWER || m->pending == SIM_NO_ANSWER ? " ring" : "");
	if (m->pending != SIM_ANSWER)
		return;
	m->call_up = true;
	go_online(m);
	hook(m, SIM_HOOK_UP);
	if (m->call.drop_after_ms != 0) {
		tv = ms_tv(m->call.drop_after_ms);
		evtimer_add(m->drop_timer, &tv);
	}
	if (m->call.retrain_after_ms != 0) {
		tv = ms_tv(m->call.retrain_after_ms);
		evtimer_add(m->retrain_timer, &tv);
	}
}

static void call_dropped(evutil_socket_t fd, short what, void *arg)
{
	struct sim_modem *m = arg;

	(void)fd;
	(void)what;
	m->counters.dropped++;
	sim_log("%s: call to %s dropped by the network after %u.%u s -> NO CARRIER", m->name,
		m->call.number, m->call.drop_after_ms / 1000, m->call.drop_after_ms % 1000 / 100);
	result(m, RC_NO_CARRIER, 0);
	call_end(m);
}

static void call_retrain(evutil_socket_t fd, short what, void *arg)
{
	struct sim_modem *m = arg;

	(void)fd;
	(void)what;
	m->counters.retrains++;
	sim_log("%s: call to %s retrained from %u to %u", m->name, m->call.number, m->speed,
		m->call.retrain_speed);
	m->speed = m->call.retrain_speed;
	/* In command mode (after +++) the modem retrains silently; ATO tells the new speed. */
	if (m->state == ST_ONLINE)
		result(m, RC_CONNECT, m->speed);
	hook(m, SIM_HOOK_RETRAIN);
}

static void escape_done(evutil_socket_t fd, short what, void *arg)
{
	struct sim_modem *m = arg;

	(void)fd;
	(void)what;
	m->plus = 0;
	m->state = ST_COMMAND;
	m->counters.escapes++;
	sim_log("%s: +++ -> command mode, call to %s still up", m->name, m->call.number);
	result(m, RC_OK, 0);
}

/* Uppercased, without the separators people type, for comparing a dial prefix. */
static void compact(const char *in, char *out, size_t outsize)
{
	size_t n = 0;

	for (; *in != '\0' && n + 1 < outsize; in++)
		if (strchr(" -.()", *in) == NULL)
			out[n++] = (char)toupper((unsigned char)*in);
	out[n] = '\0';
}

/* ATD: s is everything after the D. Returns the code to answer now, or -1 (result later). */
static int dial(struct sim_modem *m, const char *s)
{
	struct sim_config *cfg = sim_current_config();
	char raw[LINE_MAX_CHARS + 1], prefix[SIM_PREFIX_MAX], number[SIM_NUMBER_MAX];
	const char *rest;
	struct sim_number *n;
	struct timeval tv;

	if (m->call_up)
		return RC_ERROR;
	snprintf(m->dialed, sizeof(m->dialed), "ATD%s", s);
	while (*s == ' ')
		s++;
	if (*s == 'T' || *s == 't' || *s == 'P' || *s == 'p')
		s++;
	compact(s, raw, sizeof(raw));
	compact(m->conf.prefix, prefix, sizeof(prefix));
	rest = raw;
	/* Through a PBX: without its prefix the call does not get out, so the number is unknown. */
	if (prefix[0] != '\0') {
		if (strncmp(raw, prefix, strlen(prefix)) == 0)
			rest = raw + strlen(prefix);
		else
			rest = "";
	}
	/* Nothing to dial at all (the prefix alone is something). */
	sim_number_normalise(raw, number, sizeof(number));
	if (number[0] == '\0')
		return RC_ERROR;
	sim_number_normalise(rest, number, sizeof(number));
	m->counters.calls++;
	memset(&m->call, 0, sizeof(m->call));
	snprintf(m->call.number, sizeof(m->call.number), "%s", number);
	if (!m->conf.dialtone) {
		m->counters.no_dialtone++;
		sim_log("%s: %s -> NO DIALTONE (dialtone: false)", m->name, m->dialed);
		return RC_NO_DIALTONE;
	}
	n = number[0] != '\0' ? sim_config_find_number(cfg, number) : NULL;
	if (n != NULL) {
		m->call = *n;
		m->pending = n->result;
		if (n->result == SIM_ANSWER && n->calls < n->busy_first)
			m->pending = SIM_BUSY;
		n->calls++;
	} else {
		m->call.delay_ms = cfg->ring_ms;
		m->pending = cfg->unknown;
		sim_debug("%s: %s is not a known number: %s", m->name,
			  number[0] != '\0' ? number : "(nothing after the prefix)",
			  sim_result_name(cfg->unknown));
	}
	m->speed = m->pending == SIM_ANSWER ? m->call.speed : 0;
	m->state = ST_DIALING;
	tv = ms_tv(m->call.delay_ms);
	evtimer_add(m->dial_timer, &tv);
	return -1;
}

/* Reads the decimal after a command letter; none is 0. False when above max. */
static bool arg_num(const char **p, unsigned max, unsigned *out)
{
	unsigned v = 0;

	if (!isdigit((unsigned char)**p)) {
		*out = 0;
		return true;
	}
	for (; isdigit((unsigned char)**p); (*p)++) {
		v = v * 10 + (unsigned)(**p - '0');
		if (v > 999)
			return false;
	}
	*out = v;
	return v <= max;
}

static void hang_up(struct sim_modem *m, const char *why)
{
	if (!m->call_up)
		return;
	m->counters.hangups++;
	sim_log("%s: call to %s hung up (%s)", m->name, m->call.number, why);
	call_end(m);
}

/* "&x" commands; returns RC_OK or RC_ERROR. */
static int ampersand(struct sim_modem *m, const char **p)
{
	char c = (char)toupper((unsigned char)**p);
	unsigned v;

	if (c == '\0')
		return RC_ERROR;
	(*p)++;
	switch (c) {
	case 'F':
		if (!arg_num(p, 0, &v))
			return RC_ERROR;
		settings_default(&m->set);
		return RC_OK;
	case 'C':
		return arg_num(p, 1, &m->set.c) ? RC_OK : RC_ERROR;
	case 'D':
		return arg_num(p, 3, &m->set.d) ? RC_OK : RC_ERROR;
	case 'K':
		return arg_num(p, 6, &m->set.k) ? RC_OK : RC_ERROR;
	case 'W':
		return arg_num(p, 1, &v) ? RC_OK : RC_ERROR;
	case 'V':
		if (!arg_num(p, 0, &v))
			return RC_ERROR;
		info(m, "E%d V%d Q%d X%u &C%u &D%u &K%u L%u M%u S2=%03u S12=%03u", m->set.echo,
		     m->set.verbose, m->set.quiet, m->set.x, m->set.c, m->set.d, m->set.k,
		     m->set.l, m->set.m, m->set.s[S_ESCAPE], m->set.s[S_GUARD]);
		return RC_OK;
	default:
		return RC_ERROR;
	}
}

/* Sn=v and Sn? */
static int s_register(struct sim_modem *m, const char **p)
{
	unsigned n, v;

	if (!isdigit((unsigned char)**p) || !arg_num(p, N_SREGS - 1, &n))
		return RC_ERROR;
	if (**p == '?') {
		(*p)++;
		info(m, "%03u", m->set.s[n]);
		return RC_OK;
	}
	if (**p != '=')
		return RC_ERROR;
	(*p)++;
	if (!arg_num(p, 255, &v))
		return RC_ERROR;
	m->set.s[n] = (uint8_t)v;
	return RC_OK;
}

/* One "AT..." line (without AT). Sends the results. */
static void execute(struct sim_modem *m, const char *p)
{
	unsigned v;
	bool b;
	int r = RC_OK;
	char c;

	while (r == RC_OK && *p != '\0') {
		c = (char)toupper((unsigned char)*p++);
		switch (c) {
		case ' ':
			break;
		case 'E':
		case 'V':
		case 'Q':
			r = arg_num(&p, 1, &v) ? RC_OK : RC_ERROR;
			b = v == 1;
			if (r == RC_OK)
				*(c == 'E' ? &m->set.echo : c == 'V' ? &m->set.verbose : &m->set.quiet) = b;
			break;
		case 'X':
			r = arg_num(&p, 4, &m->set.x) ? RC_OK : RC_ERROR;
			break;
		case 'L':
			r = arg_num(&p, 3, &m->set.l) ? RC_OK : RC_ERROR;
			break;
		case 'M':
			r = arg_num(&p, 3, &m->set.m) ? RC_OK : RC_ERROR;
			break;
		case 'W':
			r = arg_num(&p, 2, &v) ? RC_OK : RC_ERROR;
			break;
		case 'Z':
			if (!arg_num(&p, 1, &v)) {
				r = RC_ERROR;
				break;
			}
			hang_up(m, "ATZ");
			settings_default(&m->set);
			/* Z ends the line: what follows it is not executed. */
			result(m, RC_OK, 0);
			return;
		case '&':
			r = ampersand(m, &p);
			break;
		case 'S':
			r = s_register(m, &p);
			break;
		case 'H':
			if (!arg_num(&p, 1, &v)) {
				r = RC_ERROR;
				break;
			}
			if (v == 0)
				hang_up(m, "ATH");
			break;
		case 'I':
			r = arg_num(&p, 9, &v) ? RC_OK : RC_ERROR;
			if (r == RC_OK)
				info(m, "spgate-modemsim");
			break;
		case 'O':
			if (!arg_num(&p, 1, &v)) {
				r = RC_ERROR;
				break;
			}
			if (!m->call_up) {
				/* Logged: a DTE re-attaching after a restart asks this way. */
				sim_log("%s: ATO -> NO CARRIER: no call", m->name);
				r = RC_NO_CARRIER;
				break;
			}
			sim_log("%s: ATO -> back online with %s", m->name, m->call.number);
			result(m, RC_CONNECT, m->speed);
			go_online(m);
			return;
		case 'D':
			r = dial(m, p);
			if (r < 0)
				return;
			p = "";
			break;
		case 'A': /* nobody ever calls us */
		default:
			r = RC_ERROR;
			break;
		}
	}
	if (r == RC_ERROR)
		m->counters.errors++;
	result(m, (enum result_code)r, 0);
}

static void command_line(struct sim_modem *m)
{
	const char *p = m->line;

	m->line[m->len] = '\0';
	if (m->overflow) {
		sim_debug("%s: -> (command line longer than %d characters)", m->name,
			  LINE_MAX_CHARS);
		m->counters.errors++;
		result(m, RC_ERROR, 0);
		goto out;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		goto out;
	sim_debug("%s: -> %s", m->name, p);
	/*
	 * A modem hunts for "AT" and takes what came before it for line noise: a "+++" sent in
	 * command mode must not spoil the "ATH0" after it. No "AT" at all gets no answer.
	 */
	while (*p != '\0' && !(toupper((unsigned char)p[0]) == 'A' &&
				toupper((unsigned char)p[1]) == 'T'))
		p++;
	if (*p == '\0')
		goto out;
	m->counters.commands++;
	snprintf(m->last_cmd, sizeof(m->last_cmd), "%s", p);
	execute(m, p + 2);
out:
	m->len = 0;
	m->overflow = false;
}

static void command_byte(struct sim_modem *m, char c)
{
	if (m->set.echo)
		out(m, &c, 1);
	if (c == '\r' || c == (char)m->set.s[S_CR] || c == '\n') {
		command_line(m);
		return;
	}
	if (c == (char)m->set.s[S_BS] || c == 0x7f) {
		if (m->len > 0 && !m->overflow)
			m->len--;
		return;
	}
	if (m->len >= LINE_MAX_CHARS) {
		m->overflow = true;
		return;
	}
	m->line[m->len++] = c;
	/* A/ repeats the last command at once, without a CR. */
	if (m->len == 2 && toupper((unsigned char)m->line[0]) == 'A' && m->line[1] == '/') {
		m->len = 0;
		if (m->last_cmd[0] != '\0') {
			m->counters.commands++;
			execute(m, m->last_cmd + 2);
		}
	}
}

static void online_byte(struct sim_modem *m, char c)
{
	uint64_t now = now_ms(), guard = (uint64_t)m->set.s[S_GUARD] * 20, gap = now - m->last_rx_ms;
	struct timeval tv;

	m->last_rx_ms = now;
	if (c != (char)m->set.s[S_ESCAPE] || m->set.s[S_ESCAPE] > 127 || m->plus >= 3) {
		/* Data, or a fourth '+': not an escape. */
		m->plus = 0;
		evtimer_del(m->escape_timer);
		return;
	}
	if (m->plus == 0 ? gap >= guard : guard == 0 || gap < guard)
		m->plus++;
	else
		m->plus = 0;
	if (m->plus == 3) {
		tv = ms_tv(guard);
		evtimer_add(m->escape_timer, &tv);
	}
}

static void dte_gone(struct sim_modem *m)
{
	m->dte = false;
	m->len = 0;
	m->overflow = false;
	m->last_cr = false;
	if (m->state == ST_DIALING) {
		m->counters.aborted++;
		sim_log("%s: %s aborted: the DTE closed the device", m->name, m->dialed);
		call_end(m);
	} else if (m->call_up && m->set.d != 0 && !sim_pty_slave_hupcl(m->master)) {
		/* HUPCL off: the port's last close left DTR up, so the modem never saw a drop. */
		m->counters.dtr_held++;
		sim_log("%s: the DTE closed the device with HUPCL off: DTR held, call to %s stays up",
			m->name, m->call.number);
	} else if (m->call_up && m->set.d != 0) {
		m->counters.dtr_drops++;
		sim_log("%s: call to %s hung up: the DTE closed the device (DTR dropped)", m->name,
			m->call.number);
		call_end(m);
	} else {
		sim_debug("%s: the DTE closed the device", m->name);
	}
}

static void input(struct sim_modem *m, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char c = buf[i];
		bool lf_after_cr = c == '\n' && m->last_cr;

		m->last_cr = c == '\r';
		if (m->conf.dead)
			continue;
		switch (m->state) {
		case ST_DIALING:
			if (lf_after_cr)
				break;
			m->counters.aborted++;
			sim_log("%s: %s aborted by a byte from the DTE -> NO CARRIER", m->name,
				m->dialed);
			call_end(m);
			result(m, RC_NO_CARRIER, 0);
			break;
		case ST_ONLINE:
			online_byte(m, c);
			break;
		case ST_COMMAND:
			if (!lf_after_cr)
				command_byte(m, c);
			else if (m->set.echo)
				out(m, &c, 1);
			break;
		}
	}
}

static void start_probe(struct sim_modem *m)
{
	struct timeval tv = ms_tv(PROBE_MS);

	event_del(m->rx);
	evtimer_add(m->probe, &tv);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct sim_modem *m = arg;
	char buf[512];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	if (n > 0) {
		input(m, buf, (size_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EIO: the last slave descriptor was closed. POLLHUP stays on until one is opened. */
	dte_gone(m);
	start_probe(m);
}

static void on_probe(evutil_socket_t fd, short what, void *arg)
{
	struct sim_modem *m = arg;
	struct timeval tv = ms_tv(PROBE_MS);

	(void)fd;
	(void)what;
	if (m->stopped)
		return;
	if (!sim_pty_slave_open(m->master)) {
		evtimer_add(m->probe, &tv);
		return;
	}
	sim_debug("%s: a DTE opened the device", m->name);
	m->dte = true;
	m->last_cr = false;
	event_add(m->rx, NULL);
}

static void modem_name(const char *device, char *name, size_t size)
{
	const char *slash = strrchr(device, '/');

	const char *base = slash != NULL ? slash + 1 : device;
	size_t n = strnlen(base, size - 1);

	memcpy(name, base, n);
	name[n] = '\0';
}

struct sim_modem *sim_modem_new(struct event_base *base, const struct sim_modem_conf *conf)
{
	struct sim_modem *m = calloc(1, sizeof(*m));
	int rc;

	if (m == NULL)
		return NULL;
	m->base = base;
	m->conf = *conf;
	m->master = -1;
	modem_name(conf->device, m->name, sizeof(m->name));
	settings_default(&m->set);
	m->master = sim_pty_open(m->slave, sizeof(m->slave));
	if (m->master < 0)
		goto fail;
	m->rx = event_new(base, m->master, EV_READ | EV_PERSIST, on_read, m);
	m->probe = evtimer_new(base, on_probe, m);
	m->dial_timer = evtimer_new(base, dial_result, m);
	m->drop_timer = evtimer_new(base, call_dropped, m);
	m->retrain_timer = evtimer_new(base, call_retrain, m);
	m->escape_timer = evtimer_new(base, escape_done, m);
	m->hooks = sim_hook_queue_new(base, m->name);
	if (m->rx == NULL || m->probe == NULL || m->dial_timer == NULL || m->drop_timer == NULL ||
	    m->retrain_timer == NULL || m->escape_timer == NULL || m->hooks == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	rc = sim_pty_link(conf->device, m->slave);
	if (rc < 0) {
		errno = -rc;
		goto fail;
	}
	start_probe(m);
	return m;
fail:
	rc = errno;
	sim_modem_free(m);
	errno = rc;
	return NULL;
}

void sim_modem_shutdown(struct sim_modem *m)
{
	if (m->state == ST_DIALING)
		sim_log("%s: %s abandoned: exiting", m->name, m->dialed);
	else if (m->call_up)
		sim_log("%s: call to %s hung up: exiting", m->name, m->call.number);
	call_end(m);
	m->stopped = true;
	event_del(m->rx);
	evtimer_del(m->probe);
	sim_pty_unlink(m->conf.device, m->slave);
}

bool sim_modem_idle(const struct sim_modem *m)
{
	return sim_hook_idle(m->hooks);
}

void sim_modem_free(struct sim_modem *m)
{
	struct event *const evs[] = { m->rx, m->probe, m->dial_timer, m->drop_timer,
				      m->retrain_timer, m->escape_timer };
	size_t i;

	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i] != NULL)
			event_free(evs[i]);
	sim_hook_queue_free(m->hooks);
	if (m->master >= 0)
		close(m->master);
	free(m);
}

const char *sim_modem_device(const struct sim_modem *m)
{
	return m->conf.device;
}

void sim_modem_set_conf(struct sim_modem *m, const struct sim_modem_conf *conf)
{
	if (m->conf.dead != conf->dead || m->conf.dialtone != conf->dialtone ||
	    strcmp(m->conf.prefix, conf->prefix) != 0 || strcmp(m->conf.peer, conf->peer) != 0)
		sim_log("%s: now dead: %s, dialtone: %s, prefix: \"%s\", peer: \"%s\"", m->name,
			conf->dead ? "true" : "false", conf->dialtone ? "true" : "false",
			conf->prefix, conf->peer);
	/* The device stays: it is what the dialers hold open. */
	snprintf(m->conf.peer, sizeof(m->conf.peer), "%s", conf->peer);
	snprintf(m->conf.prefix, sizeof(m->conf.prefix), "%s", conf->prefix);
	m->conf.dialtone = conf->dialtone;
	m->conf.dead = conf->dead;
}

void sim_modem_print_counters(const struct sim_modem *m)
{
	char buf[1024];
	size_t len = 0;

#define X(name, text)                                                                   \
	if (len < sizeof(buf))                                                          \
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " %s=%" PRIu64, #name, \
					m->counters.name);
	SIM_COUNTERS(X)
#undef X
	sim_log("%s: counters:%s", m->name, buf);
}
