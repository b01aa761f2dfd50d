/* SPDX-License-Identifier: BSD-3-Clause */
/* The session table: indexes, refusals, updates, lock-free readers during writes, and keys
 * never installed twice. */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "esp.h"
#include "key_guard.h"
#include "session.h"
#include "unit.h"

#define SMALL 4

static struct spg_esp *esp;
static struct rte_rcu_qsbr *qsbr;

static int suite_init(void)
{
	struct spg_esp_config ec = {
		.crypto_device = "crypto_aesni_mb",
		.key_len = 16,
		.replay_window = 128,
		.udp_port = 4500,
		.local_addr = RTE_BE32(0xcb007101), /* 203.0.113.1 */
		.n_queue_pairs = 1,
		.max_sas = 4096,
		.socket_id = 0,
	};
	size_t sz;

	if (unit_eal_init("test_session_table", NULL) != 0)
		return -1;
	esp = spg_esp_create(&ec);
	sz = rte_rcu_qsbr_get_memsize(1);
	qsbr = rte_zmalloc(NULL, sz, RTE_CACHE_LINE_SIZE);
	if (esp == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, 1) != 0)
		return -1;
	return 0;
}

static int suite_clean(void)
{
	spg_esp_free(esp);
	rte_free(qsbr);
	return 0;
}

/* A key no other call gave: the table refuses a key it has seen (AES-GCM nonce reuse). */
static void fresh_key(uint8_t *key)
{
	static uint32_t serial;
	uint32_t n = __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED);

	memset(key, 0x5a, 16);
	memcpy(key, &n, sizeof(n));
}

/* Session id's parameters, with keys of their own on every call. */
static struct spg_dp_session_params params(uint64_t id)
{
	struct spg_dp_session_params p = { 0 };

	p.id = id;
	p.virtual_addr = htonl(0xc6130000u + (uint32_t)id);     /* 198.19.x.y */
	p.workstation_addr = htonl(0xc633640au);                /* 198.51.100.10 */
	p.peer_addr = htonl(0xcb007100u + (uint32_t)(id & 0xff)); /* 203.0.113.x */
	p.peer_port = 4500;
	p.icmp_echo = 1;
	p.n_port_ranges = 1;
	p.ports[0] = (struct spg_dp_port_range){ .proto = 6, .lo = 22, .hi = 22 };
	p.sa_out.spi = htonl(0x100000u + (uint32_t)id);
	p.sa_in.spi = htonl(0x200000u + (uint32_t)id);
	p.sa_out.key_len = p.sa_in.key_len = 16;
	fresh_key(p.sa_out.key);
	fresh_key(p.sa_in.key);
	return p;
}

static struct spg_session_table *table(uint32_t n)
{
	struct spg_session_table *t = spg_session_table_create(n, 0, qsbr, esp);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(spg_session_table_alloc_counters(t, 1), 0);
	return t;
}

static struct spg_session *by_vip(struct spg_session_table *t, uint32_t vip)
{
	struct spg_session *s;

	spg_session_lookup_vip_bulk(t, &vip, 1, &s);
	return s;
}

static struct spg_session *by_spi(struct spg_session_table *t, uint32_t spi)
{
	struct spg_session *s;

	spg_session_lookup_spi_bulk(t, &spi, 1, &s);
	return s;
}

static void added_session_is_found_by_id_virtual_address_and_spi(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params p = params(7);
	struct spg_session *s;

	CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	s = spg_session_find(t, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_EQUAL(by_vip(t, p.virtual_addr), s);
	CU_ASSERT_PTR_EQUAL(by_spi(t, p.sa_in.spi), s);
	CU_ASSERT_PTR_NULL(by_spi(t, p.sa_out.spi)); /* only the inbound SPI is a key */
	CU_ASSERT_EQUAL(s->workstation_addr, p.workstation_addr);
	CU_ASSERT_EQUAL(spg_peer_addr(s->peer), p.peer_addr);
	CU_ASSERT_EQUAL(spg_peer_port(s->peer), htons(4500));
	CU_ASSERT_EQUAL(spg_sa_spi(s->sa_out), p.sa_out.spi);
	CU_ASSERT_EQUAL(spg_sa_spi(s->sa_in), p.sa_in.spi);
	CU_ASSERT_EQUAL(spg_session_count(t), 1);
	spg_session_table_free(t);
}

static void add_refuses_duplicate_id_virtual_address_or_spi(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params p = params(1), q;

	CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	q = params(2);
	q.id = 1;
	CU_ASSERT_EQUAL(spg_session_add(t, &q), -EEXIST);
	q = params(2);
	q.virtual_addr = p.virtual_addr;
	CU_ASSERT_EQUAL(spg_session_add(t, &q), -EEXIST);
	q = params(2);
	q.sa_in.spi = p.sa_in.spi;
	CU_ASSERT_EQUAL(spg_session_add(t, &q), -EEXIST);
	CU_ASSERT_EQUAL(spg_session_count(t), 1);
	q = params(2);
	CU_ASSERT_EQUAL(spg_session_add(t, &q), 0);
	spg_session_table_free(t);
}

static void full_table_refuses_then_reuses_a_deleted_slot(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params p;

	for (uint64_t id = 1; id <= SMALL; id++) {
		p = params(id);
		CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	}
	p = params(SMALL + 1);
	CU_ASSERT_EQUAL(spg_session_add(t, &p), -ENOSPC);
	CU_ASSERT_EQUAL(spg_session_del(t, 2), 0);
	CU_ASSERT_PTR_NULL(spg_session_find(t, 2));
	CU_ASSERT_PTR_NULL(by_vip(t, params(2).virtual_addr));
	CU_ASSERT_PTR_NULL(by_spi(t, params(2).sa_in.spi));
	/* No reader is online, so the grace period is over at once and the slot comes back. */
	CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	CU_ASSERT_EQUAL(spg_session_count(t), SMALL);
	spg_session_table_free(t);
}

static void table_of_1024_takes_exactly_1024_sessions(void)
{
	struct spg_session_table *t = table(1024);
	struct spg_dp_session_params p;
	unsigned int added = 0;

	for (uint64_t id = 1; id <= 1024; id++) {
		p = params(id);
		if (spg_session_add(t, &p) == 0)
			added++;
	}
	CU_ASSERT_EQUAL(added, 1024);
	CU_ASSERT_EQUAL(spg_session_count(t), 1024);
	CU_ASSERT_PTR_NOT_NULL(by_vip(t, params(1024).virtual_addr));
	CU_ASSERT_PTR_NOT_NULL(by_spi(t, params(1024).sa_in.spi));
	p = params(1025);
	CU_ASSERT_EQUAL(spg_session_add(t, &p), -ENOSPC);
	spg_session_table_free(t);
}

static void delete_of_unknown_id_is_enoent(void)
{
	struct spg_session_table *t = table(SMALL);

	CU_ASSERT_EQUAL(spg_session_del(t, 99), -ENOENT);
	spg_session_table_free(t);
}

static void bad_keys_are_refused_and_leave_nothing_behind(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params p = params(3);

	p.sa_in.key_len = 7;
	CU_ASSERT_NOT_EQUAL(spg_session_add(t, &p), 0);
	CU_ASSERT_EQUAL(spg_session_count(t), 0);
	CU_ASSERT_PTR_NULL(spg_session_find(t, 3));
	CU_ASSERT_PTR_NULL(by_vip(t, p.virtual_addr));
	p = params(3);
	CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	spg_session_table_free(t);
}

static void update_moves_endpoint_rate_ports_and_rekeys(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params p = params(5);
	uint32_t old_spi = p.sa_in.spi;
	struct spg_session *s;

	CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	s = spg_session_find(t, 5);
	p.peer_addr = htonl(0xcb007163u);
	p.peer_port = 61000;
	CU_ASSERT_EQUAL(spg_session_update(t, SPG_DP_UPD_ENDPOINT, &p), 0);
	CU_ASSERT_EQUAL(spg_peer_addr(s->peer), htonl(0xcb007163u));
	CU_ASSERT_EQUAL(spg_peer_port(s->peer), htons(61000));

	p.rate_out = (struct spg_dp_rate){ .bytes_per_sec = 4200, .burst_bytes = 3000 };
	CU_ASSERT_EQUAL(spg_session_update(t, SPG_DP_UPD_RATE, &p), 0);
	CU_ASSERT_TRUE(s->meter_out.limited);
	CU_ASSERT_FALSE(s->meter_in.limited);
	CU_ASSERT_EQUAL(spg_session_ctl_of(t, s)->rate_out.bytes_per_sec, 4200);

	p.n_port_ranges = 2;
	p.ports[1] = (struct spg_dp_port_range){ .proto = 17, .lo = 161, .hi = 162 };
	CU_ASSERT_EQUAL(spg_session_update(t, SPG_DP_UPD_PORTS, &p), 0);
	CU_ASSERT_EQUAL(spg_session_filter(s)->n_ranges, 2);
	CU_ASSERT_EQUAL(spg_session_filter(s)->ranges[1].hi, 162);

	fresh_key(p.sa_in.key);
	fresh_key(p.sa_out.key);
	p.sa_in.spi = htonl(0x300005u);
	p.sa_out.spi = htonl(0x400005u);
	CU_ASSERT_EQUAL(spg_session_update(t, SPG_DP_UPD_KEYS, &p), 0);
	CU_ASSERT_PTR_EQUAL(by_spi(t, p.sa_in.spi), s);
	CU_ASSERT_PTR_NULL(by_spi(t, old_spi));
	CU_ASSERT_EQUAL(spg_sa_spi(s->sa_out), p.sa_out.spi);

	CU_ASSERT_EQUAL(spg_session_update(t, 1u << 7, &p), -EINVAL);
	p.id = 77;
	CU_ASSERT_EQUAL(spg_session_update(t, SPG_DP_UPD_RATE, &p), -ENOENT);
	spg_session_table_free(t);
}

static void rekey_to_an_spi_in_use_is_refused(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params a = params(1), b = params(2);

	CU_ASSERT_EQUAL(spg_session_add(t, &a), 0);
	CU_ASSERT_EQUAL(spg_session_add(t, &b), 0);
	b = params(2); /* fresh keys: only the SPI is wrong */
	b.sa_in.spi = a.sa_in.spi;
	CU_ASSERT_EQUAL(spg_session_update(t, SPG_DP_UPD_KEYS, &b), -EEXIST);
	CU_ASSERT_PTR_EQUAL(by_spi(t, a.sa_in.spi), spg_session_find(t, 1));
	spg_session_table_free(t);
}

/* Rekeys p's session to new SPIs (n names them) with the keys in p. */
static int rekey_to(struct spg_session_table *t, struct spg_dp_session_params *p, uint32_t n)
{
	p->sa_in.spi = htonl(0x500000u + n);
	p->sa_out.spi = htonl(0x600000u + n);
	return spg_session_update(t, SPG_DP_UPD_KEYS, p);
}

/* Every SA counts from 1 again: the same key would send the same GCM nonces twice. */
static void rekey_to_the_current_or_previous_keys_is_refused(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params p = params(9), first, second;
	struct spg_session *s;

	CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	s = spg_session_find(t, 9);
	first = p;
	/* the attack first: the keys it has now, once per direction, and crossed over */
	CU_ASSERT_EQUAL(rekey_to(t, &p, 1), -EEXIST);
	p = first;
	fresh_key(p.sa_in.key);
	CU_ASSERT_EQUAL(rekey_to(t, &p, 2), -EEXIST); /* outbound key unchanged */
	p = first;
	memcpy(p.sa_out.key, first.sa_in.key, 16);
	fresh_key(p.sa_in.key);
	CU_ASSERT_EQUAL(rekey_to(t, &p, 3), -EEXIST); /* the inbound key sent out */
	p = first;
	fresh_key(p.sa_out.key);
	memcpy(p.sa_in.key, p.sa_out.key, 16);
	CU_ASSERT_EQUAL(rekey_to(t, &p, 4), -EEXIST); /* one key both ways */
	/* refused means untouched */
	CU_ASSERT_EQUAL(spg_sa_spi(s->sa_in), first.sa_in.spi);
	CU_ASSERT_PTR_EQUAL(by_spi(t, first.sa_in.spi), s);
	CU_ASSERT_PTR_NULL(by_spi(t, htonl(0x500001u)));

	p = params(9);
	CU_ASSERT_EQUAL(rekey_to(t, &p, 5), 0);
	second = p;
	p = first; /* back to the previous keys */
	CU_ASSERT_EQUAL(rekey_to(t, &p, 6), -EEXIST);
	p = second;
	CU_ASSERT_EQUAL(rekey_to(t, &p, 7), -EEXIST);
	CU_ASSERT_EQUAL(spg_sa_spi(s->sa_in), htonl(0x500005u));
	p = params(9);
	CU_ASSERT_EQUAL(rekey_to(t, &p, 8), 0);
	p = first; /* two generations back */
	CU_ASSERT_EQUAL(rekey_to(t, &p, 9), -EEXIST);
	spg_session_table_free(t);
}

/* spgate-control re-adds a session after losing it: with the keys it had, it must not. */
static void readd_after_delete_with_the_same_keys_is_refused(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params p = params(4), q;

	CU_ASSERT_EQUAL(spg_session_add(t, &p), 0);
	CU_ASSERT_EQUAL(spg_session_del(t, 4), 0);
	spg_session_table_reclaim(t);
	CU_ASSERT_EQUAL(spg_session_add(t, &p), -EEXIST);
	CU_ASSERT_PTR_NULL(spg_session_find(t, 4));
	q = params(4);
	q.sa_in = p.sa_in; /* one old key is enough */
	CU_ASSERT_EQUAL(spg_session_add(t, &q), -EEXIST);
	q = params(4);
	CU_ASSERT_EQUAL(spg_session_add(t, &q), 0);
	spg_session_table_free(t);
}

static void add_with_a_key_of_another_session_is_refused(void)
{
	struct spg_session_table *t = table(SMALL);
	struct spg_dp_session_params a = params(1), b;

	CU_ASSERT_EQUAL(spg_session_add(t, &a), 0);
	b = params(2);
	memcpy(b.sa_out.key, a.sa_out.key, 16);
	CU_ASSERT_EQUAL(spg_session_add(t, &b), -EEXIST);
	b = params(2);
	memcpy(b.sa_in.key, a.sa_out.key, 16);
	CU_ASSERT_EQUAL(spg_session_add(t, &b), -EEXIST);
	b = params(2);
	memcpy(b.sa_in.key, b.sa_out.key, 16);
	CU_ASSERT_EQUAL(spg_session_add(t, &b), -EEXIST);
	CU_ASSERT_EQUAL(spg_session_count(t), 1);
	b = params(2);
	CU_ASSERT_EQUAL(spg_session_add(t, &b), 0);
	spg_session_table_free(t);
}

/* The guard's table itself: keys in use never forgotten, retired ones as long as there is
 * room, and deletions (backward shifts) that lose no other entry. */
static void key_guard_keeps_live_keys_and_the_latest_retired(void)
{
	struct spg_key_guard *g = spg_key_guard_create(64);
	struct spg_dp_sa_keys k = { .key_len = 16 };
	uint64_t live[64], old[2000];
	uint32_t n_live, n_retired, lost = 0, kept = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(g);
	for (int i = 0; i < 64; i++) {
		fresh_key(k.key);
		live[i] = spg_key_fp(g, &k);
		CU_ASSERT_FALSE(spg_key_guard_seen(g, live[i]));
		CU_ASSERT_EQUAL(spg_key_guard_claim(g, live[i]), 0);
	}
	fresh_key(k.key);
	CU_ASSERT_EQUAL(spg_key_guard_claim(g, spg_key_fp(g, &k)), -ENOSPC);
	CU_ASSERT_EQUAL(spg_key_guard_claim(g, live[3]), -EEXIST);
	/* 2,000 keys come and go through one slot while 63 stay */
	for (int i = 0; i < 2000; i++) {
		spg_key_guard_retire(g, live[0]);
		fresh_key(k.key);
		old[i] = live[0];
		live[0] = spg_key_fp(g, &k);
		CU_ASSERT_EQUAL(spg_key_guard_claim(g, live[0]), 0);
	}
	for (int i = 0; i < 64; i++)
		lost += !spg_key_guard_seen(g, live[i]);
	CU_ASSERT_EQUAL(lost, 0);
	spg_key_guard_count(g, &n_live, &n_retired);
	CU_ASSERT_EQUAL(n_live, 64);
	CU_ASSERT_EQUAL(n_retired, 64 / 2 + 256);
	for (int i = 0; i < 2000; i++)
		kept += spg_key_guard_seen(g, old[i]);
	CU_ASSERT_EQUAL(kept, n_retired);
	for (int i = 2000 - (int)n_retired; i < 2000; i++)
		CU_ASSERT_TRUE(spg_key_guard_seen(g, old[i]));
	k.key[0] ^= 1;
	CU_ASSERT_NOT_EQUAL(spg_key_fp(g, &k), 0);
	spg_key_guard_free(g);
}

struct reader_state {
	struct spg_session_table *t;
	volatile bool stop;
	uint64_t lookups; /* written by the reader, polled by the writer */
	uint64_t hits, inconsistent;
};

/* A worker's view: every session it finds must be whole and be the one it asked for. */
static void *reader(void *arg)
{
	struct reader_state *rs = arg;
	uint32_t keys[8];
	struct spg_session *out[8];

	rte_rcu_qsbr_thread_register(qsbr, 0);
	rte_rcu_qsbr_thread_online(qsbr, 0);
	while (!rs->stop) {
		for (uint32_t i = 0; i < 8; i++)
			keys[i] = params(1 + (rs->lookups + i) % 64).virtual_addr;
		spg_session_lookup_vip_bulk(rs->t, keys, 8, out);
		for (uint32_t i = 0; i < 8; i++) {
			const struct spg_session *s = out[i];

			if (s == NULL)
				continue;
			rs->hits++;
			if (s->virtual_addr != keys[i] || s->sa_in == NULL || s->sa_out == NULL ||
			    spg_peer_port(s->peer) != htons(4500))
				rs->inconsistent++;
		}
		__atomic_store_n(&rs->lookups, rs->lookups + 8, __ATOMIC_RELAXED);
		rte_rcu_qsbr_quiescent(qsbr, 0);
	}
	rte_rcu_qsbr_thread_offline(qsbr, 0);
	rte_rcu_qsbr_thread_unregister(qsbr, 0);
	return NULL;
}

static void readers_see_whole_sessions_while_the_writer_adds_and_deletes(void)
{
	struct reader_state rs = { .t = table(32) };
	pthread_t th;
	unsigned int seed = 12345;
	int adds = 0, dels = 0;
	cpu_set_t all;

	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, reader, &rs), 0);
	/* EAL pinned this thread to one core; let the reader run beside it, as a worker would. */
	CPU_ZERO(&all);
	for (int c = 0; c < CPU_SETSIZE && c < 64; c++)
		CPU_SET(c, &all);
	pthread_setaffinity_np(th, sizeof(all), &all);
	/* Start writing once the reader reads (bounded wait: 5 s). */
	for (int i = 0; i < 5000 && __atomic_load_n(&rs.lookups, __ATOMIC_RELAXED) == 0; i++)
		rte_delay_us_sleep(1000);
	for (int i = 0; i < 3000; i++) {
		uint64_t id = 1 + rand_r(&seed) % 64;
		struct spg_dp_session_params p = params(id);

		if (spg_session_find(rs.t, id) != NULL)
			dels += spg_session_del(rs.t, id) == 0;
		else
			adds += spg_session_add(rs.t, &p) == 0;
		if (i % 64 == 0) {
			spg_session_table_reclaim(rs.t);
			/* Give the reader, which may share this core, time to read. */
			sched_yield();
		}
	}
	rs.stop = true;
	pthread_join(th, NULL);
	CU_ASSERT_TRUE(adds > 500);
	CU_ASSERT_TRUE(dels > 500);
	CU_ASSERT_TRUE(rs.hits > 0);
	CU_ASSERT_EQUAL(rs.inconsistent, 0);
	spg_session_table_free(rs.t);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "added_session_is_found_by_id_virtual_address_and_spi",
		  added_session_is_found_by_id_virtual_address_and_spi },
		{ "add_refuses_duplicate_id_virtual_address_or_spi", add_refuses_duplicate_id_virtual_address_or_spi },
		{ "full_table_refuses_then_reuses_a_deleted_slot", full_table_refuses_then_reuses_a_deleted_slot },
		{ "table_of_1024_takes_exactly_1024_sessions", table_of_1024_takes_exactly_1024_sessions },
		{ "delete_of_unknown_id_is_enoent", delete_of_unknown_id_is_enoent },
		{ "bad_keys_are_refused_and_leave_nothing_behind", bad_keys_are_refused_and_leave_nothing_behind },
		{ "update_moves_endpoint_rate_ports_and_rekeys", update_moves_endpoint_rate_ports_and_rekeys },
		{ "rekey_to_an_spi_in_use_is_refused", rekey_to_an_spi_in_use_is_refused },
		{ "rekey_to_the_current_or_previous_keys_is_refused", rekey_to_the_current_or_previous_keys_is_refused },
		{ "readd_after_delete_with_the_same_keys_is_refused", readd_after_delete_with_the_same_keys_is_refused },
		{ "add_with_a_key_of_another_session_is_refused", add_with_a_key_of_another_session_is_refused },
		{ "key_guard_keeps_live_keys_and_the_latest_retired", key_guard_keeps_live_keys_and_the_latest_retired },
		{ "readers_see_whole_sessions_while_the_writer_adds_and_deletes",
		  readers_see_whole_sessions_while_the_writer_adds_and_deletes },
		{ NULL, NULL },
	};

	return unit_run("session_table", cases, suite_init, suite_clean);
}
