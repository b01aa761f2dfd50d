/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drives the real control/auth code from the command line for the integration tests: builds
 * an auth_config from options, runs each attempt through auth_start() on a libevent loop,
 * one after another, and prints each result as one JSON line.
 *
 *   auth_probe [--server host:port:secret]... [--methods radius[,local]]
 *              [--timeout-ms N] [--retries N] [--max-failures N] [--window S]
 *              [--group-attribute NAME] [--local user:password[:g1,g2]]...
 *              [--require-message-authenticator yes|no]
 *              [--respond TEXT]... [--respond-cmd COMMAND] user:password[:source]...
 * (the Message-Authenticator requirement defaults to spgate-control's config default)
 *
 * An Access-Challenge is answered with the next --respond text, or else with the first line
 * that COMMAND prints when run at that moment (e.g. oathtool --totp: a code of the current
 * step; also a --respond of "-"), through auth_continue(); each round prints its own line.
 * Without either, the challenge line is the last.
 *
 * Output: {"user","source","outcome","error","method","groups","detail","ms","prompt",
 * "answered"}; "error" is the API's error code for the outcome (docs/control-plane.md), null
 * when accepted; "prompt" the challenge's Reply-Message; "answered" whether the accept came
 * after answering a challenge.
 * Exit status: 0 when every attempt got an answer, 1 when set-up failed, 2 for usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>

#include "auth/auth.h"
#include "auth/passwd.h"
#include "config.h"

#define PROBE_MAX_LOCAL 8
#define PROBE_ATTEMPT_TIMEOUT_S 120
#define PROBE_MAX_RESPONSES 16

struct probe_user {
	char name[AUTH_NAME_MAX];
	char hash[PASSWD_HASH_MAX];
	char groups[AUTH_MAX_GROUPS][AUTH_NAME_MAX];
	unsigned n_groups;
};

static struct probe_user local_users[PROBE_MAX_LOCAL];
static unsigned n_local_users;
static const char *responses[PROBE_MAX_RESPONSES];
static unsigned n_responses, next_response;
static const char *respond_cmd;

static int probe_lookup(void *ctx, const char *user, char *hash, size_t hashlen,
			char groups[][AUTH_NAME_MAX], unsigned *n_groups, unsigned max_groups)
{
	unsigned i, g;

	(void)ctx;
	for (i = 0; i < n_local_users; i++) {
		if (strcmp(local_users[i].name, user) != 0)
			continue;
		snprintf(hash, hashlen, "%s", local_users[i].hash);
		for (g = 0; g < local_users[i].n_groups && g < max_groups; g++)
			memcpy(groups[g], local_users[i].groups[g], AUTH_NAME_MAX);
		*n_groups = g;
		return 0;
	}
	return -ENOENT;
}

static const char *probe_error_code(enum auth_outcome o)
{
	switch (o) {
	case AUTH_OK:
		return NULL;
	case AUTH_FAILED:
		return "auth_failed";
	case AUTH_RATE_LIMITED:
		return "rate_limited";
	case AUTH_UNAVAILABLE:
		return "auth_unavailable";
	case AUTH_CHALLENGE:
		return "challenge";
	}
	return "internal";
}

struct attempt {
	struct auth_result r;
	bool answered, expired;
	struct timespec t0;
};

static double probe_ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void probe_print(const struct attempt *at)
{
	const char *err = probe_error_code(at->r.outcome);
	json_t *groups = json_array(), *o;
	unsigned i;
	char *s;

	for (i = 0; i < at->r.n_groups; i++)
		json_array_append_new(groups, json_string(at->r.groups[i]));
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:s, s:f, s:s, s:b}", "user", at->r.user,
		      "source", at->r.source, "outcome", auth_outcome_name(at->r.outcome), "error",
		      err ? json_string(err) : json_null(), "method",
		      at->r.method ? json_string(at->r.method) : json_null(), "groups", groups,
		      "detail", at->r.detail, "ms", probe_ms_since(&at->t0), "prompt",
		      at->r.outcome == AUTH_CHALLENGE ? at->r.challenge.prompt : "", "answered",
		      at->r.challenge_answered);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	printf("%s\n", s ? s : "{\"outcome\":\"probe_json_error\"}");
	fflush(stdout);
	free(s);
	json_decref(o);
}

static void probe_done(const struct auth_result *r, void *arg)
{
	struct attempt *at = arg;

	at->r = *r;
	at->answered = true;
}

static void probe_expired(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	((struct attempt *)arg)->expired = true;
}

/* Runs the loop until at is answered (bounded). 0 or -1. */
static int probe_wait(struct event_base *base, struct attempt *at, const char *user)
{
	struct timeval limit = { PROBE_ATTEMPT_TIMEOUT_S, 0 };
	struct event *t;

	t = evtimer_new(base, probe_expired, at);
	evtimer_add(t, &limit);
	while (!at->answered && !at->expired)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(t);
	if (!at->answered) {
		fprintf(stderr, "auth_probe: no answer for %s after %d s\n", user,
			PROBE_ATTEMPT_TIMEOUT_S);
		return -1;
	}
	return 0;
}

/* The answer to a challenge: the next --respond, or --respond-cmd's output now. */
static bool probe_response(char *buf, size_t size)
{
	FILE *p;

	if (next_response < n_responses && strcmp(responses[next_response], "-") != 0) {
		snprintf(buf, size, "%s", responses[next_response++]);
		return true;
	}
	if (next_response < n_responses)
		next_response++;
	if (respond_cmd == NULL || (p = popen(respond_cmd, "r")) == NULL)
		return false;
	if (fgets(buf, (int)size, p) == NULL)
		buf[0] = '\0';
	pclose(p);
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] != '\0';
}

/* Runs one attempt to its answer (bounded), answering challenges. Returns 0 or -1. */
static int probe_attempt(struct event_base *base, struct auth *a, char *spec)
{
	char *user = spec, *pw, *source = NULL, response[128];
	struct attempt at = { 0 };
	struct auth_challenge ch;
	int rc;

	pw = strchr(spec, ':');
	if (pw == NULL) {
		fprintf(stderr, "auth_probe: attempt \"%s\" is not user:password[:source]\n", spec);
		return -1;
	}
	*pw++ = '\0';
	source = strchr(pw, ':');
	if (source != NULL)
		*source++ = '\0';
	clock_gettime(CLOCK_MONOTONIC, &at.t0);
	rc = auth_start(a, user, pw, source, probe_done, &at);
	for (;;) {
		if (rc < 0) {
			printf("{\"user\":\"%s\",\"start_error\":\"%s\"}\n", user, strerror(-rc));
			return 0;
		}
		if (probe_wait(base, &at, user) < 0)
			return -1;
		probe_print(&at);
		if (at.r.outcome != AUTH_CHALLENGE || !probe_response(response, sizeof(response)))
			return 0;
		ch = at.r.challenge;
		at.answered = false;
		clock_gettime(CLOCK_MONOTONIC, &at.t0);
		rc = auth_continue(a, user, response, &ch, source, probe_done, &at);
	}
}

static int probe_add_server(struct auth_config *cfg, const char *arg)
{
	struct auth_radius_server *s;
	const char *c1 = strchr(arg, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

	if (c2 == NULL || cfg->n_servers >= AUTH_MAX_SERVERS ||
	    (size_t)(c2 - arg) >= sizeof(s->address) || strlen(c2 + 1) >= sizeof(s->secret))
		return -1;
	s = &cfg->servers[cfg->n_servers++];
	memcpy(s->address, arg, (size_t)(c2 - arg));
	s->address[c2 - arg] = '\0';
	strcpy(s->secret, c2 + 1);
	return 0;
}

static int probe_add_methods(struct auth_config *cfg, char *arg)
{
	char *save = NULL, *m;

	cfg->n_methods = 0;
	for (m = strtok_r(arg, ",", &save); m != NULL; m = strtok_r(NULL, ",", &save)) {
		if (cfg->n_methods >= 2)
			return -1;
		if (strcmp(m, "radius") == 0)
			cfg->methods[cfg->n_methods++] = AUTH_METHOD_RADIUS;
		else if (strcmp(m, "local") == 0)
			cfg->methods[cfg->n_methods++] = AUTH_METHOD_LOCAL;
		else
			return -1;
	}
	return cfg->n_methods ? 0 : -1;
}

static int probe_add_local(char *arg)
{
	struct probe_user *u;
	char *pw, *groups, *save = NULL, *g;

	pw = strchr(arg, ':');
	if (pw == NULL || n_local_users >= PROBE_MAX_LOCAL)
		return -1;
	*pw++ = '\0';
	groups = strchr(pw, ':');
	if (groups != NULL)
		*groups++ = '\0';
	u = &local_users[n_local_users++];
	snprintf(u->name, sizeof(u->name), "%s", arg);
	if (passwd_hash(pw, u->hash, sizeof(u->hash)) < 0)
		return -1;
	for (g = groups ? strtok_r(groups, ",", &save) : NULL;
	     g != NULL && u->n_groups < AUTH_MAX_GROUPS; g = strtok_r(NULL, ",", &save))
		snprintf(u->groups[u->n_groups++], AUTH_NAME_MAX, "%s", g);
	return 0;
}

static void probe_usage(void)
{
	fprintf(stderr,
		"usage: auth_probe [--server host:port:secret]... [--methods radius[,local]]\n"
		"                  [--timeout-ms N] [--retries N] [--max-failures N] [--window S]\n"
		"                  [--group-attribute NAME] [--local user:password[:g1,g2]]...\n"
		"                  [--require-message-authenticator yes|no]\n"
		"                  [--respond TEXT]... [--respond-cmd COMMAND]\n"
		"                  user:password[:source]...\n");
}

/* Parses the options into cfg; returns the index of the first attempt, or -1. */
static int probe_parse(int argc, char **argv, struct auth_config *cfg)
{
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *opt = argv[i];
		char *val = i + 1 < argc ? argv[i + 1] : NULL;
		int rc = 0;

		if (val == NULL)
			return -1;
		if (strcmp(opt, "--server") == 0)
			rc = probe_add_server(cfg, val);
		else if (strcmp(opt, "--methods") == 0)
			rc = probe_add_methods(cfg, val);
		else if (strcmp(opt, "--timeout-ms") == 0)
			cfg->timeout_ms = (unsigned)atoi(val);
		else if (strcmp(opt, "--retries") == 0)
			cfg->retries = (unsigned)atoi(val);
		else if (strcmp(opt, "--max-failures") == 0)
			cfg->max_failures = (unsigned)atoi(val);
		else if (strcmp(opt, "--window") == 0)
			cfg->window_s = (unsigned)atoi(val);
		else if (strcmp(opt, "--group-attribute") == 0)
			snprintf(cfg->group_attribute, sizeof(cfg->group_attribute), "%s", val);
		else if (strcmp(opt, "--local") == 0)
			rc = probe_add_local(val);
		else if (strcmp(opt, "--respond") == 0 && n_responses < PROBE_MAX_RESPONSES)
			responses[n_responses++] = val;
		else if (strcmp(opt, "--respond-cmd") == 0)
			respond_cmd = val;
		else if (strcmp(opt, "--require-message-authenticator") == 0)
			cfg->require_message_authenticator = strcmp(val, "yes") == 0;
		else
			rc = -1;
		if (rc < 0) {
			fprintf(stderr, "auth_probe: bad %s \"%s\"\n", opt, val);
			return -1;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct auth_config cfg = { .methods = { AUTH_METHOD_RADIUS }, .n_methods = 1,
				   .timeout_ms = 1000, .window_s = 60 };
	struct event_base *base;
	struct ctl_config defaults;
	struct auth *a;
	int first, i, rc = 0;

	/* What spgate-control does when auth.radius.require_message_authenticator is not set. */
	ctl_config_defaults(&defaults);
	cfg.require_message_authenticator = defaults.auth.radius.require_message_authenticator;

	first = probe_parse(argc, argv, &cfg);
	if (first < 0) {
		probe_usage();
		return 2;
	}
	base = event_base_new();
	if (base == NULL)
		return 1;
	a = auth_create(base, &cfg, probe_lookup, NULL);
	if (a == NULL) {
		fprintf(stderr, "auth_probe: auth_create: %s\n", strerror(errno));
		event_base_free(base);
		return 1;
	}
	for (i = first; i < argc && rc == 0; i++)
		rc = probe_attempt(base, a, argv[i]);
	auth_free(a);
	event_base_free(base);
	return rc < 0 ? 1 : 0;
}
