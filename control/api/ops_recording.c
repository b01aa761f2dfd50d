/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The recording ops (issue 15): recordings (a list, filtered by session or serial) and
 * recording_export (the file itself, base64 in the reply: the sealed CMS file when the
 * customer has a recording certificate, else the plain pcapng). Engineers list the
 * recordings of their own sessions; privileged engineers and operators all of them.
 * Exporting is for operators, and for an engineer's own sessions only when
 * recordings.engineers_may_export is set, and for the approvers of the session's customer (the
 * web console's download). Every export is audited with the file's SHA-256.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/json.h"
#include "api/ops.h"
#include "approval.h"
#include "grant.h"
#include "recording.h"

/* What fits a spgatectl reply (64 MiB) once base64 has grown it by a third. */
#define REC_EXPORT_MAX (32u * 1024 * 1024)

static json_t *recording_json(const struct store_recording *r)
{
	json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:b,s:s,s:I,s:I,s:I,s:s,s:I,s:I}", "id", (json_int_t)r->id,
			      "session", (json_int_t)r->session_id, "serial", r->serial, "customer", r->customer,
			      "user", r->user, "state", store_rec_state_name(r->state), "sealed", r->sealed, "sha256",
			      r->sha256, "bytes", (json_int_t)r->bytes, "packets", (json_int_t)r->packets, "dropped",
			      (json_int_t)r->dropped, "error", r->error, "started", (json_int_t)r->started, "ended",
			      (json_int_t)r->ended);

	if (o != NULL && r->ended == 0)
		json_object_set_new(o, "ended", json_null()); /* still recording */
	return o != NULL ? o : json_object();
}

struct rec_list {
	struct api_req *r;
	json_t *list;
	bool approvable; /* only recordings of sessions the caller may approve (their customers') */
};

/* An approver's customers' recordings: the sessions approve and deny let them decide on. */
static bool may_approve(struct api_req *r, int64_t session_id)
{
	return approval_may_decide(r->ctx->store, r->ctx->cfg, r->who.group_ptrs, r->who.n_groups, session_id);
}

static int list_one(const struct store_recording *rec, void *arg)
{
	struct rec_list *l = arg;

	if (l->approvable && !may_approve(l->r, rec->session_id))
		return 0;
	json_array_append_new(l->list, recording_json(rec));
	return 0;
}

json_t *api_op_recordings(struct api_req *r)
{
	struct store_recording_filter f = {NULL, NULL, 0};
	struct rec_list l = {r, NULL, false};
	uint64_t session = 0;
	json_t *err = NULL, *reply;
	int ret;

	if (api_arg_uint_opt(r->args, "session", INT64_MAX, &session, &err) != 0 ||
	    api_arg_string_opt(r->args, "serial", &f.serial, &err) != 0 ||
	    api_arg_bool_opt(r->args, "approvable", &l.approvable, &err) != 0)
		return err;
	f.session_id = (int64_t)session;
	/* an engineer sees their own sessions' recordings, like their sessions; an approver
	 * (approvable) their customers' */
	if (!r->who.privileged && !l.approvable)
		f.user = r->who.user;
	l.list = json_array();
	ret = store_recording_foreach(r->ctx->store, &f, list_one, &l);
	if (ret != 0) {
		json_decref(l.list);
		return api_json_error(API_E_INTERNAL, "cannot list recordings: %s", strerror(-ret));
	}
	reply = api_json_ok();
	json_object_set_new(reply, "recordings", l.list);
	return reply;
}

/* Reads the whole file (at most REC_EXPORT_MAX bytes); malloc'd, or NULL with errno set. */
static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	size_t got = 0;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	err = fstat(fd, &sb) != 0 ? errno : !S_ISREG(sb.st_mode) ? EINVAL : (uint64_t)sb.st_size > REC_EXPORT_MAX ? EFBIG : 0;
	if (err != 0) {
		close(fd);
		errno = err;
		return NULL;
	}
	buf = malloc((size_t)sb.st_size + 1);
	while (buf != NULL && got < (size_t)sb.st_size && (n = read(fd, buf + got, (size_t)sb.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	return buf;
}

static json_t *export_refused(struct api_req *r, const struct store_recording *rec)
{
	if (r->who.role == API_ROLE_OPERATOR)
		return NULL;
	/* the customer's approver takes the customer's own (sealed) recordings home */
	if (strcmp(rec->user, r->who.user) != 0 && may_approve(r, rec->session_id))
		return api_approver_factor(r, rec->customer, "recording_export");
	if (strcmp(rec->user, r->who.user) != 0 && !r->who.privileged)
		return api_json_error(API_E_NOT_FOUND, "no recording %" PRId64, rec->id);
	if (!r->ctx->cfg->recordings.engineers_may_export)
		return api_json_error(API_E_FORBIDDEN,
				      "engineers may list recordings but not export them "
				      "(recordings.engineers_may_export): ask an operator");
	return NULL;
}

static void export_audit(struct api_req *r, const struct store_recording *rec, const char *result, const char *why)
{
	json_t *d = json_pack("{s:I,s:I,s:s,s:b}", "recording", (json_int_t)rec->id, "session",
			      (json_int_t)rec->session_id, "sha256", rec->sha256, "sealed", rec->sealed);
	char *text;

	if (d != NULL && why != NULL)
		json_object_set_new(d, "error", json_string(why));
	text = d != NULL ? json_dumps(d, JSON_COMPACT) : NULL;
	api_audit(r, "recording_export", rec->serial, result, text);
	free(text);
	json_decref(d);
}

json_t *api_op_recording_export(struct api_req *r)
{
	struct store_recording rec;
	json_t *err = NULL, *reply;
	uint8_t *data;
	char *b64;
	size_t len = 0;
	uint64_t id;

	if (api_arg_id(r->args, "id", &id, &err) != 0)
		return err;
	if (id > INT64_MAX || store_recording_get(r->ctx->store, (int64_t)id, &rec) != 0)
		return api_json_error(API_E_NOT_FOUND, "no recording %" PRIu64, id);
	err = export_refused(r, &rec);
	if (err != NULL) {
		export_audit(r, &rec, "forbidden", NULL);
		return err;
	}
	if (rec.state == STORE_REC_RECORDING || rec.state == STORE_REC_DELETED)
		return api_json_error(API_E_BAD_REQUEST, "recording %" PRIu64 " is %s: nothing to export", id,
				      store_rec_state_name(rec.state));
	data = read_file(rec.path, &len);
	if (data == NULL) {
		export_audit(r, &rec, "failed", strerror(errno));
		return api_json_error(errno == EFBIG ? API_E_BAD_REQUEST : API_E_INTERNAL,
				      "cannot export recording %" PRIu64 " (%s): %s%s", id, rec.path, strerror(errno),
				      errno == EFBIG ? ": copy the file from the gateway instead" : "");
	}
	b64 = spg_base64_encode(data, len);
	free(data);
	if (b64 == NULL)
		return api_json_error(API_E_INTERNAL, "out of memory");
	export_audit(r, &rec, "ok", NULL);
	reply = api_json_ok();
	json_object_set_new(reply, "recording", recording_json(&rec));
	json_object_set_new(reply, "format", json_string(rec.sealed ? "cms-der" : "pcapng"));
	json_object_set_new(reply, "data", json_string(b64));
	free(b64);
	return reply;
}
