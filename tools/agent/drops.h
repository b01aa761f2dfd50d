/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Why spgate-agent's tunnel dropped a packet: one list, for the counters, the status output
 * and the log. The eBPF guard's reasons are in bpf/guard_common.h.
 */
#ifndef AGENT_DROPS_H
#define AGENT_DROPS_H

#define AGENT_DROPS(X)                                                                     \
	X(MALFORMED, "malformed")           /* too short, unaligned, not ESP */              \
	X(UNKNOWN_SPI, "unknown_spi")       /* no inbound SA has this SPI */                 \
	X(REPLAY, "replay")                 /* seen before, or behind the window */          \
	X(BAD_ICV, "bad_icv")               /* authentication failed */                      \
	X(BAD_TRAILER, "bad_trailer")       /* padding or next header not as RFC 4303 says */ \
	X(NOT_IPV4, "not_ipv4")             /* the inner packet is no IPv4 packet */          \
	X(INNER_SRC, "inner_src")           /* decrypted, not from G_in .. G_in+3 */          \
	X(INNER_DST, "inner_dst")           /* decrypted, but not to S */                     \
	X(INNER_PORT, "inner_port")         /* TCP/UDP to a port the session may not reach */ \
	X(INNER_PROTO, "inner_proto")       /* a protocol (or ICMP type) not allowed */       \
	X(NO_SESSION, "no_session")         /* from the TUN, to no session's G_in */          \
	X(SEQ_EXHAUSTED, "seq_exhausted")   /* outbound SA used up: rekey needed */           \
	X(TOO_BIG, "too_big")               /* larger than the tunnel can carry */            \
	X(IO_ERROR, "io_error")             /* write to the TUN or send on the socket failed */

enum agent_drop {
#define AGENT_DROP_ENUM(name, text) AGENT_DROP_##name,
	AGENT_DROPS(AGENT_DROP_ENUM)
#undef AGENT_DROP_ENUM
	AGENT_DROP_MAX
};

static inline const char *agent_drop_name(enum agent_drop d)
{
	static const char *const names[] = {
#define AGENT_DROP_NAME(name, text) text,
		AGENT_DROPS(AGENT_DROP_NAME)
#undef AGENT_DROP_NAME
	};

	return (unsigned int)d < AGENT_DROP_MAX ? names[d] : "unknown";
}

#endif
