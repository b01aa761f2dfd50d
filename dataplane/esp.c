/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP tunnel mode in UDP (RFC 4303, 3948) with AES-GCM (RFC 4106), through librte_ipsec over an
 * rte_cryptodev. When the device has RTE_CRYPTODEV_FF_SYM_CPU_CRYPTO (crypto_aesni_mb does),
 * SAs are RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO: rte_ipsec_pkt_cpu_prepare() builds the headers
 * and runs rte_cryptodev_sym_cpu_crypto_process() on the group in the same call, marking the
 * packets the device failed with RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED; no crypto op, no queue
 * pair, no enqueue/dequeue. Otherwise (or with cfg->lookaside) they are lookaside
 * (RTE_SECURITY_ACTION_TYPE_NONE) through the device's queue pairs. Both paths share the
 * grouping, our replay window and the drop reasons below.
 *
 * What librte_ipsec 22.11 does for NAT-T, and what this file does about it:
 * - Outbound (options.udp_encap = 1): the library appends a UDP header to our outer IPv4
 *   template (ports from ipsec_xform.udp), fills the UDP length, the outer total length and
 *   the packet id (low 16 bits of the sequence number). It computes no outer IPv4 checksum
 *   and sets l3_len to the IPv4 header alone. spg_esp_outer_finish() writes the destination,
 *   both lengths, a zero UDP checksum and the IPv4 checksum.
 * - Inbound: the library knows nothing of NAT-T. It finds the ESP header at l2_len + l3_len,
 *   so we add the UDP header to l3_len. Inbound SAs must NOT set options.udp_encap: in 22.11
 *   esp_sa_init() has no case for an inbound NAT-T tunnel SA and silently leaves it
 *   uninitialised (no next-header check, zero cipher offsets).
 *
 * The anti-replay window is ours, not the library's. In 22.11 esn_inb_update_sqn() keeps the
 * bit to set in a uint32_t, so sequence numbers whose position in their 64-bit word is 32..63
 * are never recorded: their replays pass. And for windows such as 128 or 256 its bitmap has
 * too few words, so words alias. We keep an RFC 6479 bitmap per inbound SA (a word more than
 * the window spans), check it before crypto and update it after decryption; the library's
 * window stays (it cannot be turned off with ESN), sized so that its words never alias
 * (lib_window_size), and can then only refuse what ours refuses too. ESN reconstruction
 * (RFC 4303 A2.1) uses the library's window size on both sides, so that the sequence number
 * we record is the one the ICV authenticated.
 *
 * Drop reasons. The library says per burst only "these k succeeded, the rest are behind
 * them, in order" (rte_errno holds the last error of the batch), so we recover which packet
 * failed where by matching mbuf pointers (follow_refusal) and classify each failure:
 * - refused by our window before crypto (seen, too old, zero): REPLAY.
 * - refused by prepare: inbound, a length not fitting AES-GCM is MALFORMED_ESP, no tailroom
 *   for the library's scratch (ESN high half + AAD, 20 bytes) is CRYPTO_ERROR, anything else
 *   is the library's window: REPLAY. Outbound, no headroom/tailroom is NO_MBUF, anything else
 *   is sequence-number exhaustion: CRYPTO_ERROR.
 * - not enqueued, or not back from the device in time: CRYPTO_ERROR.
 * - crypto op status AUTH_FAILED: BAD_ICV, except a stale packet (see inb_auth_failure);
 *   other statuses: CRYPTO_ERROR. CPU crypto reports only "failed" (the library keeps the
 *   device's status to itself): inbound that is an authentication failure (BAD_ICV or stale,
 *   as above; a GCM decryption has no other way to fail on a packet prepare accepted),
 *   outbound CRYPTO_ERROR. These never reach rte_ipsec_pkt_process() nor our window, so a
 *   forged packet cannot move it.
 * - refused by process: the library first checks the trailer (padding, pad length, next
 *   header == IPv4) and only strips packets that pass, which resets l2_len/l3_len to 0; then
 *   it updates its window. So a refused packet whose l3_len still covers the outer headers is
 *   MALFORMED_ESP, one with l3_len == 0 is REPLAY.
 * - refused by our window after decryption (a duplicate that raced, e.g. twice in one
 *   burst, or a number a later packet of the burst pushed out of the window): REPLAY.
 * - decrypted, but the inner packet is not IPv4: MALFORMED_ESP.
 *
 * Threads: outbound SAs use RTE_IPSEC_SAFLAG_SQN_ATOM, so several workers may send on one.
 * Inbound SAs may be used by several workers at once too: RSS hashes the outer UDP ports, so
 * copies of one packet sent from two source ports land on two queues. RFC 4303 3.4.3's check
 * before the ICV (ours in burst_admit_group, the library's in prepare) reads the windows
 * without our lock: it only spares the device work, and may let a duplicate through. The
 * update after the ICV verified is the one that counts: rte_ipsec_pkt_process() (the
 * library's window, which SQN_ATOM lets prepare read meanwhile but whose process() callers
 * must serialise) and replay_record() (ours, checking again) run under the SA's spinlock, so
 * exactly one worker accepts a sequence number. The lock is taken once per SA group of a
 * burst, after the crypto. Under it we also learn whether a packet is the newest so far:
 * only such a packet may move the session to a new endpoint (roaming, inbound.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_crypto.h>
#include <rte_cryptodev.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_esp.h>
#include <rte_ip.h>
#include <rte_ipsec.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_spinlock.h>
#include <rte_udp.h>

#include "esp.h"
#include "esp_int.h"
#include "esp_replay.h"

struct esp_group {
	struct spg_sa *sa;
	uint16_t start;
	uint16_t cnt;
	uint16_t fill;
};

/*
 * Orders the burst by SA, keeping the order within each SA: order[] lists the packets'
 * indexes group after group. Returns the number of groups. With many sessions most packets
 * are a group of their own, so groups are found through a small open-addressed table, not by
 * comparing every packet with every group.
 */
#define GROUP_SLOTS (2 * ESP_BURST_MAX) /* a power of 2, at most half full */
static uint16_t group_by_sa(struct spg_sa *const sa[], uint16_t n, uint16_t order[],
			    struct esp_group g[])
{
	uint8_t gid[ESP_BURST_MAX], slot[GROUP_SLOTS];
	uint16_t i, j, ng = 0, start = 0;

	RTE_BUILD_BUG_ON(GROUP_SLOTS != 1 << 7); /* the hash below keeps 7 bits */
	memset(slot, 0xff, sizeof(slot));
	for (i = 0; i < n; i++) {
		if (i > 0 && sa[i] == sa[i - 1]) {
			j = gid[i - 1];
		} else {
			/* SAs are cache-line aligned: the bits above the line pick the slot */
			uint32_t h = (uint32_t)(((uintptr_t)sa[i] >> 6) * UINT64_C(0x9e3779b97f4a7c15) >> 57);

			while (slot[h] != 0xff && g[slot[h]].sa != sa[i])
				h = (h + 1) & (GROUP_SLOTS - 1);
			if (slot[h] == 0xff) {
				slot[h] = (uint8_t)ng;
				g[ng].sa = sa[i];
				g[ng].cnt = 0;
				ng++;
			}
			j = slot[h];
		}
		gid[i] = (uint8_t)j;
		g[j].cnt++;
	}
	for (j = 0; j < ng; j++) {
		g[j].start = start;
		g[j].fill = start;
		start += g[j].cnt;
	}
	for (i = 0; i < n; i++)
		order[g[gid[i]].fill++] = i;
	return ng;
}

/*
 * A librte_ipsec call accepted n_ok of the n packets passed in after[] and moved the others
 * behind them, both in their original order. Reorders idx[] (the packets' burst indexes, as
 * passed) the same way, by matching each packet's mbuf against the accepted ones.
 */
static void follow_refusal(struct rte_mbuf *const by_index[], struct rte_mbuf *const after[],
			   uint16_t idx[], uint16_t n, uint16_t n_ok)
{
	uint16_t tmp[ESP_BURST_MAX];
	uint16_t i, good = 0, bad = n_ok;

	for (i = 0; i < n; i++) {
		if (good < n_ok && after[good] == by_index[idx[i]])
			tmp[good++] = idx[i];
		else
			tmp[bad++] = idx[i];
	}
	memcpy(idx, tmp, n * sizeof(tmp[0]));
}

static uint8_t outb_prepare_failure(struct rte_mbuf *m)
{
	uint32_t plen = rte_pktmbuf_pkt_len(m);
	uint32_t tail = RTE_ALIGN_CEIL(plen + ESP_TRAILER_MIN, ESP_PAD_ALIGN) - plen +
			ESP_ICV_LEN + ESP_LIB_SCRATCH;

	if (rte_pktmbuf_headroom(m) < SPG_ESP_HDR_OVERHEAD ||
	    rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m)) < tail)
		return SPG_DROP_NO_MBUF;
	return SPG_DROP_CRYPTO_ERROR; /* sequence numbers exhausted */
}

static uint8_t inb_prepare_failure(struct rte_mbuf *m)
{
	int64_t clen = (int64_t)rte_pktmbuf_pkt_len(m) - m->l2_len - m->l3_len -
		       (int64_t)(sizeof(struct rte_esp_hdr) + ESP_IV_LEN + ESP_ICV_LEN);

	if (clen < 0 || (clen & (ESP_PAD_ALIGN - 1)) != 0)
		return SPG_DROP_MALFORMED_ESP;
	if (rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m)) < ESP_LIB_SCRATCH)
		return SPG_DROP_CRYPTO_ERROR;
	return SPG_DROP_REPLAY;
}

/* One burst's working state, shared by the steps of esp_burst(). Packets are named by their
 * index x into in_mb[]; why[x] is SPG_OK only for those that made it through. */
struct esp_burst {
	struct rte_mbuf *in_mb[ESP_BURST_MAX], *work[ESP_BURST_MAX], *done[ESP_BURST_MAX];
	struct rte_crypto_op *ops[ESP_BURST_MAX], *deq[ESP_BURST_MAX];
	void *in_ctx[ESP_BURST_MAX];
	uint64_t sqn[ESP_BURST_MAX]; /* inbound: as reconstructed, and authenticated */
	uint16_t widx[ESP_BURST_MAX], ok[ESP_BURST_MAX];
	uint8_t why[ESP_BURST_MAX];
	bool newest[ESP_BURST_MAX]; /* inbound: accepted as the SA's new top */
	uint16_t n_in, n_op, n_enq, n_deq, n_ok;
	bool outbound;
};

/* Takes group g's packets that may go to the device into b->work (inbound: those the replay
 * window lets through) and returns how many. */
static uint16_t burst_admit_group(struct esp_burst *b, const struct esp_group *g, const uint16_t order[],
				  struct rte_mbuf **gm, uint16_t *gidx)
{
	uint16_t n_grp = 0;

	for (uint16_t j = 0; j < g->cnt; j++) {
		uint16_t x = order[g->start + j];
		struct rte_mbuf *m = b->in_mb[x];

		m->ol_flags &= ~(RTE_MBUF_F_RX_SEC_OFFLOAD | RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED);
		if (b->outbound) {
			m->l2_len = 0;
		} else {
			const struct rte_esp_hdr *eh;

			m->l3_len += sizeof(struct rte_udp_hdr);
			eh = rte_pktmbuf_mtod_offset(m, const struct rte_esp_hdr *, m->l2_len + m->l3_len);
			b->sqn[x] = esn_reconstruct(replay_top(g->sa), rte_be_to_cpu_32(eh->seq), g->sa->lib_window);
			if (!replay_fresh(g->sa, b->sqn[x])) {
				b->why[x] = SPG_DROP_REPLAY;
				continue;
			}
		}
		gm[n_grp] = m;
		gidx[n_grp++] = x;
	}
	return n_grp;
}

/* Each group's SA is read only when its turn comes: ask for its lines now (our line, the
 * session line, the rte_ipsec_sa's first ones), for every group. */
static void prefetch_groups(const struct esp_group g[], uint16_t ng)
{
	for (uint16_t i = 0; i < ng; i++)
		for (unsigned int l = 0; g[i].sa != NULL && l < SPG_ESP_SA_HOT_LINES; l++)
			rte_prefetch0(RTE_PTR_ADD(g[i].sa, l * RTE_CACHE_LINE_SIZE));
}

/* The crypto session's lines hang off the SA's session line: asked for CRYPTO_AHEAD groups
 * ahead, once that line had time to come. */
#define CRYPTO_AHEAD 2
static void prefetch_crypto_session(const struct esp_group g[], uint16_t ng, uint16_t i)
{
	if (i < ng && g[i].sa != NULL)
		spg_esp_sa_prefetch_crypto(NULL, g[i].sa, 0); /* never a native SA here */
}

/* The packets prepare refused (from k on, after follow_refusal), and why. */
static void refused_by_prepare(struct esp_burst *b, const uint16_t idx[], uint16_t k, uint16_t n)
{
	for (uint16_t j = k; j < n; j++)
		b->why[idx[j]] = b->outbound ? outb_prepare_failure(b->in_mb[idx[j]])
					     : inb_prepare_failure(b->in_mb[idx[j]]);
}

/* Lookaside: groups the burst by SA and has librte_ipsec prepare a crypto op for each packet. */
static void burst_prepare(struct esp_burst *b, struct spg_sa *sa[])
{
	struct esp_group g[ESP_BURST_MAX];
	uint16_t order[ESP_BURST_MAX];
	uint16_t ng = group_by_sa(sa, b->n_in, order, g);

	prefetch_groups(g, ng);
	for (uint16_t i = 0; i < CRYPTO_AHEAD; i++)
		prefetch_crypto_session(g, ng, i);
	for (uint16_t i = 0; i < ng; i++) {
		struct rte_mbuf **gm = &b->work[g[i].start];
		uint16_t *gidx = &b->widx[g[i].start];
		uint16_t n_grp, k;

		prefetch_crypto_session(g, ng, i + CRYPTO_AHEAD);
		/* a caller's slip, not the packets' fault: CRYPTO_ERROR rather than a crash */
		if (g[i].sa == NULL || g[i].sa->outbound != b->outbound)
			continue;
		n_grp = burst_admit_group(b, &g[i], order, gm, gidx);
		if (n_grp == 0)
			continue;
		k = rte_ipsec_pkt_crypto_prepare(&g[i].sa->ss, gm, &b->ops[b->n_op], n_grp);
		if (k != n_grp) {
			follow_refusal(b->in_mb, gm, gidx, n_grp, k);
			refused_by_prepare(b, gidx, k, n_grp);
		}
		for (uint16_t j = 0; j < k; j++)
			*op_tag(b->ops[b->n_op + j]) = gidx[j];
		b->n_op += k;
	}
}

/* Enqueues the prepared ops and collects them back. */
static void burst_crypto(struct spg_esp *esp, uint16_t qp, struct esp_burst *b)
{
	uint32_t spins = 0;

	if (b->n_op != 0)
		b->n_enq = rte_cryptodev_enqueue_burst(esp->dev_id, qp, b->ops, b->n_op);
	/* The software PMDs finish within the first dequeue. A device that does not return an
	 * op within the bound keeps it (and its mbuf): never seen with the software PMDs. */
	while (b->n_deq < b->n_enq && spins < ESP_DEQUEUE_SPINS) {
		uint16_t got = rte_cryptodev_dequeue_burst(esp->dev_id, qp, &b->deq[b->n_deq], b->n_enq - b->n_deq);

		b->n_deq += got;
		spins += got == 0;
	}
}

/*
 * Has librte_ipsec finish n packets of SA s that the device processed successfully (mb[j]
 * is packet idx[j]), then the last checks: inbound, the replay window and the inner header.
 * Inbound, both windows are updated under the SA's lock (see the top of the file).
 */
static void burst_finish(struct esp_burst *b, struct spg_sa *s, struct rte_mbuf *mb[], uint16_t idx[], uint16_t n)
{
	uint16_t k;

	if (!b->outbound)
		rte_spinlock_lock(&s->lock);
	k = rte_ipsec_pkt_process(&s->ss, mb, n);
	if (k != n) {
		follow_refusal(b->in_mb, mb, idx, n, k);
		for (uint16_t j = k; j < n; j++) {
			uint16_t x = idx[j];

			if (!b->outbound)
				b->why[x] = b->in_mb[x]->l3_len == 0 ? SPG_DROP_REPLAY : SPG_DROP_MALFORMED_ESP;
		}
	}
	for (uint16_t j = 0; j < k; j++) {
		uint16_t x = idx[j];

		if (b->outbound) {
			b->in_mb[x]->ol_flags &= ~RTE_MBUF_F_RX_SEC_OFFLOAD;
		} else {
			enum replay_verdict v = replay_record(s, b->sqn[x]);

			if (v == REPLAY_SEEN) {
				b->why[x] = SPG_DROP_REPLAY;
				continue;
			}
			b->newest[x] = v == REPLAY_NEWEST;
			if (!inb_inner_ok(b->in_mb[x])) {
				b->why[x] = SPG_DROP_MALFORMED_ESP;
				continue;
			}
		}
		b->why[x] = SPG_OK;
		b->ok[b->n_ok++] = x;
	}
	if (!b->outbound)
		rte_spinlock_unlock(&s->lock);
}

/* Lookaside: regroups what came back by SA and has librte_ipsec finish each group. */
static void burst_process(struct esp_burst *b)
{
	struct rte_ipsec_group grp[ESP_BURST_MAX];
	uint16_t ng;

	/* (its VLAs must not be empty) */
	ng = b->n_deq == 0 ? 0
			   : rte_ipsec_pkt_crypto_group((const struct rte_crypto_op **)(uintptr_t)b->deq,
							b->done, grp, b->n_deq);
	for (uint16_t i = 0; i < ng; i++) {
		const struct rte_ipsec_session *ss = grp[i].id.ptr;
		struct spg_sa *s = sa_of_session(ss);
		uint16_t first = (uint16_t)(grp[i].m - b->done), n_good = 0;

		for (uint16_t j = 0; j < grp[i].cnt; j++) {
			struct rte_crypto_op *op = b->deq[first + j];
			uint16_t x = *op_tag(op);

			if (op->status == RTE_CRYPTO_OP_STATUS_SUCCESS) {
				b->work[n_good] = b->done[first + j];
				b->widx[n_good++] = x;
			} else if (!b->outbound && op->status == RTE_CRYPTO_OP_STATUS_AUTH_FAILED) {
				b->why[x] = inb_auth_failure(s, (uint32_t)b->sqn[x]);
			}
		}
		if (n_good != 0)
			burst_finish(b, s, b->work, b->widx, n_good);
	}
}

/*
 * CPU crypto: group after group, prepare and crypto in one library call, then finish. The
 * device's failures are flagged in the mbufs and go no further (see the top of the file).
 */
static void burst_cpu(struct esp_burst *b, struct spg_sa *sa[])
{
	struct esp_group g[ESP_BURST_MAX];
	uint16_t order[ESP_BURST_MAX];
	uint16_t ng = group_by_sa(sa, b->n_in, order, g);

	prefetch_groups(g, ng);
	for (uint16_t i = 0; i < CRYPTO_AHEAD; i++)
		prefetch_crypto_session(g, ng, i);
	for (uint16_t i = 0; i < ng; i++) {
		struct spg_sa *s = g[i].sa;
		struct rte_mbuf **gm = &b->work[g[i].start];
		uint16_t *gidx = &b->widx[g[i].start];
		uint16_t n_grp, k, n_good = 0;

		prefetch_crypto_session(g, ng, i + CRYPTO_AHEAD);
		if (s == NULL || s->outbound != b->outbound)
			continue;
		n_grp = burst_admit_group(b, &g[i], order, gm, gidx);
		if (n_grp == 0)
			continue;
		k = rte_ipsec_pkt_cpu_prepare(&s->ss, gm, n_grp);
		if (k != n_grp) {
			follow_refusal(b->in_mb, gm, gidx, n_grp, k);
			refused_by_prepare(b, gidx, k, n_grp);
		}
		for (uint16_t j = 0; j < k; j++) {
			uint16_t x = gidx[j];

			if (unlikely(gm[j]->ol_flags & RTE_MBUF_F_RX_SEC_OFFLOAD_FAILED)) {
				b->why[x] = b->outbound ? SPG_DROP_CRYPTO_ERROR : inb_auth_failure(s, (uint32_t)b->sqn[x]);
				continue;
			}
			gm[n_good] = gm[j];
			gidx[n_good++] = x;
		}
		if (n_good != 0)
			burst_finish(b, s, gm, gidx, n_good);
	}
}

/* Successes first, then failures with their reasons, as the contract says. */
static uint16_t burst_report(const struct esp_burst *b, struct rte_mbuf *mb[], void *ctx[], uint16_t n,
			     uint8_t reason[], bool newest[])
{
	uint16_t pos;

	for (pos = 0; pos < b->n_ok; pos++) {
		mb[pos] = b->in_mb[b->ok[pos]];
		ctx[pos] = b->in_ctx[b->ok[pos]];
		reason[pos] = SPG_OK;
		if (newest != NULL)
			newest[pos] = b->newest[b->ok[pos]];
	}
	for (uint16_t i = 0; i < b->n_in; i++) {
		if (b->why[i] == SPG_OK)
			continue;
		mb[pos] = b->in_mb[i];
		ctx[pos] = b->in_ctx[i];
		reason[pos++] = b->why[i];
	}
	/* more than the contract allows: refused untouched, where they are */
	for (uint16_t i = b->n_in; i < n; i++)
		reason[i] = SPG_DROP_CRYPTO_ERROR;
	return b->n_ok;
}

static uint16_t esp_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
			  struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[],
			  bool newest[], bool outbound)
{
	struct esp_burst b;

	if (outbound && esp->native_out)
		return esp_native_outbound(esp, mb, sa, ctx, n, reason);
	if (!outbound && esp->native_in)
		return esp_native_inbound(esp, mb, sa, ctx, n, reason, newest);
	b.outbound = outbound;
	b.n_op = b.n_enq = b.n_deq = b.n_ok = 0;
	b.n_in = RTE_MIN(n, (uint16_t)ESP_BURST_MAX);
	for (uint16_t i = 0; i < b.n_in; i++) {
		b.in_mb[i] = mb[i];
		b.in_ctx[i] = ctx[i];
		/* every path that does not end in success names its reason */
		b.why[i] = SPG_DROP_CRYPTO_ERROR;
		b.newest[i] = false;
	}
	if (b.n_in != 0 && esp->cpu_crypto) {
		burst_cpu(&b, sa);
	} else if (b.n_in != 0 &&
		   rte_crypto_op_bulk_alloc(esp->op_pool, RTE_CRYPTO_OP_TYPE_SYMMETRIC, b.ops, b.n_in) != 0) {
		burst_prepare(&b, sa);
		burst_crypto(esp, qp, &b);
		burst_process(&b);
		/* back to the pool: what came back, and what never went to the device */
		rte_mempool_put_bulk(esp->op_pool, (void **)b.deq, b.n_deq);
		rte_mempool_put_bulk(esp->op_pool, (void **)&b.ops[b.n_enq], b.n_in - b.n_enq);
	}
	return burst_report(&b, mb, ctx, n, reason, newest);
}

uint16_t spg_esp_outbound_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
				struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[])
{
	return esp_burst(esp, qp, mb, sa, ctx, n, reason, NULL, true);
}

uint16_t spg_esp_inbound_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
			       struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[], bool newest[])
{
	return esp_burst(esp, qp, mb, sa, ctx, n, reason, newest, false);
}
