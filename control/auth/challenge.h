/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Logins waiting for their second factor (issue 16). A login whose first factor passed, but
 * that must still answer a RADIUS Access-Challenge or give a TOTP code, is parked here under
 * an opaque id (128 random bits) that the engineer's client sends back with the answer.
 *
 * What the attacker cannot do with an id: use it twice (taking it removes it, whatever the
 * answer), use it late (it lives CHALLENGE_TTL_S), use it for another user or from another
 * address (bound to both; a mismatch consumes it too), or learn the RADIUS State (kept here,
 * never sent to the client). Loop thread only.
 */
#ifndef SPG_AUTH_CHALLENGE_H
#define SPG_AUTH_CHALLENGE_H

#include <stdint.h>

#include "auth/auth.h"

#define CHALLENGE_ID_LEN 32 /* hex digits */
#define CHALLENGE_TTL_S 120 /* time to read a token and type its code */
#define CHALLENGE_MAX 256   /* parked at once; more is a flood: refused */

enum challenge_kind {
	CHALLENGE_RADIUS, /* answer goes to the RADIUS server with the State */
	CHALLENGE_TOTP,	  /* answer is checked against the user's TOTP secret */
};

struct challenge {
	enum challenge_kind kind;
	char user[AUTH_NAME_MAX];
	char source[64];
	int64_t expires;
	unsigned round;		       /* RADIUS rounds answered before this one */
	struct auth_challenge radius;  /* CHALLENGE_RADIUS */
	/* CHALLENGE_TOTP: the first factor's outcome, for the token once the code is right */
	char groups[AUTH_MAX_GROUPS][AUTH_NAME_MAX];
	unsigned n_groups;
	char method[16]; /* "local" or "radius" */
};

struct challenge_table;

struct challenge_table *challenge_table_new(void);
void challenge_table_free(struct challenge_table *t);

/*
 * Parks c (expires is set to now + CHALLENGE_TTL_S) and writes its id. Returns 0; -EBUSY
 * when CHALLENGE_MAX are parked and none has expired; -EIO when no random bytes.
 */
int challenge_put(struct challenge_table *t, int64_t now, const struct challenge *c,
		  char id[CHALLENGE_ID_LEN + 1]);

/*
 * Takes the challenge id out of the table into out. Returns 0; -ENOENT when there is none
 * (never was, answered already, expired); -EPERM when it belongs to another user or source
 * (it is gone all the same: whoever holds a stolen id gets one try, not a second).
 */
int challenge_take(struct challenge_table *t, int64_t now, const char *id, const char *user,
		   const char *source, struct challenge *out);

#endif
