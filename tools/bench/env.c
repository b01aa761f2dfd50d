/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ipsec.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "env.h"
#include "session.h"

#define RING_SIZE 1024
#define PREFIX_LEN 24

static unsigned int instances;

static void port_name(char *buf, size_t len, unsigned int instance, enum spg_dp_port_index idx)
{
	snprintf(buf, len, "spgb%u%c", instance, idx == SPG_DP_PORT_VENDOR ? 'v' : 's');
}

/* The ethdev rte_eth_from_rings makes is named "net_ring_" + name: the devargs that lets
 * spg_port_setup find it without probing. */
static int make_port(struct bench_env *e, enum spg_dp_port_index idx, struct spg_port_config *pc)
{
	struct rte_ring *rx = e->rings[idx == SPG_DP_PORT_VENDOR ? RING_VENDOR_RX : RING_SP_RX];
	struct rte_ring *tx = e->rings[idx == SPG_DP_PORT_VENDOR ? RING_VENDOR_TX : RING_SP_TX];
	char name[RTE_ETH_NAME_MAX_LEN];

	port_name(name, sizeof(name), e->instance, idx);
	if (rte_eth_from_rings(name, &rx, 1, &tx, 1, rte_socket_id()) < 0)
		return -rte_errno;
	e->port_made[idx] = true;
	snprintf(pc->devargs, sizeof(pc->devargs), "net_ring_%s", name);
	return 0;
}

static int make_rings(struct bench_env *e)
{
	static const char *const what[RING_N] = { "vrx", "vtx", "srx", "stx" };
	char name[RTE_RING_NAMESIZE];

	for (int r = 0; r < RING_N; r++) {
		snprintf(name, sizeof(name), "spgb%u_%s", e->instance, what[r]);
		/* One lcore produces and consumes each ring, as a NIC queue has one owner. */
		e->rings[r] = rte_ring_create(name, RING_SIZE, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (e->rings[r] == NULL)
			return -rte_errno;
	}
	return 0;
}

static void configure(struct bench_env *e, uint32_t capacity, unsigned int worker_lcore, bool lookaside,
		      bool library_outbound)
{
	struct spg_dp_config *c = &e->dp.cfg;
	const struct bench_plan *p = &e->plan;

	spg_dp_config_defaults(c);
	c->main_lcore = rte_get_main_lcore();
	c->n_workers = 1;
	c->worker_lcores[0] = worker_lcore;
	c->max_sessions = capacity;
	c->crypto_lookaside = lookaside;
	/* --crypto-path library: both directions through librte_ipsec */
	c->crypto_library_outbound = library_outbound;
	c->crypto_library_inbound = library_outbound;
	c->cipher = p->cipher;
	c->shared_addr = p->shared_addr;
	c->inner_addr = p->inner_addr;
	c->pool_addr = p->pool_addr;
	c->pool_prefix_len = p->pool_prefix_len;
	c->esp_udp_port = p->esp_port;
	c->vendor.addr = p->vendor_addr;
	c->vendor.prefix_len = PREFIX_LEN;
	c->sp.addr = p->sp_addr;
	c->sp.prefix_len = PREFIX_LEN;
	c->sp.next_hop = p->sp_next_hop;
	snprintf(c->control_socket, sizeof(c->control_socket), "/tmp/spgate-bench-%d.sock", (int)getpid());
}

/* What ARP would have taught the dataplane: the SP side's router and every workstation. */
static int learn_neighbors(struct bench_env *e)
{
	struct rte_ether_addr mac = bench_next_hop_mac();
	uint64_t now = rte_get_tsc_cycles();
	int rc;

	rc = spg_neigh_learn(e->dp.neigh, SPG_DP_PORT_SP, e->plan.sp_next_hop, &mac, now);
	for (uint32_t k = 0; rc == 0 && k < BENCH_N_WORKSTATIONS; k++) {
		mac = bench_workstation_mac(k);
		rc = spg_neigh_learn(e->dp.neigh, SPG_DP_PORT_VENDOR, bench_workstation_addr(k), &mac, now);
	}
	return rc;
}

int bench_env_create(struct bench_env *e, enum spg_cipher cipher, uint32_t capacity, unsigned int worker_lcore,
		     uint64_t seed, bool lookaside, bool library_outbound)
{
	int rc;

	memset(e, 0, sizeof(*e));
	e->instance = instances++;
	bench_plan_init(&e->plan, cipher, capacity, seed);
	configure(e, capacity, worker_lcore, lookaside, library_outbound);
	rc = make_rings(e);
	if (rc == 0)
		rc = make_port(e, SPG_DP_PORT_VENDOR, &e->dp.cfg.vendor);
	if (rc == 0)
		rc = make_port(e, SPG_DP_PORT_SP, &e->dp.cfg.sp);
	if (rc != 0) {
		fprintf(stderr, "spgate-bench: ring ports: %s\n", rte_strerror(-rc));
		goto fail;
	}
	rc = spg_dp_init(&e->dp);
	e->dp_ready = true;
	if (rc != 0) {
		fprintf(stderr, "spgate-bench: spg_dp_init: %s\n", strerror(-rc));
		goto fail;
	}
	e->plan.vendor_mac = e->dp.ports[SPG_DP_PORT_VENDOR].mac;
	e->plan.sp_mac = e->dp.ports[SPG_DP_PORT_SP].mac;
	rc = learn_neighbors(e);
	if (rc != 0)
		goto fail;
	e->next_seq = calloc(capacity, sizeof(*e->next_seq));
	e->order = malloc(sizeof(*e->order) * BENCH_ORDER_LEN);
	if (e->next_seq == NULL || e->order == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	return 0;

fail:
	bench_env_free(e);
	return rc;
}

void bench_env_free(struct bench_env *e)
{
	char name[RTE_ETH_NAME_MAX_LEN], full[RTE_ETH_NAME_MAX_LEN + 16];

	if (e->dp_ready)
		spg_dp_fini(&e->dp);
	spg_dp_config_free(&e->dp.cfg);
	for (int idx = 0; idx < SPG_DP_N_PORTS; idx++) {
		if (!e->port_made[idx])
			continue;
		port_name(name, sizeof(name), e->instance, (enum spg_dp_port_index)idx);
		snprintf(full, sizeof(full), "net_ring_%s", name);
		rte_eal_hotplug_remove("vdev", full);
	}
	for (int r = 0; r < RING_N; r++) {
		if (e->rings[r] != NULL) {
			bench_sink(e->rings[r]);
			rte_ring_free(e->rings[r]);
		}
	}
	free(e->next_seq);
	free(e->order);
	memset(e, 0, sizeof(*e));
}

int bench_env_install(struct bench_env *e, uint32_t to, struct bench_install *out)
{
	struct spg_dp_session_params p;
	uint64_t cycles = 0;
	uint32_t from = e->installed;

	for (uint32_t i = from; i < to; i++) {
		uint64_t t0;
		int rc;

		bench_session_params(&e->plan, i, &p);
		t0 = rte_rdtsc_precise();
		rc = spg_session_add(e->dp.sessions, &p);
		cycles += rte_rdtsc_precise() - t0;
		if (rc != 0) {
			fprintf(stderr, "spgate-bench: spg_session_add(session %u): %s\n", i, strerror(-rc));
			return rc;
		}
		e->installed = i + 1;
	}
	out->cipher = e->plan.cipher;
	out->from = from;
	out->to = to;
	out->seconds = (double)cycles / (double)rte_get_tsc_hz();
	out->per_sec = out->seconds > 0 ? (double)(to - from) / out->seconds : 0.0;
	return 0;
}

void bench_env_order(struct bench_env *e, uint32_t n, uint64_t seed)
{
	if (e->order_n == n)
		return;
	bench_order_fill(e->order, BENCH_ORDER_LEN, n, seed);
	e->order_n = n;
}

static bool suffix_is(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && strcmp(name + n - s, suffix) == 0;
}

/* The cryptodev session pool esp.c makes is named spg_esp<N>_ses. */
static void pool_visit(struct rte_mempool *mp, void *arg)
{
	struct bench_mem_snap *s = arg;
	uint32_t obj = mp->header_size + mp->elt_size + mp->trailer_size;

	if (strncmp(mp->name, "spg_esp", 7) != 0)
		return;
	if (suffix_is(mp->name, "_ses")) {
		s->crypto_in_use += rte_mempool_in_use_count(mp);
		s->crypto_obj = obj;
		s->crypto_elt = mp->elt_size;
	}
}

static uint64_t heap_allocated(void)
{
	struct rte_malloc_socket_stats st;
	uint64_t total = 0;

	for (unsigned int i = 0; i < rte_socket_count(); i++)
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			total += st.heap_allocsz_bytes;
	return total;
}

void bench_mem_snap(const struct spg_esp *esp, struct bench_mem_snap *s)
{
	uint32_t in_use;

	memset(s, 0, sizeof(*s));
	s->heap = heap_allocated();
	rte_mempool_walk(pool_visit, s);
	spg_esp_sa_usage(esp, &s->sa_obj, &in_use);
	s->sa_in_use = in_use;
}

double bench_table_bytes_per_slot(uint32_t capacity, unsigned int n_workers)
{
	struct spg_session_table *t;
	struct rte_rcu_qsbr *qs;
	uint64_t before, after;

	qs = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(n_workers), RTE_CACHE_LINE_SIZE);
	if (qs == NULL || rte_rcu_qsbr_init(qs, n_workers) != 0) {
		rte_free(qs);
		return -1.0;
	}
	before = heap_allocated();
	t = spg_session_table_create(capacity, (int)rte_socket_id(), qs, NULL);
	if (t != NULL && spg_session_table_alloc_counters(t, n_workers) != 0) {
		spg_session_table_free(t);
		t = NULL;
	}
	after = heap_allocated();
	spg_session_table_free(t);
	rte_free(qs);
	return t == NULL ? -1.0 : (double)(after - before) / capacity;
}

/* esp.c's lib_window_size(): the window librte_ipsec is given so its bitmap words never
 * alias (see the comment there). */
static uint32_t lib_window(uint32_t w)
{
	for (;; w++) {
		uint32_t words = RTE_MAX(rte_align32pow2(RTE_ALIGN_MUL_CEIL(w, 64) / 64), 2u);

		if (words >= (w - 1) / 64 + 2)
			return w;
	}
}

uint32_t bench_ipsec_sa_size(uint8_t key_len, uint32_t replay_window)
{
	static const uint8_t key[32];
	struct rte_crypto_sym_xform xf = {
		.type = RTE_CRYPTO_SYM_XFORM_AEAD,
		.aead = {
			.algo = RTE_CRYPTO_AEAD_AES_GCM,
			.key = { .data = key, .length = key_len },
			.iv = { .length = 12 },
			.digest_length = 16,
			.aad_length = 12,
		},
	};
	struct rte_ipv4_hdr outer = { .version_ihl = RTE_IPV4_VHL_DEF, .next_proto_id = IPPROTO_UDP };
	struct rte_ipsec_sa_prm prm;
	int in, out;

	memset(&prm, 0, sizeof(prm));
	prm.crypto_xform = &xf;
	prm.ipsec_xform.spi = 256;
	prm.ipsec_xform.options.esn = 1;
	prm.ipsec_xform.proto = RTE_SECURITY_IPSEC_SA_PROTO_ESP;
	prm.ipsec_xform.mode = RTE_SECURITY_IPSEC_SA_MODE_TUNNEL;
	prm.ipsec_xform.tunnel.type = RTE_SECURITY_IPSEC_TUNNEL_IPV4;
	prm.tun.next_proto = IPPROTO_IPIP;
	/* as esp_setup.c: both directions SQN_ATOM (inbound: two copies of the window) */
	prm.flags = RTE_IPSEC_SAFLAG_SQN_ATOM;
	prm.ipsec_xform.direction = RTE_SECURITY_IPSEC_SA_DIR_INGRESS;
	prm.ipsec_xform.replay_win_sz = lib_window(replay_window);
	xf.aead.op = RTE_CRYPTO_AEAD_OP_DECRYPT;
	in = rte_ipsec_sa_size(&prm);

	prm.ipsec_xform.direction = RTE_SECURITY_IPSEC_SA_DIR_EGRESS;
	prm.ipsec_xform.replay_win_sz = 0;
	prm.ipsec_xform.options.udp_encap = 1;
	prm.ipsec_xform.udp.sport = 4500;
	prm.tun.hdr = &outer;
	prm.tun.hdr_len = sizeof(outer);
	xf.aead.op = RTE_CRYPTO_AEAD_OP_ENCRYPT;
	out = rte_ipsec_sa_size(&prm);
	if (in < 0 || out < 0)
		return 0;
	return RTE_ALIGN_CEIL((uint32_t)RTE_MAX(in, out), RTE_CACHE_LINE_SIZE);
}
