/* SPDX-License-Identifier: BSD-3-Clause */
/* Typed queries for the inventory tables: see inventory_store.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/inventory_store.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const policy_names[] = {
	[STORE_POLICY_AUTO] = "auto",
	[STORE_POLICY_ASK] = "ask",
	[STORE_POLICY_DENY] = "deny",
};
static const char *const connect_names[] = {
	[STORE_CONNECT_NETWORK] = "network",
	[STORE_CONNECT_MODEM] = "modem",
};
static const char *const line_state_names[] = {
	[STORE_LINE_IDLE] = "idle",
	[STORE_LINE_DIALING] = "dialing",
	[STORE_LINE_CONNECTED] = "connected",
	[STORE_LINE_FAILED] = "failed",
	[STORE_LINE_DISABLED] = "disabled",
};

static const char *const recording_names[] = {"off", "on", "required"};

STORE_ENUM_NAMES(enum store_policy, policy_names, store_policy_name, store_policy_parse)
STORE_ENUM_NAMES(enum store_rec_policy, recording_names, store_rec_policy_name, store_rec_policy_parse)
STORE_ENUM_NAMES(enum store_connect, connect_names, store_connect_name, store_connect_parse)
STORE_ENUM_NAMES(enum store_line_state, line_state_names, store_line_state_name,
		 store_line_state_parse)

/* Column 0 into the int64_t at out. */
static int id_read(db_stmt *q, void *out)
{
	*(int64_t *)out = db_column_int64(q, 0);
	return 0;
}

static int customer_id(struct store *st, const char *name, int64_t *id)
{
	return store_get_by_text(st, "SELECT id FROM customers WHERE name = ?1", name, id_read, id);
}

/* The id of site name of customer cust_id (and its region if region is not NULL). */
static int site_id(struct store *st, int64_t cust_id, const char *name, int64_t *id,
		   char *region, size_t region_len)
{
	db_stmt *q = store_stmt(st, "SELECT id, region FROM sites "
					 "WHERE customer_id = ?1 AND name = ?2");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, cust_id);
	db_bind_text(q, 2, name, -1, DB_STATIC);
	rc = store_step_row(st, q);
	if (rc == 0) {
		*id = db_column_int64(q, 0);
		if (region != NULL)
			store_column_copy(region, region_len, q, 1);
		db_reset(q);
	}
	return rc;
}

int store_customer_put(struct store *st, struct store_customer *c)
{
	db_stmt *q = store_stmt(
		st, "INSERT INTO customers (name, approval_policy, approvers, mfa, recording, recording_cert, "
		    "require_reason, require_ticket) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
		    "ON CONFLICT (name) DO UPDATE SET approval_policy = excluded.approval_policy, "
		    "approvers = excluded.approvers, mfa = excluded.mfa, recording = excluded.recording, "
		    "recording_cert = excluded.recording_cert, require_reason = excluded.require_reason, "
		    "require_ticket = excluded.require_ticket");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, c->name, -1, DB_STATIC);
	db_bind_text(q, 2, store_policy_name(c->policy), -1, DB_STATIC);
	store_bind_optional(q, 3, c->approvers);
	db_bind_text(q, 4, c->mfa_required ? "required" : "optional", -1, DB_STATIC);
	db_bind_text(q, 5, store_rec_policy_name(c->recording), -1, DB_STATIC);
	db_bind_text(q, 6, c->recording_cert, -1, DB_STATIC);
	db_bind_int(q, 7, c->require_reason);
	db_bind_int(q, 8, c->require_ticket);
	rc = store_step_done(st, q);
	return rc < 0 ? rc : customer_id(st, c->name, &c->id);
}

static int customer_read(db_stmt *q, void *out)
{
	struct store_customer *c = out;
	char policy[16], recording[16];

	memset(c, 0, sizeof(*c));
	c->id = db_column_int64(q, 0);
	store_column_copy(c->name, sizeof(c->name), q, 1);
	store_column_copy(policy, sizeof(policy), q, 2);
	store_column_copy(c->approvers, sizeof(c->approvers), q, 3);
	c->mfa_required = db_column_int(q, 4) != 0;
	store_column_copy(recording, sizeof(recording), q, 5);
	store_column_copy(c->recording_cert, sizeof(c->recording_cert), q, 6);
	c->require_reason = db_column_int(q, 7) != 0;
	c->require_ticket = db_column_int(q, 8) != 0;
	if (store_rec_policy_parse(recording, &c->recording) != 0)
		return -EINVAL;
	return store_policy_parse(policy, &c->policy);
}

int store_customer_get(struct store *st, const char *name, struct store_customer *c)
{
	return store_get_by_text(st, "SELECT id, name, approval_policy, IFNULL(approvers, ''), "
				     "mfa = 'required', recording, recording_cert, require_reason, require_ticket "
				     "FROM customers WHERE name = ?1",
				 name, customer_read, c);
}

int store_site_put(struct store *st, struct store_site *s)
{
	db_stmt *q;
	int64_t cid;
	int rc;

	rc = customer_id(st, s->customer, &cid);
	if (rc < 0)
		return rc;
	q = store_stmt(st, "INSERT INTO sites (customer_id, name, region) VALUES (?1, ?2, ?3) "
			   "ON CONFLICT (customer_id, name) DO UPDATE SET region = excluded.region");
	if (q == NULL)
		return -EIO;
	db_bind_int64(q, 1, cid);
	db_bind_text(q, 2, s->name, -1, DB_STATIC);
	db_bind_text(q, 3, s->region, -1, DB_STATIC);
	rc = store_step_done(st, q);
	return rc < 0 ? rc : site_id(st, cid, s->name, &s->id, NULL, 0);
}

int store_site_get(struct store *st, const char *customer, const char *name,
		   struct store_site *s)
{
	int64_t cid;
	int rc;

	rc = customer_id(st, customer, &cid);
	if (rc < 0)
		return rc;
	memset(s, 0, sizeof(*s));
	rc = site_id(st, cid, name, &s->id, s->region, sizeof(s->region));
	if (rc < 0)
		return rc;
	snprintf(s->customer, sizeof(s->customer), "%s", customer);
	snprintf(s->name, sizeof(s->name), "%s", name);
	return 0;
}

int store_profile_put(struct store *st, const struct store_profile *p)
{
	db_stmt *q = store_stmt(
		st, "INSERT INTO service_profiles (name, ports, icmp_echo) VALUES (?1, ?2, ?3) "
		    "ON CONFLICT (name) DO UPDATE SET ports = excluded.ports, "
		    "icmp_echo = excluded.icmp_echo");

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, p->name, -1, DB_STATIC);
	db_bind_text(q, 2, p->ports, -1, DB_STATIC);
	db_bind_int(q, 3, p->icmp_echo);
	return store_step_done(st, q);
}

static int profile_read(db_stmt *q, void *out)
{
	struct store_profile *p = out;

	memset(p, 0, sizeof(*p));
	store_column_copy(p->name, sizeof(p->name), q, 0);
	store_column_copy(p->ports, sizeof(p->ports), q, 1);
	p->icmp_echo = db_column_int(q, 2) != 0;
	return 0;
}

int store_profile_get(struct store *st, const char *name, struct store_profile *p)
{
	return store_get_by_text(st, "SELECT name, ports, icmp_echo FROM service_profiles "
				     "WHERE name = ?1",
				 name, profile_read, p);
}

static int profile_exists(struct store *st, const char *name)
{
	struct store_profile p;

	return store_profile_get(st, name, &p);
}

int store_system_put(struct store *st, const struct store_system *s)
{
	char site_region[STORE_NAME_MAX];
	int64_t cid, sid;
	db_stmt *q;
	int rc;

	rc = customer_id(st, s->customer, &cid);
	if (rc == 0)
		rc = site_id(st, cid, s->site, &sid, site_region, sizeof(site_region));
	if (rc == 0)
		rc = profile_exists(st, s->profile);
	if (rc < 0)
		return rc;
	q = store_stmt(st, "INSERT INTO systems (serial, customer_id, site_id, region, "
			   "connect_method, address, profile) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
			   "ON CONFLICT (serial) DO UPDATE SET customer_id = excluded.customer_id, "
			   "site_id = excluded.site_id, region = excluded.region, "
			   "connect_method = excluded.connect_method, address = excluded.address, "
			   "profile = excluded.profile");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, s->serial, -1, DB_STATIC);
	db_bind_int64(q, 2, cid);
	db_bind_int64(q, 3, sid);
	/* A system is where its site is unless the inventory says otherwise. */
	db_bind_text(q, 4, s->region[0] != '\0' ? s->region : site_region, -1,
			  DB_STATIC);
	db_bind_text(q, 5, store_connect_name(s->connect), -1, DB_STATIC);
	db_bind_text(q, 6, s->address, -1, DB_STATIC);
	db_bind_text(q, 7, s->profile, -1, DB_STATIC);
	return store_step_done(st, q);
}

void store_system_read(db_stmt *q, int c, struct store_system *s)
{
	char connect[16];

	memset(s, 0, sizeof(*s));
	store_column_copy(s->serial, sizeof(s->serial), q, c);
	store_column_copy(s->customer, sizeof(s->customer), q, c + 1);
	store_column_copy(s->site, sizeof(s->site), q, c + 2);
	store_column_copy(s->region, sizeof(s->region), q, c + 3);
	store_column_copy(connect, sizeof(connect), q, c + 4);
	store_column_copy(s->address, sizeof(s->address), q, c + 5);
	store_column_copy(s->profile, sizeof(s->profile), q, c + 6);
	/* The schema's CHECK admits only the known names. */
	store_connect_parse(connect, &s->connect);
}

static int system_read(db_stmt *q, void *out)
{
	store_system_read(q, 0, out);
	return 0;
}

int store_system_get(struct store *st, const char *serial, struct store_system *s)
{
	return store_get_by_text(st, "SELECT " STORE_SYSTEM_COLUMNS " FROM " STORE_SYSTEM_FROM
				     " WHERE y.serial = ?1",
				 serial, system_read, s);
}

/* "a,b,c" from the user's groups; -ENAMETOOLONG if it does not fit. */
static int join_names(const char names[][STORE_NAME_MAX], unsigned n, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;
	int w;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(buf + off, len - off, "%s%s", i ? "," : "", names[i]);
		if (w < 0 || (size_t)w >= len - off)
			return -ENAMETOOLONG;
		off += (size_t)w;
	}
	return 0;
}

int store_split_names(const char *text, char sep, char names[][STORE_NAME_MAX], unsigned max,
		      unsigned *n)
{
	const char *p = text, *end;
	size_t len;

	*n = 0;
	if (text == NULL || text[0] == '\0')
		return 0;
	for (;;) {
		end = strchr(p, sep);
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0)
			return -EINVAL;
		if (len >= STORE_NAME_MAX)
			return -ENAMETOOLONG;
		if (*n == max)
			return -E2BIG;
		memcpy(names[*n], p, len);
		names[*n][len] = '\0';
		(*n)++;
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

int store_user_put(struct store *st, const struct store_user *u)
{
	char groups[STORE_MAX_GROUPS * STORE_NAME_MAX];
	db_stmt *q;
	int rc;

	if (u->n_groups > STORE_MAX_GROUPS)
		return -E2BIG;
	rc = join_names(u->groups, u->n_groups, groups, sizeof(groups));
	if (rc < 0)
		return rc;
	q = store_stmt(st, "INSERT INTO users (name, password_hash, \"groups\", may_name_workstations) "
			   "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
			   "password_hash = excluded.password_hash, \"groups\" = excluded.\"groups\", "
			   "may_name_workstations = excluded.may_name_workstations");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, u->name, -1, DB_STATIC);
	db_bind_text(q, 2, u->password_hash, -1, DB_STATIC);
	db_bind_text(q, 3, groups, -1, DB_STATIC);
	db_bind_text(q, 4, u->may_name_workstations, -1, DB_STATIC);
	return store_step_done(st, q);
}

static int user_read(db_stmt *q, void *out)
{
	char groups[STORE_MAX_GROUPS * STORE_NAME_MAX];
	struct store_user *u = out;

	memset(u, 0, sizeof(*u));
	store_column_copy(u->name, sizeof(u->name), q, 0);
	store_column_copy(u->password_hash, sizeof(u->password_hash), q, 1);
	store_column_copy(groups, sizeof(groups), q, 2);
	store_column_copy(u->may_name_workstations, sizeof(u->may_name_workstations), q, 3);
	return store_split_names(groups, ',', u->groups, STORE_MAX_GROUPS, &u->n_groups);
}

int store_user_get(struct store *st, const char *name, struct store_user *u)
{
	return store_get_by_text(st, "SELECT name, password_hash, \"groups\", may_name_workstations FROM users "
				     "WHERE name = ?1",
				 name, user_read, u);
}

int store_group_put(struct store *st, const struct store_group *g)
{
	db_stmt *q = store_stmt(st, "INSERT INTO \"groups\" (name, privileged) VALUES (?1, ?2) "
					 "ON CONFLICT (name) DO UPDATE SET "
					 "privileged = excluded.privileged");

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, g->name, -1, DB_STATIC);
	db_bind_int(q, 2, g->privileged);
	return store_step_done(st, q);
}

static int group_read(db_stmt *q, void *out)
{
	struct store_group *g = out;

	memset(g, 0, sizeof(*g));
	store_column_copy(g->name, sizeof(g->name), q, 0);
	g->privileged = db_column_int(q, 1) != 0;
	return 0;
}

int store_group_get(struct store *st, const char *name, struct store_group *g)
{
	return store_get_by_text(st, "SELECT name, privileged FROM \"groups\" WHERE name = ?1",
				 name, group_read, g);
}

int store_rule_put(struct store *st, struct store_rule *r)
{
	db_stmt *q;
	int64_t cid, sid = 0;
	int rc;

	rc = customer_id(st, r->customer, &cid);
	if (rc == 0 && r->site[0] != '\0')
		rc = site_id(st, cid, r->site, &sid, NULL, 0);
	if (rc < 0)
		return rc;
	q = store_stmt(st, "INSERT INTO access_rules (group_name, customer_id, site_id) "
			   "VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, r->group, -1, DB_STATIC);
	db_bind_int64(q, 2, cid);
	if (sid != 0)
		db_bind_int64(q, 3, sid);
	rc = store_step_done(st, q);
	if (rc < 0)
		return rc;
	q = store_stmt(st, "SELECT id FROM access_rules WHERE group_name = ?1 AND customer_id = ?2 "
			   "AND IFNULL(site_id, 0) = ?3");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, r->group, -1, DB_STATIC);
	db_bind_int64(q, 2, cid);
	db_bind_int64(q, 3, sid);
	return store_read_one(st, q, id_read, &r->id);
}

int store_rule_foreach(struct store *st, int (*fn)(const struct store_rule *r, void *arg),
		       void *arg)
{
	struct store_rule r;
	db_stmt *q;
	int rc, fn_rc = 0;

	rc = store_prepare(st, "SELECT r.id, r.group_name, c.name, IFNULL(t.name, '') "
				 "FROM access_rules r JOIN customers c ON c.id = r.customer_id "
				 "LEFT JOIN sites t ON t.id = r.site_id ORDER BY r.id", &q);
	if (rc < 0)
		return rc;
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		memset(&r, 0, sizeof(r));
		r.id = db_column_int64(q, 0);
		store_column_copy(r.group, sizeof(r.group), q, 1);
		store_column_copy(r.customer, sizeof(r.customer), q, 2);
		store_column_copy(r.site, sizeof(r.site), q, 3);
		fn_rc = fn(&r, arg);
	}
	return store_finalize(q, rc, fn_rc);
}

int store_line_put(struct store *st, const struct store_line *l, bool enabled)
{
	db_stmt *q;
	int64_t cid = 0;
	int rc;

	if (l->customer[0] != '\0') {
		rc = customer_id(st, l->customer, &cid);
		if (rc < 0)
			return rc;
	}
	/* The run-time columns (state but for enabling, counters) are never set by a put. */
	q = store_stmt(st, "INSERT INTO lines (id, type, region, customer_id, state, device, baud, flow, "
			   "init, dial_prefix, peer_address, peer_port) "
			   "VALUES (?1, ?2, ?3, ?4, CASE WHEN ?5 <> 0 THEN 'idle' ELSE 'disabled' END, ?6, ?7, ?8, "
			   "?9, ?10, ?11, ?12) "
			   "ON CONFLICT (id) DO UPDATE SET type = excluded.type, "
			   "region = excluded.region, customer_id = excluded.customer_id, "
			   "device = excluded.device, baud = excluded.baud, flow = excluded.flow, "
			   "init = excluded.init, dial_prefix = excluded.dial_prefix, "
			   "peer_address = excluded.peer_address, peer_port = excluded.peer_port, "
			   "state = CASE WHEN ?5 = 0 THEN 'disabled' "
			   "WHEN lines.state = 'disabled' THEN 'idle' ELSE lines.state END");
	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, l->id, -1, DB_STATIC);
	db_bind_text(q, 2, store_connect_name(l->type), -1, DB_STATIC);
	db_bind_text(q, 3, l->region, -1, DB_STATIC);
	if (cid != 0)
		db_bind_int64(q, 4, cid);
	db_bind_int(q, 5, enabled);
	db_bind_text(q, 6, l->device, -1, DB_STATIC);
	db_bind_int64(q, 7, l->baud);
	db_bind_text(q, 8, l->flow[0] != '\0' ? l->flow : "rtscts", -1, DB_STATIC);
	db_bind_text(q, 9, l->init, -1, DB_STATIC);
	db_bind_text(q, 10, l->dial_prefix, -1, DB_STATIC);
	store_bind_addr(q, 11, l->peer_addr);
	db_bind_int(q, 12, l->peer_port);
	return store_step_done(st, q);
}

#define LINE_COLUMNS                                                                       \
	"l.id, l.type, l.region, IFNULL(c.name, ''), l.state, l.device, "                  \
	"IFNULL(l.session_id, 0), l.baud, l.flow, l.init, l.dial_prefix, l.peer_address, "  \
	"l.peer_port, l.calls, l.failures, l.consecutive_faults, l.last_result "           \
	"FROM lines l LEFT JOIN customers c ON c.id = l.customer_id"

static int line_read(db_stmt *q, void *out)
{
	struct store_line *l = out;
	char type[16], state[16];

	memset(l, 0, sizeof(*l));
	store_column_copy(l->id, sizeof(l->id), q, 0);
	store_column_copy(type, sizeof(type), q, 1);
	store_column_copy(l->region, sizeof(l->region), q, 2);
	store_column_copy(l->customer, sizeof(l->customer), q, 3);
	store_column_copy(state, sizeof(state), q, 4);
	store_column_copy(l->device, sizeof(l->device), q, 5);
	l->session_id = db_column_int64(q, 6);
	l->baud = (uint32_t)db_column_int64(q, 7);
	store_column_copy(l->flow, sizeof(l->flow), q, 8);
	store_column_copy(l->init, sizeof(l->init), q, 9);
	store_column_copy(l->dial_prefix, sizeof(l->dial_prefix), q, 10);
	l->peer_addr = store_column_addr(q, 11);
	l->peer_port = (uint16_t)db_column_int(q, 12);
	l->calls = (uint64_t)db_column_int64(q, 13);
	l->failures = (uint64_t)db_column_int64(q, 14);
	l->consecutive_faults = (uint32_t)db_column_int64(q, 15);
	store_column_copy(l->last_result, sizeof(l->last_result), q, 16);
	store_connect_parse(type, &l->type);
	store_line_state_parse(state, &l->state);
	return 0;
}

int store_line_get(struct store *st, const char *id, struct store_line *l)
{
	return store_get_by_text(st, "SELECT " LINE_COLUMNS " WHERE l.id = ?1", id, line_read, l);
}

int store_line_set_state(struct store *st, const char *id, enum store_line_state state,
			 int64_t session_id)
{
	db_stmt *q = store_stmt(st, "UPDATE lines SET state = ?2, session_id = ?3 "
					 "WHERE id = ?1");
	int rc;

	if (q == NULL)
		return -EIO;
	if ((unsigned)state >= ARRAY_SIZE(line_state_names))
		return -EINVAL;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_text(q, 2, store_line_state_name(state), -1, DB_STATIC);
	if (session_id != 0)
		db_bind_int64(q, 3, session_id);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ENOENT;
	return rc;
}

int store_line_claim(struct store *st, const char *id, int64_t session_id)
{
	db_stmt *q = store_stmt(st, "UPDATE lines SET state = 'dialing', session_id = ?2 "
				    "WHERE id = ?1 AND state = 'idle'");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	db_bind_int64(q, 2, session_id);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -EBUSY;
	return rc;
}

int store_line_note_call(struct store *st, const char *id, const char *result, bool failed,
			 bool line_fault, bool reset_faults)
{
	db_stmt *q = store_stmt(st, "UPDATE lines SET calls = calls + ?2, failures = failures + ?3, "
					 "consecutive_faults = CASE WHEN ?5 <> 0 THEN 0 ELSE consecutive_faults + ?4 END, "
					 "last_result = ?6 WHERE id = ?1");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, id, -1, DB_STATIC);
	/* A health check is no call; it only resets (or keeps) the fault count. */
	db_bind_int(q, 2, strncmp(result, "check", 5) != 0);
	db_bind_int(q, 3, failed);
	db_bind_int(q, 4, line_fault);
	db_bind_int(q, 5, reset_faults);
	db_bind_text(q, 6, result, -1, DB_STATIC);
	rc = store_step_done(st, q);
	if (rc == 0 && store_changes(st) == 0)
		return -ENOENT;
	return rc;
}

int store_line_foreach(struct store *st, int (*fn)(const struct store_line *l, void *arg),
		       void *arg)
{
	struct store_line l;
	db_stmt *q;
	int rc, fn_rc = 0;

	rc = store_prepare(st, "SELECT " LINE_COLUMNS " ORDER BY l.id", &q);
	if (rc < 0)
		return rc;
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		line_read(q, &l);
		fn_rc = fn(&l, arg);
	}
	return store_finalize(q, rc, fn_rc);
}

int store_ticket_insert(struct store *st, struct store_ticket *t)
{
	db_stmt *q = store_stmt(st, "INSERT INTO tickets (serial, customer, site, problem, "
					 "submitted_by, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id");

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, t->serial, -1, DB_STATIC);
	db_bind_text(q, 2, t->customer, -1, DB_STATIC);
	db_bind_text(q, 3, t->site, -1, DB_STATIC);
	db_bind_text(q, 4, t->problem, -1, DB_STATIC);
	db_bind_text(q, 5, t->submitted_by, -1, DB_STATIC);
	db_bind_int64(q, 6, t->created);
	return store_insert_id(st, q, &t->id);
}

#define TICKET_COLUMNS "id, serial, customer, site, problem, submitted_by, created FROM tickets"

static int ticket_read(db_stmt *q, void *out)
{
	struct store_ticket *t = out;

	memset(t, 0, sizeof(*t));
	t->id = db_column_int64(q, 0);
	store_column_copy(t->serial, sizeof(t->serial), q, 1);
	store_column_copy(t->customer, sizeof(t->customer), q, 2);
	store_column_copy(t->site, sizeof(t->site), q, 3);
	store_column_copy(t->problem, sizeof(t->problem), q, 4);
	store_column_copy(t->submitted_by, sizeof(t->submitted_by), q, 5);
	t->created = db_column_int64(q, 6);
	return 0;
}

int store_ticket_get(struct store *st, int64_t id, struct store_ticket *t)
{
	return store_get_by_int(st, "SELECT " TICKET_COLUMNS " WHERE id = ?1", id, ticket_read, t);
}

int store_ticket_foreach(struct store *st, int (*fn)(const struct store_ticket *t, void *arg),
			 void *arg)
{
	struct store_ticket t;
	db_stmt *q;
	int rc, fn_rc = 0;

	rc = store_prepare(st, "SELECT " TICKET_COLUMNS " ORDER BY id DESC", &q);
	if (rc < 0)
		return rc;
	while (fn_rc == 0 && (rc = db_step(q)) == DB_ROW) {
		ticket_read(q, &t);
		fn_rc = fn(&t, arg);
	}
	return store_finalize(q, rc, fn_rc);
}
