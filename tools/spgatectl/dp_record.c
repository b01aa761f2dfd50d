/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `spgatectl dp session record ID --file PATH [--comment TEXT]` and `... --stop`: start or
 * stop recording a session's packets to a pcapng file that spgate-dp creates (issue 15).
 * spgate-control does this itself for its sessions; this is for tests and operators.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dp_api.h"
#include "dp_cmds.h"
#include "output.h"
#include "spgatectl.h"

static const char record_usage[] =
	"usage: spgatectl dp session record ID --file PATH [--comment TEXT]\n"
	"       spgatectl dp session record ID --stop\n"
	"Starts recording session ID's packets to PATH, a pcapng file that spgate-dp creates\n"
	"(absolute; it must not exist; mode 0600). TEXT goes into the file's section header\n"
	"comment (\"key: value\" lines, '\\n' between them). --stop closes the file and prints\n"
	"what was written and dropped.\n";

static const char *const state_names[] = {
	[SPG_DP_RECORD_OFF] = "off",
	[SPG_DP_RECORD_ON] = "on",
	[SPG_DP_RECORD_LOSSY] = "lossy",
	[SPG_DP_RECORD_FAILED] = "failed",
};

const char *dp_record_state_name(uint32_t state)
{
	return state < sizeof(state_names) / sizeof(state_names[0]) ? state_names[state] : "unknown";
}

/* "\n" in TEXT as typed on a command line becomes a line break. */
static void unescape_newlines(char *dst, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; src[i] != '\0' && o < n - 1; i++) {
		if (src[i] == '\\' && src[i + 1] == 'n') {
			dst[o++] = '\n';
			i++;
		} else {
			dst[o++] = src[i];
		}
	}
	dst[o] = '\0';
}

static void print_rep(const struct spg_dp_record_rep *rep, bool json, bool stopped)
{
	struct out_json j;

	if (!json) {
		printf("session %" PRIu64 " recording %s: state %s", rep->id, stopped ? "stopped" : "started",
		       dp_record_state_name(rep->state));
		if (rep->state == SPG_DP_RECORD_FAILED)
			printf(" (%s)", strerror(rep->error));
		printf(", %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " dropped\n", rep->packets, rep->bytes,
		       rep->dropped);
		return;
	}
	out_json_init(&j, stdout);
	out_json_object_begin(&j, NULL);
	out_json_u64(&j, "id", rep->id);
	out_json_string(&j, "result", stopped ? "stopped" : "started");
	out_json_string(&j, "state", dp_record_state_name(rep->state));
	out_json_string(&j, "error", rep->error != 0 ? strerror(rep->error) : "");
	out_json_u64(&j, "packets", rep->packets);
	out_json_u64(&j, "bytes", rep->bytes);
	out_json_u64(&j, "dropped", rep->dropped);
	out_json_object_end(&j);
	out_json_finish(&j);
}

/* Checks the options into req; 0 or an exit code after a usage message. */
static int fill_request(struct spgctl_opt *opts, struct spg_dp_session_record_req *req)
{
	const char *cmd = "dp session record";
	struct spgctl_opt *file = &opts[0], *comment = &opts[1], *stop = &opts[2];

	if (stop->seen) {
		if (file->seen || comment->seen)
			return spgctl_usage_error(cmd, "--stop takes neither --file nor --comment");
		req->on = 0;
		return 0;
	}
	if (!file->seen)
		return spgctl_usage_error(cmd, "give --file PATH to start, or --stop");
	if (file->value[0] != '/')
		return spgctl_usage_error(cmd, "--file \"%s\" is not an absolute path", file->value);
	if (strlen(file->value) >= sizeof(req->path))
		return spgctl_usage_error(cmd, "--file is %zu bytes long, at most %zu allowed", strlen(file->value),
					  sizeof(req->path) - 1);
	if (comment->seen && strlen(comment->value) >= sizeof(req->comment))
		return spgctl_usage_error(cmd, "--comment is %zu bytes long, at most %zu allowed",
					  strlen(comment->value), sizeof(req->comment) - 1);
	req->on = 1;
	snprintf(req->path, sizeof(req->path), "%s", file->value);
	if (comment->seen)
		unescape_newlines(req->comment, comment->value, sizeof(req->comment));
	return 0;
}

int dp_cmd_session_record(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{"file", true, NULL, false},
				    {"comment", true, NULL, false},
				    {"stop", false, NULL, false},
				    {NULL, false, NULL, false}};
	struct spg_dp_session_record_req req;
	struct spg_dp_record_rep rep;
	char *pos[1];
	int n_pos, rc;

	rc = spgctl_parse("dp session record", argc, argv, opts, pos, 1, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(record_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	memset(&req, 0, sizeof(req));
	if (n_pos != 1)
		return spgctl_usage_error("dp session record", "missing session ID");
	if (!dp_arg_session_id("dp session record", "ID", pos[0], &req.id))
		return SPGCTL_EXIT_USAGE;
	rc = fill_request(opts, &req);
	if (rc != 0)
		return rc;
	rc = dp_call(ctl, "session record", SPG_DP_SESSION_RECORD, &req, sizeof(req), &rep, sizeof(rep), NULL);
	if (rc != 0)
		return rc;
	print_rep(&rep, ctl->json, req.on == 0);
	return SPGCTL_EXIT_OK;
}
