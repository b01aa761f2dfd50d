/* SPDX-License-Identifier: BSD-3-Clause */
/* Inventory import: YAML and CSV, line-numbered errors, all or nothing, idempotent. */
#include <errno.h>

#include "auth/passwd.h"
#include "addr.h"
#include "ctl_test.h"
#include "inventory.h"
#include "store/inventory_store.h"
#include "store/session_store.h"

static char dir[64], db[512];
static struct store *st;
static char err[512];
static unsigned err_line;

static const char sample_csv[] =
	"# kind, then the columns of config/README-inventory.md\n"
	"customer,acme,auto\n"
	"customer,globex,ask,globex-approvers\n"
	"site,acme,paris,eu\n"
	"site,acme,berlin,eu\n"
	"site,globex,paris,eu\n"
	"profile,storage-default,tcp:7000;tcp:8080;icmp\n"
	"\n"
	"system,CK2001,acme,paris,eu,network,203.0.113.11,storage-default\n"
	"system,CK2002,acme,berlin,,network,203.0.113.12,storage-default\n"
	"system,CK3001,globex,paris,eu,network,203.0.113.13,storage-default\n"
	"group,storage-eu\n"
	"group,support-admins,true\n"
	"rule,storage-eu,acme\n"
	"rule,storage-eu,globex,paris\n"
	"user,alice,\"$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA\",storage-eu;approvers\n"
	"line,net1,network,eu\n"
	"line,net2,network,eu,acme\n"
	"line,modem1,modem,eu,,/dev/ttyS0,false,203.0.113.21\n";

static void fresh(void)
{
	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	err[0] = '\0';
	err_line = 0;
}

static void done(void)
{
	store_close(st);
	st = NULL;
	ctl_test_rmdir(dir);
}

static int import(enum inventory_format fmt, const char *text, struct inventory_counts *c)
{
	int rc = inventory_import(st, fmt, fmt == INVENTORY_CSV ? "inv.csv" : "inv.yaml", text,
				  strlen(text), c, err, sizeof(err), &err_line);

	if (rc < 0)
		fprintf(stderr, "\n    import: %s (line %u)\n", err, err_line);
	return rc;
}

/* True when importing text fails with a message starting with prefix and holding want. */
static bool fails_with(enum inventory_format fmt, const char *text, const char *prefix,
		       const char *want, unsigned line)
{
	bool ok;
	int rc;

	rc = inventory_import(st, fmt, fmt == INVENTORY_CSV ? "inv.csv" : "inv.yaml", text,
			      strlen(text), NULL, err, sizeof(err), &err_line);
	ok = rc == -EINVAL && strncmp(err, prefix, strlen(prefix)) == 0 &&
	     strstr(err, want) != NULL && err_line == line;
	if (!ok)
		fprintf(stderr, "\n    rc %d, line %u, got: %s\n    wanted: %s...%s (line %u)\n", rc,
			err_line, err, prefix, want, line);
	return ok;
}

static int64_t count_rows(const char *table)
{
	char sql[128];
	db_stmt *q;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if (db_prepare(store_db(st), sql, &q) != 0)
		return -1;
	if (db_step(q) == DB_ROW)
		n = db_column_int64(q, 0);
	db_finalize(q);
	return n;
}

static void the_sample_yaml_fills_every_table(void)
{
	struct store_profile p;
	struct store_system s;
	struct store_customer c;
	struct store_group g;

	fresh();
	CU_ASSERT_EQUAL_FATAL(ctl_test_load_sample(st), 0);
	CU_ASSERT_EQUAL(count_rows("customers"), 2);
	CU_ASSERT_EQUAL(count_rows("sites"), 3);
	CU_ASSERT_EQUAL(count_rows("systems"), 3);
	CU_ASSERT_EQUAL(count_rows("lines"), 3);
	CU_ASSERT_EQUAL(count_rows("access_rules"), 2);
	CU_ASSERT_EQUAL(store_system_get(st, "CK3001", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.customer, "globex");
	CU_ASSERT_STRING_EQUAL(s.site, "paris");
	CU_ASSERT_STRING_EQUAL(s.region, "eu"); /* from its site */
	CU_ASSERT_STRING_EQUAL(s.address, "203.0.113.13");
	CU_ASSERT_EQUAL(store_profile_get(st, "storage-default", &p), 0);
	CU_ASSERT_STRING_EQUAL(p.ports, "tcp:7000,tcp:8080");
	CU_ASSERT(p.icmp_echo);
	CU_ASSERT_EQUAL(store_customer_get(st, "globex", &c), 0);
	CU_ASSERT_EQUAL(c.policy, STORE_POLICY_ASK);
	CU_ASSERT_STRING_EQUAL(c.approvers, "globex-approvers");
	CU_ASSERT_EQUAL(store_group_get(st, "support-admins", &g), 0);
	CU_ASSERT(g.privileged);
	done();
}

static void a_csv_inventory_fills_the_same_tables(void)
{
	struct inventory_counts c;
	struct store_line l;
	struct store_user u;
	struct store_system s;

	fresh();
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_CSV, sample_csv, &c), 0);
	CU_ASSERT_EQUAL(c.customers, 2);
	CU_ASSERT_EQUAL(c.sites, 3);
	CU_ASSERT_EQUAL(c.systems, 3);
	CU_ASSERT_EQUAL(c.rules, 2);
	CU_ASSERT_EQUAL(c.users, 1);
	CU_ASSERT_EQUAL(c.lines, 3);
	CU_ASSERT_EQUAL(store_system_get(st, "CK2002", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.region, "eu");
	CU_ASSERT_EQUAL(store_user_get(st, "alice", &u), 0);
	CU_ASSERT_STRING_EQUAL(u.password_hash, "$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA");
	CU_ASSERT_EQUAL(u.n_groups, 2);
	CU_ASSERT_STRING_EQUAL(u.groups[1], "approvers");
	CU_ASSERT_EQUAL(store_line_get(st, "net2", &l), 0);
	CU_ASSERT_STRING_EQUAL(l.customer, "acme");
	CU_ASSERT_EQUAL(store_line_get(st, "modem1", &l), 0);
	CU_ASSERT_EQUAL(l.state, STORE_LINE_DISABLED);
	CU_ASSERT_STRING_EQUAL(l.device, "/dev/ttyS0");
	done();
}

static void importing_the_same_inventory_again_changes_nothing(void)
{
	struct store_rule first_rule = { 0 };
	struct store_line l;
	int64_t before[4];

	fresh();
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_CSV, sample_csv, NULL), 0);
	CU_ASSERT_EQUAL(store_line_set_state(st, "net1", STORE_LINE_CONNECTED, 0), 0);
	before[0] = count_rows("systems");
	before[1] = count_rows("access_rules");
	before[2] = count_rows("sites");
	before[3] = count_rows("users");
	snprintf(first_rule.group, sizeof(first_rule.group), "storage-eu");
	snprintf(first_rule.customer, sizeof(first_rule.customer), "acme");
	CU_ASSERT_EQUAL(store_rule_put(st, &first_rule), 0);
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_CSV, sample_csv, NULL), 0);
	CU_ASSERT_EQUAL(count_rows("systems"), before[0]);
	CU_ASSERT_EQUAL(count_rows("access_rules"), before[1]);
	CU_ASSERT_EQUAL(count_rows("sites"), before[2]);
	CU_ASSERT_EQUAL(count_rows("users"), before[3]);
	/* A line's run-time state is not the inventory's to reset. */
	CU_ASSERT_EQUAL(store_line_get(st, "net1", &l), 0);
	CU_ASSERT_EQUAL(l.state, STORE_LINE_CONNECTED);
	done();
}

static void a_bad_csv_line_is_reported_by_number_and_nothing_is_written(void)
{
	fresh();
	CU_ASSERT(fails_with(INVENTORY_CSV,
			     "customer,acme,auto\n"
			     "site,acme,paris,eu\n"
			     "profile,p,tcp:22\n"
			     "# a comment\n"
			     "system,CK1,acme,paris,eu,network,203.0.113.300,p\n",
			     "inv.csv:5: system address \"203.0.113.300\"", "is not an IPv4 address",
			     5));
	CU_ASSERT_EQUAL(count_rows("customers"), 0);
	CU_ASSERT_EQUAL(count_rows("sites"), 0);
	done();
}

static void an_unknown_customer_is_named_with_its_line_and_nothing_is_written(void)
{
	fresh();
	CU_ASSERT(fails_with(INVENTORY_CSV,
			     "customer,acme,auto\n"
			     "site,acme,paris,eu\n"
			     "site,initech,rome,eu\n",
			     "inv.csv:3: site ", "customer \"initech\" is unknown", 3));
	CU_ASSERT_EQUAL(count_rows("customers"), 0);
	done();
}

static void csv_errors_name_the_column_and_the_problem(void)
{
	fresh();
	CU_ASSERT(fails_with(INVENTORY_CSV, "customer,acme,maybe\n",
			     "inv.csv:1: customer approval_policy \"maybe\"",
			     "is not auto, ask or deny", 1));
	CU_ASSERT(fails_with(INVENTORY_CSV, "\ncomputer,x\n", "inv.csv:2: \"computer\"",
			     "is not a kind", 2));
	CU_ASSERT(fails_with(INVENTORY_CSV, "site,acme,paris\n", "inv.csv:1: site has 2 columns",
			     "expected 3 to 3", 1));
	CU_ASSERT(fails_with(INVENTORY_CSV, "profile,p,tcp:0\n", "inv.csv:1: profile ports",
			     "not 1..65535", 1));
	CU_ASSERT(fails_with(INVENTORY_CSV, "customer,\"acme,auto\n", "inv.csv:1: ",
			     "without its closing quote", 1));
	CU_ASSERT(fails_with(INVENTORY_CSV, "line,m1,modem,eu\n", "inv.csv:1: line ",
			     "a modem line needs a device", 1));
	CU_ASSERT(fails_with(INVENTORY_CSV, "group,a\ngroup,b\ngroup,a\n", "inv.csv:3: group ",
			     "a is given twice (first at line 1)", 3));
	done();
}

/* customers[].mfa: required is kept; another word is refused, naming it. */
static void a_customer_may_require_a_second_factor(void)
{
	struct store_customer c;

	fresh();
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_YAML,
				     "customers:\n"
				     "  - { name: acme, approval_policy: auto, mfa: required }\n"
				     "  - { name: globex, approval_policy: ask }\n",
				     NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(store_customer_get(st, "acme", &c), 0);
	CU_ASSERT_TRUE(c.mfa_required);
	CU_ASSERT_EQUAL_FATAL(store_customer_get(st, "globex", &c), 0);
	CU_ASSERT_FALSE(c.mfa_required);
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_CSV, "customer,acme,auto,,optional\n", NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_customer_get(st, "acme", &c), 0);
	CU_ASSERT_FALSE(c.mfa_required);
	CU_ASSERT(fails_with(INVENTORY_YAML, "customers:\n  - { name: acme, approval_policy: auto, mfa: sometimes }\n",
			     "inv.yaml:2:", "is not off, optional or required", 2));
	done();
}

static void yaml_errors_carry_line_column_and_key_path(void)
{
	fresh();
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "customers:\n"
			     "  - { name: acme, approval_policy: auto }\n"
			     "  - { name: globex, approval_policy: often }\n",
			     "inv.yaml:3:38: customers[1].approval_policy: \"often\"",
			     "is not auto, ask or deny", 3));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "customers:\n"
			     "  - { name: acme, approval: auto }\n",
			     "inv.yaml:2:19: customers[0]: unknown key \"approval\"", "known keys", 2));
	CU_ASSERT(fails_with(INVENTORY_YAML, "gadgets: []\n", "inv.yaml:1:1: ",
			     "unknown key \"gadgets\"", 1));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "customers: [{ name: acme, approval_policy: auto }]\n"
			     "sites: [{ customer: acme, name: paris, region: eu }]\n"
			     "profiles: [{ name: p, ports: [tcp:22] }]\n"
			     "systems:\n"
			     "  - { serial: CK1, customer: acme, site: rome, connect: network,\n"
			     "      address: 203.0.113.1, profile: p }\n",
			     "inv.yaml:5:5: systems[0]: ", "site \"rome\" of customer \"acme\"", 5));
	CU_ASSERT_EQUAL(count_rows("customers"), 0);
	done();
}

static void a_plain_password_is_stored_only_as_a_hash(void)
{
	struct store_user u;

	fresh();
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_YAML,
				     "users: [{ name: carol, password: \"correct horse\", "
				     "groups: [approvers] }]\n",
				     NULL),
			      0);
	CU_ASSERT_EQUAL(store_user_get(st, "carol", &u), 0);
	CU_ASSERT_EQUAL(strncmp(u.password_hash, "$scrypt$", 8), 0);
	CU_ASSERT(passwd_verify("correct horse", u.password_hash));
	CU_ASSERT(!passwd_verify("wrong horse", u.password_hash));
	done();
}

static void a_modem_system_lists_phone_numbers(void)
{
	struct store_system s;

	fresh();
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_YAML,
				     "customers: [{ name: acme, approval_policy: auto }]\n"
				     "sites: [{ customer: acme, name: paris, region: eu }]\n"
				     "profiles: [{ name: p, ports: [tcp:22] }]\n"
				     "systems:\n"
				     "  - { serial: CK9, customer: acme, site: paris, connect: modem,\n"
				     "      address: [\"+33123456789\", \"0,9W123\"], profile: p }\n",
				     NULL),
			      0);
	CU_ASSERT_EQUAL(store_system_get(st, "CK9", &s), 0);
	CU_ASSERT_EQUAL(s.connect, STORE_CONNECT_MODEM);
	CU_ASSERT_STRING_EQUAL(s.address, "+33123456789;0,9W123");
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "systems:\n"
			     "  - { serial: CK9, customer: acme, site: paris, connect: modem,\n"
			     "      address: 203.0.113.1x, profile: p }\n",
			     "inv.yaml:2:5: systems[0]: address \"203.0.113.1x\"",
			     "is not a list of phone numbers", 2));
	done();
}

static void a_modem_line_keeps_its_serial_settings_and_peer(void)
{
	struct store_line l;
	struct store_system s;
	char peer[SPG_ADDR_STRLEN];

	fresh();
	CU_ASSERT_EQUAL_FATAL(import(INVENTORY_YAML,
				     "customers: [{ name: acme, approval_policy: auto }]\n"
				     "sites: [{ customer: acme, name: paris, region: eu }]\n"
				     "profiles: [{ name: p, ports: [tcp:22] }]\n"
				     "systems:\n"
				     "  - { serial: CK9, customer: acme, site: paris, connect: modem,\n"
				     "      address: [\"+33 1 55-55-01 00\", \"(0)9 w 123\"], profile: p }\n"
				     "lines:\n"
				     "  - { id: modem1, type: modem, region: eu, device: /dev/ttyS1, peer: 203.0.113.21,\n"
				     "      baud: 57600, flow: none, init: \"AT&F E0 V1 X4\", dial_prefix: \"9,\" }\n",
				     NULL),
			      0);
	CU_ASSERT_EQUAL(store_system_get(st, "CK9", &s), 0);
	/* normalised at import: the separators people write are gone, W upper-cased */
	CU_ASSERT_STRING_EQUAL(s.address, "+33155550100;09W123");
	CU_ASSERT_EQUAL_FATAL(store_line_get(st, "modem1", &l), 0);
	CU_ASSERT_STRING_EQUAL(l.device, "/dev/ttyS1");
	CU_ASSERT_STRING_EQUAL(spg_addr_str(l.peer_addr, peer), "203.0.113.21");
	CU_ASSERT_EQUAL(l.peer_port, 0);
	CU_ASSERT_EQUAL(l.baud, 57600);
	CU_ASSERT_STRING_EQUAL(l.flow, "none");
	CU_ASSERT_STRING_EQUAL(l.init, "AT&F E0 V1 X4");
	CU_ASSERT_STRING_EQUAL(l.dial_prefix, "9,");
	CU_ASSERT_EQUAL(l.state, STORE_LINE_IDLE);
	/* the counters are the line module's: an import neither sets nor resets them */
	CU_ASSERT_EQUAL(store_line_note_call(st, "modem1", "busy", true, false, false), 0);
	CU_ASSERT_EQUAL(store_line_note_call(st, "modem1", "no dial tone", true, true, false), 0);
	CU_ASSERT_EQUAL_FATAL(store_line_get(st, "modem1", &l), 0);
	CU_ASSERT_EQUAL(l.calls, 2);
	CU_ASSERT_EQUAL(l.failures, 2);
	CU_ASSERT_EQUAL(l.consecutive_faults, 1);
	CU_ASSERT_STRING_EQUAL(l.last_result, "no dial tone");
	CU_ASSERT_EQUAL(store_line_note_call(st, "modem1", "check: ok", false, false, true), 0);
	CU_ASSERT_EQUAL_FATAL(store_line_get(st, "modem1", &l), 0);
	CU_ASSERT_EQUAL(l.calls, 2); /* a check is no call */
	CU_ASSERT_EQUAL(l.consecutive_faults, 0);
	CU_ASSERT_EQUAL(store_line_note_call(st, "nosuch", "busy", true, false, false), -ENOENT);
	done();
}

static void bad_modem_line_settings_are_refused_by_name(void)
{
	fresh();
	CU_ASSERT(fails_with(INVENTORY_YAML, "lines: [{ id: m1, type: modem, region: eu, device: /dev/ttyS0 }]\n",
			     "inv.yaml:1:9: lines[0]: m1: ", "a modem line needs a peer", 1));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "lines: [{ id: m1, type: modem, region: eu, device: /dev/ttyS0, peer: 203.0.113.21,"
			     " baud: 12345 }]\n",
			     "inv.yaml:1:", "is not a serial speed", 1));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "lines: [{ id: m1, type: modem, region: eu, device: /dev/ttyS0, peer: 203.0.113.21,"
			     " flow: dtr }]\n",
			     "inv.yaml:1:", "is not rtscts, xonxoff or none", 1));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "lines: [{ id: m1, type: modem, region: eu, device: /dev/ttyS0, peer: 203.0.113.300 }]\n",
			     "inv.yaml:1:", "is not an IPv4 address", 1));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "lines: [{ id: m1, type: modem, region: eu, device: /dev/ttyS0, peer: 203.0.113.21,"
			     " dial_prefix: \"9;\" }]\n",
			     "inv.yaml:1:", "is not a dial prefix", 1));
	CU_ASSERT(fails_with(INVENTORY_YAML, "lines: [{ id: n1, type: network, region: eu, peer: 203.0.113.21 }]\n",
			     "inv.yaml:1:9: lines[0]: n1: ", "are for modem lines", 1));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "customers: [{ name: acme, approval_policy: auto }]\n"
			     "sites: [{ customer: acme, name: paris, region: eu }]\n"
			     "profiles: [{ name: p, ports: [tcp:22] }]\n"
			     "systems:\n"
			     "  - { serial: CK9, customer: acme, site: paris, connect: modem,\n"
			     "      address: [\"+1555+0100\"], profile: p }\n",
			     "inv.yaml:5:5: systems[0]: address", "is not a list of phone numbers", 5));
	CU_ASSERT_EQUAL(count_rows("lines"), 0);
	done();
}

/* Issue 15: recording policy, certificate and required reason/ticket per customer. */
static void a_customer_records_only_with_a_policy_and_a_certificate_cms_can_use(void)
{
	struct store_customer c;
	char text[512], cert[160], cmd[640];

	fresh();
	CU_ASSERT(fails_with(INVENTORY_YAML, "customers:\n  - { name: acme, approval_policy: auto, recording: sometimes }\n",
			     "inv.yaml:2:", "is not off, on or required", 2));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "customers:\n  - { name: acme, approval_policy: auto, recording_cert: /nonexistent/acme.pem }\n",
			     "inv.yaml:2:", "recording_cert /nonexistent/acme.pem is not a readable certificate file", 2));
	CU_ASSERT(fails_with(INVENTORY_YAML,
			     "customers:\n  - { name: acme, approval_policy: auto, recording_cert: acme.pem }\n",
			     "inv.yaml:2:", "is not an absolute path", 2));
	CU_ASSERT_EQUAL(count_rows("customers"), 0);
	snprintf(cert, sizeof(cert), "%s/acme.crt", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/acme.key -out %s "
		 "-subj /CN=acme -days 2 2>/dev/null", dir, cert);
	CU_ASSERT_EQUAL_FATAL(system(cmd), 0);
	snprintf(text, sizeof(text),
		 "customers:\n  - { name: acme, approval_policy: auto, recording: on, recording_cert: %s,\n"
		 "      require_reason: true, require_ticket: false }\n", cert);
	CU_ASSERT_EQUAL(import(INVENTORY_YAML, text, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(store_customer_get(st, "acme", &c), 0);
	CU_ASSERT_EQUAL(c.recording, STORE_RECORDING_ON);
	CU_ASSERT_STRING_EQUAL(c.recording_cert, cert);
	CU_ASSERT_TRUE(c.require_reason);
	CU_ASSERT_FALSE(c.require_ticket);
	CU_ASSERT_EQUAL(import(INVENTORY_CSV, "customer,globex,ask,,,required,,false,true\n", NULL) /* mfa empty */, 0);
	CU_ASSERT_EQUAL_FATAL(store_customer_get(st, "globex", &c), 0);
	CU_ASSERT_EQUAL(c.recording, STORE_RECORDING_REQUIRED);
	CU_ASSERT_STRING_EQUAL(c.recording_cert, "");
	CU_ASSERT_TRUE(c.require_ticket);
	done();
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "a_customer_records_only_with_a_policy_and_a_certificate_cms_can_use",
		  a_customer_records_only_with_a_policy_and_a_certificate_cms_can_use },
		{ "the_sample_yaml_fills_every_table", the_sample_yaml_fills_every_table },
		{ "a_csv_inventory_fills_the_same_tables", a_csv_inventory_fills_the_same_tables },
		{ "importing_the_same_inventory_again_changes_nothing",
		  importing_the_same_inventory_again_changes_nothing },
		{ "a_modem_line_keeps_its_serial_settings_and_peer", a_modem_line_keeps_its_serial_settings_and_peer },
		{ "bad_modem_line_settings_are_refused_by_name", bad_modem_line_settings_are_refused_by_name },
		{ "a_bad_csv_line_is_reported_by_number_and_nothing_is_written",
		  a_bad_csv_line_is_reported_by_number_and_nothing_is_written },
		{ "an_unknown_customer_is_named_with_its_line_and_nothing_is_written",
		  an_unknown_customer_is_named_with_its_line_and_nothing_is_written },
		{ "csv_errors_name_the_column_and_the_problem",
		  csv_errors_name_the_column_and_the_problem },
		{ "yaml_errors_carry_line_column_and_key_path",
		  yaml_errors_carry_line_column_and_key_path },
		{"a_customer_may_require_a_second_factor", a_customer_may_require_a_second_factor},
		{ "a_plain_password_is_stored_only_as_a_hash",
		  a_plain_password_is_stored_only_as_a_hash },
		{ "a_modem_system_lists_phone_numbers", a_modem_system_lists_phone_numbers },
		{ NULL, NULL },
	};

	return ctl_test_run("inventory", cases, NULL, NULL);
}
