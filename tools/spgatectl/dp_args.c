/* SPDX-License-Identifier: BSD-3-Clause */
/* Argument parsers of `spgatectl dp ...`: each names the option and quotes the bad value. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dp_api.h"
#include "dp_cmds.h"
#include "spgatectl.h"

#define PEER_DEFAULT_PORT 4500

bool dp_arg_u64(const char *cmd, const char *opt, const char *s, uint64_t *v)
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

bool dp_arg_session_id(const char *cmd, const char *opt, const char *s, uint64_t *id)
{
	if (!dp_arg_u64(cmd, opt, s, id))
		return false;
	if (*id == 0) {
		spgctl_usage_error(cmd, "%s: session id 0 is reserved", opt);
		return false;
	}
	return true;
}

bool dp_arg_addr(const char *cmd, const char *opt, const char *s, uint32_t *addr)
{
	if (spg_addr_parse(s, addr) && *addr != 0)
		return true;
	spgctl_usage_error(cmd, "%s: \"%s\" is not an IPv4 address", opt, s);
	return false;
}

bool dp_arg_peer(const char *cmd, const char *opt, const char *s, uint32_t *addr, uint16_t *port)
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

bool dp_arg_rate(const char *cmd, const char *opt, const char *s, uint64_t *bytes_per_sec)
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
bool dp_arg_ports(const char *cmd, const char *opt, const char *s, struct spg_dp_session_params *p)
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

bool dp_arg_onoff(const char *cmd, const char *opt, const char *s, uint8_t *v)
{
	if (strcmp(s, "on") == 0 || strcmp(s, "off") == 0) {
		*v = strcmp(s, "on") == 0;
		return true;
	}
	spgctl_usage_error(cmd, "%s: \"%s\" is neither on nor off", opt, s);
	return false;
}

/* The four options of a key set; all or none. Returns false after a usage message. */
bool dp_arg_keys(const char *cmd, struct spgctl_opt *spi_out, struct spgctl_opt *spi_in,
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

/* Parses the lone ID argument of del and show; returns 0, SPGCTL_HELP or an exit code. */
int dp_arg_id_only(const char *cmd, const char *usage, int argc, char **argv, uint64_t *id)
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
	return dp_arg_session_id(cmd, "ID", pos[0], id) ? 0 : SPGCTL_EXIT_USAGE;
}

enum { A_ID, A_VIRTUAL, A_WORKSTATION, A_PEER, A_SPI_OUT, A_SPI_IN, A_KEY_OUT, A_KEY_IN, A_PORTS, A_ICMP,
       A_RATE_OUT, A_RATE_IN, A_BURST_OUT, A_BURST_IN, A_BATCH, A_END };

/* The options that set rates and bursts, each when given. */
static bool arg_rates(const char *cmd, const struct spgctl_opt *o, struct spg_dp_session_params *p)
{
	return (!o[A_RATE_OUT].seen || dp_arg_rate(cmd, "--rate-out", o[A_RATE_OUT].value, &p->rate_out.bytes_per_sec)) &&
	       (!o[A_RATE_IN].seen || dp_arg_rate(cmd, "--rate-in", o[A_RATE_IN].value, &p->rate_in.bytes_per_sec)) &&
	       (!o[A_BURST_OUT].seen || dp_arg_u64(cmd, "--burst-out", o[A_BURST_OUT].value, &p->rate_out.burst_bytes)) &&
	       (!o[A_BURST_IN].seen || dp_arg_u64(cmd, "--burst-in", o[A_BURST_IN].value, &p->rate_in.burst_bytes));
}

int dp_arg_session_add(const char *cmd, int argc, char **argv, struct spg_dp_session_params *p, const char **batch)
{
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
		[A_BATCH] = {"batch", true, NULL, false},
		[A_END] = {NULL, false, NULL, false},
	};
	int n_pos, rc, i;

	rc = spgctl_parse(cmd, argc, argv, o, NULL, 0, &n_pos);
	if (rc != 0)
		return rc;
	if (o[A_BATCH].seen) {
		if (batch == NULL) /* a line of a batch file */
			return spgctl_usage_error(cmd, "--batch belongs on the command line, not in a batch file");
		for (i = A_ID; i < A_BATCH; i++)
			if (o[i].seen)
				return spgctl_usage_error(cmd, "--batch takes the sessions from its file: --%s "
							  "belongs on the file's lines", o[i].name);
		*batch = o[A_BATCH].value;
		return 0;
	}
	for (i = A_ID; i <= A_KEY_IN; i++)
		if (!o[i].seen)
			return spgctl_usage_error(cmd, "missing --%s", o[i].name);
	if (!dp_arg_session_id(cmd, "--id", o[A_ID].value, &p->id) ||
	    !dp_arg_addr(cmd, "--virtual", o[A_VIRTUAL].value, &p->virtual_addr) ||
	    !dp_arg_addr(cmd, "--workstation", o[A_WORKSTATION].value, &p->workstation_addr) ||
	    !dp_arg_peer(cmd, "--peer", o[A_PEER].value, &p->peer_addr, &p->peer_port) ||
	    !dp_arg_keys(cmd, &o[A_SPI_OUT], &o[A_SPI_IN], &o[A_KEY_OUT], &o[A_KEY_IN], p))
		return SPGCTL_EXIT_USAGE;
	if (o[A_PORTS].seen && !dp_arg_ports(cmd, "--ports", o[A_PORTS].value, p))
		return SPGCTL_EXIT_USAGE;
	p->icmp_echo = o[A_ICMP].seen;
	return arg_rates(cmd, o, p) ? 0 : SPGCTL_EXIT_USAGE;
}
