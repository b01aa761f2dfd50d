/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent's side of the SP handshake (docs/control-plane.md section 4): a TLS 1.3 listener
 * on libevent, newline-delimited JSON, one control channel per connection. It checks grants
 * with the vendor key and drives sp_session.c.
 */
#ifndef AGENT_TLS_SERVER_H
#define AGENT_TLS_SERVER_H

#include <stddef.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "config.h"
#include "sp_session.h"

struct tls_server;

/* Loads the certificate and key, listens. vendor_key is used, not owned. NULL + err. */
struct tls_server *tls_server_new(struct event_base *base, const struct agent_config *cfg,
				  EVP_PKEY *vendor_key, char *err, size_t errlen);
/* Stops listening and tears every session down; their channels hear {"op":"down","reason":
 * why} once the event loop has run a little longer (main gives it a moment). */
void tls_server_stop(struct tls_server *srv, const char *why);
/* Closes what is left. */
void tls_server_free(struct tls_server *srv);
struct sp_sessions *tls_server_sessions(struct tls_server *srv);

#endif
