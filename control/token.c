/* SPDX-License-Identifier: BSD-3-Clause */
#include "token.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "b64.h"
#include "keyfile.h"
#include "random_id.h"

#define TOKEN_MAC_LEN 32
#define TOKEN_PAYLOAD_MAX TOKEN_MAX_LEN /* decoded is always shorter than encoded */

struct token_key {
	uint8_t key[TOKEN_KEY_LEN];
};

struct token_key *token_key_from_bytes(const uint8_t key[TOKEN_KEY_LEN])
{
	struct token_key *k = malloc(sizeof(*k));

	if (k == NULL)
		return NULL;
	memcpy(k->key, key, TOKEN_KEY_LEN);
	return k;
}

void token_key_free(struct token_key *k)
{
	if (k == NULL)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

struct token_key *token_key_load(const char *state_dir)
{
	uint8_t key[TOKEN_KEY_LEN];
	struct token_key *k = NULL;
	int rc;

	rc = keyfile_load(state_dir, "token.key", "token", key, sizeof(key));
	if (rc < 0)
		errno = -rc;
	else
		k = token_key_from_bytes(key);
	OPENSSL_cleanse(key, sizeof(key));
	return k;
}

static void token_mac(const struct token_key *k, const void *msg, size_t len,
		      uint8_t mac[TOKEN_MAC_LEN])
{
	unsigned int maclen = TOKEN_MAC_LEN;

	HMAC(EVP_sha256(), k->key, TOKEN_KEY_LEN, msg, len, mac, &maclen);
}

static bool token_name_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	return n > 0 && n < TOKEN_NAME_MAX;
}

static json_t *token_payload(const char *user, const char groups[][TOKEN_NAME_MAX],
			     unsigned n_groups, unsigned ttl_s, int64_t now, int64_t mfa_at,
			     const char *factor)
{
	char id[TOKEN_ID_LEN + 1];
	json_t *g, *p;
	unsigned i;

	/* the id is what logout revokes */
	if (random_hex_id(id, TOKEN_ID_LEN) != 0)
		return NULL;
	g = json_array();
	for (i = 0; g != NULL && i < n_groups; i++)
		json_array_append_new(g, json_string(groups[i]));
	p = json_pack("{s:s, s:s, s:o, s:I, s:I}", "j", id, "u", user, "g", g, "iat", (json_int_t)now,
		      "exp", (json_int_t)(now + ttl_s));
	if (p != NULL && mfa_at > 0) {
		json_object_set_new(p, "m", json_integer(mfa_at));
		json_object_set_new(p, "f", json_string(factor));
	}
	return p;
}

int token_issue(const struct token_key *k, const char *user, const char groups[][TOKEN_NAME_MAX],
		unsigned n_groups, unsigned ttl_s, int64_t now, char *out, size_t outlen)
{
	return token_issue_mfa(k, user, groups, n_groups, ttl_s, now, 0, NULL, out, outlen);
}

int token_issue_mfa(const struct token_key *k, const char *user,
		    const char groups[][TOKEN_NAME_MAX], unsigned n_groups, unsigned ttl_s,
		    int64_t now, int64_t mfa_at, const char *factor, char *out, size_t outlen)
{
	uint8_t mac[TOKEN_MAC_LEN];
	char *payload;
	size_t plen;
	ssize_t n, m;
	unsigned i;
	json_t *j;

	if (k == NULL || !token_name_ok(user) || n_groups > TOKEN_MAX_GROUPS || ttl_s == 0 ||
	    out == NULL || mfa_at < 0 || (mfa_at > 0 && !token_name_ok(factor)))
		return -EINVAL;
	for (i = 0; i < n_groups; i++)
		if (!token_name_ok(groups[i]))
			return -EINVAL;
	j = token_payload(user, groups, n_groups, ttl_s, now, mfa_at, factor);
	if (j == NULL)
		return -EINVAL; /* json_pack refuses invalid UTF-8 */
	payload = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (payload == NULL)
		return -ENOMEM;
	plen = strlen(payload);
	token_mac(k, payload, plen, mac);
	n = b64_encode(payload, plen, out, outlen, B64_URL);
	free(payload);
	if (n < 0 || (size_t)n + 1 >= outlen)
		return -ENOSPC;
	out[n] = '.';
	m = b64_encode(mac, sizeof(mac), out + n + 1, outlen - (size_t)n - 1, B64_URL);
	return m < 0 ? -ENOSPC : 0;
}

static int token_copy_name(json_t *v, char out[TOKEN_NAME_MAX])
{
	const char *s = json_string_value(v);

	if (!token_name_ok(s))
		return -EBADMSG;
	strcpy(out, s);
	return 0;
}

static int token_copy_id(json_t *v, char out[TOKEN_ID_LEN + 1])
{
	const char *s = json_string_value(v);

	if (s == NULL || strlen(s) != TOKEN_ID_LEN || strspn(s, "0123456789abcdef") != TOKEN_ID_LEN)
		return -EBADMSG;
	strcpy(out, s);
	return 0;
}

static int token_parse_claims(const char *payload, size_t len, struct token_claims *c)
{
	json_t *j, *u, *g, *iat, *exp, *v;
	size_t i;
	int rc = -EBADMSG;

	j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	if (j == NULL)
		return -EBADMSG;
	u = json_object_get(j, "u");
	g = json_object_get(j, "g");
	iat = json_object_get(j, "iat");
	exp = json_object_get(j, "exp");
	if (!json_is_integer(iat) || !json_is_integer(exp) || !json_is_array(g) ||
	    json_array_size(g) > TOKEN_MAX_GROUPS || token_copy_name(u, c->user) < 0 ||
	    token_copy_id(json_object_get(j, "j"), c->id) < 0)
		goto out;
	c->iat = json_integer_value(iat);
	c->exp = json_integer_value(exp);
	c->mfa_at = 0;
	c->mfa_factor[0] = '\0';
	if (json_object_get(j, "m") != NULL) {
		v = json_object_get(j, "m");
		if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
		    token_copy_name(json_object_get(j, "f"), c->mfa_factor) < 0)
			goto out;
		c->mfa_at = json_integer_value(v);
	}
	c->n_groups = 0;
	json_array_foreach(g, i, v) {
		if (token_copy_name(v, c->groups[c->n_groups]) < 0)
			goto out;
		c->n_groups++;
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}

int token_verify(const struct token_key *k, const char *token, int64_t now,
		 struct token_claims *claims)
{
	uint8_t mac[TOKEN_MAC_LEN], want[TOKEN_MAC_LEN];
	char payload[TOKEN_PAYLOAD_MAX];
	struct token_claims c;
	const char *dot;
	ssize_t plen;
	int rc;

	if (k == NULL || token == NULL || strnlen(token, TOKEN_MAX_LEN) >= TOKEN_MAX_LEN)
		return -EBADMSG;
	dot = strchr(token, '.');
	if (dot == NULL || strchr(dot + 1, '.') != NULL)
		return -EBADMSG;
	plen = b64_decode(token, (size_t)(dot - token), payload, sizeof(payload), B64_URL);
	if (plen <= 0 || b64_decode(dot + 1, strlen(dot + 1), mac, sizeof(mac), B64_URL) !=
				 TOKEN_MAC_LEN)
		return -EBADMSG;
	token_mac(k, payload, (size_t)plen, want);
	/* Check the MAC before believing a byte of the payload, in constant time. */
	if (CRYPTO_memcmp(mac, want, TOKEN_MAC_LEN) != 0)
		return -EKEYREJECTED;
	rc = token_parse_claims(payload, (size_t)plen, &c);
	if (rc < 0)
		return rc;
	if (c.exp <= now)
		return -EKEYEXPIRED;
	if (claims != NULL)
		*claims = c;
	return 0;
}
