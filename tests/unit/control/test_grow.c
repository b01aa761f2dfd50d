/* SPDX-License-Identifier: BSD-3-Clause */
/* common/grow.c: the growing array the store's collectors share. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_test.h"
#include "grow.h"

struct item {
	int64_t id;
	char name[20];
};

static void items_keep_their_order_and_contents_across_growth(void)
{
	struct item *a = NULL, it;
	size_t n = 0, cap = 0, i;

	for (i = 0; i < 100; i++) {
		it.id = (int64_t)i * 7;
		snprintf(it.name, sizeof(it.name), "item-%zu", i);
		CU_ASSERT_EQUAL_FATAL(spg_grow_append(&a, &n, &cap, sizeof(it), 4, &it), 0);
	}
	CU_ASSERT_EQUAL(n, 100);
	CU_ASSERT_EQUAL(cap, 128); /* 4, 8, ... 128: doubled, not grown per item */
	for (i = 0; i < 100; i++) {
		CU_ASSERT_EQUAL(a[i].id, (int64_t)i * 7);
		CU_ASSERT_EQUAL(strncmp(a[i].name, "item-", 5), 0);
	}
	CU_ASSERT_STRING_EQUAL(a[99].name, "item-99");
	free(a);
}

/* A size whose doubled room overflows is refused, and the array is left as it was. */
static void an_overflowing_size_is_refused_unchanged(void)
{
	char *a = NULL, c = 'x';
	size_t n = 0, cap = 0;

	CU_ASSERT_EQUAL(spg_grow_append(&a, &n, &cap, SIZE_MAX / 2, 4, &c), -ENOMEM);
	CU_ASSERT_PTR_NULL(a);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(cap, 0);
}

int main(void)
{
	static const struct ctl_test_case cases[] = {
		{ "items_keep_their_order_and_contents_across_growth", items_keep_their_order_and_contents_across_growth },
		{ "an_overflowing_size_is_refused_unchanged", an_overflowing_size_is_refused_unchanged },
		{ NULL, NULL },
	};

	return ctl_test_run("grow", cases, NULL, NULL);
}
