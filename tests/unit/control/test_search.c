/* SPDX-License-Identifier: BSD-3-Clause */
/* Authorization and search: who sees which system, by serial, customer, site and ticket. */
#include <errno.h>

#include "ctl_test.h"
#include "search.h"
#include "store/inventory_store.h"
#include "ticket.h"

#define NOW 1700000000

static char dir[64], db[512];
static struct store *st;

static const char *const eu[] = { "storage-eu" };
static const char *const globex_only[] = { "storage-globex" };
static const char *const admins[] = { "support-admins" };
static const struct search_caller alice = { "alice", eu, 1, false };
static const struct search_caller bob = { "bob", globex_only, 1, false };
static const struct search_caller nobody = { "mallory", NULL, 0, false };
static const struct search_caller operator = { "root", NULL, 0, true };

struct found {
	char serials[8][STORE_SERIAL_MAX];
	unsigned n;
};

static int collect(const struct store_system *s, void *arg)
{
	struct found *f = arg;

	if (f->n < 8)
		snprintf(f->serials[f->n], STORE_SERIAL_MAX, "%s", s->serial);
	f->n++;
	return 0;
}

/* The serials found, comma-separated, in search order ("" for none; "error" on failure). */
static const char *search(const struct search_caller *who, const char *query, enum search_by by)
{
	static char out[256];
	struct found f = { .n = 0 };
	size_t off = 0;
	unsigned i;

	if (search_systems(st, who, query, by, 0, collect, &f) != 0)
		return "error";
	out[0] = '\0';
	for (i = 0; i < f.n && i < 8; i++)
		off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%s", i ? "," : "",
					f.serials[i]);
	return out;
}

static int setup(void)
{
	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	return ctl_test_load_sample(st) == 0 ? 0 : -1;
}

static int teardown(void)
{
	store_close(st);
	ctl_test_rmdir(dir);
	return 0;
}

static void search_hides_systems_of_other_customers(void)
{
	CU_ASSERT_STRING_EQUAL(search(&alice, "", SEARCH_ANY), "CK2001,CK2002");
	CU_ASSERT_STRING_EQUAL(search(&bob, "", SEARCH_ANY), "CK3001");
	CU_ASSERT_STRING_EQUAL(search(&alice, "CK3001", SEARCH_SERIAL), "");
	CU_ASSERT_STRING_EQUAL(search(&alice, "globex", SEARCH_CUSTOMER), "");
}

static void a_caller_without_groups_sees_nothing(void)
{
	CU_ASSERT_STRING_EQUAL(search(&nobody, "", SEARCH_ANY), "");
}

static void a_privileged_caller_sees_every_system(void)
{
	CU_ASSERT_STRING_EQUAL(search(&operator, "", SEARCH_ANY), "CK2001,CK2002,CK3001");
}

static void privileged_groups_come_from_the_store_and_the_config(void)
{
	struct ctl_config cfg;
	const char *const named[] = { "storage-eu", "night-shift" };

	ctl_config_defaults(&cfg);
	CU_ASSERT(search_groups_privileged(st, NULL, admins, 1));
	CU_ASSERT(!search_groups_privileged(st, &cfg, named, 2));
	snprintf(cfg.sessions.privileged_groups[0], CTL_NAME_MAX, "night-shift");
	cfg.sessions.n_privileged_groups = 1;
	CU_ASSERT(search_groups_privileged(st, &cfg, named, 2));
}

static void a_part_of_a_serial_finds_every_match_whatever_the_case(void)
{
	CU_ASSERT_STRING_EQUAL(search(&operator, "K20", SEARCH_SERIAL), "CK2001,CK2002");
	CU_ASSERT_STRING_EQUAL(search(&operator, "ck3", SEARCH_SERIAL), "CK3001");
	CU_ASSERT_STRING_EQUAL(search(&operator, "001", SEARCH_ANY), "CK2001,CK3001");
}

static void like_wildcards_in_a_query_match_only_themselves(void)
{
	CU_ASSERT_STRING_EQUAL(search(&operator, "%", SEARCH_SERIAL), "");
	CU_ASSERT_STRING_EQUAL(search(&operator, "CK_001", SEARCH_SERIAL), "");
	CU_ASSERT_STRING_EQUAL(search(&operator, "\\", SEARCH_SERIAL), "");
}

static void customer_and_site_match_whole_names(void)
{
	CU_ASSERT_STRING_EQUAL(search(&operator, "ACME", SEARCH_CUSTOMER), "CK2001,CK2002");
	CU_ASSERT_STRING_EQUAL(search(&operator, "acm", SEARCH_CUSTOMER), "");
	CU_ASSERT_STRING_EQUAL(search(&operator, "paris", SEARCH_SITE), "CK2001,CK3001");
	CU_ASSERT_STRING_EQUAL(search(&alice, "paris", SEARCH_SITE), "CK2001");
	CU_ASSERT_STRING_EQUAL(search(&operator, "berlin", SEARCH_ANY), "CK2002");
}

static void a_ticket_finds_its_system_for_those_who_may_see_it(void)
{
	struct store_ticket t;
	char id[32];

	CU_ASSERT_EQUAL_FATAL(ticket_submit(st, &bob, "CK3001", NULL, NULL, "array degraded", NOW,
					    &t), 0);
	snprintf(id, sizeof(id), "T%lld", (long long)t.id);
	CU_ASSERT_STRING_EQUAL(search(&bob, id, SEARCH_TICKET), "CK3001");
	CU_ASSERT_STRING_EQUAL(search(&bob, id + 1, SEARCH_ANY), "CK3001");
	CU_ASSERT_STRING_EQUAL(search(&alice, id, SEARCH_TICKET), "");
	CU_ASSERT_STRING_EQUAL(search(&operator, "T999", SEARCH_TICKET), "");
}

static void may_access_tells_allowed_forbidden_and_unknown_apart(void)
{
	CU_ASSERT_EQUAL(search_may_access(st, &alice, "CK2001"), 1);
	CU_ASSERT_EQUAL(search_may_access(st, &alice, "CK3001"), 0);
	CU_ASSERT_EQUAL(search_may_access(st, &alice, "CK9999"), -ENOENT);
	CU_ASSERT_EQUAL(search_may_access(st, &operator, "CK3001"), 1);
}

static void a_site_rule_allows_only_that_site(void)
{
	static const char *const berlin[] = { "berlin-team" };
	const struct search_caller carol = { "carol", berlin, 1, false };
	struct store_rule r = { .group = "berlin-team", .customer = "acme", .site = "berlin" };

	CU_ASSERT_EQUAL_FATAL(store_rule_put(st, &r), 0);
	CU_ASSERT_STRING_EQUAL(search(&carol, "", SEARCH_ANY), "CK2002");
	CU_ASSERT_EQUAL(search_may_access(st, &carol, "CK2001"), 0);
}

static void a_ticket_by_site_resolves_to_its_only_visible_system(void)
{
	struct store_ticket t, got;

	CU_ASSERT_EQUAL(ticket_submit(st, &alice, NULL, "acme", "berlin", "fan", NOW, &t), 0);
	CU_ASSERT_STRING_EQUAL(t.serial, "CK2002");
	CU_ASSERT_STRING_EQUAL(t.submitted_by, "alice");
	CU_ASSERT_EQUAL(ticket_get(st, &alice, t.id, &got), 0);
	CU_ASSERT_STRING_EQUAL(got.problem, "fan");
	CU_ASSERT_EQUAL(ticket_get(st, &bob, t.id, &got), -ENOENT);
}

static void a_ticket_is_refused_when_it_does_not_name_one_visible_system(void)
{
	struct store_ticket t;
	struct store_system s = { .serial = "CK2003", .customer = "acme", .site = "berlin",
				  .connect = STORE_CONNECT_NETWORK, .address = "203.0.113.14",
				  .profile = "storage-default" };

	CU_ASSERT_EQUAL(ticket_submit(st, &alice, "CK3001", NULL, NULL, "x", NOW, &t), -ENOENT);
	CU_ASSERT_EQUAL(ticket_submit(st, &alice, "CK2001", NULL, NULL, "", NOW, &t), -EINVAL);
	CU_ASSERT_EQUAL(ticket_submit(st, &alice, NULL, "acme", NULL, "x", NOW, &t), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(store_system_put(st, &s), 0);
	CU_ASSERT_EQUAL(ticket_submit(st, &alice, NULL, "acme", "berlin", "x", NOW, &t),
			-ENOTUNIQ);
}

static int count_ticket(const struct store_ticket *t, void *arg)
{
	(void)t;
	(*(unsigned *)arg)++;
	return 0;
}

static void ticket_lists_show_only_visible_tickets(void)
{
	unsigned mine = 0, all = 0;

	CU_ASSERT_EQUAL(ticket_list(st, &bob, count_ticket, &mine), 0);
	CU_ASSERT_EQUAL(ticket_list(st, &operator, count_ticket, &all), 0);
	CU_ASSERT(mine >= 1);
	CU_ASSERT(all > mine);
}

static void ticket_ids_parse_with_or_without_their_letter(void)
{
	int64_t id;

	CU_ASSERT_EQUAL(ticket_id_parse("T42", &id), 0);
	CU_ASSERT_EQUAL(id, 42);
	CU_ASSERT_EQUAL(ticket_id_parse("7", &id), 0);
	CU_ASSERT_EQUAL(id, 7);
	CU_ASSERT_EQUAL(ticket_id_parse("T", &id), -EINVAL);
	CU_ASSERT_EQUAL(ticket_id_parse("CK2001", &id), -EINVAL);
	CU_ASSERT_EQUAL(ticket_id_parse("0", &id), -EINVAL);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "search_hides_systems_of_other_customers",
		  search_hides_systems_of_other_customers },
		{ "a_caller_without_groups_sees_nothing", a_caller_without_groups_sees_nothing },
		{ "a_privileged_caller_sees_every_system", a_privileged_caller_sees_every_system },
		{ "privileged_groups_come_from_the_store_and_the_config",
		  privileged_groups_come_from_the_store_and_the_config },
		{ "a_part_of_a_serial_finds_every_match_whatever_the_case",
		  a_part_of_a_serial_finds_every_match_whatever_the_case },
		{ "like_wildcards_in_a_query_match_only_themselves",
		  like_wildcards_in_a_query_match_only_themselves },
		{ "customer_and_site_match_whole_names", customer_and_site_match_whole_names },
		{ "a_ticket_finds_its_system_for_those_who_may_see_it",
		  a_ticket_finds_its_system_for_those_who_may_see_it },
		{ "may_access_tells_allowed_forbidden_and_unknown_apart",
		  may_access_tells_allowed_forbidden_and_unknown_apart },
		{ "a_site_rule_allows_only_that_site", a_site_rule_allows_only_that_site },
		{ "a_ticket_by_site_resolves_to_its_only_visible_system",
		  a_ticket_by_site_resolves_to_its_only_visible_system },
		{ "a_ticket_is_refused_when_it_does_not_name_one_visible_system",
		  a_ticket_is_refused_when_it_does_not_name_one_visible_system },
		{ "ticket_lists_show_only_visible_tickets", ticket_lists_show_only_visible_tickets },
		{ "ticket_ids_parse_with_or_without_their_letter",
		  ticket_ids_parse_with_or_without_their_letter },
		{ NULL, NULL },
	};

	return ctl_test_run("search", cases, setup, teardown);
}
