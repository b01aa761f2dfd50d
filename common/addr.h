/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 address, prefix and endpoint parsing and printing. Addresses are in network order. */
#ifndef SPG_ADDR_H
#define SPG_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define SPG_ADDR_STRLEN 16     /* "255.255.255.255" + NUL */
#define SPG_ENDPOINT_STRLEN 22 /* "255.255.255.255:65535" + NUL */

/* Dotted quad only ("10.0.0.300", "1.2.3", " 1.2.3.4" are refused). */
bool spg_addr_parse(const char *s, uint32_t *addr);
/* "a.b.c.d/len", len 0..32; host bits must be zero when strict_network is true. */
bool spg_prefix_parse(const char *s, uint32_t *addr, uint8_t *len, bool strict_network);
/* "a.b.c.d:port" or "a.b.c.d" (then *port = default_port); port 1..65535, host order. */
bool spg_endpoint_parse(const char *s, uint32_t *addr, uint16_t *port, uint16_t default_port);
/* Netmask for a prefix length, network order. */
uint32_t spg_prefix_mask(uint8_t len);
/* Formats addr into buf (SPG_ADDR_STRLEN) and returns buf. */
const char *spg_addr_str(uint32_t addr, char *buf);

#endif
