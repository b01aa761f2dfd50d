/* SPDX-License-Identifier: BSD-3-Clause */
/* The agent's grant nonce cache: a nonce opens once, until its grant expires, also after a
 * restart (the file), and a full cache refuses rather than forgets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay_cache.h"
#include "unit_run.h"

#define NOW 1700000000
#define N1 "00112233445566778899aabbccddeeff"
#define N2 "ffeeddccbbaa99887766554433221100"
#define N3 "0123456789abcdef0123456789abcdef"

static char dir[64], path[128];

static int setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/spg-replay-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/grant-nonces", dir);
	return 0;
}

static int cleanup(void)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static struct replay_cache *fresh(size_t max)
{
	char err[256];

	unlink(path);
	return replay_cache_open(path, max, NOW, err, sizeof(err));
}

static void a_nonce_is_accepted_once(void)
{
	struct replay_cache *rc = fresh(8);
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 600, NOW, err, sizeof(err)), -0);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 600, NOW + 1, err, sizeof(err)), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, N1));
	CU_ASSERT_EQUAL(replay_cache_add(rc, N2, NOW, NOW + 600, NOW, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(replay_cache_count(rc, NOW), 2);
	CU_ASSERT_EQUAL(replay_cache_add(rc, "XYZ", NOW, NOW + 600, NOW, err, sizeof(err)), -EINVAL);
	replay_cache_free(rc);
}

static void the_nonces_survive_a_restart(void)
{
	struct replay_cache *rc = fresh(8);
	char err[256];
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 600, NOW, err, sizeof(err)), 0);
	replay_cache_free(rc);
	CU_ASSERT_EQUAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	rc = replay_cache_open(path, 8, NOW + 10, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_TRUE(replay_cache_seen(rc, N1, NOW + 10));
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 600, NOW + 10, err, sizeof(err)), -EEXIST);
	replay_cache_free(rc);
}

static void a_nonce_is_forgotten_when_its_grant_expires(void)
{
	struct replay_cache *rc = fresh(8);
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 60, NOW, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(replay_cache_seen(rc, N1, NOW + 59));
	CU_ASSERT_FALSE(replay_cache_seen(rc, N1, NOW + 60));
	CU_ASSERT_EQUAL(replay_cache_count(rc, NOW + 60), 0);
	replay_cache_free(rc);
	/* and a restart after the expiry does not load it again */
	rc = replay_cache_open(path, 8, NOW + 61, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_EQUAL(replay_cache_count(rc, NOW + 61), 0);
	replay_cache_free(rc);
}

static void a_full_cache_refuses_rather_than_forgets(void)
{
	struct replay_cache *rc = fresh(2);
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 60, NOW, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N2, NOW, NOW + 600, NOW, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N3, NOW, NOW + 600, NOW, err, sizeof(err)), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "replay_cache_max"));
	/* both older nonces are still refused */
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 60, NOW, err, sizeof(err)), -EEXIST);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N2, NOW, NOW + 600, NOW, err, sizeof(err)), -EEXIST);
	/* once N1's grant expired there is room again */
	CU_ASSERT_EQUAL(replay_cache_add(rc, N3, NOW, NOW + 600, NOW + 60, err, sizeof(err)), 0);
	replay_cache_free(rc);
}

static void a_file_that_is_no_nonce_file_stops_the_agent(void)
{
	char err[256];
	FILE *f = fopen(path, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fprintf(f, "spgate-agent grant nonces 2\nsince 1700000000\n%s 1700000600\nnot a nonce\n", N1);
	fclose(f);
	CU_ASSERT_PTR_NULL(replay_cache_open(path, 8, NOW, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":4:"));
	f = fopen(path, "w");
	fprintf(f, "spgate-agent grant nonces 2\n%s 1700000600\n", N1);
	fclose(f);
	CU_ASSERT_PTR_NULL(replay_cache_open(path, 8, NOW, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":2:"));
	f = fopen(path, "w");
	fprintf(f, "hello\n");
	fclose(f);
	CU_ASSERT_PTR_NULL(replay_cache_open(path, 8, NOW, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a grant nonce file"));
}

static void a_write_failure_records_nothing(void)
{
	struct replay_cache *rc;
	char err[256], sub[96], subpath[160];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(subpath, sizeof(subpath), "%s/grant-nonces", sub);
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0700), 0);
	rc = replay_cache_open(subpath, 8, NOW, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	/* the directory goes away under the agent: the next write fails */
	unlink(subpath);
	rmdir(sub);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 60, NOW, err, sizeof(err)), -EIO);
	CU_ASSERT_FALSE(replay_cache_seen(rc, N1, NOW));
	replay_cache_free(rc);
}

static void a_record_that_cannot_be_made_stops_the_agent(void)
{
	char err[256], bad[160];

	snprintf(bad, sizeof(bad), "%s/no-such-dir/grant-nonces", dir);
	CU_ASSERT_PTR_NULL(replay_cache_open(bad, 8, NOW, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot write"));
}

/* The attack: the nonce file is lost (tmpfs state_dir across a reboot, a wiped disk) and a
 * used, unexpired grant is presented again. The new record begins after it was issued. */
static void a_lost_record_refuses_the_grants_issued_before_it(void)
{
	struct replay_cache *rc = fresh(8);
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_EQUAL(replay_cache_since(rc), NOW);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N2, NOW - 1, NOW + 600, NOW, err, sizeof(err)), -ESTALE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "before this agent's nonce record"));
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 600, NOW, err, sizeof(err)), 0);
	replay_cache_free(rc);
	unlink(path); /* lost */
	rc = replay_cache_open(path, 8, NOW + 100, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_FALSE(replay_cache_seen(rc, N1, NOW + 100));
	CU_ASSERT_EQUAL(replay_cache_add(rc, N1, NOW, NOW + 600, NOW + 100, err, sizeof(err)), -ESTALE);
	CU_ASSERT_EQUAL(replay_cache_add(rc, N2, NOW + 100, NOW + 700, NOW + 100, err, sizeof(err)), 0);
	replay_cache_free(rc);
	/* a restart keeps the record's start: it is on disk from the first open */
	rc = replay_cache_open(path, 8, NOW + 200, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(rc);
	CU_ASSERT_EQUAL(replay_cache_since(rc), NOW + 100);
	replay_cache_free(rc);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(a_nonce_is_accepted_once),
		T(the_nonces_survive_a_restart),
		T(a_nonce_is_forgotten_when_its_grant_expires),
		T(a_full_cache_refuses_rather_than_forgets),
		T(a_file_that_is_no_nonce_file_stops_the_agent),
		T(a_write_failure_records_nothing),
		T(a_record_that_cannot_be_made_stops_the_agent),
		T(a_lost_record_refuses_the_grants_issued_before_it),
#undef T
		{NULL, NULL},
	};

	return unit_run("agent_replay_cache", cases, setup, cleanup);
}
