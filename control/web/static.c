/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The console's pages: files under web.static_dir, by a path made of plain names only (no
 * "..", no hidden files, no percent escapes), opened without following links. Anything else
 * is 404: the directory is all the console shows of the disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "web/web_int.h"

#define STATIC_FILE_MAX (4u * 1024 * 1024)
#define STATIC_PATH_MAX 128

static const struct {
	const char *ext;
	const char *type;
} content_types[] = {
	{".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
	{".js", "text/javascript; charset=utf-8"}, {".png", "image/png"},
	{".svg", "image/svg+xml"}, {".ico", "image/x-icon"},
	{".json", "application/json"}, {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type(const char *path)
{
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot != NULL && i < sizeof(content_types) / sizeof(content_types[0]); i++)
		if (strcmp(dot, content_types[i].ext) == 0)
			return content_types[i].type;
	return NULL;
}

/* path ("/css/app.css") as a name relative to the directory, or false when not a plain one. */
static bool static_name(const char *path, char *rel, size_t len)
{
	const char *p;

	if (path[0] != '/' || strlen(path) >= len)
		return false;
	if (strcmp(path, "/") == 0) {
		snprintf(rel, len, "index.html");
		return true;
	}
	for (p = path; *p != '\0'; p++) {
		if (*p == '/' && (p[1] == '/' || p[1] == '.' || p[1] == '\0'))
			return false;
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '/' ||
		      *p == '.' || *p == '-' || *p == '_'))
			return false;
	}
	if (strstr(path, "..") != NULL)
		return false;
	snprintf(rel, len, "%s", path + 1);
	return true;
}

static void not_found(struct evhttp_request *req)
{
	struct evbuffer *b = evbuffer_new();

	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "text/plain; charset=utf-8");
	if (b != NULL)
		evbuffer_add_printf(b, "Not found.\n");
	evhttp_send_reply(req, HTTP_NOTFOUND, "Not Found", b);
	if (b != NULL)
		evbuffer_free(b);
}

void web_static_serve(struct web_server *w, struct evhttp_request *req, const char *path)
{
	char rel[STATIC_PATH_MAX];
	const char *type;
	struct evbuffer *b;
	struct stat sb;
	int fd;

	if (!static_name(path, rel, sizeof(rel)) || (type = content_type(rel)) == NULL) {
		not_found(req);
		return;
	}
	fd = openat(w->static_fd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > STATIC_FILE_MAX) {
		if (fd >= 0)
			close(fd);
		not_found(req);
		return;
	}
	b = evbuffer_new();
	if (b == NULL || evbuffer_add_file(b, fd, 0, sb.st_size) != 0) {
		if (b != NULL)
			evbuffer_free(b);
		else
			close(fd);
		evhttp_send_error(req, HTTP_INTERNAL, "cannot read the page");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}
