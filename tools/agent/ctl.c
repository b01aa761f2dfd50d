/* SPDX-License-Identifier: BSD-3-Clause */
/* The status socket and its client (see ctl.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/listener.h>
#include <jansson.h>

#include "ctl.h"
#include "log.h"

struct agent_ctl {
	struct evconnlistener *listener;
	struct sp_sessions *sessions;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct agent_ctl *c = arg;
	json_t *status = sp_sessions_status(c->sessions);
	char *s = json_dumps(status, JSON_COMPACT);
	size_t len, off = 0;
	ssize_t n;

	(void)l;
	(void)sa;
	(void)salen;
	json_decref(status);
	if (s != NULL) {
		/* small (a few KiB) and the reader is waiting for it: a blocking write is fine */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		len = strlen(s);
		while (off < len && (n = write(fd, s + off, len - off)) > 0)
			off += (size_t)n;
		if (write(fd, "\n", 1) != 1)
			log_debug("status reader went away");
		free(s);
	}
	close(fd);
}

struct agent_ctl *agent_ctl_new(struct event_base *base, const char *state_dir,
				struct sp_sessions *sessions, char *err, size_t errlen)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct agent_ctl *c = calloc(1, sizeof(*c));
	mode_t old;

	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->sessions = sessions;
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "state_dir %s: %s", state_dir, strerror(errno));
		goto fail;
	}
	if ((size_t)snprintf(c->path, sizeof(c->path), "%s/%s", state_dir, AGENT_CTL_SOCKET) >=
	    sizeof(c->path)) {
		snprintf(err, errlen, "state_dir %s: too long for a socket path", state_dir);
		goto fail;
	}
	memcpy(sun.sun_path, c->path, sizeof(sun.sun_path));
	unlink(c->path); /* a stale socket of an agent that died */
	old = umask(0077);
	c->listener = evconnlistener_new_bind(base, accept_cb, c,
					      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 4,
					      (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (c->listener == NULL) {
		snprintf(err, errlen, "status socket %s: %s", c->path, strerror(errno));
		goto fail;
	}
	return c;
fail:
	free(c);
	return NULL;
}

void agent_ctl_free(struct agent_ctl *c)
{
	if (c == NULL)
		return;
	evconnlistener_free(c->listener);
	unlink(c->path);
	free(c);
}

static json_int_t num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void print_tables(json_t *st)
{
	json_t *sessions = json_object_get(st, "sessions"), *s, *p, *counters;
	const char *key;
	size_t i, j;
	json_t *v;

	printf("SP %s, tunnel %s %s, guard on %s %s\n\n",
	       json_string_value(json_object_get(st, "serial")),
	       json_string_value(json_object_get(json_object_get(st, "tunnel"), "device")),
	       json_is_true(json_object_get(json_object_get(st, "tunnel"), "present")) ? "up"
										     : "absent",
	       json_string_value(json_object_get(json_object_get(st, "guard"), "interface")),
	       json_is_true(json_object_get(json_object_get(st, "guard"), "attached"))
		       ? "attached" : "detached");
	printf("%-20s %-6s %-12s %-15s %-21s %-4s %-10s %-10s %10s %10s  %s\n", "SESSION", "STATE",
	       "ENGINEER", "GW_INNER", "GW_OUTER", "GEN", "SPI_IN", "SPI_OUT", "RX", "TX", "PORTS");
	json_array_foreach(sessions, i, s) {
		char outer[40];

		snprintf(outer, sizeof(outer), "%s:%" JSON_INTEGER_FORMAT,
			 json_string_value(json_object_get(s, "gw_outer")), num(s, "gw_outer_port"));
		printf("%-20" JSON_INTEGER_FORMAT " %-6s %-12s %-15s %-21s %-4" JSON_INTEGER_FORMAT
		       " 0x%08" PRIx32 " 0x%08" PRIx32 " %10" JSON_INTEGER_FORMAT
		       " %10" JSON_INTEGER_FORMAT "  ",
		       num(s, "session"), json_string_value(json_object_get(s, "state")),
		       json_string_value(json_object_get(s, "engineer")),
		       json_string_value(json_object_get(s, "gw_inner")), outer, num(s, "generation"),
		       (uint32_t)num(s, "spi_in"), (uint32_t)num(s, "spi_out"), num(s, "rx_packets"),
		       num(s, "tx_packets"));
		json_array_foreach(json_object_get(s, "ports"), j, p)
			printf("%s%s", j ? "," : "", json_string_value(p));
		printf("\n");
	}
	printf("\ntunnel drops:");
	json_object_foreach(json_object_get(st, "tunnel_drops"), key, v)
		if (json_integer_value(v) != 0)
			printf(" %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
	printf("\nguard counters:");
	counters = json_object_get(json_object_get(st, "guard"), "counters");
	json_object_foreach(counters, key, v)
		if (json_integer_value(v) != 0)
			printf(" %s=%" JSON_INTEGER_FORMAT, key, json_integer_value(v));
	printf("\n");
}

int agent_ctl_print_status(const char *state_dir, bool json)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char buf[65536];
	size_t len = 0;
	ssize_t n;
	json_error_t jerr;
	json_t *st;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s", state_dir, AGENT_CTL_SOCKET);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "spgate-agent: %s: %s (is the agent running?)\n", sun.sun_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	st = json_loads(buf, 0, &jerr);
	if (st == NULL) {
		fprintf(stderr, "spgate-agent: the agent's answer is not JSON: %s\n", jerr.text);
		return 1;
	}
	if (json)
		fputs(buf, stdout);
	else
		print_tables(st);
	json_decref(st);
	return 0;
}
