/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A session's recording (issue 15): started in spgate-dp right after the session is
 * installed there and before it is reported active, stopped when the session ends, then
 * sealed to the customer's certificate and hashed into the audit trail. Under the policy
 * `required` a recording that cannot start fails the session, and one that spgate-dp reports
 * FAILED mid-session (its SESSION_LIST, read by the counter poll and the reconciliation)
 * ends it; under `on` the session goes on and the recording is marked failed or incomplete.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "recording.h"
#include "session_int.h"

static int sess_customer(struct session *s, struct store_customer *c)
{
	struct store_system sys;
	int ret;

	ret = store_system_get(s->m->env.store, s->row.serial, &sys);
	if (ret == 0)
		ret = store_customer_get(s->m->env.store, sys.customer, c);
	return ret;
}

/* An audit record about s's recording r, with its numbers and a note. */
static void rec_audit(struct session *s, const struct store_recording *r, const char *action, const char *result,
		      const char *note)
{
	json_t *d;
	char *text;

	if (s->m->env.audit == NULL)
		return;
	d = json_pack("{s:I,s:I,s:s,s:s,s:I,s:I,s:I}", "session", (json_int_t)s->row.id, "recording", (json_int_t)r->id,
		      "path", r->path, "state", store_rec_state_name(r->state), "packets", (json_int_t)r->packets,
		      "dropped", (json_int_t)r->dropped, "bytes", (json_int_t)r->bytes);
	if (d != NULL && r->sha256[0] != '\0')
		json_object_set_new(d, "sha256", json_string(r->sha256));
	if (d != NULL && r->sealed)
		json_object_set_new(d, "sealed", json_true());
	if (d != NULL && note != NULL && note[0] != '\0')
		json_object_set_new(d, "note", json_string(note));
	text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	audit_event_at(s->m->env.audit, sess_now(s->m), SESS_ACTOR_SYSTEM, action, s->row.serial, result, text);
	free(text);
	json_decref(d);
}

static int dp_record(struct session *s, const struct spg_dp_session_record_req *req, struct spg_dp_record_rep *rep)
{
	const struct session_peers *pe = s->m->env.peers;

	memset(rep, 0, sizeof(*rep));
	if (pe->dp_record == NULL)
		return -EOPNOTSUPP;
	return pe->dp_record(s->m->env.peers_arg, req, rep);
}

/* Asks spgate-dp to start writing r->path; 0 or -errno with err set. */
static int rec_begin(struct session *s, const struct store_customer *c, struct store_recording *r, char *err,
		     size_t errlen)
{
	const struct ctl_config *cfg = s->m->env.cfg;
	struct spg_dp_session_record_req *req;
	struct spg_dp_record_rep rep;
	int ret;

	ret = rec_dir_prepare(cfg->recordings.dir, err, errlen);
	if (ret != 0)
		return ret;
	if (rec_path(cfg->recordings.dir, &s->row, sess_now(s->m), r->path, sizeof(r->path)) != 0) {
		snprintf(err, errlen, "the recording's path under %.160s is too long", cfg->recordings.dir);
		return -ENAMETOOLONG;
	}
	req = calloc(1, sizeof(*req));
	if (req == NULL)
		return -ENOMEM;
	req->id = (uint64_t)s->row.id;
	req->on = 1;
	snprintf(req->path, sizeof(req->path), "%s", r->path);
	rec_metadata(&s->row, c, sess_now(s->m), req->comment, sizeof(req->comment));
	ret = dp_record(s, req, &rep);
	free(req);
	if (ret == -EOPNOTSUPP)
		snprintf(err, errlen, "spgate-dp cannot record sessions (%s): it is older than recordings", strerror(-ret));
	else if (ret != 0)
		snprintf(err, errlen, "spgate-dp cannot record to %.160s: %s", r->path, strerror(-ret));
	return ret;
}

bool sess_record_start(struct session *s)
{
	struct store_recording r;
	struct store_customer c;
	char err[STORE_REASON_MAX];
	int ret;

	ret = sess_customer(s, &c);
	if (ret != 0) {
		/* the policy is unknown: failing closed is the only answer a `required` customer accepts */
		sess_end(s, STORE_SESSION_FAILED, "internal", SESS_ACTOR_SYSTEM,
			 "cannot read the customer's recording policy: %s", strerror(-ret));
		return false;
	}
	if (c.recording == STORE_RECORDING_OFF)
		return true;
	memset(&r, 0, sizeof(r));
	r.session_id = s->row.id;
	r.started = sess_now(s->m);
	r.state = STORE_REC_RECORDING;
	ret = rec_begin(s, &c, &r, err, sizeof(err));
	if (ret != 0) {
		r.state = STORE_REC_FAILED;
		r.ended = r.started;
		snprintf(r.error, sizeof(r.error), "%s", err);
	}
	/* created in its final state for a failed start: it never counts as recorded */
	if (store_recording_create(s->m->env.store, &r) == 0 && ret != 0)
		store_recording_update(s->m->env.store, &r);
	if (ret != 0) {
		rec_audit(s, &r, "recording_failed", "failed", err);
		if (c.recording == STORE_RECORDING_REQUIRED) {
			sess_end(s, STORE_SESSION_FAILED, "recording", SESS_ACTOR_SYSTEM,
				 "the customer requires a recording and it cannot start: %s", err);
			return false;
		}
		fprintf(stderr, "spgate-control: session %lld goes on unrecorded: %s\n", (long long)s->row.id, err);
		return true;
	}
	s->rec_id = r.id;
	s->rec_required = c.recording == STORE_RECORDING_REQUIRED;
	s->row.recorded = true;
	rec_audit(s, &r, "recording_started", "ok", NULL);
	return true;
}

/* Seals r's plain file to the customer's certificate: r->path becomes the sealed file. */
static void rec_seal_to(struct session *s, struct store_recording *r, const char *cert)
{
	char sealed[STORE_PATH_MAX + 8], err[STORE_REASON_MAX];
	int n, ret;

	n = snprintf(sealed, sizeof(sealed), "%s.p7m", r->path);
	if (n < 0 || (size_t)n >= sizeof(r->path)) {
		snprintf(r->error, sizeof(r->error), "cannot seal: the sealed file's name is too long");
		return;
	}
	ret = rec_seal(r->path, cert, sealed, err, sizeof(err));
	if (ret != 0) {
		/* the plaintext stays (0600 under the 0700 directory) rather than lose the recording */
		snprintf(r->error, sizeof(r->error), "cannot seal to %.96s: %.140s", cert, err);
		fprintf(stderr, "spgate-control: session %lld: recording %s left unsealed: %s\n", (long long)s->row.id,
			r->path, r->error);
		return;
	}
	if (unlink(r->path) != 0)
		fprintf(stderr, "spgate-control: session %lld: cannot remove the plaintext %s: %s\n",
			(long long)s->row.id, r->path, strerror(errno));
	memcpy(r->path, sealed, (size_t)n + 1); /* fits: checked above */
	r->sealed = true;
}

/* The final state from spgate-dp's answer to stop (ret, rep) and what the polls saw. */
static void rec_final_state(struct session *s, struct store_recording *r, int ret, const struct spg_dp_record_rep *rep)
{
	if (ret == 0) {
		r->packets = rep->packets;
		r->dropped = rep->dropped;
	}
	if (s->rec_failed || (ret == 0 && rep->state == SPG_DP_RECORD_FAILED)) {
		r->state = STORE_REC_FAILED;
		if (r->error[0] == '\0')
			snprintf(r->error, sizeof(r->error), "writing the file failed: %s",
				 strerror(s->rec_error ? s->rec_error : rep->error));
	} else if (ret != 0) {
		r->state = STORE_REC_INCOMPLETE;
		snprintf(r->error, sizeof(r->error), "spgate-dp could not be asked to stop the recording: %s",
			 strerror(-ret));
	} else {
		r->state = rep->state == SPG_DP_RECORD_LOSSY || rep->dropped != 0 ? STORE_REC_INCOMPLETE
										  : STORE_REC_COMPLETE;
	}
}

void sess_record_stop(struct session *s)
{
	struct spg_dp_session_record_req *req;
	struct spg_dp_record_rep rep;
	struct store_recording r;
	struct store_customer c;
	int ret = -ENOMEM;

	if (s->rec_id == 0 || store_recording_get(s->m->env.store, s->rec_id, &r) != 0)
		return;
	s->rec_id = 0;
	req = calloc(1, sizeof(*req));
	if (req != NULL) {
		req->id = (uint64_t)s->row.id;
		ret = dp_record(s, req, &rep);
		free(req);
	}
	rec_final_state(s, &r, ret, &rep);
	r.ended = sess_now(s->m);
	if (sess_customer(s, &c) == 0 && c.recording_cert[0] != '\0' && access(r.path, F_OK) == 0)
		rec_seal_to(s, &r, c.recording_cert);
	if (rec_sha256_file(r.path, r.sha256, &r.bytes) != 0)
		r.sha256[0] = '\0';
	store_recording_update(s->m->env.store, &r);
	rec_audit(s, &r, r.sealed ? "recording_sealed" : "recording_finished",
		  r.state == STORE_REC_COMPLETE ? "ok" : r.state == STORE_REC_INCOMPLETE ? "incomplete" : "failed", r.error);
	ret = rec_retention(s->m->env.store, s->m->env.audit, s->m->env.cfg, sess_now(s->m));
	if (ret < 0)
		fprintf(stderr, "spgate-control: recordings' retention: %s\n", strerror(-ret));
}

void sess_record_seen(struct session *s, const struct spg_dp_session_info *info)
{
	if (s->rec_id == 0 || s->rec_failed)
		return;
	if (info->record_state == SPG_DP_RECORD_FAILED || info->record_state == SPG_DP_RECORD_OFF) {
		/* OFF: spgate-dp stopped on its own (it restarted and the session was re-added) */
		s->rec_failed = true;
		s->rec_error = info->record_state == SPG_DP_RECORD_FAILED ? info->record_error : ESTALE;
	} else if (info->record_state == SPG_DP_RECORD_LOSSY && !s->rec_lossy) {
		s->rec_lossy = true;
		sess_audit(s, SESS_ACTOR_SYSTEM, "recording_lossy", "failed",
			   "spgate-dp dropped copies of packets: the recording is incomplete");
	}
}

void sess_record_lost(struct session *s)
{
	if (s->rec_id != 0 && !s->rec_failed) {
		s->rec_failed = true;
		s->rec_error = ESTALE;
	}
}

/* One session whose recording failed mid-way: ends it (required) or marks it. */
static void rec_failed_now(struct session *s)
{
	struct store_recording r;
	char why[STORE_REASON_MAX];

	s->rec_failed_handled = true;
	snprintf(why, sizeof(why), "the session's recording failed: %s",
		 s->rec_error == ESTALE ? "spgate-dp lost it (restarted?)" : strerror(s->rec_error));
	if (store_recording_get(s->m->env.store, s->rec_id, &r) == 0) {
		r.state = STORE_REC_FAILED;
		snprintf(r.error, sizeof(r.error), "%s", why);
		store_recording_update(s->m->env.store, &r);
		rec_audit(s, &r, "recording_failed", "failed", why);
	}
	if (s->rec_required)
		sess_end(s, STORE_SESSION_FAILED, "recording", SESS_ACTOR_SYSTEM, "%s (the customer requires recording)",
			 why);
}

void sess_record_act(struct session_mgr *m)
{
	struct session *s, *tmp;

	TAILQ_FOREACH_SAFE(s, &m->all, all, tmp)
		if (s->rec_failed && !s->rec_failed_handled && !s->ending && store_session_state_live(s->row.state))
			rec_failed_now(s);
}

void sess_record_restore(struct session *s)
{
	struct store_recording r;
	struct store_customer c;

	if (store_recording_of_session(s->m->env.store, s->row.id, &r) != 0 || r.state != STORE_REC_RECORDING)
		return;
	s->rec_id = r.id;
	s->rec_required = sess_customer(s, &c) == 0 && c.recording == STORE_RECORDING_REQUIRED;
	s->row.recorded = true;
}
