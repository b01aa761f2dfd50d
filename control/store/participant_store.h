/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Participant rows (issue 15, join): an engineer who asked to join someone else's session,
 * from the request to its end. A session's holder has no row (the session row is theirs);
 * each joiner has one row per request: pending while the holder (and, under the customer's
 * `ask` policy, the customer's approvers) decide, then accepted (with a slot 1..3, the
 * dataplane's G_in + slot), or refused, expired, removed, left or ended with the session.
 * At most one row per (session, engineer) is live (pending or accepted).
 * Calls return 0 or -errno (-ENOENT: no such row, -EEXIST: a live row exists, -EIO: SQLite).
 */
#ifndef SPG_PARTICIPANT_STORE_H
#define SPG_PARTICIPANT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/session_store.h"
#include "store/store.h"

enum store_part_state {
	STORE_PART_PENDING,  /* waiting for the holder (and the customer's approvers) */
	STORE_PART_ACCEPTED, /* in the session, in slot `slot` */
	STORE_PART_REFUSED,  /* the holder, an approver or spgate-dp said no (reason says) */
	STORE_PART_EXPIRED,  /* nobody decided before the deadline */
	STORE_PART_REMOVED,  /* the holder or an operator took them out */
	STORE_PART_LEFT,     /* the joiner left (or withdrew the request) */
	STORE_PART_ENDED,    /* the session ended */
};

/* One side's say on a request. */
enum store_part_vote {
	STORE_VOTE_NOT_NEEDED, /* the customer's policy is auto: only the holder decides */
	STORE_VOTE_PENDING,
	STORE_VOTE_YES,
	STORE_VOTE_NO,
};

struct store_participant {
	int64_t id;
	int64_t session_id;
	char engineer[STORE_NAME_MAX];
	uint32_t workstation;          /* W_j, network order */
	unsigned slot;                 /* 1..SPG_DP_MAX_JOINERS while accepted; 0 otherwise */
	enum store_part_state state;
	char request_reason[STORE_REASON_MAX]; /* join --reason */
	char ticket[STORE_NAME_MAX];           /* join --ticket, "T42" or "" */
	enum store_part_vote holder_vote;
	enum store_part_vote customer_vote;
	char customer_by[STORE_NAME_MAX];      /* the customer's approver who decided; "" */
	char decided_by[STORE_NAME_MAX];       /* who made it final (accepted/refused/removed); "" */
	char reason[STORE_REASON_MAX];         /* why it ended or was refused; "" */
	int64_t requested, deadline, decided, ended; /* 0: not (yet) */
};

/* Which rows store_participant_foreach visits (oldest first). */
struct store_participant_filter {
	int64_t session_id;   /* 0: any */
	const char *engineer; /* NULL: any */
	bool live_only;       /* pending and accepted only */
};

/* Migration 8 (migrations.c lists it): the participants table. */
extern const char store_participant_schema[];

const char *store_part_state_name(enum store_part_state s);
int store_part_state_parse(const char *s, enum store_part_state *out);
const char *store_part_vote_name(enum store_part_vote v);
int store_part_vote_parse(const char *s, enum store_part_vote *out);
/* pending or accepted */
bool store_part_state_live(enum store_part_state s);

/* Inserts p (id ignored) and sets p->id; -EEXIST when the engineer has a live row there. */
int store_participant_create(struct store *st, struct store_participant *p);
/* Writes every field of p->id but session_id, engineer, requested. */
int store_participant_update(struct store *st, const struct store_participant *p);
/* The live row of engineer in session_id: 0, or -ENOENT when there is none. */
int store_participant_live(struct store *st, int64_t session_id, const char *engineer,
			   struct store_participant *p);
/* The newest row of engineer in session_id (live or not): 0 or -ENOENT. */
int store_participant_latest(struct store *st, int64_t session_id, const char *engineer,
			     struct store_participant *p);
int store_participant_foreach(struct store *st, const struct store_participant_filter *f,
			      int (*fn)(const struct store_participant *p, void *arg), void *arg);
/* Pending rows whose deadline is at or before t, oldest first. */
int store_participant_foreach_due(struct store *st, int64_t t,
				  int (*fn)(const struct store_participant *p, void *arg), void *arg);

#endif
