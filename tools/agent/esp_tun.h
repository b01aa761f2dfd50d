/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-agent's userspace ESP endpoint: a TUN device (IFF_TUN | IFF_NO_PI) carrying S, and
 * a UDP socket on the ESP port (ESP in UDP, RFC 3948), on one libevent loop.
 *
 *   UDP from the gateway -> SA by SPI -> esp_open -> inner filter -> write to the TUN
 *   read from the TUN -> peer by destination (its G_in) -> esp_seal -> UDP to the gateway
 *
 * The inner filter is the tunnel half of the SP's guard (claims 59/60): a decrypted packet
 * must come from the session's G_in, go to S, and be TCP/UDP to one of the session's
 * allowed service ports, an ICMP echo request when the grant allows it, or an ICMP error.
 *
 * One esp_tun serves every session (peer); sp_session.c creates it with the first and frees
 * it with the last. Peers are few (an SP has a handful of sessions at most): lookups scan.
 */
#ifndef AGENT_ESP_TUN_H
#define AGENT_ESP_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "config.h"
#include "dp_api.h"
#include "drops.h"
#include "esp_sa.h"

struct esp_peer;

struct esp_peer {
	uint32_t gw_inner;    /* G_in: what the TUN sends to it .. G_in+3 goes to this peer */
	uint32_t remote_addr; /* the gateway's outer endpoint; follows authenticated packets */
	uint16_t remote_port;
	struct esp_sa out;      /* we send with it: SPI = the gateway's inbound SPI */
	struct esp_sa in;       /* we receive with it: SPI = ours */
	struct esp_sa in_prev;  /* the previous generation's, during a rekey's overlap */
	bool has_prev;
	const struct agent_service_port *ports; /* allowed inside the tunnel */
	size_t n_ports;
	bool icmp_echo;
	uint64_t rx_packets; /* decrypted and delivered */
	uint64_t tx_packets; /* encrypted and sent */
	uint64_t drops;      /* this peer's share of the agent's drops */
	bool rekey_asked;    /* rekey_wanted was called for the current outbound SA */
	/* Called (once per outbound SA) when it nears or reaches its sequence number limit. */
	void (*rekey_wanted)(struct esp_peer *p, void *arg);
	void *arg;
	struct esp_peer *next; /* esp_tun's list */
};

struct esp_tun_config {
	const char *tun_name;
	uint32_t tun_mtu;
	uint32_t local_addr;   /* the UDP socket's address (network order) */
	uint16_t esp_port;
	uint32_t shared_addr;  /* S: inner packets must go to it */
	uint32_t nat_keepalive_s;
	uint64_t *drops;       /* AGENT_DROP_MAX counters, owned by the caller, outlive us */
};

struct esp_tun;

/* Opens the TUN and the UDP socket and starts reading. NULL with err set. The TUN is down
 * and has no address: route.c configures it. */
struct esp_tun *esp_tun_create(struct event_base *base, const struct esp_tun_config *cfg,
			       char *err, size_t errlen);
/* Closes both (the TUN device disappears with its addresses and routes). */
void esp_tun_free(struct esp_tun *t);
int esp_tun_ifindex(const struct esp_tun *t);

/* The peer's SAs must be initialised; it stays owned by the caller. */
void esp_tun_add_peer(struct esp_tun *t, struct esp_peer *p);
void esp_tun_remove_peer(struct esp_tun *t, struct esp_peer *p);

/*
 * A gateway's session speaks from G_in (its holder) and G_in + 1 .. + ESP_TUN_JOINERS (engineers
 * who joined it, spgate-dp's SESSION_JOINERS): true when addr is one of those of gw_inner. Both
 * in network order.
 */
#define ESP_TUN_JOINERS SPG_DP_MAX_JOINERS
bool esp_tun_is_gw_inner(uint32_t gw_inner, uint32_t addr);

/* The inner filter alone (exported for the unit tests); *why is set when it refuses. pkt
 * has passed esp_open (a whole IPv4 packet, header length checked). */
bool esp_tun_inner_allowed(const struct esp_peer *p, uint32_t shared_addr, const uint8_t *pkt,
			   size_t len, enum agent_drop *why);

#endif
