/* SPDX-License-Identifier: BSD-3-Clause */
/* ICMP errors the gateway itself originates. */
#ifndef SPG_ICMP_H
#define SPG_ICMP_H

#include <stdint.h>

#include <rte_mbuf.h>

/*
 * Turns m, whose data starts at an IPv4 header (l2 already removed), into an ICMP error
 * from src_addr back to the packet's source, quoting its IP header and the first 8 bytes of
 * its payload (RFC 792), in place: type/code as given, next_hop_mtu for "fragmentation
 * needed" (type 3 code 4, RFC 1191), 0 otherwise. The result starts at its IPv4 header,
 * with TTL 64 and both checksums set. Returns 0, or -EINVAL if m is not a packet one may
 * answer (an ICMP error itself, a broadcast) — the caller drops it then.
 */
int spg_icmp_error_in_place(struct rte_mbuf *m, uint8_t type, uint8_t code, uint16_t next_hop_mtu,
			    uint32_t src_addr);

#endif
