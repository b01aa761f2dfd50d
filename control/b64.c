/* SPDX-License-Identifier: BSD-3-Clause */
#include "b64.h"

#include <errno.h>
#include <stdint.h>

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t b64_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

ssize_t b64_encode(const void *in, size_t len, char *out, size_t outlen, enum b64_alphabet a)
{
	const char *tab = a == B64_URL ? b64_url : b64_std;
	const uint8_t *p = in;
	size_t need = b64_encoded_len(len), o = 0, i;

	if (outlen < need + 1)
		return -ENOSPC;
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (len - i == 1) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		out[o++] = tab[p[i] >> 2];
		out[o++] = tab[(p[i] & 3) << 4 | p[i + 1] >> 4];
		out[o++] = tab[(p[i + 1] & 15) << 2];
	}
	out[o] = '\0';
	return (ssize_t)o;
}

static int b64_value(char c, enum b64_alphabet a)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (a == B64_URL ? '-' : '+'))
		return 62;
	if (c == (a == B64_URL ? '_' : '/'))
		return 63;
	return -1;
}

ssize_t b64_decode(const char *in, size_t inlen, void *out, size_t outlen, enum b64_alphabet a)
{
	uint8_t *q = out;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0, i;

	/* One leftover character cannot encode a whole byte. */
	if (inlen % 4 == 1)
		return -EINVAL;
	if (outlen < inlen / 4 * 3 + (inlen % 4 ? inlen % 4 - 1 : 0))
		return -ENOSPC;
	for (i = 0; i < inlen; i++) {
		int v = b64_value(in[i], a);

		if (v < 0)
			return -EINVAL;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			q[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -EINVAL;
	return (ssize_t)o;
}
