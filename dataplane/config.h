/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-dp configuration, loaded from YAML. Strict: unknown keys, wrong types and bad
 * addresses are errors naming file:line:column. Addresses are kept in network byte order.
 */
#ifndef SPG_DP_CONFIG_H
#define SPG_DP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPG_CFG_MAX_WORKERS 16
#define SPG_CFG_MAX_EAL_ARGS 16
#define SPG_CFG_STR 256

#define SPG_CFG_MAX_SESSIONS_LIMIT (1u << 22) /* 4,194,304 */

enum spg_cipher { SPG_CIPHER_AES_128_GCM = 0, SPG_CIPHER_AES_256_GCM = 1 };

struct spg_port_config {
	char devargs[SPG_CFG_STR]; /* DPDK vdev/PCI devargs, e.g. "net_af_packet0,iface=veth0" */
	uint32_t addr;             /* the port's own IPv4 address */
	uint8_t prefix_len;
	uint32_t next_hop; /* 0: destinations outside the prefix are unreachable */
	uint16_t mtu;      /* link MTU (IP packet size), default 1500 */
};

struct spg_dp_config {
	/* dataplane: */
	unsigned int main_lcore;
	unsigned int worker_lcores[SPG_CFG_MAX_WORKERS];
	unsigned int n_workers;
	uint32_t max_sessions;         /* default 65536, 1 .. SPG_CFG_MAX_SESSIONS_LIMIT */
	char control_socket[108];      /* default SPG_DP_SOCKET_DEFAULT */
	char control_group[32];        /* "": only root and spgate-dp's user may use the socket */
	uint32_t idle_sleep_us;        /* 0: busy poll; else sleep this long after idle polls */
	uint32_t mbufs;                /* mbuf pool size, default 16383 */
	/* dataplane.eal: */
	bool no_huge;
	uint32_t memory_mb;            /* 0: EAL default */
	char file_prefix[64];          /* default "spgate" */
	char *eal_extra[SPG_CFG_MAX_EAL_ARGS]; /* owned, freed by spg_dp_config_free */
	unsigned int n_eal_extra;
	/* ports: */
	struct spg_port_config vendor;
	struct spg_port_config sp;
	/* sp: */
	uint32_t shared_addr; /* S */
	uint32_t inner_addr;  /* G_in */
	/* vendor: */
	uint32_t pool_addr;   /* virtual pool network address */
	uint8_t pool_prefix_len;
	/* esp: */
	enum spg_cipher cipher;     /* default aes-128-gcm */
	uint32_t replay_window;     /* default 128, 64 .. 4096 */
	uint16_t esp_udp_port;      /* default 4500 */
	char crypto_device[SPG_CFG_STR]; /* default "crypto_aesni_mb" */
	/* Crypto through the device's queue pairs even when it offers synchronous CPU crypto
	 * (default false; not in the YAML: for spgate-bench's comparisons). */
	bool crypto_lookaside;
	/* outbound through librte_ipsec even on crypto_aesni_mb (esp_native.c otherwise): tests, benches */
	bool crypto_library_outbound;
	/* inbound through librte_ipsec even on crypto_aesni_mb (esp_native_in.c otherwise): the same */
	bool crypto_library_inbound;
	/* recording: (issue 15, recorder.h) */
	uint32_t rec_snaplen;   /* bytes of each packet kept, default 65535 */
	uint32_t rec_pool_size; /* copies in flight (mbufs of the recorder's pool), default 8191 */
	uint32_t rec_ring_size; /* per worker ring of copies, a power of 2, default 1024 */
};

/* Fills *cfg with the defaults above (ports, S, G_in and pool have none: they are required). */
void spg_dp_config_defaults(struct spg_dp_config *cfg);

/*
 * Loads and checks path into *cfg. Returns 0, or -1 with a message in err such as
 * "dp.yaml:14:9: sp.shared_address: \"10.0.0.300\" is not an IPv4 address".
 */
int spg_dp_config_load(const char *path, struct spg_dp_config *cfg, char *err, size_t errlen);

/* Frees what spg_dp_config_load allocated inside *cfg. */
void spg_dp_config_free(struct spg_dp_config *cfg);

/* Key length in bytes for the cipher: 16 or 32. */
uint8_t spg_cipher_key_len(enum spg_cipher c);
const char *spg_cipher_name(enum spg_cipher c);

#endif
