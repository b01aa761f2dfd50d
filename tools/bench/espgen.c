/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-espgen: an SP site's ESP traffic sealed as it is sent, for spgate-bench's inbound
 * comparison with ipsec-secgw (peer_secgw.py). net_pcap's infinite_rx replays the same frames,
 * so every pass repeats their sequence numbers and an anti-replay window rightly drops them;
 * this process seals every packet afresh (per SA increasing 64-bit sequence numbers, ESN)
 * with the same SAs and keys the gateway under test holds, AES-128-GCM through
 * intel-ipsec-mb's direct API (espgen_frame.h), and sends them on its one DPDK port (the
 * driver gives it net_memif as server; the gateway's ESP port is the client).
 *
 * It runs on its main lcore only. When the gateway's ring is full it retries the rest of the
 * burst (never dropping a sealed packet) and counts the cycles spent so: its own rate and how
 * much of its time it waited (back-pressure: the gateway's rx found a full ring) are in the
 * telemetry command /espgen/stats and in the JSON line printed at exit (SIGINT/SIGTERM).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_telemetry.h>

#include "espgen_frame.h"
#include "espgen_sa.h"

#define BURST 32
#define MAX_SAS (1u << 20)
#define ORDER_LEN (1u << 16) /* the pre-built random walk over the SAs, repeated */
#define RING 1024
#define N_MBUFS 8191

struct opts {
	const char *sa_file;
	struct espgen_frame_params fp;
	uint64_t seed;
};

/* Written by the sending loop once per burst, read by the telemetry thread. */
struct stats {
	uint64_t sealed, sent, tx_calls, tx_full, no_mbuf;
	uint64_t seal_cycles, tx_cycles, wait_cycles;
};

static struct stats shared;
static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: spgate-espgen EAL-OPTIONS -- --sa-file FILE --dst-mac MAC --gateway ADDR [OPTIONS]\n"
		"\n"
		"Seals ESP packets (AES-128-GCM, ESN, fresh sequence numbers) for the SAs of FILE as it sends\n"
		"them on its one DPDK port (e.g. --vdev net_memif0,role=server,...), spread at random over\n"
		"the SAs; until SIGINT or SIGTERM, then prints its counters as one JSON line. spgate-bench\n"
		"--peer ipsec-secgw --peer-direction inbound runs it.\n"
		"\n"
		"  --sa-file FILE     one SA a line: SPI KEY(40 hex: key, salt) PEER-ADDR INNER-DPORT\n"
		"  --dst-mac MAC      the gateway port's MAC\n"
		"  --gateway ADDR     outer destination (the gateway's ESP address)\n"
		"  --inner-src ADDR   inner source (default 192.0.2.10)\n"
		"  --inner-dst ADDR   inner destination (default 192.0.2.1)\n"
		"  --inner-sport N    inner TCP source port (default 443)\n"
		"  --udp-port N       ESP in UDP from and to port N (default 4500); 0: plain ESP\n"
		"  --size N           inner IPv4 packet size, %u..%u (default 64)\n"
		"  --seed N           the walk over the SAs (default 1)\n"
		"  --help\n",
		ESPGEN_INNER_MIN, ESPGEN_INNER_MAX);
}

static int parse_addr(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*out = ntohl(a.s_addr);
	return 0;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 0);
	return (errno != 0 || *end != '\0' || *s == '\0' || *s == '-' || *out > max) ? -1 : 0;
}

static int parse_opt(struct opts *o, int c, const char *arg)
{
	unsigned long v;

	switch (c) {
	case 'f':
		o->sa_file = arg;
		return 0;
	case 'm':
		return rte_ether_unformat_addr(arg, (struct rte_ether_addr *)o->fp.dst_mac) == 0 ? 0 : -1;
	case 'g':
		return parse_addr(arg, &o->fp.gateway);
	case 's':
		return parse_addr(arg, &o->fp.inner_src);
	case 'd':
		return parse_addr(arg, &o->fp.inner_dst);
	case 'p':
		if (parse_num(arg, 65535, &v) != 0 || v == 0)
			return -1;
		o->fp.inner_sport = (uint16_t)v;
		return 0;
	case 'u':
		if (parse_num(arg, 65535, &v) != 0)
			return -1;
		o->fp.udp_port = (uint16_t)v;
		return 0;
	case 'z':
		if (parse_num(arg, ESPGEN_INNER_MAX, &v) != 0 || v < ESPGEN_INNER_MIN)
			return -1;
		o->fp.inner_len = (uint16_t)v;
		return 0;
	case 'r':
		if (parse_num(arg, ULONG_MAX, &v) != 0)
			return -1;
		o->seed = v;
		return 0;
	}
	return -1;
}

/* 0, 1 after --help, or -1 (the error printed). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "sa-file", required_argument, NULL, 'f' },    { "dst-mac", required_argument, NULL, 'm' },
		{ "gateway", required_argument, NULL, 'g' },    { "inner-src", required_argument, NULL, 's' },
		{ "inner-dst", required_argument, NULL, 'd' },  { "inner-sport", required_argument, NULL, 'p' },
		{ "udp-port", required_argument, NULL, 'u' },   { "size", required_argument, NULL, 'z' },
		{ "seed", required_argument, NULL, 'r' },       { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, idx = 0;

	*o = (struct opts){ .fp = { .src_mac = { 0x02, 0, 0, 0, 0x03, 0xfe }, .inner_src = 0xc000020a,
				    .inner_dst = 0xc0000201, .inner_sport = 443, .udp_port = 4500, .inner_len = 64 },
			    .seed = 1 };
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longs, &idx)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || parse_opt(o, c, optarg) != 0) {
			if (c != '?')
				fprintf(stderr, "spgate-espgen: --%s: \"%s\" is not valid\n", longs[idx].name, optarg);
			usage(stderr);
			return -1;
		}
	}
	if (o->sa_file == NULL || o->fp.gateway == 0 || (o->fp.dst_mac[0] | o->fp.dst_mac[5]) == 0) {
		fprintf(stderr, "spgate-espgen: --sa-file, --dst-mac and --gateway are required\n");
		return -1;
	}
	return 0;
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sealed", __atomic_load_n(&shared.sealed, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "sent", __atomic_load_n(&shared.sent, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "tx_calls", __atomic_load_n(&shared.tx_calls, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "tx_full", __atomic_load_n(&shared.tx_full, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "no_mbuf", __atomic_load_n(&shared.no_mbuf, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "seal_cycles", __atomic_load_n(&shared.seal_cycles, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "tx_cycles", __atomic_load_n(&shared.tx_cycles, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "wait_cycles", __atomic_load_n(&shared.wait_cycles, __ATOMIC_RELAXED));
	rte_tel_data_add_dict_u64(d, "hz", rte_get_tsc_hz());
	return 0;
}

static void publish(const struct stats *s)
{
	__atomic_store_n(&shared.sealed, s->sealed, __ATOMIC_RELAXED);
	__atomic_store_n(&shared.sent, s->sent, __ATOMIC_RELAXED);
	__atomic_store_n(&shared.tx_calls, s->tx_calls, __ATOMIC_RELAXED);
	__atomic_store_n(&shared.tx_full, s->tx_full, __ATOMIC_RELAXED);
	__atomic_store_n(&shared.no_mbuf, s->no_mbuf, __ATOMIC_RELAXED);
	__atomic_store_n(&shared.seal_cycles, s->seal_cycles, __ATOMIC_RELAXED);
	__atomic_store_n(&shared.tx_cycles, s->tx_cycles, __ATOMIC_RELAXED);
	__atomic_store_n(&shared.wait_cycles, s->wait_cycles, __ATOMIC_RELAXED);
}

static int port_start(uint16_t port, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nb_rxd = RING, nb_txd = RING;
	int rc;

	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, nb_rxd, rte_eth_dev_socket_id(port), NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, nb_txd, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		fprintf(stderr, "spgate-espgen: port %u: cannot start: %s\n", port, strerror(-rc));
	return rc;
}

/* The link comes up when the gateway connects; false on a signal first. */
static bool wait_link(uint16_t port)
{
	struct rte_eth_link link;

	while (!quit) {
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			return true;
		rte_delay_ms(10);
	}
	return false;
}

/* Seals one burst into freshly allocated mbufs; false when the pool is empty. */
static bool seal_burst(IMB_MGR *mgr, struct rte_mempool *pool, struct espgen_flow *flows, const uint32_t *order,
		       uint32_t *pos, struct rte_mbuf **pk)
{
	struct espgen_gcm_params gp[BURST];
	struct espgen_flow *f[BURST];

	if (rte_pktmbuf_alloc_bulk(pool, pk, BURST) != 0)
		return false;
	/* the whole burst framed first, then encrypted (espgen_encrypt says why) */
	for (unsigned int i = 0; i < BURST; i++) {
		uint16_t len;

		f[i] = &flows[order[(*pos)++ & (ORDER_LEN - 1)]];
		len = espgen_frame_next(f[i], rte_pktmbuf_mtod(pk[i], uint8_t *), &gp[i]);
		pk[i]->data_len = len;
		pk[i]->pkt_len = len;
	}
	for (unsigned int i = 0; i < BURST; i++)
		espgen_encrypt(mgr, f[i], rte_pktmbuf_mtod(pk[i], uint8_t *), &gp[i]);
	return true;
}

/* Sends until told to stop: a sealed burst is retried until the gateway took all of it. */
static void send_loop(uint16_t port, IMB_MGR *mgr, struct rte_mempool *pool, struct espgen_flow *flows,
		      const uint32_t *order, struct stats *st)
{
	struct rte_mbuf *pk[BURST], *rx[BURST];
	uint16_t have = 0, off = 0;
	uint32_t pos = 0;
	uint64_t t0 = rte_rdtsc(), t1;

	while (!quit) {
		if (off == have) {
			if (!seal_burst(mgr, pool, flows, order, &pos, pk)) {
				st->no_mbuf++;
				continue;
			}
			have = BURST;
			off = 0;
			st->sealed += BURST;
			t1 = rte_rdtsc();
			st->seal_cycles += t1 - t0;
			t0 = t1;
		}
		uint16_t n = rte_eth_tx_burst(port, 0, pk + off, have - off);

		t1 = rte_rdtsc();
		st->tx_calls++;
		if (n == 0) {
			st->tx_full++;
			st->wait_cycles += t1 - t0;
		} else {
			st->tx_cycles += t1 - t0;
			off += n;
			st->sent += n;
		}
		t0 = t1;
		if ((st->tx_calls & 255) == 0) {
			/* nothing is expected back on the ESP port; keep its ring from filling */
			uint16_t nr = rte_eth_rx_burst(port, 0, rx, BURST);

			rte_pktmbuf_free_bulk(rx, nr);
			publish(st);
		}
	}
	if (off < have)
		rte_pktmbuf_free_bulk(pk + off, have - off);
	publish(st);
}

/* A uniformly random walk over n SAs (xorshift64*: reproducible from the seed). */
static void order_fill(uint32_t *order, uint32_t n, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;

	for (uint32_t i = 0; i < ORDER_LEN; i++) {
		x ^= x >> 12;
		x ^= x << 25;
		x ^= x >> 27;
		order[i] = (uint32_t)(((x * 0x2545f4914f6cdd1dull) >> 32) % n);
	}
}

static void print_summary(const struct stats *s, uint32_t n_sas)
{
	double hz = (double)rte_get_tsc_hz(), busy = (double)(s->seal_cycles + s->tx_cycles);
	double all = busy + (double)s->wait_cycles;

	printf("{\"sas\": %" PRIu32 ", \"sealed\": %" PRIu64 ", \"sent\": %" PRIu64 ", \"tx_calls\": %" PRIu64
	       ", \"tx_full\": %" PRIu64 ", \"no_mbuf\": %" PRIu64 ", \"own_mpps\": %.3f, \"wait_share\": %.3f}\n",
	       n_sas, s->sealed, s->sent, s->tx_calls, s->tx_full, s->no_mbuf,
	       busy > 0 ? (double)s->sent / (busy / hz) / 1e6 : 0.0, all > 0 ? (double)s->wait_cycles / all : 0.0);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct espgen_sa *sas = NULL;
	struct espgen_flow *flows = NULL;
	uint32_t *order = NULL, n_sas = 0;
	struct rte_mempool *pool;
	struct stats st = { 0 };
	struct opts o;
	IMB_MGR *mgr = NULL;
	int rc = rte_eal_init(argc, argv);

	if (rc < 0) {
		fprintf(stderr, "spgate-espgen: EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	rc = parse_args(argc - rc, argv + rc, &o);
	if (rc != 0)
		return rc > 0 ? 0 : 2;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	sas = calloc(MAX_SAS, sizeof(*sas));
	order = calloc(ORDER_LEN, sizeof(*order));
	if (sas == NULL || order == NULL || espgen_sa_load(o.sa_file, sas, MAX_SAS, &n_sas) != 0)
		return 1;
	flows = aligned_alloc(64, sizeof(*flows) * n_sas);
	mgr = alloc_mb_mgr(0);
	if (flows == NULL || mgr == NULL) {
		fprintf(stderr, "spgate-espgen: out of memory for %u SAs\n", n_sas);
		return 1;
	}
	init_mb_mgr_auto(mgr, NULL);
	for (uint32_t i = 0; i < n_sas; i++)
		if (espgen_flow_init(mgr, &flows[i], &o.fp, &sas[i]) != 0) {
			fprintf(stderr, "spgate-espgen: --size %u does not fit a frame\n", o.fp.inner_len);
			return 2;
		}
	order_fill(order, n_sas, o.seed);
	if (rte_eth_dev_count_avail() != 1) {
		fprintf(stderr, "spgate-espgen: expected one port (--vdev), found %u\n", rte_eth_dev_count_avail());
		return 2;
	}
	pool = rte_pktmbuf_pool_create("espgen", N_MBUFS, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (pool == NULL || port_start(0, pool) != 0)
		return 1;
	rte_telemetry_register_cmd("/espgen/stats", tel_stats, "spgate-espgen's counters. Takes no parameters");
	if (wait_link(0))
		send_loop(0, mgr, pool, flows, order, &st);
	print_summary(&st, n_sas);
	rte_eth_dev_stop(0);
	rte_eth_dev_close(0);
	free_mb_mgr(mgr);
	free(flows);
	free(sas);
	free(order);
	rte_eal_cleanup();
	return 0;
}
