/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The files spgate-control's config names, loaded as the start loads them, so that
 * --check-config fails on what the start would fail on (a missing or unreadable file, a
 * certificate that does not parse, a key that is not the certificate's).
 */
#ifndef SPG_CONFIG_FILES_H
#define SPG_CONFIG_FILES_H

#include <stddef.h>

#include "config.h"

/* 0, or -1 with err naming the config key and the file ("engineer_api.certificate /x: ..."). */
int ctl_config_check_files(const struct ctl_config *c, char *err, size_t errlen);

#endif
