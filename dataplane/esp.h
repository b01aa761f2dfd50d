/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP tunnel mode with UDP encapsulation (RFC 4303, 3948), AES-GCM (RFC 4106), through
 * librte_ipsec over rte_cryptodev: synchronous CPU crypto when the device offers it
 * (crypto_aesni_mb does), else its queue pairs (lookaside). Outbound on crypto_aesni_mb with
 * CPU crypto skips librte_ipsec: esp_native.c frames and encrypts in place; inbound likewise,
 * esp_native_in.c decrypts in place. Anti-replay window with ESN on inbound SAs (esp_replay.h,
 * the same on every path). Any SA is safe to use from several workers at once: outbound ones have atomic
 * sequence numbers, inbound ones update their windows under a per-SA lock, so a packet that
 * reaches two workers is accepted by one (esp.c says how).
 *
 * Buffers: outbound packets need 44 bytes of headroom and up to 41 of tailroom (else NO_MBUF),
 * inbound ones 20 bytes of tailroom. Failed mbufs are in an unspecified state: free them.
 */
#ifndef SPG_ESP_H
#define SPG_ESP_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "dp_api.h"
#include "drops.h"

/* Outer IPv4 + UDP + ESP header + IV, and the most trailer (pad to 4, pad length, next
 * header, ICV) an AES-GCM packet carries. */
#define SPG_ESP_HDR_OVERHEAD (20 + 8 + 8 + 8)
#define SPG_ESP_PAD_TRAILER_MAX (3 + 2)
#define SPG_ESP_TRAILER_MAX (SPG_ESP_PAD_TRAILER_MAX + 16)

/* What a burst reads of an SA first lies in its first lines (spgate's window, the library's
 * session, the start of its SA): workers prefetch them a few packets ahead. */
#define SPG_ESP_SA_HOT_LINES 4

/* The most packets one burst call takes. */
#define SPG_ESP_BURST_MAX 64

struct spg_esp_config {
	const char *crypto_device; /* vdev name, e.g. "crypto_aesni_mb" or "crypto_openssl" */
	uint8_t key_len;           /* 16 or 32 */
	uint32_t replay_window;    /* >= 64 */
	uint16_t udp_port;         /* our ESP-in-UDP port, usually 4500 */
	uint32_t local_addr;       /* G_out: source of outer packets (network order) */
	uint16_t n_queue_pairs;    /* one per worker */
	uint32_t max_sas;          /* both directions together */
	int socket_id;
	/* Use the queue pairs even when the device offers synchronous CPU crypto: for tests
	 * and comparisons (the CPU path saves the crypto-op round trip). */
	bool lookaside;
	/* Outbound through librte_ipsec even on crypto_aesni_mb, where esp_native.c would frame
	 * and encrypt in place: for tests and comparisons. */
	bool library_outbound;
	/* Inbound through librte_ipsec even on crypto_aesni_mb, where esp_native_in.c would
	 * decrypt in place: the same. */
	bool library_inbound;
};

struct spg_esp;
struct spg_sa;

/* Creates (or finds) the crypto device, its queue pairs and session pools. NULL + rte_errno. */
struct spg_esp *spg_esp_create(const struct spg_esp_config *cfg);
void spg_esp_free(struct spg_esp *esp);

/* Control thread only. NULL + rte_errno (EINVAL bad keys, ENOSPC no room). */
struct spg_sa *spg_sa_create(struct spg_esp *esp, const struct spg_dp_sa_keys *keys, bool outbound);
/* The same with the outer source of an outbound SA's packets (network order; 0: the
 * configured local_addr), written into its outer header template (issue 14: sessions taken
 * over from another host leave from that host's G_out). */
struct spg_sa *spg_sa_create_from(struct spg_esp *esp, const struct spg_dp_sa_keys *keys, bool outbound,
				  uint32_t src_addr);
/* Only after no worker can still hold sa (after an RCU grace period). */
void spg_sa_free(struct spg_esp *esp, struct spg_sa *sa);
uint32_t spg_sa_spi(const struct spg_sa *sa); /* network order */

/* The third stage, for a packet whose SA's first lines were asked for a few packets ago: the
 * crypto session's lines, which only the SA knows the way to. len: the bytes its crypto
 * covers, or more (a native SA's key schedule is asked for only in the lines a payload of
 * that length reads; the library's session whole). */
void spg_esp_sa_prefetch_crypto(const struct spg_esp *esp, const struct spg_sa *sa, uint32_t len);
/*
 * Above this many sessions their key schedules (1 KiB each with the VAES layout) outgrow L2:
 * the bursts then ask for a packet's key schedule while its session is handled, a whole loop
 * before the crypto, rather than a few packets before it. Below it the early lines crowd the
 * fill buffers instead (spgate-bench, outbound 1,024 sessions: 3.5 % slower early; README
 * "Performance").
 */
#define SPG_ESP_EARLY_KEY_SESSIONS 4096

/* True when bursts use rte_cryptodev_sym_cpu_crypto_process (RTE_SECURITY_ACTION_TYPE_CPU_CRYPTO). */
bool spg_esp_cpu_crypto(const struct spg_esp *esp);
/* True when outbound SAs are framed and encrypted by esp_native.c (intel-ipsec-mb directly). */
bool spg_esp_native_outbound(const struct spg_esp *esp);
/* True when inbound SAs are decrypted by esp_native_in.c (intel-ipsec-mb directly). */
bool spg_esp_native_inbound(const struct spg_esp *esp);
/* For reports and tests: the lines of a native SA's key schedule (bit l: line l) that its
 * AES-GCM call reads for a payload of len bytes, as learnt at start (esp_key_lines.c); 0 when
 * that direction is not native. */
uint32_t spg_esp_key_lines(const struct spg_esp *esp, bool outbound, uint32_t len);
/* For memory reports: bytes of a native SA's key schedule there (0 when neither direction is). */
uint32_t spg_esp_native_key_bytes(const struct spg_esp *esp);
/* For memory reports: the bytes one SA takes here (wrapper, rte_ipsec_sa unless both
 * directions are native, replay window; the cryptodev session not included; the free stack
 * is linked through the free SAs themselves) and how many are in use. */
void spg_esp_sa_usage(const struct spg_esp *esp, uint32_t *bytes_per_sa, uint32_t *in_use);

/* The largest inner IPv4 packet that, encrypted, fits a link of link_mtu. */
uint16_t spg_esp_inner_mtu(uint16_t link_mtu);

/*
 * Encrypts n inner packets on crypto queue pair qp. On entry mb[i]'s data starts at its inner
 * IPv4 header and sa[i] is its outbound SA; ctx[i] is the caller's pointer for it. On return
 * mb[0..ret) and ctx[0..ret) are the packets that succeeded, now ESP-in-UDP starting at the
 * outer IPv4 header (m->l2_len = 0, m->l3_len = 20), outer source and UDP source port set,
 * outer destination address and port still zero — the caller then calls spg_esp_outer_finish()
 * with the session's current endpoint. mb/ctx[ret..n) failed, reason[i] says why;
 * the caller frees them. Through librte_ipsec packets are regrouped by SA, through esp_native.c
 * (spg_esp_native_outbound) they keep the burst's order; the order within an SA is kept.
 */
uint16_t spg_esp_outbound_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
				struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[]);

/* The outer IPv4 checksum from the header's words that frame_one wrote a burst ago and the
 * two fields written now, which are summed from registers rather than read back (reading a
 * header just written waits on its stores: profiled at 1 session, the summing loop over the
 * 20 bytes was 3 % of outbound's cycles). */
static inline uint16_t spg_esp_outer_cksum(const struct rte_ipv4_hdr *ip, uint32_t dst_addr, uint16_t len)
{
	uint32_t src = rte_be_to_cpu_32(ip->src_addr), dst = rte_be_to_cpu_32(dst_addr);
	uint32_t sum = ((uint32_t)ip->version_ihl << 8 | ip->type_of_service) + len + rte_be_to_cpu_16(ip->packet_id) +
		       rte_be_to_cpu_16(ip->fragment_offset) + ((uint32_t)ip->time_to_live << 8 | ip->next_proto_id) +
		       (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff);

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return rte_cpu_to_be_16((uint16_t)~sum);
}

/* Writes the outer destination (dst_addr network order, dst_port host order), the UDP length
 * and the outer IPv4 checksum. Inline: outbound calls it per packet from another file. */
static inline void spg_esp_outer_finish(struct rte_mbuf *m, uint32_t dst_addr, uint16_t dst_port)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint16_t len = (uint16_t)rte_pktmbuf_pkt_len(m);

	ip->hdr_checksum = spg_esp_outer_cksum(ip, dst_addr, len);
	ip->dst_addr = dst_addr;
	ip->total_length = rte_cpu_to_be_16(len);
	udp->dst_port = rte_cpu_to_be_16(dst_port);
	udp->dgram_len = rte_cpu_to_be_16(len - sizeof(*ip));
	udp->dgram_cksum = 0; /* allowed for ESP in UDP over IPv4 (RFC 3948 section 2.1) */
}

/*
 * Decrypts n ESP-in-UDP packets on queue pair qp. On entry mb[i]'s data starts at the outer
 * IPv4 header (m->l2_len = 0, m->l3_len = outer IP header length, UDP header next, length
 * already checked to hold UDP + ESP header + IV + ICV) and sa[i] is the inbound SA its SPI
 * found. On return mb/ctx[0..ret) succeeded and start at the inner IPv4 header (l2_len = 0);
 * mb/ctx[ret..n) failed with reason[i]: REPLAY, BAD_ICV, MALFORMED_ESP or CRYPTO_ERROR.
 * Through librte_ipsec the successes are grouped by SA, through esp_native_in.c
 * (spg_esp_native_inbound) they keep the burst's order; the order within an SA is kept.
 * newest (may be NULL): newest[i] for i < ret is true when packet i's sequence number was
 * higher than every one its SA had accepted before it (what may move a session: roaming).
 */
uint16_t spg_esp_inbound_burst(struct spg_esp *esp, uint16_t qp, struct rte_mbuf *mb[],
			       struct spg_sa *sa[], void *ctx[], uint16_t n, uint8_t reason[], bool newest[]);

#endif
