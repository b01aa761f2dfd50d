/* SPDX-License-Identifier: BSD-3-Clause */
/* RADIUS packets: requests hide the password, and only replies signed with the secret count. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/radius_pkt.h"
#include "unit_run.h"

#define SECRET "testing123"

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

/* A reply as a server would build it: code, id, attributes, signed with secret. */
static size_t reply(uint8_t *pkt, uint8_t code, uint8_t id, const uint8_t *attrs, size_t alen,
		    const char *secret, bool with_ma)
{
	size_t len = RADIUS_HDR_LEN + alen + (with_ma ? 18 : 0), ma = 0;
	uint8_t sum[16];
	unsigned int n = 16;

	pkt[0] = code;
	pkt[1] = id;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	memcpy(pkt + 4, rq.authenticator, 16);
	if (alen > 0)
		memcpy(pkt + RADIUS_HDR_LEN, attrs, alen);
	if (with_ma) {
		ma = RADIUS_HDR_LEN + alen;
		pkt[ma] = RADIUS_ATTR_MESSAGE_AUTHENTICATOR;
		pkt[ma + 1] = 18;
		memset(pkt + ma + 2, 0, 16);
		HMAC(EVP_md5(), secret, (int)strlen(secret), pkt, len, pkt + ma + 2, &n);
	}
	md5(pkt, len, secret, sum); /* over the packet holding the Request Authenticator */
	memcpy(pkt + 4, sum, 16);
	return len;
}

static const uint8_t class_attr[] = { RADIUS_ATTR_CLASS, 12, 's', 't', 'o', 'r', 'a', 'g',
				      'e', '-', 'e', 'u' };

static void new_request(void)
{
	CU_ASSERT_EQUAL_FATAL(
		radius_pkt_access_request(&rq, 42, SECRET, "alice", "alice-pw", "spgate"), 0);
}

/* Finds attribute type in the request; returns its value and length. */
static const uint8_t *request_attr(uint8_t type, size_t *len)
{
	size_t off = RADIUS_HDR_LEN;

	while (off + 2 <= rq.len) {
		if (rq.buf[off] == type) {
			*len = rq.buf[off + 1] - 2u;
			return rq.buf + off + 2;
		}
		off += rq.buf[off + 1];
	}
	return NULL;
}

static void a_request_is_an_access_request_with_its_length_and_identifier(void)
{
	size_t len;

	new_request();
	CU_ASSERT_EQUAL(rq.buf[0], RADIUS_ACCESS_REQUEST);
	CU_ASSERT_EQUAL(rq.buf[1], 42);
	CU_ASSERT_EQUAL((size_t)(rq.buf[2] << 8 | rq.buf[3]), rq.len);
	CU_ASSERT_EQUAL(rq.buf[RADIUS_HDR_LEN], RADIUS_ATTR_MESSAGE_AUTHENTICATOR);
	CU_ASSERT_PTR_NOT_NULL(request_attr(RADIUS_ATTR_USER_NAME, &len));
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_PTR_NOT_NULL(request_attr(RADIUS_ATTR_NAS_IDENTIFIER, &len));
}

static void the_password_is_hidden_and_only_the_secret_reveals_it(void)
{
	const uint8_t *hidden;
	uint8_t b[16], plain[16];
	size_t len, i;

	new_request();
	hidden = request_attr(RADIUS_ATTR_USER_PASSWORD, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hidden);
	CU_ASSERT_EQUAL_FATAL(len, 16);
	CU_ASSERT_PTR_NULL(memmem(rq.buf, rq.len, "alice-pw", 8));
	{
		uint8_t in[16 + sizeof(SECRET) - 1];

		memcpy(in, SECRET, sizeof(SECRET) - 1);
		memcpy(in + sizeof(SECRET) - 1, rq.authenticator, 16);
		EVP_Digest(in, sizeof(in), b, NULL, EVP_md5(), NULL);
	}
	for (i = 0; i < 16; i++)
		plain[i] = hidden[i] ^ b[i];
	CU_ASSERT_EQUAL(memcmp(plain, "alice-pw\0\0\0\0\0\0\0\0", 16), 0);
}

static void the_request_message_authenticator_verifies(void)
{
	uint8_t copy[RADIUS_PKT_MAX], want[16];
	unsigned int n = 16;
	const uint8_t *ma;
	size_t len;

	new_request();
	ma = request_attr(RADIUS_ATTR_MESSAGE_AUTHENTICATOR, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ma);
	memcpy(copy, rq.buf, rq.len);
	memset(copy + (ma - rq.buf), 0, 16);
	HMAC(EVP_md5(), SECRET, sizeof(SECRET) - 1, copy, rq.len, want, &n);
	CU_ASSERT_EQUAL(memcmp(want, ma, 16), 0);
}

static void a_reply_signed_with_the_secret_is_believed(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, class_attr, sizeof(class_attr), SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), RADIUS_ACCESS_ACCEPT);
	n = reply(pkt, RADIUS_ACCESS_REJECT, 42, NULL, 0, SECRET, true);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, true), RADIUS_ACCESS_REJECT);
}

static void a_forged_accept_with_a_wrong_authenticator_is_refused(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, class_attr, sizeof(class_attr), SECRET, false);
	pkt[9] ^= 0x01;
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EKEYREJECTED);
}

static void a_reply_whose_attributes_were_changed_is_refused(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, class_attr, sizeof(class_attr), SECRET, false);
	pkt[RADIUS_HDR_LEN + 2] = 'S';
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EKEYREJECTED);
}

static void a_reject_turned_into_an_accept_is_refused(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_REJECT, 42, NULL, 0, SECRET, false);
	pkt[0] = RADIUS_ACCESS_ACCEPT;
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EKEYREJECTED);
}

static void a_reply_signed_with_another_secret_is_refused(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, NULL, 0, "other-secret", false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EKEYREJECTED);
}

static void a_wrong_message_authenticator_is_refused(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, NULL, 0, SECRET, true);
	/* Break the HMAC, then fix the Response Authenticator so only the HMAC is wrong. */
	pkt[n - 1] ^= 0x80;
	{
		uint8_t copy[RADIUS_PKT_MAX], sum[16];

		memcpy(copy, pkt, n);
		memcpy(copy + 4, rq.authenticator, 16);
		md5(copy, n, SECRET, sum);
		memcpy(pkt + 4, sum, 16);
	}
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EKEYREJECTED);
}

static void a_missing_message_authenticator_is_refused_only_when_required(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, NULL, 0, SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, true), -EPROTO);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), RADIUS_ACCESS_ACCEPT);
}

static void a_reply_to_another_identifier_is_not_ours(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 43, NULL, 0, SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -ENOMSG);
}

static void malformed_replies_are_refused_before_any_digest(void)
{
	static const uint8_t overflowing[] = { RADIUS_ATTR_CLASS, 40, 'x' };
	static const uint8_t zero_length[] = { RADIUS_ATTR_CLASS, 0 };
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, NULL, 0, SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, 19, false), -EBADMSG);
	pkt[3] = 200; /* Length beyond the datagram */
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EBADMSG);
	n = reply(pkt, RADIUS_ACCESS_REQUEST, 42, NULL, 0, SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EBADMSG);
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, overflowing, sizeof(overflowing), SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EBADMSG);
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, zero_length, sizeof(zero_length), SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, false), -EBADMSG);
}

static void padding_after_the_length_is_ignored(void)
{
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, class_attr, sizeof(class_attr), SECRET, false);
	memset(pkt + n, 0xee, 8);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n + 8, false),
			RADIUS_ACCESS_ACCEPT);
}

struct seen {
	unsigned n;
	uint8_t types[8];
	char class_value[32];
};

static void collect(uint8_t type, const uint8_t *val, size_t len, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8)
		s->types[s->n++] = type;
	if (type == RADIUS_ATTR_CLASS && len < sizeof(s->class_value))
		memcpy(s->class_value, val, len);
}

static void attributes_of_a_reply_are_walked_in_order(void)
{
	uint8_t attrs[sizeof(class_attr) + 6], pkt[RADIUS_PKT_MAX];
	struct seen s = { 0 };
	size_t n;

	memcpy(attrs, class_attr, sizeof(class_attr));
	memcpy(attrs + sizeof(class_attr), (uint8_t[]){ RADIUS_ATTR_FILTER_ID, 6, 'a', ',', 'b', 'c' },
	       6);
	new_request();
	n = reply(pkt, RADIUS_ACCESS_ACCEPT, 42, attrs, sizeof(attrs), SECRET, true);
	CU_ASSERT_EQUAL_FATAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, true),
			      RADIUS_ACCESS_ACCEPT);
	radius_pkt_foreach_attr(pkt, n, collect, &s);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_EQUAL(s.types[0], RADIUS_ATTR_CLASS);
	CU_ASSERT_EQUAL(s.types[1], RADIUS_ATTR_FILTER_ID);
	CU_ASSERT_EQUAL(s.types[2], RADIUS_ATTR_MESSAGE_AUTHENTICATOR);
	CU_ASSERT_STRING_EQUAL(s.class_value, "storage-eu");
}

static void requests_with_bad_inputs_are_refused(void)
{
	char long_pw[130];

	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	CU_ASSERT_EQUAL(radius_pkt_access_request(&rq, 1, SECRET, "", "pw", NULL), -EINVAL);
	CU_ASSERT_EQUAL(radius_pkt_access_request(&rq, 1, "", "alice", "pw", NULL), -EINVAL);
	CU_ASSERT_EQUAL(radius_pkt_access_request(&rq, 1, SECRET, "alice", long_pw, NULL), -EINVAL);
}

static void a_128_byte_password_fills_eight_blocks(void)
{
	char pw[129];
	size_t len;

	memset(pw, 'p', 128);
	pw[128] = '\0';
	CU_ASSERT_EQUAL_FATAL(radius_pkt_access_request(&rq, 7, SECRET, "alice", pw, NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(request_attr(RADIUS_ATTR_USER_PASSWORD, &len));
	CU_ASSERT_EQUAL(len, 128);
}

/* RFC 2865 §4.4: the answer to a challenge carries its State back, byte for byte. */
static void an_answer_to_a_challenge_carries_its_state_unmodified(void)
{
	static const uint8_t state[] = { 0x00, 0xff, 's', 't', 0x7f };
	const uint8_t *v;
	size_t len;

	CU_ASSERT_EQUAL_FATAL(radius_pkt_access_request_state(&rq, 9, SECRET, "alice", "123456",
							      "spgate", state, sizeof(state)), 0);
	v = request_attr(RADIUS_ATTR_STATE, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(len, sizeof(state));
	CU_ASSERT_EQUAL(memcmp(v, state, sizeof(state)), 0);
	CU_ASSERT_PTR_NOT_NULL(request_attr(RADIUS_ATTR_MESSAGE_AUTHENTICATOR, &len));
	new_request();
	CU_ASSERT_PTR_NULL(request_attr(RADIUS_ATTR_STATE, &len));
}

static void a_state_of_a_bad_length_is_refused(void)
{
	uint8_t big[RADIUS_STATE_MAX + 1] = { 0 };

	CU_ASSERT_EQUAL(radius_pkt_access_request_state(&rq, 9, SECRET, "alice", "1", NULL, big,
							sizeof(big)), -EINVAL);
	CU_ASSERT_EQUAL(radius_pkt_access_request_state(&rq, 9, SECRET, "alice", "1", NULL, big, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(radius_pkt_access_request_state(&rq, 9, SECRET, "alice", "1", NULL, NULL, 3),
			-EINVAL);
}

/* A challenge is checked like any reply: a forged one (another secret) is not believed. */
static void a_challenge_is_believed_only_when_signed(void)
{
	static const uint8_t attrs[] = { RADIUS_ATTR_STATE, 4, 'x', 'y', RADIUS_ATTR_REPLY_MESSAGE, 7,
					 'C', 'o', 'd', 'e', '?' };
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t n;

	new_request();
	n = reply(pkt, RADIUS_ACCESS_CHALLENGE, 42, attrs, sizeof(attrs), SECRET, true);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, true), RADIUS_ACCESS_CHALLENGE);
	n = reply(pkt, RADIUS_ACCESS_CHALLENGE, 42, attrs, sizeof(attrs), "another", true);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, true), -EKEYREJECTED);
	n = reply(pkt, RADIUS_ACCESS_CHALLENGE, 42, attrs, sizeof(attrs), SECRET, false);
	CU_ASSERT_EQUAL(radius_pkt_check_reply(&rq, SECRET, pkt, n, true), -EPROTO);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(a_request_is_an_access_request_with_its_length_and_identifier),
		T(the_password_is_hidden_and_only_the_secret_reveals_it),
		T(the_request_message_authenticator_verifies),
		T(a_reply_signed_with_the_secret_is_believed),
		T(a_forged_accept_with_a_wrong_authenticator_is_refused),
		T(a_reply_whose_attributes_were_changed_is_refused),
		T(a_reject_turned_into_an_accept_is_refused),
		T(a_reply_signed_with_another_secret_is_refused),
		T(a_wrong_message_authenticator_is_refused),
		T(a_missing_message_authenticator_is_refused_only_when_required),
		T(a_reply_to_another_identifier_is_not_ours),
		T(malformed_replies_are_refused_before_any_digest),
		T(padding_after_the_length_is_ignored),
		T(attributes_of_a_reply_are_walked_in_order),
		T(requests_with_bad_inputs_are_refused),
		T(a_128_byte_password_fills_eight_blocks),
		T(an_answer_to_a_challenge_carries_its_state_unmodified),
		T(a_state_of_a_bad_length_is_refused),
		T(a_challenge_is_believed_only_when_signed),
#undef T
		{NULL, NULL},
	};

	return unit_run("radius_pkt", cases, NULL, NULL);
}
