/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RADIUS packets for PAP authentication (RFC 2865, Message-Authenticator RFC 3579 §3.2):
 * building an Access-Request and checking a reply against it. Pure functions, no I/O.
 *
 * Why not radcli: radcli 1.2.11 (Debian 12) hands back an Access-Accept whose Response
 * Authenticator is wrong (checked against a fake server: a random authenticator was
 * accepted, with its Class attribute). Anyone able to send UDP to the gateway could then
 * forge logins and choose their groups. This codec checks every reply before believing it.
 */
#ifndef SPG_RADIUS_PKT_H
#define SPG_RADIUS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RADIUS_PKT_MAX 4096
#define RADIUS_HDR_LEN 20
#define RADIUS_AUTH_LEN 16

enum radius_code {
	RADIUS_ACCESS_REQUEST = 1,
	RADIUS_ACCESS_ACCEPT = 2,
	RADIUS_ACCESS_REJECT = 3,
	RADIUS_ACCESS_CHALLENGE = 11,
};

enum radius_attr {
	RADIUS_ATTR_USER_NAME = 1,
	RADIUS_ATTR_USER_PASSWORD = 2,
	RADIUS_ATTR_SERVICE_TYPE = 6,
	RADIUS_ATTR_FILTER_ID = 11,
	RADIUS_ATTR_REPLY_MESSAGE = 18,
	RADIUS_ATTR_STATE = 24,
	RADIUS_ATTR_CLASS = 25,
	RADIUS_ATTR_NAS_IDENTIFIER = 32,
	RADIUS_ATTR_MESSAGE_AUTHENTICATOR = 80,
};

#define RADIUS_SERVICE_AUTHENTICATE_ONLY 8

struct radius_request {
	uint8_t buf[RADIUS_PKT_MAX];
	size_t len;
	uint8_t id;
	uint8_t authenticator[RADIUS_AUTH_LEN];
};

/*
 * Builds an Access-Request: Message-Authenticator first (the Blast-RADIUS advice), then
 * User-Name, User-Password (hidden with the secret, RFC 2865 §5.2), Service-Type
 * Authenticate-Only and NAS-Identifier. A fresh random Request Authenticator each call.
 * Returns 0, -EINVAL (empty/over-long user, password over 128 bytes, empty secret), -EIO.
 */
int radius_pkt_access_request(struct radius_request *rq, uint8_t id, const char *secret,
			      const char *user, const char *password, const char *nas_identifier);

#define RADIUS_STATE_MAX 253

/*
 * The same, answering an Access-Challenge (RFC 2865 §4.4): password is the user's response
 * and the challenge's State (1..RADIUS_STATE_MAX octets) goes back unmodified. state NULL
 * (state_len 0) builds a first request. -EINVAL also for a State of a bad length.
 */
int radius_pkt_access_request_state(struct radius_request *rq, uint8_t id, const char *secret,
				    const char *user, const char *password,
				    const char *nas_identifier, const uint8_t *state,
				    size_t state_len);

/*
 * Checks a datagram that claims to answer rq: sizes, attribute framing, identifier, code,
 * the Response Authenticator, and the Message-Authenticator when present (required when
 * require_message_authenticator). Returns the code (ACCEPT, REJECT or CHALLENGE);
 * -ENOMSG when it answers another request (identifier); -EBADMSG when malformed;
 * -EKEYREJECTED when an authenticator is wrong (forged, or another secret); -EPROTO when
 * the Message-Authenticator is required but missing.
 */
int radius_pkt_check_reply(const struct radius_request *rq, const char *secret,
			   const uint8_t *pkt, size_t len, bool require_message_authenticator);

/* Calls fn for each attribute of a reply that radius_pkt_check_reply() accepted. */
typedef void (*radius_attr_fn)(uint8_t type, const uint8_t *val, size_t len, void *arg);
void radius_pkt_foreach_attr(const uint8_t *pkt, size_t len, radius_attr_fn fn, void *arg);

#endif
