/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the grant decoder/verifier (common/grant.c's spg_grant_verify). With
 * bit 0 of the first byte set, the rest is "GRANT_B64\nSIG_B64" as an agent receives it
 * (base64 decoding, the signature check); otherwise the rest is the grant document itself,
 * which the harness signs with the vendor key (a fixed test key) so the JSON decoding and
 * field checks behind the signature are reached. A grant that verifies must be well formed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "grant.h"

#define NOW 1700000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *vendor_key;

static EVP_PKEY *test_key(void)
{
	static const uint8_t seed[32] = {0x5e, 0x9a, 0x7e, 1, 2, 3, 4, 5, 6, 7, 8, 9};
	EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));

	if (k == NULL)
		abort();
	return k;
}

/* Signs the raw document: the builder would refuse to make most of what the fuzzer tries. */
static void sign_raw(const uint8_t *msg, size_t len, char **gb, char **sb)
{
	uint8_t sig[64];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (EVP_DigestSignInit(md, NULL, NULL, NULL, vendor_key) != 1 ||
	    EVP_DigestSign(md, sig, &sig_len, msg, len) != 1)
		abort();
	EVP_MD_CTX_free(md);
	*gb = spg_base64_encode(msg, len);
	*sb = spg_base64_encode(sig, sig_len);
}

static void check_grant(const struct spg_grant *g)
{
	size_t i;

	if (g->n_groups > SPG_GRANT_MAX_GROUPS || g->n_ports > SPG_GRANT_MAX_PORTS ||
	    strnlen(g->engineer, sizeof(g->engineer)) == sizeof(g->engineer) ||
	    strnlen(g->serial, sizeof(g->serial)) == sizeof(g->serial) ||
	    strnlen(g->nonce, sizeof(g->nonce)) == sizeof(g->nonce) || g->expires <= NOW)
		abort();
	for (i = 0; i < g->n_groups; i++)
		if (strnlen(g->groups[i], sizeof(g->groups[i])) == sizeof(g->groups[i]))
			abort();
	for (i = 0; i < g->n_ports; i++) {
		uint8_t proto;
		uint16_t port;

		if (!spg_grant_port_parse(g->ports[i], &proto, &port))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *gb = NULL, *sb = NULL, *text, *nl, detail[256];
	enum spg_grant_verdict v;
	struct spg_grant g;

	if (vendor_key == NULL)
		vendor_key = test_key();
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		text = malloc(size);
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		nl = strchr(text, '\n');
		if (nl != NULL)
			*nl = '\0';
		v = spg_grant_verify(text, nl != NULL ? nl + 1 : "", vendor_key, "CK2001", NOW, &g,
				     detail, sizeof(detail));
		free(text);
	} else {
		sign_raw(data + 1, size - 1, &gb, &sb);
		if (gb == NULL || sb == NULL)
			abort();
		v = spg_grant_verify(gb, sb, vendor_key, "CK2001", NOW, &g, detail, sizeof(detail));
	}
	if (v == SPG_GRANT_OK)
		check_grant(&g);
	if (strnlen(detail, sizeof(detail)) == sizeof(detail))
		abort();
	free(gb);
	free(sb);
	return 0;
}
