/* SPDX-License-Identifier: BSD-3-Clause */
/* The session ops: connect, sessions, session, disconnect, approve, deny (join: ops_join.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json.h"
#include "api/ops.h"
#include "addr.h"
#include "approval.h"
#include "fleet_place.h"
#include "fleet_takeover.h"
#include "session.h"
#include "ticket.h"
#include "workstation.h"

json_t *api_session_json(struct api_req *r, const struct store_session *s)
{
	const struct store_session_counters *c = &s->counters;
	char degraded[STORE_REASON_MAX + 96];
	struct store_approval a;
	struct store_system sys;
	json_t *o;

	o = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "id", (json_int_t)s->id, "serial",
		      s->serial, "customer", s->customer, "user", s->user, "state", store_session_state_name(s->state),
		      "reason", s->reason, "speed_bps", (json_int_t)s->speed_bps, "created", (json_int_t)s->created,
		      "updated", (json_int_t)s->updated, "out_packets", (json_int_t)c->out_packets, "in_packets",
		      (json_int_t)c->in_packets, "out_bytes", (json_int_t)c->out_bytes, "in_bytes",
		      (json_int_t)c->in_bytes, "drops", (json_int_t)c->drops);
	if (o == NULL)
		return NULL;
	if (session_degraded(r->ctx->sessions, s->id, degraded, sizeof(degraded))) {
		json_object_set_new(o, "state", json_string("degraded"));
		json_object_set_new(o, "reason", json_string(degraded));
	}
	api_json_set_ipv4(o, "workstation", s->workstation);
	api_json_set_ipv4(o, "virtual_address", s->virtual_address);
	api_json_set_ipv4(o, "sp_address", s->sp_address);
	json_object_set_new(o, "line", s->line_id[0] ? json_string(s->line_id) : json_null());
	/* what the engineer gave as the session's purpose: approvers decide on it */
	json_object_set_new(o, "request_reason", json_string(s->request_reason));
	json_object_set_new(o, "ticket", json_string(s->ticket));
	json_object_set_new(o, "recorded", json_boolean(s->recorded));
	/* what the approver grants: the system's ports and how long a session may last */
	if (store_system_get(r->ctx->store, s->serial, &sys) == 0)
		json_object_set_new(o, "ports", api_profile_ports(r->ctx->store, sys.profile));
	if (r->ctx->cfg != NULL)
		json_object_set_new(o, "max_duration", json_integer(r->ctx->cfg->sessions.max_duration));
	if (approval_get(r->ctx->store, s->id, &a) == 0) {
		json_object_set_new(o, "approval_id", json_integer(s->id));
		json_object_set_new(o, "approval", json_string(store_approval_decision_name(a.decision)));
		json_object_set_new(o, "approval_deadline", json_integer(a.deadline));
	}
	/* a fleet's (PostgreSQL) sessions say which host owns them; one host's need not */
	if (store_kind(r->ctx->store) == DB_POSTGRESQL)
		json_object_set_new(o, "owner_gateway", json_string(s->owner_gateway));
	if (store_session_state_live(s->state))
		api_join_participants(r, s, o);
	return o;
}

static json_t *reply_session(struct api_req *r, const struct store_session *s)
{
	json_t *reply = api_json_ok();

	json_object_set_new(reply, "session", api_session_json(r, s));
	return reply;
}

static bool is_operator(const struct api_req *r)
{
	return r->who.role == API_ROLE_OPERATOR;
}

static bool may_decide(struct api_req *r, int64_t id)
{
	return is_operator(r) || approval_may_decide(r->ctx->store, r->ctx->cfg, r->who.group_ptrs, r->who.n_groups, id);
}

/*
 * The serial to connect to: given, or from the ticket; with both, the ticket must be about
 * that serial. tid gets the ticket as "T42" ("" none). NULL with *err set.
 */
static const char *connect_serial(struct api_req *r, struct store_ticket *t, char *tid, size_t tidlen, json_t **err)
{
	const char *serial, *ticket;
	struct search_caller who = {r->who.user, r->who.group_ptrs, r->who.n_groups, r->who.privileged};
	int64_t id;

	tid[0] = '\0';
	if (api_arg_string_opt(r->args, "serial", &serial, err) != 0 ||
	    api_arg_string_opt(r->args, "ticket", &ticket, err) != 0)
		return NULL;
	if (serial != NULL && ticket == NULL)
		return serial;
	if (ticket == NULL) {
		*err = api_json_error(API_E_BAD_REQUEST, "missing argument \"serial\" (or \"ticket\")");
		return NULL;
	}
	if (ticket_id_parse(ticket, &id) != 0) {
		*err = api_json_error(API_E_BAD_REQUEST, "argument \"ticket\": \"%.64s\" is not a ticket id (42 or T42)",
				      ticket);
		return NULL;
	}
	if (ticket_get(r->ctx->store, &who, id, t) != 0) {
		*err = api_json_error(API_E_NOT_FOUND, "no ticket T%" PRId64 " that you may see", id);
		return NULL;
	}
	if (serial != NULL && strcmp(serial, t->serial) != 0) {
		*err = api_json_error(API_E_BAD_REQUEST, "ticket T%" PRId64 " is about %s, not %.64s", id, t->serial,
				      serial);
		return NULL;
	}
	snprintf(tid, tidlen, "T%" PRId64, id);
	return t->serial;
}

/* The optional "reason": one line of at most STORE_REASON_MAX - 1 bytes. */
int api_arg_reason(struct api_req *r, const char **reason, json_t **err)
{
	const char *p;

	if (api_arg_string_opt(r->args, "reason", reason, err) != 0)
		return -1;
	if (*reason == NULL)
		return 0;
	if (strlen(*reason) >= STORE_REASON_MAX) {
		*err = api_json_error(API_E_BAD_REQUEST, "argument \"reason\" is %zu bytes, at most %d allowed",
				      strlen(*reason), STORE_REASON_MAX - 1);
		return -1;
	}
	for (p = *reason; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			*err = api_json_error(API_E_BAD_REQUEST,
					      "argument \"reason\" holds a control character (one line of text)");
			return -1;
		}
	return 0;
}

static json_t *busy_reply(const char *serial, const struct alloc_holder *h)
{
	json_t *reply = api_json_error(API_E_BUSY, "%s is in use by %s (session %" PRId64 "); work together with them",
				       serial, h->user, h->session);
	json_t *holder = json_pack("{s:I,s:s,s:I}", "session", (json_int_t)h->session, "user", h->user, "since",
				   (json_int_t)h->since);

	api_json_set_ipv4(holder, "workstation", h->workstation);
	json_object_set_new(reply, "holder", holder);
	return reply;
}

static json_t *connect_refused(struct api_req *r, const char *serial, int ret, const struct alloc_holder *h,
			       const char *code)
{
	char detail[96];

	snprintf(detail, sizeof(detail), "{\"error\":\"%s\"}", ret == -EINVAL && code != NULL ? code : strerror(-ret));
	api_audit(r, "connect", serial, ret == -EACCES ? "forbidden" : ret == -EBUSY ? "busy" : "failed", detail);
	switch (ret) {
	case -EACCES:
		return api_json_error(API_E_FORBIDDEN, "you may not reach system %s", serial);
	case -ENOENT:
		return api_json_error(API_E_NOT_FOUND, "no system %s", serial);
	case -EBUSY:
		return busy_reply(serial, h);
	case -ENOTCONN:
		return api_json_error(API_E_DATAPLANE, "the dataplane (spgate-dp) is not running");
	case -EINVAL:
		if (code != NULL && strcmp(code, "ticket_required") == 0)
			return api_json_error(code, "the customer of %s requires a service ticket: connect --ticket ID",
					      serial);
		return api_json_error("reason_required", "the customer of %s requires a reason: connect --reason TEXT",
				      serial);
	default:
		return api_json_error(API_E_INTERNAL, "cannot start the session: %s", strerror(-ret));
	}
}

/*
 * The workstation is the caller unless an operator let this user name others
 * (users[].may_name_workstations); NULL, or the refusal, audited.
 */
json_t *api_workstation_refused(struct api_req *r, const char *action, const char *serial, uint32_t workstation)
{
	char ws[SPG_ADDR_STRLEN], caller[SPG_ADDR_STRLEN], detail[160];
	struct store_user u;

	if (workstation == r->peer->addr)
		return NULL;
	if (store_user_get(r->ctx->store, r->who.user, &u) == 0 &&
	    workstation_allowed(u.may_name_workstations, r->peer->addr, workstation))
		return NULL;
	spg_addr_str(workstation, ws);
	spg_addr_str(r->peer->addr, caller);
	snprintf(detail, sizeof(detail), "{\"workstation\":\"%s\",\"caller\":\"%s\"}", ws, caller);
	api_audit(r, action, serial, "forbidden", detail);
	return api_json_error(API_E_FORBIDDEN,
			      "workstation %s is not the address you connect from (%s), and no operator rule "
			      "(users[].may_name_workstations) lets you name it",
			      ws, caller);
}

/*
 * After a takeover the engineers' routes to this host's part of the virtual pool lead to the
 * host that took it over (it holds this host's addresses): a session started here would be
 * unreachable, so this host serves no connect until it has its addresses again.
 */
static json_t *standby_refusal(struct api_req *r)
{
	const char *holder = fleet_takeover_standby(r->ctx->takeover);

	if (holder[0] == '\0')
		return NULL;
	api_audit(r, "connect", "-", "refused", "{\"error\":\"gateway_standby\"}");
	return api_json_error(API_E_STANDBY,
			      "this gateway host (%s) stands by: gateway host %s took over its sessions and holds "
			      "its addresses; connect through another host of the fleet",
			      r->ctx->gateway_id != NULL ? r->ctx->gateway_id : "?", holder);
}

/*
 * gateway.connect: least_loaded: the host of the fleet to run the session (fleet_place.h),
 * in owner (left "" for this host). A host that stands by hands every connect on; NULL, or
 * the refusal when no host can take it (a standing-by host's own refusal without it).
 */
static json_t *placement(struct api_req *r, char *owner, size_t len)
{
	const struct ctl_config *cfg = r->ctx->cfg;
	bool standby = fleet_takeover_standby(r->ctx->takeover)[0] != '\0';
	const char *me = store_gateway_id(r->ctx->store);
	int rc;

	owner[0] = '\0';
	if (cfg == NULL || cfg->gateway.connect != CTL_CONNECT_LEAST_LOADED)
		return standby_refusal(r);
	rc = fleet_place(r->ctx->store, me, standby, api_now(r->ctx), owner, len);
	if (rc == -ENOENT || (rc == 0 && strcmp(owner, me) == 0)) {
		owner[0] = '\0';
		return standby_refusal(r); /* this host, as asked (if it may) */
	}
	if (rc < 0) {
		api_audit(r, "connect", "-", "failed", "{\"error\":\"store_unavailable\"}");
		return api_json_error(API_E_STORE_UNAVAILABLE, "cannot choose the least loaded gateway host: %s", strerror(-rc));
	}
	return NULL;
}

json_t *api_op_connect(struct api_req *r)
{
	struct session_request req = {.user = r->who.user, .groups = r->who.group_ptrs, .n_groups = r->who.n_groups,
				      .privileged = r->who.privileged};
	struct store_session s;
	struct alloc_holder h;
	struct session_purpose why = {NULL, NULL};
	struct store_ticket t;
	const char *code = NULL;
	char tid[24], owner[STORE_NAME_MAX];
	json_t *err = NULL, *reply;
	bool given = false;
	int ret;

	/*
	 * Connect authority is short-lived: the server keeps no password to re-ask RADIUS, so a
	 * connect needs a recent login, which re-checked the user and their groups.
	 */
	if (api_now(r->ctx) - r->who.issued > (int64_t)r->ctx->cfg->engineer_api.connect_fresh) {
		api_audit(r, "connect", "-", "unauthorized", "{\"error\":\"login too old for connect\"}");
		return api_json_error(API_E_UNAUTHORIZED,
				      "connect needs a login within the last %u s (engineer_api.connect_fresh): log in again",
				      r->ctx->cfg->engineer_api.connect_fresh);
	}
	err = placement(r, owner, sizeof(owner));
	if (err != NULL)
		return err;
	req.owner = owner;
	req.serial = connect_serial(r, &t, tid, sizeof(tid), &err);
	if (req.serial == NULL)
		return err;
	if (api_arg_reason(r, &why.reason, &err) != 0)
		return err;
	why.ticket = tid;
	err = api_step_up(r, req.serial);
	if (err != NULL)
		return err;
	req.workstation = r->peer->addr;
	if (api_arg_ipv4_opt(r->args, "workstation", &req.workstation, &given, &err) != 0)
		return err;
	if (req.workstation == 0)
		return api_json_error(API_E_BAD_REQUEST, "missing argument \"workstation\" (no peer address to use)");
	err = api_workstation_refused(r, "connect", req.serial, req.workstation);
	if (err != NULL)
		return err;
	ret = session_connect_for(r->ctx->sessions, &req, &why, &s, &code, &h);
	if (ret != 0)
		return connect_refused(r, req.serial, ret, &h, code);
	if (code == NULL)
		return reply_session(r, &s);
	reply = api_json_error(code, "%s", s.reason);
	json_object_set_new(reply, "reason", json_string(s.reason));
	json_object_set_new(reply, "session", api_session_json(r, &s));
	return reply;
}

struct list_ctx {
	struct api_req *r;
	json_t *list;
	int64_t since; /* 0, or: ended sessions only if they ended at or after (unix s) */
	bool approvable; /* only sessions the caller may approve or deny (their customers') */
};

static int list_one(const struct store_session *s, void *arg)
{
	struct list_ctx *l = arg;

	/* "since": live sessions all, ended ones only if they ended then or later. */
	if (l->since != 0 && s->closed != 0 && s->closed < l->since)
		return 0;
	/* an approver sees the sessions of the customers they approve for, decided per session
	 * exactly as approve and deny decide it */
	if (l->approvable && !approval_may_decide(l->r->ctx->store, l->r->ctx->cfg, l->r->who.group_ptrs,
						  l->r->who.n_groups, s->id))
		return 0;
	json_array_append_new(l->list, api_session_json(l->r, s));
	return 0;
}

json_t *api_op_sessions(struct api_req *r)
{
	struct store_session_filter f = {.live_only = true, .limit = 1000};
	struct list_ctx l = {r, NULL, 0, false};
	bool all = false, history = false;
	json_t *err = NULL, *reply;
	uint64_t since = 0;
	int ret;

	if (api_arg_bool_opt(r->args, "all", &all, &err) != 0 || api_arg_bool_opt(r->args, "history", &history, &err) != 0 ||
	    api_arg_uint_opt(r->args, "since", INT64_MAX, &since, &err) != 0 ||
	    api_arg_bool_opt(r->args, "approvable", &l.approvable, &err) != 0)
		return err;
	/* approvable: the customers' sessions an approver decides on, whoever requested them */
	if (l.approvable)
		all = false;
	/* since: the ended sessions of a window, besides the live ones (spgatectl sessions --since) */
	l.since = (int64_t)since;
	if (since != 0)
		history = true;
	if (all && !r->who.privileged)
		return api_json_error(API_E_FORBIDDEN, "only operators and privileged engineers see everybody's sessions");
	if (!is_operator(r) && !all && !l.approvable)
		f.user = r->who.user;
	f.live_only = !history;
	l.list = json_array();
	ret = store_session_foreach(r->ctx->store, &f, list_one, &l);
	/* an engineer's own list also has the live sessions they joined or asked to join */
	if (ret == 0 && f.user != NULL)
		ret = api_join_append_joined(r, l.list);
	if (ret != 0) {
		json_decref(l.list);
		return api_json_error(API_E_INTERNAL, "cannot list sessions: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "sessions", l.list);
	return reply;
}

/* Reads session id for r; NULL, or the refusal. */
static json_t *get_session(struct api_req *r, uint64_t *id, struct store_session *s)
{
	json_t *err = NULL;

	if (api_arg_id(r->args, "id", id, &err) != 0)
		return err;
	if (*id > INT64_MAX || session_get(r->ctx->sessions, (int64_t)*id, s) != 0)
		return api_json_error(API_E_NOT_FOUND, "no session %" PRIu64, *id);
	return NULL;
}

json_t *api_op_session(struct api_req *r)
{
	struct store_session s;
	json_t *err;
	uint64_t id;

	err = get_session(r, &id, &s);
	if (err != NULL)
		return err;
	if (!r->who.privileged && strcmp(s.user, r->who.user) != 0 && !may_decide(r, s.id) &&
	    !api_join_is_participant(r, s.id))
		return api_json_error(API_E_FORBIDDEN, "session %" PRIu64 " is not yours", id);
	return reply_session(r, &s);
}

json_t *api_op_disconnect(struct api_req *r)
{
	struct store_session s;
	char reason[128];
	json_t *err;
	uint64_t id;
	int ret;

	err = get_session(r, &id, &s);
	if (err != NULL)
		return err;
	if (!is_operator(r) && strcmp(s.user, r->who.user) != 0)
		return api_json_error(API_E_FORBIDDEN, "session %" PRIu64 " belongs to %s; only they or an operator may end it",
				      id, s.user);
	snprintf(reason, sizeof(reason), "disconnected by %s", r->who.user);
	ret = session_disconnect(r->ctx->sessions, s.id, r->who.user, reason, &s);
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot end session %" PRIu64 ": %s", id, strerror(-ret));
	api_audit(r, "disconnect", s.serial, "ok", NULL);
	return reply_session(r, &s);
}

/* The refusal of a decider the policy does not allow, audited with both names; NULL: allowed. */
static json_t *decide_refused(struct api_req *r, const struct store_session *s, bool approve)
{
	struct approval_decider d = {r->who.user, r->who.group_ptrs, r->who.n_groups, is_operator(r)};
	enum approval_verdict v = approval_check_decider(r->ctx->store, r->ctx->cfg, &d, s->id, approve);
	json_t *detail;
	char *text;

	if (v == APPROVAL_MAY)
		return approve ? api_approver_factor(r, s->customer, "approve") : NULL;
	detail = json_pack("{s:I,s:s,s:s,s:s}", "session", (json_int_t)s->id, "requester", s->user, "approver",
			   r->who.user, "refused",
			   v == APPROVAL_SELF ? "self-approval" : v == APPROVAL_OPERATORS_NOT_ALLOWED
									 ? "operators may not approve for this customer"
									 : "not an approver");
	text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	api_audit(r, approve ? "approve" : "deny", s->serial, "forbidden", text);
	free(text);
	json_decref(detail);
	switch (v) {
	case APPROVAL_SELF:
		return api_json_error(API_E_FORBIDDEN,
				      "session %" PRId64 " is your own request: another approver must decide (four eyes)",
				      s->id);
	case APPROVAL_OPERATORS_NOT_ALLOWED:
		return api_json_error(API_E_FORBIDDEN,
				      "%s does not let operators approve (inventory approvers: operators); its approvers must",
				      s->customer);
	default:
		return api_json_error(API_E_FORBIDDEN, "you are not an approver for %s's systems", s->customer);
	}
}

static void decide_audit(struct api_req *r, const struct store_session *s, const char *requester, bool approve,
			 int ret)
{
	json_t *detail = json_pack("{s:I,s:s,s:s}", "session", (json_int_t)s->id, "requester", requester,
				   "approver", r->who.user);
	json_t *comment = json_object_get(r->args, "comment");
	char *text;

	/* the approver's words beside the decision (the web console asks for them) */
	if (detail != NULL && json_is_string(comment) && json_string_length(comment) > 0)
		json_object_set_new(detail, "comment", json_stringn(json_string_value(comment),
								    json_string_length(comment) > 500 ? 500
												 : json_string_length(comment)));
	text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;

	api_audit(r, approve ? "approve" : "deny", s->serial, ret == 0 ? "ok" : ret == -EPERM ? "forbidden" : "failed",
		  text);
	free(text);
	json_decref(detail);
}

static json_t *decide(struct api_req *r, bool approve)
{
	char requester[STORE_NAME_MAX];
	struct store_session s;
	json_t *err;
	uint64_t id;
	int ret;

	err = get_session(r, &id, &s);
	if (err != NULL)
		return err;
	err = decide_refused(r, &s, approve);
	if (err != NULL)
		return err;
	snprintf(requester, sizeof(requester), "%s", s.user);
	ret = session_decide(r->ctx->sessions, s.id, approve, r->who.user, &s);
	decide_audit(r, &s, requester, approve, ret);
	switch (ret) {
	case 0:
		return reply_session(r, &s);
	case -EPERM:
		return api_json_error(API_E_FORBIDDEN, "session %" PRIu64 " is your own request (four eyes)", id);
	case -ETIMEDOUT:
		return api_json_error(API_E_TIMEOUT, "session %" PRIu64 ": the approval had already timed out", id);
	case -EALREADY:
		return api_json_error(API_E_BAD_REQUEST, "session %" PRIu64 " was already decided", id);
	case -EINVAL:
		return api_json_error(API_E_BAD_REQUEST, "session %" PRIu64 " is %s, not awaiting approval", id,
				      store_session_state_name(s.state));
	default:
		return api_json_error(API_E_INTERNAL, "session %" PRIu64 ": %s", id, strerror(-ret));
	}
}

json_t *api_op_approve(struct api_req *r)
{
	return decide(r, true);
}

json_t *api_op_deny(struct api_req *r)
{
	return decide(r, false);
}
