/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "traffic.h"

/* Not RTE_IPV4: in 22.11 it shifts an int left by 24, undefined for a first byte >= 128. */
#define IP4(a, b, c, d) rte_cpu_to_be_32((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
/* Sessions' SP sites: 203.0.113.1 .. .250, then the next UDP port. */
#define PEER_HOSTS 250
#define PEER_BASE_PORT 4500
#define SPI_OUT_BASE 0x01000000u
#define SPI_IN_BASE 0x02000000u
/* 100 Gbit/s: every session is metered, none is ever over its rate in the bench. */
#define SESSION_RATE (UINT64_C(100000000000) / 8)
#define ESP_HDR_IV 16 /* SPI, sequence number, 8-byte IV */
#define ESP_ICV 16
#define OUTER_LEN (sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))
/* Sealed frames per inbound block: about this many bytes, within these bounds. */
#define BLOCK_BYTES (96u << 20)
#define BLOCK_MIN 4096u
#define BLOCK_MAX (1u << 20)

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

void bench_plan_init(struct bench_plan *p, enum spg_cipher cipher, uint32_t capacity, uint64_t seed)
{
	memset(p, 0, sizeof(*p));
	p->cipher = cipher;
	p->key_len = spg_cipher_key_len(cipher);
	p->seed = seed;
	p->vendor_addr = IP4(192, 0, 2, 1);
	p->sp_addr = IP4(198, 51, 100, 1);
	p->sp_next_hop = IP4(198, 51, 100, 254);
	p->shared_addr = IP4(203, 0, 113, 254);
	p->inner_addr = IP4(198, 51, 100, 2);
	p->esp_port = 4500;
	/* 198.18.0.0/15 holds 131,070 virtual addresses. A million sessions need a million V_i,
	 * which no range reserved for tests or documentation has: above that the pool is the
	 * shared address space 100.64.0.0/10 (RFC 6598). Frames never leave the process. */
	if (capacity <= (1u << 17) - 2) {
		p->pool_addr = IP4(198, 18, 0, 0);
		p->pool_prefix_len = 15;
	} else {
		p->pool_addr = IP4(100, 64, 0, 0);
		p->pool_prefix_len = 10;
	}
}

static inline uint32_t virtual_addr(const struct bench_plan *p, uint32_t i)
{
	return rte_cpu_to_be_32(rte_be_to_cpu_32(p->pool_addr) + 1 + i);
}

uint32_t bench_workstation_addr(uint32_t k)
{
	return IP4(192, 0, 2, 16 + k);
}

struct rte_ether_addr bench_workstation_mac(uint32_t k)
{
	return (struct rte_ether_addr){ .addr_bytes = { 0x02, 0, 0, 0, 0x01, (uint8_t)k } };
}

struct rte_ether_addr bench_next_hop_mac(void)
{
	return (struct rte_ether_addr){ .addr_bytes = { 0x02, 0, 0, 0, 0x02, 0xfe } };
}

static void sa_keys(const struct bench_plan *p, uint32_t i, bool inbound, struct spg_dp_sa_keys *k)
{
	uint64_t st = p->seed ^ ((uint64_t)i << 1 | inbound) * UINT64_C(0x2545f4914f6cdd1d);
	uint64_t words[5];

	for (unsigned int j = 0; j < RTE_DIM(words); j++)
		words[j] = splitmix64(&st);
	memset(k, 0, sizeof(*k));
	k->spi = rte_cpu_to_be_32((inbound ? SPI_IN_BASE : SPI_OUT_BASE) + i);
	k->key_len = p->key_len;
	memcpy(k->key, words, SPG_DP_KEY_MAX);
	memcpy(k->salt, &words[4], SPG_DP_SALT_LEN);
}

static uint32_t peer_addr(uint32_t i)
{
	return IP4(203, 0, 113, 1 + i % PEER_HOSTS);
}

static uint16_t peer_port(uint32_t i)
{
	return (uint16_t)(PEER_BASE_PORT + i / PEER_HOSTS);
}

void bench_session_params(const struct bench_plan *p, uint32_t i, struct spg_dp_session_params *out)
{
	static const struct spg_dp_port_range ports[] = {
		{ .proto = IPPROTO_TCP, .lo = 22, .hi = 22 },
		{ .proto = IPPROTO_TCP, .lo = BENCH_SERVICE_PORT, .hi = BENCH_SERVICE_PORT },
		{ .proto = IPPROTO_TCP, .lo = 5988, .hi = 5989 }, /* SMI-S */
		{ .proto = IPPROTO_UDP, .lo = 161, .hi = 161 },
	};

	memset(out, 0, sizeof(*out));
	out->id = (uint64_t)i + 1;
	out->virtual_addr = virtual_addr(p, i);
	out->workstation_addr = bench_workstation_addr(i % BENCH_N_WORKSTATIONS);
	out->peer_addr = peer_addr(i);
	out->peer_port = peer_port(i);
	out->icmp_echo = 1;
	out->n_port_ranges = RTE_DIM(ports);
	memcpy(out->ports, ports, sizeof(ports));
	out->rate_out.bytes_per_sec = SESSION_RATE;
	out->rate_in.bytes_per_sec = SESSION_RATE;
	sa_keys(p, i, false, &out->sa_out);
	sa_keys(p, i, true, &out->sa_in);
}

uint16_t bench_esp_crypto_len(uint16_t size)
{
	/* RFC 4303: the payload, padding, pad length and next header end on 4 bytes. */
	return (uint16_t)RTE_ALIGN_CEIL(size + 2u, 4u);
}

void bench_order_fill(uint32_t *order, uint32_t len, uint32_t n, uint64_t seed)
{
	uint64_t st = seed ^ UINT64_C(0x6a09e667f3bcc909) ^ n;

	for (uint32_t k = 0; k < len; k++)
		order[k] = (uint32_t)(((splitmix64(&st) >> 32) * n) >> 32);
}

/* A TCP segment of size bytes (IPv4 total length) with a recognisable payload. */
static void tcp_packet(uint8_t *b, uint16_t size, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)b;
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	memset(b, 0, sizeof(*ip) + sizeof(*tcp));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(size);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->dst_port = rte_cpu_to_be_16(dport);
	tcp->sent_seq = RTE_BE32(1);
	tcp->recv_ack = RTE_BE32(1);
	tcp->data_off = (sizeof(*tcp) / 4) << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	tcp->rx_win = RTE_BE16(65535);
	for (uint16_t k = sizeof(*ip) + sizeof(*tcp); k < size; k++)
		b[k] = (uint8_t)(k * 7);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
}

static inline uint16_t fold_not(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One's complement sums do not care about byte order, so the template's sums taken with
 * zero addresses plus the addresses' 16-bit halves give both checksums of each packet. */
static int outbound_init(struct bench_gen *g)
{
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *tcp;
	struct rte_ether_addr ws = bench_workstation_mac(0);

	g->frame_len = (uint16_t)(sizeof(*eth) + g->size);
	g->tmpl = calloc(1, BENCH_FRAME_MAX);
	if (g->tmpl == NULL)
		return -ENOMEM;
	eth = (struct rte_ether_hdr *)g->tmpl;
	eth->dst_addr = g->plan->vendor_mac;
	eth->src_addr = ws;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	tcp_packet((uint8_t *)ip, g->size, 0, 0, BENCH_CLIENT_PORT, BENCH_SERVICE_PORT);
	tcp = (struct rte_tcp_hdr *)(ip + 1);
	g->ip_sum = (uint16_t)~ip->hdr_checksum;
	g->tcp_sum = (uint16_t)~tcp->cksum;
	return 0;
}

static inline void outbound_patch(const struct bench_gen *g, uint8_t *frame, uint32_t i)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + sizeof(struct rte_ether_hdr));
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t src = bench_workstation_addr(i % BENCH_N_WORKSTATIONS);
	uint32_t dst = virtual_addr(g->plan, i);
	uint32_t halves = (src & 0xffff) + (src >> 16) + (dst & 0xffff) + (dst >> 16);

	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = fold_not(g->ip_sum + halves);
	tcp->cksum = fold_not(g->tcp_sum + halves);
}

static EVP_CIPHER_CTX *evp_new(uint8_t key_len)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

	if (c != NULL && (EVP_EncryptInit_ex(c, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, NULL,
					     NULL) != 1 ||
			  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1)) {
		EVP_CIPHER_CTX_free(c);
		c = NULL;
	}
	return c;
}

/* Keying a context is most of OpenSSL's cost for a small packet: keep one per session when
 * there are not too many, else key the shared one for each packet. */
static EVP_CIPHER_CTX *session_ctx(struct bench_gen *g, uint32_t i, struct spg_dp_sa_keys *keys)
{
	EVP_CIPHER_CTX *c;

	sa_keys(g->plan, i, true, keys);
	if (g->evp_keyed == NULL)
		return g->evp;
	c = g->evp_keyed[i];
	if (c == NULL) {
		c = evp_new(g->plan->key_len);
		if (c == NULL || EVP_EncryptInit_ex(c, NULL, NULL, keys->key, NULL) != 1) {
			EVP_CIPHER_CTX_free(c);
			return NULL;
		}
		g->evp_keyed[i] = c;
	}
	return c;
}

static int inbound_init(struct bench_gen *g)
{
	uint16_t pad, k;

	g->crypto_len = bench_esp_crypto_len(g->size);
	g->frame_len = (uint16_t)(OUTER_LEN + ESP_HDR_IV + g->crypto_len + ESP_ICV);
	g->block_cap = RTE_MIN(RTE_MAX(BLOCK_BYTES / g->frame_len, BLOCK_MIN), BLOCK_MAX);
	g->block = malloc((size_t)g->block_cap * g->frame_len);
	g->plain = calloc(1, g->crypto_len);
	g->evp = evp_new(g->plan->key_len);
	if (g->n_sessions <= BENCH_EVP_CACHE)
		g->evp_keyed = calloc(g->n_sessions, sizeof(*g->evp_keyed));
	if (g->block == NULL || g->plain == NULL || g->evp == NULL ||
	    (g->n_sessions <= BENCH_EVP_CACHE && g->evp_keyed == NULL))
		return -ENOMEM;
	/* What the SP sends back inside the tunnel: S -> G_in from the service port. */
	tcp_packet(g->plain, g->size, g->plan->shared_addr, g->plan->inner_addr, BENCH_SERVICE_PORT,
		   BENCH_CLIENT_PORT);
	pad = (uint16_t)(g->crypto_len - g->size - 2);
	for (k = 0; k < pad; k++)
		g->plain[g->size + k] = (uint8_t)(k + 1); /* RFC 4303 default padding */
	g->plain[g->size + pad] = (uint8_t)pad;
	g->plain[g->size + pad + 1] = IPPROTO_IPIP; /* next header: IPv4 */
	return 0;
}

/* What the SP site of session i sends: ESP in UDP to our SP port, one sequence number up. */
static int inbound_seal(struct bench_gen *g, uint32_t i, uint8_t *frame)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *esp = (uint8_t *)(udp + 1);
	uint8_t *ct = esp + ESP_HDR_IV;
	uint8_t nonce[12], aad[12];
	struct spg_dp_sa_keys keys;
	EVP_CIPHER_CTX *ctx;
	uint32_t seq = ++g->next_seq[i];
	rte_be32_t seq_be = rte_cpu_to_be_32(seq), zero = 0;
	rte_be64_t iv = rte_cpu_to_be_64(seq);
	int len;

	ctx = session_ctx(g, i, &keys);
	if (ctx == NULL)
		return -EIO;
	eth->dst_addr = g->plan->sp_mac;
	eth->src_addr = bench_next_hop_mac();
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(g->frame_len - sizeof(*eth)));
	ip->packet_id = rte_cpu_to_be_16((uint16_t)seq);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = peer_addr(i);
	ip->dst_addr = g->plan->sp_addr;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(peer_port(i));
	udp->dst_port = rte_cpu_to_be_16(g->plan->esp_port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(g->frame_len - sizeof(*eth) - sizeof(*ip)));
	udp->dgram_cksum = 0; /* RFC 3948 */
	memcpy(esp, &keys.spi, 4);
	memcpy(esp + 4, &seq_be, 4);
	memcpy(esp + 8, &iv, 8);

	/* RFC 4106: nonce = salt || IV; with ESN the AAD is SPI, sequence high, sequence low. */
	memcpy(nonce, keys.salt, 4);
	memcpy(nonce + 4, &iv, 8);
	memcpy(aad, &keys.spi, 4);
	memcpy(aad + 4, &zero, 4);
	memcpy(aad + 8, &seq_be, 4);
	if (EVP_EncryptInit_ex(ctx, NULL, NULL, ctx == g->evp ? keys.key : NULL, nonce) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &len, aad, sizeof(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &len, g->plain, g->crypto_len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + len, &len) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, ESP_ICV, ct + g->crypto_len) != 1)
		return -EIO;
	return 0;
}

int bench_gen_refill(struct bench_gen *g)
{
	if (g->dir == BENCH_OUTBOUND)
		return 0;
	for (uint32_t k = 0; k < g->block_cap; k++) {
		uint32_t i = g->order[g->order_pos++ & (BENCH_ORDER_LEN - 1)];
		int rc = inbound_seal(g, i, g->block + (size_t)k * g->frame_len);

		if (rc != 0)
			return rc;
	}
	g->block_n = g->block_cap;
	g->block_pos = 0;
	return 0;
}

int bench_gen_init(struct bench_gen *g, const struct bench_plan *plan, enum bench_dir dir, uint16_t size,
		   uint32_t n_sessions, const uint32_t *order, uint32_t *next_seq, struct rte_mempool *pool,
		   struct rte_ring *ring)
{
	int rc;

	memset(g, 0, sizeof(*g));
	g->dir = dir;
	g->plan = plan;
	g->size = size;
	g->n_sessions = n_sessions;
	g->order = order;
	g->next_seq = next_seq;
	g->pool = pool;
	g->ring = ring;
	rc = dir == BENCH_OUTBOUND ? outbound_init(g) : inbound_init(g);
	if (rc != 0)
		bench_gen_free(g);
	return rc;
}

void bench_gen_free(struct bench_gen *g)
{
	free(g->tmpl);
	free(g->block);
	free(g->plain);
	EVP_CIPHER_CTX_free(g->evp);
	for (uint32_t i = 0; g->evp_keyed != NULL && i < g->n_sessions; i++)
		EVP_CIPHER_CTX_free(g->evp_keyed[i]);
	free(g->evp_keyed);
	memset(g, 0, sizeof(*g));
}

uint16_t bench_gen_burst(struct bench_gen *g)
{
	struct rte_mbuf *m[BENCH_BURST];
	uint16_t len = g->frame_len;
	unsigned int n;

	if (rte_pktmbuf_alloc_bulk(g->pool, m, BENCH_BURST) != 0)
		return 0;
	if (g->dir == BENCH_OUTBOUND) {
		for (unsigned int k = 0; k < BENCH_BURST; k++) {
			uint8_t *d = rte_pktmbuf_mtod(m[k], uint8_t *);

			rte_memcpy(d, g->tmpl, len);
			outbound_patch(g, d, g->order[g->order_pos++ & (BENCH_ORDER_LEN - 1)]);
			m[k]->data_len = len;
			m[k]->pkt_len = len;
		}
	} else {
		const uint8_t *src = g->block + (size_t)g->block_pos * len;

		for (unsigned int k = 0; k < BENCH_BURST; k++, src += len) {
			rte_memcpy(rte_pktmbuf_mtod(m[k], void *), src, len);
			m[k]->data_len = len;
			m[k]->pkt_len = len;
		}
		g->block_pos += BENCH_BURST;
	}
	n = rte_ring_sp_enqueue_burst(g->ring, (void **)m, BENCH_BURST, NULL);
	if (n < BENCH_BURST)
		rte_pktmbuf_free_bulk(&m[n], BENCH_BURST - n);
	g->generated += n;
	return (uint16_t)n;
}

uint32_t bench_sink(struct rte_ring *r)
{
	struct rte_mbuf *m[2 * BENCH_BURST];
	uint32_t total = 0;
	unsigned int n;

	do {
		n = rte_ring_sc_dequeue_burst(r, (void **)m, RTE_DIM(m), NULL);
		rte_pktmbuf_free_bulk(m, n);
		total += n;
	} while (n == RTE_DIM(m));
	return total;
}
