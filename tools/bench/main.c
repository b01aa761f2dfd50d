/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-bench: runs spgate-dp's pipeline on synthetic traffic and prints Mpps and cycles per
 * packet next to the limits measured in the same run. The control-socket install run needs
 * two lcores, so it runs first in a child process (this program again, --ctl-child) with an
 * EAL of its own; the matrix then runs here on one lcore.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "bench.h"
#include "traffic.h"

#define MAX_SESSIONS 4000000u /* the largest virtual pool holds 4,194,302 */
/* EAL memory: a measured ~5.4 KiB per session of capacity (two cryptodev sessions of 1.6 KiB,
 * two SAs, the table) with room for the heap's alignment and fragmentation, plus mbufs, rings
 * and the limit device. */
#define MEM_PER_SESSION 8192u
#define MEM_BASE_MB 384u

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: spgate-bench [OPTIONS]\n"
		"\n"
		"Runs spgate-dp's real pipeline (spg_outbound_burst / spg_inbound_burst, crypto_aesni_mb) on one\n"
		"lcore over ring-backed ports with synthetic traffic spread uniformly at random over the sessions,\n"
		"and prints Mpps and cycles/packet next to two limits measured in the same run: a bare rx->tx\n"
		"loop with the same generator and sink, and the crypto device alone on the same ESP payload\n"
		"lengths. Also: memory per session, session install rates (direct, and through the control\n"
		"socket while a second lcore forwards), and the project's targets.\n"
		"\n"
		"  --direction D      outbound, inbound or both (default both)\n"
		"  --sizes LIST       inner IPv4 packet sizes, %u..1438 (default 64,512,1400)\n"
		"  --sessions LIST    session counts, ascending (default 1,1024,65536,1048576)\n"
		"  --cipher C         aes-128-gcm, aes-256-gcm or all (default all)\n"
		"  --duration S       measured seconds per loop (default 0.5)\n"
		"  --warmup S         seconds before each measured loop (default 0.1)\n"
		"  --lcore N          CPU for the matrix (default 0)\n"
		"  --ctl-lcores A,B   control and worker CPUs of the control-socket run (default 0,1)\n"
		"  --ctl-installs N   sessions added through the control socket (default 100000; 0 skips)\n"
		"  --ctl-existing N   sessions forwarding traffic meanwhile (default 1024)\n"
		"  --memory MB        EAL memory (default: from the largest session count)\n"
		"  --huge             use the host's hugepages instead of --no-huge (4 KiB pages make\n"
		"                     large session counts TLB-bound; production runs on hugepages)\n"
		"  --crypto-path P    cpu (synchronous CPU crypto, spgate-dp's choice when the device has it;\n"
		"                     the default; through dataplane/esp_native*.c on crypto_aesni_mb),\n"
		"                     library (CPU crypto, both directions through librte_ipsec, as before esp_native*.c)\n"
		"                     or lookaside (crypto-op enqueue/dequeue); the crypto-only\n"
		"                     limit is measured the same way as the pipeline\n"
		"  --seed N           traffic and key seed (default 1)\n"
		"  --loops LIST       which loops to run, of pipeline,bare,crypto (default all; for profiling)\n"
		"  --json             JSON instead of tables\n"
		"  --peer ipsec-secgw instead of the above: spgate-dp and DPDK's examples/ipsec-secgw (built from\n"
		"                     dpdk-doc into the build tree) as whole processes, alternately, in\n"
		"                     --direction (default both): outbound on net_pcap ports replaying the same\n"
		"                     64-byte traffic; inbound fed over net_memif by spgate-espgen, which seals\n"
		"                     fresh sequence numbers as it sends (replay windows of 128 on in both);\n"
		"                     over --sessions (default here 1,1024), aes-128-gcm + ESN, one worker each\n"
		"                     on --lcore (default here 1), the generator on the other CPU; prints both\n"
		"                     rates and their ratio once a sample of each one's output checked (scapy:\n"
		"                     outbound decrypts, inbound is the sealed inner packet), and the\n"
		"                     generator's own rate and back-pressure. --duration (default here 5) and\n"
		"                     --warmup apply per run; exit 77 when dpdk-doc's sources are missing\n"
		"  --peer-rounds N    alternations of the two processes per session count (default 2)\n"
		"  --help\n"
		"\n"
		"Exit status: 0 when every loop ran and was measured (targets missed or not), 1 on errors,\n"
		"2 on bad arguments.\n",
		BENCH_MIN_SIZE);
}

static bool parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_seconds(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || !(v > 0.0) || v > 600.0)
		return false;
	*out = v;
	return true;
}

/* "a,b,c" into out[], each within lo..hi, ascending when asked. */
static bool parse_list(const char *s, uint32_t lo, uint32_t hi, bool ascending, uint32_t *out, unsigned int *n)
{
	char buf[256], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (*n == BENCH_MAX_LIST || !parse_u32(tok, lo, hi, &out[*n]))
			return false;
		if (ascending && *n > 0 && out[*n] <= out[*n - 1])
			return false;
		(*n)++;
	}
	return *n > 0;
}

static bool parse_loops(const char *s, struct bench_opts *o)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	o->skip_pipeline = o->skip_bare = o->skip_crypto = true;
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "pipeline") == 0)
			o->skip_pipeline = false;
		else if (strcmp(tok, "bare") == 0)
			o->skip_bare = false;
		else if (strcmp(tok, "crypto") == 0)
			o->skip_crypto = false;
		else
			return false;
	}
	return true;
}

static void defaults(struct bench_opts *o)
{
	static const uint16_t sizes[] = { 64, 512, 1400 };
	static const uint32_t sessions[] = { 1, 1024, 65536, 1048576 };

	memset(o, 0, sizeof(*o));
	o->dirs[BENCH_OUTBOUND] = o->dirs[BENCH_INBOUND] = true;
	memcpy(o->sizes, sizes, sizeof(sizes));
	o->n_sizes = RTE_DIM(sizes);
	memcpy(o->sessions, sessions, sizeof(sessions));
	o->n_sessions = RTE_DIM(sessions);
	o->ciphers[SPG_CIPHER_AES_128_GCM] = o->ciphers[SPG_CIPHER_AES_256_GCM] = true;
	o->duration = 0.5;
	o->warmup = 0.1;
	o->lcore = 0;
	o->ctl_cpus[0] = 0;
	o->ctl_cpus[1] = 1;
	o->ctl_existing = 1024;
	o->ctl_installs = 100000;
	o->seed = 1;
}

enum { OPT_DIRECTION = 256, OPT_SIZES, OPT_SESSIONS, OPT_CIPHER, OPT_DURATION, OPT_WARMUP, OPT_LCORE,
       OPT_CTL_LCORES, OPT_CTL_INSTALLS, OPT_CTL_EXISTING, OPT_MEMORY, OPT_HUGE, OPT_SEED, OPT_LOOPS, OPT_JSON, OPT_HELP, OPT_CTL_CHILD,
       OPT_CRYPTO_PATH, OPT_PEER, OPT_PEER_ROUNDS };

enum opt_result { OPT_GOOD, OPT_BAD, OPT_UNKNOWN };

/* What is measured: directions, sizes, sessions, ciphers, timing, seed, crypto path. */
static enum opt_result parse_workload_opt(int opt, const char *arg, struct bench_opts *o)
{
	uint32_t list[BENCH_MAX_LIST], v;
	unsigned int n;
	bool ok;

	switch (opt) {
	case OPT_DIRECTION:
		o->dirs[BENCH_OUTBOUND] = !strcmp(arg, "outbound") || !strcmp(arg, "both");
		o->dirs[BENCH_INBOUND] = !strcmp(arg, "inbound") || !strcmp(arg, "both");
		ok = o->dirs[BENCH_OUTBOUND] || o->dirs[BENCH_INBOUND];
		break;
	case OPT_SIZES:
		ok = parse_list(arg, BENCH_MIN_SIZE, 1438, false, list, &n);
		for (unsigned int i = 0; ok && i < n; i++)
			o->sizes[i] = (uint16_t)list[i];
		o->n_sizes = ok ? n : o->n_sizes;
		break;
	case OPT_SESSIONS:
		ok = parse_list(arg, 1, MAX_SESSIONS, true, o->sessions, &o->n_sessions);
		o->sessions_set = true;
		break;
	case OPT_CIPHER:
		o->ciphers[SPG_CIPHER_AES_128_GCM] = !strcmp(arg, "aes-128-gcm") || !strcmp(arg, "all");
		o->ciphers[SPG_CIPHER_AES_256_GCM] = !strcmp(arg, "aes-256-gcm") || !strcmp(arg, "all");
		ok = o->ciphers[0] || o->ciphers[1];
		break;
	case OPT_DURATION:
		ok = parse_seconds(arg, &o->duration);
		o->duration_set = true;
		break;
	case OPT_WARMUP:
		ok = parse_seconds(arg, &o->warmup);
		o->warmup_set = true;
		break;
	case OPT_SEED:
		ok = parse_u32(arg, 0, UINT32_MAX, &v);
		o->seed = v;
		break;
	case OPT_LOOPS:
		ok = parse_loops(arg, o);
		break;
	case OPT_CRYPTO_PATH:
		o->lookaside = !strcmp(arg, "lookaside");
		o->library_outbound = !strcmp(arg, "library");
		ok = o->lookaside || o->library_outbound || !strcmp(arg, "cpu");
		break;
	default:
		return OPT_UNKNOWN;
	}
	return ok ? OPT_GOOD : OPT_BAD;
}

/* Where and how it runs: lcores, the control-path run, memory, output, the peer. */
static enum opt_result parse_run_opt(int opt, const char *arg, struct bench_opts *o)
{
	uint32_t list[BENCH_MAX_LIST], v;
	unsigned int n;
	bool ok = true;

	switch (opt) {
	case OPT_LCORE:
		ok = parse_u32(arg, 0, RTE_MAX_LCORE - 1, &v);
		o->lcore = v;
		o->lcore_set = true;
		break;
	case OPT_CTL_LCORES:
		ok = parse_list(arg, 0, RTE_MAX_LCORE - 1, false, list, &n) && n == 2 && list[0] != list[1];
		o->ctl_cpus[0] = list[0];
		o->ctl_cpus[1] = list[1];
		break;
	case OPT_CTL_INSTALLS:
		ok = parse_u32(arg, 0, MAX_SESSIONS / 2, &o->ctl_installs);
		break;
	case OPT_CTL_EXISTING:
		ok = parse_u32(arg, 1, MAX_SESSIONS / 2, &o->ctl_existing);
		break;
	case OPT_MEMORY:
		ok = parse_u32(arg, 128, 1u << 20, &o->memory_mb);
		break;
	case OPT_HUGE:
		o->huge = true;
		break;
	case OPT_JSON:
		o->json = true;
		break;
	case OPT_HELP:
		usage(stdout);
		exit(0);
	case OPT_CTL_CHILD:
		o->ctl_child = true;
		break;
	case OPT_PEER:
		o->peer = arg;
		break;
	case OPT_PEER_ROUNDS:
		ok = parse_u32(arg, 1, 100, &v);
		o->peer_rounds = v;
		break;
	default:
		return OPT_UNKNOWN;
	}
	return ok ? OPT_GOOD : OPT_BAD;
}

/* Returns 0, or 2 after naming the bad argument. */
static int parse_args(int argc, char **argv, struct bench_opts *o)
{
	static const struct option opts[] = {
		{ "direction", required_argument, NULL, OPT_DIRECTION },
		{ "sizes", required_argument, NULL, OPT_SIZES },
		{ "sessions", required_argument, NULL, OPT_SESSIONS },
		{ "cipher", required_argument, NULL, OPT_CIPHER },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "warmup", required_argument, NULL, OPT_WARMUP },
		{ "lcore", required_argument, NULL, OPT_LCORE },
		{ "ctl-lcores", required_argument, NULL, OPT_CTL_LCORES },
		{ "ctl-installs", required_argument, NULL, OPT_CTL_INSTALLS },
		{ "ctl-existing", required_argument, NULL, OPT_CTL_EXISTING },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "huge", no_argument, NULL, OPT_HUGE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "loops", required_argument, NULL, OPT_LOOPS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "ctl-child", no_argument, NULL, OPT_CTL_CHILD },
		{ "crypto-path", required_argument, NULL, OPT_CRYPTO_PATH },
		{ "peer", required_argument, NULL, OPT_PEER },
		{ "peer-rounds", required_argument, NULL, OPT_PEER_ROUNDS },
		{ NULL, 0, NULL, 0 },
	};
	enum opt_result r;
	int opt;

	defaults(o);
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		r = parse_workload_opt(opt, optarg, o);
		if (r == OPT_UNKNOWN)
			r = parse_run_opt(opt, optarg, o);
		if (r == OPT_UNKNOWN) {
			usage(stderr);
			return 2;
		}
		if (r == OPT_BAD) {
			fprintf(stderr, "spgate-bench: --%s: \"%s\" is not valid (see --help)\n",
				opts[opt - OPT_DIRECTION].name, optarg);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "spgate-bench: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	return 0;
}

static uint32_t memory_for(const struct bench_opts *o, uint32_t capacity)
{
	uint64_t mb = MEM_BASE_MB + ((uint64_t)capacity * MEM_PER_SESSION >> 20);

	return o->memory_mb != 0 ? o->memory_mb : (uint32_t)mb;
}

/* DPDK logs go to stderr, so stdout is the report alone (pure JSON with --json). */
static int eal_start(const char *lcores, unsigned int main_lcore, uint32_t memory_mb, const char *prefix,
		     bool huge)
{
	char mem[16], main_arg[32], prefix_arg[80];
	char *argv[] = { "spgate-bench", "-l", (char *)lcores, main_arg, "-m", mem, "--no-pci", prefix_arg,
			 "--log-level=notice", "--no-huge", NULL };

	if (huge)
		argv[RTE_DIM(argv) - 2] = NULL;
	snprintf(mem, sizeof(mem), "%u", memory_mb);
	snprintf(main_arg, sizeof(main_arg), "--main-lcore=%u", main_lcore);
	snprintf(prefix_arg, sizeof(prefix_arg), "--file-prefix=%s-%d", prefix, (int)getpid());
	rte_openlog_stream(stderr);
	if (rte_eal_init(huge ? (int)RTE_DIM(argv) - 2 : (int)RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "spgate-bench: cannot initialise DPDK (EAL): %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

static int ctl_child_main(const struct bench_opts *o)
{
	char lcores[32];
	struct bench_ctl c;
	int rc;

	snprintf(lcores, sizeof(lcores), "%u,%u", o->ctl_cpus[0], o->ctl_cpus[1]);
	if (eal_start(lcores, o->ctl_cpus[0], memory_for(o, o->ctl_existing + 3 * o->ctl_installs),
		      "spgate-bench-ctl", o->huge) != 0)
		return 1;
	rc = bench_ctl_run(o, &c);
	if (rc == 0)
		bench_ctl_print_line(&c);
	rte_eal_cleanup();
	return rc == 0 ? 0 : 1;
}

/* Runs this program again with --ctl-child and reads its result line. */
static int run_ctl_child(const struct bench_opts *o, struct bench_ctl *out)
{
	char a_lcores[32], a_inst[16], a_exist[16], a_seed[24], a_mem[16], line[512];
	char *argv[16] = { "spgate-bench", "--ctl-child", "--ctl-lcores", a_lcores, "--ctl-installs", a_inst,
			   "--ctl-existing", a_exist, "--seed", a_seed };
	int argc = 10;
	posix_spawn_file_actions_t fa;
	bool found = false;
	int fds[2], status;
	pid_t pid;
	FILE *f;

	snprintf(a_lcores, sizeof(a_lcores), "%u,%u", o->ctl_cpus[0], o->ctl_cpus[1]);
	snprintf(a_inst, sizeof(a_inst), "%u", o->ctl_installs);
	snprintf(a_exist, sizeof(a_exist), "%u", o->ctl_existing);
	snprintf(a_seed, sizeof(a_seed), "%" PRIu64, o->seed);
	snprintf(a_mem, sizeof(a_mem), "%u", o->memory_mb);
	if (o->huge)
		argv[argc++] = "--huge";
	if (o->lookaside || o->library_outbound) {
		argv[argc++] = "--crypto-path";
		argv[argc++] = o->lookaside ? "lookaside" : "library";
	}
	if (o->memory_mb != 0) {
		argv[argc++] = "--memory";
		argv[argc++] = a_mem;
	}
	argv[argc] = NULL;
	if (pipe(fds) != 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(fds[0]);
		close(fds[1]);
		return -errno;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		found = found || bench_ctl_parse_line(line, out);
	if (f != NULL)
		fclose(f);
	else
		close(fds[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !found) {
		fprintf(stderr, "spgate-bench: the control-socket run failed\n");
		return -EIO;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_results r;
	char lcore[16];
	int rc, failed = 0;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc;
	if (o.ctl_child)
		return ctl_child_main(&o);
	if (o.peer != NULL)
		return bench_peer_exec(&o);
	memset(&r, 0, sizeof(r));
	/* First, so the two EALs never hold their memory at the same time. */
	if (o.ctl_installs != 0 && run_ctl_child(&o, &r.ctl) != 0)
		failed = 1;

	snprintf(lcore, sizeof(lcore), "%u", o.lcore);
	if (eal_start(lcore, o.lcore, memory_for(&o, o.sessions[o.n_sessions - 1]), "spgate-bench", o.huge) != 0)
		return 1;
	r.tsc_hz = (double)rte_get_tsc_hz();
	for (int ci = 0; ci < 2; ci++) {
		if (!o.ciphers[ci])
			continue;
		if (bench_run_cipher(&o, (enum spg_cipher)ci, &r) != 0)
			failed = 1;
	}
	if (o.json)
		bench_print_json(&o, &r);
	else
		bench_print_table(&o, &r);
	free(r.cases);
	rte_eal_cleanup();
	return failed;
}
