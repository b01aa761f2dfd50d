/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The AgentX subagent on spgate-control's event loop. net-snmp owns the connection to the
 * master (snmpd): it opens it, pings it every agentx_ping seconds, and when snmpd goes away
 * reopens it and registers our subtree again on the same schedule. We only give it time:
 * snmp_select_info2 says which sockets it reads and when its next alarm is due; an event
 * per socket and one timer call snmp_read2 / run_alarms, and after every such call the
 * sockets are looked at again, because reconnecting opens and closes them.
 *
 * Requests are answered from the view snmp.c swaps in every few seconds: a binary search,
 * nothing that blocks, nothing that calls out of this module.
 *
 * net-snmp is kept to itself: it reads no configuration file (so an operator's ~/.snmp
 * cannot change what spgate-control does) and no persistent state, uses no SIGALRM, and
 * logs warnings and worse to stderr only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* snmp_int.h brings net-snmp-config.h, which the agent headers want first */
#include "snmp/snmp_int.h"

#include <net-snmp/agent/net-snmp-agent-includes.h>

#define SNMP_APP_NAME "spgate-control"

struct snmp_fd_event {
	int fd;
	struct event *ev;
};

struct snmp_agentx {
	struct event_base *base;
	struct snmp_view *const *view; /* the current one, owned by snmp.c */
	struct snmp_fd_event *fds;
	size_t n_fds, cap_fds;
	struct event *timer;
	bool rescanning;
};

/* net-snmp runs one agent per process, and its callbacks carry no pointer of ours. */
static struct snmp_agentx *the_agentx;

static void set_value(netsnmp_variable_list *vb, const struct snmp_view *v, const struct snmp_view_entry *e)
{
	snmp_set_var_objid(vb, snmp_view_name(v, e), e->name_len);
	snmp_set_var_typed_value(vb, e->type, snmp_view_value(v, e), e->len);
}

static int handle_request(netsnmp_mib_handler *handler, netsnmp_handler_registration *reg,
			  netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
	const struct snmp_view *v = the_agentx != NULL ? *the_agentx->view : NULL;
	netsnmp_request_info *r;

	(void)handler;
	for (r = requests; r != NULL; r = r->next) {
		netsnmp_variable_list *vb = r->requestvb;
		const struct snmp_view_entry *e;

		if (r->processed)
			continue;
		switch (reqinfo->mode) {
		case MODE_GET:
			e = v != NULL ? snmp_view_get(v, vb->name, vb->name_length) : NULL;
			if (e == NULL)
				netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
			else
				set_value(vb, v, e);
			break;
		case MODE_GETNEXT:
			e = v != NULL ? snmp_view_next(v, vb->name, vb->name_length) : NULL;
			/* past our last object: left alone, the agent goes on to the next subtree */
			if (e != NULL && snmp_oidtree_compare(snmp_view_name(v, e), e->name_len, reg->rootoid,
							      reg->rootoid_len) == 0)
				set_value(vb, v, e);
			break;
		default:
			/* read-only: SETs are refused before they reach us (HANDLER_CAN_RONLY) */
			netsnmp_set_request_error(reqinfo, r, SNMP_ERR_NOTWRITABLE);
			break;
		}
	}
	return SNMP_ERR_NOERROR;
}

static void pump(struct snmp_agentx *ax);

static void fd_readable(evutil_socket_t fd, short what, void *arg)
{
	struct snmp_agentx *ax = arg;
	netsnmp_large_fd_set fds;

	(void)what;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	snmp_read2(&fds);
	netsnmp_large_fd_set_cleanup(&fds);
	netsnmp_check_outstanding_agent_requests();
	pump(ax);
}

static void timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct snmp_agentx *ax = arg;

	(void)fd;
	(void)what;
	snmp_timeout();
	run_alarms();
	netsnmp_check_outstanding_agent_requests();
	pump(ax);
}

static bool fd_wanted(netsnmp_large_fd_set *fds, int numfds, int fd)
{
	return fd < numfds && NETSNMP_LARGE_FD_ISSET(fd, fds);
}

/* Matches the events to the sockets net-snmp reads now, and the timer to its next alarm. */
static void pump(struct snmp_agentx *ax)
{
	netsnmp_large_fd_set fds;
	struct timeval tv = {LONG_MAX, 0};
	int numfds = 0, block = 0, fd;
	size_t i;

	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	snmp_select_info2(&numfds, &fds, &tv, &block);
	for (i = 0; i < ax->n_fds;) {
		if (fd_wanted(&fds, numfds, ax->fds[i].fd)) {
			NETSNMP_LARGE_FD_CLR(ax->fds[i].fd, &fds); /* already watched */
			i++;
			continue;
		}
		event_free(ax->fds[i].ev);
		ax->fds[i] = ax->fds[--ax->n_fds];
	}
	for (fd = 0; fd < numfds; fd++) {
		struct snmp_fd_event *fe;

		if (!NETSNMP_LARGE_FD_ISSET(fd, &fds))
			continue;
		if (ax->n_fds == ax->cap_fds) {
			size_t cap = ax->cap_fds != 0 ? ax->cap_fds * 2 : 8;
			void *p = realloc(ax->fds, cap * sizeof(*ax->fds));

			if (p == NULL)
				break;
			ax->fds = p;
			ax->cap_fds = cap;
		}
		fe = &ax->fds[ax->n_fds];
		fe->fd = fd;
		fe->ev = event_new(ax->base, fd, EV_READ | EV_PERSIST, fd_readable, ax);
		if (fe->ev == NULL || event_add(fe->ev, NULL) != 0) {
			if (fe->ev != NULL)
				event_free(fe->ev);
			break;
		}
		ax->n_fds++;
	}
	netsnmp_large_fd_set_cleanup(&fds);
	if (block)
		evtimer_del(ax->timer);
	else
		evtimer_add(ax->timer, &tv);
}

static void keep_netsnmp_to_itself(void)
{
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	/*
	 * We send and serve numeric OIDs only: no MIB module is loaded. An empty MIBS is the one
	 * switch init_snmp honours for that; without it a host lacking the IETF modules (Debian
	 * ships them apart) gets a page of "Cannot find module" on every start.
	 */
	setenv("MIBS", "", 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	snmp_disable_log();
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_STDERR, LOG_WARNING);
}

/* Set once init_agent has put its defaults (it sets the ping interval to 15 s). */
static void subagent_settings(const struct ctl_config *cfg)
{
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, cfg->snmp.agentx_socket);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
			   (int)cfg->snmp.agentx_ping);
	/* the ping waits for the master synchronously (net-snmp's subagent does): keep it short */
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_TIMEOUT, 1000000);
	netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_RETRIES, 0);
}

struct snmp_agentx *snmp_agentx_start(struct event_base *base, const struct ctl_config *cfg,
				      const struct snmp_mib *m, struct snmp_view *const *view, char *err,
				      size_t errlen)
{
	struct snmp_agentx *ax;
	netsnmp_handler_registration *reg;
	oid root[MAX_OID_LEN];
	const oid objects[] = {SNMP_ARC_OBJECTS};
	size_t root_len = snmp_mib_oid(m, root, objects, 1);

	if (the_agentx != NULL) {
		snprintf(err, errlen, "the subagent runs already");
		errno = EBUSY;
		return NULL;
	}
	ax = calloc(1, sizeof(*ax));
	if (ax == NULL || root_len == 0) {
		snprintf(err, errlen, "out of memory");
		free(ax);
		errno = ENOMEM;
		return NULL;
	}
	ax->base = base;
	ax->view = view;
	ax->timer = evtimer_new(base, timer_fired, ax);
	if (ax->timer == NULL) {
		free(ax);
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	the_agentx = ax;
	keep_netsnmp_to_itself();
	/* A master that is not up yet is no error: net-snmp logs it and retries every ping. */
	subagent_settings(cfg);
	init_agent(SNMP_APP_NAME);
	subagent_settings(cfg);
	reg = netsnmp_create_handler_registration("spgate", handle_request, root, root_len, HANDLER_CAN_RONLY);
	if (reg == NULL || netsnmp_register_handler(reg) != MIB_REGISTERED_OK) {
		snprintf(err, errlen, "cannot register %s", cfg->snmp.base_oid_text);
		snmp_agentx_stop(ax);
		errno = EINVAL;
		return NULL;
	}
	init_snmp(SNMP_APP_NAME);
	pump(ax);
	return ax;
}

void snmp_agentx_stop(struct snmp_agentx *ax)
{
	size_t i;

	if (ax == NULL)
		return;
	for (i = 0; i < ax->n_fds; i++)
		event_free(ax->fds[i].ev);
	free(ax->fds);
	if (ax->timer != NULL)
		event_free(ax->timer);
	snmp_shutdown(SNMP_APP_NAME);
	shutdown_agent();
	the_agentx = NULL;
	free(ax);
}
