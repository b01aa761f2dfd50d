/* SPDX-License-Identifier: BSD-3-Clause */
/* Recordings: their directory, file names, metadata and retention (recording.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "grow.h"
#include "addr.h"
#include "recording.h"

#define REC_ACTOR "spgate-control"

int rec_dir_prepare(const char *dir, char *err, size_t errlen)
{
	struct stat sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create recordings.dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	/* lstat: a symlink planted in its place would send recordings elsewhere */
	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "recordings.dir %s is not a directory", dir);
		return -ENOTDIR;
	}
	if (sb.st_uid != geteuid()) {
		snprintf(err, errlen, "recordings.dir %s belongs to uid %u, not to us (%u)", dir, (unsigned)sb.st_uid,
			 (unsigned)geteuid());
		return -EPERM;
	}
	if ((sb.st_mode & 077) != 0 && chmod(dir, 0700) != 0) {
		snprintf(err, errlen, "recordings.dir %s is open to others (mode %03o) and cannot be closed: %s", dir,
			 (unsigned)(sb.st_mode & 0777), strerror(errno));
		return -EPERM;
	}
	return 0;
}

int rec_path(const char *dir, const struct store_session *s, int64_t now, char *buf, size_t len)
{
	time_t t = (time_t)now;
	char stamp[32];
	struct tm tm;
	int n;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	n = snprintf(buf, len, "%s/%lld-%s-%s.pcapng", dir, (long long)s->id, s->serial, stamp);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Appends "key: value\n" to buf, control characters in value replaced. */
static size_t add_line(char *buf, size_t len, size_t off, const char *key, const char *value)
{
	int n;
	size_t i, start;

	if (off >= len)
		return off;
	n = snprintf(buf + off, len - off, "%s: ", key);
	if (n < 0 || (size_t)n >= len - off)
		return off;
	start = off + (size_t)n;
	for (i = 0; value[i] != '\0' && start + i + 2 < len; i++)
		buf[start + i] = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ? '?' : value[i];
	buf[start + i] = '\n';
	buf[start + i + 1] = '\0';
	return start + i + 1;
}

size_t rec_metadata(const struct store_session *s, const struct store_customer *c, int64_t now, char *buf,
		    size_t len)
{
	char num[32], ws[SPG_ADDR_STRLEN], va[SPG_ADDR_STRLEN], stamp[32];
	time_t t = (time_t)now;
	struct tm tm;
	size_t off = 0;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(num, sizeof(num), "%lld", (long long)s->id);
	off = add_line(buf, len, off, "spgate-recording", "1");
	off = add_line(buf, len, off, "session", num);
	off = add_line(buf, len, off, "engineer", s->user);
	off = add_line(buf, len, off, "serial", s->serial);
	off = add_line(buf, len, off, "customer", c->name);
	off = add_line(buf, len, off, "workstation", spg_addr_str(s->workstation, ws));
	off = add_line(buf, len, off, "virtual_address", spg_addr_str(s->virtual_address, va));
	off = add_line(buf, len, off, "reason", s->request_reason);
	off = add_line(buf, len, off, "ticket", s->ticket);
	snprintf(num, sizeof(num), "%lld", (long long)s->created);
	off = add_line(buf, len, off, "requested", num);
	off = add_line(buf, len, off, "started", stamp);
	off = add_line(buf, len, off, "recording", store_rec_policy_name(c->recording));
	off = add_line(buf, len, off, "sealed", c->recording_cert[0] != '\0' ? "yes" : "no");
	return off;
}

struct kept {
	struct store_recording *r;
	size_t n, cap;
};

static int collect(const struct store_recording *r, void *arg)
{
	struct kept *k = arg;

	return spg_grow_append(&k->r, &k->n, &k->cap, sizeof(*r), 32, r);
}

static void rec_delete(struct store *st, struct audit *au, struct store_recording *r, int64_t now, const char *why)
{
	json_t *detail;
	char *text;
	int err = 0;

	if (r->path[0] != '\0' && unlink(r->path) != 0 && errno != ENOENT)
		err = errno;
	if (err != 0) {
		fprintf(stderr, "spgate-control: recording %lld: cannot delete %s: %s\n", (long long)r->id, r->path,
			strerror(err));
		return;
	}
	r->state = STORE_REC_DELETED;
	store_recording_update(st, r);
	if (au == NULL)
		return;
	detail = json_pack("{s:I,s:I,s:s,s:s,s:s,s:I}", "recording", (json_int_t)r->id, "session",
			   (json_int_t)r->session_id, "reason", why, "path", r->path, "sha256", r->sha256, "bytes",
			   (json_int_t)r->bytes);
	text = detail != NULL ? json_dumps(detail, JSON_COMPACT) : NULL;
	audit_event_at(au, now, REC_ACTOR, "recording_deleted", r->serial, "ok", text);
	free(text);
	json_decref(detail);
}

int rec_retention(struct store *st, struct audit *au, const struct ctl_config *cfg, int64_t now)
{
	int64_t cutoff = now - (int64_t)cfg->recordings.keep_days * 86400;
	struct kept k = {NULL, 0, 0};
	uint64_t total = 0;
	size_t i;
	int ret, deleted = 0;
	char why[96];

	ret = store_recording_foreach_kept(st, collect, &k);
	if (ret != 0) {
		free(k.r);
		return ret;
	}
	for (i = 0; i < k.n; i++)
		total += k.r[i].bytes;
	/* k.r is oldest first: age, then size, both take from the front */
	for (i = 0; i < k.n; i++) {
		bool old = k.r[i].ended < cutoff;
		bool over = cfg->recordings.max_bytes != 0 && total > cfg->recordings.max_bytes;

		if (!old && !over)
			break;
		if (old)
			snprintf(why, sizeof(why), "older than %u days (recordings.keep_days)", cfg->recordings.keep_days);
		else
			snprintf(why, sizeof(why), "recordings exceed %llu bytes (recordings.max_bytes)",
				 (unsigned long long)cfg->recordings.max_bytes);
		rec_delete(st, au, &k.r[i], now, why);
		if (k.r[i].state == STORE_REC_DELETED) {
			total -= k.r[i].bytes;
			deleted++;
		}
	}
	free(k.r);
	return deleted;
}
