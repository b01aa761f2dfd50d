/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-dp configuration: YAML schema, defaults and the checks that span sections. The
 * schema is documented key by key in config/README.md.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "dp_api.h"
#include "recorder.h"
#include "yaml_util.h"

#define MAX_LCORE 127
#define MTU_MIN 576
#define MTU_MAX 9000
#define IDLE_SLEEP_MAX_US 100000
#define MBUFS_MIN 1023
#define MBUFS_MAX 4194303
#define MEMORY_MB_MAX (1024 * 1024)
#define REPLAY_WINDOW_MIN 64
#define REPLAY_WINDOW_MAX 4096
#define POOL_PREFIX_MIN 8
#define POOL_PREFIX_MAX 30
#define REC_SNAPLEN_MIN 64
#define REC_SNAPLEN_MAX 65535
#define REC_POOL_MIN 63
#define REC_POOL_MAX 1048575
#define REC_RING_MIN 16
#define REC_RING_MAX 65536
/* What one copy in the recorder's pool takes, roughly (mbuf, headroom, a 1,500-byte frame). */
#define REC_BYTES_PER_COPY 2048

/* While loading: the document, the config being built and the nodes that later checks cite. */
struct loader {
	struct spg_yaml_doc *d;
	struct spg_dp_config *cfg;
	yaml_node_t *vendor_addr, *sp_addr;
	yaml_node_t *pool;
	yaml_node_t *inner; /* sp.inner_address */
};

static const char *const cipher_names[] = {
	[SPG_CIPHER_AES_128_GCM] = "aes-128-gcm",
	[SPG_CIPHER_AES_256_GCM] = "aes-256-gcm",
};

void spg_dp_config_defaults(struct spg_dp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->main_lcore = 0;
	cfg->worker_lcores[0] = 1;
	cfg->n_workers = 1;
	cfg->max_sessions = 65536;
	snprintf(cfg->control_socket, sizeof(cfg->control_socket), "%s", SPG_DP_SOCKET_DEFAULT);
	cfg->idle_sleep_us = 0;
	cfg->mbufs = 16383;
	cfg->no_huge = false;
	cfg->memory_mb = 0;
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "spgate");
	cfg->vendor.mtu = 1500;
	cfg->sp.mtu = 1500;
	cfg->cipher = SPG_CIPHER_AES_128_GCM;
	cfg->replay_window = 128;
	cfg->esp_udp_port = 4500;
	snprintf(cfg->crypto_device, sizeof(cfg->crypto_device), "crypto_aesni_mb");
	cfg->rec_snaplen = SPG_REC_SNAPLEN_DEFAULT;
	cfg->rec_pool_size = SPG_REC_POOL_DEFAULT;
	cfg->rec_ring_size = SPG_REC_RING_DEFAULT;
}

void spg_dp_config_free(struct spg_dp_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->n_eal_extra && i < SPG_CFG_MAX_EAL_ARGS; i++) {
		free(cfg->eal_extra[i]);
		cfg->eal_extra[i] = NULL;
	}
	cfg->n_eal_extra = 0;
}

uint8_t spg_cipher_key_len(enum spg_cipher c)
{
	switch (c) {
	case SPG_CIPHER_AES_128_GCM:
		return 16;
	case SPG_CIPHER_AES_256_GCM:
		return 32;
	}
	return 0;
}

const char *spg_cipher_name(enum spg_cipher c)
{
	if ((unsigned int)c < sizeof(cipher_names) / sizeof(cipher_names[0]))
		return cipher_names[c];
	return "unknown";
}

static uint32_t host_order(uint32_t addr)
{
	return ntohl(addr);
}

/* 0.0.0.0/8, 127.0.0.0/8 and 224.0.0.0/3 (multicast, reserved, broadcast) never name a host. */
static bool addr_is_unicast(uint32_t addr)
{
	uint32_t first = host_order(addr) >> 24;

	return first != 0 && first != 127 && first < 224;
}

static bool prefixes_overlap(uint32_t a, uint8_t alen, uint32_t b, uint8_t blen)
{
	return ((a ^ b) & spg_prefix_mask(alen < blen ? alen : blen)) == 0;
}

static bool prefix_contains(uint32_t net, uint8_t len, uint32_t addr)
{
	return ((net ^ addr) & spg_prefix_mask(len)) == 0;
}

/* For len <= 30 the all-zeros and all-ones host parts are the network and broadcast. */
static const char *special_host_name(uint32_t addr, uint8_t len)
{
	uint32_t host = addr & ~spg_prefix_mask(len);

	if (len > 30)
		return NULL;
	if (host == 0)
		return "network";
	if (host == ~spg_prefix_mask(len))
		return "broadcast";
	return NULL;
}

static bool has_space(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == ' ' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

static int get_addr(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint32_t *out)
{
	char q[80], a[SPG_ADDR_STRLEN];
	const char *v;

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	if (!spg_addr_parse(v, out))
		return spg_yaml_error(d, node, path, "%s is not an IPv4 address",
				      spg_yaml_quote(v, strlen(v), q, sizeof(q)));
	if (!addr_is_unicast(*out))
		return spg_yaml_error(d, node, path, "%s is not a unicast host address",
				      spg_addr_str(*out, a));
	return 0;
}

static int get_prefix(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, bool strict,
		      uint8_t min_len, uint8_t max_len, uint32_t *addr, uint8_t *len)
{
	char q[80], a[SPG_ADDR_STRLEN];
	const char *v;

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	spg_yaml_quote(v, strlen(v), q, sizeof(q));
	if (!spg_prefix_parse(v, addr, len, false))
		return spg_yaml_error(d, node, path,
				      "%s is not an IPv4 prefix (a.b.c.d/len, len 0..32)", q);
	if (*len < min_len || *len > max_len)
		return spg_yaml_error(d, node, path, "%s: prefix length %u is out of range %u..%u",
				      q, *len, min_len, max_len);
	if (strict && !spg_prefix_parse(v, addr, len, true))
		return spg_yaml_error(d, node, path, "%s has host bits set (the network is %s/%u)",
				      q, spg_addr_str(*addr & spg_prefix_mask(*len), a), *len);
	return 0;
}

/* A string that must be non-empty and free of white space (device names, devargs). */
static int get_word(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
		    size_t bufsize)
{
	char q[80];

	if (spg_yaml_get_string(d, node, path, buf, bufsize) < 0)
		return -1;
	if (buf[0] == '\0')
		return spg_yaml_error(d, node, path, "must not be empty");
	if (has_space(buf))
		return spg_yaml_error(d, node, path, "%s contains white space",
				      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
	return 0;
}

static int parse_lcores(struct loader *l, yaml_node_t *node)
{
	enum { K_MAIN, K_WORKERS, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_MAIN] = { "main", false },
		[K_WORKERS] = { "workers", false },
	};
	struct spg_dp_config *cfg = l->cfg;
	char path[SPG_YAML_PATH_MAX];
	uint32_t workers[SPG_CFG_MAX_WORKERS];
	yaml_node_t *v[K_N];
	size_t n, i, j;

	if (spg_yaml_mapping(l->d, node, "dataplane.lcores", keys, K_N, v) < 0)
		return -1;
	if (v[K_MAIN] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_MAIN], "dataplane.lcores.main", 0, MAX_LCORE,
			     &cfg->main_lcore) < 0)
		return -1;
	if (v[K_WORKERS] != NULL) {
		if (spg_yaml_get_u32_list(l->d, v[K_WORKERS], "dataplane.lcores.workers", 1,
					  SPG_CFG_MAX_WORKERS, 0, MAX_LCORE, workers, &n) < 0)
			return -1;
		for (i = 0; i < n; i++)
			cfg->worker_lcores[i] = workers[i];
		cfg->n_workers = (unsigned int)n;
	}
	for (i = 0; i < cfg->n_workers; i++) {
		/* Point at the list entry if there is a list, else at main (workers defaulted). */
		yaml_node_t *at = v[K_WORKERS] != NULL ? spg_yaml_item(l->d, v[K_WORKERS], i)
						       : v[K_MAIN];
		const char *at_path = v[K_WORKERS] != NULL
			? spg_yaml_path_index(path, sizeof(path), "dataplane.lcores.workers", i)
			: "dataplane.lcores.main";

		if (cfg->worker_lcores[i] == cfg->main_lcore)
			return spg_yaml_error(l->d, at, at_path,
					      "lcore %u is both the main lcore and a worker",
					      cfg->main_lcore);
		for (j = 0; j < i; j++)
			if (cfg->worker_lcores[j] == cfg->worker_lcores[i])
				return spg_yaml_error(l->d, at, at_path,
						      "lcore %u is listed twice",
						      cfg->worker_lcores[i]);
	}
	return 0;
}

/* Options spgate-dp builds from other keys; giving them again would silently win or clash. */
static const char *eal_arg_owner(const char *arg)
{
	static const struct {
		const char *prefix;
		const char *owner;
	} owned[] = {
		{ "--file-prefix", "dataplane.eal.file_prefix" },
		{ "--no-huge", "dataplane.eal.no_huge" },
		{ "--lcores", "dataplane.lcores" },
		{ "--main-lcore", "dataplane.lcores" },
		{ "--master-lcore", "dataplane.lcores" },
		{ "-l", "dataplane.lcores" },
		{ "-c", "dataplane.lcores" },
		{ "-m", "dataplane.eal.memory_mb" },
	};
	size_t i;

	for (i = 0; i < sizeof(owned) / sizeof(owned[0]); i++)
		if (strncmp(arg, owned[i].prefix, strlen(owned[i].prefix)) == 0)
			return owned[i].owner;
	return NULL;
}

static int parse_eal(struct loader *l, yaml_node_t *node)
{
	enum { K_NO_HUGE, K_MEMORY_MB, K_FILE_PREFIX, K_EXTRA_ARGS, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_NO_HUGE] = { "no_huge", false },
		[K_MEMORY_MB] = { "memory_mb", false },
		[K_FILE_PREFIX] = { "file_prefix", false },
		[K_EXTRA_ARGS] = { "extra_args", false },
	};
	struct spg_dp_config *cfg = l->cfg;
	char path[SPG_YAML_PATH_MAX], q[80];
	yaml_node_t *v[K_N];
	const char *p, *owner;
	size_t n, i;

	if (spg_yaml_mapping(l->d, node, "dataplane.eal", keys, K_N, v) < 0)
		return -1;
	if (v[K_NO_HUGE] != NULL &&
	    spg_yaml_get_bool(l->d, v[K_NO_HUGE], "dataplane.eal.no_huge", &cfg->no_huge) < 0)
		return -1;
	if (v[K_MEMORY_MB] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_MEMORY_MB], "dataplane.eal.memory_mb", 0, MEMORY_MB_MAX,
			     &cfg->memory_mb) < 0)
		return -1;
	if (v[K_FILE_PREFIX] != NULL) {
		if (spg_yaml_get_string(l->d, v[K_FILE_PREFIX], "dataplane.eal.file_prefix",
					cfg->file_prefix, sizeof(cfg->file_prefix)) < 0)
			return -1;
		p = cfg->file_prefix;
		if (*p == '\0')
			return spg_yaml_error(l->d, v[K_FILE_PREFIX], "dataplane.eal.file_prefix",
					      "must not be empty");
		/* It names files under /var/run/dpdk: keep it a plain word. */
		for (; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
				return spg_yaml_error(l->d, v[K_FILE_PREFIX],
						      "dataplane.eal.file_prefix",
						      "%s may hold only letters, digits, '_' and '-'",
						      spg_yaml_quote(cfg->file_prefix,
								     strlen(cfg->file_prefix), q,
								     sizeof(q)));
	}
	if (v[K_EXTRA_ARGS] != NULL) {
		if (spg_yaml_get_string_list(l->d, v[K_EXTRA_ARGS], "dataplane.eal.extra_args",
					     SPG_CFG_MAX_EAL_ARGS, SPG_CFG_STR - 1, cfg->eal_extra,
					     &n) < 0)
			return -1;
		cfg->n_eal_extra = (unsigned int)n;
		for (i = 0; i < n; i++) {
			yaml_node_t *item = spg_yaml_item(l->d, v[K_EXTRA_ARGS], i);

			spg_yaml_path_index(path, sizeof(path), "dataplane.eal.extra_args", i);
			if (cfg->eal_extra[i][0] == '\0')
				return spg_yaml_error(l->d, item, path, "must not be empty");
			owner = eal_arg_owner(cfg->eal_extra[i]);
			if (owner != NULL)
				return spg_yaml_error(l->d, item, path, "%s is set by %s",
						      spg_yaml_quote(cfg->eal_extra[i],
								     strlen(cfg->eal_extra[i]), q,
								     sizeof(q)),
						      owner);
		}
	}
	return 0;
}

/* A group name as useradd/groupadd accept them, so that a typo shows at --check-config. */
static int parse_control_group(struct loader *l, yaml_node_t *node)
{
	struct spg_dp_config *cfg = l->cfg;
	const char *p = cfg->control_group;
	char q[80];

	if (spg_yaml_get_string(l->d, node, "dataplane.control_group", cfg->control_group,
				sizeof(cfg->control_group)) < 0)
		return -1;
	if (*p == '\0' || *p == '-')
		goto bad;
	for (; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
			goto bad;
	return 0;
bad:
	return spg_yaml_error(l->d, node, "dataplane.control_group",
			      "%s is not a group name (letters, digits, '_', '-', '.')",
			      spg_yaml_quote(cfg->control_group, strlen(cfg->control_group), q,
					     sizeof(q)));
}

static int parse_dataplane(struct loader *l, yaml_node_t *node)
{
	enum { K_LCORES, K_MAX_SESSIONS, K_CONTROL_SOCKET, K_CONTROL_GROUP, K_IDLE_SLEEP, K_MBUFS,
	       K_EAL, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_LCORES] = { "lcores", false },
		[K_MAX_SESSIONS] = { "max_sessions", false },
		[K_CONTROL_SOCKET] = { "control_socket", false },
		[K_CONTROL_GROUP] = { "control_group", false },
		[K_IDLE_SLEEP] = { "idle_sleep_us", false },
		[K_MBUFS] = { "mbufs", false },
		[K_EAL] = { "eal", false },
	};
	struct spg_dp_config *cfg = l->cfg;
	yaml_node_t *v[K_N];
	char q[80];

	if (spg_yaml_mapping(l->d, node, "dataplane", keys, K_N, v) < 0)
		return -1;
	if (v[K_LCORES] != NULL && parse_lcores(l, v[K_LCORES]) < 0)
		return -1;
	if (v[K_MAX_SESSIONS] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_MAX_SESSIONS], "dataplane.max_sessions", 1,
			     SPG_CFG_MAX_SESSIONS_LIMIT, &cfg->max_sessions) < 0)
		return -1;
	if (v[K_CONTROL_SOCKET] != NULL) {
		if (spg_yaml_get_string(l->d, v[K_CONTROL_SOCKET], "dataplane.control_socket",
					cfg->control_socket, sizeof(cfg->control_socket)) < 0)
			return -1;
		if (cfg->control_socket[0] != '/')
			return spg_yaml_error(l->d, v[K_CONTROL_SOCKET], "dataplane.control_socket",
					      "%s is not an absolute path",
					      spg_yaml_quote(cfg->control_socket,
							     strlen(cfg->control_socket), q,
							     sizeof(q)));
	}
	if (v[K_CONTROL_GROUP] != NULL && parse_control_group(l, v[K_CONTROL_GROUP]) < 0)
		return -1;
	if (v[K_IDLE_SLEEP] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_IDLE_SLEEP], "dataplane.idle_sleep_us", 0,
			     IDLE_SLEEP_MAX_US, &cfg->idle_sleep_us) < 0)
		return -1;
	if (v[K_MBUFS] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_MBUFS], "dataplane.mbufs", MBUFS_MIN, MBUFS_MAX,
			     &cfg->mbufs) < 0)
		return -1;
	if (v[K_EAL] != NULL && parse_eal(l, v[K_EAL]) < 0)
		return -1;
	return 0;
}

static int parse_port(struct loader *l, yaml_node_t *node, const char *port_path,
		      struct spg_port_config *port, yaml_node_t **addr_node)
{
	enum { K_DEVARGS, K_ADDRESS, K_NEXT_HOP, K_MTU, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_DEVARGS] = { "devargs", true },
		[K_ADDRESS] = { "address", true },
		[K_NEXT_HOP] = { "next_hop", false },
		[K_MTU] = { "mtu", false },
	};
	char path[SPG_YAML_PATH_MAX], a[SPG_ADDR_STRLEN], net[SPG_ADDR_STRLEN];
	yaml_node_t *v[K_N];
	const char *special;
	uint32_t mtu;

	if (spg_yaml_mapping(l->d, node, port_path, keys, K_N, v) < 0)
		return -1;
	if (get_word(l->d, v[K_DEVARGS], spg_yaml_path(path, sizeof(path), port_path, "devargs"),
		     port->devargs, sizeof(port->devargs)) < 0)
		return -1;

	*addr_node = v[K_ADDRESS];
	spg_yaml_path(path, sizeof(path), port_path, "address");
	if (get_prefix(l->d, v[K_ADDRESS], path, false, 1, 32, &port->addr, &port->prefix_len) < 0)
		return -1;
	if (!addr_is_unicast(port->addr))
		return spg_yaml_error(l->d, v[K_ADDRESS], path, "%s is not a unicast host address",
				      spg_addr_str(port->addr, a));
	special = special_host_name(port->addr, port->prefix_len);
	if (special != NULL)
		return spg_yaml_error(l->d, v[K_ADDRESS], path,
				      "%s/%u is the %s address of its prefix, not a host address",
				      spg_addr_str(port->addr, a), port->prefix_len, special);

	if (v[K_NEXT_HOP] != NULL) {
		spg_yaml_path(path, sizeof(path), port_path, "next_hop");
		if (get_addr(l->d, v[K_NEXT_HOP], path, &port->next_hop) < 0)
			return -1;
		spg_addr_str(port->addr & spg_prefix_mask(port->prefix_len), net);
		if (!prefix_contains(port->addr, port->prefix_len, port->next_hop))
			return spg_yaml_error(l->d, v[K_NEXT_HOP], path,
					      "%s is outside the port's prefix %s/%u",
					      spg_addr_str(port->next_hop, a), net,
					      port->prefix_len);
		if (port->next_hop == port->addr)
			return spg_yaml_error(l->d, v[K_NEXT_HOP], path,
					      "%s is the port's own address",
					      spg_addr_str(port->next_hop, a));
		special = special_host_name(port->next_hop, port->prefix_len);
		if (special != NULL)
			return spg_yaml_error(l->d, v[K_NEXT_HOP], path,
					      "%s is the %s address of %s/%u",
					      spg_addr_str(port->next_hop, a), special, net,
					      port->prefix_len);
	}
	if (v[K_MTU] != NULL) {
		spg_yaml_path(path, sizeof(path), port_path, "mtu");
		if (spg_yaml_get_u32(l->d, v[K_MTU], path, MTU_MIN, MTU_MAX, &mtu) < 0)
			return -1;
		port->mtu = (uint16_t)mtu;
	}
	return 0;
}

static int parse_ports(struct loader *l, yaml_node_t *node)
{
	enum { K_VENDOR, K_SP, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_VENDOR] = { "vendor", true },
		[K_SP] = { "sp", true },
	};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "ports", keys, K_N, v) < 0)
		return -1;
	if (parse_port(l, v[K_VENDOR], "ports.vendor", &l->cfg->vendor, &l->vendor_addr) < 0)
		return -1;
	return parse_port(l, v[K_SP], "ports.sp", &l->cfg->sp, &l->sp_addr);
}

static int parse_sp(struct loader *l, yaml_node_t *node)
{
	enum { K_SHARED, K_INNER, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_SHARED] = { "shared_address", true },
		[K_INNER] = { "inner_address", true },
	};
	struct spg_dp_config *cfg = l->cfg;
	char a[SPG_ADDR_STRLEN];
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "sp", keys, K_N, v) < 0)
		return -1;
	if (get_addr(l->d, v[K_SHARED], "sp.shared_address", &cfg->shared_addr) < 0)
		return -1;
	if (get_addr(l->d, v[K_INNER], "sp.inner_address", &cfg->inner_addr) < 0)
		return -1;
	l->inner = v[K_INNER];
	/* The SP must tell its own address from its only peer's. */
	if (cfg->inner_addr == cfg->shared_addr)
		return spg_yaml_error(l->d, v[K_INNER], "sp.inner_address",
				      "%s is the same as sp.shared_address",
				      spg_addr_str(cfg->inner_addr, a));
	return 0;
}

static int parse_vendor(struct loader *l, yaml_node_t *node)
{
	enum { K_POOL, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_POOL] = { "virtual_pool", true },
	};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "vendor", keys, K_N, v) < 0)
		return -1;
	l->pool = v[K_POOL];
	return get_prefix(l->d, v[K_POOL], "vendor.virtual_pool", true, POOL_PREFIX_MIN,
			  POOL_PREFIX_MAX, &l->cfg->pool_addr, &l->cfg->pool_prefix_len);
}

static int parse_esp(struct loader *l, yaml_node_t *node)
{
	enum { K_CIPHER, K_REPLAY, K_UDP_PORT, K_CRYPTO_DEV, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_CIPHER] = { "cipher", false },
		[K_REPLAY] = { "replay_window", false },
		[K_UDP_PORT] = { "udp_port", false },
		[K_CRYPTO_DEV] = { "crypto_device", false },
	};
	struct spg_dp_config *cfg = l->cfg;
	yaml_node_t *v[K_N];
	const char *name;
	uint32_t port;
	char q[80];
	size_t i;

	if (spg_yaml_mapping(l->d, node, "esp", keys, K_N, v) < 0)
		return -1;
	if (v[K_CIPHER] != NULL) {
		if (spg_yaml_scalar(l->d, v[K_CIPHER], "esp.cipher", &name) < 0)
			return -1;
		for (i = 0; i < sizeof(cipher_names) / sizeof(cipher_names[0]); i++)
			if (strcmp(name, cipher_names[i]) == 0)
				break;
		if (i == sizeof(cipher_names) / sizeof(cipher_names[0]))
			return spg_yaml_error(l->d, v[K_CIPHER], "esp.cipher",
					      "%s is not a supported cipher (aes-128-gcm, aes-256-gcm)",
					      spg_yaml_quote(name, strlen(name), q, sizeof(q)));
		cfg->cipher = (enum spg_cipher)i;
	}
	if (v[K_REPLAY] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_REPLAY], "esp.replay_window", REPLAY_WINDOW_MIN,
			     REPLAY_WINDOW_MAX, &cfg->replay_window) < 0)
		return -1;
	if (v[K_UDP_PORT] != NULL) {
		if (spg_yaml_get_u32(l->d, v[K_UDP_PORT], "esp.udp_port", 1, 65535, &port) < 0)
			return -1;
		cfg->esp_udp_port = (uint16_t)port;
	}
	if (v[K_CRYPTO_DEV] != NULL &&
	    get_word(l->d, v[K_CRYPTO_DEV], "esp.crypto_device", cfg->crypto_device,
		     sizeof(cfg->crypto_device)) < 0)
		return -1;
	return 0;
}

/* recording: the copies of recorded sessions' packets (recorder.h). */
static int parse_recording(struct loader *l, yaml_node_t *node)
{
	enum { K_SNAPLEN, K_POOL, K_RING, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_SNAPLEN] = { "snaplen", false },
		[K_POOL] = { "pool_size", false },
		[K_RING] = { "ring_size", false },
	};
	struct spg_dp_config *cfg = l->cfg;
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(l->d, node, "recording", keys, K_N, v) < 0)
		return -1;
	if (v[K_SNAPLEN] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_SNAPLEN], "recording.snaplen", REC_SNAPLEN_MIN, REC_SNAPLEN_MAX,
			     &cfg->rec_snaplen) < 0)
		return -1;
	if (v[K_POOL] != NULL &&
	    spg_yaml_get_u32(l->d, v[K_POOL], "recording.pool_size", REC_POOL_MIN, REC_POOL_MAX,
			     &cfg->rec_pool_size) < 0)
		return -1;
	/* The pool must leave the packets' own mbufs room in the EAL's memory. */
	if (v[K_POOL] != NULL && cfg->memory_mb != 0 &&
	    (uint64_t)cfg->rec_pool_size * REC_BYTES_PER_COPY > (uint64_t)cfg->memory_mb * 1024 * 1024 / 2)
		return spg_yaml_error(l->d, v[K_POOL], "recording.pool_size",
				      "%u copies take about %u MiB, more than half of dataplane.eal.memory_mb (%u)",
				      cfg->rec_pool_size,
				      (unsigned int)((uint64_t)cfg->rec_pool_size * REC_BYTES_PER_COPY >> 20),
				      cfg->memory_mb);
	if (v[K_RING] != NULL) {
		if (spg_yaml_get_u32(l->d, v[K_RING], "recording.ring_size", REC_RING_MIN, REC_RING_MAX,
				     &cfg->rec_ring_size) < 0)
			return -1;
		if ((cfg->rec_ring_size & (cfg->rec_ring_size - 1)) != 0)
			return spg_yaml_error(l->d, v[K_RING], "recording.ring_size",
					      "%u is not a power of 2", cfg->rec_ring_size);
	}
	return 0;
}

/* Checks that span sections; each error points at the key that has to change. */
/*
 * Joiners (issue 15) leave a session as G_in + 1 .. G_in + SPG_DP_MAX_JOINERS: those must be
 * unicast addresses nothing else here is, or the SP could not tell a joiner from the gateway's
 * other peers and the gateway could not tell the SP's replies to a joiner from its own.
 */
static int check_joiner_inner(struct loader *l)
{
	const struct spg_dp_config *cfg = l->cfg;
	char a[SPG_ADDR_STRLEN], b[SPG_ADDR_STRLEN];
	const struct {
		uint32_t addr;
		const char *name;
	} other[] = { { cfg->shared_addr, "sp.shared_address" },
		      { cfg->vendor.addr, "ports.vendor.address" },
		      { cfg->sp.addr, "ports.sp.address" } };
	uint32_t gin = host_order(cfg->inner_addr), addr;

	if (gin > UINT32_MAX - SPG_DP_MAX_JOINERS)
		return spg_yaml_error(l->d, l->inner, "sp.inner_address",
				      "%s leaves no room for the joiners' %s + 1 .. + %u",
				      spg_addr_str(cfg->inner_addr, a), a, SPG_DP_MAX_JOINERS);
	for (uint32_t j = 1; j <= SPG_DP_MAX_JOINERS; j++) {
		addr = htonl(gin + j);
		spg_addr_str(addr, b);
		if (!addr_is_unicast(addr))
			return spg_yaml_error(l->d, l->inner, "sp.inner_address",
					      "the joiners' inner address %s (+%u) is not a unicast host address", b, j);
		for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
			if (addr == other[i].addr)
				return spg_yaml_error(l->d, l->inner, "sp.inner_address",
						      "the joiners' inner address %s (+%u) is %s",
						      b, j, other[i].name);
		if (prefix_contains(cfg->pool_addr, cfg->pool_prefix_len, addr))
			return spg_yaml_error(l->d, l->inner, "sp.inner_address",
					      "the joiners' inner address %s (+%u) is inside vendor.virtual_pool %s/%u",
					      b, j, spg_addr_str(cfg->pool_addr, a), cfg->pool_prefix_len);
	}
	return 0;
}

static int check_addresses(struct loader *l)
{
	const struct spg_dp_config *cfg = l->cfg;
	char a[SPG_ADDR_STRLEN], b[SPG_ADDR_STRLEN];
	const struct {
		const struct spg_port_config *port;
		const char *name;
	} ports[] = { { &cfg->vendor, "ports.vendor.address" }, { &cfg->sp, "ports.sp.address" } };
	const struct {
		uint32_t addr;
		const char *name;
	} inner[] = { { cfg->shared_addr, "sp.shared_address" },
		      { cfg->inner_addr, "sp.inner_address" } };
	uint32_t hosts;
	size_t i;

	if (prefixes_overlap(cfg->vendor.addr, cfg->vendor.prefix_len, cfg->sp.addr,
			     cfg->sp.prefix_len))
		return spg_yaml_error(l->d, l->sp_addr, "ports.sp.address",
				      "%s/%u overlaps ports.vendor.address %s/%u",
				      spg_addr_str(cfg->sp.addr, a), cfg->sp.prefix_len,
				      spg_addr_str(cfg->vendor.addr, b), cfg->vendor.prefix_len);
	spg_addr_str(cfg->pool_addr, a);
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (prefixes_overlap(cfg->pool_addr, cfg->pool_prefix_len, ports[i].port->addr,
				     ports[i].port->prefix_len))
			return spg_yaml_error(l->d, l->pool, "vendor.virtual_pool",
					      "%s/%u overlaps %s %s/%u", a, cfg->pool_prefix_len,
					      ports[i].name, spg_addr_str(ports[i].port->addr, b),
					      ports[i].port->prefix_len);
	for (i = 0; i < sizeof(inner) / sizeof(inner[0]); i++)
		if (prefix_contains(cfg->pool_addr, cfg->pool_prefix_len, inner[i].addr))
			return spg_yaml_error(l->d, l->pool, "vendor.virtual_pool",
					      "%s/%u contains %s %s", a, cfg->pool_prefix_len,
					      inner[i].name, spg_addr_str(inner[i].addr, b));
	if (!addr_is_unicast(cfg->pool_addr) ||
	    !addr_is_unicast(cfg->pool_addr | ~spg_prefix_mask(cfg->pool_prefix_len)))
		return spg_yaml_error(l->d, l->pool, "vendor.virtual_pool",
				      "%s/%u is not unicast address space", a,
				      cfg->pool_prefix_len);
	if (check_joiner_inner(l) < 0)
		return -1;
	/* Every session needs a virtual address of its own; network and broadcast are not. */
	hosts = (1u << (32 - cfg->pool_prefix_len)) - 2;
	if (hosts < cfg->max_sessions)
		return spg_yaml_error(l->d, l->pool, "vendor.virtual_pool",
				      "%s/%u holds %u addresses, fewer than dataplane.max_sessions (%u)",
				      a, cfg->pool_prefix_len, hosts, cfg->max_sessions);
	return 0;
}

static int load(struct spg_yaml_doc *d, struct spg_dp_config *cfg)
{
	enum { K_DATAPLANE, K_PORTS, K_SP, K_VENDOR, K_ESP, K_RECORDING, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_DATAPLANE] = { "dataplane", false },
		[K_PORTS] = { "ports", true },
		[K_SP] = { "sp", true },
		[K_VENDOR] = { "vendor", true },
		[K_ESP] = { "esp", false },
		[K_RECORDING] = { "recording", false },
	};
	struct loader l = { .d = d, .cfg = cfg };
	yaml_node_t *root = spg_yaml_root(d);
	yaml_node_t *v[K_N];

	if (root == NULL)
		return spg_yaml_error(d, NULL, NULL,
				      "the file is empty (ports, sp and vendor are required)");
	if (spg_yaml_mapping(d, root, "", keys, K_N, v) < 0)
		return -1;
	if (v[K_DATAPLANE] != NULL && parse_dataplane(&l, v[K_DATAPLANE]) < 0)
		return -1;
	if (parse_ports(&l, v[K_PORTS]) < 0)
		return -1;
	if (parse_sp(&l, v[K_SP]) < 0)
		return -1;
	if (parse_vendor(&l, v[K_VENDOR]) < 0)
		return -1;
	if (v[K_ESP] != NULL && parse_esp(&l, v[K_ESP]) < 0)
		return -1;
	if (v[K_RECORDING] != NULL && parse_recording(&l, v[K_RECORDING]) < 0)
		return -1;
	return check_addresses(&l);
}

int spg_dp_config_load(const char *path, struct spg_dp_config *cfg, char *err, size_t errlen)
{
	struct spg_dp_config next;
	struct spg_yaml_doc d;
	int rc = -1;

	/* Build aside and copy only a config that passed every check. */
	spg_dp_config_defaults(&next);
	if (spg_yaml_load(&d, path, err, errlen) == 0)
		rc = load(&d, &next);
	spg_yaml_free(&d);
	if (rc < 0) {
		spg_dp_config_free(&next);
		spg_dp_config_defaults(cfg);
		return -1;
	}
	*cfg = next;
	return 0;
}
