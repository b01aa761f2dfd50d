/* SPDX-License-Identifier: BSD-3-Clause */
/* Grants: what the control plane signs is what the agent accepts, and nothing else. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "grant.h"
#include "unit_run.h"

#define NOW 1700000000
#define GW_CERT "abababababababababababababababababababababababababababababababab"

static EVP_PKEY *vendor_key, *other_key;

static void sample_grant(struct spg_grant *g)
{
	memset(g, 0, sizeof(*g));
	g->version = SPG_GRANT_VERSION;
	g->session = 4242;
	snprintf(g->engineer, sizeof(g->engineer), "alice");
	snprintf(g->groups[0], sizeof(g->groups[0]), "storage-eu");
	g->n_groups = 1;
	snprintf(g->serial, sizeof(g->serial), "CK2001");
	g->issued = NOW - 10;
	g->expires = NOW + 600;
	snprintf(g->ports[0], sizeof(g->ports[0]), "tcp:22");
	snprintf(g->ports[1], sizeof(g->ports[1]), "tcp:443");
	g->n_ports = 2;
	g->icmp_echo = true;
	g->gw_inner = htonl(0xc0000201);  /* 192.0.2.1 */
	g->gw_outer = htonl(0xcb007101);  /* 203.0.113.1 */
	g->gw_outer_port = 4500;
	memset(g->gw_cert, 'a', SPG_GRANT_CERT_HEX); /* a gateway certificate's SHA-256 */
	g->gw_cert[SPG_GRANT_CERT_HEX] = '\0';
	CU_ASSERT_EQUAL_FATAL(spg_grant_new_nonce(g), 0);
}

static enum spg_grant_verdict verify(const char *gb, const char *sb, EVP_PKEY *pub,
				     const char *serial, time_t now, struct spg_grant *out)
{
	char detail[256];

	return spg_grant_verify(gb, sb, pub, serial, now, out, detail, sizeof(detail));
}

/* Signs raw bytes, so tests can make validly signed documents the builder refuses to make. */
static void sign_raw(const char *msg, char **gb, char **sb)
{
	uint8_t sig[64];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	CU_ASSERT_FATAL(EVP_DigestSignInit(md, NULL, NULL, NULL, vendor_key) == 1);
	CU_ASSERT_FATAL(EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)msg, strlen(msg)) == 1);
	EVP_MD_CTX_free(md);
	*gb = spg_base64_encode((const uint8_t *)msg, strlen(msg));
	*sb = spg_base64_encode(sig, sig_len);
}

static void signed_sample(char **gb, char **sb)
{
	struct spg_grant g;
	char err[256];

	sample_grant(&g);
	CU_ASSERT_EQUAL_FATAL(spg_grant_sign(&g, vendor_key, gb, sb, err, sizeof(err)), 0);
}

static void a_signed_grant_verifies_and_reads_back_every_field(void)
{
	struct spg_grant g, back;
	char *gb, *sb, err[256];

	sample_grant(&g);
	CU_ASSERT_EQUAL_FATAL(spg_grant_sign(&g, vendor_key, &gb, &sb, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2001", NOW, &back), SPG_GRANT_OK);
	CU_ASSERT_EQUAL(back.version, 2);
	CU_ASSERT_STRING_EQUAL(back.gw_cert, g.gw_cert);
	CU_ASSERT_EQUAL(back.session, 4242);
	CU_ASSERT_STRING_EQUAL(back.engineer, "alice");
	CU_ASSERT_EQUAL(back.n_groups, 1);
	CU_ASSERT_STRING_EQUAL(back.groups[0], "storage-eu");
	CU_ASSERT_EQUAL(back.n_ports, 2);
	CU_ASSERT_STRING_EQUAL(back.ports[1], "tcp:443");
	CU_ASSERT_TRUE(back.icmp_echo);
	CU_ASSERT_EQUAL(back.gw_inner, g.gw_inner);
	CU_ASSERT_EQUAL(back.gw_outer, g.gw_outer);
	CU_ASSERT_EQUAL(back.gw_outer_port, 4500);
	CU_ASSERT_EQUAL(back.expires, NOW + 600);
	CU_ASSERT_STRING_EQUAL(back.nonce, g.nonce);
	free(gb);
	free(sb);
}

static void the_serialised_grant_has_the_contracts_key_order(void)
{
	struct spg_grant g;
	char *json, err[256], *p;
	size_t len;
	const char *keys[] = {"\"v\":2", "\"session\":", "\"engineer\":", "\"groups\":",
			      "\"serial\":", "\"issued\":", "\"expires\":", "\"ports\":",
			      "\"icmp_echo\":true", "\"gw_inner\":\"192.0.2.1\"",
			      "\"gw_outer\":\"203.0.113.1:4500\"", "\"gw_cert\":\"aaaa", "\"nonce\":"};
	size_t i;

	sample_grant(&g);
	CU_ASSERT_EQUAL_FATAL(spg_grant_serialize(&g, &json, &len, err, sizeof(err)), 0);
	p = json;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		p = strstr(p, keys[i]);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	}
	free(json);
}

static void a_grant_signed_by_another_key_is_a_bad_signature(void)
{
	struct spg_grant g;
	char *gb, *sb, err[256];

	sample_grant(&g);
	CU_ASSERT_EQUAL_FATAL(spg_grant_sign(&g, other_key, &gb, &sb, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2001", NOW, NULL), SPG_GRANT_BAD_SIGNATURE);
	CU_ASSERT_STRING_EQUAL(spg_grant_verdict_name(SPG_GRANT_BAD_SIGNATURE), "bad signature");
	free(gb);
	free(sb);
}

static void a_grant_with_one_byte_changed_is_a_bad_signature(void)
{
	char *gb, *sb, *tampered, *p;
	uint8_t *raw;
	size_t len;

	signed_sample(&gb, &sb);
	raw = spg_base64_decode(gb, SPG_GRANT_MAX_LEN, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
	/* a longer life for the grant: exactly what a forger would want */
	p = memmem(raw, len, "\"expires\":17", 12);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[11] = '9';
	tampered = spg_base64_encode(raw, len);
	CU_ASSERT_EQUAL(verify(tampered, sb, vendor_key, "CK2001", NOW, NULL),
			SPG_GRANT_BAD_SIGNATURE);
	free(raw);
	free(tampered);
	free(gb);
	free(sb);
}

static void a_signature_with_one_bit_flipped_is_a_bad_signature(void)
{
	char *gb, *sb, *flipped;
	uint8_t *sig;
	size_t len;

	signed_sample(&gb, &sb);
	sig = spg_base64_decode(sb, SPG_GRANT_SIG_LEN, &len);
	CU_ASSERT_EQUAL_FATAL(len, 64);
	sig[17] ^= 0x04;
	flipped = spg_base64_encode(sig, len);
	CU_ASSERT_EQUAL(verify(gb, flipped, vendor_key, "CK2001", NOW, NULL),
			SPG_GRANT_BAD_SIGNATURE);
	free(sig);
	free(flipped);
	free(gb);
	free(sb);
}

static void a_grant_for_another_serial_is_refused_as_wrong_serial(void)
{
	struct spg_grant back;
	char *gb, *sb;

	signed_sample(&gb, &sb);
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2002", NOW, &back), SPG_GRANT_WRONG_SERIAL);
	CU_ASSERT_STRING_EQUAL(back.serial, "CK2001");
	CU_ASSERT_STRING_EQUAL(spg_grant_verdict_name(SPG_GRANT_WRONG_SERIAL), "wrong serial");
	free(gb);
	free(sb);
}

static void a_grant_is_void_from_its_expiry_second_on(void)
{
	char *gb, *sb;

	signed_sample(&gb, &sb);
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2001", NOW + 599, NULL), SPG_GRANT_OK);
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2001", NOW + 600, NULL), SPG_GRANT_EXPIRED);
	CU_ASSERT_STRING_EQUAL(spg_grant_verdict_name(SPG_GRANT_EXPIRED), "expired");
	free(gb);
	free(sb);
}

static void a_signature_check_comes_before_the_serial_and_expiry_checks(void)
{
	struct spg_grant g;
	char *gb, *sb, err[256];

	sample_grant(&g);
	CU_ASSERT_EQUAL_FATAL(spg_grant_sign(&g, other_key, &gb, &sb, err, sizeof(err)), 0);
	/* wrong serial and expired too: the forgery is what matters */
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "XX", NOW + 10000, NULL), SPG_GRANT_BAD_SIGNATURE);
	free(gb);
	free(sb);
}

static void text_that_is_not_base64_is_a_malformed_grant(void)
{
	char *gb, *sb;

	signed_sample(&gb, &sb);
	CU_ASSERT_EQUAL(verify("not base64!", sb, vendor_key, "CK2001", NOW, NULL),
			SPG_GRANT_MALFORMED);
	CU_ASSERT_EQUAL(verify(gb, "####", vendor_key, "CK2001", NOW, NULL), SPG_GRANT_MALFORMED);
	CU_ASSERT_EQUAL(verify(NULL, sb, vendor_key, "CK2001", NOW, NULL), SPG_GRANT_MALFORMED);
	CU_ASSERT_STRING_EQUAL(spg_grant_verdict_name(SPG_GRANT_MALFORMED), "malformed grant");
	free(gb);
	free(sb);
}

static void validly_signed_bytes_that_are_no_grant_are_malformed(void)
{
	static const char *docs[] = {
		"hello",
		"[1,2,3]",
		/* version 3 */
		"{\"v\":3,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:22\"],\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\",\"gw_cert\":\"" GW_CERT "\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		/* ports missing */
		"{\"v\":2,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\",\"gw_cert\":\"" GW_CERT "\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		/* a port that is no port */
		"{\"v\":2,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:99999\"],\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\",\"gw_cert\":\"" GW_CERT "\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		/* gw_inner not an address */
		"{\"v\":2,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:22\"],\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.300\",\"gw_outer\":\"203.0.113.1:4500\",\"gw_cert\":\"" GW_CERT "\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		/* version 1: no gw_cert, a bearer pass anyone could use; refused */
		"{\"v\":1,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:22\"],\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		/* version 2 without gw_cert */
		"{\"v\":2,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:22\"],\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		/* gw_cert in upper case: two spellings of one fingerprint would defeat the compare */
		"{\"v\":2,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:22\"],\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\","
		"\"gw_cert\":\"ABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		/* a key twice */
		"{\"v\":2,\"v\":1,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		"\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:22\"],\"icmp_echo\":false,"
		"\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\",\"gw_cert\":\"" GW_CERT "\","
		"\"nonce\":\"00112233445566778899aabbccddeeff\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		char *gb, *sb;

		sign_raw(docs[i], &gb, &sb);
		CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2001", NOW, NULL), SPG_GRANT_MALFORMED);
		free(gb);
		free(sb);
	}
}

static void the_same_document_hand_signed_verifies(void)
{
	char *gb, *sb;

	/* the control: the malformed documents above fail for their content, not their signing */
	sign_raw("{\"v\":2,\"session\":1,\"engineer\":\"a\",\"groups\":[],\"serial\":\"CK2001\","
		 "\"issued\":1,\"expires\":9999999999,\"ports\":[\"tcp:22\"],\"icmp_echo\":false,"
		 "\"gw_inner\":\"192.0.2.1\",\"gw_outer\":\"203.0.113.1:4500\",\"gw_cert\":\"" GW_CERT "\","
		 "\"nonce\":\"00112233445566778899aabbccddeeff\"}",
		 &gb, &sb);
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2001", NOW, NULL), SPG_GRANT_OK);
	free(gb);
	free(sb);
}

static void the_builder_refuses_a_grant_it_could_not_verify(void)
{
	struct spg_grant g;
	char *gb, *sb, err[256];

	sample_grant(&g);
	snprintf(g.ports[1], sizeof(g.ports[1]), "sctp:9");
	CU_ASSERT_EQUAL(spg_grant_sign(&g, vendor_key, &gb, &sb, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "ports[1]"));
	sample_grant(&g);
	g.expires = g.issued;
	CU_ASSERT_EQUAL(spg_grant_sign(&g, vendor_key, &gb, &sb, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "expires"));
	sample_grant(&g);
	g.serial[0] = '\0';
	CU_ASSERT_EQUAL(spg_grant_sign(&g, vendor_key, &gb, &sb, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "serial"));
}

static void base64_round_trips_and_refuses_non_canonical_text(void)
{
	const uint8_t data[] = {0, 1, 2, 0xfe, 0xff};
	uint8_t *back;
	size_t n, len;
	char *enc;

	for (n = 0; n <= sizeof(data); n++) {
		if (n == 0)
			continue;
		enc = spg_base64_encode(data, n);
		back = spg_base64_decode(enc, 64, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(back);
		CU_ASSERT_EQUAL(len, n);
		CU_ASSERT_EQUAL(memcmp(back, data, n), 0);
		free(back);
		free(enc);
	}
	CU_ASSERT_PTR_NULL(spg_base64_decode("AB==", 64, &len)); /* leftover bits set */
	CU_ASSERT_PTR_NULL(spg_base64_decode("AA=A", 64, &len));
	CU_ASSERT_PTR_NULL(spg_base64_decode("AA A", 64, &len));
	CU_ASSERT_PTR_NULL(spg_base64_decode("AAA", 64, &len));
	CU_ASSERT_PTR_NULL(spg_base64_decode("AAAAAAAA", 5, &len)); /* longer than allowed */
}

static void a_generated_key_pair_signs_and_verifies(void)
{
	char dir[] = "/tmp/test_grant.XXXXXX", priv[64], pub[64], err[256], *gb, *sb;
	EVP_PKEY *k, *p;
	struct spg_grant g;
	struct stat st;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(priv, sizeof(priv), "%s/vendor.key", dir);
	snprintf(pub, sizeof(pub), "%s/vendor.pub", dir);
	CU_ASSERT_EQUAL_FATAL(spg_grant_gen_keypair(priv, pub, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(stat(priv, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
	/* never overwrites a key */
	CU_ASSERT_NOT_EQUAL(spg_grant_gen_keypair(priv, pub, err, sizeof(err)), 0);
	k = spg_grant_load_private_key(priv, err, sizeof(err));
	p = spg_grant_load_public_key(pub, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_PTR_NULL(spg_grant_load_public_key(priv, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, priv));
	sample_grant(&g);
	CU_ASSERT_EQUAL_FATAL(spg_grant_sign(&g, k, &gb, &sb, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(verify(gb, sb, p, "CK2001", NOW, NULL), SPG_GRANT_OK);
	CU_ASSERT_EQUAL(verify(gb, sb, vendor_key, "CK2001", NOW, NULL), SPG_GRANT_BAD_SIGNATURE);
	free(gb);
	free(sb);
	EVP_PKEY_free(k);
	EVP_PKEY_free(p);
	unlink(priv);
	unlink(pub);
	rmdir(dir);
}

static void ports_parse_as_protocol_and_number(void)
{
	uint8_t proto;
	uint16_t port;

	CU_ASSERT_TRUE(spg_grant_port_parse("tcp:22", &proto, &port) && proto == 6 && port == 22);
	CU_ASSERT_TRUE(spg_grant_port_parse("udp:161", &proto, &port) && proto == 17 && port == 161);
	CU_ASSERT_FALSE(spg_grant_port_parse("tcp:0", &proto, &port));
	CU_ASSERT_FALSE(spg_grant_port_parse("tcp:022", &proto, &port));
	CU_ASSERT_FALSE(spg_grant_port_parse("tcp:65536", &proto, &port));
	CU_ASSERT_FALSE(spg_grant_port_parse("tcp:", &proto, &port));
	CU_ASSERT_FALSE(spg_grant_port_parse("icmp:1", &proto, &port));
}

static void the_exporter_context_is_session_then_generation_big_endian(void)
{
	uint8_t ctx[SPG_ESP_EXPORTER_CTX_LEN];
	const uint8_t want[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0, 0, 0x01, 0x02};
	char fp[9];

	spg_esp_exporter_context(0x0102030405060708ull, 0x102, ctx);
	CU_ASSERT_EQUAL(memcmp(ctx, want, sizeof(want)), 0);
	/* SHA-256("abc") starts ba7816bf */
	CU_ASSERT_STRING_EQUAL(spg_key_fingerprint((const uint8_t *)"abc", 3, fp), "ba7816bf");
}

static void the_builder_refuses_a_grant_bound_to_no_gateway(void)
{
	struct spg_grant g;
	char *gb, *sb, err[256];

	sample_grant(&g);
	g.gw_cert[0] = '\0';
	CU_ASSERT_EQUAL(spg_grant_sign(&g, vendor_key, &gb, &sb, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "gw_cert"));
	sample_grant(&g);
	g.gw_cert[10] = 'A';
	CU_ASSERT_EQUAL(spg_grant_sign(&g, vendor_key, &gb, &sb, err, sizeof(err)), -EINVAL);
}

static void a_certificate_fingerprint_is_the_sha256_of_its_der(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	unsigned char *der = NULL, md[32];
	char fp[SPG_GRANT_CERT_HEX + 1], want[SPG_GRANT_CERT_HEX + 1];
	int len, i;

	CU_ASSERT_PTR_NULL(spg_cert_fingerprint(NULL, fp));
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 60);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"gw", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	CU_ASSERT_FATAL(X509_sign(x, k, NULL) > 0);
	len = i2d_X509(x, &der);
	CU_ASSERT_FATAL(len > 0);
	SHA256(der, (size_t)len, md);
	for (i = 0; i < 32; i++)
		snprintf(&want[2 * i], 3, "%02x", md[i]);
	CU_ASSERT_PTR_NOT_NULL(spg_cert_fingerprint(x, fp));
	CU_ASSERT_STRING_EQUAL(fp, want);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(a_signed_grant_verifies_and_reads_back_every_field),
		T(the_serialised_grant_has_the_contracts_key_order),
		T(a_grant_signed_by_another_key_is_a_bad_signature),
		T(a_grant_with_one_byte_changed_is_a_bad_signature),
		T(a_signature_with_one_bit_flipped_is_a_bad_signature),
		T(a_grant_for_another_serial_is_refused_as_wrong_serial),
		T(a_grant_is_void_from_its_expiry_second_on),
		T(a_signature_check_comes_before_the_serial_and_expiry_checks),
		T(text_that_is_not_base64_is_a_malformed_grant),
		T(validly_signed_bytes_that_are_no_grant_are_malformed),
		T(the_same_document_hand_signed_verifies),
		T(the_builder_refuses_a_grant_it_could_not_verify),
		T(the_builder_refuses_a_grant_bound_to_no_gateway),
		T(a_certificate_fingerprint_is_the_sha256_of_its_der),
		T(base64_round_trips_and_refuses_non_canonical_text),
		T(a_generated_key_pair_signs_and_verifies),
		T(ports_parse_as_protocol_and_number),
		T(the_exporter_context_is_session_then_generation_big_endian),
#undef T
		{NULL, NULL},
	};
	int rc;

	vendor_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	other_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (vendor_key == NULL || other_key == NULL)
		return 2;
	rc = unit_run("grant", cases, NULL, NULL);
	EVP_PKEY_free(vendor_key);
	EVP_PKEY_free(other_key);
	return rc;
}
