/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session table: sessions preallocated in one array, found by virtual address
 * (outbound) and by inbound SPI through rte_hash tables with lock-free readers. Only the
 * control thread writes; deleted sessions and replaced SAs are freed after an RCU grace
 * period (workers report quiescent states between bursts).
 */
#ifndef SPG_SESSION_H
#define SPG_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "dp_api.h"
#include "esp.h"
#include "meter.h"
#include "port_filter.h"

struct spg_session {
	/* Read on every packet. */
	uint32_t virtual_addr;     /* V_i */
	uint32_t workstation_addr; /* W */
	/* Outer endpoint E_i as one word (addr | port << 32, both network order) so roaming
	 * replaces it with a single store. */
	uint64_t peer;
	struct spg_sa *sa_out; /* swapped by the control thread on rekey */
	struct spg_sa *sa_in;
	uint32_t index; /* slot in the table; indexes per-worker counters */
	/* Two copies so a port update never shows a reader half of each: the control thread
	 * fills the inactive one after a grace period, then flips filter_active. */
	uint8_t filter_active;
	/* 1 while the session is recorded (recorder.h): a byte the first line had spare, so
	 * sessions that are not recorded pay one predictable branch and no cache line. */
	uint8_t recording;
	/* Control thread only, but in a byte line 0 has spare (the joiners needed the room). */
	bool in_use;
	/* Joiners (issue 15): workstation W_j of slot j at [j-1], 0 when the slot is empty. In
	 * the first line, which the holder's packets read anyway: a joiner's packet costs the
	 * holder's nothing, and its own check no cache miss. The control thread stores, the
	 * workers load (spg_session_joiner_slot). */
	uint32_t joiner_addr[SPG_DP_MAX_JOINERS];
	struct spg_port_filter filter[2];
	struct spg_meter meter_out;
	struct spg_meter meter_in;
	/* The control thread's, and the workers' when they report roaming or copy a packet for
	 * the recorder (the rest is in struct spg_session_ctl). */
	uint64_t id;
} __rte_cache_aligned;

/* Everything a worker reads of every packet's session before the port filter stays in line 0. */
_Static_assert(offsetof(struct spg_session, joiner_addr) + sizeof(((struct spg_session *)0)->joiner_addr) <=
		       RTE_CACHE_LINE_SIZE,
	       "the joiners' addresses must stay in a session's first cache line");
_Static_assert(offsetof(struct spg_session, recording) < RTE_CACHE_LINE_SIZE &&
		       offsetof(struct spg_session, filter_active) < RTE_CACHE_LINE_SIZE,
	       "the per-packet fields must stay in a session's first cache line");
/* spgate-bench's target of at most 1 KiB per session beyond the crypto library counts it. */
_Static_assert(sizeof(struct spg_session) == 5 * RTE_CACHE_LINE_SIZE, "a session stays 5 cache lines");

/*
 * The slot (1 .. SPG_DP_MAX_JOINERS) whose joiner workstation is addr, or 0: for outbound
 * packets whose source is not the holder's W. An empty slot (0) never matches, not even a
 * packet from 0.0.0.0.
 */
static inline unsigned int spg_session_joiner_slot(const struct spg_session *s, uint32_t addr)
{
	if (unlikely(addr == 0))
		return 0;
	for (unsigned int j = 0; j < SPG_DP_MAX_JOINERS; j++)
		if (__atomic_load_n(&s->joiner_addr[j], __ATOMIC_RELAXED) == addr)
			return j + 1;
	return 0;
}

/* The workstation of joiner slot j (1 .. SPG_DP_MAX_JOINERS), 0 when the slot is empty. */
static inline uint32_t spg_session_joiner(const struct spg_session *s, unsigned int j)
{
	return __atomic_load_n(&s->joiner_addr[j - 1], __ATOMIC_RELAXED);
}

/* What only the control thread reads, in an array beside the slots: one cache line less
 * per session (struct spg_session stays 5 lines). */
struct spg_session_ctl {
	uint64_t created_tsc;
	struct spg_dp_rate rate_out;
	struct spg_dp_rate rate_in;
	/* Fingerprints (key_guard.h) of the SAs' keys now and before the last rekey: a rekey to
	 * either is refused even after the table's own memory of retired keys moved on. */
	uint64_t fp_out, fp_in;
	uint64_t prev_fp_out, prev_fp_in;
	/* The outer source of its ESP as added (network order, 0: the SP port's primary): what
	 * a rekey's new SA leaves from, and what ADDRESS DEL must not take away (port_addr.h). */
	uint32_t outer_src;
};

static inline const struct spg_port_filter *spg_session_filter(const struct spg_session *s)
{
	return &s->filter[__atomic_load_n(&s->filter_active, __ATOMIC_ACQUIRE)];
}

/*
 * What a worker reads of a session it just looked up, beyond the first line (which it
 * prefetches for the whole burst first): both port-filter copies and its direction's meter.
 */
static inline void spg_session_prefetch_rest(const struct spg_session *s, const struct spg_meter *mt)
{
	rte_prefetch0(RTE_PTR_ADD(s, RTE_CACHE_LINE_SIZE));
	rte_prefetch0(RTE_PTR_ADD(s, 2 * RTE_CACHE_LINE_SIZE));
	rte_prefetch0(mt);
	rte_prefetch0(RTE_PTR_ADD(mt, sizeof(*mt) - 1));
}

/* Per-session counters, one array per worker (indexed by slot), summed on read. */
struct spg_sess_counters {
	struct spg_dp_dir_counters out;
	struct spg_dp_dir_counters in;
	uint64_t rec_dropped; /* copies for the recorder lost: pool or ring full */
};

static inline uint64_t spg_peer_pack(uint32_t addr_be, uint16_t port_be)
{
	return (uint64_t)addr_be | ((uint64_t)port_be << 32);
}
static inline uint32_t spg_peer_addr(uint64_t peer)
{
	return (uint32_t)peer;
}
static inline uint16_t spg_peer_port(uint64_t peer)
{
	return (uint16_t)(peer >> 32);
}

struct spg_session_table;

/* NULL + rte_errno. The table uses esp to create and free the sessions' SAs. */
struct spg_session_table *spg_session_table_create(uint32_t max_sessions, int socket_id,
						   struct rte_rcu_qsbr *qsbr, struct spg_esp *esp);
void spg_session_table_free(struct spg_session_table *t);
/* Sessions installed now (any thread; a worker's read may be a moment old). */
uint32_t spg_session_table_count(const struct spg_session_table *t);
/* Allocates per-worker counter arrays (capacity entries each). 0 or -ENOMEM. */
int spg_session_table_alloc_counters(struct spg_session_table *t, unsigned int n_workers);
/* Worker w's counter array, or NULL when counters were not allocated. */
struct spg_sess_counters *spg_session_table_counters(struct spg_session_table *t, unsigned int w);
/* Counters of slot index summed over workers (zero when not allocated). */
void spg_session_counters_sum(struct spg_session_table *t, uint32_t index, struct spg_sess_counters *sum);

/*
 * Control thread only; all return 0 or -errno: -EEXIST (id, virtual address or inbound SPI
 * already in use, or a key that is not fresh: see below), -ENOSPC (table full), -ENOENT (no
 * such id), -EINVAL (bad parameters), or what the crypto layer returned.
 *
 * Keys: an add or a rekey is refused with -EEXIST when a key equals the other direction's, a
 * key of any session in the table, the session's current or previous keys, or a key retired
 * (by a rekey or a delete) since spgate-dp started, as far as the table remembers (at least
 * as many retired keys as its capacity, and for each session its previous pair).
 * An SA's sequence numbers, and so its GCM nonces, always start at 1: a key already used
 * would repeat them.
 */
int spg_session_add(struct spg_session_table *t, const struct spg_dp_session_params *p);
int spg_session_update(struct spg_session_table *t, uint32_t what, const struct spg_dp_session_params *p);
int spg_session_del(struct spg_session_table *t, uint64_t id);
/*
 * SESSION_JOINERS: replaces session id's joiner workstations (joiners[j-1] for slot j, 0 =
 * empty). -ENOENT, or -EINVAL when one is the holder's W or another slot's (what a joiner may
 * not be beyond that depends on the config: the caller checks it). A joiner removed or moved
 * is cut off when this returns: it waits until no worker can still use the old addresses.
 */
int spg_session_set_joiners(struct spg_session_table *t, uint64_t id, const uint32_t joiners[SPG_DP_MAX_JOINERS]);
/* Roaming: sets the outer endpoint of the session in slot index (from a worker's report). */
void spg_session_set_peer(struct spg_session_table *t, uint32_t index, uint64_t peer);
/* Frees what the grace period allows; call regularly from the control thread. */
void spg_session_table_reclaim(struct spg_session_table *t);

/* Control-side lookups and iteration (not for workers). */
struct spg_session *spg_session_find(struct spg_session_table *t, uint64_t id);
/* Next session in use at or after *cursor, advancing *cursor past it; NULL at the end. */
struct spg_session *spg_session_next(struct spg_session_table *t, uint32_t *cursor);
uint32_t spg_session_count(const struct spg_session_table *t);
/* STATS' ids_hash: spg_dp_ids_fold of the XOR of spg_dp_id_mix over the table's ids. */
uint32_t spg_session_ids_hash(const struct spg_session_table *t);
uint32_t spg_session_capacity(const struct spg_session_table *t);
struct spg_session *spg_session_at(struct spg_session_table *t, uint32_t index);
const struct spg_session_ctl *spg_session_ctl_of(const struct spg_session_table *t, const struct spg_session *s);

/*
 * Workers: bulk lookups, keys in network order; out[i] is NULL where nothing matched.
 * n <= RTE_HASH_LOOKUP_BULK_MAX.
 */
void spg_session_lookup_vip_bulk(struct spg_session_table *t, const uint32_t keys[], uint32_t n,
				 struct spg_session *out[]);
void spg_session_lookup_spi_bulk(struct spg_session_table *t, const uint32_t keys[], uint32_t n,
				 struct spg_session *out[]);

#endif
