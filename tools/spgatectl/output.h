/* SPDX-License-Identifier: BSD-3-Clause */
/* spgatectl's output: aligned tables and key/value blocks for people, JSON for scripts. */
#ifndef SPGCTL_OUTPUT_H
#define SPGCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OUT_TABLE_MAX_COLS 16

/*
 * A table that can be printed in parts: each flush prints the rows added since the last one
 * (the header before the first), with columns as wide as the widest cell seen so far.
 */
struct out_table;

/* align: one character per column, 'l' or 'r'. NULL on allocation failure. */
struct out_table *out_table_new(unsigned int n_cols, const char *const headers[], const char *align);
/* Copies the cells; false on allocation failure. */
bool out_table_add(struct out_table *t, const char *const cells[]);
void out_table_flush(struct out_table *t, FILE *f);
void out_table_free(struct out_table *t);

/* "key          value" lines with the values in one column. */
void out_kv(FILE *f, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A streaming JSON writer; compact, one document per line. */
#define OUT_JSON_MAX_DEPTH 8

struct out_json {
	FILE *f;
	unsigned int depth;
	bool need_comma[OUT_JSON_MAX_DEPTH];
};

void out_json_init(struct out_json *j, FILE *f);
/* key is NULL for a value inside an array or for the top-level value. */
void out_json_object_begin(struct out_json *j, const char *key);
void out_json_object_end(struct out_json *j);
void out_json_array_begin(struct out_json *j, const char *key);
void out_json_array_end(struct out_json *j);
void out_json_string(struct out_json *j, const char *key, const char *val);
void out_json_u64(struct out_json *j, const char *key, uint64_t val);
void out_json_bool(struct out_json *j, const char *key, bool val);
/* Ends the document with a newline. */
void out_json_finish(struct out_json *j);

/* Bits per second with a unit: "33.6k", "10M", "1.25G", "9600". */
const char *out_fmt_bits(uint64_t bits_per_sec, char *buf, size_t size);
/* A duration: "45s", "12m03s", "3h02m", "2d04h". */
const char *out_fmt_age(uint64_t ms, char *buf, size_t size);

#endif
