/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API's listeners and connections: TLS 1.3 for engineers, a Unix socket with peer
 * credentials for operators, newline-delimited requests of at most API_REQUEST_MAX bytes,
 * one request in flight per connection, idle connections closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "api/json.h"
#include "api/server.h"

#define API_MAX_CLIENTS_DEFAULT 1024
#define API_OPERATOR_MAX_CLIENTS_DEFAULT 64
/* After running out of descriptors, the listener rests this long before accepting again. */
#define API_ACCEPT_PAUSE_MS 200
/* After a last reply, how long a closing connection may go on sending what we discard. */
#define API_LINGER_S 5

struct api_conn;

struct api_call {
	struct api_conn *conn; /* NULL once the connection is gone */
	struct api_peer peer;
};

struct api_conn {
	TAILQ_ENTRY(api_conn) next;
	struct api_server *srv;
	struct bufferevent *bev;
	struct event *resume; /* reads the next buffered line after a late reply */
	struct event *deadline; /* TLS, until authenticated: the pre-authentication timeout */
	struct api_peer peer;
	struct api_call *pending;
	bool in_dispatch;
	bool closing; /* free once the output has drained */
	bool lingering; /* last reply out, write side shut: discarding input until EOF */
};

TAILQ_HEAD(api_conn_list, api_conn);

struct api_server {
	struct event_base *base;
	api_request_fn fn;
	void *arg;
	SSL_CTX *ssl_ctx;
	struct evconnlistener *tls_listener;
	struct evconnlistener *unix_listener;
	char *unix_path;
	char *operator_group;
	struct timeval idle;
	bool idle_set;
	struct timeval handshake;
	bool handshake_set;
	unsigned max_clients, n_clients;       /* the engineers' TLS connections */
	unsigned max_per_source;               /* 0: no cap */
	unsigned max_operators, n_operators;   /* the operators' Unix connections */
	int reserve_fd;                        /* kept to accept and shed a connection on EMFILE */
	time_t emfile_logged;                  /* when EMFILE was last logged (at most every 10 s) */
	struct event *accept_pause;            /* re-enables the listeners after EMFILE */
	struct api_conn_list conns;
};

static unsigned *conn_count(struct api_server *srv, enum api_transport t)
{
	return t == API_TRANSPORT_TLS ? &srv->n_clients : &srv->n_operators;
}

static void conn_free(struct api_conn *c)
{
	if (c->pending != NULL)
		c->pending->conn = NULL; /* the handler still owns the call and will reply */
	TAILQ_REMOVE(&c->srv->conns, c, next);
	(*conn_count(c->srv, c->peer.transport))--;
	if (c->resume != NULL)
		event_free(c->resume);
	if (c->deadline != NULL)
		event_free(c->deadline);
	bufferevent_free(c->bev);
	free(c);
}

/*
 * Queues a reply. One that cannot be formatted (out of memory, or a string jansson refuses)
 * is still answered, with a fixed internal error: every request gets its line.
 */
static void conn_send(struct api_conn *c, json_t *reply)
{
	static const char fallback[] = "{\"ok\":false,\"error\":\"" API_E_INTERNAL "\","
				       "\"message\":\"the server could not format its reply\"}\n";
	size_t len;
	char *line;

	line = reply != NULL ? api_json_dump_line(reply, &len) : NULL;
	if (line == NULL) {
		fprintf(stderr, "spgate-control: api: %s: cannot format a reply; sent an internal error\n",
			c->peer.name);
		bufferevent_write(c->bev, fallback, sizeof(fallback) - 1);
		return;
	}
	bufferevent_write(c->bev, line, len);
	free(line);
}

/*
 * The last reply is out: shut our write side (the client reads the reply, then EOF) and
 * discard what the client still sends until it closes, for at most API_LINGER_S. Closing
 * at once with unread input would make the kernel answer with a TCP reset, which may destroy
 * the reply before the client reads it, and a client still writing a huge request would
 * fail on its write and never read the reply at all.
 */
static void conn_linger(struct api_conn *c)
{
	struct timeval tv = {.tv_sec = API_LINGER_S};
	evutil_socket_t fd = bufferevent_getfd(c->bev);

	c->lingering = true;
	if (fd >= 0)
		shutdown(fd, SHUT_WR);
	evbuffer_drain(bufferevent_get_input(c->bev), evbuffer_get_length(bufferevent_get_input(c->bev)));
	bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_enable(c->bev, EV_READ);
	event_add(c->resume, &tv);
}

/*
 * Sends a last reply and closes once it is out. Never frees the connection itself (callers
 * may be inside conn_process): the write callback or the resume event does.
 */
static void conn_close_with(struct api_conn *c, json_t *reply)
{
	conn_send(c, reply);
	json_decref(reply);
	c->closing = true;
	bufferevent_disable(c->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		event_active(c->resume, EV_TIMEOUT, 0);
}

static void conn_dispatch(struct api_conn *c, char *line, size_t len)
{
	struct api_call *call;

	call = calloc(1, sizeof(*call));
	if (call == NULL) {
		conn_close_with(c, api_json_error(API_E_INTERNAL, "out of memory"));
		return;
	}
	call->conn = c;
	call->peer = c->peer;
	c->pending = call;
	bufferevent_disable(c->bev, EV_READ);
	c->srv->fn(call, line, len, c->srv->arg);
}

/* Hands complete lines to the handler while none is in flight. */
static void conn_process(struct api_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	size_t len;
	char *line;

	c->in_dispatch = true;
	while (c->pending == NULL && !c->closing) {
		line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
		if (line == NULL && evbuffer_get_length(in) <= API_REQUEST_MAX)
			break;
		if (line == NULL || len > API_REQUEST_MAX) {
			free(line);
			conn_close_with(c, api_json_error(API_E_BAD_REQUEST, "request larger than %d bytes",
							  API_REQUEST_MAX));
			break;
		}
		if (len > 0 && line[len - 1] == '\r')
			line[--len] = '\0';
		if (len > 0)
			conn_dispatch(c, line, len);
		free(line);
	}
	c->in_dispatch = false;
	if (c->closing && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
		event_active(c->resume, EV_TIMEOUT, 0);
	else if (c->pending == NULL && !c->closing)
		bufferevent_enable(c->bev, EV_READ);
}

static void conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct api_conn *c = arg;

	if (c->lingering) {
		evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
		return;
	}
	conn_process(c);
}

static void conn_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->lingering) {
		conn_free(c); /* API_LINGER_S is over */
		return;
	}
	if (c->closing) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
			conn_linger(c);
		return;
	}
	conn_process(c);
}

static void conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct api_conn *c = arg;

	(void)bev;
	if (c->closing && !c->lingering)
		conn_linger(c);
}

static void conn_event_cb(struct bufferevent *bev, short events, void *arg)
{
	struct api_conn *c = arg;
	unsigned long e;

	if (events & BEV_EVENT_CONNECTED)
		return;
	if (events & BEV_EVENT_TIMEOUT) {
		/* Idle: the client sent nothing (or read nothing) for idle_timeout. */
		conn_free(c);
		return;
	}
	if (events & BEV_EVENT_ERROR) {
		e = c->peer.transport == API_TRANSPORT_TLS ? bufferevent_get_openssl_error(bev) : 0;
		if (e != 0)
			fprintf(stderr, "spgate-control: api: %s: TLS: %s\n", c->peer.name,
				ERR_reason_error_string(e) != NULL ? ERR_reason_error_string(e) : "error");
	}
	conn_free(c);
}

void api_call_reply(struct api_call *call, json_t *reply)
{
	struct api_conn *c = call->conn;

	if (c != NULL) {
		c->pending = NULL;
		conn_send(c, reply);
		/* A reply given from outside conn_process resumes reading on the next loop turn. */
		if (!c->in_dispatch)
			event_active(c->resume, EV_TIMEOUT, 0);
	}
	json_decref(reply);
	free(call);
}

const struct api_peer *api_call_peer(const struct api_call *call)
{
	return &call->peer;
}

bool api_call_abandoned(const struct api_call *call)
{
	return call->conn == NULL;
}

void api_call_authenticated(struct api_call *call)
{
	struct api_conn *c = call->conn;

	if (c == NULL || c->deadline == NULL)
		return;
	event_free(c->deadline);
	c->deadline = NULL;
}

/*
 * Not authenticated in time: closed, unless a request is in flight (a login waiting for
 * RADIUS, whose own timeouts bound the wait); the deadline then looks again shortly.
 */
static void conn_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval again = {1, 0};
	struct api_conn *c = arg;

	(void)fd;
	(void)what;
	if (c->pending != NULL) {
		event_add(c->deadline, &again);
		return;
	}
	conn_free(c);
}

static struct api_conn *conn_new(struct api_server *srv, struct bufferevent *bev, const struct api_peer *peer)
{
	struct api_conn *c;

	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		bufferevent_free(bev);
		return NULL;
	}
	c->srv = srv;
	c->bev = bev;
	c->peer = *peer;
	c->resume = event_new(srv->base, -1, 0, conn_resume_cb, c);
	TAILQ_INSERT_TAIL(&srv->conns, c, next);
	(*conn_count(srv, peer->transport))++;
	if (peer->transport == API_TRANSPORT_TLS && srv->handshake_set) {
		c->deadline = evtimer_new(srv->base, conn_deadline_cb, c);
		if (c->deadline == NULL || evtimer_add(c->deadline, &srv->handshake) != 0) {
			conn_free(c);
			return NULL;
		}
	}
	if (c->resume == NULL) {
		conn_free(c);
		return NULL;
	}
	bufferevent_setcb(bev, conn_read_cb, conn_write_cb, conn_event_cb, c);
	/* Stop reading past one maximal request; conn_process then refuses it. */
	bufferevent_setwatermark(bev, EV_READ, 0, API_REQUEST_MAX + 2);
	if (srv->idle_set)
		bufferevent_set_timeouts(bev, &srv->idle, &srv->idle);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
	return c;
}

static unsigned conns_from(const struct api_server *srv, uint32_t addr)
{
	const struct api_conn *c;
	unsigned n = 0;

	TAILQ_FOREACH(c, &srv->conns, next)
		n += c->peer.transport == API_TRANSPORT_TLS && c->peer.addr == addr;
	return n;
}

/* A refused client gets a reason instead of a silent reset (best effort: it may not read). */
static void refuse(evutil_socket_t fd, const char *why)
{
	char msg[160];
	int n;

	n = snprintf(msg, sizeof(msg), "{\"ok\":false,\"error\":\"busy\",\"message\":\"%s; try again later\"}\n", why);
	if (n > 0 && (size_t)n < sizeof(msg))
		(void)send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* Over a budget: refused. Each listener has its own, so engineers never crowd out operators. */
static bool server_full(struct api_server *srv, evutil_socket_t fd, const struct api_peer *peer)
{
	if (peer->transport == API_TRANSPORT_UNIX) {
		if (srv->n_operators < srv->max_operators)
			return false;
		refuse(fd, "too many operator connections");
		return true;
	}
	if (srv->n_clients >= srv->max_clients) {
		refuse(fd, "too many API connections");
		return true;
	}
	if (srv->max_per_source != 0 && conns_from(srv, peer->addr) >= srv->max_per_source) {
		refuse(fd, "too many API connections from your address");
		return true;
	}
	return false;
}

static void accept_pause_cb(evutil_socket_t fd, short what, void *arg)
{
	struct api_server *srv = arg;

	(void)fd;
	(void)what;
	if (srv->reserve_fd < 0)
		srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (srv->tls_listener != NULL)
		evconnlistener_enable(srv->tls_listener);
	if (srv->unix_listener != NULL)
		evconnlistener_enable(srv->unix_listener);
}

/*
 * accept failed. Out of descriptors (EMFILE/ENFILE), the pending connection would make
 * the listener fire again at once, forever: give up the reserve descriptor, accept the
 * connection, refuse it, then rest the listeners briefly before taking the reserve back.
 */
static void accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct api_server *srv = arg;
	struct timeval pause = {0, API_ACCEPT_PAUSE_MS * 1000};
	int e = EVUTIL_SOCKET_ERROR(), fd;

	if (e != EMFILE && e != ENFILE) {
		fprintf(stderr, "spgate-control: api: accept: %s\n", strerror(e));
		return;
	}
	if (srv->reserve_fd >= 0) {
		close(srv->reserve_fd);
		srv->reserve_fd = -1;
		fd = accept(evconnlistener_get_fd(l), NULL, NULL);
		if (fd >= 0)
			refuse(fd, "the gateway is out of file descriptors");
	}
	if (time(NULL) - srv->emfile_logged >= 10) {
		srv->emfile_logged = time(NULL);
		fprintf(stderr, "spgate-control: api: accept: %s; refusing connections for %d ms at a time\n",
			strerror(e), API_ACCEPT_PAUSE_MS);
	}
	if (srv->tls_listener != NULL)
		evconnlistener_disable(srv->tls_listener);
	if (srv->unix_listener != NULL)
		evconnlistener_disable(srv->unix_listener);
	evtimer_add(srv->accept_pause, &pause);
}

int api_raise_nofile(unsigned clients, char *err, size_t errlen)
{
	rlim_t need = (rlim_t)clients + API_FD_RESERVE;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "getrlimit(RLIMIT_NOFILE): %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		snprintf(err, errlen,
			 "the open-file limit's hard limit (RLIMIT_NOFILE %llu) is below the %llu descriptors "
			 "engineer_api.max_clients + control.operator_max_clients + %d need: raise it "
			 "(LimitNOFILE= in the systemd unit, ulimit -Hn) or lower the budgets",
			 (unsigned long long)rl.rlim_max, (unsigned long long)need, API_FD_RESERVE);
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		snprintf(err, errlen, "setrlimit(RLIMIT_NOFILE, %llu): %s", (unsigned long long)need, strerror(errno));
		return -1;
	}
	return 0;
}

static void tls_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct api_server *srv = arg;
	struct sockaddr_in *sin = (struct sockaddr_in *)sa;
	struct api_peer peer = {.transport = API_TRANSPORT_TLS};
	char a[SPG_ADDR_STRLEN];
	struct bufferevent *bev;
	SSL *ssl;

	(void)l;
	if (sa->sa_family == AF_INET && salen >= (int)sizeof(*sin)) {
		peer.addr = sin->sin_addr.s_addr;
		peer.port = ntohs(sin->sin_port);
	}
	if (server_full(srv, fd, &peer))
		return;
	snprintf(peer.name, sizeof(peer.name), "%s:%u", spg_addr_str(peer.addr, a), peer.port);
	ssl = SSL_new(srv->ssl_ctx);
	if (ssl == NULL) {
		close(fd);
		return;
	}
	bev = bufferevent_openssl_socket_new(srv->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		close(fd);
		return;
	}
	/* Clients that just close their socket are common and harmless. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	conn_new(srv, bev, &peer);
}

bool api_peer_is_operator(uid_t uid, gid_t gid, const char *group)
{
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	char buf[16384];
	gid_t groups[256];
	int n = 256, i;

	if (uid == 0)
		return true;
	if (group == NULL || group[0] == '\0')
		return false;
	if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL)
		return false;
	if (gid == grp->gr_gid)
		return true;
	gid = grp->gr_gid;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return false;
	if (getgrouplist(pwp->pw_name, pwp->pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

static void unix_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct api_server *srv = arg;
	struct api_peer peer = {.transport = API_TRANSPORT_UNIX};
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct bufferevent *bev;
	struct api_conn *c;

	(void)l;
	(void)sa;
	(void)salen;
	if (server_full(srv, fd, &peer))
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0) {
		close(fd);
		return;
	}
	peer.uid = cred.uid;
	peer.gid = cred.gid;
	peer.pid = cred.pid;
	snprintf(peer.name, sizeof(peer.name), "uid %u pid %d", (unsigned)cred.uid, (int)cred.pid);
	bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		close(fd);
		return;
	}
	c = conn_new(srv, bev, &peer);
	if (c == NULL)
		return;
	if (!api_peer_is_operator(cred.uid, cred.gid, srv->operator_group))
		conn_close_with(c, api_json_error(API_E_FORBIDDEN,
						  "uid %u is neither root nor a member of the operator group%s%s",
						  (unsigned)cred.uid, srv->operator_group ? " " : "",
						  srv->operator_group ? srv->operator_group : ""));
}

SSL_CTX *api_tls_context(const struct api_server_config *cfg, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		snprintf(err, errlen, "engineer_api: cannot create a TLS context");
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
	/* Requests are whole lines: a client closing without close_notify truncates nothing. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_certificate) != 1) {
		snprintf(err, errlen, "engineer_api.certificate %s: cannot load: %s", cfg->tls_certificate,
			 ERR_reason_error_string(ERR_get_error()));
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_private_key, SSL_FILETYPE_PEM) != 1) {
		snprintf(err, errlen, "engineer_api.private_key %s: cannot load: %s", cfg->tls_private_key,
			 ERR_reason_error_string(ERR_get_error()));
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		snprintf(err, errlen, "engineer_api.private_key %s does not match the certificate %s",
			 cfg->tls_private_key, cfg->tls_certificate);
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

static int open_tls_listener(struct api_server *srv, const struct api_server_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	uint16_t port;

	if (!spg_endpoint_parse(cfg->tls_listen, &sin.sin_addr.s_addr, &port, 8443)) {
		snprintf(err, errlen, "engineer_api.listen: \"%s\" is not an address:port", cfg->tls_listen);
		return -EINVAL;
	}
	sin.sin_port = htons(port);
	srv->ssl_ctx = api_tls_context(cfg, err, errlen);
	if (srv->ssl_ctx == NULL)
		return -EINVAL;
	srv->tls_listener = evconnlistener_new_bind(srv->base, tls_accept_cb, srv,
						    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
						    128, (struct sockaddr *)&sin, sizeof(sin));
	if (srv->tls_listener == NULL) {
		int e = errno;

		snprintf(err, errlen, "engineer_api.listen %s: cannot listen: %s", cfg->tls_listen, strerror(e));
		return -e;
	}
	evconnlistener_set_error_cb(srv->tls_listener, accept_error_cb);
	return 0;
}

/* Gives the socket to the operator group, so its members can connect (mode 0660). */
static int unix_socket_perms(const char *path, const char *group, char *err, size_t errlen)
{
	struct group gr, *grp = NULL;
	char buf[16384];

	if (group != NULL && group[0] != '\0') {
		if (getgrnam_r(group, &gr, buf, sizeof(buf), &grp) != 0 || grp == NULL) {
			snprintf(err, errlen, "control.operator_group: no group named \"%s\"", group);
			return -ENOENT;
		}
		if (chown(path, (uid_t)-1, grp->gr_gid) < 0) {
			snprintf(err, errlen, "control.operator_socket %s: chown to group %s: %s", path, group,
				 strerror(errno));
			return -errno;
		}
	}
	if (chmod(path, 0660) < 0) {
		snprintf(err, errlen, "control.operator_socket %s: chmod: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

static int open_unix_listener(struct api_server *srv, const struct api_server_config *cfg, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(cfg->unix_path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control.operator_socket: \"%s\" is too long for a Unix socket", cfg->unix_path);
		return -ENAMETOOLONG;
	}
	strcpy(sun.sun_path, cfg->unix_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by an earlier run would make bind fail. */
	unlink(cfg->unix_path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 128) < 0) {
		ret = -errno;
		snprintf(err, errlen, "control.operator_socket %s: cannot listen: %s", cfg->unix_path, strerror(-ret));
		close(fd);
		return ret;
	}
	ret = unix_socket_perms(cfg->unix_path, cfg->operator_group, err, errlen);
	if (ret != 0) {
		close(fd);
		return ret;
	}
	srv->unix_path = strdup(cfg->unix_path);
	srv->unix_listener = evconnlistener_new(srv->base, unix_accept_cb, srv, LEV_OPT_CLOSE_ON_FREE, -1, fd);
	if (srv->unix_listener == NULL || srv->unix_path == NULL) {
		if (srv->unix_listener == NULL)
			close(fd);
		snprintf(err, errlen, "control.operator_socket %s: out of memory", cfg->unix_path);
		return -ENOMEM;
	}
	evconnlistener_set_error_cb(srv->unix_listener, accept_error_cb);
	return 0;
}

struct api_server *api_server_new(struct event_base *base, const struct api_server_config *cfg,
				  api_request_fn fn, void *arg, char *err, size_t errlen)
{
	struct api_server *srv;
	int ret = 0;

	srv = calloc(1, sizeof(*srv));
	if (srv == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	srv->base = base;
	srv->fn = fn;
	srv->arg = arg;
	TAILQ_INIT(&srv->conns);
	srv->max_clients = cfg->max_clients ? cfg->max_clients : API_MAX_CLIENTS_DEFAULT;
	srv->max_per_source = cfg->max_per_source;
	srv->max_operators = cfg->operator_max_clients ? cfg->operator_max_clients : API_OPERATOR_MAX_CLIENTS_DEFAULT;
	srv->idle.tv_sec = cfg->idle_timeout_s;
	srv->idle_set = cfg->idle_timeout_s > 0;
	srv->handshake.tv_sec = cfg->handshake_timeout_s;
	srv->handshake_set = cfg->handshake_timeout_s > 0;
	srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	srv->accept_pause = evtimer_new(base, accept_pause_cb, srv);
	if (srv->reserve_fd < 0 || srv->accept_pause == NULL)
		ret = -EMFILE;
	if (ret == 0 && cfg->operator_group != NULL && cfg->operator_group[0] != '\0') {
		srv->operator_group = strdup(cfg->operator_group);
		if (srv->operator_group == NULL)
			ret = -ENOMEM;
	}
	if (ret == 0 && cfg->tls_listen != NULL)
		ret = open_tls_listener(srv, cfg, err, errlen);
	if (ret == 0 && cfg->unix_path != NULL)
		ret = open_unix_listener(srv, cfg, err, errlen);
	if (ret != 0) {
		api_server_free(srv);
		errno = -ret;
		return NULL;
	}
	return srv;
}

void api_server_free(struct api_server *srv)
{
	struct api_conn *c;

	if (srv == NULL)
		return;
	while ((c = TAILQ_FIRST(&srv->conns)) != NULL)
		conn_free(c);
	if (srv->tls_listener != NULL)
		evconnlistener_free(srv->tls_listener);
	if (srv->unix_listener != NULL) {
		evconnlistener_free(srv->unix_listener);
		unlink(srv->unix_path);
	}
	if (srv->accept_pause != NULL)
		event_free(srv->accept_pause);
	if (srv->reserve_fd >= 0)
		close(srv->reserve_fd);
	SSL_CTX_free(srv->ssl_ctx);
	free(srv->unix_path);
	free(srv->operator_group);
	free(srv);
}
