/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Base64 without padding into caller buffers, in the two alphabets spgate-control stores:
 * standard (RFC 4648 §4, password hashes) and URL-safe (§5, login tokens).
 * (common/grant.h has a padded, malloc'ing variant for the wire format of grants.)
 */
#ifndef SPG_B64_H
#define SPG_B64_H

#include <stddef.h>
#include <sys/types.h>

enum b64_alphabet {
	B64_STD, /* A-Z a-z 0-9 + / */
	B64_URL, /* A-Z a-z 0-9 - _ */
};

/* Characters b64_encode() writes for len bytes, without the NUL. */
size_t b64_encoded_len(size_t len);

/* Encodes len bytes into out (NUL-terminated). Returns the length, or -ENOSPC. */
ssize_t b64_encode(const void *in, size_t len, char *out, size_t outlen, enum b64_alphabet a);

/*
 * Decodes inlen characters of unpadded base64 into out. Rejects padding, characters outside
 * the alphabet, an impossible length and non-zero trailing bits (so each value has one
 * encoding). Returns the byte count, -EINVAL or -ENOSPC.
 */
ssize_t b64_decode(const char *in, size_t inlen, void *out, size_t outlen, enum b64_alphabet a);

#endif
