/* SPDX-License-Identifier: BSD-3-Clause */
/* TOTP (RFC 6238): the appendix B vectors, the ±1 step window and single use of a step. */
#include <errno.h>
#include <string.h>

#include "auth/totp.h"
#include "unit_run.h"

static const uint8_t key_sha1[] = "12345678901234567890";
static const uint8_t key_sha256[] = "12345678901234567890123456789012";

struct vector {
	int64_t t;
	const char *sha1, *sha256;
};

/* RFC 6238 appendix B (8 digits). */
static const struct vector vectors[] = {
	{ 59, "94287082", "46119246" },
	{ 1111111109, "07081804", "68084774" },
	{ 1111111111, "14050471", "67062674" },
	{ 1234567890, "89005924", "91819424" },
	{ 2000000000, "69279037", "90698825" },
	{ 20000000000, "65353130", "77737706" },
};

static void the_rfc_6238_vectors_come_out(void)
{
	char code[TOTP_MAX_DIGITS + 1];
	size_t i;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		uint64_t step = (uint64_t)vectors[i].t / TOTP_STEP_S;

		CU_ASSERT_EQUAL_FATAL(totp_code(key_sha1, 20, TOTP_SHA1, step, 8, code), 0);
		CU_ASSERT_STRING_EQUAL(code, vectors[i].sha1);
		CU_ASSERT_EQUAL_FATAL(totp_code(key_sha256, 32, TOTP_SHA256, step, 8, code), 0);
		CU_ASSERT_STRING_EQUAL(code, vectors[i].sha256);
	}
}

static void six_digits_are_the_last_six_with_leading_zeros(void)
{
	char code[TOTP_MAX_DIGITS + 1];

	/* 07081804 at 1111111109: six digits keep the leading zero of 081804 */
	CU_ASSERT_EQUAL(totp_code(key_sha1, 20, TOTP_SHA1, 1111111109 / 30, 6, code), 0);
	CU_ASSERT_STRING_EQUAL(code, "081804");
	CU_ASSERT_EQUAL(totp_code(key_sha1, 20, TOTP_SHA1, 1, 7, code), -EINVAL);
}

static void a_code_is_accepted_one_step_either_side_and_not_two(void)
{
	const int64_t t = 1111111111, step = t / TOTP_STEP_S;

	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "14050471", -1), step);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t + 30, "14050471", -1), step);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t - 30, "14050471", -1), step);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t + 60, "14050471", -1),
			-EKEYREJECTED);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t - 60, "14050471", -1),
			-EKEYREJECTED);
}

/* The attacker who saw a code (over a shoulder, in a log) cannot use it again. */
static void a_code_of_a_step_already_used_is_refused(void)
{
	const int64_t t = 1111111111, step = t / TOTP_STEP_S;

	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "14050471", step),
			-EKEYREJECTED);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "14050471", step + 1),
			-EKEYREJECTED);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "14050471", step - 1), step);
}

static void wrong_codes_and_non_codes_are_refused(void)
{
	const int64_t t = 1111111111;

	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "14050472", -1), -EKEYREJECTED);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "1405047", -1), -EINVAL);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "1405047a", -1), -EINVAL);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "", -1), -EINVAL);
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, NULL, -1), -EINVAL);
	/* the SHA256 code of the same moment is not the SHA1 one */
	CU_ASSERT_EQUAL(totp_check(key_sha1, 20, TOTP_SHA1, 8, t, "67062674", -1), -EKEYREJECTED);
}

static void base32_is_rfc_4648_without_padding(void)
{
	char out[TOTP_BASE32_MAX];

	CU_ASSERT_EQUAL(totp_base32((const uint8_t *)"foobar", 6, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "MZXW6YTBOI");
	CU_ASSERT_EQUAL(totp_base32(key_sha1, 20, out, sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	CU_ASSERT_EQUAL(totp_base32(key_sha1, 20, out, 32), -ENOSPC);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(the_rfc_6238_vectors_come_out),
		T(six_digits_are_the_last_six_with_leading_zeros),
		T(a_code_is_accepted_one_step_either_side_and_not_two),
		T(a_code_of_a_step_already_used_is_refused),
		T(wrong_codes_and_non_codes_are_refused),
		T(base32_is_rfc_4648_without_padding),
#undef T
		{NULL, NULL},
	};

	return unit_run("totp", cases, NULL, NULL);
}
