/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-control configuration, the snmp: section: the AgentX subagent and the managers that
 * get notifications (config/control.example.yaml documents every key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

/* net-snmp's playpen (NET-SNMP-MIB::netSnmpPlaypen): for private use, as mib/SPGATE-MIB.txt says. */
#define SNMP_BASE_OID_DEFAULT "1.3.6.1.4.1.8072.9999.9999"

/* "1.3.6.1.4.1.8072": 2..max decimal sub-identifiers (first 0..2, second 0..39 below 2). */
static bool parse_oid(const char *text, uint32_t *out, unsigned max, unsigned *n)
{
	const char *p = text;
	unsigned count = 0;

	if (*p == '.') /* net-snmp's absolute form */
		p++;
	while (*p != '\0') {
		uint64_t v = 0;
		const char *start = p;

		for (; *p >= '0' && *p <= '9'; p++) {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > UINT32_MAX)
				return false;
		}
		if (p == start || (p - start > 1 && *start == '0') || count == max)
			return false;
		out[count++] = (uint32_t)v;
		if (*p == '.' && p[1] == '\0')
			return false;
		if (*p == '.')
			p++;
		else if (*p != '\0')
			return false;
	}
	*n = count;
	return count >= 2 && out[0] <= 2 && (out[0] == 2 || out[1] <= 39);
}

void cfg_snmp_defaults(struct ctl_config *c)
{
	snprintf(c->snmp.base_oid_text, sizeof(c->snmp.base_oid_text), SNMP_BASE_OID_DEFAULT);
	parse_oid(SNMP_BASE_OID_DEFAULT, c->snmp.base_oid, CTL_SNMP_OID_MAX, &c->snmp.base_oid_len);
	snprintf(c->snmp.agentx_socket, sizeof(c->snmp.agentx_socket), "/var/agentx/master");
	c->snmp.agentx_ping = 5;
	c->snmp.notify = CTL_SNMP_TRAP;
}

static const char *const snmp_notify_names[] = {
	[CTL_SNMP_TRAP] = "trap",
	[CTL_SNMP_INFORM] = "inform",
};
static const char *const snmp_version_names[] = {
	[CTL_SNMP_V2C] = "2c",
	[CTL_SNMP_V3] = "3",
};
static const char *const snmp_auth_names[] = {
	[CTL_SNMP_AUTH_NONE] = NULL,
	[CTL_SNMP_AUTH_SHA] = "SHA",
	[CTL_SNMP_AUTH_SHA256] = "SHA-256",
	[CTL_SNMP_AUTH_MD5] = "MD5",
};
static const char *const snmp_priv_names[] = {
	[CTL_SNMP_PRIV_NONE] = NULL,
	[CTL_SNMP_PRIV_AES] = "AES",
	[CTL_SNMP_PRIV_DES] = "DES",
};

/* A scalar that is one of names[0..n) (NULL entries skipped); *out its index. */
static int get_choice(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		      const char *const *names, size_t n, const char *listed, int *out)
{
	char q[CFG_QUOTE];
	const char *s;
	size_t i;

	if (spg_yaml_scalar(d, node, path, &s) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (names[i] != NULL && strcmp(s, names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return spg_yaml_error(d, node, path, "%s is not one of %s",
			      spg_yaml_quote(s, strlen(s), q, sizeof(q)), listed);
}

/* A USM passphrase: at least CTL_SNMP_PASSPHRASE_MIN bytes (net-snmp refuses shorter ones). */
static int get_passphrase(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
			  size_t bufsize)
{
	if (spg_yaml_get_string(d, node, path, buf, bufsize) < 0)
		return -1;
	if (strlen(buf) < CTL_SNMP_PASSPHRASE_MIN)
		return spg_yaml_error(d, node, path, "is shorter than %d characters",
				      CTL_SNMP_PASSPHRASE_MIN);
	return 0;
}

static int parse_snmp_manager(struct spg_yaml_doc *d, yaml_node_t *node, const char *mpath,
			      struct ctl_snmp_manager *m)
{
	enum { K_ADDRESS, K_VERSION, K_COMMUNITY, K_USER, K_AUTH, K_AUTH_PASS, K_PRIV, K_PRIV_PASS, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_ADDRESS] = { "address", true },
		[K_VERSION] = { "version", true },
		[K_COMMUNITY] = { "community", false },
		[K_USER] = { "user", false },
		[K_AUTH] = { "auth", false },
		[K_AUTH_PASS] = { "auth_passphrase", false },
		[K_PRIV] = { "priv", false },
		[K_PRIV_PASS] = { "priv_passphrase", false },
	};
	char path[SPG_YAML_PATH_MAX];
	yaml_node_t *v[K_N];
	int choice;
	size_t i;

#define P(key) spg_yaml_path(path, sizeof(path), mpath, key)
	if (spg_yaml_mapping(d, node, mpath, keys, K_N, v) < 0)
		return -1;
	if (cfg_get_endpoint(d, v[K_ADDRESS], P("address"), 162, &m->addr, &m->port) < 0)
		return -1;
	if (get_choice(d, v[K_VERSION], P("version"), snmp_version_names,
		       ARRAY_SIZE(snmp_version_names), "2c, 3", &choice) < 0)
		return -1;
	m->version = (enum ctl_snmp_version)choice;
	if (m->version == CTL_SNMP_V2C) {
		static const int v3_only[] = { K_USER, K_AUTH, K_AUTH_PASS, K_PRIV, K_PRIV_PASS };

		for (i = 0; i < ARRAY_SIZE(v3_only); i++)
			if (v[v3_only[i]] != NULL)
				return spg_yaml_error(d, v[v3_only[i]], P(keys[v3_only[i]].name),
						      "is for version 3 managers (this one is 2c)");
		if (v[K_COMMUNITY] == NULL)
			return spg_yaml_error(d, node, mpath, "version 2c needs a community");
		return spg_yaml_get_string(d, v[K_COMMUNITY], P("community"), m->community,
					   sizeof(m->community));
	}
	if (v[K_COMMUNITY] != NULL)
		return spg_yaml_error(d, v[K_COMMUNITY], P("community"),
				      "is for version 2c managers (this one is 3)");
	if (v[K_USER] == NULL)
		return spg_yaml_error(d, node, mpath, "version 3 needs a user");
	if (cfg_get_name(d, v[K_USER], P("user"), m->user, sizeof(m->user)) < 0)
		return -1;
	if (v[K_AUTH] != NULL) {
		if (get_choice(d, v[K_AUTH], P("auth"), snmp_auth_names,
			       ARRAY_SIZE(snmp_auth_names), "SHA, SHA-256, MD5", &choice) < 0)
			return -1;
		m->auth = (enum ctl_snmp_auth)choice;
		if (v[K_AUTH_PASS] == NULL)
			return spg_yaml_error(d, node, mpath, "auth needs an auth_passphrase");
		if (get_passphrase(d, v[K_AUTH_PASS], P("auth_passphrase"), m->auth_passphrase,
				   sizeof(m->auth_passphrase)) < 0)
			return -1;
	} else if (v[K_AUTH_PASS] != NULL) {
		return spg_yaml_error(d, v[K_AUTH_PASS], P("auth_passphrase"), "is given without auth");
	}
	if (v[K_PRIV] != NULL) {
		if (m->auth == CTL_SNMP_AUTH_NONE)
			return spg_yaml_error(d, v[K_PRIV], P("priv"),
					      "needs auth too (USM has no privacy without authentication)");
		if (get_choice(d, v[K_PRIV], P("priv"), snmp_priv_names,
			       ARRAY_SIZE(snmp_priv_names), "AES, DES", &choice) < 0)
			return -1;
		m->priv = (enum ctl_snmp_priv)choice;
		if (v[K_PRIV_PASS] == NULL)
			return spg_yaml_error(d, node, mpath, "priv needs a priv_passphrase");
		if (get_passphrase(d, v[K_PRIV_PASS], P("priv_passphrase"), m->priv_passphrase,
				   sizeof(m->priv_passphrase)) < 0)
			return -1;
	} else if (v[K_PRIV_PASS] != NULL) {
		return spg_yaml_error(d, v[K_PRIV_PASS], P("priv_passphrase"), "is given without priv");
	}
#undef P
	return 0;
}

/* "0x8000...": hex digits (an optional 0x first), 5..32 octets. */
static int get_engine_id(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint8_t *out,
			 size_t *len)
{
	char q[CFG_QUOTE];
	const char *s, *p;
	size_t n = 0;

	if (spg_yaml_scalar(d, node, path, &s) < 0)
		return -1;
	p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		p += 2;
	for (; p[0] != '\0' && p[1] != '\0' && n < CTL_SNMP_ENGINE_ID_MAX; p += 2) {
		char byte[3] = { p[0], p[1], '\0' };
		char *end;

		out[n++] = (uint8_t)strtoul(byte, &end, 16);
		if (*end != '\0' || byte[0] == '+' || byte[0] == '-' || byte[0] == ' ')
			break;
	}
	if (*p != '\0' || n < 5)
		return spg_yaml_error(d, node, path, "%s is not an engine id (5 to %d octets in hex)",
				      spg_yaml_quote(s, strlen(s), q, sizeof(q)), CTL_SNMP_ENGINE_ID_MAX);
	*len = n;
	return 0;
}

/* "tcp:HOST:PORT" or an absolute path of a Unix socket. */
static int get_agentx_socket(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
			     size_t bufsize)
{
	char q[CFG_QUOTE];
	const char *colon;

	if (spg_yaml_get_string(d, node, path, buf, bufsize) < 0)
		return -1;
	if (buf[0] == '/' && strlen(buf) < CTL_SOCKET_MAX)
		return 0;
	colon = strncmp(buf, "tcp:", 4) == 0 ? strrchr(buf + 4, ':') : NULL;
	if (colon != NULL && colon > buf + 4 && colon[1] != '\0' &&
	    strspn(colon + 1, "0123456789") == strlen(colon + 1) && atoi(colon + 1) >= 1 &&
	    atoi(colon + 1) <= 65535 && strlen(colon + 1) <= 5)
		return 0;
	return spg_yaml_error(d, node, path,
			      "%s is neither a Unix socket's absolute path nor tcp:HOST:PORT",
			      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
}

int cfg_parse_snmp(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c)
{
	enum { K_ENABLED, K_BASE, K_SOCKET, K_PING, K_NOTIFY, K_MANAGERS, K_ENGINE, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_ENABLED] = { "enabled", false },
		[K_BASE] = { "base_oid", false },
		[K_SOCKET] = { "agentx_socket", false },
		[K_PING] = { "agentx_ping", false },
		[K_NOTIFY] = { "notify", false },
		[K_MANAGERS] = { "managers", false },
		[K_ENGINE] = { "engine_id", false },
	};
	char path[SPG_YAML_PATH_MAX], q[CFG_QUOTE];
	yaml_node_t *v[K_N];
	bool has_v3 = false;
	size_t n, i;
	int choice;

	if (spg_yaml_mapping(d, node, "snmp", keys, K_N, v) < 0)
		return -1;
	if (v[K_ENABLED] != NULL && spg_yaml_get_bool(d, v[K_ENABLED], "snmp.enabled", &c->snmp.enabled) < 0)
		return -1;
	if (v[K_BASE] != NULL) {
		if (spg_yaml_get_string(d, v[K_BASE], "snmp.base_oid", c->snmp.base_oid_text,
					sizeof(c->snmp.base_oid_text)) < 0)
			return -1;
		if (!parse_oid(c->snmp.base_oid_text, c->snmp.base_oid, CTL_SNMP_OID_MAX, &c->snmp.base_oid_len))
			return spg_yaml_error(d, v[K_BASE], "snmp.base_oid",
					      "%s is not a dotted object identifier (1.3.6.1.4.1.N...)",
					      spg_yaml_quote(c->snmp.base_oid_text, strlen(c->snmp.base_oid_text),
							     q, sizeof(q)));
	}
	if (v[K_SOCKET] != NULL && get_agentx_socket(d, v[K_SOCKET], "snmp.agentx_socket",
						     c->snmp.agentx_socket, sizeof(c->snmp.agentx_socket)) < 0)
		return -1;
	if (cfg_opt_u32(d, v[K_PING], "snmp.agentx_ping", 1, 3600, &c->snmp.agentx_ping) < 0)
		return -1;
	if (v[K_NOTIFY] != NULL) {
		if (get_choice(d, v[K_NOTIFY], "snmp.notify", snmp_notify_names,
			       ARRAY_SIZE(snmp_notify_names), "trap, inform", &choice) < 0)
			return -1;
		c->snmp.notify = (enum ctl_snmp_notify)choice;
	}
	if (v[K_MANAGERS] != NULL) {
		if (spg_yaml_sequence(d, v[K_MANAGERS], "snmp.managers", 0, CTL_SNMP_MAX_MANAGERS, &n) < 0)
			return -1;
		for (i = 0; i < n; i++) {
			spg_yaml_path_index(path, sizeof(path), "snmp.managers", i);
			if (parse_snmp_manager(d, spg_yaml_item(d, v[K_MANAGERS], i), path,
					       &c->snmp.managers[i]) < 0)
				return -1;
			has_v3 |= c->snmp.managers[i].version == CTL_SNMP_V3;
		}
		c->snmp.n_managers = (unsigned)n;
	}
	if (v[K_ENGINE] != NULL &&
	    get_engine_id(d, v[K_ENGINE], "snmp.engine_id", c->snmp.engine_id, &c->snmp.engine_id_len) < 0)
		return -1;
	/* A trap's sender is the authoritative engine: the manager's USM user is keyed to our id. */
	if (has_v3 && c->snmp.notify == CTL_SNMP_TRAP && c->snmp.engine_id_len == 0)
		return spg_yaml_error(d, node, "snmp",
				      "version 3 traps need an engine_id (the managers' createUser -e)");
	return 0;
}
