/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-agent: the SP side of spgate (DESIGN.md section 4) — RAS (checks the engineer's
 * grant), hands out S and the service ports, route service (host route to G_in), security
 * client (userspace ESP over TUN, eBPF guard on the outer interface).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <jansson.h>

#include "addr.h"
#include "config.h"
#include "ctl.h"
#include "grant.h"
#include "log.h"
#include "log_stamp.h"
#include "tls_server.h"

#define DEFAULT_CONFIG "/etc/spgate/agent.yaml"
#define STOP_FLUSH_MS 300 /* time the channels get to send their "down" at shutdown */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: spgate-agent [-c FILE] [-d]            run the agent\n"
		"       spgate-agent [-c FILE] --check-config  check the configuration and exit\n"
		"       spgate-agent [-c FILE] --status [--json]\n"
		"                                              sessions, tunnel drops, guard counters\n"
		"       spgate-agent --gen-vendor-key PRIVATE.pem PUBLIC.pem\n"
		"                                              a new Ed25519 vendor key pair (lab, tests)\n"
		"\n"
		"  -c, --config FILE   configuration (default " DEFAULT_CONFIG ")\n"
		"  -d, --debug         log at debug level (key fingerprints, channels)\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n"
		"\n"
		"Signals: SIGTERM/SIGINT tear every session down and exit; SIGUSR1 logs the status.\n"
		"Exit status: 0 ok, 1 runtime failure or agent not answering, 2 usage or bad config.\n");
}

struct agent {
	struct event_base *base;
	struct tls_server *srv;
	bool stopping;
};

static void log_status(struct agent *a)
{
	json_t *st = sp_sessions_status(tls_server_sessions(a->srv));
	char *s = json_dumps(st, JSON_COMPACT);

	log_info("status %s", s != NULL ? s : "(cannot encode)");
	free(s);
	json_decref(st);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct agent *a = arg;
	struct timeval flush = {.tv_usec = STOP_FLUSH_MS * 1000};

	(void)what;
	if (sig == SIGUSR1) {
		log_status(a);
		return;
	}
	if (a->stopping)
		return;
	a->stopping = true;
	log_info("signal %d: tearing every session down", (int)sig);
	tls_server_stop(a->srv, "agent stopping");
	event_base_loopexit(a->base, &flush);
}

static int run(const struct agent_config *cfg)
{
	struct event *sigs[3] = {NULL};
	const int signums[3] = {SIGTERM, SIGINT, SIGUSR1};
	struct agent a = {0};
	struct agent_ctl *ctl = NULL;
	EVP_PKEY *vendor;
	char err[512], addr[SPG_ADDR_STRLEN];
	int rc = 1;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	vendor = spg_grant_load_public_key(cfg->vendor_key_file, err, sizeof(err));
	if (vendor == NULL) {
		log_err("vendor_key: %s", err);
		return 2;
	}
	a.base = event_base_new();
	if (a.base == NULL) {
		log_err("cannot create the event loop");
		goto out;
	}
	a.srv = tls_server_new(a.base, cfg, vendor, err, sizeof(err));
	if (a.srv == NULL) {
		log_err("%s", err);
		goto out;
	}
	ctl = agent_ctl_new(a.base, cfg->state_dir, tls_server_sessions(a.srv), err, sizeof(err));
	if (ctl == NULL) {
		log_err("%s", err);
		goto out;
	}
	for (i = 0; i < 3; i++) {
		sigs[i] = evsignal_new(a.base, signums[i], signal_cb, &a);
		if (sigs[i] == NULL || evsignal_add(sigs[i], NULL) != 0) {
			log_err("cannot handle signal %d", signums[i]);
			goto out;
		}
	}
	log_info("serial %s: listening on %s:%u (ESP port %u, guard %s%s)", cfg->serial,
		 spg_addr_str(cfg->listen_addr, addr), cfg->listen_port, cfg->esp_port,
		 cfg->guard_mode == AGENT_GUARD_OFF ? "off" : "on ",
		 cfg->guard_mode == AGENT_GUARD_OFF ? "" : cfg->guard_ifname);
	event_base_dispatch(a.base);
	rc = 0;
out:
	for (i = 0; i < 3; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	agent_ctl_free(ctl);
	tls_server_free(a.srv);
	if (a.base != NULL)
		event_base_free(a.base);
	EVP_PKEY_free(vendor);
	return rc;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK = 256, OPT_STATUS, OPT_JSON, OPT_GEN_KEY };
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"debug", no_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"status", no_argument, NULL, OPT_STATUS},
		{"json", no_argument, NULL, OPT_JSON},
		{"gen-vendor-key", no_argument, NULL, OPT_GEN_KEY},
		{NULL, 0, NULL, 0},
	};
	const char *config = DEFAULT_CONFIG;
	bool debug = false, check = false, status = false, json = false, gen_key = false;
	struct agent_config cfg;
	char err[512];
	int c;

	while ((c = getopt_long(argc, argv, "c:dhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("spgate-agent %s\n", SPGATE_VERSION);
			return 0;
		case OPT_CHECK:
			check = true;
			break;
		case OPT_STATUS:
			status = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_GEN_KEY:
			gen_key = true;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (gen_key) {
		if (argc - optind != 2) {
			fprintf(stderr, "spgate-agent: --gen-vendor-key needs PRIVATE.pem PUBLIC.pem\n");
			return 2;
		}
		if (spg_grant_gen_keypair(argv[optind], argv[optind + 1], err, sizeof(err)) != 0) {
			fprintf(stderr, "spgate-agent: %s\n", err);
			return 1;
		}
		printf("private key %s, public key %s\n", argv[optind], argv[optind + 1]);
		return 0;
	}
	if (optind != argc || (json && !status)) {
		usage(stderr);
		return 2;
	}
	if (agent_config_load(config, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "spgate-agent: %s\n", err);
		return 2;
	}
	if (check) {
		printf("%s: ok\n", config);
		return 0;
	}
	if (status)
		return agent_ctl_print_status(cfg.state_dir, json);
	agent_log_set_level(debug || cfg.debug ? AGENT_LOG_DEBUG : AGENT_LOG_INFO);
	spg_log_stamp_stderr(); /* the daemon's lines get UTC timestamps, unless the journal's */
	return run(&cfg);
}
