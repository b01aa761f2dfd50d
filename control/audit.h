/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The audit trail: every event is appended as one JSON line to a file and inserted into the
 * store's audit table. A line looks like
 *   {"time":"2024-05-01T12:00:00Z","unix":1714564800,"actor":"alice","action":"connect",
 *    "target":"CK2001","result":"ok","detail":{"session":7}}
 * The file is opened O_APPEND and not fsync'ed per event (audit_sync is for a timer); the
 * daemon calls audit_reopen on SIGHUP after log rotation.
 */
#ifndef SPG_AUDIT_H
#define SPG_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "store/store.h"

struct audit;

/* One stored event, as audit_list returns them. */
struct audit_record {
	int64_t id;
	int64_t time; /* unix s */
	const char *actor, *action, *target, *result;
	const char *detail; /* JSON text, or NULL */
};

/* Opens (creating, mode 0640) the log at path; st may be NULL (file only). NULL + errno. */
struct audit *audit_open(const char *path, struct store *st);
/* Closes the file and reopens path (after rotation); 0 or -errno (the old file is kept then). */
int audit_reopen(struct audit *a);
/* fdatasync()s the file; 0 or -errno. */
int audit_sync(struct audit *a);
/* Closes the file; NULL is fine. */
void audit_close(struct audit *a);

/*
 * Records one event at the current time. detail_json is a JSON object's text or NULL.
 * Returns 0, or -errno of the first sink that failed (-EINVAL for detail_json that is not
 * JSON); a failing sink never drops the event silently: it is then printed to stderr.
 */
int audit_event(struct audit *a, const char *actor, const char *action, const char *target,
		const char *result, const char *detail_json);
/* The same at time now (unix s), for callers that keep their own clock and for tests. */
int audit_event_at(struct audit *a, int64_t now, const char *actor, const char *action,
		   const char *target, const char *result, const char *detail_json);

/*
 * Calls fn for the newest limit events with time >= since (limit 0: 100), oldest first.
 * Returns 0, fn's first non-zero return, or -errno.
 */
int audit_list(struct store *st, int64_t since, unsigned limit,
	       int (*fn)(const struct audit_record *r, void *arg), void *arg);

/* The event as the JSON object written to the file (new reference; NULL on ENOMEM). */
json_t *audit_record_json(const struct audit_record *r);

#endif
