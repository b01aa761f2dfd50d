/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's operations (docs/control-plane.md §2): a table of name, roles allowed and
 * handler, and the gate every request passes: parse, find the op, establish who is asking
 * (token for engineers, socket credentials for operators), check the role, call the handler.
 *
 * Handlers are in ops.c (login, logout, whoami), ops_session.c (connect, sessions, session,
 * disconnect, approve, deny), ops_inventory.c (search, ticket_submit, tickets, lines,
 * inventory_import) and ops_operator.c (audit, dp_stats, user_revoke).
 */
#ifndef SPG_API_OPS_H
#define SPG_API_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "api/server.h"
#include "config.h"
#include "store/store.h"

struct audit;
struct store_session;
struct auth;
struct challenge_table;
struct mfa;
struct dpp;
struct line_mgr;
struct snmp_reporter;
struct session_mgr;
struct token_key;

enum api_role {
	API_ROLE_ENGINEER = 1u << 0,
	API_ROLE_OPERATOR = 1u << 1,
};
#define API_ROLES_ANY (API_ROLE_ENGINEER | API_ROLE_OPERATOR)

/* The daemon's parts the handlers use; filled by main.c (tests leave out what they need not). */
struct fleet_takeover;

struct api_ctx {
	const struct ctl_config *cfg;
	struct store *store;
	struct audit *audit;
	struct auth *auth;
	struct token_key *tokens;
	struct session_mgr *sessions;
	struct dpp *dp;
	struct line_mgr *lines; /* operators' enable/disable; NULL: not offered */
	struct snmp_reporter *snmp; /* authentication-failure notifications; NULL: none */
	struct challenge_table *challenges; /* logins waiting for a second factor; NULL: none */
	struct mfa *mfa;	/* TOTP factors; NULL: none (no TOTP asked, enrolment refused) */
	int64_t (*now)(void); /* NULL: time(NULL) */
	const char *gateway_id; /* this host's gateway.id, marked "self" by gateways; NULL: none */
	/* failover (fleet_takeover.h): connects are refused while another host holds this
	 * host's addresses; NULL: never */
	const struct fleet_takeover *takeover;
};

#define API_NAME_MAX 64
#define API_MAX_GROUPS 16

/* Who is asking. */
struct api_identity {
	enum api_role role;
	char user[API_NAME_MAX];
	char groups[API_MAX_GROUPS][API_NAME_MAX];
	const char *group_ptrs[API_MAX_GROUPS]; /* groups as const char *const * for search.h */
	unsigned n_groups;
	bool privileged; /* operators, and engineers in a privileged group */
	int64_t expires; /* the token's expiry; 0 for operators */
	int64_t issued;  /* the token's issue time (its login); 0 for operators */
	char token_id[API_NAME_MAX]; /* what logout revokes; "" for operators */
	int64_t mfa_at;		     /* the login's second factor, unix s (token); 0: none */
	char mfa_factor[API_NAME_MAX]; /* "totp", "radius-challenge"; "" when none */
};

/* One request being handled. */
struct api_req {
	struct api_ctx *ctx;
	const struct api_peer *peer;
	json_t *args; /* the request object */
	const char *op;
	struct api_identity who;
	void (*reply)(json_t *reply, void *arg);
	void (*authenticated)(void *arg); /* NULL, or told (with reply_arg) once the caller proved who */
	void *reply_arg;
};

/* Returns the reply, or NULL when it will come later through api_req_finish. */
typedef json_t *(*api_handler_fn)(struct api_req *r);

struct api_op {
	const char *name;
	unsigned roles;   /* enum api_role bits */
	bool needs_token; /* engineers must present a valid token */
	api_handler_fn fn;
	/* Allowed with a token that passed no second factor while auth.mfa is required (the
	 * way to enrol one: mfa_enroll, mfa_verify; and whoami, logout). */
	bool without_mfa;
};

/* The op called name, or NULL. */
const struct api_op *api_op_find(const char *name);

/*
 * Handles one request line from peer: reply(reply_json, arg) is called exactly once (now,
 * or later for ops that wait, such as login); it takes the reply's reference.
 */
void api_ops_handle(struct api_ctx *ctx, const struct api_peer *peer, const char *line, size_t len,
		    void (*reply)(json_t *reply, void *arg), void *arg);

/* api_request_fn for api_server_new: arg is the struct api_ctx. */
void api_ops_serve(struct api_call *call, const char *line, size_t len, void *arg);

/* The caller proved who they are (token or login): their connection may stay (api/server.c). */
void api_req_authenticated(struct api_req *r);

/* Completes a request whose handler returned NULL, and frees r. */
void api_req_finish(struct api_req *r, json_t *reply);

/* The current time as the ops see it. */
int64_t api_now(const struct api_ctx *ctx);

/* An audit record for r (actor: the caller). detail_json may be NULL. */
void api_audit(struct api_req *r, const char *action, const char *target, const char *result,
	       const char *detail_json);

/* The ports a profile grants ("tcp:7000", "icmp"), a new array (empty when none or unknown). */
json_t *api_profile_ports(struct store *st, const char *profile);

/* The handlers outside ops.c. */
json_t *api_op_login(struct api_req *r);
json_t *api_op_mfa_enroll(struct api_req *r);
json_t *api_op_mfa_verify(struct api_req *r);
json_t *api_op_mfa_reset(struct api_req *r);

/*
 * Step-up (api/step_up.c): NULL when r may connect to serial as far as second factors go
 * (a fresh enough one, a right "otp" code, or no customer requirement), else the refusal:
 * mfa_step_up (give a code), auth_failed (a wrong one), forbidden (no TOTP factor to ask).
 */
json_t *api_step_up(struct api_req *r, const char *serial);
/* NULL when r may approve for, or export the recordings of, customer (what: "approve",
 * "recording_export") as far as second factors go: an engineer of a customer with mfa:
 * required needs a login that passed one. Else the refusal (audited). */
json_t *api_approver_factor(struct api_req *r, const char *customer, const char *what);
json_t *api_op_connect(struct api_req *r);
/* A session as the API shows it (ops_session.c), with its participants when live. */
json_t *api_session_json(struct api_req *r, const struct store_session *s);
/* The optional "reason": one line of at most STORE_REASON_MAX - 1 bytes; 0, or -1 with *err. */
int api_arg_reason(struct api_req *r, const char **reason, json_t **err);
/*
 * The workstation is the caller unless an operator let this user name others
 * (users[].may_name_workstations); NULL, or the refusal, audited as action on serial.
 */
json_t *api_workstation_refused(struct api_req *r, const char *action, const char *serial, uint32_t workstation);
/* Join (ops_join.c): o's "participants" (holder, joiners, pending requests) and "joiners". */
void api_join_participants(struct api_req *r, const struct store_session *s, json_t *o);
/* Whether the caller is a live participant (pending or accepted) of session id. */
bool api_join_is_participant(struct api_req *r, int64_t id);
/* Appends to list the live sessions the caller (an engineer) joined or asks to join; 0 or -errno. */
int api_join_append_joined(struct api_req *r, json_t *list);
json_t *api_op_join(struct api_req *r);
json_t *api_op_join_status(struct api_req *r);
json_t *api_op_joins(struct api_req *r);
json_t *api_op_join_accept(struct api_req *r);
json_t *api_op_join_refuse(struct api_req *r);
json_t *api_op_join_remove(struct api_req *r);
json_t *api_op_join_leave(struct api_req *r);
json_t *api_op_sessions(struct api_req *r);
json_t *api_op_session(struct api_req *r);
json_t *api_op_disconnect(struct api_req *r);
json_t *api_op_approve(struct api_req *r);
json_t *api_op_deny(struct api_req *r);
json_t *api_op_search(struct api_req *r);
json_t *api_op_ticket_submit(struct api_req *r);
json_t *api_op_tickets(struct api_req *r);
json_t *api_op_lines(struct api_req *r);
json_t *api_op_line_enable(struct api_req *r);
json_t *api_op_line_disable(struct api_req *r);
json_t *api_op_inventory_import(struct api_req *r);
json_t *api_op_audit(struct api_req *r);
json_t *api_op_recordings(struct api_req *r);
json_t *api_op_recording_export(struct api_req *r);
json_t *api_op_dp_stats(struct api_req *r);
/* The fleet's gateway hosts: id, state (alive/dead by lease), generation, sessions, load. */
json_t *api_op_gateways(struct api_req *r);
json_t *api_op_user_revoke(struct api_req *r);

#endif
