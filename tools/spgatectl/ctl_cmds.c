/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engineer's commands: search, connect, sessions, session show, disconnect, approve,
 * deny. Each parses its arguments, makes one call (connect --wait polls) and prints the
 * result member of the reply: a table or key/value block, or with --json the member as the
 * server sent it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define WAIT_TIMEOUT_DEFAULT_S 300
#define WAIT_TIMEOUT_MAX_S 86400
#define POLL_INTERVAL_MS 1000

/* The reply's member key, of the type wanted; NULL after reporting a malformed reply. */
static json_t *member(struct ctl_api *api, json_t *rep, const char *key, json_type type, int *rc)
{
	json_t *v = json_object_get(rep, key);
	char what[96];

	if (v != NULL && json_typeof(v) == type)
		return v;
	snprintf(what, sizeof(what), "no \"%s\" %s in it", key, type == JSON_ARRAY ? "array" : "object");
	*rc = ctl_api_malformed(api, what);
	return NULL;
}

/* ---- search ---- */

static const char search_usage[] =
	"usage: spgatectl search [--serial | --customer | --site | --ticket] QUERY\n"
	"\n"
	"Finds the systems you may reach: by serial (whole or part), customer, site or the\n"
	"ticket naming it; without an option QUERY matches any of these.\n"
	"Table: SERIAL CUSTOMER SITE REGION CONNECT ADDRESS PORTS.\n";

int ctl_cmd_search(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {
		{"serial", false, NULL, false}, {"customer", false, NULL, false}, {"site", false, NULL, false},
		{"ticket", false, NULL, false}, {NULL, false, NULL, false},
	};
	const char *by = "any";
	char *pos[1];
	json_t *req;
	int n_pos, rc, i;

	rc = ctl_parse("search", search_usage, argc, argv, opts, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	for (i = 0; opts[i].name != NULL; i++) {
		if (!opts[i].seen)
			continue;
		if (strcmp(by, "any") != 0)
			return spgctl_usage_error("search", "--%s and --%s: give at most one", by, opts[i].name);
		by = opts[i].name;
	}
	if (n_pos != 1)
		return spgctl_usage_error("search", "missing QUERY");
	if (pos[0][0] == '\0')
		return spgctl_usage_error("search", "QUERY is empty");
	req = json_pack("{s:s, s:s, s:s}", "op", "search", "query", pos[0], "by", by);
	if (req == NULL)
		return spgctl_usage_error("search", "QUERY: not UTF-8 text");
	return ctl_call_list(ctl, "search", CTL_ROUTE_USER, req, "systems", ctl_print_systems);
}

/* ---- connect ---- */

static const char connect_usage[] =
	"usage: spgatectl connect SERIAL | --ticket ID [--reason TEXT] [--workstation A.B.C.D]\n"
	"                         [--wait [--wait-timeout S]] [--otp-file FILE]\n"
	"\n"
	"Asks for a session to a system, by its serial or by a service ticket, and prints it.\n"
	"If someone already holds the system, says who (user, workstation, since when) and\n"
	"exits 1.\n"
	"\n"
	"  --ticket ID          the service ticket the session works on; without SERIAL, the\n"
	"                       system it names (with SERIAL, it must name that system)\n"
	"  --reason TEXT        why: shown to approvers, kept with the session, its audit\n"
	"                       records, SNMP notifications and recording (customers with\n"
	"                       require_reason / require_ticket refuse a connect without)\n"
	"  --workstation ADDR   the workstation that will use the session (default: the\n"
	"                       address spgate-control sees this request come from)\n"
	"  --wait               wait until the session is active, failed or closed (an approval\n"
	"                       being awaited is reported once); exits 1 unless it is active\n"
	"  --wait-timeout S     give up waiting after S seconds (default 300)\n"
	"  --otp-file FILE      a customer that requires a second factor may ask for a fresh\n"
	"                       code (step-up): its first line answers, instead of the terminal\n"
	"                       or $SPGATE_OTP\n";

static const char *state_of(const json_t *session)
{
	const char *s = json_string_value(json_object_get(session, "state"));

	return s != NULL ? s : "";
}

static bool settled(const char *state)
{
	return strcmp(state, "active") == 0 || strcmp(state, "failed") == 0 || strcmp(state, "closed") == 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static json_t *poll_request(const json_t *session)
{
	return json_pack("{s:s, s:O}", "op", "session", "id", json_object_get(session, "id"));
}

/*
 * Polls `session` until the session settles or wait_s pass. Returns 0 with *session the
 * latest (owned), or an exit code; *session stays valid either way.
 */
static int wait_session(struct ctl_api *api, json_t **session, uint64_t wait_s)
{
	time_t deadline = time(NULL) + (time_t)wait_s;
	bool told_approval = false;
	char id[32], approval[32];
	json_t *rep, *s;
	int rc;

	if (json_object_get(*session, "id") == NULL)
		return ctl_api_malformed(api, "a session without an \"id\"");
	ctl_text(*session, "id", id, sizeof(id));
	while (!settled(state_of(*session))) {
		if (strcmp(state_of(*session), "awaiting_approval") == 0 && !told_approval) {
			fprintf(stderr, "spgatectl: connect: session %s awaits approval (approval %s)\n", id,
				ctl_text(*session, "approval_id", approval, sizeof(approval)));
			told_approval = true;
		}
		if (time(NULL) >= deadline) {
			fprintf(stderr, "spgatectl: connect: session %s is still %s after %" PRIu64 " s\n", id,
				state_of(*session), wait_s);
			return SPGCTL_EXIT_REFUSED;
		}
		sleep_ms(POLL_INTERVAL_MS);
		rc = ctl_api_call(api, poll_request(*session), &rep);
		/* A connection idle for long may have been closed by the server: once more. */
		if (rc == SPGCTL_EXIT_UNREACHABLE && ctl_api_reopen(api) == 0)
			rc = ctl_api_call(api, poll_request(*session), &rep);
		if (rc != 0)
			return rc;
		s = member(api, rep, "session", JSON_OBJECT, &rc);
		if (s != NULL) {
			json_decref(*session);
			*session = json_incref(s);
		}
		json_decref(rep);
		if (s == NULL)
			return rc;
	}
	return 0;
}

enum { C_TICKET, C_REASON, C_WORKSTATION, C_WAIT, C_WAIT_TIMEOUT, C_OTP_FILE, C_END };

/*
 * Calls connect; when the customer wants a fresh second factor (mfa_step_up), asks for a
 * code and calls once more with it. The server decides: a client cannot skip the step.
 */
int ctl_call_step_up(struct ctl_api *api, json_t *req, const char *otp_file, json_t **rep)
{
	char code[CTL_CODE_MAX];
	json_t *again = json_deep_copy(req);
	int rc;

	api->pass_error = "mfa_step_up";
	rc = ctl_api_call(api, req, rep);
	api->pass_error = NULL;
	if (rc == CTL_API_PASSED) {
		rc = ctl_step_up_code(api, *rep, otp_file, code, sizeof(code));
		json_decref(*rep);
		*rep = NULL;
		if (rc == 0 && again != NULL) {
			json_object_set_new(again, "otp", json_string(code));
			rc = ctl_api_call(api, again, rep);
			again = NULL;
		}
		explicit_bzero(code, sizeof(code));
	}
	json_decref(again);
	return rc;
}

/* A usage error after the request was begun: the request goes (the caller gets none). */
static int connect_request_refused(json_t **req, const char *cmd, const char *why)
{
	json_decref(*req);
	*req = NULL;
	return spgctl_usage_error(cmd, "%s", why);
}

static int connect_request(const char *cmd, struct spgctl_opt *o, char **pos, int n_pos, json_t **req)
{
	if (n_pos == 0 && !o[C_TICKET].seen)
		return spgctl_usage_error(cmd, "missing SERIAL (or --ticket ID)");
	if ((n_pos == 1 && pos[0][0] == '\0') || (o[C_TICKET].seen && o[C_TICKET].value[0] == '\0'))
		return spgctl_usage_error(cmd, "%s is empty", n_pos == 1 ? "SERIAL" : "--ticket");
	if (o[C_WORKSTATION].seen && !ctl_arg_ipv4(cmd, "--workstation", o[C_WORKSTATION].value))
		return SPGCTL_EXIT_USAGE;
	*req = json_pack("{s:s, s:s}", "op", "connect", n_pos == 1 ? "serial" : "ticket",
			 n_pos == 1 ? pos[0] : o[C_TICKET].value);
	if (*req == NULL)
		return spgctl_usage_error(cmd, "%s: not UTF-8 text", n_pos == 1 ? "SERIAL" : "--ticket");
	if (n_pos == 1 && o[C_TICKET].seen &&
	    json_object_set_new(*req, "ticket", json_string(o[C_TICKET].value)) != 0)
		return connect_request_refused(req, cmd, "--ticket: not UTF-8 text");
	if (o[C_REASON].seen && (o[C_REASON].value[0] == '\0' ||
				 json_object_set_new(*req, "reason", json_string(o[C_REASON].value)) != 0))
		return connect_request_refused(req, cmd, "--reason: empty or not UTF-8 text");
	if (o[C_WORKSTATION].seen)
		json_object_set_new(*req, "workstation", json_string(o[C_WORKSTATION].value));
	return 0;
}

int ctl_cmd_connect(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt o[C_END + 1] = {
		[C_TICKET] = {"ticket", true, NULL, false},
		[C_REASON] = {"reason", true, NULL, false},
		[C_WORKSTATION] = {"workstation", true, NULL, false},
		[C_WAIT] = {"wait", false, NULL, false},
		[C_WAIT_TIMEOUT] = {"wait-timeout", true, NULL, false},
		[C_OTP_FILE] = {"otp-file", true, NULL, false},
		[C_END] = {NULL, false, NULL, false},
	};
	uint64_t wait_s = WAIT_TIMEOUT_DEFAULT_S;
	json_t *req = NULL, *rep = NULL, *session = NULL;
	char *pos[1], id[32], reason[512];
	struct ctl_api api;
	int n_pos, rc;

	rc = ctl_parse("connect", connect_usage, argc, argv, o, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (o[C_WAIT_TIMEOUT].seen && !o[C_WAIT].seen)
		return spgctl_usage_error("connect", "--wait-timeout needs --wait");
	if (o[C_WAIT_TIMEOUT].seen &&
	    !ctl_arg_count("connect", "--wait-timeout", o[C_WAIT_TIMEOUT].value, WAIT_TIMEOUT_MAX_S, &wait_s))
		return SPGCTL_EXIT_USAGE;
	rc = connect_request("connect", o, pos, n_pos, &req);
	if (rc != 0)
		return rc;
	rc = ctl_api_open(&api, ctl, "connect", CTL_ROUTE_USER);
	if (rc != 0) {
		json_decref(req);
		return rc;
	}
	rc = ctl_call_step_up(&api, req, o[C_OTP_FILE].seen ? o[C_OTP_FILE].value : NULL, &rep);
	if (rc == 0 && (session = member(&api, rep, "session", JSON_OBJECT, &rc)) != NULL) {
		json_incref(session);
		if (o[C_WAIT].seen)
			rc = wait_session(&api, &session, wait_s);
		if (ctl->json)
			ctl_print_json(session);
		else
			ctl_print_session(session);
		if (rc == 0 && o[C_WAIT].seen && strcmp(state_of(session), "active") != 0) {
			fprintf(stderr, "spgatectl: connect: session %s %s: %s\n", ctl_text(session, "id", id, sizeof(id)),
				state_of(session), ctl_text(session, "reason", reason, sizeof(reason)));
			rc = SPGCTL_EXIT_REFUSED;
		}
	}
	json_decref(session);
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

/* ---- sessions ---- */

static const char sessions_usage[] =
	"usage: spgatectl [--operator] sessions [--all] [--all-states] [--since UNIX|ISO8601]\n"
	"\n"
	"Lists sessions: your own, or with --all everyone's (operators and privileged users).\n"
	"Only live ones, unless:\n"
	"  --all-states    also the closed and failed ones of the last hour\n"
	"  --since TIME    also the closed and failed ones that ended since TIME (as audit --since)\n"
	"Table: ID SERIAL USER WORKSTATION STATE VIRTUAL SP LINE SPEED AGE OUT-PKTS IN-PKTS\n"
	"JOINERS (who joined: \"bob (slot 1)\", and who asks: \"carol (pending)\"). Your own list\n"
	"also has the sessions you joined or ask to join. A fleet of gateway hosts (a PostgreSQL\n"
	"store) adds OWNER: the gateway.id of the host that runs the session; any host lists all.\n";

int ctl_cmd_sessions(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{"all", false, NULL, false}, {"all-states", false, NULL, false},
				    {"since", true, NULL, false}, {NULL, false, NULL, false}};
	time_t since = 0;
	json_t *req;
	int n_pos, rc;

	rc = ctl_parse("sessions", sessions_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (opts[2].seen && !ctl_arg_time("sessions", "--since", opts[2].value, &since))
		return SPGCTL_EXIT_USAGE;
	if (opts[1].seen && !opts[2].seen)
		since = time(NULL) - 3600;
	if (since <= 0 && (opts[1].seen || opts[2].seen))
		since = 1; /* the epoch or before: every ended session */
	req = json_pack("{s:s}", "op", "sessions");
	if (opts[0].seen)
		json_object_set_new(req, "all", json_true());
	if (since > 0)
		json_object_set_new(req, "since", json_integer((json_int_t)since));
	return ctl_call_list(ctl, "sessions", CTL_ROUTE_USER, req, "sessions", ctl_print_sessions);
}

/* ---- session show, disconnect, approve, deny: an op on one session ---- */

/* Calls op with id ID (argv's only argument) and prints the session, in full or as its state. */
static int session_op(struct spgctl *ctl, const char *cmd, const char *op, const char *usage, bool full, int argc,
		      char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	json_t *rep = NULL, *session;
	struct ctl_api api;
	char *pos[1], id_text[32];
	uint64_t id;
	int n_pos, rc;

	rc = ctl_parse(cmd, usage, argc, argv, opts, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != 1)
		return spgctl_usage_error(cmd, "missing session ID");
	if (!ctl_arg_id(cmd, "ID", pos[0], &id))
		return SPGCTL_EXIT_USAGE;
	rc = ctl_api_open(&api, ctl, cmd, CTL_ROUTE_USER);
	if (rc != 0)
		return rc;
	rc = ctl_api_call(&api, json_pack("{s:s, s:o}", "op", op, "id", ctl_json_id(id)), &rep);
	if (rc == 0 && (session = member(&api, rep, "session", JSON_OBJECT, &rc)) != NULL) {
		if (ctl->json)
			ctl_print_json(session);
		else if (full)
			ctl_print_session(session);
		else
			printf("session %s %s\n", ctl_text(session, "id", id_text, sizeof(id_text)), state_of(session));
	}
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

static const char session_show_usage[] =
	"usage: spgatectl session show ID\n"
	"Shows one session: state (and why it failed), line, addresses, speed, counters.\n";
static const char disconnect_usage[] =
	"usage: spgatectl disconnect ID\n"
	"Closes a session (yours, or any as an operator) and prints its state.\n";
static const char approve_usage[] =
	"usage: spgatectl approve ID\n"
	"Approves a session awaiting approval (approvers of the customer and operators).\n";
static const char deny_usage[] =
	"usage: spgatectl deny ID\n"
	"Denies a session awaiting approval (approvers of the customer and operators).\n";

static int cmd_session_show(struct spgctl *ctl, int argc, char **argv)
{
	return session_op(ctl, "session show", "session", session_show_usage, true, argc, argv);
}

static const char session_usage[] =
	"usage: spgatectl session <command> [args]\n"
	"\n"
	"commands:\n"
	"  show ID    one session in full\n";

static const struct spgctl_cmd session_cmds[] = {
	{"show", cmd_session_show, "one session in full"},
	{NULL, NULL, NULL},
};

int ctl_cmd_session(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "session", session_cmds, argc, argv, session_usage);
}

int ctl_cmd_disconnect(struct spgctl *ctl, int argc, char **argv)
{
	return session_op(ctl, "disconnect", "disconnect", disconnect_usage, false, argc, argv);
}

int ctl_cmd_approve(struct spgctl *ctl, int argc, char **argv)
{
	return session_op(ctl, "approve", "approve", approve_usage, false, argc, argv);
}

int ctl_cmd_deny(struct spgctl *ctl, int argc, char **argv)
{
	return session_op(ctl, "deny", "deny", deny_usage, false, argc, argv);
}
