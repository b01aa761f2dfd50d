/* SPDX-License-Identifier: BSD-3-Clause */
/* Grants: build, sign, verify (see grant.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "addr.h"
#include "grant.h"

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* The most recent OpenSSL error as text, or "unknown error" (and the queue emptied). */
static const char *ssl_error(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	ERR_clear_error();
	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	return buf;
}

const char *spg_grant_verdict_name(enum spg_grant_verdict v)
{
	switch (v) {
	case SPG_GRANT_OK:
		return "ok";
	case SPG_GRANT_BAD_SIGNATURE:
		return "bad signature";
	case SPG_GRANT_WRONG_SERIAL:
		return "wrong serial";
	case SPG_GRANT_EXPIRED:
		return "expired";
	case SPG_GRANT_MALFORMED:
		break;
	}
	return "malformed grant";
}

int spg_grant_new_nonce(struct spg_grant *g)
{
	uint8_t r[SPG_GRANT_NONCE_HEX / 2];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		return -EIO;
	for (i = 0; i < sizeof(r); i++)
		snprintf(&g->nonce[2 * i], 3, "%02x", r[i]);
	return 0;
}

bool spg_grant_port_parse(const char *s, uint8_t *proto, uint16_t *port)
{
	const char *num;
	unsigned long v;
	char *end;

	if (strncmp(s, "tcp:", 4) == 0)
		*proto = 6;
	else if (strncmp(s, "udp:", 4) == 0)
		*proto = 17;
	else
		return false;
	num = s + 4;
	if (*num < '1' || *num > '9')
		return false; /* no sign, no leading zero, not empty */
	errno = 0;
	v = strtoul(num, &end, 10);
	if (errno != 0 || *end != '\0' || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/* A name is printable ASCII without quotes or backslashes: it ends up in logs and tables. */
static bool name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == 0 || n >= max)
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == '"' || *s == '\\')
			return false;
	return true;
}

/* Exactly n lowercase hex digits: one spelling per value, so string comparison is exact. */
static bool hex_ok(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[i] == '\0';
}

/* The checks both ends apply to a grant's fields; names the first bad one in err. */
static bool grant_fields_ok(const struct spg_grant *g, char *err, size_t errlen)
{
	uint8_t proto;
	uint16_t port;
	size_t i;

	if (g->version != SPG_GRANT_VERSION) {
		say(err, errlen, "v: %" PRIu32 " is not version %d", g->version, SPG_GRANT_VERSION);
		return false;
	}
	if (!name_ok(g->engineer, sizeof(g->engineer))) {
		say(err, errlen, "engineer: \"%.64s\" is empty, too long or not printable", g->engineer);
		return false;
	}
	if (!name_ok(g->serial, sizeof(g->serial))) {
		say(err, errlen, "serial: \"%.64s\" is empty, too long or not printable", g->serial);
		return false;
	}
	if (g->n_groups > SPG_GRANT_MAX_GROUPS || g->n_ports == 0 || g->n_ports > SPG_GRANT_MAX_PORTS) {
		say(err, errlen, "groups/ports: %zu groups, %zu ports (ports 1..%d, groups 0..%d)",
		    g->n_groups, g->n_ports, SPG_GRANT_MAX_PORTS, SPG_GRANT_MAX_GROUPS);
		return false;
	}
	for (i = 0; i < g->n_groups; i++)
		if (!name_ok(g->groups[i], sizeof(g->groups[i]))) {
			say(err, errlen, "groups[%zu]: \"%.64s\" is empty, too long or not printable", i,
			    g->groups[i]);
			return false;
		}
	for (i = 0; i < g->n_ports; i++)
		if (!spg_grant_port_parse(g->ports[i], &proto, &port)) {
			say(err, errlen, "ports[%zu]: \"%.16s\" is not tcp:N or udp:N", i, g->ports[i]);
			return false;
		}
	if (g->expires <= g->issued || g->issued < 0) {
		say(err, errlen, "expires: %" PRId64 " is not after issued %" PRId64, g->expires,
		    g->issued);
		return false;
	}
	/* jansson's integers are signed 64-bit */
	if (g->session > INT64_MAX) {
		say(err, errlen, "session: %" PRIu64 " is above 2^63 - 1", g->session);
		return false;
	}
	if (g->gw_inner == 0 || g->gw_outer == 0 || g->gw_outer_port == 0) {
		say(err, errlen, "gw_inner/gw_outer: unset");
		return false;
	}
	if (!hex_ok(g->gw_cert, SPG_GRANT_CERT_HEX)) {
		say(err, errlen, "gw_cert: \"%.70s\" is not %d lowercase hex digits", g->gw_cert,
		    SPG_GRANT_CERT_HEX);
		return false;
	}
	if (!hex_ok(g->nonce, SPG_GRANT_NONCE_HEX)) {
		say(err, errlen, "nonce: \"%.40s\" is not %d lowercase hex digits", g->nonce,
		    SPG_GRANT_NONCE_HEX);
		return false;
	}
	return true;
}

int spg_grant_serialize(const struct spg_grant *g, char **out, size_t *out_len, char *err,
			size_t errlen)
{
	char inner[SPG_ADDR_STRLEN], outer[SPG_ADDR_STRLEN], endpoint[SPG_ENDPOINT_STRLEN];
	json_t *o, *groups, *ports;
	size_t i;
	char *s;

	if (!grant_fields_ok(g, err, errlen))
		return -EINVAL;
	groups = json_array();
	ports = json_array();
	for (i = 0; i < g->n_groups; i++)
		json_array_append_new(groups, json_string(g->groups[i]));
	for (i = 0; i < g->n_ports; i++)
		json_array_append_new(ports, json_string(g->ports[i]));
	snprintf(endpoint, sizeof(endpoint), "%s:%u", spg_addr_str(g->gw_outer, outer),
		 g->gw_outer_port);
	/* the contract's key order, so a person comparing a grant with the docs sees the same */
	o = json_pack("{s:i, s:I, s:s, s:o, s:s, s:I, s:I, s:o, s:b, s:s, s:s, s:s, s:s}",
		      "v", (int)g->version, "session", (json_int_t)g->session,
		      "engineer", g->engineer, "groups", groups, "serial", g->serial,
		      "issued", (json_int_t)g->issued, "expires", (json_int_t)g->expires,
		      "ports", ports, "icmp_echo", (int)g->icmp_echo,
		      "gw_inner", spg_addr_str(g->gw_inner, inner), "gw_outer", endpoint,
		      "gw_cert", g->gw_cert, "nonce", g->nonce);
	if (o == NULL) {
		say(err, errlen, "cannot build the grant's JSON");
		return -ENOMEM;
	}
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL) {
		say(err, errlen, "cannot serialise the grant");
		return -ENOMEM;
	}
	if (strlen(s) > SPG_GRANT_MAX_LEN) {
		say(err, errlen, "grant: %zu bytes, more than %d", strlen(s), SPG_GRANT_MAX_LEN);
		free(s);
		return -EINVAL;
	}
	*out = s;
	*out_len = strlen(s);
	return 0;
}

char *spg_base64_encode(const uint8_t *in, size_t len)
{
	size_t cap = 4 * ((len + 2) / 3) + 1;
	char *out = malloc(cap);

	if (out == NULL || len > INT32_MAX)
		goto fail;
	if (EVP_EncodeBlock((unsigned char *)out, in, (int)len) != (int)(cap - 1))
		goto fail;
	return out;
fail:
	free(out);
	return NULL;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Our own decoder: EVP_DecodeBlock accepts whitespace and leaves the padding's bytes in its
 * output, and a signature check must see exactly one byte string per encoding.
 */
uint8_t *spg_base64_decode(const char *in, size_t max_out, size_t *out_len)
{
	size_t n = strlen(in), i, o = 0, pad = 0;
	uint8_t *out;

	if (n == 0 || n % 4 != 0)
		return NULL;
	if (in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > max_out)
		return NULL;
	out = malloc(n / 4 * 3);
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i += 4) {
		int v[4], k;
		bool last = i + 4 == n;

		for (k = 0; k < 4; k++) {
			v[k] = b64_value(in[i + k]);
			if (v[k] < 0 && !(last && in[i + k] == '=' && k >= 4 - (int)pad))
				goto fail;
		}
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (last && pad == 2) {
			if ((v[1] & 0xf) != 0) /* non-canonical: leftover bits set */
				goto fail;
			break;
		}
		out[o++] = (uint8_t)((v[1] & 0xf) << 4 | v[2] >> 2);
		if (last && pad == 1) {
			if ((v[2] & 0x3) != 0)
				goto fail;
			break;
		}
		out[o++] = (uint8_t)((v[2] & 0x3) << 6 | v[3]);
	}
	*out_len = o;
	return out;
fail:
	free(out);
	return NULL;
}

int spg_grant_sign(const struct spg_grant *g, EVP_PKEY *key, char **grant_b64, char **sig_b64,
		   char *err, size_t errlen)
{
	uint8_t sig[SPG_GRANT_SIG_LEN];
	size_t sig_len = sizeof(sig), len;
	EVP_MD_CTX *md = NULL;
	char *json = NULL, ebuf[160];
	int rc;

	*grant_b64 = *sig_b64 = NULL;
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		say(err, errlen, "signing key: not an Ed25519 key");
		return -EINVAL;
	}
	rc = spg_grant_serialize(g, &json, &len, err, errlen);
	if (rc != 0)
		return rc;
	rc = -EIO;
	md = EVP_MD_CTX_new();
	/* Ed25519 signs the message itself: no digest (NULL), one-shot EVP_DigestSign */
	if (md == NULL || EVP_DigestSignInit(md, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)json, len) != 1 ||
	    sig_len != SPG_GRANT_SIG_LEN) {
		say(err, errlen, "signing the grant: %s", ssl_error(ebuf, sizeof(ebuf)));
		goto out;
	}
	*grant_b64 = spg_base64_encode((const uint8_t *)json, len);
	*sig_b64 = spg_base64_encode(sig, sig_len);
	if (*grant_b64 == NULL || *sig_b64 == NULL) {
		free(*grant_b64);
		free(*sig_b64);
		*grant_b64 = *sig_b64 = NULL;
		say(err, errlen, "out of memory encoding the grant");
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(json);
	return rc;
}

static bool sig_holds(EVP_PKEY *pub, const uint8_t *msg, size_t len, const uint8_t *sig,
		      size_t sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok;

	ok = md != NULL && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pub) == 1 &&
	     EVP_DigestVerify(md, sig, sig_len, msg, len) == 1;
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

/* Copies a JSON string member into buf; false if absent, not a string or too long. */
static bool get_str(json_t *o, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	if (!json_is_string(v))
		return false;
	s = json_string_value(v);
	if (strlen(s) != json_string_length(v) || strlen(s) >= size) /* embedded NUL, too long */
		return false;
	memcpy(buf, s, strlen(s) + 1);
	return true;
}

static bool get_int(json_t *o, const char *key, json_int_t min, json_int_t *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < min)
		return false;
	*out = json_integer_value(v);
	return true;
}

static bool get_str_array(json_t *o, const char *key, char *base, size_t item_size,
			  size_t max_items, size_t *n)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > max_items)
		return false;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) >= item_size ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return false;
		strcpy(base + i * item_size, json_string_value(v));
	}
	*n = json_array_size(a);
	return true;
}

/* Parses the signed bytes into g; names the first bad field in detail. */
static bool grant_parse(const uint8_t *buf, size_t len, struct spg_grant *g, char *detail,
			size_t detail_len)
{
	char gw_inner[SPG_ADDR_STRLEN], gw_outer[SPG_ENDPOINT_STRLEN];
	json_int_t v = 0, session = 0, issued = 0, expires = 0;
	json_error_t jerr;
	const char *bad = NULL;
	json_t *o, *icmp;

	memset(g, 0, sizeof(*g));
	o = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		say(detail, detail_len, "grant is not a JSON object: %s", o ? "" : jerr.text);
		json_decref(o);
		return false;
	}
	/* jansson's integers are signed 64-bit: sessions above 2^63 cannot be expressed */
	if (!get_int(o, "v", 0, &v))
		bad = "v";
	else if (!get_int(o, "session", 0, &session))
		bad = "session";
	else if (!get_str(o, "engineer", g->engineer, sizeof(g->engineer)))
		bad = "engineer";
	else if (!get_str_array(o, "groups", &g->groups[0][0], sizeof(g->groups[0]),
				SPG_GRANT_MAX_GROUPS, &g->n_groups))
		bad = "groups";
	else if (!get_str(o, "serial", g->serial, sizeof(g->serial)))
		bad = "serial";
	else if (!get_int(o, "issued", 0, &issued))
		bad = "issued";
	else if (!get_int(o, "expires", 0, &expires))
		bad = "expires";
	else if (!get_str_array(o, "ports", &g->ports[0][0], sizeof(g->ports[0]),
				SPG_GRANT_MAX_PORTS, &g->n_ports))
		bad = "ports";
	else if (!json_is_boolean(icmp = json_object_get(o, "icmp_echo")))
		bad = "icmp_echo";
	else if (!get_str(o, "gw_inner", gw_inner, sizeof(gw_inner)) ||
		 !spg_addr_parse(gw_inner, &g->gw_inner))
		bad = "gw_inner";
	else if (!get_str(o, "gw_outer", gw_outer, sizeof(gw_outer)) ||
		 !spg_endpoint_parse(gw_outer, &g->gw_outer, &g->gw_outer_port, 4500))
		bad = "gw_outer";
	else if (!get_str(o, "gw_cert", g->gw_cert, sizeof(g->gw_cert)))
		bad = "gw_cert";
	else if (!get_str(o, "nonce", g->nonce, sizeof(g->nonce)))
		bad = "nonce";
	/* say it plainly for an old grant: v1 had no gw_cert and could be used by anyone */
	if (bad == NULL || strcmp(bad, "v") != 0)
		if (get_int(o, "v", 0, &v) && v != SPG_GRANT_VERSION) {
			say(detail, detail_len, "grant version %lld, this agent takes version %d only",
			    (long long)v, SPG_GRANT_VERSION);
			json_decref(o);
			return false;
		}
	if (bad != NULL) {
		say(detail, detail_len, "grant field \"%s\" missing or ill-typed", bad);
		json_decref(o);
		return false;
	}
	g->version = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
	g->session = (uint64_t)session;
	g->issued = issued;
	g->expires = expires;
	g->icmp_echo = json_is_true(icmp);
	json_decref(o);
	return grant_fields_ok(g, detail, detail_len);
}

enum spg_grant_verdict spg_grant_verify(const char *grant_b64, const char *sig_b64, EVP_PKEY *pub,
					const char *my_serial, time_t now, struct spg_grant *out,
					char *detail, size_t detail_len)
{
	enum spg_grant_verdict v = SPG_GRANT_MALFORMED;
	uint8_t *grant = NULL, *sig = NULL;
	size_t grant_len, sig_len;
	struct spg_grant g;

	say(detail, detail_len, "ok");
	if (grant_b64 == NULL || sig_b64 == NULL) {
		say(detail, detail_len, "grant or sig missing");
		return SPG_GRANT_MALFORMED;
	}
	grant = spg_base64_decode(grant_b64, SPG_GRANT_MAX_LEN, &grant_len);
	sig = spg_base64_decode(sig_b64, SPG_GRANT_SIG_LEN, &sig_len);
	if (grant == NULL || sig == NULL) {
		say(detail, detail_len, "%s is not base64 (or too long)", grant ? "sig" : "grant");
		goto out;
	}
	if (sig_len != SPG_GRANT_SIG_LEN || pub == NULL ||
	    !sig_holds(pub, grant, grant_len, sig, sig_len)) {
		say(detail, detail_len, "the signature does not verify with the vendor key");
		v = SPG_GRANT_BAD_SIGNATURE;
		goto out;
	}
	if (!grant_parse(grant, grant_len, &g, detail, detail_len))
		goto out;
	if (out != NULL)
		*out = g;
	if (my_serial == NULL || strcmp(g.serial, my_serial) != 0) {
		say(detail, detail_len, "grant is for serial \"%s\", this SP is \"%s\"", g.serial,
		    my_serial ? my_serial : "");
		v = SPG_GRANT_WRONG_SERIAL;
		goto out;
	}
	if ((int64_t)now >= g.expires) {
		say(detail, detail_len, "grant expired at %" PRId64 ", now is %" PRId64, g.expires,
		    (int64_t)now);
		v = SPG_GRANT_EXPIRED;
		goto out;
	}
	v = SPG_GRANT_OK;
out:
	free(grant);
	free(sig);
	return v;
}

static EVP_PKEY *load_key(const char *path, bool private, char *err, size_t errlen)
{
	EVP_PKEY *k;
	char ebuf[160];
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL) {
		say(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	k = private ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (k == NULL) {
		say(err, errlen, "%s: not a PEM %s key: %s", path, private ? "private" : "public",
		    ssl_error(ebuf, sizeof(ebuf)));
		return NULL;
	}
	if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
		say(err, errlen, "%s: a %s key, not Ed25519", path, EVP_PKEY_get0_type_name(k));
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

EVP_PKEY *spg_grant_load_private_key(const char *path, char *err, size_t errlen)
{
	return load_key(path, true, err, errlen);
}

EVP_PKEY *spg_grant_load_public_key(const char *path, char *err, size_t errlen)
{
	return load_key(path, false, err, errlen);
}

static int write_pem(const char *path, EVP_PKEY *k, bool private, char *err, size_t errlen)
{
	char ebuf[160];
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, private ? 0600 : 0644);
	if (fd < 0) {
		say(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -errno;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		say(err, errlen, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	ok = private ? PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) : PEM_write_PUBKEY(f, k);
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		say(err, errlen, "%s: cannot write the key: %s", path, ssl_error(ebuf, sizeof(ebuf)));
		unlink(path);
		return -EIO;
	}
	return 0;
}

int spg_grant_gen_keypair(const char *priv_path, const char *pub_path, char *err, size_t errlen)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char ebuf[160];
	int rc;

	if (k == NULL) {
		say(err, errlen, "Ed25519 key generation failed: %s", ssl_error(ebuf, sizeof(ebuf)));
		return -EIO;
	}
	rc = write_pem(priv_path, k, true, err, errlen);
	if (rc == 0) {
		rc = write_pem(pub_path, k, false, err, errlen);
		if (rc != 0)
			unlink(priv_path);
	}
	EVP_PKEY_free(k);
	return rc;
}

void spg_esp_exporter_context(uint64_t session, uint32_t generation,
			      uint8_t ctx[SPG_ESP_EXPORTER_CTX_LEN])
{
	int i;

	for (i = 0; i < 8; i++)
		ctx[i] = (uint8_t)(session >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		ctx[8 + i] = (uint8_t)(generation >> (24 - 8 * i));
}

const char *spg_cert_fingerprint(X509 *cert, char out[SPG_GRANT_CERT_HEX + 1])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0, i;

	if (cert == NULL || X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32) {
		ERR_clear_error();
		return NULL;
	}
	for (i = 0; i < len; i++)
		snprintf(&out[2 * i], 3, "%02x", md[i]);
	return out;
}

const char *spg_key_fingerprint(const uint8_t *key_salt, size_t len, char out[9])
{
	uint8_t md[SHA256_DIGEST_LENGTH];

	SHA256(key_salt, len, md);
	snprintf(out, 9, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
	return out;
}
