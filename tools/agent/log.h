/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-agent's log: one line per event on stderr (journald or the service manager keeps it). */
#ifndef AGENT_LOG_H
#define AGENT_LOG_H

#include <stdbool.h>

enum agent_log_level { AGENT_LOG_ERR, AGENT_LOG_WARN, AGENT_LOG_INFO, AGENT_LOG_DEBUG };

void agent_log_set_level(enum agent_log_level level);
bool agent_log_enabled(enum agent_log_level level);
void agent_log(enum agent_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_err(...) agent_log(AGENT_LOG_ERR, __VA_ARGS__)
#define log_warn(...) agent_log(AGENT_LOG_WARN, __VA_ARGS__)
#define log_info(...) agent_log(AGENT_LOG_INFO, __VA_ARGS__)
#define log_debug(...) agent_log(AGENT_LOG_DEBUG, __VA_ARGS__)

#endif
