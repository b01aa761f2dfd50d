/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Why a packet was dropped: one list, from which the enum and the names shown by spgatectl
 * and telemetry are generated. Add a reason here and everything else follows.
 */
#ifndef SPG_DROPS_H
#define SPG_DROPS_H

#define SPG_DROP_REASONS(X)                                                          \
	X(MALFORMED_L2, "malformed_l2")       /* shorter than an Ethernet header */   \
	X(NOT_IPV4, "not_ipv4")               /* neither IPv4 nor ARP */              \
	X(MALFORMED_IP, "malformed_ip")       /* truncated, bad IHL or total length */ \
	X(IP_CHECKSUM, "ip_checksum")         /* IPv4 header checksum wrong */        \
	X(IP_OPTIONS, "ip_options")           /* options are not forwarded */         \
	X(FRAGMENT, "fragment")               /* fragments are not reassembled */     \
	X(MALFORMED_L4, "malformed_l4")       /* truncated TCP/UDP/ICMP header */     \
	X(TTL_EXCEEDED, "ttl_exceeded")                                               \
	X(NOT_FOR_US, "not_for_us")           /* destination is none of ours */       \
	X(NO_SESSION, "no_session")           /* no session owns this V_i */          \
	X(WRONG_SOURCE, "wrong_source")       /* V_i used by another workstation */   \
	X(PROTO_FILTERED, "proto_filtered")   /* protocol not allowed in a session */ \
	X(PORT_FILTERED, "port_filtered")     /* port not allowed in this session */  \
	X(SP_INITIATED, "sp_initiated")       /* SP tried to open a connection */     \
	X(OVER_RATE, "over_rate")             /* above the session's line rate */     \
	X(NOT_ESP, "not_esp")                 /* to the SP port, but not ESP-in-UDP */ \
	X(NAT_KEEPALIVE, "nat_keepalive")     /* RFC 3948 keepalive: expected, ignored */ \
	X(MALFORMED_ESP, "malformed_esp")     /* too short, bad padding or trailer */ \
	X(NO_SA, "no_sa")                     /* unknown SPI */                       \
	X(REPLAY, "replay")                   /* sequence number seen or too old */   \
	X(BAD_ICV, "bad_icv")                 /* authentication failed */            \
	X(SPOOFED_INNER, "spoofed_inner")     /* inner packet is not S -> G_in */     \
	X(CRYPTO_ERROR, "crypto_error")       /* crypto device refused or failed */   \
	X(FRAG_NEEDED, "frag_needed")         /* too big with DF: ICMP sent back */   \
	X(TOO_BIG, "too_big")                 /* too big without DF: not fragmented */ \
	X(NO_NEIGHBOR, "no_neighbor")         /* next hop MAC not resolved yet */     \
	X(NO_MBUF, "no_mbuf")                 /* mbuf pool exhausted */               \
	X(SLOW_PATH_FULL, "slow_path_full")   /* control thread backlog full */       \
	X(TX_FULL, "tx_full")                 /* TX queue did not take the packet */ \
	X(UNKNOWN_JOINER, "unknown_joiner")   /* S -> G_in + j, joiner slot j empty */

enum spg_drop {
	SPG_OK = 0,
#define SPG_DROP_ENUM(e, name) SPG_DROP_##e,
	SPG_DROP_REASONS(SPG_DROP_ENUM)
#undef SPG_DROP_ENUM
	SPG_DROP_MAX
};

/* "ok" for SPG_OK, the reason's name otherwise, "unknown" when out of range. */
const char *spg_drop_name(unsigned int reason);

#endif
