/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-control configuration: YAML schema, defaults and the checks that span sections.
 * config/control.example.yaml documents every key. dataplane/config.c is the model.
 * The snmp: section is in config_snmp.c.
 */
#include <errno.h>
#include <string.h>

#include "addr.h"
#include "config_int.h"

#define WEEK 604800
#define DAY 86400

/* While loading: the document, the config being built and the nodes later checks cite. */
struct loader {
	struct spg_yaml_doc *d;
	struct ctl_config *c;
	yaml_node_t *methods, *grant_lifetime, *keepalive, *root;
	bool has_radius;
};

static const char *const method_names[] = {
	[CTL_AUTH_RADIUS] = "radius",
	[CTL_AUTH_LOCAL] = "local",
};
static const char *const group_attr_names[] = {
	[CTL_GROUP_ATTR_CLASS] = "Class",
	[CTL_GROUP_ATTR_FILTER_ID] = "Filter-Id",
};

const char *ctl_auth_method_name(enum ctl_auth_method m)
{
	return (unsigned)m < ARRAY_SIZE(method_names) ? method_names[m] : "?";
}

const char *ctl_group_attribute_name(enum ctl_group_attribute a)
{
	return (unsigned)a < ARRAY_SIZE(group_attr_names) ? group_attr_names[a] : "?";
}

void ctl_config_defaults(struct ctl_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->control.database, sizeof(c->control.database), "/var/lib/spgate/spgate.db");
	snprintf(c->control.audit_log, sizeof(c->control.audit_log),
		 "/var/log/spgate/audit.jsonl");
	snprintf(c->control.operator_socket, sizeof(c->control.operator_socket),
		 "/run/spgate/control.sock");
	snprintf(c->control.dataplane_socket, sizeof(c->control.dataplane_socket),
		 "/run/spgate/dp.sock");
	snprintf(c->control.state_dir, sizeof(c->control.state_dir), "/var/lib/spgate");
	c->engineer_api.token_ttl = 28800;
	c->engineer_api.connect_fresh = 900;
	c->engineer_api.max_clients = 1024;
	c->engineer_api.max_per_source = 16;
	c->engineer_api.handshake_timeout = 5;
	c->engineer_api.idle_timeout = 300;
	c->control.operator_max_clients = 64;
	c->auth.radius.require_message_authenticator = true;
	c->auth.methods[0] = CTL_AUTH_LOCAL;
	c->auth.n_methods = 1;
	c->auth.radius.timeout_ms = 1000;
	c->auth.radius.retries = 1;
	c->auth.radius.group_attribute = CTL_GROUP_ATTR_CLASS;
	snprintf(c->auth.radius.nas_identifier, sizeof(c->auth.radius.nas_identifier), "spgate");
	c->auth.lockout_max_failures = 5;
	c->auth.lockout_window = 300;
	c->auth.mfa = CTL_MFA_OPTIONAL;
	c->auth.mfa_max_age = 900;
	c->grant.lifetime = 28800;
	c->agent.port = 7443;
	c->agent.keepalive = 10;
	c->agent.connect_timeout = 5;
	c->agent.rekey_after = 3600;
	c->agent.grace = 60;
	c->sessions.idle_timeout = 1800;
	c->sessions.max_duration = 28800;
	c->sessions.approval_timeout = 300;
	c->sessions.address_holdback = 60;
	c->sessions.reconcile = 5;
	snprintf(c->sessions.approver_groups[0], CTL_NAME_MAX, "approvers");
	c->sessions.n_approver_groups = 1;
	c->dial.command_timeout_ms = 3000;
	c->dial.connect_timeout = 60;
	c->dial.guard_ms = 1000;
	c->dial.retry_delay_ms = 5000;
	c->dial.busy_retries = 2;
	c->dial.line_retries = 1;
	c->dial.max_line_faults = 3;
	c->dial.health_check = 60;
	c->dial.baud = 115200;
	cfg_snmp_defaults(c);
	cfg_recordings_defaults(c);
	cfg_web_defaults(c);
	cfg_fleet_defaults(c);
}

void ctl_config_free(struct ctl_config *c)
{
	(void)c;
}

bool ctl_config_group_in(const char list[][CTL_NAME_MAX], unsigned n, const char *group)
{
	unsigned i;

	for (i = 0; group != NULL && i < n; i++)
		if (strcmp(list[i], group) == 0)
			return true;
	return false;
}

static bool is_plain_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/' || *s == ',')
			return false;
	return true;
}

/* An absolute path that fits in bufsize (sockets: sun_path). */
static int get_path(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
		    size_t bufsize)
{
	char q[CFG_QUOTE];

	if (spg_yaml_get_string(d, node, path, buf, bufsize) < 0)
		return -1;
	if (buf[0] != '/')
		return spg_yaml_error(d, node, path, "%s is not an absolute path",
				      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
	return 0;
}

/* A name: no white space, '/' or ','. */
int cfg_get_name(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
		 size_t bufsize)
{
	char q[CFG_QUOTE];

	if (spg_yaml_get_string(d, node, path, buf, bufsize) < 0)
		return -1;
	if (!is_plain_word(buf))
		return spg_yaml_error(d, node, path,
				      "%s is not a name (no spaces, '/' or ',')",
				      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
	return 0;
}

/* "a.b.c.d:port"; a missing port is an error unless default_port is not 0. */
int cfg_get_endpoint(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		     uint16_t default_port, uint32_t *addr, uint16_t *port)
{
	char q[CFG_QUOTE];
	const char *v;

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	spg_yaml_quote(v, strlen(v), q, sizeof(q));
	if (default_port == 0 && strchr(v, ':') == NULL)
		return spg_yaml_error(d, node, path, "%s has no port (a.b.c.d:port)", q);
	if (!spg_endpoint_parse(v, addr, port, default_port))
		return spg_yaml_error(d, node, path,
				      "%s is not an IPv4 address and port (a.b.c.d:port, 1..65535)",
				      q);
	return 0;
}

static int get_names(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		     char out[][CTL_NAME_MAX], unsigned *n)
{
	char item_path[SPG_YAML_PATH_MAX];
	size_t count, i;

	if (spg_yaml_sequence(d, node, path, 0, CTL_MAX_GROUPS, &count) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		spg_yaml_path_index(item_path, sizeof(item_path), path, i);
		if (cfg_get_name(d, spg_yaml_item(d, node, i), item_path, out[i], CTL_NAME_MAX) < 0)
			return -1;
	}
	*n = (unsigned)count;
	return 0;
}

static int get_port(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint16_t *port)
{
	uint32_t v;

	if (spg_yaml_get_u32(d, node, path, 1, 65535, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* An optional u32 in min..max: untouched when node is NULL. */
int cfg_opt_u32(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint32_t min,
		uint32_t max, uint32_t *out)
{
	return node == NULL ? 0 : spg_yaml_get_u32(d, node, path, min, max, out);
}

static int parse_control(struct loader *l, yaml_node_t *node)
{
	enum { K_DB, K_AUDIT, K_OPSOCK, K_OPGROUP, K_DPSOCK, K_STATE, K_OPMAX, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_DB] = { "database", false },
		[K_AUDIT] = { "audit_log", false },
		[K_OPSOCK] = { "operator_socket", false },
		[K_OPGROUP] = { "operator_group", false },
		[K_DPSOCK] = { "dataplane_socket", false },
		[K_STATE] = { "state_dir", false },
		[K_OPMAX] = { "operator_max_clients", false },
	};
	struct {
		int key;
		const char *path;
		char *buf;
		size_t size;
	} paths[] = {
		{ K_DB, "control.database", l->c->control.database,
		  sizeof(l->c->control.database) },
		{ K_AUDIT, "control.audit_log", l->c->control.audit_log,
		  sizeof(l->c->control.audit_log) },
		{ K_OPSOCK, "control.operator_socket", l->c->control.operator_socket,
		  sizeof(l->c->control.operator_socket) },
		{ K_DPSOCK, "control.dataplane_socket", l->c->control.dataplane_socket,
		  sizeof(l->c->control.dataplane_socket) },
		{ K_STATE, "control.state_dir", l->c->control.state_dir,
		  sizeof(l->c->control.state_dir) },
	};
	yaml_node_t *v[K_N];
	size_t i;

	if (spg_yaml_mapping(l->d, node, "control", keys, K_N, v) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(paths); i++)
		if (v[paths[i].key] != NULL &&
		    get_path(l->d, v[paths[i].key], paths[i].path, paths[i].buf, paths[i].size) < 0)
			return -1;
	if (v[K_OPGROUP] != NULL &&
	    cfg_get_name(l->d, v[K_OPGROUP], "control.operator_group", l->c->control.operator_group,
			 sizeof(l->c->control.operator_group)) < 0)
		return -1;
	return cfg_opt_u32(l->d, v[K_OPMAX], "control.operator_max_clients", 1, 4096,
			   &l->c->control.operator_max_clients);
}

/* The engineer listener's budgets (finding 4 of issue 12). */
static int parse_engineer_limits(struct loader *l, yaml_node_t *const *v)
{
	struct ctl_config *c = l->c;

	return cfg_opt_u32(l->d, v[0], "engineer_api.max_clients", 1, 65536, &c->engineer_api.max_clients) < 0 ||
	       cfg_opt_u32(l->d, v[1], "engineer_api.max_per_source", 1, 65536,
			   &c->engineer_api.max_per_source) < 0 ||
	       cfg_opt_u32(l->d, v[2], "engineer_api.handshake_timeout", 1, 60,
			   &c->engineer_api.handshake_timeout) < 0 ||
	       cfg_opt_u32(l->d, v[3], "engineer_api.idle_timeout", 10, 3600, &c->engineer_api.idle_timeout) < 0
		       ? -1
		       : 0;
}

static int parse_engineer_api(struct loader *l, yaml_node_t *node)
{
	enum { K_LISTEN, K_CERT, K_KEY, K_TTL, K_FRESH, K_MAX, K_PER_SRC, K_HS, K_IDLE, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_LISTEN] = { "listen", true },
		[K_CERT] = { "certificate", true },
		[K_KEY] = { "private_key", true },
		[K_TTL] = { "token_ttl", false },
		[K_FRESH] = { "connect_fresh", false },
		[K_MAX] = { "max_clients", false },
		[K_PER_SRC] = { "max_per_source", false },
		[K_HS] = { "handshake_timeout", false },
		[K_IDLE] = { "idle_timeout", false },
	};
	struct ctl_config *c = l->c;
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "engineer_api", keys, K_N, v) < 0)
		return -1;
	if (cfg_get_endpoint(l->d, v[K_LISTEN], "engineer_api.listen", 0,
			     &c->engineer_api.listen_addr, &c->engineer_api.listen_port) < 0)
		return -1;
	if (get_path(l->d, v[K_CERT], "engineer_api.certificate", c->engineer_api.certificate,
		     sizeof(c->engineer_api.certificate)) < 0)
		return -1;
	if (get_path(l->d, v[K_KEY], "engineer_api.private_key", c->engineer_api.private_key,
		     sizeof(c->engineer_api.private_key)) < 0)
		return -1;
	if (cfg_opt_u32(l->d, v[K_TTL], "engineer_api.token_ttl", 60, WEEK, &c->engineer_api.token_ttl) < 0 ||
	    cfg_opt_u32(l->d, v[K_FRESH], "engineer_api.connect_fresh", 60, WEEK,
			&c->engineer_api.connect_fresh) < 0)
		return -1;
	return parse_engineer_limits(l, &v[K_MAX]);
}

static int parse_methods(struct loader *l, yaml_node_t *node)
{
	char path[SPG_YAML_PATH_MAX], q[CFG_QUOTE];
	struct ctl_config *c = l->c;
	size_t n, i, m;
	const char *s;

	if (spg_yaml_sequence(l->d, node, "auth.methods", 1, ARRAY_SIZE(method_names), &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		yaml_node_t *item = spg_yaml_item(l->d, node, i);

		spg_yaml_path_index(path, sizeof(path), "auth.methods", i);
		if (spg_yaml_scalar(l->d, item, path, &s) < 0)
			return -1;
		for (m = 0; m < ARRAY_SIZE(method_names) && strcmp(s, method_names[m]) != 0; m++)
			;
		if (m == ARRAY_SIZE(method_names))
			return spg_yaml_error(l->d, item, path,
					      "%s is not a method (radius, local)",
					      spg_yaml_quote(s, strlen(s), q, sizeof(q)));
		if (i == 1 && c->auth.methods[0] == (enum ctl_auth_method)m)
			return spg_yaml_error(l->d, item, path, "\"%s\" is listed twice", s);
		c->auth.methods[i] = (enum ctl_auth_method)m;
	}
	c->auth.n_methods = (unsigned)n;
	return 0;
}

static int parse_radius_server(struct loader *l, yaml_node_t *node, const char *srv_path,
			       struct ctl_radius_server *srv)
{
	enum { K_ADDRESS, K_SECRET, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_ADDRESS] = { "address", true },
		[K_SECRET] = { "secret", true },
	};
	char path[SPG_YAML_PATH_MAX];
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, srv_path, keys, K_N, v) < 0)
		return -1;
	if (cfg_get_endpoint(l->d, v[K_ADDRESS],
			     spg_yaml_path(path, sizeof(path), srv_path, "address"), 1812,
			     &srv->addr, &srv->port) < 0)
		return -1;
	return spg_yaml_get_string(l->d, v[K_SECRET],
				   spg_yaml_path(path, sizeof(path), srv_path, "secret"),
				   srv->secret, sizeof(srv->secret));
}

static int parse_group_attribute(struct loader *l, yaml_node_t *node)
{
	const char *path = "auth.radius.group_attribute";
	char q[CFG_QUOTE];
	const char *s;
	size_t i;

	if (spg_yaml_scalar(l->d, node, path, &s) < 0)
		return -1;
	for (i = 0; i < ARRAY_SIZE(group_attr_names); i++) {
		if (strcmp(s, group_attr_names[i]) == 0) {
			l->c->auth.radius.group_attribute = (enum ctl_group_attribute)i;
			return 0;
		}
	}
	return spg_yaml_error(l->d, node, path, "%s is not Class or Filter-Id",
			      spg_yaml_quote(s, strlen(s), q, sizeof(q)));
}

static int parse_radius(struct loader *l, yaml_node_t *node)
{
	enum { K_SERVERS, K_TIMEOUT, K_RETRIES, K_ATTR, K_NAS, K_MA, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_SERVERS] = { "servers", true },
		[K_TIMEOUT] = { "timeout_ms", false },
		[K_RETRIES] = { "retries", false },
		[K_ATTR] = { "group_attribute", false },
		[K_NAS] = { "nas_identifier", false },
		[K_MA] = { "require_message_authenticator", false },
	};
	char path[SPG_YAML_PATH_MAX];
	struct ctl_config *c = l->c;
	yaml_node_t *v[K_N];
	size_t n, i;

	if (spg_yaml_mapping(l->d, node, "auth.radius", keys, K_N, v) < 0)
		return -1;
	if (spg_yaml_sequence(l->d, v[K_SERVERS], "auth.radius.servers", 1,
			      CTL_RADIUS_MAX_SERVERS, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		spg_yaml_path_index(path, sizeof(path), "auth.radius.servers", i);
		if (parse_radius_server(l, spg_yaml_item(l->d, v[K_SERVERS], i), path,
					&c->auth.radius.servers[i]) < 0)
			return -1;
	}
	c->auth.radius.n_servers = (unsigned)n;
	if (cfg_opt_u32(l->d, v[K_TIMEOUT], "auth.radius.timeout_ms", 100, 60000,
			&c->auth.radius.timeout_ms) < 0 ||
	    cfg_opt_u32(l->d, v[K_RETRIES], "auth.radius.retries", 0, 10,
			&c->auth.radius.retries) < 0)
		return -1;
	if (v[K_ATTR] != NULL && parse_group_attribute(l, v[K_ATTR]) < 0)
		return -1;
	if (v[K_NAS] != NULL &&
	    cfg_get_name(l->d, v[K_NAS], "auth.radius.nas_identifier",
			 c->auth.radius.nas_identifier, sizeof(c->auth.radius.nas_identifier)) < 0)
		return -1;
	if (v[K_MA] != NULL &&
	    spg_yaml_get_bool(l->d, v[K_MA], "auth.radius.require_message_authenticator",
			      &c->auth.radius.require_message_authenticator) < 0)
		return -1;
	return 0;
}

static int parse_lockout(struct loader *l, yaml_node_t *node)
{
	enum { K_MAX, K_WINDOW, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_MAX] = { "max_failures", false },
		[K_WINDOW] = { "window", false },
	};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "auth.lockout", keys, K_N, v) < 0)
		return -1;
	if (cfg_opt_u32(l->d, v[K_MAX], "auth.lockout.max_failures", 1, 1000,
			&l->c->auth.lockout_max_failures) < 0)
		return -1;
	return cfg_opt_u32(l->d, v[K_WINDOW], "auth.lockout.window", 1, DAY,
			   &l->c->auth.lockout_window);
}

const char *ctl_mfa_policy_name(enum ctl_mfa_policy p)
{
	static const char *const names[] = { "off", "optional", "required" };

	return (unsigned)p < ARRAY_SIZE(names) ? names[p] : "?";
}

int ctl_mfa_policy_parse(const char *s, enum ctl_mfa_policy *p)
{
	unsigned i;

	for (i = CTL_MFA_OFF; i <= CTL_MFA_REQUIRED; i++)
		if (strcmp(s, ctl_mfa_policy_name((enum ctl_mfa_policy)i)) == 0) {
			*p = (enum ctl_mfa_policy)i;
			return 0;
		}
	return -EINVAL;
}

static int parse_mfa(struct loader *l, yaml_node_t *node)
{
	char q[CFG_QUOTE];
	const char *s;

	if (spg_yaml_scalar(l->d, node, "auth.mfa", &s) < 0)
		return -1;
	if (ctl_mfa_policy_parse(s, &l->c->auth.mfa) < 0)
		return spg_yaml_error(l->d, node, "auth.mfa", "%s is not off, optional or required",
				      spg_yaml_quote(s, strlen(s), q, sizeof(q)));
	return 0;
}

static int parse_auth(struct loader *l, yaml_node_t *node)
{
	enum { K_METHODS, K_RADIUS, K_LOCKOUT, K_MFA, K_MFA_AGE, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_METHODS] = { "methods", false },
		[K_RADIUS] = { "radius", false },
		[K_LOCKOUT] = { "lockout", false },
		[K_MFA] = { "mfa", false },
		[K_MFA_AGE] = { "mfa_max_age", false },
	};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "auth", keys, K_N, v) < 0)
		return -1;
	l->methods = v[K_METHODS];
	if (v[K_METHODS] != NULL && parse_methods(l, v[K_METHODS]) < 0)
		return -1;
	l->has_radius = v[K_RADIUS] != NULL;
	if (v[K_RADIUS] != NULL && parse_radius(l, v[K_RADIUS]) < 0)
		return -1;
	if (v[K_LOCKOUT] != NULL && parse_lockout(l, v[K_LOCKOUT]) < 0)
		return -1;
	if (v[K_MFA] != NULL && parse_mfa(l, v[K_MFA]) < 0)
		return -1;
	return cfg_opt_u32(l->d, v[K_MFA_AGE], "auth.mfa_max_age", 0, DAY, &l->c->auth.mfa_max_age);
}

static int parse_grant(struct loader *l, yaml_node_t *node)
{
	enum { K_KEY, K_LIFETIME, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_KEY] = { "signing_key", true },
		[K_LIFETIME] = { "lifetime", false },
	};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "grant", keys, K_N, v) < 0)
		return -1;
	if (get_path(l->d, v[K_KEY], "grant.signing_key", l->c->grant.signing_key,
		     sizeof(l->c->grant.signing_key)) < 0)
		return -1;
	l->grant_lifetime = v[K_LIFETIME];
	return cfg_opt_u32(l->d, v[K_LIFETIME], "grant.lifetime", 60, WEEK, &l->c->grant.lifetime);
}

static int parse_agent(struct loader *l, yaml_node_t *node)
{
	enum { K_PORT, K_CA, K_KEEPALIVE, K_CONNECT, K_REKEY, K_GRACE, K_CERT, K_KEY, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_PORT] = { "port", false },
		[K_CA] = { "ca", true },
		/* mutual TLS: the agents admit only gateways with a certificate of their CA */
		[K_CERT] = { "client_certificate", true },
		[K_KEY] = { "client_key", true },
		[K_KEEPALIVE] = { "keepalive", false },
		[K_CONNECT] = { "connect_timeout", false },
		[K_REKEY] = { "rekey_after", false },
		[K_GRACE] = { "grace", false },
	};
	struct ctl_config *c = l->c;
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "agent", keys, K_N, v) < 0)
		return -1;
	if (v[K_PORT] != NULL && get_port(l->d, v[K_PORT], "agent.port", &c->agent.port) < 0)
		return -1;
	if (get_path(l->d, v[K_CA], "agent.ca", c->agent.ca, sizeof(c->agent.ca)) < 0)
		return -1;
	if (get_path(l->d, v[K_CERT], "agent.client_certificate", c->agent.client_certificate,
		     sizeof(c->agent.client_certificate)) < 0 ||
	    get_path(l->d, v[K_KEY], "agent.client_key", c->agent.client_key,
		     sizeof(c->agent.client_key)) < 0)
		return -1;
	l->keepalive = v[K_KEEPALIVE];
	if (cfg_opt_u32(l->d, v[K_KEEPALIVE], "agent.keepalive", 1, 3600,
			&c->agent.keepalive) < 0 ||
	    cfg_opt_u32(l->d, v[K_CONNECT], "agent.connect_timeout", 1, 300,
			&c->agent.connect_timeout) < 0 ||
	    cfg_opt_u32(l->d, v[K_REKEY], "agent.rekey_after", 60, DAY,
			&c->agent.rekey_after) < 0 ||
	    cfg_opt_u32(l->d, v[K_GRACE], "agent.grace", 1, 3600, &c->agent.grace) < 0)
		return -1;
	return 0;
}

static int parse_sessions(struct loader *l, yaml_node_t *node)
{
	enum { K_IDLE, K_MAX, K_APPROVAL, K_HOLDBACK, K_PRIV, K_APPROVERS, K_RECONCILE, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_IDLE] = { "idle_timeout", false },
		[K_MAX] = { "max_duration", false },
		[K_APPROVAL] = { "approval_timeout", false },
		[K_HOLDBACK] = { "address_holdback", false },
		[K_PRIV] = { "privileged_groups", false },
		[K_APPROVERS] = { "approver_groups", false },
		[K_RECONCILE] = { "reconcile", false },
	};
	struct ctl_config *c = l->c;
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "sessions", keys, K_N, v) < 0)
		return -1;
	if (cfg_opt_u32(l->d, v[K_IDLE], "sessions.idle_timeout", 0, WEEK,
			&c->sessions.idle_timeout) < 0 ||
	    cfg_opt_u32(l->d, v[K_MAX], "sessions.max_duration", 60, WEEK,
			&c->sessions.max_duration) < 0 ||
	    cfg_opt_u32(l->d, v[K_APPROVAL], "sessions.approval_timeout", 10, DAY,
			&c->sessions.approval_timeout) < 0 ||
	    cfg_opt_u32(l->d, v[K_HOLDBACK], "sessions.address_holdback", 0, DAY,
			&c->sessions.address_holdback) < 0 ||
	    cfg_opt_u32(l->d, v[K_RECONCILE], "sessions.reconcile", 1, 3600, &c->sessions.reconcile) < 0)
		return -1;
	if (v[K_PRIV] != NULL &&
	    get_names(l->d, v[K_PRIV], "sessions.privileged_groups", c->sessions.privileged_groups,
		      &c->sessions.n_privileged_groups) < 0)
		return -1;
	if (v[K_APPROVERS] != NULL &&
	    get_names(l->d, v[K_APPROVERS], "sessions.approver_groups",
		      c->sessions.approver_groups, &c->sessions.n_approver_groups) < 0)
		return -1;
	return 0;
}

static int parse_dial(struct loader *l, yaml_node_t *node)
{
	enum { K_CMD, K_CONNECT, K_GUARD, K_RETRY, K_BUSY, K_LINE, K_FAULTS, K_CHECK, K_BAUD, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_CMD] = { "command_timeout_ms", false },
		[K_CONNECT] = { "connect_timeout", false },
		[K_GUARD] = { "guard_ms", false },
		[K_RETRY] = { "retry_delay_ms", false },
		[K_BUSY] = { "busy_retries", false },
		[K_LINE] = { "line_retries", false },
		[K_FAULTS] = { "max_line_faults", false },
		[K_CHECK] = { "health_check", false },
		[K_BAUD] = { "baud", false },
	};
	struct ctl_config *c = l->c;
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "dial", keys, K_N, v) < 0)
		return -1;
	if (cfg_opt_u32(l->d, v[K_CMD], "dial.command_timeout_ms", 100, 60000, &c->dial.command_timeout_ms) < 0 ||
	    cfg_opt_u32(l->d, v[K_CONNECT], "dial.connect_timeout", 5, 300, &c->dial.connect_timeout) < 0 ||
	    cfg_opt_u32(l->d, v[K_GUARD], "dial.guard_ms", 50, 5000, &c->dial.guard_ms) < 0 ||
	    cfg_opt_u32(l->d, v[K_RETRY], "dial.retry_delay_ms", 10, 600000, &c->dial.retry_delay_ms) < 0 ||
	    cfg_opt_u32(l->d, v[K_BUSY], "dial.busy_retries", 0, 20, &c->dial.busy_retries) < 0 ||
	    cfg_opt_u32(l->d, v[K_LINE], "dial.line_retries", 0, 10, &c->dial.line_retries) < 0 ||
	    cfg_opt_u32(l->d, v[K_FAULTS], "dial.max_line_faults", 1, 100, &c->dial.max_line_faults) < 0 ||
	    cfg_opt_u32(l->d, v[K_CHECK], "dial.health_check", 0, DAY, &c->dial.health_check) < 0 ||
	    cfg_opt_u32(l->d, v[K_BAUD], "dial.baud", 1200, 4000000, &c->dial.baud) < 0)
		return -1;
	return 0;
}

/* Checks that span sections; each error points at the key that has to change. */
static int check_across(struct loader *l)
{
	const struct ctl_config *c = l->c;
	unsigned i;
	bool wants_radius = false;

	for (i = 0; i < c->auth.n_methods; i++)
		wants_radius |= c->auth.methods[i] == CTL_AUTH_RADIUS;
	/* Only a methods list can name radius (the default is [local]), so l->methods is set. */
	if (wants_radius && !l->has_radius)
		return spg_yaml_error(l->d, l->methods, "auth.methods",
				      "lists radius but auth.radius is missing");
	/* The agent checks the grant's expiry: a session must not outlive its grant. */
	if (c->grant.lifetime < c->sessions.max_duration)
		return spg_yaml_error(l->d, l->grant_lifetime ? l->grant_lifetime : l->root,
				      "grant.lifetime",
				      "%u is shorter than sessions.max_duration (%u)",
				      c->grant.lifetime, c->sessions.max_duration);
	/* The agent tears a session down after grace seconds without hearing from us. */
	if (c->agent.keepalive >= c->agent.grace)
		return spg_yaml_error(l->d, l->keepalive ? l->keepalive : l->root,
				      "agent.keepalive", "%u is not shorter than agent.grace (%u)",
				      c->agent.keepalive, c->agent.grace);
	return 0;
}

static int load(struct spg_yaml_doc *d, struct ctl_config *c)
{
	enum { K_CONTROL, K_API, K_AUTH, K_GRANT, K_AGENT, K_SESSIONS, K_DIAL, K_SNMP, K_RECORDINGS, K_WEB,
	       K_STORE, K_GATEWAY, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_CONTROL] = { "control", false },
		[K_API] = { "engineer_api", true },
		[K_AUTH] = { "auth", false },
		[K_GRANT] = { "grant", true },
		[K_AGENT] = { "agent", true },
		[K_SESSIONS] = { "sessions", false },
		[K_DIAL] = { "dial", false },
		[K_SNMP] = { "snmp", false },
		[K_RECORDINGS] = { "recordings", false },
		[K_WEB] = { "web", false },
		[K_STORE] = { "store", false },
		[K_GATEWAY] = { "gateway", false },
	};
	struct loader l = { .d = d, .c = c };
	yaml_node_t *v[K_N];

	l.root = spg_yaml_root(d);
	if (l.root == NULL)
		return spg_yaml_error(d, NULL, NULL, "the file is empty (engineer_api, grant and "
						     "agent are required)");
	if (spg_yaml_mapping(d, l.root, "", keys, K_N, v) < 0)
		return -1;
	if (v[K_CONTROL] != NULL && parse_control(&l, v[K_CONTROL]) < 0)
		return -1;
	if (parse_engineer_api(&l, v[K_API]) < 0)
		return -1;
	if (v[K_AUTH] != NULL && parse_auth(&l, v[K_AUTH]) < 0)
		return -1;
	if (parse_grant(&l, v[K_GRANT]) < 0 || parse_agent(&l, v[K_AGENT]) < 0)
		return -1;
	if (v[K_SESSIONS] != NULL && parse_sessions(&l, v[K_SESSIONS]) < 0)
		return -1;
	if (v[K_DIAL] != NULL && parse_dial(&l, v[K_DIAL]) < 0)
		return -1;
	if (v[K_SNMP] != NULL && cfg_parse_snmp(d, v[K_SNMP], c) < 0)
		return -1;
	if (v[K_RECORDINGS] != NULL && cfg_parse_recordings(d, v[K_RECORDINGS], c) < 0)
		return -1;
	if (v[K_WEB] != NULL && cfg_parse_web(d, v[K_WEB], c) < 0)
		return -1;
	/* after control: a sqlite:/// store.url sets control.database */
	if (v[K_STORE] != NULL && cfg_parse_store(d, v[K_STORE], c) < 0)
		return -1;
	if (v[K_GATEWAY] != NULL && cfg_parse_gateway(d, v[K_GATEWAY], c) < 0)
		return -1;
	return check_across(&l);
}

int ctl_config_load(const char *path, struct ctl_config *c, char *err, size_t errlen)
{
	struct ctl_config next;
	struct spg_yaml_doc d;
	int rc = -1;

	/* Build aside and copy only a config that passed every check. */
	ctl_config_defaults(&next);
	if (spg_yaml_load(&d, path, err, errlen) == 0)
		rc = load(&d, &next);
	spg_yaml_free(&d);
	if (rc < 0) {
		ctl_config_defaults(c);
		return -1;
	}
	*c = next;
	return 0;
}
