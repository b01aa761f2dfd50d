/* SPDX-License-Identifier: BSD-3-Clause */
/* The operator's ops: audit (the trail), dp_stats (spgate-dp's counters) and user_revoke. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "api/json.h"
#include "api/ops.h"
#include "addr.h"
#include "store/gateway_store.h"
#include "audit.h"
#include "dp_prog.h"
#include "store/token_store.h"

static int event_one(const struct audit_record *rec, void *arg)
{
	json_t *o = audit_record_json(rec);

	if (o == NULL)
		return -ENOMEM;
	json_array_append_new(arg, o);
	return 0;
}

json_t *api_op_audit(struct api_req *r)
{
	uint64_t limit = 100, since = 0;
	json_t *err = NULL, *events, *reply;
	int ret;

	if (api_arg_uint_opt(r->args, "limit", 100000, &limit, &err) != 0 ||
	    api_arg_uint_opt(r->args, "since", INT64_MAX, &since, &err) != 0)
		return err;
	events = json_array();
	ret = audit_list(r->ctx->store, (int64_t)since, (unsigned)limit, event_one, events);
	if (ret != 0) {
		json_decref(events);
		return api_json_error(API_E_INTERNAL, "cannot read the audit trail: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "events", events);
	return reply;
}

/* The failover's part of a gateway's row: its addresses, who holds them, who took it over. */
static void gateway_failover_json(json_t *o, const struct store_gateway *g)
{
	char a[SPG_ADDR_STRLEN];

	if (g->vendor_address != 0)
		json_object_set_new(o, "vendor_address", json_string(spg_addr_str(g->vendor_address, a)));
	if (g->sp_address != 0)
		json_object_set_new(o, "sp_address", json_string(spg_addr_str(g->sp_address, a)));
	json_object_set_new(o, "addresses_held_by", json_string(g->holder));
	if (g->taken_by[0] != '\0')
		json_object_set_new(o, "taken_by", json_string(g->taken_by));
}

static int gateway_one(const struct store_gateway *g, void *arg)
{
	struct api_req *r = ((void **)arg)[0];
	json_t *list = ((void **)arg)[1];
	const char *self = r->ctx->gateway_id;
	json_t *o;

	o = json_pack("{s:s,s:s,s:I,s:I,s:f,s:I,s:I,s:I,s:s,s:b}", "id", g->id, "state", g->alive ? "alive" : "dead",
		      "generation", (json_int_t)g->generation, "sessions", (json_int_t)g->sessions, "load",
		      (double)g->load / 100.0, "lease_expires", (json_int_t)g->lease_expires, "renewed",
		      (json_int_t)g->renewed, "started", (json_int_t)g->started, "version", g->version, "self",
		      self != NULL && strcmp(self, g->id) == 0);
	if (o == NULL)
		return -ENOMEM;
	gateway_failover_json(o, g);
	return json_array_append_new(list, o) < 0 ? -ENOMEM : 0;
}

json_t *api_op_gateways(struct api_req *r)
{
	json_t *list = json_array(), *reply;
	void *arg[2] = { r, list };
	int64_t now = r->ctx->now != NULL ? r->ctx->now() : (int64_t)time(NULL);
	int ret;

	ret = store_gateway_foreach(r->ctx->store, now, gateway_one, arg);
	if (ret != 0) {
		json_decref(list);
		return api_json_error(API_E_INTERNAL, "cannot list the gateways: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "gateways", list);
	return reply;
}

static json_t *port_stats_json(const struct spg_dp_port_stats *ps)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "rx_packets", (json_int_t)ps->rx_packets, "rx_bytes",
			 (json_int_t)ps->rx_bytes, "tx_packets", (json_int_t)ps->tx_packets, "tx_bytes",
			 (json_int_t)ps->tx_bytes, "rx_missed", (json_int_t)ps->rx_missed, "tx_errors",
			 (json_int_t)ps->tx_errors);
}

/* The same shape as `spgatectl dp stats --json`. */
static json_t *stats_json(const struct spg_dp_stats_rep *st)
{
	json_t *o;

	o = json_pack("{s:b,s:I,s:i,s:i,s:i,s:{s:o,s:o},s:{s:I,s:I},s:{s:I,s:I},s:I}", "ok", 1, "uptime_ms",
		      (json_int_t)st->uptime_ms, "sessions", (int)st->n_sessions, "max_sessions", (int)st->max_sessions,
		      "workers", (int)st->n_workers, "ports", "vendor", port_stats_json(&st->ports[SPG_DP_PORT_VENDOR]),
		      "sp", port_stats_json(&st->ports[SPG_DP_PORT_SP]), "out", "packets", (json_int_t)st->out.packets,
		      "bytes", (json_int_t)st->out.bytes, "in", "packets", (json_int_t)st->in.packets, "bytes",
		      (json_int_t)st->in.bytes, "drops_total", (json_int_t)st->drops_total);
	return o != NULL ? o : api_json_error(API_E_INTERNAL, "out of memory");
}

json_t *api_op_dp_stats(struct api_req *r)
{
	struct spg_dp_stats_rep st;
	int ret;

	if (r->ctx->dp == NULL || !dpp_is_up(r->ctx->dp))
		return api_json_error(API_E_DATAPLANE, "the dataplane (spgate-dp) is not running");
	memset(&st, 0, sizeof(st));
	ret = dpp_stats(r->ctx->dp, &st);
	if (ret != 0)
		return api_json_error(API_E_DATAPLANE, "spgate-dp did not give its stats: %s", strerror(-ret));
	return stats_json(&st);
}

/*
 * Every token of a user issued until now is refused from now on. The user may log in again
 * (unless also disabled in RADIUS or removed from the inventory): revoke ends access
 * already granted, it does not lock the account.
 */
json_t *api_op_user_revoke(struct api_req *r)
{
	const char *user;
	json_t *err = NULL, *reply;
	int64_t now = api_now(r->ctx);
	int ret;

	if (api_arg_string(r->args, "user", &user, &err) != 0)
		return err;
	if (user[0] == '\0' || strlen(user) >= API_NAME_MAX)
		return api_json_error(API_E_BAD_REQUEST, "argument \"user\": \"%.64s\" is not a user name", user);
	ret = store_user_revoke(r->ctx->store, user, now);
	api_audit(r, "user_revoke", user, ret == 0 ? "ok" : "failed", NULL);
	if (ret != 0)
		return api_json_error(API_E_INTERNAL, "cannot revoke %s's tokens: %s", user, strerror(-ret));
	reply = api_json_ok();
	json_object_set_new(reply, "user", json_string(user));
	json_object_set_new(reply, "revoked_before", json_integer(now));
	return reply;
}
