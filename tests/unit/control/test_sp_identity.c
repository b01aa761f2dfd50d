/* SPDX-License-Identifier: BSD-3-Clause */
/* The SP's identity in its certificate: exactly one SAN URI spgate:sp:SERIAL, a plain name. */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "sp_handshake.h"
#include "unit_run.h"

static EVP_PKEY *key;

/* A self-signed certificate with subjectAltName san (NULL: none) and CN cn. */
static X509 *cert_with(const char *cn, const char *san)
{
	X509 *x = X509_new();
	X509_EXTENSION *ext;
	X509V3_CTX ctx;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 60);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	if (san != NULL) {
		X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
		CU_ASSERT_PTR_NOT_NULL_FATAL(ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	CU_ASSERT_FATAL(X509_sign(x, key, NULL) > 0);
	return x;
}

static int serial_of(const char *cn, const char *san, char *out, size_t len)
{
	X509 *x = cert_with(cn, san);
	int rc = sph_cert_serial(x, out, len);

	X509_free(x);
	return rc;
}

static void the_serial_is_the_one_spgate_sp_uri(void)
{
	char s[64];

	CU_ASSERT_EQUAL(serial_of("x", "DNS:CK2001,URI:spgate:sp:CK2001,IP:203.0.113.11", s,
				  sizeof(s)), 1);
	CU_ASSERT_STRING_EQUAL(s, "CK2001");
	CU_ASSERT_EQUAL(serial_of("x", "URI:https://example.com/,URI:spgate:sp:CK2002", s,
				  sizeof(s)), 1);
	CU_ASSERT_STRING_EQUAL(s, "CK2002");
}

static void neither_the_cn_nor_a_dns_name_is_an_identity(void)
{
	char s[64];

	CU_ASSERT_EQUAL(serial_of("CK2001", "DNS:CK2001", s, sizeof(s)), 0);
	CU_ASSERT_EQUAL(serial_of("CK2001", NULL, s, sizeof(s)), 0);
	CU_ASSERT_EQUAL(serial_of("x", "URI:spgate:spx:CK2001", s, sizeof(s)), 0);
}

static void a_certificate_naming_two_sps_names_none(void)
{
	char s[64];

	CU_ASSERT_EQUAL(serial_of("x", "URI:spgate:sp:CK2001,URI:spgate:sp:CK2002", s, sizeof(s)),
			-1);
	CU_ASSERT_EQUAL(serial_of("x", "URI:spgate:sp:CK2001,URI:spgate:sp:CK2001", s, sizeof(s)),
			-1);
}

static void a_serial_that_is_no_plain_name_is_refused(void)
{
	char s[8];

	CU_ASSERT_EQUAL(serial_of("x", "URI:spgate:sp:", s, sizeof(s)), -1);
	CU_ASSERT_EQUAL(serial_of("x", "URI:spgate:sp:CK 2001", s, sizeof(s)), -1);
	CU_ASSERT_EQUAL(serial_of("x", "URI:spgate:sp:CK2001%2C", s, sizeof(s)), -1);
	/* longer than the caller's buffer: refused, not cut (a cut name could match another) */
	CU_ASSERT_EQUAL(serial_of("x", "URI:spgate:sp:CK2001CK2001", s, sizeof(s)), -1);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(the_serial_is_the_one_spgate_sp_uri),
		T(neither_the_cn_nor_a_dns_name_is_an_identity),
		T(a_certificate_naming_two_sps_names_none),
		T(a_serial_that_is_no_plain_name_is_refused),
#undef T
		{NULL, NULL},
	};
	int rc;

	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (key == NULL)
		return 2;
	rc = unit_run("sp_identity", cases, NULL, NULL);
	EVP_PKEY_free(key);
	return rc;
}
