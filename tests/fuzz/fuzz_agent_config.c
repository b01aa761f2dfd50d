/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over spgate-agent's configuration parser (tools/agent/config.c): whatever
 * the file, a clean error message or a config, never a crash or a leak. Seed:
 * tools/agent/agent.example.yaml and the integration tests' agent configs.
 */
#include <string.h>

#include "config.h"
#include "fuzz_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct agent_config cfg;
	char err[512];

	err[0] = '\0';
	if (agent_config_load(fuzz_file(data, size), &cfg, err, sizeof(err)) != 0 &&
	    (err[0] == '\0' || strnlen(err, sizeof(err)) == sizeof(err)))
		abort(); /* a refusal must say why */
	return 0;
}
