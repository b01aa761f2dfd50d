/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Second factors: TOTP enrolment and checks over the store, the sealed secrets and their key
 * file, and the table of logins waiting for a code. The attacks come first.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "auth/challenge.h"
#include "auth/mfa.h"
#include "auth/mfa_seal.h"
#include "ctl_test.h"
#include "store/mfa_store.h"

#define NOW 1700000010 /* 10 s into a step */

static char dir[64], db[512];
static struct store *st;
static struct mfa *m;
static const uint8_t test_key[32] = { 1, 2, 3 };

static int setup(void)
{
	ctl_test_tmpdir(dir, sizeof(dir));
	st = ctl_test_store(dir, db, sizeof(db));
	m = mfa_create_with_key(st, test_key);
	return m == NULL;
}

static int teardown(void)
{
	mfa_free(m);
	store_close(st);
	ctl_test_rmdir(dir);
	return 0;
}

static size_t base32_decode(const char *s, uint8_t *out)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned acc = 0, bits = 0;
	size_t n = 0;

	for (; *s; s++) {
		acc = (acc << 5) | (unsigned)(strchr(alphabet, *s) - alphabet);
		bits += 5;
		if (bits >= 8) {
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	return n;
}

/* What the engineer's phone shows at t for the secret of an enrolment. */
static void phone_code(const char *b32, int64_t t, char code[TOTP_MAX_DIGITS + 1])
{
	uint8_t raw[64];
	size_t n = base32_decode(b32, raw);

	CU_ASSERT_EQUAL_FATAL(totp_code(raw, n, TOTP_SHA1, (uint64_t)t / TOTP_STEP_S, 6, code), 0);
}

/* Enrols and confirms user; leaves the base32 secret in b32. */
static void enrolled(const char *user, char b32[TOTP_BASE32_MAX])
{
	char uri[MFA_URI_MAX], code[TOTP_MAX_DIGITS + 1];

	CU_ASSERT_EQUAL_FATAL(mfa_enroll(m, user, TOTP_SHA1, NOW, uri, sizeof(uri), b32), 0);
	phone_code(b32, NOW, code);
	CU_ASSERT_EQUAL_FATAL(mfa_confirm(m, user, code, NOW), 0);
}

static void an_engineer_cannot_replace_a_confirmed_factor(void)
{
	char b32[TOTP_BASE32_MAX], other[TOTP_BASE32_MAX], uri[MFA_URI_MAX];

	enrolled("alice", b32);
	CU_ASSERT_EQUAL(mfa_enroll(m, "alice", TOTP_SHA1, NOW, uri, sizeof(uri), other), -EEXIST);
	/* nor by writing the name another way */
	CU_ASSERT_EQUAL(mfa_enroll(m, "ALICE", TOTP_SHA1, NOW, uri, sizeof(uri), other), -EEXIST);
	CU_ASSERT_EQUAL(mfa_enrolled(m, "alice"), 1);
	CU_ASSERT_EQUAL(mfa_reset(m, "alice"), 0);
}

static void a_code_counts_once(void)
{
	char b32[TOTP_BASE32_MAX], code[TOTP_MAX_DIGITS + 1];

	enrolled("bob", b32);
	/* the confirming code's step is used up too */
	phone_code(b32, NOW, code);
	CU_ASSERT_EQUAL(mfa_check(m, "bob", code, NOW), -EKEYREJECTED);
	phone_code(b32, NOW + 30, code);
	CU_ASSERT_EQUAL(mfa_check(m, "bob", code, NOW + 30), 0);
	CU_ASSERT_EQUAL(mfa_check(m, "bob", code, NOW + 31), -EKEYREJECTED);
	/* an older code still within the window is no good either once a later one was used */
	phone_code(b32, NOW + 60, code);
	CU_ASSERT_EQUAL(mfa_check(m, "bob", code, NOW + 60), 0);
	phone_code(b32, NOW + 30, code);
	CU_ASSERT_EQUAL(mfa_check(m, "bob", code, NOW + 60), -EKEYREJECTED);
	CU_ASSERT_EQUAL(mfa_reset(m, "bob"), 0);
}

/* RADIUS servers mostly ignore case: "CAROL" must meet carol's factor, not dodge it. */
static void the_factor_binds_the_name_in_any_case(void)
{
	char b32[TOTP_BASE32_MAX], code[TOTP_MAX_DIGITS + 1];

	enrolled("carol", b32);
	CU_ASSERT_EQUAL(mfa_enrolled(m, "CAROL"), 1);
	phone_code(b32, NOW + 30, code);
	CU_ASSERT_EQUAL(mfa_check(m, "Carol", code, NOW + 30), 0);
	CU_ASSERT_EQUAL(mfa_reset(m, "carol"), 0);
}

static void a_pending_enrolment_is_no_factor_and_a_wrong_code_confirms_nothing(void)
{
	char b32[TOTP_BASE32_MAX], uri[MFA_URI_MAX], code[TOTP_MAX_DIGITS + 1];

	CU_ASSERT_EQUAL_FATAL(mfa_enroll(m, "dave", TOTP_SHA256, NOW, uri, sizeof(uri), b32), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(uri, "otpauth://totp/spgate:dave?secret="));
	CU_ASSERT_PTR_NOT_NULL(strstr(uri, "&algorithm=SHA256&digits=6&period=30"));
	CU_ASSERT_EQUAL(mfa_enrolled(m, "dave"), 0);
	CU_ASSERT_EQUAL(mfa_check(m, "dave", "123456", NOW), -ENOENT);
	phone_code(b32, NOW, code); /* a SHA1 code of a SHA256 secret */
	CU_ASSERT_EQUAL(mfa_confirm(m, "dave", code, NOW), -EKEYREJECTED);
	CU_ASSERT_EQUAL(mfa_confirm(m, "dave", "12345", NOW), -EINVAL);
	CU_ASSERT_EQUAL(mfa_enrolled(m, "dave"), 0);
	/* enrolling again replaces a pending secret */
	CU_ASSERT_EQUAL(mfa_enroll(m, "dave", TOTP_SHA1, NOW, uri, sizeof(uri), b32), 0);
	CU_ASSERT_EQUAL(mfa_reset(m, "dave"), 0);
	CU_ASSERT_EQUAL(mfa_reset(m, "dave"), -ENOENT);
}

/* A copy of the database alone (a backup) gives no secret. */
static void the_store_holds_the_secret_sealed(void)
{
	char b32[TOTP_BASE32_MAX];
	struct store_mfa_factor f;
	uint8_t raw[64], out[64];
	struct mfa_seal *other;
	size_t n;

	enrolled("erin", b32);
	n = base32_decode(b32, raw);
	CU_ASSERT_EQUAL_FATAL(store_mfa_get(st, "erin", &f), 0);
	CU_ASSERT_EQUAL(f.secret_len, n + MFA_SEAL_OVERHEAD);
	CU_ASSERT_PTR_NULL(memmem(f.secret, f.secret_len, raw, n));
	CU_ASSERT_PTR_NULL(memmem(f.secret, f.secret_len, b32, strlen(b32)));
	/* the user name is bound in: the row moved to another user does not open */
	other = mfa_seal_from_bytes(test_key);
	CU_ASSERT_EQUAL((int)n, mfa_open(other, "erin", f.secret, f.secret_len, out, sizeof(out)));
	CU_ASSERT_EQUAL(mfa_open(other, "mallory", f.secret, f.secret_len, out, sizeof(out)), -EBADMSG);
	f.secret[20] ^= 1;
	CU_ASSERT_EQUAL(mfa_open(other, "erin", f.secret, f.secret_len, out, sizeof(out)), -EBADMSG);
	mfa_seal_free(other);
	CU_ASSERT_EQUAL(mfa_reset(m, "erin"), 0);
}

static void the_key_file_is_made_private_and_a_readable_one_is_refused(void)
{
	char path[128];
	struct mfa_seal *s;
	struct stat sb;

	s = mfa_seal_load(dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	mfa_seal_free(s);
	snprintf(path, sizeof(path), "%s/mfa.key", dir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(sb.st_size, 32);
	CU_ASSERT_EQUAL_FATAL(chmod(path, 0640), 0);
	CU_ASSERT_PTR_NULL(mfa_seal_load(dir));
	CU_ASSERT_EQUAL(errno, EPERM);
	CU_ASSERT_EQUAL(unlink(path), 0);
}

static struct challenge parked(const char *user, const char *source)
{
	struct challenge c = { .kind = CHALLENGE_TOTP };

	snprintf(c.user, sizeof(c.user), "%s", user);
	snprintf(c.source, sizeof(c.source), "%s", source);
	return c;
}

/* A challenge id answers once, for its user and address, within its lifetime. */
static void a_challenge_id_is_single_use_and_bound_to_user_and_source(void)
{
	struct challenge_table *t = challenge_table_new();
	char id[CHALLENGE_ID_LEN + 1], id2[CHALLENGE_ID_LEN + 1];
	struct challenge c = parked("alice", "192.0.2.7"), out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL_FATAL(challenge_put(t, NOW, &c, id), 0);
	CU_ASSERT_EQUAL(challenge_take(t, NOW, id, "alice", "192.0.2.7", &out), 0);
	CU_ASSERT_STRING_EQUAL(out.user, "alice");
	CU_ASSERT_EQUAL(challenge_take(t, NOW, id, "alice", "192.0.2.7", &out), -ENOENT);

	/* another user's login, or another address: refused, and the id is gone */
	CU_ASSERT_EQUAL_FATAL(challenge_put(t, NOW, &c, id), 0);
	CU_ASSERT_EQUAL(challenge_take(t, NOW, id, "mallory", "192.0.2.7", &out), -EPERM);
	CU_ASSERT_EQUAL(challenge_take(t, NOW, id, "alice", "192.0.2.7", &out), -ENOENT);
	CU_ASSERT_EQUAL_FATAL(challenge_put(t, NOW, &c, id), 0);
	CU_ASSERT_EQUAL(challenge_take(t, NOW, id, "alice", "203.0.113.5", &out), -EPERM);
	CU_ASSERT_EQUAL(challenge_take(t, NOW, id, "alice", "192.0.2.7", &out), -ENOENT);

	/* late */
	CU_ASSERT_EQUAL_FATAL(challenge_put(t, NOW, &c, id), 0);
	CU_ASSERT_EQUAL(challenge_take(t, NOW + CHALLENGE_TTL_S, id, "alice", "192.0.2.7", &out),
			-ENOENT);
	/* ids differ, and text that is no id finds nothing */
	CU_ASSERT_EQUAL_FATAL(challenge_put(t, NOW, &c, id), 0);
	CU_ASSERT_EQUAL_FATAL(challenge_put(t, NOW, &c, id2), 0);
	CU_ASSERT_STRING_NOT_EQUAL(id, id2);
	CU_ASSERT_EQUAL(challenge_take(t, NOW, "", "alice", "192.0.2.7", &out), -ENOENT);
	CU_ASSERT_EQUAL(challenge_take(t, NOW, "0123", "alice", "192.0.2.7", &out), -ENOENT);
	challenge_table_free(t);
}

static void a_flood_of_challenges_is_refused_until_they_expire(void)
{
	struct challenge_table *t = challenge_table_new();
	struct challenge c = parked("alice", "192.0.2.7");
	char id[CHALLENGE_ID_LEN + 1];
	unsigned i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (i = 0; i < CHALLENGE_MAX; i++)
		CU_ASSERT_EQUAL_FATAL(challenge_put(t, NOW, &c, id), 0);
	CU_ASSERT_EQUAL(challenge_put(t, NOW, &c, id), -EBUSY);
	CU_ASSERT_EQUAL(challenge_put(t, NOW + CHALLENGE_TTL_S, &c, id), 0);
	challenge_table_free(t);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(an_engineer_cannot_replace_a_confirmed_factor),
		T(a_code_counts_once),
		T(the_factor_binds_the_name_in_any_case),
		T(a_pending_enrolment_is_no_factor_and_a_wrong_code_confirms_nothing),
		T(the_store_holds_the_secret_sealed),
		T(the_key_file_is_made_private_and_a_readable_one_is_refused),
		T(a_challenge_id_is_single_use_and_bound_to_user_and_source),
		T(a_flood_of_challenges_is_refused_until_they_expire),
#undef T
		{NULL, NULL},
	};

	return unit_run("mfa", cases, setup, teardown);
}
