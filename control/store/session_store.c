/* SPDX-License-Identifier: BSD-3-Clause */
/* Session, approval and address hold-back rows: see session_store.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "store/session_store.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const state_names[] = {
	[STORE_SESSION_REQUESTED] = "requested",
	[STORE_SESSION_AUTHORIZED] = "authorized",
	[STORE_SESSION_AWAITING_APPROVAL] = "awaiting_approval",
	[STORE_SESSION_DIALING] = "dialing",
	[STORE_SESSION_SP_AUTH] = "sp_auth",
	[STORE_SESSION_KEYED] = "keyed",
	[STORE_SESSION_ACTIVE] = "active",
	[STORE_SESSION_CLOSING] = "closing",
	[STORE_SESSION_CLOSED] = "closed",
	[STORE_SESSION_FAILED] = "failed",
};

static const char *const decision_names[] = {
	[STORE_APPROVAL_PENDING] = "pending",
	[STORE_APPROVAL_APPROVED] = "approved",
	[STORE_APPROVAL_DENIED] = "denied",
	[STORE_APPROVAL_EXPIRED] = "expired",
};

/* SQL that keeps "live" and "closed IS NULL" the same thing, whoever writes the state. */
#define CLOSED_FOR(state, closed, now)                                                     \
	"CASE WHEN " state " IN ('closed', 'failed') THEN COALESCE(" closed ", " now ") "  \
	"ELSE NULL END"

STORE_ENUM_NAMES(enum store_session_state, state_names, store_session_state_name,
		 store_session_state_parse)
STORE_ENUM_NAMES(enum store_approval_decision, decision_names, store_approval_decision_name,
		 store_approval_decision_parse)

bool store_session_state_live(enum store_session_state s)
{
	return s != STORE_SESSION_CLOSED && s != STORE_SESSION_FAILED;
}

static void bind_endpoint(db_stmt *q, int i, uint32_t addr, uint16_t port)
{
	char a[SPG_ADDR_STRLEN], buf[SPG_ENDPOINT_STRLEN];

	if (addr == 0) {
		db_bind_null(q, i);
		return;
	}
	snprintf(buf, sizeof(buf), "%s:%u", spg_addr_str(addr, a), port);
	db_bind_text(q, i, buf, -1, DB_TRANSIENT);
}

static size_t column_blob(db_stmt *q, int col, unsigned char *dst, size_t max)
{
	const void *b = db_column_blob(q, col);
	size_t n = (size_t)db_column_bytes(q, col);

	if (b == NULL)
		return 0;
	if (n > max)
		n = max;
	memcpy(dst, b, n);
	return n;
}

#define SESSION_COLUMNS                                                                    \
	"s.id, s.serial, IFNULL(c.name, ''), s.user, s.workstation, s.state, s.reason, "   \
	"IFNULL(s.line_id, ''), s.virtual_address, s.spi_in, s.spi_out, s.sp_address, "    \
	"s.speed_bps, s.grant, s.grant_sig, s.agent_address, s.generation, s.created, "    \
	"s.updated, IFNULL(s.closed, 0), s.out_packets, s.in_packets, s.out_bytes, "       \
	"s.in_bytes, s.drops, s.last_activity, s.request_reason, s.ticket, "               \
	"EXISTS (SELECT 1 FROM recordings r WHERE r.session_id = s.id AND r.recorded = 1), " \
	"COALESCE(s.owner_gateway, '') "                                                  \
	"FROM sessions s "                                                                  \
	"LEFT JOIN systems y ON y.serial = s.serial "                                      \
	"LEFT JOIN customers c ON c.id = y.customer_id"

static int session_read(db_stmt *q, void *out)
{
	struct store_session *s = out;
	const unsigned char *agent;
	char state[32];

	memset(s, 0, sizeof(*s));
	s->id = db_column_int64(q, 0);
	store_column_copy(s->serial, sizeof(s->serial), q, 1);
	store_column_copy(s->customer, sizeof(s->customer), q, 2);
	store_column_copy(s->user, sizeof(s->user), q, 3);
	s->workstation = store_column_addr(q, 4);
	store_column_copy(state, sizeof(state), q, 5);
	store_session_state_parse(state, &s->state);
	store_column_copy(s->reason, sizeof(s->reason), q, 6);
	store_column_copy(s->line_id, sizeof(s->line_id), q, 7);
	s->virtual_address = store_column_addr(q, 8);
	s->spi_in = (uint32_t)db_column_int64(q, 9);
	s->spi_out = (uint32_t)db_column_int64(q, 10);
	s->sp_address = store_column_addr(q, 11);
	s->speed_bps = (uint64_t)db_column_int64(q, 12);
	s->grant_len = column_blob(q, 13, s->grant, sizeof(s->grant));
	s->grant_sig_len = column_blob(q, 14, s->grant_sig, sizeof(s->grant_sig));
	agent = db_column_text(q, 15);
	if (agent != NULL &&
	    !spg_endpoint_parse((const char *)agent, &s->agent_address, &s->agent_port, 0)) {
		s->agent_address = 0;
		s->agent_port = 0;
	}
	s->generation = (uint32_t)db_column_int64(q, 16);
	s->created = db_column_int64(q, 17);
	s->updated = db_column_int64(q, 18);
	s->closed = db_column_int64(q, 19);
	s->counters.out_packets = (uint64_t)db_column_int64(q, 20);
	s->counters.in_packets = (uint64_t)db_column_int64(q, 21);
	s->counters.out_bytes = (uint64_t)db_column_int64(q, 22);
	s->counters.in_bytes = (uint64_t)db_column_int64(q, 23);
	s->counters.drops = (uint64_t)db_column_int64(q, 24);
	s->counters.last_activity = db_column_int64(q, 25);
	store_column_copy(s->request_reason, sizeof(s->request_reason), q, 26);
	store_column_copy(s->ticket, sizeof(s->ticket), q, 27);
	s->recorded = db_column_int(q, 28) != 0;
	store_column_copy(s->owner_gateway, sizeof(s->owner_gateway), q, 29);
	return 0;
}

/*
 * Binds the fields create and update share, at ?3..?23:
 * workstation, state, reason, line, V_i, spi_in, spi_out, S, speed, grant, sig, agent,
 * generation, updated, closed, five counters, last activity.
 */
static int bind_mutable(db_stmt *q, const struct store_session *s)
{
	char ws[SPG_ADDR_STRLEN];

	if ((unsigned)s->state >= ARRAY_SIZE(state_names) || s->grant_len > STORE_GRANT_MAX ||
	    s->grant_sig_len > STORE_SIG_MAX)
		return -EINVAL;
	db_bind_text(q, 3, s->workstation ? spg_addr_str(s->workstation, ws) : "", -1,
			  DB_TRANSIENT);
	db_bind_text(q, 4, store_session_state_name(s->state), -1, DB_STATIC);
	db_bind_text(q, 5, s->reason, -1, DB_STATIC);
	store_bind_optional(q, 6, s->line_id);
	store_bind_addr(q, 7, s->virtual_address);
	db_bind_int64(q, 8, s->spi_in);
	db_bind_int64(q, 9, s->spi_out);
	store_bind_addr(q, 10, s->sp_address);
	db_bind_int64(q, 11, (int64_t)s->speed_bps);
	if (s->grant_len > 0)
		db_bind_blob(q, 12, s->grant, (int)s->grant_len, DB_STATIC);
	if (s->grant_sig_len > 0)
		db_bind_blob(q, 13, s->grant_sig, (int)s->grant_sig_len, DB_STATIC);
	bind_endpoint(q, 14, s->agent_address, s->agent_port);
	db_bind_int64(q, 15, s->generation);
	db_bind_int64(q, 16, s->updated);
	if (s->closed != 0)
		db_bind_int64(q, 17, s->closed);
	db_bind_int64(q, 18, (int64_t)s->counters.out_packets);
	db_bind_int64(q, 19, (int64_t)s->counters.in_packets);
	db_bind_int64(q, 20, (int64_t)s->counters.out_bytes);
	db_bind_int64(q, 21, (int64_t)s->counters.in_bytes);
	db_bind_int64(q, 22, (int64_t)s->counters.drops);
	db_bind_int64(q, 23, s->counters.last_activity);
	return 0;
}

/* Runs a one-row UPDATE of session id whose other parameters the caller bound. */
/*
 * The fence of a fleet (issue 14): on PostgreSQL a host writes a session's lifecycle only
 * while it owns the row. A host that was cut off and taken over may still run the session in
 * memory until its next renewal tells it so; its late writes then change nothing (-ENOENT).
 * Rows without an owner (before migration 9) and a SQLite store (one host, whose gateway.id
 * may have changed) are not fenced.
 */
#define OWNED_BY(p) "(CAST(" p " AS TEXT) IS NULL OR owner_gateway IS NULL OR owner_gateway = " p ")"

static void bind_fence(struct store *st, db_stmt *q, int i)
{
	store_bind_optional(q, i, store_kind(st) == DB_POSTGRESQL ? store_gateway_id(st) : NULL);
}

static int update_one(struct store *st, db_stmt *q)
{
	int rc = store_step_done(st, q);

	if (rc == 0 && store_changes(st) == 0)
		return -ENOENT;
	return rc;
}

int store_session_create(struct store *st, struct store_session *s)
{
	db_stmt *q = store_stmt(
		st, "INSERT INTO sessions (serial, user, workstation, state, reason, line_id, "
		    "virtual_address, spi_in, spi_out, sp_address, speed_bps, grant, grant_sig, "
		    "agent_address, generation, updated, closed, out_packets, in_packets, "
		    "out_bytes, in_bytes, drops, last_activity, created, request_reason, ticket, owner_gateway) "
		    "VALUES (?1, ?2, "
		    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, "
		    CLOSED_FOR("?4", "?17", "?16") ", ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27) RETURNING id");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, s->serial, -1, DB_STATIC);
	db_bind_text(q, 2, s->user, -1, DB_STATIC);
	rc = bind_mutable(q, s);
	if (rc < 0)
		return rc;
	db_bind_int64(q, 24, s->created);
	db_bind_text(q, 25, s->request_reason, -1, DB_STATIC);
	db_bind_text(q, 26, s->ticket, -1, DB_STATIC);
	/* the asked host of a fleet may hand the session on (placement_store.h): its owner's id */
	store_bind_optional(q, 27, s->owner_gateway[0] != '\0' ? s->owner_gateway : store_gateway_id(st));
	return store_insert_id(st, q, &s->id);
}

int store_session_update(struct store *st, const struct store_session *s)
{
	db_stmt *q = store_stmt(
		st, "UPDATE sessions SET workstation = ?3, state = ?4, reason = ?5, line_id = ?6, "
		    "virtual_address = ?7, spi_in = ?8, spi_out = ?9, sp_address = ?10, "
		    "speed_bps = ?11, grant = ?12, grant_sig = ?13, agent_address = ?14, "
		    "generation = ?15, updated = ?16, closed = " CLOSED_FOR("?4", "?17", "?16")
		    ", out_packets = ?18, in_packets = ?19, out_bytes = ?20, in_bytes = ?21, "
		    "drops = ?22, last_activity = ?23 WHERE id = ?1 AND " OWNED_BY("?28"));
	int rc;

	if (q == NULL)
		return -EIO;
	/* ?2 (the user at create) is not written: a session never changes hands. */
	db_bind_int64(q, 1, s->id);
	rc = bind_mutable(q, s);
	if (rc < 0)
		return rc;
	bind_fence(st, q, 28);
	return update_one(st, q);
}

int store_session_get(struct store *st, int64_t id, struct store_session *s)
{
	return store_get_by_int(st, "SELECT " SESSION_COLUMNS " WHERE s.id = ?1", id,
				session_read, s);
}

int store_session_set_state(struct store *st, int64_t id, enum store_session_state state,
			    const char *reason, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE sessions SET state = ?2, "
					 "reason = COALESCE(?3, reason), updated = ?4, closed = "
					 CLOSED_FOR("?2", "closed", "?4") " WHERE id = ?1 AND " OWNED_BY("?5"));

	if (q == NULL)
		return -EIO;
	if ((unsigned)state >= ARRAY_SIZE(state_names))
		return -EINVAL;
	db_bind_int64(q, 1, id);
	db_bind_text(q, 2, store_session_state_name(state), -1, DB_STATIC);
	if (reason != NULL)
		db_bind_text(q, 3, reason, -1, DB_STATIC);
	db_bind_int64(q, 4, now);
	bind_fence(st, q, 5);
	return update_one(st, q);
}

int store_session_set_counters(struct store *st, int64_t id,
			       const struct store_session_counters *c, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE sessions SET out_packets = ?2, in_packets = ?3, "
					 "out_bytes = ?4, in_bytes = ?5, drops = ?6, "
					 "last_activity = ?7, updated = ?8 WHERE id = ?1");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	db_bind_int64(q, 2, (int64_t)c->out_packets);
	db_bind_int64(q, 3, (int64_t)c->in_packets);
	db_bind_int64(q, 4, (int64_t)c->out_bytes);
	db_bind_int64(q, 5, (int64_t)c->in_bytes);
	db_bind_int64(q, 6, (int64_t)c->drops);
	db_bind_int64(q, 7, c->last_activity);
	db_bind_int64(q, 8, now);
	return update_one(st, q);
}

int store_session_set_line(struct store *st, int64_t id, const char *line_id, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE sessions SET line_id = ?2, "
					 "updated = CASE WHEN ?3 > 0 THEN ?3 ELSE updated END "
					 "WHERE id = ?1");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	store_bind_optional(q, 2, line_id);
	db_bind_int64(q, 3, now);
	return update_one(st, q);
}

int store_session_set_address(struct store *st, int64_t id, uint32_t addr, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE sessions SET virtual_address = ?2, "
					 "updated = CASE WHEN ?3 > 0 THEN ?3 ELSE updated END "
					 "WHERE id = ?1");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, id);
	store_bind_addr(q, 2, addr);
	db_bind_int64(q, 3, now);
	return update_one(st, q);
}

int store_session_foreach(struct store *st, const struct store_session_filter *f,
			  int (*fn)(const struct store_session *s, void *arg), void *arg)
{
	static const struct store_session_filter all;
	struct store_session s;
	db_stmt *q;
	int rc, fn_rc = 0;

	if (f == NULL)
		f = &all;
	rc = store_prepare(st, "SELECT " SESSION_COLUMNS " WHERE (CAST(?1 AS TEXT) IS NULL OR s.user = ?1) "
			   "AND (CAST(?2 AS TEXT) IS NULL OR s.serial = ?2) AND (?3 = 0 OR s.closed IS NULL) "
			   "AND s.updated >= ?4 AND (CAST(?6 AS TEXT) IS NULL OR s.owner_gateway = ?6) "
			   "ORDER BY s.id DESC LIMIT ?5", &q);
	if (rc < 0)
		return rc;
	store_bind_optional(q, 1, f->user);
	store_bind_optional(q, 2, f->serial);
	db_bind_int(q, 3, f->live_only);
	db_bind_int64(q, 4, f->since);
	/* no limit: the largest, as PostgreSQL refuses SQLite's -1 */
	db_bind_int64(q, 5, f->limit ? (int64_t)f->limit : INT64_MAX);
	store_bind_optional(q, 6, f->owner);
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		session_read(q, &s);
		fn_rc = fn(&s, arg);
	}
	return store_finalize(q, rc, fn_rc);
}

int store_session_live_for_serial(struct store *st, const char *serial,
				  struct store_session *s)
{
	int rc = store_get_by_text(st, "SELECT " SESSION_COLUMNS " WHERE s.serial = ?1 "
				       "AND s.closed IS NULL ORDER BY s.id LIMIT 1",
				   serial, session_read, s);

	if (rc == -ENOENT)
		return 0;
	return rc < 0 ? rc : 1;
}

/* 1 when q (one bound parameter set by the caller) returns a row, 0 when not. */
static int exists(struct store *st, db_stmt *q)
{
	int rc = store_step_row(st, q);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	db_reset(q);
	return 1;
}

int store_session_address_in_use(struct store *st, uint32_t addr)
{
	db_stmt *q = store_stmt(st, "SELECT 1 FROM sessions WHERE virtual_address = ?1 "
					 "AND closed IS NULL LIMIT 1");

	if (q == NULL)
		return -EIO;
	store_bind_addr(q, 1, addr);
	return exists(st, q);
}

int store_session_spi_in_use(struct store *st, uint32_t spi)
{
	db_stmt *q = store_stmt(st, "SELECT 1 FROM sessions WHERE spi_in = ?1 "
					 "AND closed IS NULL LIMIT 1");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, spi);
	return exists(st, q);
}

int store_approval_insert(struct store *st, int64_t session_id, int64_t deadline)
{
	db_stmt *q = store_stmt(st, "INSERT INTO approvals (session_id, deadline) "
					 "VALUES (?1, ?2)");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, session_id);
	db_bind_int64(q, 2, deadline);
	return store_step_done(st, q);
}

static int approval_read(db_stmt *q, void *out)
{
	struct store_approval *a = out;
	char decision[16];

	memset(a, 0, sizeof(*a));
	a->session_id = db_column_int64(q, 0);
	a->deadline = db_column_int64(q, 1);
	store_column_copy(decision, sizeof(decision), q, 2);
	store_approval_decision_parse(decision, &a->decision);
	store_column_copy(a->decided_by, sizeof(a->decided_by), q, 3);
	a->decided_at = db_column_int64(q, 4);
	return 0;
}

#define APPROVAL_COLUMNS                                                                   \
	"session_id, deadline, decision, IFNULL(decided_by, ''), IFNULL(decided_at, 0) "   \
	"FROM approvals"

int store_approval_get(struct store *st, int64_t session_id, struct store_approval *a)
{
	return store_get_by_int(st, "SELECT " APPROVAL_COLUMNS " WHERE session_id = ?1",
				session_id, approval_read, a);
}

int store_approval_decide(struct store *st, int64_t session_id,
			  enum store_approval_decision decision, const char *by, int64_t now)
{
	db_stmt *q = store_stmt(st, "UPDATE approvals SET decision = ?2, decided_by = ?3, "
					 "decided_at = ?4 WHERE session_id = ?1 "
					 "AND decision = 'pending'");
	struct store_approval a;
	int rc;

	if (q == NULL)
		return -EIO;
	if (decision == STORE_APPROVAL_PENDING || (unsigned)decision >= ARRAY_SIZE(decision_names))
		return -EINVAL;
	db_bind_int64(q, 1, session_id);
	db_bind_text(q, 2, store_approval_decision_name(decision), -1, DB_STATIC);
	store_bind_optional(q, 3, by);
	db_bind_int64(q, 4, now);
	rc = store_step_done(st, q);
	if (rc < 0 || store_changes(st) > 0)
		return rc;
	rc = store_approval_get(st, session_id, &a);
	return rc < 0 ? rc : -EALREADY;
}

int store_approval_foreach_due(struct store *st, int64_t t,
			       int (*fn)(const struct store_approval *a, void *arg), void *arg)
{
	struct store_approval a;
	db_stmt *q;
	int rc, fn_rc = 0;

	rc = store_prepare(st, "SELECT " APPROVAL_COLUMNS " WHERE decision = 'pending' "
			   "AND deadline <= ?1 ORDER BY deadline, session_id", &q);
	if (rc < 0)
		return rc;
	db_bind_int64(q, 1, t);
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		approval_read(q, &a);
		fn_rc = fn(&a, arg);
	}
	return store_finalize(q, rc, fn_rc);
}

int store_approval_next_deadline(struct store *st, int64_t *deadline)
{
	db_stmt *q = store_stmt(st, "SELECT MIN(deadline) FROM approvals "
					 "WHERE decision = 'pending'");
	int rc;

	if (q == NULL)
		return -EIO;
	rc = store_step_row(st, q);
	if (rc < 0)
		return rc;
	rc = db_column_is_null(q, 0) ? 0 : 1;
	if (rc == 1)
		*deadline = db_column_int64(q, 0);
	db_reset(q);
	return rc;
}

int store_holdback_put(struct store *st, uint32_t addr, int64_t until)
{
	db_stmt *q = store_stmt(st, "INSERT INTO address_holdback (address, until) "
					 "VALUES (?1, ?2) ON CONFLICT (address) DO UPDATE SET "
					 "until = CASE WHEN excluded.until > address_holdback.until "
					 "THEN excluded.until ELSE address_holdback.until END");

	if (q == NULL)
		return -EIO;
	if (addr == 0)
		return -EINVAL;
	store_bind_addr(q, 1, addr);
	db_bind_int64(q, 2, until);
	return store_step_done(st, q);
}

int store_holdback_active(struct store *st, uint32_t addr, int64_t now)
{
	db_stmt *q = store_stmt(st, "SELECT 1 FROM address_holdback WHERE address = ?1 "
					 "AND until > ?2");

	if (q == NULL)
		return -EIO;
	store_bind_addr(q, 1, addr);
	db_bind_int64(q, 2, now);
	return exists(st, q);
}

int store_holdback_prune(struct store *st, int64_t now)
{
	db_stmt *q = store_stmt(st, "DELETE FROM address_holdback WHERE until <= ?1");

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, now);
	return store_step_done(st, q);
}
