/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The inbound anti-replay window (RFC 4303 3.4.3, ESN reconstruction as appendix A2.1) and
 * the last checks of a decrypted packet, shared by esp.c's librte_ipsec path and
 * esp_native_in.c: one window, one set of rules, whichever path decrypts. How the window is
 * read without the SA's lock and updated under it is told at the top of esp.c.
 */
#ifndef SPG_ESP_REPLAY_H
#define SPG_ESP_REPLAY_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "drops.h"
#include "esp_int.h"

/* RFC 4303 appendix A2.1, as librte_ipsec does it (ipsec_sqn.h: reconstruct_esn). */
static inline uint64_t esn_reconstruct(uint64_t top, uint32_t seq_lo, uint32_t window)
{
	uint32_t tl = (uint32_t)top, th = (uint32_t)(top >> 32), bottom = tl - window + 1;

	if (tl >= window - 1)
		th += seq_lo < bottom;
	else if (th != 0)
		th -= seq_lo >= bottom;
	return (uint64_t)th << 32 | seq_lo;
}

/* The window's top, as a worker without the SA's lock may read it (see the top of esp.c). */
static inline uint64_t replay_top(const struct spg_sa *s)
{
	return __atomic_load_n(&s->top, __ATOMIC_ACQUIRE);
}

/* Lock-free readers get whole words; the stores are made under the SA's lock. */
static inline bool replay_fresh(const struct spg_sa *s, uint64_t sqn)
{
	uint64_t top = replay_top(s);

	if (sqn == 0)
		return false;
	if (sqn > top)
		return true;
	if (sqn + s->window <= top)
		return false;
	return (__atomic_load_n(&sa_seen(s)[(sqn >> 6) & s->replay_mask], __ATOMIC_RELAXED) &
		UINT64_C(1) << (sqn & 63)) == 0;
}

enum replay_verdict {
	REPLAY_SEEN,   /* not fresh: refused */
	REPLAY_LATE,   /* fresh, below the top: accepted */
	REPLAY_NEWEST, /* fresh and the new top: accepted, newer than every packet before */
};

/* Records sqn as seen, sliding the window when it is the new top. Under the SA's lock. */
static inline enum replay_verdict replay_record(struct spg_sa *s, uint64_t sqn)
{
	uint64_t word = sqn >> 6, top_word = s->top >> 6, i, n, w;
	uint64_t *seen = sa_seen(s);
	enum replay_verdict v = REPLAY_LATE;

	if (!replay_fresh(s, sqn))
		return REPLAY_SEEN;
	if (sqn > s->top) {
		n = RTE_MIN(word - top_word, (uint64_t)s->replay_mask + 1);
		for (i = 1; i <= n; i++)
			__atomic_store_n(&seen[(top_word + i) & s->replay_mask], 0, __ATOMIC_RELAXED);
		/* release: a reader that sees the new top sees the words it cleared */
		__atomic_store_n(&s->top, sqn, __ATOMIC_RELEASE);
		v = REPLAY_NEWEST;
	}
	w = seen[word & s->replay_mask] | UINT64_C(1) << (sqn & 63);
	__atomic_store_n(&seen[word & s->replay_mask], w, __ATOMIC_RELAXED);
	return v;
}

/*
 * With ESN, a packet below the window never fails a window check: RFC 4303 A2.2 (and the
 * library) take it for the next 2^32 subspace, so it reaches the device and fails
 * authentication. When the library took it for a packet ahead of the window although, modulo
 * 2^32, it lies behind the window by less than 2^31 (and such an older sequence number
 * exists), it is a late or replayed packet, not a forgery: REPLAY.
 */
static inline uint8_t inb_auth_failure(const struct spg_sa *s, uint32_t seq_lo)
{
	uint64_t top = replay_top(s);
	uint32_t behind = (uint32_t)top - seq_lo;

	if (esn_reconstruct(top, seq_lo, s->lib_window) > top && behind >= s->lib_window &&
	    behind < UINT32_C(1) << 31 && top > behind)
		return SPG_DROP_REPLAY;
	return SPG_DROP_BAD_ICV;
}

/* The packet now starts at the inner header; it must at least look like IPv4. */
static inline bool inb_inner_ok(struct rte_mbuf *m)
{
	const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);
	uint32_t hlen;

	if (rte_pktmbuf_data_len(m) < sizeof(*ip) || (ip->version_ihl >> 4) != IPVERSION)
		return false;
	hlen = rte_ipv4_hdr_len(ip);
	if (hlen < sizeof(*ip) || hlen > rte_pktmbuf_data_len(m))
		return false;
	m->l2_len = 0;
	m->l3_len = hlen;
	return true;
}

#endif
