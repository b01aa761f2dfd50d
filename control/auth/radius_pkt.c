/* SPDX-License-Identifier: BSD-3-Clause */
#include "radius_pkt.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define RADIUS_PASSWORD_MAX 128
#define RADIUS_MA_LEN 16

static int radius_md5(const void *a, size_t alen, const void *b, size_t blen, const void *c,
		      size_t clen, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, a, alen) == 1 && EVP_DigestUpdate(ctx, b, blen) == 1 &&
	     EVP_DigestUpdate(ctx, c, clen) == 1 && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

static int radius_hmac_md5(const char *secret, const uint8_t *pkt, size_t len, uint8_t out[16])
{
	unsigned int outlen = RADIUS_MA_LEN;

	return HMAC(EVP_md5(), secret, (int)strlen(secret), pkt, len, out, &outlen) ? 0 : -EIO;
}

static uint8_t *radius_put_attr(struct radius_request *rq, uint8_t type, const void *val,
				size_t len)
{
	uint8_t *p = rq->buf + rq->len;

	p[0] = type;
	p[1] = (uint8_t)(2 + len);
	memcpy(p + 2, val, len);
	rq->len += 2 + len;
	return p + 2;
}

/* RFC 2865 §5.2: c(i) = p(i) xor MD5(secret + c(i-1)), c(0) = the Request Authenticator. */
static int radius_put_password(struct radius_request *rq, const char *secret, const char *pw)
{
	uint8_t hidden[RADIUS_PASSWORD_MAX], b[16];
	size_t n = strlen(pw), padded = n == 0 ? 16 : (n + 15) / 16 * 16, i, j;
	const uint8_t *prev = rq->authenticator;
	int rc = 0;

	memset(hidden, 0, sizeof(hidden));
	memcpy(hidden, pw, n);
	for (i = 0; i < padded && rc == 0; i += 16) {
		rc = radius_md5(secret, strlen(secret), prev, 16, "", 0, b);
		for (j = 0; j < 16; j++)
			hidden[i + j] ^= b[j];
		prev = hidden + i;
	}
	if (rc == 0)
		radius_put_attr(rq, RADIUS_ATTR_USER_PASSWORD, hidden, padded);
	OPENSSL_cleanse(hidden, sizeof(hidden));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

int radius_pkt_access_request(struct radius_request *rq, uint8_t id, const char *secret,
			      const char *user, const char *password, const char *nas_identifier)
{
	return radius_pkt_access_request_state(rq, id, secret, user, password, nas_identifier,
					       NULL, 0);
}

int radius_pkt_access_request_state(struct radius_request *rq, uint8_t id, const char *secret,
				    const char *user, const char *password,
				    const char *nas_identifier, const uint8_t *state,
				    size_t state_len)
{
	static const uint8_t zero[RADIUS_MA_LEN];
	uint8_t service[4] = { 0, 0, 0, RADIUS_SERVICE_AUTHENTICATE_ONLY }, *ma;
	size_t ulen = user != NULL ? strlen(user) : 0;
	size_t nlen = nas_identifier != NULL ? strlen(nas_identifier) : 0;
	int rc;

	if (ulen == 0 || ulen > 253 || password == NULL ||
	    strlen(password) > RADIUS_PASSWORD_MAX || secret == NULL || secret[0] == '\0' ||
	    nlen > 253 || state_len > RADIUS_STATE_MAX || (state == NULL) != (state_len == 0))
		return -EINVAL;
	memset(rq, 0, sizeof(*rq));
	rq->id = id;
	if (RAND_bytes(rq->authenticator, RADIUS_AUTH_LEN) != 1)
		return -EIO;
	rq->buf[0] = RADIUS_ACCESS_REQUEST;
	rq->buf[1] = id;
	memcpy(rq->buf + 4, rq->authenticator, RADIUS_AUTH_LEN);
	rq->len = RADIUS_HDR_LEN;
	ma = radius_put_attr(rq, RADIUS_ATTR_MESSAGE_AUTHENTICATOR, zero, sizeof(zero));
	radius_put_attr(rq, RADIUS_ATTR_USER_NAME, user, ulen);
	rc = radius_put_password(rq, secret, password);
	if (rc < 0)
		return rc;
	radius_put_attr(rq, RADIUS_ATTR_SERVICE_TYPE, service, sizeof(service));
	if (nlen > 0)
		radius_put_attr(rq, RADIUS_ATTR_NAS_IDENTIFIER, nas_identifier, nlen);
	if (state_len > 0)
		radius_put_attr(rq, RADIUS_ATTR_STATE, state, state_len);
	rq->buf[2] = (uint8_t)(rq->len >> 8);
	rq->buf[3] = (uint8_t)rq->len;
	/* Computed over the whole packet with its own value still zero (RFC 3579 §3.2). */
	return radius_hmac_md5(secret, rq->buf, rq->len, ma);
}

/* Walks the attributes; returns the offset of Message-Authenticator's value, 0 if none. */
static int radius_check_framing(const uint8_t *pkt, size_t len, size_t *ma_off)
{
	size_t off = RADIUS_HDR_LEN;

	*ma_off = 0;
	while (off < len) {
		if (len - off < 2 || pkt[off + 1] < 2 || pkt[off + 1] > len - off)
			return -EBADMSG;
		if (pkt[off] == RADIUS_ATTR_MESSAGE_AUTHENTICATOR) {
			if (pkt[off + 1] != 2 + RADIUS_MA_LEN || *ma_off != 0)
				return -EBADMSG;
			*ma_off = off + 2;
		}
		off += pkt[off + 1];
	}
	return 0;
}

static int radius_check_message_authenticator(const struct radius_request *rq,
					      const char *secret, const uint8_t *pkt, size_t len,
					      size_t ma_off)
{
	uint8_t copy[RADIUS_PKT_MAX], want[RADIUS_MA_LEN];
	int rc;

	/* Over the reply with the Request Authenticator in place and its own value zeroed. */
	memcpy(copy, pkt, len);
	memcpy(copy + 4, rq->authenticator, RADIUS_AUTH_LEN);
	memset(copy + ma_off, 0, RADIUS_MA_LEN);
	rc = radius_hmac_md5(secret, copy, len, want);
	if (rc < 0)
		return rc;
	return CRYPTO_memcmp(want, pkt + ma_off, RADIUS_MA_LEN) == 0 ? 0 : -EKEYREJECTED;
}

int radius_pkt_check_reply(const struct radius_request *rq, const char *secret,
			   const uint8_t *pkt, size_t len, bool require_message_authenticator)
{
	uint8_t hdr[4 + RADIUS_AUTH_LEN], want[RADIUS_AUTH_LEN];
	size_t plen, ma_off;
	int rc;

	if (len < RADIUS_HDR_LEN)
		return -EBADMSG;
	if (pkt[1] != rq->id)
		return -ENOMSG;
	plen = (size_t)pkt[2] << 8 | pkt[3];
	/* Octets past Length are padding (RFC 2865 §3); a shorter datagram is broken. */
	if (plen < RADIUS_HDR_LEN || plen > len || plen > RADIUS_PKT_MAX)
		return -EBADMSG;
	if (pkt[0] != RADIUS_ACCESS_ACCEPT && pkt[0] != RADIUS_ACCESS_REJECT &&
	    pkt[0] != RADIUS_ACCESS_CHALLENGE)
		return -EBADMSG;
	rc = radius_check_framing(pkt, plen, &ma_off);
	if (rc < 0)
		return rc;
	/* Response Authenticator = MD5(Code ID Length RequestAuth Attributes Secret). */
	memcpy(hdr, pkt, 4);
	memcpy(hdr + 4, rq->authenticator, RADIUS_AUTH_LEN);
	rc = radius_md5(hdr, sizeof(hdr), pkt + RADIUS_HDR_LEN, plen - RADIUS_HDR_LEN, secret,
			strlen(secret), want);
	if (rc < 0)
		return rc;
	if (CRYPTO_memcmp(want, pkt + 4, RADIUS_AUTH_LEN) != 0)
		return -EKEYREJECTED;
	if (ma_off == 0)
		return require_message_authenticator ? -EPROTO : pkt[0];
	rc = radius_check_message_authenticator(rq, secret, pkt, plen, ma_off);
	return rc < 0 ? rc : pkt[0];
}

void radius_pkt_foreach_attr(const uint8_t *pkt, size_t len, radius_attr_fn fn, void *arg)
{
	size_t plen = (size_t)pkt[2] << 8 | pkt[3], off = RADIUS_HDR_LEN;

	if (plen > len)
		return;
	while (off + 2 <= plen && pkt[off + 1] >= 2 && off + pkt[off + 1] <= plen) {
		fn(pkt[off], pkt + off + 2, (size_t)pkt[off + 1] - 2, arg);
		off += pkt[off + 1];
	}
}
