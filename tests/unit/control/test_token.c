/* SPDX-License-Identifier: BSD-3-Clause */
/* Login tokens: what the control plane issues verifies until it expires, and nothing else. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "b64.h"
#include "token.h"
#include "unit_run.h"

#define NOW 1700000000

static char state_dir[64];
static struct token_key *key;

static const char two_groups[2][TOKEN_NAME_MAX] = { "storage-eu", "approvers" };

static void issue(const struct token_key *k, unsigned ttl, char out[TOKEN_MAX_LEN])
{
	CU_ASSERT_EQUAL_FATAL(token_issue(k, "alice", two_groups, 2, ttl, NOW, out, TOKEN_MAX_LEN),
			      0);
}

static void a_token_verifies_and_reads_back_user_groups_and_times(void)
{
	char tok[TOKEN_MAX_LEN];
	struct token_claims c;

	issue(key, 600, tok);
	CU_ASSERT_EQUAL(token_verify(key, tok, NOW + 1, &c), 0);
	CU_ASSERT_STRING_EQUAL(c.user, "alice");
	CU_ASSERT_EQUAL(c.n_groups, 2);
	CU_ASSERT_STRING_EQUAL(c.groups[0], "storage-eu");
	CU_ASSERT_STRING_EQUAL(c.groups[1], "approvers");
	CU_ASSERT_EQUAL(c.iat, NOW);
	CU_ASSERT_EQUAL(c.exp, NOW + 600);
}

static void a_token_is_url_safe_text_with_one_dot(void)
{
	char tok[TOKEN_MAX_LEN];

	issue(key, 600, tok);
	CU_ASSERT_EQUAL(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789-_."),
			strlen(tok));
	CU_ASSERT_PTR_NOT_NULL(strchr(tok, '.'));
	CU_ASSERT_PTR_NULL(strchr(strchr(tok, '.') + 1, '.'));
}

static void a_token_is_void_from_its_expiry_second_on(void)
{
	char tok[TOKEN_MAX_LEN];

	issue(key, 600, tok);
	CU_ASSERT_EQUAL(token_verify(key, tok, NOW + 599, NULL), 0);
	CU_ASSERT_EQUAL(token_verify(key, tok, NOW + 600, NULL), -EKEYEXPIRED);
	CU_ASSERT_EQUAL(token_verify(key, tok, NOW + 86400, NULL), -EKEYEXPIRED);
}

/* Replaces the payload with other JSON, keeping the original MAC. */
static void a_token_with_a_changed_payload_is_rejected(void)
{
	const char *forged = "{\"u\":\"alice\",\"g\":[\"storage-eu\",\"approvers\",\"admins\"],"
			     "\"iat\":1700000000,\"exp\":1800000000}";
	char tok[TOKEN_MAX_LEN], evil[TOKEN_MAX_LEN];
	ssize_t n;

	issue(key, 600, tok);
	n = b64_encode(forged, strlen(forged), evil, sizeof(evil), B64_URL);
	CU_ASSERT_FATAL(n > 0);
	strcat(evil, strchr(tok, '.'));
	CU_ASSERT_EQUAL(token_verify(key, evil, NOW, NULL), -EKEYREJECTED);
}

static void a_token_with_one_payload_character_changed_is_rejected(void)
{
	char tok[TOKEN_MAX_LEN];

	issue(key, 600, tok);
	tok[5] = tok[5] == 'A' ? 'B' : 'A';
	CU_ASSERT_NOT_EQUAL(token_verify(key, tok, NOW, NULL), 0);
}

static void a_token_with_a_changed_mac_is_rejected(void)
{
	char tok[TOKEN_MAX_LEN];
	char *mac;

	issue(key, 600, tok);
	mac = strchr(tok, '.') + 1;
	mac[3] = mac[3] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(token_verify(key, tok, NOW, NULL), -EKEYREJECTED);
}

static void a_token_from_another_key_is_rejected(void)
{
	uint8_t raw[TOKEN_KEY_LEN];
	struct token_key *other;
	char tok[TOKEN_MAX_LEN];

	memset(raw, 0x5a, sizeof(raw));
	other = token_key_from_bytes(raw);
	CU_ASSERT_PTR_NOT_NULL_FATAL(other);
	issue(other, 600, tok);
	CU_ASSERT_EQUAL(token_verify(key, tok, NOW, NULL), -EKEYREJECTED);
	token_key_free(other);
}

static void text_that_is_no_token_is_malformed(void)
{
	char tok[TOKEN_MAX_LEN], twodots[TOKEN_MAX_LEN + 8];

	issue(key, 600, tok);
	snprintf(twodots, sizeof(twodots), "%s.", tok);
	CU_ASSERT_EQUAL(token_verify(key, "", NOW, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(token_verify(key, "nodot", NOW, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(token_verify(key, ".", NOW, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(token_verify(key, "abc$.def", NOW, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(token_verify(key, twodots, NOW, NULL), -EBADMSG);
	CU_ASSERT_EQUAL(token_verify(key, NULL, NOW, NULL), -EBADMSG);
}

static void the_issuer_refuses_names_it_could_not_read_back(void)
{
	char long_name[TOKEN_NAME_MAX + 1], tok[TOKEN_MAX_LEN];
	const char bad_group[1][TOKEN_NAME_MAX] = { "" };

	memset(long_name, 'x', TOKEN_NAME_MAX);
	long_name[TOKEN_NAME_MAX] = '\0';
	CU_ASSERT_EQUAL(token_issue(key, "", NULL, 0, 600, NOW, tok, sizeof(tok)), -EINVAL);
	CU_ASSERT_EQUAL(token_issue(key, long_name, NULL, 0, 600, NOW, tok, sizeof(tok)), -EINVAL);
	CU_ASSERT_EQUAL(token_issue(key, "alice", bad_group, 1, 600, NOW, tok, sizeof(tok)),
			-EINVAL);
	CU_ASSERT_EQUAL(token_issue(key, "alice", NULL, 0, 0, NOW, tok, sizeof(tok)), -EINVAL);
	CU_ASSERT_EQUAL(token_issue(key, "alice", two_groups, 2, 600, NOW, tok, 20), -ENOSPC);
}

static void the_largest_token_fits_token_max_len(void)
{
	char groups[TOKEN_MAX_GROUPS][TOKEN_NAME_MAX], user[TOKEN_NAME_MAX], tok[TOKEN_MAX_LEN];
	struct token_claims c;
	unsigned i;

	memset(user, 'u', sizeof(user) - 1);
	user[sizeof(user) - 1] = '\0';
	for (i = 0; i < TOKEN_MAX_GROUPS; i++) {
		memset(groups[i], 'a' + (int)i, TOKEN_NAME_MAX - 1);
		groups[i][TOKEN_NAME_MAX - 1] = '\0';
	}
	CU_ASSERT_EQUAL_FATAL(token_issue(key, user, (const char(*)[TOKEN_NAME_MAX])groups,
					  TOKEN_MAX_GROUPS, 60, NOW, tok, sizeof(tok)),
			      0);
	CU_ASSERT_EQUAL(token_verify(key, tok, NOW, &c), 0);
	CU_ASSERT_EQUAL(c.n_groups, TOKEN_MAX_GROUPS);
}

static void the_key_file_is_created_private_with_32_bytes(void)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "%s/token.key", state_dir);
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(st.st_size, TOKEN_KEY_LEN);
}

static void a_token_survives_a_restart_that_reloads_the_key_file(void)
{
	struct token_key *reloaded;
	char tok[TOKEN_MAX_LEN];

	issue(key, 600, tok);
	reloaded = token_key_load(state_dir);
	CU_ASSERT_PTR_NOT_NULL_FATAL(reloaded);
	CU_ASSERT_EQUAL(token_verify(reloaded, tok, NOW, NULL), 0);
	token_key_free(reloaded);
}

static void a_key_file_others_may_read_is_refused(void)
{
	char dir[] = "/tmp/spg-token-XXXXXX", path[128];
	struct token_key *k;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token.key", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "0123456789abcdef0123456789abcdef", 32), 32);
	fchmod(fd, 0644);
	close(fd);
	errno = 0;
	k = token_key_load(dir);
	CU_ASSERT_PTR_NULL(k);
	CU_ASSERT_EQUAL(errno, EPERM);
	token_key_free(k);
	unlink(path);
	rmdir(dir);
}

static void a_key_file_of_the_wrong_size_is_refused(void)
{
	char dir[] = "/tmp/spg-token-XXXXXX", path[128];
	struct token_key *k;
	int fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token.key", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, "short", 5), 5);
	close(fd);
	errno = 0;
	k = token_key_load(dir);
	CU_ASSERT_PTR_NULL(k);
	CU_ASSERT_EQUAL(errno, EINVAL);
	token_key_free(k);
	unlink(path);
	rmdir(dir);
}

static int setup(void)
{
	snprintf(state_dir, sizeof(state_dir), "/tmp/spg-token-XXXXXX");
	if (mkdtemp(state_dir) == NULL)
		return -1;
	key = token_key_load(state_dir);
	return key != NULL ? 0 : -1;
}

static int teardown(void)
{
	char path[128];

	token_key_free(key);
	snprintf(path, sizeof(path), "%s/token.key", state_dir);
	unlink(path);
	rmdir(state_dir);
	return 0;
}

static void a_token_carries_its_second_factor_signed(void)
{
	char tok[TOKEN_MAX_LEN];
	struct token_claims c;

	CU_ASSERT_EQUAL_FATAL(token_issue_mfa(key, "alice", two_groups, 2, 600, NOW, NOW - 5, "totp",
					      tok, sizeof(tok)), 0);
	CU_ASSERT_EQUAL_FATAL(token_verify(key, tok, NOW + 1, &c), 0);
	CU_ASSERT_EQUAL(c.mfa_at, NOW - 5);
	CU_ASSERT_STRING_EQUAL(c.mfa_factor, "totp");
	issue(key, 600, tok);
	CU_ASSERT_EQUAL_FATAL(token_verify(key, tok, NOW + 1, &c), 0);
	CU_ASSERT_EQUAL(c.mfa_at, 0);
	CU_ASSERT_STRING_EQUAL(c.mfa_factor, "");
	/* A second factor needs its name: a token must say which one it passed. */
	CU_ASSERT_EQUAL(token_issue_mfa(key, "alice", NULL, 0, 600, NOW, NOW, NULL, tok, sizeof(tok)),
			-EINVAL);
}

int main(void)
{
	static const struct unit_case cases[] = {
#define T(x) {#x, x}
		T(a_token_verifies_and_reads_back_user_groups_and_times),
		T(a_token_is_url_safe_text_with_one_dot),
		T(a_token_is_void_from_its_expiry_second_on),
		T(a_token_with_a_changed_payload_is_rejected),
		T(a_token_with_one_payload_character_changed_is_rejected),
		T(a_token_with_a_changed_mac_is_rejected),
		T(a_token_from_another_key_is_rejected),
		T(text_that_is_no_token_is_malformed),
		T(the_issuer_refuses_names_it_could_not_read_back),
		T(the_largest_token_fits_token_max_len),
		T(the_key_file_is_created_private_with_32_bytes),
		T(a_token_survives_a_restart_that_reloads_the_key_file),
		T(a_key_file_others_may_read_is_refused),
		T(a_key_file_of_the_wrong_size_is_refused),
		T(a_token_carries_its_second_factor_signed),
#undef T
		{NULL, NULL},
	};

	umask(022); /* the key must come out 0600 whatever the umask */
	return unit_run("token", cases, setup, teardown);
}
