/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timestamps on the daemons' log lines: ISO-8601 UTC with milliseconds before every line
 * written to stderr ("2026-12-06T14:15:00.123Z spgate-control: ..."), except when stderr is
 * the journal, which stamps lines itself (systemd sets JOURNAL_STREAM to its device:inode).
 */
#ifndef SPG_LOG_STAMP_H
#define SPG_LOG_STAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SPG_LOG_STAMP_LEN 25 /* "2026-12-06T14:15:00.123Z " without the NUL */

/* Writes the stamp of now (SPG_LOG_STAMP_LEN characters and a NUL) into buf[len >= 26]. */
void spg_log_stamp(char *buf, size_t len);
/* False when fd is the journal's stream (JOURNAL_STREAM holds fd's device:inode). */
bool spg_log_wants_stamps(int fd);
/* A line-buffered stream onto fd that stamps every line; NULL with errno set. */
FILE *spg_log_stamped_stream(int fd);
/* stderr becomes spg_log_stamped_stream(2) unless it is the journal or the stream fails. */
void spg_log_stamp_stderr(void);

#endif
