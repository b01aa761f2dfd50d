/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgatectl's commands for spgate-control's API (docs/control-plane.md §2). main.c
 * registers the ctl_cmd_* handlers; the ctl_*.c files share the rest:
 *   ctl_client.c   the transport (TLS 1.3 or Unix socket, one JSON line each way)
 *   ctl_api.c      which server, CA, socket and token; a call and its error reporting
 *   ctl_token.c    the token file
 *   ctl_args.c     argument parsers
 *   ctl_print.c    tables and key/value blocks for people, the server's JSON for scripts
 *   ctl_account.c  login, logout, whoami
 *   ctl_cmds.c     search, connect, sessions, session show, disconnect, approve, deny
 *   ctl_admin.c    ticket submit, tickets, lines, audit, inventory import
 *   ctl_mfa.c      mfa enroll, verify, reset; reading second-factor codes
 *   ctl_recording.c recordings, recording export
 *   ctl_join.c     join (ask, requests, accept, refuse, remove, leave), leave
 */
#ifndef SPGCTL_CTL_H
#define SPGCTL_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "spgatectl.h"

#define SPGCTL_EXIT_LOGIN 4 /* not logged in, or the token expired: run spgatectl login */

#define CTL_CONTROL_SOCKET_DEFAULT "/run/spgate/control.sock"
#define CTL_SERVER_MAX 300

/* The control plane's global options; main.c hands them over before any command runs. */
struct ctl_global {
	const char *server;         /* --server HOST:PORT, or NULL */
	const char *ca;             /* --ca FILE, or NULL */
	const char *control_socket; /* --control-socket PATH, or NULL */
	bool operator_mode;         /* --operator */
};

/* Keeps g and makes jansson wipe what it frees (passwords, tokens); call before any command. */
void ctl_init(const struct ctl_global *g);

/* ---- the commands (argv[0] is the command's name) ---- */

int ctl_cmd_login(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_logout(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_whoami(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_search(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_connect(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_sessions(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_session(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_disconnect(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_approve(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_deny(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_ticket(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_tickets(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_lines(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_gateways(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_line(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_user(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_audit(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_inventory(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_mfa(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_recordings(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_recording(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_join(struct spgctl *ctl, int argc, char **argv);
int ctl_cmd_leave(struct spgctl *ctl, int argc, char **argv);

struct ctl_api;

/* ---- reading secrets (ctl_account.c) and second-factor codes (ctl_mfa.c) ---- */

/* Reads a line from the terminal with echo off into buf; false when there is no terminal. */
bool ctl_read_secret(const char *prompt, char *buf, size_t size);

#define CTL_CODE_MAX 128

/*
 * The answer to a second-factor prompt, round 1, 2, ... of one login or step-up: line
 * `round` of otp_file (--otp-file; NULL: none), else $SPGATE_OTP for round 1, else the
 * terminal without echo (*from_tty set: the caller reconnects, typing may outlast the
 * server's handshake timeout). Returns 0, or the exit code after saying why.
 */
int ctl_read_code(const char *cmd, const char *prompt, unsigned round, const char *otp_file, char *buf,
		  size_t size, bool *from_tty);

/*
 * connect's step-up: the server refused with error "mfa_step_up" (rep, the refusal): asks
 * for a code (as ctl_read_code, round 1) and returns 0 with it in buf, or an exit code.
 */
int ctl_step_up_code(struct ctl_api *api, const json_t *rep, const char *otp_file, char *buf, size_t size);
/*
 * Calls req (taken) on api; when the customer wants a fresh second factor (mfa_step_up),
 * asks for a code and calls once more with it (connect, join). 0 with *rep, or an exit code.
 */
int ctl_call_step_up(struct ctl_api *api, json_t *req, const char *otp_file, json_t **rep);
/* ---- ctl_api.c: one conversation with spgate-control ---- */

enum ctl_route {
	CTL_ROUTE_USER,     /* TLS with the saved token, or the operator socket with --operator */
	CTL_ROUTE_OPERATOR, /* always the operator socket (operator-only ops) */
	CTL_ROUTE_LOGIN,    /* TLS without a token */
};

struct ctl_api {
	struct spgctl *ctl;
	const char *cmd;  /* the command, for messages: "connect" */
	const char *file; /* inventory import: errors with a line read FILE:LINE */
	struct ctl_conn *conn;
	char *token; /* NULL on the operator socket and for login */
	char server[CTL_SERVER_MAX]; /* TLS: HOST:PORT as given */
	char ca[4096];               /* TLS: the CA file */
	const char *socket;          /* the operator socket, or NULL */
	bool engineer;               /* over TLS */
	/* A refusal with this error code is not printed: ctl_api_call returns CTL_API_PASSED
	 * with *rep the refusal, for the caller to handle (connect's step-up). NULL: none. */
	const char *pass_error;
};

#define CTL_API_PASSED 100

/*
 * Picks the server (--server, $SPGATE_SERVER, the token file's) or the operator socket,
 * loads the token when the route needs one, and connects. Returns 0, or the exit code
 * after printing why.
 */
int ctl_api_open(struct ctl_api *api, struct spgctl *ctl, const char *cmd, enum ctl_route route);

/*
 * Sends req (the token added; the reference is taken) and reads the reply. Returns 0 with
 * *rep the reply ({"ok":true,...}; the caller drops it); or the exit code after printing
 * why: REFUSED for {"ok":false} (message, code, and the holder, reason or FILE:LINE
 * attached; with --json the error object also goes to stdout), LOGIN for `unauthorized`,
 * UNREACHABLE when no well-formed reply came.
 */
int ctl_api_call(struct ctl_api *api, json_t *req, json_t **rep);

/* Connects anew, for a conversation that outlived the server's idle timeout. */
int ctl_api_reopen(struct ctl_api *api);

void ctl_api_close(struct ctl_api *api);

/* A reply without the member expected: "malformed reply: no \"systems\" array"; UNREACHABLE. */
int ctl_api_malformed(const struct ctl_api *api, const char *what);

/*
 * The commonest command: opens the route, calls req (taken) and prints the reply's array
 * member key with print_table, or as JSON. Returns the exit code.
 */
int ctl_call_list(struct spgctl *ctl, const char *cmd, enum ctl_route route, json_t *req, const char *key,
		  bool (*print_table)(const json_t *));
/* Calls req (taken) on an open api and prints the reply's object member key with print, or as JSON. */
int ctl_call_object(struct ctl_api *api, json_t *req, const char *key, void (*print)(const json_t *));

/* Where the calls go, for messages: "localhost:8443" or the socket path. */
const char *ctl_api_where(const struct ctl_api *api);

/* The global options (ctl_init). */
const struct ctl_global *ctl_global_options(void);

/* ---- ctl_token.c: ~/.config/spgate/token ---- */

struct ctl_token {
	char *token;
	char *server; /* HOST:PORT it was issued by */
	char *ca;     /* the CA file used at login, or NULL */
	char *user;
	time_t expires;
};

/* $SPGATE_TOKEN_FILE or ~/.config/spgate/token into buf; false when neither can be known. */
bool ctl_token_path(char *buf, size_t size);
/*
 * Reads the token file. 0; -ENOENT when there is none; another -errno (-EBADMSG: not a
 * token file) with err holding a sentence.
 */
int ctl_token_load(struct ctl_token *t, char *err, size_t errlen);
/* Writes it atomically (0600, directory 0700 when created). 0 or -errno with err. */
int ctl_token_save(const struct ctl_token *t, char *err, size_t errlen);
/* Removes it. 0, -ENOENT, or -errno with err. */
int ctl_token_remove(char *err, size_t errlen);
/* Wipes and frees the members. */
void ctl_token_clear(struct ctl_token *t);

/* ---- ctl_args.c: parsers print a usage message naming cmd and the argument ---- */

/*
 * spgctl_parse with --help printing usage: 0 to go on; SPGCTL_HELP after printing usage
 * (the command exits 0); or an exit code after a usage message.
 */
int ctl_parse(const char *cmd, const char *usage, int argc, char **argv, struct spgctl_opt *opts, char **pos,
	      int max_pos, int *n_pos);
/* A session id: decimal, nonzero. */
bool ctl_arg_id(const char *cmd, const char *what, const char *s, uint64_t *id);
/* A decimal number in [1, max]. */
bool ctl_arg_count(const char *cmd, const char *what, const char *s, uint64_t max, uint64_t *v);
/* A dotted-quad IPv4 address. */
bool ctl_arg_ipv4(const char *cmd, const char *what, const char *s);
/* Unix seconds, or ISO 8601: 2024-05-01, 2024-05-01T12:00[:00][Z|+02:00] (no zone: local time). */
bool ctl_arg_time(const char *cmd, const char *what, const char *s, time_t *t);
/* HOST:PORT or [IPV6]:PORT into host and port; false (no message) when malformed. */
bool ctl_split_server(const char *s, char *host, size_t host_size, char *port, size_t port_size);
/* An id as a JSON integer (-1, which the API refuses, for ids above 2^63: none exist). */
json_t *ctl_json_id(uint64_t id);

/* ---- ctl_print.c ---- */

/*
 * v as one compact line, malloc'd (not by jansson: free() it), followed by a newline and
 * a NUL that *len does not count; NULL when out of memory.
 */
char *ctl_json_dump(const json_t *v, size_t *len);
/* The JSON value on one line to stdout. */
void ctl_print_json(const json_t *v);
/* A member as text: strings as they are, numbers, true/false; "-" when absent or null. */
const char *ctl_text(const json_t *obj, const char *key, char *buf, size_t size);
/* Unix seconds as local "2024-05-01 12:00:00", or "-". */
const char *ctl_fmt_time(const json_t *obj, const char *key, char *buf, size_t size);

/* Tables; false when one could not be allocated. */
bool ctl_print_systems(const json_t *systems);
bool ctl_print_sessions(const json_t *sessions);
bool ctl_print_recordings(const json_t *recordings);
bool ctl_print_joins(const json_t *joins);
bool ctl_print_tickets(const json_t *tickets);
bool ctl_print_lines(const json_t *lines);
bool ctl_print_gateways(const json_t *gateways);
void ctl_print_line(const json_t *line);
bool ctl_print_events(const json_t *events);
/* Key/value blocks. */
void ctl_print_session(const json_t *session);
void ctl_print_ticket(const json_t *ticket);
/* A join as its asker sees it: the session, holder, state, and once in V_i, ports, expiry. */
void ctl_print_join(const json_t *join);
/* "held by alice from 192.0.2.10 since 2024-05-01 12:00:00 (session 12)" to f. */
void ctl_print_holder(FILE *f, const json_t *holder);

#endif
