/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The join ops (issue 15): join (ask to join a live session), join_status (the asker's
 * request, polled while waiting), joins (the requests and joiners the caller may see),
 * join_accept / join_refuse (the holder, and under `ask` the customer's approvers),
 * join_remove (the holder or an operator) and join_leave (the joiner). The rules are
 * session_join.c's; these check who is asking and say no in words.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "api/json.h"
#include "api/ops.h"
#include "approval.h"
#include "search.h"
#include "session.h"
#include "ticket.h"

static bool is_operator(const struct api_req *r)
{
	return r->who.role == API_ROLE_OPERATOR;
}

static json_t *participant_json(const struct store_participant *p)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "session",
			      (json_int_t)p->session_id, "engineer", p->engineer, "role", "joiner", "slot", (int)p->slot,
			      "state", store_part_state_name(p->state), "holder_vote", store_part_vote_name(p->holder_vote),
			      "customer_vote", store_part_vote_name(p->customer_vote), "customer_approver", p->customer_by,
			      "decided_by", p->decided_by, "reason", p->reason, "request_reason", p->request_reason,
			      "requested", (json_int_t)p->requested, "deadline", (json_int_t)p->deadline);

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "ticket", json_string(p->ticket));
	json_object_set_new(o, "decided", p->decided ? json_integer(p->decided) : json_null());
	json_object_set_new(o, "ended", p->ended ? json_integer(p->ended) : json_null());
	api_json_set_ipv4(o, "workstation", p->workstation);
	return o;
}

struct parts_ctx {
	json_t *list;
	json_t *summary; /* "bob (slot 1), carol (pending)" */
};

static int add_part(const struct store_participant *p, void *arg)
{
	struct parts_ctx *c = arg;
	const char *prev = json_string_value(c->summary);
	char buf[1024];

	json_array_append_new(c->list, participant_json(p));
	if (p->state == STORE_PART_ACCEPTED)
		snprintf(buf, sizeof(buf), "%s%s%s (slot %u)", prev, prev[0] ? ", " : "", p->engineer, p->slot);
	else
		snprintf(buf, sizeof(buf), "%s%s%s (pending)", prev, prev[0] ? ", " : "", p->engineer);
	json_string_set(c->summary, buf);
	return 0;
}

void api_join_participants(struct api_req *r, const struct store_session *s, json_t *o)
{
	struct store_participant_filter f = {.session_id = s->id, .live_only = true};
	struct parts_ctx c = {json_array(), json_string("")};
	json_t *holder = json_pack("{s:s,s:s,s:i,s:s}", "engineer", s->user, "role", "holder", "slot", 0, "state",
				   store_session_state_name(s->state));

	api_json_set_ipv4(holder, "workstation", s->workstation);
	json_array_append_new(c.list, holder);
	store_participant_foreach(r->ctx->store, &f, add_part, &c);
	json_object_set_new(o, "participants", c.list);
	/* null rather than "": a table shows "-" for a session nobody joined */
	json_object_set_new(o, "joiners", json_string_length(c.summary) ? c.summary : json_null());
	if (json_string_length(c.summary) == 0)
		json_decref(c.summary);
}

bool api_join_is_participant(struct api_req *r, int64_t id)
{
	struct store_participant p;

	return r->who.role == API_ROLE_ENGINEER && store_participant_live(r->ctx->store, id, r->who.user, &p) == 0;
}

static int append_joined(const struct store_participant *p, void *arg)
{
	struct api_req *r = ((void **)arg)[0];
	json_t *list = ((void **)arg)[1];
	struct store_session s;

	if (store_session_get(r->ctx->store, p->session_id, &s) == 0 && store_session_state_live(s.state))
		json_array_append_new(list, api_session_json(r, &s));
	return 0;
}

int api_join_append_joined(struct api_req *r, json_t *list)
{
	struct store_participant_filter f = {.engineer = r->who.user, .live_only = true};
	void *arg[2] = {r, list};

	return store_participant_foreach(r->ctx->store, &f, append_joined, arg);
}

/* ---- join ---- */

/* The live session id of the request; NULL, or the refusal. */
static json_t *live_session(struct api_req *r, struct store_session *s)
{
	json_t *err = NULL;
	uint64_t id;

	if (api_arg_id(r->args, "id", &id, &err) != 0)
		return err;
	if (id > INT64_MAX || session_get(r->ctx->sessions, (int64_t)id, s) != 0 || !store_session_state_live(s->state))
		return api_json_error(API_E_NOT_FOUND, "no live session %" PRIu64, id);
	return NULL;
}

/* The optional "ticket" of a join: about the session's system, visible to the caller. */
static json_t *join_ticket(struct api_req *r, const struct store_session *s, char *tid, size_t len)
{
	struct search_caller who = {r->who.user, r->who.group_ptrs, r->who.n_groups, r->who.privileged};
	struct store_ticket t;
	const char *ticket;
	json_t *err = NULL;
	int64_t id;

	tid[0] = '\0';
	if (api_arg_string_opt(r->args, "ticket", &ticket, &err) != 0)
		return err;
	if (ticket == NULL)
		return NULL;
	if (ticket_id_parse(ticket, &id) != 0)
		return api_json_error(API_E_BAD_REQUEST, "argument \"ticket\": \"%.64s\" is not a ticket id (42 or T42)",
				      ticket);
	if (ticket_get(r->ctx->store, &who, id, &t) != 0)
		return api_json_error(API_E_NOT_FOUND, "no ticket T%" PRId64 " that you may see", id);
	if (strcmp(t.serial, s->serial) != 0)
		return api_json_error(API_E_BAD_REQUEST, "ticket T%" PRId64 " is about %s, not %s (session %" PRId64 ")",
				      id, t.serial, s->serial, s->id);
	snprintf(tid, len, "T%" PRId64, id);
	return NULL;
}

static json_t *join_refused(struct api_req *r, const struct store_session *s, int ret, const char *code)
{
	char detail[160];

	snprintf(detail, sizeof(detail), "{\"session\":%" PRId64 ",\"error\":\"%s\"}", s->id,
		 code != NULL ? code : strerror(-ret));
	api_audit(r, "join", s->serial, ret == -EACCES || ret == -EPERM ? "forbidden" : "failed", detail);
	switch (ret) {
	case -EACCES:
		return api_json_error(API_E_FORBIDDEN, "you may not join session %" PRId64 ": you may not reach its system",
				      s->id);
	case -EPERM:
		return api_json_error(API_E_FORBIDDEN, "session %" PRId64 " is your own: there is nothing to join", s->id);
	case -ENOENT:
		return api_json_error(API_E_NOT_FOUND, "no live session %" PRId64, s->id);
	case -EBUSY:
		return api_json_error("session_full", "session %" PRId64 " has %d participants besides its holder "
				      "(joined or asking): no room", s->id, SPG_DP_MAX_JOINERS);
	case -EEXIST:
		return api_json_error(code, "you %s session %" PRId64 " already",
				      strcmp(code, "already_joined") == 0 ? "are in" : "asked to join", s->id);
	case -EADDRINUSE:
		return api_json_error(code, "your workstation is already in session %" PRId64
				      " (the holder's or another participant's)", s->id);
	case -EAGAIN:
		return api_json_error(code, "your last request to join session %" PRId64
				      " was refused or expired a moment ago: wait a minute", s->id);
	case -EINVAL:
		if (strcmp(code, "not_active") == 0)
			return api_json_error(code, "session %" PRId64 " is %s, not active", s->id,
					      store_session_state_name(s->state));
		if (strcmp(code, "denied") == 0)
			return api_json_error(API_E_DENIED, "the customer of %s does not allow remote sessions", s->serial);
		if (strcmp(code, "ticket_required") == 0)
			return api_json_error(code, "the customer of %s requires a service ticket: join --ticket ID",
					      s->serial);
		return api_json_error(code, "the customer of %s requires a reason: join --reason TEXT", s->serial);
	default:
		return api_json_error(API_E_INTERNAL, "cannot ask to join session %" PRId64 ": %s", s->id, strerror(-ret));
	}
}

/* What the joiner needs once in: the session's V_i, the SP's services, the session's end. */
static json_t *joined_json(struct api_req *r, const struct store_session *s, const struct store_participant *p)
{
	json_t *o = json_pack("{s:I,s:s,s:s,s:s,s:i}", "id", (json_int_t)s->id, "serial", s->serial, "holder", s->user,
			      "state", store_part_state_name(p->state), "slot", (int)p->slot);
	struct store_profile prof;
	struct store_system sys;
	uint32_t max = r->ctx->cfg->sessions.max_duration;

	if (o == NULL)
		return NULL;
	api_json_set_ipv4(o, "workstation", p->workstation);
	api_json_set_ipv4(o, "virtual_address", p->state == STORE_PART_ACCEPTED ? s->virtual_address : 0);
	api_json_set_ipv4(o, "sp_address", s->sp_address);
	json_object_set_new(o, "reason", json_string(p->reason));
	if (store_system_get(r->ctx->store, s->serial, &sys) == 0 && store_profile_get(r->ctx->store, sys.profile, &prof) == 0)
		json_object_set_new(o, "ports", json_string(prof.ports));
	json_object_set_new(o, "expires", max > 0 ? json_integer(s->created + max) : json_null());
	return o;
}

static json_t *reply_join(struct api_req *r, const struct store_session *s, const struct store_participant *p)
{
	json_t *reply = api_json_ok();

	json_object_set_new(reply, "participant", participant_json(p));
	json_object_set_new(reply, "join", joined_json(r, s, p));
	return reply;
}

/* connect's freshness, step-up and workstation rules, for a join to s; NULL, or the refusal. */
static json_t *join_gate(struct api_req *r, const struct store_session *s, uint32_t *ws)
{
	json_t *err = NULL;
	bool given = false;

	if (api_now(r->ctx) - r->who.issued > (int64_t)r->ctx->cfg->engineer_api.connect_fresh) {
		api_audit(r, "join", s->serial, "unauthorized", "{\"error\":\"login too old for join\"}");
		return api_json_error(API_E_UNAUTHORIZED,
				      "join needs a login within the last %u s (engineer_api.connect_fresh): log in again",
				      r->ctx->cfg->engineer_api.connect_fresh);
	}
	err = api_step_up(r, s->serial);
	if (err != NULL)
		return err;
	*ws = r->peer->addr;
	if (api_arg_ipv4_opt(r->args, "workstation", ws, &given, &err) != 0)
		return err;
	if (*ws == 0)
		return api_json_error(API_E_BAD_REQUEST, "missing argument \"workstation\" (no peer address to use)");
	return api_workstation_refused(r, "join", s->serial, *ws);
}

json_t *api_op_join(struct api_req *r)
{
	struct join_request req = {.user = r->who.user, .groups = r->who.group_ptrs, .n_groups = r->who.n_groups,
				   .privileged = r->who.privileged};
	struct session_purpose why = {NULL, NULL};
	struct search_caller who = {r->who.user, r->who.group_ptrs, r->who.n_groups, r->who.privileged};
	struct store_participant p;
	struct store_session s;
	const char *code = NULL;
	char tid[24];
	json_t *err;
	int ret;

	err = live_session(r, &s);
	if (err != NULL)
		return err;
	/* Before anything that would tell the customer's rules to someone who may not see them. */
	if (search_may_access(r->ctx->store, &who, s.serial) <= 0)
		return join_refused(r, &s, -EACCES, NULL);
	if (api_arg_reason(r, &why.reason, &err) != 0)
		return err;
	err = join_ticket(r, &s, tid, sizeof(tid));
	if (err == NULL)
		err = join_gate(r, &s, &req.workstation);
	if (err != NULL)
		return err;
	why.ticket = tid;
	req.session_id = s.id;
	ret = session_join(r->ctx->sessions, &req, &why, &p, &code);
	if (ret != 0)
		return join_refused(r, &s, ret, code);
	return reply_join(r, &s, &p);
}

json_t *api_op_join_status(struct api_req *r)
{
	struct store_participant p;
	struct store_session s;
	json_t *err = NULL;
	uint64_t id;

	if (api_arg_id(r->args, "id", &id, &err) != 0)
		return err;
	if (id > INT64_MAX || session_get(r->ctx->sessions, (int64_t)id, &s) != 0 ||
	    store_participant_latest(r->ctx->store, s.id, r->who.user, &p) != 0)
		return api_json_error(API_E_NOT_FOUND, "you have not asked to join session %" PRIu64, id);
	return reply_join(r, &s, &p);
}

/* ---- seeing and deciding ---- */

/* Whether the caller may see (and have a say on) p: operators, the joiner, the holder, the
 * customer's approvers. */
static bool may_see(struct api_req *r, const struct store_participant *p, const struct store_session *s)
{
	if (is_operator(r) || strcmp(p->engineer, r->who.user) == 0 || strcmp(s->user, r->who.user) == 0)
		return true;
	return approval_may_decide(r->ctx->store, r->ctx->cfg, r->who.group_ptrs, r->who.n_groups, s->id);
}

struct joins_ctx {
	struct api_req *r;
	json_t *list;
};

static int list_join(const struct store_participant *p, void *arg)
{
	struct joins_ctx *c = arg;
	struct store_session s;
	json_t *o;

	if (store_session_get(c->r->ctx->store, p->session_id, &s) != 0 || !may_see(c->r, p, &s))
		return 0;
	o = participant_json(p);
	json_object_set_new(o, "serial", json_string(s.serial));
	json_object_set_new(o, "holder", json_string(s.user));
	json_object_set_new(o, "customer", json_string(s.customer));
	json_array_append_new(c->list, o);
	return 0;
}

json_t *api_op_joins(struct api_req *r)
{
	struct store_participant_filter f = {.live_only = true};
	struct joins_ctx c = {r, json_array()};
	bool history = false;
	json_t *err = NULL, *reply;
	uint64_t id = 0;
	int ret;

	if (api_arg_uint_opt(r->args, "id", INT64_MAX, &id, &err) != 0 ||
	    api_arg_bool_opt(r->args, "history", &history, &err) != 0) {
		json_decref(c.list);
		return err;
	}
	f.session_id = (int64_t)id;
	f.live_only = !history;
	ret = store_participant_foreach(r->ctx->store, &f, list_join, &c);
	if (ret != 0) {
		json_decref(c.list);
		return api_json_error(API_E_INTERNAL, "cannot list join requests: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "joins", c.list);
	return reply;
}

/* The session and the "engineer" of a decision or removal; NULL, or the refusal. */
static json_t *target(struct api_req *r, struct store_session *s, const char **engineer)
{
	json_t *err = live_session(r, s);

	if (err == NULL && api_arg_string(r->args, "engineer", engineer, &err) == 0 && (*engineer)[0] == '\0')
		err = api_json_error(API_E_BAD_REQUEST, "argument \"engineer\" is empty");
	return err;
}

static void decision_audit(struct api_req *r, const char *op, const struct store_session *s, const char *engineer,
			   const char *result, const char *why)
{
	json_t *d = json_pack("{s:I,s:s,s:s,s:s}", "session", (json_int_t)s->id, "engineer", engineer, "holder", s->user,
			      "refused", why);
	char *text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;

	api_audit(r, op, s->serial, result, text);
	free(text);
	json_decref(d);
}

/* Which side the caller decides for; NULL, or the refusal (audited). */
static json_t *decision_side(struct api_req *r, const struct store_session *s, const char *engineer, bool accept,
			     enum join_side *side)
{
	struct approval_decider d = {r->who.user, r->who.group_ptrs, r->who.n_groups, is_operator(r)};
	const char *op = accept ? "join_accept" : "join_refuse";
	enum approval_verdict v;

	if (strcmp(engineer, r->who.user) == 0) {
		decision_audit(r, op, s, engineer, "forbidden", "self-approval");
		return api_json_error(API_E_FORBIDDEN, "you cannot decide on your own join (four eyes)");
	}
	if (!is_operator(r) && strcmp(s->user, r->who.user) == 0) {
		*side = JOIN_SIDE_HOLDER;
		return NULL;
	}
	v = approval_check_decider_for(r->ctx->store, r->ctx->cfg, &d, s->id, engineer, accept);
	if (v == APPROVAL_MAY) {
		*side = JOIN_SIDE_CUSTOMER;
		return NULL;
	}
	decision_audit(r, op, s, engineer, "forbidden",
		       v == APPROVAL_OPERATORS_NOT_ALLOWED ? "operators may not approve for this customer"
							   : "neither the holder nor an approver");
	if (v == APPROVAL_OPERATORS_NOT_ALLOWED)
		return api_json_error(API_E_FORBIDDEN,
				      "%s does not let operators approve (inventory approvers: operators); its approvers must",
				      s->customer);
	return api_json_error(API_E_FORBIDDEN,
			      "only session %" PRId64 "'s holder (%s) and %s's approvers decide on who joins it", s->id,
			      s->user, s->customer);
}

static json_t *decide_error(const struct store_session *s, const char *engineer, enum join_side side, int ret)
{
	switch (ret) {
	case -ENOENT:
		return api_json_error(API_E_NOT_FOUND, "%s has no pending request to join session %" PRId64, engineer, s->id);
	case -EPERM:
		return api_json_error(API_E_FORBIDDEN, side == JOIN_SIDE_HOLDER ? "you do not hold session %" PRId64
										: "session %" PRId64 "'s holder cannot "
										  "also approve for the customer",
				      s->id);
	case -EALREADY:
		return api_json_error(API_E_BAD_REQUEST, "you already decided on %s's join (the %s)", engineer,
				      side == JOIN_SIDE_HOLDER ? "holder's say" : "customer's say");
	case -EINVAL:
		return api_json_error(API_E_BAD_REQUEST,
				      "%s's approval policy is auto: only the holder (%s) decides on joins to session %" PRId64,
				      s->customer, s->user, s->id);
	case -ETIMEDOUT:
		return api_json_error(API_E_TIMEOUT, "%s's request to join session %" PRId64 " had expired", engineer, s->id);
	default:
		return api_json_error(API_E_INTERNAL, "session %" PRId64 ": %s", s->id, strerror(-ret));
	}
}

static json_t *join_decide(struct api_req *r, bool accept)
{
	struct store_participant p;
	struct store_session s;
	enum join_side side = JOIN_SIDE_CUSTOMER;
	const char *engineer;
	json_t *err;
	int ret;

	err = target(r, &s, &engineer);
	if (err == NULL)
		err = decision_side(r, &s, engineer, accept, &side);
	if (err != NULL)
		return err;
	ret = session_join_decide(r->ctx->sessions, s.id, engineer, side, accept, r->who.user, &p);
	if (ret != 0) {
		decision_audit(r, accept ? "join_accept" : "join_refuse", &s, engineer,
			       ret == -EPERM ? "forbidden" : "failed", strerror(-ret));
		return decide_error(&s, engineer, side, ret);
	}
	return reply_join(r, &s, &p);
}

json_t *api_op_join_accept(struct api_req *r)
{
	return join_decide(r, true);
}

json_t *api_op_join_refuse(struct api_req *r)
{
	return join_decide(r, false);
}

json_t *api_op_join_remove(struct api_req *r)
{
	struct store_participant p;
	struct store_session s;
	const char *engineer;
	json_t *err;
	int ret;

	err = target(r, &s, &engineer);
	if (err != NULL)
		return err;
	if (!is_operator(r) && strcmp(s.user, r->who.user) != 0) {
		decision_audit(r, "join_remove", &s, engineer, "forbidden", "neither the holder nor an operator");
		return api_json_error(API_E_FORBIDDEN,
				      "only session %" PRId64 "'s holder (%s) or an operator may remove a joiner%s", s.id,
				      s.user, strcmp(engineer, r->who.user) == 0 ? " (to leave: spgatectl leave)" : "");
	}
	ret = session_join_end(r->ctx->sessions, s.id, engineer, r->who.user, is_operator(r), false, &p);
	if (ret == -ENOENT)
		return api_json_error(API_E_NOT_FOUND, "%s is not in session %" PRId64 " and does not ask to join it",
				      engineer, s.id);
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "session %" PRId64 ": %s", s.id, strerror(-ret));
	return reply_join(r, &s, &p);
}

json_t *api_op_join_leave(struct api_req *r)
{
	struct store_participant p;
	struct store_session s;
	json_t *err;
	int ret;

	err = live_session(r, &s);
	if (err != NULL)
		return err;
	ret = session_join_end(r->ctx->sessions, s.id, r->who.user, r->who.user, false, true, &p);
	if (ret == -ENOENT)
		return api_json_error(API_E_NOT_FOUND, "you are not in session %" PRId64 " and do not ask to join it%s",
				      s.id, strcmp(s.user, r->who.user) == 0 ? " (you hold it: spgatectl disconnect)" : "");
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "session %" PRId64 ": %s", s.id, strerror(-ret));
	return reply_join(r, &s, &p);
}
