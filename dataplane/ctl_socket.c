/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket: a SOCK_SEQPACKET Unix socket for spgatectl and spgate-control (root and
 * dataplane.control_group only, checked by ctl_peer.c); each datagram is answered by
 * spg_ctl_handle (ctl_server.c). Runs on the control thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "ctl_peer.h"
#include "ctl_server.h"

#define CTL_MAX_CLIENTS 16
/* Datagrams served per client per poll, so one busy client cannot starve the others. */
#define CTL_MSGS_PER_POLL 32

struct spg_ctl_server {
	struct spg_dp *dp;
	int listen_fd;
	int clients[CTL_MAX_CLIENTS]; /* -1: free */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	uint8_t *req; /* SPG_DP_MSG_MAX + 1: the spare byte reveals oversize datagrams */
	uint8_t *rep; /* SPG_DP_MSG_MAX */
	bool group_set; /* dataplane.control_group: its members may connect too */
	gid_t group;
};


/* mkdir -p of path's parent directory, mode 0755 for what it creates. */
static int make_parent_dir(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;
	size_t i;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir)
		return 0;
	*slash = '\0';
	for (i = 1; dir[i] != '\0'; i++) {
		if (dir[i] != '/')
			continue;
		dir[i] = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		dir[i] = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A socket file left by a dataplane that died is removed; one that still answers is not. */
static int remove_stale_socket(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		RTE_LOG(ERR, USER1, "control: %s exists and is not a socket\n", sa->sun_path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0) {
		RTE_LOG(ERR, USER1, "control: another dataplane is serving %s\n", sa->sun_path);
		return -EADDRINUSE;
	}
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct spg_ctl_server *spg_ctl_server_create(struct spg_dp *dp, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct spg_ctl_server *s;
	mode_t old_umask;
	int rc, i;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->dp = dp;
	s->listen_fd = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		s->clients[i] = -1;
	strcpy(s->path, path);
	s->req = malloc(SPG_DP_MSG_MAX + 1);
	s->rep = malloc(SPG_DP_MSG_MAX);
	if (s->req == NULL || s->rep == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = make_parent_dir(path);
	if (rc == 0)
		rc = remove_stale_socket(&sa);
	if (rc < 0)
		goto fail;
	s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Born 0600, so there is no moment in which others could connect. */
	old_umask = umask(0177);
	rc = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc < 0)
		rc = -errno;
	umask(old_umask);
	if (rc < 0)
		goto fail;
	rc = spg_ctl_socket_set_group(path, dp->cfg.control_group, &s->group);
	if (rc == -ENOENT)
		RTE_LOG(ERR, USER1, "control: dataplane.control_group: there is no group \"%s\"\n",
			dp->cfg.control_group);
	if (rc == 0 && listen(s->listen_fd, CTL_MAX_CLIENTS) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(path);
		goto fail;
	}
	s->group_set = dp->cfg.control_group[0] != '\0';
	RTE_LOG(INFO, USER1, "control: listening on %s%s%s\n", path,
		s->group_set ? " for group " : "", dp->cfg.control_group);
	return s;

fail:
	RTE_LOG(ERR, USER1, "control: cannot serve %s: %s\n", path, strerror(-rc));
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s->req);
	free(s->rep);
	free(s);
	errno = -rc;
	return NULL;
}

void spg_ctl_server_free(struct spg_ctl_server *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->clients[i] >= 0)
			close(s->clients[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	free(s->req);
	free(s->rep);
	free(s);
}

static void client_close(struct spg_ctl_server *s, int slot)
{
	close(s->clients[slot]);
	s->clients[slot] = -1;
}

static void accept_clients(struct spg_ctl_server *s)
{
	struct ucred cred;
	socklen_t cl;
	int fd, slot;

	for (;;) {
		fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				RTE_LOG(ERR, USER1, "control: accept: %s\n", strerror(errno));
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;
		}
		cl = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
			RTE_LOG(ERR, USER1, "control: SO_PEERCRED: %s\n", strerror(errno));
			close(fd);
			continue;
		}
		if (!spg_ctl_peer_allowed(cred.uid, cred.gid, geteuid(), s->group_set ? &s->group : NULL)) {
			RTE_LOG(WARNING, USER1, "control: refused a client with uid %u (pid %d)\n",
				(unsigned int)cred.uid, (int)cred.pid);
			close(fd);
			continue;
		}
		for (slot = 0; slot < CTL_MAX_CLIENTS && s->clients[slot] >= 0; slot++)
			;
		if (slot == CTL_MAX_CLIENTS) {
			RTE_LOG(WARNING, USER1, "control: refused pid %d: %d clients already connected\n",
				(int)cred.pid, CTL_MAX_CLIENTS);
			close(fd);
			continue;
		}
		s->clients[slot] = fd;
	}
}

/* recv() returns 0 both at end of file and for an empty datagram; only the first is a hang-up. */
static bool peer_closed(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};

	int rc = poll(&pfd, 1, 0);

	return rc < 0 || (rc == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0);
}

/* Answers what one client sent; closes it when it hung up or misbehaved. */
static void serve_client(struct spg_ctl_server *s, int slot)
{
	const size_t hlen = sizeof(struct spg_dp_hdr);
	int fd = s->clients[slot];
	struct spg_dp_hdr h;
	size_t rep_len;
	ssize_t n;
	int i;

	for (i = 0; i < CTL_MSGS_PER_POLL; i++) {
		n = recv(fd, s->req, SPG_DP_MSG_MAX + 1, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 || (n == 0 && peer_closed(fd))) {
			client_close(s, slot);
			return;
		}
		if ((size_t)n > SPG_DP_MSG_MAX) {
			/* MSG_TRUNC returned the real size; the first SPG_DP_MSG_MAX bytes hold the header. */
			memcpy(&h, s->req, hlen);
			RTE_LOG(NOTICE, USER1, "control: refused a %zd-byte message (at most %u)\n", n,
				SPG_DP_MSG_MAX);
			rep_len = spg_ctl_reply_header(s->rep, h.type, h.seq, EMSGSIZE, 0);
		} else {
			rep_len = spg_ctl_handle(s->dp, s->req, (size_t)n, s->rep);
		}
		if (send(fd, s->rep, rep_len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)rep_len) {
			/* A client that does not read its replies loses its connection, not our time. */
			RTE_LOG(NOTICE, USER1, "control: dropped a client: reply not sent: %s\n", strerror(errno));
			client_close(s, slot);
			return;
		}
	}
}

void spg_ctl_server_poll(struct spg_ctl_server *s, int timeout_ms)
{
	struct pollfd pfd[1 + CTL_MAX_CLIENTS];
	int slot_of[1 + CTL_MAX_CLIENTS];
	int n = 0, i, rc;

	pfd[n] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
	slot_of[n++] = -1;
	for (i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (s->clients[i] < 0)
			continue;
		pfd[n] = (struct pollfd){.fd = s->clients[i], .events = POLLIN};
		slot_of[n++] = i;
	}
	rc = poll(pfd, (nfds_t)n, timeout_ms);
	pthread_mutex_lock(&s->dp->ctl_lock);
	spg_ctl_tick(rte_get_tsc_cycles());
	pthread_mutex_unlock(&s->dp->ctl_lock);
	if (rc <= 0)
		return;
	for (i = 1; i < n; i++) {
		if (pfd[i].revents & POLLIN)
			serve_client(s, slot_of[i]);
		else if (pfd[i].revents & (POLLHUP | POLLERR | POLLNVAL))
			client_close(s, slot_of[i]);
	}
	/* After serving, so a client accepted now is not looked at with a stale pollfd. */
	if (pfd[0].revents & POLLIN)
		accept_clients(s);
}
