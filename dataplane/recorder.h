/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session recording (issue 15): a recorded session's packets are copied by the worker that
 * forwards them (outbound after the port filter and before NAT, inbound after decryption,
 * the checks and NAT back to V_i -> W: both directions as the engineer's workstation sees
 * them, so one TCP stream reads both ways) into a pcapng-formatted mbuf
 * (rte_pcapng_copy, from a pool of the recorder's own) and put on the worker's own ring. A
 * recorder thread drains the rings and writes each copy to its session's file
 * (rte_pcapng_write_packets). A copy that finds the pool or the ring full is dropped and
 * counted for the session and the worker; the forwarded packet never waits for it.
 *
 * Locking: the workers take no lock. Everything else (the recorder thread, the control
 * thread's start/stop, the readers of counters) holds the recorder's mutex, which is also
 * what makes each worker ring single-consumer: whoever drains it holds the mutex.
 */
#ifndef SPG_RECORDER_H
#define SPG_RECORDER_H

#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>

#include "dp_api.h"
#include "session.h"

#define SPG_REC_SNAPLEN_DEFAULT 65535
#define SPG_REC_POOL_DEFAULT 8191
#define SPG_REC_RING_DEFAULT 1024

struct spg_dp;
struct spg_worker;
struct spg_recorder;

/* What a worker needs to make a copy: set by spg_recorder_attach; ring NULL = no recorder. */
struct spg_rec_worker {
	struct rte_ring *ring;     /* single producer: this worker */
	struct rte_mempool *pool;  /* shared by the workers (per-lcore caches) */
	uint32_t snaplen;
	uint16_t port_id;          /* the vendor port: the file's one interface */
	/* TSC -> wall clock, for the pcapng timestamps (DPDK 22.11's own conversion is wrong) */
	uint64_t base_ns;
	uint64_t base_tsc;
	uint64_t tsc_hz;
};

/* Copies m (data at its Ethernet header) for session s; counts a copy that is lost. */
void spg_record_copy(struct spg_worker *w, const struct spg_session *s, const struct rte_mbuf *m,
		     enum rte_pcapng_direction dir);

/* The one branch a session that is not recorded pays. */
static inline void spg_record_maybe(struct spg_worker *w, const struct spg_session *s, const struct rte_mbuf *m,
				    enum rte_pcapng_direction dir)
{
	/* relaxed: a plain load; the control thread sets the flag after the recording exists */
	if (unlikely(__atomic_load_n(&s->recording, __ATOMIC_RELAXED)))
		spg_record_copy(w, s, m, dir);
}

/*
 * Creates the pool and one ring per worker (dp->cfg.recording) for n_workers; NULL with
 * rte_errno. The recorder thread is started by spg_recorder_run_thread.
 */
struct spg_recorder *spg_recorder_create(struct spg_dp *dp, unsigned int n_workers);
/* Gives worker w its ring. */
void spg_recorder_attach(struct spg_recorder *r, struct spg_worker *w);
/* Starts the thread that drains the rings (spgate-dp; tests drain by hand). 0 or -errno. */
int spg_recorder_run_thread(struct spg_recorder *r);
/* Stops the thread, writes what is queued and closes every file. */
void spg_recorder_free(struct spg_recorder *r);

/*
 * Control thread, under dp->ctl_lock. Start: 0 or -errno (EBUSY already recording, EINVAL
 * bad path or comment, what open(2) or the pcapng header write said). Stop: waits for the
 * workers to pass a quiescent state (so every copy of the session is queued), writes what is
 * queued, closes the file and fills rep; a session that is not recorded answers state OFF.
 */
int spg_recorder_start(struct spg_recorder *r, struct spg_session *s, const char *path, const char *comment);
void spg_recorder_stop(struct spg_recorder *r, struct spg_session *s, struct spg_dp_record_rep *rep);
/* The session's recording as SESSION_GET/LIST report it. */
void spg_recorder_session_info(struct spg_recorder *r, const struct spg_session *s,
			       struct spg_dp_session_info *info);

struct spg_recorder_stats {
	uint64_t written;    /* packets written to files */
	uint64_t not_written; /* copies dequeued but not written (failed file, stale) */
	uint32_t files_open;
};
void spg_recorder_get_stats(struct spg_recorder *r, struct spg_recorder_stats *st);

/* Drains every ring once, writing to the files; returns how many copies it took. */
unsigned int spg_recorder_drain(struct spg_recorder *r);

#endif
