/* SPDX-License-Identifier: BSD-3-Clause */
/* The workstation a connect may name: see workstation.h. */
#include <string.h>

#include "addr.h"
#include "workstation.h"

#define ITEM_MAX 24 /* "255.255.255.255/32" + NUL, with room to spare */

/* Calls fn on each prefix of list; false at the first malformed one (or fn's false). */
static bool each_prefix(const char *list, bool (*fn)(uint32_t net, uint8_t len, void *arg), void *arg)
{
	const char *p = list, *end;
	char item[ITEM_MAX];
	uint32_t net;
	uint8_t len;
	size_t n;

	if (p == NULL || *p == '\0')
		return true;
	while (p != NULL) {
		end = strchr(p, ';');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n == 0 || n >= sizeof(item))
			return false;
		memcpy(item, p, n);
		item[n] = '\0';
		if (strchr(item, '/') != NULL) {
			if (!spg_prefix_parse(item, &net, &len, true))
				return false;
		} else if (spg_addr_parse(item, &net)) {
			len = 32;
		} else {
			return false;
		}
		if (!fn(net, len, arg))
			return false;
		p = end != NULL ? end + 1 : NULL;
	}
	return true;
}

static bool accept_any(uint32_t net, uint8_t len, void *arg)
{
	(void)net;
	(void)len;
	(void)arg;
	return true;
}

bool workstation_list_valid(const char *list)
{
	return each_prefix(list, accept_any, NULL);
}

struct match {
	uint32_t addr;
	bool found;
};

/* Returns false to stop the walk once found. */
static bool holds(uint32_t net, uint8_t len, void *arg)
{
	struct match *m = arg;

	if ((m->addr & spg_prefix_mask(len)) == net)
		m->found = true;
	return !m->found;
}

bool workstation_allowed(const char *list, uint32_t caller, uint32_t workstation)
{
	struct match m = {workstation, false};

	if (workstation == caller)
		return true;
	if (list == NULL || !workstation_list_valid(list))
		return false;
	each_prefix(list, holds, &m);
	return m.found;
}
