/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Revoked login tokens (issue 12, finding 8): by token id (logout), kept until the token
 * would have expired, and by user (an operator's user revoke: every token issued at or
 * before a time). Both live in the store, so they survive a restart of spgate-control.
 */
#ifndef SPG_TOKEN_STORE_H
#define SPG_TOKEN_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* Revokes token id of user, which expires at expires; drops rows of tokens expired by now. */
int store_token_revoke(struct store *st, const char *id, const char *user, int64_t expires, int64_t now);

/* Revokes every token of user issued at or before before. */
int store_user_revoke(struct store *st, const char *user, int64_t before);

/*
 * Whether a token (id, user, issued at iat) was revoked. 1 revoked, 0 not, -errno when
 * the store cannot tell (the caller refuses the token then: fail closed).
 */
int store_token_revoked(struct store *st, const char *id, const char *user, int64_t iat);

#endif
