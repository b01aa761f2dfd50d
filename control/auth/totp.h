/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA1 or HMAC-SHA256,
 * 30 s steps, 6 or 8 digits. Pure functions: the caller keeps the secret and the last step
 * accepted (codes are single-use: a code is accepted only for a step after that one).
 */
#ifndef SPG_AUTH_TOTP_H
#define SPG_AUTH_TOTP_H

#include <stddef.h>
#include <stdint.h>

#define TOTP_STEP_S 30
#define TOTP_WINDOW 1 /* steps accepted either side of now: clocks drift, people type slowly */
#define TOTP_MAX_DIGITS 8
#define TOTP_SECRET_LEN 20 /* bytes of a new secret (RFC 4226 §4 recommends 160 bits) */
#define TOTP_BASE32_MAX 64 /* base32 text of a secret up to 32 bytes, with its NUL */

enum totp_alg {
	TOTP_SHA1,
	TOTP_SHA256,
};

/* "SHA1", "SHA256" (the otpauth:// URI's algorithm names) and back (-EINVAL otherwise). */
const char *totp_alg_name(enum totp_alg alg);
int totp_alg_parse(const char *name, enum totp_alg *alg);

/* The code for step counter, digits long with leading zeros, into out. 0, -EINVAL, -EIO. */
int totp_code(const uint8_t *key, size_t keylen, enum totp_alg alg, uint64_t counter,
	      unsigned digits, char out[TOTP_MAX_DIGITS + 1]);

/*
 * Checks code at unix time now: it must be the code of a step within TOTP_WINDOW of now's and
 * later than last_step (the last step accepted for this secret; -1 for none). Every candidate
 * is computed and compared in constant time, so the time taken does not tell which step
 * matched or how close a guess was. Returns the step matched (>= 0), -EKEYREJECTED when
 * none, -EINVAL for a code that is not digits digits.
 */
int64_t totp_check(const uint8_t *key, size_t keylen, enum totp_alg alg, unsigned digits,
		   int64_t now, const char *code, int64_t last_step);

/* RFC 4648 base32 without padding (what authenticator apps read). -ENOSPC when too small. */
int totp_base32(const uint8_t *data, size_t len, char *out, size_t outlen);

#endif
