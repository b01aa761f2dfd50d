/* SPDX-License-Identifier: BSD-3-Clause */
/* Allocation: lines in order of preference, virtual addresses with hold-back, SPIs, holders. */
#include <arpa/inet.h>
#include <errno.h>

#include "alloc.h"
#include "ctl_test.h"

#define NOW 1700000000

static char dir[64], db[512];
static struct store *st;

static uint32_t ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void fresh(void)
{
	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	if (ctl_test_load_sample(st) != 0)
		abort();
}

static void done(void)
{
	store_close(st);
	st = NULL;
	ctl_test_rmdir(dir);
}

static int64_t session(const char *serial, const char *user)
{
	struct store_session s;

	memset(&s, 0, sizeof(s));
	snprintf(s.serial, sizeof(s.serial), "%s", serial);
	snprintf(s.user, sizeof(s.user), "%s", user);
	s.workstation = ip("198.51.100.7");
	s.state = STORE_SESSION_REQUESTED;
	s.created = s.updated = NOW;
	if (store_session_create(st, &s) != 0)
		abort();
	return s.id;
}

static void add_line(const char *id, const char *region, const char *customer,
		     enum store_connect type)
{
	struct store_line l = { .type = type };

	snprintf(l.id, sizeof(l.id), "%s", id);
	snprintf(l.region, sizeof(l.region), "%s", region);
	snprintf(l.customer, sizeof(l.customer), "%s", customer);
	if (type == STORE_CONNECT_MODEM)
		snprintf(l.device, sizeof(l.device), "/dev/ttyS0");
	if (store_line_put(st, &l, true) != 0)
		abort();
}

/* The line alloc_line picks for a new session to serial ("none" if -ENOSPC). */
static const char *pick(const char *serial)
{
	static struct store_line l;
	int rc = alloc_line(st, serial, session(serial, "alice"), &l);

	if (rc == -ENOSPC)
		return "none";
	return rc == 0 ? l.id : "error";
}

static void a_line_dedicated_to_the_customer_comes_first(void)
{
	fresh();
	add_line("acme1", "us", "acme", STORE_CONNECT_NETWORK);
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "acme1");
	/* Another customer never gets acme's line, even when it is idle. */
	CU_ASSERT_EQUAL(alloc_line_release(st, "acme1"), 0);
	CU_ASSERT_STRING_NOT_EQUAL(pick("CK3001"), "acme1");
	done();
}

static void a_line_of_the_same_region_comes_before_any_other(void)
{
	fresh();
	add_line("us1", "us", "", STORE_CONNECT_NETWORK);
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net1");
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net2");
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net3");
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "us1"); /* eu is full: any shared line */
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "none");
	done();
}

static void free_lines_are_used_in_turn(void)
{
	struct store_line l;

	fresh();
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net1");
	CU_ASSERT_EQUAL(alloc_line_release(st, "net1"), 0);
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net2");
	CU_ASSERT_EQUAL(alloc_line_release(st, "net2"), 0);
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net3");
	CU_ASSERT_EQUAL(alloc_line_release(st, "net3"), 0);
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net1");
	CU_ASSERT_EQUAL(store_line_get(st, "net1", &l), 0);
	CU_ASSERT_EQUAL(l.state, STORE_LINE_DIALING);
	CU_ASSERT(l.session_id > 0);
	done();
}

static void disabled_failed_and_modem_lines_are_not_picked_for_a_network_system(void)
{
	fresh();
	CU_ASSERT_EQUAL(store_line_set_state(st, "net1", STORE_LINE_DISABLED, 0), 0);
	CU_ASSERT_EQUAL(store_line_set_state(st, "net2", STORE_LINE_FAILED, 0), 0);
	add_line("modem1", "eu", "", STORE_CONNECT_MODEM);
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "net3");
	CU_ASSERT_STRING_EQUAL(pick("CK2001"), "none");
	done();
}

static void the_session_row_names_its_line(void)
{
	struct store_session s;
	struct store_line l;
	int64_t id;

	fresh();
	id = session("CK2001", "alice");
	CU_ASSERT_EQUAL_FATAL(alloc_line(st, "CK2001", id, &l), 0);
	CU_ASSERT_EQUAL(store_session_get(st, id, &s), 0);
	CU_ASSERT_STRING_EQUAL(s.line_id, l.id);
	CU_ASSERT_EQUAL(alloc_line(st, "CK9999", id, &l), -ENOENT);
	done();
}

static void a_29_pool_gives_six_distinct_host_addresses_then_enospc(void)
{
	uint32_t got[6], a, h;
	int i, j;

	fresh();
	for (i = 0; i < 6; i++) {
		CU_ASSERT_EQUAL_FATAL(alloc_virtual_address(st, session("CK2001", "alice"),
							    ip("198.18.0.0"), 29, NOW, &got[i]),
				      0);
		h = ntohl(got[i]);
		CU_ASSERT(h > ntohl(ip("198.18.0.0")) && h < ntohl(ip("198.18.0.7")));
		for (j = 0; j < i; j++)
			CU_ASSERT_NOT_EQUAL(got[i], got[j]);
	}
	CU_ASSERT_EQUAL(alloc_virtual_address(st, session("CK2001", "alice"), ip("198.18.0.0"),
					      29, NOW, &a),
			-ENOSPC);
	done();
}

static void a_released_address_rests_for_its_holdback(void)
{
	int64_t ids[6];
	uint32_t got[6], a;
	int i;

	fresh();
	for (i = 0; i < 6; i++) {
		ids[i] = session("CK2001", "alice");
		CU_ASSERT_EQUAL_FATAL(alloc_virtual_address(st, ids[i], ip("198.18.0.0"), 29, NOW,
							    &got[i]), 0);
	}
	CU_ASSERT_EQUAL(store_session_set_state(st, ids[2], STORE_SESSION_CLOSED, "done", NOW), 0);
	CU_ASSERT_EQUAL(alloc_release_address(st, got[2], NOW, 60), 0);
	CU_ASSERT_EQUAL(alloc_virtual_address(st, session("CK2001", "alice"), ip("198.18.0.0"),
					      29, NOW + 59, &a),
			-ENOSPC);
	CU_ASSERT_EQUAL(alloc_virtual_address(st, session("CK2001", "alice"), ip("198.18.0.0"),
					      29, NOW + 60, &a),
			0);
	CU_ASSERT_EQUAL(a, got[2]);
	done();
}

static void addresses_are_handed_out_in_turn_not_lowest_first(void)
{
	uint32_t first, second, third;
	int64_t id;

	fresh();
	id = session("CK2001", "alice");
	CU_ASSERT_EQUAL(alloc_virtual_address(st, id, ip("198.18.0.0"), 29, NOW, &first), 0);
	CU_ASSERT_EQUAL(store_session_set_state(st, id, STORE_SESSION_CLOSED, NULL, NOW), 0);
	CU_ASSERT_EQUAL(alloc_release_address(st, first, NOW, 0), 0); /* no hold-back at all */
	CU_ASSERT_EQUAL(alloc_virtual_address(st, session("CK2001", "alice"), ip("198.18.0.0"),
					      29, NOW, &second),
			0);
	CU_ASSERT_NOT_EQUAL(second, first);
	CU_ASSERT_EQUAL(alloc_virtual_address(st, session("CK2002", "alice"), ip("198.18.0.0"),
					      29, NOW, &third),
			0);
	CU_ASSERT_EQUAL(ntohl(third), ntohl(second) + 1);
	done();
}

static void a_pool_too_small_or_too_large_is_refused(void)
{
	uint32_t a;

	fresh();
	CU_ASSERT_EQUAL(alloc_virtual_address(st, session("CK2001", "alice"), ip("198.18.0.0"),
					      31, NOW, &a),
			-EINVAL);
	CU_ASSERT_EQUAL(alloc_virtual_address(st, session("CK2001", "alice"), ip("10.0.0.0"), 7,
					      NOW, &a),
			-EINVAL);
	done();
}

static void spis_are_at_least_256_and_never_one_a_live_session_has(void)
{
	struct store_session s;
	uint32_t spi;
	int64_t id;
	int i;

	fresh();
	for (i = 0; i < 1000; i++) {
		CU_ASSERT_EQUAL_FATAL(alloc_spi(st, &spi), 0);
		CU_ASSERT(spi >= 256);
	}
	id = session("CK2001", "alice");
	CU_ASSERT_EQUAL(store_session_get(st, id, &s), 0);
	s.spi_in = spi;
	CU_ASSERT_EQUAL(store_session_update(st, &s), 0);
	CU_ASSERT_EQUAL(store_session_spi_in_use(st, spi), 1);
	CU_ASSERT_EQUAL(store_session_set_state(st, id, STORE_SESSION_CLOSED, NULL, NOW), 0);
	CU_ASSERT_EQUAL(store_session_spi_in_use(st, spi), 0);
	done();
}

static void the_holder_of_a_system_is_told_with_workstation_and_since(void)
{
	struct alloc_holder h;
	int64_t id;

	fresh();
	CU_ASSERT_EQUAL(alloc_holder(st, "CK2001", &h), 0);
	id = session("CK2001", "alice");
	CU_ASSERT_EQUAL(alloc_holder(st, "CK2001", &h), 1);
	CU_ASSERT_EQUAL(h.session, id);
	CU_ASSERT_STRING_EQUAL(h.user, "alice");
	CU_ASSERT_EQUAL(h.workstation, ip("198.51.100.7"));
	CU_ASSERT_EQUAL(h.since, NOW);
	CU_ASSERT_EQUAL(alloc_holder(st, "CK2002", &h), 0);
	CU_ASSERT_EQUAL(store_session_set_state(st, id, STORE_SESSION_FAILED, "x", NOW), 0);
	CU_ASSERT_EQUAL(alloc_holder(st, "CK2001", &h), 0);
	done();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "a_line_dedicated_to_the_customer_comes_first",
		  a_line_dedicated_to_the_customer_comes_first },
		{ "a_line_of_the_same_region_comes_before_any_other",
		  a_line_of_the_same_region_comes_before_any_other },
		{ "free_lines_are_used_in_turn", free_lines_are_used_in_turn },
		{ "disabled_failed_and_modem_lines_are_not_picked_for_a_network_system",
		  disabled_failed_and_modem_lines_are_not_picked_for_a_network_system },
		{ "the_session_row_names_its_line", the_session_row_names_its_line },
		{ "a_29_pool_gives_six_distinct_host_addresses_then_enospc",
		  a_29_pool_gives_six_distinct_host_addresses_then_enospc },
		{ "a_released_address_rests_for_its_holdback",
		  a_released_address_rests_for_its_holdback },
		{ "addresses_are_handed_out_in_turn_not_lowest_first",
		  addresses_are_handed_out_in_turn_not_lowest_first },
		{ "a_pool_too_small_or_too_large_is_refused",
		  a_pool_too_small_or_too_large_is_refused },
		{ "spis_are_at_least_256_and_never_one_a_live_session_has",
		  spis_are_at_least_256_and_never_one_a_live_session_has },
		{ "the_holder_of_a_system_is_told_with_workstation_and_since",
		  the_holder_of_a_system_is_told_with_workstation_and_since },
		{ NULL, NULL },
	};

	return ctl_test_run("alloc", cases, NULL, NULL);
}
