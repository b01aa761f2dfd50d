/* SPDX-License-Identifier: BSD-3-Clause */
/* The store (SQLite, or PostgreSQL under with_pg.sh): schema migrations, transactions, and session and approval rows. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <sys/stat.h>

#include "ctl_test.h"
#include "store/gateway_store.h"
#include "store/handoff_store.h"
#include "store/inventory_store.h"
#include "store/session_store.h"
#include "store/store.h"
#include "store/token_store.h"

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
}

static void done(void)
{
	store_close(st);
	st = NULL;
	ctl_test_rmdir(dir);
}

static int64_t count_rows(struct store *s, const char *table)
{
	char sql[128];
	db_stmt *q;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if (db_prepare(store_db(s), sql, &q) != 0)
		return -1;
	if (db_step(q) == DB_ROW)
		n = db_column_int64(q, 0);
	db_finalize(q);
	return n;
}

static void a_new_database_gets_the_latest_schema(void)
{
	fresh();
	CU_ASSERT_EQUAL(store_schema_version(st), store_latest_version());
	CU_ASSERT(store_latest_version() >= 3);
	CU_ASSERT_EQUAL(count_rows(st, "sessions"), 0);
	CU_ASSERT_EQUAL(count_rows(st, "audit"), 0);
	done();
}

static void a_version_1_database_is_upgraded_and_keeps_its_rows(void)
{
	struct store_customer got;
	char err[256];

	ctl_test_tmpdir(dir, sizeof(dir));
	ctl_test_store_url(dir, db, sizeof(db));
	st = store_open_at(db, 1, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_schema_version(st), 1);
	CU_ASSERT_EQUAL(count_rows(st, "sessions"), -1); /* not there yet */
	/* the version 1 columns only: today's store_customer_put writes columns added later */
	CU_ASSERT_EQUAL(store_exec(st, "INSERT INTO customers (name, approval_policy) VALUES ('acme', 'ask')"), 0);
	store_close(st);

	st = store_open(db, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_schema_version(st), store_latest_version());
	CU_ASSERT_EQUAL(count_rows(st, "sessions"), 0);
	CU_ASSERT_EQUAL(store_customer_get(st, "acme", &got), 0);
	CU_ASSERT_EQUAL(got.policy, STORE_POLICY_ASK);
	CU_ASSERT_EQUAL(got.recording, STORE_RECORDING_OFF); /* migration 7's defaults */
	CU_ASSERT_FALSE(got.require_reason);
	CU_ASSERT_FALSE(got.mfa_required); /* migration 6's default: optional */
	done();
}

static void a_schema_newer_than_the_code_is_refused(void)
{
	char err[256], v[16];
	struct store *again;

	fresh();
	snprintf(v, sizeof(v), "%d", store_latest_version() + 1);
	CU_ASSERT_EQUAL(store_meta_set(st, "schema_version", v), 0);
	store_close(st);
	st = NULL;
	errno = 0;
	again = store_open(db, err, sizeof(err));
	CU_ASSERT_PTR_NULL(again);
	CU_ASSERT_EQUAL(errno, EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "is newer than this spgate-control"));
	store_close(again);
	done();
}

static void the_database_file_is_readable_by_its_owner_only(void)
{
	struct stat sb;

	if (ctl_test_pg() != NULL) {
		fprintf(stderr, "(a SQLite file's mode: skipped on PostgreSQL) ");
		return;
	}
	fresh();
	CU_ASSERT_EQUAL_FATAL(stat(db, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	done();
}

static void wal_mode_and_foreign_keys_are_on(void)
{
	db_stmt *q;

	if (ctl_test_pg() != NULL) {
		fprintf(stderr, "(SQLite's pragmas: skipped on PostgreSQL) ");
		return;
	}
	fresh();
	CU_ASSERT_EQUAL_FATAL(db_prepare(store_db(st), "PRAGMA journal_mode", &q), 0);
	CU_ASSERT_EQUAL(db_step(q), DB_ROW);
	CU_ASSERT_STRING_EQUAL((const char *)db_column_text(q, 0), "wal");
	db_finalize(q);
	CU_ASSERT_EQUAL_FATAL(db_prepare(store_db(st), "PRAGMA foreign_keys", &q), 0);
	CU_ASSERT_EQUAL(db_step(q), DB_ROW);
	CU_ASSERT_EQUAL(db_column_int(q, 0), 1);
	db_finalize(q);
	done();
}

static void an_inner_rollback_undoes_only_the_inner_transaction(void)
{
	struct store_group g = { .name = "outer" }, h = { .name = "inner" }, got;

	fresh();
	CU_ASSERT_EQUAL(store_begin(st), 0);
	CU_ASSERT_EQUAL(store_group_put(st, &g), 0);
	CU_ASSERT_EQUAL(store_begin(st), 0);
	CU_ASSERT_EQUAL(store_group_put(st, &h), 0);
	CU_ASSERT_EQUAL(store_rollback(st), 0);
	CU_ASSERT_EQUAL(store_commit(st), 0);
	CU_ASSERT_EQUAL(store_group_get(st, "outer", &got), 0);
	CU_ASSERT_EQUAL(store_group_get(st, "inner", &got), -ENOENT);
	CU_ASSERT_EQUAL(store_commit(st), -EINVAL); /* nothing open */
	done();
}

static void a_site_of_an_unknown_customer_is_refused(void)
{
	struct store_site s = { .customer = "nobody", .name = "paris", .region = "eu" };

	fresh();
	CU_ASSERT_EQUAL(store_site_put(st, &s), -ENOENT);
	done();
}

static void new_session(struct store_session *s, const char *serial, const char *user)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->serial, sizeof(s->serial), "%s", serial);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->workstation = ip("198.51.100.7");
	s->state = STORE_SESSION_REQUESTED;
	s->created = s->updated = NOW;
}

static void session_rows_survive_a_restart_with_every_field(void)
{
	struct store_session s, got;
	char err[256];

	fresh();
	CU_ASSERT_EQUAL_FATAL(ctl_test_load_sample(st), 0);
	new_session(&s, "CK2001", "alice");
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &s), 0);
	CU_ASSERT(s.id > 0);
	s.state = STORE_SESSION_ACTIVE;
	s.virtual_address = ip("198.18.0.5");
	s.spi_in = 0x1234;
	s.spi_out = 0xabcdef01;
	s.sp_address = ip("192.0.2.10");
	s.speed_bps = 56000;
	s.grant_len = 5;
	memcpy(s.grant, "{\"v\":", 5);
	s.grant_sig_len = 64;
	memset(s.grant_sig, 0xa5, 64);
	s.agent_address = ip("203.0.113.11");
	s.agent_port = 7443;
	s.generation = 2;
	s.updated = NOW + 5;
	snprintf(s.line_id, sizeof(s.line_id), "net1");
	CU_ASSERT_EQUAL(store_session_update(st, &s), 0);
	store_close(st);

	st = store_open(db, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL_FATAL(store_session_get(st, s.id, &got), 0);
	CU_ASSERT_STRING_EQUAL(got.serial, "CK2001");
	CU_ASSERT_STRING_EQUAL(got.customer, "acme");
	CU_ASSERT_STRING_EQUAL(got.user, "alice");
	CU_ASSERT_EQUAL(got.workstation, ip("198.51.100.7"));
	CU_ASSERT_EQUAL(got.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(got.virtual_address, ip("198.18.0.5"));
	CU_ASSERT_EQUAL(got.spi_in, 0x1234);
	CU_ASSERT_EQUAL(got.spi_out, 0xabcdef01);
	CU_ASSERT_EQUAL(got.sp_address, ip("192.0.2.10"));
	CU_ASSERT_EQUAL(got.speed_bps, 56000);
	CU_ASSERT_EQUAL(got.grant_len, 5);
	CU_ASSERT_EQUAL(memcmp(got.grant, "{\"v\":", 5), 0);
	CU_ASSERT_EQUAL(got.grant_sig_len, 64);
	CU_ASSERT_EQUAL(got.grant_sig[63], 0xa5);
	CU_ASSERT_EQUAL(got.agent_address, ip("203.0.113.11"));
	CU_ASSERT_EQUAL(got.agent_port, 7443);
	CU_ASSERT_EQUAL(got.generation, 2);
	CU_ASSERT_STRING_EQUAL(got.line_id, "net1");
	CU_ASSERT_EQUAL(got.created, NOW);
	CU_ASSERT_EQUAL(got.updated, NOW + 5);
	CU_ASSERT_EQUAL(got.closed, 0);
	done();
}

static int count_cb(const struct store_session *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static void a_final_state_closes_the_session_and_hides_it_from_live_lists(void)
{
	struct store_session_filter live = { .live_only = true };
	struct store_session a, b, got;
	int n = 0;

	fresh();
	CU_ASSERT_EQUAL_FATAL(ctl_test_load_sample(st), 0);
	new_session(&a, "CK2001", "alice");
	new_session(&b, "CK2002", "alice");
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &a), 0);
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &b), 0);
	CU_ASSERT(b.id > a.id);
	CU_ASSERT_EQUAL(store_session_set_state(st, a.id, STORE_SESSION_FAILED, "line busy",
						NOW + 9), 0);
	CU_ASSERT_EQUAL(store_session_get(st, a.id, &got), 0);
	CU_ASSERT_EQUAL(got.closed, NOW + 9);
	CU_ASSERT_STRING_EQUAL(got.reason, "line busy");
	CU_ASSERT_EQUAL(store_session_foreach(st, &live, count_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 1);
	n = 0;
	CU_ASSERT_EQUAL(store_session_foreach(st, NULL, count_cb, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(store_session_live_for_serial(st, "CK2001", &got), 0);
	CU_ASSERT_EQUAL(store_session_live_for_serial(st, "CK2002", &got), 1);
	CU_ASSERT_EQUAL(store_session_set_state(st, 999, STORE_SESSION_CLOSED, NULL, NOW),
			-ENOENT);
	done();
}

static void a_session_to_an_unknown_system_is_refused(void)
{
	struct store_session s;

	fresh();
	new_session(&s, "NOSUCH", "alice");
	CU_ASSERT_EQUAL(store_session_create(st, &s), -ENOENT);
	done();
}

static void an_approval_is_decided_once(void)
{
	struct store_approval a;
	struct store_session s;
	int64_t deadline = 0;

	fresh();
	CU_ASSERT_EQUAL_FATAL(ctl_test_load_sample(st), 0);
	new_session(&s, "CK3001", "bob");
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &s), 0);
	CU_ASSERT_EQUAL(store_approval_next_deadline(st, &deadline), 0);
	CU_ASSERT_EQUAL(store_approval_insert(st, s.id, NOW + 300), 0);
	CU_ASSERT_EQUAL(store_approval_insert(st, s.id, NOW + 300), -EEXIST);
	CU_ASSERT_EQUAL(store_approval_next_deadline(st, &deadline), 1);
	CU_ASSERT_EQUAL(deadline, NOW + 300);
	CU_ASSERT_EQUAL(store_approval_decide(st, s.id, STORE_APPROVAL_APPROVED, "carol", NOW + 1),
			0);
	CU_ASSERT_EQUAL(store_approval_decide(st, s.id, STORE_APPROVAL_DENIED, "dave", NOW + 2),
			-EALREADY);
	CU_ASSERT_EQUAL(store_approval_get(st, s.id, &a), 0);
	CU_ASSERT_EQUAL(a.decision, STORE_APPROVAL_APPROVED);
	CU_ASSERT_STRING_EQUAL(a.decided_by, "carol");
	CU_ASSERT_EQUAL(store_approval_decide(st, 999, STORE_APPROVAL_DENIED, "x", NOW), -ENOENT);
	done();
}

static void a_holdback_ends_at_its_time(void)
{
	uint32_t a = ip("198.18.0.9");

	fresh();
	CU_ASSERT_EQUAL(store_holdback_put(st, a, NOW + 60), 0);
	CU_ASSERT_EQUAL(store_holdback_active(st, a, NOW), 1);
	CU_ASSERT_EQUAL(store_holdback_active(st, a, NOW + 60), 0);
	CU_ASSERT_EQUAL(store_holdback_put(st, a, NOW + 10), 0); /* an earlier end never shortens */
	CU_ASSERT_EQUAL(store_holdback_active(st, a, NOW + 59), 1);
	CU_ASSERT_EQUAL(store_holdback_prune(st, NOW + 61), 0);
	CU_ASSERT_EQUAL(count_rows(st, "address_holdback"), 0);
	done();
}

static void names_split_and_refuse_empty_or_too_many(void)
{
	char names[2][STORE_NAME_MAX];
	unsigned n;

	CU_ASSERT_EQUAL(store_split_names("a,b", ',', names, 2, &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(names[1], "b");
	CU_ASSERT_EQUAL(store_split_names("", ',', names, 2, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(store_split_names("a,,b", ',', names, 2, &n), -EINVAL);
	CU_ASSERT_EQUAL(store_split_names("a,b,c", ',', names, 2, &n), -E2BIG);
}

static void revoked_tokens_stay_revoked_after_a_restart(void)
{
	char err[256];

	fresh();
	CU_ASSERT_EQUAL(store_token_revoked(st, "aaaa", "alice", NOW), 0);
	CU_ASSERT_EQUAL(store_token_revoke(st, "aaaa", "alice", NOW + 600, NOW), 0);
	CU_ASSERT_EQUAL(store_user_revoke(st, "bob", NOW), 0);
	store_close(st);

	st = store_open(db, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(store_token_revoked(st, "aaaa", "alice", NOW), 1);
	CU_ASSERT_EQUAL(store_token_revoked(st, "bbbb", "alice", NOW), 0);
	/* bob's tokens issued at or before the revocation are refused, later ones are not */
	CU_ASSERT_EQUAL(store_token_revoked(st, "cccc", "bob", NOW - 100), 1);
	CU_ASSERT_EQUAL(store_token_revoked(st, "cccc", "bob", NOW), 1);
	CU_ASSERT_EQUAL(store_token_revoked(st, "dddd", "bob", NOW + 1), 0);
	/* an earlier revocation never shortens a later one */
	CU_ASSERT_EQUAL(store_user_revoke(st, "bob", NOW - 50), 0);
	CU_ASSERT_EQUAL(store_token_revoked(st, "cccc", "bob", NOW), 1);
	/* rows of expired tokens go at the next logout */
	CU_ASSERT_EQUAL(store_token_revoke(st, "eeee", "carol", NOW + 2000, NOW + 601), 0);
	CU_ASSERT_EQUAL(count_rows(st, "revoked_tokens"), 1);
	done();
}

static void a_users_nameable_workstations_are_kept(void)
{
	struct store_user u = { .name = "jump", .may_name_workstations = "198.51.100.0/24;192.0.2.7/32" }, got;

	fresh();
	CU_ASSERT_EQUAL_FATAL(store_user_put(st, &u), 0);
	CU_ASSERT_EQUAL_FATAL(store_user_get(st, "jump", &got), 0);
	CU_ASSERT_STRING_EQUAL(got.may_name_workstations, "198.51.100.0/24;192.0.2.7/32");
	done();
}

struct gw_seen {
	unsigned n;
	struct store_gateway g[4];
};

static int gw_collect(const struct store_gateway *g, void *arg)
{
	struct gw_seen *seen = arg;

	if (seen->n < 4)
		seen->g[seen->n++] = *g;
	return 0;
}

/* The fencing token: a renewal naming an old generation is refused, not applied. */
static void a_stale_lease_generation_cannot_renew(void)
{
	int64_t gen1 = 0, gen2 = 0;

	fresh();
	CU_ASSERT_EQUAL_FATAL(store_gateway_acquire(st, "gw-a", "t", NOW, 10, &gen1), 0);
	CU_ASSERT_EQUAL(gen1, 1);
	/* gw-a restarts (or, later, a host takes its sessions over): a new generation */
	CU_ASSERT_EQUAL_FATAL(store_gateway_acquire(st, "gw-a", "t", NOW + 1, 10, &gen2), 0);
	CU_ASSERT_EQUAL(gen2, 2);
	CU_ASSERT_EQUAL(store_gateway_renew(st, "gw-a", gen1, NOW + 2, 10, 0), -ESTALE);
	CU_ASSERT_EQUAL(store_gateway_renew(st, "gw-b", 1, NOW + 2, 10, 0), -ESTALE); /* no row */
	CU_ASSERT_EQUAL(store_gateway_renew(st, "gw-a", gen2, NOW + 3, 10, 150), 0);
	done();
}

static void a_gateway_is_dead_once_its_lease_expires_and_counts_its_sessions(void)
{
	struct store_session s, got;
	struct gw_seen seen = { 0 };
	int64_t gen;

	fresh();
	CU_ASSERT_EQUAL_FATAL(ctl_test_load_sample(st), 0);
	CU_ASSERT_EQUAL_FATAL(store_gateway_acquire(st, "gw-a", "t", NOW, 10, &gen), 0);
	CU_ASSERT_EQUAL_FATAL(store_gateway_acquire(st, "gw-b", "t", NOW, 10, &gen), 0);
	store_set_gateway_id(st, "gw-b");
	new_session(&s, "CK2001", "alice");
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &s), 0);
	CU_ASSERT_EQUAL_FATAL(store_session_get(st, s.id, &got), 0);
	CU_ASSERT_STRING_EQUAL(got.owner_gateway, "gw-b");
	/* gw-b renews, gw-a does not */
	CU_ASSERT_EQUAL(store_gateway_renew(st, "gw-b", gen, NOW + 8, 10, 250), 0);
	CU_ASSERT_EQUAL(store_gateway_foreach(st, NOW + 11, gw_collect, &seen), 0);
	CU_ASSERT_EQUAL_FATAL(seen.n, 2);
	CU_ASSERT_STRING_EQUAL(seen.g[0].id, "gw-a");
	CU_ASSERT_FALSE(seen.g[0].alive);
	CU_ASSERT_EQUAL(seen.g[0].sessions, 0);
	CU_ASSERT_STRING_EQUAL(seen.g[1].id, "gw-b");
	CU_ASSERT_TRUE(seen.g[1].alive);
	CU_ASSERT_EQUAL(seen.g[1].sessions, 1);
	CU_ASSERT_EQUAL(seen.g[1].load, 250);
	done();
}

struct heard {
	char channel[64], payload[64];
	int n;
};

static void hear(const char *channel, const char *payload, void *arg)
{
	struct heard *h = arg;

	snprintf(h->channel, sizeof(h->channel), "%s", channel);
	snprintf(h->payload, sizeof(h->payload), "%s", payload);
	h->n++;
}

/* Waits up to 5 s for db's socket and reads what arrived: the count of notifications. */
static int wait_heard(struct db *l, struct heard *h)
{
	struct pollfd p = { .fd = db_socket(l), .events = POLLIN };
	int i, rc;

	for (i = 0; i < 50 && h->n == 0; i++) {
		if (poll(&p, 1, 100) < 0)
			return -1;
		rc = db_notifications(l, hear, h);
		if (rc < 0)
			return rc;
	}
	return h->n;
}

/*
 * PostgreSQL only: two connections to one server, as two gateway hosts have: a NOTIFY sent on
 * either is heard by the other (LISTEN), and nothing arrives on a channel nobody sent on.
 */
static void two_connections_hear_each_others_notifications(void)
{
	struct heard h = { 0 }, back = { 0 };
	char err[256];
	struct db *l;

	if (ctl_test_pg() == NULL) {
		fprintf(stderr, "(PostgreSQL's LISTEN/NOTIFY: skipped on SQLite) ");
		return;
	}
	fresh();
	l = db_open(db, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(l);
	/* a channel name goes into LISTEN unquoted: anything but [a-z_] is refused */
	CU_ASSERT_EQUAL(db_listen(l, "spgate_session; DROP TABLE sessions"), -EINVAL);
	CU_ASSERT_EQUAL(db_listen(l, ""), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(db_listen(l, STORE_SESSION_CHANNEL), 0);
	/* nothing sent yet: nothing heard */
	CU_ASSERT_EQUAL(db_notifications(l, hear, &h), 0);
	CU_ASSERT_EQUAL(db_notify(store_db(st), "another_channel", "7"), 0);
	CU_ASSERT_EQUAL(store_session_notify(st, 42), 0);
	CU_ASSERT_EQUAL(wait_heard(l, &h), 1);
	CU_ASSERT_STRING_EQUAL(h.channel, STORE_SESSION_CHANNEL);
	CU_ASSERT_STRING_EQUAL(h.payload, "42");
	/* and the other way round */
	CU_ASSERT_EQUAL_FATAL(db_listen(store_db(st), STORE_SESSION_CHANNEL), 0);
	CU_ASSERT_EQUAL(db_notify(l, STORE_SESSION_CHANNEL, "43"), 0);
	CU_ASSERT_EQUAL(wait_heard(store_db(st), &back), 1);
	CU_ASSERT_STRING_EQUAL(back.payload, "43");
	db_close(l);
	done();
}

/* SQLite is one host: a notification goes nowhere (no error) and there is nothing to hear. */
static void a_sqlite_store_has_no_one_to_notify(void)
{
	if (ctl_test_pg() != NULL)
		return;
	fresh();
	CU_ASSERT_EQUAL(store_session_notify(st, 42), 0);
	CU_ASSERT_EQUAL(db_listen(store_db(st), STORE_SESSION_CHANNEL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(db_socket(store_db(st)), -1);
	done();
}

/* A disconnect asked by another host stays on the live session until its owner acts. */
static void a_disconnect_asked_elsewhere_is_kept_for_a_live_session_only(void)
{
	struct store_session s;
	char by[STORE_NAME_MAX], reason[STORE_REASON_MAX];

	fresh();
	CU_ASSERT_EQUAL_FATAL(ctl_test_load_sample(st), 0);
	new_session(&s, "CK2001", "alice");
	CU_ASSERT_EQUAL_FATAL(store_session_create(st, &s), 0);
	CU_ASSERT_EQUAL(store_session_end_requested(st, s.id, by, sizeof(by), reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(store_session_request_end(st, s.id + 1000, "carol", "x", NOW), -ENOENT);
	CU_ASSERT_EQUAL(store_session_request_end(st, s.id, "carol", "disconnected by carol", NOW), 0);
	CU_ASSERT_EQUAL(store_session_end_requested(st, s.id, by, sizeof(by), reason, sizeof(reason)), 1);
	CU_ASSERT_STRING_EQUAL(by, "carol");
	CU_ASSERT_STRING_EQUAL(reason, "disconnected by carol");
	/* once closed, there is nothing left to ask of it */
	CU_ASSERT_EQUAL(store_session_set_state(st, s.id, STORE_SESSION_CLOSED, "done", NOW + 1), 0);
	CU_ASSERT_EQUAL(store_session_end_requested(st, s.id, by, sizeof(by), reason, sizeof(reason)), 0);
	CU_ASSERT_EQUAL(store_session_request_end(st, s.id, "carol", "again", NOW + 2), -ENOENT);
	done();
}

/* PostgreSQL only: the server ends the connection; calls fail, then a reconnect brings back
 * the same store with its cached statements prepared again. */
static void a_lost_postgresql_connection_fails_calls_until_it_reconnects(void)
{
	char v[16];
	int i, rc = -1;

	if (ctl_test_pg() == NULL) {
		fprintf(stderr, "(a PostgreSQL connection: skipped on SQLite) ");
		return;
	}
	fresh();
	CU_ASSERT_EQUAL_FATAL(store_meta_set(st, "probe", "1"), 0);
	CU_ASSERT_TRUE(store_available(st));
	/* the server closes this very connection, as a restart or a cut would */
	CU_ASSERT_NOT_EQUAL(store_exec(st, "SELECT pg_terminate_backend(pg_backend_pid())"), 0);
	CU_ASSERT_FALSE(store_available(st));
	CU_ASSERT_EQUAL(store_meta_get(st, "probe", v, sizeof(v)), -ENOTCONN);
	CU_ASSERT_EQUAL(store_begin(st), -ENOTCONN);
	for (i = 0; i < 500 && rc != 0; i++) {
		rc = store_reconnect(st);
		if (rc != 0)
			usleep(10000);
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_TRUE(store_available(st));
	CU_ASSERT_EQUAL(store_meta_get(st, "probe", v, sizeof(v)), 0);
	CU_ASSERT_STRING_EQUAL(v, "1");
	CU_ASSERT_EQUAL(store_meta_set(st, "probe", "2"), 0);
	done();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "a_new_database_gets_the_latest_schema", a_new_database_gets_the_latest_schema },
		{ "revoked_tokens_stay_revoked_after_a_restart", revoked_tokens_stay_revoked_after_a_restart },
		{ "a_users_nameable_workstations_are_kept", a_users_nameable_workstations_are_kept },
		{ "a_version_1_database_is_upgraded_and_keeps_its_rows",
		  a_version_1_database_is_upgraded_and_keeps_its_rows },
		{ "a_schema_newer_than_the_code_is_refused", a_schema_newer_than_the_code_is_refused },
		{ "the_database_file_is_readable_by_its_owner_only",
		  the_database_file_is_readable_by_its_owner_only },
		{ "wal_mode_and_foreign_keys_are_on", wal_mode_and_foreign_keys_are_on },
		{ "an_inner_rollback_undoes_only_the_inner_transaction",
		  an_inner_rollback_undoes_only_the_inner_transaction },
		{ "a_site_of_an_unknown_customer_is_refused",
		  a_site_of_an_unknown_customer_is_refused },
		{ "session_rows_survive_a_restart_with_every_field",
		  session_rows_survive_a_restart_with_every_field },
		{ "a_final_state_closes_the_session_and_hides_it_from_live_lists",
		  a_final_state_closes_the_session_and_hides_it_from_live_lists },
		{ "a_session_to_an_unknown_system_is_refused",
		  a_session_to_an_unknown_system_is_refused },
		{ "an_approval_is_decided_once", an_approval_is_decided_once },
		{ "a_holdback_ends_at_its_time", a_holdback_ends_at_its_time },
		{ "a_stale_lease_generation_cannot_renew", a_stale_lease_generation_cannot_renew },
		{ "a_gateway_is_dead_once_its_lease_expires_and_counts_its_sessions",
		  a_gateway_is_dead_once_its_lease_expires_and_counts_its_sessions },
		{ "a_lost_postgresql_connection_fails_calls_until_it_reconnects",
		  a_lost_postgresql_connection_fails_calls_until_it_reconnects },
		{ "two_connections_hear_each_others_notifications",
		  two_connections_hear_each_others_notifications },
		{ "a_sqlite_store_has_no_one_to_notify", a_sqlite_store_has_no_one_to_notify },
		{ "a_disconnect_asked_elsewhere_is_kept_for_a_live_session_only",
		  a_disconnect_asked_elsewhere_is_kept_for_a_live_session_only },
		{ "names_split_and_refuse_empty_or_too_many",
		  names_split_and_refuse_empty_or_too_many },
		{ NULL, NULL },
	};

	return ctl_test_run("store", cases, NULL, NULL);
}
