/* SPDX-License-Identifier: BSD-3-Clause */
/* Results for people (a table) and for scripts (--json), with the targets evaluated. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "bench.h"
#include "dp_api.h"

#define MAX_TARGETS 64
#define KIB 1024.0

struct target {
	char name[112];
	double value;
	double goal;
	bool at_most; /* value must not exceed goal (otherwise reach it) */
	bool met;
};

const char *bench_dir_name(enum bench_dir d)
{
	return d == BENCH_OUTBOUND ? "outbound" : "inbound";
}

static bool lost(const struct bench_case *c)
{
	return c->forwarded != c->offered;
}

static const struct bench_case *find_case(const struct bench_results *r, enum bench_dir d, uint16_t size,
					  uint32_t sessions, enum spg_cipher cipher)
{
	for (unsigned int i = 0; i < r->n_cases; i++) {
		const struct bench_case *c = &r->cases[i];

		if (c->dir == d && c->size == size && c->sessions == sessions && c->cipher == cipher)
			return c;
	}
	return NULL;
}

static void target_add(struct target *t, unsigned int *n, double value, double goal, bool at_most,
		       const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void target_add(struct target *t, unsigned int *n, double value, double goal, bool at_most,
		       const char *fmt, ...)
{
	va_list ap;

	if (*n == MAX_TARGETS)
		return;
	va_start(ap, fmt);
	vsnprintf(t[*n].name, sizeof(t[*n].name), fmt, ap);
	va_end(ap);
	t[*n].value = value;
	t[*n].goal = goal;
	t[*n].at_most = at_most;
	t[*n].met = at_most ? value <= goal : value >= goal;
	(*n)++;
}

/* The targets, for whatever part of the matrix ran. */
static unsigned int targets(const struct bench_results *r, struct target *t)
{
	static const double vs_crypto_goal[BENCH_N_DIRS] = { 0.70, 0.65 };
	const uint32_t big = 1048576, ref = 1024;
	unsigned int n = 0;

	for (int ci = 0; ci < 2; ci++) {
		const char *cn = spg_cipher_name((enum spg_cipher)ci);

		for (int d = 0; d < BENCH_N_DIRS; d++) {
			const struct bench_case *c = find_case(r, (enum bench_dir)d, 64, ref, (enum spg_cipher)ci);

			if (c != NULL)
				target_add(t, &n, c->vs_crypto, vs_crypto_goal[d], false,
					   "%s 64 B, 1024 sessions, %s: pipeline / crypto only", bench_dir_name(c->dir), cn);
		}
	}
	for (unsigned int i = 0; i < r->n_cases; i++) {
		const struct bench_case *c = &r->cases[i], *base;

		if (c->sessions != big)
			continue;
		base = find_case(r, c->dir, c->size, ref, c->cipher);
		if (base != NULL && base->pipe.mpps > 0)
			target_add(t, &n, c->pipe.mpps / base->pipe.mpps, 0.80, false,
				   "%s %u B, %s: 1048576 / 1024 sessions", bench_dir_name(c->dir), c->size,
				   spg_cipher_name(c->cipher));
	}
	for (unsigned int m = 0; m < r->n_mem; m++)
		target_add(t, &n, r->mem[m].spgate_own, KIB, true,
			   "memory per session beyond the crypto library, bytes (%s)", spg_cipher_name(r->mem[m].cipher));
	if (r->ctl.ran) {
		target_add(t, &n, RTE_MAX(r->ctl.piped_per_sec, r->ctl.batched_per_sec), 100000, false,
			   "control-socket installs per second while forwarding (best of single, batched)");
		target_add(t, &n, (double)(r->ctl.dropped + (r->ctl.offered - r->ctl.forwarded)), 0, true,
			   "packets of existing sessions lost during the installs");
	}
	return n;
}

static void drops_line(FILE *f, const uint64_t drops[SPG_DROP_MAX], const char *sep, bool json)
{
	bool first = true;

	for (unsigned int d = 1; d < SPG_DROP_MAX; d++) {
		if (drops[d] == 0)
			continue;
		if (json)
			fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", spg_drop_name(d), drops[d]);
		else
			fprintf(f, "%s%s=%" PRIu64, first ? "" : sep, spg_drop_name(d), drops[d]);
		first = false;
	}
}

static void print_cases(const struct bench_results *r)
{
	printf("%-35s | %-15s | %-15s | %-15s | %-12s |\n", "", "pipeline", "bare rx->tx", "crypto only",
	       "pipeline /");
	printf("%-8s %5s %8s %-11s | %7s %7s | %7s %7s | %7s %7s | %5s %6s | %s\n", "dir", "size", "sessions", "cipher",
	       "Mpps", "cyc/pkt", "Mpps", "cyc/pkt", "Mpps", "cyc/pkt", "bare", "crypto", "forwarded");
	for (unsigned int i = 0; i < r->n_cases; i++) {
		const struct bench_case *c = &r->cases[i];

		printf("%-8s %5u %8u %-11s | %7.3f %7.0f | %7.3f %7.0f | %7.3f %7.0f | %5.2f %6.2f | ",
		       bench_dir_name(c->dir), c->size, c->sessions, spg_cipher_name(c->cipher), c->pipe.mpps,
		       c->pipe.cycles_per_pkt, c->bare.mpps, c->bare.cycles_per_pkt, c->crypto.mpps,
		       c->crypto.cycles_per_pkt, c->vs_bare, c->vs_crypto);
		if (!lost(c)) {
			printf("all %" PRIu64, c->forwarded);
		} else {
			printf("%" PRIu64 " of %" PRIu64 " (", c->forwarded, c->offered);
			drops_line(stdout, c->drops, " ", false);
			printf(")");
		}
		if (c->preempted != 0)
			printf("  [%u of %u slices preempted]", c->preempted, c->slices);
		printf("\n");
	}
}

static void print_memory(const struct bench_memory *m)
{
	printf("\nMemory per session (%s; %u sessions installed, capacity %u):\n", spg_cipher_name(m->cipher),
	       m->installed, m->capacity);
	double sessions = m->crypto_lib - (double)m->native_sas * m->native_keys;

	printf("  crypto library  cryptodev sessions      %7.0f B  (%.0f x %u B objects; %u B of each is the PMD's private data)\n",
	       sessions, m->crypto_obj != 0 ? sessions / m->crypto_obj : 0.0, m->crypto_obj, m->crypto_priv);
	if (m->native_keys != 0)
		printf("                  intel-ipsec-mb keys     %7u B  (%u x %u B: struct gcm_key_data of each SA on esp_native*.c,\n"
		       "                                                     in place of its cryptodev session; one per SA slot, preallocated;\n"
		       "                                                     a 64 B packet's AES-GCM reads %u of its %u lines, and only\n"
		       "                                                     those are prefetched)\n",
		       m->native_sas * m->native_keys, m->native_sas, m->native_keys, m->key_lines_64,
		       (m->native_keys + 63) / 64);
	printf("                  rte_ipsec SAs           %7.0f B  (%u x rte_ipsec_sa_size %u B)\n", m->ipsec_lib,
	       2 - m->native_sas, m->sa_lib);
	printf("  spgate          session table           %7.1f B  (per slot: struct spg_session %u B, counters %u B/worker,\n"
	       "                                                     3 hashes, free list, RCU defer queue)\n",
	       m->table_per_slot, m->slot_size, m->counters_size);
	printf("                  SA wrappers and windows %7.0f B  (2 x %u B SA objects minus the rte_ipsec_sa part)\n",
	       m->sa_delta - m->ipsec_lib, m->sa_obj);
	printf("                  heap growth on install  %7.1f B\n", m->heap_delta);
	printf("                  total                   %7.1f B\n", m->spgate_own);
}

static void print_installs(const struct bench_results *r)
{
	printf("\nSession installs, direct spg_session_add on the main lcore:\n");
	for (unsigned int i = 0; i < r->n_inst; i++) {
		const struct bench_install *in = &r->inst[i];

		printf("  %-11s %8u -> %8u  %9.0f adds/s  (%.3f s)\n", spg_cipher_name(in->cipher), in->from, in->to,
		       in->per_sec, in->seconds);
	}
}

static void print_ctl(const struct bench_ctl *c)
{
	if (!c->ran)
		return;
	printf("\nSession installs through the control socket (control thread + client on one core, worker on\n"
	       "another forwarding both directions for %u existing sessions):\n",
	       c->existing);
	printf("  one request at a time (spg_dp_client_call)  %9.0f adds/s  (%u adds)\n", c->sync_per_sec, c->sync_adds);
	printf("  pipelined, up to 8 requests in flight        %9.0f adds/s  (%u adds)\n", c->piped_per_sec,
	       c->piped_adds);
	printf("  SESSION_ADD_BATCH of %u, 2 in flight         %9.0f adds/s  (%u adds)\n", SPG_DP_ADD_BATCH_MAX,
	       c->batched_per_sec, c->batched_adds);
	printf("  refused adds: %u\n", c->failed);
	printf("  worker during the installs: %" PRIu64 " of %" PRIu64 " packets forwarded, %" PRIu64
	       " dropped%s%s; %.3f Mpps (%.3f Mpps before)\n",
	       c->forwarded, c->offered, c->dropped, c->dropped ? ": " : "", c->dropped ? c->drops_text : "",
	       c->fwd_mpps_during, c->fwd_mpps_before);
}

static void print_recorded(const struct bench_results *r)
{
	if (r->n_rec == 0)
		return;
	printf("\nRecorded sessions (issue 15): every installed session recorded; the worker copies each packet\n"
	       "(rte_pcapng_copy) onto the recorder's ring, emptied after each burst (file writes are the\n"
	       "recorder thread's, on another core, not measured here):\n");
	printf("%-8s %5s %8s %-11s | %7s %7s | %7s | %6s | %s\n", "dir", "size", "sessions", "cipher", "Mpps",
	       "cyc/pkt", "plain", "ratio", "copies");
	for (unsigned int i = 0; i < r->n_rec; i++) {
		const struct bench_rec_case *c = &r->rec[i];

		printf("%-8s %5u %8u %-11s | %7.3f %7.0f | %7.3f | %6.3f | %" PRIu64 " (%" PRIu64 " dropped)\n",
		       bench_dir_name(c->dir), c->size, c->sessions, spg_cipher_name(c->cipher), c->pipe.mpps,
		       c->pipe.cycles_per_pkt, c->plain_mpps, c->ratio, c->copies, c->copies_dropped);
	}
}

void bench_print_table(const struct bench_opts *o, const struct bench_results *r)
{
	struct target t[MAX_TARGETS];
	unsigned int n = targets(r, t);

	printf("spgate-bench: the spgate-dp pipeline on lcore %u over net_ring ports, crypto_aesni_mb; TSC %.3f GHz.\n"
	       "Crypto path: %s, for the pipeline and the crypto-only limit alike;\n"
	       "the pipeline's outbound ESP: %s; inbound: %s.\n"
	       "Size = inner IPv4 packet; bursts of 32. Per case the pipeline, the bare rx->tx loop and the crypto\n"
	       "device alone run interleaved in 2 ms slices after %.2f s warm-up each, until each has %.2f s of\n"
	       "slices in which this thread kept its CPU (preempted slices are not counted).\n\n",
	       o->lcore, r->tsc_hz / 1e9,
	       r->cpu_crypto ? "CPU crypto (rte_cryptodev_sym_cpu_crypto_process)" : "lookaside (crypto-op enqueue/dequeue)",
	       r->native_out ? "esp_native.c (intel-ipsec-mb AES-GCM per packet, no librte_ipsec)" : "librte_ipsec",
	       r->native_in ? "esp_native_in.c (the same)" : "librte_ipsec",
	       o->warmup, o->duration);
	print_cases(r);
	print_recorded(r);
	for (unsigned int m = 0; m < r->n_mem; m++)
		print_memory(&r->mem[m]);
	print_installs(r);
	print_ctl(&r->ctl);
	if (n != 0)
		printf("\nTargets:\n");
	for (unsigned int i = 0; i < n; i++)
		printf("  %-72s %10.3f %s %-8.6g %s\n", t[i].name, t[i].value, t[i].at_most ? "<=" : ">=", t[i].goal,
		       t[i].met ? "met" : "MISSED");
}

/* JSON has no NaN or infinity. */
static double json_num(double v)
{
	return isfinite(v) ? v : 0.0;
}

static void json_rate(const char *name, const struct bench_rate *x)
{
	printf("\"%s\": {\"mpps\": %.6f, \"cycles_per_packet\": %.3f, \"packets\": %" PRIu64 ", \"cycles\": %" PRIu64
	       "}",
	       name, json_num(x->mpps), json_num(x->cycles_per_pkt), x->packets, x->cycles);
}

static void json_cases(const struct bench_results *r)
{
	printf("  \"cases\": [\n");
	for (unsigned int i = 0; i < r->n_cases; i++) {
		const struct bench_case *c = &r->cases[i];

		printf("    {\"direction\": \"%s\", \"size\": %u, \"sessions\": %u, \"cipher\": \"%s\", \"crypto_len\": %u,\n",
		       bench_dir_name(c->dir), c->size, c->sessions, spg_cipher_name(c->cipher), c->crypto_len);
		printf("     \"mpps\": %.6f, \"cycles_per_packet\": %.3f,\n     ", json_num(c->pipe.mpps),
		       json_num(c->pipe.cycles_per_pkt));
		json_rate("pipeline", &c->pipe);
		printf(",\n     ");
		json_rate("bare", &c->bare);
		printf(",\n     ");
		json_rate("crypto", &c->crypto);
		printf(",\n     \"ratio_bare\": %.6f, \"ratio_crypto\": %.6f, \"slices\": %u, \"preempted\": %u, "
		       "\"offered\": %" PRIu64 ", \"forwarded\": %" PRIu64 ", \"drops\": {",
		       json_num(c->vs_bare), json_num(c->vs_crypto), c->slices, c->preempted, c->offered, c->forwarded);
		drops_line(stdout, c->drops, "", true);
		printf("}}%s\n", i + 1 < r->n_cases ? "," : "");
	}
	printf("  ],\n");
}

static void json_recorded(const struct bench_results *r)
{
	printf("  \"recorded\": [");
	for (unsigned int i = 0; i < r->n_rec; i++) {
		const struct bench_rec_case *c = &r->rec[i];

		printf("%s\n    {\"direction\": \"%s\", \"size\": %u, \"sessions\": %u, \"cipher\": \"%s\", "
		       "\"mpps\": %.6f, \"cycles_per_packet\": %.3f, \"plain_mpps\": %.6f, \"ratio_plain\": %.6f,\n"
		       "     \"offered\": %" PRIu64 ", \"forwarded\": %" PRIu64 ", \"copies\": %" PRIu64
		       ", \"copies_dropped\": %" PRIu64 "}",
		       i ? "," : "", bench_dir_name(c->dir), c->size, c->sessions, spg_cipher_name(c->cipher),
		       json_num(c->pipe.mpps), json_num(c->pipe.cycles_per_pkt), json_num(c->plain_mpps),
		       json_num(c->ratio), c->offered, c->forwarded, c->copies, c->copies_dropped);
	}
	printf("\n  ],\n");
}

static void json_memory(const struct bench_results *r)
{
	printf("  \"memory\": [");
	for (unsigned int i = 0; i < r->n_mem; i++) {
		const struct bench_memory *m = &r->mem[i];

		printf("%s\n    {\"cipher\": \"%s\", \"installed\": %u, \"capacity\": %u, \"heap_delta\": %.3f, "
		       "\"crypto_delta\": %.3f, \"sa_delta\": %.3f,\n     \"crypto_object\": %u, \"crypto_private\": %u, "
		       "\"sa_object\": %u, \"rte_ipsec_sa\": %u, \"table_per_slot\": %.3f, \"session_struct\": %u, "
		       "\"counters_per_worker\": %u,\n     \"crypto_library_per_session\": %.3f, "
		       "\"ipsec_library_per_session\": %.3f, \"spgate_per_session\": %.3f, \"native_sas\": %u}",
		       i ? "," : "", spg_cipher_name(m->cipher), m->installed, m->capacity, m->heap_delta,
		       m->crypto_delta, m->sa_delta, m->crypto_obj, m->crypto_priv, m->sa_obj, m->sa_lib,
		       m->table_per_slot, m->slot_size, m->counters_size, m->crypto_lib, m->ipsec_lib, m->spgate_own,
		       m->native_sas);
	}
	printf("\n  ],\n  \"installs\": [");
	for (unsigned int i = 0; i < r->n_inst; i++) {
		const struct bench_install *in = &r->inst[i];

		printf("%s\n    {\"cipher\": \"%s\", \"from\": %u, \"to\": %u, \"seconds\": %.6f, \"per_second\": %.1f}",
		       i ? "," : "", spg_cipher_name(in->cipher), in->from, in->to, in->seconds, json_num(in->per_sec));
	}
	printf("\n  ],\n");
}

static void json_ctl(const struct bench_ctl *c)
{
	if (!c->ran) {
		printf("  \"control_socket\": null,\n");
		return;
	}
	printf("  \"control_socket\": {\"existing\": %u, \"sync_adds\": %u, \"sync_per_second\": %.1f, "
	       "\"pipelined_adds\": %u, \"pipelined_per_second\": %.1f, \"batched_adds\": %u, "
	       "\"batched_per_second\": %.1f, \"failed\": %u,\n"
	       "    \"offered\": %" PRIu64 ", \"forwarded\": %" PRIu64 ", \"dropped\": %" PRIu64
	       ", \"mpps_before\": %.6f, \"mpps_during\": %.6f, \"drops\": \"%s\"},\n",
	       c->existing, c->sync_adds, json_num(c->sync_per_sec), c->piped_adds, json_num(c->piped_per_sec),
	       c->batched_adds, json_num(c->batched_per_sec), c->failed,
	       c->offered, c->forwarded, c->dropped, json_num(c->fwd_mpps_before), json_num(c->fwd_mpps_during),
	       c->drops_text);
}

void bench_print_json(const struct bench_opts *o, const struct bench_results *r)
{
	struct target t[MAX_TARGETS];
	unsigned int n = targets(r, t);

	printf("{\n  \"tsc_hz\": %.0f, \"lcore\": %u, \"duration\": %.3f, \"warmup\": %.3f, \"crypto_path\": \"%s\",\n",
	       r->tsc_hz, o->lcore, o->duration, o->warmup, r->cpu_crypto ? "cpu" : "lookaside");
	json_cases(r);
	json_recorded(r);
	json_memory(r);
	json_ctl(&r->ctl);
	printf("  \"targets\": [");
	for (unsigned int i = 0; i < n; i++)
		printf("%s\n    {\"name\": \"%s\", \"value\": %.6f, \"goal\": %.6f, \"at_most\": %s, \"met\": %s}",
		       i ? "," : "", t[i].name, json_num(t[i].value), t[i].goal, t[i].at_most ? "true" : "false",
		       t[i].met ? "true" : "false");
	printf("\n  ]\n}\n");
}
