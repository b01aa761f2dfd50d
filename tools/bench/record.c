/* SPDX-License-Identifier: BSD-3-Clause */
/* The recorded cases (record.h): start a recording per session, measure, stop, clean up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "recorder.h"

struct rec_files {
	char dir[64];
	uint32_t n; /* recordings started */
};

static void rec_path(const struct rec_files *f, uint64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%llu.pcapng", f->dir, (unsigned long long)id);
}

/* Stops every recording and removes its file and the directory. */
static void rec_stop_all(struct bench_env *e, struct rec_files *f)
{
	struct spg_session *s;
	uint32_t cursor = 0;
	char path[128];

	while ((s = spg_session_next(e->dp.sessions, &cursor)) != NULL) {
		spg_recorder_stop(e->dp.rec, s, NULL); /* also one that failed: flag down, file closed */
		rec_path(f, s->id, path, sizeof(path));
		unlink(path);
	}
	if (f->dir[0] != '\0')
		rmdir(f->dir);
}

static int rec_start_all(struct bench_env *e, struct rec_files *f)
{
	struct spg_session *s;
	uint32_t cursor = 0;
	char path[128];
	int rc;

	snprintf(f->dir, sizeof(f->dir), "/tmp/spgate-bench-rec.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		f->dir[0] = '\0';
		return -errno;
	}
	while ((s = spg_session_next(e->dp.sessions, &cursor)) != NULL) {
		rec_path(f, s->id, path, sizeof(path));
		rc = spg_recorder_start(e->dp.rec, s, path, "bench: recorded session");
		if (rc != 0) {
			fprintf(stderr, "spgate-bench: recording %s: %s\n", path, strerror(-rc));
			return rc;
		}
		f->n++;
	}
	return 0;
}

static const struct bench_case *plain_case(const struct bench_results *r, enum bench_dir d, uint16_t size,
					   uint32_t sessions, enum spg_cipher cipher)
{
	for (unsigned int i = 0; i < r->n_cases; i++) {
		const struct bench_case *c = &r->cases[i];

		if (c->dir == d && c->size == size && c->sessions == sessions && c->cipher == cipher)
			return c;
	}
	return NULL;
}

static int measure(struct bench_env *e, struct bench_crypto *cr, const struct bench_opts *o, enum bench_dir d,
		   uint16_t size, uint32_t n, struct bench_rec_case *rc_out, const struct bench_results *r)
{
	struct bench_opts only_pipe = *o;
	struct bench_case c = { .dir = d, .size = size, .sessions = n, .cipher = e->plan.cipher };
	const struct spg_worker_stats *ws = &e->dp.workers[0]->stats;
	const struct bench_case *plain = plain_case(r, d, size, n, e->plan.cipher);
	uint64_t copied = ws->rec_copied, lost = ws->rec_dropped;
	int rc;

	only_pipe.skip_bare = true;
	only_pipe.skip_crypto = true;
	c.crypto_len = bench_esp_crypto_len(size);
	rc = bench_run_case(e, cr, &only_pipe, &c);
	if (rc != 0)
		return rc;
	memset(rc_out, 0, sizeof(*rc_out));
	rc_out->dir = d;
	rc_out->size = size;
	rc_out->sessions = n;
	rc_out->cipher = e->plan.cipher;
	rc_out->pipe = c.pipe;
	rc_out->plain_mpps = plain != NULL ? plain->pipe.mpps : 0.0;
	rc_out->ratio = rc_out->plain_mpps > 0 ? c.pipe.mpps / rc_out->plain_mpps : 0.0;
	rc_out->offered = c.offered;
	rc_out->forwarded = c.forwarded;
	rc_out->copies = ws->rec_copied - copied;
	rc_out->copies_dropped = ws->rec_dropped - lost;
	return 0;
}

int bench_record_step(struct bench_env *e, struct bench_crypto *cr, const struct bench_opts *o, uint32_t n,
		      struct bench_results *r)
{
	struct rec_files f = {0};
	int rc;

	rc = rec_start_all(e, &f);
	e->rec_discard = true;
	for (int d = 0; d < BENCH_N_DIRS && rc == 0; d++) {
		if (!o->dirs[d])
			continue;
		for (unsigned int s = 0; s < o->n_sizes && rc == 0; s++) {
			if (r->n_rec == BENCH_MAX_REC) {
				rc = -ENOSPC;
				break;
			}
			rc = measure(e, cr, o, (enum bench_dir)d, o->sizes[s], n, &r->rec[r->n_rec], r);
			if (rc == 0)
				r->n_rec++;
		}
	}
	e->rec_discard = false;
	bench_rec_discard(e->dp.workers[0]);
	rec_stop_all(e, &f);
	if (rc != 0)
		fprintf(stderr, "spgate-bench: recorded cases, %u sessions: %s\n", n, strerror(-rc));
	return rc;
}
