/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allocation of what a session needs: a line, a virtual address (V_i), an inbound SPI; and
 * the answer to "who already holds this system?" (seed step 313). Every claim is written to
 * the store at once, so two requests can never get the same line, address or SPI.
 * Session ids are the store's: store_session_create assigns them (monotonic, never reused).
 */
#ifndef SPG_ALLOC_H
#define SPG_ALLOC_H

#include <stdint.h>

#include "store/inventory_store.h"
#include "store/session_store.h"
#include "store/store.h"

/* Who holds a system, for the "busy" answer. */
struct alloc_holder {
	int64_t session;
	char user[STORE_NAME_MAX];
	uint32_t workstation;
	int64_t since; /* the session's created time */
};

/*
 * Picks a free (idle) line of the system's connect type for session_id: first one dedicated
 * to the system's customer, then a shared one in the system's region, then any shared one;
 * round robin within each tier. Marks it dialing with the session, records it in the
 * session's row and copies it to *line. -ENOENT: no such system; -ENOSPC: no free line.
 */
int alloc_line(struct store *st, const char *serial, int64_t session_id, struct store_line *line);

/* Returns a line to idle and detaches its session (a disabled or failed line stays so). */
int alloc_line_release(struct store *st, const char *line_id);

/*
 * Picks a virtual address in pool_addr/pool_prefix for session_id and records it in the
 * session's row: never the network or broadcast address, never one a live session uses,
 * never one held back at now. Addresses are handed out in turn, not lowest first, so a
 * released one is reused as late as possible. -ENOSPC when the pool is exhausted.
 */
int alloc_virtual_address(struct store *st, int64_t session_id, uint32_t pool_addr,
			  uint8_t pool_prefix, int64_t now, uint32_t *addr);

/* Holds addr back for holdback seconds from now (call when its session ends). */
int alloc_release_address(struct store *st, uint32_t addr, int64_t now, uint32_t holdback);

/*
 * A random SPI >= 256 that no live session has as spi_in (the caller stores it in the
 * session, e.g. with store_session_update, before asking for another). 0 or -errno.
 */
int alloc_spi(struct store *st, uint32_t *spi);

/* If a live session holds serial: 1 and *h filled; 0 if none; or -errno. */
int alloc_holder(struct store *st, const char *serial, struct alloc_holder *h);

#endif
