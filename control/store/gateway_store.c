/* SPDX-License-Identifier: BSD-3-Clause */
/* The gateways' lease rows (gateway_store.h). */
#include <errno.h>
#include <string.h>

#include "store/gateway_store.h"

/*
 * One statement, so that two hosts starting with the same id cannot both think they hold
 * the row: the upsert serializes on its primary key and each gets its own generation.
 */
int store_gateway_acquire(struct store *st, const char *id, const char *version, int64_t now,
			  int64_t lease_s, int64_t *generation)
{
	db_stmt *q = store_stmt(st, "INSERT INTO gateways (id, generation, lease_expires, started, "
				    "renewed, version) VALUES (?1, 1, ?2, ?3, ?3, ?4) "
				    "ON CONFLICT (id) DO UPDATE SET generation = gateways.generation + 1, "
				    "lease_expires = excluded.lease_expires, started = excluded.started, "
				    "renewed = excluded.renewed, version = excluded.version "
				    "RETURNING generation");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_int64(q, 2, now + lease_s);
	db_bind_int64(q, 3, now);
	db_bind_text(q, 4, version != NULL ? version : "", -1, DB_STATIC);
	rc = db_step(q);
	if (rc == DB_ROW)
		*generation = db_column_int64(q, 0);
	db_reset(q);
	if (rc == DB_ROW)
		return 0;
	return rc == DB_DONE ? -EIO : rc;
}

int store_gateway_renew(struct store *st, const char *id, int64_t generation, int64_t now,
			int64_t lease_s, int64_t load)
{
	db_stmt *q = store_stmt(st, "UPDATE gateways SET lease_expires = ?3, renewed = ?4, load = ?5, "
				    "sessions = (SELECT COUNT(*) FROM sessions s "
				    "WHERE s.owner_gateway = ?1 AND s.closed IS NULL) "
				    "WHERE id = ?1 AND generation = ?2");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_int64(q, 2, generation);
	db_bind_int64(q, 3, now + lease_s);
	db_bind_int64(q, 4, now);
	db_bind_int64(q, 5, load);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ESTALE;
	return rc;
}

int store_gateway_foreach(struct store *st, int64_t now,
			  int (*fn)(const struct store_gateway *g, void *arg), void *arg)
{
	struct store_gateway g;
	db_stmt *q;
	int rc, fn_rc = 0;

	rc = store_prepare(st, "SELECT g.id, g.generation, g.lease_expires, g.started, g.renewed, "
			       "(SELECT COUNT(*) FROM sessions s WHERE s.owner_gateway = g.id "
			       "AND s.closed IS NULL), g.load, g.version, g.vendor_address, g.sp_address, "
			       "COALESCE(g.address_holder, g.id), COALESCE(g.taken_by, '') FROM gateways g ORDER BY g.id",
			   &q);
	if (rc < 0)
		return rc;
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		memset(&g, 0, sizeof(g));
		store_column_copy(g.id, sizeof(g.id), q, 0);
		g.generation = db_column_int64(q, 1);
		g.lease_expires = db_column_int64(q, 2);
		g.started = db_column_int64(q, 3);
		g.renewed = db_column_int64(q, 4);
		g.sessions = db_column_int64(q, 5);
		g.load = db_column_int64(q, 6);
		store_column_copy(g.version, sizeof(g.version), q, 7);
		g.vendor_address = store_column_addr(q, 8);
		g.sp_address = store_column_addr(q, 9);
		store_column_copy(g.holder, sizeof(g.holder), q, 10);
		store_column_copy(g.taken_by, sizeof(g.taken_by), q, 11);
		g.alive = g.lease_expires > now;
		fn_rc = fn(&g, arg);
	}
	return store_finalize(q, rc, fn_rc);
}
