/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The web console (issue 18): HTTPS on its own listener (web.listen), libevent's evhttp over
 * OpenSSL bufferevents, serving the pages in web.static_dir and a small JSON API under /api/
 * whose every answer comes from the engineer API's own ops (api/ops.c): the console is one
 * more client of them, holding each user's token on the server side.
 *
 * Files: listen.c (TLS, evhttp, connection budgets, routing), session.c (sessions, cookies,
 * CSRF), headers.c (security headers), static.c (the pages), handlers.c (the JSON API),
 * login.c (login, second factor, logout).
 */
#ifndef SPG_WEB_H
#define SPG_WEB_H

#include <stddef.h>

#include <event2/event.h>

struct api_ctx;
struct ctl_config;
struct web_server;

/*
 * Starts the console when cfg->web.enabled. Returns the server, or NULL with err naming the
 * bad setting ("web.certificate /etc/...: cannot load: no such file").
 */
struct web_server *web_server_new(struct event_base *base, const struct ctl_config *cfg, struct api_ctx *api,
				  char *err, size_t errlen);
void web_server_free(struct web_server *w);

/*
 * The console's TLS context from web.certificate and web.key, or NULL with err naming the key
 * and the file. Also used by spgate-control --check-config, with web_check_static_dir.
 */
struct ssl_ctx_st *web_tls_context(const struct ctl_config *cfg, char *err, size_t errlen);
/* 0 when web.static_dir is a directory with index.html, else -1 with err naming it. */
int web_check_static_dir(const struct ctl_config *cfg, char *err, size_t errlen);

#endif
