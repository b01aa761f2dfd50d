/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport to spgate-control's API (docs/control-plane.md §2): newline-delimited JSON
 * over TLS 1.3 (the server's certificate checked against a CA file and the name or address
 * we dialled) or over the operators' Unix socket. Knows lines, not JSON.
 */
#ifndef SPGCTL_CTL_CLIENT_H
#define SPGCTL_CTL_CLIENT_H

#include <stddef.h>

/* Replies longer than this are malformed (the audit log and inventories stay far below). */
#define CTL_REPLY_MAX (64u * 1024 * 1024)

struct ctl_conn;

/*
 * Connects to host:port (host a DNS name, an IPv4 or an IPv6 address without brackets),
 * completes a TLS 1.3 handshake within timeout_ms and checks the certificate: issued under
 * ca_file and naming host (by SNI and hostname check, or by IP address check for
 * literals). NULL with err holding a sentence when any of that fails.
 */
struct ctl_conn *ctl_conn_tls(const char *host, const char *port, const char *ca_file, int timeout_ms, char *err,
			      size_t errlen);

/* Connects to the Unix stream socket at path. NULL with err holding a sentence. */
struct ctl_conn *ctl_conn_unix(const char *path, int timeout_ms, char *err, size_t errlen);

/*
 * Sends line (len bytes, no newline in it) and a newline, then reads one reply line, all
 * within the connection's timeout. Returns the reply, NUL-terminated without its newline,
 * to be freed with ctl_conn_free_reply; or NULL with err holding a sentence.
 */
char *ctl_conn_call(struct ctl_conn *c, const char *line, size_t len, size_t *reply_len, char *err, size_t errlen);

/* Wipes (replies carry tokens) and frees a reply. */
void ctl_conn_free_reply(char *reply, size_t len);

void ctl_conn_close(struct ctl_conn *c);

#endif
