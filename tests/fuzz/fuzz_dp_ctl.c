/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over spgate-dp's control messages (dataplane/ctl_server.c's
 * spg_ctl_handle and common/dp_api.c's checks), on a dataplane set up as test_dp_ctl sets it
 * up (EAL without hugepages, the aesni_mb crypto device, a session table of 4).
 *
 * The first byte chooses the framing. Bit 0 clear: the rest is one datagram as it arrived.
 * Bit 0 set: the rest is a series of requests, each [type:1][body length:2, little endian]
 * [body], for which the harness writes a right header, so bodies are fuzzed past the header
 * check and adds are followed by updates, gets, lists and deletes. Every reply must be a
 * well-formed reply to its request. After each run the table is emptied again.
 *
 * ADDRESS (issue 14) adds and deletes the ports' addresses and queues gratuitous ARPs: the
 * ports have addresses, a pool and a control TX ring, which each run drains, and each run
 * starts with no extra address and both primaries active.
 *
 * SESSION_RECORD runs against a real recorder, but an absolute path in it is replaced by one
 * file in a directory of the harness's own: the fuzzer must not create files anywhere.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "ctl_server.h"
#include "dp.h"
#include "dp_api.h"
#include "esp.h"
#include "recorder.h"
#include "session.h"
#include "unit.h"

#define TABLE_SIZE 4

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct spg_dp dp;
static uint8_t req[SPG_DP_MSG_MAX + 64], rep[SPG_DP_MSG_MAX];
static uint32_t seq;
static char rec_dir[64], rec_file[96];

static void dp_setup(void)
{
	struct spg_esp_config ec = {
		.crypto_device = "crypto_aesni_mb",
		.key_len = 16,
		.replay_window = 128,
		.udp_port = 4500,
		.local_addr = RTE_BE32(0xcb007101), /* 203.0.113.1 */
		.n_queue_pairs = 1,
		.max_sas = 64,
		.socket_id = 0,
	};

	if (unit_eal_init("fuzz_dp_ctl", "crypto_aesni_mb") != 0)
		abort();
	rte_log_set_global_level(RTE_LOG_WARNING); /* not a line per refused message */
	memset(&dp, 0, sizeof(dp));
	dp.cfg.cipher = SPG_CIPHER_AES_128_GCM;
	dp.cfg.max_sessions = TABLE_SIZE;
	dp.cfg.shared_addr = RTE_BE32(0xc0a80001);   /* 192.168.0.1 */
	dp.cfg.inner_addr = RTE_BE32(0xc6336401);    /* 198.51.100.1 */
	dp.cfg.pool_addr = RTE_BE32(0xc6120000);     /* 198.18.0.0/24 */
	dp.cfg.pool_prefix_len = 24;
	dp.ports[SPG_DP_PORT_VENDOR].port_id = RTE_MAX_ETHPORTS - 1; /* none: zero stats */
	dp.ports[SPG_DP_PORT_SP].port_id = RTE_MAX_ETHPORTS - 1;
	dp.ports[SPG_DP_PORT_VENDOR].addr = RTE_BE32(0xc0000201); /* 192.0.2.1/24 */
	dp.ports[SPG_DP_PORT_VENDOR].mask = RTE_BE32(0xffffff00);
	dp.ports[SPG_DP_PORT_SP].addr = RTE_BE32(0xcb007101); /* 203.0.113.1/24 */
	dp.ports[SPG_DP_PORT_SP].mask = RTE_BE32(0xffffff00);
	dp.mbuf_pool = rte_pktmbuf_pool_create("fuzz_dp_ctl_mbufs", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	dp.ctl_tx_ring = rte_ring_create("fuzz_dp_ctl_tx", 256, 0, RING_F_SC_DEQ);
	if (dp.mbuf_pool == NULL || dp.ctl_tx_ring == NULL)
		abort();
	dp.start_tsc = rte_get_tsc_cycles();
	pthread_mutex_init(&dp.ctl_lock, NULL);
	dp.esp = spg_esp_create(&ec);
	dp.qsbr = rte_zmalloc(NULL, rte_rcu_qsbr_get_memsize(1), RTE_CACHE_LINE_SIZE);
	if (dp.esp == NULL || dp.qsbr == NULL || rte_rcu_qsbr_init(dp.qsbr, 1) != 0)
		abort();
	dp.sessions = spg_session_table_create(TABLE_SIZE, 0, dp.qsbr, dp.esp);
	if (dp.sessions == NULL || spg_session_table_alloc_counters(dp.sessions, 1) != 0)
		abort();
	dp.cfg.rec_snaplen = 65535;
	dp.cfg.rec_pool_size = 63;
	dp.cfg.rec_ring_size = 16;
	dp.rec = spg_recorder_create(&dp, 1);
	snprintf(rec_dir, sizeof(rec_dir), "/tmp/spgate-fuzz-rec.XXXXXX");
	if (dp.rec == NULL || mkdtemp(rec_dir) == NULL)
		abort();
	snprintf(rec_file, sizeof(rec_file), "%s/rec.pcapng", rec_dir);
}

/* An absolute recording path becomes the harness's one file (relative ones are refused). */
static void confine_record_path(uint8_t *msg, size_t len)
{
	struct spg_dp_hdr h;
	const size_t at = sizeof(h) + offsetof(struct spg_dp_session_record_req, path);

	if (len != sizeof(h) + sizeof(struct spg_dp_session_record_req))
		return;
	memcpy(&h, msg, sizeof(h));
	if ((h.type & (uint16_t)~SPG_DP_REPLY) != SPG_DP_SESSION_RECORD || msg[at] != '/')
		return;
	memset(msg + at, 0, SPG_DP_RECORD_PATH_MAX);
	memcpy(msg + at, rec_file, strlen(rec_file));
}

/* Hands one request to the dataplane; the reply must answer it, well formed. */
static const struct spg_dp_hdr *handle(void *msg, size_t len)
{
	struct spg_dp_hdr in = {0}, *out = (struct spg_dp_hdr *)rep;
	const char *why;
	size_t n;

	if (len >= sizeof(in))
		memcpy(&in, msg, sizeof(in));
	confine_record_path((uint8_t *)msg, len);
	n = spg_ctl_handle(&dp, msg, len, rep);
	if (n < sizeof(*out) || n > SPG_DP_MSG_MAX || out->len != n || out->seq != in.seq ||
	    out->type != (in.type | SPG_DP_REPLY) || out->error < 0 ||
	    (out->error == 0 && spg_dp_msg_check(rep, n, true, &why) != 0))
		abort();
	return out;
}

static const struct spg_dp_hdr *request(uint16_t type, const void *body, size_t body_len)
{
	struct spg_dp_hdr h = {.version = SPG_DP_API_VERSION, .type = type,
			       .len = (uint32_t)(sizeof(h) + body_len), .seq = ++seq};

	memcpy(req, &h, sizeof(h));
	memcpy(req + sizeof(h), body, body_len);
	return handle(req, sizeof(h) + body_len);
}

/* Deletes every session, so that each run starts from the same empty table. */
static void empty_table(void)
{
	struct spg_dp_session_list_req lr = {.cursor = 0, .max = 0};
	struct spg_dp_session_list_rep lrep;
	struct spg_dp_session_id_req del;
	uint64_t ids[TABLE_SIZE * 2];
	uint32_t i, n;

	if (request(SPG_DP_SESSION_LIST, &lr, sizeof(lr))->error != 0)
		abort();
	memcpy(&lrep, rep + sizeof(struct spg_dp_hdr), sizeof(lrep));
	n = lrep.count < TABLE_SIZE * 2 ? lrep.count : TABLE_SIZE * 2;
	for (i = 0; i < n; i++)
		memcpy(&ids[i], rep + sizeof(struct spg_dp_hdr) + sizeof(lrep) +
				       i * sizeof(struct spg_dp_session_info) +
				       offsetof(struct spg_dp_session_info, id), sizeof(ids[i]));
	for (i = 0; i < n; i++) {
		del = (struct spg_dp_session_id_req){.id = ids[i]};
		if (request(SPG_DP_SESSION_DEL, &del, sizeof(del))->error != 0)
			abort();
	}
}

/* Forgets what ADDRESS did: the frames it queued, the extra addresses, a silenced primary. */
static void reset_addresses(void)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(dp.ctl_tx_ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	for (unsigned int p = 0; p < SPG_DP_N_PORTS; p++) {
		memset(dp.ports[p].extra, 0, sizeof(dp.ports[p].extra));
		memset(dp.ports[p].garp_left, 0, sizeof(dp.ports[p].garp_left));
		dp.ports[p].primary_silent = false;
	}
}

/* The table lives in rte_malloc memory, which LeakSanitizer does not scan: what only it points
 * to (the key guard's OpenSSL MAC context) would look leaked. It is made before the first
 * input and freed at exit, before LeakSanitizer's own exit check. */
static void dp_teardown(void)
{
	spg_recorder_free(dp.rec);
	dp.rec = NULL;
	unlink(rec_file);
	rmdir(rec_dir);
	spg_session_table_free(dp.sessions);
	dp.sessions = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	dp_setup();
	atexit(dp_teardown);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off, body_len;

	if (size < 1 || size - 1 > SPG_DP_MSG_MAX + 64)
		return 0;
	if (!(data[0] & 1)) {
		memcpy(req, data + 1, size - 1);
		handle(req, size - 1);
	} else {
		for (off = 1; off + 3 <= size; off += 3 + body_len) {
			body_len = (size_t)data[off + 1] | (size_t)data[off + 2] << 8;
			if (body_len > size - off - 3)
				body_len = size - off - 3;
			request(data[off] % (SPG_DP_MSG_TYPE_MAX + 1), data + off + 3, body_len);
		}
	}
	empty_table(); /* deleting a session closes its recording */
	reset_addresses();
	unlink(rec_file);
	return 0;
}
