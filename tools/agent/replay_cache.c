/* SPDX-License-Identifier: BSD-3-Clause */
/* Accepted grant nonces, persisted (see replay_cache.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replay_cache.h"

#define NONCE_HEX 32
#define HEADER "spgate-agent grant nonces 2"

struct entry {
	char nonce[NONCE_HEX + 1];
	int64_t expires;
};

struct replay_cache {
	char *path;
	size_t max;
	int64_t since; /* when this record began: older grants cannot be checked against it */
	struct entry *e;
	size_t n;
};

static bool nonce_ok(const char *s)
{
	size_t i;

	for (i = 0; i < NONCE_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

/* Drops what expired: those grants are refused as expired anyway. */
static void prune(struct replay_cache *rc, time_t now)
{
	size_t i, k = 0;

	for (i = 0; i < rc->n; i++)
		if (rc->e[i].expires > (int64_t)now)
			rc->e[k++] = rc->e[i];
	rc->n = k;
}

static int persist(const struct replay_cache *rc, char *err, size_t errlen);

/* A record that did not exist starts now, on disk at once: a restart before the first grant
 * must find the same start, or grants issued before it would pass unchecked. */
static int persist_new(const struct replay_cache *rc, char *err, size_t errlen)
{
	return access(rc->path, F_OK) == 0 ? 0 : persist(rc, err, errlen);
}

static int parse_line(struct replay_cache *rc, const char *line, unsigned lineno, char *err,
		      size_t errlen)
{
	char nonce[NONCE_HEX + 2];
	int64_t expires;
	char extra;

	if (sscanf(line, "%33s %" SCNd64 " %c", nonce, &expires, &extra) != 2 || !nonce_ok(nonce)) {
		snprintf(err, errlen, "%s:%u: not \"<32 hex digits> <expiry>\"", rc->path, lineno);
		return -EINVAL;
	}
	if (rc->n == rc->max) {
		snprintf(err, errlen, "%s:%u: more than %zu nonces (raise session.replay_cache_max)",
			 rc->path, lineno, rc->max);
		return -ENOSPC;
	}
	memcpy(rc->e[rc->n].nonce, nonce, sizeof(rc->e[0].nonce));
	rc->e[rc->n++].expires = expires;
	return 0;
}

static int load(struct replay_cache *rc, char *err, size_t errlen)
{
	FILE *f = fopen(rc->path, "r");
	char line[128];
	unsigned lineno = 0;
	int ret = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: cannot read: %s", rc->path, strerror(errno));
		return -errno;
	}
	rc->since = -1;
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (lineno == 1) {
			if (strcmp(line, HEADER) != 0) {
				snprintf(err, errlen, "%s:1: not a grant nonce file (no \"%s\")",
					 rc->path, HEADER);
				ret = -EINVAL;
			}
			continue;
		}
		if (lineno == 2) {
			char extra;
			if (sscanf(line, "since %" SCNd64 " %c", &rc->since, &extra) != 1) {
				snprintf(err, errlen, "%s:2: not \"since <unix seconds>\"", rc->path);
				ret = -EINVAL;
			}
			continue;
		}
		ret = parse_line(rc, line, lineno, err, errlen);
	}
	fclose(f);
	if (ret == 0 && rc->since < 0) {
		snprintf(err, errlen, "%s: no \"since\" line: not a whole grant nonce file", rc->path);
		ret = -EINVAL;
	}
	return ret;
}

struct replay_cache *replay_cache_open(const char *path, size_t max, time_t now, char *err,
				       size_t errlen)
{
	struct replay_cache *rc = calloc(1, sizeof(*rc));

	if (rc == NULL || max == 0 || (rc->path = strdup(path)) == NULL ||
	    (rc->e = calloc(max, sizeof(*rc->e))) == NULL) {
		snprintf(err, errlen, "%s: out of memory (or a maximum of 0)", path);
		replay_cache_free(rc);
		return NULL;
	}
	rc->max = max;
	rc->since = now;
	if (load(rc, err, errlen) != 0 || persist_new(rc, err, errlen) != 0) {
		replay_cache_free(rc);
		return NULL;
	}
	prune(rc, now);
	return rc;
}

void replay_cache_free(struct replay_cache *rc)
{
	if (rc == NULL)
		return;
	free(rc->path);
	free(rc->e);
	free(rc);
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = -ENOMEM;

	if (copy == NULL)
		return ret;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ret = fd < 0 || fsync(fd) != 0 ? -errno : 0;
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
}

/* The whole set to path.tmp, fsync, rename over path, fsync the directory: after a crash
 * the file is the old set or the new one, never half of one. */
static int persist(const struct replay_cache *rc, char *err, size_t errlen)
{
	size_t tlen = strlen(rc->path) + 5, i;
	char *tmp = malloc(tlen);
	FILE *f = NULL;
	int fd, ret = 0;

	if (tmp == NULL)
		return -ENOMEM;
	snprintf(tmp, tlen, "%s.tmp", rc->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	fprintf(f, "%s\nsince %" PRId64 "\n", HEADER, rc->since);
	for (i = 0; i < rc->n; i++)
		fprintf(f, "%s %" PRId64 "\n", rc->e[i].nonce, rc->e[i].expires);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ret = -errno;
	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, rc->path) != 0)
		ret = -errno;
	if (ret == 0)
		ret = fsync_dir(rc->path);
out:
	if (ret != 0) {
		snprintf(err, errlen, "%s: cannot write: %s", rc->path, strerror(-ret));
		unlink(tmp);
		ret = -EIO;
	}
	free(tmp);
	return ret;
}

int replay_cache_seen(const struct replay_cache *rc, const char *nonce, time_t now)
{
	size_t i;

	for (i = 0; i < rc->n; i++)
		if (rc->e[i].expires > (int64_t)now && strcmp(rc->e[i].nonce, nonce) == 0)
			return 1;
	return 0;
}

size_t replay_cache_count(const struct replay_cache *rc, time_t now)
{
	size_t i, n = 0;

	for (i = 0; i < rc->n; i++)
		n += rc->e[i].expires > (int64_t)now;
	return n;
}

int64_t replay_cache_since(const struct replay_cache *rc)
{
	return rc->since;
}

int replay_cache_add(struct replay_cache *rc, const char *nonce, int64_t issued, int64_t expires,
		     time_t now, char *err, size_t errlen)
{
	int ret;

	if (issued < rc->since) {
		snprintf(err, errlen, "grant issued at %" PRId64 ", before this agent's nonce record "
			 "began (%" PRId64 "): whether it was used before cannot be told", issued,
			 rc->since);
		return -ESTALE;
	}
	if (!nonce_ok(nonce)) {
		snprintf(err, errlen, "nonce \"%.40s\" is not %d lowercase hex digits", nonce,
			 NONCE_HEX);
		return -EINVAL;
	}
	if (replay_cache_seen(rc, nonce, now)) {
		snprintf(err, errlen, "nonce %s was used before (until %" PRId64 ")", nonce, expires);
		return -EEXIST;
	}
	prune(rc, now);
	if (rc->n == rc->max) {
		snprintf(err, errlen, "%zu grant nonces held, the most allowed "
			 "(session.replay_cache_max); new grants are refused until some expire",
			 rc->max);
		return -ENOSPC;
	}
	memcpy(rc->e[rc->n].nonce, nonce, sizeof(rc->e[0].nonce));
	rc->e[rc->n].expires = expires;
	rc->n++;
	ret = persist(rc, err, errlen);
	if (ret != 0)
		rc->n--; /* not remembered on disk: refuse the grant rather than half-accept it */
	return ret;
}
