/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over spgate-agent's request parser (tools/agent/tls_server.c, included
 * for its static read path): the control plane's bytes go into a channel's input buffer and
 * through read_cb. The first "@G" in the input is replaced by a grant the vendor key (a fixed
 * test key) signed for this SP, the first "@S" by its signature, so open/attach get past the
 * signature check; the session they create never reaches a tunnel, since a channel without
 * TLS exports no keys (the SSL calls are stubbed for a NULL SSL, which a real channel never
 * has). Whatever comes, the channel answers or closes; no crash, no leak.
 */
#include <unistd.h>

#include <openssl/ssl.h>

static int fuzz_export(SSL *ssl, unsigned char *out, size_t olen, const char *label,
		       size_t llen, const unsigned char *ctx, size_t clen, int use_ctx)
{
	return ssl != NULL ? SSL_export_keying_material(ssl, out, olen, label, llen, ctx, clen,
							  use_ctx) : 0;
}

static int fuzz_shutdown(SSL *ssl)
{
	return ssl != NULL ? SSL_shutdown(ssl) : 0;
}

#define SSL_export_keying_material fuzz_export
#define SSL_shutdown fuzz_shutdown
#include "../../tools/agent/tls_server.c"
#undef SSL_export_keying_material
#undef SSL_shutdown

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base *base;
static struct agent_config cfg;
static struct tls_server srv;
static char *grant_b64, *sig_b64;
static char replay_path[64];
/* The gateway certificate fingerprint the grant names and every channel presents. */
static char gw_cert[SPG_GRANT_CERT_HEX + 1];

static void ended(void *channel, const char *why)
{
	(void)channel, (void)why;
}

static void rekey_wanted(void *channel)
{
	(void)channel;
}

static const struct sp_channel_ops ops = {.ended = ended, .rekey_wanted = rekey_wanted};

static void remove_replay_file(void)
{
	unlink(replay_path);
}

static void setup(void)
{
	static const uint8_t seed[32] = {0x5e, 0x9a, 0x7e, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	struct spg_grant g = {.version = SPG_GRANT_VERSION, .session = 4242, .n_groups = 1,
			      .n_ports = 1, .icmp_echo = true, .gw_outer_port = 4500};
	char err[256];

	base = event_base_new();
	snprintf(cfg.serial, sizeof(cfg.serial), "CK2001");
	cfg.shared_addr = htonl(0xc0a80001);
	cfg.esp_port = 4500;
	cfg.replay_window = 128;
	cfg.seq_limit = UINT64_MAX;
	cfg.control_timeout_s = 60;
	cfg.grace_s = 60;
	cfg.max_sessions = 4;
	cfg.ports[0] = (struct agent_service_port){.proto = 6, .port = 22, .text = "tcp:22"};
	cfg.n_ports = 1;
	cfg.guard_mode = AGENT_GUARD_OFF;
	srv.base = base;
	srv.cfg = &cfg;
	srv.vendor_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	srv.sessions = sp_sessions_new(base, &cfg, &ops);
	snprintf(g.engineer, sizeof(g.engineer), "alice");
	snprintf(g.groups[0], sizeof(g.groups[0]), "storage-eu");
	snprintf(g.serial, sizeof(g.serial), "CK2001");
	snprintf(g.ports[0], sizeof(g.ports[0]), "tcp:22");
	memset(gw_cert, 'a', SPG_GRANT_CERT_HEX);
	memcpy(g.gw_cert, gw_cert, sizeof(g.gw_cert));
	/* each input gets a fresh nonce record (on tmpfs: a write per accepted open) */
	snprintf(replay_path, sizeof(replay_path), "/dev/shm/spgate-fuzz-nonces-%d", (int)getpid());
	atexit(remove_replay_file);
	g.issued = time(NULL) - 10;
	g.expires = time(NULL) + 365 * 86400;
	g.gw_inner = htonl(0xc6336401);
	g.gw_outer = htonl(0xcb007101);
	if (base == NULL || srv.vendor_key == NULL || srv.sessions == NULL ||
	    spg_grant_new_nonce(&g) != 0 ||
	    spg_grant_sign(&g, srv.vendor_key, &grant_b64, &sig_b64, err, sizeof(err)) != 0)
		abort();
	agent_log_set_level(AGENT_LOG_ERR);
}

/* The input with its first "@G" and "@S" replaced by the signed grant and its signature. */
static void add_input(struct evbuffer *in, const uint8_t *data, size_t size)
{
	const uint8_t *g = memmem(data, size, "@G", 2), *s = memmem(data, size, "@S", 2);
	const uint8_t *first = g == NULL ? s : s == NULL ? g : g < s ? g : s, *second;
	size_t off;

	if (first == NULL) {
		evbuffer_add(in, data, size);
		return;
	}
	evbuffer_add(in, data, (size_t)(first - data));
	evbuffer_add_printf(in, "%s", first == g ? grant_b64 : sig_b64);
	off = (size_t)(first - data) + 2;
	second = first == g ? s : g;
	if (second != NULL && second >= data + off) {
		evbuffer_add(in, data + off, (size_t)(second - data) - off);
		evbuffer_add_printf(in, "%s", second == g ? grant_b64 : sig_b64);
		off = (size_t)(second - data) + 2;
	}
	evbuffer_add(in, data + off, size - off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct channel *ch;
	char err[256];

	if (base == NULL)
		setup();
	ch = calloc(1, sizeof(*ch));
	ch->srv = &srv;
	ch->bev = bufferevent_socket_new(base, -1, 0);
	if (ch->bev == NULL)
		abort();
	ch->peer_addr = htonl(0xcb007101);
	memcpy(ch->gw_cert, gw_cert, sizeof(ch->gw_cert));
	ch->request_ev = evtimer_new(base, request_timeout_cb, ch); /* as on_accept makes it */
	if (ch->request_ev == NULL)
		abort();
	unlink(replay_path);
	/* a record begun an hour ago, so the grant (issued 10 s before setup) is not stale */
	srv.replay = replay_cache_open(replay_path, 64, time(NULL) - 3600, err, sizeof(err));
	if (srv.replay == NULL)
		abort();
	snprintf(ch->peer, sizeof(ch->peer), "203.0.113.1:40000");
	ch->next = srv.channels;
	srv.channels = ch;
	srv.n_channels++;
	/* a socket bufferevent's input takes data only from its socket: unfreeze it */
	evbuffer_unfreeze(bufferevent_get_input(ch->bev), 0);
	add_input(bufferevent_get_input(ch->bev), data, size);
	if (evbuffer_get_length(bufferevent_get_input(ch->bev)) < size)
		abort();
	read_cb(ch->bev, ch);
	/* What is still there (a channel flushing its last words, one with a session) goes. */
	while (srv.channels != NULL) {
		ch = srv.channels;
		ch->busy = 0;
		channel_lost(ch, "end of input");
	}
	sp_sessions_teardown(srv.sessions, "end of input");
	replay_cache_free(srv.replay);
	srv.replay = NULL;
	/* libevent frees bufferevents from the loop: without a turn they pile up */
	event_base_loop(base, EVLOOP_NONBLOCK);
	return 0;
}
