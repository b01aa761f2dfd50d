/* SPDX-License-Identifier: BSD-3-Clause */
/* `spgatectl login | logout | whoami`: the engineer's token, like `tsh login`. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"
#include "output.h"

#define PASSWORD_MAX 1024

/* ---- reading a password without echo ---- */

static int tty_fd = -1;
static struct termios tty_saved;

/* Echo back on before dying of a signal that arrived at the password prompt. */
static void restore_tty(int sig)
{
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	signal(sig, SIG_DFL);
	raise(sig);
}

bool ctl_read_secret(const char *prompt, char *buf, size_t size)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
	struct sigaction sa = {.sa_handler = restore_tty}, old[5];
	struct termios quiet;
	size_t len = 0, i;
	bool ok = true;
	ssize_t n;
	char c;

	tty_fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty_fd < 0)
		return false;
	if (tcgetattr(tty_fd, &tty_saved) < 0) {
		close(tty_fd);
		return false;
	}
	for (i = 0; i < 5; i++)
		sigaction(sigs[i], &sa, &old[i]);
	quiet = tty_saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK);
	quiet.c_lflag |= ECHONL;
	if (write(tty_fd, prompt, strlen(prompt)) < 0 || tcsetattr(tty_fd, TCSAFLUSH, &quiet) < 0)
		ok = false;
	while (ok && (n = read(tty_fd, &c, 1)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || c == '\n' || c == '\r')
			break;
		if (len + 1 < size)
			buf[len++] = c;
	}
	buf[len] = '\0';
	tcsetattr(tty_fd, TCSAFLUSH, &tty_saved);
	for (i = 0; i < 5; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(tty_fd);
	tty_fd = -1;
	return ok;
}

static const char *local_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && u[0] != '\0')
		return u;
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : NULL;
}

/* "2024-05-01 20:00:00 (in 7h59m)" */
static const char *fmt_expiry(time_t expires, char *buf, size_t size)
{
	json_t *o = json_pack("{s:I}", "t", (json_int_t)expires);
	char when[64], left[24];

	ctl_fmt_time(o, "t", when, sizeof(when));
	json_decref(o);
	if (expires > time(NULL))
		snprintf(buf, size, "%s (in %s)", when,
			 out_fmt_age((uint64_t)(expires - time(NULL)) * 1000, left, sizeof(left)));
	else
		snprintf(buf, size, "%s (expired)", when);
	return buf;
}

/* ---- login ---- */

static const char login_usage[] =
	"usage: spgatectl [--server HOST:PORT] [--ca FILE] login [--user NAME] [--otp-file FILE]\n"
	"\n"
	"Logs in to spgate-control over TLS and keeps the token, with the server, the CA file\n"
	"and the expiry, in $SPGATE_TOKEN_FILE or ~/.config/spgate/token (mode 0600), so that\n"
	"later commands need none of them. The password is read from the terminal without\n"
	"echo, or from $SPGATE_PASSWORD (for scripts).\n"
	"\n"
	"When the server asks for a second factor (a TOTP code, or a RADIUS server's challenge,\n"
	"perhaps several), its prompt is shown and the answer read without echo, or taken from\n"
	"$SPGATE_OTP (the first answer) or --otp-file (one answer a line, in order).\n"
	"\n"
	"  --user NAME       who to log in as (default: the local user name)\n"
	"  --otp-file FILE   the answers to the second-factor prompts, one a line\n";

static int login_reply(struct ctl_api *api, json_t *rep, const char *user)
{
	const char *token = json_string_value(json_object_get(rep, "token"));
	json_t *expires = json_object_get(rep, "expires");
	const char *who = json_string_value(json_object_get(rep, "user"));
	struct ctl_token t = {0};
	char err[600], when[128], groups[512];
	int rc;

	if (token == NULL || !json_is_integer(expires))
		return ctl_api_malformed(api, "no \"token\" and \"expires\" in the login reply");
	t.token = (char *)token;
	t.server = api->server;
	t.ca = api->ca;
	t.user = (char *)(who != NULL ? who : user);
	t.expires = (time_t)json_integer_value(expires);
	rc = ctl_token_save(&t, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "spgatectl: login: %s\n", err);
		return SPGCTL_EXIT_USAGE;
	}
	if (api->ctl->json) {
		json_object_del(rep, "ok");
		json_object_del(rep, "token");
		json_object_set_new(rep, "server", json_string(api->server));
		ctl_print_json(rep);
		return SPGCTL_EXIT_OK;
	}
	printf("logged in to %s as %s (groups: %s%s%s)\n", api->server, t.user,
	       ctl_text(rep, "groups", groups, sizeof(groups)),
	       json_is_string(json_object_get(rep, "second_factor")) ? "; second factor: " : "",
	       json_is_string(json_object_get(rep, "second_factor"))
		       ? json_string_value(json_object_get(rep, "second_factor"))
		       : "");
	printf("token valid until %s\n", fmt_expiry(t.expires, when, sizeof(when)));
	return SPGCTL_EXIT_OK;
}

#define LOGIN_MAX_ROUNDS 8 /* the server stops at 5; a client that loops must stop too */

/*
 * Answers the server's challenges ({"challenge":{"id","prompt"}} in *rep) until it sends a
 * token or refuses. Returns 0 with *rep the token reply, or the exit code.
 */
static int login_challenges(struct ctl_api *api, const char *user, const char *otp_file, json_t **rep)
{
	char code[CTL_CODE_MAX], id[64], prompt[300];
	unsigned round;
	json_t *ch, *req;
	bool tty = false;
	int rc = 0;

	for (round = 1; (ch = json_object_get(*rep, "challenge")) != NULL; round++) {
		if (!json_is_string(json_object_get(ch, "id")) || round > LOGIN_MAX_ROUNDS)
			return ctl_api_malformed(api, "a challenge without an \"id\", or too many of them");
		snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(ch, "id")));
		snprintf(prompt, sizeof(prompt), "%s",
			 json_is_string(json_object_get(ch, "prompt")) ? json_string_value(json_object_get(ch, "prompt"))
								     : "Code: ");
		json_decref(*rep);
		*rep = NULL;
		rc = ctl_read_code("login", prompt, round, otp_file, code, sizeof(code), &tty);
		if (rc == 0 && tty)
			rc = ctl_api_reopen(api);
		if (rc != 0)
			break;
		req = json_pack("{s:s, s:s, s:s, s:s}", "op", "login", "user", user, "challenge", id, "response",
				code);
		explicit_bzero(code, sizeof(code));
		rc = ctl_api_call(api, req, rep);
		if (rc != 0)
			break;
	}
	explicit_bzero(code, sizeof(code));
	return rc;
}

int ctl_cmd_login(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{"user", true, NULL, false}, {"otp-file", true, NULL, false},
				    {NULL, false, NULL, false}};
	char password[PASSWORD_MAX], prompt[CTL_SERVER_MAX + 300];
	const char *user, *env_password;
	struct ctl_api api;
	json_t *req, *rep = NULL;
	int n_pos, rc;

	rc = ctl_parse("login", login_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (ctl_global_options()->operator_mode)
		return spgctl_usage_error("login", "--operator: operators need no login (their socket is their credential)");
	user = opts[0].seen ? opts[0].value : local_user();
	if (user == NULL || user[0] == '\0')
		return spgctl_usage_error("login", "--user: %s", user == NULL ? "no local user name; give one" : "empty");
	/* Connect first: a wrong server or CA shows before the password is typed. */
	rc = ctl_api_open(&api, ctl, "login", CTL_ROUTE_LOGIN);
	if (rc != 0)
		return rc;
	env_password = getenv("SPGATE_PASSWORD");
	if (env_password != NULL) {
		snprintf(password, sizeof(password), "%s", env_password);
	} else {
		snprintf(prompt, sizeof(prompt), "Password for %s at %s: ", user, api.server);
		if (!ctl_read_secret(prompt, password, sizeof(password))) {
			rc = spgctl_usage_error("login", "no terminal to read the password from; set SPGATE_PASSWORD");
			goto out;
		}
		/* The server closes connections that stay unauthenticated for a few seconds
		 * (engineer_api.handshake_timeout): typing took longer, so connect anew. */
		rc = ctl_api_reopen(&api);
		if (rc != 0) {
			explicit_bzero(password, sizeof(password));
			goto out;
		}
	}
	req = json_pack("{s:s, s:s, s:s, s:b}", "op", "login", "user", user, "password", password, "mfa", 1);
	explicit_bzero(password, sizeof(password));
	if (req == NULL) {
		rc = spgctl_usage_error("login", "--user: \"%s\" or the password is not UTF-8", user);
		goto out;
	}
	rc = ctl_api_call(&api, req, &rep);
	if (rc == 0)
		rc = login_challenges(&api, user, opts[1].seen ? opts[1].value : NULL, &rep);
	if (rc == 0)
		rc = login_reply(&api, rep, user);
out:
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}

/* ---- logout ---- */

static const char logout_usage[] =
	"usage: spgatectl logout\n"
	"\n"
	"Ends the saved token on the server (spgate-control refuses it from now on, also after a\n"
	"restart), then forgets it (deletes the token file). When the server cannot be reached\n"
	"the file is deleted all the same, and the exit code (3) says the token may still be\n"
	"valid until it expires.\n";

/* Asks the server to revoke the saved token. 0, or the exit code after printing why. */
static int logout_on_server(struct spgctl *ctl)
{
	struct ctl_api api;
	json_t *rep = NULL;
	int rc;

	rc = ctl_api_open(&api, ctl, "logout", CTL_ROUTE_USER);
	if (rc != 0)
		return rc;
	rc = ctl_api_call(&api, json_pack("{s:s}", "op", "logout"), &rep);
	json_decref(rep);
	ctl_api_close(&api);
	/* unauthorized: expired or revoked already, which is what logout wants */
	return rc == SPGCTL_EXIT_LOGIN ? 0 : rc;
}

int ctl_cmd_logout(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct ctl_token tok;
	char err[600], path[4096];
	int n_pos, rc, server_rc = 0;

	rc = ctl_parse("logout", logout_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	if (ctl_token_load(&tok, err, sizeof(err)) < 0)
		tok.server = NULL;
	else
		server_rc = logout_on_server(ctl);
	rc = ctl_token_remove(err, sizeof(err));
	if (rc < 0 && rc != -ENOENT) {
		fprintf(stderr, "spgatectl: logout: %s\n", err);
		ctl_token_clear(&tok);
		return SPGCTL_EXIT_USAGE;
	}
	if (ctl->json)
		printf("{\"logged_out\":%s,\"revoked\":%s}\n", rc == 0 ? "true" : "false",
		       rc == 0 && server_rc == 0 ? "true" : "false");
	else if (rc == -ENOENT)
		printf("not logged in (no token file %s)\n", ctl_token_path(path, sizeof(path)) ? path : "");
	else
		printf("logged out%s%s%s\n", tok.server != NULL ? " of " : "", tok.server != NULL ? tok.server : "",
		       server_rc == 0 ? "" : " (locally only: the server did not revoke the token)");
	ctl_token_clear(&tok);
	return server_rc;
}

/* ---- whoami ---- */

static const char whoami_usage[] =
	"usage: spgatectl [--operator] whoami\n"
	"\n"
	"Asks spgate-control who the saved token (or, with --operator, the socket) stands for:\n"
	"user, groups, role and when the token expires.\n";

int ctl_cmd_whoami(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	char buf[512], when[128];
	struct ctl_api api;
	json_t *rep = NULL, *expires;
	int n_pos, rc;

	rc = ctl_parse("whoami", whoami_usage, argc, argv, opts, NULL, 0, &n_pos);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	rc = ctl_api_open(&api, ctl, "whoami", CTL_ROUTE_USER);
	if (rc != 0)
		return rc;
	rc = ctl_api_call(&api, json_pack("{s:s}", "op", "whoami"), &rep);
	if (rc != 0)
		goto out;
	if (ctl->json) {
		json_object_del(rep, "ok");
		ctl_print_json(rep);
		goto out;
	}
	out_kv(stdout, "user", "%s", ctl_text(rep, "user", buf, sizeof(buf)));
	out_kv(stdout, "groups", "%s", ctl_text(rep, "groups", buf, sizeof(buf)));
	out_kv(stdout, "role", "%s", ctl_text(rep, "role", buf, sizeof(buf)));
	if (json_object_get(rep, "privileged") != NULL)
		out_kv(stdout, "privileged", "%s", ctl_text(rep, "privileged", buf, sizeof(buf)));
	expires = json_object_get(rep, "expires");
	if (json_is_integer(expires))
		out_kv(stdout, "expires", "%s", fmt_expiry((time_t)json_integer_value(expires), when, sizeof(when)));
	out_kv(stdout, api.engineer ? "server" : "socket", "%s", ctl_api_where(&api));
out:
	json_decref(rep);
	ctl_api_close(&api);
	return rc;
}
