/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the inventory import (not for other modules): the records both readers fill,
 * the table of fields per kind that YAML keys and CSV columns share, and the errors.
 */
#ifndef SPG_INVENTORY_RECORD_H
#define SPG_INVENTORY_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "inventory.h"
#include "store/inventory_store.h"

#define INVENTORY_MAX_FIELDS 12
#define INVENTORY_VALUE_MAX 1024 /* a field's text, lists joined with ';' */
#define INVENTORY_QUOTE 80	 /* room for a quoted value in a message */

/* In the order they are written: everything a row refers to comes before it. */
enum inventory_kind {
	INV_CUSTOMER,
	INV_GROUP,
	INV_PROFILE,
	INV_SITE,
	INV_SYSTEM,
	INV_USER,
	INV_RULE,
	INV_LINE,
	INV_N
};

enum inventory_ftype {
	INVF_NAME,     /* required name */
	INVF_OPT_NAME, /* name or empty */
	INVF_SERIAL,
	INVF_POLICY,
	INVF_MFA, /* off | optional | required: only required asks more than auth.mfa */
	INVF_CONNECT,
	INVF_ADDRESS, /* checked with the record: depends on the connect method */
	INVF_PORTS,
	INVF_BOOL,
	INVF_HASH,
	INVF_PASSWORD,
	INVF_GROUPS,
	INVF_DEVICE,
	INVF_BAUD,     /* a serial line's speed: one termios knows */
	INVF_FLOW,     /* rtscts | xonxoff | none */
	INVF_AT_TEXT,  /* an init string: printable ASCII, no CR/LF */
	INVF_DIAL_PREFIX,
	INVF_ENDPOINT, /* a.b.c.d[:port] into a (uint32_t addr, uint16_t port) pair */
	INVF_PREFIXES, /* a list of a.b.c.d[/len], kept ';'-joined (workstation.h) */
	INVF_RECORDING, /* off | on | required */
	INVF_CERT,      /* an absolute path to a PEM certificate (checked with the record) */
};

struct inventory_record {
	enum inventory_kind kind;
	unsigned line, col;	      /* col 0: CSV */
	unsigned index;		      /* YAML: position in its list; CSV: row number */
	unsigned seq;		      /* order of appearance, for stable sorting */
	bool enabled;		      /* lines */
	char password[128];	      /* plain password, hashed at write time */
	char key[3 * STORE_NAME_MAX]; /* natural key, to find duplicates */
	union {
		struct store_customer customer;
		struct store_group group;
		struct store_profile profile;
		struct store_site site;
		struct store_system system;
		struct store_user user;
		struct store_rule rule;
		struct store_line line;
	} u;
};

struct inventory_field {
	const char *name;
	enum inventory_ftype type;
	bool required;
	bool yaml_only;
	size_t off, size;
};

struct inventory_kind_desc {
	const char *section; /* YAML */
	const char *name;    /* CSV kind column, and messages */
	struct inventory_field fields[INVENTORY_MAX_FIELDS];
	unsigned n_fields;
};

/* One import: the input's name, the records read so far and the first error. */
struct inventory_import {
	struct store *st;
	const char *name;
	struct inventory_record *recs;
	size_t n, cap;
	char *err;
	size_t errlen;
	unsigned err_line;
	bool failed; /* an error is recorded: keep the first */
};

/* The kinds, indexed by enum inventory_kind: YAML section, CSV kind name, fields. */
extern const struct inventory_kind_desc inventory_kinds[INV_N];

/* Records an error (the first one wins): the message and its line; returns -EINVAL. */
int inventory_error(struct inventory_import *im, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The same, prefixed "NAME:LINE: kind " (CSV) or "NAME:LINE:COL: section[i]: " (YAML). */
int inventory_record_error(struct inventory_import *im, const struct inventory_record *r,
			   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A new zeroed record at the end of im's list; NULL on ENOMEM. */
struct inventory_record *inventory_new_record(struct inventory_import *im, enum inventory_kind kind,
					      unsigned line, unsigned col, unsigned index);
/* Sets field f of r from text v; NULL, or what is wrong with v (to follow it quoted). */
const char *inventory_set_field(struct inventory_record *r, const struct inventory_field *f,
				const char *v);
/* Checks a record whose fields are all set (address vs connect, ...) and fills its key. */
int inventory_check_record(struct inventory_import *im, struct inventory_record *r);

/* Reads CSV text into records; 0 or -EINVAL (error recorded). */
int inventory_read_csv(struct inventory_import *im, const char *text, size_t len);
/* Reads YAML text into records; 0 or -EINVAL (error recorded). */
int inventory_read_yaml(struct inventory_import *im, const char *text, size_t len);

#endif
