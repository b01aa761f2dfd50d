/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engineers' TOTP factors (issue 16): enrolment, confirmation, checking codes at login and
 * step-up, and operators' resets. Secrets are generated here (RAND_bytes), sealed
 * (mfa_seal.h) before they reach the store, and opened only to check a code.
 *
 * Enrolment: mfa_enroll() makes a pending secret and its otpauth:// URI; mfa_confirm() with
 * a right code makes it the user's factor. An engineer cannot replace a confirmed factor
 * (whoever holds a stolen password would otherwise enrol their own phone): only an operator's
 * mfa_reset() removes it. Loop thread only (it uses the store).
 */
#ifndef SPG_AUTH_MFA_H
#define SPG_AUTH_MFA_H

#include <stddef.h>
#include <stdint.h>

#include "auth/totp.h"
#include "store/store.h"

#define MFA_URI_MAX 512
#define MFA_ISSUER "spgate"
#define MFA_DIGITS 6

struct mfa;

/* Over the store, with the sealing key of state_dir (mfa_seal_load). NULL with errno set. */
struct mfa *mfa_create(struct store *st, const char *state_dir);
/* The same with a given sealing key (tests). */
struct mfa *mfa_create_with_key(struct store *st, const uint8_t key[32]);
void mfa_free(struct mfa *m);

/* 1 when user has a confirmed factor, 0 when not, -errno when the store cannot tell. */
int mfa_enrolled(struct mfa *m, const char *user);

/*
 * A new pending secret for user (replacing a pending one), its otpauth:// URI into uri and
 * its base32 text into secret_b32 (for typing it in). 0; -EEXIST when user has a confirmed
 * factor; -errno.
 */
int mfa_enroll(struct mfa *m, const char *user, enum totp_alg alg, int64_t now, char *uri,
	       size_t urilen, char secret_b32[TOTP_BASE32_MAX]);

/* Confirms user's pending secret with a code of it. 0; -ENOENT none pending;
 * -EKEYREJECTED wrong code; -EINVAL not a code; -errno. */
int mfa_confirm(struct mfa *m, const char *user, const char *code, int64_t now);

/*
 * Checks a code of user's confirmed factor, once: the code's step is recorded, and a code
 * of that step or an earlier one is refused from then on. 0; -ENOENT no confirmed factor;
 * -EKEYREJECTED wrong, replayed or expired code (never told apart); -EINVAL not a code.
 */
int mfa_check(struct mfa *m, const char *user, const char *code, int64_t now);

/* Removes user's factor, confirmed or pending. 0; -ENOENT none. */
int mfa_reset(struct mfa *m, const char *user);

#endif
