/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fingerprints live in an open-addressed table (linear probing, deletion by backward
 * shift, at most three quarters full): only the control thread reads it. Retired
 * fingerprints also sit in a FIFO; when it is full the oldest leaves the table. Both come
 * from rte_malloc so that memory reports (spgate-bench) count them with the session table:
 * about 45 bytes per session.
 */
#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <rte_malloc.h>

#include "key_guard.h"

#define FP_SECRET_LEN 32
/* Retired keys remembered: one pair per session, plus some for small tables. */
#define RETIRED_EXTRA 256

struct spg_key_guard {
	/* HMAC-SHA256 keyed with a random secret, set up once: re-initialised per fingerprint
	 * (one-shot HMAC() fetches the algorithm every call, a third of an add's time). */
	EVP_MAC *mac;
	EVP_MAC_CTX *mctx;
	uint64_t *slot; /* 0: empty */
	uint64_t size;
	uint64_t *retired; /* FIFO of retired_max */
	uint32_t retired_max, retired_head, n_retired;
	uint32_t live_max, n_live;
};

struct spg_key_guard *spg_key_guard_create(uint32_t live_max)
{
	struct spg_key_guard *g = rte_zmalloc("spg_key_guard", sizeof(*g), 0);
	uint8_t secret[FP_SECRET_LEN];
	char digest[] = "SHA256";
	OSSL_PARAM prm[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
		OSSL_PARAM_construct_end(),
	};
	bool ok;

	if (g == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	g->live_max = live_max;
	g->retired_max = live_max / 2 + RETIRED_EXTRA;
	g->size = ((uint64_t)g->live_max + g->retired_max) * 4 / 3 + 1;
	g->slot = rte_zmalloc("spg_key_fp", g->size * sizeof(*g->slot), 0);
	g->retired = rte_zmalloc("spg_key_retired", (size_t)g->retired_max * sizeof(*g->retired), 0);
	g->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	g->mctx = g->mac != NULL ? EVP_MAC_CTX_new(g->mac) : NULL;
	ok = g->mctx != NULL && RAND_bytes(secret, sizeof(secret)) == 1 &&
	     EVP_MAC_init(g->mctx, secret, sizeof(secret), prm) == 1;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (g->slot == NULL || g->retired == NULL || !ok) {
		spg_key_guard_free(g);
		errno = ENOMEM;
		return NULL;
	}
	return g;
}

void spg_key_guard_free(struct spg_key_guard *g)
{
	if (g == NULL)
		return;
	EVP_MAC_CTX_free(g->mctx);
	EVP_MAC_free(g->mac);
	rte_free(g->slot);
	rte_free(g->retired);
	rte_free(g);
}

uint64_t spg_key_fp(const struct spg_key_guard *g, const struct spg_dp_sa_keys *k)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t md_len = 0, len = k->key_len <= SPG_DP_KEY_MAX ? k->key_len : SPG_DP_KEY_MAX;
	uint64_t fp = 0;

	/* The key alone, not the salt: a key is never trusted twice, whatever salt comes with it.
	 * A NULL key re-initialises with the secret set at create. */
	if (EVP_MAC_init(g->mctx, NULL, 0, NULL) == 1 && EVP_MAC_update(g->mctx, k->key, len) == 1 &&
	    EVP_MAC_final(g->mctx, md, &md_len, sizeof(md)) == 1 && md_len >= sizeof(fp))
		memcpy(&fp, md, sizeof(fp));
	OPENSSL_cleanse(md, sizeof(md));
	return fp != 0 ? fp : 1;
}

/* fp is already a keyed hash: its high bits scaled to the table pick the slot. */
static uint64_t home(const struct spg_key_guard *g, uint64_t fp)
{
	return (uint64_t)(((unsigned __int128)fp * g->size) >> 64);
}

static uint64_t next(const struct spg_key_guard *g, uint64_t i)
{
	return i + 1 == g->size ? 0 : i + 1;
}

/* The slot holding fp, or the empty slot where it would go. */
static uint64_t find(const struct spg_key_guard *g, uint64_t fp)
{
	uint64_t i = home(g, fp);

	while (g->slot[i] != 0 && g->slot[i] != fp)
		i = next(g, i);
	return i;
}

bool spg_key_guard_seen(const struct spg_key_guard *g, uint64_t fp)
{
	return g->slot[find(g, fp)] == fp;
}

/* Linear probing's delete: pull later entries of the run back so no lookup stops short. */
static void remove_fp(struct spg_key_guard *g, uint64_t fp)
{
	uint64_t i = find(g, fp), j = i, h;

	if (g->slot[i] != fp)
		return;
	for (;;) {
		j = next(g, j);
		if (g->slot[j] == 0)
			break;
		/* The entry at j may move to i when its home is not cyclically within (i, j]. */
		h = home(g, g->slot[j]);
		if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
			g->slot[i] = g->slot[j];
			i = j;
		}
	}
	g->slot[i] = 0;
}

int spg_key_guard_claim(struct spg_key_guard *g, uint64_t fp)
{
	uint64_t i = find(g, fp);

	if (g->slot[i] == fp)
		return -EEXIST;
	if (g->n_live == g->live_max)
		return -ENOSPC;
	g->slot[i] = fp;
	g->n_live++;
	return 0;
}

void spg_key_guard_retire(struct spg_key_guard *g, uint64_t fp)
{
	uint32_t tail;

	if (fp == 0 || g->n_live == 0 || !spg_key_guard_seen(g, fp))
		return;
	g->n_live--;
	if (g->n_retired == g->retired_max) {
		remove_fp(g, g->retired[g->retired_head]);
		g->retired_head = (g->retired_head + 1) % g->retired_max;
		g->n_retired--;
	}
	tail = (g->retired_head + g->n_retired) % g->retired_max;
	g->retired[tail] = fp;
	g->n_retired++;
}

void spg_key_guard_count(const struct spg_key_guard *g, uint32_t *live, uint32_t *retired)
{
	*live = g->n_live;
	*retired = g->n_retired;
}
