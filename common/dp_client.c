/* SPDX-License-Identifier: BSD-3-Clause */
/* Client side of the dataplane control socket: one request, one checked reply. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "dp_client.h"

static uint32_t next_seq;

/* The receive buffer: SPG_DP_MSG_MAX and a spare byte (so that MSG_TRUNC reveals a datagram
 * larger than any valid one), allocated once per thread that calls, freed when it exits. */
static pthread_key_t rx_buf_key;
static pthread_once_t rx_buf_once = PTHREAD_ONCE_INIT;
static int rx_buf_key_err;

static void rx_buf_key_create(void)
{
	rx_buf_key_err = pthread_key_create(&rx_buf_key, free);
}

static uint8_t *rx_buf(void)
{
	uint8_t *buf;

	if (pthread_once(&rx_buf_once, rx_buf_key_create) != 0 || rx_buf_key_err != 0)
		return NULL;
	buf = pthread_getspecific(rx_buf_key);
	if (buf != NULL)
		return buf;
	buf = malloc(SPG_DP_MSG_MAX + 1);
	if (buf != NULL && pthread_setspecific(rx_buf_key, buf) != 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

int spg_dp_client_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_request(int fd, uint16_t type, uint32_t seq, const void *body, size_t body_len)
{
	const size_t hlen = sizeof(struct spg_dp_hdr);
	struct spg_dp_hdr h = {
		.version = SPG_DP_API_VERSION,
		.type = type,
		.len = (uint32_t)(hlen + body_len),
		.seq = seq,
		.error = 0,
	};
	struct iovec iov[2] = {
		{.iov_base = &h, .iov_len = hlen},
		{.iov_base = (void *)body, .iov_len = body_len},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = body_len ? 2 : 1};
	ssize_t n;

	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE ? -ECONNRESET : -errno;
	return n == (ssize_t)h.len ? 0 : -EIO;
}

/* Waits for one datagram until deadline (< 0: none). Returns its size, or -errno. */
static ssize_t recv_until(int fd, uint8_t *buf, size_t size, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int wait, r;

	for (;;) {
		wait = -1;
		if (deadline >= 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return -ETIMEDOUT;
			wait = left > 3600000 ? 3600000 : (int)left;
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			continue; /* the deadline check above decides */
		n = recv(fd, buf, size, MSG_TRUNC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET; /* seqpacket: the server closed the connection */
		return n;
	}
}

int spg_dp_client_request(int fd, uint16_t type, const void *body, size_t body_len, void *reply_body,
			  size_t reply_max, size_t *reply_len, int *reply_error, int timeout_ms)
{
	const size_t hlen = sizeof(struct spg_dp_hdr);
	int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	struct spg_dp_hdr h;
	const char *why;
	uint8_t *buf;
	uint32_t seq;
	ssize_t n;
	int ret;

	if (body_len > SPG_DP_MSG_MAX - hlen)
		return -EMSGSIZE;
	if (type & SPG_DP_REPLY)
		return -EINVAL;
	buf = rx_buf();
	if (buf == NULL)
		return -ENOMEM;
	seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_RELAXED);
	ret = send_request(fd, type, seq, body, body_len);
	if (ret < 0)
		goto out;
	for (;;) {
		n = recv_until(fd, buf, SPG_DP_MSG_MAX + 1, deadline);
		if (n < 0) {
			ret = (int)n;
			goto out;
		}
		if (spg_dp_msg_check(buf, (size_t)n > SPG_DP_MSG_MAX ? SPG_DP_MSG_MAX + 1 : (size_t)n, true,
				     &why) != 0) {
			ret = -EBADMSG;
			goto out;
		}
		memcpy(&h, buf, hlen);
		/* A late reply to a request that timed out earlier on this connection. */
		if (h.seq != seq)
			continue;
		if (h.type != (type | SPG_DP_REPLY)) {
			ret = -EBADMSG;
			goto out;
		}
		break;
	}
	if ((size_t)n - hlen > reply_max) {
		ret = -ENOBUFS;
		goto out;
	}
	if (reply_body != NULL && (size_t)n > hlen)
		memcpy(reply_body, buf + hlen, (size_t)n - hlen);
	if (reply_len != NULL)
		*reply_len = (size_t)n - hlen;
	*reply_error = h.error;
	ret = 0;
out:
	return ret;
}

int spg_dp_client_call(int fd, uint16_t type, const void *body, size_t body_len, void *reply_body,
		       size_t reply_max, size_t *reply_len, int timeout_ms)
{
	int reply_error = 0;
	int ret;

	ret = spg_dp_client_request(fd, type, body, body_len, reply_body, reply_max, reply_len,
				    &reply_error, timeout_ms);
	if (ret < 0)
		return ret;
	return -reply_error;
}

int spg_dp_address(int fd, uint8_t op, uint8_t port, uint32_t addr, int timeout_ms)
{
	struct spg_dp_address_req req = {.op = op, .port = port, .addr = addr};

	if (op != SPG_DP_ADDR_ADD && op != SPG_DP_ADDR_DEL)
		return -EINVAL;
	return spg_dp_client_call(fd, SPG_DP_ADDRESS, &req, sizeof(req), NULL, 0, NULL, timeout_ms);
}

int spg_dp_address_list(int fd, struct spg_dp_address_entry *e, uint32_t max, uint32_t *count, int timeout_ms)
{
	struct spg_dp_address_req req = {.op = SPG_DP_ADDR_LIST};
	struct {
		struct spg_dp_address_list_rep head;
		struct spg_dp_address_entry e[SPG_DP_ADDR_LIST_MAX];
	} rep;
	size_t len = 0;
	int ret;

	*count = 0;
	ret = spg_dp_client_call(fd, SPG_DP_ADDRESS, &req, sizeof(req), &rep, sizeof(rep), &len, timeout_ms);
	if (ret < 0)
		return ret;
	/* spg_dp_msg_check matched the count to the length; an empty body is no LIST reply */
	if (len < sizeof(rep.head))
		return -EBADMSG;
	if (rep.head.count > max)
		return -ENOBUFS;
	memcpy(e, rep.e, rep.head.count * sizeof(e[0]));
	*count = rep.head.count;
	return 0;
}
