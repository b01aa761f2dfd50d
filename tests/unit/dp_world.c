/* SPDX-License-Identifier: BSD-3-Clause */
/* A dataplane built by hand for the unit tests: see dp_world.h. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "ctl_server.h"
#include "dp_world.h"
#include "unit.h"

static void ports(struct spg_dp *dp, const struct dp_world_cfg *c)
{
	dp->ports[SPG_DP_PORT_VENDOR] = (struct spg_port){ .port_id = c->vendor_port_id, .mac = c->vendor_mac,
		.addr = RTE_BE32(DPW_VENDOR_ADDR), .mask = RTE_BE32(0xffffff00), .mtu = 1500 };
	dp->ports[SPG_DP_PORT_SP] = (struct spg_port){ .port_id = c->sp_port_id, .mac = c->sp_mac,
		.addr = RTE_BE32(DPW_G_OUT), .mask = RTE_BE32(0xffffff00), .mtu = 1500 };
}

bool dp_world_build(struct spg_dp *dp, const struct dp_world_cfg *c, const char *who)
{
	struct spg_esp_config ec = {
		.crypto_device = "crypto_aesni_mb", .key_len = 16, .replay_window = 128, .udp_port = DPW_NATT,
		.local_addr = RTE_BE32(DPW_G_OUT), .n_queue_pairs = 1, .max_sas = c->max_sas, .socket_id = 0,
	};

	memset(dp, 0, sizeof(*dp));
	dp->cfg.cipher = SPG_CIPHER_AES_128_GCM;
	dp->cfg.max_sessions = c->max_sessions;
	dp->cfg.shared_addr = RTE_BE32(DPW_S_ADDR);
	dp->cfg.inner_addr = RTE_BE32(DPW_G_IN);
	dp->cfg.pool_addr = RTE_BE32(0xc6120000); /* 198.18.0.0/24 */
	dp->cfg.pool_prefix_len = 24;
	dp->cfg.esp_udp_port = DPW_NATT;
	ports(dp, c);
	dp->inner_mtu = 1400;
	dp->n_workers = 1;
	dp->start_tsc = rte_get_tsc_cycles();
	pthread_mutex_init(&dp->ctl_lock, NULL);
	dp->esp = spg_esp_create(&ec);
	dp->qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (dp->esp == NULL || dp->qsbr == NULL || rte_rcu_qsbr_init(dp->qsbr, 1) != 0) {
		fprintf(stderr, "%s: the crypto device or the RCU state cannot be made\n", who);
		return false;
	}
	dp->sessions = spg_session_table_create(dp->cfg.max_sessions, 0, dp->qsbr, dp->esp);
	dp->neigh = spg_neigh_create(16, 0);
	if (dp->sessions == NULL || dp->neigh == NULL || spg_session_table_alloc_counters(dp->sessions, 1) != 0) {
		fprintf(stderr, "%s: the session table or the neighbour table cannot be made\n", who);
		return false;
	}
	return true;
}

void dp_world_free(struct spg_dp *dp)
{
	spg_session_table_free(dp->sessions);
	spg_neigh_free(dp->neigh);
	spg_esp_free(dp->esp);
	rte_free(dp->qsbr);
}

int dp_world_call(struct spg_dp *dp, uint16_t type, const void *body, size_t body_len, uint8_t *rep)
{
	static uint8_t msg[SPG_DP_MSG_MAX + 64];
	struct spg_dp_hdr h = {.version = SPG_DP_API_VERSION, .type = type,
			       .len = (uint32_t)(sizeof(h) + body_len), .seq = 1};
	const char *why = NULL;
	size_t n;

	memcpy(msg, &h, sizeof(h));
	if (body_len > 0) /* body may be NULL then, which memcpy must not get */
		memcpy(msg + sizeof(h), body, body_len);
	n = spg_ctl_handle(dp, msg, sizeof(h) + body_len, rep);
	CU_ASSERT_EQUAL_FATAL(spg_dp_msg_check(rep, n, true, &why), 0);
	memcpy(&h, rep, sizeof(h));
	return h.error;
}
