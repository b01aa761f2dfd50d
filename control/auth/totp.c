/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 6238 TOTP: see totp.h. */
#include "auth/totp.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

const char *totp_alg_name(enum totp_alg alg)
{
	return alg == TOTP_SHA256 ? "SHA256" : "SHA1";
}

int totp_alg_parse(const char *name, enum totp_alg *alg)
{
	if (strcmp(name, "SHA1") == 0)
		*alg = TOTP_SHA1;
	else if (strcmp(name, "SHA256") == 0)
		*alg = TOTP_SHA256;
	else
		return -EINVAL;
	return 0;
}

int totp_code(const uint8_t *key, size_t keylen, enum totp_alg alg, uint64_t counter,
	      unsigned digits, char out[TOTP_MAX_DIGITS + 1])
{
	static const uint32_t mod[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					100000000 };
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, off, i;
	uint32_t bin;

	if (key == NULL || keylen == 0 || (digits != 6 && digits != 8))
		return -EINVAL;
	for (i = 0; i < 8; i++)
		msg[i] = (uint8_t)(counter >> (56 - 8 * i));
	if (HMAC(alg == TOTP_SHA256 ? EVP_sha256() : EVP_sha1(), key, (int)keylen, msg, sizeof(msg),
		 mac, &maclen) == NULL || maclen < 20)
		return -EIO;
	/* RFC 4226 §5.3 dynamic truncation */
	off = mac[maclen - 1] & 0x0f;
	bin = (uint32_t)(mac[off] & 0x7f) << 24 | (uint32_t)mac[off + 1] << 16 |
	      (uint32_t)mac[off + 2] << 8 | mac[off + 3];
	bin %= mod[digits];
	for (i = digits; i > 0; i--) {
		out[i - 1] = (char)('0' + bin % 10);
		bin /= 10;
	}
	out[digits] = '\0';
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int64_t totp_check(const uint8_t *key, size_t keylen, enum totp_alg alg, unsigned digits,
		   int64_t now, const char *code, int64_t last_step)
{
	char want[TOTP_MAX_DIGITS + 1];
	int64_t step, matched = -EKEYREJECTED, d;

	if (code == NULL || strlen(code) != digits || strspn(code, "0123456789") != digits ||
	    now < 0)
		return -EINVAL;
	step = now / TOTP_STEP_S;
	for (d = -TOTP_WINDOW; d <= TOTP_WINDOW; d++) {
		bool same;

		if (step + d < 0 || totp_code(key, keylen, alg, (uint64_t)(step + d), digits, want) < 0)
			continue;
		same = CRYPTO_memcmp(want, code, digits) == 0;
		/* No early exit: every step costs the same whether it matched or not. */
		if (same && step + d > last_step && matched < 0)
			matched = step + d;
	}
	OPENSSL_cleanse(want, sizeof(want));
	return matched;
}

int totp_base32(const uint8_t *data, size_t len, char *out, size_t outlen)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	size_t n = 0, i;
	unsigned bits = 0, acc = 0;

	if ((len * 8 + 4) / 5 + 1 > outlen)
		return -ENOSPC;
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | data[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = alphabet[(acc >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[n++] = alphabet[(acc << (5 - bits)) & 31];
	out[n] = '\0';
	return 0;
}
