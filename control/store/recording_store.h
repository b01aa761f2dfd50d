/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording rows (issue 15): one per recorded session, from the start of its recording to
 * its deletion by retention. The row outlives the file: a deleted recording keeps its
 * SHA-256 and sizes, so the audit trail's hashes can still be matched to sessions.
 * Calls return 0 or -errno (-ENOENT: no such row, -EIO: SQLite).
 */
#ifndef SPG_RECORDING_STORE_H
#define SPG_RECORDING_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "store/session_store.h"
#include "store/store.h"

#define STORE_SHA256_HEX 65

enum store_rec_state {
	STORE_REC_RECORDING,  /* spgate-dp is writing it */
	STORE_REC_COMPLETE,   /* finished, nothing lost */
	STORE_REC_INCOMPLETE, /* finished, but copies were dropped or it stopped early */
	STORE_REC_FAILED,     /* could not be started or written (error says why) */
	STORE_REC_DELETED,    /* removed by retention; the row keeps its hash */
};

struct store_recording {
	int64_t id;
	int64_t session_id;
	char serial[STORE_SERIAL_MAX];   /* read only: the session's */
	char customer[STORE_NAME_MAX];   /* read only */
	char user[STORE_NAME_MAX];       /* read only: the session's engineer */
	char path[STORE_PATH_MAX];       /* the file: plain .pcapng, or sealed .pcapng.p7m */
	enum store_rec_state state;
	bool sealed;                     /* CMS, to the customer's recording certificate */
	char sha256[STORE_SHA256_HEX];   /* of the file kept (the sealed one when sealed); "" */
	uint64_t bytes, packets, dropped;
	char error[STORE_REASON_MAX];
	int64_t started, ended;          /* ended: 0 while recording */
};

struct store_recording_filter {
	const char *user;   /* only recordings of this engineer's sessions; NULL: all */
	const char *serial; /* NULL: any */
	int64_t session_id; /* 0: any */
};

const char *store_rec_state_name(enum store_rec_state s);
int store_rec_state_parse(const char *s, enum store_rec_state *out);

/* Inserts r (id ignored) and sets r->id; -EEXIST when the session has one already. */
int store_recording_create(struct store *st, struct store_recording *r);
/* Writes path, state, sealed, sha256, sizes, error and ended of r->id. */
int store_recording_update(struct store *st, const struct store_recording *r);
int store_recording_get(struct store *st, int64_t id, struct store_recording *r);
int store_recording_of_session(struct store *st, int64_t session_id, struct store_recording *r);
/* Newest first. */
int store_recording_foreach(struct store *st, const struct store_recording_filter *f,
			    int (*fn)(const struct store_recording *r, void *arg), void *arg);
/* Finished recordings not yet deleted, oldest first (retention). */
int store_recording_foreach_kept(struct store *st, int (*fn)(const struct store_recording *r, void *arg),
				 void *arg);

#endif
