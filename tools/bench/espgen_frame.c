/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-espgen's frame templates (espgen_frame.h says what they hold and why). */
#include <errno.h>
#include <string.h>

#include "espgen_frame.h"

#define ETH_LEN 14
#define IPV4_LEN 20
#define UDP_LEN 8
#define TCP_LEN 20
#define ESP_HDR_IV 16 /* SPI, sequence number, 8-byte IV */
#define NEXT_HEADER_IPV4 4

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* One's complement sum of len bytes (even) added to sum, not folded. */
static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void ipv4_header(uint8_t *h, uint16_t total, uint8_t proto, uint32_t src, uint32_t dst)
{
	memset(h, 0, IPV4_LEN);
	h[0] = 0x45;
	put16(h + 2, total);
	h[8] = 64; /* TTL; ID 0, no DF */
	h[9] = proto;
	put32(h + 12, src);
	put32(h + 16, dst);
	put16(h + 10, fold(sum16(h, IPV4_LEN, 0)));
}

uint16_t espgen_inner_packet(const struct espgen_frame_params *p, const struct espgen_sa *sa, uint8_t *out)
{
	uint16_t len = p->inner_len, l4 = (uint16_t)(len - IPV4_LEN);
	uint8_t *tcp = out + IPV4_LEN, pseudo[12];

	ipv4_header(out, len, 6, p->inner_src, p->inner_dst);
	memset(tcp, 0, TCP_LEN);
	put16(tcp, p->inner_sport);
	put16(tcp + 2, sa->inner_dport);
	put32(tcp + 4, 1);   /* sequence */
	put32(tcp + 8, 1);   /* acknowledgement */
	tcp[12] = 5 << 4;    /* no options */
	tcp[13] = 0x10;      /* ACK: a reply within a connection the workstation opened */
	put16(tcp + 14, 8192);
	for (uint16_t i = 0; i < len - IPV4_LEN - TCP_LEN; i++)
		tcp[TCP_LEN + i] = (uint8_t)i; /* bytes 0, 1, 2, ...: the checks compare them */
	put32(pseudo, p->inner_src);
	put32(pseudo + 4, p->inner_dst);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, l4);
	put16(tcp + 16, fold(sum16(tcp, l4, sum16(pseudo, sizeof(pseudo), 0))));
	return len;
}

int espgen_flow_init(IMB_MGR *mgr, struct espgen_flow *f, const struct espgen_frame_params *p,
		     const struct espgen_sa *sa)
{
	uint16_t udp = p->udp_port != 0 ? UDP_LEN : 0, ct_len, pad, ip_total;
	uint8_t *fr = f->frame, *esp, *pt;

	if (p->inner_len < ESPGEN_INNER_MIN || p->inner_len > ESPGEN_INNER_MAX)
		return -EINVAL;
	/* RFC 4303 2.4: payload, padding, pad length and next header a multiple of 4 */
	ct_len = (uint16_t)((p->inner_len + 2 + 3) & ~3u);
	pad = (uint16_t)(ct_len - p->inner_len - 2);
	ip_total = (uint16_t)(IPV4_LEN + udp + ESP_HDR_IV + ct_len + ESPGEN_ICV_LEN);
	if (ETH_LEN + ip_total > ESPGEN_FRAME_MAX)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	memcpy(fr, p->dst_mac, 6);
	memcpy(fr + 6, p->src_mac, 6);
	put16(fr + 12, 0x0800);
	ipv4_header(fr + ETH_LEN, ip_total, udp ? 17 : 50, sa->peer, p->gateway);
	if (udp) {
		uint8_t *u = fr + ETH_LEN + IPV4_LEN;

		put16(u, p->udp_port);
		put16(u + 2, p->udp_port);
		put16(u + 4, (uint16_t)(ip_total - IPV4_LEN));
		put16(u + 6, 0); /* RFC 3948 2.1: zero checksum */
	}
	f->esp_ofs = (uint16_t)(ETH_LEN + IPV4_LEN + udp);
	esp = fr + f->esp_ofs;
	put32(esp, sa->spi);
	pt = esp + ESP_HDR_IV;
	espgen_inner_packet(p, sa, pt);
	for (uint16_t i = 0; i < pad; i++)
		pt[p->inner_len + i] = (uint8_t)(i + 1);
	pt[ct_len - 2] = (uint8_t)pad;
	pt[ct_len - 1] = NEXT_HEADER_IPV4;
	f->ct_len = ct_len;
	f->len = (uint16_t)(ETH_LEN + ip_total);
	f->spi_be = __builtin_bswap32(sa->spi);
	memcpy(f->salt, sa->salt, sizeof(f->salt));
	f->seq = 0;
	IMB_AES128_GCM_PRE(mgr, sa->key, &f->key);
	return 0;
}
