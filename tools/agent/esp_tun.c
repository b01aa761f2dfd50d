/* SPDX-License-Identifier: BSD-3-Clause */
/* The userspace ESP endpoint: TUN <-> ESP in UDP (see esp_tun.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esp_tun.h"
#include "log.h"

#define BUF_SIZE 65536
#define BURST 64 /* packets handled per wake-up, so one side cannot starve the other */
#define IPPROTO_ICMP_ 1

struct esp_tun {
	struct event_base *base;
	int tun_fd;
	int udp_fd;
	int ifindex;
	uint32_t shared_addr;
	uint64_t *drops;
	struct event *tun_ev;
	struct event *udp_ev;
	struct event *keepalive_ev;
	struct esp_peer *peers;
	uint8_t in[BUF_SIZE];
	uint8_t out[BUF_SIZE + ESP_OVERHEAD_MAX];
};

static void drop(struct esp_tun *t, struct esp_peer *p, enum agent_drop why)
{
	t->drops[why]++;
	if (p != NULL)
		p->drops++;
}

static uint32_t addr_at(const uint8_t *p)
{
	uint32_t a;

	memcpy(&a, p, sizeof(a));
	return a;
}

bool esp_tun_is_gw_inner(uint32_t gw_inner, uint32_t addr)
{
	uint32_t a = ntohl(addr), g = ntohl(gw_inner);

	/* both ways: G_in - 1 is no joiner, nor does the top of the address space wrap to 0 */
	return a >= g && a - g <= ESP_TUN_JOINERS;
}

bool esp_tun_inner_allowed(const struct esp_peer *p, uint32_t shared_addr, const uint8_t *pkt,
			   size_t len, enum agent_drop *why)
{
	size_t hl = (size_t)(pkt[0] & 0xf) * 4, i;
	uint8_t proto = pkt[9];
	uint16_t frag = (uint16_t)(pkt[6] << 8 | pkt[7]), dport;

	/* the holder's G_in, or a joiner's G_in + j: the same session, the same filter */
	if (!esp_tun_is_gw_inner(p->gw_inner, addr_at(pkt + 12))) {
		*why = AGENT_DROP_INNER_SRC;
		return false;
	}
	if (addr_at(pkt + 16) != shared_addr) {
		*why = AGENT_DROP_INNER_DST;
		return false;
	}
	/* a later fragment carries no ports; without its first one it never reassembles */
	if ((frag & 0x1fff) != 0)
		return true;
	if (proto == IPPROTO_ICMP_) {
		if (len < hl + 8) {
			*why = AGENT_DROP_NOT_IPV4;
			return false;
		}
		switch (pkt[hl]) {
		case 8: /* echo request */
			if (p->icmp_echo)
				return true;
			break;
		case 3:  /* unreachable (and PMTU's "fragmentation needed") */
		case 11: /* time exceeded */
		case 12: /* parameter problem */
			return true;
		}
		*why = AGENT_DROP_INNER_PROTO;
		return false;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP) {
		*why = AGENT_DROP_INNER_PROTO;
		return false;
	}
	if (len < hl + 4) {
		*why = AGENT_DROP_NOT_IPV4;
		return false;
	}
	dport = (uint16_t)(pkt[hl + 2] << 8 | pkt[hl + 3]);
	for (i = 0; i < p->n_ports; i++)
		if (p->ports[i].proto == proto && p->ports[i].port == dport)
			return true;
	*why = AGENT_DROP_INNER_PORT;
	return false;
}

static struct esp_peer *peer_by_spi(struct esp_tun *t, uint32_t spi, struct esp_sa **sa)
{
	struct esp_peer *p;

	for (p = t->peers; p != NULL; p = p->next) {
		if (p->in.spi == spi) {
			*sa = &p->in;
			return p;
		}
		if (p->has_prev && p->in_prev.spi == spi) {
			*sa = &p->in_prev;
			return p;
		}
	}
	return NULL;
}

/* The peer a reply to addr belongs to: its G_in, or one of its joiners' G_in + j. */
static struct esp_peer *peer_by_inner(struct esp_tun *t, uint32_t addr)
{
	struct esp_peer *p;

	for (p = t->peers; p != NULL; p = p->next)
		if (esp_tun_is_gw_inner(p->gw_inner, addr))
			return p;
	return NULL;
}

static void on_datagram(struct esp_tun *t, const uint8_t *d, size_t len,
			const struct sockaddr_in *from)
{
	struct esp_peer *p;
	struct esp_sa *sa;
	enum agent_drop why;
	uint32_t spi = esp_spi_of(d, len);
	int n;

	if (spi == 0) {
		if (!(len == 1 && d[0] == 0xff)) /* NAT keepalives are expected, not drops */
			drop(t, NULL, AGENT_DROP_MALFORMED);
		return;
	}
	p = peer_by_spi(t, spi, &sa);
	if (p == NULL) {
		drop(t, NULL, AGENT_DROP_UNKNOWN_SPI);
		return;
	}
	n = esp_open(sa, d, len, t->out, sizeof(t->out), NULL);
	if (n < 0) {
		drop(t, p, (enum agent_drop)-n);
		return;
	}
	/* authenticated: the gateway's endpoint is where this came from (NAT rebinding) */
	if (from->sin_addr.s_addr != p->remote_addr || ntohs(from->sin_port) != p->remote_port) {
		char a[INET_ADDRSTRLEN];

		log_info("peer %s: gateway endpoint moved to %s:%u",
			 inet_ntop(AF_INET, &p->gw_inner, a, sizeof(a)) ? a : "?",
			 inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a)) ? a : "?",
			 ntohs(from->sin_port));
		p->remote_addr = from->sin_addr.s_addr;
		p->remote_port = ntohs(from->sin_port);
	}
	if (!esp_tun_inner_allowed(p, t->shared_addr, t->out, (size_t)n, &why)) {
		drop(t, p, why);
		return;
	}
	if (write(t->tun_fd, t->out, (size_t)n) != n) {
		drop(t, p, AGENT_DROP_IO_ERROR);
		return;
	}
	p->rx_packets++;
}

static void udp_cb(evutil_socket_t fd, short what, void *arg)
{
	struct esp_tun *t = arg;
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < BURST; i++) {
		fl = sizeof(from);
		n = recvfrom(fd, t->in, sizeof(t->in), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			break;
		on_datagram(t, t->in, (size_t)n, &from);
	}
}

static void send_to_peer(struct esp_tun *t, struct esp_peer *p, const uint8_t *d, size_t len)
{
	struct sockaddr_in to = {.sin_family = AF_INET};

	to.sin_addr.s_addr = p->remote_addr;
	to.sin_port = htons(p->remote_port);
	if (sendto(t->udp_fd, d, len, 0, (struct sockaddr *)&to, sizeof(to)) != (ssize_t)len)
		drop(t, p, AGENT_DROP_IO_ERROR);
}

static void on_tun_packet(struct esp_tun *t, const uint8_t *pkt, size_t len)
{
	struct esp_peer *p;
	int n;

	if (len < 20 || pkt[0] >> 4 != 4) {
		drop(t, NULL, AGENT_DROP_NOT_IPV4); /* IPv6 noise, if IPv6 is on for the TUN */
		return;
	}
	p = peer_by_inner(t, addr_at(pkt + 16));
	if (p == NULL) {
		drop(t, NULL, AGENT_DROP_NO_SESSION);
		return;
	}
	n = esp_seal(&p->out, pkt, len, t->out, sizeof(t->out));
	if (!p->rekey_asked && (n == -AGENT_DROP_SEQ_EXHAUSTED || esp_sa_wants_rekey(&p->out))) {
		p->rekey_asked = true;
		if (p->rekey_wanted != NULL)
			p->rekey_wanted(p, p->arg);
	}
	if (n < 0) {
		drop(t, p, (enum agent_drop)-n);
		return;
	}
	send_to_peer(t, p, t->out, (size_t)n);
	p->tx_packets++;
}

static void tun_cb(evutil_socket_t fd, short what, void *arg)
{
	struct esp_tun *t = arg;
	ssize_t n;
	int i;

	(void)what;
	for (i = 0; i < BURST; i++) {
		n = read(fd, t->in, sizeof(t->in));
		if (n <= 0)
			break;
		on_tun_packet(t, t->in, (size_t)n);
	}
}

static void keepalive_cb(evutil_socket_t fd, short what, void *arg)
{
	static const uint8_t ka = 0xff;
	struct esp_tun *t = arg;
	struct esp_peer *p;

	(void)fd;
	(void)what;
	/* RFC 3948 section 4: keeps a customer NAT's mapping open while the tunnel is idle */
	for (p = t->peers; p != NULL; p = p->next)
		send_to_peer(t, p, &ka, 1);
}

static int open_tun(const char *name, int *ifindex, char *err, size_t errlen)
{
	struct ifreq ifr;
	char path[64];
	int fd;
	FILE *f;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		snprintf(err, errlen, "TUN %s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	*ifindex = (int)if_nametoindex(ifr.ifr_name);
	/* no IPv6 on the tunnel: router solicitations and MLD would only be noise in it */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifr.ifr_name);
	f = fopen(path, "w");
	if (f != NULL) {
		fputs("1", f);
		fclose(f);
	}
	return fd;
}

static int open_udp(uint32_t addr, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	char a[INET_ADDRSTRLEN];
	int fd, one = 1, pmtu = IP_PMTUDISC_DONT;

	sin.sin_addr.s_addr = addr;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "UDP socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* outer packets may be fragmented on the way: the inner MTU is the TUN's business */
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		snprintf(err, errlen, "ESP socket %s:%u: %s",
			 inet_ntop(AF_INET, &addr, a, sizeof(a)) ? a : "?", port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct esp_tun *esp_tun_create(struct event_base *base, const struct esp_tun_config *cfg,
			       char *err, size_t errlen)
{
	struct timeval ka = {.tv_sec = cfg->nat_keepalive_s};
	struct esp_tun *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->base = base;
	t->udp_fd = -1;
	t->shared_addr = cfg->shared_addr;
	t->drops = cfg->drops;
	t->tun_fd = open_tun(cfg->tun_name, &t->ifindex, err, errlen);
	if (t->tun_fd < 0)
		goto fail;
	t->udp_fd = open_udp(cfg->local_addr, cfg->esp_port, err, errlen);
	if (t->udp_fd < 0)
		goto fail;
	t->tun_ev = event_new(base, t->tun_fd, EV_READ | EV_PERSIST, tun_cb, t);
	t->udp_ev = event_new(base, t->udp_fd, EV_READ | EV_PERSIST, udp_cb, t);
	t->keepalive_ev = event_new(base, -1, EV_PERSIST, keepalive_cb, t);
	if (t->tun_ev == NULL || t->udp_ev == NULL || t->keepalive_ev == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	event_add(t->tun_ev, NULL);
	event_add(t->udp_ev, NULL);
	if (cfg->nat_keepalive_s > 0)
		event_add(t->keepalive_ev, &ka);
	return t;
fail:
	esp_tun_free(t);
	return NULL;
}

void esp_tun_free(struct esp_tun *t)
{
	if (t == NULL)
		return;
	if (t->tun_ev != NULL)
		event_free(t->tun_ev);
	if (t->udp_ev != NULL)
		event_free(t->udp_ev);
	if (t->keepalive_ev != NULL)
		event_free(t->keepalive_ev);
	if (t->tun_fd >= 0)
		close(t->tun_fd);
	if (t->udp_fd >= 0)
		close(t->udp_fd);
	free(t);
}

int esp_tun_ifindex(const struct esp_tun *t)
{
	return t->ifindex;
}

void esp_tun_add_peer(struct esp_tun *t, struct esp_peer *p)
{
	p->next = t->peers;
	t->peers = p;
}

void esp_tun_remove_peer(struct esp_tun *t, struct esp_peer *p)
{
	struct esp_peer **pp;

	for (pp = &t->peers; *pp != NULL; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			p->next = NULL;
			return;
		}
}
