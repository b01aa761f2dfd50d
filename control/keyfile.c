/* SPDX-License-Identifier: BSD-3-Clause */
/* Secret key files in the state directory: see keyfile.h. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

/* Exactly len bytes from a regular file that only its owner may read. */
static int keyfile_read(const char *path, const char *who, uint8_t *key, size_t len)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
	} else if (!S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		fprintf(stderr, "%s: %s: must be a regular file of mode 0600 (is %04o)\n", who, path,
			(unsigned)(st.st_mode & 07777));
		rc = -EPERM;
	} else if (st.st_size != (off_t)len || read(fd, key, len) != (ssize_t)len) {
		fprintf(stderr, "%s: %s: must hold exactly %zu bytes (has %lld)\n", who, path, len,
			(long long)st.st_size);
		rc = -EINVAL;
	}
	close(fd);
	return rc;
}

/*
 * Writes a new random key to a private temporary file and links it into place, so a
 * crash never leaves a short key file and two starting daemons agree on one key.
 */
static int keyfile_create(const char *path, uint8_t *key, size_t len)
{
	char tmp[PATH_MAX];
	int fd, rc = 0;

	if (RAND_bytes(key, (int)len) != 1)
		return -EIO;
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, key, len) != (ssize_t)len || fsync(fd) < 0)
		rc = errno ? -errno : -EIO;
	close(fd);
	if (rc == 0 && link(tmp, path) < 0)
		rc = -errno;
	unlink(tmp);
	return rc;
}

int keyfile_load(const char *state_dir, const char *name, const char *who, uint8_t *key,
		 size_t len)
{
	char path[PATH_MAX];
	int rc;

	if (state_dir == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", state_dir, name) >= (int)sizeof(path))
		return -EINVAL;
	rc = keyfile_read(path, who, key, len);
	if (rc == -ENOENT) {
		rc = keyfile_create(path, key, len);
		if (rc == -EEXIST) /* another process created it first: use theirs */
			rc = keyfile_read(path, who, key, len);
	}
	/* keyfile_read() has already said what is wrong with the mode or the size */
	if (rc < 0 && rc != -EPERM && rc != -EINVAL)
		fprintf(stderr, "%s: %s: %s\n", who, path, strerror(-rc));
	return rc;
}
