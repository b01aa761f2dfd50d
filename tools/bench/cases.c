/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The matrix for one cipher: one dataplane sized for the largest session count, sessions
 * installed in steps (1, 1024, ...), and at each step every direction and size measured
 * three ways: the pipeline, the bare rx -> tx loop, and the crypto device alone on the
 * case's ESP payload length.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cryptodev.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "baseline.h"
#include "env.h"
#include "record.h"
#include "worker.h"

struct loop_out {
	uint64_t cycles;
	uint64_t offered;
	uint64_t forwarded;
	uint64_t drops[SPG_DROP_MAX];
};

enum loop_kind { LOOP_BARE, LOOP_PIPELINE, LOOP_CRYPTO, LOOP_N };

/*
 * Other programs share these CPUs, so the three loops of a case run interleaved, in slices,
 * and a slice counts only when this thread ran for nearly all of its wall time: then load
 * elsewhere cannot favour one loop over another, and preemption is not taken for work.
 */
#define SLICE_SECONDS 0.002
#define CLEAN_SHARE 0.97
/* Stop waiting for clean slices after this many times the wanted wall time. */
#define MAX_WALL_FACTOR 4

struct case_ctx {
	struct bench_env *e;
	struct bench_crypto *cr;
	struct bench_case *c;
	struct bench_gen g;
	struct loop_out pipe; /* every measured pipeline slice: offered, forwarded, drops */
};

/*
 * One lcore is NIC, dataplane and wire: per iteration the generator puts a burst on the RX
 * ring, the port's rx_burst takes it, the pipeline (or, bare, a tx_burst to the other port)
 * handles it, and the sink empties the TX ring. Sealing inbound blocks is not timed.
 */
static int run_loop(struct bench_env *e, struct bench_gen *g, bool bare, uint64_t limit, struct loop_out *out)
{
	struct spg_dp *dp = &e->dp;
	struct spg_worker *w = dp->workers[0];
	bool outbound = g->dir == BENCH_OUTBOUND;
	uint16_t rx = dp->ports[outbound ? SPG_DP_PORT_VENDOR : SPG_DP_PORT_SP].port_id;
	uint16_t tx = dp->ports[outbound ? SPG_DP_PORT_SP : SPG_DP_PORT_VENDOR].port_id;
	struct rte_ring *sink = e->rings[outbound ? RING_SP_TX : RING_VENDOR_TX];
	uint64_t busy = 0, start, now;
	uint64_t drops_before[SPG_DROP_MAX];
	struct rte_mbuf *pkts[SPG_BURST];
	int rc = 0;

	memset(out, 0, sizeof(*out));
	memcpy(drops_before, w->stats.drops, sizeof(drops_before));
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	start = now = rte_rdtsc();
	for (;;) {
		uint16_t n;

		if (unlikely(!bench_gen_ready(g))) {
			busy += rte_rdtsc() - start;
			/* The bare loop never decrypts: its frames may go round again. */
			if (bare)
				bench_gen_rewind(g);
			else
				rc = bench_gen_refill(g);
			start = now = rte_rdtsc();
			if (rc != 0)
				break;
		}
		now = rte_rdtsc();
		if (busy + (now - start) >= limit)
			break;
		out->offered += bench_gen_burst(g);
		n = rte_eth_rx_burst(rx, w->id, pkts, SPG_BURST);
		if (bare) {
			uint16_t sent = rte_eth_tx_burst(tx, w->id, pkts, n);

			if (sent < n) {
				out->drops[SPG_DROP_TX_FULL] += n - sent;
				rte_pktmbuf_free_bulk(&pkts[sent], n - sent);
			}
		} else {
			/* What spg_worker_main does per iteration. */
			w->now = now;
			if (outbound)
				spg_outbound_burst(w, pkts, n);
			else
				spg_inbound_burst(w, pkts, n);
			spg_worker_flush(w);
			if (e->rec_discard)
				bench_rec_discard(w);
			rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
		}
		out->forwarded += bench_sink(sink);
	}
	busy += now - start;
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	if (!bare)
		for (int d = 0; d < SPG_DROP_MAX; d++)
			out->drops[d] = w->stats.drops[d] - drops_before[d];
	out->cycles = busy;
	return rc;
}

static int run_slice(struct case_ctx *x, enum loop_kind k, uint64_t cycles, bool measured, struct bench_rate *r)
{
	struct loop_out lo;
	int rc;

	memset(r, 0, sizeof(*r));
	if (k == LOOP_CRYPTO)
		return bench_crypto_run(x->cr, x->c->cipher, x->c->dir == BENCH_INBOUND, x->c->crypto_len, cycles, r);
	/* The bare loop reads the sealed block with a cursor of its own: the pipeline must see
	 * every frame exactly once. */
	if (k == LOOP_BARE)
		bench_gen_swap_cursor(&x->g);
	rc = run_loop(x->e, &x->g, k == LOOP_BARE, cycles, &lo);
	if (k == LOOP_BARE)
		bench_gen_swap_cursor(&x->g);
	r->packets = lo.offered;
	r->cycles = lo.cycles;
	if (measured && k == LOOP_PIPELINE) {
		x->pipe.offered += lo.offered;
		x->pipe.forwarded += lo.forwarded;
		for (int d = 0; d < SPG_DROP_MAX; d++)
			x->pipe.drops[d] += lo.drops[d];
	}
	return rc;
}

static double thread_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct loop_acc {
	struct bench_rate clean; /* slices the thread ran through */
	struct bench_rate all;
	unsigned int n_clean;
	unsigned int n_preempted;
};

static void acc_add(struct bench_rate *to, const struct bench_rate *r)
{
	to->packets += r->packets;
	to->cycles += r->cycles;
}

static int measure_case(struct case_ctx *x, const struct bench_opts *o)
{
	const double hz = (double)rte_get_tsc_hz();
	const uint64_t slice = (uint64_t)(SLICE_SECONDS * hz), want = (uint64_t)(o->duration * hz);
	const bool on[LOOP_N] = { !o->skip_bare, !o->skip_pipeline, !o->skip_crypto };
	struct bench_rate *out[LOOP_N] = { &x->c->bare, &x->c->pipe, &x->c->crypto };
	struct loop_acc acc[LOOP_N];
	struct bench_rate r;
	uint64_t wall_start;
	bool more = true;
	int rc = 0;

	memset(acc, 0, sizeof(acc));
	for (int k = 0; k < LOOP_N && rc == 0; k++)
		if (on[k])
			rc = run_slice(x, (enum loop_kind)k, (uint64_t)(o->warmup * hz), false, &r);
	wall_start = rte_rdtsc();
	while (more && rc == 0 && rte_rdtsc() - wall_start < MAX_WALL_FACTOR * LOOP_N * want) {
		more = false;
		for (int k = 0; k < LOOP_N && rc == 0; k++) {
			double cpu0, cpu1;
			uint64_t t0, t1;

			if (!on[k] || acc[k].clean.cycles >= want)
				continue;
			more = true;
			cpu0 = thread_cpu_seconds();
			t0 = rte_rdtsc();
			rc = run_slice(x, (enum loop_kind)k, slice, true, &r);
			t1 = rte_rdtsc();
			cpu1 = thread_cpu_seconds();
			acc_add(&acc[k].all, &r);
			if (cpu1 - cpu0 >= CLEAN_SHARE * (double)(t1 - t0) / hz) {
				acc_add(&acc[k].clean, &r);
				acc[k].n_clean++;
			} else {
				acc[k].n_preempted++;
			}
		}
	}
	for (int k = 0; k < LOOP_N; k++) {
		/* Too few clean slices on a crowded machine: all of them, flagged by the count. */
		*out[k] = acc[k].clean.cycles >= want / 4 ? acc[k].clean : acc[k].all;
		bench_rate_finish(out[k]);
		x->c->slices += acc[k].n_clean + acc[k].n_preempted;
		x->c->preempted += acc[k].n_preempted;
	}
	return rc;
}

int bench_run_case(struct bench_env *e, struct bench_crypto *cr, const struct bench_opts *o, struct bench_case *c)
{
	enum bench_ring rx = c->dir == BENCH_OUTBOUND ? RING_VENDOR_RX : RING_SP_RX;
	struct case_ctx x = { .e = e, .cr = cr, .c = c };
	int rc;

	bench_env_order(e, c->sessions, o->seed);
	rc = bench_gen_init(&x.g, &e->plan, c->dir, c->size, c->sessions, e->order, e->next_seq, e->dp.mbuf_pool,
			    e->rings[rx]);
	if (rc != 0)
		return rc;
	/* Inbound frames are sealed ahead; each goes to the pipeline once, in order. */
	rc = bench_gen_refill(&x.g);
	if (rc == 0 && !o->skip_crypto)
		rc = bench_crypto_prepare(cr, c->cipher, c->dir == BENCH_INBOUND, c->crypto_len);
	if (rc == 0)
		rc = measure_case(&x, o);
	bench_gen_free(&x.g);
	if (rc != 0)
		return rc;
	c->offered = x.pipe.offered;
	c->forwarded = x.pipe.forwarded;
	memcpy(c->drops, x.pipe.drops, sizeof(c->drops));
	c->vs_bare = c->bare.mpps > 0 ? c->pipe.mpps / c->bare.mpps : 0.0;
	c->vs_crypto = c->crypto.mpps > 0 ? c->pipe.mpps / c->crypto.mpps : 0.0;
	return 0;
}

static struct bench_case *new_case(struct bench_results *r)
{
	if (r->n_cases == r->cap_cases) {
		unsigned int cap = r->cap_cases ? 2 * r->cap_cases : 64;
		struct bench_case *p = realloc(r->cases, cap * sizeof(*p));

		if (p == NULL)
			return NULL;
		r->cases = p;
		r->cap_cases = cap;
	}
	memset(&r->cases[r->n_cases], 0, sizeof(r->cases[0]));
	return &r->cases[r->n_cases++];
}

static void memory_fill(const struct bench_env *e, const struct bench_mem_snap *s0, const struct bench_mem_snap *s1,
			double table_per_slot, struct bench_memory *m)
{
	int dev = rte_cryptodev_get_dev_id(e->dp.cfg.crypto_device);
	double n = e->installed;
	double sas = (double)(s1->sa_in_use - s0->sa_in_use) / n; /* per session: 2 */

	m->cipher = e->plan.cipher;
	m->capacity = spg_session_capacity(e->dp.sessions);
	m->installed = e->installed;
	m->heap_delta = ((double)s1->heap - (double)s0->heap) / n;
	m->crypto_delta = (double)(s1->crypto_in_use - s0->crypto_in_use) * s1->crypto_obj / n;
	m->sa_delta = sas * s1->sa_obj;
	m->crypto_obj = s1->crypto_obj;
	m->crypto_priv = dev >= 0 ? rte_cryptodev_sym_get_private_session_size((uint8_t)dev) : 0;
	m->sa_obj = s1->sa_obj;
	m->sa_lib = bench_ipsec_sa_size(e->plan.key_len, e->dp.cfg.replay_window);
	m->table_per_slot = table_per_slot;
	m->slot_size = sizeof(struct spg_session);
	m->counters_size = sizeof(struct spg_sess_counters);
	m->native_keys = spg_esp_native_key_bytes(e->dp.esp);
	/* 64 bytes, padded to 4 with the pad length and next header: 68 bytes of payload */
	m->key_lines_64 = (uint32_t)__builtin_popcount(spg_esp_key_lines(e->dp.esp, true, 68));
	/* a native SA's key schedule replaces its cryptodev session: crypto library memory, one
	 * per native direction of a session */
	m->native_sas = (unsigned int)spg_esp_native_outbound(e->dp.esp) + (unsigned int)spg_esp_native_inbound(e->dp.esp);
	m->crypto_lib = m->crypto_delta + (double)m->native_sas * m->native_keys;
	/* only the SAs on librte_ipsec hold an rte_ipsec_sa (with both directions native the SA
	 * slot has no room for one; with one, its unused room counts as spgate's) */
	m->ipsec_lib = RTE_MAX(sas - (double)m->native_sas, 0.0) * m->sa_lib;
	m->spgate_own = table_per_slot + (m->sa_delta - m->ipsec_lib) + m->heap_delta;
}

static int run_step(struct bench_env *e, struct bench_crypto *cr, const struct bench_opts *o, uint32_t n,
		    struct bench_results *r)
{
	for (int d = 0; d < BENCH_N_DIRS; d++) {
		if (!o->dirs[d])
			continue;
		for (unsigned int s = 0; s < o->n_sizes; s++) {
			struct bench_case *c = new_case(r);
			int rc;

			if (c == NULL)
				return -ENOMEM;
			c->dir = (enum bench_dir)d;
			c->size = o->sizes[s];
			c->sessions = n;
			c->cipher = e->plan.cipher;
			c->crypto_len = bench_esp_crypto_len(c->size);
			rc = bench_run_case(e, cr, o, c);
			if (rc != 0) {
				r->n_cases--; /* not measured: not reported */
				fprintf(stderr, "spgate-bench: %s %u bytes, %u sessions: %s\n", bench_dir_name(c->dir),
					c->size, n, strerror(-rc));
				return rc;
			}
		}
	}
	return 0;
}

int bench_run_cipher(const struct bench_opts *o, enum spg_cipher cipher, struct bench_results *r)
{
	/* rte_hash sizes its buckets for max_sessions exactly when that is a power of two, and
	 * cuckoo inserts fail short of 100 % load (session 1013 of 1024): leave the slack a
	 * non-power-of-two configuration would have. */
	uint32_t capacity = o->sessions[o->n_sessions - 1] + BENCH_CAPACITY_SLACK;
	struct bench_mem_snap s0, s1;
	struct bench_crypto cr;
	struct bench_env e;
	double table;
	int rc;

	/* Alone first, so the heap shows what the table itself takes. */
	table = bench_table_bytes_per_slot(capacity, 1);
	rc = bench_env_create(&e, cipher, capacity, rte_lcore_id(), o->seed, o->lookaside, o->library_outbound);
	if (rc != 0)
		return rc;
	/* The limit takes the pipeline's path: CPU crypto against CPU crypto. */
	r->cpu_crypto = spg_esp_cpu_crypto(e.dp.esp);
	r->native_out = spg_esp_native_outbound(e.dp.esp);
	r->native_in = spg_esp_native_inbound(e.dp.esp);
	rc = bench_crypto_create(&cr, r->cpu_crypto);
	if (rc != 0) {
		fprintf(stderr, "spgate-bench: crypto limit device: %s\n", strerror(-rc));
		bench_env_free(&e);
		return rc;
	}
	rte_rcu_qsbr_thread_register(e.dp.qsbr, e.dp.workers[0]->id);
	bench_mem_snap(e.dp.esp, &s0);
	for (unsigned int k = 0; k < o->n_sessions && rc == 0; k++) {
		struct bench_install *in = &r->inst[r->n_inst];

		rc = bench_env_install(&e, o->sessions[k], in);
		if (rc != 0)
			break;
		r->n_inst++;
		if (k == o->n_sessions - 1) {
			bench_mem_snap(e.dp.esp, &s1);
			memory_fill(&e, &s0, &s1, table, &r->mem[r->n_mem++]);
		}
		rc = run_step(&e, &cr, o, o->sessions[k], r);
		if (rc == 0 && o->sessions[k] <= BENCH_REC_MAX_SESSIONS && !o->skip_pipeline)
			rc = bench_record_step(&e, &cr, o, o->sessions[k], r);
	}
	rte_rcu_qsbr_thread_unregister(e.dp.qsbr, e.dp.workers[0]->id);
	bench_crypto_free(&cr);
	bench_env_free(&e);
	return rc;
}
