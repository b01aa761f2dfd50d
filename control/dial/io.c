/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bytes of a call: the device's read and write events, commands out, lines in (the
 * modem's echo taken out), the state timer and the DCD poll. What the lines mean is
 * dialer.c's business.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dial/dial_int.h"

void dial_call_enter(struct dial_call *c)
{
	c->depth++;
}

/* False when c was freed: the caller must not touch it any more. */
bool dial_call_leave(struct dial_call *c)
{
	if (--c->depth == 0 && c->dead) {
		dial_call_free(c);
		return false;
	}
	return true;
}

void dial_call_release(struct dial_call *c)
{
	dial_io_close(c);
	if (c->timer != NULL)
		event_del(c->timer);
	c->dead = true;
	if (c->depth == 0)
		dial_call_free(c);
}

void dial_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dial_call *c = arg;

	(void)fd;
	(void)what;
	dial_call_enter(c);
	if (!c->dead)
		dial_on_timer(c);
	dial_call_leave(c);
}

void dial_io_arm(struct dial_call *c, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	evtimer_add(c->timer, &tv);
}

/* Trims blanks off both ends of s into a view [*start, *start + return). */
static size_t trimmed(const char *s, const char **start)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*start = s;
	return n;
}

/* A modem with echo on (E1) sends our command back before its answer. */
static bool io_is_echo(const struct dial_call *c, const char *line)
{
	const char *a, *b;
	size_t na = trimmed(line, &a), nb = trimmed(c->sent, &b);

	return nb > 0 && na == nb && strncasecmp(a, b, na) == 0;
}

static int io_line(const char *line, void *arg)
{
	struct dial_call *c = arg;
	enum hayes_result r;
	uint64_t speed = 0;

	dial_debug(c, "< %s", line);
	/* The head of an over-long line: no result is that long, whatever it starts with. */
	if (c->reader.skipping || io_is_echo(c, line))
		return 0;
	r = hayes_classify(line, &speed);
	if (r == HAYES_NONE)
		return 0;
	dial_on_result(c, r, speed);
	/* Once the device is closed (or the call over) the rest of the bytes belong to nobody. */
	return c->dead || c->fd < 0;
}

static void io_read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dial_call *c = arg;
	char buf[512];
	ssize_t n;

	(void)what;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	dial_call_enter(c);
	if (n > 0)
		hayes_reader_feed(&c->reader, buf, (size_t)n, io_line, c);
	else if (!c->dead)
		/* 0 or EIO: the other end hung up (a pseudo-terminal's master closed, a USB modem gone). */
		dial_on_device_error(c, n == 0 ? 0 : errno);
	dial_call_leave(c);
}

static void io_write_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dial_call *c = arg;
	ssize_t n;

	(void)what;
	n = write(fd, c->out, c->out_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	dial_call_enter(c);
	if (n < 0) {
		dial_on_device_error(c, errno);
	} else {
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
		if (c->out_len == 0)
			event_del(c->wr);
	}
	dial_call_leave(c);
}

int dial_io_open(struct dial_call *c)
{
	int fd;

	fd = dial_tty_open(c->device, c->baud, c->flow, c->reattach, c->fault, sizeof(c->fault));
	if (fd < 0)
		return fd;
	c->fd = fd;
	c->rd = event_new(c->base, fd, EV_READ | EV_PERSIST, io_read_cb, c);
	c->wr = event_new(c->base, fd, EV_WRITE | EV_PERSIST, io_write_cb, c);
	if (c->rd == NULL || c->wr == NULL || event_add(c->rd, NULL) < 0) {
		dial_io_close(c);
		snprintf(c->fault, sizeof(c->fault), "%s: cannot watch the device: out of memory", c->device);
		return -ENOMEM;
	}
	hayes_reader_init(&c->reader);
	c->sent[0] = '\0';
	c->out_len = 0;
	return 0;
}

static void io_events_free(struct dial_call *c)
{
	dial_io_dcd_stop(c);
	if (c->rd != NULL) {
		event_free(c->rd);
		c->rd = NULL;
	}
	if (c->wr != NULL) {
		event_free(c->wr);
		c->wr = NULL;
	}
	c->out_len = 0;
}

void dial_io_close(struct dial_call *c)
{
	io_events_free(c);
	if (c->fd >= 0) {
		dial_tty_close(c->fd);
		c->fd = -1;
	}
}

/* Closes the device leaving the call up (DTR held): for the next spgate-control. */
void dial_io_leave(struct dial_call *c)
{
	io_events_free(c);
	if (c->fd >= 0) {
		dial_tty_leave(c->fd);
		c->fd = -1;
	}
}

/* 0, or -errno when the device refuses the bytes; bytes that would block wait for EV_WRITE. */
int dial_io_write(struct dial_call *c, const char *data, size_t len)
{
	ssize_t n = 0;

	if (c->fd < 0)
		return -EBADF;
	if (c->out_len == 0) {
		n = write(c->fd, data, len);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n < 0)
			n = 0;
		if ((size_t)n == len)
			return 0;
	}
	/* Held back (flow control): the state's timer fails the call if it never drains. */
	if (c->out_len + len - (size_t)n > sizeof(c->out))
		return -ENOBUFS;
	memcpy(c->out + c->out_len, data + n, len - (size_t)n);
	c->out_len += len - (size_t)n;
	event_add(c->wr, NULL);
	return 0;
}

int dial_io_send(struct dial_call *c, const char *cmd)
{
	char line[DIAL_CMD_MAX + 1];
	int len;

	snprintf(c->sent, sizeof(c->sent), "%s", cmd);
	dial_debug(c, "> %s", cmd);
	len = snprintf(line, sizeof(line), "%s\r", cmd);
	if (len < 0 || (size_t)len >= sizeof(line))
		return -E2BIG;
	return dial_io_write(c, line, (size_t)len);
}

static void io_dcd_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dial_call *c = arg;
	int dcd = c->fd >= 0 ? dial_tty_dcd(c->fd) : -EBADF;

	(void)fd;
	(void)what;
	if (dcd < 0) {
		dial_io_dcd_stop(c);
		return;
	}
	if (dcd) {
		c->dcd_seen = true;
		return;
	}
	if (!c->dcd_seen)
		return;
	dial_call_enter(c);
	dial_on_carrier_lost(c);
	dial_call_leave(c);
}

/* Polls DCD once a second where the device has modem-control lines (a pseudo-terminal has not). */
void dial_io_dcd_start(struct dial_call *c)
{
	struct timeval second = {1, 0};
	int dcd = dial_tty_dcd(c->fd);

	if (dcd < 0)
		return;
	c->dcd_seen = dcd == 1;
	c->dcd = event_new(c->base, -1, EV_PERSIST, io_dcd_cb, c);
	if (c->dcd != NULL && event_add(c->dcd, &second) < 0)
		dial_io_dcd_stop(c);
}

void dial_io_dcd_stop(struct dial_call *c)
{
	if (c->dcd != NULL) {
		event_free(c->dcd);
		c->dcd = NULL;
	}
}
