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
#include "dial/hayes.h"
#include "inventory_record.h"
#include "recording.h"
#include "workstation.h"
#include "yaml_util.h"

#define MSG_MAX 256

#define FLD(n, t, req, member) { n, t, req, false, offsetof(struct inventory_record, u.member), \
				 sizeof(((struct inventory_record *)0)->u.member) }

const struct inventory_kind_desc inventory_kinds[INV_N] = {
	[INV_CUSTOMER] = { "customers", "customer", {
		FLD("name", INVF_NAME, true, customer.name),
		FLD("approval_policy", INVF_POLICY, true, customer.policy),
		FLD("approvers", INVF_OPT_NAME, false, customer.approvers),
		FLD("mfa", INVF_MFA, false, customer.mfa_required),
		FLD("recording", INVF_RECORDING, false, customer.recording),
		FLD("recording_cert", INVF_CERT, false, customer.recording_cert),
		FLD("require_reason", INVF_BOOL, false, customer.require_reason),
		FLD("require_ticket", INVF_BOOL, false, customer.require_ticket) }, 8 },
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
		FLD("may_name_workstations", INVF_PREFIXES, false, user.may_name_workstations),
		{ "password", INVF_PASSWORD, false, true, offsetof(struct inventory_record, password),
		  sizeof(((struct inventory_record *)0)->password) } }, 5 },
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
		  sizeof(bool) },
		FLD("peer", INVF_ENDPOINT, false, line.peer_addr),
		FLD("baud", INVF_BAUD, false, line.baud),
		FLD("flow", INVF_FLOW, false, line.flow),
		FLD("init", INVF_AT_TEXT, false, line.init),
		FLD("dial_prefix", INVF_DIAL_PREFIX, false, line.dial_prefix) }, 11 },
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

static const char *parse_baud(const char *v, uint32_t *dst)
{
	static const uint32_t bauds[] = { 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400,
					  460800, 921600 };
	char *end;
	unsigned long b = strtoul(v, &end, 10);
	size_t i;

	for (i = 0; *v >= '0' && *v <= '9' && *end == '\0' && i < sizeof(bauds) / sizeof(bauds[0]); i++)
		if (b == bauds[i]) {
			*dst = (uint32_t)b;
			return NULL;
		}
	return "is not a serial speed (1200, 2400, ... 115200, 230400, 460800, 921600)";
}

/* An init string goes to the modem as one command line: printable, no CR or LF. */
static bool is_at_text(const char *v)
{
	for (; *v != '\0'; v++)
		if (*v < 0x20 || *v > 0x7e)
			return false;
	return true;
}

/* A modem line's peer: where the SP answers once the call is up (its agent's TCP port). */
static const char *parse_peer(const char *v, struct inventory_record *r)
{
	return spg_endpoint_parse(v, &r->u.line.peer_addr, &r->u.line.peer_port, 0)
		       ? NULL
		       : "is not an IPv4 address (a.b.c.d or a.b.c.d:port)";
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
	case INVF_MFA:
		if (strcmp(v, "off") != 0 && strcmp(v, "optional") != 0 && strcmp(v, "required") != 0)
			return "is not off, optional or required";
		*(bool *)dst = strcmp(v, "required") == 0;
		return NULL;
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
	case INVF_BAUD:
		return parse_baud(v, dst);
	case INVF_FLOW:
		return copy_checked(v, dst, f->size,
				    strcmp(v, "rtscts") == 0 || strcmp(v, "xonxoff") == 0 || strcmp(v, "none") == 0,
				    "is not rtscts, xonxoff or none");
	case INVF_AT_TEXT:
		return copy_checked(v, dst, f->size, is_at_text(v),
				    "is not an AT command string (printable ASCII, no line breaks)");
	case INVF_DIAL_PREFIX:
		return copy_checked(v, dst, f->size, strspn(v, "0123456789*#,WP!@") == strlen(v),
				    "is not a dial prefix (digits and * # , W P ! @)");
	case INVF_ENDPOINT:
		return parse_peer(v, r);
	case INVF_PREFIXES:
		return copy_checked(v, dst, f->size, workstation_list_valid(v),
				    "is not a list of IPv4 prefixes (a.b.c.d/len, host bits zero)");
	case INVF_RECORDING:
		return store_rec_policy_parse(v, dst) == 0 ? NULL : "is not off, on or required";
	case INVF_CERT:
		return copy_checked(v, dst, f->size, v[0] == '\0' || (v[0] == '/' && is_printable_word(v)),
				    "is not an absolute path");
	}
	return "has an unknown type";
}

/*
 * A network address: "a.b.c.d" or "a.b.c.d:port". A modem's: phone numbers separated by ';',
 * each normalised in place ("+33 1 55-55-01 00" -> "+33155550100"), tried in that order.
 */
static const char *check_address(struct store_system *s, char *why, size_t whylen)
{
	char out[STORE_ADDRESS_MAX] = "", num[STORE_ADDRESS_MAX], norm[HAYES_PHONE_MAX], err[128];
	char *save = NULL, *tok;
	uint32_t addr;
	uint16_t port;

	if (s->connect == STORE_CONNECT_NETWORK)
		return spg_endpoint_parse(s->address, &addr, &port, 1)
			       ? NULL
			       : "is not an IPv4 address (a.b.c.d or a.b.c.d:port)";
	snprintf(num, sizeof(num), "%s", s->address);
	if (num[0] == '\0' || num[strlen(num) - 1] == ';' || strstr(num, ";;") != NULL)
		return "has an empty phone number";
	for (tok = strtok_r(num, ";", &save); tok != NULL; tok = strtok_r(NULL, ";", &save)) {
		if (hayes_phone_normalise(tok, norm, err, sizeof(err)) != 0) {
			/* the normaliser's message names the number; keep what fits */
			if (snprintf(why, whylen, "is not a list of phone numbers (%s)", err) >= (int)whylen)
				why[whylen - 2] = ')';
			return why;
		}
		if (strlen(out) + strlen(norm) + 2 > sizeof(out))
			return "lists too many phone numbers";
		if (out[0] != '\0')
			strcat(out, ";");
		strcat(out, norm);
	}
	memcpy(s->address, out, sizeof(out));
	return NULL;
}

/* What a line needs beyond its fields: a modem its device and peer, a network line neither. */
static const char *check_line(const struct store_line *l)
{
	if (l->type == STORE_CONNECT_MODEM && l->device[0] == '\0')
		return "a modem line needs a device";
	if (l->type == STORE_CONNECT_MODEM && l->peer_addr == 0)
		return "a modem line needs a peer (where the SP answers once the call is up)";
	if (l->type == STORE_CONNECT_NETWORK &&
	    (l->device[0] != '\0' || l->peer_addr != 0 || l->baud != 0 || l->init[0] != '\0' ||
	     l->dial_prefix[0] != '\0' || l->flow[0] != '\0'))
		return "device, peer, baud, flow, init and dial_prefix are for modem lines";
	return NULL;
}

/* Checks a record whose fields are all set; fills its natural key. */
int inventory_check_record(struct inventory_import *im, struct inventory_record *r)
{
	char q[INVENTORY_QUOTE], whybuf[160];
	const char *why;

	switch (r->kind) {
	case INV_SYSTEM:
		why = check_address(&r->u.system, whybuf, sizeof(whybuf));
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
		why = check_line(&r->u.line);
		if (why != NULL)
			return inventory_record_error(im, r, "%s: %s", r->u.line.id, why);
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
		if (r->u.customer.recording_cert[0] != '\0' &&
		    rec_cert_check(r->u.customer.recording_cert, whybuf, sizeof(whybuf)) != 0)
			return inventory_record_error(im, r, "%s: recording_cert %s", r->u.customer.name, whybuf);
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
