/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the store-backed tests of spgate-control: the CUnit runner (tests/unit/unit_run.h,
 * free of DPDK), a fresh store in a temporary directory, and the sample inventory.
 *
 * With SPG_TEST_PG_URL set (with_pg.sh starts a throw-away PostgreSQL and sets it), every
 * fresh store is a new schema of that server instead of a SQLite file: the same cases run
 * against the other backend.
 */
#ifndef SPG_CTL_TEST_H
#define SPG_CTL_TEST_H

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "store/db.h"
#include "store/store.h"
#include "unit_run.h"

/* The names these tests have always used for unit_run.h's runner. */
#define ctl_test_case unit_case
#define ctl_test_run unit_run

/* A temporary directory for one test (path: at least 64 bytes); aborts on failure. */
static inline void ctl_test_tmpdir(char *path, size_t len)
{
	snprintf(path, len, "/tmp/spg-ctl-test-XXXXXX");
	if (mkdtemp(path) == NULL)
		abort();
}

/* Removes the directory and what a store leaves in it (db, -wal, -shm, audit log). */
static inline void ctl_test_rmdir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (strncmp(dir, "/tmp/spg-ctl-test-", 18) == 0 && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

/* The PostgreSQL server the store tests run against, or NULL for SQLite. */
static inline const char *ctl_test_pg(void)
{
	const char *url = getenv("SPG_TEST_PG_URL");

	return url != NULL && url[0] != '\0' ? url : NULL;
}

/*
 * The URL of a fresh, empty database for dir (path: at least 256 bytes): DIR/spgate.db, or a
 * new schema on SPG_TEST_PG_URL's server (the last options= of a conninfo wins).
 */
static inline void ctl_test_store_url(const char *dir, char *path, size_t len)
{
	static unsigned n;
	char err[256], sql[96], schema[48];
	const char *pg = ctl_test_pg();
	struct db *db;

	if (pg == NULL) {
		snprintf(path, len, "%s/spgate.db", dir);
		return;
	}
	snprintf(schema, sizeof(schema), "t%d_%u", (int)getpid(), ++n);
	db = db_open(pg, err, sizeof(err));
	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
	if (db == NULL || db_exec(db, sql) < 0) {
		fprintf(stderr, "%s: %s\n", sql, db != NULL ? db_errmsg(db) : err);
		abort();
	}
	db_close(db);
	if ((size_t)snprintf(path, len, "%s options='-c search_path=%s'", pg, schema) >= len)
		abort();
}

/* A fresh store at DIR/spgate.db (path gets the database's URL); aborts on failure. */
static inline struct store *ctl_test_store(const char *dir, char *path, size_t len)
{
	char err[256];
	struct store *st;

	ctl_test_store_url(dir, path, len);
	st = store_open(path, err, sizeof(err));
	if (st == NULL) {
		fprintf(stderr, "store_open: %s\n", err);
		abort();
	}
	return st;
}

/*
 * The path of a file under tests/unit/control/data, found next to this test's source.
 * meson compiles with source paths relative to the build directory; the test binary sits
 * in BUILD/tests/unit/control, so the build directory is found from it whatever the cwd.
 */
static inline void ctl_test_data(const char *source, const char *name, char *path, size_t len)
{
	char copy[512], exe[512], *p;
	ssize_t n;
	int up;

	snprintf(copy, sizeof(copy), "%s", source);
	n = source[0] == '/' ? -1 : readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(path, len, "%s/data/%s", dirname(copy), name);
		return;
	}
	exe[n] = '\0';
	for (up = 0; up < 4 && (p = strrchr(exe, '/')) != NULL; up++)
		*p = '\0';
	if ((size_t)snprintf(path, len, "%s/%s/data/%s", exe, dirname(copy), name) >= len)
		abort();
}

/* Imports data/inventory.yaml (the sample: acme, globex, CK2001, ...) into st; 0 or -errno. */
#define ctl_test_load_sample(st) ctl_test_load_data((st), __FILE__, "inventory.yaml")

static inline int ctl_test_load_data(struct store *st, const char *source, const char *name)
{
	char path[512], err[512];
	int rc;

	ctl_test_data(source, name, path, sizeof(path));
	rc = inventory_import_file(st, INVENTORY_YAML, path, NULL, err, sizeof(err), NULL);
	if (rc < 0)
		fprintf(stderr, "importing %s: %s\n", path, err);
	return rc;
}

#endif
