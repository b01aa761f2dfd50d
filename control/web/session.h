/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The web console's logins (issue 18): a table of sessions, each named by a random id that
 * the browser holds in a cookie (Secure; HttpOnly; SameSite=Strict; Path=/) and carrying the
 * API token the login earned, which never leaves the server. A session ends after an idle
 * time, after an absolute lifetime, and at logout (revoked here and its token in the store).
 *
 * Kept in memory only: a restart of spgate-control logs every console user out (their tokens
 * stay valid for the CLI until they expire, but no browser holds them).
 *
 * Every state-changing request must carry the session's CSRF token, a second random value
 * the pages read from /api/me and send back in the X-CSRF-Token header: another site can
 * make a browser send the cookie, never read or set that header.
 */
#ifndef SPG_WEB_SESSION_H
#define SPG_WEB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"

#define WEB_COOKIE_NAME "spgate_session"
#define WEB_ID_HEX 64 /* 32 random bytes */
#define WEB_NAME_MAX 64
#define WEB_SESSIONS_MAX 4096

struct web_session {
	char id[WEB_ID_HEX + 1];   /* the cookie's value */
	char csrf[WEB_ID_HEX + 1]; /* the X-CSRF-Token every POST must carry */
	char token[TOKEN_MAX_LEN]; /* the API token of the login (api/ops.c checks it each call) */
	char user[WEB_NAME_MAX];
	bool operator;	 /* a privileged group: the operators' pages */
	int64_t created; /* unix s: the absolute lifetime counts from here */
	int64_t last;	 /* unix s of the last request: the idle time counts from here */
	struct web_session *next;
};

struct web_sessions;

/* idle_s: web.session_timeout; max_s: web.session_max. NULL when out of memory. */
struct web_sessions *web_sessions_new(uint32_t idle_s, uint32_t max_s);
/* Ends every session (wiping their tokens). */
void web_sessions_free(struct web_sessions *ws);

/*
 * A new session for user holding token, with fresh random id and CSRF token: a login always
 * gets a new id (no fixation). NULL with errno: EBUSY (WEB_SESSIONS_MAX live), EIO, ENOMEM.
 */
struct web_session *web_session_create(struct web_sessions *ws, const char *user, const char *token, bool operator,
				       int64_t now);

/*
 * The live session whose id a request's Cookie header names; NULL when none, unknown, or
 * expired (an expired one is removed on the way). touch restarts its idle clock: false for
 * the pages' own periodic refreshes, so that an open page left alone still ends.
 */
struct web_session *web_session_find(struct web_sessions *ws, const char *cookie_header, int64_t now, bool touch);

/* The live session called id (a web_session's id), without touching its clocks; or NULL. */
struct web_session *web_session_get(struct web_sessions *ws, const char *id);

/* Ends s now (logout, or its token was refused); s is freed. */
void web_session_revoke(struct web_sessions *ws, struct web_session *s);

/* Removes every expired session; returns how many. */
unsigned web_sessions_expire(struct web_sessions *ws, int64_t now);

/* How many sessions are live. */
unsigned web_sessions_count(const struct web_sessions *ws);

/* True when header (X-CSRF-Token, may be NULL) is s's CSRF token; compared in constant time. */
bool web_csrf_ok(const struct web_session *s, const char *header);

/* The Set-Cookie value for s ("spgate_session=ID; Secure; HttpOnly; SameSite=Strict; Path=/;
 * Max-Age=N"); -1 when buf is too small. */
int web_cookie_set(const struct web_sessions *ws, const struct web_session *s, char *buf, size_t len);
/* The Set-Cookie value that makes the browser forget the cookie. */
const char *web_cookie_clear(void);

#endif
