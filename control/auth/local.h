/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Local-store authentication. Split in two so the store is only touched on the event loop
 * thread and the slow part (scrypt) runs on a worker:
 *   auth_local_lookup()  loop thread: asks the daemon's lookup callback;
 *   auth_local_check()   any thread: verifies the password (or a dummy, for unknown users).
 */
#ifndef SPG_AUTH_LOCAL_H
#define SPG_AUTH_LOCAL_H

#include "auth.h"
#include "passwd.h"

struct auth_local_user {
	int lookup_status; /* 0 found, -ENOENT no such user, other -errno store failure */
	char hash[PASSWD_HASH_MAX];
	char groups[AUTH_MAX_GROUPS][AUTH_NAME_MAX];
	unsigned n_groups;
};

/* Fills u through lookup(ctx, user, ...). Never fails: the status goes into u. */
void auth_local_lookup(auth_local_lookup_fn lookup, void *ctx, const char *user,
		       struct auth_local_user *u);

enum auth_local_verdict {
	AUTH_LOCAL_OK,		   /* res->groups filled */
	AUTH_LOCAL_WRONG_PASSWORD,
	AUTH_LOCAL_NO_SUCH_USER,   /* after the same work as a wrong password */
	AUTH_LOCAL_UNAVAILABLE,	   /* the lookup failed */
};

/* Verifies password against u; sets res->method for a verdict and appends to res->detail. */
enum auth_local_verdict auth_local_check(const struct auth_local_user *u, const char *password,
					 struct auth_result *res);

#endif
