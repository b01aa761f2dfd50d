/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-dp's log lines (dataplane/dp_log.c): DPDK's rte_log and spgate-dp's own stderr both
 * go through common/log_stamp's stream, each line stamped once, however rte_log cuts them.
 * No EAL: rte_log works before rte_eal_init, as it must for the EAL's own first lines.
 */
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include "dp_log.h"
#include "log_stamp.h"
#include "unit_run.h"

#define STAMP "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z "

static bool matches(const char *text, const char *re)
{
	regex_t rx;
	bool ok;

	if (regcomp(&rx, re, REG_EXTENDED) != 0)
		abort();
	ok = regexec(&rx, text, 0, NULL, 0) == 0;
	regfree(&rx);
	if (!ok)
		printf("\n    \"%s\" does not match %s\n", text, re);
	return ok;
}

/*
 * Runs writer with fd 2 on a temporary file and spg_dp_log_stamp() in force, then puts
 * stderr and DPDK's stream back; what reached the file in out.
 */
static void logged(void (*writer)(void), char *out, size_t len)
{
	char path[] = "/tmp/spg-dp-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	FILE *orig = stderr;
	ssize_t n;

	CU_ASSERT_FATAL(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	CU_ASSERT_FATAL(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	unsetenv("JOURNAL_STREAM");
	CU_ASSERT_EQUAL(spg_dp_log_stamp(), 0);
	CU_ASSERT_TRUE(stderr != orig);
	CU_ASSERT_TRUE(rte_log_get_stream() == stderr);
	writer();
	rte_openlog_stream(NULL);
	fclose(stderr);
	stderr = orig;
	CU_ASSERT_FATAL(dup2(saved, STDERR_FILENO) == STDERR_FILENO);
	close(saved);
	n = pread(fd, out, len - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = '\0';
}

static void dpdk_and_own_lines(void)
{
	RTE_LOG(NOTICE, USER1, "one\n");
	/* rte_log flushes after each call: two lines in one write, then a line in two */
	rte_log(RTE_LOG_ERR, RTE_LOGTYPE_EAL, "EAL: two\nEAL: three\n");
	rte_log(RTE_LOG_WARNING, RTE_LOGTYPE_USER1, "USER1: four, in ");
	rte_log(RTE_LOG_WARNING, RTE_LOGTYPE_USER1, "two calls\n");
	fprintf(stderr, "spgate-dp: five\n");
}

static void dpdk_lines_and_spgate_dp_own_are_stamped_line_by_line(void)
{
	char out[1024];

	logged(dpdk_and_own_lines, out, sizeof(out));
	CU_ASSERT(matches(out, "^" STAMP "USER1: one\n" STAMP "EAL: two\n" STAMP "EAL: three\n" STAMP
			       "USER1: four, in two calls\n" STAMP "spgate-dp: five\n$"));
}

static void without_the_stamps_dpdk_logs_to_stderr_again(void)
{
	/* what logged() left behind: DPDK's default stream, not a closed stamped one */
	CU_ASSERT_TRUE(rte_log_get_stream() == stderr);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"dpdk_lines_and_spgate_dp_own_are_stamped_line_by_line",
		 dpdk_lines_and_spgate_dp_own_are_stamped_line_by_line},
		{"without_the_stamps_dpdk_logs_to_stderr_again", without_the_stamps_dpdk_logs_to_stderr_again},
		{NULL, NULL},
	};

	return unit_run("dp_log", cases, NULL, NULL);
}
