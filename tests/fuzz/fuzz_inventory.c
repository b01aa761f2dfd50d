/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over the inventory import (control/inventory*.c): YAML when bit 0 of the
 * first byte is clear, CSV when set; the rest is the text. Whatever it is, 0 or -EINVAL with
 * a message, and a store that still works. Each run's writes are rolled back, so runs do not
 * depend on each other. Seeds: config/lab-inventory.yaml, the unit tests' inventories.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_test.h"
#include "inventory.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], db[128];
static struct store *st;

static void cleanup(void)
{
	store_close(st);
	ctl_test_rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory_counts counts;
	char err[512];
	unsigned line;
	int rc;

	if (st == NULL) {
		ctl_test_tmpdir(dir, sizeof(dir));
		st = ctl_test_store(dir, db, sizeof(db));
		atexit(cleanup);
	}
	if (size < 1)
		return 0;
	if (store_begin(st) != 0)
		abort();
	rc = inventory_import(st, data[0] & 1 ? INVENTORY_CSV : INVENTORY_YAML, "fuzz",
			      (const char *)data + 1, size - 1, &counts, err, sizeof(err), &line);
	if (rc != 0 && (rc != -EINVAL || err[0] == '\0'))
		abort(); /* bad input is -EINVAL with a message; anything else is the store failing */
	if (store_rollback(st) != 0)
		abort();
	return 0;
}
