/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent's sessions: per session the grant, SPIs, generation, keys and timers; for all of
 * them together the things a session installs on the SP — the TUN with S (esp_tun.c), a
 * host route to each G_in (route.c), and the guard (guard.c), which is loaded with the
 * first session and unloaded with the last. Teardown removes everything a session added.
 *
 *   sp_session_create -> sp_session_install (keys; tunnel, route, guard) -> up
 *   the grant's expiry: sp_session_destroy (the grant's access ends, whatever the gateway)
 *   channel lost: sp_session_detach -> grace timer -> sp_session_destroy
 *                 sp_session_attach within the grace period -> up again
 *   sp_session_rekey_prepare -> sp_session_rekey_commit (old inbound SA kept rekey_overlap s)
 *
 * The channel (tls_server.c's connection) is an opaque pointer here; the session tells it
 * about its end and about rekey needs through struct sp_channel_ops.
 */
#ifndef AGENT_SP_SESSION_H
#define AGENT_SP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "config.h"
#include "grant.h"

#define SP_KEY_SALT_MAX (32 + 4)

struct sp_keys {
	uint8_t gw_to_sp[SP_KEY_SALT_MAX]; /* key||salt: our inbound SA */
	uint8_t sp_to_gw[SP_KEY_SALT_MAX]; /* key||salt: our outbound SA */
	uint8_t key_len;                   /* 16 or 32 */
};

struct sp_channel_ops {
	/* The session ended without its channel asking (grace over, replaced, agent stopping). */
	void (*ended)(void *channel, const char *why);
	/* Its outbound SA nears its sequence number limit. */
	void (*rekey_wanted)(void *channel);
};

struct sp_sessions;
struct sp_session;

struct sp_sessions *sp_sessions_new(struct event_base *base, const struct agent_config *cfg,
				    const struct sp_channel_ops *ops);
/* Tears every session down (their channels hear ended(why)). */
void sp_sessions_teardown(struct sp_sessions *m, const char *why);
/* The same, then frees m. */
void sp_sessions_free(struct sp_sessions *m, const char *why);

/*
 * A new session for a verified grant; picks our inbound SPI. A live session with the same
 * G_in is torn down first (it can only be stale: a gateway has one inner address and one
 * session per SP). The caller refuses a grant whose session id is live (sp_session_find_id):
 * a second open never replaces a session. NULL with err set when max_sessions are live.
 */
struct sp_session *sp_session_create(struct sp_sessions *m, const struct spg_grant *g,
				     const char *grant_b64, uint32_t gw_spi, uint8_t key_len,
				     uint32_t ctl_addr, void *channel, char *err, size_t errlen);
/* Generation 0's keys in; tunnel, route and guard up. 0, or -errno with err set (the caller
 * then destroys the session). */
int sp_session_install(struct sp_session *s, const struct sp_keys *keys, char *err,
		       size_t errlen);
/* Removes everything the session installed and frees it; ended(why) to its channel. */
void sp_session_destroy(struct sp_session *s, const char *why);

/* The channel is gone: keep the tunnel for the grace period, then destroy. */
void sp_session_detach(struct sp_session *s, const char *why);
/* The session with this id (any state), or NULL. */
struct sp_session *sp_session_find_id(struct sp_sessions *m, uint64_t id);
/* The live session this exact grant opened, or NULL. */
struct sp_session *sp_session_find(struct sp_sessions *m, const char *grant_b64);
/* A new channel takes the session over (stops the grace timer). 0 or -errno (guard). */
int sp_session_attach(struct sp_session *s, void *channel, uint32_t ctl_addr);

/* Our next inbound SPI for a rekey to new_gw_spi (nothing changes yet). */
uint32_t sp_session_rekey_prepare(struct sp_session *s, uint32_t new_gw_spi);
/* Switches to generation's keys: new outbound SA now, the old inbound one kept briefly. */
int sp_session_rekey_commit(struct sp_session *s, uint32_t generation, const struct sp_keys *k,
			    char *err, size_t errlen);

uint64_t sp_session_id(const struct sp_session *s);
uint32_t sp_session_generation(const struct sp_session *s);
uint32_t sp_session_spi(const struct sp_session *s);
uint8_t sp_session_key_len(const struct sp_session *s);
/* The ports this session may reach: its grant's that the SP offers, "tcp:22", ... */
size_t sp_session_ports(const struct sp_session *s, const char *out[], size_t max);
void sp_session_counters(const struct sp_session *s, uint64_t *rx, uint64_t *tx);

/* Everything for `spgate-agent --status`: sessions, tunnel drops, guard counters. */
json_t *sp_sessions_status(struct sp_sessions *m);

#endif
