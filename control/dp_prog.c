/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-control's connection to spgate-dp: connect, HELLO, typed calls, reconnect. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dp_client.h"
#include "dp_prog.h"

#define DPP_MIN_BURST (3 * 1514ull)
#include "grant.h"
#include "sp_handshake.h"

/*
 * How long one call may take before spgate-dp counts as lost. The soak test (200 sessions on
 * a loaded 2-core machine) saw spgate-dp answer installs after more than 2 s while it was
 * running: counting that as a loss failed the session being installed. A dead spgate-dp is
 * noticed at once anyway (its socket closes); this only bounds a hung one.
 */
#define DPP_TIMEOUT_MS_DEFAULT 5000
#define DPP_RETRY_FIRST_MS 200
#define DPP_RETRY_MAX_MS 5000

struct dpp {
	struct event_base *base;
	char *path;
	int timeout_ms;
	dpp_state_fn state;
	void *arg;
	int fd;
	bool up;
	struct dpp_hello hello;
	struct event *watch; /* readable only at EOF (spgate-dp never speaks unasked) */
	struct event *retry;
	unsigned retry_ms;
	bool logged_down; /* say "not reachable" once per outage, not every retry */
};

static void dpp_schedule_retry(struct dpp *d)
{
	struct timeval tv = {.tv_sec = d->retry_ms / 1000, .tv_usec = (d->retry_ms % 1000) * 1000};

	evtimer_add(d->retry, &tv);
	d->retry_ms = d->retry_ms * 2 > DPP_RETRY_MAX_MS ? DPP_RETRY_MAX_MS : d->retry_ms * 2;
}

/* The connection is gone: tell the owner once, then try again. */
static void dpp_lost(struct dpp *d, const char *why)
{
	bool was_up = d->up;

	if (d->fd >= 0) {
		event_del(d->watch);
		event_free(d->watch);
		d->watch = NULL;
		close(d->fd);
		d->fd = -1;
	}
	d->up = false;
	d->retry_ms = DPP_RETRY_FIRST_MS;
	dpp_schedule_retry(d);
	if (was_up) {
		fprintf(stderr, "spgate-control: lost spgate-dp at %s: %s; reconnecting\n", d->path, why);
		if (d->state != NULL)
			d->state(d, false, d->arg);
	}
}

static void dpp_watch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dpp *d = arg;
	uint8_t buf[1];
	ssize_t n;

	(void)what;
	n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		dpp_lost(d, n == 0 ? "it closed the connection" : strerror(errno));
		return;
	}
	/* A late reply to a call that timed out: drop it (the client skips stale seqs too). */
	if (n > 0)
		(void)recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
}

static void hello_from_reply(struct dpp_hello *h, const struct spg_dp_hello_rep *rep)
{
	memset(h, 0, sizeof(*h));
	h->api_version = rep->api_version;
	h->max_sessions = rep->max_sessions;
	h->key_len = rep->key_len;
	h->shared_addr = rep->shared_addr;
	h->inner_addr = rep->inner_addr;
	h->outer_addr = rep->outer_addr;
	h->vendor_addr = rep->vendor_addr;
	h->esp_udp_port = rep->esp_udp_port;
	h->pool_addr = rep->pool_addr;
	h->pool_prefix_len = (uint8_t)rep->pool_prefix_len;
	memcpy(h->version, rep->version, sizeof(h->version));
	h->version[sizeof(h->version) - 1] = '\0';
}

static int dpp_try_connect(struct dpp *d)
{
	struct spg_dp_hello_req req = {.client_version = SPG_DP_API_VERSION, .client_name = "spgate-control"};
	struct spg_dp_hello_rep rep;
	int fd, ret;

	fd = spg_dp_client_connect(d->path);
	if (fd < 0)
		return fd;
	memset(&rep, 0, sizeof(rep));
	ret = spg_dp_client_call(fd, SPG_DP_HELLO, &req, sizeof(req), &rep, sizeof(rep), NULL, d->timeout_ms);
	if (ret == 0 && rep.api_version != SPG_DP_API_VERSION)
		ret = -EPROTO;
	if (ret < 0) {
		close(fd);
		return ret;
	}
	d->watch = event_new(d->base, fd, EV_READ | EV_PERSIST, dpp_watch_cb, d);
	if (d->watch == NULL || event_add(d->watch, NULL) != 0) {
		if (d->watch != NULL)
			event_free(d->watch);
		d->watch = NULL;
		close(fd);
		return -ENOMEM;
	}
	d->fd = fd;
	hello_from_reply(&d->hello, &rep);
	return 0;
}

static void dpp_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct dpp *d = arg;
	char a[INET_ADDRSTRLEN];
	int ret;

	(void)fd;
	(void)what;
	ret = dpp_try_connect(d);
	if (ret < 0) {
		if (!d->logged_down)
			fprintf(stderr, "spgate-control: spgate-dp at %s not reachable yet (%s); retrying\n", d->path,
				strerror(-ret));
		d->logged_down = true;
		dpp_schedule_retry(d);
		return;
	}
	d->up = true;
	d->logged_down = false;
	d->retry_ms = DPP_RETRY_FIRST_MS;
	fprintf(stderr, "spgate-control: spgate-dp %s at %s: %u sessions max, pool %s/%u\n", d->hello.version,
		d->path, d->hello.max_sessions, inet_ntop(AF_INET, &d->hello.pool_addr, a, sizeof(a)),
		d->hello.pool_prefix_len);
	if (d->state != NULL)
		d->state(d, true, d->arg);
}

struct dpp *dpp_new(struct event_base *base, const char *path, unsigned timeout_ms, dpp_state_fn state,
		    void *arg)
{
	struct dpp *d;

	if (path == NULL || path[0] == '\0') {
		errno = EINVAL;
		return NULL;
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->base = base;
	d->fd = -1;
	d->timeout_ms = timeout_ms ? (int)timeout_ms : DPP_TIMEOUT_MS_DEFAULT;
	d->state = state;
	d->arg = arg;
	d->retry_ms = DPP_RETRY_FIRST_MS;
	d->path = strdup(path);
	d->retry = evtimer_new(base, dpp_retry_cb, d);
	if (d->path == NULL || d->retry == NULL) {
		dpp_free(d);
		errno = ENOMEM;
		return NULL;
	}
	/* First attempt on the loop's first turn, so the owner's callback runs from the loop. */
	event_active(d->retry, EV_TIMEOUT, 0);
	return d;
}

void dpp_free(struct dpp *d)
{
	if (d == NULL)
		return;
	if (d->watch != NULL)
		event_free(d->watch);
	if (d->retry != NULL)
		event_free(d->retry);
	if (d->fd >= 0)
		close(d->fd);
	free(d->path);
	free(d);
}

bool dpp_is_up(const struct dpp *d)
{
	return d->up;
}

const struct dpp_hello *dpp_hello(const struct dpp *d)
{
	return &d->hello;
}

/* One call; a transport failure counts as losing spgate-dp. */
static int dpp_call(struct dpp *d, uint16_t type, const void *body, size_t len, void *rep, size_t rep_max,
		    size_t *rep_len)
{
	int reply_error = 0;
	int ret;

	if (!d->up)
		return -ENOTCONN;
	ret = spg_dp_client_request(d->fd, type, body, len, rep, rep_max, rep_len, &reply_error, d->timeout_ms);
	if (ret < 0) {
		dpp_lost(d, strerror(-ret));
		return -ENOTCONN;
	}
	return -reply_error;
}

int dpp_add(struct dpp *d, const struct spg_dp_session_params *p)
{
	struct spg_dp_session_add_req req = {.p = *p};

	return dpp_call(d, SPG_DP_SESSION_ADD, &req, sizeof(req), NULL, 0, NULL);
}

int dpp_update(struct dpp *d, uint32_t what, const struct spg_dp_session_params *p)
{
	struct spg_dp_session_update_req req = {.what = what, .p = *p};

	return dpp_call(d, SPG_DP_SESSION_UPDATE, &req, sizeof(req), NULL, 0, NULL);
}

int dpp_delete(struct dpp *d, uint64_t id)
{
	struct spg_dp_session_id_req req = {.id = id};

	return dpp_call(d, SPG_DP_SESSION_DEL, &req, sizeof(req), NULL, 0, NULL);
}

int dpp_record(struct dpp *d, const struct spg_dp_session_record_req *req, struct spg_dp_record_rep *rep)
{
	struct spg_dp_record_rep r;
	int ret;

	memset(&r, 0, sizeof(r));
	ret = dpp_call(d, SPG_DP_SESSION_RECORD, req, sizeof(*req), &r, sizeof(r), NULL);
	if (ret == 0 && rep != NULL)
		*rep = r;
	return ret;
}

int dpp_joiners(struct dpp *d, const struct spg_dp_session_joiners_req *req)
{
	return dpp_call(d, SPG_DP_SESSION_JOINERS, req, sizeof(*req), NULL, 0, NULL);
}

int dpp_address(struct dpp *d, uint8_t op, uint8_t port, uint32_t addr)
{
	struct spg_dp_address_req req = {.op = op, .port = port, .addr = addr};

	return dpp_call(d, SPG_DP_ADDRESS, &req, sizeof(req), NULL, 0, NULL);
}

int dpp_get(struct dpp *d, uint64_t id, struct spg_dp_session_info *info)
{
	struct spg_dp_session_id_req req = {.id = id};
	struct spg_dp_session_get_rep rep;
	int ret;

	ret = dpp_call(d, SPG_DP_SESSION_GET, &req, sizeof(req), &rep, sizeof(rep), NULL);
	if (ret == 0)
		*info = rep.s;
	return ret;
}

int dpp_list(struct dpp *d, int (*fn)(const struct spg_dp_session_info *s, void *arg), void *arg)
{
	struct spg_dp_session_list_req req = {.cursor = 0, .max = 0};
	struct spg_dp_session_list_rep *rep;
	size_t rep_max = SPG_DP_MSG_MAX - sizeof(struct spg_dp_hdr), len;
	uint32_t i;
	int ret;

	rep = malloc(rep_max);
	if (rep == NULL)
		return -ENOMEM;
	for (;;) {
		ret = dpp_call(d, SPG_DP_SESSION_LIST, &req, sizeof(req), rep, rep_max, &len);
		if (ret != 0)
			break;
		if (len < sizeof(*rep) || rep->count > (len - sizeof(*rep)) / sizeof(rep->entries[0])) {
			ret = -EBADMSG;
			break;
		}
		for (i = 0; i < rep->count && ret == 0; i++)
			ret = fn(&rep->entries[i], arg);
		if (ret != 0 || rep->done || rep->count == 0)
			break;
		req.cursor = rep->next_cursor;
	}
	free(rep);
	return ret;
}

int dpp_stats(struct dpp *d, struct spg_dp_stats_rep *rep)
{
	return dpp_call(d, SPG_DP_STATS, NULL, 0, rep, sizeof(*rep), NULL);
}

int dpp_drops(struct dpp *d, struct spg_dp_drops_rep *rep)
{
	return dpp_call(d, SPG_DP_DROPS, NULL, 0, rep, sizeof(*rep), NULL);
}

static void set_sa(struct spg_dp_sa_keys *sa, uint32_t spi, const uint8_t *key_salt, uint8_t key_len)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = htonl(spi);
	sa->key_len = key_len;
	memcpy(sa->key, key_salt, key_len);
	memcpy(sa->salt, key_salt + key_len, SPG_DP_SALT_LEN);
}

void dpp_set_keys(struct spg_dp_session_params *p, const struct sph_keys *k, uint32_t gw_spi, uint32_t sp_spi)
{
	set_sa(&p->sa_out, sp_spi, k->gw_to_sp, k->key_len);
	set_sa(&p->sa_in, gw_spi, k->sp_to_gw, k->key_len);
}

struct dpp_port {
	uint8_t proto;
	uint16_t port;
};

static int port_cmp(const void *a, const void *b)
{
	const struct dpp_port *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	return (int)x->port - (int)y->port;
}

int dpp_set_ports(struct spg_dp_session_params *p, const char *const *ports, size_t n, char *err, size_t errlen)
{
	struct dpp_port *v;
	struct spg_dp_port_range *r = NULL;
	size_t i, nr = 0;
	int ret = 0;

	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!spg_grant_port_parse(ports[i], &v[i].proto, &v[i].port)) {
			snprintf(err, errlen, "port \"%s\" is not proto:port (tcp:22, udp:161)", ports[i]);
			ret = -EINVAL;
			goto out;
		}
	}
	qsort(v, n, sizeof(*v), port_cmp);
	memset(p->ports, 0, sizeof(p->ports));
	for (i = 0; i < n; i++) {
		if (r != NULL && r->proto == v[i].proto && v[i].port <= (uint32_t)r->hi + 1) {
			if (v[i].port > r->hi)
				r->hi = v[i].port;
			continue;
		}
		if (nr == SPG_DP_MAX_PORT_RANGES) {
			snprintf(err, errlen, "%zu ports need more than %d ranges", n, SPG_DP_MAX_PORT_RANGES);
			ret = -E2BIG;
			goto out;
		}
		r = &p->ports[nr++];
		r->proto = v[i].proto;
		r->lo = r->hi = v[i].port;
	}
	p->n_port_ranges = (uint8_t)nr;
out:
	free(v);
	return ret;
}

void dpp_set_rate(struct spg_dp_session_params *p, uint64_t speed_bps)
{
	memset(&p->rate_out, 0, sizeof(p->rate_out));
	memset(&p->rate_in, 0, sizeof(p->rate_in));
	p->rate_out.bytes_per_sec = speed_bps / 8;
	p->rate_in.bytes_per_sec = speed_bps / 8;
	/*
	 * The burst a line of that speed can deliver at once: a quarter second of it, but never
	 * less than three full-size packets, or a slow line (33,600 bit/s: 4,200 bytes/s) would
	 * drop the packets its own modem already let through.
	 */
	if (speed_bps != 0) {
		p->rate_out.burst_bytes = (speed_bps / 8 / 4 > DPP_MIN_BURST ? speed_bps / 8 / 4 : DPP_MIN_BURST);
		p->rate_in.burst_bytes = p->rate_out.burst_bytes;
	}
}
