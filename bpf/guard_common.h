/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by bpf/sp_guard.bpf.c and spgate-agent's loader (tools/agent/guard.c): the guard's
 * verdict reasons (one per-CPU counter each) and the gateway map's flags.
 */
#ifndef SPG_GUARD_COMMON_H
#define SPG_GUARD_COMMON_H

/* What each counter counts; names as the status output shows them. */
#define GUARD_REASONS(X)                                                                  \
	X(PASS_NOT_IPV4, "pass_not_ipv4")         /* ARP, IPv6, ...: not the guard's */    \
	X(PASS_NOT_OURS, "pass_not_ours")         /* IPv4 to another address */            \
	X(PASS_ESP, "pass_esp")                   /* ESP in UDP from a session's gateway */ \
	X(PASS_CONTROL, "pass_control")           /* TCP to the TLS port from a gateway */  \
	X(PASS_GATEWAY_OTHER, "pass_gateway_other") /* ICMP or a later fragment from one */ \
	X(DROP_ESP_STRANGER, "drop_esp_stranger") /* ESP port, not from a gateway */        \
	X(DROP_CONTROL_STRANGER, "drop_control_stranger") /* TLS port, not from a gateway */ \
	X(DROP_TCP, "drop_tcp")                   /* any other TCP (service ports in clear) */ \
	X(DROP_UDP, "drop_udp")                                                            \
	X(DROP_ICMP, "drop_icmp")                                                          \
	X(DROP_FRAGMENT, "drop_fragment")         /* a later fragment from a stranger */    \
	X(DROP_OTHER, "drop_other")               /* other IP protocols */                  \
	X(DROP_MALFORMED, "drop_malformed")       /* truncated headers */

enum guard_reason {
#define GUARD_REASON_ENUM(name, text) GUARD_##name,
	GUARD_REASONS(GUARD_REASON_ENUM)
#undef GUARD_REASON_ENUM
	GUARD_REASON_MAX
};

/* Value flags of the gateways map (key: IPv4 address, network order). */
#define GUARD_GW_ESP 1u     /* may send ESP in UDP to the ESP port */
#define GUARD_GW_CONTROL 2u /* may connect to the agent's TLS port */

#define GUARD_MAX_GATEWAYS 64

#endif
