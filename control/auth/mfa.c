/* SPDX-License-Identifier: BSD-3-Clause */
/* TOTP factors: see mfa.h. */
#include "auth/mfa.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth/mfa_seal.h"
#include "store/mfa_store.h"

struct mfa {
	struct store *st;
	struct mfa_seal *seal;
};

static struct mfa *mfa_wrap(struct store *st, struct mfa_seal *seal)
{
	struct mfa *m;

	if (seal == NULL)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		mfa_seal_free(seal);
		return NULL;
	}
	m->st = st;
	m->seal = seal;
	return m;
}

struct mfa *mfa_create(struct store *st, const char *state_dir)
{
	return mfa_wrap(st, mfa_seal_load(state_dir));
}

struct mfa *mfa_create_with_key(struct store *st, const uint8_t key[32])
{
	return mfa_wrap(st, mfa_seal_from_bytes(key));
}

void mfa_free(struct mfa *m)
{
	if (m == NULL)
		return;
	mfa_seal_free(m->seal);
	free(m);
}

int mfa_enrolled(struct mfa *m, const char *user)
{
	struct store_mfa_factor f;
	int rc = store_mfa_get(m->st, user, &f);

	if (rc == 0)
		rc = f.confirmed ? 1 : 0;
	OPENSSL_cleanse(&f, sizeof(f));
	return rc == -ENOENT ? 0 : rc;
}

/* Percent-encodes s for an otpauth:// label or parameter. */
static void mfa_uri_escape(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s != '\0' && n + 4 < outlen; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, outlen - n, "%%%02X", c);
	}
	out[n] = '\0';
}

int mfa_enroll(struct mfa *m, const char *user, enum totp_alg alg, int64_t now, char *uri,
	       size_t urilen, char secret_b32[TOTP_BASE32_MAX])
{
	struct store_mfa_factor f = { 0 };
	uint8_t raw[TOTP_SECRET_LEN];
	char label[3 * 64 + 1];
	int rc;

	rc = mfa_enrolled(m, user);
	if (rc != 0)
		return rc > 0 ? -EEXIST : rc;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	snprintf(f.user, sizeof(f.user), "%s", user);
	snprintf(f.algorithm, sizeof(f.algorithm), "%s", totp_alg_name(alg));
	f.digits = MFA_DIGITS;
	f.created = now;
	rc = mfa_seal(m->seal, user, raw, sizeof(raw), f.secret, sizeof(f.secret));
	if (rc == 0) {
		f.secret_len = sizeof(raw) + MFA_SEAL_OVERHEAD;
		rc = totp_base32(raw, sizeof(raw), secret_b32, TOTP_BASE32_MAX);
	}
	if (rc == 0)
		rc = store_mfa_put_pending(m->st, &f);
	if (rc == 0) {
		mfa_uri_escape(user, label, sizeof(label));
		if (snprintf(uri, urilen,
			     "otpauth://totp/" MFA_ISSUER ":%s?secret=%s&issuer=" MFA_ISSUER
			     "&algorithm=%s&digits=%d&period=%d",
			     label, secret_b32, f.algorithm, MFA_DIGITS, TOTP_STEP_S) >= (int)urilen)
			rc = -ENOSPC;
	}
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(&f, sizeof(f));
	return rc;
}

/* The step code matches for f (sealed secret opened only for this), or -errno. */
static int64_t mfa_match(struct mfa *m, const struct store_mfa_factor *f, const char *code,
			 int64_t now)
{
	uint8_t raw[STORE_MFA_SECRET_MAX];
	enum totp_alg alg;
	int64_t step;
	int n;

	if (totp_alg_parse(f->algorithm, &alg) < 0)
		return -EBADMSG;
	n = mfa_open(m->seal, f->user, f->secret, f->secret_len, raw, sizeof(raw));
	if (n < 0)
		return n;
	step = totp_check(raw, (size_t)n, alg, f->digits, now, code, f->last_step);
	OPENSSL_cleanse(raw, sizeof(raw));
	return step;
}

int mfa_confirm(struct mfa *m, const char *user, const char *code, int64_t now)
{
	struct store_mfa_factor f;
	int64_t step;
	int rc;

	rc = store_mfa_get(m->st, user, &f);
	if (rc == 0 && f.confirmed)
		rc = -ENOENT;
	if (rc == 0) {
		step = mfa_match(m, &f, code, now);
		rc = step < 0 ? (int)step : store_mfa_confirm(m->st, f.user, step, now);
	}
	OPENSSL_cleanse(&f, sizeof(f));
	return rc;
}

int mfa_check(struct mfa *m, const char *user, const char *code, int64_t now)
{
	struct store_mfa_factor f;
	int64_t step;
	int rc;

	rc = store_mfa_get(m->st, user, &f);
	if (rc == 0 && !f.confirmed)
		rc = -ENOENT;
	if (rc == 0) {
		step = mfa_match(m, &f, code, now);
		rc = step < 0 ? (int)step : store_mfa_use_step(m->st, f.user, step);
		/* Used already (a replay, or the same code twice at once): a wrong code. */
		if (rc == -EALREADY)
			rc = -EKEYREJECTED;
	}
	OPENSSL_cleanse(&f, sizeof(f));
	return rc;
}

int mfa_reset(struct mfa *m, const char *user)
{
	return store_mfa_delete(m->st, user);
}
