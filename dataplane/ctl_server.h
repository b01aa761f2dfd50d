/* SPDX-License-Identifier: BSD-3-Clause */
/* The control socket: SOCK_SEQPACKET, mode 0600, root or the socket owner's uid only. */
#ifndef SPG_CTL_SERVER_H
#define SPG_CTL_SERVER_H

#include "dp.h"

struct spg_ctl_server;

/* Binds path (replacing a stale socket). NULL + errno. */
struct spg_ctl_server *spg_ctl_server_create(struct spg_dp *dp, const char *path);
void spg_ctl_server_free(struct spg_ctl_server *s);

/*
 * Serves whatever is pending: accepts connections and answers requests, waiting at most
 * timeout_ms for something to arrive. Control thread only.
 */
void spg_ctl_server_poll(struct spg_ctl_server *s, int timeout_ms);

/*
 * Handles one request (req of len bytes) and writes the reply into rep (capacity SPG_DP_MSG_MAX).
 * Returns the reply's length. Exposed so tests can drive it without a socket.
 */
size_t spg_ctl_handle(struct spg_dp *dp, const void *req, size_t len, void *rep);

/* A reply with only the header (err in it) or a body already behind it: its length. */
size_t spg_ctl_reply_header(void *rep, uint16_t type, uint32_t seq, int err, size_t body_len);

/* The session-add log's clock (one summary line per second of quiet adds); under ctl_lock. */
void spg_ctl_tick(uint64_t now);

#endif
