/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-bench: the real dataplane pipeline (spg_outbound_burst / spg_inbound_burst) on one
 * lcore over ring-backed ethdevs, next to the limits measured in the same run: a bare
 * rx -> tx loop with the same generator and sink, and the bare crypto device on the same
 * buffer sizes. Also memory per session and session install rates.
 */
#ifndef SPG_BENCH_H
#define SPG_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "drops.h"

#define BENCH_MAX_LIST 8

enum bench_dir { BENCH_OUTBOUND = 0, BENCH_INBOUND = 1, BENCH_N_DIRS = 2 };

struct bench_opts {
	bool dirs[BENCH_N_DIRS];
	uint16_t sizes[BENCH_MAX_LIST]; /* inner IPv4 packet lengths */
	unsigned int n_sizes;
	uint32_t sessions[BENCH_MAX_LIST]; /* ascending */
	unsigned int n_sessions;
	bool ciphers[2]; /* indexed by enum spg_cipher */
	double duration; /* seconds of measured traffic per loop */
	double warmup;   /* seconds before each measured loop */
	bool json;
	bool skip_bare;   /* --loops: for profiling one kind of loop */
	bool skip_crypto;
	bool skip_pipeline;
	unsigned int lcore;      /* CPU of the single lcore that runs the matrix */
	unsigned int ctl_cpus[2]; /* control thread and worker of the control-socket run */
	uint32_t ctl_existing;   /* sessions forwarding while the control socket installs */
	uint32_t ctl_installs;   /* installs through the socket; 0 skips that run */
	uint32_t memory_mb;      /* EAL -m; 0: estimated from the largest session count */
	bool huge;               /* hugepages instead of --no-huge */
	bool lookaside;          /* --crypto-path lookaside: pipeline and limit through queue pairs */
	bool library_outbound;   /* --crypto-path library: CPU crypto, outbound through librte_ipsec */
	uint64_t seed;
	bool ctl_child; /* internal: this process is the control-socket run */
	const char *peer;      /* --peer: compare whole processes with this gateway instead */
	unsigned int peer_rounds; /* --peer-rounds; 0: the driver's default */
	bool duration_set;     /* given on the command line: the peer run has its own defaults */
	bool warmup_set;
	bool sessions_set;
	bool lcore_set;
};

/* A measured loop: packets handled in cycles TSC cycles. */
struct bench_rate {
	uint64_t packets;
	uint64_t cycles;
	double mpps;
	double cycles_per_pkt;
};

struct bench_case {
	enum bench_dir dir;
	uint16_t size;
	uint32_t sessions;
	enum spg_cipher cipher;
	uint16_t crypto_len; /* bytes AES-GCM encrypts per packet: inner + padding + trailer */
	struct bench_rate pipe;
	struct bench_rate bare;   /* rx -> tx, same generator and sink */
	struct bench_rate crypto; /* the crypto device alone, same length, burst 32 */
	uint64_t offered;
	uint64_t forwarded;
	uint64_t drops[SPG_DROP_MAX];
	unsigned int slices;    /* measured slices of all three loops */
	unsigned int preempted; /* of which the thread lost the CPU in (not counted) */
	double vs_bare;   /* pipeline Mpps / bare loop Mpps */
	double vs_crypto; /* pipeline Mpps / crypto-only Mpps */
};

/* Memory per session: what installing sessions took, and what capacity preallocates. */
struct bench_memory {
	enum spg_cipher cipher;
	uint32_t capacity;
	uint32_t installed;
	/* Measured while installing `installed` sessions, bytes per session. */
	double heap_delta;   /* rte_malloc heap (everything is preallocated: expect 0) */
	double crypto_delta; /* cryptodev session pool objects taken */
	double sa_delta;     /* SA pool objects taken */
	/* Object sizes behind those deltas. */
	uint32_t crypto_obj;  /* one cryptodev session object incl. mempool header/trailer */
	uint32_t crypto_priv; /* the PMD's private session data within it */
	uint32_t sa_obj;      /* one SA object incl. mempool header/trailer */
	uint32_t sa_lib;      /* the rte_ipsec_sa part of it (rte_ipsec_sa_size) */
	/* spgate's table, preallocated per slot of capacity (slots, hashes, counters, RCU). */
	double table_per_slot;
	uint32_t slot_size;     /* sizeof(struct spg_session) */
	uint32_t counters_size; /* per worker */
	/* Totals per session, two SAs each. */
	double crypto_lib;     /* cryptodev sessions */
	uint32_t native_keys;  /* intel-ipsec-mb key schedule of a native SA (esp_native*.c), else 0 */
	uint32_t key_lines_64; /* of its lines, those a 64 B inner packet's outbound AES-GCM reads */
	unsigned int native_sas; /* how many of a session's two SAs are native (their keys are in crypto_lib) */
	double ipsec_lib;      /* rte_ipsec SAs */
	double spgate_own;     /* table + SA wrappers + replay windows */
};

struct bench_install {
	enum spg_cipher cipher;
	uint32_t from;
	uint32_t to;
	double seconds;
	double per_sec;
};

/* The control-socket install run (two lcores: control + worker). */
struct bench_ctl {
	bool ran;
	uint32_t existing;
	uint32_t sync_adds;      /* one request at a time (spg_dp_client_call) */
	double sync_per_sec;
	uint32_t piped_adds;     /* BENCH_CTL_WINDOW requests in flight */
	double piped_per_sec;
	uint32_t batched_adds;   /* SESSION_ADD_BATCH of SPG_DP_ADD_BATCH_MAX, two in flight */
	double batched_per_sec;
	uint32_t failed;         /* adds answered with an error */
	uint64_t offered;        /* worker traffic to existing sessions during the installs */
	uint64_t forwarded;
	uint64_t dropped;
	double fwd_mpps_before;  /* worker rate without installs */
	double fwd_mpps_during;  /* worker rate while the installs run */
	char drops_text[256];    /* "reason=count ..." when dropped != 0 */
};

/* A recorded-sessions case (record.h): the pipeline with every session recorded. */
struct bench_rec_case {
	enum bench_dir dir;
	uint16_t size;
	uint32_t sessions;
	enum spg_cipher cipher;
	struct bench_rate pipe; /* recorded */
	double plain_mpps;      /* the same case's plain pipeline */
	double ratio;           /* recorded Mpps / plain Mpps */
	uint64_t offered;
	uint64_t forwarded;
	uint64_t copies;         /* copies queued for the recorder */
	uint64_t copies_dropped; /* copies lost (pool or ring full) */
};

#define BENCH_MAX_REC (2 * BENCH_N_DIRS * BENCH_MAX_LIST * BENCH_MAX_LIST)
/* Session counts whose steps also run recorded (issue 15: 1 and 1,024). */
#define BENCH_REC_MAX_SESSIONS 1024

struct bench_results {
	double tsc_hz;
	bool cpu_crypto; /* the path the pipeline and the crypto-only limit took */
	bool native_out; /* the pipeline's outbound ESP went through esp_native.c, not librte_ipsec */
	bool native_in;  /* its inbound ESP through esp_native_in.c */
	struct bench_case *cases;
	unsigned int n_cases;
	unsigned int cap_cases;
	struct bench_memory mem[2];
	unsigned int n_mem;
	struct bench_install inst[2 * BENCH_MAX_LIST];
	unsigned int n_inst;
	struct bench_ctl ctl;
	struct bench_rec_case rec[BENCH_MAX_REC];
	unsigned int n_rec;
};

const char *bench_dir_name(enum bench_dir d);

/* cases.c: the whole matrix for one cipher; 0 or -errno. */
int bench_run_cipher(const struct bench_opts *o, enum spg_cipher cipher, struct bench_results *r);

/* ctl.c: the control-socket run, inside the child process (EAL already up on two lcores). */
int bench_ctl_run(const struct bench_opts *o, struct bench_ctl *out);
/* One line a parent can parse back. */
void bench_ctl_print_line(const struct bench_ctl *c);
bool bench_ctl_parse_line(const char *line, struct bench_ctl *c);

/* peer.c: runs the peer comparison driver in place of this process; returns only on errors
 * (1, or 2 for an unknown peer). */
int bench_peer_exec(const struct bench_opts *o);

/* report.c */
void bench_print_table(const struct bench_opts *o, const struct bench_results *r);
void bench_print_json(const struct bench_opts *o, const struct bench_results *r);

#endif
