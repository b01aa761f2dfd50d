/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TOTP secrets encrypted at rest (issue 16): AES-256-GCM under a 32-byte key kept in
 * <state_dir>/mfa.key (mode 0600, created on first use; a key file that group or others may
 * read is refused). A copy of the store alone (a backup, a support bundle) gives no secret.
 * The user name is the additional authenticated data: a sealed secret moved to another
 * user's row does not open.
 *
 * Sealed: nonce (12 random bytes) | ciphertext | tag (16 bytes).
 */
#ifndef SPG_AUTH_MFA_SEAL_H
#define SPG_AUTH_MFA_SEAL_H

#include <stddef.h>
#include <stdint.h>

#define MFA_KEY_LEN 32
#define MFA_SEAL_OVERHEAD (12 + 16)

struct mfa_seal;

/* Loads or creates <state_dir>/mfa.key. NULL with errno set (EPERM: mode; EINVAL: size). */
struct mfa_seal *mfa_seal_load(const char *state_dir);
struct mfa_seal *mfa_seal_from_bytes(const uint8_t key[MFA_KEY_LEN]);
void mfa_seal_free(struct mfa_seal *s);

/* Seals len bytes for user into out (len + MFA_SEAL_OVERHEAD bytes). 0, -EINVAL, -EIO. */
int mfa_seal(const struct mfa_seal *s, const char *user, const uint8_t *in, size_t len,
	     uint8_t *out, size_t outlen);

/*
 * Opens what mfa_seal() sealed for user. Returns the plaintext length; -EBADMSG when it does
 * not open (changed, another key, another user); -EINVAL for bad sizes.
 */
int mfa_open(const struct mfa_seal *s, const char *user, const uint8_t *in, size_t len,
	     uint8_t *out, size_t outlen);

#endif
