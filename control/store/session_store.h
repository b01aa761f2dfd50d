/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session rows (they survive restarts: the daemon reloads the live ones at start),
 * approval rows and address hold-backs. Calls return 0 or -errno (-ENOENT: no such row,
 * -EIO: SQLite); *_foreach stops at, and returns, the first non-zero return of fn.
 * Addresses are IPv4 in network byte order (as in common/addr.h), 0 meaning none.
 */
#ifndef SPG_SESSION_STORE_H
#define SPG_SESSION_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/inventory_store.h"
#include "store/store.h"

#define STORE_REASON_MAX 256
#define STORE_GRANT_MAX 4096 /* the grant's JSON bytes */
#define STORE_SIG_MAX 64     /* an Ed25519 signature */

/* The lifecycle of docs/control-plane.md §2; closed and failed are final. */
enum store_session_state {
	STORE_SESSION_REQUESTED,
	STORE_SESSION_AUTHORIZED,
	STORE_SESSION_AWAITING_APPROVAL,
	STORE_SESSION_DIALING,
	STORE_SESSION_SP_AUTH,
	STORE_SESSION_KEYED,
	STORE_SESSION_ACTIVE,
	STORE_SESSION_CLOSING,
	STORE_SESSION_CLOSED,
	STORE_SESSION_FAILED,
};

/* Traffic as last read from spgate-dp. */
struct store_session_counters {
	uint64_t out_packets, in_packets, out_bytes, in_bytes, drops;
	int64_t last_activity; /* when a counter last grew (idle timeout); 0 never */
};

struct store_session {
	int64_t id;                      /* set by store_session_create: 1, 2, ... never reused */
	char serial[STORE_SERIAL_MAX];
	char customer[STORE_NAME_MAX];   /* read only: from the system's row */
	char user[STORE_NAME_MAX];
	uint32_t workstation;
	enum store_session_state state;
	char reason[STORE_REASON_MAX];   /* why it failed or closed; "" */
	char line_id[STORE_NAME_MAX];    /* "" none */
	uint32_t virtual_address;        /* V_i */
	uint32_t spi_in;                 /* the gateway's inbound SPI */
	uint32_t spi_out;                /* the agent's inbound SPI */
	uint32_t sp_address;             /* S as the agent reported it */
	uint64_t speed_bps;              /* 0: unlimited */
	unsigned char grant[STORE_GRANT_MAX];
	size_t grant_len;
	unsigned char grant_sig[STORE_SIG_MAX];
	size_t grant_sig_len;
	uint32_t agent_address;          /* where the agent was reached */
	uint16_t agent_port;             /* host order */
	uint32_t generation;             /* key generation: 0 at open, +1 per rekey */
	int64_t created, updated, closed; /* closed: 0 while not closed or failed */
	struct store_session_counters counters;
	/* set at create only: what the engineer said (connect --reason, --ticket) */
	char request_reason[STORE_REASON_MAX];
	char ticket[STORE_NAME_MAX];       /* "T42", or "" */
	bool recorded;                     /* read only: a recording of it was started */
	/* the gateway host owning it: set at create from store_set_gateway_id(); "" before 9 */
	char owner_gateway[STORE_NAME_MAX];
};

/* Which sessions store_session_foreach visits. */
struct store_session_filter {
	const char *user;   /* only this user's; NULL: everybody's */
	const char *serial; /* only to this system; NULL: any */
	bool live_only;     /* skip closed and failed ones */
	int64_t since;      /* only those updated at or after; 0: any */
	unsigned limit;     /* at most this many, newest first; 0: no limit */
	const char *owner;  /* only those this gateway host owns; NULL: any host's */
};

enum store_approval_decision {
	STORE_APPROVAL_PENDING,
	STORE_APPROVAL_APPROVED,
	STORE_APPROVAL_DENIED,
	STORE_APPROVAL_EXPIRED,
};

struct store_approval {
	int64_t session_id;
	int64_t deadline;
	enum store_approval_decision decision;
	char decided_by[STORE_NAME_MAX]; /* "" while pending or expired */
	int64_t decided_at;              /* 0 while pending */
};

/* "requested", "awaiting_approval", "sp_auth", ... as in the contract; "?" if out of range. */
const char *store_session_state_name(enum store_session_state s);
/* The inverse of store_session_state_name; 0 or -EINVAL. */
int store_session_state_parse(const char *s, enum store_session_state *out);
/* True for every state but closed and failed. */
bool store_session_state_live(enum store_session_state s);
/* "pending" | "approved" | "denied" | "expired"; parse returns 0 or -EINVAL. */
const char *store_approval_decision_name(enum store_approval_decision d);
int store_approval_decision_parse(const char *s, enum store_approval_decision *out);

/* Inserts s (every field as given, id ignored) and sets s->id; -ENOENT: unknown serial. */
int store_session_create(struct store *st, struct store_session *s);
/* Reads session id (customer filled from the system). */
int store_session_get(struct store *st, int64_t id, struct store_session *s);
/*
 * Writes every field of s but id, serial, user and created. This and store_session_set_state
 * are fenced on PostgreSQL: -ENOENT when another gateway host owns the row now.
 */
int store_session_update(struct store *st, const struct store_session *s);
/* Sets state and reason (NULL keeps it) and updated = now; final states also set closed. */
int store_session_set_state(struct store *st, int64_t id, enum store_session_state state,
			    const char *reason, int64_t now);
/* Stores the traffic counters and updated = now. */
int store_session_set_counters(struct store *st, int64_t id,
			       const struct store_session_counters *c, int64_t now);
/* Records the session's line ("" or NULL: none) and updated = now (0: keeps updated). */
int store_session_set_line(struct store *st, int64_t id, const char *line_id, int64_t now);
/* Records the session's virtual address (0: none) and updated = now (0: keeps it). */
int store_session_set_address(struct store *st, int64_t id, uint32_t addr, int64_t now);
/* Calls fn for each session f selects (NULL: all), newest first. */
int store_session_foreach(struct store *st, const struct store_session_filter *f,
			  int (*fn)(const struct store_session *s, void *arg), void *arg);
/* The live session to serial, if any: 1 (s filled), 0 none, or -errno. */
int store_session_live_for_serial(struct store *st, const char *serial,
				  struct store_session *s);
/* 1 when a live session uses virtual address addr, 0 if none, or -errno. */
int store_session_address_in_use(struct store *st, uint32_t addr);
/* 1 when a live session has spi as its spi_in, 0 if none, or -errno. */
int store_session_spi_in_use(struct store *st, uint32_t spi);

/* Inserts a pending approval for session_id; -EEXIST if it has one. */
int store_approval_insert(struct store *st, int64_t session_id, int64_t deadline);
/* Reads the approval of session_id. */
int store_approval_get(struct store *st, int64_t session_id, struct store_approval *a);
/* Decides a pending approval; -EALREADY if it is no longer pending. */
int store_approval_decide(struct store *st, int64_t session_id,
			  enum store_approval_decision decision, const char *by, int64_t now);
/* Calls fn for each pending approval whose deadline is at or before t, oldest first. */
int store_approval_foreach_due(struct store *st, int64_t t,
			       int (*fn)(const struct store_approval *a, void *arg), void *arg);
/* The earliest deadline of a pending approval: 1 (*deadline set), 0 none, or -errno. */
int store_approval_next_deadline(struct store *st, int64_t *deadline);

/* Holds addr back until the given time (a later hold replaces an earlier one). */
int store_holdback_put(struct store *st, uint32_t addr, int64_t until);
/* 1 when addr is held back at now, 0 if not, or -errno. */
int store_holdback_active(struct store *st, uint32_t addr, int64_t now);
/* Forgets hold-backs that ended before now. */
int store_holdback_prune(struct store *st, int64_t now);

#endif
