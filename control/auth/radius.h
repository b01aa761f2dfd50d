/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RADIUS PAP authentication (RFC 2865) over UDP, with radius_pkt.c's codec (see there why
 * not radcli). Blocking: call only from worker threads; one struct auth_radius is shared by
 * all of them (it is read-only after auth_radius_create(), each call has its own socket).
 * Servers are tried in configured order, each with its own secret; the first that answers
 * with a reply that verifies (accept, reject or challenge) decides. A server whose port is
 * closed (ICMP port unreachable) is skipped at once rather than after the timeout.
 */
#ifndef SPG_AUTH_RADIUS_H
#define SPG_AUTH_RADIUS_H

#include "auth.h"

struct auth_radius;

/* Checks and copies the RADIUS part of cfg. NULL with errno set (EINVAL: cfg; logged). */
struct auth_radius *auth_radius_create(const struct auth_config *cfg);

/*
 * Asks the servers. Returns AUTH_OK (groups filled from the group attribute), AUTH_FAILED
 * (a server rejected), AUTH_CHALLENGE (res->challenge filled: State, prompt, which server)
 * or AUTH_UNAVAILABLE (no server answered); appends to res->detail. A challenge without a
 * State is AUTH_FAILED: it could not be answered (RFC 2865 §5.24 makes State optional, but
 * no answer could then be tied to it).
 */
enum auth_outcome auth_radius_check(struct auth_radius *r, const char *user, const char *password,
				    struct auth_result *res);

/*
 * Answers ch: one Access-Request with response as User-Password and ch's State, to the
 * server that challenged (no failover). The same outcomes; AUTH_OK sets
 * res->challenge_answered.
 */
enum auth_outcome auth_radius_continue(struct auth_radius *r, const char *user,
				       const char *response, const struct auth_challenge *ch,
				       struct auth_result *res);

void auth_radius_free(struct auth_radius *r);

/*
 * Reads an Access-Challenge that radius_pkt_check_reply() accepted into ch: its State (the
 * last one) and its Reply-Messages joined into the prompt, printable ASCII only. 0, or
 * -ENOMSG when it has no State.
 */
int auth_radius_read_challenge(const uint8_t *pkt, size_t len, unsigned server,
			       struct auth_challenge *ch);

/*
 * Splits one reply attribute value (a string, or Class octets) into group names: "a,b, c"
 * gives a, b, c. A name that is empty, too long or holds anything but printable ASCII is
 * skipped whole (never truncated into another valid name). Appends to groups, skipping
 * duplicates, up to AUTH_MAX_GROUPS.
 */
void auth_radius_add_groups(const char *value, size_t len, char groups[][AUTH_NAME_MAX],
			    unsigned *n_groups);

#endif
