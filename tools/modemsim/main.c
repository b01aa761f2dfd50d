/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-modemsim: command line, the event loop, signals (TERM/INT exit, HUP reload, USR1
 * counters, CHLD hooks) and the reload of the numbers and the modems' behaviour flags.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "modemsim.h"

#define EXIT_CONFIG 2
/* Shutdown waits for the "down" hooks; each is killed after 10 s anyway. */
#define SHUTDOWN_WAIT_MS 15000
#define SHUTDOWN_POLL_MS 50

bool sim_verbose;

static struct sim_config config;
static const char *config_path;
static struct sim_modem *modems[SIM_MAX_MODEMS];
static size_t n_modems;
static struct event_base *base;
static struct event *shutdown_timer;
static unsigned shutdown_polls;

struct sim_config *sim_current_config(void)
{
	return &config;
}

void sim_log(const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%02d:%02d:%02d.%03ld ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		     ts.tv_nsec / 1000000);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line: hook output shares stderr. */
	fprintf(stderr, "%s\n", line);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: spgate-modemsim --config FILE [--verbose] [--check-config]\n"
		"\n"
		"A bank of Hayes-compatible modems on pseudo-terminals, and the telephone network\n"
		"behind them, for testing dialers (see tools/modemsim/README.md).\n"
		"\n"
		"  -c, --config FILE   the YAML configuration (required)\n"
		"  -v, --verbose       log every command and result\n"
		"  -n, --check-config  check the configuration and exit (0: valid, 2: not)\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n"
		"\n"
		"Signals: TERM/INT hang up and exit, HUP reloads the numbers and the modems'\n"
		"behaviour flags, USR1 logs the counters.\n");
}

static void print_counters(void)
{
	size_t i;

	for (i = 0; i < n_modems; i++)
		sim_modem_print_counters(modems[i]);
}

static void reload(void)
{
	struct sim_config next;
	const struct sim_modem_conf *mc;
	char err[512];
	size_t i;

	if (sim_config_load(config_path, &next, err, sizeof(err)) < 0) {
		sim_log("reload failed, the old configuration stays: %s", err);
		return;
	}
	for (i = 0; i < n_modems; i++) {
		mc = sim_config_find_modem(&next, sim_modem_device(modems[i]));
		if (mc != NULL)
			sim_modem_set_conf(modems[i], mc);
		else
			sim_log("%s: no longer in the configuration: kept until restart",
				sim_modem_device(modems[i]));
	}
	for (i = 0; i < next.n_modems; i++)
		if (sim_config_find_modem(&config, next.modems[i].device) == NULL)
			sim_log("%s: new in the configuration: ignored until restart",
				next.modems[i].device);
	/* Modems copy what a call needs, so the old number table can go at once. */
	sim_config_free(&config);
	config = next;
	sim_log("reloaded %s: %zu numbers, unknown numbers get %s", config_path,
		config.n_numbers, sim_result_name(config.unknown));
}

static bool all_idle(void)
{
	size_t i;

	for (i = 0; i < n_modems; i++)
		if (!sim_modem_idle(modems[i]))
			return false;
	return true;
}

static void shutdown_poll(evutil_socket_t fd, short what, void *arg)
{
	const struct timeval tv = { .tv_usec = SHUTDOWN_POLL_MS * 1000 };

	(void)fd;
	(void)what;
	(void)arg;
	if (all_idle()) {
		event_base_loopbreak(base);
		return;
	}
	if (++shutdown_polls * SHUTDOWN_POLL_MS >= SHUTDOWN_WAIT_MS) {
		sim_log("hooks still running after %d s: exiting without them",
			SHUTDOWN_WAIT_MS / 1000);
		event_base_loopbreak(base);
		return;
	}
	evtimer_add(shutdown_timer, &tv);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	size_t i;

	(void)what;
	(void)arg;
	switch (sig) {
	case SIGCHLD:
		sim_hook_reap();
		break;
	case SIGHUP:
		reload();
		break;
	case SIGUSR1:
		print_counters();
		break;
	default:
		if (shutdown_timer != NULL && evtimer_pending(shutdown_timer, NULL))
			break;
		sim_log("signal %d: hanging up and exiting", (int)sig);
		for (i = 0; i < n_modems; i++)
			sim_modem_shutdown(modems[i]);
		shutdown_poll(-1, 0, NULL);
		break;
	}
}

static int run(void)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGCHLD };
	struct event *sigev[sizeof(sigs) / sizeof(sigs[0])] = { 0 };
	size_t i;
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	shutdown_timer = base != NULL ? evtimer_new(base, shutdown_poll, NULL) : NULL;
	if (shutdown_timer == NULL) {
		sim_log("cannot start the event loop");
		goto out;
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(base, sigs[i], on_signal, NULL);
		if (sigev[i] == NULL || evsignal_add(sigev[i], NULL) < 0) {
			sim_log("cannot handle signal %d", sigs[i]);
			goto out;
		}
	}
	for (i = 0; i < config.n_modems; i++) {
		const struct sim_modem_conf *mc = &config.modems[i];

		modems[i] = sim_modem_new(base, mc);
		if (modems[i] == NULL) {
			sim_log("%s: cannot create the modem: %s%s", mc->device, strerror(errno),
				errno == EEXIST ? " (and it is not a symlink)" : "");
			goto out;
		}
		n_modems = i + 1;
		sim_log("%s: ready%s%s", mc->device, mc->dead ? " (dead)" : "",
			mc->dialtone ? "" : " (no dial tone)");
	}
	sim_log("%zu modems, %zu numbers, hook %s", n_modems, config.n_numbers,
		config.hook[0] != '\0' ? config.hook : "none");
	event_base_dispatch(base);
	rc = 0;
out:
	for (i = 0; i < n_modems; i++)
		sim_modem_shutdown(modems[i]);
	print_counters();
	for (i = 0; i < n_modems; i++)
		sim_modem_free(modems[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigev[i] != NULL)
			event_free(sigev[i]);
	if (shutdown_timer != NULL)
		event_free(shutdown_timer);
	if (base != NULL)
		event_base_free(base);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool check_only = false;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:vnhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'v':
			sim_verbose = true;
			break;
		case 'n':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("spgate-modemsim %s\n", SPGATE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_CONFIG;
		}
	}
	if (optind != argc || config_path == NULL) {
		fprintf(stderr, "spgate-modemsim: %s\n",
			config_path == NULL ? "--config FILE is required" : "unexpected argument");
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (sim_config_load(config_path, &config, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (check_only) {
		printf("%s: OK (%zu modems, %zu numbers)\n", config_path, config.n_modems,
		       config.n_numbers);
		sim_config_free(&config);
		return 0;
	}
	rc = run();
	sim_config_free(&config);
	return rc;
}
