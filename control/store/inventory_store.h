/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Typed rows and queries for the inventory: customers, sites, service profiles, systems,
 * users, groups, access rules, lines and tickets. Records refer to each other by name
 * (customer "acme", site "paris" of acme); the store resolves names to ids itself.
 *
 * Every call returns 0 or -errno: -ENOENT (no such row, or a name it refers to is unknown),
 * -EINVAL (a field out of range), -EIO (SQLite). *_put is an upsert keyed by the natural key
 * (name, serial, line id), so importing the same inventory twice changes nothing.
 * *_foreach calls fn for each row; a non-zero return from fn stops and is returned.
 */
#ifndef SPG_INVENTORY_STORE_H
#define SPG_INVENTORY_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


#include "store/store.h"

#define STORE_NAME_MAX 64     /* customer, site, region, group, user, profile, line id + NUL */
#define STORE_SERIAL_MAX 64
#define STORE_ADDRESS_MAX 256 /* "203.0.113.11[:port]" or "phone;phone;..." */
#define STORE_PORTS_MAX 256   /* "tcp:22,tcp:443" */
#define STORE_HASH_MAX 256
#define STORE_WORKSTATIONS_MAX 256 /* a user's nameable workstation prefixes, ';'-joined */
#define STORE_MAX_GROUPS 16   /* groups of one user (matches AUTH_MAX_GROUPS) */
#define STORE_DEVICE_MAX 128
#define STORE_PROBLEM_MAX 1024

enum store_policy { STORE_POLICY_AUTO, STORE_POLICY_ASK, STORE_POLICY_DENY };
/* Whether a customer's sessions are recorded; required: no recording, no session. */
enum store_rec_policy { STORE_RECORDING_OFF, STORE_RECORDING_ON, STORE_RECORDING_REQUIRED };
#define STORE_PATH_MAX 256
enum store_connect { STORE_CONNECT_NETWORK, STORE_CONNECT_MODEM };
enum store_line_state {
	STORE_LINE_IDLE,
	STORE_LINE_DIALING,
	STORE_LINE_CONNECTED,
	STORE_LINE_FAILED,
	STORE_LINE_DISABLED,
};

struct store_customer {
	int64_t id;                     /* set by the store */
	char name[STORE_NAME_MAX];
	enum store_policy policy;
	char approvers[STORE_NAME_MAX]; /* group that may approve for this customer; "" none */
	bool mfa_required; /* inventory mfa: required: connects need a fresh second factor */
	enum store_rec_policy recording;
	char recording_cert[STORE_PATH_MAX]; /* PEM X.509: recordings are sealed to it; "" plain */
	bool require_reason;                 /* connect must say why (--reason) */
	bool require_ticket;                 /* connect must name a service ticket (--ticket) */
};

struct store_site {
	int64_t id;
	char customer[STORE_NAME_MAX];
	char name[STORE_NAME_MAX]; /* unique per customer */
	char region[STORE_NAME_MAX];
};

struct store_profile {
	char name[STORE_NAME_MAX];
	char ports[STORE_PORTS_MAX]; /* "tcp:7000,tcp:8080" (proto:port, comma-separated) */
	bool icmp_echo;
};

struct store_system {
	char serial[STORE_SERIAL_MAX];
	char customer[STORE_NAME_MAX];
	char site[STORE_NAME_MAX];
	char region[STORE_NAME_MAX];
	enum store_connect connect;
	char address[STORE_ADDRESS_MAX]; /* network: "a.b.c.d" or "a.b.c.d:port"; modem: phones ';' */
	char profile[STORE_NAME_MAX];
};

struct store_user {
	char name[STORE_NAME_MAX];
	char password_hash[STORE_HASH_MAX]; /* a passwd_hash() string; "" = no local password */
	char groups[STORE_MAX_GROUPS][STORE_NAME_MAX];
	unsigned n_groups;
	char may_name_workstations[STORE_WORKSTATIONS_MAX]; /* "a.b.c.d/len;..." (workstation.h); "" none */
};

struct store_group {
	char name[STORE_NAME_MAX];
	bool privileged; /* members see every system and every session */
};

/* Allows group every system of customer, or only those of site when site is not "". */
struct store_rule {
	int64_t id;
	char group[STORE_NAME_MAX];
	char customer[STORE_NAME_MAX];
	char site[STORE_NAME_MAX];
};

struct store_line {
	char id[STORE_NAME_MAX];
	enum store_connect type; /* network or modem, as systems' connect */
	char region[STORE_NAME_MAX];
	char customer[STORE_NAME_MAX]; /* dedicated to this customer; "" shared */
	enum store_line_state state;
	char device[STORE_DEVICE_MAX]; /* modem: serial device; "" for network */
	int64_t session_id;            /* 0 none */
	/* modem lines: how the device is driven (control/dial/dialer.h) */
	uint32_t baud;                  /* DTE speed; 0: the default (115200) */
	char flow[STORE_NAME_MAX];      /* "rtscts" (default), "xonxoff", "none" */
	char init[STORE_NAME_MAX * 2];  /* init string sent after ATZ; "" none */
	char dial_prefix[STORE_NAME_MAX]; /* before every number ("9,"); "" none */
	uint32_t peer_addr;             /* where the SP answers once connected; network order */
	uint16_t peer_port;             /* its agent's TCP port, host order; 0: agent.port */
	/* run-time counters, kept by the line module (never changed by an import) */
	uint64_t calls;                 /* calls placed */
	uint64_t failures;              /* calls that failed */
	uint32_t consecutive_faults;    /* line faults in a row (reset by a connect or a check) */
	char last_result[STORE_NAME_MAX]; /* "connected 33600", "busy", ...; "" none yet */
};

struct store_ticket {
	int64_t id; /* set by the store: 1, 2, ... */
	char serial[STORE_SERIAL_MAX];
	char customer[STORE_NAME_MAX];
	char site[STORE_NAME_MAX];
	char problem[STORE_PROBLEM_MAX];
	char submitted_by[STORE_NAME_MAX];
	int64_t created;
};

/* "auto" | "ask" | "deny"; parse returns 0 or -EINVAL. */
const char *store_policy_name(enum store_policy p);
int store_policy_parse(const char *s, enum store_policy *out);
/* "off" | "on" | "required". */
const char *store_rec_policy_name(enum store_rec_policy r);
int store_rec_policy_parse(const char *s, enum store_rec_policy *out);
/* "network" | "modem". */
const char *store_connect_name(enum store_connect c);
int store_connect_parse(const char *s, enum store_connect *out);
/* "idle" | "dialing" | "connected" | "failed" | "disabled". */
const char *store_line_state_name(enum store_line_state s);
int store_line_state_parse(const char *s, enum store_line_state *out);

/* Upserts a customer by name (sets c->id). */
int store_customer_put(struct store *st, struct store_customer *c);
/* Reads the customer called name. */
int store_customer_get(struct store *st, const char *name, struct store_customer *c);

/* Upserts a site by (customer, name); -ENOENT if the customer is unknown (sets s->id). */
int store_site_put(struct store *st, struct store_site *s);
/* Reads site name of customer. */
int store_site_get(struct store *st, const char *customer, const char *name,
		   struct store_site *s);

/* Upserts a service profile by name. */
int store_profile_put(struct store *st, const struct store_profile *p);
/* Reads the profile called name. */
int store_profile_get(struct store *st, const char *name, struct store_profile *p);

/* Upserts a system by serial; -ENOENT if its customer, site or profile is unknown. */
int store_system_put(struct store *st, const struct store_system *s);
/* Reads the system with this serial (exact). */
int store_system_get(struct store *st, const char *serial, struct store_system *s);
/*
 * For modules that select systems themselves (search): the column list to put after
 * SELECT (tables aliased y = systems, c = customers, t = sites), and the reader of a row
 * whose first column is the first of that list.
 */
#define STORE_SYSTEM_COLUMNS "y.serial, c.name, t.name, y.region, y.connect_method, y.address, y.profile"
#define STORE_SYSTEM_FROM \
	"systems y JOIN customers c ON c.id = y.customer_id JOIN sites t ON t.id = y.site_id"
void store_system_read(db_stmt *q, int first_col, struct store_system *s);

/* Upserts a user by name (password hash and groups replaced). */
int store_user_put(struct store *st, const struct store_user *u);
/* Reads the user called name. */
int store_user_get(struct store *st, const char *name, struct store_user *u);

/* Upserts a group by name. */
int store_group_put(struct store *st, const struct store_group *g);
/* Reads the group called name. */
int store_group_get(struct store *st, const char *name, struct store_group *g);

/* Adds an access rule unless the same one exists (sets r->id); -ENOENT: customer or site. */
int store_rule_put(struct store *st, struct store_rule *r);
/* Calls fn for every rule, ordered by id. */
int store_rule_foreach(struct store *st, int (*fn)(const struct store_rule *r, void *arg),
		       void *arg);

/*
 * Upserts a line by id: type, region, customer and device are replaced; the state is kept
 * (a new line starts idle) except that enabled=false disables it and enabled=true brings a
 * disabled line back to idle.
 */
int store_line_put(struct store *st, const struct store_line *l, bool enabled);
/* Reads line id. */
int store_line_get(struct store *st, const char *id, struct store_line *l);
/* Makes an idle line dialing for session_id; -EBUSY when it is no longer idle. */
int store_line_claim(struct store *st, const char *id, int64_t session_id);
/* Sets a line's state and session (0: none). */
int store_line_set_state(struct store *st, const char *id, enum store_line_state state,
			 int64_t session_id);
/*
 * Records the outcome of a call (or of a health check: result starting with "check", not
 * counted as a call) on line id: calls + 1, failures + failed, consecutive faults + 1 on a
 * line fault or 0 with reset_faults, last_result = result ("connected 33600", "busy").
 */
int store_line_note_call(struct store *st, const char *id, const char *result, bool failed,
			 bool line_fault, bool reset_faults);
/* Calls fn for every line, ordered by id. */
int store_line_foreach(struct store *st, int (*fn)(const struct store_line *l, void *arg),
		       void *arg);

/* Inserts a ticket and sets t->id. */
int store_ticket_insert(struct store *st, struct store_ticket *t);
/* Reads ticket id. */
int store_ticket_get(struct store *st, int64_t id, struct store_ticket *t);
/* Calls fn for every ticket, newest first. */
int store_ticket_foreach(struct store *st, int (*fn)(const struct store_ticket *t, void *arg),
			 void *arg);

/* Splits "a,b,c" (sep ',') into up to max names of STORE_NAME_MAX; -E2BIG / -ENAMETOOLONG. */
int store_split_names(const char *text, char sep, char names[][STORE_NAME_MAX], unsigned max,
		      unsigned *n);

#endif
