/* SPDX-License-Identifier: BSD-3-Clause */
#include "local.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>


/* Appends "; "-separated text to the audit detail, truncating silently. */
static void local_detail(struct auth_result *res, const char *what)
{
	size_t n = strlen(res->detail);

	snprintf(res->detail + n, sizeof(res->detail) - n, "%slocal: %s", n ? "; " : "", what);
}

void auth_local_lookup(auth_local_lookup_fn lookup, void *ctx, const char *user,
		       struct auth_local_user *u)
{
	memset(u, 0, sizeof(*u));
	if (lookup == NULL) {
		u->lookup_status = -ENOSYS;
		return;
	}
	u->lookup_status = lookup(ctx, user, u->hash, sizeof(u->hash), u->groups, &u->n_groups,
				  AUTH_MAX_GROUPS);
	if (u->lookup_status > 0)
		u->lookup_status = -EIO; /* a callback outside its contract is a store failure */
	if (u->n_groups > AUTH_MAX_GROUPS)
		u->n_groups = AUTH_MAX_GROUPS;
	/* Whatever the callback wrote, the strings end inside their buffers. */
	u->hash[sizeof(u->hash) - 1] = '\0';
	for (unsigned i = 0; i < u->n_groups; i++)
		u->groups[i][AUTH_NAME_MAX - 1] = '\0';
}

enum auth_local_verdict auth_local_check(const struct auth_local_user *u, const char *password,
					 struct auth_result *res)
{
	char why[96];

	if (u->lookup_status == -ENOENT) {
		passwd_verify_dummy(password); /* same work as a wrong password */
		res->method = "local";
		local_detail(res, "no such user");
		return AUTH_LOCAL_NO_SUCH_USER;
	}
	if (u->lookup_status < 0) {
		snprintf(why, sizeof(why), "store lookup failed: %s", strerror(-u->lookup_status));
		local_detail(res, why);
		return AUTH_LOCAL_UNAVAILABLE;
	}
	res->method = "local";
	if (!passwd_verify(password, u->hash)) {
		/* A malformed stored hash also lands here: refuse, and say so in the audit. */
		local_detail(res, strncmp(u->hash, "$scrypt$", 8) == 0 ? "wrong password"
								      : "stored hash unusable");
		return AUTH_LOCAL_WRONG_PASSWORD;
	}
	memcpy(res->groups, u->groups, sizeof(res->groups));
	res->n_groups = u->n_groups;
	local_detail(res, "accepted");
	return AUTH_LOCAL_OK;
}
