/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the dataplane unit tests: the CUnit runner (unit_run.h, which the tests without
 * DPDK include alone), fake mbufs on the stack, and EAL start-up.
 */
#ifndef SPG_UNIT_H
#define SPG_UNIT_H

#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "unit_run.h"

/* A packet buffer on the stack that DPDK's mbuf helpers accept (never freed to a pool). */
struct unit_mbuf {
	struct rte_mbuf m;
	uint8_t buf[RTE_PKTMBUF_HEADROOM + 4096];
};

static inline struct rte_mbuf *unit_mbuf(struct unit_mbuf *u, const void *data, uint16_t len)
{
	memset(&u->m, 0, sizeof(u->m));
	u->m.buf_addr = u->buf;
	u->m.buf_len = sizeof(u->buf);
	u->m.data_off = RTE_PKTMBUF_HEADROOM;
	u->m.nb_segs = 1;
	u->m.port = 0;
	rte_mbuf_refcnt_set(&u->m, 1);
	u->m.pkt_len = len;
	u->m.data_len = len;
	if (data != NULL)
		memcpy(u->buf + RTE_PKTMBUF_HEADROOM, data, len);
	return &u->m;
}

/*
 * Starts DPDK's EAL without hugepages or PCI, under a file prefix of the test's own so
 * tests can run in parallel. vdev may be NULL or e.g. "crypto_aesni_mb".
 */
static inline int unit_eal_init(const char *test_name, const char *vdev)
{
	char prefix[64], vdev_arg[128];
	char *argv[16];
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=spg-%s", test_name);
	argv[argc++] = (char *)test_name;
	argv[argc++] = (char *)"--no-huge";
	argv[argc++] = (char *)"--no-pci";
	argv[argc++] = (char *)"-m";
	argv[argc++] = (char *)"256";
	argv[argc++] = (char *)"-l";
	argv[argc++] = (char *)"0";
	argv[argc++] = (char *)"--log-level=lib.eal:error";
	argv[argc++] = prefix;
	if (vdev != NULL) {
		snprintf(vdev_arg, sizeof(vdev_arg), "--vdev=%s", vdev);
		argv[argc++] = vdev_arg;
	}
	argv[argc] = NULL;
	return rte_eal_init(argc, argv) < 0 ? -1 : 0;
}

#endif
