/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum agent_log_level threshold = AGENT_LOG_INFO;

void agent_log_set_level(enum agent_log_level level)
{
	threshold = level;
}

bool agent_log_enabled(enum agent_log_level level)
{
	return level <= threshold;
}

void agent_log(enum agent_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	va_list ap;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	/*
	 * One fprintf per line, so lines of concurrent writers never interleave mid-line. The
	 * timestamp (ISO-8601 UTC, or none under the journal) is stderr's: spg_log_stamp_stderr.
	 */
	{
		char msg[1024];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		fprintf(stderr, "spgate-agent %s: %s\n", names[level], msg);
	}
	va_end(ap);
}
