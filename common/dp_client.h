/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A client of spgate-dp's control socket (dp_api.h): spgatectl uses it now, spgate-control
 * later. One request at a time per connection; not thread-safe per fd.
 */
#ifndef SPG_DP_CLIENT_H
#define SPG_DP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "dp_api.h"

/* Connects to the SOCK_SEQPACKET socket at path. Returns the fd or -errno. */
int spg_dp_client_connect(const char *path);

/*
 * Sends one request (type without SPG_DP_REPLY, body_len bytes of body) with a fresh seq
 * and waits at most timeout_ms (< 0: forever) for its reply, whose body is copied to
 * reply_body (reply_max bytes of room; *reply_len gets its size when reply_len is not NULL).
 * Replies to earlier requests that timed out are skipped. Returns 0; the dataplane's errno
 * as -errno when it refused; or a local failure: -ETIMEDOUT, -EBADMSG (malformed reply),
 * -ENOBUFS (reply larger than reply_max), -ECONNRESET (the dataplane closed the connection),
 * -EMSGSIZE (request too large), or what send/recv/poll failed with.
 */
int spg_dp_client_call(int fd, uint16_t type, const void *body, size_t body_len, void *reply_body,
		       size_t reply_max, size_t *reply_len, int timeout_ms);

/*
 * The same, telling the two kinds of failure apart: returns 0 when a well-formed reply
 * arrived, with the dataplane's errno (0 or positive) in *reply_error, or -errno (as above)
 * when none did. A CLI uses this to tell "refused" from "unreachable".
 */
int spg_dp_client_request(int fd, uint16_t type, const void *body, size_t body_len, void *reply_body,
			  size_t reply_max, size_t *reply_len, int *reply_error, int timeout_ms);

/*
 * ADDRESS (dp_api.h): op SPG_DP_ADDR_ADD or SPG_DP_ADDR_DEL of addr (network order) on port
 * (enum spg_dp_port_index). Returns 0, the dataplane's refusal as -errno (-EINVAL, -ENOSPC,
 * -ENOENT, -EBUSY; -EOPNOTSUPP from a dataplane older than the message) or a local failure
 * as spg_dp_client_call says.
 */
int spg_dp_address(int fd, uint8_t op, uint8_t port, uint32_t addr, int timeout_ms);

/*
 * ADDRESS LIST: every address of both ports into e (room for max entries; SPG_DP_ADDR_LIST_MAX
 * always suffices), how many in *count. Returns 0 or -errno as spg_dp_address; -ENOBUFS when
 * more than max came.
 */
int spg_dp_address_list(int fd, struct spg_dp_address_entry *e, uint32_t max, uint32_t *count, int timeout_ms);

#endif
