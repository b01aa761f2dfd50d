/* SPDX-License-Identifier: BSD-3-Clause */
/* What spgatectl's command files share: global options, exit codes, option parsing. */
#ifndef SPGCTL_H
#define SPGCTL_H

#include <stdbool.h>

/* Exit codes: scripts depend on them. */
#define SPGCTL_EXIT_OK 0
#define SPGCTL_EXIT_REFUSED 1     /* the dataplane (or control plane) said no */
#define SPGCTL_EXIT_USAGE 2       /* bad command line */
#define SPGCTL_EXIT_UNREACHABLE 3 /* no connection, no reply or a malformed one */

#define SPGCTL_DEFAULT_TIMEOUT_MS 5000

struct spgctl {
	const char *dp_socket; /* --socket, else $SPGATE_DP_SOCKET, else SPG_DP_SOCKET_DEFAULT */
	bool json;
	int timeout_ms;
	int dp_fd; /* -1 until a dp command connects */
};

/* A command or subcommand: argv[0] is its own name. Returns the exit code. */
struct spgctl_cmd {
	const char *name;
	int (*run)(struct spgctl *ctl, int argc, char **argv);
	const char *summary;
};

/* One --option of a command. */
struct spgctl_opt {
	const char *name; /* without the leading "--" */
	bool takes_value;
	const char *value; /* the value, or "" for a flag, once seen */
	bool seen;
};

#define SPGCTL_HELP (-1)

/*
 * Parses argv[1..argc) against opts (terminated by a NULL name): "--name value",
 * "--name=value", flags, "--" ending the options, and up to max_pos positional arguments
 * collected in pos. Returns 0; SPGCTL_HELP when --help or -h was given; or
 * SPGCTL_EXIT_USAGE after printing a message naming the bad argument. cmd names the
 * command in messages, e.g. "dp session add".
 */
int spgctl_parse(const char *cmd, int argc, char **argv, struct spgctl_opt *opts, char **pos, int max_pos,
		 int *n_pos);

/* Prints "spgatectl: <cmd>: <message>" and a pointer to --help; returns SPGCTL_EXIT_USAGE. */
int spgctl_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Turns the "Try ... --help" line of usage errors off (a batch file's lines) and on again. */
void spgctl_usage_hint(bool on);

/* Runs the subcommand named by argv[0] from a NULL-terminated table. */
int spgctl_dispatch(struct spgctl *ctl, const char *group, const struct spgctl_cmd *cmds, int argc, char **argv,
		    const char *usage);

/* The `dp` command group (dp_cmds.c). */
int spgctl_cmd_dp(struct spgctl *ctl, int argc, char **argv);

#endif
