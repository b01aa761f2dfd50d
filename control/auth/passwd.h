/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Password hashing for the local store: scrypt (memory-hard) from OpenSSL, encoded as
 *   $scrypt$ln=<log2 N>,r=<r>,p=<p>$<base64 salt>$<base64 hash>
 * (standard base64 without padding). Verification takes the parameters from the string,
 * within bounds, so stored hashes keep working when the defaults are raised later.
 */
#ifndef SPG_PASSWD_H
#define SPG_PASSWD_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWD_HASH_MAX 128 /* an encoded hash with the default parameters fits, with the NUL */

/* Hashes pw with a fresh random salt into out. Returns 0, -EINVAL, -ENOSPC, -EIO (OpenSSL). */
int passwd_hash(const char *pw, char *out, size_t outlen);

/*
 * True when pw matches encoded (constant-time comparison of the derived hashes). False for a
 * wrong password and for an encoded string that is malformed or has parameters out of bounds.
 */
bool passwd_verify(const char *pw, const char *encoded);

/*
 * Runs one verification against a fixed dummy hash and returns false, so that "no such user"
 * costs the same time as "wrong password".
 */
bool passwd_verify_dummy(const char *pw);

#endif
