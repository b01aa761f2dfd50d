/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whether spgate-control owns a dataplane session, for `dp session del`: spgate-dp does not
 * know who added a session, but spgate-control does, and answers on its operator socket.
 * Its session ids are spgate-dp's; a session it has as keyed, active or closing is one it
 * installed in spgate-dp and re-adds (rekeyed) when it goes missing (sessions.reconcile).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "ctl_client.h"
#include "dp_owner.h"

static const char *owner_socket(void)
{
	const struct ctl_global *g = ctl_global_options();
	const char *path = g != NULL ? g->control_socket : NULL;

	if (path == NULL)
		path = getenv("SPGATE_CONTROL_SOCKET");
	return path != NULL && path[0] != '\0' ? path : CTL_CONTROL_SOCKET_DEFAULT;
}

/* The states in which spgate-control has the session in spgate-dp (control/session_restore.c). */
static bool state_in_dp(const char *state)
{
	return strcmp(state, "keyed") == 0 || strcmp(state, "active") == 0 || strcmp(state, "closing") == 0;
}

static enum dp_owner owner_from_reply(const json_t *rep, uint64_t id, char *state, size_t statelen, char *err,
				      size_t errlen)
{
	const char *code = json_string_value(json_object_get(rep, "error"));
	const char *st = json_string_value(json_object_get(json_object_get(rep, "session"), "state"));

	if (json_is_true(json_object_get(rep, "ok")) && st != NULL) {
		snprintf(state, statelen, "%s", st);
		return state_in_dp(st) ? DP_OWNER_CONTROL : DP_OWNER_NONE;
	}
	if (code != NULL && strcmp(code, "not_found") == 0)
		return DP_OWNER_NONE;
	snprintf(err, errlen, "spgate-control answered about session %" PRIu64 ": %s", id,
		 code != NULL ? code : "a malformed reply");
	return DP_OWNER_UNKNOWN;
}

enum dp_owner dp_session_owner(uint64_t id, int timeout_ms, char *state, size_t statelen, char *err, size_t errlen)
{
	const char *path = owner_socket();
	enum dp_owner owner = DP_OWNER_UNKNOWN;
	struct ctl_conn *c;
	char line[96], why[256];
	size_t rep_len = 0;
	json_t *rep;
	char *text;
	int n;

	state[0] = '\0';
	c = ctl_conn_unix(path, timeout_ms, why, sizeof(why));
	if (c == NULL) {
		snprintf(err, errlen, "%s", why);
		return DP_OWNER_UNKNOWN;
	}
	n = snprintf(line, sizeof(line), "{\"op\":\"session\",\"id\":%" PRIu64 "}", id);
	text = ctl_conn_call(c, line, (size_t)n, &rep_len, why, sizeof(why));
	if (text == NULL) {
		snprintf(err, errlen, "%s", why);
	} else {
		rep = json_loadb(text, rep_len, 0, NULL);
		if (rep == NULL)
			snprintf(err, errlen, "spgate-control's reply at %s is not JSON", path);
		else
			owner = owner_from_reply(rep, id, state, statelen, err, errlen);
		json_decref(rep);
		ctl_conn_free_reply(text, rep_len);
	}
	ctl_conn_close(c);
	return owner;
}
