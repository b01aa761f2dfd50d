/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-control's config: defaults, the example file, and errors with file:line:column. */
#include <arpa/inet.h>
#include <stdbool.h>

#include "config.h"
#include "config_files.h"
#include "ctl_test.h"

/* The sections every config needs; tests put the section under test first (lines 1..). */
#define REQUIRED                                                                           \
	"engineer_api:\n"                                                                  \
	"  listen: 198.51.100.2:8443\n"                                                    \
	"  certificate: /etc/spgate/control.crt\n"                                         \
	"  private_key: /etc/spgate/control.key\n"                                         \
	"grant: { signing_key: /etc/spgate/vendor.key }\n"                                 \
	"agent: { ca: /etc/spgate/agent-ca.crt, client_certificate: /etc/spgate/gw.crt,\n" \
	"         client_key: /etc/spgate/gw.key }\n"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static int load_text(const char *text, struct ctl_config *c, char *path, size_t pathlen,
		     char *err, size_t errlen)
{
	size_t len = strlen(text);
	int fd, rc;

	snprintf(path, pathlen, "/tmp/spg-ctl-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
	rc = ctl_config_load(path, c, err, errlen);
	unlink(path);
	return rc;
}

/* True when loading text fails with "PATH:line:col: " followed by a message holding want. */
static bool fails_at(const char *text, unsigned line, unsigned col, const char *want)
{
	char path[64], err[512], prefix[96];
	struct ctl_config c;
	bool ok;
	int rc;

	rc = load_text(text, &c, path, sizeof(path), err, sizeof(err));
	ctl_config_free(&c);
	snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", path, line, col);
	ok = rc == -1 && strncmp(err, prefix, strlen(prefix)) == 0 &&
	     strstr(err + strlen(prefix), want) != NULL;
	if (!ok)
		fprintf(stderr, "\n    rc %d, got:  %s\n    wanted: %s...%s\n", rc, err, prefix,
			want);
	return ok;
}

static void the_required_sections_alone_give_the_defaults(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT_EQUAL_FATAL(load_text(REQUIRED, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.control.database, "/var/lib/spgate/spgate.db");
	CU_ASSERT_STRING_EQUAL(c.control.operator_group, "");
	CU_ASSERT_EQUAL(c.engineer_api.listen_addr, ip("198.51.100.2"));
	CU_ASSERT_EQUAL(c.engineer_api.listen_port, 8443);
	CU_ASSERT_EQUAL(c.auth.n_methods, 1);
	CU_ASSERT_EQUAL(c.auth.methods[0], CTL_AUTH_LOCAL);
	CU_ASSERT_EQUAL(c.agent.port, 7443);
	CU_ASSERT_STRING_EQUAL(c.agent.client_certificate, "/etc/spgate/gw.crt");
	CU_ASSERT_STRING_EQUAL(c.agent.client_key, "/etc/spgate/gw.key");
	CU_ASSERT_EQUAL(c.sessions.approval_timeout, 300);
	CU_ASSERT_EQUAL(c.sessions.n_privileged_groups, 0);
	CU_ASSERT_EQUAL(c.sessions.n_approver_groups, 1);
	CU_ASSERT_STRING_EQUAL(c.sessions.approver_groups[0], "approvers");
	/* issue 12: BlastRADIUS defence on, and the API's budgets */
	CU_ASSERT_TRUE(c.auth.radius.require_message_authenticator);
	CU_ASSERT_EQUAL(c.engineer_api.max_clients, 1024);
	CU_ASSERT_EQUAL(c.engineer_api.max_per_source, 16);
	CU_ASSERT_EQUAL(c.engineer_api.handshake_timeout, 5);
	CU_ASSERT_EQUAL(c.engineer_api.idle_timeout, 300);
	CU_ASSERT_EQUAL(c.engineer_api.connect_fresh, 900);
	CU_ASSERT_EQUAL(c.control.operator_max_clients, 64);
	ctl_config_free(&c);
}

static void the_example_config_loads_with_its_values(void)
{
	char path[512], err[512];
	struct ctl_config c;

	/* data/ is tests/unit/control/data: the example is three levels up, in config/. */
	ctl_test_data(__FILE__, "../../../../config/control.example.yaml", path, sizeof(path));
	if (ctl_config_load(path, &c, err, sizeof(err)) != 0)
		fprintf(stderr, "\n    %s\n", err);
	CU_ASSERT_EQUAL_FATAL(ctl_config_load(path, &c, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.control.operator_group, "spgate");
	CU_ASSERT_EQUAL(c.auth.n_methods, 2);
	CU_ASSERT_EQUAL(c.auth.methods[0], CTL_AUTH_RADIUS);
	CU_ASSERT_EQUAL(c.auth.radius.n_servers, 1);
	CU_ASSERT_EQUAL(c.auth.radius.servers[0].addr, ip("127.0.0.1"));
	CU_ASSERT_EQUAL(c.auth.radius.servers[0].port, 1812);
	CU_ASSERT_STRING_EQUAL(c.auth.radius.servers[0].secret, "testing123");
	CU_ASSERT_EQUAL(c.auth.radius.group_attribute, CTL_GROUP_ATTR_CLASS);
	CU_ASSERT_EQUAL(c.auth.lockout_max_failures, 5);
	CU_ASSERT_EQUAL(c.auth.mfa, CTL_MFA_OPTIONAL);
	CU_ASSERT_EQUAL(c.auth.mfa_max_age, 900);
	CU_ASSERT_EQUAL(c.sessions.n_privileged_groups, 1);
	CU_ASSERT_STRING_EQUAL(c.sessions.privileged_groups[0], "support-admins");
	CU_ASSERT(ctl_config_group_in(c.sessions.approver_groups, c.sessions.n_approver_groups,
				      "approvers"));
	ctl_config_free(&c);
}

static void a_missing_required_section_is_named(void)
{
	CU_ASSERT(fails_at("engineer_api:\n"
			   "  listen: 198.51.100.2:8443\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "agent: { ca: /ca, client_certificate: /c, client_key: /k }\n",
			   1, 1, "missing required key \"grant\""));
	CU_ASSERT(fails_at("", 1, 1, "the file is empty"));
}

static void an_unknown_key_is_refused_where_it_stands(void)
{
	CU_ASSERT(fails_at("sessions:\n  idle_timeout: 60\n  idle_timeuot: 60\n" REQUIRED, 3, 3,
			   "sessions: unknown key \"idle_timeuot\""));
}

static void a_relative_path_is_refused(void)
{
	CU_ASSERT(fails_at("control:\n  database: spgate.db\n" REQUIRED, 2, 13,
			   "control.database: \"spgate.db\" is not an absolute path"));
}

static void the_listen_address_needs_a_port(void)
{
	CU_ASSERT(fails_at("engineer_api:\n"
			   "  listen: 198.51.100.2\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "grant: { signing_key: /k }\n"
			   "agent: { ca: /ca, client_certificate: /c, client_key: /k }\n",
			   2, 11, "engineer_api.listen: \"198.51.100.2\" has no port"));
	CU_ASSERT(fails_at("engineer_api:\n"
			   "  listen: 198.51.100.300:8443\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "grant: { signing_key: /k }\n"
			   "agent: { ca: /ca, client_certificate: /c, client_key: /k }\n",
			   2, 11, "is not an IPv4 address and port"));
}

static void numbers_out_of_range_are_refused(void)
{
	CU_ASSERT(fails_at("engineer_api:\n"
			   "  listen: 198.51.100.2:8443\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "  token_ttl: 30\n"
			   "grant: { signing_key: /k }\n"
			   "agent: { ca: /ca, client_certificate: /c, client_key: /k }\n",
			   5, 14, "engineer_api.token_ttl: 30 is out of range 60..604800"));
	CU_ASSERT(fails_at("engineer_api:\n"
			   "  listen: 198.51.100.2:8443\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "  handshake_timeout: 0\n"
			   "grant: { signing_key: /k }\n"
			   "agent: { ca: /ca }\n",
			   5, 22, "engineer_api.handshake_timeout: 0 is out of range 1..60"));
}

static void the_message_authenticator_requirement_can_be_switched_off_only_explicitly(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT_EQUAL_FATAL(load_text("auth:\n"
					"  methods: [radius]\n"
					"  radius:\n"
					"    servers: [ { address: 127.0.0.1:1812, secret: s } ]\n"
					"    require_message_authenticator: false\n" REQUIRED,
					&c, path, sizeof(path), err, sizeof(err)),
			      0);
	CU_ASSERT_FALSE(c.auth.radius.require_message_authenticator);
	CU_ASSERT(fails_at("auth:\n"
			   "  methods: [radius]\n"
			   "  radius:\n"
			   "    servers: [ { address: 127.0.0.1:1812, secret: s } ]\n"
			   "    require_message_authenticator: maybe\n" REQUIRED,
			   5, 36, "require_message_authenticator"));
}

static void the_mfa_policy_is_a_known_word_and_its_age_in_range(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT_EQUAL_FATAL(load_text("auth:\n  mfa: required\n  mfa_max_age: 0\n" REQUIRED, &c, path, sizeof(path), err,
					sizeof(err)),
			      0);
	CU_ASSERT_EQUAL(c.auth.mfa, CTL_MFA_REQUIRED);
	CU_ASSERT_EQUAL(c.auth.mfa_max_age, 0);
	CU_ASSERT(fails_at("auth:\n  mfa: always\n" REQUIRED, 2, 8,
			   "auth.mfa: \"always\" is not off, optional or required"));
	CU_ASSERT(fails_at("auth:\n  mfa_max_age: 86401\n" REQUIRED, 2, 16, "auth.mfa_max_age"));
}

static void methods_are_known_listed_once_and_radius_needs_servers(void)
{
	CU_ASSERT(fails_at("auth:\n  methods: [local, ldap]\n" REQUIRED, 2, 20,
			   "auth.methods[1]: \"ldap\" is not a method"));
	CU_ASSERT(fails_at("auth:\n  methods: [local, local]\n" REQUIRED, 2, 20,
			   "\"local\" is listed twice"));
	CU_ASSERT(fails_at("auth:\n  methods: []\n" REQUIRED, 2, 12,
			   "has 0 entries, expected 1 to 2"));
	CU_ASSERT(fails_at("auth:\n  methods: [radius]\n" REQUIRED, 2, 12,
			   "lists radius but auth.radius is missing"));
	CU_ASSERT(fails_at("auth:\n"
			   "  methods: [radius]\n"
			   "  radius:\n"
			   "    servers: []\n" REQUIRED,
			   4, 14, "auth.radius.servers: has 0 entries, expected 1 to 8"));
	CU_ASSERT(fails_at("auth:\n"
			   "  radius:\n"
			   "    servers: [{ address: 127.0.0.1 }]\n" REQUIRED,
			   3, 15, "auth.radius.servers[0]: missing required key \"secret\""));
	CU_ASSERT(fails_at("auth:\n"
			   "  radius:\n"
			   "    servers: [{ address: 127.0.0.1, secret: s }]\n"
			   "    group_attribute: Reply-Message\n" REQUIRED,
			   4, 22, "\"Reply-Message\" is not Class or Filter-Id"));
}

static void timers_that_contradict_each_other_are_refused(void)
{
	CU_ASSERT(fails_at("agent: { ca: /ca, keepalive: 60, grace: 30, client_certificate: /c, client_key: /k }\n"
			   "engineer_api:\n"
			   "  listen: 198.51.100.2:8443\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "grant: { signing_key: /k }\n",
			   1, 30, "agent.keepalive: 60 is not shorter than agent.grace (30)"));
	CU_ASSERT(fails_at("grant: { signing_key: /k, lifetime: 3600 }\n"
			   "engineer_api:\n"
			   "  listen: 198.51.100.2:8443\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "agent: { ca: /ca, client_certificate: /c, client_key: /k }\n",
			   1, 37, "grant.lifetime: 3600 is shorter than sessions.max_duration"));
}

static void group_names_must_be_plain_names(void)
{
	CU_ASSERT(fails_at("sessions:\n  privileged_groups: [ok, \"not ok\"]\n" REQUIRED, 2, 27,
			   "sessions.privileged_groups[1]: \"not ok\" is not a name"));
}

#define SNMP_V3_MANAGER                                                                    \
	"    - { address: 192.0.2.51, version: 3, user: spgate, auth: SHA-256,\n"            \
	"        auth_passphrase: authpass1, priv: AES, priv_passphrase: privpass1 }\n"

static void snmp_is_off_by_default_with_the_playpen_as_base(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT_EQUAL_FATAL(load_text(REQUIRED, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_FALSE(c.snmp.enabled);
	CU_ASSERT_STRING_EQUAL(c.snmp.base_oid_text, "1.3.6.1.4.1.8072.9999.9999");
	CU_ASSERT_EQUAL(c.snmp.base_oid_len, 9);
	CU_ASSERT_EQUAL(c.snmp.base_oid[6], 8072);
	CU_ASSERT_EQUAL(c.snmp.base_oid[8], 9999);
	CU_ASSERT_STRING_EQUAL(c.snmp.agentx_socket, "/var/agentx/master");
	CU_ASSERT_EQUAL(c.snmp.agentx_ping, 5);
	CU_ASSERT_EQUAL(c.snmp.notify, CTL_SNMP_TRAP);
	CU_ASSERT_EQUAL(c.snmp.n_managers, 0);
	ctl_config_free(&c);
}

static void an_snmp_section_with_two_managers_loads(void)
{
	char path[64], err[512];
	struct ctl_config c;
	const char *text = "snmp:\n"
			   "  enabled: true\n"
			   "  base_oid: .1.3.6.1.4.1.99999.1\n"
			   "  agentx_socket: tcp:127.0.0.1:705\n"
			   "  agentx_ping: 2\n"
			   "  notify: inform\n"
			   "  engine_id: \"0x8000000001020304\"\n"
			   "  managers:\n"
			   "    - { address: 192.0.2.50, version: 2c, community: public }\n" SNMP_V3_MANAGER REQUIRED;

	CU_ASSERT_EQUAL_FATAL(load_text(text, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_TRUE(c.snmp.enabled);
	CU_ASSERT_EQUAL(c.snmp.base_oid_len, 8);
	CU_ASSERT_EQUAL(c.snmp.base_oid[6], 99999);
	CU_ASSERT_STRING_EQUAL(c.snmp.agentx_socket, "tcp:127.0.0.1:705");
	CU_ASSERT_EQUAL(c.snmp.agentx_ping, 2);
	CU_ASSERT_EQUAL(c.snmp.notify, CTL_SNMP_INFORM);
	CU_ASSERT_EQUAL(c.snmp.engine_id_len, 8);
	CU_ASSERT_EQUAL(c.snmp.engine_id[0], 0x80);
	CU_ASSERT_EQUAL(c.snmp.engine_id[7], 0x04);
	CU_ASSERT_EQUAL_FATAL(c.snmp.n_managers, 2);
	CU_ASSERT_EQUAL(c.snmp.managers[0].addr, ip("192.0.2.50"));
	CU_ASSERT_EQUAL(c.snmp.managers[0].port, 162);
	CU_ASSERT_EQUAL(c.snmp.managers[0].version, CTL_SNMP_V2C);
	CU_ASSERT_STRING_EQUAL(c.snmp.managers[0].community, "public");
	CU_ASSERT_EQUAL(c.snmp.managers[1].version, CTL_SNMP_V3);
	CU_ASSERT_STRING_EQUAL(c.snmp.managers[1].user, "spgate");
	CU_ASSERT_EQUAL(c.snmp.managers[1].auth, CTL_SNMP_AUTH_SHA256);
	CU_ASSERT_EQUAL(c.snmp.managers[1].priv, CTL_SNMP_PRIV_AES);
	CU_ASSERT_STRING_EQUAL(c.snmp.managers[1].priv_passphrase, "privpass1");
	ctl_config_free(&c);
}

/* issue 18: the console is off unless web.listen is given, and never without TLS */
static void web_is_off_by_default_and_never_without_tls(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT(fails_at("web: { listen: 198.51.100.2:9443 }\n" REQUIRED, 1, 16,
			   "web.listen: needs web.certificate and web.key"));
	CU_ASSERT(fails_at("web: { listen: 198.51.100.2:9443, certificate: /c.pem }\n" REQUIRED, 1, 16,
			   "needs web.certificate and web.key"));
	CU_ASSERT(fails_at("web: { session_timeout: 30x }\n" REQUIRED, 1, 25, "unit is not s, m or h"));
	CU_ASSERT(fails_at("web: { session_timeout: 10 }\n" REQUIRED, 1, 25, "is not between 60 s"));
	CU_ASSERT(fails_at("web: { session_timeout: 9h }\n" REQUIRED, 1, 25, "longer than web.session_max"));
	CU_ASSERT(fails_at("web: { static_dir: web }\n" REQUIRED, 1, 20, "is not an absolute path"));
	CU_ASSERT_EQUAL_FATAL(load_text(REQUIRED, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_FALSE(c.web.enabled);
	CU_ASSERT_STRING_EQUAL(c.web.static_dir, "/usr/share/spgate/web");
	CU_ASSERT_EQUAL(c.web.session_timeout, 1800);
	CU_ASSERT_EQUAL(c.web.session_max, 28800);
	CU_ASSERT_EQUAL_FATAL(load_text("web: { listen: 198.51.100.2:9443, certificate: /c.pem, key: /k.pem,"
					" session_timeout: 30m, session_max: 2h }\n" REQUIRED,
					&c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_TRUE(c.web.enabled);
	CU_ASSERT_EQUAL(c.web.listen_addr, ip("198.51.100.2"));
	CU_ASSERT_EQUAL(c.web.listen_port, 9443);
	CU_ASSERT_STRING_EQUAL(c.web.private_key, "/k.pem");
	CU_ASSERT_EQUAL(c.web.session_timeout, 1800);
	CU_ASSERT_EQUAL(c.web.session_max, 7200);
}

static void recordings_have_safe_defaults_and_checked_keys(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT(fails_at("recordings: { dir: recordings }\n" REQUIRED, 1, 20,
			   "recordings.dir: \"recordings\" is not an absolute path"));
	CU_ASSERT(fails_at("recordings: { keep_days: 0 }\n" REQUIRED, 1, 26, "recordings.keep_days"));
	CU_ASSERT(fails_at("recordings: { engineers_may_export: yes }\n" REQUIRED, 1, 37,
			   "recordings.engineers_may_export"));
	CU_ASSERT(fails_at("recordings: { bogus: 1 }\n" REQUIRED, 1, 15, "unknown key \"bogus\""));
	CU_ASSERT_EQUAL_FATAL(load_text(REQUIRED, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.recordings.dir, "/var/lib/spgate/recordings");
	CU_ASSERT_EQUAL(c.recordings.keep_days, 90);
	CU_ASSERT_FALSE(c.recordings.engineers_may_export); /* engineers list, operators export */
	CU_ASSERT_EQUAL_FATAL(load_text("recordings: { dir: /srv/rec, keep_days: 7, max_bytes: 5000000000000,"
					" engineers_may_export: true }\n" REQUIRED,
					&c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.recordings.dir, "/srv/rec");
	CU_ASSERT_EQUAL(c.recordings.max_bytes, 5000000000000ull);
	CU_ASSERT_TRUE(c.recordings.engineers_may_export);
}

static void a_store_url_with_a_password_is_refused_and_sqlite_is_the_default(void)
{
	char path[64], err[512], host[256];
	struct ctl_config c;

	/* the attack first: a password would sit in the config and in messages */
	CU_ASSERT(fails_at("store: { url: \"postgresql://spgate:s3cret@db.example/spgate\" }\n" REQUIRED, 1, 15,
			   "store.url: holds a password"));
	CU_ASSERT(fails_at("store: { url: \"host=db dbname=spgate password=s3cret\" }\n" REQUIRED, 1, 15,
			   "store.url: holds a password"));
	CU_ASSERT(fails_at("store: { url: \"mysql://db/spgate\" }\n" REQUIRED, 1, 15, "store.url: is neither"));
	CU_ASSERT(fails_at("store: { url: \"sqlite://relative.db\" }\n" REQUIRED, 1, 15, "absolute path"));
	CU_ASSERT(fails_at("gateway: { id: \"gw 1\" }\n" REQUIRED, 1, 16, "gateway.id"));
	CU_ASSERT_EQUAL_FATAL(load_text(REQUIRED, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.store.url, "");
	CU_ASSERT_STRING_EQUAL(c.control.database, "/var/lib/spgate/spgate.db");
	CU_ASSERT_EQUAL_FATAL(gethostname(host, sizeof(host)), 0);
	CU_ASSERT_EQUAL(strncmp(c.gateway.id, host, sizeof(c.gateway.id) - 1), 0);
	CU_ASSERT_EQUAL_FATAL(load_text("store: { url: \"sqlite:///srv/spgate/x.db\" }\n" REQUIRED, &c, path,
					sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.control.database, "/srv/spgate/x.db");
	CU_ASSERT_STRING_EQUAL(c.store.url, "");
	CU_ASSERT_EQUAL_FATAL(load_text("store: { url: \"postgresql://spgate@db.example/spgate\" }\n"
					"gateway: { id: gw-a }\n" REQUIRED, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.store.url, "postgresql://spgate@db.example/spgate");
	CU_ASSERT_STRING_EQUAL(c.gateway.id, "gw-a");
	CU_ASSERT_EQUAL(c.gateway.pool_prefix, 0); /* all of spgate-dp's pool */
}

static void a_hosts_part_of_the_pool_must_be_a_network(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT(fails_at("gateway: { virtual_pool: 198.19.0.1/25 }\n" REQUIRED, 1, 26, "gateway.virtual_pool"));
	CU_ASSERT(fails_at("gateway: { virtual_pool: 198.19.0.0/31 }\n" REQUIRED, 1, 26, "/8 to /30"));
	CU_ASSERT(fails_at("gateway: { virtual_pool: pool-a }\n" REQUIRED, 1, 26, "gateway.virtual_pool"));
	CU_ASSERT_EQUAL_FATAL(load_text("gateway: { id: gw-b, virtual_pool: 198.19.0.128/25 }\n" REQUIRED, &c, path,
					sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.gateway.pool_addr, htonl(0xc6130080));
	CU_ASSERT_EQUAL(c.gateway.pool_prefix, 25);
}

/* least_loaded hands connects to other hosts: a one-host SQLite store has none */
static void least_loaded_needs_a_fleet_store(void)
{
	char path[64], err[512];
	struct ctl_config c;

	CU_ASSERT(fails_at("gateway: { connect: nearest }\n" REQUIRED, 1, 21,
			   "gateway.connect: \"nearest\" is neither asked nor least_loaded"));
	CU_ASSERT(fails_at("gateway: { connect: least_loaded }\n" REQUIRED, 1, 21, "needs a fleet"));
	CU_ASSERT_EQUAL_FATAL(load_text("store: { url: \"postgresql:///spgate?host=/run/pg\" }\n"
					"gateway: { connect: least_loaded }\n" REQUIRED,
					&c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.gateway.connect, CTL_CONNECT_LEAST_LOADED);
	CU_ASSERT_EQUAL_FATAL(load_text(REQUIRED, &c, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(c.gateway.connect, CTL_CONNECT_ASKED);
}

static void a_base_oid_must_be_dotted_numbers(void)
{
	CU_ASSERT(fails_at("snmp: { base_oid: 1.3.6.x }\n" REQUIRED, 1, 19,
			   "snmp.base_oid: \"1.3.6.x\" is not a dotted object identifier"));
	CU_ASSERT(fails_at("snmp: { base_oid: \"1.3.\" }\n" REQUIRED, 1, 19, "is not a dotted object identifier"));
	CU_ASSERT(fails_at("snmp: { base_oid: 5.1 }\n" REQUIRED, 1, 19, "is not a dotted object identifier"));
	CU_ASSERT(fails_at("snmp: { base_oid: 1.3.6.1.4.1.4294967296 }\n" REQUIRED, 1, 19,
			   "is not a dotted object identifier"));
}

static void the_agentx_socket_is_a_path_or_tcp_host_port(void)
{
	CU_ASSERT(fails_at("snmp: { agentx_socket: master }\n" REQUIRED, 1, 24,
			   "snmp.agentx_socket: \"master\" is neither a Unix socket's absolute path nor tcp:HOST:PORT"));
	CU_ASSERT(fails_at("snmp: { agentx_socket: \"tcp:localhost:\" }\n" REQUIRED, 1, 24, "is neither"));
	CU_ASSERT(fails_at("snmp: { agentx_ping: 0 }\n" REQUIRED, 1, 22, "snmp.agentx_ping"));
	CU_ASSERT(fails_at("snmp: { notify: both }\n" REQUIRED, 1, 17,
			   "snmp.notify: \"both\" is not one of trap, inform"));
}

static void a_v2c_manager_needs_a_community_and_no_user(void)
{
	CU_ASSERT(fails_at("snmp:\n  managers:\n    - { address: 192.0.2.50, version: 2c }\n" REQUIRED, 3, 7,
			   "snmp.managers[0]: version 2c needs a community"));
	CU_ASSERT(fails_at("snmp:\n  managers:\n    - { address: 192.0.2.50, version: 2c, community: c, user: u }\n"
			   REQUIRED, 3, 63, "snmp.managers[0].user: is for version 3 managers"));
	CU_ASSERT(fails_at("snmp:\n  managers:\n    - { address: 192.0.2.50, version: 1, community: c }\n" REQUIRED, 3,
			   39, "snmp.managers[0].version: \"1\" is not one of 2c, 3"));
	CU_ASSERT(fails_at("snmp:\n  managers:\n    - { address: 192.0.2.500, version: 2c, community: c }\n" REQUIRED,
			   3, 18, "snmp.managers[0].address: \"192.0.2.500\" is not an IPv4 address"));
}

static void a_v3_manager_needs_a_user_and_long_passphrases(void)
{
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"8000000001\"\n  managers:\n"
			   "    - { address: 192.0.2.51, version: 3 }\n" REQUIRED,
			   4, 7, "snmp.managers[0]: version 3 needs a user"));
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"8000000001\"\n  managers:\n"
			   "    - { address: 192.0.2.51, version: 3, user: u, auth: SHA, auth_passphrase: short }\n"
			   REQUIRED,
			   4, 79, "snmp.managers[0].auth_passphrase: is shorter than 8 characters"));
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"8000000001\"\n  managers:\n"
			   "    - { address: 192.0.2.51, version: 3, user: u, priv: AES, priv_passphrase: longenough }\n"
			   REQUIRED,
			   4, 57, "snmp.managers[0].priv: needs auth too"));
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"8000000001\"\n  managers:\n"
			   "    - { address: 192.0.2.51, version: 3, user: u, auth: SHA1, auth_passphrase: longenough }\n"
			   REQUIRED,
			   4, 57, "snmp.managers[0].auth: \"SHA1\" is not one of SHA, SHA-256, MD5"));
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"8000000001\"\n  managers:\n"
			   "    - { address: 192.0.2.51, version: 3, user: u, auth: SHA }\n" REQUIRED,
			   4, 7, "snmp.managers[0]: auth needs an auth_passphrase"));
}

static void v3_traps_need_a_hex_engine_id(void)
{
	CU_ASSERT(fails_at("snmp:\n  managers:\n" SNMP_V3_MANAGER REQUIRED, 2, 3,
			   "snmp: version 3 traps need an engine_id"));
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"0x80zz000001\"\n" REQUIRED, 2, 14,
			   "snmp.engine_id: \"0x80zz000001\" is not an engine id (5 to 32 octets in hex)"));
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"0x80000001\"\n" REQUIRED, 2, 14, "is not an engine id"));
	CU_ASSERT(fails_at("snmp:\n  engine_id: \"0x8000000011a\"\n" REQUIRED, 2, 14, "is not an engine id"));
}

/* ---- --check-config loads the files the config names (issue 13) ---- */

/* Two self-signed P-256 pairs (a, b) and an Ed25519 vendor key in dir. */
static void make_pki(const char *dir)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && for n in a b; do openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		 "-nodes -keyout $n.key -out $n.crt -subj /CN=$n -days 2 2>/dev/null || exit 1; done && "
		 "openssl genpkey -algorithm ed25519 -out vendor.key 2>/dev/null && echo garbage > junk.crt",
		 dir);
	if (system(cmd) != 0)
		abort();
}

/* Loads a config naming dir's files (cert, key, grant, ca) and returns check_files' result. */
static int check_files_with(const char *dir, const char *cert, const char *key, const char *grant,
			    const char *ca, char *err, size_t errlen)
{
	char text[2048], path[64];
	struct ctl_config c;
	int rc;

	snprintf(text, sizeof(text),
		 "engineer_api:\n  listen: 198.51.100.2:8443\n  certificate: %s/%s\n  private_key: %s/%s\n"
		 "grant: { signing_key: %s/%s }\n"
		 "agent: { ca: %s/%s, client_certificate: %s/a.crt, client_key: %s/a.key }\n",
		 dir, cert, dir, key, dir, grant, dir, ca, dir, dir);
	if (load_text(text, &c, path, sizeof(path), err, errlen) != 0) {
		fprintf(stderr, "\n    the config does not load: %s\n", err);
		abort();
	}
	rc = ctl_config_check_files(&c, err, errlen);
	ctl_config_free(&c);
	return rc;
}

/* True when the check fails with a message holding the key and the file's name. */
static bool files_fail(const char *dir, const char *cert, const char *key, const char *grant,
		       const char *ca, const char *want_key, const char *want_file, const char *want)
{
	char err[512];
	bool ok;

	ok = check_files_with(dir, cert, key, grant, ca, err, sizeof(err)) == -1 &&
	     strstr(err, want_key) != NULL && strstr(err, want_file) != NULL && strstr(err, want) != NULL;
	if (!ok)
		fprintf(stderr, "\n    got: %s\n    wanted: %s ... %s ... %s\n", err, want_key, want_file,
			want);
	return ok;
}

static void check_config_loads_the_files_it_names(void)
{
	char dir[64], err[512];

	ctl_test_tmpdir(dir, sizeof(dir));
	make_pki(dir);
	/* the attacks on "ok" first: missing, unparsable, mismatched files */
	CU_ASSERT(files_fail(dir, "missing.crt", "a.key", "vendor.key", "a.crt", "engineer_api.certificate",
			     "missing.crt", "No such file"));
	CU_ASSERT(files_fail(dir, "junk.crt", "a.key", "vendor.key", "a.crt", "engineer_api.certificate",
			     "junk.crt", "cannot load"));
	CU_ASSERT(files_fail(dir, "a.crt", "missing.key", "vendor.key", "a.crt", "engineer_api.private_key",
			     "missing.key", "No such file"));
	CU_ASSERT(files_fail(dir, "a.crt", "b.key", "vendor.key", "a.crt", "engineer_api.private_key", "b.key",
			     "match"));
	CU_ASSERT(files_fail(dir, "a.crt", "a.key", "missing.key", "a.crt", "grant.signing_key", "missing.key",
			     "No such file"));
	CU_ASSERT(files_fail(dir, "a.crt", "a.key", "a.key", "a.crt", "grant.signing_key", "a.key", ""));
	CU_ASSERT(files_fail(dir, "a.crt", "a.key", "vendor.key", "missing-ca.crt", "agent.ca", "missing-ca.crt",
			     "No such file"));
	CU_ASSERT(files_fail(dir, "a.crt", "a.key", "vendor.key", "junk.crt", "agent", "junk.crt",
			     "cannot load CA"));
	CU_ASSERT(check_files_with(dir, "a.crt", "a.key", "vendor.key", "a.crt", err, sizeof(err)) == 0);
	ctl_test_rmdir(dir);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "the_message_authenticator_requirement_can_be_switched_off_only_explicitly",
		  the_message_authenticator_requirement_can_be_switched_off_only_explicitly },
		{ "the_required_sections_alone_give_the_defaults",
		  the_required_sections_alone_give_the_defaults },
		{ "the_example_config_loads_with_its_values",
		  the_example_config_loads_with_its_values },
		{ "a_missing_required_section_is_named", a_missing_required_section_is_named },
		{ "an_unknown_key_is_refused_where_it_stands",
		  an_unknown_key_is_refused_where_it_stands },
		{ "a_relative_path_is_refused", a_relative_path_is_refused },
		{ "the_listen_address_needs_a_port", the_listen_address_needs_a_port },
		{ "numbers_out_of_range_are_refused", numbers_out_of_range_are_refused },
		{ "methods_are_known_listed_once_and_radius_needs_servers",
		  methods_are_known_listed_once_and_radius_needs_servers },
		{ "the_mfa_policy_is_a_known_word_and_its_age_in_range",
		  the_mfa_policy_is_a_known_word_and_its_age_in_range },
		{ "timers_that_contradict_each_other_are_refused",
		  timers_that_contradict_each_other_are_refused },
		{ "group_names_must_be_plain_names", group_names_must_be_plain_names },
		{ "snmp_is_off_by_default_with_the_playpen_as_base",
		  snmp_is_off_by_default_with_the_playpen_as_base },
		{ "an_snmp_section_with_two_managers_loads", an_snmp_section_with_two_managers_loads },
		{ "web_is_off_by_default_and_never_without_tls", web_is_off_by_default_and_never_without_tls },
		{ "recordings_have_safe_defaults_and_checked_keys", recordings_have_safe_defaults_and_checked_keys },
		{ "a_store_url_with_a_password_is_refused_and_sqlite_is_the_default",
		  a_store_url_with_a_password_is_refused_and_sqlite_is_the_default },
		{ "a_hosts_part_of_the_pool_must_be_a_network", a_hosts_part_of_the_pool_must_be_a_network },
		{ "least_loaded_needs_a_fleet_store", least_loaded_needs_a_fleet_store },
		{ "a_base_oid_must_be_dotted_numbers", a_base_oid_must_be_dotted_numbers },
		{ "the_agentx_socket_is_a_path_or_tcp_host_port",
		  the_agentx_socket_is_a_path_or_tcp_host_port },
		{ "a_v2c_manager_needs_a_community_and_no_user",
		  a_v2c_manager_needs_a_community_and_no_user },
		{ "a_v3_manager_needs_a_user_and_long_passphrases",
		  a_v3_manager_needs_a_user_and_long_passphrases },
		{ "v3_traps_need_a_hex_engine_id", v3_traps_need_a_hex_engine_id },
		{ "check_config_loads_the_files_it_names", check_config_loads_the_files_it_names },
		{ NULL, NULL },
	};

	return ctl_test_run("ctl_config", cases, NULL, NULL);
}
