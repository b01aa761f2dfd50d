/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The JSON of spgate-control's API (docs/control-plane.md §2): parsing a request line,
 * building replies, and argument getters whose failures are ready-made `bad_request`
 * replies naming the argument. Getters return 0, or -EINVAL with *err set to the reply
 * (owned by the caller); a handler returns that reply as it is.
 */
#ifndef SPG_API_JSON_H
#define SPG_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* The error codes of the contract. */
#define API_E_BAD_REQUEST "bad_request"
#define API_E_AUTH_FAILED "auth_failed"
#define API_E_RATE_LIMITED "rate_limited"
#define API_E_AUTH_UNAVAILABLE "auth_unavailable"
#define API_E_UNAUTHORIZED "unauthorized"
#define API_E_FORBIDDEN "forbidden"
#define API_E_NOT_FOUND "not_found"
#define API_E_BUSY "busy"
#define API_E_DENIED "denied"
#define API_E_TIMEOUT "timeout"
#define API_E_NO_LINE "no_line"
#define API_E_NO_ADDRESS "no_address"
#define API_E_DIAL_FAILED "dial_failed"
#define API_E_SP_REFUSED "sp_refused"
#define API_E_DATAPLANE "dataplane"
#define API_E_INTERNAL "internal"
#define API_E_STORE_UNAVAILABLE "store_unavailable" /* PostgreSQL unreachable; retry later */
#define API_E_STANDBY "gateway_standby" /* another host of the fleet holds this one's addresses */
#define API_E_UPGRADE "upgrade_required" /* the client cannot do what the server requires */
#define API_E_MFA_REQUIRED "mfa_required"  /* the login passed no second factor; one is required */
#define API_E_MFA_STEP_UP "mfa_step_up"	   /* connect: a fresh second-factor code is needed */

/* Requests (one line each) larger than this are refused and the connection closed. */
#define API_REQUEST_MAX (64 * 1024)

/*
 * Parses one request line (without its newline). Returns the request object with *op
 * pointing into it, or NULL with *err set: not JSON, not an object, no string "op".
 */
json_t *api_json_parse_request(const char *line, size_t len, const char **op, json_t **err);

/* {"ok":true} */
json_t *api_json_ok(void);
/* {"ok":false,"error":code,"message":<formatted>} */
json_t *api_json_error(const char *code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Makes s valid UTF-8 in place: each byte that starts no valid sequence (a stray
 * continuation byte, a sequence cut short, overlong or a surrogate) becomes '?'.
 */
void api_utf8_sanitize(char *s);

/*
 * The reply as one compact line ending in '\n', malloc'd (the caller frees it), or NULL
 * when out of memory. Never fails on a well-formed json_t.
 */
char *api_json_dump_line(const json_t *reply, size_t *len);

/* Required string argument, not empty. */
int api_arg_string(const json_t *req, const char *name, const char **out, json_t **err);
/* Optional string: absent or null leaves *out = NULL. */
int api_arg_string_opt(const json_t *req, const char *name, const char **out, json_t **err);
/* Required id: a non-negative JSON integer (ids are SQLite rowids, below 2^63); strings are refused. */
int api_arg_id(const json_t *req, const char *name, uint64_t *out, json_t **err);
/* Optional non-negative integer no larger than max; absent leaves *out as it was. */
int api_arg_uint_opt(const json_t *req, const char *name, uint64_t max, uint64_t *out, json_t **err);
/* Optional boolean; absent leaves *out as it was. */
int api_arg_bool_opt(const json_t *req, const char *name, bool *out, json_t **err);
/* Optional dotted-quad IPv4 (network order); absent leaves *out as it was, *given false. */
int api_arg_ipv4_opt(const json_t *req, const char *name, uint32_t *out, bool *given, json_t **err);
/*
 * Optional string that must be one of choices (NULL-terminated); *index gets its position.
 * Absent leaves *index as it was.
 */
int api_arg_choice_opt(const json_t *req, const char *name, const char *const *choices, int *index,
		       json_t **err);

/* Sets key to a dotted quad, or to null when addr is 0. */
int api_json_set_ipv4(json_t *obj, const char *key, uint32_t addr);

#endif
