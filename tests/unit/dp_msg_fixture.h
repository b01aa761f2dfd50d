/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the tests of the dataplane control protocol (test_dp_msg: the checks of messages
 * and session parameters; test_dp_ctl: the control socket's handler): a message buffer, a
 * message builder and a valid set of session parameters.
 */
#ifndef SPG_DP_MSG_FIXTURE_H
#define SPG_DP_MSG_FIXTURE_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dp_api.h"

#define HDR sizeof(struct spg_dp_hdr)

static uint8_t msg[SPG_DP_MSG_MAX + 64];

/* Writes a message into msg: header fields as given, body zeroed. Returns its length. */
static inline size_t build(uint16_t version, uint16_t type, size_t body_len, int32_t error)
{
	struct spg_dp_hdr h = {
		.version = version,
		.type = type,
		.len = (uint32_t)(HDR + body_len),
		.seq = 7,
		.error = error,
	};

	memset(msg, 0, HDR + body_len);
	memcpy(msg, &h, sizeof(h));
	return HDR + body_len;
}

/* Overwrites the header's length field of the message in msg. */
static inline void set_len_field(uint32_t len)
{
	memcpy(msg + offsetof(struct spg_dp_hdr, len), &len, sizeof(len));
}

/* Parameters that pass every check: session id, at 198.18.0.id, peer 203.0.113.id. */
/* A 16-byte key no other call gave: spgate-dp refuses a key it has seen (GCM nonce reuse). */
static inline void fixture_fresh_key(uint8_t *key)
{
	static uint32_t serial;

	serial++;
	memset(key, 0x5a, 16);
	memcpy(key, &serial, sizeof(serial));
}

/* Session id's parameters, with keys of their own on every call. */
static inline struct spg_dp_session_params params(uint64_t id)
{
	struct spg_dp_session_params p;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.virtual_addr = htonl(0xc6120000u + (uint32_t)id);  /* 198.18.0.id */
	p.workstation_addr = htonl(0xc000020au);             /* 192.0.2.10 */
	p.peer_addr = htonl(0xcb007100u + (uint32_t)id);      /* 203.0.113.id */
	p.peer_port = 4500;
	p.icmp_echo = 1;
	p.n_port_ranges = 2;
	p.ports[0] = (struct spg_dp_port_range){.proto = IPPROTO_TCP, .lo = 22, .hi = 22};
	p.ports[1] = (struct spg_dp_port_range){.proto = IPPROTO_UDP, .lo = 161, .hi = 162};
	p.rate_out.bytes_per_sec = 4200;
	p.rate_in.bytes_per_sec = 4200;
	p.sa_out.spi = htonl(0x1000u + (uint32_t)id);
	p.sa_in.spi = htonl(0x2000u + (uint32_t)id);
	p.sa_out.key_len = p.sa_in.key_len = 16;
	fixture_fresh_key(p.sa_out.key);
	fixture_fresh_key(p.sa_in.key);
	return p;
}

#endif
