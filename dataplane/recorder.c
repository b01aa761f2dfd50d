/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recorder: session recording files, and the thread that writes copies to them (see
 * recorder.h for who takes which lock).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "recorder.h"
#include "worker.h"

#ifndef SPGATE_VERSION
#define SPGATE_VERSION "unknown"
#endif

/* Copies taken from one ring per pass, and written per write call. */
#define DRAIN_BURST 64
/* How long a stop waits for the workers' quiescent states before it drains anyway. */
#define STOP_GRACE_US 200000
/* The thread's nap when every ring was empty. */
#define IDLE_NAP_US 1000

struct recording {
	uint64_t session_id;
	struct spg_session *s; /* valid while the recording is in the table (see stop) */
	rte_pcapng_t *pc;      /* NULL once the file failed */
	uint32_t state;        /* SPG_DP_RECORD_ON or _FAILED; LOSSY is derived */
	int32_t error;
	uint64_t packets, bytes;
	uint64_t not_written;  /* dequeued for it but not written */
	uint64_t dropped_base; /* the slot's rec_dropped when the recording started */
	char path[SPG_DP_RECORD_PATH_MAX];
};

struct spg_recorder {
	struct spg_dp *dp;
	struct rte_mempool *pool;
	struct rte_ring *rings[SPG_CFG_MAX_WORKERS];
	unsigned int n_rings;
	struct spg_rec_worker tmpl; /* what every worker gets, but its ring */
	pthread_mutex_t lock;
	struct recording **by_index; /* capacity entries, by session slot */
	uint32_t capacity;
	uint32_t n_open;
	uint64_t written, not_written;
	pthread_t thread;
	bool thread_running;
	volatile bool quit;
};

static void calibrate(struct spg_rec_worker *t)
{
	struct timespec ts;
	uint64_t a, b;

	a = rte_get_tsc_cycles();
	clock_gettime(CLOCK_REALTIME, &ts);
	b = rte_get_tsc_cycles();
	t->base_tsc = a + (b - a) / 2;
	t->base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	t->tsc_hz = rte_get_tsc_hz();
}

static int create_rings(struct spg_recorder *r, unsigned int n_workers, int socket)
{
	char name[RTE_RING_NAMESIZE];
	static unsigned int instance; /* the bench makes several dataplanes in one process */

	for (unsigned int i = 0; i < n_workers; i++) {
		snprintf(name, sizeof(name), "spg_rec%u_%u", instance, i);
		r->rings[i] = rte_ring_create(name, r->dp->cfg.rec_ring_size, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (r->rings[i] == NULL)
			return -rte_errno;
		r->n_rings = i + 1;
	}
	instance++;
	return 0;
}

struct spg_recorder *spg_recorder_create(struct spg_dp *dp, unsigned int n_workers)
{
	const struct spg_dp_config *cfg = &dp->cfg;
	int socket = (int)rte_socket_id();
	static unsigned int instance;
	struct spg_recorder *r;
	char name[RTE_MEMPOOL_NAMESIZE];
	/* A copy is a chain of such mbufs: most packets fit one, jumbo ones take a few. */
	uint32_t room = RTE_MIN(rte_pcapng_mbuf_size(RTE_MIN(cfg->rec_snaplen, 1600u)), (uint32_t)UINT16_MAX);

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	r->dp = dp;
	pthread_mutex_init(&r->lock, NULL);
	r->capacity = spg_session_capacity(dp->sessions);
	r->by_index = calloc(r->capacity, sizeof(*r->by_index));
	snprintf(name, sizeof(name), "spg_rec%u", instance++);
	/* per-lcore caches of at most an eighth: a small pool is not all stuck in caches */
	r->pool = rte_pktmbuf_pool_create(name, cfg->rec_pool_size, RTE_MIN(128u, cfg->rec_pool_size / 8), 0,
					  (uint16_t)room, socket);
	if (r->by_index == NULL || r->pool == NULL || create_rings(r, n_workers, socket) != 0) {
		int err = r->by_index == NULL ? ENOMEM : rte_errno;

		spg_recorder_free(r);
		rte_errno = err;
		return NULL;
	}
	r->tmpl.pool = r->pool;
	r->tmpl.snaplen = cfg->rec_snaplen;
	r->tmpl.port_id = dp->ports[SPG_DP_PORT_VENDOR].port_id;
	calibrate(&r->tmpl);
	return r;
}

void spg_recorder_attach(struct spg_recorder *r, struct spg_worker *w)
{
	w->rec = r->tmpl;
	w->rec.port_id = r->dp->ports[SPG_DP_PORT_VENDOR].port_id; /* known once the ports are up */
	w->rec.ring = w->id < r->n_rings ? r->rings[w->id] : NULL;
}

/* ---- writing ---- */

/* Closes rec's file; the recording stays in the table (stop removes it). */
static void close_file(struct recording *rec)
{
	if (rec->pc == NULL)
		return;
	rte_pcapng_close(rec->pc); /* closes the descriptor too */
	rec->pc = NULL;
}

static void fail_recording(struct spg_recorder *r, struct recording *rec, int err)
{
	RTE_LOG(ERR, USER1, "session %" PRIu64 ": recording %s failed: %s; recording stopped\n", rec->session_id,
		rec->path, strerror(err));
	rec->state = SPG_DP_RECORD_FAILED;
	rec->error = err;
	/* The session is still in the table: stop and SESSION_DEL take our lock first. */
	__atomic_store_n(&rec->s->recording, 0, __ATOMIC_RELEASE);
	close_file(rec);
	r->n_open--;
}

/* Writes n copies of one recording (and frees them). */
static void write_run(struct spg_recorder *r, struct recording *rec, struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;

	if (rec == NULL || rec->pc == NULL) {
		if (rec != NULL)
			rec->not_written += n;
		r->not_written += n;
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	for (uint16_t i = 0; i < n; i++)
		bytes += rte_pktmbuf_mtod_offset(pkts[i], const uint32_t *, 0)[6]; /* EPB original length */
	if (rte_pcapng_write_packets(rec->pc, pkts, n) < 0) {
		int err = errno != 0 ? errno : EIO;

		rec->not_written += n;
		r->not_written += n;
		fail_recording(r, rec, err);
		return;
	}
	rec->packets += n;
	rec->bytes += bytes;
	r->written += n;
}

static struct recording *owner(struct spg_recorder *r, const struct rte_mbuf *c)
{
	uint32_t index = c->hash.usr;
	struct recording *rec = index < r->capacity ? r->by_index[index] : NULL;

	return rec != NULL && rec->session_id == c->tx_offload ? rec : NULL;
}

/* Caller holds r->lock: that makes this the rings' single consumer. */
static unsigned int drain_locked(struct spg_recorder *r)
{
	struct rte_mbuf *pkts[DRAIN_BURST];
	unsigned int total = 0;

	for (unsigned int i = 0; i < r->n_rings; i++) {
		unsigned int n = rte_ring_sc_dequeue_burst(r->rings[i], (void **)pkts, DRAIN_BURST, NULL);
		unsigned int start = 0;

		/* Runs of copies of the same recording go to the file in one write. */
		for (unsigned int k = 1; k <= n; k++) {
			struct recording *rec = owner(r, pkts[start]);

			if (k < n && owner(r, pkts[k]) == rec)
				continue;
			write_run(r, rec, &pkts[start], (uint16_t)(k - start));
			start = k;
		}
		total += n;
	}
	return total;
}

unsigned int spg_recorder_drain(struct spg_recorder *r)
{
	unsigned int n;

	pthread_mutex_lock(&r->lock);
	n = drain_locked(r);
	pthread_mutex_unlock(&r->lock);
	return n;
}

static void *recorder_main(void *arg)
{
	struct spg_recorder *r = arg;

	while (!__atomic_load_n(&r->quit, __ATOMIC_RELAXED))
		if (spg_recorder_drain(r) == 0)
			usleep(IDLE_NAP_US);
	return NULL;
}

int spg_recorder_run_thread(struct spg_recorder *r)
{
	int rc = rte_ctrl_thread_create(&r->thread, "spg-recorder", NULL, recorder_main, r);

	if (rc != 0)
		return -rc;
	r->thread_running = true;
	return 0;
}

void spg_recorder_free(struct spg_recorder *r)
{
	if (r == NULL)
		return;
	if (r->thread_running) {
		__atomic_store_n(&r->quit, true, __ATOMIC_RELAXED);
		pthread_join(r->thread, NULL);
	}
	if (r->by_index != NULL) {
		while (r->n_rings != 0 && spg_recorder_drain(r) != 0)
			;
		for (uint32_t i = 0; i < r->capacity; i++) {
			if (r->by_index[i] == NULL)
				continue;
			close_file(r->by_index[i]);
			free(r->by_index[i]);
		}
	}
	for (unsigned int i = 0; i < r->n_rings; i++)
		rte_ring_free(r->rings[i]);
	rte_mempool_free(r->pool);
	free(r->by_index);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* ---- start and stop (control thread) ---- */

static uint64_t slot_dropped(struct spg_recorder *r, uint32_t index)
{
	struct spg_sess_counters c;

	spg_session_counters_sum(r->dp->sessions, index, &c);
	return c.rec_dropped;
}

/* The path and the comment come from a datagram: each must end within its buffer. */
static int check_start_args(const char *path, const char *comment)
{
	if (memchr(path, '\0', SPG_DP_RECORD_PATH_MAX) == NULL || path[0] != '/')
		return -EINVAL;
	if (memchr(comment, '\0', SPG_DP_RECORD_COMMENT_MAX) == NULL)
		return -EINVAL;
	return 0;
}

/*
 * spgate-dp runs as root, spgate-control (which seals and removes finished recordings) as its
 * own user: the file belongs to whoever owns the directory it is in, still mode 0600. Only a
 * control-socket client, who holds every session's keys anyway, chooses that directory.
 */
static int give_to_directory_owner(int fd, const char *path)
{
	char dir[SPG_DP_RECORD_PATH_MAX];
	const char *slash = strrchr(path, '/');
	struct stat st;

	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) != 0)
		return -errno;
	if (st.st_uid == geteuid() && st.st_gid == getegid())
		return 0;
	return fchown(fd, st.st_uid, st.st_gid) == 0 ? 0 : -errno;
}

static int open_file(const char *path, const char *comment, rte_pcapng_t **pc)
{
	int fd, err;

	/* Never an existing file, never through a symlink: the directory may be shared. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = give_to_directory_owner(fd, path);
	if (err != 0) {
		close(fd);
		unlink(path);
		return err;
	}
	*pc = rte_pcapng_fdopen(fd, NULL, NULL, "spgate-dp " SPGATE_VERSION, comment[0] != '\0' ? comment : NULL);
	if (*pc == NULL) {
		err = rte_errno != 0 ? rte_errno : EIO;
		close(fd);
		unlink(path);
		return -err;
	}
	return 0;
}

int spg_recorder_start(struct spg_recorder *r, struct spg_session *s, const char *path, const char *comment)
{
	struct recording *rec;
	int rc;

	rc = check_start_args(path, comment);
	if (rc != 0)
		return rc;
	if (s->index >= r->capacity)
		return -EINVAL;
	if (r->by_index[s->index] != NULL) /* only the control thread adds and removes */
		return -EBUSY;
	rec = calloc(1, sizeof(*rec));
	if (rec == NULL)
		return -ENOMEM;
	rc = open_file(path, comment, &rec->pc);
	if (rc != 0) {
		free(rec);
		return rc;
	}
	rec->session_id = s->id;
	rec->s = s;
	rec->state = SPG_DP_RECORD_ON;
	rec->dropped_base = slot_dropped(r, s->index);
	snprintf(rec->path, sizeof(rec->path), "%s", path);
	pthread_mutex_lock(&r->lock);
	r->by_index[s->index] = rec;
	r->n_open++;
	pthread_mutex_unlock(&r->lock);
	/* From here on the workers copy. */
	__atomic_store_n(&s->recording, 1, __ATOMIC_RELEASE);
	return 0;
}

/* Every copy a worker made before the flag went down is on a ring once it was quiescent. */
static void wait_for_workers(struct spg_recorder *r)
{
	struct rte_rcu_qsbr *q = r->dp->qsbr;
	uint64_t token, deadline;

	if (q == NULL)
		return;
	token = rte_rcu_qsbr_start(q);
	deadline = rte_get_timer_cycles() + rte_get_timer_hz() * STOP_GRACE_US / 1000000;
	while (rte_rcu_qsbr_check(q, token, false) == 0 && rte_get_timer_cycles() < deadline)
		rte_delay_us_sleep(50);
}

static void fill_rep(struct spg_recorder *r, const struct recording *rec, struct spg_dp_record_rep *rep)
{
	uint64_t lost = slot_dropped(r, rec->s->index) - rec->dropped_base;

	rep->state = rec->state;
	if (rec->state == SPG_DP_RECORD_ON && lost + rec->not_written != 0)
		rep->state = SPG_DP_RECORD_LOSSY;
	rep->error = rec->error;
	rep->packets = rec->packets;
	rep->bytes = rec->bytes;
	rep->dropped = lost + rec->not_written;
}

void spg_recorder_stop(struct spg_recorder *r, struct spg_session *s, struct spg_dp_record_rep *rep)
{
	struct recording *rec;
	struct spg_dp_record_rep dummy;

	if (rep == NULL)
		rep = &dummy;
	memset(rep, 0, sizeof(*rep));
	rep->id = s->id;
	rep->state = SPG_DP_RECORD_OFF;
	if (s->index >= r->capacity || r->by_index[s->index] == NULL)
		return;
	__atomic_store_n(&s->recording, 0, __ATOMIC_RELEASE);
	wait_for_workers(r);
	pthread_mutex_lock(&r->lock);
	drain_locked(r);
	rec = r->by_index[s->index];
	if (rec->pc != NULL) {
		close_file(rec);
		r->n_open--;
	}
	r->by_index[s->index] = NULL;
	pthread_mutex_unlock(&r->lock);
	fill_rep(r, rec, rep);
	RTE_LOG(INFO, USER1, "session %" PRIu64 ": recording %s closed: %" PRIu64 " packets, %" PRIu64 " dropped\n",
		rec->session_id, rec->path, rep->packets, rep->dropped);
	free(rec);
}

void spg_recorder_session_info(struct spg_recorder *r, const struct spg_session *s,
			       struct spg_dp_session_info *info)
{
	struct spg_dp_record_rep rep = {0};

	if (r == NULL || s->index >= r->capacity)
		return;
	pthread_mutex_lock(&r->lock);
	if (r->by_index[s->index] != NULL)
		fill_rep(r, r->by_index[s->index], &rep);
	pthread_mutex_unlock(&r->lock);
	info->record_state = rep.state;
	info->record_error = rep.error;
	info->record_packets = rep.packets;
	info->record_dropped = rep.dropped;
}

void spg_recorder_get_stats(struct spg_recorder *r, struct spg_recorder_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->lock);
	st->written = r->written;
	st->not_written = r->not_written;
	st->files_open = r->n_open;
	pthread_mutex_unlock(&r->lock);
}
