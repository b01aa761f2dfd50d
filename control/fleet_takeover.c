/* SPDX-License-Identifier: BSD-3-Clause */
/* Taking a dead host's place, and standing by (fleet_takeover.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "addr.h"
#include "fleet_takeover.h"
#include "store/takeover_store.h"

#define WATCH_S 1
#define DEAD_MAX 16 /* hosts taken per round; the rest in the next one */

struct fleet_takeover {
	struct fleet_takeover_env env;
	struct event *watch;
	char standby_for[STORE_NAME_MAX]; /* "" or who holds this host's addresses */
	bool silenced;                     /* this host's own addresses are silenced in spgate-dp */
};

static int64_t now_of(const struct fleet_takeover *t)
{
	return t->env.now != NULL ? t->env.now() : (int64_t)time(NULL);
}

static const char *me(const struct fleet_takeover *t)
{
	return fleet_id(t->env.fleet);
}

static void dp_addr(struct fleet_takeover *t, uint8_t op, uint8_t port, uint32_t addr, const char *whose)
{
	char a[SPG_ADDR_STRLEN];
	int rc;

	if (addr == 0)
		return;
	rc = t->env.dp_address(t->env.dp_arg, op, port, addr);
	if (rc != 0)
		fprintf(stderr, "spgate-control: gateway %s: spgate-dp cannot %s the %s address %s of gateway "
				"host %s: %s\n", me(t), op == SPG_DP_ADDR_ADD ? "take" : "release",
			port == SPG_DP_PORT_VENDOR ? "vendor-side" : "SP-side", spg_addr_str(addr, a), whose,
			strerror(-rc));
}

static int add_held(const struct store_gateway_addresses *a, void *arg)
{
	struct fleet_takeover *t = arg;

	dp_addr(t, SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, a->vendor_address, a->id);
	dp_addr(t, SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, a->sp_address, a->id);
	return 0;
}

/*
 * Makes spgate-dp's addresses what the store says. announce: (re)activate this host's own
 * addresses even if they were not silenced here (a dataplane that is new to us, or this
 * host's own just taken back from a dead holder).
 */
static void addresses_apply(struct fleet_takeover *t, bool announce)
{
	const struct dpp_hello *h = t->env.dp_hello(t->env.dp_arg);
	struct store_gateway_addresses own;
	bool elsewhere;
	int rc;

	if (h == NULL)
		return; /* fleet_takeover_dp_up applies it when spgate-dp is back */
	rc = store_gateway_addresses_get(t->env.st, me(t), &own);
	if (rc != 0)
		return;
	elsewhere = strcmp(own.holder, me(t)) != 0;
	if (elsewhere && (!t->silenced || announce)) {
		dp_addr(t, SPG_DP_ADDR_DEL, SPG_DP_PORT_VENDOR, h->vendor_addr, me(t));
		dp_addr(t, SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, h->outer_addr, me(t));
		fprintf(stderr, "spgate-control: gateway %s: gateway host %s holds this host's service addresses "
				"since it took this host over; standing by (no connects here, nothing taken back)\n",
			me(t), own.holder);
	} else if (!elsewhere && (t->silenced || announce)) {
		dp_addr(t, SPG_DP_ADDR_ADD, SPG_DP_PORT_VENDOR, h->vendor_addr, me(t));
		dp_addr(t, SPG_DP_ADDR_ADD, SPG_DP_PORT_SP, h->outer_addr, me(t));
		if (t->silenced)
			fprintf(stderr, "spgate-control: gateway %s: this host's service addresses are its own again\n",
				me(t));
	}
	t->silenced = elsewhere;
	snprintf(t->standby_for, sizeof(t->standby_for), "%s", elsewhere ? own.holder : "");
	store_gateway_held_foreach(t->env.st, me(t), add_held, t);
}

static void audit_host(struct fleet_takeover *t, const char *action, const char *target, json_t *detail)
{
	char *text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;

	if (t->env.audit != NULL)
		audit_event_at(t->env.audit, now_of(t), "system", action, target, "ok", text);
	free(text);
	json_decref(detail);
}

static void take_one(struct fleet_takeover *t, const struct store_gateway_dead *d)
{
	int64_t moved = 0;
	int rc, n;

	rc = store_gateway_take(t->env.st, d->id, d->generation, me(t), now_of(t), &moved);
	if (rc == -EALREADY)
		return; /* another survivor won, or it renewed after all */
	if (rc != 0) {
		fprintf(stderr, "spgate-control: gateway %s: cannot take over dead gateway host %s: %s (%s)\n", me(t),
			d->id, strerror(-rc), store_errmsg(t->env.st));
		return;
	}
	fprintf(stderr, "spgate-control: gateway %s: gateway host %s's lease expired; took over its %lld live "
			"sessions and its service addresses (its generation %lld is fenced)\n",
		me(t), d->id, (long long)moved, (long long)d->generation);
	audit_host(t, "gateway_taken_over", d->id,
		   json_pack("{s:s, s:s, s:I, s:I}", "from", d->id, "to", me(t), "sessions", (json_int_t)moved,
			     "fenced_generation", (json_int_t)d->generation));
	addresses_apply(t, false);
	n = session_mgr_take(t->env.sessions, d->id);
	if (n < 0)
		fprintf(stderr, "spgate-control: gateway %s: taking gateway host %s's sessions: %s\n", me(t), d->id,
			strerror(-n));
}

static int collect_dead(const struct store_gateway_dead *d, void *arg)
{
	struct store_gateway_dead *list = arg;
	size_t i;

	for (i = 0; i < DEAD_MAX && list[i].id[0] != '\0'; i++)
		;
	if (i == DEAD_MAX)
		return 1;
	list[i] = *d;
	return 0;
}

struct held_list {
	struct store_gateway_addresses a[DEAD_MAX];
	size_t n;
};

static int collect_held(const struct store_gateway_addresses *a, void *arg)
{
	struct held_list *l = arg;

	if (l->n == DEAD_MAX)
		return 1;
	l->a[l->n++] = *a;
	return 0;
}

/*
 * Addresses held for a host that lives again, which no session held here sends to any more
 * (the taken sessions have ended): back to their host, which announces them at its next
 * watch and serves connects again. Sessions are never given back.
 */
static void give_back(struct fleet_takeover *t)
{
	struct held_list l = {.n = 0};
	size_t i;

	if (store_gateway_held_foreach(t->env.st, me(t), collect_held, &l) != 0)
		return;
	for (i = 0; i < l.n; i++) {
		const struct store_gateway_addresses *a = &l.a[i];

		if (a->sp_address != 0 && session_mgr_count_from(t->env.sessions, a->sp_address) > 0)
			continue;
		if (store_gateway_give_back(t->env.st, a->id, me(t), now_of(t)) != 0)
			continue; /* its host is still dead, or the store is away */
		dp_addr(t, SPG_DP_ADDR_DEL, SPG_DP_PORT_VENDOR, a->vendor_address, a->id);
		dp_addr(t, SPG_DP_ADDR_DEL, SPG_DP_PORT_SP, a->sp_address, a->id);
		fprintf(stderr, "spgate-control: gateway %s: gave gateway host %s's service addresses back (no "
				"session here uses them any more)\n", me(t), a->id);
		audit_host(t, "gateway_addresses_returned", a->id, json_pack("{s:s, s:s}", "from", me(t), "to", a->id));
	}
}

void fleet_takeover_watch(struct fleet_takeover *t)
{
	struct store_gateway_dead dead[DEAD_MAX];
	size_t i;
	int rc;

	/* only a host that surely lives, with a dataplane to put the sessions in, takes over */
	if (!fleet_lease_fresh(t->env.fleet) || t->env.dp_hello(t->env.dp_arg) == NULL)
		return;
	if (t->silenced)
		addresses_apply(t, false); /* given back? */
	give_back(t);
	if (!fleet_may_take_over(t->env.fleet))
		return;
	memset(dead, 0, sizeof(dead));
	rc = store_gateway_dead_foreach(t->env.st, me(t), now_of(t), collect_dead, dead);
	if (rc < 0)
		return; /* the store is away: store_watch says so */
	for (i = 0; i < DEAD_MAX && dead[i].id[0] != '\0'; i++)
		take_one(t, &dead[i]);
}

static void watch_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	fleet_takeover_watch(arg);
}

/* Another host took this one's lease: its sessions run there now. */
static void on_fenced(int64_t old_generation, void *arg)
{
	struct fleet_takeover *t = arg;
	size_t n = session_mgr_forget_all(t->env.sessions);

	fprintf(stderr, "spgate-control: gateway %s: fenced: another host took this host's lease (generation "
			"%lld) and its sessions; dropped %zu sessions from this host without ending them\n",
		me(t), (long long)old_generation, n);
	audit_host(t, "gateway_fenced", me(t),
		   json_pack("{s:I, s:I}", "fenced_generation", (json_int_t)old_generation, "sessions_dropped",
			     (json_int_t)n));
	addresses_apply(t, false);
}

struct fleet_takeover *fleet_takeover_start(const struct fleet_takeover_env *env)
{
	struct fleet_takeover *t = calloc(1, sizeof(*t));
	struct timeval tv = {.tv_sec = WATCH_S};

	if (t == NULL)
		return NULL;
	t->env = *env;
	if (store_kind(env->st) != DB_POSTGRESQL)
		return t; /* one host: nobody to take over, nobody to take this one */
	t->watch = event_new(env->base, -1, EV_PERSIST, watch_cb, t);
	if (t->watch == NULL || event_add(t->watch, &tv) != 0) {
		fleet_takeover_stop(t);
		return NULL;
	}
	fleet_on_fenced(env->fleet, on_fenced, t);
	return t;
}

void fleet_takeover_stop(struct fleet_takeover *t)
{
	if (t == NULL)
		return;
	if (t->watch != NULL) {
		event_free(t->watch);
		fleet_on_fenced(t->env.fleet, NULL, NULL);
	}
	free(t);
}

void fleet_takeover_dp_up(struct fleet_takeover *t)
{
	const struct dpp_hello *h;
	int rc;

	if (t == NULL || t->watch == NULL || (h = t->env.dp_hello(t->env.dp_arg)) == NULL)
		return;
	rc = store_gateway_publish(t->env.st, me(t), fleet_generation(t->env.fleet), h->vendor_addr, h->outer_addr);
	if (rc != 0)
		fprintf(stderr, "spgate-control: gateway %s: cannot publish this host's service addresses: %s\n", me(t),
			strerror(-rc));
	addresses_apply(t, true);
}

const char *fleet_takeover_standby(const struct fleet_takeover *t)
{
	return t != NULL ? t->standby_for : "";
}
