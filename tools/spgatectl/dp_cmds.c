/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `spgatectl dp ...`: talks to spgate-dp's control socket directly (dp_api.h). The command
 * handlers; their arguments are parsed in dp_args.c and the replies printed in dp_print.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dp_api.h"
#include "dp_client.h"
#include "dp_cmds.h"
#include "dp_owner.h"
#include "output.h"
#include "spgatectl.h"

/* ---- talking to the dataplane ---- */

/* The errno of the last refusal, for commands that explain it. */
static int last_refusal;

static int dp_connect(struct spgctl *ctl)
{
	int fd;

	if (ctl->dp_fd >= 0)
		return 0;
	fd = spg_dp_client_connect(ctl->dp_socket);
	if (fd < 0) {
		fprintf(stderr, "spgatectl: cannot reach the dataplane at %s: %s\n", ctl->dp_socket, strerror(-fd));
		return SPGCTL_EXIT_UNREACHABLE;
	}
	ctl->dp_fd = fd;
	return 0;
}

/*
 * One request and its reply. Returns 0, or the exit code after printing why: REFUSED with
 * "spgatectl: session add: File exists (EEXIST)", UNREACHABLE when no good reply came.
 */
int dp_call(struct spgctl *ctl, const char *what, uint16_t type, const void *body, size_t body_len,
		   void *rep, size_t rep_max, size_t *rep_len)
{
	const char *name;
	int reply_error = 0;
	int rc;

	rc = dp_connect(ctl);
	if (rc != 0)
		return rc;
	rc = spg_dp_client_request(ctl->dp_fd, type, body, body_len, rep, rep_max, rep_len, &reply_error,
				   ctl->timeout_ms);
	if (rc == -ETIMEDOUT) {
		fprintf(stderr, "spgatectl: %s: no reply from the dataplane at %s within %d ms\n", what,
			ctl->dp_socket, ctl->timeout_ms);
		return SPGCTL_EXIT_UNREACHABLE;
	}
	if (rc == -EBADMSG) {
		fprintf(stderr, "spgatectl: %s: malformed reply from the dataplane at %s\n", what, ctl->dp_socket);
		return SPGCTL_EXIT_UNREACHABLE;
	}
	if (rc < 0) {
		fprintf(stderr, "spgatectl: %s: lost the dataplane at %s: %s\n", what, ctl->dp_socket, strerror(-rc));
		return SPGCTL_EXIT_UNREACHABLE;
	}
	if (reply_error != 0) {
		last_refusal = reply_error;
		name = strerrorname_np(reply_error);
		fprintf(stderr, "spgatectl: %s: %s (%s)\n", what, strerror(reply_error), name != NULL ? name : "?");
		return SPGCTL_EXIT_REFUSED;
	}
	return 0;
}

/* ---- dp hello ---- */

static const char hello_usage[] =
	"usage: spgatectl dp hello\n"
	"Shows the dataplane's version, capacity, cipher and addresses.\n";

static int cmd_hello(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct spg_dp_hello_req req = {.client_version = SPG_DP_API_VERSION};
	struct spg_dp_hello_rep rep;
	int n_pos, rc;

	rc = spgctl_parse("dp hello", argc, argv, opts, NULL, 0, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(hello_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	snprintf(req.client_name, sizeof(req.client_name), "spgatectl");
	memset(&rep, 0, sizeof(rep));
	rc = dp_call(ctl, "hello", SPG_DP_HELLO, &req, sizeof(req), &rep, sizeof(rep), NULL);
	if (rc != 0)
		return rc;
	dp_print_hello(&rep, ctl->json);
	return SPGCTL_EXIT_OK;
}

/* ---- dp session add ---- */

/*
 * Replies carry only an errno; for the usual EINVALs the dataplane's own description says
 * why: the cipher's key length and the virtual pool.
 */
static void explain_add_einval(struct spgctl *ctl, const struct spg_dp_session_params *p)
{
	struct spg_dp_hello_req req = {.client_version = SPG_DP_API_VERSION, .client_name = "spgatectl"};
	struct spg_dp_hello_rep rep;
	char a[SPG_ADDR_STRLEN], pool[SPG_ADDR_STRLEN];
	uint32_t mask, host;
	int reply_error = 0;

	if (spg_dp_client_request(ctl->dp_fd, SPG_DP_HELLO, &req, sizeof(req), &rep, sizeof(rep), NULL,
				  &reply_error, ctl->timeout_ms) != 0 || reply_error != 0)
		return;
	if (p->sa_out.key_len != rep.key_len)
		fprintf(stderr, "spgatectl: the dataplane uses %u-byte keys (%u hex digits with the salt), not %u\n",
			rep.key_len, 2 * (rep.key_len + SPG_DP_SALT_LEN), p->sa_out.key_len);
	if (rep.pool_prefix_len > 32)
		return;
	mask = spg_prefix_mask((uint8_t)rep.pool_prefix_len);
	host = ntohl(p->virtual_addr & ~mask);
	if ((p->virtual_addr & mask) != (rep.pool_addr & mask) ||
	    (rep.pool_prefix_len <= 30 && (host == 0 || host == ntohl(~mask))))
		fprintf(stderr, "spgatectl: --virtual %s is not a host address of the virtual pool %s/%u\n",
			spg_addr_str(p->virtual_addr, a), spg_addr_str(rep.pool_addr, pool), rep.pool_prefix_len);
}

/*
 * EEXIST on an add: the id is asked after (a SESSION_GET); otherwise the address, the SPI or
 * the keys, which spgate-dp takes only once (dataplane/key_guard.h says why).
 */
static void explain_add_eexist(struct spgctl *ctl, const struct spg_dp_session_params *p)
{
	struct spg_dp_session_id_req req = {.id = p->id};
	struct spg_dp_session_get_rep rep;
	int reply_error = 0;

	if (spg_dp_client_request(ctl->dp_fd, SPG_DP_SESSION_GET, &req, sizeof(req), &rep, sizeof(rep), NULL,
				  &reply_error, ctl->timeout_ms) == 0 && reply_error == 0) {
		fprintf(stderr, "spgatectl: session %" PRIu64 " exists already\n", p->id);
		return;
	}
	fprintf(stderr, "spgatectl: refused: the virtual address or the inbound SPI is another session's, or a key\n"
			"spgatectl: was used before (the other direction's, a session's, or a deleted or rekeyed one's):\n"
			"spgatectl: spgate-dp installs a key only once, since every SA restarts its AES-GCM nonces at 1\n");
}

static const char session_add_usage[] =
	"usage: spgatectl dp session add --id N --virtual A.B.C.D --workstation A.B.C.D\n"
	"           --peer A.B.C.D[:PORT] --spi-out SPI --spi-in SPI --key-out HEX --key-in HEX\n"
	"           [--ports LIST] [--icmp-echo] [--rate-out RATE] [--rate-in RATE]\n"
	"           [--burst-out BYTES] [--burst-in BYTES]\n"
	"       spgatectl dp session add --batch FILE|-\n"
	"\n"
	"  --batch FILE        add many sessions over one connection: one session per line of FILE\n"
	"                      (- reads standard input), each line the options below; blank lines\n"
	"                      and lines starting with # are skipped; errors name FILE:LINE\n"
	"  --id N              session id (nonzero, unique)\n"
	"  --virtual A.B.C.D   the session's virtual address, inside the dataplane's pool\n"
	"  --workstation A.B.C.D  the only workstation that may use it\n"
	"  --peer A.B.C.D[:PORT]  the SP site's outer endpoint (port default 4500)\n"
	"  --spi-out SPI       SPI we encrypt with (decimal or 0x-hex, >= 256)\n"
	"  --spi-in SPI        SPI we decrypt with\n"
	"  --key-out HEX       key||salt as for Linux rfc4106(gcm(aes)): 40 hex digits\n"
	"                      (aes-128-gcm) or 72 (aes-256-gcm), optional 0x prefix\n"
	"  --key-in HEX        the same for the inbound SA\n"
	"  --ports LIST        allowed SP ports: tcp:22,tcp:8000-8100,udp:161 (at most 8) or none\n"
	"  --icmp-echo         allow ping to the SP\n"
	"  --rate-out RATE     vendor -> SP rate in bit/s, suffix k/m/g (x1000): 33600, 10m;\n"
	"                      0 = unlimited (default)\n"
	"  --rate-in RATE      SP -> vendor rate\n"
	"  --burst-out BYTES   token bucket size (default: dataplane's choice)\n"
	"  --burst-in BYTES\n";

static int cmd_session_add(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "dp session add";
	struct spg_dp_session_add_req req;
	struct spg_dp_session_params *p = &req.p;
	const char *batch = NULL;
	uint64_t id;
	int rc;

	memset(&req, 0, sizeof(req));
	rc = dp_arg_session_add(cmd, argc, argv, p, &batch);
	if (rc == SPGCTL_HELP) {
		fputs(session_add_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	if (batch != NULL)
		return dp_batch_add(ctl, batch);
	rc = dp_call(ctl, "session add", SPG_DP_SESSION_ADD, &req, sizeof(req), NULL, 0, NULL);
	if (rc == SPGCTL_EXIT_REFUSED && last_refusal == EINVAL)
		explain_add_einval(ctl, p);
	if (rc == SPGCTL_EXIT_REFUSED && last_refusal == EEXIST)
		explain_add_eexist(ctl, p);
	id = p->id;
	memset(&req, 0, sizeof(req)); /* keys */
	if (rc != 0)
		return rc;
	dp_print_done(ctl->json, id, "added");
	return SPGCTL_EXIT_OK;
}

/* ---- dp session update ---- */

static const char session_update_usage[] =
	"usage: spgatectl dp session update ID [--peer A.B.C.D[:PORT]] [--rate-out RATE] [--rate-in RATE]\n"
	"           [--burst-out BYTES] [--burst-in BYTES] [--ports LIST] [--icmp-echo on|off]\n"
	"           [--spi-out SPI --spi-in SPI --key-out HEX --key-in HEX]\n"
	"\n"
	"Changes what is given and keeps the rest. The four key options together rekey the\n"
	"session; spgate-dp refuses (EEXIST) keys it has used before. Values as for\n"
	"'dp session add'.\n";

static int get_session(struct spgctl *ctl, const char *what, uint64_t id, struct spg_dp_session_info *info)
{
	struct spg_dp_session_id_req req = {.id = id};
	struct spg_dp_session_get_rep rep;
	int rc;

	rc = dp_call(ctl, what, SPG_DP_SESSION_GET, &req, sizeof(req), &rep, sizeof(rep), NULL);
	if (rc == 0)
		*info = rep.s;
	return rc;
}

enum { U_PEER, U_RATE_OUT, U_RATE_IN, U_BURST_OUT, U_BURST_IN, U_PORTS, U_ICMP, U_SPI_OUT, U_SPI_IN, U_KEY_OUT,
       U_KEY_IN, U_END };

static int cmd_session_update(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "dp session update";
	struct spgctl_opt o[U_END + 1] = {
		[U_PEER] = {"peer", true, NULL, false},
		[U_RATE_OUT] = {"rate-out", true, NULL, false},
		[U_RATE_IN] = {"rate-in", true, NULL, false},
		[U_BURST_OUT] = {"burst-out", true, NULL, false},
		[U_BURST_IN] = {"burst-in", true, NULL, false},
		[U_PORTS] = {"ports", true, NULL, false},
		[U_ICMP] = {"icmp-echo", true, NULL, false},
		[U_SPI_OUT] = {"spi-out", true, NULL, false},
		[U_SPI_IN] = {"spi-in", true, NULL, false},
		[U_KEY_OUT] = {"key-out", true, NULL, false},
		[U_KEY_IN] = {"key-in", true, NULL, false},
		[U_END] = {NULL, false, NULL, false},
	};
	struct spg_dp_session_update_req req;
	struct spg_dp_session_params *p = &req.p;
	struct spg_dp_session_info cur;
	char *pos[1];
	int n_pos, rc, i, n_keys = 0;

	rc = spgctl_parse(cmd, argc, argv, o, pos, 1, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(session_update_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	if (n_pos != 1)
		return spgctl_usage_error(cmd, "missing session ID");
	memset(&req, 0, sizeof(req));
	if (!dp_arg_session_id(cmd, "ID", pos[0], &p->id))
		return SPGCTL_EXIT_USAGE;

	for (i = U_SPI_OUT; i <= U_KEY_IN; i++)
		n_keys += o[i].seen;
	if (n_keys != 0 && n_keys != 4) {
		for (i = U_SPI_OUT; i <= U_KEY_IN; i++)
			if (!o[i].seen)
				return spgctl_usage_error(cmd, "rekey needs --spi-out, --spi-in, --key-out and --key-in "
							  "together; --%s is missing", o[i].name);
	}
	if (n_keys == 4) {
		if (!dp_arg_keys(cmd, &o[U_SPI_OUT], &o[U_SPI_IN], &o[U_KEY_OUT], &o[U_KEY_IN], p))
			return SPGCTL_EXIT_USAGE;
		req.what |= SPG_DP_UPD_KEYS;
	}
	if (o[U_PEER].seen) {
		if (!dp_arg_peer(cmd, "--peer", o[U_PEER].value, &p->peer_addr, &p->peer_port))
			return SPGCTL_EXIT_USAGE;
		req.what |= SPG_DP_UPD_ENDPOINT;
	}
	if (o[U_RATE_OUT].seen || o[U_RATE_IN].seen || o[U_BURST_OUT].seen || o[U_BURST_IN].seen)
		req.what |= SPG_DP_UPD_RATE;
	if (o[U_PORTS].seen || o[U_ICMP].seen)
		req.what |= SPG_DP_UPD_PORTS;
	if (req.what == 0)
		return spgctl_usage_error(cmd, "nothing to update");

	/* Rate and ports travel as whole groups: start from what the session has now. */
	if (req.what & (SPG_DP_UPD_RATE | SPG_DP_UPD_PORTS)) {
		struct spg_dp_session_params parsed = *p;

		if ((o[U_RATE_OUT].seen && !dp_arg_rate(cmd, "--rate-out", o[U_RATE_OUT].value, &parsed.rate_out.bytes_per_sec)) ||
		    (o[U_RATE_IN].seen && !dp_arg_rate(cmd, "--rate-in", o[U_RATE_IN].value, &parsed.rate_in.bytes_per_sec)) ||
		    (o[U_BURST_OUT].seen && !dp_arg_u64(cmd, "--burst-out", o[U_BURST_OUT].value, &parsed.rate_out.burst_bytes)) ||
		    (o[U_BURST_IN].seen && !dp_arg_u64(cmd, "--burst-in", o[U_BURST_IN].value, &parsed.rate_in.burst_bytes)) ||
		    (o[U_PORTS].seen && !dp_arg_ports(cmd, "--ports", o[U_PORTS].value, &parsed)) ||
		    (o[U_ICMP].seen && !dp_arg_onoff(cmd, "--icmp-echo", o[U_ICMP].value, &parsed.icmp_echo)))
			return SPGCTL_EXIT_USAGE;
		rc = get_session(ctl, "session update", p->id, &cur);
		if (rc != 0)
			return rc;
		p->rate_out.bytes_per_sec = o[U_RATE_OUT].seen ? parsed.rate_out.bytes_per_sec : cur.rate_out.bytes_per_sec;
		p->rate_in.bytes_per_sec = o[U_RATE_IN].seen ? parsed.rate_in.bytes_per_sec : cur.rate_in.bytes_per_sec;
		p->rate_out.burst_bytes = o[U_BURST_OUT].seen ? parsed.rate_out.burst_bytes : cur.rate_out.burst_bytes;
		p->rate_in.burst_bytes = o[U_BURST_IN].seen ? parsed.rate_in.burst_bytes : cur.rate_in.burst_bytes;
		p->icmp_echo = o[U_ICMP].seen ? parsed.icmp_echo : cur.icmp_echo;
		if (o[U_PORTS].seen) {
			p->n_port_ranges = parsed.n_port_ranges;
			memcpy(p->ports, parsed.ports, sizeof(p->ports));
		} else {
			p->n_port_ranges = cur.n_port_ranges;
			memcpy(p->ports, cur.ports, sizeof(p->ports));
		}
	}
	rc = dp_call(ctl, "session update", SPG_DP_SESSION_UPDATE, &req, sizeof(req), NULL, 0, NULL);
	if (rc == SPGCTL_EXIT_REFUSED && last_refusal == EEXIST && (req.what & SPG_DP_UPD_KEYS))
		fputs("spgatectl: rekey refused: the new inbound SPI is another session's, or a key is not new (the\n"
		      "spgatectl: other direction's, this session's current or previous, or one spgate-dp used before):\n"
		      "spgatectl: every SA restarts its AES-GCM nonces at 1, so a rekey needs new keys\n",
		      stderr);
	memset(&req.p.sa_out, 0, sizeof(req.p.sa_out));
	memset(&req.p.sa_in, 0, sizeof(req.p.sa_in));
	if (rc != 0)
		return rc;
	dp_print_done(ctl->json, p->id, "updated");
	return SPGCTL_EXIT_OK;
}

/* ---- dp session del / show ---- */

static const char session_del_usage[] =
	"usage: spgatectl dp session del [--force] ID\n"
	"       spgatectl dp session del [--force] --batch FILE|-\n"
	"\n"
	"--batch FILE deletes the session ids of FILE's lines (- reads standard input), 1024 to a\n"
	"message over one connection; blank lines and lines starting with # are skipped.\n"
	"A session spgate-control owns (asked on its operator socket) is deleted only with --force:\n"
	"spgate-control re-adds it, rekeyed, within sessions.reconcile seconds.\n";
static const char session_show_usage[] = "usage: spgatectl dp session show ID\n";

/*
 * Refuses (without --force) to delete what spgate-control owns: it would only re-add it. When
 * spgate-control cannot be asked, says so and goes on: nobody is there to re-add it then, and
 * a dataplane must stay manageable without its control plane.
 */
static int session_del_allowed(struct spgctl *ctl, uint64_t id, bool force)
{
	char state[32], err[512];

	switch (dp_session_owner(id, ctl->timeout_ms, state, sizeof(state), err, sizeof(err))) {
	case DP_OWNER_NONE:
		return 0;
	case DP_OWNER_UNKNOWN:
		fprintf(stderr, "spgatectl: dp session del: cannot ask spgate-control whether it owns session %" PRIu64
			" (%s); deleting\n", id, err);
		return 0;
	case DP_OWNER_CONTROL:
		break;
	}
	if (force) {
		fprintf(stderr, "spgatectl: warning: session %" PRIu64 " is spgate-control's (%s); deleting it "
			"anyway (--force): spgate-control will rekey and re-add it\n", id, state);
		return 0;
	}
	fprintf(stderr, "spgatectl: dp session del: session %" PRIu64 " is spgate-control's (%s): it would rekey "
		"and re-add it; end it with `spgatectl disconnect %" PRIu64 "`, or add --force to delete it "
		"from spgate-dp anyway\n", id, state, id);
	return SPGCTL_EXIT_REFUSED;
}

static int cmd_session_del(struct spgctl *ctl, int argc, char **argv)
{
	struct spg_dp_session_id_req req = {0};
	struct spgctl_opt opts[] = {{"force", false, NULL, false}, {"batch", true, NULL, false},
				    {NULL, false, NULL, false}};
	char *pos[1];
	int n_pos, rc;

	rc = spgctl_parse("dp session del", argc, argv, opts, pos, 1, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(session_del_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	if (opts[1].seen && n_pos > 0)
		return spgctl_usage_error("dp session del", "--batch takes the ids from its file, not \"%s\"", pos[0]);
	if (opts[1].seen)
		return dp_batch_del(ctl, opts[1].value, opts[0].seen);
	if (n_pos != 1)
		return spgctl_usage_error("dp session del", "missing session ID");
	if (!dp_arg_session_id("dp session del", "ID", pos[0], &req.id))
		return SPGCTL_EXIT_USAGE;
	rc = session_del_allowed(ctl, req.id, opts[0].seen);
	if (rc != 0)
		return rc;
	rc = dp_call(ctl, "session del", SPG_DP_SESSION_DEL, &req, sizeof(req), NULL, 0, NULL);
	if (rc != 0)
		return rc;
	dp_print_done(ctl->json, req.id, "deleted");
	return SPGCTL_EXIT_OK;
}

static int cmd_session_show(struct spgctl *ctl, int argc, char **argv)
{
	struct spg_dp_session_info info;
	uint64_t id;
	int rc;

	rc = dp_arg_id_only("dp session show", session_show_usage, argc, argv, &id);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	rc = get_session(ctl, "session show", id, &info);
	if (rc != 0)
		return rc;
	dp_print_session(&info, ctl->json);
	return SPGCTL_EXIT_OK;
}

/* ---- dp session joiners ---- */

static const char session_joiners_usage[] =
	"usage: spgatectl dp session joiners ID [W1 [W2 [W3]]]\n"
	"\n"
	"Replaces session ID's joiners: the workstations W1..W3 (slots 1..3) that may use the\n"
	"session's virtual address besides its holder's. \"-\" leaves a slot empty; no addresses\n"
	"clear them all. A joiner in slot j reaches the SP from the gateway's inner address\n"
	"G_in + j, and the SP's replies to G_in + j go back to it. A joiner removed is cut off\n"
	"at once. Refused (EINVAL): the holder's workstation, one address in two slots, the\n"
	"virtual pool, S, G_in .. G_in+3, 0/8, 127/8, multicast and broadcast.\n";

static int cmd_session_joiners(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "dp session joiners";
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct spg_dp_session_joiners_req req = {0};
	char *pos[1 + SPG_DP_MAX_JOINERS + 1];
	char opt[16], a[SPG_ADDR_STRLEN];
	int n_pos, rc, n = 0;

	rc = spgctl_parse(cmd, argc, argv, opts, pos, 1 + SPG_DP_MAX_JOINERS + 1, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(session_joiners_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	if (n_pos < 1)
		return spgctl_usage_error(cmd, "missing session ID");
	if (n_pos > 1 + SPG_DP_MAX_JOINERS)
		return spgctl_usage_error(cmd, "at most %d joiners, got %d", SPG_DP_MAX_JOINERS, n_pos - 1);
	if (!dp_arg_session_id(cmd, "ID", pos[0], &req.id))
		return SPGCTL_EXIT_USAGE;
	for (int j = 1; j < n_pos; j++) {
		if (strcmp(pos[j], "-") == 0)
			continue;
		snprintf(opt, sizeof(opt), "W%d", j);
		if (!dp_arg_addr(cmd, opt, pos[j], &req.joiner_addr[j - 1]))
			return SPGCTL_EXIT_USAGE;
		n++;
	}
	rc = dp_call(ctl, "session joiners", SPG_DP_SESSION_JOINERS, &req, sizeof(req), NULL, 0, NULL);
	if (rc == SPGCTL_EXIT_REFUSED && last_refusal == EOPNOTSUPP)
		fputs("spgatectl: this spgate-dp predates joiners (SESSION_JOINERS)\n", stderr);
	if (rc != 0)
		return rc;
	if (ctl->json) {
		dp_print_done(true, req.id, n != 0 ? "joiners set" : "joiners cleared");
		return SPGCTL_EXIT_OK;
	}
	printf("session %" PRIu64 " joiners:", req.id);
	for (int j = 0; j < SPG_DP_MAX_JOINERS; j++)
		if (req.joiner_addr[j] != 0)
			printf(" %s (slot %d)", spg_addr_str(req.joiner_addr[j], a), j + 1);
	printf("%s\n", n != 0 ? "" : " none");
	return SPGCTL_EXIT_OK;
}

static const char session_usage[] =
	"usage: spgatectl dp session <command> [args]\n"
	"\n"
	"commands:\n"
	"  add --id N --virtual A.B.C.D --workstation A.B.C.D --peer A.B.C.D[:PORT]\n"
	"      --spi-out SPI --spi-in SPI --key-out HEX --key-in HEX [--ports LIST] [--icmp-echo]\n"
	"      [--rate-out RATE] [--rate-in RATE] [--burst-out BYTES] [--burst-in BYTES]\n"
	"  update ID [--peer ..] [--rate-out ..] [--rate-in ..] [--burst-out ..] [--burst-in ..]\n"
	"      [--ports ..] [--icmp-echo on|off] [--spi-out .. --spi-in .. --key-out .. --key-in ..]\n"
	"  del [--force] ID\n"
	"  show ID\n"
	"  record ID --file PATH [--comment TEXT] | record ID --stop\n"
	"  joiners ID [W1 [W2 [W3]]]\n";

static const struct spgctl_cmd session_cmds[] = {
	{"add", cmd_session_add, "add a session"},
	{"update", cmd_session_update, "change a session's endpoint, rate, ports or keys"},
	{"del", cmd_session_del, "delete a session"},
	{"show", cmd_session_show, "show one session"},
	{"record", dp_cmd_session_record, "start or stop recording a session to a pcapng file"},
	{"joiners", cmd_session_joiners, "set or clear the workstations that joined a session"},
	{NULL, NULL, NULL},
};

static int cmd_session(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "dp session", session_cmds, argc, argv, session_usage);
}

/* ---- dp sessions ---- */

static const char sessions_usage[] =
	"usage: spgatectl dp sessions\n"
	"Lists every session with its counters.\n";

static int cmd_sessions(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct spg_dp_session_list_req req = {0};
	struct spg_dp_session_list_rep *rep;
	struct out_table *t = NULL;
	struct out_json j;
	size_t rep_len;
	uint32_t i;
	int n_pos, rc;

	rc = spgctl_parse("dp sessions", argc, argv, opts, NULL, 0, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(sessions_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	rep = malloc(SPG_DP_MSG_MAX);
	if (!ctl->json)
		t = dp_print_sessions_table();
	if (rep == NULL || (!ctl->json && t == NULL)) {
		fprintf(stderr, "spgatectl: sessions: out of memory\n");
		rc = SPGCTL_EXIT_REFUSED;
		goto out;
	}
	/* The list comes in parts; each reply says where the next one starts. */
	for (;;) {
		rc = dp_call(ctl, "sessions", SPG_DP_SESSION_LIST, &req, sizeof(req), rep, SPG_DP_MSG_MAX, &rep_len);
		if (rc != 0)
			goto out; /* what was printed is a partial list; the exit code says so */
		if (ctl->json && req.cursor == 0) {
			out_json_init(&j, stdout);
			out_json_array_begin(&j, NULL);
		}
		for (i = 0; i < rep->count; i++) {
			if (ctl->json)
				dp_print_session_json(&j, &rep->entries[i]);
			else if (!dp_print_session_row(t, &rep->entries[i]))
				break;
		}
		if (!ctl->json)
			out_table_flush(t, stdout);
		if (rep->done || (rep->count == 0 && rep->next_cursor == req.cursor))
			break;
		req.cursor = rep->next_cursor;
	}
	if (ctl->json) {
		out_json_array_end(&j);
		out_json_finish(&j);
	}
	rc = SPGCTL_EXIT_OK;
out:
	out_table_free(t);
	free(rep);
	return rc;
}

/* ---- dp stats ---- */

static const char stats_usage[] =
	"usage: spgatectl dp stats\n"
	"Shows the dataplane's port counters, forwarded traffic and drops.\n";

static int cmd_stats(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct spg_dp_stats_rep st;
	int n_pos, rc;

	rc = spgctl_parse("dp stats", argc, argv, opts, NULL, 0, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(stats_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	rc = dp_call(ctl, "stats", SPG_DP_STATS, NULL, 0, &st, sizeof(st), NULL);
	if (rc != 0)
		return rc;
	dp_print_stats(&st, ctl->json);
	return SPGCTL_EXIT_OK;
}

/* ---- dp drops ---- */

static const char drops_usage[] =
	"usage: spgatectl dp drops [--all]\n"
	"Packets dropped by reason; only reasons that occurred unless --all.\n";

static int cmd_drops(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{"all", false, NULL, false}, {NULL, false, NULL, false}};
	struct spg_dp_drops_rep rep;
	int n_pos, rc;

	rc = spgctl_parse("dp drops", argc, argv, opts, NULL, 0, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(drops_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	rc = dp_call(ctl, "drops", SPG_DP_DROPS, NULL, 0, &rep, sizeof(rep), NULL);
	if (rc != 0)
		return rc;
	if (!dp_print_drops(&rep, opts[0].seen, ctl->json)) {
		fprintf(stderr, "spgatectl: drops: out of memory\n");
		return SPGCTL_EXIT_REFUSED;
	}
	return SPGCTL_EXIT_OK;
}

/* ---- the group ---- */

static const char dp_usage[] =
	"usage: spgatectl [--socket PATH] [--json] [--timeout MS] dp <command> [args]\n"
	"\n"
	"Talks to the dataplane (spgate-dp) over its control socket.\n"
	"\n"
	"commands:\n"
	"  hello                       version, capacity, cipher and addresses\n"
	"  session add ...             add a session (see 'dp session add --help')\n"
	"  session update ID ...       change endpoint, rate, ports or keys\n"
	"  session del [--force] ID    delete a session (--force: one spgate-control owns)\n"
	"  session show ID             show one session\n"
	"  session record ID --file PATH [--comment TEXT] | --stop\n"
	"                              record a session's packets (pcapng)\n"
	"  sessions                    list all sessions\n"
	"  stats                       port counters, forwarded traffic, drops\n"
	"  drops [--all]               drops by reason (default: only nonzero)\n"
	"  address list|add|del ...    the addresses each port owns (failover)\n";

static const struct spgctl_cmd dp_cmds[] = {
	{"hello", cmd_hello, "version, capacity, cipher and addresses"},
	{"session", cmd_session, "add, update, delete or show one session"},
	{"sessions", cmd_sessions, "list all sessions"},
	{"stats", cmd_stats, "dataplane counters"},
	{"drops", cmd_drops, "drops by reason"},
	{"address", dp_cmd_address, "list, add or delete the ports' addresses"},
	{NULL, NULL, NULL},
};

int spgctl_cmd_dp(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "dp", dp_cmds, argc, argv, dp_usage);
}
