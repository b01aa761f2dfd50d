/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A growing array of fixed-size items, for collecting a store's rows before acting on them
 * (acting inside the iteration would write to the store under its cursor).
 */
#ifndef SPG_GROW_H
#define SPG_GROW_H

#include <stddef.h>

/*
 * Appends the size bytes at item to the array whose pointer is at *array_ptr (a T **, NULL
 * when empty), holding *n items with room for *cap, doubling the room when full (the first
 * allocation: first items). 0, or -ENOMEM with the array unchanged. free() it when done.
 */
int spg_grow_append(void *array_ptr, size_t *n, size_t *cap, size_t size, size_t first, const void *item);

#endif
