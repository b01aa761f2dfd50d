/* SPDX-License-Identifier: BSD-3-Clause */
/* Access to the control socket by user and group (see ctl_peer.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_peer.h"

#define PEER_MAX_GROUPS 256

/* getgrouplist wants the user's name, which SO_PEERCRED does not give. */
static bool uid_in_group(uid_t uid, gid_t group)
{
	struct passwd pw, *pwp = NULL;
	gid_t groups[PEER_MAX_GROUPS];
	int n = PEER_MAX_GROUPS, i;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || pwp == NULL)
		return false;
	if (getgrouplist(pwp->pw_name, pwp->pw_gid, groups, &n) < 0)
		return false;
	for (i = 0; i < n; i++)
		if (groups[i] == group)
			return true;
	return false;
}

bool spg_ctl_peer_allowed(uid_t uid, gid_t gid, uid_t self, const gid_t *group)
{
	if (uid == 0 || uid == self)
		return true;
	if (group == NULL)
		return false;
	return gid == *group || uid_in_group(uid, *group);
}

int spg_ctl_socket_set_group(const char *path, const char *group_name, gid_t *gid)
{
	struct group gr, *grp = NULL;
	char buf[4096];
	int rc;

	if (group_name[0] == '\0')
		return chmod(path, 0600) < 0 ? -errno : 0;
	rc = getgrnam_r(group_name, &gr, buf, sizeof(buf), &grp);
	if (rc != 0)
		return -rc;
	if (grp == NULL)
		return -ENOENT;
	/* group first: until the chmod the socket stays 0600, never open to the old group */
	if (chown(path, (uid_t)-1, grp->gr_gid) < 0 || chmod(path, 0660) < 0)
		return -errno;
	*gid = grp->gr_gid;
	return 0;
}
