/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Programming spgate-dp (common/dp_api.h) from the control plane: the connection with its
 * HELLO, reconnecting with back-off when spgate-dp is not up yet or restarts, and typed
 * calls for sessions (add, update, delete, get, list) and statistics.
 *
 * Calls are synchronous on a local socket with a short timeout: spgate-dp's control thread
 * answers in microseconds, and a blocked control plane for at most timeout_ms is better
 * than a second state machine for every request. When spgate-dp goes away (the socket
 * closes, or a call finds it gone) the state callback says so and reconnecting starts; when
 * it is back, the callback says so again and the caller re-adds what it lost (reconcile).
 */
#ifndef SPG_DP_PROG_H
#define SPG_DP_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "dp_api.h"

struct sph_keys;

/* What HELLO told us; addresses in network order. */
struct dpp_hello {
	uint32_t api_version;
	uint32_t max_sessions;
	uint8_t key_len;
	uint32_t shared_addr; /* S */
	uint32_t inner_addr;  /* G_in */
	uint32_t outer_addr;  /* G_out */
	uint32_t vendor_addr; /* the vendor port's configured address */
	uint16_t esp_udp_port;
	uint32_t pool_addr;
	uint8_t pool_prefix_len;
	char version[SPG_DP_NAME_LEN];
};

struct dpp;

/* up: HELLO succeeded (again); !up: the connection was lost. */
typedef void (*dpp_state_fn)(struct dpp *d, bool up, void *arg);

/*
 * Starts connecting to the socket at path at once and keeps trying (0.2 s, doubling up to
 * 5 s) until spgate-dp answers HELLO. timeout_ms bounds each call (0: 2000). state may be
 * NULL. NULL with errno set (EINVAL: bad path, ENOMEM).
 */
struct dpp *dpp_new(struct event_base *base, const char *path, unsigned timeout_ms, dpp_state_fn state,
		    void *arg);
void dpp_free(struct dpp *d);

bool dpp_is_up(const struct dpp *d);
/* Valid while up. */
const struct dpp_hello *dpp_hello(const struct dpp *d);

/*
 * Session calls. 0, spgate-dp's refusal as -errno (-EEXIST, -ENOENT, -EINVAL, -ENOSPC, ...),
 * or -ENOTCONN when spgate-dp is not reachable (reconnecting has then started).
 */
int dpp_add(struct dpp *d, const struct spg_dp_session_params *p);
int dpp_update(struct dpp *d, uint32_t what, const struct spg_dp_session_params *p);
int dpp_delete(struct dpp *d, uint64_t id);
int dpp_get(struct dpp *d, uint64_t id, struct spg_dp_session_info *info);
/* SESSION_RECORD (start or stop); rep (may be NULL) gets the recording's counters.
 * -EOPNOTSUPP from a dataplane that cannot record. */
int dpp_record(struct dpp *d, const struct spg_dp_session_record_req *req, struct spg_dp_record_rep *rep);
/* SESSION_JOINERS: session id's joiner workstations, by slot. -EOPNOTSUPP from a dataplane
 * that cannot carry joiners; -EINVAL an address it refuses; -ENOENT no such session. */
int dpp_joiners(struct dpp *d, const struct spg_dp_session_joiners_req *req);
/*
 * ADDRESS (fleet failover): op SPG_DP_ADDR_ADD makes a port (SPG_DP_PORT_VENDOR or _SP) also
 * own addr and announce it (gratuitous ARP); SPG_DP_ADDR_DEL stops, and for the port's own
 * configured address silences it while another host holds it. -EOPNOTSUPP from an older
 * dataplane.
 */
int dpp_address(struct dpp *d, uint8_t op, uint8_t port, uint32_t addr);
/* Calls fn for every session spgate-dp holds; stops at and returns fn's first non-zero. */
int dpp_list(struct dpp *d, int (*fn)(const struct spg_dp_session_info *s, void *arg), void *arg);
int dpp_stats(struct dpp *d, struct spg_dp_stats_rep *rep);
/* Drops by reason: reasons[i] is reason number i + 1 of dataplane/drops.h. */
int dpp_drops(struct dpp *d, struct spg_dp_drops_rep *rep);

/*
 * Sets p's SAs from a handshake's keys: sa_out (we encrypt, gateway -> SP) with the agent's
 * SPI, sa_in (we decrypt, SP -> gateway) with ours. SPIs in host order.
 */
void dpp_set_keys(struct spg_dp_session_params *p, const struct sph_keys *k, uint32_t gw_spi,
		  uint32_t sp_spi);

/*
 * Sets p's allowed SP ports from the grant's "tcp:22"-style strings, merging neighbours of
 * one protocol into ranges. -EINVAL naming the bad one in err, or -E2BIG when they need
 * more than SPG_DP_MAX_PORT_RANGES ranges.
 */
int dpp_set_ports(struct spg_dp_session_params *p, const char *const *ports, size_t n, char *err,
		  size_t errlen);

/* Sets both directions' rate from a line speed in bit/s (0: unlimited). */
void dpp_set_rate(struct spg_dp_session_params *p, uint64_t speed_bps);

#endif
