/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the RADIUS reply parser (control/auth/radius_pkt.c) and the group
 * names taken from an Access-Accept (control/auth/radius.c's auth_radius_add_groups), and the
 * State and prompt taken from an Access-Challenge (auth_radius_read_challenge).
 * Forged replies stop at the Response Authenticator, so unless bit 0 of the first byte is
 * set the harness signs the input with the shared secret (and bit 1 fills a
 * Message-Authenticator it finds), as a server knowing it would: that way the framing and
 * attribute code behind the check is reached too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/auth.h"
#include "auth/radius.h"
#include "auth/radius_pkt.h"

#define SECRET "testing123"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct radius_request rq;

static void md5(const uint8_t *a, size_t alen, const char *b, uint8_t out[16])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	EVP_DigestInit_ex(c, EVP_md5(), NULL);
	EVP_DigestUpdate(c, a, alen);
	EVP_DigestUpdate(c, b, strlen(b));
	EVP_DigestFinal_ex(c, out, NULL);
	EVP_MD_CTX_free(c);
}

/* Offset of the first Message-Authenticator whose attribute is well formed, or 0. */
static size_t find_ma(const uint8_t *pkt, size_t len)
{
	size_t off = RADIUS_HDR_LEN;

	while (off + 2 <= len && pkt[off + 1] >= 2 && off + pkt[off + 1] <= len) {
		if (pkt[off] == RADIUS_ATTR_MESSAGE_AUTHENTICATOR && pkt[off + 1] == 18)
			return off;
		off += pkt[off + 1];
	}
	return 0;
}

/* Signs pkt (len bytes, its Length field as given) as the server with SECRET would. */
static void sign(uint8_t *pkt, size_t len, bool with_ma)
{
	size_t plen = (size_t)pkt[2] << 8 | pkt[3], ma;
	unsigned int n = 16;
	uint8_t sum[16];

	if (plen < RADIUS_HDR_LEN || plen > len)
		return;
	memcpy(pkt + 4, rq.authenticator, 16);
	ma = with_ma ? find_ma(pkt, plen) : 0;
	if (ma != 0) {
		memset(pkt + ma + 2, 0, 16);
		HMAC(EVP_md5(), SECRET, (int)strlen(SECRET), pkt, plen, pkt + ma + 2, &n);
	}
	md5(pkt, plen, SECRET, sum);
	memcpy(pkt + 4, sum, 16);
}

static void on_attr(uint8_t type, const uint8_t *val, size_t len, void *arg)
{
	struct auth_result *res = arg;

	if (type == RADIUS_ATTR_CLASS || type == RADIUS_ATTR_FILTER_ID)
		auth_radius_add_groups((const char *)val, len, res->groups, &res->n_groups);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct auth_result res;
	uint8_t *pkt;
	size_t len;
	unsigned i;
	int rc;

	if (!ready) {
		if (radius_pkt_access_request(&rq, 42, SECRET, "alice", "alice-pw", "spgate") != 0)
			abort();
		ready = true;
	}
	if (size < 1 || size - 1 > 2 * RADIUS_PKT_MAX)
		return 0;
	len = size - 1;
	pkt = malloc(len + 1);
	memcpy(pkt, data + 1, len);
	if (!(data[0] & 1) && len >= RADIUS_HDR_LEN) {
		pkt[1] = rq.id;
		sign(pkt, len, data[0] & 2);
	}
	rc = radius_pkt_check_reply(&rq, SECRET, pkt, len, data[0] & 4);
	if (rc == RADIUS_ACCESS_ACCEPT) {
		memset(&res, 0, sizeof(res));
		radius_pkt_foreach_attr(pkt, len, on_attr, &res);
		if (res.n_groups > AUTH_MAX_GROUPS)
			abort();
		for (i = 0; i < res.n_groups; i++)
			if (strnlen(res.groups[i], AUTH_NAME_MAX) == AUTH_NAME_MAX)
				abort();
	} else if (rc == RADIUS_ACCESS_CHALLENGE) {
		/* The prompt reaches the engineer's terminal: bounded and printable only. */
		if (auth_radius_read_challenge(pkt, len, 0, &res.challenge) == 0 &&
		    (res.challenge.state_len == 0 || res.challenge.state_len > AUTH_STATE_MAX))
			abort();
		if (strnlen(res.challenge.prompt, AUTH_PROMPT_MAX) == AUTH_PROMPT_MAX)
			abort();
		for (i = 0; res.challenge.prompt[i] != '\0'; i++)
			if (res.challenge.prompt[i] < ' ' || res.challenge.prompt[i] > '~')
				abort();
	}
	free(pkt);
	return 0;
}
