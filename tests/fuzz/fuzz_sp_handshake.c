/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the SP handshake messages as spgate-control reads them
 * (control/sp_handshake.c, included for its static read path): the agent's bytes go into a
 * connection's input buffer and through read_cb, in the stage the first byte chooses
 * (awaiting the answer to open or attach, awaiting "up", up, rekeying, closing). Whatever the
 * agent sends, the connection ends with at most one callback of its stage, and what opened()
 * reports is well formed. The bufferevent has no socket and no TLS: key export fails, as it
 * must without a TLS session.
 */
#include "../../control/sp_handshake.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base *base;
static bool ended, was_opened;

/* Nothing may follow the end of a connection, and it is opened at most once. */
static void callback(bool ends)
{
	if (ended)
		abort();
	ended = ends;
}

static void on_opened(struct sph_conn *c, const struct sph_open_result *r, void *arg)
{
	size_t i;

	(void)c, (void)arg;
	callback(!r->ok);
	if (!r->ok) {
		if (r->reason == NULL)
			abort();
		return;
	}
	if (r->n_ports > SPH_MAX_PORTS || (r->sp_address_str != NULL &&
					   strnlen(r->sp_address_str, SPG_ADDR_STRLEN) == SPG_ADDR_STRLEN))
		abort();
	for (i = 0; i < r->n_ports; i++)
		if (r->ports[i] == NULL || strlen(r->ports[i]) >= 24)
			abort();
	if (was_opened)
		abort();
	was_opened = true;
}

static void on_rekeyed(struct sph_conn *c, uint32_t gen, uint32_t spi, const struct sph_keys *k,
		       void *arg)
{
	(void)c, (void)gen, (void)spi, (void)k, (void)arg;
	callback(false);
}

static void on_lost(struct sph_conn *c, const char *why, void *arg)
{
	(void)c, (void)arg;
	if (why == NULL)
		abort();
	callback(true);
}

static void on_closed(struct sph_conn *c, bool confirmed, void *arg)
{
	(void)c, (void)confirmed, (void)arg;
	callback(true);
}

static void on_pong(struct sph_conn *c, uint64_t rx, uint64_t tx, void *arg)
{
	(void)c, (void)rx, (void)tx, (void)arg;
	callback(false);
}

static void on_rekey_wanted(struct sph_conn *c, void *arg)
{
	(void)c, (void)arg;
	callback(false);
}

static const struct sph_events events = {
	.opened = on_opened, .rekeyed = on_rekeyed, .lost = on_lost, .closed = on_closed,
	.pong = on_pong, .rekey_wanted = on_rekey_wanted,
};

static struct sph_conn *new_conn(uint8_t how)
{
	static const enum sph_state states[] = {SPH_AWAIT_REPLY, SPH_AWAIT_UP, SPH_UP,
						SPH_REKEYING, SPH_CLOSING};
	struct sph_conn *c = calloc(1, sizeof(*c));

	c->base = base;
	c->bev = bufferevent_socket_new(base, -1, 0);
	c->deadline = evtimer_new(base, deadline_cb, c);
	c->ping = evtimer_new(base, ping_cb, c);
	if (c->bev == NULL || c->deadline == NULL || c->ping == NULL)
		abort();
	c->ev = events;
	c->state = states[(how >> 1) % 5];
	c->attach = how & 1;
	c->opened = c->state == SPH_UP || c->state == SPH_REKEYING || (how & 0x10);
	c->replies_to_skip = (how >> 5) & 1;
	c->session = 4242;
	c->gw_spi = 0x1000;
	c->next_gw_spi = 0x1001;
	c->key_len = 16;
	c->reply_timeout_s = 10;
	c->keepalive_s = 15;
	c->missed_pongs = 3;
	snprintf(c->peer, sizeof(c->peer), "192.0.2.7:7443");
	/* awaiting "up": the answer to open was read (read_open_reply) and keys derived */
	c->res = (struct sph_open_result){.ok = true, .ports = c->ports, .has_keys = true,
					  .sp_address_str = c->sp_address_str, .sp_spi = 0x2000,
					  .esp_port = SPH_DEFAULT_ESP_PORT};
	snprintf(c->sp_address_str, sizeof(c->sp_address_str), "192.168.0.1");
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sph_conn *c;

	if (base == NULL)
		base = event_base_new();
	if (size < 1)
		return 0;
	c = new_conn(data[0]);
	ended = was_opened = false;
	/* a socket bufferevent's input takes data only from its socket: unfreeze it */
	evbuffer_unfreeze(bufferevent_get_input(c->bev), 0);
	if (evbuffer_add(bufferevent_get_input(c->bev), data + 1, size - 1) != 0)
		abort();
	read_cb(c->bev, c);
	if (ended != (c->state == SPH_DONE))
		abort(); /* ended without saying so, or said so and goes on */
	conn_destroy(c);
	/* libevent frees bufferevents from the loop: without a turn they pile up */
	event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
