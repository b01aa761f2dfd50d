/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-dp's log lines, its own (stderr) and DPDK's (rte_log), with the UTC timestamps of
 * common/log_stamp that spgate-control's lines have: "2026-12-06T14:15:00.123Z EAL: ...".
 */
#ifndef SPG_DP_LOG_H
#define SPG_DP_LOG_H

/*
 * stderr becomes a stamped stream (unless it is the journal, which stamps lines itself) and
 * DPDK logs into it. Call before rte_eal_init so that the EAL's own lines are stamped too.
 * 0, or -1 when DPDK refused the stream (its lines then go where they went, unstamped).
 */
int spg_dp_log_stamp(void);

#endif
