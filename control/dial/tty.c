/* SPDX-License-Identifier: BSD-3-Clause */
/* The serial device under a call: opened raw at the line's speed, and its modem-control lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "dial/dial_int.h"

static const struct {
	unsigned baud;
	speed_t speed;
} tty_speeds[] = {
	{1200, B1200}, {2400, B2400}, {4800, B4800}, {9600, B9600}, {19200, B19200},
	{38400, B38400}, {57600, B57600}, {115200, B115200}, {230400, B230400},
};

static bool tty_speed(unsigned baud, speed_t *speed)
{
	size_t i;

	for (i = 0; i < sizeof(tty_speeds) / sizeof(tty_speeds[0]); i++) {
		if (tty_speeds[i].baud == baud) {
			*speed = tty_speeds[i].speed;
			return true;
		}
	}
	return false;
}

static int tty_configure(int fd, speed_t speed, enum dial_flow flow, bool hold)
{
	struct termios tio;
	int bits = TIOCM_DTR | TIOCM_RTS;

	if (tcgetattr(fd, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	/*
	 * CLOCAL: the modem has no carrier while dialing; DCD is watched by polling instead.
	 * HUPCL: the last close drops DTR (a modem at &D2 hangs up), unless the call is to be
	 * held across a restart (dial_tty_hold).
	 */
	tio.c_cflag |= CLOCAL | CREAD | HUPCL;
	if (hold)
		tio.c_cflag &= ~(tcflag_t)HUPCL;
	tio.c_cflag &= ~(tcflag_t)CRTSCTS;
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	if (flow == DIAL_FLOW_RTSCTS)
		tio.c_cflag |= CRTSCTS;
	else if (flow == DIAL_FLOW_XONXOFF)
		tio.c_iflag |= IXON | IXOFF;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (cfsetispeed(&tio, speed) < 0 || cfsetospeed(&tio, speed) < 0)
		return -errno;
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	/* DTR up, in case an earlier close left it down (already up: no toggle, the call stays);
	 * devices without modem lines refuse. */
	(void)ioctl(fd, TIOCMBIS, &bits);
	/* Whatever the modem said before we came is not an answer to us. */
	(void)tcflush(fd, TCIOFLUSH);
	return 0;
}

int dial_tty_open(const char *device, unsigned baud, enum dial_flow flow, bool hold, char *err, size_t errlen)
{
	speed_t speed;
	int fd, rc;

	if (!tty_speed(baud, &speed)) {
		snprintf(err, errlen, "%s: baud %u is not a serial speed (1200, 2400, ... 115200, 230400)", device,
			 baud);
		return -EINVAL;
	}
	/* O_NONBLOCK: without it, open waits for carrier on a line without CLOCAL yet. */
	fd = open(device, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open %s: %s", device, strerror(-rc));
		return rc;
	}
	if (!isatty(fd)) {
		snprintf(err, errlen, "%s is not a terminal device", device);
		close(fd);
		return -ENOTTY;
	}
	rc = tty_configure(fd, speed, flow, hold);
	if (rc < 0) {
		snprintf(err, errlen, "cannot configure %s: %s", device, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

int dial_tty_hold(int fd, bool hold)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return -errno;
	if (hold)
		tio.c_cflag &= ~(tcflag_t)HUPCL;
	else
		tio.c_cflag |= HUPCL;
	if (tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	return 0;
}

void dial_tty_leave(int fd)
{
	/* HUPCL is off since the call came up: this close, or the exit's, leaves DTR up. */
	(void)dial_tty_hold(fd, true);
	(void)tcflush(fd, TCOFLUSH);
	close(fd);
}

void dial_tty_close(int fd)
{
	int bits = TIOCM_DTR;

	/* A deliberate close hangs up: HUPCL back on, in case a held call cleared it. */
	(void)dial_tty_hold(fd, false);

	/* Pending output would make close() wait for it (up to the driver's closing_wait). */
	(void)tcflush(fd, TCIOFLUSH);
	/* DTR down puts a modem set to &D2 on hook; HUPCL does it again on close. */
	(void)ioctl(fd, TIOCMBIC, &bits);
	close(fd);
}

int dial_tty_dcd(int fd)
{
	int bits;

	if (ioctl(fd, TIOCMGET, &bits) < 0)
		return -errno;
	return (bits & TIOCM_CAR) != 0;
}
