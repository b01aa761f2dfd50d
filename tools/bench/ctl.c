/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session installs through the real control socket while a worker forwards traffic.
 * The main lcore is the control thread (spg_ctl_server_poll, slow path, RCU reclamation, as
 * spgate-dp's control loop); a client pthread on the same core adds sessions over
 * common/dp_client; a worker lcore runs the pipeline in both directions for the sessions
 * that existed before, counting every packet it offered, forwarded and dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "ctl_server.h"
#include "dp_client.h"
#include "env.h"
#include "slow_path.h"
#include "worker.h"

#define CTL_WINDOW 8 /* below net.unix.max_dgram_qlen (10): the server never finds our queue full */
#define CTL_BATCH_WINDOW 2 /* batches in flight: the server has the next while we build one */
#define CTL_SYNC_ADDS 20000u
#define CTL_BEFORE_SECONDS 0.3
#define CTL_TIMEOUT_MS 5000
#define CTL_SIZE 64
/* Sealed inbound frames per refill: small, so the worker never stops for long. */
#define CTL_INBOUND_BLOCK 256
#define CTL_LINE_TAG "SPGATE-BENCH-CTL"

enum phase { PHASE_BEFORE, PHASE_DURING, PHASE_STOP };

struct worker_ctx {
	struct bench_env *e;
	struct bench_gen out_gen;
	struct bench_gen in_gen;
	int phase;
	int error;
	uint64_t offered[2];
	uint64_t forwarded[2];
	uint64_t cycles[2];
	uint64_t drops[2][SPG_DROP_MAX];
};

struct client_ctx {
	const char *path;
	const struct bench_plan *plan;
	uint32_t first;
	uint32_t n_sync;
	uint32_t n_piped;
	uint32_t n_batched;
	double sync_s;
	double piped_s;
	double batched_s;
	uint32_t failed;
	int error;
	bool done;
};

struct add_msg {
	struct spg_dp_hdr h;
	struct spg_dp_session_add_req body;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void phase_end(struct worker_ctx *x, int phase, uint64_t start, const uint64_t drops_before[SPG_DROP_MAX])
{
	const struct spg_worker *w = x->e->dp.workers[0];

	x->cycles[phase] = rte_rdtsc() - start;
	for (int d = 0; d < SPG_DROP_MAX; d++)
		x->drops[phase][d] = w->stats.drops[d] - drops_before[d];
}

/* spg_worker_main's loop, fed by the generators and drained by the sinks on the same lcore. */
static int worker_loop(void *arg)
{
	struct worker_ctx *x = arg;
	struct bench_env *e = x->e;
	struct spg_dp *dp = &e->dp;
	struct spg_worker *w = dp->workers[0];
	uint16_t vendor = dp->ports[SPG_DP_PORT_VENDOR].port_id, sp = dp->ports[SPG_DP_PORT_SP].port_id;
	uint64_t drops_before[SPG_DROP_MAX], start;
	struct rte_mbuf *pkts[SPG_BURST];
	int phase = PHASE_BEFORE, next;
	uint16_t n;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
	memcpy(drops_before, w->stats.drops, sizeof(drops_before));
	start = rte_rdtsc();
	while (phase != PHASE_STOP) {
		w->now = rte_rdtsc();
		x->offered[phase] += bench_gen_burst(&x->out_gen);
		n = rte_eth_rx_burst(vendor, w->id, pkts, SPG_BURST);
		if (n != 0)
			spg_outbound_burst(w, pkts, n);
		if (!bench_gen_ready(&x->in_gen) && bench_gen_refill(&x->in_gen) != 0)
			x->error = EIO;
		x->offered[phase] += bench_gen_burst(&x->in_gen);
		n = rte_eth_rx_burst(sp, w->id, pkts, SPG_BURST);
		if (n != 0)
			spg_inbound_burst(w, pkts, n);
		spg_worker_flush(w);
		x->forwarded[phase] += bench_sink(e->rings[RING_SP_TX]) + bench_sink(e->rings[RING_VENDOR_TX]);
		rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
		next = __atomic_load_n(&x->phase, __ATOMIC_ACQUIRE);
		if (next != phase) {
			phase_end(x, phase, start, drops_before);
			memcpy(drops_before, w->stats.drops, sizeof(drops_before));
			start = rte_rdtsc();
			phase = next;
		}
	}
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->id);
	return 0;
}

static int piped_adds(int fd, const struct client_ctx *c, uint32_t first, uint32_t n, uint32_t *failed)
{
	struct add_msg m;
	uint8_t rep[sizeof(struct spg_dp_hdr) + 64];
	uint32_t sent = 0, got = 0, seq0 = 0x40000000u;

	memset(&m, 0, sizeof(m));
	m.h.version = SPG_DP_API_VERSION;
	m.h.type = SPG_DP_SESSION_ADD;
	m.h.len = sizeof(m);
	while (got < n) {
		struct spg_dp_hdr h;
		const char *why;
		ssize_t r;

		while (sent < n && sent - got < CTL_WINDOW) {
			bench_session_params(c->plan, first + sent, &m.body.p);
			m.h.seq = seq0 + sent;
			if (send(fd, &m, sizeof(m), MSG_NOSIGNAL) != (ssize_t)sizeof(m))
				return -errno;
			sent++;
		}
		r = recv(fd, rep, sizeof(rep), 0);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : -errno;
		if (spg_dp_msg_check(rep, (size_t)r, true, &why) != 0)
			return -EBADMSG;
		memcpy(&h, rep, sizeof(h));
		if (h.type != (SPG_DP_SESSION_ADD | SPG_DP_REPLY) || h.seq != seq0 + got)
			return -EBADMSG;
		*failed += h.error != 0;
		got++;
	}
	return 0;
}

struct batch_msg {
	struct spg_dp_hdr h;
	struct spg_dp_session_add_batch_req head;
	struct spg_dp_session_params p[SPG_DP_ADD_BATCH_MAX];
};

/* SESSION_ADD_BATCH messages of up to SPG_DP_ADD_BATCH_MAX sessions, CTL_BATCH_WINDOW in flight. */
static int batched_adds(int fd, const struct client_ctx *c, uint32_t first, uint32_t n, uint32_t *failed)
{
	static struct batch_msg m;
	uint8_t rep[sizeof(struct spg_dp_hdr) + sizeof(struct spg_dp_session_add_batch_rep) +
		    SPG_DP_ADD_BATCH_MAX * sizeof(int32_t)];
	uint32_t sent = 0, done = 0, msgs_sent = 0, msgs_got = 0, seq0 = 0x60000000u;

	memset(&m, 0, sizeof(m));
	m.h.version = SPG_DP_API_VERSION;
	m.h.type = SPG_DP_SESSION_ADD_BATCH;
	while (done < n) {
		struct spg_dp_session_add_batch_rep head;
		struct spg_dp_hdr h;
		const char *why;
		ssize_t r;

		while (sent < n && msgs_sent - msgs_got < CTL_BATCH_WINDOW) {
			uint32_t k = RTE_MIN(n - sent, (uint32_t)SPG_DP_ADD_BATCH_MAX);
			size_t len = sizeof(m.h) + sizeof(m.head) + k * sizeof(m.p[0]);

			for (uint32_t i = 0; i < k; i++)
				bench_session_params(c->plan, first + sent + i, &m.p[i]);
			m.head.count = k;
			m.h.len = (uint32_t)len;
			m.h.seq = seq0 + msgs_sent;
			if (send(fd, &m, len, MSG_NOSIGNAL) != (ssize_t)len)
				return -errno;
			sent += k;
			msgs_sent++;
		}
		r = recv(fd, rep, sizeof(rep), 0);
		if (r <= 0)
			return r == 0 ? -ECONNRESET : -errno;
		if (spg_dp_msg_check(rep, (size_t)r, true, &why) != 0)
			return -EBADMSG;
		memcpy(&h, rep, sizeof(h));
		if (h.type != (SPG_DP_SESSION_ADD_BATCH | SPG_DP_REPLY) || h.seq != seq0 + msgs_got || h.error != 0)
			return h.error > 0 ? -h.error : -EBADMSG;
		memcpy(&head, rep + sizeof(h), sizeof(head));
		*failed += head.n_failed;
		done += head.count;
		msgs_got++;
	}
	return 0;
}

static void *client_main(void *arg)
{
	struct client_ctx *c = arg;
	struct spg_dp_hello_req hello = { .client_version = SPG_DP_API_VERSION };
	struct spg_dp_hello_rep hrep;
	struct spg_dp_session_add_req req;
	double t0;
	int fd, rc = 0;

	snprintf(hello.client_name, sizeof(hello.client_name), "spgate-bench");
	fd = spg_dp_client_connect(c->path);
	if (fd < 0) {
		rc = fd;
		goto out;
	}
	rc = spg_dp_client_call(fd, SPG_DP_HELLO, &hello, sizeof(hello), &hrep, sizeof(hrep), NULL, CTL_TIMEOUT_MS);
	if (rc != 0)
		goto out;
	t0 = now_s();
	for (uint32_t k = 0; k < c->n_sync; k++) {
		bench_session_params(c->plan, c->first + k, &req.p);
		rc = spg_dp_client_call(fd, SPG_DP_SESSION_ADD, &req, sizeof(req), NULL, 0, NULL, CTL_TIMEOUT_MS);
		if (rc < 0 && rc != -EEXIST && rc != -ENOSPC && rc != -EINVAL)
			goto out;
		c->failed += rc != 0;
	}
	c->sync_s = now_s() - t0;
	t0 = now_s();
	rc = piped_adds(fd, c, c->first + c->n_sync, c->n_piped, &c->failed);
	c->piped_s = now_s() - t0;
	if (rc != 0)
		goto out;
	t0 = now_s();
	rc = batched_adds(fd, c, c->first + c->n_sync + c->n_piped, c->n_batched, &c->failed);
	c->batched_s = now_s() - t0;
out:
	if (fd >= 0)
		close(fd);
	c->error = rc < 0 ? -rc : 0;
	__atomic_store_n(&c->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* spgate-dp's control loop, for a while or until *stop. */
static void control_loop(struct spg_dp *dp, struct spg_ctl_server *ctl, double seconds, const bool *stop)
{
	double end = now_s() + seconds;

	while ((stop == NULL || !__atomic_load_n(stop, __ATOMIC_ACQUIRE)) && (stop != NULL || now_s() < end)) {
		spg_ctl_server_poll(ctl, spg_slow_path_poll(dp) ? 0 : 1);
		pthread_mutex_lock(&dp->ctl_lock);
		spg_session_table_reclaim(dp->sessions);
		pthread_mutex_unlock(&dp->ctl_lock);
	}
}

static void summarize(const struct worker_ctx *x, const struct client_ctx *c, struct bench_ctl *out)
{
	double hz = (double)rte_get_tsc_hz();
	size_t len = 0;

	out->sync_adds = c->n_sync;
	out->piped_adds = c->n_piped;
	out->sync_per_sec = c->sync_s > 0 ? c->n_sync / c->sync_s : 0.0;
	out->piped_per_sec = c->piped_s > 0 ? c->n_piped / c->piped_s : 0.0;
	out->batched_adds = c->n_batched;
	out->batched_per_sec = c->batched_s > 0 ? c->n_batched / c->batched_s : 0.0;
	out->failed = c->failed;
	out->offered = x->offered[PHASE_DURING];
	out->forwarded = x->forwarded[PHASE_DURING];
	out->dropped = 0;
	out->drops_text[0] = '\0';
	for (unsigned int d = 1; d < SPG_DROP_MAX; d++) {
		uint64_t k = x->drops[PHASE_DURING][d];

		if (k == 0)
			continue;
		out->dropped += k;
		if (len < sizeof(out->drops_text))
			len += (size_t)snprintf(out->drops_text + len, sizeof(out->drops_text) - len, "%s%s:%" PRIu64,
						len ? "," : "", spg_drop_name(d), k);
	}
	for (int p = 0; p < 2; p++) {
		double mpps = x->cycles[p] ? x->forwarded[p] * hz / (double)x->cycles[p] / 1e6 : 0.0;

		if (p == PHASE_BEFORE)
			out->fwd_mpps_before = mpps;
		else
			out->fwd_mpps_during = mpps;
	}
	out->ran = true;
}

static int start_traffic(struct bench_env *e, struct worker_ctx *x, uint32_t existing, uint64_t seed)
{
	int rc;

	bench_env_order(e, existing, seed);
	rc = bench_gen_init(&x->out_gen, &e->plan, BENCH_OUTBOUND, CTL_SIZE, existing, e->order, e->next_seq,
			    e->dp.mbuf_pool, e->rings[RING_VENDOR_RX]);
	if (rc == 0)
		rc = bench_gen_init(&x->in_gen, &e->plan, BENCH_INBOUND, CTL_SIZE, existing, e->order, e->next_seq,
				    e->dp.mbuf_pool, e->rings[RING_SP_RX]);
	if (rc != 0)
		return rc;
	x->in_gen.block_cap = RTE_MIN(x->in_gen.block_cap, (uint32_t)CTL_INBOUND_BLOCK);
	/* Both generators walk e->order; inbound starts half-way so they do not move in step. */
	x->in_gen.order_pos = BENCH_ORDER_LEN / 2;
	return bench_gen_refill(&x->in_gen);
}

int bench_ctl_run(const struct bench_opts *o, struct bench_ctl *out)
{
	uint32_t n_sync = RTE_MIN(CTL_SYNC_ADDS, o->ctl_installs);
	uint32_t capacity = o->ctl_existing + n_sync + 2 * o->ctl_installs + BENCH_CAPACITY_SLACK;
	unsigned int worker_lcore = rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	struct worker_ctx x;
	struct client_ctx c;
	struct spg_ctl_server *ctl = NULL;
	struct bench_install ignored;
	struct bench_env e;
	pthread_t client;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&x, 0, sizeof(x));
	memset(&c, 0, sizeof(c));
	out->existing = o->ctl_existing;
	if (worker_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "spgate-bench: the control-socket run needs two lcores\n");
		return -EINVAL;
	}
	rc = bench_env_create(&e, SPG_CIPHER_AES_128_GCM, capacity, worker_lcore, o->seed, o->lookaside, o->library_outbound);
	if (rc != 0)
		return rc;
	rc = bench_env_install(&e, o->ctl_existing, &ignored);
	if (rc == 0) {
		x.e = &e;
		rc = start_traffic(&e, &x, o->ctl_existing, o->seed);
	}
	if (rc == 0) {
		ctl = spg_ctl_server_create(&e.dp, e.dp.cfg.control_socket);
		if (ctl == NULL)
			rc = -errno;
	}
	if (rc == 0)
		rc = rte_eal_remote_launch(worker_loop, &x, worker_lcore);
	if (rc != 0)
		goto out;

	control_loop(&e.dp, ctl, CTL_BEFORE_SECONDS, NULL);
	__atomic_store_n(&x.phase, PHASE_DURING, __ATOMIC_RELEASE);
	c.path = e.dp.cfg.control_socket;
	c.plan = &e.plan;
	c.first = o->ctl_existing;
	c.n_sync = n_sync;
	c.n_piped = o->ctl_installs;
	c.n_batched = o->ctl_installs;
	rc = pthread_create(&client, NULL, client_main, &c);
	if (rc == 0) {
		control_loop(&e.dp, ctl, 0, &c.done);
		pthread_join(client, NULL);
	} else {
		rc = -rc;
	}
	__atomic_store_n(&x.phase, PHASE_STOP, __ATOMIC_RELEASE);
	rte_eal_wait_lcore(worker_lcore);
	if (rc == 0 && (c.error != 0 || x.error != 0)) {
		fprintf(stderr, "spgate-bench: control-socket run: %s\n", strerror(c.error ? c.error : x.error));
		rc = -(c.error ? c.error : x.error);
	}
	if (rc == 0)
		summarize(&x, &c, out);
out:
	spg_ctl_server_free(ctl);
	bench_gen_free(&x.out_gen);
	bench_gen_free(&x.in_gen);
	bench_env_free(&e);
	return rc;
}

void bench_ctl_print_line(const struct bench_ctl *c)
{
	printf(CTL_LINE_TAG " existing=%u sync=%u sync_rate=%.1f piped=%u piped_rate=%.1f batched=%u batched_rate=%.1f"
	       " failed=%u offered=%" PRIu64 " forwarded=%" PRIu64 " dropped=%" PRIu64 " before=%.6f during=%.6f drops=%s\n",
	       c->existing, c->sync_adds, c->sync_per_sec, c->piped_adds, c->piped_per_sec, c->batched_adds,
	       c->batched_per_sec, c->failed, c->offered,
	       c->forwarded, c->dropped, c->fwd_mpps_before, c->fwd_mpps_during,
	       c->drops_text[0] ? c->drops_text : "-");
	fflush(stdout);
}

bool bench_ctl_parse_line(const char *line, struct bench_ctl *c)
{
	char drops[sizeof(c->drops_text)];

	memset(c, 0, sizeof(*c));
	if (strncmp(line, CTL_LINE_TAG " ", sizeof(CTL_LINE_TAG)) != 0)
		return false;
	if (sscanf(line + sizeof(CTL_LINE_TAG),
		   "existing=%u sync=%u sync_rate=%lf piped=%u piped_rate=%lf batched=%u batched_rate=%lf failed=%u"
		   " offered=%" SCNu64 " forwarded=%" SCNu64 " dropped=%" SCNu64 " before=%lf during=%lf drops=%255s",
		   &c->existing, &c->sync_adds, &c->sync_per_sec, &c->piped_adds, &c->piped_per_sec, &c->batched_adds,
		   &c->batched_per_sec, &c->failed, &c->offered, &c->forwarded, &c->dropped, &c->fwd_mpps_before,
		   &c->fwd_mpps_during, drops) != 14)
		return false;
	if (strcmp(drops, "-") != 0)
		snprintf(c->drops_text, sizeof(c->drops_text), "%s", drops);
	c->ran = true;
	return true;
}
