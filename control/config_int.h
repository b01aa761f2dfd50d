/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the configuration loader (config.c, config_snmp.c); nothing else includes this.
 * The value checks both files use, so that a bad value reads the same in every section.
 */
#ifndef SPG_CTL_CONFIG_INT_H
#define SPG_CTL_CONFIG_INT_H

#include <stdint.h>

#include "config.h"
#include "yaml_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Room for a bad value quoted in an error message. */
#define CFG_QUOTE 80

/* A name: no white space, '/' or ','. */
int cfg_get_name(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
		 size_t bufsize);
/* "a.b.c.d:port"; a missing port is an error unless default_port is not 0. */
int cfg_get_endpoint(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		     uint16_t default_port, uint32_t *addr, uint16_t *port);
/* An optional u32 in min..max: untouched when node is NULL. */
int cfg_opt_u32(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint32_t min,
		uint32_t max, uint32_t *out);

/* config_snmp.c: the snmp: section's defaults, and the section itself (node not NULL). */
void cfg_snmp_defaults(struct ctl_config *c);
int cfg_parse_snmp(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c);

/* config_fleet.c: the store: and gateway: sections (issue 14), defaults and sections. */
void cfg_fleet_defaults(struct ctl_config *c);
int cfg_parse_store(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c);
int cfg_parse_gateway(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c);

/* config_recordings.c: the recordings: section's defaults, and the section (node not NULL). */
void cfg_recordings_defaults(struct ctl_config *c);
int cfg_parse_recordings(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c);

/* config_web.c: the web: section's defaults, and the section itself (node not NULL). */
void cfg_web_defaults(struct ctl_config *c);
int cfg_parse_web(struct spg_yaml_doc *d, yaml_node_t *node, struct ctl_config *c);

#endif
