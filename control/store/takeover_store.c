/* SPDX-License-Identifier: BSD-3-Clause */
/* A survivor takes a dead host's place: see takeover_store.h. */
#include <errno.h>
#include <string.h>

#include "store/takeover_store.h"

/*
 * address_holder NULL means the host itself. taken_by/taken_at say who took the row at the
 * host's last death (for `spgatectl gateways` and the audit); the host's next acquire keeps
 * them, and its addresses stay with their holder: a host that comes back takes nothing back.
 */
const char store_takeover_schema[] =
	"ALTER TABLE gateways ADD COLUMN vendor_address TEXT;"
	"ALTER TABLE gateways ADD COLUMN sp_address TEXT;"
	"ALTER TABLE gateways ADD COLUMN address_holder TEXT;"
	"ALTER TABLE gateways ADD COLUMN taken_by TEXT;"
	"ALTER TABLE gateways ADD COLUMN taken_at INTEGER;";

int store_gateway_publish(struct store *st, const char *id, int64_t generation, uint32_t vendor_address,
			  uint32_t sp_address)
{
	db_stmt *q = store_stmt(st, "UPDATE gateways SET vendor_address = ?3, sp_address = ?4 "
				    "WHERE id = ?1 AND generation = ?2");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_int64(q, 2, generation);
	store_bind_addr(q, 3, vendor_address);
	store_bind_addr(q, 4, sp_address);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ESTALE;
	return rc;
}

#define ADDRESS_COLUMNS "id, vendor_address, sp_address, COALESCE(address_holder, id) FROM gateways "

static void addresses_read(db_stmt *q, struct store_gateway_addresses *a)
{
	memset(a, 0, sizeof(*a));
	store_column_copy(a->id, sizeof(a->id), q, 0);
	a->vendor_address = store_column_addr(q, 1);
	a->sp_address = store_column_addr(q, 2);
	store_column_copy(a->holder, sizeof(a->holder), q, 3);
}

static int addresses_read_cb(db_stmt *q, void *arg)
{
	addresses_read(q, arg);
	return 0;
}

int store_gateway_addresses_get(struct store *st, const char *id, struct store_gateway_addresses *a)
{
	return store_get_by_text(st, "SELECT " ADDRESS_COLUMNS "WHERE id = ?1", id, addresses_read_cb, a);
}

int store_gateway_held_foreach(struct store *st, const char *holder,
			       int (*fn)(const struct store_gateway_addresses *a, void *arg), void *arg)
{
	struct store_gateway_addresses a;
	db_stmt *q;
	int rc, fn_rc = 0;

	rc = store_prepare(st, "SELECT " ADDRESS_COLUMNS "WHERE address_holder = ?1 AND id <> ?1 ORDER BY id", &q);
	if (rc < 0)
		return rc;
	db_bind_text(q, 1, holder, -1, DB_STATIC);
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		addresses_read(q, &a);
		fn_rc = fn(&a, arg);
	}
	return store_finalize(q, rc, fn_rc);
}

int store_gateway_give_back(struct store *st, const char *id, const char *holder, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE gateways SET address_holder = NULL "
				    "WHERE id = ?1 AND address_holder = ?2 AND lease_expires >= ?3");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_text(q, 2, holder, -1, DB_STATIC);
	db_bind_int64(q, 3, now);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -EALREADY;
	return rc;
}

int store_gateway_dead_foreach(struct store *st, const char *me, int64_t now,
			       int (*fn)(const struct store_gateway_dead *d, void *arg), void *arg)
{
	struct store_gateway_dead d;
	db_stmt *q;
	int rc, fn_rc = 0;

	rc = store_prepare(st, "SELECT g.id, g.generation, (SELECT COUNT(*) FROM sessions s "
			       "WHERE s.owner_gateway = g.id AND s.closed IS NULL) AS n FROM gateways g "
			       "WHERE g.id <> ?1 AND g.lease_expires < ?2 AND ("
			       "EXISTS (SELECT 1 FROM sessions s WHERE s.owner_gateway = g.id AND s.closed IS NULL) "
			       "OR EXISTS (SELECT 1 FROM gateways h WHERE COALESCE(h.address_holder, h.id) = g.id "
			       "AND (h.vendor_address IS NOT NULL OR h.sp_address IS NOT NULL))) ORDER BY g.id",
			   &q);
	if (rc < 0)
		return rc;
	db_bind_text(q, 1, me, -1, DB_STATIC);
	db_bind_int64(q, 2, now);
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		memset(&d, 0, sizeof(d));
		store_column_copy(d.id, sizeof(d.id), q, 0);
		d.generation = db_column_int64(q, 1);
		d.sessions = db_column_int64(q, 2);
		fn_rc = fn(&d, arg);
	}
	return store_finalize(q, rc, fn_rc);
}

/* The fence: one conditional UPDATE, so that of two survivors exactly one changes the row. */
static int fence_dead(struct store *st, const char *dead, int64_t generation, const char *me, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE gateways SET generation = generation + 1, taken_by = ?3, "
				    "taken_at = ?4 WHERE id = ?1 AND generation = ?2 AND lease_expires < ?4");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, dead, -1, DB_STATIC);
	db_bind_int64(q, 2, generation);
	db_bind_text(q, 3, me, -1, DB_STATIC);
	db_bind_int64(q, 4, now);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -EALREADY;
	return rc;
}

static int move_to(struct store *st, const char *sql, const char *dead, const char *me, int64_t *changed)
{
	db_stmt *q = store_stmt(st, sql);
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, dead, -1, DB_STATIC);
	db_bind_text(q, 2, me, -1, DB_STATIC);
	rc = store_step_done(st, q);
	if (rc == 0 && changed != NULL)
		*changed = store_changes(st);
	return rc;
}

int store_gateway_take(struct store *st, const char *dead, int64_t generation, const char *me, int64_t now,
		       int64_t *n_sessions)
{
	int rc = store_begin(st);

	if (rc != 0)
		return rc;
	rc = fence_dead(st, dead, generation, me, now);
	if (rc == 0)
		rc = move_to(st, "UPDATE gateways SET address_holder = ?2 WHERE COALESCE(address_holder, id) = ?1",
			     dead, me, NULL);
	if (rc == 0)
		rc = move_to(st, "UPDATE sessions SET owner_gateway = ?2 WHERE owner_gateway = ?1 AND closed IS NULL",
			     dead, me, n_sessions);
	if (rc != 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}
