/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which workstation a connect may name (issue 12, finding 10). The dataplane lets a session
 * be used from its workstation address alone, so that address is the engineer's own: the
 * source of their API connection. An operator may let a user name others (a jump host, a
 * colleague's desk) with the inventory's users[].may_name_workstations, a list of prefixes
 * kept as "a.b.c.d/len;a.b.c.d/len".
 */
#ifndef SPG_WORKSTATION_H
#define SPG_WORKSTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when list (';'-separated prefixes, "" none) is well formed: a.b.c.d or a.b.c.d/len. */
bool workstation_list_valid(const char *list);

/*
 * True when a connect from caller (network order) may name workstation: it is the caller,
 * or one of list's prefixes holds it. A malformed list allows nothing but the caller.
 */
bool workstation_allowed(const char *list, uint32_t caller, uint32_t workstation);

#endif
