/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Join instead of wait (issue 15): `join SESSION` asks the holder (and, under the customer's
 * `ask` policy, its approvers) to let you into a live session and waits for the answer;
 * `join requests` lists what you may decide on (or asked for); `join accept|refuse SESSION
 * ENGINEER` decides (accept/refuse, as the holder or as the customer's approver: the server
 * knows which); `join remove SESSION ENGINEER` takes a joiner out (holder or operator);
 * `leave SESSION` (or `join leave SESSION`) leaves a session you joined.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define JOIN_WAIT_DEFAULT_S 300
#define JOIN_WAIT_MAX_S 86400
#define JOIN_POLL_MS 1000

static const char join_usage[] =
	"usage: spgatectl join SESSION [--reason TEXT] [--ticket ID] [--workstation A.B.C.D]\n"
	"                      [--no-wait] [--wait-timeout S] [--otp-file FILE]\n"
	"       spgatectl join requests|accept|refuse|remove|leave ...\n"
	"\n"
	"Asks to join someone else's live session to a system you may reach yourself (the same\n"
	"rules as connect: access, reason/ticket, second factor, workstation). The session's\n"
	"holder decides, and when the customer's approval policy is ask, the customer's\n"
	"approvers too. Waits for the answer and prints the session as you will use it: the\n"
	"virtual address (the holder's: both of you reach the SP at it), ports and expiry.\n"
	"Exits 1 when refused or expired, saying why.\n"
	"\n"
	"  --reason TEXT        why: shown to the holder and approvers, kept in the audit trail\n"
	"  --ticket ID          the service ticket you work on (it must be about the system)\n"
	"  --workstation ADDR   the workstation that will join (default: the address\n"
	"                       spgate-control sees this request come from)\n"
	"  --no-wait            print the pending request and exit 0 without waiting\n"
	"  --wait-timeout S     give up waiting after S seconds (default 300)\n"
	"  --otp-file FILE      a customer that requires a second factor may ask for a fresh\n"
	"                       code (step-up): its first line answers\n"
	"\n"
	"commands:\n"
	"  requests [SESSION]           join requests and joiners you may see or decide on\n"
	"  accept SESSION ENGINEER      let ENGINEER in (the holder; the customer's approvers)\n"
	"  refuse SESSION ENGINEER      refuse ENGINEER's request\n"
	"  remove SESSION ENGINEER      take ENGINEER out (the holder or an operator)\n"
	"  leave SESSION                leave a session you joined (or withdraw your request)\n";

/* The reply's "join" object, or NULL after reporting a malformed reply. */
static json_t *join_member(struct ctl_api *api, json_t *rep, int *rc)
{
	json_t *j = json_object_get(rep, "join");

	if (json_is_object(j))
		return j;
	*rc = ctl_api_malformed(api, "no \"join\" object in it");
	return NULL;
}

static const char *state_of(const json_t *join)
{
	const char *s = json_string_value(json_object_get(join, "state"));

	return s != NULL ? s : "";
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Polls join_status until the request is no longer pending or wait_s pass; *join the latest. */
static int wait_join(struct ctl_api *api, uint64_t id, json_t **join, uint64_t wait_s)
{
	time_t deadline = time(NULL) + (time_t)wait_s;
	json_t *rep, *j;
	int rc = 0;

	while (strcmp(state_of(*join), "pending") == 0) {
		if (time(NULL) >= deadline) {
			fprintf(stderr, "spgatectl: join: session %" PRIu64 ": still pending after %" PRIu64 " s\n", id,
				wait_s);
			return SPGCTL_EXIT_REFUSED;
		}
		sleep_ms(JOIN_POLL_MS);
		rc = ctl_api_call(api, json_pack("{s:s, s:o}", "op", "join_status", "id", ctl_json_id(id)), &rep);
		if (rc == SPGCTL_EXIT_UNREACHABLE && ctl_api_reopen(api) == 0)
			rc = ctl_api_call(api, json_pack("{s:s, s:o}", "op", "join_status", "id", ctl_json_id(id)), &rep);
		if (rc != 0)
			return rc;
		j = join_member(api, rep, &rc);
		if (j != NULL) {
			json_decref(*join);
			*join = json_incref(j);
		}
		json_decref(rep);
		if (j == NULL)
			return rc;
	}
	return 0;
}

enum { J_REASON, J_TICKET, J_WORKSTATION, J_NO_WAIT, J_WAIT_TIMEOUT, J_OTP_FILE, J_END };

static int join_request(struct spgctl_opt *o, uint64_t id, json_t **req)
{
	*req = json_pack("{s:s, s:o}", "op", "join", "id", ctl_json_id(id));
	if (o[J_WORKSTATION].seen && !ctl_arg_ipv4("join", "--workstation", o[J_WORKSTATION].value))
		return SPGCTL_EXIT_USAGE;
	if (o[J_REASON].seen && (o[J_REASON].value[0] == '\0' ||
				 json_object_set_new(*req, "reason", json_string(o[J_REASON].value)) != 0))
		return spgctl_usage_error("join", "--reason: empty or not UTF-8 text");
	if (o[J_TICKET].seen && (o[J_TICKET].value[0] == '\0' ||
				 json_object_set_new(*req, "ticket", json_string(o[J_TICKET].value)) != 0))
		return spgctl_usage_error("join", "--ticket: empty or not UTF-8 text");
	if (o[J_WORKSTATION].seen)
		json_object_set_new(*req, "workstation", json_string(o[J_WORKSTATION].value));
	return 0;
}

/* After the wait: the answer in words on stderr, the join on stdout. */
static int join_outcome(struct spgctl *ctl, const json_t *join, uint64_t id, bool waited)
{
	char reason[512], holder[128];
	const char *state = state_of(join);

	if (ctl->json)
		ctl_print_json(join);
	else
		ctl_print_join(join);
	if (strcmp(state, "accepted") == 0)
		return SPGCTL_EXIT_OK;
	if (strcmp(state, "pending") == 0 && !waited) {
		fprintf(stderr, "spgatectl: join: asked %s to let you into session %" PRIu64 "; see it with "
				"`spgatectl join requests %" PRIu64 "`\n",
			ctl_text(join, "holder", holder, sizeof(holder)), id, id);
		return SPGCTL_EXIT_OK;
	}
	fprintf(stderr, "spgatectl: join: session %" PRIu64 ": %s: %s\n", id, state,
		ctl_text(join, "reason", reason, sizeof(reason)));
	return SPGCTL_EXIT_REFUSED;
}

static int join_ask(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt o[J_END + 1] = {
		[J_REASON] = {"reason", true, NULL, false},
		[J_TICKET] = {"ticket", true, NULL, false},
		[J_WORKSTATION] = {"workstation", true, NULL, false},
		[J_NO_WAIT] = {"no-wait", false, NULL, false},
		[J_WAIT_TIMEOUT] = {"wait-timeout", true, NULL, false},
		[J_OTP_FILE] = {"otp-file", true, NULL, false},
		[J_END] = {NULL, false, NULL, false},
	};
	uint64_t id, wait_s = JOIN_WAIT_DEFAULT_S;
	json_t *req = NULL, *rep = NULL, *join = NULL;
	struct ctl_api api;
	char *pos[1], holder[128];
	int n_pos, rc;

	rc = ctl_parse("join", join_usage, argc, argv, o, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != 1)
		return spgctl_usage_error("join", "missing SESSION");
	if (!ctl_arg_id("join", "SESSION", pos[0], &id))
		return SPGCTL_EXIT_USAGE;
	if (o[J_WAIT_TIMEOUT].seen && o[J_NO_WAIT].seen)
		return spgctl_usage_error("join", "--wait-timeout and --no-wait: give one");
	if (o[J_WAIT_TIMEOUT].seen &&
	    !ctl_arg_count("join", "--wait-timeout", o[J_WAIT_TIMEOUT].value, JOIN_WAIT_MAX_S, &wait_s))
		return SPGCTL_EXIT_USAGE;
	rc = join_request(o, id, &req);
	if (rc != 0) {
		json_decref(req);
		return rc;
	}
	rc = ctl_api_open(&api, ctl, "join", CTL_ROUTE_USER);
	if (rc != 0) {
		json_decref(req);
		return rc;
	}
	rc = ctl_call_step_up(&api, req, o[J_OTP_FILE].seen ? o[J_OTP_FILE].value : NULL, &rep);
	if (rc == 0 && (join = join_member(&api, rep, &rc)) != NULL) {
		json_incref(join);
		if (!o[J_NO_WAIT].seen) {
			fprintf(stderr, "spgatectl: join: asked %s to let you into session %" PRIu64 "; waiting\n",
				ctl_text(join, "holder", holder, sizeof(holder)), id);
			rc = wait_join(&api, id, &join, wait_s);
		}
		if (rc == 0)
			rc = join_outcome(ctl, join, id, !o[J_NO_WAIT].seen);
	}
	json_decref(join);
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

/* ---- requests, accept, refuse, remove, leave ---- */

static const char requests_usage[] =
	"usage: spgatectl join requests [SESSION]\n"
	"\n"
	"Lists the live join requests and joiners you may see: those of your sessions (you\n"
	"decide as their holder), of the customers you approve for, your own, or all (operators).\n"
	"Table: SESSION SERIAL HOLDER ENGINEER WORKSTATION STATE SLOT HOLDER-SAYS CUSTOMER-SAYS\n"
	"DECIDE-BY REASON.\n";

static int join_requests(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt o[] = {{NULL, false, NULL, false}};
	char *pos[1];
	uint64_t id = 0;
	json_t *req;
	int n_pos, rc;

	rc = ctl_parse("join requests", requests_usage, argc, argv, o, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos == 1 && !ctl_arg_id("join requests", "SESSION", pos[0], &id))
		return SPGCTL_EXIT_USAGE;
	req = json_pack("{s:s}", "op", "joins");
	if (id != 0)
		json_object_set_new(req, "id", ctl_json_id(id));
	return ctl_call_list(ctl, "join requests", CTL_ROUTE_USER, req, "joins", ctl_print_joins);
}

/* op on (SESSION, ENGINEER), or on SESSION alone (leave); prints the outcome. */
static int join_op(struct spgctl *ctl, const char *cmd, const char *op, const char *usage, bool engineer, int argc,
		   char **argv)
{
	struct spgctl_opt o[] = {{NULL, false, NULL, false}};
	json_t *rep = NULL, *req, *p;
	struct ctl_api api;
	char *pos[2], state[32], who[128];
	uint64_t id;
	int n_pos, rc;

	rc = ctl_parse(cmd, usage, argc, argv, o, pos, engineer ? 2 : 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != (engineer ? 2 : 1))
		return spgctl_usage_error(cmd, engineer ? "give SESSION and ENGINEER" : "missing SESSION");
	if (!ctl_arg_id(cmd, "SESSION", pos[0], &id))
		return SPGCTL_EXIT_USAGE;
	req = json_pack("{s:s, s:o}", "op", op, "id", ctl_json_id(id));
	if (engineer && (pos[1][0] == '\0' || json_object_set_new(req, "engineer", json_string(pos[1])) != 0)) {
		json_decref(req);
		return spgctl_usage_error(cmd, "ENGINEER: empty or not UTF-8 text");
	}
	rc = ctl_api_open(&api, ctl, cmd, CTL_ROUTE_USER);
	if (rc != 0) {
		json_decref(req);
		return rc;
	}
	rc = ctl_api_call(&api, req, &rep);
	p = rc == 0 ? json_object_get(rep, "participant") : NULL;
	if (rc == 0 && !json_is_object(p))
		rc = ctl_api_malformed(&api, "no \"participant\" object in it");
	else if (rc == 0 && ctl->json)
		ctl_print_json(p);
	else if (rc == 0)
		printf("session %" PRIu64 " %s %s\n", id, ctl_text(p, "engineer", who, sizeof(who)),
		       ctl_text(p, "state", state, sizeof(state)));
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

static const char accept_usage[] =
	"usage: spgatectl join accept SESSION ENGINEER\n"
	"Lets ENGINEER into SESSION: as its holder, or as an approver of the customer when its\n"
	"policy is ask (both must accept then; nobody accepts their own join). Prints the state:\n"
	"pending (the other side has yet to agree) or accepted.\n";
static const char refuse_usage[] =
	"usage: spgatectl join refuse SESSION ENGINEER\n"
	"Refuses ENGINEER's request to join SESSION (its holder, the customer's approvers;\n"
	"operators too). The asker is told who refused.\n";
static const char remove_usage[] =
	"usage: spgatectl join remove SESSION ENGINEER\n"
	"Takes ENGINEER out of SESSION at once (their workstation is cut off), or withdraws their\n"
	"pending request: the session's holder or an operator.\n";
static const char leave_usage[] =
	"usage: spgatectl leave SESSION   (or: spgatectl join leave SESSION)\n"
	"Leaves a session you joined (your workstation is cut off at once), or withdraws your\n"
	"pending request to join it.\n";

static int join_accept(struct spgctl *ctl, int argc, char **argv)
{
	return join_op(ctl, "join accept", "join_accept", accept_usage, true, argc, argv);
}

static int join_refuse(struct spgctl *ctl, int argc, char **argv)
{
	return join_op(ctl, "join refuse", "join_refuse", refuse_usage, true, argc, argv);
}

static int join_remove(struct spgctl *ctl, int argc, char **argv)
{
	return join_op(ctl, "join remove", "join_remove", remove_usage, true, argc, argv);
}

static int join_leave(struct spgctl *ctl, int argc, char **argv)
{
	return join_op(ctl, "join leave", "join_leave", leave_usage, false, argc, argv);
}

static const struct spgctl_cmd join_cmds[] = {
	{"requests", join_requests, "join requests and joiners you may see"},
	{"accept", join_accept, "let an engineer in"},
	{"refuse", join_refuse, "refuse an engineer's request"},
	{"remove", join_remove, "take a joiner out (holder, operator)"},
	{"leave", join_leave, "leave a session you joined"},
	{NULL, NULL, NULL},
};

int ctl_cmd_join(struct spgctl *ctl, int argc, char **argv)
{
	const struct spgctl_cmd *c;

	/* `join SESSION` asks; `join WORD ...` is a subcommand (a session id is never a word). */
	for (c = join_cmds; argc >= 2 && c->name != NULL; c++)
		if (strcmp(argv[1], c->name) == 0)
			return spgctl_dispatch(ctl, "join", join_cmds, argc, argv, join_usage);
	return join_ask(ctl, argc, argv);
}

int ctl_cmd_leave(struct spgctl *ctl, int argc, char **argv)
{
	return join_op(ctl, "leave", "join_leave", leave_usage, false, argc, argv);
}
