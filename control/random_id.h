/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Random ids that are secrets too (a login token's id, a pending second-factor login's
 * id): hex digits of bytes from RAND_bytes, so guessing one is as hard as guessing the key.
 */
#ifndef SPG_RANDOM_ID_H
#define SPG_RANDOM_ID_H

#include <stddef.h>

/* Writes hex_len (even, at most 64) hex digits and a NUL into id. 0, -EINVAL or -EIO. */
int random_hex_id(char *id, size_t hex_len);

#endif
