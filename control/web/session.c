/* SPDX-License-Identifier: BSD-3-Clause */
/* The web console's sessions, cookies and CSRF tokens: see session.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "random_id.h"
#include "web/session.h"

struct web_sessions {
	uint32_t idle_s, max_s;
	unsigned n;
	struct web_session *head;
};

struct web_sessions *web_sessions_new(uint32_t idle_s, uint32_t max_s)
{
	struct web_sessions *ws = calloc(1, sizeof(*ws));

	if (ws == NULL)
		return NULL;
	ws->idle_s = idle_s;
	ws->max_s = max_s;
	return ws;
}

static void session_wipe(struct web_session *s)
{
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

void web_sessions_free(struct web_sessions *ws)
{
	struct web_session *s, *next;

	if (ws == NULL)
		return;
	for (s = ws->head; s != NULL; s = next) {
		next = s->next;
		session_wipe(s);
	}
	free(ws);
}

static bool expired(const struct web_sessions *ws, const struct web_session *s, int64_t now)
{
	return now - s->last >= (int64_t)ws->idle_s || now - s->created >= (int64_t)ws->max_s || now < s->created;
}

unsigned web_sessions_expire(struct web_sessions *ws, int64_t now)
{
	struct web_session **pp = &ws->head, *s;
	unsigned n = 0;

	while ((s = *pp) != NULL) {
		if (expired(ws, s, now)) {
			*pp = s->next;
			session_wipe(s);
			ws->n--;
			n++;
		} else {
			pp = &s->next;
		}
	}
	return n;
}

struct web_session *web_session_create(struct web_sessions *ws, const char *user, const char *token, bool operator,
				       int64_t now)
{
	struct web_session *s;

	web_sessions_expire(ws, now);
	if (ws->n >= WEB_SESSIONS_MAX) {
		errno = EBUSY;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	if (random_hex_id(s->id, WEB_ID_HEX) != 0 || random_hex_id(s->csrf, WEB_ID_HEX) != 0 ||
	    strlen(token) >= sizeof(s->token)) {
		session_wipe(s);
		errno = EIO;
		return NULL;
	}
	snprintf(s->token, sizeof(s->token), "%s", token);
	snprintf(s->user, sizeof(s->user), "%s", user);
	s->operator = operator;
	s->created = s->last = now;
	s->next = ws->head;
	ws->head = s;
	ws->n++;
	return s;
}

/* The value of cookie WEB_COOKIE_NAME in a Cookie header ("a=1; spgate_session=ID"), into id. */
static bool cookie_value(const char *header, char *id, size_t len)
{
	const size_t name_len = strlen(WEB_COOKIE_NAME);
	const char *p = header;
	size_t n;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ';')
			p++;
		n = strcspn(p, ";");
		if (n > name_len && strncmp(p, WEB_COOKIE_NAME, name_len) == 0 && p[name_len] == '=') {
			if (n - name_len - 1 >= len)
				return false;
			memcpy(id, p + name_len + 1, n - name_len - 1);
			id[n - name_len - 1] = '\0';
			return true;
		}
		p += n;
	}
	return false;
}

struct web_session *web_session_find(struct web_sessions *ws, const char *cookie_header, int64_t now, bool touch)
{
	char id[WEB_ID_HEX + 1];
	struct web_session *s;

	if (cookie_header == NULL || !cookie_value(cookie_header, id, sizeof(id)) || strlen(id) != WEB_ID_HEX)
		return NULL;
	web_sessions_expire(ws, now);
	for (s = ws->head; s != NULL; s = s->next)
		if (CRYPTO_memcmp(s->id, id, WEB_ID_HEX) == 0) {
			if (touch)
				s->last = now;
			return s;
		}
	return NULL;
}

struct web_session *web_session_get(struct web_sessions *ws, const char *id)
{
	struct web_session *s;

	if (id == NULL || strlen(id) != WEB_ID_HEX)
		return NULL;
	for (s = ws->head; s != NULL; s = s->next)
		if (CRYPTO_memcmp(s->id, id, WEB_ID_HEX) == 0)
			return s;
	return NULL;
}

void web_session_revoke(struct web_sessions *ws, struct web_session *s)
{
	struct web_session **pp;

	for (pp = &ws->head; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			session_wipe(s);
			ws->n--;
			return;
		}
}

unsigned web_sessions_count(const struct web_sessions *ws)
{
	return ws->n;
}

bool web_csrf_ok(const struct web_session *s, const char *header)
{
	if (s == NULL || header == NULL || strlen(header) != WEB_ID_HEX)
		return false;
	return CRYPTO_memcmp(s->csrf, header, WEB_ID_HEX) == 0;
}

int web_cookie_set(const struct web_sessions *ws, const struct web_session *s, char *buf, size_t len)
{
	/* No Domain: the cookie goes back to this host only. Max-Age: the absolute lifetime;
	 * the server ends it sooner when idle. */
	int n = snprintf(buf, len, "%s=%s; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=%u", WEB_COOKIE_NAME,
			 s->id, ws->max_s);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

const char *web_cookie_clear(void)
{
	return WEB_COOKIE_NAME "=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0";
}
