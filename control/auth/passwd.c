/* SPDX-License-Identifier: BSD-3-Clause */
#include "passwd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "b64.h"

/*
 * N = 2^14, r = 8, p = 1: 16 MiB per verification. Measured on the gateway build host
 * (2 vCPUs, shared): 15-45 ms, up to ~130 ms under heavy load; N = 2^15 took 170-450 ms
 * there (32 MiB no longer fits the cache), past the ~100 ms a login may cost. Stored hashes
 * carry their parameters, so raising these later keeps old hashes valid.
 */
#define PASSWD_LN 14
#define PASSWD_R 8
#define PASSWD_P 1
#define PASSWD_SALT_LEN 16
#define PASSWD_KEY_LEN 32

/* What a stored hash may ask for: bounds keep a tampered store from costing gigabytes. */
#define PASSWD_LN_MIN 10
#define PASSWD_LN_MAX 20
#define PASSWD_R_MAX 32
#define PASSWD_P_MAX 16
#define PASSWD_MEM_MAX (256ull << 20)

static const char passwd_prefix[] = "$scrypt$";

struct passwd_params {
	unsigned ln, r, p;
	uint8_t salt[64];
	size_t salt_len;
	uint8_t key[64];
	size_t key_len;
};

static int passwd_derive(const char *pw, const struct passwd_params *pp, uint8_t *key,
			 size_t key_len)
{
	uint64_t n = 1ull << pp->ln;
	/* OpenSSL's own accounting: 128 * r * (N + p + 2) bytes, plus room for rounding. */
	uint64_t maxmem = 128ull * pp->r * (n + pp->p + 2) + (1u << 20);

	if (EVP_PBE_scrypt(pw, strlen(pw), pp->salt, pp->salt_len, n, pp->r, pp->p, maxmem, key,
			   key_len) != 1)
		return -EIO;
	return 0;
}

int passwd_hash(const char *pw, char *out, size_t outlen)
{
	struct passwd_params pp = { .ln = PASSWD_LN, .r = PASSWD_R, .p = PASSWD_P,
				    .salt_len = PASSWD_SALT_LEN, .key_len = PASSWD_KEY_LEN };
	char salt64[64], key64[64];
	int n, rc;

	if (pw == NULL || out == NULL)
		return -EINVAL;
	if (RAND_bytes(pp.salt, (int)pp.salt_len) != 1)
		return -EIO;
	rc = passwd_derive(pw, &pp, pp.key, pp.key_len);
	if (rc < 0)
		goto out;
	b64_encode(pp.salt, pp.salt_len, salt64, sizeof(salt64), B64_STD);
	b64_encode(pp.key, pp.key_len, key64, sizeof(key64), B64_STD);
	n = snprintf(out, outlen, "%sln=%u,r=%u,p=%u$%s$%s", passwd_prefix, pp.ln, pp.r, pp.p,
		     salt64, key64);
	rc = n < 0 || (size_t)n >= outlen ? -ENOSPC : 0;
out:
	OPENSSL_cleanse(&pp, sizeof(pp));
	return rc;
}

/* Reads "<name>=<decimal>" at *s, advancing past it. */
static bool passwd_parse_uint(const char **s, const char *name, unsigned max, unsigned *v)
{
	size_t nl = strlen(name);
	unsigned long x = 0;
	const char *p = *s;

	if (strncmp(p, name, nl) != 0 || p[nl] != '=')
		return false;
	p += nl + 1;
	if (*p < '1' || *p > '9') /* no leading zeros, no sign: one spelling per value */
		return false;
	while (*p >= '0' && *p <= '9') {
		x = x * 10 + (unsigned long)(*p++ - '0');
		if (x > max)
			return false;
	}
	*v = (unsigned)x;
	*s = p;
	return true;
}

static bool passwd_parse_b64(const char **s, char end, uint8_t *out, size_t outlen,
			     size_t *len)
{
	const char *stop = strchr(*s, end);
	ssize_t n;

	if (stop == NULL)
		return false;
	n = b64_decode(*s, (size_t)(stop - *s), out, outlen, B64_STD);
	if (n < 16) /* shorter salts or keys than 16 bytes are not ours, nor safe */
		return false;
	*len = (size_t)n;
	*s = stop + (end != '\0');
	return true;
}

static bool passwd_parse(const char *enc, struct passwd_params *pp)
{
	const char *s = enc;

	if (strncmp(s, passwd_prefix, sizeof(passwd_prefix) - 1) != 0)
		return false;
	s += sizeof(passwd_prefix) - 1;
	if (!passwd_parse_uint(&s, "ln", PASSWD_LN_MAX, &pp->ln) || pp->ln < PASSWD_LN_MIN ||
	    *s++ != ',' || !passwd_parse_uint(&s, "r", PASSWD_R_MAX, &pp->r) || *s++ != ',' ||
	    !passwd_parse_uint(&s, "p", PASSWD_P_MAX, &pp->p) || *s++ != '$')
		return false;
	if ((128ull << pp->ln) * pp->r * pp->p > PASSWD_MEM_MAX)
		return false;
	return passwd_parse_b64(&s, '$', pp->salt, sizeof(pp->salt), &pp->salt_len) &&
	       passwd_parse_b64(&s, '\0', pp->key, sizeof(pp->key), &pp->key_len);
}

bool passwd_verify(const char *pw, const char *encoded)
{
	struct passwd_params pp;
	uint8_t key[sizeof(pp.key)];
	bool ok = false;

	if (pw == NULL || encoded == NULL)
		return false;
	memset(&pp, 0, sizeof(pp));
	if (!passwd_parse(encoded, &pp))
		goto out;
	if (passwd_derive(pw, &pp, key, pp.key_len) < 0)
		goto out;
	ok = CRYPTO_memcmp(key, pp.key, pp.key_len) == 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&pp, sizeof(pp));
	return ok;
}

bool passwd_verify_dummy(const char *pw)
{
	struct passwd_params pp = { .ln = PASSWD_LN, .r = PASSWD_R, .p = PASSWD_P,
				    .salt_len = PASSWD_SALT_LEN, .key_len = PASSWD_KEY_LEN };
	uint8_t key[PASSWD_KEY_LEN];

	/* Same parameters as passwd_hash(), so the cost matches a stored default hash. */
	passwd_derive(pw != NULL ? pw : "", &pp, key, sizeof(key));
	OPENSSL_cleanse(key, sizeof(key));
	return false;
}
