/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over spgate-control's configuration parser (control/config.c and
 * config_snmp.c): whatever the file, a clean error message or a config, never a crash or a
 * leak. Seeds: config/control.example.yaml, config/lab-control.yaml, the unit tests' YAML.
 */
#include <string.h>

#include "config.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_config cfg;
	char err[512];

	err[0] = '\0';
	if (ctl_config_load(fuzz_file(data, size), &cfg, err, sizeof(err)) == 0)
		ctl_config_free(&cfg);
	else if (err[0] == '\0' || strnlen(err, sizeof(err)) == sizeof(err))
		abort(); /* a refusal must say why */
	return 0;
}
