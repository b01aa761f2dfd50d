/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The managers: one net-snmp session each, opened once (the single-session API, so that
 * nothing here shares the subagent's session list), sent to with snmp_sess_async_send.
 * Traps leave at once; informs wait for the manager's answer on the session's socket,
 * which an event on the loop reads, and net-snmp resends them until its retries run out,
 * which a timer from snmp_sess_select_info2 drives. A manager that never answers costs a
 * log line per inform.
 *
 * Version 3: a trap's sender is the authoritative engine, so the USM user is created
 * locally under our snmp.engine_id with keys localized to it; the manager needs the same
 * user under that id (snmptrapd: createUser -e ENGINE_ID USER SHA PASS AES PASS). An
 * inform's receiver is authoritative: net-snmp discovers its engine id when the session is
 * opened, which waits for the manager once, at start-up (1 s, 2 retries).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "snmp/snmp_int.h"

#define SNMP_MANAGER_TIMEOUT_US 1000000
#define SNMP_MANAGER_RETRIES 2

struct snmp_manager {
	struct snmp_managers *ms;
	char name[SPG_ENDPOINT_STRLEN]; /* "a.b.c.d:port" for logs */
	void *sess;                      /* snmp_sess_open's handle */
	struct event *readable, *timer;
};

struct snmp_managers {
	struct event_base *base;
	int pdu_type;
	struct snmp_manager m[CTL_SNMP_MAX_MANAGERS];
	unsigned n;
};

void snmp_log_msg(const char *fmt, ...)
{
	va_list ap;

	fputs("spgate-control: snmp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Arms the manager's timer for net-snmp's next resend or timeout, if it has one. */
static void manager_rearm(struct snmp_manager *m)
{
	netsnmp_large_fd_set fds;
	struct timeval tv = {0, 0};
	int numfds = 0, block = 1;

	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	snmp_sess_select_info2_flags(m->sess, &numfds, &fds, &tv, &block, NETSNMP_SELECT_NOALARMS);
	netsnmp_large_fd_set_cleanup(&fds);
	if (block)
		evtimer_del(m->timer);
	else
		evtimer_add(m->timer, &tv);
}

static void manager_readable(evutil_socket_t fd, short what, void *arg)
{
	struct snmp_manager *m = arg;
	netsnmp_large_fd_set fds;

	(void)what;
	netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
	NETSNMP_LARGE_FD_SET(fd, &fds);
	snmp_sess_read2(m->sess, &fds);
	netsnmp_large_fd_set_cleanup(&fds);
	manager_rearm(m);
}

static void manager_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct snmp_manager *m = arg;

	(void)fd;
	(void)what;
	snmp_sess_timeout(m->sess);
	manager_rearm(m);
}

/* An inform's fate: acknowledged, refused, or not answered after the retries. */
static int inform_done(int op, netsnmp_session *s, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct snmp_manager *m = s->callback_magic;
	const char *what = magic;

	if (op == NETSNMP_CALLBACK_OP_TIMED_OUT)
		snmp_log_msg("manager %s did not acknowledge %s (request %d) after %d retries", m->name, what, reqid,
			     SNMP_MANAGER_RETRIES);
	else if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != NULL && pdu->errstat != SNMP_ERR_NOERROR)
		snmp_log_msg("manager %s refused %s: %s", m->name, what, snmp_errstring((int)pdu->errstat));
	return 1;
}

static int set_auth(netsnmp_session *s, const struct ctl_snmp_manager *c, char *err, size_t errlen)
{
	const oid *proto;
	size_t proto_len;

	switch (c->auth) {
	case CTL_SNMP_AUTH_SHA:
		proto = usmHMACSHA1AuthProtocol;
		proto_len = OID_LENGTH(usmHMACSHA1AuthProtocol);
		break;
	case CTL_SNMP_AUTH_SHA256:
		proto = usmHMAC192SHA256AuthProtocol;
		proto_len = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
		break;
	case CTL_SNMP_AUTH_MD5:
		proto = usmHMACMD5AuthProtocol;
		proto_len = OID_LENGTH(usmHMACMD5AuthProtocol);
		break;
	default:
		s->securityLevel = SNMP_SEC_LEVEL_NOAUTH;
		return 0;
	}
	s->securityAuthProto = snmp_duplicate_objid(proto, proto_len);
	s->securityAuthProtoLen = proto_len;
	s->securityAuthKeyLen = USM_AUTH_KU_LEN;
	if (generate_Ku(proto, (u_int)proto_len, (const u_char *)c->auth_passphrase, strlen(c->auth_passphrase),
			s->securityAuthKey, &s->securityAuthKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the authentication key of user %s", c->user);
		return -1;
	}
	s->securityLevel = SNMP_SEC_LEVEL_AUTHNOPRIV;
	if (c->priv == CTL_SNMP_PRIV_NONE)
		return 0;
	if (c->priv == CTL_SNMP_PRIV_AES) {
		s->securityPrivProto = snmp_duplicate_objid(usmAESPrivProtocol, OID_LENGTH(usmAESPrivProtocol));
		s->securityPrivProtoLen = OID_LENGTH(usmAESPrivProtocol);
	} else {
#ifndef NETSNMP_DISABLE_DES
		s->securityPrivProto = snmp_duplicate_objid(usmDESPrivProtocol, OID_LENGTH(usmDESPrivProtocol));
		s->securityPrivProtoLen = OID_LENGTH(usmDESPrivProtocol);
#else
		snprintf(err, errlen, "this net-snmp was built without DES");
		return -1;
#endif
	}
	/* RFC 3414: the privacy key is derived with the authentication protocol's hash */
	s->securityPrivKeyLen = USM_PRIV_KU_LEN;
	if (generate_Ku(proto, (u_int)proto_len, (const u_char *)c->priv_passphrase, strlen(c->priv_passphrase),
			s->securityPrivKey, &s->securityPrivKeyLen) != SNMPERR_SUCCESS) {
		snprintf(err, errlen, "cannot derive the privacy key of user %s", c->user);
		return -1;
	}
	s->securityLevel = SNMP_SEC_LEVEL_AUTHPRIV;
	return 0;
}

static void free_session_fields(netsnmp_session *s)
{
	free(s->securityAuthProto);
	free(s->securityPrivProto);
	s->securityAuthProto = NULL;
	s->securityPrivProto = NULL;
}

static int manager_open(struct snmp_managers *ms, struct snmp_manager *m, const struct ctl_config *cfg,
			const struct ctl_snmp_manager *c, char *err, size_t errlen)
{
	char peer[SPG_ENDPOINT_STRLEN + 8], addr[SPG_ADDR_STRLEN];
	uint8_t engine_id[CTL_SNMP_ENGINE_ID_MAX];
	netsnmp_session s;
	netsnmp_transport *t;
	int sock, rc = -1;

	m->ms = ms;
	snprintf(m->name, sizeof(m->name), "%s:%u", spg_addr_str(c->addr, addr), c->port);
	snprintf(peer, sizeof(peer), "udp:%s", m->name);
	snmp_sess_init(&s);
	s.peername = peer;
	s.timeout = SNMP_MANAGER_TIMEOUT_US;
	s.retries = SNMP_MANAGER_RETRIES;
	s.callback = inform_done;
	s.callback_magic = m;
	if (c->version == CTL_SNMP_V2C) {
		s.version = SNMP_VERSION_2c;
		s.community = (u_char *)(uintptr_t)c->community;
		s.community_len = strlen(c->community);
	} else {
		s.version = SNMP_VERSION_3;
		s.securityName = (char *)(uintptr_t)c->user;
		s.securityNameLen = strlen(c->user);
		s.securityModel = SNMP_SEC_MODEL_USM;
		if (set_auth(&s, c, err, errlen) < 0)
			goto out;
		if (ms->pdu_type == SNMP_MSG_TRAP2) {
			memcpy(engine_id, cfg->snmp.engine_id, cfg->snmp.engine_id_len);
			s.securityEngineID = engine_id;
			s.securityEngineIDLen = cfg->snmp.engine_id_len;
			s.contextEngineID = engine_id;
			s.contextEngineIDLen = cfg->snmp.engine_id_len;
			if (create_user_from_session(&s) != SNMPERR_SUCCESS) {
				snprintf(err, errlen, "manager %s: cannot create USM user %s", m->name, c->user);
				goto out;
			}
		}
	}
	m->sess = snmp_sess_open(&s);
	if (m->sess == NULL) {
		snprintf(err, errlen, "manager %s: %s", m->name, snmp_api_errstring(s.s_snmp_errno));
		goto out;
	}
	t = snmp_sess_transport(m->sess);
	sock = t != NULL ? t->sock : -1;
	m->readable = sock >= 0 ? event_new(ms->base, sock, EV_READ | EV_PERSIST, manager_readable, m) : NULL;
	m->timer = evtimer_new(ms->base, manager_timeout, m);
	if (m->readable == NULL || m->timer == NULL) {
		snprintf(err, errlen, "manager %s: cannot watch its socket", m->name);
		goto out;
	}
	event_add(m->readable, NULL);
	rc = 0;
out:
	free_session_fields(&s);
	return rc;
}

static void manager_close(struct snmp_manager *m)
{
	if (m->readable != NULL)
		event_free(m->readable);
	if (m->timer != NULL)
		event_free(m->timer);
	if (m->sess != NULL)
		snmp_sess_close(m->sess);
	memset(m, 0, sizeof(*m));
}

struct snmp_managers *snmp_managers_open(struct event_base *base, const struct ctl_config *cfg, char *err,
					 size_t errlen)
{
	struct snmp_managers *ms = calloc(1, sizeof(*ms));
	unsigned i;

	if (ms == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ms->base = base;
	ms->pdu_type = cfg->snmp.notify == CTL_SNMP_INFORM ? SNMP_MSG_INFORM : SNMP_MSG_TRAP2;
	for (i = 0; i < cfg->snmp.n_managers; i++) {
		if (manager_open(ms, &ms->m[i], cfg, &cfg->snmp.managers[i], err, errlen) < 0) {
			ms->n = i + 1;
			snmp_managers_close(ms);
			return NULL;
		}
	}
	ms->n = cfg->snmp.n_managers;
	return ms;
}

void snmp_managers_close(struct snmp_managers *ms)
{
	unsigned i;

	if (ms == NULL)
		return;
	for (i = 0; i < ms->n; i++)
		manager_close(&ms->m[i]);
	free(ms);
}

int snmp_managers_pdu_type(const struct snmp_managers *ms)
{
	return ms->pdu_type;
}

void snmp_managers_send(struct snmp_managers *ms, netsnmp_pdu *pdu, const char *what)
{
	unsigned i;

	for (i = 0; i < ms->n; i++) {
		struct snmp_manager *m = &ms->m[i];
		netsnmp_pdu *copy = snmp_clone_pdu(pdu);
		netsnmp_session *s = snmp_sess_session(m->sess);

		if (copy == NULL) {
			snmp_log_msg("%s to %s: out of memory", what, m->name);
			continue;
		}
		/* snmp_sess_async_send frees the PDU once it is sent, or leaves it to us on failure */
		if (snmp_sess_async_send(m->sess, copy, inform_done, (void *)(uintptr_t)what) == 0) {
			snmp_log_msg("%s to %s: %s", what, m->name,
				     snmp_api_errstring(s != NULL ? s->s_snmp_errno : SNMPERR_GENERR));
			snmp_free_pdu(copy);
			continue;
		}
		manager_rearm(m);
	}
	snmp_free_pdu(pdu);
}
