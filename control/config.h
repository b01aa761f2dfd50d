/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-control configuration, loaded from YAML (config/control.example.yaml documents every
 * key). Strict: unknown keys, wrong types, relative paths and bad addresses are errors naming
 * file:line:column and the key path. Addresses are in network byte order, ports host order.
 */
#ifndef SPG_CTL_CONFIG_H
#define SPG_CTL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_PATH_MAX 256
#define CTL_SOCKET_MAX 108 /* sun_path */
#define CTL_NAME_MAX 64
#define CTL_URL_MAX 512
#define CTL_MAX_GROUPS 16
#define CTL_RADIUS_MAX_SERVERS 8
#define CTL_SECRET_MAX 128

enum ctl_auth_method { CTL_AUTH_RADIUS, CTL_AUTH_LOCAL };
enum ctl_group_attribute { CTL_GROUP_ATTR_CLASS, CTL_GROUP_ATTR_FILTER_ID };
/* auth.mfa: whether logins need a second factor (issue 16, docs/threat-model.md) */
enum ctl_mfa_policy { CTL_MFA_OFF, CTL_MFA_OPTIONAL, CTL_MFA_REQUIRED };

#define CTL_SNMP_MAX_MANAGERS 8
/* sub-identifiers of snmp.base_oid: net-snmp's 128 less the deepest object below it (a
 * line table cell: 4 + a line id index of up to 64) and some spare */
#define CTL_SNMP_OID_MAX 48
#define CTL_SNMP_ENGINE_ID_MAX 32  /* RFC 3411: 5..32 octets */
#define CTL_SNMP_PASSPHRASE_MIN 8  /* RFC 3414's minimum for USM passphrases */

enum ctl_snmp_notify { CTL_SNMP_TRAP, CTL_SNMP_INFORM };
enum ctl_snmp_version { CTL_SNMP_V2C, CTL_SNMP_V3 };
enum ctl_snmp_auth { CTL_SNMP_AUTH_NONE, CTL_SNMP_AUTH_SHA, CTL_SNMP_AUTH_SHA256, CTL_SNMP_AUTH_MD5 };
enum ctl_snmp_priv { CTL_SNMP_PRIV_NONE, CTL_SNMP_PRIV_AES, CTL_SNMP_PRIV_DES };

/* A network manager that receives the notifications. */
struct ctl_snmp_manager {
	uint32_t addr;
	uint16_t port;                       /* default 162 */
	enum ctl_snmp_version version;
	char community[CTL_SECRET_MAX];      /* v2c: required */
	char user[CTL_NAME_MAX];             /* v3: required */
	enum ctl_snmp_auth auth;             /* v3: none (noAuthNoPriv) unless given */
	char auth_passphrase[CTL_SECRET_MAX];
	enum ctl_snmp_priv priv;             /* v3: none unless given; needs auth */
	char priv_passphrase[CTL_SECRET_MAX];
};

struct ctl_radius_server {
	uint32_t addr;
	uint16_t port; /* default 1812 */
	char secret[CTL_SECRET_MAX];
};

struct ctl_config {
	struct {
		char database[CTL_PATH_MAX];        /* /var/lib/spgate/spgate.db */
		char audit_log[CTL_PATH_MAX];       /* /var/log/spgate/audit.jsonl */
		char operator_socket[CTL_SOCKET_MAX]; /* /run/spgate/control.sock */
		char operator_group[CTL_NAME_MAX];  /* "" none: only root operates */
		char dataplane_socket[CTL_SOCKET_MAX]; /* /run/spgate/dp.sock */
		char state_dir[CTL_PATH_MAX];       /* /var/lib/spgate */
		uint32_t operator_max_clients;      /* operator socket connections, 1..4096, default 64 */
	} control;
	struct {
		uint32_t listen_addr; /* required */
		uint16_t listen_port;
		char certificate[CTL_PATH_MAX]; /* required */
		char private_key[CTL_PATH_MAX]; /* required */
		uint32_t token_ttl;             /* s, 60..604800, default 28800 */
		uint32_t connect_fresh;         /* s a token may be old to connect, 60..604800, default 900 */
		uint32_t max_clients;           /* TLS connections, 1..65536, default 1024 */
		uint32_t max_per_source;        /* from one IPv4 address, 1..65536, default 16 */
		uint32_t handshake_timeout;     /* s to TLS handshake + first request, 1..60, default 5 */
		uint32_t idle_timeout;          /* s a silent connection lives, 10..3600, default 300 */
	} engineer_api;
	struct {
		enum ctl_auth_method methods[2]; /* tried in order; default [local] */
		unsigned n_methods;
		struct {
			struct ctl_radius_server servers[CTL_RADIUS_MAX_SERVERS];
			unsigned n_servers;
			uint32_t timeout_ms;  /* default 1000, 100..60000 */
			uint32_t retries;     /* default 1, 0..10 */
			enum ctl_group_attribute group_attribute; /* default Class */
			char nas_identifier[CTL_NAME_MAX];        /* default "spgate" */
			bool require_message_authenticator;       /* default true (CVE-2024-3596) */
		} radius;
		uint32_t lockout_max_failures; /* default 5, 1..1000 */
		uint32_t lockout_window;       /* s, default 300, 1..86400 */
		enum ctl_mfa_policy mfa;       /* default optional: asked of users enrolled */
		uint32_t mfa_max_age;	       /* s, default 900: as old or older needs a step-up at
						* connect (to a customer with mfa: required); 0: always */
	} auth;
	struct {
		char signing_key[CTL_PATH_MAX]; /* required: PEM Ed25519 private key */
		uint32_t lifetime;              /* s, default 28800, 60..604800 */
	} grant;
	struct {
		uint16_t port;             /* default 7443 */
		char ca[CTL_PATH_MAX];     /* required */
		char client_certificate[CTL_PATH_MAX]; /* required: ours, of the gateway CA */
		char client_key[CTL_PATH_MAX];         /* required: its private key (PEM) */
		uint32_t keepalive;        /* s, default 10, 1..3600 */
		uint32_t connect_timeout;  /* s, default 5, 1..300 */
		uint32_t rekey_after;      /* s, default 3600, 60..86400 */
		uint32_t grace;            /* s, default 60, 1..3600 */
	} agent;
	struct {
		uint32_t idle_timeout;     /* s, default 1800, 0 = none, ..604800 */
		uint32_t max_duration;     /* s, default 28800, 60..604800 */
		uint32_t approval_timeout; /* s, default 300, 10..86400 */
		uint32_t address_holdback; /* s, default 60, 0..86400 */
		uint32_t reconcile;        /* s between checks against spgate-dp, default 5, 1..3600 */
		char privileged_groups[CTL_MAX_GROUPS][CTL_NAME_MAX]; /* default none */
		unsigned n_privileged_groups;
		char approver_groups[CTL_MAX_GROUPS][CTL_NAME_MAX];   /* default [approvers] */
		unsigned n_approver_groups;
	} sessions;
	struct {
		uint32_t command_timeout_ms; /* an AT command's OK: default 3000, 100..60000 */
		uint32_t connect_timeout;    /* s, ATDT until a result: default 60, 5..300 */
		uint32_t guard_ms;           /* "+++" guard time: default 1000, 50..5000 */
		uint32_t retry_delay_ms;     /* first back-off, doubling: default 5000, 10..600000 */
		uint32_t busy_retries;       /* a busy number redialed: default 2, 0..20 */
		uint32_t line_retries;       /* a line fault retried within a call: default 1, 0..10 */
		uint32_t max_line_faults;    /* faults in a row that mark a line failed: default 3, 1..100 */
		uint32_t health_check;       /* s between checks of failed lines: default 60, 0 none */
		uint32_t baud;               /* a modem line's default DTE speed: 115200 */
	} dial;
	struct {
		bool enabled;                         /* default false */
		char base_oid_text[CTL_PATH_MAX];     /* default "1.3.6.1.4.1.8072.9999.9999" */
		uint32_t base_oid[CTL_SNMP_OID_MAX];  /* the same, parsed */
		unsigned base_oid_len;
		char agentx_socket[CTL_PATH_MAX];     /* "/var/agentx/master", or "tcp:HOST:PORT" */
		uint32_t agentx_ping;                 /* s, default 5, 1..3600: reconnect interval */
		enum ctl_snmp_notify notify;          /* default trap */
		struct ctl_snmp_manager managers[CTL_SNMP_MAX_MANAGERS];
		unsigned n_managers;
		uint8_t engine_id[CTL_SNMP_ENGINE_ID_MAX]; /* ours, for v3 traps; required then */
		size_t engine_id_len;
	} snmp;
	struct {
		char dir[CTL_PATH_MAX];    /* /var/lib/spgate/recordings: spgate-dp writes there */
		uint32_t keep_days;        /* default 90, 1..3650 */
		uint64_t max_bytes;        /* all recordings together, oldest deleted first; 0 no cap */
		bool engineers_may_export; /* default false: engineers list their own, operators export */
	} recordings;
	struct {
		bool enabled;                   /* web.listen given: the console is served */
		uint32_t listen_addr;
		uint16_t listen_port;           /* default 443 */
		char certificate[CTL_PATH_MAX]; /* required with listen */
		char private_key[CTL_PATH_MAX]; /* required with listen */
		char static_dir[CTL_PATH_MAX];  /* default /usr/share/spgate/web */
		uint32_t session_timeout;       /* s idle before a console login ends: default 1800 */
		uint32_t session_max;           /* s a console login lives at most: default 28800 */
	} web;
	struct {
		/* "" : SQLite at control.database; postgresql://... or a libpq conninfo: a fleet's
		 * shared store (docs/fleet.md). A sqlite:///path sets control.database instead. */
		char url[CTL_URL_MAX];
	} store;
	struct {
		char id[CTL_NAME_MAX]; /* this host in the fleet; default the host name */
		/* the part of spgate-dp's virtual pool this host allocates from (each host of a
		 * fleet its own part, routed to its vendor-side address); prefix 0: all of it */
		uint32_t pool_addr;
		uint8_t pool_prefix;
		/* which host runs a connect (fleet_place.h): the asked one (default), or the least
		 * loaded host of the fleet (PostgreSQL only) */
		enum ctl_gateway_connect { CTL_CONNECT_ASKED, CTL_CONNECT_LEAST_LOADED } connect;
	} gateway;
};

/* Fills *c with the defaults above; required keys are left empty/zero. */
void ctl_config_defaults(struct ctl_config *c);

/*
 * Loads and checks path into *c. Returns 0, or -1 with a message in err such as
 * "control.yaml:12:11: engineer_api.listen: \"1.2.3.4\" has no port (a.b.c.d:port)".
 * On error *c holds the defaults.
 */
int ctl_config_load(const char *path, struct ctl_config *c, char *err, size_t errlen);

/* Releases what ctl_config_load allocated (nothing today; call it anyway). */
void ctl_config_free(struct ctl_config *c);

/* True when group is one of the names in list[0..n). */
bool ctl_config_group_in(const char list[][CTL_NAME_MAX], unsigned n, const char *group);

/* "radius" | "local". */
const char *ctl_auth_method_name(enum ctl_auth_method m);

/* "off", "optional", "required", and back: 0, or -EINVAL for any other word. */
const char *ctl_mfa_policy_name(enum ctl_mfa_policy p);
int ctl_mfa_policy_parse(const char *s, enum ctl_mfa_policy *p);
/* "Class" | "Filter-Id". */
const char *ctl_group_attribute_name(enum ctl_group_attribute a);

#endif
