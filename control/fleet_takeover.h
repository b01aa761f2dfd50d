/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Failover in the gateway fleet (issue 14 item 5). Every second a host whose own lease is
 * fresh looks for hosts whose lease expired and that still own live sessions or hold service
 * addresses; it takes each in one store transaction (store_gateway_take: only one survivor
 * wins, the dead row's generation is fenced), then makes its spgate-dp hold the dead host's
 * vendor-side and SP-side addresses (gratuitous ARP moves them, as VRRP moves a service
 * address) and takes the sessions (session_mgr_take: re-attach, rekey, install).
 *
 * A host whose lease was taken (fenced) drops its sessions without ending them. A host whose
 * own addresses another host holds stands by: its spgate-dp keeps them silent, it serves the
 * API but no connect, and it takes nothing back; it gets its addresses again only by taking
 * over their holder. With a SQLite store the fleet is one host: nothing here runs.
 */
#ifndef SPG_FLEET_TAKEOVER_H
#define SPG_FLEET_TAKEOVER_H

#include <stdint.h>

#include <event2/event.h>

#include "audit.h"
#include "dp_prog.h"
#include "fleet.h"
#include "session.h"
#include "store/store.h"

struct fleet_takeover_env {
	struct event_base *base;
	struct store *st;
	struct fleet *fleet;
	struct session_mgr *sessions;
	struct audit *audit; /* may be NULL */
	/* spgate-dp: its HELLO while up (NULL while not), and the ADDRESS message (dpp_address) */
	const struct dpp_hello *(*dp_hello)(void *arg);
	int (*dp_address)(void *arg, uint8_t op, uint8_t port, uint32_t addr);
	void *dp_arg;
	int64_t (*now)(void); /* unix seconds; NULL: time() */
};

struct fleet_takeover;

/* Starts watching the fleet (PostgreSQL only) and registers for fencing. NULL: out of memory. */
struct fleet_takeover *fleet_takeover_start(const struct fleet_takeover_env *env);
void fleet_takeover_stop(struct fleet_takeover *t);
/*
 * spgate-dp answered HELLO (again): publishes this host's addresses and makes the dataplane's
 * addresses what the store says (its own active unless another host holds them; those it
 * holds for dead hosts added).
 */
void fleet_takeover_dp_up(struct fleet_takeover *t);
/* "" while this host serves connects; else the id of the host that holds its addresses. */
const char *fleet_takeover_standby(const struct fleet_takeover *t);
/* One round of the watch now (tests; the timer calls it every second). */
void fleet_takeover_watch(struct fleet_takeover *t);

#endif
