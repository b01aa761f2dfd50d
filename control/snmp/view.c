/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the subagent serves: every instance below the base with its value, sorted by OID,
 * built from the sources every few seconds and swapped in whole. A request is then a binary
 * search: GET the exact name, GETNEXT the first name after it. Names and values live in
 * two arenas so that a few thousand cells cost a few allocations.
 */
#include <stdlib.h>
#include <string.h>

#include "snmp/snmp_int.h"

void snmp_view_init(struct snmp_view *v)
{
	memset(v, 0, sizeof(*v));
}

void snmp_view_clear(struct snmp_view *v)
{
	free(v->entries);
	free(v->names);
	free(v->bytes);
	snmp_view_init(v);
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap != 0 ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (q == NULL)
		return false;
	*p = q;
	*cap = n;
	return true;
}

void snmp_view_add(struct snmp_view *v, const oid *name, size_t name_len, u_char type, const void *val, size_t len)
{
	struct snmp_view_entry *e;
	size_t val_off;

	if (v->failed || name_len == 0)
		return;
	/* values are copied at an alignment any C type can be read from */
	val_off = (v->bytes_len + 7) & ~(size_t)7;
	if (!grow((void **)&v->entries, &v->cap, v->n + 1, sizeof(*v->entries)) ||
	    !grow((void **)&v->names, &v->names_cap, v->names_len + name_len, sizeof(oid)) ||
	    !grow((void **)&v->bytes, &v->bytes_cap, val_off + len + 1, 1)) {
		v->failed = true;
		return;
	}
	e = &v->entries[v->n++];
	e->name_off = v->names_len;
	e->name_len = name_len;
	e->type = type;
	e->len = len;
	e->val_off = val_off;
	memcpy(v->names + v->names_len, name, name_len * sizeof(oid));
	v->names_len += name_len;
	if (len > 0)
		memcpy(v->bytes + val_off, val, len);
	v->bytes_len = val_off + len;
}

void snmp_view_add_string(struct snmp_view *v, const oid *name, size_t name_len, const char *s)
{
	snmp_view_add(v, name, name_len, ASN_OCTET_STR, s, strlen(s));
}

void snmp_view_add_u32(struct snmp_view *v, const oid *name, size_t name_len, u_char type, uint32_t x)
{
	u_long val = x;

	snmp_view_add(v, name, name_len, type, &val, sizeof(val));
}

void snmp_view_add_i32(struct snmp_view *v, const oid *name, size_t name_len, int32_t x)
{
	long val = x;

	snmp_view_add(v, name, name_len, ASN_INTEGER, &val, sizeof(val));
}

void snmp_view_add_c64(struct snmp_view *v, const oid *name, size_t name_len, uint64_t x)
{
	struct counter64 c = {.high = (u_long)(x >> 32), .low = (u_long)(x & 0xffffffffu)};

	snmp_view_add(v, name, name_len, ASN_COUNTER64, &c, sizeof(c));
}

void snmp_view_add_ip(struct snmp_view *v, const oid *name, size_t name_len, uint32_t addr)
{
	snmp_view_add(v, name, name_len, ASN_IPADDRESS, &addr, 4);
}

const oid *snmp_view_name(const struct snmp_view *v, const struct snmp_view_entry *e)
{
	return v->names + e->name_off;
}

const void *snmp_view_value(const struct snmp_view *v, const struct snmp_view_entry *e)
{
	return v->bytes + e->val_off;
}

static int entry_cmp(const void *a, const void *b, void *arg)
{
	const struct snmp_view_entry *x = a, *y = b;
	const oid *names = arg;

	return snmp_oid_compare(names + x->name_off, x->name_len, names + y->name_off, y->name_len);
}

void snmp_view_sort(struct snmp_view *v)
{
	if (v->n > 1)
		qsort_r(v->entries, v->n, sizeof(*v->entries), entry_cmp, v->names);
}

/* The first entry whose name is >= name (strictly > when after): its position, or v->n. */
static size_t lower_bound(const struct snmp_view *v, const oid *name, size_t len, bool after)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct snmp_view_entry *e = &v->entries[mid];
		int c = snmp_oid_compare(v->names + e->name_off, e->name_len, name, len);

		if (c < 0 || (after && c == 0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct snmp_view_entry *snmp_view_get(const struct snmp_view *v, const oid *name, size_t len)
{
	size_t i = lower_bound(v, name, len, false);

	if (i == v->n || snmp_oid_compare(v->names + v->entries[i].name_off, v->entries[i].name_len, name, len) != 0)
		return NULL;
	return &v->entries[i];
}

const struct snmp_view_entry *snmp_view_next(const struct snmp_view *v, const oid *name, size_t len)
{
	size_t i = lower_bound(v, name, len, true);

	return i == v->n ? NULL : &v->entries[i];
}
