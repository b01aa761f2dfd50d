/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the `dp` command group (dp_cmds.c) uses from its helpers: argument parsers
 * (dp_args.c) and printing of dataplane replies (dp_print.c).
 */
#ifndef SPGCTL_DP_CMDS_H
#define SPGCTL_DP_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dp_api.h"
#include "spgatectl.h"

struct out_json;
struct out_table;

/*
 * ---- dp_args.c: each parser names the option (opt) and quotes the bad value ----
 *
 * The dp_arg_* parsers that return bool print a usage message naming cmd (e.g.
 * "dp session add") and return false when the value is bad.
 */

/* A decimal number. */
bool dp_arg_u64(const char *cmd, const char *opt, const char *s, uint64_t *v);
/* A decimal session id; 0 is reserved. */
bool dp_arg_session_id(const char *cmd, const char *opt, const char *s, uint64_t *id);
/* A nonzero IPv4 address, stored in network order. */
bool dp_arg_addr(const char *cmd, const char *opt, const char *s, uint32_t *addr);
/* A.B.C.D or A.B.C.D:PORT (default port 4500). */
bool dp_arg_peer(const char *cmd, const char *opt, const char *s, uint32_t *addr, uint16_t *port);
/* Bit/s with optional k/m/g suffix (powers of 1000) and decimals, rounded up to bytes/s. */
bool dp_arg_rate(const char *cmd, const char *opt, const char *s, uint64_t *bytes_per_sec);
/* "tcp:22,tcp:8000-8100,udp:161" (at most SPG_DP_MAX_PORT_RANGES) or "none", into p->ports. */
bool dp_arg_ports(const char *cmd, const char *opt, const char *s, struct spg_dp_session_params *p);
/* "on" or "off". */
bool dp_arg_onoff(const char *cmd, const char *opt, const char *s, uint8_t *v);
/*
 * The four options of a key set (--spi-out, --spi-in, --key-out, --key-in), all given, into
 * p->sa_out and p->sa_in: SPIs decimal or 0x-hex and >= 256, distinct; keys key||salt in hex,
 * both of one cipher.
 */
bool dp_arg_keys(const char *cmd, struct spgctl_opt *spi_out, struct spgctl_opt *spi_in,
		 struct spgctl_opt *key_out, struct spgctl_opt *key_in, struct spg_dp_session_params *p);
/*
 * Scans the options of a command whose only argument is a session ID (del, show): returns
 * 0 with *id set; SPGCTL_HELP after printing usage for --help; or an exit code after a
 * usage message.
 */
int dp_arg_id_only(const char *cmd, const char *usage, int argc, char **argv, uint64_t *id);

/*
 * The options of `dp session add` into p: 0, SPGCTL_HELP (nothing printed), or an exit code
 * after a usage message. With batch not NULL, --batch FILE is allowed instead of the others:
 * *batch gets FILE then and p is untouched. A batch file's lines pass batch NULL.
 */
int dp_arg_session_add(const char *cmd, int argc, char **argv, struct spg_dp_session_params *p, const char **batch);

/* ---- dp_cmds.c ---- */

/*
 * One request to spgate-dp and its reply (connecting first if needed). Returns 0, or the exit
 * code after printing why: REFUSED with the dataplane's errno, UNREACHABLE when no good reply
 * came.
 */
int dp_call(struct spgctl *ctl, const char *what, uint16_t type, const void *body, size_t body_len, void *rep,
	    size_t rep_max, size_t *rep_len);

/* ---- dp_batch.c: `dp session add|del --batch FILE|-` ---- */

/* Adds the sessions of FILE's lines in SESSION_ADD_BATCH messages; prints a summary. */
int dp_batch_add(struct spgctl *ctl, const char *path);
/* Deletes the session ids of FILE's lines, one connection; force as `del --force`. */
int dp_batch_del(struct spgctl *ctl, const char *path, bool force);

/* ---- dp_record.c: dp session record ---- */

int dp_cmd_session_record(struct spgctl *ctl, int argc, char **argv);
/* "off", "on", "lossy", "failed" (enum spg_dp_record_state). */
const char *dp_record_state_name(uint32_t state);

/* ---- dp_address.c: dp address list|add|del (issue 14) ---- */

int dp_cmd_address(struct spgctl *ctl, int argc, char **argv);

/* ---- dp_print.c: dataplane replies for people (tables, key/value) and scripts (JSON) ---- */

/* A table with the `dp sessions` columns; NULL on allocation failure. */
struct out_table *dp_print_sessions_table(void);
/* Adds a session as a row of that table; false on allocation failure. */
bool dp_print_session_row(struct out_table *t, const struct spg_dp_session_info *s);
/* Writes a session as a JSON object (an array element or the top-level value). */
void dp_print_session_json(struct out_json *j, const struct spg_dp_session_info *s);
/* Prints one session to stdout: key/value lines, or a JSON document. */
void dp_print_session(const struct spg_dp_session_info *s, bool json);
/* "session ID WHAT" or {"id":ID,"result":"WHAT"}. */
void dp_print_done(bool json, uint64_t id, const char *what);
/* The hello reply: version, capacity, cipher and addresses. */
void dp_print_hello(const struct spg_dp_hello_rep *rep, bool json);
/* The stats reply: port counters and forwarded traffic. */
void dp_print_stats(const struct spg_dp_stats_rep *st, bool json);
/*
 * The drops reply by reason; zero counts only when all. Returns false, having printed
 * nothing, when a table could not be allocated.
 */
bool dp_print_drops(const struct spg_dp_drops_rep *rep, bool all, bool json);

#endif
