/* SPDX-License-Identifier: BSD-3-Clause */
/* A growing array: see grow.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

int spg_grow_append(void *array_ptr, size_t *n, size_t *cap, size_t size, size_t first, const void *item)
{
	char *items, *bigger;
	size_t want;

	/* through memcpy: array_ptr is a T ** for the caller's T, not a void ** */
	memcpy(&items, array_ptr, sizeof(items));
	if (*n == *cap) {
		want = *cap != 0 ? 2 * *cap : (first != 0 ? first : 1);
		if (want < *cap || want > SIZE_MAX / size)
			return -ENOMEM;
		bigger = realloc(items, want * size);
		if (bigger == NULL)
			return -ENOMEM;
		items = bigger;
		*cap = want;
		memcpy(array_ptr, &items, sizeof(items));
	}
	memcpy(items + *n * size, item, size);
	(*n)++;
	return 0;
}
