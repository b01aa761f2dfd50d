/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * spgate-espgen's SA file: one SA a line, "SPI KEY PEER DPORT" (blank lines and lines
 * starting with # skipped): SPI in decimal or 0x-hex (1 .. 2^32-1), KEY the 16-byte AES key
 * and 4-byte salt as 40 hex digits (spgatectl's --key-in), PEER the SP site's outer IPv4
 * address, DPORT the inner packets' destination port (1 .. 65535).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "espgen_sa.h"

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_key(const char *s, struct espgen_sa *sa)
{
	uint8_t b[ESPGEN_KEY_LEN + ESPGEN_SALT_LEN];

	if (strlen(s) != 2 * sizeof(b))
		return -1;
	for (size_t i = 0; i < sizeof(b); i++) {
		int hi = hex_nibble(s[2 * i]), lo = hex_nibble(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(sa->key, b, ESPGEN_KEY_LEN);
	memcpy(sa->salt, b + ESPGEN_KEY_LEN, ESPGEN_SALT_LEN);
	return 0;
}

static int parse_u32(const char *s, unsigned long long max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s == '-' || *s == '\0')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v == 0 || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int espgen_sa_parse(const char *line, struct espgen_sa *sa, char *err, size_t err_len)
{
	char spi[32], key[64], peer[32], dport[16], extra[2];
	struct in_addr a;
	uint32_t v;
	int n = sscanf(line, "%31s %63s %31s %15s %1s", spi, key, peer, dport, extra);

	if (n != 4) {
		snprintf(err, err_len, "expected \"SPI KEY PEER DPORT\", found %d field%s", n < 0 ? 0 : n,
			 n == 1 ? "" : "s");
		return -EINVAL;
	}
	if (parse_u32(spi, UINT32_MAX, &sa->spi) != 0) {
		snprintf(err, err_len, "SPI \"%s\" is not a number from 1 to 4294967295", spi);
		return -EINVAL;
	}
	if (parse_key(key, sa) != 0) {
		snprintf(err, err_len, "key \"%.63s\" is not 40 hex digits (16-byte AES key, 4-byte salt)", key);
		return -EINVAL;
	}
	if (inet_pton(AF_INET, peer, &a) != 1) {
		snprintf(err, err_len, "peer \"%s\" is not an IPv4 address", peer);
		return -EINVAL;
	}
	sa->peer = ntohl(a.s_addr);
	if (parse_u32(dport, 65535, &v) != 0) {
		snprintf(err, err_len, "port \"%s\" is not a number from 1 to 65535", dport);
		return -EINVAL;
	}
	sa->inner_dport = (uint16_t)v;
	return 0;
}

int espgen_sa_load(const char *path, struct espgen_sa *sas, uint32_t max, uint32_t *n_out)
{
	char line[256], err[160];
	unsigned int lineno = 0;
	uint32_t n = 0;
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "spgate-espgen: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		const char *p = line + strspn(line, " \t");

		lineno++;
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		if (n == max) {
			fprintf(stderr, "spgate-espgen: %s:%u: more than %u SAs\n", path, lineno, max);
			fclose(f);
			return -E2BIG;
		}
		if (espgen_sa_parse(p, &sas[n], err, sizeof(err)) != 0) {
			fprintf(stderr, "spgate-espgen: %s:%u: %s\n", path, lineno, err);
			fclose(f);
			return -EINVAL;
		}
		n++;
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "spgate-espgen: %s: no SA\n", path);
		return -EINVAL;
	}
	*n_out = n;
	return 0;
}
