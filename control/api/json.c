/* SPDX-License-Identifier: BSD-3-Clause */
/* Request parsing, replies and argument getters of the JSON API. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "api/json.h"

json_t *api_json_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

/* Length of the valid UTF-8 sequence (RFC 3629) at s, or 0 when s starts none. */
static size_t utf8_seq_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0; /* a continuation byte, an overlong lead (c0, c1), or beyond U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* beyond U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0; /* the NUL ending the string stops here too */
	return n;
}

void api_utf8_sanitize(char *s)
{
	unsigned char *p = (unsigned char *)s;
	size_t n;

	while (*p != '\0') {
		n = utf8_seq_len(p);
		if (n == 0)
			*p++ = '?';
		else
			p += n;
	}
}

json_t *api_json_error(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* jansson takes only UTF-8 and would give no reply at all: messages quote the client's
	 * bytes, cut anywhere (a parse error's excerpt, "%.64s", the size of msg). */
	api_utf8_sanitize(msg);
	return json_pack("{s:b,s:s,s:s}", "ok", 0, "error", code, "message", msg);
}

json_t *api_json_parse_request(const char *line, size_t len, const char **op, json_t **err)
{
	json_error_t jerr;
	json_t *req, *jop;

	/* Two "op"s or "id"s would let the client and the server read different ones. */
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (req == NULL) {
		*err = api_json_error(API_E_BAD_REQUEST, "the request is not valid JSON: %s at column %d",
				      jerr.text, jerr.column);
		return NULL;
	}
	if (!json_is_object(req)) {
		*err = api_json_error(API_E_BAD_REQUEST, "the request must be a JSON object");
		goto fail;
	}
	jop = json_object_get(req, "op");
	if (jop == NULL) {
		*err = api_json_error(API_E_BAD_REQUEST, "missing argument \"op\"");
		goto fail;
	}
	if (!json_is_string(jop) || json_string_length(jop) == 0) {
		*err = api_json_error(API_E_BAD_REQUEST, "argument \"op\" must be a non-empty string");
		goto fail;
	}
	*op = json_string_value(jop);
	return req;
fail:
	json_decref(req);
	return NULL;
}

char *api_json_dump_line(const json_t *reply, size_t *len)
{
	char *text, *line;
	size_t n;

	text = json_dumps(reply, JSON_COMPACT);
	if (text == NULL)
		return NULL;
	n = strlen(text);
	line = realloc(text, n + 2);
	if (line == NULL) {
		free(text);
		return NULL;
	}
	line[n] = '\n';
	line[n + 1] = '\0';
	*len = n + 1;
	return line;
}

static int bad_arg(json_t **err, const char *name, const char *what)
{
	*err = api_json_error(API_E_BAD_REQUEST, "argument \"%s\" %s", name, what);
	return -EINVAL;
}

int api_arg_string_opt(const json_t *req, const char *name, const char **out, json_t **err)
{
	json_t *v = json_object_get(req, name);

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad_arg(err, name, "must be a string");
	if (json_string_length(v) == 0)
		return bad_arg(err, name, "must not be empty");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return bad_arg(err, name, "must not contain NUL characters");
	*out = json_string_value(v);
	return 0;
}

int api_arg_string(const json_t *req, const char *name, const char **out, json_t **err)
{
	int ret = api_arg_string_opt(req, name, out, err);

	if (ret == 0 && *out == NULL) {
		*err = api_json_error(API_E_BAD_REQUEST, "missing argument \"%s\"", name);
		return -EINVAL;
	}
	return ret;
}

int api_arg_id(const json_t *req, const char *name, uint64_t *out, json_t **err)
{
	json_t *v = json_object_get(req, name);

	if (v == NULL || json_is_null(v)) {
		*err = api_json_error(API_E_BAD_REQUEST, "missing argument \"%s\"", name);
		return -EINVAL;
	}
	/* JSON integers only: "2" accepted while "abc" is refused was an inconsistency (issue 13) */
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v))
		return bad_arg(err, name, "must be a non-negative JSON integer, not a string");
	return bad_arg(err, name, "must be a non-negative integer");
}

int api_arg_uint_opt(const json_t *req, const char *name, uint64_t max, uint64_t *out, json_t **err)
{
	json_t *v = json_object_get(req, name);
	char what[64];

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_arg(err, name, "must be a non-negative integer");
	if ((uint64_t)json_integer_value(v) > max) {
		snprintf(what, sizeof(what), "must be at most %" PRIu64, max);
		return bad_arg(err, name, what);
	}
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

int api_arg_bool_opt(const json_t *req, const char *name, bool *out, json_t **err)
{
	json_t *v = json_object_get(req, name);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bad_arg(err, name, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

int api_arg_ipv4_opt(const json_t *req, const char *name, uint32_t *out, bool *given, json_t **err)
{
	const char *s;
	uint32_t a;
	int ret;

	*given = false;
	ret = api_arg_string_opt(req, name, &s, err);
	if (ret != 0 || s == NULL)
		return ret;
	if (!spg_addr_parse(s, &a)) {
		*err = api_json_error(API_E_BAD_REQUEST, "argument \"%s\": \"%.64s\" is not an IPv4 address", name, s);
		return -EINVAL;
	}
	*out = a;
	*given = true;
	return 0;
}

int api_arg_choice_opt(const json_t *req, const char *name, const char *const *choices, int *index,
		       json_t **err)
{
	char list[256];
	size_t used = 0;
	const char *s;
	int ret, i;

	ret = api_arg_string_opt(req, name, &s, err);
	if (ret != 0 || s == NULL)
		return ret;
	for (i = 0; choices[i] != NULL; i++) {
		if (strcmp(s, choices[i]) == 0) {
			*index = i;
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; choices[i] != NULL && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", choices[i]);
	*err = api_json_error(API_E_BAD_REQUEST, "argument \"%s\": \"%.64s\" is not one of %s", name, s, list);
	return -EINVAL;
}

int api_json_set_ipv4(json_t *obj, const char *key, uint32_t addr)
{
	char buf[SPG_ADDR_STRLEN];

	if (addr == 0)
		return json_object_set_new(obj, key, json_null());
	return json_object_set_new(obj, key, json_string(spg_addr_str(addr, buf)));
}
