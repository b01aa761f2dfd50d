/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the tests that build packets by hand (test_esp, test_replay, test_icmp):
 * big-endian field access, and for the ESP tests EAL with the AES-NI crypto device plus a
 * pool of mbufs.
 */
#ifndef SPG_ESP_TEST_UTIL_H
#define SPG_ESP_TEST_UTIL_H

#include <stdint.h>

#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "unit.h"

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Starts EAL (file prefix and pool both named name) with crypto_aesni_mb; NULL on failure. */
static inline struct rte_mempool *esp_test_eal_pool(const char *name, unsigned int n)
{
	if (unit_eal_init(name, "crypto_aesni_mb") != 0)
		return NULL;
	return rte_pktmbuf_pool_create(name, n, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
}

/* Undoes esp_test_eal_pool; 0, for a suite's clean-up. */
static inline int esp_test_eal_free(struct rte_mempool *pool)
{
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return 0;
}

#endif
