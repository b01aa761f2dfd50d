/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Issue 15, the control plane's side: a reason or ticket required by the customer, the
 * recording started in spgate-dp before the session is active, a `required` recording that
 * cannot start or fails mid-session ending the session, sealing to the customer's
 * certificate (opened with `openssl cms -decrypt`), and retention. A real store and audit
 * trail; the agent and spgate-dp (which records) are session_fixture.c's fakes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "recording.h"
#include "session_fixture.h"

static char cert[128], key[128];

/* The fixture's world with the idle timeout off: these tests tick with no traffic. */
static void recording_world_up(void)
{
	world_up();
	cfg.sessions.idle_timeout = 0;
}

/* acme's (CK2001's customer) policy, and a certificate made by openssl(1) when sealed. */
static void acme(enum store_rec_policy rec, bool sealed, bool require_reason, bool require_ticket)
{
	struct store_customer c;
	char cmd[512];

	CU_ASSERT_EQUAL_FATAL(store_customer_get(st, "acme", &c), 0);
	c.recording = rec;
	c.require_reason = require_reason;
	c.require_ticket = require_ticket;
	c.recording_cert[0] = '\0';
	if (sealed) {
		snprintf(key, sizeof(key), "%s/customer.key", dir);
		snprintf(cert, sizeof(cert), "%s/customer.crt", dir);
		snprintf(cmd, sizeof(cmd),
			 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s -out %s -subj /CN=acme-recordings "
			 "-days 2 2>/dev/null", key, cert);
		CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
		snprintf(c.recording_cert, sizeof(c.recording_cert), "%s", cert);
	}
	CU_ASSERT_EQUAL_FATAL(store_customer_put(st, &c), 0);
}

static int64_t connect_with(const char *reason, const char *ticket, const char **code)
{
	const char *groups[1] = {"storage-eu"};
	struct session_request req = {"CK2001", "alice", groups, 1, false, htonl(0xc6336410), NULL};
	struct session_purpose why = {reason, ticket};
	struct store_session s;
	struct alloc_holder h;
	const char *c;
	int ret;

	ret = session_connect_for(mgr, &req, &why, &s, code != NULL ? code : &c, &h);
	return ret != 0 ? ret : s.id;
}

/* alice's session to CK2001 up to the agent's answer; returns its id. */
static int64_t session_up(const char *reason)
{
	int64_t id = connect_with(reason, NULL, NULL);

	CU_ASSERT_FATAL(id > 0);
	run_loop();
	CU_ASSERT_FATAL(n_opens > 0);
	agent_says_up(last_conn(), 0x2000);
	return id;
}

static struct store_session session_of(int64_t id)
{
	struct store_session s;

	CU_ASSERT_EQUAL_FATAL(session_get(mgr, id, &s), 0);
	return s;
}

static struct store_recording recording_of(int64_t id)
{
	struct store_recording r;

	CU_ASSERT_EQUAL_FATAL(store_recording_of_session(st, id, &r), 0);
	return r;
}

static const char *detail_needle;
static int match_detail(const struct audit_record *r, void *arg)
{
	return strcmp(r->action, arg) == 0 && r->detail != NULL && strstr(r->detail, detail_needle) != NULL ? 1 : 0;
}

static bool audited_with(const char *action, const char *needle)
{
	detail_needle = needle;
	return audit_list(st, 0, 1000, match_detail, (void *)action) == 1;
}

static int count_sessions(const struct store_session *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

/* ---- the tests ---- */

static void a_connect_without_a_reason_is_refused_when_the_customer_requires_one(void)
{
	const char *code = NULL;
	int n = 0;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_OFF, false, true, false);
	CU_ASSERT_EQUAL(connect_with(NULL, NULL, &code), -EINVAL);
	CU_ASSERT_STRING_EQUAL(code, "reason_required");
	CU_ASSERT_EQUAL(connect_with("", NULL, &code), -EINVAL);
	CU_ASSERT_EQUAL(store_session_foreach(st, NULL, count_sessions, &n), 0);
	CU_ASSERT_EQUAL(n, 0); /* refused before any session existed */
	id = connect_with("replace the failed disk in shelf 2", NULL, &code);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_STRING_EQUAL(session_of(id).request_reason, "replace the failed disk in shelf 2");
	CU_ASSERT_TRUE(audited_with("session_requested", "\"request_reason\":\"replace the failed disk in shelf 2\""));
	world_down();
}

static void a_connect_without_a_ticket_is_refused_when_the_customer_requires_one(void)
{
	const char *code = NULL;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_OFF, false, false, true);
	CU_ASSERT_EQUAL(connect_with("a reason is not a ticket", NULL, &code), -EINVAL);
	CU_ASSERT_STRING_EQUAL(code, "ticket_required");
	id = connect_with(NULL, "T7", &code);
	CU_ASSERT_FATAL(id > 0);
	CU_ASSERT_STRING_EQUAL(session_of(id).ticket, "T7");
	world_down();
}

static void a_required_recording_that_cannot_start_fails_the_session(void)
{
	struct store_session s;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_REQUIRED, false, false, false);
	record_refuse = EACCES; /* spgate-dp cannot create the file */
	id = session_up("check the controller");
	s = session_of(id);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.reason, "requires a recording"));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.reason, strerror(EACCES)));
	CU_ASSERT_EQUAL(dp_find((uint64_t)id), -1); /* spgate-dp forgot it: no traffic */
	CU_ASSERT_EQUAL(recording_of(id).state, STORE_REC_FAILED);
	CU_ASSERT_TRUE(audited("recording_failed"));
	CU_ASSERT_FALSE(audited("session_active"));
	world_down();
}

static void a_dataplane_that_cannot_record_fails_a_required_session_but_not_an_on_one(void)
{
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_REQUIRED, false, false, false);
	record_refuse = EOPNOTSUPP; /* an spgate-dp older than recordings */
	id = session_up(NULL);
	CU_ASSERT_EQUAL(session_of(id).state, STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(session_of(id).reason, "cannot record"));
	world_down();

	recording_world_up();
	acme(STORE_RECORDING_ON, false, false, false);
	record_refuse = EOPNOTSUPP;
	id = session_up(NULL);
	CU_ASSERT_EQUAL(session_of(id).state, STORE_SESSION_ACTIVE);
	CU_ASSERT_FALSE(session_of(id).recorded);
	CU_ASSERT_EQUAL(recording_of(id).state, STORE_REC_FAILED);
	world_down();
}

static void a_recording_starts_before_the_session_is_active_with_its_metadata(void)
{
	struct store_session s;
	struct stat sb;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_ON, false, false, false);
	id = session_up("firmware upgrade\nengineer: mallory"); /* a forged line must not survive */
	s = session_of(id);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_ACTIVE);
	CU_ASSERT_TRUE(s.recorded);
	CU_ASSERT_EQUAL(n_record_starts, 1);
	CU_ASSERT_EQUAL(state_at_record, STORE_SESSION_KEYED); /* not yet active */
	CU_ASSERT_PTR_NOT_NULL(strstr(record_comment, "engineer: alice\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(record_comment, "serial: CK2001\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(record_comment, "customer: acme\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(record_comment, "reason: firmware upgrade?engineer: mallory\n"));
	CU_ASSERT_PTR_NULL(strstr(record_comment, "\nengineer: mallory"));
	CU_ASSERT_EQUAL(strncmp(record_path, cfg.recordings.dir, strlen(cfg.recordings.dir)), 0);
	CU_ASSERT_EQUAL(stat(cfg.recordings.dir, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0700);
	CU_ASSERT_TRUE(audited("recording_started"));
	world_down();
}

static void without_a_certificate_the_recording_stays_plain_and_private(void)
{
	struct store_session s;
	struct store_recording r;
	char hex[STORE_SHA256_HEX];
	uint64_t bytes;
	struct stat sb;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_ON, false, false, false);
	id = session_up(NULL);
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "alice", "done", &s), 0);
	agent_closes(last_conn());
	r = recording_of(id);
	CU_ASSERT_EQUAL(n_record_stops, 1);
	CU_ASSERT_EQUAL(r.state, STORE_REC_COMPLETE);
	CU_ASSERT_FALSE(r.sealed);
	CU_ASSERT_EQUAL(r.packets, 42);
	CU_ASSERT_STRING_EQUAL(r.path, record_path);
	CU_ASSERT_EQUAL(stat(r.path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(rec_sha256_file(r.path, hex, &bytes), 0);
	CU_ASSERT_STRING_EQUAL(r.sha256, hex);
	CU_ASSERT_TRUE(audited_with("recording_finished", hex));
	world_down();
}

static void a_finished_recording_is_sealed_to_the_customer_and_opens_only_with_its_key(void)
{
	struct store_session s;
	struct store_recording r;
	char cmd[1024], hex[STORE_SHA256_HEX];
	uint64_t bytes;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_REQUIRED, true, false, false);
	id = session_up("sealed");
	CU_ASSERT_EQUAL(session_of(id).state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "alice", "done", &s), 0);
	agent_closes(last_conn());
	r = recording_of(id);
	CU_ASSERT_TRUE(r.sealed);
	CU_ASSERT_EQUAL(access(record_path, F_OK), -1); /* the plaintext is gone */
	CU_ASSERT_EQUAL(strcmp(r.path + strlen(r.path) - 11, ".pcapng.p7m"), 0);
	CU_ASSERT_EQUAL(rec_sha256_file(r.path, hex, &bytes), 0);
	CU_ASSERT_STRING_EQUAL(r.sha256, hex);
	CU_ASSERT_TRUE(audited_with("recording_sealed", hex));
	/* another key first: it must not open */
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/other.key -out %s/other.crt -subj /CN=x "
		 "2>/dev/null && ! openssl cms -decrypt -inform DER -in %s -inkey %s/other.key -out %s/o.pcapng "
		 "2>/dev/null", dir, dir, r.path, dir, dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
		 "openssl cms -decrypt -inform DER -in %s -inkey %s -out %s/p.pcapng 2>/dev/null && "
		 "grep -q MARKER-4711 %s/p.pcapng", r.path, key, dir, dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "openssl asn1parse -inform DER -in %s | grep -q aes-256-gcm", r.path);
	CU_ASSERT_EQUAL(system(cmd), 0);
	world_down();
}

static void a_recording_that_fails_mid_session_ends_a_required_session(void)
{
	struct store_session s;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_REQUIRED, false, false, false);
	id = session_up(NULL);
	CU_ASSERT_EQUAL_FATAL(session_of(id).state, STORE_SESSION_ACTIVE);
	dp[dp_find((uint64_t)id)].record_state = SPG_DP_RECORD_FAILED;
	dp[dp_find((uint64_t)id)].record_error = ENOSPC;
	now_s += 5;
	session_mgr_tick(mgr); /* the counter poll lists spgate-dp's sessions */
	s = session_of(id);
	CU_ASSERT_EQUAL(s.state, STORE_SESSION_FAILED);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.reason, strerror(ENOSPC)));
	CU_ASSERT_PTR_NOT_NULL(strstr(s.reason, "requires recording"));
	CU_ASSERT_EQUAL(recording_of(id).state, STORE_REC_FAILED);
	world_down();
}

static void a_recording_that_fails_mid_session_lets_an_on_session_go_on(void)
{
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_ON, false, false, false);
	id = session_up(NULL);
	dp[dp_find((uint64_t)id)].record_state = SPG_DP_RECORD_FAILED;
	dp[dp_find((uint64_t)id)].record_error = EIO;
	now_s += 5;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(session_of(id).state, STORE_SESSION_ACTIVE);
	CU_ASSERT_EQUAL(recording_of(id).state, STORE_REC_FAILED);
	CU_ASSERT_TRUE(audited("recording_failed"));
	world_down();
}

static void a_lossy_recording_is_kept_as_incomplete(void)
{
	struct store_session s;
	int64_t id;

	recording_world_up();
	acme(STORE_RECORDING_REQUIRED, false, false, false);
	id = session_up(NULL);
	dp[dp_find((uint64_t)id)].record_state = SPG_DP_RECORD_LOSSY;
	now_s += 5;
	session_mgr_tick(mgr);
	CU_ASSERT_EQUAL(session_of(id).state, STORE_SESSION_ACTIVE); /* drops do not end it */
	CU_ASSERT_TRUE(audited("recording_lossy"));
	CU_ASSERT_EQUAL(session_disconnect(mgr, id, "alice", "done", &s), 0);
	agent_closes(last_conn());
	CU_ASSERT_EQUAL(recording_of(id).state, STORE_REC_INCOMPLETE);
	world_down();
}

/* A finished recording row with a file of size bytes, ended at ended. */
static int64_t old_recording(int64_t session_id, int64_t ended, size_t size)
{
	struct store_recording r = {.session_id = session_id, .state = STORE_REC_RECORDING, .started = ended - 10};
	char *junk = calloc(1, size);
	FILE *f;

	snprintf(r.path, sizeof(r.path), "%s/r%lld.pcapng", dir, (long long)session_id);
	f = fopen(r.path, "w");
	CU_ASSERT_FATAL(f != NULL && junk != NULL);
	CU_ASSERT_EQUAL(fwrite(junk, 1, size, f), size);
	fclose(f);
	free(junk);
	CU_ASSERT_EQUAL_FATAL(store_recording_create(st, &r), 0);
	r.state = STORE_REC_COMPLETE;
	r.ended = ended;
	r.bytes = size;
	CU_ASSERT_EQUAL_FATAL(store_recording_update(st, &r), 0);
	return r.id;
}

static void retention_deletes_the_old_then_the_oldest_over_the_cap_and_audits_it(void)
{
	struct store_recording r;
	int64_t ids[4];
	int i;

	recording_world_up();
	for (i = 0; i < 4; i++) {
		struct store_session row = {.serial = "CK2001", .user = "alice", .state = STORE_SESSION_CLOSED,
					    .created = T0 - 50 * 86400, .updated = T0, .closed = T0};

		CU_ASSERT_EQUAL_FATAL(store_session_create(st, &row), 0);
		ids[i] = row.id;
	}
	cfg.recordings.keep_days = 30;
	cfg.recordings.max_bytes = 2500;
	/* a: 40 days old; b, c, d: recent, 1000 bytes each (3000 > 2500: b must go too) */
	old_recording(ids[0], T0 - 40 * 86400, 1000);
	old_recording(ids[1], T0 - 3000, 1000);
	old_recording(ids[2], T0 - 2000, 1000);
	old_recording(ids[3], T0 - 1000, 1000);
	CU_ASSERT_EQUAL(rec_retention(st, au, &cfg, T0), 2);
	CU_ASSERT_EQUAL(store_recording_of_session(st, ids[0], &r), 0);
	CU_ASSERT_EQUAL(r.state, STORE_REC_DELETED);
	CU_ASSERT_EQUAL(access(r.path, F_OK), -1);
	CU_ASSERT_EQUAL(store_recording_of_session(st, ids[1], &r), 0);
	CU_ASSERT_EQUAL(r.state, STORE_REC_DELETED);
	CU_ASSERT_EQUAL(store_recording_of_session(st, ids[2], &r), 0);
	CU_ASSERT_EQUAL(r.state, STORE_REC_COMPLETE);
	CU_ASSERT_EQUAL(access(r.path, F_OK), 0);
	CU_ASSERT_TRUE(audited_with("recording_deleted", "recordings.keep_days"));
	CU_ASSERT_TRUE(audited_with("recording_deleted", "recordings.max_bytes"));
	world_down();
}

static void a_recording_certificate_must_be_one_cms_can_seal_to(void)
{
	char why[256], path[160];
	FILE *f;

	recording_world_up();
	snprintf(path, sizeof(path), "%s/not-a-cert.pem", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	CU_ASSERT_EQUAL(rec_cert_check(path, why, sizeof(why)), -EINVAL);
	CU_ASSERT_EQUAL(rec_cert_check("/dev/zero", why, sizeof(why)), -EINVAL); /* not a regular file */
	CU_ASSERT_EQUAL(rec_cert_check("relative.pem", why, sizeof(why)), -EINVAL);
	acme(STORE_RECORDING_ON, true, false, false);
	CU_ASSERT_EQUAL(rec_cert_check(cert, why, sizeof(why)), 0);
	world_down();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
#define CASE(f) {#f, f}
		CASE(a_connect_without_a_reason_is_refused_when_the_customer_requires_one),
		CASE(a_connect_without_a_ticket_is_refused_when_the_customer_requires_one),
		CASE(a_required_recording_that_cannot_start_fails_the_session),
		CASE(a_dataplane_that_cannot_record_fails_a_required_session_but_not_an_on_one),
		CASE(a_recording_that_fails_mid_session_ends_a_required_session),
		CASE(a_recording_that_fails_mid_session_lets_an_on_session_go_on),
		CASE(a_recording_certificate_must_be_one_cms_can_seal_to),
		CASE(a_recording_starts_before_the_session_is_active_with_its_metadata),
		CASE(without_a_certificate_the_recording_stays_plain_and_private),
		CASE(a_finished_recording_is_sealed_to_the_customer_and_opens_only_with_its_key),
		CASE(a_lossy_recording_is_kept_as_incomplete),
		CASE(retention_deletes_the_old_then_the_oldest_over_the_cap_and_audits_it),
#undef CASE
		{NULL, NULL},
	};

	return session_test_run("recording", cases);
}
