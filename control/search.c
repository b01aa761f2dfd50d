/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Authorization and search. One rule decides what a caller sees: an access rule of one of
 * their groups names the system's customer (and its site, or no site), or they are
 * privileged. The caller's groups reach SQLite as one JSON array (json_each), so the same
 * statement serves any number of groups.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "search.h"
#include "ticket.h"

#define DEFAULT_LIMIT 1000
#define QUERY_MAX 256

/* Visible to ?1 (privileged) or to the groups in the JSON array ?2. */
#define VISIBLE                                                                            \
	"(?1 <> 0 OR EXISTS (SELECT 1 FROM access_rules r WHERE r.customer_id = y.customer_id "   \
	"AND (r.site_id IS NULL OR r.site_id = y.site_id) "                                \
	"AND r.group_name IN (SELECT value FROM json_each(?2))))"

int search_by_parse(const char *s, enum search_by *out)
{
	static const char *const names[] = {
		[SEARCH_ANY] = "any",	       [SEARCH_SERIAL] = "serial",
		[SEARCH_CUSTOMER] = "customer", [SEARCH_SITE] = "site",
		[SEARCH_TICKET] = "ticket",
	};
	size_t i;

	for (i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum search_by)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool search_groups_privileged(struct store *st, const struct ctl_config *cfg,
			      const char *const *groups, size_t n_groups)
{
	struct store_group g;
	size_t i;

	for (i = 0; i < n_groups; i++) {
		if (cfg != NULL && ctl_config_group_in(cfg->sessions.privileged_groups,
						       cfg->sessions.n_privileged_groups, groups[i]))
			return true;
		if (store_group_get(st, groups[i], &g) == 0 && g.privileged)
			return true;
	}
	return false;
}

/* The caller's groups as a JSON array text (free() it); NULL on ENOMEM. */
static char *groups_json(const struct search_caller *who)
{
	json_t *a = json_array();
	char *text;
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < who->n_groups; i++) {
		if (json_array_append_new(a, json_string(who->groups[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/* "%part%" for LIKE, with the pattern characters of part escaped by '\'. */
static void like_pattern(const char *part, char *buf, size_t bufsize)
{
	size_t o = 0;

	buf[o++] = '%';
	for (; *part != '\0' && o + 4 < bufsize; part++) {
		if (*part == '%' || *part == '_' || *part == '\\')
			buf[o++] = '\\';
		buf[o++] = *part;
	}
	buf[o++] = '%';
	buf[o] = '\0';
}

static int bind_caller(db_stmt *q, const struct search_caller *who, char **groups)
{
	*groups = groups_json(who);
	if (*groups == NULL)
		return -ENOMEM;
	db_bind_int(q, 1, who->privileged);
	db_bind_text(q, 2, *groups, -1, DB_STATIC);
	return 0;
}

/* Binds the query and which kinds of match apply (?3..?9). */
static void bind_match(db_stmt *q, const char *query, enum search_by by)
{
	char pattern[2 * QUERY_MAX + 3];
	int64_t ticket = 0;
	bool have_ticket;

	like_pattern(query, pattern, sizeof(pattern));
	have_ticket = ticket_id_parse(query, &ticket) == 0;
	db_bind_int(q, 3, query[0] == '\0');
	db_bind_text(q, 4, pattern, -1, DB_TRANSIENT);
	db_bind_text(q, 5, query, -1, DB_STATIC);
	db_bind_int64(q, 6, have_ticket ? ticket : -1);
	db_bind_int(q, 7, by == SEARCH_ANY || by == SEARCH_SERIAL);
	db_bind_int(q, 8, by == SEARCH_ANY || by == SEARCH_CUSTOMER);
	db_bind_int(q, 9, by == SEARCH_ANY || by == SEARCH_SITE);
	db_bind_int(q, 10, by == SEARCH_ANY || by == SEARCH_TICKET);
}

int search_systems(struct store *st, const struct search_caller *who, const char *query,
		   enum search_by by, unsigned limit,
		   int (*fn)(const struct store_system *s, void *arg), void *arg)
{
	struct store_system s;
	char *groups = NULL;
	db_stmt *q;
	int rc, fn_rc = 0;

	if (query == NULL)
		query = "";
	if (strlen(query) > QUERY_MAX)
		return -EINVAL;
	rc = store_prepare(st, "SELECT " STORE_SYSTEM_COLUMNS " FROM " STORE_SYSTEM_FROM
			   " WHERE " VISIBLE " AND (?3 <> 0"
			   " OR (?7 <> 0 AND y.serial LIKE ?4 ESCAPE '\\')"
			   " OR (?8 <> 0 AND c.name = ?5 COLLATE NOCASE)"
			   " OR (?9 <> 0 AND t.name = ?5 COLLATE NOCASE)"
			   " OR (?10 <> 0 AND y.serial IN (SELECT serial FROM tickets WHERE id = ?6)))"
			   " ORDER BY y.serial LIMIT ?11", &q);
	if (rc < 0)
		return rc;
	rc = bind_caller(q, who, &groups);
	if (rc < 0) {
		db_finalize(q);
		return rc;
	}
	bind_match(q, query, by);
	db_bind_int64(q, 11, limit ? limit : DEFAULT_LIMIT);
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		store_system_read(q, 0, &s);
		fn_rc = fn(&s, arg);
	}
	rc = store_finalize(q, rc, fn_rc);
	free(groups);
	return rc;
}

int search_may_access(struct store *st, const struct search_caller *who, const char *serial)
{
	struct store_system s;
	char *groups = NULL;
	db_stmt *q;
	int rc;

	rc = store_system_get(st, serial, &s);
	if (rc < 0)
		return rc;
	if (who->privileged)
		return 1;
	q = store_stmt(st, "SELECT 1 FROM systems y WHERE y.serial = ?3 AND " VISIBLE);
	if (q == NULL)
		return -EIO;
	rc = bind_caller(q, who, &groups);
	if (rc == 0) {
		db_bind_text(q, 3, serial, -1, DB_STATIC);
		rc = store_step_row(st, q);
		db_reset(q);
	}
	free(groups);
	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : 1;
}
