/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * sph_probe: plays spgate-control's part of the SP handshake with control/sp_handshake.c,
 * so tests/integration/test_agent.sh can drive a real spgate-agent. It signs a grant with a
 * vendor key (or loads one saved earlier, for attach), opens, and prints one JSON line per
 * event on stdout:
 *
 *   {"event":"opened","ok":true,"sp_address":..,"ports":[..],"sp_spi":..,"esp_port":..,
 *    "generation":0,"keys":{"gw_to_sp":"<hex>","sp_to_gw":"<hex>"},"fp":{..}}
 *   {"event":"opened","ok":false,"refused":true,"reason":"expired"}
 *   {"event":"rekeyed",...}  {"event":"pong","rx":..,"tx":..}  {"event":"lost","why":..}
 *   {"event":"closed","confirmed":true}
 *
 * Keys are printed in hex because the test hands them to its scapy ESP peer, which plays
 * spgate-dp; nothing but a test would ever do that.
 *
 * As the gateway it presents --cert/--key (none: the agent must refuse the handshake) and
 * binds the grant to --bind-cert's SHA-256 (default: --cert's), so a test can make a grant
 * for one gateway and use it over another's channel; --expect-serial checks the agent's
 * certificate names that SP; --replay FILE opens again with a grant saved before.
 *
 * Signals: SIGUSR1 rekeys (gateway SPI + 1), SIGTERM closes (and exits after "closed"),
 * SIGINT drops the channel without a word (as a control-plane crash would) and exits.
 * Exit status: 0 after opened(ok) and a clean end, 3 refused, 4 failed or lost.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "addr.h"
#include "grant.h"
#include "sp_handshake.h"

struct probe {
	struct event_base *base;
	struct sph_conn *conn;
	struct sph_params p;
	uint32_t gw_spi;
	bool once;
	int status;
};

static void hex(const uint8_t *b, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void print_keys(const struct sph_keys *k)
{
	char a[80], b[80], fa[9], fb[9];

	hex(k->gw_to_sp, (size_t)k->key_len + 4, a);
	hex(k->sp_to_gw, (size_t)k->key_len + 4, b);
	printf(",\"keys\":{\"gw_to_sp\":\"%s\",\"sp_to_gw\":\"%s\"},\"fp\":{\"gw_to_sp\":\"%s\","
	       "\"sp_to_gw\":\"%s\"}",
	       a, b, sph_key_fingerprint(k->gw_to_sp, k->key_len, fa),
	       sph_key_fingerprint(k->sp_to_gw, k->key_len, fb));
}

static void on_opened(struct sph_conn *c, const struct sph_open_result *r, void *arg)
{
	struct probe *pr = arg;
	size_t i;

	(void)c;
	if (!r->ok) {
		printf("{\"event\":\"opened\",\"ok\":false,\"refused\":%s,\"reason\":\"%s\"}\n",
		       r->refused ? "true" : "false", r->reason);
		fflush(stdout);
		pr->status = r->refused ? 3 : 4;
		event_base_loopbreak(pr->base);
		return;
	}
	printf("{\"event\":\"opened\",\"ok\":true,\"sp_address\":\"%s\",\"ports\":[",
	       r->sp_address_str);
	for (i = 0; i < r->n_ports; i++)
		printf("%s\"%s\"", i ? "," : "", r->ports[i]);
	printf("],\"sp_spi\":%" PRIu32 ",\"gw_spi\":%" PRIu32 ",\"esp_port\":%u,\"generation\":%" PRIu32,
	       r->sp_spi, pr->gw_spi, r->esp_port, r->generation);
	if (r->has_keys)
		print_keys(&r->keys);
	printf("}\n");
	fflush(stdout);
	pr->status = 0;
	if (pr->once) {
		sph_close(pr->conn, "probe done");
	}
}

static void on_rekeyed(struct sph_conn *c, uint32_t generation, uint32_t sp_spi,
		       const struct sph_keys *k, void *arg)
{
	struct probe *pr = arg;

	(void)c;
	printf("{\"event\":\"rekeyed\",\"generation\":%" PRIu32 ",\"sp_spi\":%" PRIu32
	       ",\"gw_spi\":%" PRIu32,
	       generation, sp_spi, pr->gw_spi);
	print_keys(k);
	printf("}\n");
	fflush(stdout);
}

static void on_lost(struct sph_conn *c, const char *why, void *arg)
{
	struct probe *pr = arg;

	(void)c;
	printf("{\"event\":\"lost\",\"why\":\"%s\"}\n", why);
	fflush(stdout);
	pr->status = 4;
	event_base_loopbreak(pr->base);
}

static void on_closed(struct sph_conn *c, bool confirmed, void *arg)
{
	struct probe *pr = arg;

	(void)c;
	printf("{\"event\":\"closed\",\"confirmed\":%s}\n", confirmed ? "true" : "false");
	fflush(stdout);
	if (!confirmed)
		pr->status = 4;
	event_base_loopbreak(pr->base);
}

static void on_pong(struct sph_conn *c, uint64_t rx, uint64_t tx, void *arg)
{
	(void)c;
	(void)arg;
	printf("{\"event\":\"pong\",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 "}\n", rx, tx);
	fflush(stdout);
}

static void on_rekey_wanted(struct sph_conn *c, void *arg)
{
	(void)c;
	(void)arg;
	printf("{\"event\":\"rekey_wanted\"}\n");
	fflush(stdout);
}

static void signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct probe *pr = arg;
	int rc;

	(void)what;
	if (sig == SIGUSR1) {
		rc = sph_rekey(pr->conn, pr->gw_spi + 1);
		if (rc == 0)
			pr->gw_spi++;
		else
			fprintf(stderr, "sph_probe: rekey: %s\n", strerror(-rc));
	} else if (sig == SIGTERM) {
		if (sph_close(pr->conn, "closed by the test") != 0)
			event_base_loopbreak(pr->base);
	} else {
		event_base_loopbreak(pr->base); /* the channel drops with the process */
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sph_probe --agent ADDR[:PORT] --ca CA.pem [--name CERTNAME] --gw-spi SPI\n"
		"         [--cert GW.crt --key GW.key] [--bind-cert GW.crt] [--expect-serial S]\n"
		"         (--vendor-key PRIV.pem --serial S --session N [--expires-in SEC]\n"
		"          [--gw-inner A] [--gw-outer A:P] [--ports tcp:22,...] [--no-icmp]\n"
		"          [--save-grant FILE] | --attach FILE | --replay FILE)\n"
		"         [--key-len 16|32] [--keepalive SEC] [--once]\n");
	exit(2);
}

static int make_grant(const char *key_file, struct spg_grant *g, char **gb, char **sb)
{
	char err[256];
	EVP_PKEY *k = spg_grant_load_private_key(key_file, err, sizeof(err));
	int rc;

	if (k == NULL) {
		fprintf(stderr, "sph_probe: %s\n", err);
		return -1;
	}
	rc = spg_grant_new_nonce(g) == 0 ? spg_grant_sign(g, k, gb, sb, err, sizeof(err)) : -1;
	if (rc != 0)
		fprintf(stderr, "sph_probe: grant: %s\n", err);
	EVP_PKEY_free(k);
	return rc;
}

static int parse_ports(char *list, struct spg_grant *g)
{
	char *tok, *save = NULL;

	g->n_ports = 0;
	for (tok = strtok_r(list, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (g->n_ports == SPG_GRANT_MAX_PORTS)
			return -1;
		snprintf(g->ports[g->n_ports++], SPG_GRANT_PORT_MAX, "%s", tok);
	}
	return 0;
}

/* What the command line says besides the grant and the handshake's parameters. */
struct probe_args {
	const char *agent, *ca, *key_file, *save, *attach, *replay;
	const char *cert, *cert_key, *bind_cert;
	long expires_in;
	char agent_addr[SPG_ADDR_STRLEN]; /* the handshake's agent_addr points here */
};

/* The grant for alice (storage-eu) that the options then change. */
static void grant_defaults(struct spg_grant *g)
{
	char ports[] = "tcp:22,tcp:443";

	*g = (struct spg_grant){.version = SPG_GRANT_VERSION, .icmp_echo = true};
	g->gw_inner = htonl(0xc0000201);
	spg_endpoint_parse("203.0.113.1:4500", &g->gw_outer, &g->gw_outer_port, 4500);
	snprintf(g->engineer, sizeof(g->engineer), "alice");
	snprintf(g->groups[0], sizeof(g->groups[0]), "storage-eu");
	g->n_groups = 1;
	parse_ports(ports, g);
}

/* Fills the grant, the handshake's parameters and a; a bad command line ends in usage(). */
static void parse_args(int argc, char **argv, struct probe *pr, struct spg_grant *g,
		       struct probe_args *a)
{
	static const struct option opts[] = {
		{"agent", required_argument, NULL, 'a'}, {"ca", required_argument, NULL, 'C'},
		{"name", required_argument, NULL, 'n'}, {"gw-spi", required_argument, NULL, 's'},
		{"vendor-key", required_argument, NULL, 'k'}, {"serial", required_argument, NULL, 'S'},
		{"session", required_argument, NULL, 'i'}, {"expires-in", required_argument, NULL, 'e'},
		{"gw-inner", required_argument, NULL, 'I'}, {"gw-outer", required_argument, NULL, 'O'},
		{"ports", required_argument, NULL, 'p'}, {"no-icmp", no_argument, NULL, 'N'},
		{"save-grant", required_argument, NULL, 'w'}, {"attach", required_argument, NULL, 'A'},
		{"key-len", required_argument, NULL, 'K'}, {"keepalive", required_argument, NULL, 'T'},
		{"once", no_argument, NULL, '1'}, {"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'y'}, {"bind-cert", required_argument, NULL, 'b'},
		{"expect-serial", required_argument, NULL, 'x'},
		{"replay", required_argument, NULL, 'R'}, {NULL, 0, NULL, 0},
	};
	uint32_t addr;
	uint16_t port;
	int c;

	pr->p.key_len = 16;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': a->agent = optarg; break;
		case 'C': a->ca = optarg; break;
		case 'n': pr->p.agent_name = optarg; break;
		case 's': pr->gw_spi = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'k': a->key_file = optarg; break;
		case 'S': snprintf(g->serial, sizeof(g->serial), "%s", optarg); break;
		case 'i': g->session = strtoull(optarg, NULL, 0); break;
		case 'e': a->expires_in = strtol(optarg, NULL, 10); break;
		case 'I': if (!spg_addr_parse(optarg, &g->gw_inner)) usage(); break;
		case 'O':
			if (!spg_endpoint_parse(optarg, &g->gw_outer, &g->gw_outer_port, 4500))
				usage();
			break;
		case 'p': if (parse_ports(optarg, g) != 0) usage(); break;
		case 'N': g->icmp_echo = false; break;
		case 'w': a->save = optarg; break;
		case 'A': a->attach = optarg; break;
		case 'K': pr->p.key_len = (uint8_t)atoi(optarg); break;
		case 'T': pr->p.keepalive_s = (unsigned int)atoi(optarg); break;
		case '1': pr->once = true; break;
		case 'c': a->cert = optarg; break;
		case 'y': a->cert_key = optarg; break;
		case 'b': a->bind_cert = optarg; break;
		case 'x': pr->p.sp_serial = optarg; break;
		case 'R': a->replay = optarg; break;
		default: usage();
		}
	}
	if (a->agent == NULL || a->ca == NULL ||
	    !spg_endpoint_parse(a->agent, &addr, &port, 7443) ||
	    (a->attach == NULL && a->replay == NULL && (a->key_file == NULL || pr->gw_spi < 256)) ||
	    (a->replay != NULL && pr->gw_spi < 256))
		usage();
	pr->p.agent_addr = spg_addr_str(addr, a->agent_addr);
	pr->p.agent_port = port;
}

/* The grant FILE that --save-grant wrote, for --attach: its text, signature and session. */
static int load_grant(const char *file, struct spg_grant *g, char **gb, char **sb)
{
	char gbuf[8192], sbuf[256];
	FILE *f = fopen(file, "r");

	if (f == NULL || fscanf(f, "%8191s %255s %" SCNu64, gbuf, sbuf, &g->session) != 3) {
		fprintf(stderr, "sph_probe: %s: cannot read a saved grant\n", file);
		if (f != NULL)
			fclose(f);
		return -1;
	}
	fclose(f);
	*gb = strdup(gbuf);
	*sb = strdup(sbuf);
	return 0;
}

/* The SHA-256 of the certificate in file, for the grant's gw_cert; NULL file: zeros. */
static int bind_to(const char *file, struct spg_grant *g)
{
	FILE *f;
	X509 *x;

	memset(g->gw_cert, '0', SPG_GRANT_CERT_HEX);
	g->gw_cert[SPG_GRANT_CERT_HEX] = '\0';
	if (file == NULL)
		return 0;
	f = fopen(file, "r");
	x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f != NULL)
		fclose(f);
	if (x == NULL || spg_cert_fingerprint(x, g->gw_cert) == NULL) {
		fprintf(stderr, "sph_probe: %s: not a PEM certificate\n", file);
		X509_free(x);
		return -1;
	}
	X509_free(x);
	return 0;
}

/* Signs the grant, valid for a->expires_in seconds, and saves it if --save-grant asks. */
static int issue_grant(const struct probe_args *a, struct spg_grant *g, char **gb, char **sb)
{
	FILE *f;

	/* a negative expires-in makes a grant that is already void (the "expired" test); a
	 * valid one is issued now, as spgate-control does: the agent refuses grants issued
	 * before its nonce record began */
	g->issued = (int64_t)time(NULL) + (a->expires_in < 0 ? a->expires_in - 60 : 0);
	g->expires = (int64_t)time(NULL) + a->expires_in;
	if (bind_to(a->bind_cert != NULL ? a->bind_cert : a->cert, g) != 0)
		return -1;
	if (make_grant(a->key_file, g, gb, sb) != 0)
		return -1;
	if (a->save == NULL)
		return 0;
	f = fopen(a->save, "w");
	if (f == NULL) {
		perror(a->save);
		return -1;
	}
	fprintf(f, "%s %s %" PRIu64 "\n", *gb, *sb, g->session);
	fclose(f);
	return 0;
}

/* Opens (or attaches) and serves the channel until it ends; returns the exit status. */
static int run(struct probe *pr, SSL_CTX *ctx, bool attach)
{
	static const struct sph_events ev = {
		.opened = on_opened, .rekeyed = on_rekeyed, .lost = on_lost, .closed = on_closed,
		.pong = on_pong, .rekey_wanted = on_rekey_wanted,
	};
	static const int signums[4] = {SIGUSR1, SIGTERM, SIGINT, SIGHUP};
	struct event *sigs[4];
	int i;

	pr->base = event_base_new();
	for (i = 0; i < 4; i++) {
		sigs[i] = evsignal_new(pr->base, signums[i], signal_cb, pr);
		evsignal_add(sigs[i], NULL);
	}
	pr->conn = attach ? sph_attach(pr->base, ctx, &pr->p, &ev, pr)
			  : sph_open(pr->base, ctx, &pr->p, &ev, pr);
	if (pr->conn == NULL) {
		fprintf(stderr, "sph_probe: cannot start: %s\n", strerror(errno));
		return 2;
	}
	event_base_dispatch(pr->base);
	sph_free(pr->conn);
	for (i = 0; i < 4; i++)
		event_free(sigs[i]);
	event_base_free(pr->base);
	return pr->status;
}

int main(int argc, char **argv)
{
	struct probe_args a = {.expires_in = 600};
	struct probe pr = {.status = 4};
	struct spg_grant g;
	char err[256], *gb = NULL, *sb = NULL;
	SSL_CTX *ctx;
	int rc;

	grant_defaults(&g);
	parse_args(argc, argv, &pr, &g, &a);
	if (a.attach != NULL || a.replay != NULL)
		rc = load_grant(a.attach != NULL ? a.attach : a.replay, &g, &gb, &sb);
	else
		rc = issue_grant(&a, &g, &gb, &sb);
	if (rc != 0)
		return 2;
	pr.p.grant_b64 = gb;
	pr.p.sig_b64 = sb;
	pr.p.session_id = g.session;
	pr.p.gw_spi = pr.gw_spi;
	pr.p.connect_timeout_s = 5;
	pr.p.reply_timeout_s = 5;
	ctx = sph_client_ctx(a.ca, a.cert, a.cert_key, err, sizeof(err));
	if (ctx == NULL) {
		fprintf(stderr, "sph_probe: %s\n", err);
		return 2;
	}
	rc = run(&pr, ctx, a.attach != NULL);
	SSL_CTX_free(ctx);
	free(gb);
	free(sb);
	return rc;
}
