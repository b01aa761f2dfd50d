/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spg_esp on bursts: packets of several SAs mixed in one burst each come back with their own
 * context and SA, in their SA's order; two workers on one SA never reuse a sequence number.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "esp_test_peer.h"

/* A burst A B C A C B A: back grouped by SA, order kept within each, ctx[] alongside mb[]. */
static const int mix[] = {0, 1, 2, 0, 2, 1, 0};
#define N_MIX ((int)RTE_DIM(mix))

/* Each SA appears as one run; within it, burst indexes ascend. */
static void check_runs(const int *sa_of_pos, const int *idx_of_pos, int n)
{
	int changes = 0, i;

	for (i = 1; i < n; i++) {
		if (sa_of_pos[i] != sa_of_pos[i - 1])
			changes++;
		else
			CU_ASSERT(idx_of_pos[i] > idx_of_pos[i - 1]);
	}
	CU_ASSERT_EQUAL(changes, 2);
}

/* librte_ipsec's path regroups by SA; esp_native.c keeps the burst's order. Either way each
 * packet comes back with its own ctx, encrypted with its own SA, in its SA's order. */
static void mixed_outbound_burst_comes_back_grouped_by_sa(void)
{
	struct spg_esp *esp = esp_new(16, 1, 8);
	struct peer p[3];
	struct spg_sa *sas[3], *sa[N_MIX];
	struct rte_mbuf *m[N_MIX];
	void *ctx[N_MIX];
	int idx[N_MIX], sa_of_pos[N_MIX], idx_of_pos[N_MIX], seen[3] = {0, 0, 0}, i;
	uint8_t inner[256], got[256], why[N_MIX];

	for (i = 0; i < 3; i++) {
		peer_init(&p[i], 0x60000000 + i, 16, (uint8_t)(10 + i));
		sas[i] = sa_new(esp, &p[i], true);
	}
	for (i = 0; i < N_MIX; i++) {
		idx[i] = i;
		sa[i] = sas[mix[i]];
		m[i] = mbuf_of(inner, inner_packet(inner, (uint16_t)(64 + i), (uint32_t)i));
		ctx[i] = &idx[i];
	}
	CU_ASSERT_EQUAL_FATAL(spg_esp_outbound_burst(esp, 0, m, sa, ctx, N_MIX, why), N_MIX);
	for (i = 0; i < N_MIX; i++) {
		int orig = *(int *)ctx[i], s = mix[orig];
		const uint8_t *pkt = rte_pktmbuf_mtod(m[i], const uint8_t *);

		sa_of_pos[i] = s;
		idx_of_pos[i] = orig;
		CU_ASSERT_EQUAL(why[i], SPG_OK);
		spg_esp_outer_finish(m[i], rte_cpu_to_be_32(E), NATT_PORT);
		/* the mbuf at position i is the packet ctx[i] names, encrypted with its SA, and
		 * sequence numbers count per SA in burst order */
		CU_ASSERT_EQUAL(peer_decrypt(pkt, (uint16_t)m[i]->pkt_len, &p[s], ++seen[s], got),
				64 + orig);
		CU_ASSERT_EQUAL(get32(got + 28), (uint32_t)orig);
		rte_pktmbuf_free(m[i]);
	}
	if (spg_esp_native_outbound(esp)) {
		/* esp_native.c keeps the burst's order outright, which keeps each SA's */
		for (i = 0; i < N_MIX; i++)
			CU_ASSERT_EQUAL(idx_of_pos[i], i);
	} else {
		check_runs(sa_of_pos, idx_of_pos, N_MIX);
	}
	for (i = 0; i < 3; i++)
		spg_sa_free(esp, sas[i]);
	spg_esp_free(esp);
}

static void mixed_inbound_burst_comes_back_grouped_with_failures_last(void)
{
	struct spg_esp *esp = esp_new(32, 1, 8);
	struct peer p[3];
	struct spg_sa *sas[3], *sa[N_MIX];
	struct rte_mbuf *m[N_MIX];
	void *ctx[N_MIX];
	int idx[N_MIX], sa_of_pos[N_MIX], idx_of_pos[N_MIX], seq[3] = {0, 0, 0}, i;
	const int tampered = 4;
	uint8_t inner[256], why[N_MIX];

	for (i = 0; i < 3; i++) {
		peer_init(&p[i], 0x70000000 + i, 32, (uint8_t)(20 + i));
		sas[i] = sa_new(esp, &p[i], false);
	}
	for (i = 0; i < N_MIX; i++) {
		idx[i] = i;
		sa[i] = sas[mix[i]];
		inner_packet(inner, (uint16_t)(64 + i), (uint32_t)i);
		m[i] = esp_mbuf(&p[mix[i]], (uint64_t)++seq[mix[i]], inner, (uint16_t)(64 + i), NULL);
		ctx[i] = &idx[i];
	}
	*rte_pktmbuf_mtod_offset(m[tampered], uint8_t *, m[tampered]->pkt_len - 3) ^= 1;
	CU_ASSERT_EQUAL_FATAL(spg_esp_inbound_burst(esp, 0, m, sa, ctx, N_MIX, why, NULL), N_MIX - 1);
	for (i = 0; i < N_MIX - 1; i++) {
		int orig = *(int *)ctx[i];

		sa_of_pos[i] = mix[orig];
		idx_of_pos[i] = orig;
		CU_ASSERT_EQUAL(why[i], SPG_OK);
		CU_ASSERT_EQUAL(m[i]->pkt_len, (uint32_t)(64 + orig));
		CU_ASSERT_EQUAL(get32(rte_pktmbuf_mtod(m[i], uint8_t *) + 28), (uint32_t)orig);
	}
	CU_ASSERT_EQUAL(*(int *)ctx[N_MIX - 1], tampered);
	CU_ASSERT_EQUAL(why[N_MIX - 1], SPG_DROP_BAD_ICV);
	if (spg_esp_native_inbound(esp)) {
		/* esp_native_in.c keeps the burst's order (without the tampered one) */
		for (i = 0; i < N_MIX - 1; i++)
			CU_ASSERT_EQUAL(idx_of_pos[i], i < tampered ? i : i + 1);
	} else {
		/* without the tampered C, C has one packet: still three runs */
		check_runs(sa_of_pos, idx_of_pos, N_MIX - 1);
	}
	for (i = 0; i < N_MIX; i++)
		rte_pktmbuf_free(m[i]);
	for (i = 0; i < 3; i++)
		spg_sa_free(esp, sas[i]);
	spg_esp_free(esp);
}

/* ---- two workers on one outbound SA ---- */

/* small bursts, many of them: the most chances for two workers to take a number at once */
#define PER_WORKER 20000
#define WORKER_BURST 2

struct worker_arg {
	struct spg_esp *esp;
	struct spg_sa *sa;
	uint16_t qp;
	uint32_t seq[PER_WORKER];
	int sent;
};

static void *worker(void *arg)
{
	struct worker_arg *w = arg;
	uint8_t inner[64];
	int i;

	inner_packet(inner, sizeof(inner), w->qp);
	while (w->sent < PER_WORKER) {
		struct rte_mbuf *m[WORKER_BURST];
		struct spg_sa *sa[WORKER_BURST];
		void *ctx[WORKER_BURST];
		uint8_t why[WORKER_BURST];
		uint16_t ok;

		for (i = 0; i < WORKER_BURST; i++) {
			m[i] = rte_pktmbuf_alloc(pool);
			if (m[i] == NULL)
				return NULL;
			memcpy(rte_pktmbuf_append(m[i], sizeof(inner)), inner, sizeof(inner));
			sa[i] = w->sa;
			ctx[i] = NULL;
		}
		ok = spg_esp_outbound_burst(w->esp, w->qp, m, sa, ctx, WORKER_BURST, why);
		for (i = 0; i < WORKER_BURST; i++) {
			if (i < ok)
				w->seq[w->sent++] = get32(rte_pktmbuf_mtod(m[i], uint8_t *) + 32);
			rte_pktmbuf_free(m[i]);
		}
		if (ok != WORKER_BURST)
			return NULL;
	}
	return NULL;
}

static void two_workers_on_one_sa_never_reuse_a_sequence_number(void)
{
	static struct worker_arg w[2];
	static uint8_t seen[2 * PER_WORKER + 1];
	struct spg_esp *esp = esp_new(16, 2, 2);
	struct peer p;
	struct spg_sa *sa;
	pthread_attr_t attr;
	cpu_set_t cpus;
	pthread_t t[2];
	int i, j, dup = 0, out_of_range = 0;

	peer_init(&p, 0xb000000b, 16, 11);
	sa = sa_new(esp, &p, true);
	/* EAL pinned this thread to lcore 0; let the workers run on every CPU, at once */
	CPU_ZERO(&cpus);
	for (i = 0; i < CPU_SETSIZE && i < 64; i++)
		CPU_SET(i, &cpus);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(cpus), &cpus);
	for (i = 0; i < 2; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].esp = esp;
		w[i].sa = sa;
		w[i].qp = (uint16_t)i;
		CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], &attr, worker, &w[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_attr_destroy(&attr);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 2; i++) {
		CU_ASSERT_EQUAL(w[i].sent, PER_WORKER);
		for (j = 0; j < w[i].sent; j++) {
			uint32_t s = w[i].seq[j];

			if (s == 0 || s > 2 * PER_WORKER)
				out_of_range++;
			else if (seen[s]++)
				dup++;
			/* each worker sees its own numbers ascend */
			if (j > 0)
				CU_ASSERT(s > w[i].seq[j - 1]);
		}
	}
	CU_ASSERT_EQUAL(dup, 0);
	CU_ASSERT_EQUAL(out_of_range, 0);
	spg_sa_free(esp, sa);
	spg_esp_free(esp);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"mixed_outbound_burst_comes_back_grouped_by_sa", mixed_outbound_burst_comes_back_grouped_by_sa},
		{"mixed_inbound_burst_comes_back_grouped_with_failures_last", mixed_inbound_burst_comes_back_grouped_with_failures_last},
		{"two_workers_on_one_sa_never_reuse_a_sequence_number", two_workers_on_one_sa_never_reuse_a_sequence_number},
		{NULL, NULL},
	};

	return esp_test_run_paths("test_esp_bursts", cases);
}
