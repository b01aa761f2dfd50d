/* SPDX-License-Identifier: BSD-3-Clause */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>

#include "local.h"
#include "radius.h"
#include "ratelimit.h"

#define AUTH_DEFAULT_WORKERS 4
#define AUTH_MAX_WORKERS 32
#define AUTH_MAX_PENDING 256

/*
 * One login attempt, from auth_start() to its callback. It sits on the live list the whole
 * time (for auth_cancel and the pending counts) and on one queue at a time: todo (waiting
 * for a worker), none (on a worker), done (waiting for the loop).
 */
struct auth_job {
	struct auth_job *live_prev, *live_next;
	struct auth_job *qnext;
	char password[AUTH_PASSWORD_MAX + 1]; /* or the response to a challenge */
	struct auth_challenge cont;	      /* the challenge answered, when continuing */
	bool continuing;
	bool second_factor_follows;   /* an AUTH_OK clears no failure: auth_start_mfa() */
	struct auth_local_user local; /* looked up on the loop thread, when local is configured */
	auth_done_fn done;
	void *arg;
	bool cancelled;
	bool limited; /* refused by the rate limiter: no backend work, not an attempt */
	struct auth_result res; /* res.user and res.source are the request's */
};

struct auth_worker {
	pthread_t thread;
	bool started;
	struct auth *a;
};

struct auth {
	struct auth_config cfg;
	auth_local_lookup_fn lookup;
	void *lookup_ctx;
	bool use_local;
	struct auth_radius *radius; /* read-only, shared by the workers; NULL without RADIUS */
	struct ratelimit *rl;	    /* loop thread only */
	int efd;	      /* workers -> loop: "something is on the done queue" */
	struct event *ev;

	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;
	bool stopping;
	unsigned n_live;
	struct auth_job *live;
	struct auth_job *todo, **todo_tail;
	struct auth_job *done, **done_tail;

	unsigned n_workers;
	struct auth_worker workers[];
};

const char *auth_outcome_name(enum auth_outcome o)
{
	switch (o) {
	case AUTH_OK:
		return "ok";
	case AUTH_FAILED:
		return "failed";
	case AUTH_RATE_LIMITED:
		return "rate_limited";
	case AUTH_UNAVAILABLE:
		return "unavailable";
	case AUTH_CHALLENGE:
		return "challenge";
	}
	return "?";
}

static bool auth_user_ok(const char *user);
static void auth_count_pending(const struct auth *a, const char *user, const char *source,
			       unsigned *n_user, unsigned *n_source);

static void auth_job_free(struct auth_job *j)
{
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

/* Called with mu held. */
static void auth_unlink_live(struct auth *a, struct auth_job *j)
{
	if (j->live_prev != NULL)
		j->live_prev->live_next = j->live_next;
	else
		a->live = j->live_next;
	if (j->live_next != NULL)
		j->live_next->live_prev = j->live_prev;
	a->n_live--;
}

static void auth_wake_loop(struct auth *a)
{
	uint64_t one = 1;

	/* Cannot fail short of a counter overflow; the loop drains it on every wake-up. */
	if (write(a->efd, &one, sizeof(one)) < 0)
		return;
}

/* Called with mu held. */
static void auth_push_done(struct auth *a, struct auth_job *j)
{
	j->qnext = NULL;
	*a->done_tail = j;
	a->done_tail = &j->qnext;
}

static enum auth_outcome auth_run_local(struct auth_job *j, bool *no_such_user)
{
	switch (auth_local_check(&j->local, j->password, &j->res)) {
	case AUTH_LOCAL_OK:
		return AUTH_OK;
	case AUTH_LOCAL_WRONG_PASSWORD:
		return AUTH_FAILED;
	case AUTH_LOCAL_NO_SUCH_USER:
		*no_such_user = true;
		return AUTH_UNAVAILABLE; /* not a verdict: the next method may know the user */
	case AUTH_LOCAL_UNAVAILABLE:
		break;
	}
	return AUTH_UNAVAILABLE;
}

/* The method chain of auth.h: the first verdict decides. */
static void auth_run_methods(struct auth_worker *w, struct auth_job *j)
{
	const struct auth_config *cfg = &w->a->cfg;
	enum auth_outcome o = AUTH_UNAVAILABLE;
	bool no_such_user = false;
	unsigned i;

	if (j->continuing) {
		o = w->a->radius != NULL ? auth_radius_continue(w->a->radius, j->res.user, j->password,
								&j->cont, &j->res)
					 : AUTH_FAILED;
		OPENSSL_cleanse(&j->cont, sizeof(j->cont));
		if (o != AUTH_OK)
			j->res.n_groups = 0;
		j->res.outcome = o;
		return;
	}
	for (i = 0; i < cfg->n_methods && o == AUTH_UNAVAILABLE; i++) {
		if (cfg->methods[i] == AUTH_METHOD_RADIUS)
			o = auth_radius_check(w->a->radius, j->res.user, j->password, &j->res);
		else
			o = auth_run_local(j, &no_such_user);
	}
	/* An unknown user must not read as "backend down": that would tell who exists. */
	if (o == AUTH_UNAVAILABLE && no_such_user) {
		o = AUTH_FAILED;
		j->res.method = "local";
	}
	if (o != AUTH_OK)
		j->res.n_groups = 0;
	if (o == AUTH_UNAVAILABLE)
		j->res.method = NULL;
	j->res.outcome = o;
}

static void *auth_worker_main(void *arg)
{
	struct auth_worker *w = arg;
	struct auth *a = w->a;
	struct auth_job *j;

	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (!a->stopping && a->todo == NULL)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->stopping)
			break;
		j = a->todo;
		a->todo = j->qnext;
		if (a->todo == NULL)
			a->todo_tail = &a->todo;
		pthread_mutex_unlock(&a->mu);

		/* A cancelled job still runs: its failure must count against the rate limit. */
		auth_run_methods(w, j);
		OPENSSL_cleanse(j->password, sizeof(j->password));

		pthread_mutex_lock(&a->mu);
		auth_push_done(a, j);
		auth_wake_loop(a);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/*
 * A success clears the user's failures, unless a second factor follows (auth_start_mfa):
 * a right password must not wipe the failed codes before it, or the password would buy
 * unlimited guesses at the code. The caller then clears them with auth_note().
 */
static void auth_account(struct auth *a, const struct auth_job *j)
{
	if (j->res.outcome == AUTH_FAILED)
		ratelimit_failure(a->rl, j->res.user, j->res.source);
	else if (j->res.outcome == AUTH_OK && !j->second_factor_follows)
		ratelimit_success(a->rl, j->res.user);
}

bool auth_allowed(struct auth *a, const char *user, const char *source_addr)
{
	unsigned n_user, n_source;

	if (a == NULL || !auth_user_ok(user))
		return false;
	pthread_mutex_lock(&a->mu);
	auth_count_pending(a, user, source_addr != NULL ? source_addr : "", &n_user, &n_source);
	pthread_mutex_unlock(&a->mu);
	return ratelimit_allowed_pending(a->rl, user, n_user, source_addr != NULL ? source_addr : "",
					 n_source, NULL);
}

void auth_note(struct auth *a, const char *user, const char *source_addr, bool ok)
{
	if (a == NULL || user == NULL)
		return;
	if (ok)
		ratelimit_success(a->rl, user);
	else
		ratelimit_failure(a->rl, user, source_addr != NULL ? source_addr : "");
}

/* Loop thread: delivers finished jobs. */
static void auth_on_done(evutil_socket_t fd, short what, void *arg)
{
	struct auth *a = arg;
	struct auth_job *list, *j;
	uint64_t n;

	(void)what;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&a->mu);
	list = a->done;
	a->done = NULL;
	a->done_tail = &a->done;
	for (j = list; j != NULL; j = j->qnext)
		auth_unlink_live(a, j);
	pthread_mutex_unlock(&a->mu);

	while ((j = list) != NULL) {
		list = j->qnext;
		auth_account(a, j);
		/* cancelled is only set on the loop thread (auth_cancel), so no lock is needed. */
		if (!j->cancelled)
			j->done(&j->res, j->arg);
		auth_job_free(j);
	}
}

static bool auth_user_ok(const char *user)
{
	size_t n = user != NULL ? strnlen(user, AUTH_NAME_MAX) : 0;
	size_t i;

	if (n == 0 || n >= AUTH_NAME_MAX)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)user[i] < 0x20 || user[i] == 0x7f)
			return false;
	return true;
}

/* Called with mu held: attempts in flight for this user and this source. */
static void auth_count_pending(const struct auth *a, const char *user, const char *source,
			       unsigned *n_user, unsigned *n_source)
{
	const struct auth_job *j;

	*n_user = *n_source = 0;
	for (j = a->live; j != NULL; j = j->live_next) {
		if (j->limited)
			continue;
		if (strcasecmp(j->res.user, user) == 0)
			(*n_user)++;
		if (source[0] != '\0' && strcmp(j->res.source, source) == 0)
			(*n_source)++;
	}
}

/* Queues j (its user, source and secret set): rate limit first, then a worker. */
static int auth_submit(struct auth *a, struct auth_job *j)
{
	unsigned n_user, n_source;

	pthread_mutex_lock(&a->mu);
	if (a->n_live >= AUTH_MAX_PENDING) {
		pthread_mutex_unlock(&a->mu);
		auth_job_free(j);
		return -EBUSY;
	}
	auth_count_pending(a, j->res.user, j->res.source, &n_user, &n_source);
	pthread_mutex_unlock(&a->mu);

	/* Rate limiting comes before any backend is asked; the answer still comes later. */
	if (!ratelimit_allowed_pending(a->rl, j->res.user, n_user, j->res.source, n_source, NULL)) {
		j->limited = true;
		j->res.outcome = AUTH_RATE_LIMITED;
		snprintf(j->res.detail, sizeof(j->res.detail), "rate limited (user or source)");
	} else if (a->use_local && !j->continuing) {
		auth_local_lookup(a->lookup, a->lookup_ctx, j->res.user, &j->local);
	}

	pthread_mutex_lock(&a->mu);
	j->live_next = a->live;
	if (a->live != NULL)
		a->live->live_prev = j;
	a->live = j;
	a->n_live++;
	if (j->limited) {
		OPENSSL_cleanse(j->password, sizeof(j->password));
		OPENSSL_cleanse(&j->cont, sizeof(j->cont));
		auth_push_done(a, j);
		auth_wake_loop(a);
	} else {
		j->qnext = NULL;
		*a->todo_tail = j;
		a->todo_tail = &j->qnext;
		pthread_cond_signal(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return 0;
}

static struct auth_job *auth_job_new(const char *user, const char *secret,
				     const char *source_addr, auth_done_fn done, void *arg)
{
	struct auth_job *j;
	size_t plen;

	if (done == NULL || !auth_user_ok(user) || secret == NULL) {
		errno = EINVAL;
		return NULL;
	}
	plen = strnlen(secret, AUTH_PASSWORD_MAX + 1);
	if (plen == 0 || plen > AUTH_PASSWORD_MAX) {
		errno = EINVAL;
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return NULL;
	memcpy(j->password, secret, plen);
	j->done = done;
	j->arg = arg;
	strcpy(j->res.user, user);
	snprintf(j->res.source, sizeof(j->res.source), "%s", source_addr != NULL ? source_addr : "");
	return j;
}

/* Starts a first-factor job; second_factor_follows as auth_start_mfa says. */
static int auth_start_job(struct auth *a, const char *user, const char *password, const char *source_addr,
			  bool second_factor_follows, auth_done_fn done, void *arg)
{
	struct auth_job *j;

	if (a == NULL)
		return -EINVAL;
	j = auth_job_new(user, password, source_addr, done, arg);
	if (j == NULL)
		return -errno;
	j->second_factor_follows = second_factor_follows;
	return auth_submit(a, j);
}

int auth_start(struct auth *a, const char *user, const char *password, const char *source_addr,
	       auth_done_fn done, void *arg)
{
	return auth_start_job(a, user, password, source_addr, false, done, arg);
}

int auth_start_mfa(struct auth *a, const char *user, const char *password, const char *source_addr,
		   auth_done_fn done, void *arg)
{
	return auth_start_job(a, user, password, source_addr, true, done, arg);
}

int auth_continue(struct auth *a, const char *user, const char *response,
		  const struct auth_challenge *ch, const char *source_addr, auth_done_fn done,
		  void *arg)
{
	struct auth_job *j;

	if (a == NULL || ch == NULL || ch->state_len == 0 || ch->state_len > AUTH_STATE_MAX)
		return -EINVAL;
	j = auth_job_new(user, response, source_addr, done, arg);
	if (j == NULL)
		return -errno;
	j->cont = *ch;
	j->continuing = true;
	return auth_submit(a, j);
}

unsigned auth_cancel(struct auth *a, void *arg)
{
	struct auth_job *j;
	unsigned n = 0;

	if (a == NULL)
		return 0;
	pthread_mutex_lock(&a->mu);
	for (j = a->live; j != NULL; j = j->live_next)
		if (j->arg == arg && !j->cancelled) {
			j->cancelled = true;
			n++;
		}
	pthread_mutex_unlock(&a->mu);
	return n;
}

static int auth_check_config(const struct auth_config *cfg, auth_local_lookup_fn lookup,
			     bool *use_radius, bool *use_local)
{
	unsigned i;

	*use_radius = *use_local = false;
	if (cfg->n_methods == 0 || cfg->n_methods > 2) {
		fprintf(stderr, "auth: %u methods configured (1 or 2)\n", cfg->n_methods);
		return -EINVAL;
	}
	for (i = 0; i < cfg->n_methods; i++) {
		bool *seen = cfg->methods[i] == AUTH_METHOD_RADIUS ? use_radius : use_local;

		if ((cfg->methods[i] != AUTH_METHOD_RADIUS && cfg->methods[i] != AUTH_METHOD_LOCAL) ||
		    *seen) {
			fprintf(stderr, "auth: method %u is unknown or listed twice\n", i + 1);
			return -EINVAL;
		}
		*seen = true;
	}
	if (*use_local && lookup == NULL) {
		fprintf(stderr, "auth: method local needs a store lookup\n");
		return -EINVAL;
	}
	if (cfg->max_failures > 0 && cfg->window_s == 0) {
		fprintf(stderr, "auth: max_failures %u needs a window of at least 1 s\n",
			cfg->max_failures);
		return -EINVAL;
	}
	if (cfg->workers > AUTH_MAX_WORKERS) {
		fprintf(stderr, "auth: %u workers (at most %d)\n", cfg->workers, AUTH_MAX_WORKERS);
		return -EINVAL;
	}
	return 0;
}

static int auth_start_workers(struct auth *a)
{
	unsigned i;

	for (i = 0; i < a->n_workers; i++) {
		struct auth_worker *w = &a->workers[i];

		w->a = a;
		if (pthread_create(&w->thread, NULL, auth_worker_main, w) != 0)
			return -EAGAIN;
		w->started = true;
	}
	return 0;
}

struct auth *auth_create(struct event_base *base, const struct auth_config *cfg,
			 auth_local_lookup_fn lookup, void *lookup_ctx)
{
	bool use_radius, use_local;
	unsigned n_workers;
	struct auth *a;
	int rc;

	if (base == NULL || cfg == NULL) {
		errno = EINVAL;
		return NULL;
	}
	rc = auth_check_config(cfg, lookup, &use_radius, &use_local);
	if (rc < 0) {
		errno = -rc;
		return NULL;
	}
	n_workers = cfg->workers ? cfg->workers : AUTH_DEFAULT_WORKERS;
	a = calloc(1, sizeof(*a) + n_workers * sizeof(a->workers[0]));
	if (a == NULL)
		return NULL;
	a->cfg = *cfg;
	a->lookup = lookup;
	a->lookup_ctx = lookup_ctx;
	a->use_local = use_local;
	a->n_workers = n_workers;
	a->efd = -1;
	a->todo_tail = &a->todo;
	a->done_tail = &a->done;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	a->rl = ratelimit_create(cfg->max_failures, cfg->window_s, 0, NULL, NULL);
	a->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (a->rl == NULL || a->efd < 0)
		goto fail;
	a->ev = event_new(base, a->efd, EV_READ | EV_PERSIST, auth_on_done, a);
	if (a->ev == NULL || event_add(a->ev, NULL) < 0) {
		errno = ENOMEM;
		goto fail;
	}
	if (use_radius) {
		a->radius = auth_radius_create(cfg);
		if (a->radius == NULL)
			goto fail;
	}
	rc = auth_start_workers(a);
	if (rc < 0) {
		errno = -rc;
		goto fail;
	}
	return a;
fail:
	rc = errno;
	auth_free(a);
	errno = rc;
	return NULL;
}

void auth_free(struct auth *a)
{
	struct auth_job *j;
	unsigned i;

	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	a->stopping = true;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	for (i = 0; i < a->n_workers; i++)
		if (a->workers[i].started)
			pthread_join(a->workers[i].thread, NULL);
	auth_radius_free(a->radius);
	while ((j = a->live) != NULL) {
		a->live = j->live_next;
		auth_job_free(j);
	}
	if (a->ev != NULL)
		event_free(a->ev);
	if (a->efd >= 0)
		close(a->efd);
	ratelimit_free(a->rl);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	OPENSSL_cleanse(&a->cfg, sizeof(a->cfg)); /* it holds the RADIUS secrets */
	free(a);
}
