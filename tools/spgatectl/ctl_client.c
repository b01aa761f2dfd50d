/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lines to and from spgate-control over TLS 1.3 or a Unix socket. Sockets are non-blocking
 * and every wait is a poll() against one deadline, so --timeout bounds a whole exchange,
 * the TLS handshake included.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ctl_client.h"

struct ctl_conn {
	int fd;
	SSL_CTX *ctx; /* NULL on the Unix socket */
	SSL *ssl;
	int timeout_ms;
	char *buf; /* what was read past the last reply line */
	size_t len, cap;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events; 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd p = {.fd = fd, .events = events};

	for (;;) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_addr(const struct sockaddr *sa, socklen_t sa_len, int64_t deadline)
{
	socklen_t len = sizeof(int);
	int fd, rc, soerr = 0;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, sa, sa_len) == 0)
		return fd;
	rc = -errno;
	if (rc == -EINPROGRESS) {
		rc = wait_fd(fd, POLLOUT, deadline);
		if (rc == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			rc = -errno;
		else if (rc == 0 && soerr != 0)
			rc = -soerr;
		if (rc == 0)
			return fd;
	}
	close(fd);
	return rc;
}

static struct ctl_conn *conn_new(int fd, int timeout_ms)
{
	struct ctl_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	return c;
}

struct ctl_conn *ctl_conn_unix(const char *path, int timeout_ms, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct ctl_conn *c;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: path too long for a Unix socket", path);
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	fd = connect_addr((struct sockaddr *)&sun, sizeof(sun), now_ms() + timeout_ms);
	if (fd < 0) {
		snprintf(err, errlen, "cannot reach spgate-control at %s: %s", path, strerror(-fd));
		return NULL;
	}
	c = conn_new(fd, timeout_ms);
	if (c == NULL)
		snprintf(err, errlen, "out of memory");
	return c;
}

/* The first OpenSSL error as text, or fallback when the queue is empty. */
static const char *ssl_error_text(const char *fallback, char *buf, size_t size)
{
	unsigned long e = ERR_get_error();

	if (e == 0)
		return fallback;
	ERR_error_string_n(e, buf, size);
	return buf;
}

/* Drives one SSL call that may want to read or write: 1 to retry, 0 done, < 0 failure. */
static int ssl_retry(struct ctl_conn *c, int ret, int64_t deadline, int *ssl_err)
{
	int rc;

	*ssl_err = SSL_get_error(c->ssl, ret);
	if (*ssl_err == SSL_ERROR_WANT_READ)
		rc = wait_fd(c->fd, POLLIN, deadline);
	else if (*ssl_err == SSL_ERROR_WANT_WRITE)
		rc = wait_fd(c->fd, POLLOUT, deadline);
	else
		return -EPROTO;
	return rc == 0 ? 1 : rc;
}

static bool tls_setup(struct ctl_conn *c, const char *host, const char *ca_file, char *err, size_t errlen)
{
	unsigned char ip[16];
	char e[256];
	bool literal;

	c->ctx = SSL_CTX_new(TLS_client_method());
	if (c->ctx == NULL || SSL_CTX_set_min_proto_version(c->ctx, TLS1_3_VERSION) != 1) {
		snprintf(err, errlen, "TLS: %s", ssl_error_text("cannot set up OpenSSL", e, sizeof(e)));
		return false;
	}
	/* A server that just closes is reported as closing, not as an OpenSSL error. */
	SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (SSL_CTX_load_verify_locations(c->ctx, ca_file, NULL) != 1) {
		snprintf(err, errlen, "--ca %s: cannot load CA certificates: %s", ca_file,
			 ssl_error_text("no certificate in it", e, sizeof(e)));
		return false;
	}
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1) {
		snprintf(err, errlen, "TLS: %s", ssl_error_text("cannot set up OpenSSL", e, sizeof(e)));
		return false;
	}
	/* SNI must not carry an address (RFC 6066 §3); addresses are checked against IP SANs. */
	literal = inet_pton(AF_INET, host, ip) == 1 || inet_pton(AF_INET6, host, ip) == 1;
	if (literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c->ssl), host) != 1
		    : SSL_set_tlsext_host_name(c->ssl, host) != 1 || SSL_set1_host(c->ssl, host) != 1) {
		snprintf(err, errlen, "TLS: cannot check the server's name %s: %s", host,
			 ssl_error_text("rejected by OpenSSL", e, sizeof(e)));
		return false;
	}
	return true;
}

static bool tls_handshake(struct ctl_conn *c, const char *where, int64_t deadline, char *err, size_t errlen)
{
	int ret, rc, ssl_err;
	long verify;
	char e[256];

	for (;;) {
		ERR_clear_error();
		ret = SSL_connect(c->ssl);
		if (ret == 1)
			return true;
		rc = ssl_retry(c, ret, deadline, &ssl_err);
		if (rc == 1)
			continue;
		if (rc == -ETIMEDOUT) {
			snprintf(err, errlen, "TLS handshake with %s: no answer within %d ms", where, c->timeout_ms);
			return false;
		}
		break;
	}
	verify = SSL_get_verify_result(c->ssl);
	if (verify != X509_V_OK)
		snprintf(err, errlen, "TLS handshake with %s: certificate verification failed: %s", where,
			 X509_verify_cert_error_string(verify));
	else
		snprintf(err, errlen, "TLS handshake with %s failed: %s", where,
			 ssl_error_text(ssl_err == SSL_ERROR_SSL ? "protocol error" : "the server closed the connection",
					e, sizeof(e)));
	return false;
}

struct ctl_conn *ctl_conn_tls(const char *host, const char *port, const char *ca_file, int timeout_ms, char *err,
			      size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	int64_t deadline = now_ms() + timeout_ms;
	struct addrinfo *res = NULL, *ai;
	struct ctl_conn *c = NULL;
	char where[300];
	int fd = -ENOENT, gai;

	snprintf(where, sizeof(where), strchr(host, ':') != NULL ? "[%s]:%s" : "%s:%s", host, port);
	gai = getaddrinfo(host, port, &hints, &res);
	if (gai != 0) {
		snprintf(err, errlen, "cannot reach spgate-control at %s: %s", where, gai_strerror(gai));
		return NULL;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = connect_addr(ai->ai_addr, ai->ai_addrlen, deadline);
		if (fd >= 0 || fd == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "cannot reach spgate-control at %s: %s", where,
			 fd == -ETIMEDOUT ? "no answer within the timeout" : strerror(-fd));
		return NULL;
	}
	c = conn_new(fd, timeout_ms);
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!tls_setup(c, host, ca_file, err, errlen) || !tls_handshake(c, where, deadline, err, errlen)) {
		ctl_conn_close(c);
		return NULL;
	}
	return c;
}

/* Writes all of buf; 0 or -errno (-EPROTO: a TLS failure). */
static int conn_write(struct ctl_conn *c, const char *buf, size_t len, int64_t deadline)
{
	while (len > 0) {
		size_t done = 0;
		ssize_t n;
		int rc, ssl_err;

		if (c->ssl != NULL) {
			int ret = SSL_write_ex(c->ssl, buf, len, &done);

			if (ret <= 0) {
				rc = ssl_retry(c, ret, deadline, &ssl_err);
				if (rc < 0)
					return ssl_err == SSL_ERROR_SYSCALL ? -EPIPE : rc;
				continue;
			}
		} else {
			n = send(c->fd, buf, len, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno != EAGAIN && errno != EINTR)
					return -errno;
				rc = wait_fd(c->fd, POLLOUT, deadline);
				if (rc < 0)
					return rc;
				continue;
			}
			done = (size_t)n;
		}
		buf += done;
		len -= done;
	}
	return 0;
}

/* Reads what is there into c->buf; bytes read, 0 at end of stream, or -errno. */
static int conn_read(struct ctl_conn *c, int64_t deadline)
{
	size_t room, done = 0;
	int rc, ssl_err;

	if (c->cap - c->len < 16384) {
		size_t cap = c->cap ? c->cap * 2 : 65536;
		char *grown = realloc(c->buf, cap);

		if (grown == NULL)
			return -ENOMEM;
		c->buf = grown;
		c->cap = cap;
	}
	room = c->cap - c->len - 1;
	for (;;) {
		if (c->ssl != NULL) {
			int ret = SSL_read_ex(c->ssl, c->buf + c->len, room, &done);

			if (ret > 0)
				break;
			rc = ssl_retry(c, ret, deadline, &ssl_err);
			if (rc < 0 && (ssl_err == SSL_ERROR_ZERO_RETURN || ssl_err == SSL_ERROR_SYSCALL))
				return 0;
			if (rc < 0)
				return rc;
		} else {
			ssize_t n = recv(c->fd, c->buf + c->len, room, 0);

			if (n >= 0) {
				done = (size_t)n;
				break;
			}
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			rc = wait_fd(c->fd, POLLIN, deadline);
			if (rc < 0)
				return rc;
		}
	}
	c->len += done;
	return (int)done;
}

static const char *io_error(int rc, char *buf, size_t size)
{
	if (rc == -EPROTO)
		return ssl_error_text("TLS failure", buf, size);
	return strerror(-rc);
}

char *ctl_conn_call(struct ctl_conn *c, const char *line, size_t len, size_t *reply_len, char *err, size_t errlen)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	size_t scanned = 0;
	char *nl, *reply;
	char e[256];
	int rc;

	if (memchr(line, '\n', len) != NULL) {
		snprintf(err, errlen, "a request must be one line");
		return NULL;
	}
	rc = conn_write(c, line, len, deadline);
	if (rc == 0)
		rc = conn_write(c, "\n", 1, deadline);
	if (rc < 0) {
		snprintf(err, errlen, "sending the request: %s", io_error(rc, e, sizeof(e)));
		return NULL;
	}
	while ((nl = c->len > scanned ? memchr(c->buf + scanned, '\n', c->len - scanned) : NULL) == NULL) {
		scanned = c->len;
		if (c->len >= CTL_REPLY_MAX) {
			snprintf(err, errlen, "reply longer than %u bytes", CTL_REPLY_MAX);
			return NULL;
		}
		rc = conn_read(c, deadline);
		if (rc == 0) {
			snprintf(err, errlen, "spgate-control closed the connection without replying");
			return NULL;
		}
		if (rc == -ETIMEDOUT) {
			snprintf(err, errlen, "no reply within %d ms", c->timeout_ms);
			return NULL;
		}
		if (rc < 0) {
			snprintf(err, errlen, "reading the reply: %s", io_error(rc, e, sizeof(e)));
			return NULL;
		}
	}
	*reply_len = (size_t)(nl - c->buf);
	reply = malloc(*reply_len + 1);
	if (reply == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(reply, c->buf, *reply_len);
	reply[*reply_len] = '\0';
	/* Keep what follows the line; wipe what moved out (a login reply holds the token). */
	c->len -= *reply_len + 1;
	memmove(c->buf, nl + 1, c->len);
	explicit_bzero(c->buf + c->len, *reply_len + 1);
	return reply;
}

void ctl_conn_free_reply(char *reply, size_t len)
{
	if (reply == NULL)
		return;
	explicit_bzero(reply, len);
	free(reply);
}

void ctl_conn_close(struct ctl_conn *c)
{
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl); /* one try: a close_notify if the socket takes it */
		SSL_free(c->ssl);
	}
	SSL_CTX_free(c->ctx);
	if (c->buf != NULL) {
		explicit_bzero(c->buf, c->cap);
		free(c->buf);
	}
	close(c->fd);
	free(c);
}
