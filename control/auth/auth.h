/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Engineer authentication for spgate-control: RADIUS (PAP) and/or the local store, tried in
 * the configured order, with failures rate limited per user and per source address.
 *
 * Nothing here blocks the event loop: RADIUS exchanges (up to (retries + 1) x timeout per
 * server) and password hashing (scrypt, tens of ms) run on worker threads; the result is
 * always delivered on the event loop thread, never from inside auth_start().
 *
 * Method order and fall-through:
 *   - A verdict ends the chain: a RADIUS Access-Accept or a right local password is AUTH_OK;
 *     a RADIUS Access-Reject or a wrong local password is AUTH_FAILED, and the next method is
 *     NOT asked (otherwise a user disabled centrally could still log in with a stale local
 *     password). A RADIUS Access-Challenge is AUTH_CHALLENGE, a verdict too: the server
 *     knows the user and wants more (RFC 2865 §4.4); the caller asks the engineer and goes
 *     on with auth_continue(), which asks that same server only, with the challenge's State.
 *   - A method that is *unavailable* (no RADIUS server gave a reply that verifies; the store
 *     lookup failed) passes the request to the next method. So does "no such user" in the
 *     local store, so that [local, radius] serves local break-glass accounts and RADIUS users.
 *   - At the end of the chain: AUTH_FAILED if the local store said "no such user", otherwise
 *     (every method unavailable) AUTH_UNAVAILABLE.
 *   - Unknown user and wrong password are both AUTH_FAILED, and a local unknown user still
 *     costs one scrypt verification, so neither the outcome nor the time tells them apart.
 */
#ifndef SPG_AUTH_H
#define SPG_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;

#define AUTH_MAX_SERVERS 8
#define AUTH_MAX_GROUPS 16
#define AUTH_NAME_MAX 64	 /* user and group names, including the NUL */
#define AUTH_PASSWORD_MAX 128 /* bytes, without the NUL (RADIUS PAP limit) */
#define AUTH_DETAIL_MAX 256
#define AUTH_PROMPT_MAX 256   /* a challenge's Reply-Message, shown to the engineer */
#define AUTH_STATE_MAX 253    /* RADIUS State: one attribute */

enum auth_method {
	AUTH_METHOD_RADIUS,
	AUTH_METHOD_LOCAL,
};

struct auth_radius_server {
	char address[64]; /* "host", "host:port" or "[v6]:port"; port defaults to 1812 */
	char secret[128];
};

/* Filled by the daemon from its configuration; auth_create() copies it. */
struct auth_config {
	enum auth_method methods[2]; /* in the order they are tried */
	unsigned n_methods;
	struct auth_radius_server servers[AUTH_MAX_SERVERS]; /* failover in this order */
	unsigned n_servers;
	unsigned timeout_ms;	     /* wait per try (0: 1000) */
	unsigned retries;	     /* extra tries per server after the first (0: none) */
	char group_attribute[32];    /* "Class", "Filter-Id" or a number 1..255 (empty: Class) */
	char nas_identifier[64];     /* sent as NAS-Identifier (empty: "spgate") */
	bool require_message_authenticator; /* refuse replies without one (Blast-RADIUS) */
	unsigned max_failures;	     /* failures allowed per user and per source ... (0: no limit) */
	unsigned window_s;	     /* ... within this sliding window in seconds */
	unsigned workers;	     /* worker threads (0: 4); a slow RADIUS server blocks one each */
};

/*
 * Looks up a local user. Called synchronously on the event loop thread from auth_start()
 * (only when AUTH_METHOD_LOCAL is configured), so it may use the store without locking.
 * Fills hash (a passwd_hash() string) and up to max_groups NUL-terminated group names.
 * Returns 0, -ENOENT when there is no such user, another -errno when the store failed
 * (the local method is then "unavailable").
 */
typedef int (*auth_local_lookup_fn)(void *ctx, const char *user, char *hash, size_t hashlen,
				    char groups[][AUTH_NAME_MAX], unsigned *n_groups,
				    unsigned max_groups);

enum auth_outcome {
	AUTH_OK,
	AUTH_FAILED,	   /* rejected: wrong password or unknown user (indistinguishable) */
	AUTH_RATE_LIMITED, /* refused before any backend was asked */
	AUTH_UNAVAILABLE,  /* no method could give an answer */
	AUTH_CHALLENGE,	   /* the RADIUS server wants a response (a one-time code): challenge */
};

/*
 * What an Access-Challenge asked. The State stays in spgate-control (the engineer's client
 * only ever sees an opaque challenge id, api/challenge.h), so nobody can answer a challenge
 * with a State taken from another login.
 */
struct auth_challenge {
	unsigned server;		/* the index of the server that asked: the answer goes there */
	uint8_t state[AUTH_STATE_MAX];
	size_t state_len;
	char prompt[AUTH_PROMPT_MAX]; /* Reply-Message(s), printable ASCII only */
};

struct auth_result {
	enum auth_outcome outcome;
	char user[AUTH_NAME_MAX];
	char source[64];			      /* source_addr as given to auth_start() */
	char groups[AUTH_MAX_GROUPS][AUTH_NAME_MAX]; /* valid when AUTH_OK */
	unsigned n_groups;
	const char *method; /* "radius", "local", or NULL when no method decided */
	struct auth_challenge challenge; /* valid when AUTH_CHALLENGE */
	/* AUTH_OK after answering a challenge: the RADIUS server checked a second factor. */
	bool challenge_answered;
	/* For the audit log only, never shown to the user: e.g. "radius 127.0.0.1:1812: reject",
	 * "local: no such user". Never contains the password. */
	char detail[AUTH_DETAIL_MAX];
};

typedef void (*auth_done_fn)(const struct auth_result *r, void *arg);

struct auth;

/*
 * Creates the authenticator and starts its worker threads. lookup may be NULL only when
 * AUTH_METHOD_LOCAL is not configured. The event base needs no evthread set-up (completion
 * is signalled through an eventfd). Returns NULL with errno set (EINVAL: a bad cfg field,
 * e.g. no methods, RADIUS without servers or with an empty secret, a server address that is
 * not host[:port], an unknown group_attribute; a line on stderr names it).
 */
struct auth *auth_create(struct event_base *base, const struct auth_config *cfg,
			 auth_local_lookup_fn lookup, void *lookup_ctx);

/*
 * Starts authenticating user/password from source_addr (the peer's address as text, used
 * for rate limiting and the audit). done(r, arg) is later called exactly once on the event
 * loop thread, unless auth_cancel(arg) or auth_free() comes first.
 * Returns 0; -EINVAL for an empty or over-long user/password, control characters in user,
 * or a NULL argument; -EBUSY when too many requests are pending; -ENOMEM.
 */
int auth_start(struct auth *a, const char *user, const char *password, const char *source_addr,
	       auth_done_fn done, void *arg);

/*
 * As auth_start(), for a user whose login needs a second factor after this one (a TOTP
 * code): an AUTH_OK then clears none of the user's failures; auth_note() does once the
 * code is right.
 */
int auth_start_mfa(struct auth *a, const char *user, const char *password, const char *source_addr,
		   auth_done_fn done, void *arg);

/*
 * Goes on after AUTH_CHALLENGE: sends response (the engineer's answer, e.g. a token code)
 * with ch's State to the server that challenged, and only to it (a State means nothing to
 * another server; failover would turn a challenge into a fresh password check). The result
 * comes as from auth_start(): AUTH_OK (challenge_answered set), AUTH_FAILED, another
 * AUTH_CHALLENGE (several rounds) or AUTH_UNAVAILABLE. Rate limited like auth_start(): a
 * wrong code is a failure like a wrong password. Same return values.
 */
int auth_continue(struct auth *a, const char *user, const char *response,
		  const struct auth_challenge *ch, const char *source_addr, auth_done_fn done,
		  void *arg);

/*
 * Second factors checked outside this module (TOTP, api/mfa.c) share the rate limits:
 * auth_allowed() says whether user (and source) may try now; auth_note() counts the
 * outcome (a failure, or a success that clears the user's failures). Loop thread only.
 */
bool auth_allowed(struct auth *a, const char *user, const char *source_addr);
void auth_note(struct auth *a, const char *user, const char *source_addr, bool ok);

/*
 * Forgets every pending request started with this arg (e.g. its API connection closed):
 * their done() will not be called. Work already on a worker thread still completes and a
 * failure still counts against the rate limit (hanging up must not buy extra guesses), but
 * the result is not delivered. Returns how many requests were cancelled.
 */
unsigned auth_cancel(struct auth *a, void *arg);

/* "ok", "failed", "rate_limited", "unavailable", "challenge". */
const char *auth_outcome_name(enum auth_outcome o);

/*
 * Stops the workers and frees everything. Pending callbacks are not called. May wait for a
 * RADIUS exchange in progress (at most (retries + 1) x timeout x servers). Not from inside a
 * done callback.
 */
void auth_free(struct auth *a);

#endif
