/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session recordings (issue 15): `recordings [--session ID | --serial S]` lists them,
 * `recording export ID > FILE` writes one to stdout as the gateway keeps it: the CMS file
 * sealed to the customer (open it with `openssl cms -decrypt -inform DER -inkey KEY`) or,
 * for a customer without a recording certificate, the pcapng itself.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "grant.h"

static const char recordings_usage[] =
	"usage: spgatectl recordings [--session ID | --serial S]\n"
	"\n"
	"Lists session recordings: an engineer those of their own sessions, operators and\n"
	"privileged engineers all. Table: ID SESSION SERIAL USER STATE SEALED BYTES PACKETS\n"
	"DROPPED ENDED SHA256 (the SHA-256 of the file kept, as in the audit trail).\n";

int ctl_cmd_recordings(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt o[] = {{"session", true, NULL, false}, {"serial", true, NULL, false},
				 {NULL, false, NULL, false}};
	uint64_t id = 0;
	json_t *req;
	int n_pos, rc;

	rc = ctl_parse("recordings", recordings_usage, argc, argv, o, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (o[0].seen && o[1].seen)
		return spgctl_usage_error("recordings", "give --session or --serial, not both");
	if (o[0].seen && !ctl_arg_id("recordings", "--session", o[0].value, &id))
		return SPGCTL_EXIT_USAGE;
	req = json_pack("{s:s}", "op", "recordings");
	if (o[0].seen)
		json_object_set_new(req, "session", json_integer((json_int_t)id));
	if (o[1].seen && json_object_set_new(req, "serial", json_string(o[1].value)) != 0) {
		json_decref(req);
		return spgctl_usage_error("recordings", "--serial: not UTF-8 text");
	}
	return ctl_call_list(ctl, "recordings", CTL_ROUTE_USER, req, "recordings", ctl_print_recordings);
}

static const char export_usage[] =
	"usage: spgatectl recording export ID > FILE\n"
	"\n"
	"Writes recording ID to stdout (not to a terminal): the CMS file sealed to the customer's\n"
	"recording certificate (DER; `openssl cms -decrypt -inform DER -in FILE -inkey KEY -out\n"
	"R.pcapng` opens it) or, when the customer has none, the pcapng. For operators, and for\n"
	"engineers' own sessions where recordings.engineers_may_export allows. Audited.\n";

static int write_all(const uint8_t *data, size_t len)
{
	if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
		perror("spgatectl: recording export: stdout");
		return SPGCTL_EXIT_UNREACHABLE;
	}
	return SPGCTL_EXIT_OK;
}

static int cmd_export(struct spgctl *ctl, int argc, char **argv)
{
	struct ctl_api api;
	json_t *rep = NULL;
	const char *b64;
	uint8_t *data;
	char *pos[1];
	size_t len;
	uint64_t id;
	int n_pos, rc;

	rc = ctl_parse("recording export", export_usage, argc, argv, NULL, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != 1)
		return spgctl_usage_error("recording export", "missing ID");
	if (!ctl_arg_id("recording export", "ID", pos[0], &id))
		return SPGCTL_EXIT_USAGE;
	if (isatty(STDOUT_FILENO))
		return spgctl_usage_error("recording export", "stdout is a terminal: redirect it to a file");
	rc = ctl_api_open(&api, ctl, "recording export", CTL_ROUTE_USER);
	if (rc != 0)
		return rc;
	rc = ctl_api_call(&api, json_pack("{s:s, s:I}", "op", "recording_export", "id", (json_int_t)id), &rep);
	if (rc == 0) {
		b64 = json_string_value(json_object_get(rep, "data"));
		data = b64 != NULL ? spg_base64_decode(b64, strlen(b64), &len) : NULL;
		if (data == NULL) {
			rc = ctl_api_malformed(&api, "no base64 \"data\"");
		} else {
			rc = write_all(data, len);
			free(data);
		}
	}
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

static const char recording_usage[] =
	"usage: spgatectl recording <command> [args]\n"
	"\n"
	"Commands:\n"
	"  export ID   write recording ID to stdout (sealed CMS, or pcapng)\n";

static const struct spgctl_cmd recording_cmds[] = {
	{"export", cmd_export, "write a recording to stdout"},
	{NULL, NULL, NULL},
};

int ctl_cmd_recording(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "recording", recording_cmds, argc, argv, recording_usage);
}
