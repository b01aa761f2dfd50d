/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-agent's configuration (YAML, strict: unknown keys, wrong types and bad addresses
 * are errors naming file:line:column). Addresses in network order, ports in host order.
 * Every key is described in tools/agent/agent.example.yaml.
 */
#ifndef AGENT_CONFIG_H
#define AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_CFG_PATH 256
#define AGENT_CFG_NAME 64
#define AGENT_CFG_MAX_PORTS 32

struct agent_service_port {
	uint8_t proto; /* 6 or 17 */
	uint16_t port;
	char text[16]; /* "tcp:22", as the wire says it */
};

#define AGENT_CFG_MAX_GATEWAYS 8

enum agent_guard_mode { AGENT_GUARD_OFF, AGENT_GUARD_XDP_GENERIC, AGENT_GUARD_XDP_NATIVE };

struct agent_config {
	char serial[AGENT_CFG_NAME];
	uint32_t listen_addr;        /* the SP's outer address E: TLS and ESP listen here */
	uint16_t listen_port;        /* default 7443 */
	char cert_file[AGENT_CFG_PATH];
	char key_file[AGENT_CFG_PATH];
	char gateway_ca_file[AGENT_CFG_PATH]; /* required: CA of the gateways' client certificates */
	char vendor_key_file[AGENT_CFG_PATH];
	uint32_t shared_addr;        /* S */
	char profile[AGENT_CFG_NAME];
	struct agent_service_port ports[AGENT_CFG_MAX_PORTS];
	size_t n_ports;
	uint16_t esp_port;           /* default 4500 */
	uint32_t replay_window;      /* default 128, 64..4096 */
	uint32_t nat_keepalive_s;    /* default 20, 0: none */
	uint64_t seq_limit;          /* outbound packets per SA before refusing; default 2^64-1 */
	char tun_name[16];           /* default "sptun0" */
	uint32_t tun_mtu;            /* default 1400 */
	enum agent_guard_mode guard_mode; /* default xdp-generic */
	char guard_ifname[16];       /* required unless guard mode is off */
	/* guard.gateways: the control addresses of the vendor's other gateway hosts (a fleet),
	 * let through to the TLS port while sessions are live, so a survivor can take one over */
	uint32_t guard_gateways[AGENT_CFG_MAX_GATEWAYS];
	size_t n_guard_gateways;
	uint32_t grace_s;            /* default 60 */
	uint32_t control_timeout_s;  /* no message from the control plane this long: lost; 60 */
	uint32_t rekey_overlap_s;    /* old inbound SA kept after a rekey; default 30 */
	uint32_t max_sessions;       /* default 4 */
	uint32_t request_timeout_s;  /* a new channel's TLS handshake and first request; 5 */
	uint32_t max_channels_per_source; /* channels from one address at once; default 4 */
	uint32_t replay_cache_max;   /* grant nonces remembered at once; default 4096 */
	char state_dir[AGENT_CFG_PATH]; /* default /run/spgate-agent: status socket */
	bool debug;                  /* log_level: debug */
};

/* Loads path into cfg. 0, or -1 with "FILE:LINE:COL: key: problem" in err. */
int agent_config_load(const char *path, struct agent_config *cfg, char *err, size_t errlen);

#endif
