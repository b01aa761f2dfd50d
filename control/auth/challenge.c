/* SPDX-License-Identifier: BSD-3-Clause */
/* Logins waiting for their second factor: see challenge.h. */
#include "auth/challenge.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "random_id.h"

struct challenge_slot {
	bool used;
	char id[CHALLENGE_ID_LEN + 1];
	struct challenge c;
};

struct challenge_table {
	struct challenge_slot slots[CHALLENGE_MAX];
};

struct challenge_table *challenge_table_new(void)
{
	return calloc(1, sizeof(struct challenge_table));
}

static void challenge_clear(struct challenge_slot *s)
{
	OPENSSL_cleanse(s, sizeof(*s)); /* the RADIUS State */
}

void challenge_table_free(struct challenge_table *t)
{
	if (t == NULL)
		return;
	OPENSSL_cleanse(t, sizeof(*t));
	free(t);
}

int challenge_put(struct challenge_table *t, int64_t now, const struct challenge *c,
		  char id[CHALLENGE_ID_LEN + 1])
{
	struct challenge_slot *free_slot = NULL;
	unsigned i;
	int rc;

	for (i = 0; i < CHALLENGE_MAX; i++) {
		struct challenge_slot *s = &t->slots[i];

		if (s->used && s->c.expires <= now)
			challenge_clear(s);
		if (!s->used && free_slot == NULL)
			free_slot = s;
	}
	if (free_slot == NULL)
		return -EBUSY;
	rc = random_hex_id(id, CHALLENGE_ID_LEN);
	if (rc < 0)
		return rc;
	free_slot->used = true;
	memcpy(free_slot->id, id, sizeof(free_slot->id));
	free_slot->c = *c;
	free_slot->c.expires = now + CHALLENGE_TTL_S;
	return 0;
}

int challenge_take(struct challenge_table *t, int64_t now, const char *id, const char *user,
		   const char *source, struct challenge *out)
{
	struct challenge_slot *s;
	bool mine;
	unsigned i;

	if (id == NULL || strlen(id) != CHALLENGE_ID_LEN)
		return -ENOENT;
	for (i = 0; i < CHALLENGE_MAX; i++) {
		s = &t->slots[i];
		if (s->used && CRYPTO_memcmp(s->id, id, CHALLENGE_ID_LEN) == 0)
			break;
	}
	if (i == CHALLENGE_MAX)
		return -ENOENT;
	if (s->c.expires <= now) {
		challenge_clear(s);
		return -ENOENT;
	}
	/* User names compare as the rate limiter and RADIUS servers do: without case. */
	mine = strcasecmp(s->c.user, user) == 0 && strcmp(s->c.source, source) == 0;
	if (mine)
		*out = s->c;
	challenge_clear(s);
	return mine ? 0 : -EPERM;
}
