/* SPDX-License-Identifier: BSD-3-Clause */
/* Service tickets: submit against a system the submitter may see; list and resolve them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ticket.h"

#define TICKET_ID_DIGITS 15

int ticket_id_parse(const char *s, int64_t *id)
{
	int64_t v = 0;
	size_t n = 0;

	if (s == NULL)
		return -EINVAL;
	if (*s == 'T' || *s == 't')
		s++;
	/* "T042" would name ticket 42 and "042" would too: one spelling per ticket. */
	if (*s == '0')
		return -EINVAL;
	for (; *s != '\0'; s++, n++) {
		if (*s < '0' || *s > '9' || n == TICKET_ID_DIGITS)
			return -EINVAL;
		v = v * 10 + (*s - '0');
	}
	if (n == 0 || v == 0)
		return -EINVAL;
	*id = v;
	return 0;
}

/* What a site search found: how many systems of the wanted customer, and the first. */
struct site_match {
	const char *customer;
	unsigned n;
	struct store_system first;
};

static int count_site_system(const struct store_system *s, void *arg)
{
	struct site_match *m = arg;

	if (strcasecmp(s->customer, m->customer) != 0)
		return 0;
	if (m->n++ == 0)
		m->first = *s;
	return 0;
}

/* The one system at customer's site that who may see. */
static int resolve_site(struct store *st, const struct search_caller *who, const char *customer,
			const char *site, struct store_system *sys)
{
	struct site_match m = { .customer = customer };
	int rc;

	rc = search_systems(st, who, site, SEARCH_SITE, 0, count_site_system, &m);
	if (rc < 0)
		return rc;
	if (m.n == 0)
		return -ENOENT;
	if (m.n > 1)
		return -ENOTUNIQ;
	*sys = m.first;
	return 0;
}

static int resolve_serial(struct store *st, const struct search_caller *who, const char *serial,
			  struct store_system *sys)
{
	int rc = search_may_access(st, who, serial);

	if (rc == 0)
		return -ENOENT; /* not "forbidden": do not tell who that the system exists */
	if (rc < 0)
		return rc;
	return store_system_get(st, serial, sys);
}

int ticket_submit(struct store *st, const struct search_caller *who, const char *serial,
		  const char *customer, const char *site, const char *problem, int64_t now,
		  struct store_ticket *out)
{
	struct store_system sys;
	int rc;

	if (problem == NULL || problem[0] == '\0' || strlen(problem) >= STORE_PROBLEM_MAX)
		return -EINVAL;
	if (serial != NULL && serial[0] != '\0')
		rc = resolve_serial(st, who, serial, &sys);
	else if (customer != NULL && customer[0] != '\0' && site != NULL && site[0] != '\0')
		rc = resolve_site(st, who, customer, site, &sys);
	else
		return -EINVAL;
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	snprintf(out->serial, sizeof(out->serial), "%s", sys.serial);
	snprintf(out->customer, sizeof(out->customer), "%s", sys.customer);
	snprintf(out->site, sizeof(out->site), "%s", sys.site);
	snprintf(out->problem, sizeof(out->problem), "%s", problem);
	snprintf(out->submitted_by, sizeof(out->submitted_by), "%s",
		 who->user != NULL ? who->user : "");
	out->created = now;
	return store_ticket_insert(st, out);
}

int ticket_get(struct store *st, const struct search_caller *who, int64_t id,
	       struct store_ticket *t)
{
	int rc = store_ticket_get(st, id, t);

	if (rc < 0)
		return rc;
	rc = search_may_access(st, who, t->serial);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : -ENOENT;
}

struct visible_filter {
	struct store *st;
	const struct search_caller *who;
	int (*fn)(const struct store_ticket *t, void *arg);
	void *arg;
};

static int pass_visible(const struct store_ticket *t, void *arg)
{
	struct visible_filter *f = arg;
	int rc = search_may_access(f->st, f->who, t->serial);

	if (rc < 0)
		return rc;
	return rc == 1 ? f->fn(t, f->arg) : 0;
}

int ticket_list(struct store *st, const struct search_caller *who,
		int (*fn)(const struct store_ticket *t, void *arg), void *arg)
{
	struct visible_filter f = { .st = st, .who = who, .fn = fn, .arg = arg };

	return store_ticket_foreach(st, pass_visible, &f);
}
