/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Grants (docs/control-plane.md section 3): what spgate-control signs with the vendor's
 * Ed25519 key and spgate-agent verifies before it lets anyone near its SP.
 *
 * The grant is a JSON object, serialised once; the signature covers exactly those bytes, and
 * both travel base64-encoded. The verifier checks the signature over the bytes it received
 * before it parses them, so an unsigned document is never interpreted.
 *
 * Also here, because both ends of the SP handshake need them and nothing else does: the
 * exporter label and context the ESP keys are derived with (section 4.3), and the key
 * fingerprint both ends log.
 */
#ifndef SPG_GRANT_H
#define SPG_GRANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Version 2 adds gw_cert, binding the grant to one gateway's TLS client certificate;
 * version 1 grants (bearer passes) are refused as malformed. */
#define SPG_GRANT_VERSION 2
#define SPG_GRANT_MAX_LEN 4096 /* the serialised grant; more is malformed */
#define SPG_GRANT_SIG_LEN 64   /* Ed25519 */
#define SPG_GRANT_NAME_MAX 64  /* engineer, each group, serial */
#define SPG_GRANT_MAX_GROUPS 16
#define SPG_GRANT_MAX_PORTS 32
#define SPG_GRANT_PORT_MAX 16  /* "tcp:65535" */
#define SPG_GRANT_NONCE_HEX 32 /* 16 random bytes in hex */
#define SPG_GRANT_CERT_HEX 64  /* SHA-256 of a certificate's DER, lowercase hex */

struct spg_grant {
	uint32_t version;
	uint64_t session;
	char engineer[SPG_GRANT_NAME_MAX];
	char groups[SPG_GRANT_MAX_GROUPS][SPG_GRANT_NAME_MAX];
	size_t n_groups;
	char serial[SPG_GRANT_NAME_MAX];
	int64_t issued;  /* unix seconds */
	int64_t expires; /* unix seconds; the grant is void from this second on */
	char ports[SPG_GRANT_MAX_PORTS][SPG_GRANT_PORT_MAX]; /* "tcp:22", "udp:161" */
	size_t n_ports;
	bool icmp_echo;
	uint32_t gw_inner;      /* G_in, network order */
	uint32_t gw_outer;      /* G_out, network order */
	uint16_t gw_outer_port; /* host order */
	/* SHA-256 of the DER of the gateway's TLS client certificate, lowercase hex: the
	 * agent accepts "open" with this grant only over a channel with that certificate */
	char gw_cert[SPG_GRANT_CERT_HEX + 1];
	char nonce[SPG_GRANT_NONCE_HEX + 1];
};

/* Why a grant was refused; the names are the wire's "reason" strings. */
enum spg_grant_verdict {
	SPG_GRANT_OK = 0,
	SPG_GRANT_BAD_SIGNATURE,
	SPG_GRANT_WRONG_SERIAL,
	SPG_GRANT_EXPIRED,
	SPG_GRANT_MALFORMED,
};

/* "bad signature", "wrong serial", "expired", "malformed grant" ("ok" for SPG_GRANT_OK). */
const char *spg_grant_verdict_name(enum spg_grant_verdict v);

/* Fills g->nonce with 16 fresh random bytes in hex. 0 or -EIO. */
int spg_grant_new_nonce(struct spg_grant *g);

/*
 * Checks g (version, names, ports, expiry after issue) and serialises it as compact JSON in
 * the contract's key order. *out is malloc'ed, NUL-terminated, *out_len without the NUL.
 * 0, or -EINVAL with the offending field named in err, or -ENOMEM.
 */
int spg_grant_serialize(const struct spg_grant *g, char **out, size_t *out_len, char *err,
			size_t errlen);

/*
 * Serialises g and signs the bytes with key (Ed25519 private). *grant_b64 and *sig_b64 are
 * malloc'ed base64 strings for the wire's "grant" and "sig". 0 or -errno with err set.
 */
int spg_grant_sign(const struct spg_grant *g, EVP_PKEY *key, char **grant_b64, char **sig_b64,
		   char *err, size_t errlen);

/*
 * The agent's check, in this order: both fields decode (else MALFORMED), the signature holds
 * over the decoded bytes (else BAD_SIGNATURE), the bytes are a version-1 grant with every
 * field well typed (else MALFORMED), it names my_serial (else WRONG_SERIAL), now < expires
 * (else EXPIRED). out (may be NULL) is filled on SPG_GRANT_OK and, for WRONG_SERIAL and
 * EXPIRED, with what the grant said (for the log). detail (may be NULL) gets a sentence
 * naming what was wrong, for the agent's log, never for the wire.
 */
enum spg_grant_verdict spg_grant_verify(const char *grant_b64, const char *sig_b64, EVP_PKEY *pub,
					const char *my_serial, time_t now, struct spg_grant *out,
					char *detail, size_t detail_len);

/* Ed25519 keys in PEM files. NULL with err naming the file and the problem. */
EVP_PKEY *spg_grant_load_private_key(const char *path, char *err, size_t errlen);
EVP_PKEY *spg_grant_load_public_key(const char *path, char *err, size_t errlen);
/* A fresh Ed25519 pair: private PEM (mode 0600) and public PEM. 0 or -errno with err set.
 * Same as: openssl genpkey -algorithm ed25519 -out priv.pem; openssl pkey -in priv.pem -pubout */
int spg_grant_gen_keypair(const char *priv_path, const char *pub_path, char *err, size_t errlen);

/* "tcp:22" -> proto 6, port 22; "udp:161" -> 17, 161. Port 1..65535. */
bool spg_grant_port_parse(const char *s, uint8_t *proto, uint16_t *port);

/* Base64 (standard alphabet, padded). encode: malloc'ed string or NULL. decode: malloc'ed
 * bytes or NULL for anything that is not canonical base64 or longer than max_out. */
char *spg_base64_encode(const uint8_t *in, size_t len);
uint8_t *spg_base64_decode(const char *in, size_t max_out, size_t *out_len);

/* The ESP key derivation both ends run (section 4.3):
 *   SSL_export_keying_material(ssl, out, 2 * (K + 4), SPG_ESP_EXPORTER_LABEL,
 *                              ctx, SPG_ESP_EXPORTER_CTX_LEN, 1)
 * with ctx from spg_esp_exporter_context(); out is key||salt gateway->SP, then SP->gateway. */
#define SPG_ESP_EXPORTER_LABEL "EXPORTER-spgate-esp-v1"
#define SPG_ESP_EXPORTER_CTX_LEN 12
void spg_esp_exporter_context(uint64_t session, uint32_t generation,
			      uint8_t ctx[SPG_ESP_EXPORTER_CTX_LEN]);

/* SHA-256 over cert's DER in lowercase hex (what a grant's gw_cert holds); out has
 * SPG_GRANT_CERT_HEX + 1 bytes. Returns out, or NULL (no certificate, digest failed). */
const char *spg_cert_fingerprint(X509 *cert, char out[SPG_GRANT_CERT_HEX + 1]);

/* First 4 bytes of SHA-256(key||salt) in hex: "ab12cd34" (out: 9 bytes). Logs show this,
 * never the key, so a test can compare both ends. */
const char *spg_key_fingerprint(const uint8_t *key_salt, size_t len, char out[9]);

#endif
