/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Who may use spgate-dp's control socket: root, spgate-dp's own user, and, with
 * dataplane.control_group, the members of that group (spgate-control runs as its own user
 * on an installed gateway). The socket's mode lets only those connect; this is the check
 * the server makes again on each accepted peer's credentials.
 */
#ifndef SPG_DP_CTL_PEER_H
#define SPG_DP_CTL_PEER_H

#include <stdbool.h>
#include <sys/types.h>

/*
 * true if a peer with uid and primary gid may connect to a server running as self: root,
 * self, or, when group is not NULL, a member of *group (its primary group or one of the
 * supplementary groups of uid's user).
 */
bool spg_ctl_peer_allowed(uid_t uid, gid_t gid, uid_t self, const gid_t *group);

/*
 * Makes the bound socket at path usable by group_name's members (chgrp, mode 0660) or by
 * its owner alone when group_name is "" (mode 0600). Returns 0 with *gid set, or -errno:
 * -ENOENT when there is no such group.
 */
int spg_ctl_socket_set_group(const char *path, const char *group_name, gid_t *gid);

#endif
