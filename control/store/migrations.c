/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store's schema, one migration per version. A released migration is never edited:
 * a change is a new entry at the end, so every database can be upgraded step by step.
 * Addresses are dotted-quad TEXT so that an operator's sqlite3 shell shows them as such;
 * "live" sessions are those with closed IS NULL.
 */
#include "store/handoff_store.h"
#include "store/placement_store.h"
#include "store/takeover_store.h"
#include "store/participant_store.h"
#include "store/store.h"

static const char v1_inventory[] =
	"CREATE TABLE customers ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  approval_policy TEXT NOT NULL CHECK (approval_policy IN ('auto', 'ask', 'deny')),"
	"  approvers TEXT);"
	"CREATE TABLE sites ("
	"  id INTEGER PRIMARY KEY,"
	"  customer_id INTEGER NOT NULL REFERENCES customers (id),"
	"  name TEXT NOT NULL,"
	"  region TEXT NOT NULL,"
	"  UNIQUE (customer_id, name));"
	"CREATE TABLE service_profiles ("
	"  name TEXT PRIMARY KEY,"
	"  ports TEXT NOT NULL,"
	"  icmp_echo INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE systems ("
	"  serial TEXT PRIMARY KEY,"
	"  customer_id INTEGER NOT NULL REFERENCES customers (id),"
	"  site_id INTEGER NOT NULL REFERENCES sites (id),"
	"  region TEXT NOT NULL,"
	"  connect_method TEXT NOT NULL CHECK (connect_method IN ('network', 'modem')),"
	"  address TEXT NOT NULL,"
	"  profile TEXT NOT NULL REFERENCES service_profiles (name));"
	"CREATE INDEX systems_by_customer ON systems (customer_id);"
	"CREATE INDEX systems_by_site ON systems (site_id);"
	"CREATE TABLE users ("
	"  name TEXT PRIMARY KEY,"
	"  password_hash TEXT NOT NULL DEFAULT '',"
	"  \"groups\" TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE \"groups\" ("
	"  name TEXT PRIMARY KEY,"
	"  privileged INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE access_rules ("
	"  id INTEGER PRIMARY KEY,"
	"  group_name TEXT NOT NULL,"
	"  customer_id INTEGER NOT NULL REFERENCES customers (id),"
	"  site_id INTEGER REFERENCES sites (id));"
	/* NULL site ids are all distinct to UNIQUE: compare them as 0. */
	"CREATE UNIQUE INDEX access_rules_unique"
	"  ON access_rules (group_name, customer_id, IFNULL(site_id, 0));"
	"CREATE TABLE lines ("
	"  id TEXT PRIMARY KEY,"
	"  type TEXT NOT NULL CHECK (type IN ('network', 'modem')),"
	"  region TEXT NOT NULL,"
	"  customer_id INTEGER REFERENCES customers (id),"
	"  state TEXT NOT NULL DEFAULT 'idle'"
	"    CHECK (state IN ('idle', 'dialing', 'connected', 'failed', 'disabled')),"
	"  device TEXT NOT NULL DEFAULT '',"
	"  session_id INTEGER);"
	"CREATE TABLE tickets ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  serial TEXT NOT NULL REFERENCES systems (serial),"
	"  customer TEXT NOT NULL,"
	"  site TEXT NOT NULL,"
	"  problem TEXT NOT NULL,"
	"  submitted_by TEXT NOT NULL,"
	"  created INTEGER NOT NULL);";

static const char v2_sessions[] =
	/* AUTOINCREMENT: a session id is never handed out twice, even after deletes. */
	"CREATE TABLE sessions ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  serial TEXT NOT NULL REFERENCES systems (serial),"
	"  user TEXT NOT NULL,"
	"  workstation TEXT NOT NULL DEFAULT '',"
	"  state TEXT NOT NULL,"
	"  reason TEXT NOT NULL DEFAULT '',"
	"  line_id TEXT,"
	"  virtual_address TEXT,"
	"  spi_in INTEGER NOT NULL DEFAULT 0,"
	"  spi_out INTEGER NOT NULL DEFAULT 0,"
	"  sp_address TEXT,"
	"  speed_bps INTEGER NOT NULL DEFAULT 0,"
	"  grant BLOB,"
	"  grant_sig BLOB,"
	"  agent_address TEXT,"
	"  created INTEGER NOT NULL,"
	"  updated INTEGER NOT NULL,"
	"  closed INTEGER,"
	"  generation INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX sessions_live_by_serial ON sessions (serial) WHERE closed IS NULL;"
	"CREATE INDEX sessions_live_by_address ON sessions (virtual_address)"
	"  WHERE closed IS NULL;"
	"CREATE INDEX sessions_live_by_spi ON sessions (spi_in) WHERE closed IS NULL;"
	"CREATE INDEX sessions_by_user ON sessions (user, id);"
	"CREATE TABLE approvals ("
	"  session_id INTEGER PRIMARY KEY REFERENCES sessions (id),"
	"  deadline INTEGER NOT NULL,"
	"  decided_by TEXT,"
	"  decision TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK (decision IN ('pending', 'approved', 'denied', 'expired')),"
	"  decided_at INTEGER);"
	"CREATE INDEX approvals_pending ON approvals (deadline) WHERE decision = 'pending';"
	"CREATE TABLE address_holdback ("
	"  address TEXT PRIMARY KEY,"
	"  until INTEGER NOT NULL);";

static const char v3_counters_audit[] =
	"ALTER TABLE sessions ADD COLUMN out_packets INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN in_packets INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN out_bytes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN in_bytes INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN drops INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN last_activity INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  time INTEGER NOT NULL,"
	"  actor TEXT NOT NULL,"
	"  action TEXT NOT NULL,"
	"  target TEXT NOT NULL,"
	"  result TEXT NOT NULL,"
	"  detail TEXT);"
	"CREATE INDEX audit_by_time ON audit (time);";

static const char v4_modem_lines[] =
	"ALTER TABLE lines ADD COLUMN baud INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE lines ADD COLUMN flow TEXT NOT NULL DEFAULT 'rtscts'"
	"  CHECK (flow IN ('rtscts', 'xonxoff', 'none'));"
	"ALTER TABLE lines ADD COLUMN init TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE lines ADD COLUMN dial_prefix TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE lines ADD COLUMN peer_address TEXT;"
	"ALTER TABLE lines ADD COLUMN peer_port INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE lines ADD COLUMN calls INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE lines ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE lines ADD COLUMN consecutive_faults INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE lines ADD COLUMN last_result TEXT NOT NULL DEFAULT '';";

static const char v5_api_trust[] =
	/* ';'-separated prefixes a user's connect may name besides their own address */
	"ALTER TABLE users ADD COLUMN may_name_workstations TEXT NOT NULL DEFAULT '';"
	/* tokens ended by logout, kept until they would have expired anyway */
	"CREATE TABLE revoked_tokens ("
	"  id TEXT PRIMARY KEY,"
	"  user TEXT NOT NULL,"
	"  expires INTEGER NOT NULL);"
	/* every token of user issued at or before this time is refused */
	"CREATE TABLE user_revocations ("
	"  user TEXT PRIMARY KEY,"
	"  before INTEGER NOT NULL);";

static const char v6_mfa[] =
	/* One TOTP factor per user (issue 16). The name compares without case, as the rate
	 * limiter and most RADIUS servers do: "ALICE" must not dodge alice's factor. secret is
	 * sealed (auth/mfa_seal.h); confirmed 0 while enrolment waits for a first code;
	 * last_step is the last TOTP step accepted, so that each code counts once. */
	"CREATE TABLE mfa_factors ("
	"  user TEXT PRIMARY KEY COLLATE NOCASE,"
	"  kind TEXT NOT NULL DEFAULT 'totp' CHECK (kind IN ('totp')),"
	"  algorithm TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256')),"
	"  digits INTEGER NOT NULL CHECK (digits IN (6, 8)),"
	"  secret BLOB NOT NULL,"
	"  confirmed INTEGER NOT NULL DEFAULT 0,"
	"  last_step INTEGER NOT NULL DEFAULT -1,"
	"  created INTEGER NOT NULL,"
	"  confirmed_at INTEGER);"
	/* inventory customers[].mfa: 'required' makes connects need a fresh second factor */
	"ALTER TABLE customers ADD COLUMN mfa TEXT NOT NULL DEFAULT 'optional'"
	"  CHECK (mfa IN ('off', 'optional', 'required'));";

/*
 * Issue 15: recording policy, recording certificate and required reason/ticket per customer;
 * the reason and ticket a session was asked with; one recording row per recorded session.
 */
static const char v7_recordings[] =
	"ALTER TABLE customers ADD COLUMN recording TEXT NOT NULL DEFAULT 'off'"
	"  CHECK (recording IN ('off', 'on', 'required'));"
	"ALTER TABLE customers ADD COLUMN recording_cert TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE customers ADD COLUMN require_reason INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE customers ADD COLUMN require_ticket INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE sessions ADD COLUMN request_reason TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE sessions ADD COLUMN ticket TEXT NOT NULL DEFAULT '';"
	"CREATE TABLE recordings ("
	"  id INTEGER PRIMARY KEY AUTOINCREMENT,"
	"  session_id INTEGER NOT NULL UNIQUE REFERENCES sessions (id),"
	"  path TEXT NOT NULL,"
	"  state TEXT NOT NULL"
	"    CHECK (state IN ('recording', 'complete', 'incomplete', 'failed', 'deleted')),"
	/* 1: spgate-dp accepted the start (a recording that never started recorded nothing) */
	"  recorded INTEGER NOT NULL DEFAULT 0,"
	"  sealed INTEGER NOT NULL DEFAULT 0,"
	"  sha256 TEXT NOT NULL DEFAULT '',"
	"  bytes INTEGER NOT NULL DEFAULT 0,"
	"  packets INTEGER NOT NULL DEFAULT 0,"
	"  dropped INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT NOT NULL DEFAULT '',"
	"  started INTEGER NOT NULL,"
	"  ended INTEGER);"
	"CREATE INDEX recordings_by_age ON recordings (started) WHERE state != 'deleted';";

/*
 * Issue 14, a gateway fleet on one store. (Version 8 is join participants', merged from
 * another branch.) Unique partial indexes make a double allocation fail at the write, on
 * either backend. Each host's lease row: generation is the fencing token, +1 at every
 * (re)acquire, so that a host coming back with an old generation learns it lost the row;
 * sessions (live ones owned) and load (1-minute load average x 100) are written at each
 * renewal for `spgatectl gateways`. A session records the host that owns it.
 */
static const char v9_fleet[] =
	"CREATE TABLE gateways ("
	"  id TEXT PRIMARY KEY,"
	"  generation INTEGER NOT NULL DEFAULT 1,"
	"  lease_expires INTEGER NOT NULL,"
	"  started INTEGER NOT NULL,"
	"  renewed INTEGER NOT NULL,"
	"  sessions INTEGER NOT NULL DEFAULT 0,"
	"  load INTEGER NOT NULL DEFAULT 0,"
	"  version TEXT NOT NULL DEFAULT '');"
	"ALTER TABLE sessions ADD COLUMN owner_gateway TEXT;"
	"CREATE INDEX sessions_live_by_owner ON sessions (owner_gateway) WHERE closed IS NULL;"
	/* the backstop of allocation (alloc.c): two live sessions never share an address or an
	 * inbound SPI, whatever host wrote them (a line is claimed by a conditional UPDATE) */
	"CREATE UNIQUE INDEX sessions_live_address_once ON sessions (virtual_address)"
	"  WHERE closed IS NULL AND virtual_address IS NOT NULL;"
	"CREATE UNIQUE INDEX sessions_live_spi_once ON sessions (spi_in)"
	"  WHERE closed IS NULL AND spi_in <> 0;";

const struct store_migration store_migrations[] = {
	{ 1, "inventory: customers, sites, profiles, systems, users, groups, rules, lines, tickets",
	  v1_inventory },
	{ 2, "sessions, approvals and address hold-backs", v2_sessions },
	{ 3, "sessions keep traffic counters; the audit table", v3_counters_audit },
	{ 4, "modem lines: serial settings, peer address, call counters", v4_modem_lines },
	{ 5, "users' nameable workstations; revoked tokens and users' revocations", v5_api_trust },
	{ 6, "second factors: users' TOTP secrets (sealed), last step used; customers' mfa", v6_mfa },
	{ 7, "recordings: per-customer policy and certificate, session reason and ticket", v7_recordings },
	/* issue 15 (join): its SQL lives with its queries, in participant_store.c */
	{ 8, "participants: engineers who asked to join a session, and their slots", store_participant_schema },
	{ 9, "a gateway fleet: the hosts' leases; sessions record their owner", v9_fleet },
	/* issue 14 item 4: its SQL lives with its queries, in handoff_store.c */
	{ 10, "a disconnect asked of a session by another gateway host", store_handoff_schema },
	/* issue 14 item 5 (failover): its SQL lives with its queries, in takeover_store.c */
	{ 11, "a gateway host's service addresses, who holds them, who took it over", store_takeover_schema },
	/* issue 14 item 4 (gateway.connect: least_loaded): its SQL lives in placement_store.c */
	{ 12, "a connect one gateway host took and handed on to another", store_placement_schema },
};

const size_t store_n_migrations = sizeof(store_migrations) / sizeof(store_migrations[0]);
