/* SPDX-License-Identifier: BSD-3-Clause */
/* Users' TOTP factors in the store (migration 6): rows of sealed secrets, see auth/mfa.h. */
#ifndef SPG_MFA_STORE_H
#define SPG_MFA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define STORE_MFA_SECRET_MAX 128 /* sealed bytes */

struct store_mfa_factor {
	char user[64];
	char algorithm[8]; /* "SHA1", "SHA256" */
	unsigned digits;
	uint8_t secret[STORE_MFA_SECRET_MAX];
	size_t secret_len;
	bool confirmed;
	int64_t last_step;
	int64_t created;
};

/* user's factor (names compare without case); 0, -ENOENT, -errno. */
int store_mfa_get(struct store *st, const char *user, struct store_mfa_factor *f);

/* Writes a new, unconfirmed factor, replacing an unconfirmed one; -EEXIST when confirmed. */
int store_mfa_put_pending(struct store *st, const struct store_mfa_factor *f);

/* Marks user's factor confirmed with step as its last step; -ENOENT when none pending. */
int store_mfa_confirm(struct store *st, const char *user, int64_t step, int64_t now);

/*
 * Moves user's last step forward to step, only if it is still before step: -EALREADY when
 * it is not (the code was used, perhaps at the same moment by another login), -ENOENT when
 * there is no confirmed factor. This is the single-use guarantee.
 */
int store_mfa_use_step(struct store *st, const char *user, int64_t step);

/* Deletes user's factor; -ENOENT when there is none. */
int store_mfa_delete(struct store *st, const char *user);

#endif
