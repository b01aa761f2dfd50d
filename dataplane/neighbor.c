/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_jhash.h>
#include <rte_malloc.h>

#include "neighbor.h"

struct neigh_entry {
	uint64_t mac;          /* 6 bytes of MAC in one word: workers load it atomically */
	uint64_t solicit_tsc;  /* when we last asked for it */
	uint64_t learned_tsc;
};

struct spg_neigh_table {
	struct rte_hash *h; /* (port << 32 | addr) -> entry index */
	struct neigh_entry *entries;
	uint32_t capacity;
	uint32_t generation; /* bumped whenever a MAC appears or changes */
};

static uint64_t neigh_key(uint16_t port, uint32_t addr)
{
	return (uint64_t)port << 32 | addr;
}

struct spg_neigh_table *spg_neigh_create(uint32_t max_entries, int socket_id)
{
	static unsigned int seq;
	char name[RTE_HASH_NAMESIZE];
	struct spg_neigh_table *t;
	struct rte_hash_parameters prm = {
		.name = name,
		.entries = RTE_MAX(max_entries, 8u),
		.key_len = sizeof(uint64_t),
		.hash_func = rte_jhash,
		.socket_id = socket_id,
		/* Entries are never deleted, so lock-free readers need no RCU here. */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};

	t = rte_zmalloc_socket("spg_neigh", sizeof(*t), 0, socket_id);
	if (t == NULL)
		return NULL;
	snprintf(name, sizeof(name), "spg_neigh_%u", seq++);
	t->h = rte_hash_create(&prm);
	t->capacity = prm.entries;
	t->entries = rte_zmalloc_socket("spg_neigh_entries", sizeof(*t->entries) * t->capacity,
					RTE_CACHE_LINE_SIZE, socket_id);
	if (t->h == NULL || t->entries == NULL) {
		spg_neigh_free(t);
		return NULL;
	}
	return t;
}

void spg_neigh_free(struct spg_neigh_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->entries);
	rte_free(t);
}

bool spg_neigh_lookup(struct spg_neigh_table *t, uint16_t port, uint32_t addr, struct rte_ether_addr *mac)
{
	uint64_t key = neigh_key(port, addr);
	uint64_t word;
	int32_t pos;

	pos = rte_hash_lookup(t->h, &key);
	if (pos < 0)
		return false;
	word = __atomic_load_n(&t->entries[pos].mac, __ATOMIC_ACQUIRE);
	if (word == 0)
		return false;
	memcpy(mac->addr_bytes, &word, RTE_ETHER_ADDR_LEN);
	return true;
}

static int32_t entry_get(struct spg_neigh_table *t, uint16_t port, uint32_t addr)
{
	uint64_t key = neigh_key(port, addr);
	int32_t pos = rte_hash_lookup(t->h, &key);

	if (pos >= 0)
		return pos;
	pos = rte_hash_add_key(t->h, &key);
	if (pos < 0 || (uint32_t)pos >= t->capacity)
		return -ENOSPC;
	return pos;
}

int spg_neigh_learn(struct spg_neigh_table *t, uint16_t port, uint32_t addr, const struct rte_ether_addr *mac,
		    uint64_t now_tsc)
{
	uint64_t word = 0;
	int32_t pos;

	pos = entry_get(t, port, addr);
	if (pos < 0)
		return pos;
	memcpy(&word, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	if (__atomic_load_n(&t->entries[pos].mac, __ATOMIC_RELAXED) != word) {
		__atomic_store_n(&t->entries[pos].mac, word, __ATOMIC_RELEASE);
		/* After the MAC: a worker that sees the new generation finds the new MAC. */
		__atomic_fetch_add(&t->generation, 1, __ATOMIC_RELEASE);
	}
	t->entries[pos].learned_tsc = now_tsc;
	return 0;
}

uint32_t spg_neigh_generation(const struct spg_neigh_table *t)
{
	return __atomic_load_n(&t->generation, __ATOMIC_ACQUIRE);
}

bool spg_neigh_should_solicit(struct spg_neigh_table *t, uint16_t port, uint32_t addr, uint64_t now_tsc)
{
	int32_t pos = entry_get(t, port, addr);
	struct neigh_entry *e;

	if (pos < 0)
		return false;
	e = &t->entries[pos];
	if (e->solicit_tsc != 0 && now_tsc - e->solicit_tsc < rte_get_tsc_hz())
		return false;
	e->solicit_tsc = now_tsc;
	return true;
}
