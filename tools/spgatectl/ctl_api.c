/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One conversation with spgate-control: where to (an engineer's TLS server with the saved
 * token, or the operators' Unix socket), a call, and what a failed call means for the exit
 * code: 1 the server refused, 3 no well-formed reply, 4 log in again.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "ctl_client.h"

static struct ctl_global globals;

/*
 * jansson's memory with its size in front, wiped when freed: requests hold passwords and
 * tokens, and jansson frees its copies without clearing them.
 */
#define WIPE_HDR sizeof(max_align_t)

static void *wiping_malloc(size_t n)
{
	unsigned char *p = malloc(WIPE_HDR + n);

	if (p == NULL)
		return NULL;
	memcpy(p, &n, sizeof(n));
	return p + WIPE_HDR;
}

static void wiping_free(void *q)
{
	unsigned char *p;
	size_t n;

	if (q == NULL)
		return;
	p = (unsigned char *)q - WIPE_HDR;
	memcpy(&n, p, sizeof(n));
	explicit_bzero(q, n);
	free(p);
}

void ctl_init(const struct ctl_global *g)
{
	globals = *g;
	json_set_alloc_funcs(wiping_malloc, wiping_free);
}

const struct ctl_global *ctl_global_options(void)
{
	return &globals;
}

const char *ctl_api_where(const struct ctl_api *api)
{
	return api->socket != NULL ? api->socket : api->server;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Not logged in, for one reason or another: exit 4. */
static int need_login(const char *cmd, const char *why)
{
	fprintf(stderr, "spgatectl: %s: %s; run spgatectl login\n", cmd, why);
	return SPGCTL_EXIT_LOGIN;
}

static int load_token(struct ctl_api *api, struct ctl_token *tok)
{
	char err[512], when[64];
	struct tm tm;
	int rc;

	rc = ctl_token_load(tok, err, sizeof(err));
	if (rc == -ENOENT)
		return need_login(api->cmd, "not logged in");
	if (rc < 0)
		return need_login(api->cmd, err);
	if (tok->expires <= time(NULL)) {
		localtime_r(&tok->expires, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(err, sizeof(err), "the token expired at %s", when);
		return need_login(api->cmd, err);
	}
	return 0;
}

/* --server, $SPGATE_SERVER, else the server the token came from. */
static int pick_server(struct ctl_api *api, const struct ctl_token *tok)
{
	const char *s = globals.server, *source = "--server";
	char host[256], port[8];

	if (s == NULL) {
		s = env("SPGATE_SERVER");
		source = "SPGATE_SERVER";
	}
	if (s == NULL && tok != NULL && tok->server != NULL) {
		s = tok->server;
		source = "the token file's server";
	}
	if (s == NULL)
		return spgctl_usage_error(api->cmd, "no server: give --server HOST:PORT or set SPGATE_SERVER");
	if (!ctl_split_server(s, host, sizeof(host), port, sizeof(port)) || strlen(s) >= sizeof(api->server))
		return spgctl_usage_error(api->cmd, "%s: \"%s\" is not HOST:PORT", source, s);
	snprintf(api->server, sizeof(api->server), "%s", s);
	return 0;
}

/* --ca, $SPGATE_CA, else the CA used when the token was issued by this server. */
static int pick_ca(struct ctl_api *api, const struct ctl_token *tok)
{
	const char *ca = globals.ca, *source = "--ca";
	char abs[PATH_MAX];

	if (ca == NULL) {
		ca = env("SPGATE_CA");
		source = "SPGATE_CA";
	}
	if (ca == NULL && tok != NULL && tok->ca != NULL && tok->server != NULL && strcmp(tok->server, api->server) == 0) {
		ca = tok->ca;
		source = "the token file's CA";
	}
	if (ca == NULL)
		return spgctl_usage_error(api->cmd, "no CA to check %s against: give --ca FILE or set SPGATE_CA",
					  api->server);
	if (access(ca, R_OK) < 0)
		return spgctl_usage_error(api->cmd, "%s: cannot read \"%s\": %s", source, ca, strerror(errno));
	/* Stored with the token, so it must not depend on the directory of this run. */
	if (realpath(ca, abs) == NULL || strlen(abs) >= sizeof(api->ca))
		snprintf(abs, sizeof(abs), "%s", ca);
	snprintf(api->ca, sizeof(api->ca), "%s", abs);
	return 0;
}

static int api_connect(struct ctl_api *api)
{
	char host[256], port[8], err[600];

	if (api->socket != NULL)
		api->conn = ctl_conn_unix(api->socket, api->ctl->timeout_ms, err, sizeof(err));
	else if (ctl_split_server(api->server, host, sizeof(host), port, sizeof(port)))
		api->conn = ctl_conn_tls(host, port, api->ca, api->ctl->timeout_ms, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "\"%s\" is not HOST:PORT", api->server);
	if (api->conn != NULL)
		return 0;
	fprintf(stderr, "spgatectl: %s: %s\n", api->cmd, err);
	return SPGCTL_EXIT_UNREACHABLE;
}

int ctl_api_open(struct ctl_api *api, struct spgctl *ctl, const char *cmd, enum ctl_route route)
{
	struct ctl_token tok = {0};
	char why[CTL_SERVER_MAX * 2 + 64];
	int rc;

	memset(api, 0, sizeof(*api));
	api->ctl = ctl;
	api->cmd = cmd;
	/* A server that goes away while we write must be an error, not the end of us. */
	signal(SIGPIPE, SIG_IGN);
	if (route == CTL_ROUTE_OPERATOR || (route == CTL_ROUTE_USER && globals.operator_mode)) {
		api->socket = globals.control_socket;
		if (api->socket == NULL)
			api->socket = env("SPGATE_CONTROL_SOCKET");
		if (api->socket == NULL)
			api->socket = CTL_CONTROL_SOCKET_DEFAULT;
		return api_connect(api);
	}
	api->engineer = true;
	if (route == CTL_ROUTE_USER) {
		rc = load_token(api, &tok);
		if (rc != 0)
			goto out;
	} else if (ctl_token_load(&tok, why, sizeof(why)) < 0) {
		ctl_token_clear(&tok); /* login does without an old token */
	}
	rc = pick_server(api, &tok);
	if (rc != 0)
		goto out;
	/*
	 * A token goes only to the server that issued it. No login prompt here: there is one saved
	 * token, and a login to this server replaces the other's, which the user must choose.
	 */
	if (route == CTL_ROUTE_USER && strcmp(tok.server, api->server) != 0) {
		fprintf(stderr,
			"spgatectl: %s: the saved token is for %s, not %s; log in to %s with spgatectl --server %s login"
			" (it replaces the saved token)\n",
			cmd, tok.server, api->server, api->server, api->server);
		rc = SPGCTL_EXIT_LOGIN;
		goto out;
	}
	rc = pick_ca(api, &tok);
	if (rc != 0)
		goto out;
	if (route == CTL_ROUTE_USER) {
		api->token = tok.token;
		tok.token = NULL;
	}
	rc = api_connect(api);
out:
	ctl_token_clear(&tok);
	if (rc != 0)
		ctl_api_close(api);
	return rc;
}

int ctl_api_reopen(struct ctl_api *api)
{
	ctl_conn_close(api->conn);
	api->conn = NULL;
	return api_connect(api);
}

void ctl_api_close(struct ctl_api *api)
{
	ctl_conn_close(api->conn);
	api->conn = NULL;
	if (api->token != NULL) {
		explicit_bzero(api->token, strlen(api->token));
		free(api->token);
		api->token = NULL;
	}
}

int ctl_api_malformed(const struct ctl_api *api, const char *what)
{
	fprintf(stderr, "spgatectl: %s: malformed reply from %s: %s\n", api->cmd, ctl_api_where(api), what);
	return SPGCTL_EXIT_UNREACHABLE;
}

/*
 * A refused import: "FILE:LINE: message". The server names the text it was sent
 * ("inventory:3:7: ..."); that name becomes the file's.
 */
static void print_file_line(const struct ctl_api *api, json_int_t line, const char *message, const char *code)
{
	const char *colon = strchr(message, ':');
	char prefix[32];
	int n;

	n = snprintf(prefix, sizeof(prefix), ":%" JSON_INTEGER_FORMAT ":", line);
	if (colon != NULL && n > 0 && strncmp(colon, prefix, (size_t)n) == 0)
		fprintf(stderr, "spgatectl: %s: %s%s (%s)\n", api->cmd, api->file, colon, code);
	else
		fprintf(stderr, "spgatectl: %s: %s%s %s (%s)\n", api->cmd, api->file, prefix, message, code);
}

/* {"ok":false,...}: the message and what is attached to it. */
static int report_refusal(struct ctl_api *api, json_t *rep)
{
	const char *code = json_string_value(json_object_get(rep, "error"));
	const char *message = json_string_value(json_object_get(rep, "message"));
	const char *reason = json_string_value(json_object_get(rep, "reason"));
	json_t *line = json_object_get(rep, "line");
	json_t *holder = json_object_get(rep, "holder");

	if (code == NULL)
		return ctl_api_malformed(api, "a refusal without an \"error\" code");
	if (message == NULL)
		message = code;
	if (api->ctl->json)
		ctl_print_json(rep);
	if (strcmp(code, "unauthorized") == 0 && api->engineer) {
		fprintf(stderr, "spgatectl: %s: %s (%s); run spgatectl login\n", api->cmd, message, code);
		return SPGCTL_EXIT_LOGIN;
	}
	if (api->file != NULL && json_is_integer(line))
		print_file_line(api, json_integer_value(line), message, code);
	else
		fprintf(stderr, "spgatectl: %s: %s (%s)\n", api->cmd, message, code);
	if (json_is_object(holder)) {
		fprintf(stderr, "spgatectl: %s: ", api->cmd);
		ctl_print_holder(stderr, holder);
	}
	if (reason != NULL)
		fprintf(stderr, "spgatectl: %s: the SP's reason: %s\n", api->cmd, reason);
	return SPGCTL_EXIT_REFUSED;
}

int ctl_api_call(struct ctl_api *api, json_t *req, json_t **rep)
{
	char err[600], *line, *reply;
	size_t len = 0, reply_len = 0;
	json_error_t jerr;
	json_t *obj, *ok;
	int rc;

	*rep = NULL;
	/* json_pack fails on text that is not UTF-8 (or when memory runs out). */
	if (req == NULL)
		return spgctl_usage_error(api->cmd, "an argument is not UTF-8 text");
	if (api->token != NULL)
		json_object_set_new(req, "token", json_string(api->token));
	line = ctl_json_dump(req, &len);
	json_decref(req);
	if (line == NULL) {
		fprintf(stderr, "spgatectl: %s: out of memory\n", api->cmd);
		return SPGCTL_EXIT_UNREACHABLE;
	}
	reply = ctl_conn_call(api->conn, line, len, &reply_len, err, sizeof(err));
	explicit_bzero(line, len);
	free(line);
	if (reply == NULL) {
		fprintf(stderr, "spgatectl: %s: %s: %s\n", api->cmd, ctl_api_where(api), err);
		return SPGCTL_EXIT_UNREACHABLE;
	}
	obj = json_loadb(reply, reply_len, JSON_REJECT_DUPLICATES, &jerr);
	ctl_conn_free_reply(reply, reply_len);
	ok = json_object_get(obj, "ok");
	if (!json_is_object(obj) || !json_is_boolean(ok)) {
		rc = ctl_api_malformed(api, obj == NULL ? jerr.text : "no \"ok\" in it");
	} else if (json_is_true(ok)) {
		*rep = obj;
		return 0;
	} else if (api->pass_error != NULL && json_is_string(json_object_get(obj, "error")) &&
		   strcmp(json_string_value(json_object_get(obj, "error")), api->pass_error) == 0) {
		*rep = obj;
		return CTL_API_PASSED;
	} else {
		rc = report_refusal(api, obj);
	}
	json_decref(obj);
	return rc;
}

int ctl_call_object(struct ctl_api *api, json_t *req, const char *key, void (*print)(const json_t *))
{
	json_t *rep = NULL, *v;
	char what[96];
	int rc;

	rc = ctl_api_call(api, req, &rep);
	if (rc != 0)
		return rc;
	v = json_object_get(rep, key);
	if (!json_is_object(v)) {
		snprintf(what, sizeof(what), "no \"%s\" object in it", key);
		rc = ctl_api_malformed(api, what);
	} else if (api->ctl->json) {
		ctl_print_json(v);
	} else {
		print(v);
	}
	json_decref(rep);
	return rc;
}

int ctl_call_list(struct spgctl *ctl, const char *cmd, enum ctl_route route, json_t *req, const char *key,
		  bool (*print_table)(const json_t *))
{
	struct ctl_api api;
	json_t *rep = NULL, *list;
	char what[96];
	int rc;

	rc = ctl_api_open(&api, ctl, cmd, route);
	if (rc != 0) {
		json_decref(req);
		return rc;
	}
	rc = ctl_api_call(&api, req, &rep);
	list = json_object_get(rep, key);
	if (rc != 0) {
		/* reported */
	} else if (!json_is_array(list)) {
		snprintf(what, sizeof(what), "no \"%s\" array in it", key);
		rc = ctl_api_malformed(&api, what);
	} else if (ctl->json) {
		ctl_print_json(list);
	} else if (!print_table(list)) {
		fprintf(stderr, "spgatectl: %s: out of memory\n", cmd);
		rc = SPGCTL_EXIT_REFUSED;
	}
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}
