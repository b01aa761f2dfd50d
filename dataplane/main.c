/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-dp: the DPDK fast path of spgate. The main lcore is the control thread (control
 * socket, ARP and other slow-path work, RCU reclamation); worker lcores run the burst loops.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "addr.h"
#include "config.h"
#include "ctl_server.h"
#include "dp_log.h"
#include "dp.h"
#include "slow_path.h"
#include "telemetry.h"
#include "worker.h"

#ifndef SPGATE_VERSION
#define SPGATE_VERSION "unknown"
#endif

#define MAX_EAL_ARGS (24 + SPG_CFG_MAX_EAL_ARGS)

static struct spg_dp the_dp;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: spgate-dp --config FILE       run the dataplane\n"
		"       spgate-dp --check-config FILE check a configuration and exit\n"
		"       spgate-dp --version | --help\n"
		"\n"
		"spgate-dp forwards spgate sessions: per-session NAT of virtual addresses to the shared\n"
		"SP address, SP-side port filtering, rate matching and ESP tunnels. It is programmed\n"
		"through its control socket (see `spgatectl dp --help`). SIGINT/SIGTERM stop it.\n");
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&the_dp.quit, true, __ATOMIC_RELAXED);
}

static bool is_vdev(const char *devargs)
{
	return strncmp(devargs, "net_", 4) == 0;
}

/* EAL arguments from the configuration; strings live in bufs. */
static int build_eal_args(const struct spg_dp_config *c, char *argv[], char bufs[][96])
{
	int argc = 0, b = 0, n;

	argv[argc++] = (char *)"spgate-dp";
	n = snprintf(bufs[b], 96, "%u", c->main_lcore);
	for (unsigned int i = 0; i < c->n_workers && n < 90; i++)
		n += snprintf(bufs[b] + n, 96 - n, ",%u", c->worker_lcores[i]);
	argv[argc++] = (char *)"-l";
	argv[argc++] = bufs[b++];
	snprintf(bufs[b], 96, "--main-lcore=%u", c->main_lcore);
	argv[argc++] = bufs[b++];
	snprintf(bufs[b], 96, "--file-prefix=%s", c->file_prefix);
	argv[argc++] = bufs[b++];
	if (c->no_huge)
		argv[argc++] = (char *)"--no-huge";
	if (c->memory_mb != 0) {
		snprintf(bufs[b], 96, "%u", c->memory_mb);
		argv[argc++] = (char *)"-m";
		argv[argc++] = bufs[b++];
	}
	/* With only virtual devices, do not touch the host's PCI NICs. */
	if (is_vdev(c->vendor.devargs) && is_vdev(c->sp.devargs))
		argv[argc++] = (char *)"--no-pci";
	for (unsigned int i = 0; i < c->n_eal_extra; i++)
		argv[argc++] = c->eal_extra[i];
	argv[argc] = NULL;
	return argc;
}

static void print_config(const struct spg_dp_config *c)
{
	char a[SPG_ADDR_STRLEN], b[SPG_ADDR_STRLEN], p[SPG_ADDR_STRLEN];

	printf("configuration ok: vendor port %s, sp port %s\n", c->vendor.devargs, c->sp.devargs);
	printf("  shared SP address %s, gateway inner address %s, virtual pool %s/%u\n",
	       spg_addr_str(c->shared_addr, a), spg_addr_str(c->inner_addr, b), spg_addr_str(c->pool_addr, p),
	       c->pool_prefix_len);
	printf("  %u sessions max, %u worker(s), %s, replay window %u, ESP in UDP port %u\n", c->max_sessions,
	       c->n_workers, spg_cipher_name(c->cipher), c->replay_window, c->esp_udp_port);
}

static int launch_workers(struct spg_dp *dp)
{
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		int rc = rte_eal_remote_launch(spg_worker_main, dp->workers[i], dp->cfg.worker_lcores[i]);

		if (rc != 0) {
			RTE_LOG(ERR, USER1, "cannot launch worker on lcore %u: %s\n", dp->cfg.worker_lcores[i],
				strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void control_loop(struct spg_dp *dp, struct spg_ctl_server *ctl)
{
	while (!__atomic_load_n(&dp->quit, __ATOMIC_RELAXED)) {
		/* Short waits keep ARP answers and roaming prompt without spinning this core. */
		spg_ctl_server_poll(ctl, spg_slow_path_poll(dp) ? 0 : 1);
		pthread_mutex_lock(&dp->ctl_lock);
		spg_session_table_reclaim(dp->sessions);
		pthread_mutex_unlock(&dp->ctl_lock);
	}
}

static int run(struct spg_dp *dp)
{
	char bufs[8][96];
	char *eal_argv[MAX_EAL_ARGS];
	struct spg_ctl_server *ctl = NULL;
	int eal_argc, rc;

	eal_argc = build_eal_args(&dp->cfg, eal_argv, bufs);
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		fprintf(stderr, "spgate-dp: cannot initialise DPDK (EAL): %s\n", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	rc = spg_dp_init(dp);
	if (rc == 0) {
		rc = spg_recorder_run_thread(dp->rec);
		if (rc != 0)
			RTE_LOG(ERR, USER1, "recorder thread: %s\n", strerror(-rc));
	}
	if (rc == 0) {
		ctl = spg_ctl_server_create(dp, dp->cfg.control_socket);
		if (ctl == NULL) {
			rc = -errno;
			RTE_LOG(ERR, USER1, "control socket %s: %s\n", dp->cfg.control_socket, strerror(errno));
		}
	}
	if (rc == 0 && spg_telemetry_register(dp) != 0)
		RTE_LOG(WARNING, USER1, "telemetry commands not registered\n");
	if (rc == 0)
		rc = launch_workers(dp);
	if (rc == 0) {
		RTE_LOG(INFO, USER1, "spgate-dp %s ready: %u worker(s), control socket %s\n", SPGATE_VERSION,
			dp->n_workers, dp->cfg.control_socket);
		control_loop(dp, ctl);
		RTE_LOG(INFO, USER1, "stopping\n");
	}
	__atomic_store_n(&dp->quit, true, __ATOMIC_RELAXED);
	rte_eal_mp_wait_lcore();
	spg_ctl_server_free(ctl);
	spg_dp_fini(dp);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	bool check_only = false;
	char err[512];
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "c:C:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'C':
			path = optarg;
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("spgate-dp %s\n", SPGATE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (path == NULL || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* the daemon's lines get UTC timestamps (--check-config's output is for a person) */
	if (!check_only && spg_dp_log_stamp() != 0)
		fprintf(stderr, "spgate-dp: DPDK's log lines go to its default stream, without timestamps\n");
	spg_dp_config_defaults(&the_dp.cfg);
	if (spg_dp_config_load(path, &the_dp.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "spgate-dp: %s\n", err);
		spg_dp_config_free(&the_dp.cfg);
		return 1;
	}
	if (check_only) {
		print_config(&the_dp.cfg);
		spg_dp_config_free(&the_dp.cfg);
		return 0;
	}
	rc = run(&the_dp);
	spg_dp_config_free(&the_dp.cfg);
	return rc;
}
