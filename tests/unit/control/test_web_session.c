/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The web console's sessions, cookies, CSRF tokens and security headers (control/web/): the
 * attacks first: a stolen or guessed cookie, a POST without the CSRF token or with another
 * session's, a session used past its idle time or its lifetime, a cookie after logout.
 */
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "ctl_test.h"
#include "web/session.h"
#include "web/web_int.h"

#define NOW 1700000000
#define IDLE 1800
#define MAX 28800

static struct web_sessions *ws;

static int setup(void)
{
	ws = web_sessions_new(IDLE, MAX);
	return ws == NULL ? -1 : 0;
}

static int teardown(void)
{
	web_sessions_free(ws);
	return 0;
}

/* "spgate_session=ID" as a browser sends it, among other cookies. */
static void cookie_of(const struct web_session *s, char *buf, size_t len)
{
	snprintf(buf, len, "theme=dark; " WEB_COOKIE_NAME "=%s; lang=en", s->id);
}

static void a_post_without_the_csrf_token_or_with_another_sessions_is_refused(void)
{
	struct web_session *a = web_session_create(ws, "gina", "token-a", false, NOW);
	struct web_session *b = web_session_create(ws, "ada", "token-b", false, NOW);
	char forged[WEB_ID_HEX + 1];

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_FALSE(web_csrf_ok(a, NULL));
	CU_ASSERT_FALSE(web_csrf_ok(a, ""));
	CU_ASSERT_FALSE(web_csrf_ok(a, b->csrf));
	CU_ASSERT_FALSE(web_csrf_ok(a, a->id)); /* the cookie is not the CSRF token */
	memcpy(forged, a->csrf, sizeof(forged));
	forged[WEB_ID_HEX - 1] = forged[WEB_ID_HEX - 1] == '0' ? '1' : '0';
	CU_ASSERT_FALSE(web_csrf_ok(a, forged));
	CU_ASSERT_FALSE(web_csrf_ok(NULL, a->csrf));
	CU_ASSERT_TRUE(web_csrf_ok(a, a->csrf));
	web_session_revoke(ws, a);
	web_session_revoke(ws, b);
}

static void an_unknown_or_malformed_cookie_finds_nothing(void)
{
	struct web_session *s = web_session_create(ws, "gina", "t", false, NOW);
	char cookie[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_PTR_NULL(web_session_find(ws, NULL, NOW, true));
	CU_ASSERT_PTR_NULL(web_session_find(ws, "", NOW, true));
	CU_ASSERT_PTR_NULL(web_session_find(ws, WEB_COOKIE_NAME "=", NOW, true));
	snprintf(cookie, sizeof(cookie), WEB_COOKIE_NAME "=%.32s", s->id); /* a prefix of the id */
	CU_ASSERT_PTR_NULL(web_session_find(ws, cookie, NOW, true));
	snprintf(cookie, sizeof(cookie), "x" WEB_COOKIE_NAME "=%s", s->id); /* another cookie's name */
	CU_ASSERT_PTR_NULL(web_session_find(ws, cookie, NOW, true));
	cookie_of(s, cookie, sizeof(cookie));
	CU_ASSERT_PTR_EQUAL(web_session_find(ws, cookie, NOW, true), s);
	web_session_revoke(ws, s);
}

static void ids_and_csrf_tokens_are_random_and_differ(void)
{
	struct web_session *a = web_session_create(ws, "u", "t", false, NOW);
	struct web_session *b = web_session_create(ws, "u", "t", false, NOW);

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL(strlen(a->id), WEB_ID_HEX);
	CU_ASSERT_EQUAL(strspn(a->id, "0123456789abcdef"), WEB_ID_HEX);
	CU_ASSERT_NOT_EQUAL(strcmp(a->id, b->id), 0);
	CU_ASSERT_NOT_EQUAL(strcmp(a->csrf, b->csrf), 0);
	CU_ASSERT_NOT_EQUAL(strcmp(a->id, a->csrf), 0);
	web_session_revoke(ws, a);
	web_session_revoke(ws, b);
}

static void a_session_ends_after_its_idle_time(void)
{
	struct web_session *s = web_session_create(ws, "gina", "t", false, NOW);
	char cookie[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	cookie_of(s, cookie, sizeof(cookie));
	/* each request restarts the idle clock */
	CU_ASSERT_PTR_EQUAL(web_session_find(ws, cookie, NOW + IDLE - 1, true), s);
	CU_ASSERT_PTR_EQUAL(web_session_find(ws, cookie, NOW + 2 * IDLE - 2, true), s);
	CU_ASSERT_PTR_NULL(web_session_find(ws, cookie, NOW + 3 * IDLE - 2, true));
	CU_ASSERT_EQUAL(web_sessions_count(ws), 0);
}

static void the_pages_refreshes_do_not_keep_a_session_alive(void)
{
	struct web_session *s = web_session_create(ws, "gina", "t", false, NOW);
	char cookie[256];
	int64_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	cookie_of(s, cookie, sizeof(cookie));
	for (t = NOW; t < NOW + IDLE; t += 3)
		CU_ASSERT_PTR_EQUAL_FATAL(web_session_find(ws, cookie, t, false), s);
	CU_ASSERT_PTR_NULL(web_session_find(ws, cookie, NOW + IDLE, false));
	CU_ASSERT_EQUAL(web_sessions_count(ws), 0);
}

static void a_session_ends_after_its_lifetime_however_busy(void)
{
	struct web_session *s = web_session_create(ws, "gina", "t", false, NOW);
	char cookie[256];
	int64_t t;

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	cookie_of(s, cookie, sizeof(cookie));
	for (t = NOW; t < NOW + MAX; t += IDLE / 2)
		CU_ASSERT_PTR_EQUAL_FATAL(web_session_find(ws, cookie, t, true), s);
	CU_ASSERT_PTR_NULL(web_session_find(ws, cookie, NOW + MAX, true));
	/* a clock that went back does not revive or extend anything */
	s = web_session_create(ws, "gina", "t", false, NOW);
	cookie_of(s, cookie, sizeof(cookie));
	CU_ASSERT_PTR_NULL(web_session_find(ws, cookie, NOW - 10, true));
}

static void a_revoked_session_is_gone(void)
{
	struct web_session *s = web_session_create(ws, "gina", "t", false, NOW);
	char cookie[256], id[WEB_ID_HEX + 1];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	cookie_of(s, cookie, sizeof(cookie));
	snprintf(id, sizeof(id), "%s", s->id);
	web_session_revoke(ws, s);
	CU_ASSERT_PTR_NULL(web_session_find(ws, cookie, NOW + 1, true));
	CU_ASSERT_PTR_NULL(web_session_get(ws, id));
	CU_ASSERT_EQUAL(web_sessions_count(ws), 0);
}

static void the_cookie_is_secure_httponly_samesite_strict(void)
{
	struct web_session *s = web_session_create(ws, "gina", "API-TOKEN-SECRET", false, NOW);
	char set[256], want[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(web_cookie_set(ws, s, set, sizeof(set)), 0);
	snprintf(want, sizeof(want), WEB_COOKIE_NAME "=%s;", s->id);
	CU_ASSERT_EQUAL(strncmp(set, want, strlen(want)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(set, "; Secure"));
	CU_ASSERT_PTR_NOT_NULL(strstr(set, "; HttpOnly"));
	CU_ASSERT_PTR_NOT_NULL(strstr(set, "; SameSite=Strict"));
	CU_ASSERT_PTR_NOT_NULL(strstr(set, "; Path=/"));
	CU_ASSERT_PTR_NOT_NULL(strstr(set, "; Max-Age=28800"));
	CU_ASSERT_PTR_NULL(strstr(set, "Domain"));
	CU_ASSERT_PTR_NULL(strstr(set, s->token)); /* the API token never leaves the server */
	CU_ASSERT_EQUAL(web_cookie_set(ws, s, set, 40), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(web_cookie_clear(), "Max-Age=0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(web_cookie_clear(), "; Secure; HttpOnly; SameSite=Strict"));
	web_session_revoke(ws, s);
}

static void the_table_is_bounded(void)
{
	struct web_session *s;
	unsigned i;

	for (i = 0; i < WEB_SESSIONS_MAX; i++)
		CU_ASSERT_PTR_NOT_NULL_FATAL(web_session_create(ws, "u", "t", false, NOW));
	s = web_session_create(ws, "u", "t", false, NOW);
	CU_ASSERT_PTR_NULL(s);
	CU_ASSERT_EQUAL(errno, EBUSY);
	/* expired ones make room */
	CU_ASSERT_PTR_NOT_NULL(web_session_create(ws, "u", "t", false, NOW + IDLE));
	CU_ASSERT_EQUAL(web_sessions_count(ws), 1);
	web_sessions_expire(ws, NOW + MAX + IDLE);
}

static void every_answer_has_the_security_headers(void)
{
	struct evkeyvalq h;
	const char *csp;

	TAILQ_INIT(&h);
	web_headers_security(&h, true);
	csp = evhttp_find_header(&h, "Content-Security-Policy");
	CU_ASSERT_PTR_NOT_NULL_FATAL(csp);
	CU_ASSERT_PTR_NOT_NULL(strstr(csp, "default-src 'self'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(csp, "frame-ancestors 'none'"));
	CU_ASSERT_PTR_NULL(strstr(csp, "unsafe-inline"));
	CU_ASSERT_PTR_NULL(strstr(csp, "unsafe-eval"));
	CU_ASSERT_STRING_EQUAL(evhttp_find_header(&h, "X-Frame-Options"), "DENY");
	CU_ASSERT_STRING_EQUAL(evhttp_find_header(&h, "X-Content-Type-Options"), "nosniff");
	CU_ASSERT_STRING_EQUAL(evhttp_find_header(&h, "Referrer-Policy"), "no-referrer");
	CU_ASSERT_PTR_NOT_NULL(strstr(evhttp_find_header(&h, "Strict-Transport-Security"), "max-age="));
	CU_ASSERT_STRING_EQUAL(evhttp_find_header(&h, "Cache-Control"), "no-store");
	evhttp_clear_headers(&h);
	web_headers_security(&h, false);
	CU_ASSERT_STRING_EQUAL(evhttp_find_header(&h, "Cache-Control"), "no-cache");
	evhttp_clear_headers(&h);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{"a_post_without_the_csrf_token_or_with_another_sessions_is_refused",
		 a_post_without_the_csrf_token_or_with_another_sessions_is_refused},
		{"an_unknown_or_malformed_cookie_finds_nothing", an_unknown_or_malformed_cookie_finds_nothing},
		{"ids_and_csrf_tokens_are_random_and_differ", ids_and_csrf_tokens_are_random_and_differ},
		{"a_session_ends_after_its_idle_time", a_session_ends_after_its_idle_time},
		{"the_pages_refreshes_do_not_keep_a_session_alive", the_pages_refreshes_do_not_keep_a_session_alive},
		{"a_session_ends_after_its_lifetime_however_busy", a_session_ends_after_its_lifetime_however_busy},
		{"a_revoked_session_is_gone", a_revoked_session_is_gone},
		{"the_cookie_is_secure_httponly_samesite_strict", the_cookie_is_secure_httponly_samesite_strict},
		{"the_table_is_bounded", the_table_is_bounded},
		{"every_answer_has_the_security_headers", every_answer_has_the_security_headers},
		{NULL, NULL},
	};

	return ctl_test_run("web_session", cases, setup, teardown);
}
