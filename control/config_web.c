/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The web: section of spgate-control.yaml (issue 18): the console's HTTPS listener. Absent
 * listen: no console. A listen without certificate and key is refused, never served in clear.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define WEEK (7u * 86400u)

void cfg_web_defaults(struct ctl_config *c)
{
	c->web.enabled = false;
	c->web.listen_port = 443;
	snprintf(c->web.static_dir, sizeof(c->web.static_dir), "/usr/share/spgate/web");
	c->web.session_timeout = 1800;
	c->web.session_max = 28800;
}

/* "90", "90s", "30m", "8h": seconds, into min..max. */
static int get_duration(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint32_t min, uint32_t max,
			uint32_t *out)
{
	unsigned long long n, unit = 1;
	char q[CFG_QUOTE], *end;
	const char *v;

	if (spg_yaml_scalar(d, node, path, &v) < 0)
		return -1;
	spg_yaml_quote(v, strlen(v), q, sizeof(q));
	n = strtoull(v, &end, 10);
	if (end == v || v[0] == '-' || (end[0] != '\0' && end[1] != '\0'))
		return spg_yaml_error(d, node, path, "%s is not a duration (seconds, or a number with s, m or h)", q);
	if (end[0] == 'm')
		unit = 60;
	else if (end[0] == 'h')
		unit = 3600;
	else if (end[0] != '\0' && end[0] != 's')
		return spg_yaml_error(d, node, path, "%s: unit is not s, m or h", q);
	if (n > max || n * unit < min || n * unit > max)
		return spg_yaml_error(d, node, path, "%s is not between %u s and %u s", q, min, max);
	*out = (uint32_t)(n * unit);
	return 0;
}

static int get_path(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf, size_t len)
{
	char q[CFG_QUOTE];

	if (spg_yaml_get_string(d, node, path, buf, len) < 0)
		return -1;
	if (buf[0] != '/')
		return spg_yaml_error(d, node, path, "%s is not an absolute path",
				      spg_yaml_quote(buf, strlen(buf), q, sizeof(q)));
	return 0;
}

int cfg_parse_web(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c)
{
	enum { K_LISTEN, K_CERT, K_KEY, K_STATIC, K_TIMEOUT, K_MAX, K_N };
	static const struct spg_yaml_key keys[K_N] = {
		[K_LISTEN] = { "listen", false },
		[K_CERT] = { "certificate", false },
		[K_KEY] = { "key", false },
		[K_STATIC] = { "static_dir", false },
		[K_TIMEOUT] = { "session_timeout", false },
		[K_MAX] = { "session_max", false },
	};
	yaml_node_t *v[K_N];

	if (spg_yaml_mapping(d, node, "web", keys, K_N, v) < 0)
		return -1;
	if (v[K_LISTEN] != NULL &&
	    cfg_get_endpoint(d, v[K_LISTEN], "web.listen", 443, &c->web.listen_addr, &c->web.listen_port) < 0)
		return -1;
	if (v[K_CERT] != NULL && get_path(d, v[K_CERT], "web.certificate", c->web.certificate,
					  sizeof(c->web.certificate)) < 0)
		return -1;
	if (v[K_KEY] != NULL && get_path(d, v[K_KEY], "web.key", c->web.private_key, sizeof(c->web.private_key)) < 0)
		return -1;
	if (v[K_STATIC] != NULL &&
	    get_path(d, v[K_STATIC], "web.static_dir", c->web.static_dir, sizeof(c->web.static_dir)) < 0)
		return -1;
	if (v[K_TIMEOUT] != NULL && get_duration(d, v[K_TIMEOUT], "web.session_timeout", 60, WEEK,
						 &c->web.session_timeout) < 0)
		return -1;
	if (v[K_MAX] != NULL && get_duration(d, v[K_MAX], "web.session_max", 60, WEEK, &c->web.session_max) < 0)
		return -1;
	c->web.enabled = v[K_LISTEN] != NULL;
	/* The console carries passwords and session cookies: never without TLS. */
	if (c->web.enabled && (v[K_CERT] == NULL || v[K_KEY] == NULL))
		return spg_yaml_error(d, v[K_LISTEN], "web.listen",
				      "needs web.certificate and web.key: the console is served over TLS only");
	if (c->web.session_timeout > c->web.session_max)
		return spg_yaml_error(d, v[K_TIMEOUT] != NULL ? v[K_TIMEOUT] : node, "web.session_timeout",
				      "%u s is longer than web.session_max (%u s)", c->web.session_timeout,
				      c->web.session_max);
	return 0;
}
