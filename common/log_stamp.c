/* SPDX-License-Identifier: BSD-3-Clause */
/* A stdio stream (fopencookie) that puts a UTC timestamp before every line it writes to fd. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log_stamp.h"

struct stamped {
	int fd;
	bool at_line_start; /* the next byte begins a line: stamp it */
};

void spg_log_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char sec[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ ", sec, ts.tv_nsec / 1000000);
}

bool spg_log_wants_stamps(int fd)
{
	const char *js = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%ju:%ju", &dev, &ino) != 2 || fstat(fd, &st) != 0)
		return true;
	return !((uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino);
}

/* Writes all of iov (a stamp and a piece of a line, or the piece alone); -1 on error. */
static int write_all(int fd, struct iovec *iov, int n)
{
	ssize_t w;

	while (n > 0) {
		w = writev(fd, iov, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Piece by piece up to each newline, a stamp before each piece that begins a line. */
static ssize_t stamped_write(void *cookie, const char *buf, size_t size)
{
	struct stamped *s = cookie;
	char stamp[SPG_LOG_STAMP_LEN + 1];
	size_t off = 0;

	while (off < size) {
		const char *nl = memchr(buf + off, '\n', size - off);
		size_t piece = nl != NULL ? (size_t)(nl - (buf + off)) + 1 : size - off;
		struct iovec iov[2];
		int n = 0;

		if (s->at_line_start) {
			spg_log_stamp(stamp, sizeof(stamp));
			iov[n++] = (struct iovec){stamp, SPG_LOG_STAMP_LEN};
		}
		iov[n++] = (struct iovec){(char *)buf + off, piece};
		if (write_all(s->fd, iov, n) != 0)
			return off > 0 ? (ssize_t)off : -1;
		s->at_line_start = nl != NULL;
		off += piece;
	}
	return (ssize_t)size;
}

static int stamped_close(void *cookie)
{
	free(cookie);
	return 0;
}

FILE *spg_log_stamped_stream(int fd)
{
	static const cookie_io_functions_t io = {.write = stamped_write, .close = stamped_close};
	struct stamped *s = malloc(sizeof(*s));
	FILE *f;

	if (s == NULL)
		return NULL;
	*s = (struct stamped){.fd = fd, .at_line_start = true};
	f = fopencookie(s, "w", io);
	if (f == NULL) {
		free(s);
		return NULL;
	}
	/* a line is written whole, with its stamp, by one writev: concurrent writers do not mix */
	setvbuf(f, NULL, _IOLBF, 0);
	return f;
}

void spg_log_stamp_stderr(void)
{
	FILE *f;

	if (!spg_log_wants_stamps(STDERR_FILENO))
		return;
	f = spg_log_stamped_stream(STDERR_FILENO);
	if (f == NULL)
		return; /* unstamped lines rather than none */
	fflush(stderr);
	stderr = f;
}
