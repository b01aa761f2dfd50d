/* SPDX-License-Identifier: BSD-3-Clause */
/* rtnetlink requests for the TUN's address, link state and host routes (see route.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "route.h"

struct nl_req {
	struct nlmsghdr nh;
	union {
		struct ifinfomsg ifi;
		struct ifaddrmsg ifa;
		struct rtmsg rt;
	} u;
	char attrs[256];
};

static void add_attr(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	/* From r, not &r->nh: the attribute lies beyond the header, inside *r, and
	 * _FORTIFY_SOURCE's object size of &r->nh would call the copy an overflow. */
	struct rtattr *rta = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

/* Sends one request and waits (at most 2 s) for its acknowledgement: 0 or -errno. */
static int nl_call(struct nl_req *r)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	struct timeval tv = {.tv_sec = 2};
	char buf[4096];
	struct nlmsghdr *h;
	ssize_t n;
	int fd, rc = -EIO;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r->nh.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->nh.nlmsg_seq = 1;
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned int)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != 1 || h->nlmsg_type != NLMSG_ERROR)
				continue;
			rc = ((struct nlmsgerr *)NLMSG_DATA(h))->error; /* 0 is the ACK */
			goto out;
		}
	}
out:
	close(fd);
	return rc;
}

static const char *ifname(int ifindex, char buf[IF_NAMESIZE])
{
	if (if_indextoname((unsigned int)ifindex, buf) == NULL)
		snprintf(buf, IF_NAMESIZE, "#%d", ifindex);
	return buf;
}

int route_link_setup(int ifindex, uint32_t mtu, uint32_t addr, char *err, size_t errlen)
{
	char name[IF_NAMESIZE], a[INET_ADDRSTRLEN];
	struct nl_req r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.u.ifi));
	r.nh.nlmsg_type = RTM_NEWLINK;
	r.u.ifi.ifi_family = AF_UNSPEC;
	r.u.ifi.ifi_index = ifindex;
	add_attr(&r, IFLA_MTU, &mtu, sizeof(mtu));
	rc = nl_call(&r);
	if (rc != 0) {
		snprintf(err, errlen, "mtu %u on %s: %s", mtu, ifname(ifindex, name), strerror(-rc));
		return rc;
	}

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.u.ifa));
	r.nh.nlmsg_type = RTM_NEWADDR;
	r.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	r.u.ifa.ifa_family = AF_INET;
	r.u.ifa.ifa_prefixlen = 32;
	r.u.ifa.ifa_scope = RT_SCOPE_UNIVERSE;
	r.u.ifa.ifa_index = (uint32_t)ifindex;
	add_attr(&r, IFA_LOCAL, &addr, sizeof(addr));
	add_attr(&r, IFA_ADDRESS, &addr, sizeof(addr));
	rc = nl_call(&r);
	if (rc != 0 && rc != -EEXIST) {
		snprintf(err, errlen, "address %s/32 on %s: %s",
			 inet_ntop(AF_INET, &addr, a, sizeof(a)) ? a : "?", ifname(ifindex, name),
			 strerror(-rc));
		return rc;
	}

	memset(&r, 0, sizeof(r));
	r.nh.nlmsg_len = NLMSG_LENGTH(sizeof(r.u.ifi));
	r.nh.nlmsg_type = RTM_NEWLINK;
	r.u.ifi.ifi_family = AF_UNSPEC;
	r.u.ifi.ifi_index = ifindex;
	r.u.ifi.ifi_flags = IFF_UP;
	r.u.ifi.ifi_change = IFF_UP;
	rc = nl_call(&r);
	if (rc != 0)
		snprintf(err, errlen, "link %s up: %s", ifname(ifindex, name), strerror(-rc));
	return rc;
}

static void route_req(struct nl_req *r, uint16_t type, int ifindex, uint32_t dst)
{
	uint32_t oif = (uint32_t)ifindex;

	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(r->u.rt));
	r->nh.nlmsg_type = type;
	r->u.rt.rtm_family = AF_INET;
	r->u.rt.rtm_dst_len = 32;
	r->u.rt.rtm_table = RT_TABLE_MAIN;
	r->u.rt.rtm_protocol = RTPROT_STATIC;
	r->u.rt.rtm_scope = RT_SCOPE_LINK;
	r->u.rt.rtm_type = RTN_UNICAST;
	add_attr(r, RTA_DST, &dst, sizeof(dst));
	add_attr(r, RTA_OIF, &oif, sizeof(oif));
}

int route_host_add(int ifindex, uint32_t dst, uint32_t src, char *err, size_t errlen)
{
	char name[IF_NAMESIZE], a[INET_ADDRSTRLEN];
	struct nl_req r;
	int rc;

	route_req(&r, RTM_NEWROUTE, ifindex, dst);
	r.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
	add_attr(&r, RTA_PREFSRC, &src, sizeof(src));
	rc = nl_call(&r);
	if (rc != 0)
		snprintf(err, errlen, "route %s/32 dev %s: %s",
			 inet_ntop(AF_INET, &dst, a, sizeof(a)) ? a : "?", ifname(ifindex, name),
			 strerror(-rc));
	return rc;
}

int route_host_del(int ifindex, uint32_t dst, char *err, size_t errlen)
{
	char name[IF_NAMESIZE], a[INET_ADDRSTRLEN];
	struct nl_req r;
	int rc;

	route_req(&r, RTM_DELROUTE, ifindex, dst);
	rc = nl_call(&r);
	if (rc == -ESRCH || rc == -ENODEV)
		return 0;
	if (rc != 0)
		snprintf(err, errlen, "delete route %s/32 dev %s: %s",
			 inet_ntop(AF_INET, &dst, a, sizeof(a)) ? a : "?", ifname(ifindex, name),
			 strerror(-rc));
	return rc;
}

static uint32_t inner_plus(uint32_t gw_inner, unsigned int j)
{
	return htonl(ntohl(gw_inner) + j);
}

int route_inner_add(int ifindex, uint32_t gw_inner, unsigned int n_joiners, uint32_t src, char *err,
		    size_t errlen)
{
	char ignored[8];
	int rc;

	for (unsigned int j = 0; j <= n_joiners; j++) {
		rc = route_host_add(ifindex, inner_plus(gw_inner, j), src, err, errlen);
		if (rc == 0)
			continue;
		while (j-- > 0)
			route_host_del(ifindex, inner_plus(gw_inner, j), ignored, sizeof(ignored));
		return rc;
	}
	return 0;
}

int route_inner_del(int ifindex, uint32_t gw_inner, unsigned int n_joiners, char *err, size_t errlen)
{
	char later[256];
	int rc = 0, rc_j;

	for (unsigned int j = 0; j <= n_joiners; j++) {
		rc_j = route_host_del(ifindex, inner_plus(gw_inner, j), rc == 0 ? err : later,
				      rc == 0 ? errlen : sizeof(later));
		if (rc == 0)
			rc = rc_j;
	}
	return rc;
}
