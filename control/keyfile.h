/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Secret keys kept in the state directory (token.key, mfa.key): a regular file of mode 0600
 * holding exactly the key's bytes, created with random bytes on first use. One reader and
 * one writer for every such key, so they all refuse the same mistakes.
 */
#ifndef SPG_KEYFILE_H
#define SPG_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Reads <state_dir>/<name> into key (exactly len bytes), creating it when missing. who
 * prefixes the error messages ("token", "mfa"). Returns 0; -EPERM when group or others may
 * read the file (or it is not a regular file); -EINVAL for the wrong size or a bad
 * state_dir; other -errno. Every failure is reported on stderr naming the file.
 */
int keyfile_load(const char *state_dir, const char *name, const char *who, uint8_t *key,
		 size_t len);

#endif
