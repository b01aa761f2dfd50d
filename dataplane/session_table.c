/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "key_guard.h"
#include "session.h"

/* What waits for a grace period: a slot to reuse and/or SAs to free. */
struct defer_item {
	uint32_t index; /* NO_SLOT when only SAs are retired */
	uint32_t pad;
	struct spg_sa *sa_out;
	struct spg_sa *sa_in;
};
#define NO_SLOT UINT32_MAX

struct spg_session_table {
	struct spg_session *slots;
	struct spg_session_ctl *ctl; /* beside slots, same index */
	uint32_t capacity;
	uint32_t count;
	uint64_t ids_acc; /* XOR of spg_dp_id_mix of the ids in by_id (STATS' ids_hash) */
	uint32_t *free_stack;
	uint32_t n_free;
	struct rte_hash *by_vip; /* V_i -> session, read by workers */
	struct rte_hash *by_spi; /* inbound SPI -> session, read by workers */
	struct rte_hash *by_id;  /* session id -> session, control thread only */
	struct rte_rcu_qsbr *qsbr;
	struct rte_rcu_qsbr_dq *dq;
	struct spg_esp *esp;
	struct spg_key_guard *keys; /* every key in use, and the recently retired ones */
	struct spg_sess_counters *counters[RTE_MAX_LCORE];
	unsigned int n_counter_sets;
};

static struct rte_hash *hash_create(const char *what, uint32_t entries, uint32_t key_len,
				    int socket_id, bool lock_free)
{
	static unsigned int seq;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters prm = {
		.name = name,
		/* rte_hash needs at least 8 entries and rounds up to buckets of 8. */
		.entries = RTE_MAX(entries, 8u),
		.key_len = key_len,
		.hash_func = rte_jhash,
		.socket_id = socket_id,
		.extra_flag = lock_free ? RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF : 0,
	};

	snprintf(name, sizeof(name), "spg_%s_%u", what, seq++);
	return rte_hash_create(&prm);
}

/*
 * A cuckoo hash refuses inserts before it is full (both buckets of a key and its
 * displacement path full): at exactly max_sessions entries a table of 1024 gave up near
 * 1013. A quarter more, plus a little for small tables, lets every slot be indexed.
 */
static uint32_t hash_entries(uint32_t max_sessions)
{
	return max_sessions + max_sessions / 4 + 64;
}

static void defer_free(void *p, void *e, unsigned int n)
{
	struct spg_session_table *t = p;
	struct defer_item *items = e;

	for (unsigned int i = 0; i < n; i++) {
		if (items[i].sa_out != NULL)
			spg_sa_free(t->esp, items[i].sa_out);
		if (items[i].sa_in != NULL)
			spg_sa_free(t->esp, items[i].sa_in);
		if (items[i].index != NO_SLOT) {
			t->slots[items[i].index].in_use = false;
			t->free_stack[t->n_free++] = items[i].index;
		}
	}
}

static int attach_rcu(struct spg_session_table *t, struct rte_hash *h)
{
	struct rte_hash_rcu_config cfg = {
		.v = t->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};

	return rte_hash_rcu_qsbr_add(h, &cfg);
}

struct spg_session_table *spg_session_table_create(uint32_t max_sessions, int socket_id,
						   struct rte_rcu_qsbr *qsbr, struct spg_esp *esp)
{
	static unsigned int seq;
	struct spg_session_table *t;
	char dq_name[RTE_RCU_QSBR_DQ_NAMESIZE];
	struct rte_rcu_qsbr_dq_parameters dqp = {
		.name = dq_name,
		.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE, /* only the control thread enqueues */
		.esize = sizeof(struct defer_item),
		.free_fn = defer_free,
		.v = qsbr,
	};

	if (max_sessions == 0 || qsbr == NULL) {
		rte_errno = EINVAL;
		return NULL;
	}
	t = rte_zmalloc_socket("spg_session_table", sizeof(*t), 0, socket_id);
	if (t == NULL)
		goto nomem;
	t->capacity = max_sessions;
	t->qsbr = qsbr;
	t->esp = esp;
	t->slots = rte_zmalloc_socket("spg_sessions", sizeof(*t->slots) * (size_t)max_sessions,
				      RTE_CACHE_LINE_SIZE, socket_id);
	t->ctl = rte_zmalloc_socket("spg_session_ctl", sizeof(*t->ctl) * (size_t)max_sessions, 0, socket_id);
	t->free_stack = rte_malloc_socket("spg_session_free", sizeof(uint32_t) * (size_t)max_sessions,
					  0, socket_id);
	if (t->slots == NULL || t->ctl == NULL || t->free_stack == NULL)
		goto nomem;
	/* Hand out low slots first: pop from the top of a stack filled in reverse. */
	for (uint32_t i = 0; i < max_sessions; i++) {
		t->slots[i].index = i;
		t->free_stack[i] = max_sessions - 1 - i;
	}
	t->n_free = max_sessions;

	t->by_vip = hash_create("vip", hash_entries(max_sessions), sizeof(uint32_t), socket_id, true);
	/* Rekeying holds the old and the new inbound SPI of a session for a moment. */
	t->by_spi = hash_create("spi", hash_entries(max_sessions) + 64, sizeof(uint32_t), socket_id, true);
	t->by_id = hash_create("id", hash_entries(max_sessions), sizeof(uint64_t), socket_id, false);
	if (t->by_vip == NULL || t->by_spi == NULL || t->by_id == NULL)
		goto fail;
	/* Two keys per session; a rekey retires the old pair before it claims the new one. */
	t->keys = spg_key_guard_create(2 * max_sessions);
	if (t->keys == NULL)
		goto nomem;
	if (attach_rcu(t, t->by_vip) != 0 || attach_rcu(t, t->by_spi) != 0)
		goto fail;

	snprintf(dq_name, sizeof(dq_name), "spg_sdq_%u", seq++);
	/* One item per delete and one per rekey waits out a grace period; a full queue only
	 * makes defer() wait one out, so room for every session plus some rekeys is enough. */
	dqp.size = max_sessions + 64;
	dqp.trigger_reclaim_limit = 64;
	dqp.max_reclaim_size = dqp.size;
	dqp.p = t;
	t->dq = rte_rcu_qsbr_dq_create(&dqp);
	if (t->dq == NULL)
		goto fail;
	return t;

nomem:
	rte_errno = ENOMEM;
fail:
	{
		int err = rte_errno;

		spg_session_table_free(t);
		rte_errno = err;
	}
	return NULL;
}

void spg_session_table_free(struct spg_session_table *t)
{
	if (t == NULL)
		return;
	if (t->dq != NULL) {
		rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
		rte_rcu_qsbr_dq_delete(t->dq);
	}
	if (t->slots != NULL && t->esp != NULL) {
		for (uint32_t i = 0; i < t->capacity; i++) {
			struct spg_session *s = &t->slots[i];

			if (s->in_use && s->id != 0) {
				spg_sa_free(t->esp, s->sa_out);
				spg_sa_free(t->esp, s->sa_in);
			}
		}
	}
	rte_hash_free(t->by_vip);
	rte_hash_free(t->by_spi);
	rte_hash_free(t->by_id);
	spg_key_guard_free(t->keys);
	for (unsigned int w = 0; w < t->n_counter_sets; w++)
		rte_free(t->counters[w]);
	rte_free(t->free_stack);
	rte_free(t->ctl);
	rte_free(t->slots);
	rte_free(t);
}

int spg_session_table_alloc_counters(struct spg_session_table *t, unsigned int n_workers)
{
	if (n_workers > RTE_MAX_LCORE)
		return -EINVAL;
	for (unsigned int w = t->n_counter_sets; w < n_workers; w++) {
		t->counters[w] = rte_zmalloc("spg_sess_counters",
					     sizeof(struct spg_sess_counters) * (size_t)t->capacity,
					     RTE_CACHE_LINE_SIZE);
		if (t->counters[w] == NULL)
			return -ENOMEM;
		t->n_counter_sets = w + 1;
	}
	return 0;
}

struct spg_sess_counters *spg_session_table_counters(struct spg_session_table *t, unsigned int w)
{
	return w < t->n_counter_sets ? t->counters[w] : NULL;
}

void spg_session_counters_sum(struct spg_session_table *t, uint32_t index, struct spg_sess_counters *sum)
{
	memset(sum, 0, sizeof(*sum));
	if (index >= t->capacity)
		return;
	for (unsigned int w = 0; w < t->n_counter_sets; w++) {
		const struct spg_sess_counters *c = &t->counters[w][index];

		sum->out.packets += c->out.packets;
		sum->out.bytes += c->out.bytes;
		sum->out.drops += c->out.drops;
		sum->in.packets += c->in.packets;
		sum->in.bytes += c->in.bytes;
		sum->in.drops += c->in.drops;
		sum->rec_dropped += c->rec_dropped;
	}
}

static void assert_control_thread(void)
{
	/* Workers only read the table; writing from one would break the lock-free readers. */
	RTE_ASSERT(rte_lcore_id() == rte_get_main_lcore() || rte_lcore_id() == LCORE_ID_ANY);
}

static int defer(struct spg_session_table *t, struct defer_item *item)
{
	if (rte_rcu_qsbr_dq_enqueue(t->dq, item) == 0)
		return 0;
	/* Queue full of items still in their grace period: wait one out, then retry. */
	rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
	rte_rcu_qsbr_dq_reclaim(t->dq, UINT32_MAX, NULL, NULL, NULL);
	return rte_rcu_qsbr_dq_enqueue(t->dq, item) == 0 ? 0 : -rte_errno;
}

static int meter_set(struct spg_session_table *t, struct spg_meter *mt, const struct spg_dp_rate *rate)
{
	struct spg_meter fresh;
	int rc;

	rc = spg_meter_config(&fresh, rate);
	if (rc != 0)
		return rc;
	/* A single worker meters without the lock: switch metering off, wait until no worker
	 * can still be inside the old state, then rewrite it and switch back on. The lock
	 * still orders this against workers that share sessions. */
	__atomic_store_n(&mt->limited, false, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
	rte_spinlock_lock(&mt->lock);
	mt->m = fresh.m;
	mt->prof = fresh.prof;
	rte_spinlock_unlock(&mt->lock);
	__atomic_store_n(&mt->limited, fresh.limited, __ATOMIC_RELEASE);
	return 0;
}

static void filter_set(struct spg_session_table *t, struct spg_session *s,
		       const struct spg_dp_session_params *p, bool live)
{
	uint8_t next = s->filter_active ^ 1;

	/* A reader may still be in the inactive copy from the previous update. */
	if (live)
		rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
	spg_port_filter_init(&s->filter[next], p);
	__atomic_store_n(&s->filter_active, next, __ATOMIC_RELEASE);
}

static uint64_t peer_of(const struct spg_dp_session_params *p)
{
	return spg_peer_pack(p->peer_addr, rte_cpu_to_be_16(p->peer_port));
}

static void counters_zero(struct spg_session_table *t, uint32_t index)
{
	for (unsigned int w = 0; w < t->n_counter_sets; w++)
		memset(&t->counters[w][index], 0, sizeof(struct spg_sess_counters));
}

/* Why the keys of p are not fresh for session c (NULL for a new one), or NULL when they are. */
static const char *keys_not_fresh(const struct spg_session_table *t, const struct spg_session_ctl *c,
				  uint64_t fp_out, uint64_t fp_in)
{
	if (fp_out == fp_in)
		return "the same key for both directions";
	if (c != NULL && (fp_out == c->fp_out || fp_out == c->fp_in || fp_in == c->fp_out || fp_in == c->fp_in))
		return "a key equal to one the session has now";
	if (c != NULL && (fp_out == c->prev_fp_out || fp_out == c->prev_fp_in || fp_in == c->prev_fp_out ||
			  fp_in == c->prev_fp_in))
		return "a key equal to one the session had before its last rekey";
	if (spg_key_guard_seen(t->keys, fp_out) || spg_key_guard_seen(t->keys, fp_in))
		return "a key another session has, or one spgate-dp used before";
	return NULL;
}

/* 0, or -EEXIST after saying why: an SA under a used key would repeat its GCM nonces. */
static int check_fresh_keys(const struct spg_session_table *t, const struct spg_session_ctl *c, uint64_t id,
			    uint64_t fp_out, uint64_t fp_in)
{
	const char *why = keys_not_fresh(t, c, fp_out, fp_in);

	if (why == NULL)
		return 0;
	RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": %s refused: %s (AES-GCM nonces would repeat)\n", id,
		c == NULL ? "add" : "rekey", why);
	return -EEXIST;
}

static void claim_keys(struct spg_session_table *t, uint64_t id, uint64_t fp_out, uint64_t fp_in)
{
	/* Cannot fail: both were checked unseen, and the guard has room for every session's pair. */
	if (spg_key_guard_claim(t->keys, fp_out) != 0 || spg_key_guard_claim(t->keys, fp_in) != 0)
		RTE_LOG(ERR, USER1, "session %" PRIu64 ": its keys could not be recorded as used\n", id);
}

int spg_session_add(struct spg_session_table *t, const struct spg_dp_session_params *p)
{
	uint64_t fp_out, fp_in;
	struct spg_session *s;
	uint32_t index;
	int rc;

	assert_control_thread();
	if (p->id == 0 || p->virtual_addr == 0 || p->sa_in.spi == 0)
		return -EINVAL;
	if (rte_hash_lookup(t->by_id, &p->id) >= 0 || rte_hash_lookup(t->by_vip, &p->virtual_addr) >= 0 ||
	    rte_hash_lookup(t->by_spi, &p->sa_in.spi) >= 0)
		return -EEXIST;
	fp_out = spg_key_fp(t->keys, &p->sa_out);
	fp_in = spg_key_fp(t->keys, &p->sa_in);
	rc = check_fresh_keys(t, NULL, p->id, fp_out, fp_in);
	if (rc != 0)
		return rc;
	if (t->n_free == 0) {
		/* Deleted sessions' slots may only be waiting for their grace period. */
		rte_rcu_qsbr_dq_reclaim(t->dq, UINT32_MAX, NULL, NULL, NULL);
		if (t->n_free == 0 && t->count < t->capacity) {
			rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
			rte_rcu_qsbr_dq_reclaim(t->dq, UINT32_MAX, NULL, NULL, NULL);
		}
		if (t->n_free == 0)
			return -ENOSPC;
	}
	index = t->free_stack[--t->n_free];
	s = &t->slots[index];

	memset(s, 0, sizeof(*s));
	s->index = index;
	s->id = p->id;
	s->virtual_addr = p->virtual_addr;
	s->workstation_addr = p->workstation_addr;
	s->peer = peer_of(p);
	t->ctl[index] = (struct spg_session_ctl){
		.created_tsc = rte_get_tsc_cycles(),
		.rate_out = p->rate_out,
		.rate_in = p->rate_in,
		.fp_out = fp_out,
		.fp_in = fp_in,
		.outer_src = p->outer_src,
	};
	spg_port_filter_init(&s->filter[0], p);
	rc = spg_meter_config(&s->meter_out, &p->rate_out);
	if (rc == 0)
		rc = spg_meter_config(&s->meter_in, &p->rate_in);
	if (rc != 0)
		goto undo_slot;

	s->sa_out = spg_sa_create_from(t->esp, &p->sa_out, true, p->outer_src);
	if (s->sa_out == NULL)
		goto undo_crypto;
	s->sa_in = spg_sa_create(t->esp, &p->sa_in, false);
	if (s->sa_in == NULL)
		goto undo_crypto;
	counters_zero(t, index);
	s->in_use = true;

	/* Inbound first, so the SP's first reply finds the session; V_i last, because that is
	 * what lets the vendor side's traffic in. */
	rc = rte_hash_add_key_data(t->by_id, &s->id, s);
	if (rc != 0)
		goto undo_sa;
	rc = rte_hash_add_key_data(t->by_spi, &p->sa_in.spi, s);
	if (rc != 0)
		goto undo_id;
	rc = rte_hash_add_key_data(t->by_vip, &s->virtual_addr, s);
	if (rc != 0)
		goto undo_spi;
	claim_keys(t, s->id, fp_out, fp_in);
	t->count++;
	t->ids_acc ^= spg_dp_id_mix(s->id);
	return 0;

undo_spi:
	rte_hash_del_key(t->by_spi, &p->sa_in.spi);
undo_id:
	rte_hash_del_key(t->by_id, &s->id);
undo_sa:
	s->in_use = false;
	/* No reader ever saw these SAs: by_spi/by_vip never held them, or held them only
	 * between an add and a delete a grace period must cover. */
	rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
	rc = rc == -ENOSPC ? -ENOSPC : (rc < 0 ? rc : -EIO);
	goto free_sa;
undo_crypto:
	rc = rte_errno > 0 ? -rte_errno : -EIO;
free_sa:
	if (s->sa_out != NULL)
		spg_sa_free(t->esp, s->sa_out);
	if (s->sa_in != NULL)
		spg_sa_free(t->esp, s->sa_in);
	s->sa_out = s->sa_in = NULL;
undo_slot:
	s->id = 0;
	t->free_stack[t->n_free++] = index;
	return rc;
}

static int rekey(struct spg_session_table *t, struct spg_session *s, const struct spg_dp_session_params *p)
{
	struct defer_item old = { .index = NO_SLOT };
	struct spg_session_ctl *c = &t->ctl[s->index];
	uint64_t fp_out = spg_key_fp(t->keys, &p->sa_out), fp_in = spg_key_fp(t->keys, &p->sa_in);
	struct spg_sa *sa_out, *sa_in;
	/* the key the SPI hash holds for the session: its inbound SA's SPI (the hash keeps a copy) */
	uint32_t old_spi = spg_sa_spi(s->sa_in);
	int rc;

	if (p->sa_in.spi != old_spi && rte_hash_lookup(t->by_spi, &p->sa_in.spi) >= 0)
		return -EEXIST;
	rc = check_fresh_keys(t, c, s->id, fp_out, fp_in);
	if (rc != 0)
		return rc;
	/* the session keeps its outer source (an update cannot name another) */
	sa_out = spg_sa_create_from(t->esp, &p->sa_out, true, c->outer_src);
	if (sa_out == NULL)
		return rte_errno > 0 ? -rte_errno : -EIO;
	sa_in = spg_sa_create(t->esp, &p->sa_in, false);
	if (sa_in == NULL) {
		rc = rte_errno > 0 ? -rte_errno : -EIO;
		spg_sa_free(t->esp, sa_out);
		return rc;
	}
	spg_key_guard_retire(t->keys, c->fp_out);
	spg_key_guard_retire(t->keys, c->fp_in);
	claim_keys(t, s->id, fp_out, fp_in);
	c->prev_fp_out = c->fp_out;
	c->prev_fp_in = c->fp_in;
	c->fp_out = fp_out;
	c->fp_in = fp_in;
	old.sa_out = s->sa_out;
	old.sa_in = s->sa_in;
	__atomic_store_n(&s->sa_out, sa_out, __ATOMIC_RELEASE);
	__atomic_store_n(&s->sa_in, sa_in, __ATOMIC_RELEASE);
	if (p->sa_in.spi != old_spi) {
		rc = rte_hash_add_key_data(t->by_spi, &p->sa_in.spi, s);
		if (rc != 0)
			RTE_LOG(ERR, USER1, "session %" PRIu64 ": new SPI not indexed (%d)\n", s->id, rc);
		rte_hash_del_key(t->by_spi, &old_spi);
	}
	return defer(t, &old);
}

int spg_session_update(struct spg_session_table *t, uint32_t what, const struct spg_dp_session_params *p)
{
	struct spg_session *s;
	int rc;

	assert_control_thread();
	if (what == 0 || (what & ~(uint32_t)SPG_DP_UPD_ALL) != 0)
		return -EINVAL;
	s = spg_session_find(t, p->id);
	if (s == NULL)
		return -ENOENT;
	if (what & SPG_DP_UPD_RATE) {
		struct spg_meter probe;

		/* Check both rates before changing either. */
		if (spg_meter_config(&probe, &p->rate_out) != 0 || spg_meter_config(&probe, &p->rate_in) != 0)
			return -EINVAL;
	}
	if (what & SPG_DP_UPD_KEYS) {
		rc = rekey(t, s, p);
		if (rc != 0)
			return rc;
	}
	if (what & SPG_DP_UPD_ENDPOINT)
		__atomic_store_n(&s->peer, peer_of(p), __ATOMIC_RELEASE);
	if (what & SPG_DP_UPD_RATE) {
		meter_set(t, &s->meter_out, &p->rate_out);
		meter_set(t, &s->meter_in, &p->rate_in);
		t->ctl[s->index].rate_out = p->rate_out;
		t->ctl[s->index].rate_in = p->rate_in;
	}
	if (what & SPG_DP_UPD_PORTS)
		filter_set(t, s, p, true);
	return 0;
}

int spg_session_del(struct spg_session_table *t, uint64_t id)
{
	struct defer_item item;
	struct spg_session *s;
	uint32_t spi_in;

	assert_control_thread();
	s = spg_session_find(t, id);
	if (s == NULL)
		return -ENOENT;
	rte_hash_del_key(t->by_vip, &s->virtual_addr);
	spi_in = spg_sa_spi(s->sa_in);
	rte_hash_del_key(t->by_spi, &spi_in);
	rte_hash_del_key(t->by_id, &s->id);
	/* Its keys stay known as used: re-adding the session needs new ones. */
	spg_key_guard_retire(t->keys, t->ctl[s->index].fp_out);
	spg_key_guard_retire(t->keys, t->ctl[s->index].fp_in);
	t->ids_acc ^= spg_dp_id_mix(s->id);
	s->id = 0;
	t->count--;
	item = (struct defer_item){ .index = s->index, .sa_out = s->sa_out, .sa_in = s->sa_in };
	return defer(t, &item);
}

int spg_session_set_joiners(struct spg_session_table *t, uint64_t id, const uint32_t joiners[SPG_DP_MAX_JOINERS])
{
	struct spg_session *s;
	bool cut = false;

	assert_control_thread();
	s = spg_session_find(t, id);
	if (s == NULL)
		return -ENOENT;
	for (unsigned int j = 0; j < SPG_DP_MAX_JOINERS; j++) {
		if (joiners[j] == 0)
			continue;
		if (joiners[j] == s->workstation_addr)
			return -EINVAL;
		for (unsigned int k = j + 1; k < SPG_DP_MAX_JOINERS; k++)
			if (joiners[k] == joiners[j])
				return -EINVAL;
	}
	for (unsigned int j = 0; j < SPG_DP_MAX_JOINERS; j++) {
		if (s->joiner_addr[j] == joiners[j])
			continue;
		cut |= s->joiner_addr[j] != 0;
		__atomic_store_n(&s->joiner_addr[j], joiners[j], __ATOMIC_RELEASE);
	}
	/* A worker in the middle of a burst may still have forwarded with the old address:
	 * after a grace period none can, so "removed" means nothing more gets through. */
	if (cut)
		rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
	return 0;
}

void spg_session_set_peer(struct spg_session_table *t, uint32_t index, uint64_t peer)
{
	if (index < t->capacity && t->slots[index].in_use && t->slots[index].id != 0)
		__atomic_store_n(&t->slots[index].peer, peer, __ATOMIC_RELEASE);
}

void spg_session_table_reclaim(struct spg_session_table *t)
{
	rte_rcu_qsbr_dq_reclaim(t->dq, UINT32_MAX, NULL, NULL, NULL);
}

struct spg_session *spg_session_find(struct spg_session_table *t, uint64_t id)
{
	void *data;

	if (rte_hash_lookup_data(t->by_id, &id, &data) < 0)
		return NULL;
	return data;
}

struct spg_session *spg_session_next(struct spg_session_table *t, uint32_t *cursor)
{
	for (uint32_t i = *cursor; i < t->capacity; i++) {
		if (t->slots[i].in_use && t->slots[i].id != 0) {
			*cursor = i + 1;
			return &t->slots[i];
		}
	}
	*cursor = t->capacity;
	return NULL;
}

uint32_t spg_session_count(const struct spg_session_table *t)
{
	return t->count;
}

uint32_t spg_session_ids_hash(const struct spg_session_table *t)
{
	return spg_dp_ids_fold(t->ids_acc);
}

uint32_t spg_session_capacity(const struct spg_session_table *t)
{
	return t->capacity;
}

struct spg_session *spg_session_at(struct spg_session_table *t, uint32_t index)
{
	return index < t->capacity ? &t->slots[index] : NULL;
}

const struct spg_session_ctl *spg_session_ctl_of(const struct spg_session_table *t, const struct spg_session *s)
{
	return &t->ctl[s->index];
}

/*
 * Looks up each run of equal keys once: a session's packets tend to come in runs (a transfer
 * fills whole bursts), and with one busy session the table's bulk lookup was a tenth of
 * outbound's cycles (profiled, whole spgate-dp against ipsec-secgw). With keys spread at
 * random the extra compares cost next to nothing.
 */
static void lookup_bulk(struct rte_hash *h, const uint32_t keys[], uint32_t n, struct spg_session *out[])
{
	const void *key_ptrs[RTE_HASH_LOOKUP_BULK_MAX];
	void *data[RTE_HASH_LOOKUP_BULK_MAX];
	uint8_t run_of[RTE_HASH_LOOKUP_BULK_MAX];
	uint64_t hits = 0;
	uint32_t n_runs = 0;

	RTE_ASSERT(n <= RTE_HASH_LOOKUP_BULK_MAX);
	for (uint32_t i = 0; i < n; i++) {
		if (i == 0 || keys[i] != keys[i - 1])
			key_ptrs[n_runs++] = &keys[i];
		run_of[i] = (uint8_t)(n_runs - 1);
	}
	if (n_runs > 0)
		rte_hash_lookup_bulk_data(h, key_ptrs, n_runs, &hits, data);
	for (uint32_t i = 0; i < n; i++)
		out[i] = (hits >> run_of[i]) & 1 ? data[run_of[i]] : NULL;
}

uint32_t spg_session_table_count(const struct spg_session_table *t)
{
	return __atomic_load_n(&t->count, __ATOMIC_RELAXED);
}

void spg_session_lookup_vip_bulk(struct spg_session_table *t, const uint32_t keys[], uint32_t n,
				 struct spg_session *out[])
{
	lookup_bulk(t->by_vip, keys, n, out);
}

void spg_session_lookup_spi_bulk(struct spg_session_table *t, const uint32_t keys[], uint32_t n,
				 struct spg_session *out[])
{
	lookup_bulk(t->by_spi, keys, n, out);
}
