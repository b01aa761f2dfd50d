/* SPDX-License-Identifier: BSD-3-Clause */
/* Allocation: lines in order of preference, virtual addresses with hold-back, SPIs, holders. */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

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

/* ---- the fleet's race: two hosts allocating at once against one PostgreSQL ---- */

#define RACE_HOSTS 2
#define RACE_CONNECTS 200 /* split across the hosts */
#define RACE_TIMEOUT_S 120

/* What one host's connects got. */
struct race_tally {
	unsigned answered, addresses, spis, lines, no_line, errors;
};

/* One connect's allocations as session.c makes them: address, SPI, line. */
static void race_connect(struct store *s, struct race_tally *t)
{
	struct store_session row;
	struct store_line line;
	uint32_t addr, spi;
	int rc, tries;

	memset(&row, 0, sizeof(row));
	snprintf(row.serial, sizeof(row.serial), "CK2001");
	snprintf(row.user, sizeof(row.user), "racer");
	row.state = STORE_SESSION_REQUESTED;
	row.created = row.updated = NOW;
	if (store_session_create(s, &row) != 0) {
		t->errors++;
		return;
	}
	rc = alloc_virtual_address(s, row.id, ip("198.18.0.0"), 23, NOW, &addr);
	t->addresses += rc == 0;
	/* the SPI is checked, then written with the session: a clash between hosts fails the
	 * write (unique index), and the connect picks again */
	for (tries = 0, rc = -EEXIST; rc == -EEXIST && tries < 3; tries++) {
		if (alloc_spi(s, &spi) != 0 || store_session_get(s, row.id, &row) != 0)
			break;
		row.spi_in = spi;
		rc = store_session_update(s, &row);
	}
	t->spis += rc == 0;
	rc = alloc_line(s, "CK2001", row.id, &line);
	t->lines += rc == 0;
	t->no_line += rc == -ENOSPC;
	t->answered++;
	if (rc != 0 && rc != -ENOSPC)
		t->errors++;
}

/* A host: its own connection, started together with the others by the closing of go. */
static void race_host(int go, unsigned host, unsigned n)
{
	struct race_tally t = { 0 };
	char err[256], c;
	struct store *s;
	unsigned i;

	s = store_open(db, err, sizeof(err));
	if (s == NULL) {
		fprintf(stderr, "host %u: %s\n", host, err);
		_exit(2);
	}
	store_set_gateway_id(s, host == 0 ? "gw-a" : "gw-b");
	if (read(go, &c, 1) < 0)
		_exit(2);
	for (i = 0; i < n; i++)
		race_connect(s, &t);
	store_close(s);
	printf("race: host %u: %u connects answered: %u addresses, %u SPIs, %u lines, %u without a "
	       "line (none free), %u errors\n",
	       host, t.answered, t.addresses, t.spis, t.lines, t.no_line, t.errors);
	fflush(stdout);
	_exit(t.answered == n && t.errors == 0 ? 0 : 1);
}

static int64_t race_count(const char *sql)
{
	db_stmt *q;
	int64_t n = -1;

	if (db_prepare(store_db(st), sql, &q) != 0)
		return -1;
	if (db_step(q) == DB_ROW)
		n = db_column_int64(q, 0);
	db_finalize(q);
	return n;
}

static bool race_wait(pid_t *pids)
{
	time_t deadline = time(NULL) + RACE_TIMEOUT_S;
	unsigned left = RACE_HOSTS, h;
	bool ok = true;
	int status;

	while (left > 0 && time(NULL) < deadline) {
		for (h = 0; h < RACE_HOSTS; h++) {
			if (pids[h] <= 0 || waitpid(pids[h], &status, WNOHANG) != pids[h])
				continue;
			ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
			pids[h] = 0;
			left--;
		}
		usleep(20000);
	}
	for (h = 0; h < RACE_HOSTS; h++)
		if (pids[h] > 0) {
			kill(pids[h], SIGKILL);
			waitpid(pids[h], &status, 0);
			ok = false;
		}
	return ok;
}

/*
 * Issue 14's race: 200 connects split across two hosts on one PostgreSQL pool. No address,
 * SPI or line is ever held by two live sessions, every connect is answered, and the lines
 * that exist are all handed out (to one session each).
 */
static void two_hosts_never_hand_out_an_address_spi_or_line_twice(void)
{
	pid_t pids[RACE_HOSTS] = { 0 };
	int go[2];
	unsigned h;
	int64_t lines;

	if (ctl_test_pg() == NULL) {
		fprintf(stderr, "(two hosts on one PostgreSQL: skipped on SQLite) ");
		return;
	}
	fresh();
	for (h = 4; h <= 40; h++) { /* more lines than the sample's: races on them too */
		char id[16];

		snprintf(id, sizeof(id), "eu%u", h);
		add_line(id, "eu", "", STORE_CONNECT_NETWORK);
	}
	lines = race_count("SELECT COUNT(*) FROM lines WHERE state = 'idle' AND type = 'network'");
	CU_ASSERT_FATAL(pipe(go) == 0);
	fflush(stdout);
	for (h = 0; h < RACE_HOSTS; h++) {
		pids[h] = fork();
		if (pids[h] == 0) {
			close(go[1]);
			race_host(go[0], h, RACE_CONNECTS / RACE_HOSTS);
		}
	}
	close(go[0]);
	close(go[1]); /* go */
	CU_ASSERT_TRUE(race_wait(pids));
	printf("race: %lld sessions; %lld live addresses (%lld distinct), %lld SPIs (%lld distinct), "
	       "%lld lines held (%lld distinct) of %lld\n",
	       (long long)race_count("SELECT COUNT(*) FROM sessions"),
	       (long long)race_count("SELECT COUNT(virtual_address) FROM sessions WHERE closed IS NULL"),
	       (long long)race_count("SELECT COUNT(DISTINCT virtual_address) FROM sessions WHERE closed IS NULL"),
	       (long long)race_count("SELECT COUNT(*) FROM sessions WHERE closed IS NULL AND spi_in <> 0"),
	       (long long)race_count("SELECT COUNT(DISTINCT spi_in) FROM sessions WHERE closed IS NULL AND spi_in <> 0"),
	       (long long)race_count("SELECT COUNT(line_id) FROM sessions WHERE closed IS NULL"),
	       (long long)race_count("SELECT COUNT(DISTINCT line_id) FROM sessions WHERE closed IS NULL"),
	       (long long)lines);
	CU_ASSERT_EQUAL(race_count("SELECT COUNT(*) FROM sessions"), RACE_CONNECTS);
	CU_ASSERT_EQUAL(race_count("SELECT COUNT(DISTINCT virtual_address) FROM sessions WHERE closed IS NULL"),
			RACE_CONNECTS);
	CU_ASSERT_EQUAL(race_count("SELECT COUNT(DISTINCT spi_in) FROM sessions WHERE closed IS NULL AND spi_in <> 0"),
			RACE_CONNECTS);
	CU_ASSERT_EQUAL(race_count("SELECT COUNT(line_id) FROM sessions WHERE closed IS NULL"), lines);
	CU_ASSERT_EQUAL(race_count("SELECT COUNT(DISTINCT line_id) FROM sessions WHERE closed IS NULL"), lines);
	/* each line held names the one session that holds it */
	CU_ASSERT_EQUAL(race_count("SELECT COUNT(*) FROM lines l JOIN sessions s ON s.line_id = l.id "
				   "AND s.id = l.session_id WHERE s.closed IS NULL"),
			lines);
	CU_ASSERT_EQUAL(race_count("SELECT COUNT(DISTINCT owner_gateway) FROM sessions"), RACE_HOSTS);
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
		{ "two_hosts_never_hand_out_an_address_spi_or_line_twice",
		  two_hosts_never_hand_out_an_address_spi_or_line_twice },
		{ NULL, NULL },
	};

	return ctl_test_run("alloc", cases, NULL, NULL);
}
