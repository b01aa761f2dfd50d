/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's side of the SP handshake (docs/control-plane.md section 4): a TLS 1.3
 * client to spgate-agent on libevent, speaking newline-delimited JSON. One struct sph_conn per
 * session; it stays up as the session's control channel (keepalive, rekey, close).
 *
 * Life of a connection, as the caller sees it:
 *
 *   sph_open()   -> opened(ok)           keys derived, the agent's tunnel is up ("up" seen)
 *                -> opened(!ok)          refused (result->refused, reason from the agent) or
 *                                        failed (connect/TLS/timeout/protocol; reason says)
 *   sph_attach() -> opened(ok)           after a control restart: no keys (spgate-dp kept
 *                                        them), generation is the agent's current one
 *   sph_rekey()  -> rekeyed()            generation + 1, new agent SPI, new keys
 *   sph_close()  -> closed(confirmed)    the agent removed everything (or did not say so in
 *                                        time: confirmed == false, its grace timer will)
 *   any time after opened(ok): lost(why) channel dropped, TLS error, missed pongs, rekey
 *                                        refused or unanswered, protocol violation, or the
 *                                        agent said "down" (it stops, the grant expired,
 *                                        the session was replaced or its tunnel failed)
 *
 * On the wire this adds to section 4, each optional for the other side: "key_len" (16|32)
 * in open (absent: 16); from the agent {"op":"down","reason":...}, {"op":"rekey_request"},
 * and {"op":"failed","reason":...} instead of "up" when its tunnel cannot come up; attach's
 * answer also carries sp_address, ports, spi and esp_port.
 *
 * Exactly one of opened(!ok), lost() or closed() ends a connection; after it no callback
 * comes any more and the caller calls sph_free() (allowed inside the callback).
 * sph_free() on a live connection drops it silently: to the agent that looks like a
 * control-plane restart, so it keeps the tunnel for its grace period (attach can take over).
 *
 * Single-threaded: everything runs on the event_base given to sph_open/sph_attach.
 * Strings and arrays in callback arguments are valid only during the callback.
 */
#ifndef SPG_SP_HANDSHAKE_H
#define SPG_SP_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#define SPH_KEY_MAX 32
#define SPH_SALT_LEN 4
#define SPH_MAX_PORTS 32
#define SPH_DEFAULT_PORT 7443
#define SPH_DEFAULT_ESP_PORT 4500

/* Both directions' AES-GCM key||salt, from SSL_export_keying_material (section 4.3). */
struct sph_keys {
	uint8_t gw_to_sp[SPH_KEY_MAX + SPH_SALT_LEN]; /* key_len bytes of key, then 4 of salt */
	uint8_t sp_to_gw[SPH_KEY_MAX + SPH_SALT_LEN];
	uint8_t key_len;                              /* 16 or 32 */
};

struct sph_params {
	const char *agent_addr;      /* IPv4 dotted quad of the agent (the SP site) */
	uint16_t agent_port;         /* 0: SPH_DEFAULT_PORT */
	const char *agent_name;      /* NULL: only the chain is checked against the CA; else the
	                                certificate must name this host (SAN/CN, SSL_set1_host) */
	const char *sp_serial;       /* NULL: any SP; else the agent's certificate must name this
	                                serial, as its one SAN URI spgate:sp:SERIAL, or the
	                                connection fails ("certificate names CK2002, expected
	                                CK2001") before the grant is sent */
	const char *grant_b64;       /* the signed grant, as grant.h's spg_grant_sign made it */
	const char *sig_b64;
	uint64_t session_id;         /* the grant's session: the key derivation's context */
	uint32_t gw_spi;             /* our (spgate-dp's) inbound SPI; ignored by sph_attach */
	uint8_t key_len;             /* 16 (aes-128-gcm) or 32 (aes-256-gcm) */
	unsigned int connect_timeout_s; /* TCP + TLS handshake; 0: 10 */
	unsigned int reply_timeout_s;   /* each answer of the agent, and "up"; 0: 10 */
	unsigned int keepalive_s;       /* ping interval; 0: 15 */
	unsigned int missed_pongs;      /* pings unanswered in a row before lost(); 0: 3 */
};

struct sph_open_result {
	bool ok;
	bool refused;             /* !ok: true when the agent refused the grant */
	bool wrong_identity;      /* !ok: the agent's certificate names another SP (or none) */
	const char *reason;       /* !ok: "bad signature" | "wrong serial" | "expired" |
	                             "malformed grant" | the agent's other reason when refused;
	                             else a sentence of ours ("connect to 192.0.2.7:7443 timed out",
	                             "TLS: certificate verify failed", ...) */
	uint32_t sp_address;      /* ok: S, network order */
	const char *sp_address_str;
	const char *const *ports; /* ok: "tcp:22", "tcp:443", ... as the agent sent them */
	size_t n_ports;
	uint32_t sp_spi;          /* ok: the agent's inbound SPI = spgate-dp's outbound SPI */
	uint16_t esp_port;        /* ok: the agent's ESP-in-UDP port */
	uint32_t generation;      /* ok: 0 after open; the agent's current one after attach */
	bool has_keys;            /* true after open; false after attach */
	struct sph_keys keys;
};

struct sph_conn;

struct sph_events {
	/* Required. ok: called once the agent said "up" (open) or accepted the attach. */
	void (*opened)(struct sph_conn *c, const struct sph_open_result *r, void *arg);
	/* Required if sph_rekey is used. The new generation's keys, the agent's new SPI; the
	 * agent already sends with them (and accepts the old ones briefly). */
	void (*rekeyed)(struct sph_conn *c, uint32_t generation, uint32_t new_sp_spi,
			const struct sph_keys *keys, void *arg);
	/* Required. After opened(ok) only. */
	void (*lost)(struct sph_conn *c, const char *why, void *arg);
	/* Required if sph_close is used. */
	void (*closed)(struct sph_conn *c, bool confirmed, void *arg);
	/* Optional: every pong, with the agent's tunnel packet counters (idle detection). */
	void (*pong)(struct sph_conn *c, uint64_t rx_packets, uint64_t tx_packets, void *arg);
	/* Optional: the agent asks for a rekey (its sequence numbers near their end, or its SA
	 * lifetime is over); the caller should sph_rekey() soon. */
	void (*rekey_wanted)(struct sph_conn *c, void *arg);
};

/*
 * A client context for agents: TLS 1.3 only, peer verification against ca_file (PEM), and
 * our client certificate (cert_file, key_file; PEM) that the agents check against their
 * gateway CA. cert_file NULL: no client certificate (tests only: agents refuse that).
 * NULL with a message in err naming the file when one cannot be loaded. Free with
 * SSL_CTX_free.
 */
SSL_CTX *sph_client_ctx(const char *ca_file, const char *cert_file, const char *key_file,
			char *err, size_t errlen);

/* The serial cert names as its SAN URI spgate:sp:SERIAL into out. 1 found; 0 none; -1 more
 * than one, or one that is not a plain name ([A-Za-z0-9._-], < len bytes). */
int sph_cert_serial(X509 *cert, char *out, size_t len);

/*
 * Starts the handshake; the result comes through ev->opened, always from the event loop,
 * never from inside this call (a connect that fails at once is reported on the next loop
 * turn). NULL with errno EINVAL (bad params: the address, key_len, missing grant or
 * callback) or ENOMEM; nothing is called then. ctx is used, not owned (it must outlive the
 * connection).
 */
struct sph_conn *sph_open(struct event_base *base, SSL_CTX *ctx, const struct sph_params *p,
			  const struct sph_events *ev, void *arg);
/* Takes over a live session after a control-plane restart (section 4.8), same contract. */
struct sph_conn *sph_attach(struct event_base *base, SSL_CTX *ctx, const struct sph_params *p,
			    const struct sph_events *ev, void *arg);

/*
 * Rekeys to generation + 1 with our new inbound SPI. 0, or -ENOTCONN (not opened or ending),
 * -EBUSY (a rekey or close is in flight), -EINVAL (spi < 256).
 */
int sph_rekey(struct sph_conn *c, uint32_t new_gw_spi);
/* Asks the agent to tear down; closed() follows. 0, -ENOTCONN or -EBUSY (already closing). */
int sph_close(struct sph_conn *c, const char *reason);
/* Drops the connection without telling the agent; no callback follows. NULL is fine. */
void sph_free(struct sph_conn *c);

uint32_t sph_generation(const struct sph_conn *c);
uint64_t sph_session_id(const struct sph_conn *c);

/* "ab12cd34": the first 4 bytes of SHA-256 over key||salt, for logs that must not hold keys.
 * out has room for 9 bytes. Both ends log this, so a test can compare them. */
const char *sph_key_fingerprint(const uint8_t *key_salt, uint8_t key_len, char out[9]);

#endif
