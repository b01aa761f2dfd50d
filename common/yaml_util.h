/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strict YAML config helpers over libyaml's document API, shared by the dataplane and the
 * control-plane configs. Every error names the place and the key and quotes the bad value:
 *
 *   dp.yaml:14:9: sp.shared_address: "10.0.0.300" is not an IPv4 address
 *
 * LINE and COL are 1-based. A document keeps the first error only: helpers return -1 after
 * writing it, and callers pass the -1 straight up.
 */
#ifndef SPG_YAML_UTIL_H
#define SPG_YAML_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <yaml.h>

/* Config files are small; anything bigger is a mistake (or an attack on the parser). */
#define SPG_YAML_MAX_FILE (1024 * 1024)
/* Room for a dotted key path such as "dataplane.eal.extra_args[15]". */
#define SPG_YAML_PATH_MAX 128

struct spg_yaml_doc {
	yaml_document_t doc;
	bool loaded;
	const char *file; /* as given to spg_yaml_load: the name errors start with */
	char *err;
	size_t errlen;
};

/* One key a mapping may hold; the walker refuses every other key. */
struct spg_yaml_key {
	const char *name;
	bool required;
};

/*
 * Reads and parses path (one YAML document). Returns 0, or -1 with "FILE: cannot open: ..."
 * or "FILE:LINE:COL: <libyaml problem>" in err. err (errlen bytes) is kept for later errors;
 * spg_yaml_free is safe after either result.
 */
int spg_yaml_load(struct spg_yaml_doc *d, const char *path, char *err, size_t errlen);
/* The same from memory; name is what errors start with. */
int spg_yaml_load_buffer(struct spg_yaml_doc *d, const char *name, const void *buf, size_t len,
			 char *err, size_t errlen);
void spg_yaml_free(struct spg_yaml_doc *d);
/* The root node, or NULL for an empty document. */
yaml_node_t *spg_yaml_root(struct spg_yaml_doc *d);

/*
 * Writes "FILE:LINE:COL: PATH: MESSAGE" at node's start (PATH and its ": " are left out when
 * path is NULL or empty) and returns -1.
 */
int spg_yaml_error(struct spg_yaml_doc *d, const yaml_node_t *node, const char *path,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int spg_yaml_verror(struct spg_yaml_doc *d, const yaml_node_t *node, const char *path,
		    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
/* Writes value into buf as a double-quoted string, escaped and shortened if long; returns buf. */
const char *spg_yaml_quote(const char *value, size_t len, char *buf, size_t bufsize);

/* "parent.key" (or "key" when parent is empty) into buf; returns buf. */
const char *spg_yaml_path(char *buf, size_t bufsize, const char *parent, const char *key);
/* "parent[index]" into buf; returns buf. */
const char *spg_yaml_path_index(char *buf, size_t bufsize, const char *parent, size_t index);

/*
 * Checks that node is a mapping whose keys are all scalars named in keys[0..n_keys), none
 * given twice and every required one present, and sets values[i] to the value of keys[i]
 * (NULL when absent). path is node's own path ("" for the root). Errors: a key not in the
 * table, a duplicate key (at the second one), a missing required key (at the mapping).
 */
int spg_yaml_mapping(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		     const struct spg_yaml_key *keys, size_t n_keys, yaml_node_t **values);

/* A scalar that is not null (empty, "~" or "null" unquoted) and holds no NUL byte. */
int spg_yaml_scalar(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		    const char **value);
/* A scalar string of at most bufsize - 1 bytes, copied into buf. */
int spg_yaml_get_string(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, char *buf,
			size_t bufsize);
/* Unquoted true or false (YAML 1.1's yes/no/on/off are refused: they surprise people). */
int spg_yaml_get_bool(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, bool *out);
/* An unquoted decimal integer in min..max (no sign, no leading zero, no 0x). */
int spg_yaml_get_u64(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint64_t min,
		     uint64_t max, uint64_t *out);
int spg_yaml_get_u32(struct spg_yaml_doc *d, yaml_node_t *node, const char *path, uint32_t min,
		     uint32_t max, uint32_t *out);

/* Checks that node is a sequence of min_items..max_items entries; *n gets the count. */
int spg_yaml_sequence(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
		      size_t min_items, size_t max_items, size_t *n);
/* Item i of a sequence node checked by spg_yaml_sequence. */
yaml_node_t *spg_yaml_item(struct spg_yaml_doc *d, yaml_node_t *seq, size_t i);
/* A sequence of unsigned integers, each in min..max, into out[0..*n). */
int spg_yaml_get_u32_list(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
			  size_t min_items, size_t max_items, uint32_t min, uint32_t max,
			  uint32_t *out, size_t *n);
/*
 * A sequence of strings of at most max_len bytes each, duplicated into out[0..*n) (the caller
 * frees them). On error nothing is left allocated and *n is 0.
 */
int spg_yaml_get_string_list(struct spg_yaml_doc *d, yaml_node_t *node, const char *path,
			     size_t max_items, size_t max_len, char **out, size_t *n);

#endif
