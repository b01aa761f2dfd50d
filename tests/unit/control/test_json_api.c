/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON API's gate and argument checks: malformed requests, unknown ops and missing or
 * ill-typed arguments are bad_request naming what is wrong; tokens and roles decide who may
 * call what; the operator socket enforces the request size limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "api/json.h"
#include "api/ops.h"
#include "api/server.h"
#include "config.h"
#include "ctl_test.h"
#include "store/gateway_store.h"
#include "store/recording_store.h"
#include "token.h"
#include "workstation.h"

#define NOW 1700000000

static char dir[64], db[512];
static struct store *st;
static struct token_key *tokens;
static struct ctl_config cfg;
static struct api_ctx ctx;
static json_t *last;
static char big_message[1024];

static const struct api_peer engineer_peer = {.transport = API_TRANSPORT_TLS, .addr = 0x0a6433c6, .name = "198.51.100.10:5000"};
static const struct api_peer operator_peer = {.transport = API_TRANSPORT_UNIX, .uid = 0, .name = "uid 0 pid 1"};

static int64_t fake_now(void)
{
	return NOW;
}

static void keep_reply(json_t *reply, void *arg)
{
	(void)arg;
	json_decref(last);
	last = reply;
}

/* Sends line as peer and returns the reply (owned by the test's `last`). */
static json_t *call(const struct api_peer *peer, const char *line)
{
	json_decref(last);
	last = NULL;
	api_ops_handle(&ctx, peer, line, strlen(line), keep_reply, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(last);
	return last;
}

/* A function, not json_is_true: that macro evaluates its argument (a call) twice. */
static bool is_ok(const json_t *reply)
{
	return json_is_true(json_object_get(reply, "ok"));
}

static const char *error_of(const json_t *reply)
{
	const char *e = json_string_value(json_object_get(reply, "error"));

	return e != NULL ? e : "(none)";
}

static const char *message_of(const json_t *reply)
{
	const char *m = json_string_value(json_object_get(reply, "message"));

	return m != NULL ? m : "";
}

/* A request with token; fields is the rest of the object. */
static json_t *with_token(const char *token, const char *fields)
{
	char line[TOKEN_MAX_LEN + 512];

	snprintf(line, sizeof(line), "{\"token\":\"%s\"%s%s}", token, fields[0] ? "," : "", fields);
	return call(&engineer_peer, line);
}

/* A request from alice (storage-eu) with a valid token; fields is the rest of the object. */
static json_t *as_alice(const char *fields)
{
	static const char groups[1][TOKEN_NAME_MAX] = {"storage-eu"};
	char token[TOKEN_MAX_LEN];

	CU_ASSERT_EQUAL_FATAL(token_issue(tokens, "alice", groups, 1, 600, NOW, token, sizeof(token)), 0);
	return with_token(token, fields);
}

static void bad_json_is_a_bad_request(void)
{
	json_t *r = call(&engineer_peer, "{\"op\":\"login\",");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "not valid JSON"));
	CU_ASSERT_TRUE(json_is_false(json_object_get(r, "ok")));
}

static void a_request_that_is_not_an_object_is_a_bad_request(void)
{
	json_t *r = call(&engineer_peer, "[\"login\"]");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "object"));
}

static void a_request_without_op_names_op(void)
{
	json_t *r = call(&engineer_peer, "{\"user\":\"alice\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"op\""));
}

static void duplicate_keys_are_refused(void)
{
	json_t *r = call(&engineer_peer, "{\"op\":\"login\",\"op\":\"audit\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
}

static void an_unknown_op_is_a_bad_request_naming_it(void)
{
	json_t *r = call(&engineer_peer, "{\"op\":\"reboot_everything\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "reboot_everything"));
}

static void login_without_password_names_password(void)
{
	json_t *r = call(&engineer_peer, "{\"op\":\"login\",\"user\":\"alice\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"password\""));
}

static void login_with_a_numeric_user_says_it_must_be_a_string(void)
{
	json_t *r = call(&engineer_peer, "{\"op\":\"login\",\"user\":7,\"password\":\"x\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"user\" must be a string"));
}

static void an_engineer_without_token_is_unauthorized(void)
{
	json_t *r = call(&engineer_peer, "{\"op\":\"sessions\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_UNAUTHORIZED);
}

static void a_forged_token_is_unauthorized(void)
{
	json_t *r = call(&engineer_peer, "{\"op\":\"whoami\",\"token\":\"eyJ1IjoibWFsbG9yeSJ9.AAAA\"}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_UNAUTHORIZED);
}

static void whoami_tells_an_engineer_who_the_token_says(void)
{
	json_t *r = as_alice("\"op\":\"whoami\"");

	CU_ASSERT_TRUE(json_is_true(json_object_get(r, "ok")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "user")), "alice");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "role")), "engineer");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(r, "groups"), 0)), "storage-eu");
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "expires")), NOW + 600);
}

static void the_operator_socket_makes_an_operator_without_token(void)
{
	json_t *r = call(&operator_peer, "{\"op\":\"whoami\"}");

	CU_ASSERT_TRUE(json_is_true(json_object_get(r, "ok")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "role")), "operator");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "user")), "root");
}

static void an_engineer_may_not_read_the_audit_trail(void)
{
	json_t *r = as_alice("\"op\":\"audit\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_FORBIDDEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "operators"));
}

static void an_operator_may_not_connect_or_log_in(void)
{
	CU_ASSERT_STRING_EQUAL(error_of(call(&operator_peer, "{\"op\":\"connect\",\"serial\":\"CK2001\"}")),
			       API_E_FORBIDDEN);
	CU_ASSERT_STRING_EQUAL(error_of(call(&operator_peer, "{\"op\":\"login\",\"user\":\"a\",\"password\":\"b\"}")),
			       API_E_FORBIDDEN);
}

static void connect_without_serial_or_ticket_names_serial(void)
{
	json_t *r = as_alice("\"op\":\"connect\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"serial\""));
}

static void connect_with_a_bad_workstation_quotes_it(void)
{
	json_t *r = as_alice("\"op\":\"connect\",\"serial\":\"CK2001\",\"workstation\":\"10.0.0.300\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"workstation\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "10.0.0.300"));
}

static void connect_with_a_bad_ticket_names_ticket(void)
{
	json_t *r = as_alice("\"op\":\"connect\",\"ticket\":\"yesterday\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"ticket\""));
}

static void session_with_a_word_for_id_names_id(void)
{
	json_t *r = as_alice("\"op\":\"session\",\"id\":\"seven\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"id\""));
}

/* Ids are JSON integers: "2" is refused like "abc" (issue 13), with the field named. */
static void session_with_digits_in_a_string_for_id_is_refused(void)
{
	json_t *r = as_alice("\"op\":\"session\",\"id\":\"2\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"id\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "not a string"));
	r = as_alice("\"op\":\"disconnect\",\"id\":\"18446744073709551615\"");
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"id\""));
	r = as_alice("\"op\":\"session\",\"id\":-2");
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "non-negative integer"));
}

static void disconnect_without_id_names_id(void)
{
	json_t *r = as_alice("\"op\":\"disconnect\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "missing argument \"id\""));
}

/* A missing or null query is refused (issue 13); "" is the explicit "all I may reach". */
static void search_without_a_query_is_refused_and_empty_lists_all_visible(void)
{
	json_t *r = as_alice("\"op\":\"search\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "missing argument \"query\""));
	r = as_alice("\"op\":\"search\",\"query\":null");
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "missing argument \"query\""));
	r = as_alice("\"op\":\"search\",\"query\":7");
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	r = as_alice("\"op\":\"search\",\"query\":\"\"");
	CU_ASSERT_TRUE_FATAL(json_is_true(json_object_get(r, "ok")));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "systems")), 2); /* acme's, not globex's */
}

static void search_by_an_unknown_field_lists_the_choices(void)
{
	json_t *r = as_alice("\"op\":\"search\",\"query\":\"CK\",\"by\":\"colour\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"by\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "serial"));
}

static void search_shows_only_systems_the_engineer_may_reach(void)
{
	json_t *r = as_alice("\"op\":\"search\",\"query\":\"CK\",\"by\":\"serial\"");
	json_t *systems = json_object_get(r, "systems"), *s;
	size_t i;
	bool saw_globex = false;

	CU_ASSERT_TRUE_FATAL(json_is_true(json_object_get(r, "ok")));
	CU_ASSERT_EQUAL(json_array_size(systems), 2);
	json_array_foreach(systems, i, s)
		if (strcmp(json_string_value(json_object_get(s, "customer")), "globex") == 0)
			saw_globex = true;
	CU_ASSERT_FALSE(saw_globex);
	s = json_array_get(systems, 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(s, "connect")), "network");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_array_get(json_object_get(s, "ports"), 0)), "tcp:7000");
}

static void audit_with_a_negative_limit_names_limit(void)
{
	json_t *r = call(&operator_peer, "{\"op\":\"audit\",\"limit\":-1}");

	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"limit\""));
}

/* Was "ids_may_be_numbers_or_decimal_strings": issue 13 made ids JSON integers only. */
static void ids_are_json_integers_only(void)
{
	json_t *req = json_pack("{s:i,s:s,s:s,s:i}", "a", 42, "b", "18446744073709551615", "c", "1e3", "d", -1);
	json_t *err = NULL;
	uint64_t id = 0;

	CU_ASSERT_EQUAL(api_arg_id(req, "a", &id, &err), 0);
	CU_ASSERT_EQUAL(id, 42);
	CU_ASSERT_EQUAL(api_arg_id(req, "b", &id, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(err), "\"b\""));
	json_decref(err);
	err = NULL;
	CU_ASSERT_EQUAL(api_arg_id(req, "c", &id, &err), -EINVAL);
	json_decref(err);
	err = NULL;
	CU_ASSERT_EQUAL(api_arg_id(req, "d", &id, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(err), "\"d\""));
	json_decref(err);
	json_decref(req);
}

static void a_reply_is_one_line(void)
{
	json_t *r = api_json_error(API_E_NOT_FOUND, "no session %d\nreally", 7);
	size_t len;
	char *line = api_json_dump_line(r, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	CU_ASSERT_EQUAL(line[len - 1], '\n');
	CU_ASSERT_PTR_NULL(memchr(line, '\n', len - 1));
	free(line);
	json_decref(r);
}

/* What the server would send for reply: one line, or NULL (it would have no reply to send). */
static char *as_sent(const json_t *reply)
{
	size_t len;

	return reply != NULL ? api_json_dump_line(reply, &len) : NULL;
}

static void a_parse_error_quoting_half_a_character_is_still_answered(void)
{
	/* 4 bytes: jansson's error text quotes the escape and the first byte of the e-acute */
	json_t *r = call(&engineer_peer, "\"\\\xc3\xa9");
	char *line = as_sent(r);

	CU_ASSERT_PTR_NOT_NULL(line);
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "not valid JSON"));
	free(line);
}

static void an_unknown_op_cut_inside_a_character_is_still_answered(void)
{
	char line[128], *sent;
	json_t *r;

	/* "%.64s" keeps 63 x and the first byte of the e-acute */
	snprintf(line, sizeof(line), "{\"op\":\"%s\xc3\xa9\"}",
		 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	r = call(&engineer_peer, line);
	sent = as_sent(r);
	CU_ASSERT_PTR_NOT_NULL(sent);
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "unknown op \"xxx"));
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "x?\""));
	free(sent);
	/* the operator socket shares the handler */
	r = call(&operator_peer, line);
	sent = as_sent(r);
	CU_ASSERT_PTR_NOT_NULL(sent);
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	free(sent);
}

static void error_messages_are_made_valid_utf8(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{"plain ascii", "plain ascii"},
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"},
		{"cut \xc3", "cut ?"},
		{"cut \xe2\x82", "cut ??"},
		{"cut \xf0\x9f\x98", "cut ???"},
		{"stray \xa9 continuation", "stray ? continuation"},
		{"overlong \xc0\xaf \xe0\x80\xaf", "overlong ?? ???"},
		{"surrogate \xed\xa0\x80", "surrogate ???"},
		{"too high \xf4\x90\x80\x80 \xf5\x80", "too high ???? ??"},
		{"\xff\xfe", "??"},
	};
	char buf[64];
	json_t *r;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		api_utf8_sanitize(buf);
		CU_ASSERT_STRING_EQUAL(buf, cases[i].out);
		r = api_json_error(API_E_BAD_REQUEST, "%s", cases[i].in);
		CU_ASSERT_PTR_NOT_NULL(r);
		CU_ASSERT_STRING_EQUAL(message_of(r), cases[i].out);
		json_decref(r);
	}
	/* vsnprintf's own cut at 512 bytes may split a character too */
	memset(big_message, 'a', sizeof(big_message));
	for (i = 0; i + 1 < sizeof(big_message); i += 2)
		memcpy(big_message + i, "\xc3\xa9", 2);
	big_message[sizeof(big_message) - 1] = '\0';
	r = api_json_error(API_E_BAD_REQUEST, "%s", big_message);
	CU_ASSERT_PTR_NOT_NULL(r);
	json_decref(r);
}

/* ---- the operator socket, end to end through the server ---- */

static struct event_base *base;

/* Writes text to fd and runs the loop until a reply line (or EOF) is back. */
static ssize_t exchange(int fd, const char *text, size_t len, char *out, size_t outlen)
{
	size_t sent = 0, got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int i;

	for (i = 0; i < 4000 && (got == 0 || out[got - 1] != '\n'); i++) {
		if (sent < len) {
			n = send(fd, text + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 1) == 1) {
			n = recv(fd, out + got, outlen - got - 1, MSG_DONTWAIT);
			if (n == 0)
				break;
			if (n > 0)
				got += (size_t)n;
		}
	}
	out[got] = '\0';
	return (ssize_t)got;
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (strlen(path) >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void the_operator_socket_answers_line_by_line_and_refuses_oversize_requests(void)
{
	struct api_server_config sc = {.idle_timeout_s = 10};
	char path[128], err[256], reply[4096], *big;
	struct api_server *srv;
	size_t big_len = API_REQUEST_MAX + 100;
	int fd;

	snprintf(path, sizeof(path), "%s/control.sock", dir);
	sc.unix_path = path;
	/* Our own group operates, so the test passes as root and as anyone else. */
	sc.operator_group = getgrgid(getgid()) != NULL ? getgrgid(getgid())->gr_name : NULL;
	base = event_base_new();
	srv = api_server_new(base, &sc, api_ops_serve, &ctx, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	fd = connect_unix(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	exchange(fd, "{\"op\":\"whoami\"}\n{\"op\":\"nope\"}\n", 31, reply, sizeof(reply));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\"role\":\"operator\""));
	if (strchr(reply, '\n') == reply + strlen(reply) - 1)
		exchange(fd, "", 0, reply + strlen(reply), sizeof(reply) - strlen(reply));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "unknown op"));
	big = malloc(big_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', big_len);
	memcpy(big, "{\"op\":\"whoami\",\"x\":\"", 20);
	exchange(fd, big, big_len, reply, sizeof(reply));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "larger than 65536"));
	/* ... and the server closed the connection after saying so. */
	CU_ASSERT_EQUAL(exchange(fd, "", 0, reply, sizeof(reply)), 0);
	free(big);
	close(fd);
	api_server_free(srv);
	event_base_free(base);
}

static void a_connect_naming_another_workstation_is_refused(void)
{
	json_t *r = as_alice("\"op\":\"connect\",\"serial\":\"CK2001\",\"workstation\":\"198.51.100.99\"");

	CU_ASSERT_STRING_EQUAL(error_of(r), "forbidden");
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "198.51.100.99"));
}

static void only_an_operators_rule_lets_a_user_name_other_workstations(void)
{
	uint32_t caller = 0x0a6433c6, other = 0x636433c6, far = 0x070200c0; /* .10, .99, 192.0.2.7 */

	CU_ASSERT(workstation_allowed("", caller, caller));
	CU_ASSERT(!workstation_allowed("", caller, other));
	CU_ASSERT(workstation_allowed("198.51.100.0/24", caller, other));
	CU_ASSERT(!workstation_allowed("198.51.100.0/24", caller, far));
	CU_ASSERT(workstation_allowed("198.51.100.0/24;192.0.2.7", caller, far));
	CU_ASSERT(!workstation_allowed("198.51.100.1/24", caller, other)); /* malformed: host bits */
	CU_ASSERT(!workstation_list_valid("198.51.100.0/24;"));
	CU_ASSERT(!workstation_list_valid("10.0.0.300/8"));
	CU_ASSERT(workstation_list_valid("0.0.0.0/0;192.0.2.7"));
}

static void a_connect_with_a_login_older_than_connect_fresh_is_unauthorized(void)
{
	static const char groups[1][TOKEN_NAME_MAX] = {"storage-eu"};
	char token[TOKEN_MAX_LEN];
	json_t *r;

	CU_ASSERT_EQUAL_FATAL(token_issue(tokens, "alice", groups, 1, 28800,
					  NOW - (int64_t)cfg.engineer_api.connect_fresh - 1, token, sizeof(token)), 0);
	r = with_token(token, "\"op\":\"connect\",\"serial\":\"CK2001\"");
	CU_ASSERT_STRING_EQUAL(error_of(r), "unauthorized");
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "connect_fresh"));
	/* the same token still serves everything else */
	CU_ASSERT(is_ok(with_token(token, "\"op\":\"whoami\"")));
}

static void a_token_is_refused_after_its_logout(void)
{
	static const char groups[1][TOKEN_NAME_MAX] = {"storage-eu"};
	char token[TOKEN_MAX_LEN], other[TOKEN_MAX_LEN];

	CU_ASSERT_EQUAL_FATAL(token_issue(tokens, "alice", groups, 1, 600, NOW, token, sizeof(token)), 0);
	CU_ASSERT_EQUAL_FATAL(token_issue(tokens, "alice", groups, 1, 600, NOW, other, sizeof(other)), 0);
	CU_ASSERT(is_ok(with_token(token, "\"op\":\"logout\"")));
	CU_ASSERT_STRING_EQUAL(error_of(with_token(token, "\"op\":\"whoami\"")), "unauthorized");
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(last), "revoked"));
	/* a logout ends that token only */
	CU_ASSERT(is_ok(with_token(other, "\"op\":\"whoami\"")));
}

static void an_operators_user_revoke_ends_every_token_of_that_user(void)
{
	static const char groups[1][TOKEN_NAME_MAX] = {"storage-globex"};
	char token[TOKEN_MAX_LEN];

	CU_ASSERT_EQUAL_FATAL(token_issue(tokens, "bob", groups, 1, 600, NOW, token, sizeof(token)), 0);
	CU_ASSERT_STRING_EQUAL(error_of(with_token(token, "\"op\":\"user_revoke\",\"user\":\"bob\"")), "forbidden");
	CU_ASSERT(is_ok(call(&operator_peer, "{\"op\":\"user_revoke\",\"user\":\"bob\"}")));
	CU_ASSERT_STRING_EQUAL(error_of(with_token(token, "\"op\":\"whoami\"")), "unauthorized");
}

static void lines_show_engineers_no_customer_detail(void)
{
	json_t *r = as_alice("\"op\":\"lines\""), *ln;
	size_t i;

	CU_ASSERT_TRUE_FATAL(json_array_size(json_object_get(r, "lines")) > 0);
	json_array_foreach(json_object_get(r, "lines"), i, ln) {
		CU_ASSERT_PTR_NULL(json_object_get(ln, "customer"));
		CU_ASSERT_PTR_NULL(json_object_get(ln, "session"));
		CU_ASSERT_PTR_NULL(json_object_get(ln, "last_result"));
		CU_ASSERT_PTR_NOT_NULL(json_object_get(ln, "state"));
	}
	r = call(&operator_peer, "{\"op\":\"lines\"}");
	CU_ASSERT_PTR_NOT_NULL(json_object_get(json_array_get(json_object_get(r, "lines"), 0), "last_result"));
}

/*
 * Sends all of text (unless the socket refuses it: *send_errno says why) while reading what
 * comes back until EOF; runs the server's loop meanwhile. At most 20 s.
 */
static ssize_t exchange_all(int fd, const char *text, size_t len, char *out, size_t outlen,
			    size_t *sent_out, int *send_errno)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	size_t sent = 0, got = 0;
	bool eof = false;
	ssize_t n;
	int i;

	*send_errno = 0;
	for (i = 0; i < 20000 && (!eof || (sent < len && *send_errno == 0)); i++) {
		if (sent < len && *send_errno == 0) {
			n = send(fd, text + sent, len - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
			else if (n < 0 && errno != EAGAIN)
				*send_errno = errno;
		}
		event_base_loop(base, EVLOOP_NONBLOCK);
		if (poll(&p, 1, 1) == 1) {
			n = recv(fd, out + got, outlen - got - 1, MSG_DONTWAIT);
			if (n > 0)
				got += (size_t)n;
			else if (n == 0 || errno != EAGAIN)
				eof = true;
			if (eof)
				p.events = 0; /* only sending is left */
		}
	}
	out[got] = '\0';
	*sent_out = sent;
	return (ssize_t)got;
}

static void a_32_mib_request_is_answered_and_the_rest_discarded(void)
{
	struct api_server_config sc = {.idle_timeout_s = 10};
	char path[128], err[256], reply[4096], *big;
	size_t big_len = 32u << 20, sent;
	struct api_server *srv;
	int fd, send_errno;

	snprintf(path, sizeof(path), "%s/control-big.sock", dir);
	sc.unix_path = path;
	sc.operator_group = getgrgid(getgid()) != NULL ? getgrgid(getgid())->gr_name : NULL;
	base = event_base_new();
	srv = api_server_new(base, &sc, api_ops_serve, &ctx, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	fd = connect_unix(path);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	big = malloc(big_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, ' ', big_len);
	memcpy(big, "{\"op\":\"whoami\",\"x\":\"", 20);
	exchange_all(fd, big, big_len, reply, sizeof(reply), &sent, &send_errno);
	/* the server read (and dropped) all of it: a client writing before it reads gets to read */
	CU_ASSERT_EQUAL(send_errno, 0);
	CU_ASSERT_EQUAL(sent, big_len);
	/* the promised reply, then the end of the connection */
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "\"error\":\"bad_request\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(reply, "request larger than 65536 bytes"));
	CU_ASSERT_EQUAL(strchr(reply, '\n'), reply + strlen(reply) - 1);
	free(big);
	close(fd);
	api_server_free(srv);
	event_base_free(base);
}

/* Issue 15: a connect's reason is one line of text that fits the store. */
static void a_connect_reason_must_be_one_short_line(void)
{
	char fields[512];
	json_t *r;

	r = as_alice("\"op\":\"connect\",\"serial\":\"CK2001\",\"reason\":\"disk\\nengineer: mallory\"");
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "\"reason\""));
	snprintf(fields, sizeof(fields), "\"op\":\"connect\",\"serial\":\"CK2001\",\"reason\":\"%0300d\"", 0);
	r = as_alice(fields);
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_BAD_REQUEST);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "at most 255"));
	r = as_alice("\"op\":\"connect\",\"serial\":\"CK2001\",\"ticket\":\"T1\"");
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_NOT_FOUND); /* no such ticket: never a silent serial-only connect */
}

/* A finished recording of a session of user's, its file holding text; returns its id. */
static int64_t a_recording(const char *user, const char *text)
{
	struct store_session s = {.serial = "CK2001", .state = STORE_SESSION_CLOSED, .created = NOW, .updated = NOW,
				  .closed = NOW};
	struct store_recording r = {.state = STORE_REC_RECORDING, .started = NOW};
	FILE *f;

	snprintf(s.user, sizeof(s.user), "%s", user);
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &s), 0);
	r.session_id = s.id;
	snprintf(r.path, sizeof(r.path), "%s/rec-%lld.pcapng", dir, (long long)s.id);
	f = fopen(r.path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(store_recording_create(st, &r), 0);
	r.state = STORE_REC_COMPLETE;
	r.ended = NOW;
	CU_ASSERT_EQUAL_FATAL(store_recording_update(st, &r), 0);
	return r.id;
}

static void engineers_list_their_own_recordings_and_export_only_where_allowed(void)
{
	static const char dave_groups[1][TOKEN_NAME_MAX] = {"storage-globex"};
	char fields[96], dave[TOKEN_MAX_LEN]; /* not bob: an earlier test revokes him */
	int64_t mine = a_recording("alice", "alice's packets"), theirs = a_recording("carol", "carol's packets");
	json_t *r;

	CU_ASSERT_EQUAL_FATAL(token_issue(tokens, "dave", dave_groups, 1, 600, NOW, dave, sizeof(dave)), 0);
	snprintf(fields, sizeof(fields), "\"op\":\"recording_export\",\"id\":%lld", (long long)mine);
	r = with_token(dave, fields);
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_NOT_FOUND); /* not dave's: not even its existence */
	cfg.recordings.engineers_may_export = false;
	r = as_alice(fields);
	CU_ASSERT_STRING_EQUAL(error_of(r), API_E_FORBIDDEN);
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(r), "recordings.engineers_may_export"));
	r = with_token(dave, "\"op\":\"recordings\"");
	CU_ASSERT_TRUE(is_ok(r));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "recordings")), 0);
	r = as_alice("\"op\":\"recordings\"");
	CU_ASSERT_TRUE(is_ok(r));
	CU_ASSERT_EQUAL(json_array_size(json_object_get(r, "recordings")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(json_array_get(json_object_get(r, "recordings"), 0), "id")),
			mine);
	cfg.recordings.engineers_may_export = true;
	r = as_alice(fields);
	CU_ASSERT_TRUE(is_ok(r));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "format")), "pcapng");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(r, "data")), "YWxpY2UncyBwYWNrZXRz"); /* base64 */
	snprintf(fields, sizeof(fields), "\"op\":\"recording_export\",\"id\":%lld", (long long)theirs);
	CU_ASSERT_STRING_EQUAL(error_of(as_alice(fields)), API_E_NOT_FOUND); /* carol's stays hers */
	snprintf(fields, sizeof(fields), "{\"op\":\"recording_export\",\"id\":%lld}", (long long)theirs);
	CU_ASSERT_TRUE(is_ok(call(&operator_peer, fields)));
	cfg.recordings.engineers_may_export = false;
}

static void operators_list_the_fleets_gateways_and_engineers_may_not(void)
{
	json_t *r, *list, *a, *b;
	int64_t gen;

	CU_ASSERT_EQUAL_FATAL(store_gateway_acquire(st, "gw-a", "t", NOW, 10, &gen), 0);
	CU_ASSERT_EQUAL_FATAL(store_gateway_acquire(st, "gw-b", "t", NOW - 60, 10, &gen), 0);
	ctx.gateway_id = "gw-a";
	/* the fleet's layout is the operators' */
	CU_ASSERT_STRING_EQUAL(error_of(as_alice("\"op\":\"gateways\"")), "forbidden");
	r = call(&operator_peer, "{\"op\":\"gateways\"}");
	CU_ASSERT_TRUE_FATAL(is_ok(r));
	list = json_object_get(r, "gateways");
	CU_ASSERT_EQUAL_FATAL(json_array_size(list), 2);
	a = json_array_get(list, 0);
	b = json_array_get(list, 1);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "id")), "gw-a");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(a, "state")), "alive");
	CU_ASSERT_TRUE(json_is_true(json_object_get(a, "self")));
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(b, "state")), "dead"); /* lease ran out */
	CU_ASSERT_TRUE(json_is_false(json_object_get(b, "self")));
	ctx.gateway_id = NULL;
}

/* PostgreSQL only: while the server is gone every request gets the one clear error. */
static void a_lost_store_answers_store_unavailable_until_it_is_back(void)
{
	int i, rc = -1;

	if (ctl_test_pg() == NULL) {
		fprintf(stderr, "(a PostgreSQL connection: skipped on SQLite) ");
		return;
	}
	CU_ASSERT_NOT_EQUAL(store_exec(st, "SELECT pg_terminate_backend(pg_backend_pid())"), 0);
	CU_ASSERT_STRING_EQUAL(error_of(call(&operator_peer, "{\"op\":\"lines\"}")), "store_unavailable");
	CU_ASSERT_STRING_EQUAL(error_of(as_alice("\"op\":\"search\",\"query\":\"CK\"")), "store_unavailable");
	CU_ASSERT_PTR_NOT_NULL(strstr(message_of(last), "try again"));
	for (i = 0; i < 500 && rc != 0; i++) {
		rc = store_reconnect(st);
		if (rc != 0)
			usleep(10000);
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_TRUE(is_ok(call(&operator_peer, "{\"op\":\"lines\"}")));
}

static int setup(void)
{
	uint8_t key[TOKEN_KEY_LEN] = {1, 2, 3};

	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	if (ctl_test_load_sample(st) != 0)
		return -1;
	tokens = token_key_from_bytes(key);
	ctl_config_defaults(&cfg);
	ctx = (struct api_ctx){.cfg = &cfg, .store = st, .tokens = tokens, .now = fake_now};
	return tokens == NULL ? -1 : 0;
}

static int teardown(void)
{
	json_decref(last);
	token_key_free(tokens);
	store_close(st);
	ctl_test_rmdir(dir);
	return 0;
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{"bad_json_is_a_bad_request", bad_json_is_a_bad_request},
		{"a_request_that_is_not_an_object_is_a_bad_request", a_request_that_is_not_an_object_is_a_bad_request},
		{"a_request_without_op_names_op", a_request_without_op_names_op},
		{"duplicate_keys_are_refused", duplicate_keys_are_refused},
		{"an_unknown_op_is_a_bad_request_naming_it", an_unknown_op_is_a_bad_request_naming_it},
		{"login_without_password_names_password", login_without_password_names_password},
		{"login_with_a_numeric_user_says_it_must_be_a_string", login_with_a_numeric_user_says_it_must_be_a_string},
		{"an_engineer_without_token_is_unauthorized", an_engineer_without_token_is_unauthorized},
		{"a_forged_token_is_unauthorized", a_forged_token_is_unauthorized},
		{"whoami_tells_an_engineer_who_the_token_says", whoami_tells_an_engineer_who_the_token_says},
		{"the_operator_socket_makes_an_operator_without_token", the_operator_socket_makes_an_operator_without_token},
		{"an_engineer_may_not_read_the_audit_trail", an_engineer_may_not_read_the_audit_trail},
		{"an_operator_may_not_connect_or_log_in", an_operator_may_not_connect_or_log_in},
		{"connect_without_serial_or_ticket_names_serial", connect_without_serial_or_ticket_names_serial},
		{"connect_with_a_bad_workstation_quotes_it", connect_with_a_bad_workstation_quotes_it},
		{"connect_with_a_bad_ticket_names_ticket", connect_with_a_bad_ticket_names_ticket},
		{"session_with_a_word_for_id_names_id", session_with_a_word_for_id_names_id},
		{"session_with_digits_in_a_string_for_id_is_refused", session_with_digits_in_a_string_for_id_is_refused},
		{"disconnect_without_id_names_id", disconnect_without_id_names_id},
		{"search_without_a_query_is_refused_and_empty_lists_all_visible",
		 search_without_a_query_is_refused_and_empty_lists_all_visible},
		{"search_by_an_unknown_field_lists_the_choices", search_by_an_unknown_field_lists_the_choices},
		{"search_shows_only_systems_the_engineer_may_reach", search_shows_only_systems_the_engineer_may_reach},
		{"audit_with_a_negative_limit_names_limit", audit_with_a_negative_limit_names_limit},
		{"ids_are_json_integers_only", ids_are_json_integers_only},
		{"a_reply_is_one_line", a_reply_is_one_line},
		{"a_parse_error_quoting_half_a_character_is_still_answered",
		 a_parse_error_quoting_half_a_character_is_still_answered},
		{"an_unknown_op_cut_inside_a_character_is_still_answered",
		 an_unknown_op_cut_inside_a_character_is_still_answered},
		{"error_messages_are_made_valid_utf8", error_messages_are_made_valid_utf8},
		{"the_operator_socket_answers_line_by_line_and_refuses_oversize_requests",
		 the_operator_socket_answers_line_by_line_and_refuses_oversize_requests},
		{"a_connect_naming_another_workstation_is_refused", a_connect_naming_another_workstation_is_refused},
		{"only_an_operators_rule_lets_a_user_name_other_workstations",
		 only_an_operators_rule_lets_a_user_name_other_workstations},
		{"a_connect_with_a_login_older_than_connect_fresh_is_unauthorized",
		 a_connect_with_a_login_older_than_connect_fresh_is_unauthorized},
		{"a_token_is_refused_after_its_logout", a_token_is_refused_after_its_logout},
		{"an_operators_user_revoke_ends_every_token_of_that_user",
		 an_operators_user_revoke_ends_every_token_of_that_user},
		{"lines_show_engineers_no_customer_detail", lines_show_engineers_no_customer_detail},
		{"a_32_mib_request_is_answered_and_the_rest_discarded",
		 a_32_mib_request_is_answered_and_the_rest_discarded},
		{"a_connect_reason_must_be_one_short_line", a_connect_reason_must_be_one_short_line},
		{"engineers_list_their_own_recordings_and_export_only_where_allowed",
		 engineers_list_their_own_recordings_and_export_only_where_allowed},
		{"operators_list_the_fleets_gateways_and_engineers_may_not",
		 operators_list_the_fleets_gateways_and_engineers_may_not},
		{"a_lost_store_answers_store_unavailable_until_it_is_back",
		 a_lost_store_answers_store_unavailable_until_it_is_back},
		{NULL, NULL},
	};

	return ctl_test_run("json_api", cases, setup, teardown);
}
