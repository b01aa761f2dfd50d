/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store: and gateway: sections of spgate-control.yaml (issue 14): which database holds
 * the state (SQLite for one host, PostgreSQL shared by a fleet) and this host's name in it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "config_int.h"
#include "store/db.h"

void cfg_fleet_defaults(struct ctl_config *c)
{
	char host[256];

	c->store.url[0] = '\0';
	c->gateway.connect = CTL_CONNECT_ASKED;
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "gateway");
	host[sizeof(host) - 1] = '\0';
	snprintf(c->gateway.id, sizeof(c->gateway.id), "%.*s", (int)sizeof(c->gateway.id) - 1, host);
}

/*
 * A password in the URL would sit in a world-readable config and in every message that quotes
 * it: refused, the way libpq's password file (PGPASSFILE, passfile=) exists for.
 */
static int holds_password(const char *url)
{
	const char *at = strchr(url, '@'), *scheme = strstr(url, "://");

	if (strstr(url, "password=") != NULL)
		return 1;
	/* postgresql://user:secret@host: a ':' between the scheme and the '@' */
	return scheme != NULL && at != NULL && memchr(scheme + 3, ':', (size_t)(at - scheme - 3));
}

int cfg_parse_store(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c)
{
	static const struct spg_yaml_key keys[] = { { "url", false } };
	yaml_node_t *v[1];
	const char *url;

	if (spg_yaml_mapping(d, node, "store", keys, 1, v) < 0)
		return -1;
	if (v[0] == NULL)
		return 0;
	if (spg_yaml_get_string(d, v[0], "store.url", c->store.url, sizeof(c->store.url)) < 0)
		return -1;
	url = c->store.url;
	if (strncmp(url, "sqlite://", 9) == 0) {
		if (url[9] != '/')
			return spg_yaml_error(d, v[0], "store.url",
					      "a sqlite URL names an absolute path: sqlite:///var/lib/spgate/spgate.db");
		snprintf(c->control.database, sizeof(c->control.database), "%s", url + 9);
		c->store.url[0] = '\0'; /* the one-host default, at control.database */
		return 0;
	}
	if (!db_url_is_postgresql(url))
		return spg_yaml_error(d, v[0], "store.url",
				      "is neither sqlite:///PATH nor postgresql://... (or a libpq conninfo)");
	if (holds_password(url))
		return spg_yaml_error(d, v[0], "store.url",
				      "holds a password: put it in a password file (PGPASSFILE or passfile=)");
	return 0;
}

static int parse_pool(struct spg_yaml_doc *d, yaml_node_t *v, struct ctl_config *c)
{
	char text[32];

	if (spg_yaml_get_string(d, v, "gateway.virtual_pool", text, sizeof(text)) < 0)
		return -1;
	if (!spg_prefix_parse(text, &c->gateway.pool_addr, &c->gateway.pool_prefix, true) ||
	    c->gateway.pool_prefix < 8 || c->gateway.pool_prefix > 30)
		return spg_yaml_error(d, v, "gateway.virtual_pool",
				      "is not a network with a prefix of /8 to /30 (e.g. 198.19.0.0/25)");
	return 0;
}

static int parse_connect(struct spg_yaml_doc *d, yaml_node_t *v, struct ctl_config *c)
{
	char text[32], quoted[48];

	if (spg_yaml_get_string(d, v, "gateway.connect", text, sizeof(text)) < 0)
		return -1;
	if (strcmp(text, "asked") == 0)
		c->gateway.connect = CTL_CONNECT_ASKED;
	else if (strcmp(text, "least_loaded") == 0)
		c->gateway.connect = CTL_CONNECT_LEAST_LOADED;
	else
		return spg_yaml_error(d, v, "gateway.connect", "%s is neither asked nor least_loaded",
				      spg_yaml_quote(text, strlen(text), quoted, sizeof(quoted)));
	return 0;
}

int cfg_parse_gateway(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c)
{
	static const struct spg_yaml_key keys[] = { { "id", false }, { "virtual_pool", false }, { "connect", false } };
	yaml_node_t *v[3];

	if (spg_yaml_mapping(d, node, "gateway", keys, 3, v) < 0)
		return -1;
	if (v[0] != NULL && cfg_get_name(d, v[0], "gateway.id", c->gateway.id, sizeof(c->gateway.id)) < 0)
		return -1;
	if (v[2] != NULL && parse_connect(d, v[2], c) < 0)
		return -1;
	/* one host on SQLite has no other host to hand a connect to */
	if (c->gateway.connect == CTL_CONNECT_LEAST_LOADED && !db_url_is_postgresql(c->store.url))
		return spg_yaml_error(d, v[2], "gateway.connect",
				      "least_loaded needs a fleet: a PostgreSQL store.url shared by its hosts");
	return v[1] != NULL ? parse_pool(d, v[1], c) : 0;
}
