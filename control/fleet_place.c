/* SPDX-License-Identifier: BSD-3-Clause */
/* Where a new session runs in a fleet: see fleet_place.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "fleet_place.h"

/* A host that can run a session now: alive, its spgate-dp published, holding its own addresses. */
static bool can_serve(const struct store_gateway *g, const char *me, bool me_standby)
{
	bool self = strcmp(g->id, me) == 0;

	if (!g->alive || g->vendor_address == 0)
		return false;
	if (self)
		return !me_standby;
	return g->holder[0] == '\0' || strcmp(g->holder, g->id) == 0;
}

/* Whether a is a better choice than b (b may be NULL). */
static bool better(const struct store_gateway *a, const struct store_gateway *b, const char *me)
{
	if (b == NULL)
		return true;
	if (a->sessions != b->sessions)
		return a->sessions < b->sessions;
	if ((strcmp(a->id, me) == 0) != (strcmp(b->id, me) == 0))
		return strcmp(a->id, me) == 0;
	if (a->load != b->load)
		return a->load < b->load;
	return strcmp(a->id, b->id) < 0;
}

int fleet_place_choose(const struct store_gateway *g, size_t n, const char *me, bool me_standby)
{
	const struct store_gateway *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (can_serve(&g[i], me, me_standby) && better(&g[i], best, me))
			best = &g[i];
	return best != NULL ? (int)(best - g) : -1;
}

struct gateway_list {
	struct store_gateway *g;
	size_t n, cap;
};

static int collect(const struct store_gateway *g, void *arg)
{
	struct gateway_list *l = arg;

	return spg_grow_append(&l->g, &l->n, &l->cap, sizeof(*g), 8, g);
}

int fleet_place(struct store *st, const char *me, bool me_standby, int64_t now, char *out, size_t len)
{
	struct gateway_list l = {NULL, 0, 0};
	int rc = store_gateway_foreach(st, now, collect, &l), i;

	if (rc == 0) {
		i = fleet_place_choose(l.g, l.n, me, me_standby);
		if (i < 0)
			rc = -ENOENT;
		else
			snprintf(out, len, "%s", l.g[i].id);
	}
	free(l.g);
	return rc;
}
