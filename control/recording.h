/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session recordings (issue 15), the control plane's side: where a recording goes and what
 * its pcapng section header says (spgate-dp writes the file, common/dp_api.h
 * SESSION_RECORD), sealing a finished recording to the customer's certificate (CMS
 * AuthEnvelopedData, AES-256-GCM: `openssl cms -decrypt` opens it), its SHA-256, and
 * retention (recordings.keep_days, recordings.max_bytes, oldest first).
 */
#ifndef SPG_RECORDING_H
#define SPG_RECORDING_H

#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "config.h"
#include "dp_api.h"
#include "store/inventory_store.h"
#include "store/recording_store.h"
#include "store/session_store.h"

/*
 * Makes sure dir exists as a directory of ours that nobody else can enter (0700; created
 * if missing, tightened if looser). 0, or -errno with a sentence in err.
 */
int rec_dir_prepare(const char *dir, char *err, size_t errlen);

/* "<dir>/<id>-<serial>-<YYYYmmddTHHMMSSZ>.pcapng" into buf (SPG_DP_RECORD_PATH_MAX); 0 or -ENAMETOOLONG. */
int rec_path(const char *dir, const struct store_session *s, int64_t now, char *buf, size_t len);

/*
 * The section header's comment: "key: value" lines (session, engineer, serial, customer,
 * workstation, virtual_address, reason, ticket, started, recording, sealed_to). Control
 * characters in values become '?', so a value cannot forge a line. Returns the length.
 */
size_t rec_metadata(const struct store_session *s, const struct store_customer *c, int64_t now, char *buf,
		    size_t len);

/* Checks that path is a PEM X.509 certificate with an RSA or EC key (what CMS can seal to). */
int rec_cert_check(const char *path, char *why, size_t whylen);

/*
 * Encrypts the file plain to the certificate at cert_path into sealed (created 0600, must
 * not exist): DER CMS AuthEnvelopedData with AES-256-GCM. 0, or -errno with err set;
 * on failure sealed is removed.
 */
int rec_seal(const char *plain, const char *cert_path, const char *sealed, char *err, size_t errlen);

/* The SHA-256 of a file as lowercase hex, and its size. 0 or -errno. */
int rec_sha256_file(const char *path, char hex[STORE_SHA256_HEX], uint64_t *bytes);

/*
 * Deletes finished recordings older than recordings.keep_days, then the oldest until all
 * kept ones fit recordings.max_bytes; each deletion audited (actor spgate-control,
 * action recording_deleted, with the reason and the file's SHA-256). Returns how many
 * were deleted, or -errno.
 */
int rec_retention(struct store *st, struct audit *au, const struct ctl_config *cfg, int64_t now);

#endif
