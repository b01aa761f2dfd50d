/* SPDX-License-Identifier: BSD-3-Clause */
/* --check-config's second half: the files the config names, loaded as the start loads them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "api/server.h"
#include "config_files.h"
#include "grant.h"
#include "sp_handshake.h"
#include "web/web.h"

/* Missing and unreadable files first, with errno's words: OpenSSL's own are vaguer. */
static int readable(const char *key, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s %s: cannot read: %s", key, path, strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

static int check_readable(const struct ctl_config *c, char *err, size_t errlen)
{
	const struct {
		const char *key;
		const char *path;
	} files[] = {
		{"engineer_api.certificate", c->engineer_api.certificate},
		{"engineer_api.private_key", c->engineer_api.private_key},
		{"grant.signing_key", c->grant.signing_key},
		{"agent.ca", c->agent.ca},
		{"agent.client_certificate", c->agent.client_certificate},
		{"agent.client_key", c->agent.client_key},
	};
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (readable(files[i].key, files[i].path, err, errlen) != 0)
			return -1;
	return 0;
}

/* The web console's certificate, key and pages, when it is on. */
static int check_web(const struct ctl_config *c, char *err, size_t errlen)
{
	SSL_CTX *ctx;

	if (!c->web.enabled)
		return 0;
	if (readable("web.certificate", c->web.certificate, err, errlen) != 0 ||
	    readable("web.key", c->web.private_key, err, errlen) != 0)
		return -1;
	ctx = web_tls_context(c, err, errlen);
	if (ctx == NULL)
		return -1;
	SSL_CTX_free(ctx);
	return web_check_static_dir(c, err, errlen);
}

int ctl_config_check_files(const struct ctl_config *c, char *err, size_t errlen)
{
	struct api_server_config sc = {
		.tls_certificate = c->engineer_api.certificate,
		.tls_private_key = c->engineer_api.private_key,
	};
	char why[400];
	EVP_PKEY *grant_key;
	SSL_CTX *ctx;

	if (check_readable(c, err, errlen) != 0)
		return -1;
	ctx = api_tls_context(&sc, err, errlen);
	if (ctx == NULL)
		return -1;
	SSL_CTX_free(ctx);
	grant_key = spg_grant_load_private_key(c->grant.signing_key, why, sizeof(why));
	if (grant_key == NULL) {
		snprintf(err, errlen, "grant.signing_key: %s", why);
		return -1;
	}
	EVP_PKEY_free(grant_key);
	ctx = sph_client_ctx(c->agent.ca, c->agent.client_certificate, c->agent.client_key, why, sizeof(why));
	if (ctx == NULL) {
		snprintf(err, errlen, "agent (ca, client_certificate, client_key): %s", why);
		return -1;
	}
	SSL_CTX_free(ctx);
	return check_web(c, err, errlen);
}
