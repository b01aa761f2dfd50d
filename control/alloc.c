/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allocation of lines, virtual addresses and SPIs. Each claim is written in one transaction
 * with the choice, and round-robin cursors live in the store's meta table, so choices
 * survive a restart and never repeat while something still uses them.
 *
 * A fleet (several hosts on one PostgreSQL store) must not hand out a line or an address
 * twice. Two guards: each allocation transaction first takes an advisory lock of its kind
 * (store_lock), so that the hosts pick one after the other and each sees the others'
 * committed claims and cursor (READ COMMITTED: a statement after the lock sees everything
 * committed before it); and unique partial indexes on live sessions' address and SPI
 * (migration 9), and a line claimed only by an UPDATE that finds it idle, make a claim that
 * slipped past the lock fail at the write instead of being handed out. A lock rather than SELECT ... FOR UPDATE SKIP LOCKED: the address is picked by
 * walking a pool for a free host, not by locking an existing row, and the shared cursor keeps
 * round-robin order; the critical section is a few statements long. SPIs are random in 2^32
 * and checked against live sessions: the unique index catches the rare collision between
 * hosts, which fails that session's keying rather than sharing an SPI.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "addr.h"
#include "alloc.h"

#define LINE_CURSOR "alloc.line_cursor"
#define ADDRESS_CURSOR "alloc.address_cursor"
#define POOL_PREFIX_MIN 8
#define POOL_PREFIX_MAX 30
#define SPI_MIN 256 /* RFC 4303: 1..255 are reserved by IANA */
#define SPI_TRIES 64

/* Line tiers, in the order they are tried. */
enum tier { TIER_DEDICATED = 1, TIER_REGION = 2, TIER_ANY_SHARED = 3 };

/*
 * The first idle line of tier after the cursor (wrapping): ordering by (id <= cursor)
 * puts the ids after the cursor first. 0, -ENOENT or -errno.
 */
static int pick_line(struct store *st, const struct store_system *sys, enum tier tier,
		     const char *cursor, char *id, size_t idlen)
{
	db_stmt *q = store_stmt(
		st, "SELECT l.id FROM lines l LEFT JOIN customers c ON c.id = l.customer_id "
		    "WHERE l.state = 'idle' AND l.type = ?1 AND CASE ?2 "
		    "WHEN 1 THEN c.name = ?3 "
		    "WHEN 2 THEN l.customer_id IS NULL AND l.region = ?4 "
		    "ELSE l.customer_id IS NULL END "
		    "ORDER BY (l.id <= ?5), l.id LIMIT 1");
	int rc;

	if (q == NULL)
		return -EIO;
	db_bind_text(q, 1, store_connect_name(sys->connect), -1, DB_STATIC);
	db_bind_int(q, 2, tier);
	db_bind_text(q, 3, sys->customer, -1, DB_STATIC);
	db_bind_text(q, 4, sys->region, -1, DB_STATIC);
	db_bind_text(q, 5, cursor, -1, DB_STATIC);
	rc = store_step_row(st, q);
	if (rc < 0)
		return rc;
	store_column_copy(id, idlen, q, 0);
	db_reset(q);
	return 0;
}

static int claim_line(struct store *st, const char *id, int64_t session_id,
		      struct store_line *line)
{
	int rc;

	rc = store_line_claim(st, id, session_id);
	if (rc == 0)
		rc = store_session_set_line(st, session_id, id, 0);
	if (rc == 0)
		rc = store_meta_set(st, LINE_CURSOR, id);
	if (rc == 0)
		rc = store_line_get(st, id, line);
	return rc;
}

int alloc_line(struct store *st, const char *serial, int64_t session_id, struct store_line *line)
{
	static const enum tier tiers[] = { TIER_DEDICATED, TIER_REGION, TIER_ANY_SHARED };
	char cursor[STORE_NAME_MAX] = "", id[STORE_NAME_MAX];
	struct store_system sys;
	size_t i;
	int rc;

	rc = store_system_get(st, serial, &sys);
	if (rc < 0)
		return rc;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = store_lock(st, STORE_LOCK_ALLOC_LINE);
	if (rc == 0)
		rc = store_meta_get(st, LINE_CURSOR, cursor, sizeof(cursor));
	if (rc == -ENOENT)
		rc = 0;
	for (i = 0; rc == 0 && i < sizeof(tiers) / sizeof(tiers[0]); i++) {
		rc = pick_line(st, &sys, tiers[i], cursor, id, sizeof(id));
		if (rc != -ENOENT)
			break;
		rc = 0;
	}
	if (rc == 0 && i == sizeof(tiers) / sizeof(tiers[0]))
		rc = -ENOSPC;
	if (rc == 0)
		rc = claim_line(st, id, session_id, line);
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	return store_commit(st);
}

int alloc_line_release(struct store *st, const char *line_id)
{
	struct store_line l;
	int rc;

	rc = store_line_get(st, line_id, &l);
	if (rc < 0)
		return rc;
	/* An operator's "disabled" and the line module's "failed" outlast the session. */
	return store_line_set_state(st, line_id,
				    l.state == STORE_LINE_DISABLED || l.state == STORE_LINE_FAILED ? l.state
												 : STORE_LINE_IDLE,
				    0);
}

/* 1 when the address at host order h may be handed out at now, 0 if not, or -errno. */
static int address_free(struct store *st, uint32_t h, int64_t now)
{
	uint32_t addr = htonl(h);
	int rc;

	rc = store_session_address_in_use(st, addr);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	rc = store_holdback_active(st, addr, now);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return 1;
}

/* The host offset last handed out (1..hosts), or 0 to start at the pool's beginning. */
static uint32_t address_cursor(struct store *st, uint32_t hosts)
{
	char buf[32], *end;
	unsigned long v;

	if (store_meta_get(st, ADDRESS_CURSOR, buf, sizeof(buf)) < 0)
		return 0;
	v = strtoul(buf, &end, 10);
	return *end == '\0' && v <= hosts ? (uint32_t)v : 0;
}

/* Walks the pool from after the cursor, once round; *offset gets the first free host. */
static int find_address(struct store *st, uint32_t net, uint32_t hosts, int64_t now,
			uint32_t *offset)
{
	uint32_t off = address_cursor(st, hosts), i;
	int rc;

	for (i = 0; i < hosts; i++) {
		off = off % hosts + 1; /* 1..hosts: never the network (0) or broadcast */
		rc = address_free(st, net + off, now);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			*offset = off;
			return 0;
		}
	}
	return -ENOSPC;
}

int alloc_virtual_address(struct store *st, int64_t session_id, uint32_t pool_addr,
			  uint8_t pool_prefix, int64_t now, uint32_t *addr)
{
	uint32_t net, hosts, off = 0;
	char buf[16];
	int rc;

	if (pool_prefix < POOL_PREFIX_MIN || pool_prefix > POOL_PREFIX_MAX)
		return -EINVAL;
	net = ntohl(pool_addr & spg_prefix_mask(pool_prefix));
	hosts = (1u << (32 - pool_prefix)) - 2;
	rc = store_begin(st);
	if (rc < 0)
		return rc;
	rc = store_lock(st, STORE_LOCK_ALLOC_ADDRESS);
	if (rc == 0)
		store_holdback_prune(st, now);
	if (rc == 0)
		rc = find_address(st, net, hosts, now, &off);
	if (rc == 0)
		rc = store_session_set_address(st, session_id, htonl(net + off), now);
	if (rc == 0) {
		snprintf(buf, sizeof(buf), "%u", off);
		rc = store_meta_set(st, ADDRESS_CURSOR, buf);
	}
	if (rc < 0) {
		store_rollback(st);
		return rc;
	}
	rc = store_commit(st);
	if (rc == 0)
		*addr = htonl(net + off);
	return rc;
}

int alloc_release_address(struct store *st, uint32_t addr, int64_t now, uint32_t holdback)
{
	if (addr == 0)
		return -EINVAL;
	if (holdback == 0)
		return 0;
	return store_holdback_put(st, addr, now + holdback);
}

int alloc_spi(struct store *st, uint32_t *spi)
{
	uint32_t v;
	int i, rc;

	for (i = 0; i < SPI_TRIES; i++) {
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			return -errno;
		if (v < SPI_MIN)
			continue;
		rc = store_session_spi_in_use(st, v);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			*spi = v;
			return 0;
		}
	}
	/* 64 collisions in a 32-bit space means something else is wrong. */
	return -EAGAIN;
}

int alloc_holder(struct store *st, const char *serial, struct alloc_holder *h)
{
	struct store_session s;
	int rc;

	rc = store_session_live_for_serial(st, serial, &s);
	if (rc <= 0)
		return rc;
	memset(h, 0, sizeof(*h));
	h->session = s.id;
	snprintf(h->user, sizeof(h->user), "%s", s.user);
	h->workstation = s.workstation;
	h->since = s.created;
	return 1;
}
