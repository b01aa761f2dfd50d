/* SPDX-License-Identifier: BSD-3-Clause */
/* `spgatectl dp ...`: talks to spgate-dp's control socket directly (dp_api.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dp_api.h"
#include "dp_client.h"
#include "output.h"
#include "spgatectl.h"

#define PEER_DEFAULT_PORT 4500

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
static int dp_call(struct spgctl *ctl, const char *what, uint16_t type, const void *body, size_t body_len,
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

/* ---- arguments: each parser names the option and quotes the bad value ---- */

static bool arg_u64(const char *cmd, const char *opt, const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	errno = 0;
	if (s[0] >= '0' && s[0] <= '9') {
		x = strtoull(s, &end, 10);
		if (errno == 0 && *end == '\0') {
			*v = x;
			return true;
		}
	}
	spgctl_usage_error(cmd, "%s: \"%s\" is not a number", opt, s);
	return false;
}

static bool arg_session_id(const char *cmd, const char *opt, const char *s, uint64_t *id)
{
	if (!arg_u64(cmd, opt, s, id))
		return false;
	if (*id == 0) {
		spgctl_usage_error(cmd, "%s: session id 0 is reserved", opt);
		return false;
	}
	return true;
}

static bool arg_addr(const char *cmd, const char *opt, const char *s, uint32_t *addr)
{
	if (spg_addr_parse(s, addr) && *addr != 0)
		return true;
	spgctl_usage_error(cmd, "%s: \"%s\" is not an IPv4 address", opt, s);
	return false;
}

static bool arg_peer(const char *cmd, const char *opt, const char *s, uint32_t *addr, uint16_t *port)
{
	if (spg_endpoint_parse(s, addr, port, PEER_DEFAULT_PORT) && *addr != 0)
		return true;
	spgctl_usage_error(cmd, "%s: \"%s\" is not A.B.C.D or A.B.C.D:PORT", opt, s);
	return false;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decimal or 0x-hex, host value; stored in network order as the protocol wants. */
static bool arg_spi(const char *cmd, const char *opt, const char *s, uint32_t *spi_be)
{
	unsigned long long v;
	char *end;
	int base = 10;
	const char *digits = s;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		digits = s + 2;
	}
	/* Digits only: strtoull would accept blanks, signs and a second 0x. */
	if (digits[0] == '\0' || strspn(digits, base == 16 ? "0123456789abcdefABCDEF" : "0123456789") != strlen(digits)) {
		spgctl_usage_error(cmd, "%s: \"%s\" is not an SPI (decimal or 0x-hex)", opt, s);
		return false;
	}
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno != 0 || *end != '\0' || v > UINT32_MAX) {
		spgctl_usage_error(cmd, "%s: \"%s\" is not an SPI (decimal or 0x-hex, 32 bits)", opt, s);
		return false;
	}
	if (v < 256) {
		spgctl_usage_error(cmd, "%s: SPI %llu is reserved (RFC 4303: 1-255), use 256 or more", opt, v);
		return false;
	}
	*spi_be = htonl((uint32_t)v);
	return true;
}

/* key||salt as Linux rfc4106 keys: 20 bytes (aes-128-gcm) or 36 (aes-256-gcm) in hex. */
static bool arg_key(const char *cmd, const char *opt, const char *s, struct spg_dp_sa_keys *sa)
{
	uint8_t bytes[SPG_DP_KEY_MAX + SPG_DP_SALT_LEN];
	size_t n, i;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n != 2 * (16 + SPG_DP_SALT_LEN) && n != 2 * (32 + SPG_DP_SALT_LEN)) {
		spgctl_usage_error(cmd,
				   "%s: expected 40 hex digits (aes-128-gcm key + 4-byte salt) or 72 (aes-256-gcm), got %zu",
				   opt, n);
		return false;
	}
	for (i = 0; i < n / 2; i++) {
		int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			spgctl_usage_error(cmd, "%s: '%c' at position %zu is not a hex digit", opt,
					   hi < 0 ? s[2 * i] : s[2 * i + 1], hi < 0 ? 2 * i + 1 : 2 * i + 2);
			return false;
		}
		bytes[i] = (uint8_t)(hi << 4 | lo);
	}
	sa->key_len = (uint8_t)(n / 2 - SPG_DP_SALT_LEN);
	memset(sa->key, 0, sizeof(sa->key));
	memcpy(sa->key, bytes, sa->key_len);
	memcpy(sa->salt, bytes + sa->key_len, SPG_DP_SALT_LEN);
	memset(bytes, 0, sizeof(bytes));
	return true;
}

/* Bits per second, optional k/m/g suffix (powers of 1000), decimals allowed: 33.6k. */
static bool parse_bits(const char *s, uint64_t *bits)
{
	uint64_t whole = 0, frac = 0, frac_div = 1, mult = 1;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (whole > (UINT64_MAX - 9) / 10)
			return false;
		whole = whole * 10 + (uint64_t)(*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return false;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (frac_div >= 1000000000)
				return false;
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_div *= 10;
		}
	}
	switch (*p) {
	case 'k': case 'K': mult = 1000; p++; break;
	case 'm': case 'M': mult = 1000000; p++; break;
	case 'g': case 'G': mult = 1000000000; p++; break;
	default: break;
	}
	if (*p != '\0' || whole > UINT64_MAX / mult)
		return false;
	/* Fractions of a bit round up, like the conversion to bytes below. */
	*bits = whole * mult + (frac * mult + frac_div - 1) / frac_div;
	return *bits >= whole * mult;
}

static bool arg_rate(const char *cmd, const char *opt, const char *s, uint64_t *bytes_per_sec)
{
	uint64_t bits;

	if (!parse_bits(s, &bits)) {
		spgctl_usage_error(cmd, "%s: \"%s\" is not a rate in bit/s (e.g. 33600, 56k, 10m, 1g; 0 = unlimited)",
				   opt, s);
		return false;
	}
	*bytes_per_sec = bits / 8 + (bits % 8 != 0);
	return true;
}

static bool parse_port(const char *s, const char *end, uint16_t *port)
{
	unsigned long v = 0;

	if (s == end || end - s > 5)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v == 0 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* "tcp:22,tcp:8000-8100,udp:161" (at most SPG_DP_MAX_PORT_RANGES), or "none". */
static bool arg_ports(const char *cmd, const char *opt, const char *s, struct spg_dp_session_params *p)
{
	const char *item = s;

	memset(p->ports, 0, sizeof(p->ports));
	p->n_port_ranges = 0;
	if (strcmp(s, "none") == 0)
		return true;
	while (*item != '\0') {
		const char *comma = strchr(item, ',');
		const char *end = comma != NULL ? comma : item + strlen(item);
		const char *colon = memchr(item, ':', (size_t)(end - item));
		const char *dash;
		struct spg_dp_port_range r = {0};
		int len = (int)(end - item);

		if (p->n_port_ranges == SPG_DP_MAX_PORT_RANGES) {
			spgctl_usage_error(cmd, "%s: more than %u port ranges", opt, SPG_DP_MAX_PORT_RANGES);
			return false;
		}
		if (colon == NULL) {
			spgctl_usage_error(cmd, "%s: \"%.*s\" is not proto:port or proto:lo-hi", opt, len, item);
			return false;
		}
		if (colon - item == 3 && strncmp(item, "tcp", 3) == 0)
			r.proto = IPPROTO_TCP;
		else if (colon - item == 3 && strncmp(item, "udp", 3) == 0)
			r.proto = IPPROTO_UDP;
		else {
			spgctl_usage_error(cmd, "%s: \"%.*s\": protocol must be tcp or udp", opt, len, item);
			return false;
		}
		dash = memchr(colon + 1, '-', (size_t)(end - colon - 1));
		if (!parse_port(colon + 1, dash != NULL ? dash : end, &r.lo) ||
		    !parse_port(dash != NULL ? dash + 1 : colon + 1, end, &r.hi)) {
			spgctl_usage_error(cmd, "%s: \"%.*s\": ports are 1-65535", opt, len, item);
			return false;
		}
		if (r.lo > r.hi) {
			spgctl_usage_error(cmd, "%s: \"%.*s\": range is empty (lo > hi)", opt, len, item);
			return false;
		}
		p->ports[p->n_port_ranges++] = r;
		if (comma == NULL)
			break;
		item = comma + 1;
		if (*item == '\0') {
			spgctl_usage_error(cmd, "%s: \"%s\" ends with a comma", opt, s);
			return false;
		}
	}
	if (p->n_port_ranges == 0) {
		spgctl_usage_error(cmd, "%s: empty list (use \"none\" for no ports)", opt);
		return false;
	}
	return true;
}

static bool arg_onoff(const char *cmd, const char *opt, const char *s, uint8_t *v)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "off") == 0) {
		*v = strcmp(s, "on") == 0;
		return true;
	}
	spgctl_usage_error(cmd, "%s: \"%s\" is neither on nor off", opt, s);
	return false;
}

/* The four options of a key set; all or none. Returns false after a usage message. */
static bool arg_keys(const char *cmd, struct spgctl_opt *spi_out, struct spgctl_opt *spi_in,
		     struct spgctl_opt *key_out, struct spgctl_opt *key_in, struct spg_dp_session_params *p)
{
	if (!arg_spi(cmd, "--spi-out", spi_out->value, &p->sa_out.spi) ||
	    !arg_spi(cmd, "--spi-in", spi_in->value, &p->sa_in.spi) ||
	    !arg_key(cmd, "--key-out", key_out->value, &p->sa_out) ||
	    !arg_key(cmd, "--key-in", key_in->value, &p->sa_in))
		return false;
	if (p->sa_out.spi == p->sa_in.spi) {
		spgctl_usage_error(cmd, "--spi-out and --spi-in are both 0x%08x; they must differ", ntohl(p->sa_in.spi));
		return false;
	}
	if (p->sa_out.key_len != p->sa_in.key_len) {
		spgctl_usage_error(cmd, "--key-out is %u bytes + salt but --key-in is %u; both use one cipher",
				   p->sa_out.key_len, p->sa_in.key_len);
		return false;
	}
	return true;
}

/* ---- printing sessions ---- */

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

static void fmt_range(const struct spg_dp_port_range *r, char *buf, size_t size)
{
	if (r->lo == r->hi)
		snprintf(buf, size, "%s:%u", proto_name(r->proto), r->lo);
	else
		snprintf(buf, size, "%s:%u-%u", proto_name(r->proto), r->lo, r->hi);
}

/* "tcp:22,tcp:8000-8100" (+ ",icmp" when with_icmp and echo is allowed), "-" when empty. */
static const char *fmt_ports(const struct spg_dp_session_info *s, bool with_icmp, char *buf, size_t size)
{
	size_t used = 0;
	unsigned int i;
	char r[24];

	buf[0] = '\0';
	for (i = 0; i < s->n_port_ranges && i < SPG_DP_MAX_PORT_RANGES; i++) {
		fmt_range(&s->ports[i], r, sizeof(r));
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "", r);
		if (used >= size)
			return buf;
	}
	if (with_icmp && s->icmp_echo)
		snprintf(buf + used, size - used, "%sicmp", used ? "," : "");
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
	return buf;
}

static const char *fmt_spi(uint32_t spi_be, char *buf, size_t size)
{
	snprintf(buf, size, "0x%08x", ntohl(spi_be));
	return buf;
}

static const char *fmt_rate_cell(const struct spg_dp_rate *r, char *buf, size_t size)
{
	if (r->bytes_per_sec == 0)
		return "-";
	return out_fmt_bits(r->bytes_per_sec * 8, buf, size);
}

static void json_session(struct out_json *j, const struct spg_dp_session_info *s)
{
	char a[SPG_ADDR_STRLEN], b[16], r[24];
	unsigned int i;

	out_json_object_begin(j, NULL);
	out_json_u64(j, "id", s->id);
	out_json_string(j, "virtual", spg_addr_str(s->virtual_addr, a));
	out_json_string(j, "workstation", spg_addr_str(s->workstation_addr, a));
	out_json_string(j, "peer", spg_addr_str(s->peer_addr, a));
	out_json_u64(j, "peer_port", s->peer_port);
	out_json_string(j, "spi_out", fmt_spi(s->spi_out, b, sizeof(b)));
	out_json_string(j, "spi_in", fmt_spi(s->spi_in, b, sizeof(b)));
	out_json_array_begin(j, "ports");
	for (i = 0; i < s->n_port_ranges && i < SPG_DP_MAX_PORT_RANGES; i++) {
		fmt_range(&s->ports[i], r, sizeof(r));
		out_json_string(j, NULL, r);
	}
	out_json_array_end(j);
	out_json_bool(j, "icmp_echo", s->icmp_echo != 0);
	out_json_u64(j, "rate_out_bps", s->rate_out.bytes_per_sec * 8);
	out_json_u64(j, "rate_in_bps", s->rate_in.bytes_per_sec * 8);
	out_json_u64(j, "burst_out_bytes", s->rate_out.burst_bytes);
	out_json_u64(j, "burst_in_bytes", s->rate_in.burst_bytes);
	out_json_u64(j, "out_packets", s->out.packets);
	out_json_u64(j, "out_bytes", s->out.bytes);
	out_json_u64(j, "out_drops", s->out.drops);
	out_json_u64(j, "in_packets", s->in.packets);
	out_json_u64(j, "in_bytes", s->in.bytes);
	out_json_u64(j, "in_drops", s->in.drops);
	out_json_u64(j, "drops", s->out.drops + s->in.drops);
	out_json_u64(j, "age_ms", s->age_ms);
	out_json_object_end(j);
}

static const char *const session_columns[] = {
	"ID", "VIRTUAL", "WORKSTATION", "PEER", "SPI-OUT", "SPI-IN", "PORTS",
	"RATE-OUT", "RATE-IN", "OUT-PKTS", "IN-PKTS", "DROPS", "AGE",
};
#define N_SESSION_COLUMNS (sizeof(session_columns) / sizeof(session_columns[0]))

static bool table_session(struct out_table *t, const struct spg_dp_session_info *s)
{
	char id[24], v[SPG_ADDR_STRLEN], w[SPG_ADDR_STRLEN], e[SPG_ADDR_STRLEN], peer[SPG_ENDPOINT_STRLEN];
	char so[16], si[16], ports[256], ro[24], ri[24], op[24], ip[24], dr[24], age[24];
	const char *cells[N_SESSION_COLUMNS];

	snprintf(id, sizeof(id), "%" PRIu64, s->id);
	snprintf(peer, sizeof(peer), "%s:%u", spg_addr_str(s->peer_addr, e), s->peer_port);
	snprintf(op, sizeof(op), "%" PRIu64, s->out.packets);
	snprintf(ip, sizeof(ip), "%" PRIu64, s->in.packets);
	snprintf(dr, sizeof(dr), "%" PRIu64, s->out.drops + s->in.drops);
	cells[0] = id;
	cells[1] = spg_addr_str(s->virtual_addr, v);
	cells[2] = spg_addr_str(s->workstation_addr, w);
	cells[3] = peer;
	cells[4] = fmt_spi(s->spi_out, so, sizeof(so));
	cells[5] = fmt_spi(s->spi_in, si, sizeof(si));
	cells[6] = fmt_ports(s, true, ports, sizeof(ports));
	cells[7] = fmt_rate_cell(&s->rate_out, ro, sizeof(ro));
	cells[8] = fmt_rate_cell(&s->rate_in, ri, sizeof(ri));
	cells[9] = op;
	cells[10] = ip;
	cells[11] = dr;
	cells[12] = out_fmt_age(s->age_ms, age, sizeof(age));
	return out_table_add(t, cells);
}

static const char *fmt_rate_long(const struct spg_dp_rate *r, char *buf, size_t size)
{
	char bits[24];

	if (r->bytes_per_sec == 0)
		return "unlimited";
	out_fmt_bits(r->bytes_per_sec * 8, bits, sizeof(bits));
	if (r->burst_bytes == 0)
		snprintf(buf, size, "%s bit/s (%" PRIu64 " bytes/s), default burst", bits, r->bytes_per_sec);
	else
		snprintf(buf, size, "%s bit/s (%" PRIu64 " bytes/s), burst %" PRIu64 " bytes", bits,
			 r->bytes_per_sec, r->burst_bytes);
	return buf;
}

static void show_session(const struct spg_dp_session_info *s)
{
	char a[SPG_ADDR_STRLEN], b[16], ports[256], rate[96], age[24];

	out_kv(stdout, "id", "%" PRIu64, s->id);
	out_kv(stdout, "virtual", "%s", spg_addr_str(s->virtual_addr, a));
	out_kv(stdout, "workstation", "%s", spg_addr_str(s->workstation_addr, a));
	out_kv(stdout, "peer", "%s:%u", spg_addr_str(s->peer_addr, a), s->peer_port);
	out_kv(stdout, "spi out", "%s", fmt_spi(s->spi_out, b, sizeof(b)));
	out_kv(stdout, "spi in", "%s", fmt_spi(s->spi_in, b, sizeof(b)));
	out_kv(stdout, "ports", "%s", fmt_ports(s, false, ports, sizeof(ports)));
	out_kv(stdout, "icmp echo", "%s", s->icmp_echo ? "yes" : "no");
	out_kv(stdout, "rate out", "%s", fmt_rate_long(&s->rate_out, rate, sizeof(rate)));
	out_kv(stdout, "rate in", "%s", fmt_rate_long(&s->rate_in, rate, sizeof(rate)));
	out_kv(stdout, "age", "%s", out_fmt_age(s->age_ms, age, sizeof(age)));
	out_kv(stdout, "out", "%" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " drops", s->out.packets,
	       s->out.bytes, s->out.drops);
	out_kv(stdout, "in", "%" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " drops", s->in.packets,
	       s->in.bytes, s->in.drops);
}

static void print_done(struct spgctl *ctl, uint64_t id, const char *what)
{
	struct out_json j;

	if (!ctl->json) {
		printf("session %" PRIu64 " %s\n", id, what);
		return;
	}
	out_json_init(&j, stdout);
	out_json_object_begin(&j, NULL);
	out_json_u64(&j, "id", id);
	out_json_string(&j, "result", what);
	out_json_object_end(&j);
	out_json_finish(&j);
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
	char a[SPG_ADDR_STRLEN], version[SPG_DP_NAME_LEN + 1], pool[SPG_ADDR_STRLEN + 4];
	const char *cipher;
	struct out_json j;
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
	memcpy(version, rep.version, SPG_DP_NAME_LEN);
	version[SPG_DP_NAME_LEN] = '\0';
	cipher = rep.key_len == 16 ? "aes-128-gcm" : rep.key_len == 32 ? "aes-256-gcm" : "unknown";
	if (ctl->json) {
		out_json_init(&j, stdout);
		out_json_object_begin(&j, NULL);
		out_json_u64(&j, "api_version", rep.api_version);
		out_json_string(&j, "version", version);
		out_json_u64(&j, "sessions", rep.n_sessions);
		out_json_u64(&j, "max_sessions", rep.max_sessions);
		out_json_u64(&j, "workers", rep.n_workers);
		out_json_string(&j, "cipher", cipher);
		out_json_u64(&j, "key_len", rep.key_len);
		out_json_string(&j, "shared_address", spg_addr_str(rep.shared_addr, a));
		out_json_string(&j, "inner_address", spg_addr_str(rep.inner_addr, a));
		snprintf(pool, sizeof(pool), "%s/%u", spg_addr_str(rep.pool_addr, a), rep.pool_prefix_len);
		out_json_string(&j, "virtual_pool", pool);
		out_json_object_end(&j);
		out_json_finish(&j);
		return SPGCTL_EXIT_OK;
	}
	out_kv(stdout, "version", "%s", version);
	out_kv(stdout, "api version", "%u", rep.api_version);
	out_kv(stdout, "sessions", "%u / %u", rep.n_sessions, rep.max_sessions);
	out_kv(stdout, "workers", "%u", rep.n_workers);
	out_kv(stdout, "cipher", "%s (%u-byte keys)", cipher, rep.key_len);
	out_kv(stdout, "shared address", "%s", spg_addr_str(rep.shared_addr, a));
	out_kv(stdout, "inner address", "%s", spg_addr_str(rep.inner_addr, a));
	out_kv(stdout, "virtual pool", "%s/%u", spg_addr_str(rep.pool_addr, a), rep.pool_prefix_len);
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

static const char session_add_usage[] =
	"usage: spgatectl dp session add --id N --virtual A.B.C.D --workstation A.B.C.D\n"
	"           --peer A.B.C.D[:PORT] --spi-out SPI --spi-in SPI --key-out HEX --key-in HEX\n"
	"           [--ports LIST] [--icmp-echo] [--rate-out RATE] [--rate-in RATE]\n"
	"           [--burst-out BYTES] [--burst-in BYTES]\n"
	"\n"
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

enum { A_ID, A_VIRTUAL, A_WORKSTATION, A_PEER, A_SPI_OUT, A_SPI_IN, A_KEY_OUT, A_KEY_IN, A_PORTS, A_ICMP,
       A_RATE_OUT, A_RATE_IN, A_BURST_OUT, A_BURST_IN, A_END };

static int cmd_session_add(struct spgctl *ctl, int argc, char **argv)
{
	static const char cmd[] = "dp session add";
	struct spgctl_opt o[A_END + 1] = {
		[A_ID] = {"id", true, NULL, false},
		[A_VIRTUAL] = {"virtual", true, NULL, false},
		[A_WORKSTATION] = {"workstation", true, NULL, false},
		[A_PEER] = {"peer", true, NULL, false},
		[A_SPI_OUT] = {"spi-out", true, NULL, false},
		[A_SPI_IN] = {"spi-in", true, NULL, false},
		[A_KEY_OUT] = {"key-out", true, NULL, false},
		[A_KEY_IN] = {"key-in", true, NULL, false},
		[A_PORTS] = {"ports", true, NULL, false},
		[A_ICMP] = {"icmp-echo", false, NULL, false},
		[A_RATE_OUT] = {"rate-out", true, NULL, false},
		[A_RATE_IN] = {"rate-in", true, NULL, false},
		[A_BURST_OUT] = {"burst-out", true, NULL, false},
		[A_BURST_IN] = {"burst-in", true, NULL, false},
		[A_END] = {NULL, false, NULL, false},
	};
	struct spg_dp_session_add_req req;
	struct spg_dp_session_params *p = &req.p;
	int n_pos, rc, i;
	uint64_t id;

	rc = spgctl_parse(cmd, argc, argv, o, NULL, 0, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(session_add_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	for (i = A_ID; i <= A_KEY_IN; i++)
		if (!o[i].seen)
			return spgctl_usage_error(cmd, "missing --%s", o[i].name);
	memset(&req, 0, sizeof(req));
	if (!arg_session_id(cmd, "--id", o[A_ID].value, &p->id) ||
	    !arg_addr(cmd, "--virtual", o[A_VIRTUAL].value, &p->virtual_addr) ||
	    !arg_addr(cmd, "--workstation", o[A_WORKSTATION].value, &p->workstation_addr) ||
	    !arg_peer(cmd, "--peer", o[A_PEER].value, &p->peer_addr, &p->peer_port) ||
	    !arg_keys(cmd, &o[A_SPI_OUT], &o[A_SPI_IN], &o[A_KEY_OUT], &o[A_KEY_IN], p))
		return SPGCTL_EXIT_USAGE;
	if (o[A_PORTS].seen && !arg_ports(cmd, "--ports", o[A_PORTS].value, p))
		return SPGCTL_EXIT_USAGE;
	p->icmp_echo = o[A_ICMP].seen;
	if ((o[A_RATE_OUT].seen && !arg_rate(cmd, "--rate-out", o[A_RATE_OUT].value, &p->rate_out.bytes_per_sec)) ||
	    (o[A_RATE_IN].seen && !arg_rate(cmd, "--rate-in", o[A_RATE_IN].value, &p->rate_in.bytes_per_sec)) ||
	    (o[A_BURST_OUT].seen && !arg_u64(cmd, "--burst-out", o[A_BURST_OUT].value, &p->rate_out.burst_bytes)) ||
	    (o[A_BURST_IN].seen && !arg_u64(cmd, "--burst-in", o[A_BURST_IN].value, &p->rate_in.burst_bytes)))
		return SPGCTL_EXIT_USAGE;
	rc = dp_call(ctl, "session add", SPG_DP_SESSION_ADD, &req, sizeof(req), NULL, 0, NULL);
	if (rc == SPGCTL_EXIT_REFUSED && last_refusal == EINVAL)
		explain_add_einval(ctl, p);
	id = p->id;
	memset(&req, 0, sizeof(req)); /* keys */
	if (rc != 0)
		return rc;
	print_done(ctl, id, "added");
	return SPGCTL_EXIT_OK;
}

/* ---- dp session update ---- */

static const char session_update_usage[] =
	"usage: spgatectl dp session update ID [--peer A.B.C.D[:PORT]] [--rate-out RATE] [--rate-in RATE]\n"
	"           [--burst-out BYTES] [--burst-in BYTES] [--ports LIST] [--icmp-echo on|off]\n"
	"           [--spi-out SPI --spi-in SPI --key-out HEX --key-in HEX]\n"
	"\n"
	"Changes what is given and keeps the rest. The four key options together rekey the\n"
	"session. Values as for 'dp session add'.\n";

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
	if (!arg_session_id(cmd, "ID", pos[0], &p->id))
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
		if (!arg_keys(cmd, &o[U_SPI_OUT], &o[U_SPI_IN], &o[U_KEY_OUT], &o[U_KEY_IN], p))
			return SPGCTL_EXIT_USAGE;
		req.what |= SPG_DP_UPD_KEYS;
	}
	if (o[U_PEER].seen) {
		if (!arg_peer(cmd, "--peer", o[U_PEER].value, &p->peer_addr, &p->peer_port))
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

		if ((o[U_RATE_OUT].seen && !arg_rate(cmd, "--rate-out", o[U_RATE_OUT].value, &parsed.rate_out.bytes_per_sec)) ||
		    (o[U_RATE_IN].seen && !arg_rate(cmd, "--rate-in", o[U_RATE_IN].value, &parsed.rate_in.bytes_per_sec)) ||
		    (o[U_BURST_OUT].seen && !arg_u64(cmd, "--burst-out", o[U_BURST_OUT].value, &parsed.rate_out.burst_bytes)) ||
		    (o[U_BURST_IN].seen && !arg_u64(cmd, "--burst-in", o[U_BURST_IN].value, &parsed.rate_in.burst_bytes)) ||
		    (o[U_PORTS].seen && !arg_ports(cmd, "--ports", o[U_PORTS].value, &parsed)) ||
		    (o[U_ICMP].seen && !arg_onoff(cmd, "--icmp-echo", o[U_ICMP].value, &parsed.icmp_echo)))
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
	memset(&req.p.sa_out, 0, sizeof(req.p.sa_out));
	memset(&req.p.sa_in, 0, sizeof(req.p.sa_in));
	if (rc != 0)
		return rc;
	print_done(ctl, p->id, "updated");
	return SPGCTL_EXIT_OK;
}

/* ---- dp session del / show ---- */

static const char session_del_usage[] = "usage: spgatectl dp session del ID\n";
static const char session_show_usage[] = "usage: spgatectl dp session show ID\n";

/* Parses the lone ID argument of del and show; returns 0, SPGCTL_HELP or an exit code. */
static int parse_id_only(const char *cmd, const char *usage, int argc, char **argv, uint64_t *id)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	char *pos[1];
	int n_pos, rc;

	rc = spgctl_parse(cmd, argc, argv, opts, pos, 1, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(usage, stdout);
		return SPGCTL_HELP;
	}
	if (rc != 0)
		return rc;
	if (n_pos != 1)
		return spgctl_usage_error(cmd, "missing session ID");
	return arg_session_id(cmd, "ID", pos[0], id) ? 0 : SPGCTL_EXIT_USAGE;
}

static int cmd_session_del(struct spgctl *ctl, int argc, char **argv)
{
	struct spg_dp_session_id_req req = {0};
	int rc;

	rc = parse_id_only("dp session del", session_del_usage, argc, argv, &req.id);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	rc = dp_call(ctl, "session del", SPG_DP_SESSION_DEL, &req, sizeof(req), NULL, 0, NULL);
	if (rc != 0)
		return rc;
	print_done(ctl, req.id, "deleted");
	return SPGCTL_EXIT_OK;
}

static int cmd_session_show(struct spgctl *ctl, int argc, char **argv)
{
	struct spg_dp_session_info info;
	struct out_json j;
	uint64_t id;
	int rc;

	rc = parse_id_only("dp session show", session_show_usage, argc, argv, &id);
	if (rc != 0)
		return rc == SPGCTL_HELP ? SPGCTL_EXIT_OK : rc;
	rc = get_session(ctl, "session show", id, &info);
	if (rc != 0)
		return rc;
	if (ctl->json) {
		out_json_init(&j, stdout);
		json_session(&j, &info);
		out_json_finish(&j);
	} else {
		show_session(&info);
	}
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
	"  del ID\n"
	"  show ID\n";

static const struct spgctl_cmd session_cmds[] = {
	{"add", cmd_session_add, "add a session"},
	{"update", cmd_session_update, "change a session's endpoint, rate, ports or keys"},
	{"del", cmd_session_del, "delete a session"},
	{"show", cmd_session_show, "show one session"},
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
		t = out_table_new(N_SESSION_COLUMNS, session_columns, "lllllllrrrrrr");
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
				json_session(&j, &rep->entries[i]);
			else if (!table_session(t, &rep->entries[i]))
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

static const char *const port_names[SPG_DP_N_PORTS] = {"vendor", "sp"};

static void json_stats(const struct spg_dp_stats_rep *st)
{
	struct out_json j;
	unsigned int i;

	out_json_init(&j, stdout);
	out_json_object_begin(&j, NULL);
	out_json_u64(&j, "uptime_ms", st->uptime_ms);
	out_json_u64(&j, "sessions", st->n_sessions);
	out_json_u64(&j, "max_sessions", st->max_sessions);
	out_json_u64(&j, "workers", st->n_workers);
	out_json_object_begin(&j, "ports");
	for (i = 0; i < SPG_DP_N_PORTS; i++) {
		const struct spg_dp_port_stats *ps = &st->ports[i];

		out_json_object_begin(&j, port_names[i]);
		out_json_u64(&j, "rx_packets", ps->rx_packets);
		out_json_u64(&j, "rx_bytes", ps->rx_bytes);
		out_json_u64(&j, "tx_packets", ps->tx_packets);
		out_json_u64(&j, "tx_bytes", ps->tx_bytes);
		out_json_u64(&j, "rx_missed", ps->rx_missed);
		out_json_u64(&j, "tx_errors", ps->tx_errors);
		out_json_object_end(&j);
	}
	out_json_object_end(&j);
	out_json_object_begin(&j, "out");
	out_json_u64(&j, "packets", st->out.packets);
	out_json_u64(&j, "bytes", st->out.bytes);
	out_json_object_end(&j);
	out_json_object_begin(&j, "in");
	out_json_u64(&j, "packets", st->in.packets);
	out_json_u64(&j, "bytes", st->in.bytes);
	out_json_object_end(&j);
	out_json_u64(&j, "drops_total", st->drops_total);
	out_json_object_end(&j);
	out_json_finish(&j);
}

static void add_counter_row(struct out_table *t, const char *name, const uint64_t *v, unsigned int n)
{
	char cells[8][24];
	const char *row[9];
	unsigned int i;

	row[0] = name;
	for (i = 0; i < n && i < 8; i++) {
		snprintf(cells[i], sizeof(cells[i]), "%" PRIu64, v[i]);
		row[i + 1] = cells[i];
	}
	out_table_add(t, row);
}

static void human_stats(const struct spg_dp_stats_rep *st)
{
	static const char *const port_cols[] = {"PORT",     "RX-PKTS",   "RX-BYTES", "TX-PKTS",
						"TX-BYTES", "RX-MISSED", "TX-ERRORS"};
	static const char *const fwd_cols[] = {"FORWARDED", "PACKETS", "BYTES"};
	struct out_table *t;
	char age[24];
	unsigned int i;

	out_kv(stdout, "uptime", "%s", out_fmt_age(st->uptime_ms, age, sizeof(age)));
	out_kv(stdout, "sessions", "%u / %u", st->n_sessions, st->max_sessions);
	out_kv(stdout, "workers", "%u", st->n_workers);
	out_kv(stdout, "drops", "%" PRIu64, st->drops_total);
	fputc('\n', stdout);
	t = out_table_new(7, port_cols, "lrrrrrr");
	if (t != NULL) {
		for (i = 0; i < SPG_DP_N_PORTS; i++) {
			const struct spg_dp_port_stats *ps = &st->ports[i];
			uint64_t v[6] = {ps->rx_packets, ps->rx_bytes, ps->tx_packets,
					 ps->tx_bytes,   ps->rx_missed, ps->tx_errors};

			add_counter_row(t, port_names[i], v, 6);
		}
		out_table_flush(t, stdout);
		out_table_free(t);
	}
	fputc('\n', stdout);
	t = out_table_new(3, fwd_cols, "lrr");
	if (t != NULL) {
		uint64_t out[2] = {st->out.packets, st->out.bytes};
		uint64_t in[2] = {st->in.packets, st->in.bytes};

		add_counter_row(t, "out (vendor -> sp)", out, 2);
		add_counter_row(t, "in (sp -> vendor)", in, 2);
		out_table_flush(t, stdout);
		out_table_free(t);
	}
}

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
	if (ctl->json)
		json_stats(&st);
	else
		human_stats(&st);
	return SPGCTL_EXIT_OK;
}

/* ---- dp drops ---- */

static const char drops_usage[] =
	"usage: spgatectl dp drops [--all]\n"
	"Packets dropped by reason; only reasons that occurred unless --all.\n";

static int cmd_drops(struct spgctl *ctl, int argc, char **argv)
{
	static const char *const cols[] = {"REASON", "COUNT"};
	struct spgctl_opt opts[] = {{"all", false, NULL, false}, {NULL, false, NULL, false}};
	struct spg_dp_drops_rep rep;
	struct out_table *t = NULL;
	struct out_json j;
	char name[SPG_DP_NAME_LEN + 1], count[24];
	unsigned int i, shown = 0;
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
	if (ctl->json) {
		out_json_init(&j, stdout);
		out_json_object_begin(&j, NULL);
	} else {
		t = out_table_new(2, cols, "lr");
		if (t == NULL) {
			fprintf(stderr, "spgatectl: drops: out of memory\n");
			return SPGCTL_EXIT_REFUSED;
		}
	}
	for (i = 0; i < rep.n_reasons; i++) {
		if (rep.reasons[i].count == 0 && !opts[0].seen)
			continue;
		memcpy(name, rep.reasons[i].name, SPG_DP_NAME_LEN);
		name[SPG_DP_NAME_LEN] = '\0';
		if (ctl->json) {
			out_json_u64(&j, name, rep.reasons[i].count);
		} else {
			const char *row[2] = {name, count};

			snprintf(count, sizeof(count), "%" PRIu64, rep.reasons[i].count);
			out_table_add(t, row);
		}
		shown++;
	}
	if (ctl->json) {
		out_json_object_end(&j);
		out_json_finish(&j);
	} else {
		if (shown > 0)
			out_table_flush(t, stdout);
		else
			printf("no packets dropped\n");
		out_table_free(t);
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
	"  session del ID              delete a session\n"
	"  session show ID             show one session\n"
	"  sessions                    list all sessions\n"
	"  stats                       port counters, forwarded traffic, drops\n"
	"  drops [--all]               drops by reason (default: only nonzero)\n";

static const struct spgctl_cmd dp_cmds[] = {
	{"hello", cmd_hello, "version, capacity, cipher and addresses"},
	{"session", cmd_session, "add, update, delete or show one session"},
	{"sessions", cmd_sessions, "list all sessions"},
	{"stats", cmd_stats, "dataplane counters"},
	{"drops", cmd_drops, "drops by reason"},
	{NULL, NULL, NULL},
};

int spgctl_cmd_dp(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "dp", dp_cmds, argc, argv, dp_usage);
}
