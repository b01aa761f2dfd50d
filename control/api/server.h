/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The two listeners of spgate-control's API: TLS 1.3 on TCP for engineers and a Unix
 * socket for operators (peer credentials decide the role). Both carry newline-delimited
 * JSON; this file knows lines, limits and peers, and hands each request line to a handler
 * (api/ops.c) that answers it, now or later, with api_call_reply.
 *
 * A connection has at most one request in flight: the next line is read only after the
 * previous one was answered, so replies come in the order of the requests.
 */
#ifndef SPG_API_SERVER_H
#define SPG_API_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/ssl.h>

enum api_transport { API_TRANSPORT_TLS, API_TRANSPORT_UNIX };

struct api_peer {
	enum api_transport transport;
	uint32_t addr; /* TLS: the client's IPv4 address, network order; unix: 0 */
	uint16_t port; /* TLS: the client's TCP port */
	uid_t uid;     /* unix: from SO_PEERCRED */
	gid_t gid;
	pid_t pid;
	char name[64]; /* for logs and audit: "198.51.100.10:51234" or "uid 0 pid 812" */
	/* TLS: the web console (control/web/) asks for the operator role for this request; the
	 * gate grants it only to a token whose groups are privileged (api/ops.c). */
	bool web_operator;
};

struct api_server_config {
	const char *tls_listen;      /* "a.b.c.d:port"; NULL: no engineer listener */
	const char *tls_certificate; /* PEM chain */
	const char *tls_private_key; /* PEM */
	const char *unix_path;       /* NULL: no operator listener */
	const char *operator_group;  /* NULL or "": only uid 0 is an operator */
	unsigned idle_timeout_s;     /* a connection silent this long is closed; 0: never */
	unsigned max_clients;        /* TLS connections beyond this are refused at once; 0: 1024 */
	unsigned max_per_source;     /* TLS connections from one address; 0: no cap */
	unsigned handshake_timeout_s; /* TLS: handshake until an authenticated request; 0: none */
	unsigned operator_max_clients; /* Unix connections, a budget of their own; 0: 64 */
};

struct api_server;
struct api_call; /* one request awaiting its reply */

/*
 * Called with every request line (without '\n'; not NUL-terminated). The handler answers
 * with api_call_reply exactly once, before returning or later from another callback.
 */
typedef void (*api_request_fn)(struct api_call *call, const char *line, size_t len, void *arg);

/*
 * Opens the configured listeners. Returns the server, or NULL with errno set and err
 * holding a sentence that names the bad setting ("engineer_api.listen 198.51.100.2:8443:
 * cannot bind: Address already in use").
 */
struct api_server *api_server_new(struct event_base *base, const struct api_server_config *cfg,
				  api_request_fn fn, void *arg, char *err, size_t errlen);
/*
 * The engineer API's TLS context from cfg's certificate and private key (both loaded, the key
 * checked against the certificate), or NULL with err naming the key and the file. Also used by
 * spgate-control --check-config.
 */
SSL_CTX *api_tls_context(const struct api_server_config *cfg, char *err, size_t errlen);
/* Closes the listeners and every connection; calls still pending are answered into the void. */
void api_server_free(struct api_server *srv);

/* Sends reply (taking its reference) on the call's connection, if still open, and frees call. */
void api_call_reply(struct api_call *call, json_t *reply);
/* Who sent the request. Valid until api_call_reply. */
const struct api_peer *api_call_peer(const struct api_call *call);
/* True once the client went away; a slow handler may stop early (it still must reply). */
bool api_call_abandoned(const struct api_call *call);
/*
 * The call's client proved who it is (a valid token, a successful login): its connection
 * leaves the pre-authentication deadline and lives by the idle timeout from now on.
 */
void api_call_authenticated(struct api_call *call);

/* Descriptors kept for everything besides the API's connections (store, agents, RADIUS...). */
#define API_FD_RESERVE 512

/*
 * Raises RLIMIT_NOFILE's soft limit to clients + API_FD_RESERVE when it is lower. -1 with
 * a sentence in err when the hard limit is too low for that.
 */
int api_raise_nofile(unsigned clients, char *err, size_t errlen);

/*
 * Whether a Unix-socket peer is an operator: uid 0, or group (by name) is its primary
 * group or one of its supplementary groups. Exposed for tests.
 */
bool api_peer_is_operator(uid_t uid, gid_t gid, const char *group);

#endif
