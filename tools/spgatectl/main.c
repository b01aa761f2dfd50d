/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgatectl: the operator's and engineer's command line. Global options, then a table of
 * command groups, each in a file of its own (dp_cmds.c: talking to spgate-dp).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dp_api.h"
#include "spgatectl.h"

static const struct spgctl_cmd commands[] = {
	{"dp", spgctl_cmd_dp, "inspect and program the dataplane (spgate-dp) directly"},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	const struct spgctl_cmd *c;

	fprintf(f,
		"usage: spgatectl [--socket PATH] [--json] [--timeout MS] <command> [args]\n"
		"\n"
		"global options:\n"
		"  --socket PATH   the dataplane's control socket (default: $SPGATE_DP_SOCKET,\n"
		"                  else %s)\n"
		"  --json          print JSON for scripts instead of tables\n"
		"  --timeout MS    how long to wait for a reply (default %d)\n"
		"  --help          this text; every command takes --help too\n"
		"\n"
		"commands:\n",
		SPG_DP_SOCKET_DEFAULT, SPGCTL_DEFAULT_TIMEOUT_MS);
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %-14s  %s\n", c->name, c->summary);
	fprintf(f,
		"\n"
		"exit codes: 0 success, 1 refused, 2 usage error, 3 dataplane unreachable\n");
}

int spgctl_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "spgatectl: %s%s", cmd != NULL ? cmd : "", cmd != NULL ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'spgatectl%s%s --help'.\n", cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
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

/* Global options come before the command; returns the index of the command or -exit code. */
static int parse_global(struct spgctl *ctl, int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];
		const char *val = NULL;

		if (is_help(arg)) {
			usage(stdout);
			return -SPGCTL_EXIT_OK;
		}
		if (strcmp(arg, "--json") == 0) {
			ctl->json = true;
			continue;
		}
		if (strncmp(arg, "--socket=", 9) == 0)
			val = arg + 9;
		else if (strncmp(arg, "--timeout=", 10) == 0)
			val = arg + 10;
		else if (strcmp(arg, "--socket") == 0 || strcmp(arg, "--timeout") == 0) {
			if (i + 1 >= argc)
				return -spgctl_usage_error(NULL, "%s needs a value", arg);
			val = argv[++i];
		} else {
			return -spgctl_usage_error(NULL, "unknown option '%s'", arg);
		}
		if (strncmp(arg, "--socket", 8) == 0) {
			if (val[0] == '\0')
				return -spgctl_usage_error(NULL, "--socket: empty path");
			ctl->dp_socket = val;
		} else if (!parse_timeout(val, &ctl->timeout_ms)) {
			return -spgctl_usage_error(NULL, "--timeout: \"%s\" is not a positive number of milliseconds",
						   val);
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
	const struct spgctl_cmd *c;
	const char *env;
	int first, rc;

	env = getenv("SPGATE_DP_SOCKET");
	if (env != NULL && env[0] != '\0')
		ctl.dp_socket = env;
	first = parse_global(&ctl, argc, argv);
	if (first <= 0)
		return -first;
	if (first >= argc) {
		usage(stderr);
		return spgctl_usage_error(NULL, "missing command");
	}
	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, argv[first]) == 0)
			break;
	if (c->name == NULL)
		return spgctl_usage_error(NULL, "unknown command '%s'", argv[first]);
	rc = c->run(&ctl, argc - first, argv + first);
	if (ctl.dp_fd >= 0)
		close(ctl.dp_fd);
	return rc;
}
