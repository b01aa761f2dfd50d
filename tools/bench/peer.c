/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-bench --peer ipsec-secgw: the whole-process comparison with DPDK's example gateway.
 * Building the example, writing pcaps, starting and stopping two DPDK processes and checking
 * their output with scapy is orchestration, not a hot loop, so it lives in a Python driver
 * (peer_secgw.py beside this file, peer_secgw_in.py for inbound, whose generator is
 * spgate-espgen); this hands it the build's paths and the options that apply.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#ifndef SPG_BENCH_PEER_SCRIPT
#error "meson defines SPG_BENCH_PEER_SCRIPT, SPG_BENCH_DP, SPG_BENCH_CTL, SPG_BENCH_ESPGEN and SPG_BENCH_PEER_DIR"
#endif

int bench_peer_exec(const struct bench_opts *o)
{
	char sessions[16 * BENCH_MAX_LIST], duration[32], warmup[32], lcore[16], main_lcore[16], seed[24];
	char *argv[32];
	int argc = 0, n = 0;

	if (strcmp(o->peer, "ipsec-secgw") != 0) {
		fprintf(stderr, "spgate-bench: --peer: \"%s\" is not a known peer (ipsec-secgw is)\n", o->peer);
		return 2;
	}
	strcpy(sessions, "1,1024");
	for (unsigned int i = 0; o->sessions_set && i < o->n_sessions; i++)
		n += snprintf(sessions + n, sizeof(sessions) - n, "%s%" PRIu32, i ? "," : "", o->sessions[i]);
	snprintf(duration, sizeof(duration), "%g", o->duration);
	snprintf(warmup, sizeof(warmup), "%g", o->warmup);
	/* The worker on --lcore (default 1 here), spgate-dp's main lcore on the other CPU. */
	snprintf(lcore, sizeof(lcore), "%u", o->lcore_set ? o->lcore : 1);
	snprintf(main_lcore, sizeof(main_lcore), "%u", (o->lcore_set ? o->lcore : 1) == 0 ? 1 : 0);
	snprintf(seed, sizeof(seed), "%" PRIu64, o->seed);
	argv[argc++] = "python3";
	argv[argc++] = SPG_BENCH_PEER_SCRIPT;
	argv[argc++] = "--spgate-dp";
	argv[argc++] = SPG_BENCH_DP;
	argv[argc++] = "--spgatectl";
	argv[argc++] = SPG_BENCH_CTL;
	argv[argc++] = "--build-dir";
	argv[argc++] = SPG_BENCH_PEER_DIR;
	argv[argc++] = "--sessions";
	argv[argc++] = sessions;
	argv[argc++] = "--lcore";
	argv[argc++] = lcore;
	argv[argc++] = "--main-lcore";
	argv[argc++] = main_lcore;
	argv[argc++] = "--seed";
	argv[argc++] = seed;
	argv[argc++] = "--direction";
	argv[argc++] = o->dirs[BENCH_OUTBOUND] ? (o->dirs[BENCH_INBOUND] ? "both" : "outbound") : "inbound";
	argv[argc++] = "--espgen";
	argv[argc++] = SPG_BENCH_ESPGEN;
	if (o->duration_set) {
		argv[argc++] = "--duration";
		argv[argc++] = duration;
	}
	if (o->warmup_set) {
		argv[argc++] = "--warmup";
		argv[argc++] = warmup;
	}
	if (o->peer_rounds != 0) {
		static char rounds[16];

		snprintf(rounds, sizeof(rounds), "%u", o->peer_rounds);
		argv[argc++] = "--rounds";
		argv[argc++] = rounds;
	}
	if (o->json)
		argv[argc++] = "--json";
	argv[argc] = NULL;
	/* Debian's python3 has scapy (python3-scapy); a python3 earlier on PATH may not. */
	execv("/usr/bin/python3", argv);
	execvp("python3", argv);
	fprintf(stderr, "spgate-bench: cannot run python3 %s: %s\n", SPG_BENCH_PEER_SCRIPT, strerror(errno));
	return 1;
}
