/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The headers every answer of the console carries: the pages run only their own scripts
 * (no inline script, no eval), are never framed, never sniffed into another type, never
 * leak their address to another site, and are only ever reached over HTTPS (HSTS).
 */
#include "web/web_int.h"

#define WEB_CSP                                                                                  \
	"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "             \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "          \
	"frame-ancestors 'none'"

void web_headers_security(struct evkeyvalq *out, bool api)
{
	evhttp_add_header(out, "Content-Security-Policy", WEB_CSP);
	evhttp_add_header(out, "Strict-Transport-Security", "max-age=31536000");
	evhttp_add_header(out, "X-Frame-Options", "DENY");
	evhttp_add_header(out, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(out, "Referrer-Policy", "no-referrer");
	evhttp_add_header(out, "Cross-Origin-Opener-Policy", "same-origin");
	evhttp_add_header(out, "Cross-Origin-Resource-Policy", "same-origin");
	/* answers of the API hold customer data: never kept by the browser or a proxy */
	evhttp_add_header(out, "Cache-Control", api ? "no-store" : "no-cache");
}
