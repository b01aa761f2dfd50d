/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The login token on disk, like tsh's profile: one JSON object
 * {"server","ca","user","token","expires"} in $SPGATE_TOKEN_FILE or ~/.config/spgate/token,
 * mode 0600 in a directory created 0700, replaced atomically (temporary file, fsync,
 * rename) so a reader never sees half a token.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"

#define TOKEN_FILE_MAX 65536

bool ctl_token_path(char *buf, size_t size)
{
	const char *env = getenv("SPGATE_TOKEN_FILE");
	const char *home = getenv("HOME");
	struct passwd *pw;
	int n;

	if (env != NULL && env[0] != '\0')
		n = snprintf(buf, size, "%s", env);
	else {
		if (home == NULL || home[0] == '\0') {
			pw = getpwuid(getuid());
			home = pw != NULL ? pw->pw_dir : NULL;
		}
		if (home == NULL)
			return false;
		n = snprintf(buf, size, "%s/.config/spgate/token", home);
	}
	return n > 0 && (size_t)n < size;
}

static char *dup_member(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s != NULL ? strdup(s) : NULL;
}

static int read_file(int fd, char *buf, size_t size, size_t *len)
{
	ssize_t n;

	*len = 0;
	while ((n = read(fd, buf + *len, size - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		*len += (size_t)n;
		if (*len == size)
			return -EFBIG;
	}
	return 0;
}

int ctl_token_load(struct ctl_token *t, char *err, size_t errlen)
{
	char path[4096], *buf = NULL;
	json_t *obj = NULL, *expires;
	json_error_t jerr;
	size_t len = 0;
	int fd, rc;

	memset(t, 0, sizeof(*t));
	if (!ctl_token_path(path, sizeof(path))) {
		snprintf(err, errlen, "no token file: neither SPGATE_TOKEN_FILE nor a home directory is known");
		return -ENOENT;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot read the token file %s: %s", path, strerror(errno));
		return rc;
	}
	buf = malloc(TOKEN_FILE_MAX);
	rc = buf == NULL ? -ENOMEM : read_file(fd, buf, TOKEN_FILE_MAX, &len);
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot read the token file %s: %s", path, strerror(-rc));
		goto out;
	}
	obj = json_loadb(buf, len, 0, &jerr);
	expires = json_object_get(obj, "expires");
	t->token = dup_member(obj, "token");
	t->server = dup_member(obj, "server");
	t->ca = dup_member(obj, "ca");
	t->user = dup_member(obj, "user");
	if (!json_is_object(obj) || t->token == NULL || t->server == NULL || !json_is_integer(expires)) {
		snprintf(err, errlen, "the token file %s is damaged", path);
		ctl_token_clear(t);
		rc = -EBADMSG;
		goto out;
	}
	t->expires = (time_t)json_integer_value(expires);
	rc = 0;
out:
	json_decref(obj);
	if (buf != NULL) {
		explicit_bzero(buf, len);
		free(buf);
	}
	return rc;
}

/* Creates the missing directories of path's parent, each 0700. */
static int make_parents(const char *path)
{
	char dir[4096], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int ctl_token_save(const struct ctl_token *t, char *err, size_t errlen)
{
	char path[4096], tmp[4200], dir[4096];
	const char *what = "cannot create";
	char *text = NULL;
	size_t text_len = 0;
	json_t *obj;
	int fd = -1, dfd, rc;

	if (!ctl_token_path(path, sizeof(path))) {
		snprintf(err, errlen, "cannot store the token: neither SPGATE_TOKEN_FILE nor a home directory is known");
		return -ENOENT;
	}
	obj = json_pack("{s:s, s:s?, s:s?, s:s, s:I}", "server", t->server, "ca", t->ca, "user", t->user, "token",
			t->token, "expires", (json_int_t)t->expires);
	text = obj != NULL ? ctl_json_dump(obj, &text_len) : NULL;
	json_decref(obj);
	if (text == NULL) {
		snprintf(err, errlen, "cannot store the token: out of memory");
		return -ENOMEM;
	}
	rc = make_parents(path);
	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (rc == 0) {
		fd = mkstemp(tmp);
		rc = fd < 0 ? -errno : 0;
	}
	if (rc == 0) {
		what = "cannot write";
		rc = fchmod(fd, 0600) < 0 ? -errno : 0;
	}
	if (rc == 0)
		rc = write_all(fd, text, text_len + 1); /* with its newline */
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0 && close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	if (rc != 0) {
		if (fd >= 0)
			unlink(tmp);
		snprintf(err, errlen, "%s the token file %s: %s", what, path, strerror(-rc));
		goto out;
	}
	/* The rename itself survives a crash once the directory is on disk. */
	snprintf(dir, sizeof(dir), "%s", path);
	dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	explicit_bzero(text, text_len + 1);
	free(text);
	return rc;
}

int ctl_token_remove(char *err, size_t errlen)
{
	char path[4096];
	int rc;

	if (!ctl_token_path(path, sizeof(path)))
		return -ENOENT;
	if (unlink(path) == 0)
		return 0;
	rc = -errno;
	if (rc != -ENOENT)
		snprintf(err, errlen, "cannot remove the token file %s: %s", path, strerror(-rc));
	return rc;
}

static void wipe(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void ctl_token_clear(struct ctl_token *t)
{
	wipe(&t->token);
	wipe(&t->server);
	wipe(&t->ca);
	wipe(&t->user);
	t->expires = 0;
}
