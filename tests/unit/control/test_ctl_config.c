/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-control's config: defaults, the example file, and errors with file:line:column. */
#include <arpa/inet.h>
#include <stdbool.h>

#include "config.h"
#include "ctl_test.h"

/* The sections every config needs; tests put the section under test first (lines 1..). */
#define REQUIRED                                                                           \
	"engineer_api:\n"                                                                  \
	"  listen: 198.51.100.2:8443\n"                                                    \
	"  certificate: /etc/spgate/control.crt\n"                                         \
	"  private_key: /etc/spgate/control.key\n"                                         \
	"grant: { signing_key: /etc/spgate/vendor.key }\n"                                 \
	"agent: { ca: /etc/spgate/agent-ca.crt }\n"

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
	CU_ASSERT_EQUAL(c.sessions.approval_timeout, 300);
	CU_ASSERT_EQUAL(c.sessions.n_privileged_groups, 0);
	CU_ASSERT_EQUAL(c.sessions.n_approver_groups, 1);
	CU_ASSERT_STRING_EQUAL(c.sessions.approver_groups[0], "approvers");
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
			   "agent: { ca: /ca }\n",
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
			   "agent: { ca: /ca }\n",
			   2, 11, "engineer_api.listen: \"198.51.100.2\" has no port"));
	CU_ASSERT(fails_at("engineer_api:\n"
			   "  listen: 198.51.100.300:8443\n"
			   "  certificate: /c\n"
			   "  private_key: /k\n"
			   "grant: { signing_key: /k }\n"
			   "agent: { ca: /ca }\n",
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
			   "agent: { ca: /ca }\n",
			   5, 14, "engineer_api.token_ttl: 30 is out of range 60..604800"));
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
	CU_ASSERT(fails_at("agent: { ca: /ca, keepalive: 60, grace: 30 }\n"
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
			   "agent: { ca: /ca }\n",
			   1, 37, "grant.lifetime: 3600 is shorter than sessions.max_duration"));
}

static void group_names_must_be_plain_names(void)
{
	CU_ASSERT(fails_at("sessions:\n  privileged_groups: [ok, \"not ok\"]\n" REQUIRED, 2, 27,
			   "sessions.privileged_groups[1]: \"not ok\" is not a name"));
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
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
		{ "timers_that_contradict_each_other_are_refused",
		  timers_that_contradict_each_other_are_refused },
		{ "group_names_must_be_plain_names", group_names_must_be_plain_names },
		{ NULL, NULL },
	};

	return ctl_test_run("ctl_config", cases, NULL, NULL);
}
