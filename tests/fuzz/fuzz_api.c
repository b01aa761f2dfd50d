/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the engineer/operator JSON request handler (control/api/ops*.c,
 * json.c): one request line through api_ops_handle, with a minimal context as the unit tests
 * build it (a store holding the sample inventory, a token key, a session manager whose
 * spgate-dp is down). Every request must get exactly one reply the server can send
 * (api_json_dump_line as conn_send does): a missing or unformattable reply is the server
 * closing the connection instead of answering, and aborts.
 *
 * Bit 0 of the first byte: the peer is an operator (unix socket) rather than an engineer.
 * The first "@T" in the rest is replaced by a valid token of alice (storage-eu), so engineers'
 * ops are reached past the token check. Each run's store writes are rolled back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "api/json.h"
#include "api/ops.h"
#include "api/server.h"
#include "config.h"
#include "ctl_test.h"
#include "session.h"
#include "token.h"

#define NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], db[128], token[TOKEN_MAX_LEN];
static struct store *st;
static struct token_key *tokens;
static struct ctl_config cfg;
static struct api_ctx ctx;
static struct event_base *base;
static struct session_mgr *mgr;
static int replies;

static const struct api_peer engineer_peer = {.transport = API_TRANSPORT_TLS, .addr = 0x0a6433c6,
					      .name = "198.51.100.10:5000"};
static const struct api_peer operator_peer = {.transport = API_TRANSPORT_UNIX, .uid = 0,
					      .name = "uid 0 pid 1"};

static int64_t fake_now(void)
{
	return NOW;
}

/* spgate-dp is down: connect stops there, before anything is dialled or stored. */
static const struct dpp_hello *dp_down(void *a)
{
	(void)a;
	return NULL;
}

static struct sph_conn *sp_none(void *a, const struct sph_params *p, const struct sph_events *ev,
				void *ev_arg)
{
	(void)a, (void)p, (void)ev, (void)ev_arg;
	return NULL;
}

static int sp_rekey_none(void *a, struct sph_conn *c, uint32_t spi)
{
	(void)a, (void)c, (void)spi;
	return -ENOTCONN;
}

static int sp_close_none(void *a, struct sph_conn *c, const char *reason)
{
	(void)a, (void)c, (void)reason;
	return -ENOTCONN;
}

static void sp_free_none(void *a, struct sph_conn *c)
{
	(void)a, (void)c;
}

static int dp_add_none(void *a, const struct spg_dp_session_params *p)
{
	(void)a, (void)p;
	return -ENOTCONN;
}

static int dp_update_none(void *a, uint32_t what, const struct spg_dp_session_params *p)
{
	(void)a, (void)what, (void)p;
	return -ENOTCONN;
}

static int dp_delete_none(void *a, uint64_t id)
{
	(void)a, (void)id;
	return -ENOTCONN;
}

static int dp_list_none(void *a, int (*fn)(const struct spg_dp_session_info *s, void *arg),
			void *arg)
{
	(void)a, (void)fn, (void)arg;
	return -ENOTCONN;
}

static struct line_call *line_none(void *a, const struct store_line *line,
				   const struct store_system *sys, uint16_t port,
				   const struct line_events *ev, void *arg)
{
	(void)a, (void)line, (void)sys, (void)port, (void)ev, (void)arg;
	return NULL;
}

static void line_cancel_none(void *a, struct line_call *c)
{
	(void)a, (void)c;
}

static const struct session_peers peers = {
	.sp_open = sp_none, .sp_attach = sp_none, .sp_rekey = sp_rekey_none,
	.sp_close = sp_close_none, .sp_free = sp_free_none, .dp_hello = dp_down,
	.dp_add = dp_add_none, .dp_update = dp_update_none, .dp_delete = dp_delete_none,
	.dp_list = dp_list_none, .line_connect = line_none, .line_cancel = line_cancel_none,
};

static void on_reply(json_t *reply, void *arg)
{
	size_t len;
	char *line;

	(void)arg;
	replies++;
	line = reply != NULL ? api_json_dump_line(reply, &len) : NULL;
	if (line == NULL) {
		fprintf(stderr, "fuzz_api: no reply the server could send (%s)\n",
			reply == NULL ? "NULL" : "not formattable");
		abort();
	}
	free(line);
	json_decref(reply);
}

static void cleanup(void)
{
	session_mgr_free(mgr);
	event_base_free(base);
	token_key_free(tokens);
	store_close(st);
	ctl_test_rmdir(dir);
}

static void setup(void)
{
	static const char groups[1][TOKEN_NAME_MAX] = {"storage-eu"};
	uint8_t key[TOKEN_KEY_LEN] = {1, 2, 3};
	struct session_env env;
	char err[512];

	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	tokens = token_key_from_bytes(key);
	base = event_base_new();
	if (inventory_import_file(st, INVENTORY_YAML,
				  SPG_SOURCE_ROOT "/tests/unit/control/data/inventory.yaml", NULL, err,
				  sizeof(err), NULL) != 0) {
		fprintf(stderr, "fuzz_api: the sample inventory: %s\n", err);
		abort();
	}
	if (tokens == NULL || base == NULL ||
	    token_issue(tokens, "alice", groups, 1, 600, NOW, token, sizeof(token)) != 0)
		abort();
	ctl_config_defaults(&cfg);
	env = (struct session_env){.base = base, .cfg = &cfg, .store = st, .peers = &peers,
				   .now = fake_now, .tick_ms = 3600000, .poll_ticks = 1};
	mgr = session_mgr_new(&env);
	if (mgr == NULL)
		abort();
	ctx = (struct api_ctx){.cfg = &cfg, .store = st, .tokens = tokens, .sessions = mgr,
			       .now = fake_now};
	atexit(cleanup);
}

/* The request with its first "@T" replaced by alice's token. */
static char *with_token(const uint8_t *data, size_t size, size_t *len)
{
	const uint8_t *t = memmem(data, size, "@T", 2);
	size_t tl = strlen(token), head = t != NULL ? (size_t)(t - data) : size;
	char *line = malloc(size + tl + 1);

	memcpy(line, data, head);
	*len = head;
	if (t != NULL) {
		memcpy(line + head, token, tl);
		memcpy(line + head + tl, t + 2, size - head - 2);
		*len = size - 2 + tl;
	}
	line[*len] = '\0';
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line;
	size_t len;

	if (base == NULL)
		setup();
	if (size < 1 || size > API_REQUEST_MAX)
		return 0;
	line = with_token(data + 1, size - 1, &len);
	if (store_begin(st) != 0)
		abort();
	replies = 0;
	api_ops_handle(&ctx, data[0] & 1 ? &operator_peer : &engineer_peer, line, len, on_reply,
		       NULL);
	event_base_loop(base, EVLOOP_NONBLOCK);
	if (replies != 1) {
		fprintf(stderr, "fuzz_api: %d replies to one request\n", replies);
		abort();
	}
	if (store_rollback(st) != 0)
		abort();
	free(line);
	return 0;
}
