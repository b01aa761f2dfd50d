/* SPDX-License-Identifier: BSD-3-Clause */
/* Random hex ids: see random_id.h. */
#include "random_id.h"

#include <errno.h>
#include <stdint.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define RANDOM_ID_MAX_BYTES 32

int random_hex_id(char *id, size_t hex_len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[RANDOM_ID_MAX_BYTES];
	size_t i, n = hex_len / 2;

	if (hex_len % 2 != 0 || n > sizeof(raw))
		return -EINVAL;
	if (RAND_bytes(raw, (int)n) != 1)
		return -EIO;
	for (i = 0; i < n; i++) {
		id[2 * i] = hex[raw[i] >> 4];
		id[2 * i + 1] = hex[raw[i] & 15];
	}
	id[hex_len] = '\0';
	OPENSSL_cleanse(raw, n);
	return 0;
}
