/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-espgen's SA file (espgen_sa.c says its format). */
#ifndef SPG_ESPGEN_SA_H
#define SPG_ESPGEN_SA_H

#include <stddef.h>
#include <stdint.h>

#include "espgen_frame.h"

/* One line into *sa; 0, or -EINVAL with err saying what is wrong. */
int espgen_sa_parse(const char *line, struct espgen_sa *sa, char *err, size_t err_len);
/* Up to max SAs from path into sas, their number in *n_out; 0 or -errno (the error printed
 * with the file's name and line number). */
int espgen_sa_load(const char *path, struct espgen_sa *sas, uint32_t max, uint32_t *n_out);

#endif
