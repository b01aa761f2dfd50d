/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "esp.h"
#include "port.h"
#include "worker.h"

#define SLOW_RING_SIZE 1024
#define ROAM_RING_SIZE 1024
#define RESOLVE_RING_SIZE 1024
#define NEIGH_MAX 4096
/* SAs retired by rekeying wait a grace period; leave room for them. */
#define SA_SLACK 256

static int fail(const char *what, int err)
{
	RTE_LOG(ERR, USER1, "%s: %s\n", what, rte_strerror(err));
	return -err;
}

static int create_rings(struct spg_dp *dp, int socket)
{
	dp->slow_ring = rte_ring_create("spg_slow", SLOW_RING_SIZE, socket, RING_F_SC_DEQ);
	dp->roam_ring = rte_ring_create_elem("spg_roam", sizeof(struct spg_roam), ROAM_RING_SIZE, socket, RING_F_SC_DEQ);
	dp->resolve_ring = rte_ring_create_elem("spg_resolve", sizeof(uint64_t), RESOLVE_RING_SIZE, socket, RING_F_SC_DEQ);
	dp->ctl_tx_ring = rte_ring_create("spg_ctl_tx", SLOW_RING_SIZE, socket, RING_F_SC_DEQ);
	if (dp->slow_ring == NULL || dp->roam_ring == NULL || dp->resolve_ring == NULL || dp->ctl_tx_ring == NULL)
		return fail("rings", rte_errno);
	return 0;
}

static int create_rcu(struct spg_dp *dp, int socket)
{
	size_t sz = rte_rcu_qsbr_get_memsize(dp->cfg.n_workers);

	dp->qsbr = rte_zmalloc_socket("spg_qsbr", sz, RTE_CACHE_LINE_SIZE, socket);
	if (dp->qsbr == NULL)
		return fail("RCU", ENOMEM);
	if (rte_rcu_qsbr_init(dp->qsbr, dp->cfg.n_workers) != 0)
		return fail("RCU", rte_errno);
	return 0;
}

static int create_crypto(struct spg_dp *dp, int socket)
{
	struct spg_esp_config ec = {
		.crypto_device = dp->cfg.crypto_device,
		.key_len = spg_cipher_key_len(dp->cfg.cipher),
		.replay_window = dp->cfg.replay_window,
		.udp_port = dp->cfg.esp_udp_port,
		.local_addr = dp->cfg.sp.addr,
		.n_queue_pairs = (uint16_t)dp->cfg.n_workers,
		.max_sas = dp->cfg.max_sessions * 2 + SA_SLACK,
		.socket_id = socket,
		.lookaside = dp->cfg.crypto_lookaside,
		.library_outbound = dp->cfg.crypto_library_outbound,
		.library_inbound = dp->cfg.crypto_library_inbound,
	};

	dp->esp = spg_esp_create(&ec);
	if (dp->esp == NULL)
		return fail(dp->cfg.crypto_device, rte_errno);
	return 0;
}

static int create_tables(struct spg_dp *dp, int socket)
{
	dp->sessions = spg_session_table_create(dp->cfg.max_sessions, socket, dp->qsbr, dp->esp);
	if (dp->sessions == NULL)
		return fail("session table", rte_errno);
	if (spg_session_table_alloc_counters(dp->sessions, dp->cfg.n_workers) != 0)
		return fail("session counters", ENOMEM);
	dp->neigh = spg_neigh_create(NEIGH_MAX, socket);
	if (dp->neigh == NULL)
		return fail("neighbor table", ENOMEM);
	return 0;
}

/* After the ports: the recordings' interface is the vendor port. */
static int create_recorder(struct spg_dp *dp)
{
	dp->rec = spg_recorder_create(dp, dp->cfg.n_workers);
	if (dp->rec == NULL)
		return fail("recorder (recording.pool_size, recording.ring_size)", rte_errno);
	return 0;
}

static int create_workers(struct spg_dp *dp)
{
	for (unsigned int i = 0; i < dp->cfg.n_workers; i++) {
		dp->workers[i] = spg_worker_create(dp, (uint16_t)i, dp->cfg.worker_lcores[i]);
		if (dp->workers[i] == NULL)
			return fail("worker", rte_errno);
		spg_recorder_attach(dp->rec, dp->workers[i]);
		dp->n_workers = i + 1;
	}
	return 0;
}

int spg_dp_init(struct spg_dp *dp)
{
	int socket = (int)rte_socket_id();
	uint16_t n_q = (uint16_t)dp->cfg.n_workers;
	int rc;

	pthread_mutex_init(&dp->ctl_lock, NULL);
	dp->start_tsc = rte_get_tsc_cycles();
	dp->mbuf_pool = rte_pktmbuf_pool_create("spg_mbufs", dp->cfg.mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (dp->mbuf_pool == NULL)
		return fail("mbuf pool", rte_errno);
	rc = create_rings(dp, socket);
	if (rc == 0)
		rc = create_rcu(dp, socket);
	if (rc == 0)
		rc = create_crypto(dp, socket);
	if (rc == 0)
		rc = create_tables(dp, socket);
	/* Worker i uses RX and TX queue i of each port. */
	if (rc == 0)
		rc = spg_port_setup(dp, SPG_DP_PORT_VENDOR, &dp->cfg.vendor, n_q, n_q);
	if (rc == 0)
		rc = spg_port_setup(dp, SPG_DP_PORT_SP, &dp->cfg.sp, n_q, n_q);
	if (rc == 0) {
		/* The inner packet must fit the SP link after ESP, and the vendor link as it is. */
		dp->inner_mtu = RTE_MIN(spg_esp_inner_mtu(dp->cfg.sp.mtu), dp->cfg.vendor.mtu);
		rc = create_recorder(dp);
	}
	if (rc == 0)
		rc = create_workers(dp);
	return rc;
}

void spg_dp_fini(struct spg_dp *dp)
{
	/* The workers have stopped: what they queued is written before the files close. */
	spg_recorder_free(dp->rec);
	dp->rec = NULL;
	for (unsigned int i = 0; i < dp->n_workers; i++)
		spg_worker_free(dp->workers[i]);
	dp->n_workers = 0;
	if (dp->ports[SPG_DP_PORT_VENDOR].mtu != 0)
		spg_port_close(dp, SPG_DP_PORT_VENDOR);
	if (dp->ports[SPG_DP_PORT_SP].mtu != 0)
		spg_port_close(dp, SPG_DP_PORT_SP);
	spg_session_table_free(dp->sessions);
	spg_neigh_free(dp->neigh);
	spg_esp_free(dp->esp);
	rte_free(dp->qsbr);
	rte_ring_free(dp->slow_ring);
	rte_ring_free(dp->roam_ring);
	rte_ring_free(dp->resolve_ring);
	if (dp->ctl_tx_ring != NULL) {
		struct rte_mbuf *m;

		while (rte_ring_dequeue(dp->ctl_tx_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(dp->ctl_tx_ring);
	}
	rte_mempool_free(dp->mbuf_pool);
	memset(dp->ports, 0, sizeof(dp->ports));
	dp->sessions = NULL;
	dp->esp = NULL;
}
