/* SPDX-License-Identifier: BSD-3-Clause */
/* The recordings: section of spgate-control.yaml (issue 15): where, how long, how much. */
#include <stdio.h>
#include <string.h>

#include "config_int.h"

/* Room left in SPG_DP_RECORD_PATH_MAX (256) for "/<id>-<serial>-<time>.pcapng.p7m". */
#define REC_DIR_MAX 160

void cfg_recordings_defaults(struct ctl_config *c)
{
	snprintf(c->recordings.dir, sizeof(c->recordings.dir), "/var/lib/spgate/recordings");
	c->recordings.keep_days = 90;
	c->recordings.max_bytes = 10ull << 30;
	c->recordings.engineers_may_export = false;
}

static int get_dir(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c)
{
	char q[CFG_QUOTE];
	size_t len;

	if (spg_yaml_get_string(d, node, "recordings.dir", c->recordings.dir, sizeof(c->recordings.dir)) < 0)
		return -1;
	len = strlen(c->recordings.dir);
	if (c->recordings.dir[0] != '/')
		return spg_yaml_error(d, node, "recordings.dir", "%s is not an absolute path",
				      spg_yaml_quote(c->recordings.dir, len, q, sizeof(q)));
	if (len > REC_DIR_MAX)
		return spg_yaml_error(d, node, "recordings.dir", "is %zu bytes long, at most %u fit", len,
				      REC_DIR_MAX);
	return 0;
}

int cfg_parse_recordings(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c)
{
	enum { K_DIR, K_KEEP, K_MAX, K_EXPORT, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_DIR] = { "dir", false },
		[K_KEEP] = { "keep_days", false },
		[K_MAX] = { "max_bytes", false },
		[K_EXPORT] = { "engineers_may_export", false },
	};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(d, node, "recordings", keys, K_N, v) < 0)
		return -1;
	if (v[K_DIR] != NULL && get_dir(d, v[K_DIR], c) < 0)
		return -1;
	if (cfg_opt_u32(d, v[K_KEEP], "recordings.keep_days", 1, 3650, &c->recordings.keep_days) < 0)
		return -1;
	if (v[K_MAX] != NULL &&
	    spg_yaml_get_u64(d, v[K_MAX], "recordings.max_bytes", 0, UINT64_MAX / 2, &c->recordings.max_bytes) < 0)
		return -1;
	if (v[K_EXPORT] != NULL &&
	    spg_yaml_get_bool(d, v[K_EXPORT], "recordings.engineers_may_export", &c->recordings.engineers_may_export) < 0)
		return -1;
	return 0;
}
