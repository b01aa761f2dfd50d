/* SPDX-License-Identifier: BSD-3-Clause */
/* IPv4 address, prefix and endpoint parsing: dotted quads only, nothing inet_aton would guess. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

/*
 * Four parts of 1..3 decimal digits separated by single dots, and no leading zeros: inet_aton
 * would read "010" as octal, so an operator who wrote it cannot mean what we would parse.
 */
static bool dotted_quad_shape(const char *s, size_t len)
{
	size_t digits = 0, parts = 1, i;

	if (len < 7 || len > SPG_ADDR_STRLEN - 1)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (digits == 0)
				return false;
			parts++;
			digits = 0;
		} else if (s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && s[i - 1] == '0')
				return false;
			if (++digits > 3)
				return false;
		} else {
			return false;
		}
	}
	return parts == 4 && digits > 0;
}

/* Parses the first len characters of s. */
static bool addr_parse_n(const char *s, size_t len, uint32_t *addr)
{
	char buf[SPG_ADDR_STRLEN];
	struct in_addr in;

	if (!dotted_quad_shape(s, len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* inet_pton refuses parts above 255, which the shape check does not look at. */
	if (inet_pton(AF_INET, buf, &in) != 1)
		return false;
	*addr = in.s_addr;
	return true;
}

/* 1..max_digits decimal digits, value in min..max. */
static bool decimal_parse(const char *s, size_t max_digits, unsigned long min, unsigned long max,
			  unsigned long *value)
{
	unsigned long v = 0;
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		if (*s < '0' || *s > '9' || n == max_digits)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (n == 0 || v < min || v > max)
		return false;
	*value = v;
	return true;
}

bool spg_addr_parse(const char *s, uint32_t *addr)
{
	if (s == NULL)
		return false;
	return addr_parse_n(s, strlen(s), addr);
}

uint32_t spg_prefix_mask(uint8_t len)
{
	if (len == 0)
		return 0;
	if (len >= 32)
		return 0xffffffffu;
	return htonl(0xffffffffu << (32 - len));
}

bool spg_prefix_parse(const char *s, uint32_t *addr, uint8_t *len, bool strict_network)
{
	unsigned long plen;
	const char *slash;
	uint32_t a;

	if (s == NULL || (slash = strchr(s, '/')) == NULL)
		return false;
	if (!addr_parse_n(s, (size_t)(slash - s), &a))
		return false;
	if (!decimal_parse(slash + 1, 2, 0, 32, &plen))
		return false;
	if (strict_network && (a & ~spg_prefix_mask((uint8_t)plen)) != 0)
		return false;
	*addr = a;
	*len = (uint8_t)plen;
	return true;
}

bool spg_endpoint_parse(const char *s, uint32_t *addr, uint16_t *port, uint16_t default_port)
{
	unsigned long p = default_port;
	const char *colon;
	uint32_t a;

	if (s == NULL)
		return false;
	colon = strchr(s, ':');
	if (colon == NULL) {
		if (!addr_parse_n(s, strlen(s), &a))
			return false;
	} else {
		if (!addr_parse_n(s, (size_t)(colon - s), &a))
			return false;
		if (!decimal_parse(colon + 1, 5, 1, 65535, &p))
			return false;
	}
	*addr = a;
	*port = (uint16_t)p;
	return true;
}

const char *spg_addr_str(uint32_t addr, char *buf)
{
	const uint8_t *b = (const uint8_t *)&addr;

	snprintf(buf, SPG_ADDR_STRLEN, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
	return buf;
}
