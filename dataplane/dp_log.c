/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK's log and spgate-dp's stderr through common/log_stamp's stamped stream (dp_log.h). */
#include <stdio.h>

#include <rte_log.h>

#include "dp_log.h"
#include "log_stamp.h"

int spg_dp_log_stamp(void)
{
	spg_log_stamp_stderr();
	/*
	 * rte_log writes to the stream set here rather than the EAL's default one, which copies
	 * every line to stderr and to syslog: one copy, on stderr, stamped as the others are.
	 * Under the journal stderr is left as it is and the journal stamps it.
	 */
	return rte_openlog_stream(stderr) == 0 ? 0 : -1;
}
