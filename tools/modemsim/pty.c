/* SPDX-License-Identifier: BSD-3-Clause */
/* Pseudo-terminals: the modem holds the master, the dialer (the DTE) opens the slave. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "modemsim.h"

int sim_pty_open(char *slave, size_t slavesize)
{
	struct termios t;
	const char *name;
	int master, fd, err;

	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -1;
	if (grantpt(master) < 0 || unlockpt(master) < 0 || (name = ptsname(master)) == NULL)
		goto fail;
	if (strlen(name) >= slavesize) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	snprintf(slave, slavesize, "%s", name);
	/*
	 * Raw on the slave side, or its line discipline would echo what we write back to us
	 * and turn CR into LF. The settings stay with the pty while the master is open.
	 * HUPCL on, as a serial port starts: the last close of the slave then counts as a DTR
	 * drop (modem.c), unless the DTE cleared HUPCL to keep the call up across a close.
	 */
	fd = open(slave, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	if (tcgetattr(fd, &t) < 0) {
		err = errno;
		close(fd);
		errno = err;
		goto fail;
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | HUPCL;
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		err = errno;
		close(fd);
		errno = err;
		goto fail;
	}
	close(fd);
	if (fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK) < 0)
		goto fail;
	return master;
fail:
	err = errno;
	close(master);
	errno = err;
	return -1;
}

/* mkdir -p of link's directory, so that /run/spgate-lab need not exist after a reboot. */
static int make_parent(const char *link)
{
	char dir[PATH_MAX], *p;

	snprintf(dir, sizeof(dir), "%s", link);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int sim_pty_link(const char *link, const char *target)
{
	char tmp[PATH_MAX + 16];
	struct stat st;
	int rc;

	if (lstat(link, &st) == 0 && !S_ISLNK(st.st_mode))
		return -EEXIST;
	rc = make_parent(link);
	if (rc < 0)
		return rc;
	/* Aside and renamed over: a dialer never sees the name missing or half made. */
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", link, (long)getpid());
	unlink(tmp);
	if (symlink(target, tmp) < 0)
		return -errno;
	if (rename(tmp, link) < 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return 0;
}

void sim_pty_unlink(const char *link, const char *target)
{
	char buf[PATH_MAX];
	ssize_t n;

	/* Another instance may have taken the name over since: leave its link alone. */
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return;
	buf[n] = '\0';
	if (strcmp(buf, target) == 0)
		unlink(link);
}

bool sim_pty_slave_hupcl(int master)
{
	struct termios t;

	/* The master's TCGETS reads the slave's settings (Linux); unreadable: as a serial port. */
	if (tcgetattr(master, &t) < 0)
		return true;
	return (t.c_cflag & HUPCL) != 0;
}

bool sim_pty_slave_open(int master)
{
	struct pollfd p = { .fd = master, .events = POLLIN };

	/* The master reports POLLHUP for as long as no process holds the slave open. */
	if (poll(&p, 1, 0) < 0)
		return false;
	return (p.revents & POLLHUP) == 0;
}
