/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

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
	struct timeval tv;
	struct tm tm;
	char ts[32];
	va_list ap;

	if (level > threshold)
		return;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
	va_start(ap, fmt);
	/* one fprintf per line, so lines of concurrent writers never interleave mid-line */
	{
		char msg[1024];

		vsnprintf(msg, sizeof(msg), fmt, ap);
		fprintf(stderr, "%s.%03ld spgate-agent %s: %s\n", ts, (long)tv.tv_usec / 1000,
			names[level], msg);
	}
	va_end(ap);
}
