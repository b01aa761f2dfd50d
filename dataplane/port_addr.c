/* SPDX-License-Identifier: BSD-3-Clause */
/* The addresses a port owns (port_addr.h): ADDRESS ADD, DEL and LIST, and their announcing. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>

#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_log.h>

#include "addr.h"
#include "nat.h"
#include "port.h"
#include "port_addr.h"
#include "slow_path.h"

/* Gratuitous ARPs per announcement and the time between them: spaced rather than in one
 * burst, so a frame lost while a switch or a neighbor is busy (the moment of a failover) is
 * not lost with its copies; three, as arping -U -c 3 and RFC 5227's announcements do. */
#define GARP_COUNT 3
#define GARP_INTERVAL_MS 500

bool spg_port_owns_extra(const struct spg_port *p, uint32_t addr)
{
	if (addr == 0)
		return false;
	for (unsigned int i = 0; i < SPG_DP_PORT_ADDRS_MAX; i++)
		if (__atomic_load_n(&p->extra[i], __ATOMIC_RELAXED) == addr)
			return true;
	return false;
}

uint32_t spg_port_arp_source(const struct spg_port *p)
{
	if (!p->primary_silent)
		return p->addr;
	for (unsigned int i = 0; i < SPG_DP_PORT_ADDRS_MAX; i++)
		if (p->extra[i] != 0)
			return p->extra[i];
	return 0;
}

/* The slot of addr among p's extra addresses, or -1. */
static int extra_slot(const struct spg_port *p, uint32_t addr)
{
	for (int i = 0; i < SPG_DP_PORT_ADDRS_MAX; i++)
		if (p->extra[i] == addr)
			return i;
	return -1;
}

/* Why addr may never be an address of this port (NULL when it may). */
static const char *addr_refused(const struct spg_dp *dp, unsigned int port, uint32_t addr)
{
	const struct spg_port *p = &dp->ports[port], *other = &dp->ports[port ^ 1];
	const struct spg_dp_config *cfg = &dp->cfg;
	uint32_t first = ntohl(addr) >> 24;

	if (first == 0 || first == 127)
		return "in 0.0.0.0/8 or 127.0.0.0/8";
	if (first >= 224)
		return "multicast, reserved or broadcast";
	/* /31 and /32 subnets have no network or broadcast address (RFC 3021) */
	if (((addr ^ p->addr) & p->mask) == 0 && ntohl(p->mask) < 0xfffffffeu &&
	    ((addr & ~p->mask) == 0 || (addr & ~p->mask) == ~p->mask))
		return "the port subnet's network or broadcast address";
	if (addr == other->addr || extra_slot(other, addr) >= 0)
		return "an address of the other port";
	if (port != SPG_DP_PORT_VENDOR)
		return NULL;
	if (((addr ^ cfg->pool_addr) & spg_prefix_mask(cfg->pool_prefix_len)) == 0)
		return "inside the virtual pool";
	if (addr == cfg->shared_addr)
		return "the SP's address S (sp.shared_address)";
	if (addr == cfg->inner_addr || spg_nat_joiner_of_inner(cfg->inner_addr, addr, SPG_DP_MAX_JOINERS) != 0)
		return "one of the gateway's inner addresses G_in .. G_in+3";
	return NULL;
}

/* Sends the first gratuitous ARP for announcement slot k (0: the primary) now, the rest due later. */
static void announce(struct spg_dp *dp, unsigned int port, unsigned int k, uint32_t addr)
{
	struct spg_port *p = &dp->ports[port];

	spg_slow_path_garp(dp, port, addr);
	p->garp_left[k] = GARP_COUNT - 1;
	p->garp_next_tsc[k] = rte_get_tsc_cycles() + rte_get_tsc_hz() * GARP_INTERVAL_MS / 1000;
}

int spg_port_addr_add(struct spg_dp *dp, unsigned int port, uint32_t addr, const char **why)
{
	struct spg_port *p;
	int slot;

	if (port >= SPG_DP_N_PORTS) {
		*why = "no such port";
		return EINVAL;
	}
	p = &dp->ports[port];
	if (addr == p->addr) {
		__atomic_store_n(&p->primary_silent, false, __ATOMIC_RELEASE);
		announce(dp, port, 0, addr);
		return 0;
	}
	*why = addr_refused(dp, port, addr);
	if (*why != NULL)
		return EINVAL;
	slot = extra_slot(p, addr);
	if (slot < 0)
		slot = extra_slot(p, 0);
	if (slot < 0) {
		*why = "the port holds as many extra addresses as it may (" RTE_STR(SPG_DP_PORT_ADDRS_MAX) ")";
		return ENOSPC;
	}
	__atomic_store_n(&p->extra[slot], addr, __ATOMIC_RELEASE);
	announce(dp, port, 1 + (unsigned int)slot, addr);
	return 0;
}

/* Whether a session sends its ESP from addr (SP port): then addr must stay. */
static bool used_by_a_session(struct spg_dp *dp, uint32_t addr)
{
	uint32_t cursor = 0;
	struct spg_session *s;

	while ((s = spg_session_next(dp->sessions, &cursor)) != NULL) {
		uint32_t src = spg_session_ctl_of(dp->sessions, s)->outer_src;

		if ((src != 0 ? src : dp->ports[SPG_DP_PORT_SP].addr) == addr)
			return true;
	}
	return false;
}

int spg_port_addr_del(struct spg_dp *dp, unsigned int port, uint32_t addr, const char **why)
{
	struct spg_port *p;
	int slot = -1;

	if (port >= SPG_DP_N_PORTS) {
		*why = "no such port";
		return EINVAL;
	}
	p = &dp->ports[port];
	if (addr != p->addr)
		slot = addr != 0 ? extra_slot(p, addr) : -1;
	if (addr == p->addr ? p->primary_silent : slot < 0) {
		*why = addr == p->addr ? "its primary address is silenced already" : "the port does not hold it";
		return ENOENT;
	}
	if (port == SPG_DP_PORT_SP && used_by_a_session(dp, addr)) {
		*why = "sessions send their ESP from it (delete them first)";
		return EBUSY;
	}
	if (slot < 0) {
		__atomic_store_n(&p->primary_silent, true, __ATOMIC_RELEASE);
		p->garp_left[0] = 0;
	} else {
		__atomic_store_n(&p->extra[slot], 0, __ATOMIC_RELEASE);
		p->garp_left[1 + slot] = 0;
	}
	return 0;
}

uint32_t spg_port_addr_list(const struct spg_dp *dp, struct spg_dp_address_entry *e)
{
	uint32_t n = 0;

	for (unsigned int port = 0; port < SPG_DP_N_PORTS; port++) {
		const struct spg_port *p = &dp->ports[port];

		e[n++] = (struct spg_dp_address_entry){
			.port = (uint8_t)port, .primary = 1, .active = !p->primary_silent, .addr = p->addr };
		for (unsigned int i = 0; i < SPG_DP_PORT_ADDRS_MAX; i++)
			if (p->extra[i] != 0)
				e[n++] = (struct spg_dp_address_entry){
					.port = (uint8_t)port, .active = 1, .addr = p->extra[i] };
	}
	return n;
}

bool spg_port_addr_outer_src_ok(const struct spg_dp *dp, uint32_t outer_src)
{
	const struct spg_port *sp = &dp->ports[SPG_DP_PORT_SP];

	if (outer_src == 0)
		return !sp->primary_silent;
	return spg_port_owns(sp, outer_src);
}

unsigned int spg_port_addr_announce_due(struct spg_dp *dp, uint64_t now)
{
	uint64_t interval = rte_get_tsc_hz() * GARP_INTERVAL_MS / 1000;
	unsigned int sent = 0;

	for (unsigned int port = 0; port < SPG_DP_N_PORTS; port++) {
		struct spg_port *p = &dp->ports[port];

		for (unsigned int k = 0; k < 1 + SPG_DP_PORT_ADDRS_MAX; k++) {
			if (p->garp_left[k] == 0 || (int64_t)(now - p->garp_next_tsc[k]) < 0)
				continue;
			spg_slow_path_garp(dp, port, k == 0 ? p->addr : p->extra[k - 1]);
			p->garp_left[k]--;
			p->garp_next_tsc[k] = now + interval;
			sent++;
		}
	}
	return sent;
}

bool spg_port_addr_conflict(struct spg_dp *dp, unsigned int port, uint32_t sip, const struct rte_ether_addr *sha,
			    uint64_t now)
{
	struct spg_port *p = &dp->ports[port];
	char a[SPG_ADDR_STRLEN], mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint64_t n;

	if (!spg_port_owns(p, sip) || rte_is_same_ether_addr(sha, &p->mac))
		return false;
	n = __atomic_add_fetch(&p->addr_conflicts, 1, __ATOMIC_RELAXED);
	if (p->conflict_logged_tsc != 0 && now - p->conflict_logged_tsc < SPG_ADDR_CONFLICT_LOG_S * rte_get_tsc_hz())
		return true;
	rte_ether_format_addr(mac, sizeof(mac), sha);
	RTE_LOG(WARNING, USER1,
		"address conflict on the %s port: %s, which this spgate-dp holds, is claimed by %s "
		"in %" PRIu64 " ARP frame(s) since the last report: another host answers for it too\n",
		spg_port_name(port), spg_addr_str(sip, a), mac, n - p->conflicts_logged);
	p->conflict_logged_tsc = now;
	p->conflicts_logged = n;
	return true;
}
