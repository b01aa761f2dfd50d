/* SPDX-License-Identifier: BSD-3-Clause */
/* TOTP secrets sealed with AES-256-GCM: see mfa_seal.h. */
#include "auth/mfa_seal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "keyfile.h"

#define MFA_NONCE_LEN 12
#define MFA_TAG_LEN 16

struct mfa_seal {
	uint8_t key[MFA_KEY_LEN];
};

struct mfa_seal *mfa_seal_from_bytes(const uint8_t key[MFA_KEY_LEN])
{
	struct mfa_seal *s = malloc(sizeof(*s));

	if (s == NULL)
		return NULL;
	memcpy(s->key, key, MFA_KEY_LEN);
	return s;
}

void mfa_seal_free(struct mfa_seal *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

struct mfa_seal *mfa_seal_load(const char *state_dir)
{
	uint8_t key[MFA_KEY_LEN];
	struct mfa_seal *s = NULL;
	int rc;

	rc = keyfile_load(state_dir, "mfa.key", "mfa", key, sizeof(key));
	if (rc < 0)
		errno = -rc;
	else
		s = mfa_seal_from_bytes(key);
	OPENSSL_cleanse(key, sizeof(key));
	return s;
}

static int mfa_gcm(const struct mfa_seal *s, int enc, const char *user, const uint8_t *nonce,
		   const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, MFA_NONCE_LEN, NULL) == 1 &&
	     EVP_CipherInit_ex(c, NULL, NULL, s->key, nonce, enc) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)user, (int)strlen(user)) == 1 &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, MFA_TAG_LEN, tag) == 1;
	/* Decrypting, the final step is where a wrong tag shows. */
	if (ok)
		ok = EVP_CipherFinal_ex(c, out + n, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, MFA_TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : enc ? -EIO : -EBADMSG;
}

int mfa_seal(const struct mfa_seal *s, const char *user, const uint8_t *in, size_t len,
	     uint8_t *out, size_t outlen)
{
	if (s == NULL || user == NULL || len == 0 || len > 256 || outlen < len + MFA_SEAL_OVERHEAD)
		return -EINVAL;
	if (RAND_bytes(out, MFA_NONCE_LEN) != 1)
		return -EIO;
	return mfa_gcm(s, 1, user, out, in, len, out + MFA_NONCE_LEN, out + MFA_NONCE_LEN + len);
}

int mfa_open(const struct mfa_seal *s, const char *user, const uint8_t *in, size_t len,
	     uint8_t *out, size_t outlen)
{
	uint8_t tag[MFA_TAG_LEN];
	size_t plen;
	int rc;

	if (s == NULL || user == NULL || len <= MFA_SEAL_OVERHEAD || len - MFA_SEAL_OVERHEAD > outlen)
		return -EINVAL;
	plen = len - MFA_SEAL_OVERHEAD;
	memcpy(tag, in + MFA_NONCE_LEN + plen, MFA_TAG_LEN);
	rc = mfa_gcm(s, 0, user, in, in + MFA_NONCE_LEN, plen, out, tag);
	if (rc < 0) {
		OPENSSL_cleanse(out, plen);
		return rc;
	}
	return (int)plen;
}
