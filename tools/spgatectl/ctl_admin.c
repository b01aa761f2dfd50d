/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tickets, lines and the operator's commands: ticket submit, tickets, lines, user revoke,
 * audit and inventory import. audit and inventory are operator-only ops and always go over the
 * operator socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "output.h"

#define AUDIT_LIMIT_MAX 100000 /* what spgate-control takes */
#define INVENTORY_FILE_MAX (16u * 1024 * 1024)
/* spgate-control's API_REQUEST_MAX (control/api/server.h), to explain a refused import. */
#define SERVER_REQUEST_MAX (64u * 1024)

/* ---- ticket submit, tickets ---- */

static const char ticket_submit_usage[] =
	"usage: spgatectl ticket submit (--serial S | --customer C --site S) --problem TEXT\n"
	"\n"
	"Files a service ticket for a system, named by its serial or by customer and site;\n"
	"`connect --ticket ID` then reaches that system.\n";

enum { T_SERIAL, T_CUSTOMER, T_SITE, T_PROBLEM, T_END };

static int cmd_ticket_submit(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "ticket submit";
	struct spgctl_opt o[T_END + 1] = {
		[T_SERIAL] = {"serial", true, NULL, false},
		[T_CUSTOMER] = {"customer", true, NULL, false},
		[T_SITE] = {"site", true, NULL, false},
		[T_PROBLEM] = {"problem", true, NULL, false},
		[T_END] = {NULL, false, NULL, false},
	};
	struct ctl_api api;
	json_t *req;
	int n_pos, rc, i;

	rc = ctl_parse(cmd, ticket_submit_usage, argc, argv, o, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (o[T_SERIAL].seen && (o[T_CUSTOMER].seen || o[T_SITE].seen))
		return spgctl_usage_error(cmd, "--serial: give --serial, or --customer and --site, not both");
	if (!o[T_SERIAL].seen && !o[T_CUSTOMER].seen && !o[T_SITE].seen)
		return spgctl_usage_error(cmd, "missing --serial (or --customer and --site)");
	if (!o[T_SERIAL].seen && !(o[T_CUSTOMER].seen && o[T_SITE].seen))
		return spgctl_usage_error(cmd, "missing --%s: --customer and --site go together",
					  o[T_CUSTOMER].seen ? "site" : "customer");
	if (!o[T_PROBLEM].seen)
		return spgctl_usage_error(cmd, "missing --problem");
	req = json_pack("{s:s}", "op", "ticket_submit");
	for (i = T_SERIAL; i <= T_PROBLEM; i++) {
		if (!o[i].seen)
			continue;
		if (o[i].value[0] == '\0')
			rc = spgctl_usage_error(cmd, "--%s is empty", o[i].name);
		else if (json_object_set_new(req, o[i].name, json_string(o[i].value)) != 0)
			rc = spgctl_usage_error(cmd, "--%s: not UTF-8 text", o[i].name);
		if (rc != 0) {
			json_decref(req);
			return rc;
		}
	}
	rc = ctl_api_open(&api, ctl, cmd, CTL_ROUTE_USER);
	if (rc != 0) {
		json_decref(req);
		return rc;
	}
	rc = ctl_call_object(&api, req, "ticket", ctl_print_ticket);
	ctl_api_close(&api);
	return rc;
}

static const char ticket_usage[] =
	"usage: spgatectl ticket <command> [args]\n"
	"\n"
	"commands:\n"
	"  submit (--serial S | --customer C --site S) --problem TEXT   file a service ticket\n";

static const struct spgctl_cmd ticket_cmds[] = {
	{"submit", cmd_ticket_submit, "file a service ticket"},
	{NULL, NULL, NULL},
};

int ctl_cmd_ticket(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "ticket", ticket_cmds, argc, argv, ticket_usage);
}

static const char tickets_usage[] =
	"usage: spgatectl tickets\n"
	"Lists service tickets. Table: ID SERIAL CUSTOMER SITE SUBMITTED-BY CREATED PROBLEM.\n";

int ctl_cmd_tickets(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	int n_pos, rc;

	rc = ctl_parse("tickets", tickets_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	return ctl_call_list(ctl, "tickets", CTL_ROUTE_USER, json_pack("{s:s}", "op", "tickets"), "tickets",
			 ctl_print_tickets);
}

/* ---- lines ---- */

static const char lines_usage[] =
	"usage: spgatectl lines\n"
	"Lists the lines to SP sites and what they do. Table: ID TYPE REGION CUSTOMER STATE SESSION\n"
	"CALLS FAILURES LAST (the last call's result: \"connected 33600\", \"busy\", \"no dial tone\", ...).\n"
	"A modem line that failed max_line_faults times in a row is \"failed\" until an operator\n"
	"enables it (spgatectl line enable ID) or a health check passes.\n";

int ctl_cmd_lines(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	int n_pos, rc;

	rc = ctl_parse("lines", lines_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	return ctl_call_list(ctl, "lines", CTL_ROUTE_USER, json_pack("{s:s}", "op", "lines"), "lines", ctl_print_lines);
}

/* ---- gateways ---- */

static const char gateways_usage[] =
	"usage: spgatectl gateways\n"
	"Lists the gateway hosts of the fleet sharing this store (operator). Table: ID STATE GEN\n"
	"SESSIONS LOAD RENEWED ADDRESSES_AT TAKEN_BY SELF: STATE is alive while the host renews its\n"
	"lease (every 3 s, for 10 s), dead after; GEN is the lease's generation, +1 at each\n"
	"(re)start and at a takeover; SESSIONS the live sessions it owns; LOAD its 1-minute load\n"
	"average; ADDRESSES_AT the host that holds its service addresses (itself, or the host that\n"
	"took it over); TAKEN_BY who took it over last; SELF marks the host that answered.\n";

int ctl_cmd_gateways(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	int n_pos, rc;

	rc = ctl_parse("gateways", gateways_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	return ctl_call_list(ctl, "gateways", CTL_ROUTE_OPERATOR, json_pack("{s:s}", "op", "gateways"), "gateways",
			     ctl_print_gateways);
}

/* ---- line enable / disable ---- */

static const char line_usage[] =
	"usage: spgatectl line enable|disable ID\n"
	"\n"
	"Takes a line out of service (disable: allocation skips it; a call on it goes on until its\n"
	"session ends) or puts it back (enable: a disabled or failed line is idle again and its\n"
	"fault count forgotten). Operators; over the control socket. Prints the line.\n";

static int line_op(struct spgctl *ctl, const char *cmd, const char *op, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct ctl_api api;
	char *pos[1];
	int n_pos, rc;

	rc = ctl_parse(cmd, line_usage, argc, argv, opts, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != 1)
		return spgctl_usage_error(cmd, "missing line ID");
	rc = ctl_api_open(&api, ctl, cmd, CTL_ROUTE_OPERATOR);
	if (rc != 0)
		return rc;
	rc = ctl_call_object(&api, json_pack("{s:s, s:s}", "op", op, "id", pos[0]), "line", ctl_print_line);
	ctl_api_close(&api);
	return rc;
}

static int cmd_line_enable(struct spgctl *ctl, int argc, char **argv)
{
	return line_op(ctl, "line enable", "line_enable", argc, argv);
}

static int cmd_line_disable(struct spgctl *ctl, int argc, char **argv)
{
	return line_op(ctl, "line disable", "line_disable", argc, argv);
}

static const struct spgctl_cmd line_cmds[] = {
	{"enable", cmd_line_enable, "put a line back in service"},
	{"disable", cmd_line_disable, "take a line out of service"},
	{NULL, NULL, NULL},
};

int ctl_cmd_line(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "line", line_cmds, argc, argv, line_usage);
}

/* ---- user revoke ---- */

static const char user_usage[] =
	"usage: spgatectl user revoke NAME\n"
	"\n"
	"Revokes every token user NAME holds (operators; over the control socket): each request\n"
	"with one of them is refused from now on, also after a restart of spgate-control. It\n"
	"does not lock the account: NAME may log in again unless also disabled in RADIUS or\n"
	"removed from the inventory.\n";

static int cmd_user_revoke(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "user revoke";
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct ctl_api api;
	json_t *rep = NULL;
	char *pos[1];
	int n_pos, rc;

	rc = ctl_parse(cmd, user_usage, argc, argv, opts, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != 1)
		return spgctl_usage_error(cmd, "missing user NAME");
	rc = ctl_api_open(&api, ctl, cmd, CTL_ROUTE_OPERATOR);
	if (rc != 0)
		return rc;
	rc = ctl_api_call(&api, json_pack("{s:s, s:s}", "op", "user_revoke", "user", pos[0]), &rep);
	if (rc == 0 && ctl->json)
		ctl_print_json(rep);
	else if (rc == 0)
		printf("revoked every token of %s issued until now\n", pos[0]);
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

static const struct spgctl_cmd user_cmds[] = {
	{"revoke", cmd_user_revoke, "revoke every token of a user"},
	{NULL, NULL, NULL},
};

int ctl_cmd_user(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "user", user_cmds, argc, argv, user_usage);
}

/* ---- audit ---- */

static const char audit_usage[] =
	"usage: spgatectl audit [--limit N] [--since UNIX|ISO8601]\n"
	"\n"
	"The audit trail (operators; over the control socket). Table: ID TIME ACTOR ACTION\n"
	"TARGET RESULT DETAILS.\n"
	"\n"
	"  --limit N       at most N events, up to 100000 (default: the server's, 100)\n"
	"  --since TIME    events from then on: unix seconds, or 2024-05-01, 2024-05-01T12:00,\n"
	"                  2024-05-01T12:00:00Z, 2024-05-01T14:00:00+02:00 (no zone: local time)\n";

int ctl_cmd_audit(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{"limit", true, NULL, false}, {"since", true, NULL, false},
				    {NULL, false, NULL, false}};
	uint64_t limit = 0;
	time_t since = 0;
	json_t *req;
	int n_pos, rc;

	rc = ctl_parse("audit", audit_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if ((opts[0].seen && !ctl_arg_count("audit", "--limit", opts[0].value, AUDIT_LIMIT_MAX, &limit)) ||
	    (opts[1].seen && !ctl_arg_time("audit", "--since", opts[1].value, &since)))
		return SPGCTL_EXIT_USAGE;
	req = json_pack("{s:s}", "op", "audit");
	if (opts[0].seen)
		json_object_set_new(req, "limit", json_integer((json_int_t)limit));
	if (opts[1].seen)
		json_object_set_new(req, "since", json_integer((json_int_t)since));
	return ctl_call_list(ctl, "audit", CTL_ROUTE_OPERATOR, req, "events", ctl_print_events);
}

/* ---- inventory import ---- */

static const char inventory_import_usage[] =
	"usage: spgatectl inventory import FILE [--format yaml|csv]\n"
	"\n"
	"Imports customers, sites, systems, lines and access rules from FILE (operators; over\n"
	"the control socket) and prints how many of each. The format follows the extension\n"
	"(.yaml, .yml, .csv) unless --format says otherwise. A refusal names FILE:LINE.\n";

/* The whole file as UTF-8 JSON string; an exit code after a usage message naming it. */
static int read_inventory(const char *cmd, const char *path, json_t **text)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0, n;
	char *buf;

	if (f == NULL)
		return spgctl_usage_error(cmd, "FILE: cannot open \"%s\": %s", path, strerror(errno));
	buf = malloc(INVENTORY_FILE_MAX + 1);
	while (buf != NULL && (n = fread(buf + len, 1, INVENTORY_FILE_MAX + 1 - len, f)) > 0)
		len += n;
	if (buf == NULL || ferror(f) || len > INVENTORY_FILE_MAX) {
		fclose(f);
		free(buf);
		return spgctl_usage_error(cmd, "FILE: cannot read \"%s\": %s", path,
					  buf == NULL ? "out of memory" : len > INVENTORY_FILE_MAX ? "larger than 16 MiB" : strerror(errno));
	}
	fclose(f);
	*text = json_stringn(buf, len);
	free(buf);
	if (*text == NULL)
		return spgctl_usage_error(cmd, "FILE: \"%s\" is not UTF-8 text", path);
	return 0;
}

static const char *format_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot != NULL && strchr(dot, '/') == NULL) {
		if (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0)
			return "yaml";
		if (strcasecmp(dot, ".csv") == 0)
			return "csv";
	}
	return NULL;
}

static void print_imported(const json_t *imported)
{
	const char *table;
	char buf[64];
	json_t *count;

	json_object_foreach((json_t *)imported, table, count) {
		json_t *o = json_pack("{s:O}", "n", count);

		out_kv(stdout, table, "%s", ctl_text(o, "n", buf, sizeof(buf)));
		json_decref(o);
	}
}

static int cmd_inventory_import(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "inventory import";
	struct spgctl_opt opts[] = {{"format", true, NULL, false}, {NULL, false, NULL, false}};
	const char *format;
	json_t *text = NULL;
	struct ctl_api api;
	char *pos[1];
	size_t request_len;
	int n_pos, rc;

	rc = ctl_parse(cmd, inventory_import_usage, argc, argv, opts, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != 1)
		return spgctl_usage_error(cmd, "missing FILE");
	format = opts[0].seen ? opts[0].value : format_of(pos[0]);
	if (opts[0].seen && strcmp(format, "yaml") != 0 && strcmp(format, "csv") != 0)
		return spgctl_usage_error(cmd, "--format: \"%s\" is neither yaml nor csv", format);
	if (format == NULL)
		return spgctl_usage_error(cmd, "FILE: cannot tell the format of \"%s\" from its name; give --format yaml|csv",
					  pos[0]);
	rc = read_inventory(cmd, pos[0], &text);
	if (rc != 0)
		return rc;
	request_len = json_string_length(text);
	rc = ctl_api_open(&api, ctl, cmd, CTL_ROUTE_OPERATOR);
	if (rc != 0) {
		json_decref(text);
		return rc;
	}
	api.file = pos[0];
	rc = ctl_call_object(&api, json_pack("{s:s, s:s, s:o}", "op", "inventory_import", "format", format, "text", text),
		      "imported", print_imported);
	if (rc == SPGCTL_EXIT_UNREACHABLE && request_len > SERVER_REQUEST_MAX)
		fprintf(stderr, "spgatectl: %s: \"%s\" is %zu bytes; spgate-control takes requests up to %u bytes\n", cmd,
			pos[0], request_len, SERVER_REQUEST_MAX);
	ctl_api_close(&api);
	return rc;
}

static const char inventory_usage[] =
	"usage: spgatectl inventory <command> [args]\n"
	"\n"
	"commands:\n"
	"  import FILE [--format yaml|csv]   import the inventory (operators)\n";

static const struct spgctl_cmd inventory_cmds[] = {
	{"import", cmd_inventory_import, "import the inventory"},
	{NULL, NULL, NULL},
};

int ctl_cmd_inventory(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "inventory", inventory_cmds, argc, argv, inventory_usage);
}
