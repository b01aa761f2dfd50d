/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The records of an inventory import: one table of fields per kind, shared by the YAML and
 * CSV readers, the checks of each field and of each record, and the error messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "inventory_record.h"
#include "yaml_util.h"

#define MSG_MAX 256
#define PHONE_MAX 32

#define FLD(n, t, req, member) { n, t, req, false, offsetof(struct inventory_record, u.member), \
				 sizeof(((struct inventory_record *)0)->u.member) }

const struct inventory_kind_desc inventory_kinds[INV_N] = {
	[INV_CUSTOMER] = { "customers", "customer", {
		FLD("name", INVF_NAME, true, customer.name),
		FLD("approval_policy", INVF_POLICY, true, customer.policy),
		FLD("approvers", INVF_OPT_NAME, false, customer.approvers) }, 3 },
	[INV_SITE] = { "sites", "site", {
		FLD("customer", INVF_NAME, true, site.customer),
		FLD("name", INVF_NAME, true, site.name),
		FLD("region", INVF_NAME, true, site.region) }, 3 },
	[INV_PROFILE] = { "profiles", "profile", {
		FLD("name", INVF_NAME, true, profile.name),
		FLD("ports", INVF_PORTS, true, profile.ports),
		FLD("icmp_echo", INVF_BOOL, false, profile.icmp_echo) }, 3 },
	[INV_SYSTEM] = { "systems", "system", {
		FLD("serial", INVF_SERIAL, true, system.serial),
		FLD("customer", INVF_NAME, true, system.customer),
		FLD("site", INVF_NAME, true, system.site),
		FLD("region", INVF_OPT_NAME, false, system.region),
		FLD("connect", INVF_CONNECT, true, system.connect),
		FLD("address", INVF_ADDRESS, true, system.address),
		FLD("profile", INVF_NAME, true, system.profile) }, 7 },
	[INV_USER] = { "users", "user", {
		FLD("name", INVF_NAME, true, user.name),
		FLD("password_hash", INVF_HASH, false, user.password_hash),
		FLD("groups", INVF_GROUPS, false, user.groups),
		{ "password", INVF_PASSWORD, false, true, offsetof(struct inventory_record, password),
		  sizeof(((struct inventory_record *)0)->password) } }, 4 },
	[INV_GROUP] = { "groups", "group", {
		FLD("name", INVF_NAME, true, group.name),
		FLD("privileged", INVF_BOOL, false, group.privileged) }, 2 },
	[INV_RULE] = { "rules", "rule", {
		FLD("group", INVF_NAME, true, rule.group),
		FLD("customer", INVF_NAME, true, rule.customer),
		FLD("site", INVF_OPT_NAME, false, rule.site) }, 3 },
	[INV_LINE] = { "lines", "line", {
		FLD("id", INVF_NAME, true, line.id),
		FLD("type", INVF_CONNECT, true, line.type),
		FLD("region", INVF_NAME, true, line.region),
		FLD("customer", INVF_OPT_NAME, false, line.customer),
		FLD("device", INVF_DEVICE, false, line.device),
		{ "enabled", INVF_BOOL, false, false, offsetof(struct inventory_record, enabled),
		  sizeof(bool) } }, 6 },
};

int inventory_error(struct inventory_import *im, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (im->failed)
		return -EINVAL;
	im->failed = true;
	im->err_line = line;
	if (im->err != NULL && im->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(im->err, im->errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int inventory_record_error(struct inventory_import *im, const struct inventory_record *r,
			   const char *fmt, ...)
{
	char msg[MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->col == 0)
		return inventory_error(im, r->line, "%s:%u: %s %s", im->name, r->line,
				       inventory_kinds[r->kind].name, msg);
	return inventory_error(im, r->line, "%s:%u:%u: %s[%u]: %s", im->name, r->line, r->col,
			       inventory_kinds[r->kind].section, r->index, msg);
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '@' || c == '+';
}

static bool is_name(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if (!is_name_char(*s))
			return false;
	return n > 0 && n < STORE_NAME_MAX;
}

static bool is_phone(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PHONE_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!strchr("0123456789+*#,WwPp-", s[i]))
			return false;
	return true;
}

static bool is_printable_word(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* "tcp:22;udp:53;icmp" into "tcp:22,udp:53" and the ICMP flag; NULL or what is wrong. */
static const char *parse_ports(const char *v, struct store_profile *p)
{
	char item[32], *end;
	const char *s = v, *sep;
	size_t len, off = 0;
	unsigned long port;

	for (;;) {
		sep = strchr(s, ';');
		len = sep != NULL ? (size_t)(sep - s) : strlen(s);
		if (len == 0 || len >= sizeof(item))
			return "is not a list of tcp:PORT, udp:PORT or icmp";
		memcpy(item, s, len);
		item[len] = '\0';
		if (strcmp(item, "icmp") == 0) {
			p->icmp_echo = true;
		} else {
			if (strncmp(item, "tcp:", 4) != 0 && strncmp(item, "udp:", 4) != 0)
				return "is not a list of tcp:PORT, udp:PORT or icmp";
			port = strtoul(item + 4, &end, 10);
			if (item[4] < '1' || item[4] > '9' || *end != '\0' || port > 65535)
				return "has a port that is not 1..65535";
			if (off + len + 2 > sizeof(p->ports))
				return "is too long";
			off += (size_t)snprintf(p->ports + off, sizeof(p->ports) - off, "%s%s",
						off ? "," : "", item);
		}
		if (sep == NULL)
			return NULL;
		s = sep + 1;
	}
}

static const char *parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0)
		*out = true;
	else if (strcmp(v, "false") == 0)
		*out = false;
	else
		return "is not true or false";
	return NULL;
}

static const char *copy_checked(const char *v, char *dst, size_t size, bool ok, const char *what)
{
	if (!ok)
		return what;
	if (strlen(v) >= size)
		return "is too long";
	memcpy(dst, v, strlen(v) + 1);
	return NULL;
}

/*
 * Sets field f of r from the text v (lists ';'-separated). Returns NULL, or what is wrong
 * with v, to follow the quoted value in a message.
 */
const char *inventory_set_field(struct inventory_record *r, const struct inventory_field *f,
				const char *v)
{
	void *dst = (char *)r + f->off;
	unsigned n;

	switch (f->type) {
	case INVF_NAME:
		return copy_checked(v, dst, f->size, is_name(v),
				    "is not a name (letters, digits and . _ - @ +)");
	case INVF_OPT_NAME:
		return copy_checked(v, dst, f->size, v[0] == '\0' || is_name(v),
				    "is not a name (letters, digits and . _ - @ +)");
	case INVF_SERIAL:
		return copy_checked(v, dst, f->size, is_name(v) && !strpbrk(v, "@+"),
				    "is not a serial (letters, digits and . _ -)");
	case INVF_POLICY:
		return store_policy_parse(v, dst) == 0 ? NULL : "is not auto, ask or deny";
	case INVF_CONNECT:
		return store_connect_parse(v, dst) == 0 ? NULL : "is not network or modem";
	case INVF_ADDRESS:
		return copy_checked(v, dst, f->size, v[0] != '\0', "is empty");
	case INVF_PORTS:
		return parse_ports(v, &r->u.profile);
	case INVF_BOOL:
		return parse_bool(v, dst);
	case INVF_HASH:
	case INVF_PASSWORD:
		return copy_checked(v, dst, f->size,
				    f->type == INVF_PASSWORD || is_printable_word(v),
				    "is not a password hash (printable, no spaces)");
	case INVF_GROUPS:
		switch (store_split_names(v, ';', r->u.user.groups, STORE_MAX_GROUPS, &n)) {
		case 0:
			r->u.user.n_groups = n;
			for (n = 0; n < r->u.user.n_groups; n++)
				if (!is_name(r->u.user.groups[n]))
					return "holds a group that is not a name";
			return NULL;
		case -E2BIG:
			return "lists more than 16 groups";
		default:
			return "is not a list of group names";
		}
	case INVF_DEVICE:
		return copy_checked(v, dst, f->size, v[0] == '/' && is_printable_word(v),
				    "is not an absolute device path");
	}
	return "has an unknown type";
}

/* A network address: "a.b.c.d" or "a.b.c.d:port"; a modem's: phone numbers ';'. */
static const char *check_address(const struct store_system *s)
{
	const char *p = s->address, *sep;
	uint32_t addr;
	uint16_t port;

	if (s->connect == STORE_CONNECT_NETWORK)
		return spg_endpoint_parse(s->address, &addr, &port, 1)
			       ? NULL
			       : "is not an IPv4 address (a.b.c.d or a.b.c.d:port)";
	for (;;) {
		sep = strchr(p, ';');
		if (!is_phone(p, sep != NULL ? (size_t)(sep - p) : strlen(p)))
			return "is not a list of phone numbers (digits + * # , W P -)";
		if (sep == NULL)
			return NULL;
		p = sep + 1;
	}
}

/* Checks a record whose fields are all set; fills its natural key. */
int inventory_check_record(struct inventory_import *im, struct inventory_record *r)
{
	char q[INVENTORY_QUOTE];
	const char *why;

	switch (r->kind) {
	case INV_SYSTEM:
		why = check_address(&r->u.system);
		if (why != NULL)
			return inventory_record_error(im, r, "address %s %s",
						      spg_yaml_quote(r->u.system.address,
								     strlen(r->u.system.address), q,
								     sizeof(q)),
						      why);
		snprintf(r->key, sizeof(r->key), "%s", r->u.system.serial);
		break;
	case INV_USER:
		if (r->password[0] != '\0' && r->u.user.password_hash[0] != '\0')
			return inventory_record_error(
				im, r, "%s: give password or password_hash, not both",
				r->u.user.name);
		snprintf(r->key, sizeof(r->key), "%s", r->u.user.name);
		break;
	case INV_LINE:
		if (r->u.line.type == STORE_CONNECT_MODEM && r->u.line.device[0] == '\0')
			return inventory_record_error(im, r, "%s: a modem line needs a device",
						      r->u.line.id);
		snprintf(r->key, sizeof(r->key), "%s", r->u.line.id);
		break;
	case INV_SITE:
		snprintf(r->key, sizeof(r->key), "%s/%s", r->u.site.customer, r->u.site.name);
		break;
	case INV_RULE:
		snprintf(r->key, sizeof(r->key), "%s/%s/%s", r->u.rule.group, r->u.rule.customer,
			 r->u.rule.site);
		break;
	case INV_CUSTOMER:
		snprintf(r->key, sizeof(r->key), "%s", r->u.customer.name);
		break;
	case INV_GROUP:
		snprintf(r->key, sizeof(r->key), "%s", r->u.group.name);
		break;
	case INV_PROFILE:
		snprintf(r->key, sizeof(r->key), "%s", r->u.profile.name);
		break;
	case INV_N:
		break;
	}
	return 0;
}

struct inventory_record *inventory_new_record(struct inventory_import *im, enum inventory_kind kind,
					      unsigned line, unsigned col, unsigned index)
{
	struct inventory_record *grown, *r;

	if (im->n == im->cap) {
		size_t cap = im->cap ? im->cap * 2 : 64;

		grown = realloc(im->recs, cap * sizeof(*grown));
		if (grown == NULL)
			return NULL;
		im->recs = grown;
		im->cap = cap;
	}
	r = &im->recs[im->n];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->line = line;
	r->col = col;
	r->index = index;
	r->seq = (unsigned)im->n++;
	r->enabled = true;
	return r;
}
