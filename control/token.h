/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Login tokens, stateless: base64url(payload) "." base64url(HMAC-SHA256(key, payload)),
 * payload = {"j":"<32 hex: token id>","u":"alice","g":["storage-eu"],"iat":<unix s>,
 * "exp":<unix s>} (JSON). The key is 32 random bytes kept in <state_dir>/token.key (mode
 * 0600, created when missing), so tokens stay valid across a control-plane restart. Rotating
 * the key (deleting the file) invalidates every token. Tokens are revoked by id (logout) or
 * by user and issue time (an operator's user revoke) in the store: revocation.h.
 */
#ifndef SPG_TOKEN_H
#define SPG_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_KEY_LEN 32
#define TOKEN_MAX_LEN 4096 /* including the NUL; a token with 16 long groups fits */
#define TOKEN_NAME_MAX 64
#define TOKEN_MAX_GROUPS 16
#define TOKEN_ID_LEN 32 /* hex digits */

struct token_key;

struct token_claims {
	char id[TOKEN_ID_LEN + 1]; /* what a logout revokes */
	char user[TOKEN_NAME_MAX];
	char groups[TOKEN_MAX_GROUPS][TOKEN_NAME_MAX];
	unsigned n_groups;
	int64_t iat; /* issued, unix s */
	int64_t exp; /* expires, unix s */
	int64_t mfa_at;	 /* when the login's second factor was checked, unix s; 0: none */
	char mfa_factor[TOKEN_NAME_MAX]; /* which: "totp", "radius-challenge"; "" when none */
};

/*
 * Loads <state_dir>/token.key, creating it (0600, 32 bytes from RAND_bytes) when missing.
 * Refuses a key file of the wrong size or readable by group/others. NULL with errno set.
 */
struct token_key *token_key_load(const char *state_dir);

/* A key from raw bytes (tests, or a key kept elsewhere). NULL with errno set. */
struct token_key *token_key_from_bytes(const uint8_t key[TOKEN_KEY_LEN]);

void token_key_free(struct token_key *k);

/*
 * Issues a token for user with its groups, valid from now for ttl_s seconds, into out
 * (TOKEN_MAX_LEN is always enough). now is unix seconds (pass time(NULL)).
 * Returns 0; -EINVAL (empty/over-long user or group, n_groups too big, ttl_s 0);
 * -ENOSPC (outlen too small); -ENOMEM.
 */
int token_issue(const struct token_key *k, const char *user, const char groups[][TOKEN_NAME_MAX],
		unsigned n_groups, unsigned ttl_s, int64_t now, char *out, size_t outlen);

/*
 * As token_issue(), for a login that passed a second factor (factor, checked at mfa_at):
 * payload members "m" (mfa_at) and "f" (factor), signed with the rest, so a client cannot
 * claim a fresher factor than it passed (step-up at connect reads them). mfa_at 0 and factor
 * NULL issue a token without them, as token_issue().
 */
int token_issue_mfa(const struct token_key *k, const char *user,
		    const char groups[][TOKEN_NAME_MAX], unsigned n_groups, unsigned ttl_s,
		    int64_t now, int64_t mfa_at, const char *factor, char *out, size_t outlen);

/*
 * Checks a token's MAC (constant time) and expiry at now, and fills claims (may be NULL).
 * Returns 0; -EBADMSG malformed; -EKEYREJECTED bad MAC (tampered or another key);
 * -EKEYEXPIRED expired (exp <= now). The API maps all of them to "unauthorized".
 */
int token_verify(const struct token_key *k, const char *token, int64_t now,
		 struct token_claims *claims);

#endif
