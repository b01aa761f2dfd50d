/* SPDX-License-Identifier: BSD-3-Clause */
/* Approval policy and pending approvals with a deadline: see approval.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "approval.h"

int approval_policy(struct store *st, const char *serial, enum store_policy *policy)
{
	struct store_customer c;
	struct store_system s;
	int rc;

	rc = store_system_get(st, serial, &s);
	if (rc == 0)
		rc = store_customer_get(st, s.customer, &c);
	if (rc == 0)
		*policy = c.policy;
	return rc;
}

int approval_request(struct store *st, int64_t session_id, int64_t deadline)
{
	return store_approval_insert(st, session_id, deadline);
}

int approval_get(struct store *st, int64_t session_id, struct store_approval *a)
{
	return store_approval_get(st, session_id, a);
}

/*
 * The reserved name in a customer's approvers that lets gateway operators approve; an
 * engineer's group of that name never counts as the customer's approvers.
 */
#define APPROVERS_OPERATORS "operators"

/* The approvers group named by the customer of session_id's system, into group. */
static int customer_approvers(struct store *st, int64_t session_id, char *group, size_t len)
{
	struct store_customer c;
	struct store_session s;
	int rc;

	rc = store_session_get(st, session_id, &s);
	if (rc == 0)
		rc = store_customer_get(st, s.customer, &c);
	if (rc == 0)
		snprintf(group, len, "%s", c.approvers);
	return rc;
}

bool approval_may_decide(struct store *st, const struct ctl_config *cfg,
			 const char *const *groups, size_t n_groups, int64_t session_id)
{
	char approvers[STORE_NAME_MAX] = "";
	size_t i;

	for (i = 0; cfg != NULL && i < n_groups; i++)
		if (ctl_config_group_in(cfg->sessions.approver_groups,
					cfg->sessions.n_approver_groups, groups[i]))
			return true;
	if (customer_approvers(st, session_id, approvers, sizeof(approvers)) < 0 ||
	    approvers[0] == '\0' || strcmp(approvers, APPROVERS_OPERATORS) == 0)
		return false;
	for (i = 0; i < n_groups; i++)
		if (strcmp(groups[i], approvers) == 0)
			return true;
	return false;
}

static int requester_of(struct store *st, int64_t session_id, char *user, size_t len)
{
	struct store_session s;
	int rc;

	rc = store_session_get(st, session_id, &s);
	if (rc == 0)
		snprintf(user, len, "%s", s.user);
	return rc;
}

enum approval_verdict approval_check_decider(struct store *st, const struct ctl_config *cfg,
					     const struct approval_decider *d, int64_t session_id,
					     bool approve)
{
	char requester[STORE_NAME_MAX] = "";

	if (requester_of(st, session_id, requester, sizeof(requester)) < 0)
		return APPROVAL_NOT_APPROVER;
	return approval_check_decider_for(st, cfg, d, session_id, requester, approve);
}

enum approval_verdict approval_check_decider_for(struct store *st, const struct ctl_config *cfg,
						 const struct approval_decider *d, int64_t session_id,
						 const char *requester, bool approve)
{
	char approvers[STORE_NAME_MAX] = "";

	/* Four eyes: neither groups nor role lets anyone decide on their own request. */
	if (strcmp(requester, d->user) == 0)
		return APPROVAL_SELF;
	if (!d->operator)
		return approval_may_decide(st, cfg, d->groups, d->n_groups, session_id) ?
			       APPROVAL_MAY : APPROVAL_NOT_APPROVER;
	/* Refusing access never harms the customer; granting it is theirs to delegate. */
	if (!approve)
		return APPROVAL_MAY;
	if (customer_approvers(st, session_id, approvers, sizeof(approvers)) == 0 &&
	    strcmp(approvers, APPROVERS_OPERATORS) == 0)
		return APPROVAL_MAY;
	return APPROVAL_OPERATORS_NOT_ALLOWED;
}

int approval_decide(struct store *st, int64_t session_id, bool approve, const char *by,
		    int64_t now)
{
	char requester[STORE_NAME_MAX] = "";
	struct store_approval a;
	int rc;

	rc = store_approval_get(st, session_id, &a);
	if (rc < 0)
		return rc;
	/* Whatever path leads here, the requester never decides their own session. */
	rc = requester_of(st, session_id, requester, sizeof(requester));
	if (rc < 0)
		return rc;
	if (by != NULL && strcmp(requester, by) == 0)
		return -EPERM;
	if (a.decision != STORE_APPROVAL_PENDING)
		return -EALREADY;
	/* The timer may not have fired yet: a late answer must not win over the deadline. */
	if (now >= a.deadline) {
		rc = store_approval_decide(st, session_id, STORE_APPROVAL_EXPIRED, NULL, now);
		return rc < 0 ? rc : -ETIMEDOUT;
	}
	return store_approval_decide(st, session_id,
				     approve ? STORE_APPROVAL_APPROVED : STORE_APPROVAL_DENIED, by,
				     now);
}

struct id_list {
	int64_t *ids;
	size_t n, cap;
};

static int collect_id(const struct store_approval *a, void *arg)
{
	struct id_list *l = arg;
	int64_t *grown;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		grown = realloc(l->ids, l->cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		l->ids = grown;
	}
	l->ids[l->n++] = a->session_id;
	return 0;
}

int approval_expired(struct store *st, int64_t now, void (*fn)(int64_t session_id, void *arg),
		     void *arg)
{
	struct id_list due = { 0 };
	size_t i;
	int rc;

	/* Collect first: updating rows while a query walks them is asking for surprises. */
	rc = store_approval_foreach_due(st, now, collect_id, &due);
	for (i = 0; rc == 0 && i < due.n; i++)
		rc = store_approval_decide(st, due.ids[i], STORE_APPROVAL_EXPIRED, NULL, now);
	for (i = 0; rc == 0 && fn != NULL && i < due.n; i++)
		fn(due.ids[i], arg);
	free(due.ids);
	return rc < 0 ? rc : (int)due.n;
}

int approval_next_deadline(struct store *st, int64_t *deadline)
{
	return store_approval_next_deadline(st, deadline);
}
