/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The far ends of a session's ESP in the dataplane's unit tests (test_dp_addr, test_dp_join):
 * AES-128-GCM as RFC 4106 with ESN, done with OpenSSL (independent of intel-ipsec-mb and
 * librte_ipsec, which the dataplane uses), and the plaintext packets and frames they send.
 */
#ifndef SPG_ESP_REF_H
#define SPG_ESP_REF_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dp_api.h"
#include "unit.h"

/* AES-GCM as RFC 4106 with ESN: nonce salt || IV, AAD SPI || seq high || seq low. Encrypts
 * (enc: out and tag written) or decrypts and checks tag; false on failure. */
static inline bool esp_ref_gcm(bool enc, const struct spg_dp_sa_keys *k, const uint8_t *iv, uint64_t seq,
			       const uint8_t *in, int len, uint8_t *out, uint8_t *tag)
{
	uint8_t nonce[12], aad[12];
	uint32_t hi = htonl((uint32_t)(seq >> 32)), lo = htonl((uint32_t)seq);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	memcpy(nonce, k->salt, 4);
	memcpy(nonce + 4, iv, 8);
	memcpy(aad, &k->spi, 4);
	memcpy(aad + 4, &hi, 4);
	memcpy(aad + 8, &lo, 4);
	if (enc)
		ok = EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
		     EVP_EncryptInit_ex(c, NULL, NULL, k->key, nonce) && EVP_EncryptUpdate(c, NULL, &n, aad, 12) &&
		     EVP_EncryptUpdate(c, out, &n, in, len) && EVP_EncryptFinal_ex(c, out + n, &n) &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	else
		ok = EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, NULL, NULL) &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) &&
		     EVP_DecryptInit_ex(c, NULL, NULL, k->key, nonce) && EVP_DecryptUpdate(c, NULL, &n, aad, 12) &&
		     EVP_DecryptUpdate(c, out, &n, in, len) &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) && EVP_DecryptFinal_ex(c, out + n, &n) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

/* An IPv4/TCP packet src:sport -> dst:dport (host order) carrying payload, flags ACK|PSH,
 * header checksum set. Returns its length. */
static inline uint16_t esp_ref_tcp_packet(uint8_t *b, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
					  const char *payload)
{
	const uint16_t len = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_tcp_hdr) + strlen(payload);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)b;
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);

	memset(b, 0, len);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = htonl(src);
	ip->dst_addr = htonl(dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->src_port = rte_cpu_to_be_16(sport);
	tcp->dst_port = rte_cpu_to_be_16(dport);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	memcpy(tcp + 1, payload, strlen(payload));
	return len;
}

/* An Ethernet frame src_mac -> dst_mac around the IPv4 packet l3, from pool. */
static inline struct rte_mbuf *esp_ref_frame(struct rte_mempool *pool, const struct rte_ether_addr *dst_mac,
					     const struct rte_ether_addr *src_mac, const uint8_t *l3, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof(*eth) + len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(eth);
	eth->dst_addr = *dst_mac;
	eth->src_addr = *src_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memcpy(eth + 1, l3, len);
	return m;
}

/*
 * The SP side's ESP in UDP (RFC 3948) around the plaintext IPv4 packet pt (ilen bytes, room
 * for 2 + 3 more behind it: the trailer is written there): outer src -> dst (network order),
 * UDP port natt both ways, ESP sequence number seq (its low half on the wire, the high half in
 * the ICV: ESN), sealed under k. Writes the outer IPv4 packet into out; returns its length.
 */
static inline uint16_t esp_ref_seal_udp(uint8_t *out, const struct spg_dp_sa_keys *k, uint64_t seq, uint32_t src,
					uint32_t dst, uint16_t natt, uint8_t *pt, uint16_t ilen)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)out;
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *esp = (uint8_t *)(udp + 1);
	uint8_t pad = (uint8_t)((4 - (ilen + 2) % 4) % 4);
	uint32_t lo = htonl((uint32_t)seq);
	uint16_t clen, len;

	for (uint8_t i = 0; i < pad; i++)
		pt[ilen + i] = (uint8_t)(i + 1);
	pt[ilen + pad] = pad;
	pt[ilen + pad + 1] = 4; /* next header: IPv4 */
	clen = (uint16_t)(ilen + pad + 2);
	len = (uint16_t)(sizeof(*ip) + sizeof(*udp) + 16 + clen + 16);
	memset(out, 0, sizeof(*ip) + sizeof(*udp) + 16);
	ip->version_ihl = 0x45;
	ip->total_length = rte_cpu_to_be_16(len);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = src;
	ip->dst_addr = dst;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(natt);
	udp->dst_port = rte_cpu_to_be_16(natt);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*ip)));
	memcpy(esp, &k->spi, 4);
	memcpy(esp + 4, &lo, 4);
	memcpy(esp + 8, &seq, 8); /* any IV, once per key */
	CU_ASSERT_FATAL(esp_ref_gcm(true, k, esp + 8, seq, pt, clen, esp + 16, esp + 16 + clen));
	return len;
}

#endif
