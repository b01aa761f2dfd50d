/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SP-side port filter: a session may reach only its allowed service ports on the SP,
 * and the SP may only answer from them; it can never open a connection into the vendor side.
 */
#ifndef SPG_PORT_FILTER_H
#define SPG_PORT_FILTER_H

#include <stdint.h>

#include <rte_ip.h>

#include "dp_api.h"
#include "drops.h"

struct spg_port_filter {
	uint8_t icmp_echo; /* echo request out / echo reply in allowed */
	uint8_t n_ranges;
	struct spg_dp_port_range ranges[SPG_DP_MAX_PORT_RANGES];
};

/* Copies the filter fields out of session parameters. */
void spg_port_filter_init(struct spg_port_filter *f, const struct spg_dp_session_params *p);

/*
 * Vendor -> SP, on a checked packet (l4 points at its L4 header, l4_len bytes available):
 * TCP/UDP to an allowed destination port; ICMP echo request if icmp_echo; ICMP errors whose
 * quoted packet came from an allowed SP port. Anything else: PORT_FILTERED or PROTO_FILTERED.
 */
enum spg_drop spg_port_filter_outbound(const struct spg_port_filter *f, const struct rte_ipv4_hdr *ip,
				       const void *l4, uint32_t l4_len);

/*
 * SP -> vendor, on the decrypted inner packet: TCP/UDP from an allowed source port, where a
 * TCP SYN without ACK is SP_INITIATED; ICMP echo reply if icmp_echo (echo request:
 * SP_INITIATED); ICMP errors quoting a packet to an allowed port. Anything else is dropped.
 */
enum spg_drop spg_port_filter_inbound(const struct spg_port_filter *f, const struct rte_ipv4_hdr *ip,
				      const void *l4, uint32_t l4_len);

#endif
