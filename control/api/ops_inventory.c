/* SPDX-License-Identifier: BSD-3-Clause */
/* The inventory ops: search, ticket_submit, tickets, lines, inventory_import. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "api/json.h"
#include "api/ops.h"
#include "line.h"
#include "inventory.h"
#include "search.h"
#include "ticket.h"

static struct search_caller caller_of(const struct api_req *r)
{
	return (struct search_caller){r->who.user, r->who.group_ptrs, r->who.n_groups, r->who.privileged};
}

struct list_ctx {
	struct api_req *r;
	json_t *list;
};

json_t *api_profile_ports(struct store *st, const char *profile)
{
	char names[32][STORE_NAME_MAX];
	struct store_profile p;
	json_t *a = json_array();
	unsigned n = 0, i;

	if (profile[0] == '\0' || store_profile_get(st, profile, &p) != 0 ||
	    store_split_names(p.ports, ',', names, 32, &n) != 0)
		return a;
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(names[i]));
	return a;
}

static int system_one(const struct store_system *s, void *arg)
{
	struct list_ctx *l = arg;
	json_t *o;

	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "serial", s->serial, "customer", s->customer, "site", s->site,
		      "region", s->region, "connect", store_connect_name(s->connect), "address", s->address, "profile",
		      s->profile);
	if (o == NULL)
		return -ENOMEM;
	json_object_set_new(o, "ports", api_profile_ports(l->r->ctx->store, s->profile));
	json_array_append_new(l->list, o);
	return 0;
}

json_t *api_op_search(struct api_req *r)
{
	static const char *const by_names[] = {"any", "serial", "customer", "site", "ticket", NULL};
	struct search_caller who = caller_of(r);
	struct list_ctx l = {r, NULL};
	enum search_by by = SEARCH_ANY;
	json_t *q = json_object_get(r->args, "query");
	json_t *err = NULL, *reply;
	const char *query;
	int idx = 0, ret;

	/*
	 * Unlike other arguments an empty query means something: every visible system. A missing
	 * or null one is refused (issue 13): listing everything must be asked for, with "".
	 */
	if (q == NULL || json_is_null(q))
		return api_json_error(API_E_BAD_REQUEST,
				      "missing argument \"query\" (\"\" lists every system you may reach)");
	if (!json_is_string(q))
		return api_json_error(API_E_BAD_REQUEST, "argument \"query\" must be a string");
	query = json_string_value(q);
	if (api_arg_choice_opt(r->args, "by", by_names, &idx, &err) != 0)
		return err;
	if (search_by_parse(by_names[idx], &by) != 0)
		return api_json_error(API_E_BAD_REQUEST, "argument \"by\": \"%s\" is not supported", by_names[idx]);
	l.list = json_array();
	ret = search_systems(r->ctx->store, &who, query, by, 0, system_one, &l);
	if (ret != 0) {
		json_decref(l.list);
		return api_json_error(API_E_INTERNAL, "search failed: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "systems", l.list);
	return reply;
}

static json_t *ticket_json(const struct store_ticket *t)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:I}", "id", (json_int_t)t->id, "serial", t->serial, "customer",
			 t->customer, "site", t->site, "problem", t->problem, "submitted_by", t->submitted_by, "created",
			 (json_int_t)t->created);
}

json_t *api_op_ticket_submit(struct api_req *r)
{
	struct search_caller who = caller_of(r);
	const char *serial, *customer, *site, *problem;
	struct store_ticket t;
	json_t *err = NULL, *reply;
	char detail[64];
	int ret;

	if (api_arg_string_opt(r->args, "serial", &serial, &err) != 0 ||
	    api_arg_string_opt(r->args, "customer", &customer, &err) != 0 ||
	    api_arg_string_opt(r->args, "site", &site, &err) != 0 ||
	    api_arg_string(r->args, "problem", &problem, &err) != 0)
		return err;
	if (serial == NULL && (customer == NULL || site == NULL))
		return api_json_error(API_E_BAD_REQUEST, "missing argument \"serial\" (or \"customer\" and \"site\")");
	ret = ticket_submit(r->ctx->store, &who, serial, customer, site, problem, api_now(r->ctx), &t);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		return api_json_error(API_E_NOT_FOUND, "no such system that you may see");
	case -ENOTUNIQ:
		return api_json_error(API_E_BAD_REQUEST, "site %s of %s holds several systems: give the serial", site,
				      customer);
	case -EINVAL:
		return api_json_error(API_E_BAD_REQUEST, "argument \"problem\" is empty or too long (at most %d bytes)",
				      STORE_PROBLEM_MAX - 1);
	default:
		return api_json_error(API_E_INTERNAL, "cannot store the ticket: %s", strerror(-ret));
	}
	snprintf(detail, sizeof(detail), "{\"ticket\":%lld}", (long long)t.id);
	api_audit(r, "ticket_submit", t.serial, "ok", detail);
	reply = api_json_ok();
	json_object_set_new(reply, "ticket", ticket_json(&t));
	return reply;
}

static int ticket_one(const struct store_ticket *t, void *arg)
{
	struct list_ctx *l = arg;

	json_array_append_new(l->list, ticket_json(t));
	return 0;
}

json_t *api_op_tickets(struct api_req *r)
{
	struct search_caller who = caller_of(r);
	struct list_ctx l = {r, json_array()};
	json_t *reply;
	int ret;

	ret = ticket_list(r->ctx->store, &who, ticket_one, &l);
	if (ret != 0) {
		json_decref(l.list);
		return api_json_error(API_E_INTERNAL, "cannot list tickets: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "tickets", l.list);
	return reply;
}

/*
 * Operators see everything; engineers the line's pool and health only: which customer a
 * line serves, its session, modem device and peer, and its last result are not theirs.
 */
static int line_one(const struct store_line *ln, void *arg)
{
	struct list_ctx *l = arg;
	char peer[SPG_ADDR_STRLEN];
	json_t *o;

	o = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:i}", "id", ln->id, "type", store_connect_name(ln->type), "region",
		      ln->region, "state", store_line_state_name(ln->state), "calls", (json_int_t)ln->calls, "failures",
		      (json_int_t)ln->failures, "consecutive_faults", (int)ln->consecutive_faults);
	if (o == NULL)
		return -ENOMEM;
	if (l->r->who.role == API_ROLE_OPERATOR) {
		json_object_set_new(o, "last_result", json_string(ln->last_result));
		if (ln->customer[0] != '\0')
			json_object_set_new(o, "customer", json_string(ln->customer));
		if (ln->session_id != 0)
			json_object_set_new(o, "session", json_integer(ln->session_id));
		if (ln->type == STORE_CONNECT_MODEM) {
			json_object_set_new(o, "device", json_string(ln->device));
			json_object_set_new(o, "peer", json_string(spg_addr_str(ln->peer_addr, peer)));
		}
	}
	json_array_append_new(l->list, o);
	return 0;
}

json_t *api_op_lines(struct api_req *r)
{
	struct list_ctx l = {r, json_array()};
	json_t *reply;
	int ret;

	ret = store_line_foreach(r->ctx->store, line_one, &l);
	if (ret != 0) {
		json_decref(l.list);
		return api_json_error(API_E_INTERNAL, "cannot list lines: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "lines", l.list);
	return reply;
}

static json_t *counts_json(const struct inventory_counts *c)
{
	return json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "customers", (int)c->customers, "sites", (int)c->sites,
			 "profiles", (int)c->profiles, "systems", (int)c->systems, "users", (int)c->users, "groups",
			 (int)c->groups, "rules", (int)c->rules, "lines", (int)c->lines);
}

json_t *api_op_inventory_import(struct api_req *r)
{
	static const char *const formats[] = {"yaml", "csv", NULL};
	enum inventory_format fmt;
	struct inventory_counts counts;
	const char *text;
	char err_text[512];
	unsigned err_line = 0;
	json_t *err = NULL, *reply;
	int idx = -1, ret;

	if (api_arg_choice_opt(r->args, "format", formats, &idx, &err) != 0 ||
	    api_arg_string(r->args, "text", &text, &err) != 0)
		return err;
	if (idx < 0)
		return api_json_error(API_E_BAD_REQUEST, "missing argument \"format\" (yaml or csv)");
	inventory_format_parse(formats[idx], &fmt);
	memset(&counts, 0, sizeof(counts));
	err_text[0] = '\0';
	ret = inventory_import(r->ctx->store, fmt, "inventory", text, strlen(text), &counts, err_text, sizeof(err_text),
			       &err_line);
	api_audit(r, "inventory_import", formats[idx], ret == 0 ? "ok" : "failed", NULL);
	if (ret == -EINVAL) {
		reply = api_json_error(API_E_BAD_REQUEST, "%s", err_text);
		json_object_set_new(reply, "line", json_integer(err_line));
		return reply;
	}
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "import failed: %s", err_text[0] ? err_text : strerror(-ret));
	reply = api_json_ok();
	json_object_set_new(reply, "imported", counts_json(&counts));
	return reply;
}

/* line_enable / line_disable {id}: an operator takes a line out of service or back. */
static json_t *line_enable_op(struct api_req *r, bool enabled)
{
	struct store_line ln;
	struct list_ctx l = {r, json_array()};
	const char *id;
	json_t *err = NULL, *reply;
	int ret;

	if (api_arg_string(r->args, "id", &id, &err) != 0) {
		json_decref(l.list);
		return err;
	}
	ret = r->ctx->lines != NULL ? line_set_enabled(r->ctx->lines, id, enabled) : -ENOTSUP;
	if (ret == 0)
		ret = store_line_get(r->ctx->store, id, &ln);
	if (ret == 0)
		ret = line_one(&ln, &l);
	api_audit(r, enabled ? "line_enable" : "line_disable", id, ret == 0 ? "ok" : "failed", NULL);
	if (ret != 0) {
		json_decref(l.list);
		return ret == -ENOENT ? api_json_error(API_E_NOT_FOUND, "no line \"%s\"", id)
				      : api_json_error(API_E_INTERNAL, "cannot change line %s: %s", id, strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set(reply, "line", json_array_get(l.list, 0));
	json_decref(l.list);
	return reply;
}

json_t *api_op_line_enable(struct api_req *r)
{
	return line_enable_op(r, true);
}

json_t *api_op_line_disable(struct api_req *r)
{
	return line_enable_op(r, false);
}
