/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `spgatectl dp session add --batch FILE|-` and `dp session del --batch FILE|-`: many sessions
 * from one spgatectl process over one connection. One spgatectl per session costs ~26 ms of
 * process start-up each, while spgate-dp's socket takes tens of thousands a second.
 *
 * Adds go out SPG_DP_ADD_BATCH_MAX to a SESSION_ADD_BATCH message, deletes SPG_DP_DEL_BATCH_MAX
 * to a SESSION_DEL_BATCH; each reply has an errno per session. A malformed line is
 * reported with FILE:LINE and skipped, a refused session likewise; the rest are installed, and
 * the summary and the exit code (2 malformed, 1 refused, 0 all done) say what happened.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dp_api.h"
#include "dp_cmds.h"
#include "dp_owner.h"
#include "output.h"
#include "spgatectl.h"

/* More words than any add line can sensibly have (14 options with values, and room for mistakes). */
#define BATCH_MAX_WORDS 64

struct batch_in {
	FILE *f;
	const char *name; /* as the operator wrote it, "-" for standard input */
	unsigned line;    /* the number of the line last read */
	char *buf;
	size_t cap;
	char where[320]; /* "FILE:LINE", what errors name */
};

struct batch_tally {
	uint64_t done, refused, malformed;
	struct timespec start;
};

static int batch_open(struct batch_in *in, const char *path)
{
	memset(in, 0, sizeof(*in));
	in->name = path;
	if (strcmp(path, "-") == 0) {
		in->f = stdin;
		in->name = "(standard input)";
		return 0;
	}
	in->f = fopen(path, "r");
	if (in->f == NULL) {
		fprintf(stderr, "spgatectl: --batch %s: %s\n", path, strerror(errno));
		return SPGCTL_EXIT_USAGE;
	}
	return 0;
}

static void batch_close(struct batch_in *in)
{
	if (in->buf != NULL) /* add lines carry keys */
		explicit_bzero(in->buf, in->cap);
	free(in->buf);
	if (in->f != NULL && in->f != stdin)
		fclose(in->f);
}

/*
 * The next line that is not blank or a comment, split at blanks into argv[1..] (argv[0] is
 * verb, as spgctl_parse expects). Returns the word count + 1, 0 at the end of the input, or
 * -1 on a read error (printed).
 */
static int batch_next(struct batch_in *in, const char *verb, char **argv)
{
	ssize_t n;
	char *save, *w;
	int argc;

	for (;;) {
		n = getline(&in->buf, &in->cap, in->f);
		if (n < 0) {
			if (ferror(in->f)) {
				fprintf(stderr, "spgatectl: --batch %s: read error after line %u: %s\n", in->name,
					in->line, strerror(errno));
				return -1;
			}
			return 0;
		}
		in->line++;
		snprintf(in->where, sizeof(in->where), "%s:%u", in->name, in->line);
		argc = 0;
		argv[argc++] = (char *)verb;
		for (w = strtok_r(in->buf, " \t\r\n", &save); w != NULL; w = strtok_r(NULL, " \t\r\n", &save)) {
			if (argc == 1 && w[0] == '#')
				break;
			if (argc == BATCH_MAX_WORDS) {
				fprintf(stderr, "spgatectl: %s: more than %d words\n", in->where, BATCH_MAX_WORDS - 1);
				return BATCH_MAX_WORDS + 1; /* malformed: the caller's parser is not asked */
			}
			argv[argc++] = w;
		}
		if (argc > 1)
			return argc;
	}
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void batch_summary(const struct spgctl *ctl, const struct batch_tally *t, const char *done_word)
{
	struct out_json j;
	double secs = seconds_since(&t->start);

	if (!ctl->json) {
		printf("%s %" PRIu64 " session%s, %" PRIu64 " refused, %" PRIu64 " malformed lines, in %.3f s\n",
		       done_word, t->done, t->done == 1 ? "" : "s", t->refused, t->malformed, secs);
		return;
	}
	out_json_init(&j, stdout);
	out_json_object_begin(&j, NULL);
	out_json_u64(&j, done_word, t->done);
	out_json_u64(&j, "refused", t->refused);
	out_json_u64(&j, "malformed", t->malformed);
	out_json_object_end(&j);
	out_json_finish(&j);
}

static int batch_exit(const struct batch_tally *t)
{
	if (t->malformed > 0)
		return SPGCTL_EXIT_USAGE;
	return t->refused > 0 ? SPGCTL_EXIT_REFUSED : SPGCTL_EXIT_OK;
}

/* ---- the batch messages ---- */

/* A SESSION_ADD_BATCH or SESSION_DEL_BATCH reply: an errno per session of the request. */
struct batch_reply {
	struct spg_dp_session_add_batch_rep head;
	int32_t error[SPG_DP_DEL_BATCH_MAX > SPG_DP_ADD_BATCH_MAX ? SPG_DP_DEL_BATCH_MAX : SPG_DP_ADD_BATCH_MAX];
};

/*
 * Sends a batch of n sessions and counts each one's fate, reporting refusals by line (and by
 * id, ids not NULL: deletes). Returns 0 or UNREACHABLE: a refusal of the message itself (an
 * older dataplane's EOPNOTSUPP) or a reply that does not answer for every session.
 */
static int batch_send(struct spgctl *ctl, const char *what, uint16_t type, const void *body, size_t body_len,
		      uint32_t n, const unsigned *line, const uint64_t *ids, const char *name, struct batch_tally *t)
{
	static struct batch_reply rep;
	const char *ename;
	size_t len = 0;
	int32_t err;
	int rc;

	rc = dp_call(ctl, what, type, body, body_len, &rep, sizeof(rep), &len);
	if (rc == SPGCTL_EXIT_REFUSED)
		return SPGCTL_EXIT_UNREACHABLE;
	if (rc != 0)
		return rc;
	if (len < sizeof(rep.head) + n * sizeof(rep.error[0]) || rep.head.count != n) {
		fprintf(stderr, "spgatectl: %s: the dataplane answered for %u of %u sessions\n", what, rep.head.count, n);
		return SPGCTL_EXIT_UNREACHABLE;
	}
	for (uint32_t i = 0; i < n; i++) {
		err = rep.error[i];
		if (err == 0) {
			t->done++;
			continue;
		}
		t->refused++;
		ename = strerrorname_np(err);
		if (ids != NULL)
			fprintf(stderr, "spgatectl: %s:%u: session %" PRIu64 ": %s (%s)\n", name, line[i], ids[i],
				err == ENOENT ? "no such session" : strerror(err), ename != NULL ? ename : "?");
		else
			fprintf(stderr, "spgatectl: %s:%u: refused: %s (%s)%s\n", name, line[i], strerror(err),
				ename != NULL ? ename : "?",
				err == EEXIST ? ": its id, virtual address or inbound SPI is taken, or a key "
						"was used before" : "");
	}
	return 0;
}

/* ---- add ---- */

struct add_batch {
	struct spg_dp_session_add_batch_req head;
	struct spg_dp_session_params p[SPG_DP_ADD_BATCH_MAX];
	unsigned line[SPG_DP_ADD_BATCH_MAX]; /* where each came from, for the errors */
};

/* Sends the sessions gathered in b (and wipes their keys). 0 or UNREACHABLE. */
static int add_flush(struct spgctl *ctl, struct add_batch *b, const char *name, struct batch_tally *t)
{
	uint32_t n = b->head.count;
	int rc;

	if (n == 0)
		return 0;
	rc = batch_send(ctl, "session add --batch", SPG_DP_SESSION_ADD_BATCH, b,
			sizeof(b->head) + n * sizeof(b->p[0]), n, b->line, NULL, name, t);
	explicit_bzero(b->p, sizeof(b->p));
	b->head.count = 0;
	return rc;
}

int dp_batch_add(struct spgctl *ctl, const char *path)
{
	static struct add_batch b; /* ~16 KiB of keys: off the stack, wiped after each send */
	struct batch_tally t = {0};
	struct batch_in in;
	char *argv[BATCH_MAX_WORDS + 1];
	int argc, rc;

	rc = batch_open(&in, path);
	if (rc != 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t.start);
	spgctl_usage_hint(false);
	while ((argc = batch_next(&in, "add", argv)) > 0) {
		struct spg_dp_session_params *p = &b.p[b.head.count];

		memset(p, 0, sizeof(*p));
		if (argc > BATCH_MAX_WORDS || dp_arg_session_add(in.where, argc, argv, p, NULL) != 0) {
			t.malformed++;
			continue;
		}
		b.line[b.head.count++] = in.line;
		if (b.head.count == SPG_DP_ADD_BATCH_MAX && (rc = add_flush(ctl, &b, in.name, &t)) != 0)
			break;
	}
	if (rc == 0)
		rc = add_flush(ctl, &b, in.name, &t);
	spgctl_usage_hint(true);
	if (argc < 0 && rc == 0)
		rc = SPGCTL_EXIT_USAGE;
	batch_close(&in);
	batch_summary(ctl, &t, "added");
	return rc != 0 ? rc : batch_exit(&t);
}

/* ---- del ---- */

/*
 * Whether id may go without --force: not when spgate-control owns it (it would re-add it). If
 * spgate-control cannot be asked, says so once and stops asking (*ask false).
 */
static bool del_allowed(uint64_t id, const struct batch_in *in, int timeout_ms, bool *ask)
{
	char state[32], err[512];

	if (!*ask)
		return true;
	switch (dp_session_owner(id, timeout_ms, state, sizeof(state), err, sizeof(err))) {
	case DP_OWNER_NONE:
		return true;
	case DP_OWNER_UNKNOWN:
		fprintf(stderr, "spgatectl: %s: cannot ask spgate-control which sessions it owns (%s); deleting "
			"the rest without asking\n", in->where, err);
		*ask = false;
		return true;
	case DP_OWNER_CONTROL:
		break;
	}
	fprintf(stderr, "spgatectl: %s: session %" PRIu64 " is spgate-control's (%s): not deleted; end it with "
		"`spgatectl disconnect %" PRIu64 "`, or use --force\n", in->where, id, state, id);
	return false;
}

struct del_batch {
	struct spg_dp_session_del_batch_req head;
	uint64_t id[SPG_DP_DEL_BATCH_MAX];
	unsigned line[SPG_DP_DEL_BATCH_MAX];
};

/* Sends the ids gathered in b. 0 or UNREACHABLE. */
static int del_flush(struct spgctl *ctl, struct del_batch *b, const char *name, struct batch_tally *t)
{
	uint32_t n = b->head.count;
	int rc;

	if (n == 0)
		return 0;
	rc = batch_send(ctl, "session del --batch", SPG_DP_SESSION_DEL_BATCH, b,
			sizeof(b->head) + n * sizeof(b->id[0]), n, b->line, b->id, name, t);
	b->head.count = 0;
	return rc;
}

int dp_batch_del(struct spgctl *ctl, const char *path, bool force)
{
	static struct del_batch b;
	struct batch_tally t = {0};
	struct batch_in in;
	char *argv[BATCH_MAX_WORDS + 1];
	bool ask = !force;
	uint64_t id;
	int argc, rc;

	rc = batch_open(&in, path);
	if (rc != 0)
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t.start);
	if (force)
		fprintf(stderr, "spgatectl: warning: --force: sessions spgate-control owns are deleted too; it "
			"re-adds them rekeyed\n");
	spgctl_usage_hint(false);
	while ((argc = batch_next(&in, "del", argv)) > 0) {
		if (argc != 2) {
			fprintf(stderr, "spgatectl: %s: expected one session id, found %d words\n", in.where, argc - 1);
			t.malformed++;
			continue;
		}
		if (!dp_arg_session_id(in.where, "ID", argv[1], &id)) {
			t.malformed++;
			continue;
		}
		if (!del_allowed(id, &in, ctl->timeout_ms, &ask)) {
			t.refused++;
			continue;
		}
		b.id[b.head.count] = id;
		b.line[b.head.count++] = in.line;
		if (b.head.count == SPG_DP_DEL_BATCH_MAX && (rc = del_flush(ctl, &b, in.name, &t)) != 0)
			break;
	}
	if (rc == 0)
		rc = del_flush(ctl, &b, in.name, &t);
	spgctl_usage_hint(true);
	if (argc < 0 && rc == 0)
		rc = SPGCTL_EXIT_USAGE;
	batch_close(&in);
	batch_summary(ctl, &t, "deleted");
	return rc != 0 ? rc : batch_exit(&t);
}
