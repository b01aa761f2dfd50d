/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-agent configuration: schema, defaults, checks (keys: config/agent.example.yaml). */
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "grant.h"
#include "yaml_util.h"

#define KEYS(k) (sizeof(k) / sizeof((k)[0]))

static void defaults(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->listen_port = 7443;
	snprintf(cfg->profile, sizeof(cfg->profile), "default");
	cfg->esp_port = 4500;
	cfg->replay_window = 128;
	cfg->nat_keepalive_s = 20;
	cfg->seq_limit = UINT64_MAX;
	snprintf(cfg->tun_name, sizeof(cfg->tun_name), "sptun0");
	cfg->tun_mtu = 1400;
	cfg->guard_mode = AGENT_GUARD_XDP_GENERIC;
	cfg->grace_s = 60;
	cfg->control_timeout_s = 60;
	cfg->rekey_overlap_s = 30;
	cfg->max_sessions = 4;
	cfg->request_timeout_s = 5;
	cfg->max_channels_per_source = 4;
	cfg->replay_cache_max = 4096;
	snprintf(cfg->state_dir, sizeof(cfg->state_dir), "/run/spgate-agent");
}

static int get_addr(struct spg_yaml_doc *d, yaml_node_t *n, const char *path, uint32_t *out)
{
	const char *v;
	char q[80];

	if (spg_yaml_scalar(d, n, path, &v) < 0)
		return -1;
	if (!spg_addr_parse(v, out) || *out == 0)
		return spg_yaml_error(d, n, path, "%s is not an IPv4 host address",
				      spg_yaml_quote(v, strlen(v), q, sizeof(q)));
	return 0;
}

static int get_path(struct spg_yaml_doc *d, yaml_node_t *n, const char *path, char *buf,
		    size_t size)
{
	char q[80];

	if (spg_yaml_get_string(d, n, path, buf, size) < 0)
		return -1;
	if (buf[0] != '/')
		return spg_yaml_error(d, n, path, "%s is not an absolute path",
				      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
	return 0;
}

static int get_ifname(struct spg_yaml_doc *d, yaml_node_t *n, const char *path, char *buf)
{
	char q[80];
	size_t i;

	if (spg_yaml_get_string(d, n, path, buf, IFNAMSIZ) < 0)
		return -1;
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] <= ' ' || buf[i] == '/' || buf[i] == ':' || buf[i] > '~')
			break;
	if (buf[0] == '\0' || buf[i] != '\0')
		return spg_yaml_error(d, n, path, "%s is not an interface name",
				      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
	return 0;
}

static int parse_listen(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	enum { K_ADDRESS, K_PORT, K_N };
	static const struct spg_yaml_key keys[K_N] = {{"address", true}, {"port", false}};
	yaml_node_t *v[K_N];
	uint32_t port;

	if (spg_yaml_mapping(d, n, "listen", keys, K_N, v) < 0 ||
	    get_addr(d, v[K_ADDRESS], "listen.address", &cfg->listen_addr) < 0)
		return -1;
	if (v[K_PORT] != NULL) {
		if (spg_yaml_get_u32(d, v[K_PORT], "listen.port", 1, 65535, &port) < 0)
			return -1;
		cfg->listen_port = (uint16_t)port;
	}
	return 0;
}

static int parse_tls(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	enum { K_CERT, K_KEY, K_GW_CA, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		{"certificate", true}, {"key", true}, {"gateway_ca", true}};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(d, n, "tls", keys, K_N, v) < 0 ||
	    get_path(d, v[K_CERT], "tls.certificate", cfg->cert_file, sizeof(cfg->cert_file)) < 0 ||
	    get_path(d, v[K_KEY], "tls.key", cfg->key_file, sizeof(cfg->key_file)) < 0 ||
	    get_path(d, v[K_GW_CA], "tls.gateway_ca", cfg->gateway_ca_file,
		     sizeof(cfg->gateway_ca_file)) < 0)
		return -1;
	return 0;
}

static int parse_ports(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	char path[SPG_YAML_PATH_MAX], q[80];
	struct agent_service_port *p;
	size_t count, i, j;

	if (spg_yaml_sequence(d, n, "sp.ports", 1, AGENT_CFG_MAX_PORTS, &count) < 0)
		return -1;
	for (i = 0; i < count; i++) {
		yaml_node_t *item = spg_yaml_item(d, n, i);

		p = &cfg->ports[i];
		spg_yaml_path_index(path, sizeof(path), "sp.ports", i);
		if (spg_yaml_get_string(d, item, path, p->text, sizeof(p->text)) < 0)
			return -1;
		if (!spg_grant_port_parse(p->text, &p->proto, &p->port))
			return spg_yaml_error(d, item, path, "%s is not tcp:PORT or udp:PORT",
					      spg_yaml_quote(p->text, strlen(p->text), q, sizeof(q)));
		for (j = 0; j < i; j++)
			if (cfg->ports[j].proto == p->proto && cfg->ports[j].port == p->port)
				return spg_yaml_error(d, item, path, "%s is listed twice", p->text);
	}
	cfg->n_ports = count;
	return 0;
}

static int parse_sp(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	enum { K_ADDR, K_PROFILE, K_PORTS, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		{"shared_address", true}, {"profile", false}, {"ports", true}};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(d, n, "sp", keys, K_N, v) < 0 ||
	    get_addr(d, v[K_ADDR], "sp.shared_address", &cfg->shared_addr) < 0)
		return -1;
	if (v[K_PROFILE] != NULL &&
	    spg_yaml_get_string(d, v[K_PROFILE], "sp.profile", cfg->profile, sizeof(cfg->profile)) < 0)
		return -1;
	return parse_ports(d, v[K_PORTS], cfg);
}

static int parse_esp(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	enum { K_PORT, K_WINDOW, K_NAT_KA, K_SEQ_LIMIT, K_OVERLAP, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		{"port", false}, {"replay_window", false}, {"nat_keepalive", false},
		{"seq_limit", false}, {"rekey_overlap", false}};
	yaml_node_t *v[K_N];
	uint32_t port;

	if (spg_yaml_mapping(d, n, "esp", keys, K_N, v) < 0)
		return -1;
	if (v[K_PORT] != NULL) {
		if (spg_yaml_get_u32(d, v[K_PORT], "esp.port", 1, 65535, &port) < 0)
			return -1;
		cfg->esp_port = (uint16_t)port;
	}
	if (v[K_WINDOW] != NULL &&
	    spg_yaml_get_u32(d, v[K_WINDOW], "esp.replay_window", 64, 4096, &cfg->replay_window) < 0)
		return -1;
	if (v[K_NAT_KA] != NULL &&
	    spg_yaml_get_u32(d, v[K_NAT_KA], "esp.nat_keepalive", 0, 3600, &cfg->nat_keepalive_s) < 0)
		return -1;
	if (v[K_SEQ_LIMIT] != NULL &&
	    spg_yaml_get_u64(d, v[K_SEQ_LIMIT], "esp.seq_limit", 16, UINT64_MAX, &cfg->seq_limit) < 0)
		return -1;
	if (v[K_OVERLAP] != NULL &&
	    spg_yaml_get_u32(d, v[K_OVERLAP], "esp.rekey_overlap", 1, 3600, &cfg->rekey_overlap_s) < 0)
		return -1;
	return 0;
}

static int parse_tun(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	enum { K_NAME, K_MTU, K_N };
	static const struct spg_yaml_key keys[K_N] = {{"name", false}, {"mtu", false}};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(d, n, "tun", keys, K_N, v) < 0)
		return -1;
	if (v[K_NAME] != NULL && get_ifname(d, v[K_NAME], "tun.name", cfg->tun_name) < 0)
		return -1;
	if (v[K_MTU] != NULL && spg_yaml_get_u32(d, v[K_MTU], "tun.mtu", 576, 9000, &cfg->tun_mtu) < 0)
		return -1;
	return 0;
}

/* guard.gateways: a list of IPv4 addresses, at most AGENT_CFG_MAX_GATEWAYS. */
static int parse_guard_gateways(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	yaml_node_item_t *it;
	char text[32];

	if (n->type != YAML_SEQUENCE_NODE)
		return spg_yaml_error(d, n, "guard.gateways", "must be a list of IPv4 addresses");
	for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(&d->doc, *it);

		if (cfg->n_guard_gateways == AGENT_CFG_MAX_GATEWAYS)
			return spg_yaml_error(d, item, "guard.gateways", "more than %d addresses",
					      AGENT_CFG_MAX_GATEWAYS);
		if (spg_yaml_get_string(d, item, "guard.gateways", text, sizeof(text)) < 0)
			return -1;
		if (!spg_addr_parse(text, &cfg->guard_gateways[cfg->n_guard_gateways]) ||
		    cfg->guard_gateways[cfg->n_guard_gateways] == 0)
			return spg_yaml_error(d, item, "guard.gateways", "\"%s\" is not an IPv4 address", text);
		cfg->n_guard_gateways++;
	}
	return 0;
}

static int parse_guard(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	enum { K_MODE, K_IFACE, K_GATEWAYS, K_N };
	static const struct spg_yaml_key keys[K_N] = {{"mode", false}, {"interface", false}, {"gateways", false}};
	static const char *const modes[] = {
		[AGENT_GUARD_OFF] = "off",
		[AGENT_GUARD_XDP_GENERIC] = "xdp-generic",
		[AGENT_GUARD_XDP_NATIVE] = "xdp-native",
	};
	yaml_node_t *v[K_N];
	char mode[16], q[80];
	size_t i;

	if (spg_yaml_mapping(d, n, "guard", keys, K_N, v) < 0)
		return -1;
	if (v[K_MODE] != NULL) {
		if (spg_yaml_get_string(d, v[K_MODE], "guard.mode", mode, sizeof(mode)) < 0)
			return -1;
		for (i = 0; i < KEYS(modes) && strcmp(mode, modes[i]) != 0; i++)
			;
		if (i == KEYS(modes))
			return spg_yaml_error(d, v[K_MODE], "guard.mode",
					      "%s is not off, xdp-generic or xdp-native",
					      spg_yaml_quote(mode, strlen(mode), q, sizeof(q)));
		cfg->guard_mode = (enum agent_guard_mode)i;
	}
	if (v[K_IFACE] != NULL && get_ifname(d, v[K_IFACE], "guard.interface", cfg->guard_ifname) < 0)
		return -1;
	if (cfg->guard_mode != AGENT_GUARD_OFF && cfg->guard_ifname[0] == '\0')
		return spg_yaml_error(d, n, "guard", "interface is required unless mode is off");
	return v[K_GATEWAYS] != NULL ? parse_guard_gateways(d, v[K_GATEWAYS], cfg) : 0;
}

static int parse_session(struct spg_yaml_doc *d, yaml_node_t *n, struct agent_config *cfg)
{
	enum { K_GRACE, K_CTL_TIMEOUT, K_MAX, K_REQ_TIMEOUT, K_PER_SRC, K_REPLAY, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		{"grace", false}, {"control_timeout", false}, {"max_sessions", false},
		{"request_timeout", false}, {"max_channels_per_source", false},
		{"replay_cache_max", false}};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(d, n, "session", keys, K_N, v) < 0)
		return -1;
	if (v[K_GRACE] != NULL &&
	    spg_yaml_get_u32(d, v[K_GRACE], "session.grace", 1, 86400, &cfg->grace_s) < 0)
		return -1;
	if (v[K_CTL_TIMEOUT] != NULL &&
	    spg_yaml_get_u32(d, v[K_CTL_TIMEOUT], "session.control_timeout", 3, 86400,
			     &cfg->control_timeout_s) < 0)
		return -1;
	if (v[K_MAX] != NULL &&
	    spg_yaml_get_u32(d, v[K_MAX], "session.max_sessions", 1, 64, &cfg->max_sessions) < 0)
		return -1;
	if ((v[K_REQ_TIMEOUT] != NULL &&
	     spg_yaml_get_u32(d, v[K_REQ_TIMEOUT], "session.request_timeout", 1, 60,
			      &cfg->request_timeout_s) < 0) ||
	    (v[K_PER_SRC] != NULL &&
	     spg_yaml_get_u32(d, v[K_PER_SRC], "session.max_channels_per_source", 1, 16,
			      &cfg->max_channels_per_source) < 0) ||
	    (v[K_REPLAY] != NULL &&
	     spg_yaml_get_u32(d, v[K_REPLAY], "session.replay_cache_max", 16, 1048576,
			      &cfg->replay_cache_max) < 0))
		return -1;
	return 0;
}

static int load(struct spg_yaml_doc *d, struct agent_config *cfg)
{
	enum { K_SERIAL, K_LISTEN, K_TLS, K_VENDOR, K_SP, K_ESP, K_TUN, K_GUARD, K_SESSION,
	       K_STATE, K_LOG, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_SERIAL] = {"serial", true},      [K_LISTEN] = {"listen", true},
		[K_TLS] = {"tls", true},            [K_VENDOR] = {"vendor_key", true},
		[K_SP] = {"sp", true},              [K_ESP] = {"esp", false},
		[K_TUN] = {"tun", false},           [K_GUARD] = {"guard", true},
		[K_SESSION] = {"session", false},   [K_STATE] = {"state_dir", false},
		[K_LOG] = {"log_level", false},
	};
	yaml_node_t *root = spg_yaml_root(d), *v[K_N];
	char level[8], q[80];

	if (root == NULL)
		return spg_yaml_error(d, NULL, NULL, "the file is empty");
	if (spg_yaml_mapping(d, root, "", keys, K_N, v) < 0 ||
	    spg_yaml_get_string(d, v[K_SERIAL], "serial", cfg->serial, sizeof(cfg->serial)) < 0)
		return -1;
	if (cfg->serial[0] == '\0')
		return spg_yaml_error(d, v[K_SERIAL], "serial", "must not be empty");
	if (parse_listen(d, v[K_LISTEN], cfg) < 0 || parse_tls(d, v[K_TLS], cfg) < 0 ||
	    get_path(d, v[K_VENDOR], "vendor_key", cfg->vendor_key_file,
		     sizeof(cfg->vendor_key_file)) < 0 ||
	    parse_sp(d, v[K_SP], cfg) < 0)
		return -1;
	if ((v[K_ESP] != NULL && parse_esp(d, v[K_ESP], cfg) < 0) ||
	    (v[K_TUN] != NULL && parse_tun(d, v[K_TUN], cfg) < 0) ||
	    parse_guard(d, v[K_GUARD], cfg) < 0 ||
	    (v[K_SESSION] != NULL && parse_session(d, v[K_SESSION], cfg) < 0))
		return -1;
	if (v[K_STATE] != NULL &&
	    get_path(d, v[K_STATE], "state_dir", cfg->state_dir, sizeof(cfg->state_dir)) < 0)
		return -1;
	if (v[K_LOG] != NULL) {
		if (spg_yaml_get_string(d, v[K_LOG], "log_level", level, sizeof(level)) < 0)
			return -1;
		if (strcmp(level, "debug") != 0 && strcmp(level, "info") != 0)
			return spg_yaml_error(d, v[K_LOG], "log_level", "%s is not info or debug",
					      spg_yaml_quote(level, strlen(level), q, sizeof(q)));
		cfg->debug = strcmp(level, "debug") == 0;
	}
	return 0;
}

int agent_config_load(const char *path, struct agent_config *cfg, char *err, size_t errlen)
{
	struct agent_config next;
	struct spg_yaml_doc d;
	int rc = -1;

	defaults(&next);
	if (spg_yaml_load(&d, path, err, errlen) == 0)
		rc = load(&d, &next);
	spg_yaml_free(&d);
	if (rc == 0)
		*cfg = next;
	return rc;
}
