/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `spgatectl mfa enroll | verify | reset` (issue 16) and the reading of second-factor codes
 * that login and connect's step-up share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "ctl.h"
#include "output.h"

int ctl_read_code(const char *cmd, const char *prompt, unsigned round, const char *otp_file, char *buf,
		  size_t size, bool *from_tty)
{
	const char *env = getenv("SPGATE_OTP");
	unsigned line = 0;
	FILE *f;

	*from_tty = false;
	buf[0] = '\0';
	if (otp_file != NULL) {
		f = fopen(otp_file, "re");
		if (f == NULL)
			return spgctl_usage_error(cmd, "--otp-file %s: %s", otp_file, strerror(errno));
		while (line < round && fgets(buf, (int)size, f) != NULL)
			line++;
		fclose(f);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (line == round)
			return 0;
		explicit_bzero(buf, size);
		return spgctl_usage_error(cmd, "--otp-file %s has no line %u for the prompt \"%s\"", otp_file, round,
					  prompt);
	}
	if (env != NULL && round == 1) {
		snprintf(buf, size, "%s", env);
		return 0;
	}
	if (!ctl_read_secret(prompt, buf, size))
		return spgctl_usage_error(cmd, "no terminal for the prompt \"%s\"; set SPGATE_OTP or give --otp-file",
					  prompt);
	*from_tty = true;
	return 0;
}

int ctl_step_up_code(struct ctl_api *api, const json_t *rep, const char *otp_file, char *buf, size_t size)
{
	const char *msg = json_string_value(json_object_get(rep, "message"));
	bool tty;
	int rc;

	fprintf(stderr, "spgatectl: %s: %s\n", api->cmd, msg != NULL ? msg : "a fresh second-factor code is needed");
	rc = ctl_read_code(api->cmd, "Authenticator code: ", 1, otp_file, buf, size, &tty);
	if (rc != 0 && api->ctl->json)
		ctl_print_json(rep); /* scripts see the refusal as any other */
	if (rc == 0 && tty)
		rc = ctl_api_reopen(api);
	return rc;
}

/* ---- mfa enroll ---- */

static const char mfa_usage[] =
	"usage: spgatectl mfa enroll [--algorithm SHA1|SHA256]\n"
	"       spgatectl mfa verify CODE\n"
	"       spgatectl --operator mfa reset USER\n"
	"\n"
	"A TOTP second factor (RFC 6238: 6 digits, 30 s) for logging in to spgate-control.\n"
	"  enroll   makes a new secret and prints its otpauth:// URI and a QR code for an\n"
	"           authenticator app; it counts only once `mfa verify` gave a code of it.\n"
	"           Refused when a factor is enrolled already: only an operator can reset it.\n"
	"  verify   confirms the enrolment with a code the app shows; from the next login on\n"
	"           the server asks for a code after the password.\n"
	"  reset    (operators) removes USER's factor, e.g. a lost phone; audited.\n";

/* The QR code in the terminal, two modules a character row (Unicode half blocks). */
static void print_qr(const char *uri)
{
	static const char *const cells[4] = {" ", "\u2584", "\u2580", "\u2588"};
	QRcode *qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int x, y, w, q = 2;

	if (qr == NULL) {
		fprintf(stderr, "spgatectl: mfa enroll: cannot draw the QR code (%s); type the secret instead\n",
			strerror(errno));
		return;
	}
	w = qr->width;
	/* Light modules are drawn, dark ones left blank: readable on a dark terminal, with a
	 * quiet zone of q modules. */
	for (y = -q; y < w + q; y += 2) {
		for (x = -q; x < w + q; x++) {
			bool top = y >= 0 && y < w && x >= 0 && x < w && (qr->data[y * w + x] & 1);
			bool bottom = y + 1 >= 0 && y + 1 < w && x >= 0 && x < w && (qr->data[(y + 1) * w + x] & 1);

			fputs(cells[(!top) << 1 | (!bottom)], stdout);
		}
		putchar('\n');
	}
	QRcode_free(qr);
}

static int cmd_mfa_enroll(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "mfa enroll";
	struct spgctl_opt opts[] = {{"algorithm", true, NULL, false}, {NULL, false, NULL, false}};
	const char *uri, *secret;
	struct ctl_api api;
	json_t *req, *rep = NULL;
	int n_pos, rc;

	rc = ctl_parse(cmd, mfa_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (opts[0].seen && strcmp(opts[0].value, "SHA1") != 0 && strcmp(opts[0].value, "SHA256") != 0)
		return spgctl_usage_error(cmd, "--algorithm: \"%s\" is not SHA1 or SHA256", opts[0].value);
	rc = ctl_api_open(&api, ctl, cmd, CTL_ROUTE_USER);
	if (rc != 0)
		return rc;
	req = json_pack("{s:s}", "op", "mfa_enroll");
	if (req != NULL && opts[0].seen)
		json_object_set_new(req, "algorithm", json_string(opts[0].value));
	rc = ctl_api_call(&api, req, &rep);
	uri = json_string_value(json_object_get(rep, "uri"));
	secret = json_string_value(json_object_get(rep, "secret"));
	if (rc == 0 && (uri == NULL || secret == NULL)) {
		rc = ctl_api_malformed(&api, "no \"uri\" and \"secret\" in the reply");
	} else if (rc == 0 && ctl->json) {
		json_object_del(rep, "ok");
		ctl_print_json(rep);
	} else if (rc == 0) {
		print_qr(uri);
		printf("%s\n\nsecret (to type in): %s\n", uri, secret);
		printf("scan it or type it into an authenticator app, then confirm with: spgatectl mfa verify CODE\n");
	}
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

/* What a one-argument command prints on success: rep is the reply, arg the argument. */
typedef void mfa_print_fn(const struct spgctl *ctl, const json_t *rep, const char *arg);

/*
 * mfa verify and mfa reset: one positional argument (missing: the error when there is none),
 * sent as member key of op; print runs on success.
 */
static int mfa_call_with_arg(struct spgctl *ctl, int argc, char **argv, const char *cmd,
			     const char *missing, enum ctl_route route, const char *op,
			     const char *key, mfa_print_fn *print)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct ctl_api api;
	json_t *rep = NULL;
	char *pos[1];
	int n_pos, rc;

	rc = ctl_parse(cmd, mfa_usage, argc, argv, opts, pos, 1, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (n_pos != 1)
		return spgctl_usage_error(cmd, "%s", missing);
	rc = ctl_api_open(&api, ctl, cmd, route);
	if (rc != 0)
		return rc;
	rc = ctl_api_call(&api, json_pack("{s:s, s:s}", "op", op, key, pos[0]), &rep);
	if (rc == 0)
		print(ctl, rep, pos[0]);
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

static void mfa_verify_print(const struct spgctl *ctl, const json_t *rep, const char *code)
{
	(void)rep;
	(void)code;
	if (ctl->json)
		printf("{\"enrolled\":true}\n");
	else
		printf("second factor enrolled: logins now ask for a code after the password\n");
}

static int cmd_mfa_verify(struct spgctl *ctl, int argc, char **argv)
{
	return mfa_call_with_arg(ctl, argc, argv, "mfa verify",
				 "missing CODE (what the authenticator app shows)", CTL_ROUTE_USER,
				 "mfa_verify", "code", mfa_verify_print);
}

static void mfa_reset_print(const struct spgctl *ctl, const json_t *rep, const char *user)
{
	if (ctl->json)
		ctl_print_json(rep);
	else
		printf("removed %s's second factor; they may enrol a new one\n", user);
}

static int cmd_mfa_reset(struct spgctl *ctl, int argc, char **argv)
{
	return mfa_call_with_arg(ctl, argc, argv, "mfa reset", "missing USER", CTL_ROUTE_OPERATOR,
				 "mfa_reset", "user", mfa_reset_print);
}

static const struct spgctl_cmd mfa_cmds[] = {
	{"enroll", cmd_mfa_enroll, "enrol a TOTP factor: URI and QR code"},
	{"verify", cmd_mfa_verify, "confirm the enrolment with a code"},
	{"reset", cmd_mfa_reset, "remove a user's factor (operator)"},
	{NULL, NULL, NULL},
};

int ctl_cmd_mfa(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "mfa", mfa_cmds, argc, argv, mfa_usage);
}
