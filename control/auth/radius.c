/* SPDX-License-Identifier: BSD-3-Clause */
#include "radius.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "radius_pkt.h"

struct radius_server {
	char host[64];
	char port[8];
	char secret[128];
	char label[80]; /* "host:port", for the audit detail */
};

struct auth_radius {
	struct radius_server srv[AUTH_MAX_SERVERS];
	unsigned n_srv;
	unsigned timeout_ms, tries;
	uint8_t group_attr;
	bool require_ma;
	char nas_identifier[64];
};

/* What one server said, or why it said nothing. */
struct radius_answer {
	int code;	   /* RADIUS_ACCESS_*, or 0: no usable answer */
	unsigned forged;   /* replies dropped for a wrong authenticator */
	unsigned no_ma;	   /* replies dropped for want of a Message-Authenticator */
	bool unreachable;  /* ICMP port unreachable */
	int error;	   /* -errno of a local failure (resolving, socket) */
	uint8_t pkt[RADIUS_PKT_MAX];
	size_t len;
};

static void radius_detail(struct auth_result *res, const char *label, const char *what)
{
	size_t n = strlen(res->detail);

	snprintf(res->detail + n, sizeof(res->detail) - n, "%sradius %s: %s", n ? "; " : "",
		 label, what);
}

/* "host", "host:port", "[v6]" or "[v6]:port". */
static int radius_parse_server(const struct auth_radius_server *in, struct radius_server *s)
{
	const char *a = in->address, *port = "1812", *end;
	size_t hl;

	if (a[0] == '[') {
		end = strchr(a, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':'))
			return -EINVAL;
		hl = (size_t)(end - a - 1);
		a++;
		if (end[1] == ':')
			port = end + 2;
	} else {
		end = strchr(a, ':');
		hl = end != NULL ? (size_t)(end - a) : strlen(a);
		if (end != NULL)
			port = end + 1;
	}
	if (hl == 0 || hl >= sizeof(s->host) || port[0] == '\0' ||
	    strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) < 1 ||
	    atoi(port) > 65535 || in->secret[0] == '\0')
		return -EINVAL;
	memcpy(s->host, a, hl);
	s->host[hl] = '\0';
	snprintf(s->port, sizeof(s->port), "%s", port);
	snprintf(s->secret, sizeof(s->secret), "%s", in->secret);
	snprintf(s->label, sizeof(s->label), in->address[0] == '[' ? "[%s]:%s" : "%s:%s",
		 s->host, s->port);
	return 0;
}

static int radius_group_attr(const char *name, uint8_t *attr)
{
	char *end;
	long n;

	if (name[0] == '\0' || strcasecmp(name, "Class") == 0) {
		*attr = RADIUS_ATTR_CLASS;
		return 0;
	}
	if (strcasecmp(name, "Filter-Id") == 0) {
		*attr = RADIUS_ATTR_FILTER_ID;
		return 0;
	}
	n = strtol(name, &end, 10);
	if (*end != '\0' || n < 1 || n > 255)
		return -EINVAL;
	*attr = (uint8_t)n;
	return 0;
}

struct auth_radius *auth_radius_create(const struct auth_config *cfg)
{
	struct auth_radius *r;
	unsigned i;

	if (cfg->n_servers == 0 || cfg->n_servers > AUTH_MAX_SERVERS) {
		fprintf(stderr, "auth: radius: %u servers configured (1..%d)\n", cfg->n_servers,
			AUTH_MAX_SERVERS);
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	if (radius_group_attr(cfg->group_attribute, &r->group_attr) < 0) {
		fprintf(stderr, "auth: radius: group attribute \"%s\" is not Class, Filter-Id or "
				"a number 1..255\n", cfg->group_attribute);
		goto inval;
	}
	for (i = 0; i < cfg->n_servers; i++) {
		if (radius_parse_server(&cfg->servers[i], &r->srv[i]) < 0) {
			fprintf(stderr, "auth: radius server %u: \"%s\" is not host[:port] with a "
					"secret\n", i + 1, cfg->servers[i].address);
			goto inval;
		}
	}
	r->n_srv = cfg->n_servers;
	r->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 1000;
	r->tries = cfg->retries + 1;
	r->require_ma = cfg->require_message_authenticator;
	snprintf(r->nas_identifier, sizeof(r->nas_identifier), "%s",
		 cfg->nas_identifier[0] ? cfg->nas_identifier : "spgate");
	return r;
inval:
	auth_radius_free(r);
	errno = EINVAL;
	return NULL;
}

void auth_radius_free(struct auth_radius *r)
{
	if (r == NULL)
		return;
	OPENSSL_cleanse(r, sizeof(*r)); /* the secrets */
	free(r);
}

/* A UDP socket connected to the server: the kernel then drops datagrams from anyone else. */
static int radius_connect(const struct radius_server *s)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai, *p;
	int fd = -EHOSTUNREACH, rc;

	rc = getaddrinfo(s->host, s->port, &hints, &ai);
	if (rc != 0)
		return -ENOENT;
	for (p = ai; p != NULL; p = p->ai_next) {
		fd = socket(p->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			fd = -errno;
			continue;
		}
		if (connect(fd, p->ai_addr, p->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -errno;
	}
	freeaddrinfo(ai);
	return fd;
}

static int64_t radius_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Waits up to timeout_ms for a reply that verifies. Forged or foreign datagrams are dropped
 * and counted, and the wait goes on: they must not end it early. Returns the code, 0 on
 * timeout, -ECONNREFUSED when the port is closed.
 */
static int radius_wait_reply(const struct auth_radius *r, const struct radius_server *s, int fd,
			     const struct radius_request *rq, struct radius_answer *ans)
{
	int64_t deadline = radius_now_ms() + r->timeout_ms;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - radius_now_ms();
		ssize_t n;
		int rc;

		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc <= 0)
			continue;
		n = recv(fd, ans->pkt, sizeof(ans->pkt), 0);
		if (n < 0) {
			if (errno == ECONNREFUSED)
				return -ECONNREFUSED;
			continue;
		}
		rc = radius_pkt_check_reply(rq, s->secret, ans->pkt, (size_t)n, r->require_ma);
		if (rc > 0) {
			ans->len = (size_t)n;
			return rc;
		}
		if (rc == -EKEYREJECTED)
			ans->forged++;
		else if (rc == -EPROTO)
			ans->no_ma++;
	}
}

/* One server: sends the request up to tries times, each with the same identifier. */
static void radius_ask(const struct auth_radius *r, const struct radius_server *s,
		       const char *user, const char *password, const struct auth_challenge *ch,
		       struct radius_answer *ans)
{
	struct radius_request rq;
	unsigned t;
	uint8_t id;
	int fd, rc;

	memset(ans, 0, offsetof(struct radius_answer, pkt));
	if (RAND_bytes(&id, 1) != 1) {
		ans->error = -EIO;
		return;
	}
	rc = radius_pkt_access_request_state(&rq, id, s->secret, user, password, r->nas_identifier,
					     ch != NULL ? ch->state : NULL,
					     ch != NULL ? ch->state_len : 0);
	if (rc < 0) {
		ans->error = rc;
		goto out;
	}
	fd = radius_connect(s);
	if (fd < 0) {
		ans->error = fd;
		goto out;
	}
	for (t = 0; t < r->tries && ans->code == 0 && !ans->unreachable; t++) {
		if (send(fd, rq.buf, rq.len, 0) < 0) {
			if (errno == ECONNREFUSED) {
				ans->unreachable = true;
				break;
			}
			continue;
		}
		rc = radius_wait_reply(r, s, fd, &rq, ans);
		if (rc > 0)
			ans->code = rc;
		else if (rc == -ECONNREFUSED)
			ans->unreachable = true;
	}
	close(fd);
out:
	OPENSSL_cleanse(&rq, sizeof(rq)); /* it held the hidden password */
}

static bool radius_group_char_ok(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

void auth_radius_add_groups(const char *value, size_t len, char groups[][AUTH_NAME_MAX],
			    unsigned *n_groups)
{
	size_t start = 0;

	while (start <= len) {
		const char *comma = memchr(value + start, ',', len - start);
		size_t end = comma != NULL ? (size_t)(comma - value) : len, a = start, b = end;
		unsigned i;

		start = end + 1;
		while (a < b && value[a] == ' ')
			a++;
		while (b > a && value[b - 1] == ' ')
			b--;
		if (b == a || b - a >= AUTH_NAME_MAX || !radius_group_char_ok(value + a, b - a))
			continue;
		for (i = 0; i < *n_groups; i++)
			if (strncmp(groups[i], value + a, b - a) == 0 && groups[i][b - a] == '\0')
				break;
		if (i < *n_groups || *n_groups >= AUTH_MAX_GROUPS)
			continue;
		memcpy(groups[*n_groups], value + a, b - a);
		groups[*n_groups][b - a] = '\0';
		(*n_groups)++;
	}
}

struct radius_group_ctx {
	uint8_t attr;
	struct auth_result *res;
};

static void radius_group_attr_cb(uint8_t type, const uint8_t *val, size_t len, void *arg)
{
	struct radius_group_ctx *g = arg;

	if (type == g->attr)
		auth_radius_add_groups((const char *)val, len, g->res->groups, &g->res->n_groups);
}

/* The audit's words for a server that gave no usable answer. */
static void radius_explain_silence(const struct radius_server *s, const struct radius_answer *a,
				   struct auth_result *res)
{
	char why[96];

	if (a->error == -ENOENT)
		snprintf(why, sizeof(why), "cannot resolve %s", s->host);
	else if (a->error < 0)
		snprintf(why, sizeof(why), "local error: %s", strerror(-a->error));
	else if (a->unreachable)
		snprintf(why, sizeof(why), "port unreachable");
	else if (a->no_ma > 0)
		snprintf(why, sizeof(why),
			 "no valid answer, %u replies without the required Message-Authenticator",
			 a->no_ma);
	else if (a->forged > 0)
		snprintf(why, sizeof(why),
			 "no valid answer, %u replies with a wrong authenticator "
			 "(shared secret mismatch?)", a->forged);
	else /* servers drop requests whose Message-Authenticator fails: a wrong secret */
		snprintf(why, sizeof(why), "no answer (down, or shared secret mismatch?)");
	radius_detail(res, s->label, why);
}

/* Reply-Message texts, joined by a space, printable ASCII only (a terminal shows them). */
static void radius_challenge_attr_cb(uint8_t type, const uint8_t *val, size_t len, void *arg)
{
	struct auth_challenge *ch = arg;
	size_t n = strlen(ch->prompt), i;

	if (type == RADIUS_ATTR_STATE && len > 0 && len <= AUTH_STATE_MAX) {
		memcpy(ch->state, val, len);
		ch->state_len = len;
		return;
	}
	if (type != RADIUS_ATTR_REPLY_MESSAGE)
		return;
	if (n > 0 && n + 1 < sizeof(ch->prompt))
		ch->prompt[n++] = ' ';
	for (i = 0; i < len && n + 1 < sizeof(ch->prompt); i++)
		if (val[i] >= ' ' && val[i] <= '~')
			ch->prompt[n++] = (char)val[i];
	ch->prompt[n] = '\0';
}

int auth_radius_read_challenge(const uint8_t *pkt, size_t len, unsigned server,
			       struct auth_challenge *ch)
{
	memset(ch, 0, sizeof(*ch));
	ch->server = server;
	radius_pkt_foreach_attr(pkt, len, radius_challenge_attr_cb, ch);
	return ch->state_len > 0 ? 0 : -ENOMSG;
}

static enum auth_outcome radius_take_challenge(const struct radius_answer *ans, unsigned server,
					       struct auth_result *res)
{
	if (auth_radius_read_challenge(ans->pkt, ans->len, server, &res->challenge) < 0)
		return AUTH_FAILED;
	return AUTH_CHALLENGE;
}

/* What server i's answer means. AUTH_UNAVAILABLE: none that verifies; try the next. */
static enum auth_outcome radius_verdict(struct auth_radius *r, unsigned i,
					const struct radius_answer *ans, struct auth_result *res)
{
	const struct radius_server *s = &r->srv[i];
	struct radius_group_ctx g = { r->group_attr, res };
	enum auth_outcome o;

	switch (ans->code) {
	case RADIUS_ACCESS_ACCEPT:
		radius_pkt_foreach_attr(ans->pkt, ans->len, radius_group_attr_cb, &g);
		radius_detail(res, s->label, "accept");
		return AUTH_OK;
	case RADIUS_ACCESS_REJECT:
		radius_detail(res, s->label, "reject");
		return AUTH_FAILED;
	case RADIUS_ACCESS_CHALLENGE: /* a verdict too: no fall-through to another server */
		o = radius_take_challenge(ans, i, res);
		radius_detail(res, s->label,
			      o == AUTH_CHALLENGE ? "challenge" : "challenge without State (refused)");
		return o;
	default:
		radius_explain_silence(s, ans, res);
		return AUTH_UNAVAILABLE;
	}
}

/* Asks servers first..end-1 in turn until one gives a verdict. */
static enum auth_outcome radius_run(struct auth_radius *r, unsigned first, unsigned end,
				    const char *user, const char *password,
				    const struct auth_challenge *ch, struct auth_result *res)
{
	struct radius_answer *ans = malloc(sizeof(*ans));
	enum auth_outcome o = AUTH_UNAVAILABLE;
	unsigned i;

	if (ans == NULL) {
		radius_detail(res, "-", "out of memory");
		return AUTH_UNAVAILABLE;
	}
	for (i = first; i < end && o == AUTH_UNAVAILABLE; i++) {
		radius_ask(r, &r->srv[i], user, password, ch, ans);
		o = radius_verdict(r, i, ans, res);
	}
	if (o != AUTH_UNAVAILABLE)
		res->method = "radius";
	free(ans);
	return o;
}

enum auth_outcome auth_radius_check(struct auth_radius *r, const char *user, const char *password,
				    struct auth_result *res)
{
	return radius_run(r, 0, r->n_srv, user, password, NULL, res);
}

enum auth_outcome auth_radius_continue(struct auth_radius *r, const char *user,
				       const char *response, const struct auth_challenge *ch,
				       struct auth_result *res)
{
	struct auth_challenge copy;
	enum auth_outcome o;

	if (ch->server >= r->n_srv || ch->state_len == 0 || ch->state_len > AUTH_STATE_MAX) {
		radius_detail(res, "-", "no challenge to answer");
		return AUTH_FAILED;
	}
	copy = *ch; /* res->challenge may be ch itself: the next round overwrites it */
	o = radius_run(r, copy.server, copy.server + 1, user, response, &copy, res);
	if (o == AUTH_OK)
		res->challenge_answered = true;
	OPENSSL_cleanse(&copy, sizeof(copy));
	return o;
}
