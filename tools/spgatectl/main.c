/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgatectl: the operator's and engineer's command line. Global options, then a table of
 * command groups, each in a file of its own (dp_cmds.c: talking to spgate-dp; ctl_*.c:
 * talking to spgate-control, see ctl.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "dp_api.h"
#include "spgatectl.h"

static int cmd_help(struct spgctl *ctl, int argc, char **argv);
static bool is_help(const char *arg);

static const struct spgctl_cmd commands[] = {
	{"login", ctl_cmd_login, "log in to spgate-control and keep the token"},
	{"logout", ctl_cmd_logout, "end the token on the server and forget it"},
	{"whoami", ctl_cmd_whoami, "who the token (or the operator socket) stands for"},
	{"search", ctl_cmd_search, "find systems by serial, customer, site or ticket"},
	{"connect", ctl_cmd_connect, "ask for a session to a system"},
	{"sessions", ctl_cmd_sessions, "list sessions"},
	{"session", ctl_cmd_session, "show one session"},
	{"disconnect", ctl_cmd_disconnect, "close a session"},
	{"approve", ctl_cmd_approve, "approve a session awaiting approval"},
	{"deny", ctl_cmd_deny, "deny a session awaiting approval"},
	{"join", ctl_cmd_join, "join someone's session, or decide on who joins yours"},
	{"leave", ctl_cmd_leave, "leave a session you joined"},
	{"ticket", ctl_cmd_ticket, "file a service ticket"},
	{"tickets", ctl_cmd_tickets, "list service tickets"},
	{"lines", ctl_cmd_lines, "list the lines to SP sites"},
	{"line", ctl_cmd_line, "enable or disable a line (operator)"},
	{"user", ctl_cmd_user, "revoke a user's tokens (operator)"},
	{"mfa", ctl_cmd_mfa, "enrol, confirm or reset a second factor (TOTP)"},
	{"audit", ctl_cmd_audit, "read the audit log (operator)"},
	{"gateways", ctl_cmd_gateways, "list the gateway hosts of the fleet (operator)"},
	{"inventory", ctl_cmd_inventory, "import the inventory (operator)"},
	{"recordings", ctl_cmd_recordings, "list session recordings"},
	{"recording", ctl_cmd_recording, "export a session recording"},
	{"dp", spgctl_cmd_dp, "inspect and program the dataplane (spgate-dp) directly"},
	{"help", cmd_help, "this text, or help COMMAND [SUBCOMMAND]: that command's"},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	const struct spgctl_cmd *c;

	fprintf(f,
		"usage: spgatectl [--server HOST:PORT] [--ca FILE] [--operator [--control-socket PATH]]\n"
		"                 [--socket PATH] [--json] [--timeout MS] <command> [args]\n"
		"\n"
		"global options:\n"
		"  --server HOST:PORT     spgate-control's engineer API (TLS) (default: $SPGATE_SERVER,\n"
		"                         else the server of the saved token)\n"
		"  --ca FILE              CA certificates to check the server with (default: $SPGATE_CA,\n"
		"                         else the one used at login)\n"
		"  --operator             use the operators' Unix socket instead of TLS and a token\n"
		"                         (audit and inventory always do)\n"
		"  --control-socket PATH  that socket (default: $SPGATE_CONTROL_SOCKET, else\n"
		"                         %s)\n"
		"  --socket PATH          the dataplane's control socket, for dp commands (default:\n"
		"                         $SPGATE_DP_SOCKET, else %s)\n"
		"  --json                 print JSON for scripts instead of tables\n"
		"  --timeout MS           how long to wait for a reply (default %d)\n"
		"  --help                 this text; every command takes --help too\n"
		"  --version              print spgatectl's version and exit\n"
		"\n"
		"commands:\n",
		CTL_CONTROL_SOCKET_DEFAULT, SPG_DP_SOCKET_DEFAULT, SPGCTL_DEFAULT_TIMEOUT_MS);
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-14s  %s\n", c->name, c->summary);
	fprintf(f,
		"\n"
		"exit codes: 0 success, 1 refused, 2 usage error, 3 server or dataplane unreachable\n"
		"(or a bad reply), 4 not logged in or the token expired (run spgatectl login)\n");
}

static const struct spgctl_cmd *find_command(const char *name)
{
	const struct spgctl_cmd *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* "help" alone is --help; "help CMD [SUB...]" is "CMD [SUB...] --help", which every command takes. */
static int cmd_help(struct spgctl *ctl, int argc, char **argv)
{
	const struct spgctl_cmd *c;
	char *args[8];
	int i;

	if (argc < 2) {
		usage(stdout);
		return SPGCTL_EXIT_OK;
	}
	c = is_help(argv[1]) ? NULL : find_command(argv[1]);
	if (is_help(argv[1]) || (c != NULL && c->run == cmd_help)) { /* help --help, help help */
		fputs("usage: spgatectl help [COMMAND [SUBCOMMAND]]\n\n"
		      "Without a command, spgatectl --help; else COMMAND's --help.\n",
		      stdout);
		return SPGCTL_EXIT_OK;
	}
	if (c == NULL)
		return spgctl_usage_error("help", "unknown command '%s'", argv[1]);
	if (argc > (int)(sizeof(args) / sizeof(args[0])) - 2)
		return spgctl_usage_error("help", "too many words after help");
	for (i = 1; i < argc; i++)
		args[i - 1] = argv[i];
	args[argc - 1] = (char *)"--help";
	args[argc] = NULL;
	return c->run(ctl, argc, args);
}

/* Whether usage errors end with "Try 'spgatectl CMD --help'": not for a batch file's lines. */
static bool usage_hint = true;

void spgctl_usage_hint(bool on)
{
	usage_hint = on;
}

int spgctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "spgatectl: %s%s", cmd != NULL ? cmd : "", cmd != NULL ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (usage_hint)
		fprintf(stderr, "Try 'spgatectl%s%s --help'.\n", cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	return SPGCTL_EXIT_USAGE;
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

static struct spgctl_opt *find_opt(struct spgctl_opt *opts, const char *name, size_t len)
{
	for (; opts->name != NULL; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

int spgctl_parse(const char *cmd, int argc, char **argv, struct spgctl_opt *opts, char **pos, int max_pos,
		 int *n_pos)
{
	bool options_done = false;
	int i;

	*n_pos = 0;
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *eq;
		struct spgctl_opt *o;
		size_t len;

		if (!options_done && is_help(arg))
			return SPGCTL_HELP;
		if (!options_done && strcmp(arg, "--") == 0) {
			options_done = true;
			continue;
		}
		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if (*n_pos >= max_pos)
				return spgctl_usage_error(cmd, "unexpected argument '%s'", arg);
			pos[(*n_pos)++] = argv[i];
			continue;
		}
		if (arg[1] != '-')
			return spgctl_usage_error(cmd, "unknown option '%s'", arg);
		eq = strchr(arg + 2, '=');
		len = eq != NULL ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
		o = find_opt(opts, arg + 2, len);
		if (o == NULL)
			return spgctl_usage_error(cmd, "unknown option '%.*s'", (int)(len + 2), arg);
		if (o->seen)
			return spgctl_usage_error(cmd, "--%s given twice", o->name);
		o->seen = true;
		if (!o->takes_value) {
			if (eq != NULL)
				return spgctl_usage_error(cmd, "--%s takes no value", o->name);
			o->value = "";
		} else if (eq != NULL) {
			o->value = eq + 1;
		} else {
			if (i + 1 >= argc)
				return spgctl_usage_error(cmd, "--%s needs a value", o->name);
			o->value = argv[++i];
		}
	}
	return 0;
}

int spgctl_dispatch(struct spgctl *ctl, const char *group, const struct spgctl_cmd *cmds, int argc, char **argv,
		    const char *usage_text)
{
	const struct spgctl_cmd *c;

	if (argc < 2) {
		fputs(usage_text, stderr);
		return spgctl_usage_error(group, "missing command");
	}
	if (is_help(argv[1])) {
		fputs(usage_text, stdout);
		return SPGCTL_EXIT_OK;
	}
	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, argv[1]) == 0)
			return c->run(ctl, argc - 1, argv + 1);
	return spgctl_usage_error(group, "unknown command '%s'", argv[1]);
}

static bool parse_timeout(const char *s, int *ms)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > INT_MAX)
		return false;
	*ms = (int)v;
	return true;
}

/* The global options that take a value, and where main keeps them. */
enum { G_SOCKET, G_TIMEOUT, G_SERVER, G_CA, G_CONTROL_SOCKET, G_END };
static const char *const global_value_opts[G_END] = {
	[G_SOCKET] = "--socket",
	[G_TIMEOUT] = "--timeout",
	[G_SERVER] = "--server",
	[G_CA] = "--ca",
	[G_CONTROL_SOCKET] = "--control-socket",
};

/* Global options come before the command; returns the index of the command or -exit code. */
static int parse_global(struct spgctl *ctl, struct ctl_global *cg, int argc, char **argv)
{
	int i, g;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];
		const char *val = NULL;
		size_t len;

		if (is_help(arg)) {
			usage(stdout);
			return -SPGCTL_EXIT_OK;
		}
		if (strcmp(arg, "--version") == 0) {
			printf("spgatectl %s\n", SPGATE_VERSION);
			return -SPGCTL_EXIT_OK;
		}
		if (strcmp(arg, "--json") == 0) {
			ctl->json = true;
			continue;
		}
		if (strcmp(arg, "--operator") == 0) {
			cg->operator_mode = true;
			continue;
		}
		for (g = 0; g < G_END; g++) {
			len = strlen(global_value_opts[g]);
			if (strncmp(arg, global_value_opts[g], len) == 0 && (arg[len] == '\0' || arg[len] == '='))
				break;
		}
		if (g == G_END)
			return -spgctl_usage_error(NULL, "unknown option '%s'", arg);
		if (arg[len] == '=')
			val = arg + len + 1;
		else if (i + 1 >= argc)
			return -spgctl_usage_error(NULL, "%s needs a value", arg);
		else
			val = argv[++i];
		if (g != G_TIMEOUT && val[0] == '\0')
			return -spgctl_usage_error(NULL, "%s: empty %s", global_value_opts[g],
						   g == G_SERVER ? "server" : "path");
		switch (g) {
		case G_SOCKET:
			ctl->dp_socket = val;
			break;
		case G_TIMEOUT:
			if (!parse_timeout(val, &ctl->timeout_ms))
				return -spgctl_usage_error(NULL,
							   "--timeout: \"%s\" is not a positive number of milliseconds",
							   val);
			break;
		case G_SERVER:
			cg->server = val;
			break;
		case G_CA:
			cg->ca = val;
			break;
		default:
			cg->control_socket = val;
			break;
		}
	}
	return i;
}

int main(int argc, char **argv)
{
	struct spgctl ctl = {
		.dp_socket = SPG_DP_SOCKET_DEFAULT,
		.timeout_ms = SPGCTL_DEFAULT_TIMEOUT_MS,
		.dp_fd = -1,
	};
	struct ctl_global cg = {0};
	const struct spgctl_cmd *c;
	const char *env;
	int first, rc;

	env = getenv("SPGATE_DP_SOCKET");
	if (env != NULL && env[0] != '\0')
		ctl.dp_socket = env;
	first = parse_global(&ctl, &cg, argc, argv);
	if (first <= 0)
		return -first;
	if (first >= argc) {
		usage(stderr);
		return spgctl_usage_error(NULL, "missing command");
	}
	c = find_command(argv[first]);
	if (c == NULL)
		return spgctl_usage_error(NULL, "unknown command '%s'", argv[first]);
	ctl_init(&cg);
	rc = c->run(&ctl, argc - first, argv + first);
	if (ctl.dp_fd >= 0)
		close(ctl.dp_fd);
	return rc;
}
