/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control messages: answers dp_api.h requests from spgatectl and spgate-control (the
 * socket that carries them is ctl_socket.c). Runs on the control thread; every table change
 * goes through session_table.c under dp->ctl_lock, which the telemetry thread takes too.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_ring.h>

#include "addr.h"
#include "ctl_peer.h"
#include "ctl_server.h"
#include "nat.h"
#include "port_addr.h"

#ifndef SPGATE_VERSION
#define SPGATE_VERSION "unknown" /* meson.build passes the project version */
#endif

/* ---- request handlers: fill the reply body, return 0 or a positive errno ---- */

union ctl_req {
	struct spg_dp_hello_req hello;
	struct spg_dp_session_add_req add;
	struct {
		struct spg_dp_session_add_batch_req head;
		struct spg_dp_session_params p[SPG_DP_ADD_BATCH_MAX];
	} add_batch;
	struct {
		struct spg_dp_session_del_batch_req head;
		uint64_t id[SPG_DP_DEL_BATCH_MAX];
	} del_batch;
	struct spg_dp_session_update_req update;
	struct spg_dp_session_id_req id;
	struct spg_dp_session_list_req list;
	struct spg_dp_session_record_req record;
	struct spg_dp_session_joiners_req joiners;
	struct spg_dp_address_req address;
};

typedef int (*ctl_handler)(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len);

/* src may lack a NUL within n - 1 bytes; dst gets at most n - 1 printable characters. */
static void printable_copy(char *dst, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i < n - 1 && src[i] != '\0'; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static int handle_hello(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_dp_hello_rep rep = {0};
	char name[SPG_DP_NAME_LEN + 1];

	printable_copy(name, req->hello.client_name, sizeof(name));
	RTE_LOG(DEBUG, USER1, "control: hello from \"%s\" (api %u)\n", name, req->hello.client_version);
	rep.api_version = SPG_DP_API_VERSION;
	rep.max_sessions = spg_session_capacity(dp->sessions);
	rep.n_sessions = spg_session_count(dp->sessions);
	rep.n_workers = dp->n_workers;
	rep.key_len = spg_cipher_key_len(dp->cfg.cipher);
	rep.shared_addr = dp->cfg.shared_addr;
	rep.inner_addr = dp->cfg.inner_addr;
	rep.pool_addr = dp->cfg.pool_addr;
	rep.pool_prefix_len = dp->cfg.pool_prefix_len;
	rep.outer_addr = dp->cfg.sp.addr;
	rep.esp_udp_port = dp->cfg.esp_udp_port;
	rep.sp_mtu = dp->cfg.sp.mtu;
	rep.vendor_addr = dp->ports[SPG_DP_PORT_VENDOR].addr;
	snprintf(rep.version, sizeof(rep.version), "spgate-dp %s", SPGATE_VERSION);
	memcpy(body, &rep, sizeof(rep));
	*body_len = sizeof(rep);
	return 0;
}

static int handle_ping(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	RTE_SET_USED(dp);
	RTE_SET_USED(req);
	RTE_SET_USED(body);
	*body_len = 0;
	return 0;
}

/* V_i must be a host address of the configured pool (/31 and /32 pools have no network or
 * broadcast address to exclude, RFC 3021). */
static int check_virtual_in_pool(const struct spg_dp_config *cfg, uint32_t vaddr, const char **why)
{
	uint32_t mask = spg_prefix_mask(cfg->pool_prefix_len);
	uint32_t host = ntohl(vaddr & ~mask);

	if ((vaddr & mask) != (cfg->pool_addr & mask)) {
		*why = "virtual address outside the virtual pool";
		return EINVAL;
	}
	if (cfg->pool_prefix_len <= 30 && host == 0) {
		*why = "virtual address is the pool's network address";
		return EINVAL;
	}
	if (cfg->pool_prefix_len <= 30 && host == ntohl(~mask)) {
		*why = "virtual address is the pool's broadcast address";
		return EINVAL;
	}
	return 0;
}

/*
 * At a full install rate an INFO line per add would cost more than the add (and flood the
 * log): the first ADD_LINES_PER_SEC adds of each second get their line, the rest are counted
 * and summed up in one line when the second is over. Refusals always get their line.
 */
#define ADD_LINES_PER_SEC 20
static struct {
	uint64_t second_start; /* TSC */
	uint32_t lines;        /* lines written in this second */
	uint32_t quiet;        /* adds not written in this second */
} add_log;

void spg_ctl_tick(uint64_t now)
{
	if (now - add_log.second_start < rte_get_tsc_hz())
		return;
	if (add_log.quiet != 0)
		RTE_LOG(INFO, USER1, "control: %u more sessions added in the last second (lines for the first %u only)\n",
			add_log.quiet, ADD_LINES_PER_SEC);
	add_log.second_start = now;
	add_log.lines = 0;
	add_log.quiet = 0;
}

static bool add_log_line_allowed(void)
{
	spg_ctl_tick(rte_get_tsc_cycles());
	if (add_log.lines < ADD_LINES_PER_SEC) {
		add_log.lines++;
		return true;
	}
	add_log.quiet++;
	return false;
}

/* One line per control event (adds: see add_log); keys are never logged. upd == 0: an add. */
static void log_params(const char *what, uint32_t upd, const struct spg_dp_session_params *p, int err)
{
	char v[SPG_ADDR_STRLEN], w[SPG_ADDR_STRLEN], e[SPG_ADDR_STRLEN];
	char parts[256];
	size_t n = 0;

	if (err != 0) {
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": %s refused: %s\n", p->id, what, strerror(err));
		return;
	}
	spg_addr_str(p->virtual_addr, v);
	spg_addr_str(p->workstation_addr, w);
	spg_addr_str(p->peer_addr, e);
	if (upd == 0) {
		RTE_LOG(INFO, USER1,
			"session %" PRIu64 ": added, virtual %s workstation %s peer %s:%u spi out 0x%08x in 0x%08x, "
			"%u port ranges%s, rate out %" PRIu64 " in %" PRIu64 " bytes/s\n",
			p->id, v, w, e, p->peer_port, ntohl(p->sa_out.spi), ntohl(p->sa_in.spi), p->n_port_ranges,
			p->icmp_echo ? " + icmp echo" : "", p->rate_out.bytes_per_sec, p->rate_in.bytes_per_sec);
		return;
	}
	parts[0] = '\0';
	if (upd & SPG_DP_UPD_ENDPOINT)
		n += (size_t)snprintf(parts + n, sizeof(parts) - n, ", peer %s:%u", e, p->peer_port);
	if ((upd & SPG_DP_UPD_RATE) && n < sizeof(parts))
		n += (size_t)snprintf(parts + n, sizeof(parts) - n, ", rate out %" PRIu64 " in %" PRIu64 " bytes/s",
				      p->rate_out.bytes_per_sec, p->rate_in.bytes_per_sec);
	if ((upd & SPG_DP_UPD_KEYS) && n < sizeof(parts))
		n += (size_t)snprintf(parts + n, sizeof(parts) - n, ", rekeyed to spi out 0x%08x in 0x%08x",
				      ntohl(p->sa_out.spi), ntohl(p->sa_in.spi));
	if ((upd & SPG_DP_UPD_PORTS) && n < sizeof(parts))
		snprintf(parts + n, sizeof(parts) - n, ", %u port ranges%s", p->n_port_ranges,
			 p->icmp_echo ? " + icmp echo" : "");
	RTE_LOG(INFO, USER1, "session %" PRIu64 ": updated%s\n", p->id, parts);
}

/*
 * Asks the slow path (through the workers' resolve ring, which any thread may feed) for the
 * MAC of the next hop towards dst on port, unless it is known: a new session's first packet
 * then finds its neighbors resolved instead of being dropped as no_neighbor (issue 13). Chosen
 * over holding packets for unresolved neighbors: a hold queue would move mbufs from the
 * workers to the slow path and back, with timers and drop counts outside the workers' stats.
 */
static void preresolve(struct spg_dp *dp, uint16_t port, uint32_t dst)
{
	uint32_t nh = spg_next_hop_for(&dp->ports[port], dst);
	struct rte_ether_addr mac;
	uint64_t req;

	if (nh == 0 || dp->resolve_ring == NULL || spg_neigh_lookup(dp->neigh, port, nh, &mac))
		return;
	req = spg_resolve_pack(port, nh);
	/* a full ring only means the first packet asks, as it did before */
	rte_ring_mp_enqueue_elem(dp->resolve_ring, &req, sizeof(req));
}

/* One add, checked as the single and the batched message both require; 0 or a positive errno. */
static int session_add_one(struct spg_dp *dp, const struct spg_dp_session_params *p)
{
	const char *why = NULL;
	int err;

	err = spg_dp_session_params_check(p, spg_cipher_key_len(dp->cfg.cipher), &why);
	if (err == 0)
		err = check_virtual_in_pool(&dp->cfg, p->virtual_addr, &why);
	/* A silenced primary or an address not (or no longer) taken over is another host's:
	 * ESP from it would reach the SP site with a source that answers elsewhere. */
	if (err == 0 && !spg_port_addr_outer_src_ok(dp, p->outer_src)) {
		why = p->outer_src != 0 ? "outer_src is no active address of the SP port"
					: "outer_src 0 names the SP port's primary address, which is silenced";
		err = EADDRNOTAVAIL;
	}
	if (err != 0) {
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": add refused: %s\n", p->id, why);
		return err;
	}
	err = -spg_session_add(dp->sessions, p);
	if (err != 0 || add_log_line_allowed())
		log_params("add", 0, p, err);
	if (err == 0) {
		preresolve(dp, SPG_DP_PORT_SP, p->peer_addr);
		preresolve(dp, SPG_DP_PORT_VENDOR, p->workstation_addr);
	}
	return err;
}

static int handle_session_add(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	RTE_SET_USED(body);
	*body_len = 0;
	return session_add_one(dp, &req->add.p);
}

/* Every session of the batch is tried, whatever became of the others. */
static int handle_session_add_batch(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_dp_session_add_batch_rep head = { .count = req->add_batch.head.count };
	int32_t err;

	for (uint32_t i = 0; i < head.count; i++) {
		err = session_add_one(dp, &req->add_batch.p[i]);
		head.n_failed += err != 0;
		memcpy(body + sizeof(head) + i * sizeof(err), &err, sizeof(err));
	}
	memcpy(body, &head, sizeof(head));
	*body_len = sizeof(head) + head.count * sizeof(err);
	return 0;
}

/*
 * The parts of an update that `what` does not name are ignored by the table; to check the
 * named parts with the same rules as an add, overlay them on the session as it is now.
 */
static void merge_current(struct spg_dp *dp, const struct spg_session *s, uint32_t what,
			  const struct spg_dp_session_params *upd, struct spg_dp_session_params *m)
{
	struct spg_dp_session_info info;
	uint8_t key_len = spg_cipher_key_len(dp->cfg.cipher);

	spg_dp_session_info(dp, s, &info);
	memset(m, 0, sizeof(*m));
	m->id = info.id;
	m->virtual_addr = info.virtual_addr;
	m->workstation_addr = info.workstation_addr;
	m->peer_addr = info.peer_addr;
	m->peer_port = info.peer_port;
	m->icmp_echo = info.icmp_echo;
	m->n_port_ranges = info.n_port_ranges;
	memcpy(m->ports, info.ports, sizeof(m->ports));
	m->rate_out = info.rate_out;
	m->rate_in = info.rate_in;
	m->sa_out.spi = info.spi_out;
	m->sa_out.key_len = key_len;
	m->sa_in.spi = info.spi_in;
	m->sa_in.key_len = key_len;
	if (what & SPG_DP_UPD_ENDPOINT) {
		m->peer_addr = upd->peer_addr;
		m->peer_port = upd->peer_port;
	}
	if (what & SPG_DP_UPD_RATE) {
		m->rate_out = upd->rate_out;
		m->rate_in = upd->rate_in;
	}
	if (what & SPG_DP_UPD_KEYS) {
		m->sa_out = upd->sa_out;
		m->sa_in = upd->sa_in;
	}
	if (what & SPG_DP_UPD_PORTS) {
		m->icmp_echo = upd->icmp_echo;
		m->n_port_ranges = upd->n_port_ranges;
		memcpy(m->ports, upd->ports, sizeof(m->ports));
	}
}

/* The address session s sends its ESP from. */
static uint32_t session_outer_src(const struct spg_dp *dp, const struct spg_session *s)
{
	uint32_t src = spg_session_ctl_of(dp->sessions, s)->outer_src;

	return src != 0 ? src : dp->ports[SPG_DP_PORT_SP].addr;
}

static int handle_session_update(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	const struct spg_dp_session_params *p = &req->update.p;
	uint32_t what = req->update.what;
	struct spg_dp_session_params merged;
	struct spg_session *s;
	const char *why = NULL;
	int err;

	RTE_SET_USED(body);
	*body_len = 0;
	if (what == 0 || (what & ~(uint32_t)SPG_DP_UPD_ALL) != 0) {
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": update refused: what=0x%x names no known part\n",
			p->id, what);
		return EINVAL;
	}
	s = spg_session_find(dp->sessions, p->id);
	if (s == NULL)
		return ENOENT;
	if (p->outer_src != 0 && p->outer_src != session_outer_src(dp, s)) {
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": update refused: outer_src differs from the session's "
			"(it is fixed at add: delete and add again)\n", p->id);
		return EINVAL;
	}
	merge_current(dp, s, what, p, &merged);
	err = spg_dp_session_params_check(&merged, spg_cipher_key_len(dp->cfg.cipher), &why);
	if (err != 0) {
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": update refused: %s\n", p->id, why);
		return err;
	}
	err = -spg_session_update(dp->sessions, what, p);
	log_params("update", what, p, err);
	return err;
}

static int handle_session_del(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_session *s;
	int err;

	RTE_SET_USED(body);
	*body_len = 0;
	/* A recording ends with its session: the file is closed, complete as far as it got. */
	s = spg_session_find(dp->sessions, req->id.id);
	if (s != NULL && dp->rec != NULL)
		spg_recorder_stop(dp->rec, s, NULL);
	err = -spg_session_del(dp->sessions, req->id.id);
	if (err == 0)
		RTE_LOG(INFO, USER1, "session %" PRIu64 ": deleted\n", req->id.id);
	else if (err != ENOENT)
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": delete failed: %s\n", req->id.id, strerror(err));
	return err;
}

/* Every id of the batch is tried, whatever became of the others. */
static int handle_session_del_batch(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_dp_session_add_batch_rep head = { .count = req->del_batch.head.count };
	union ctl_req one;
	int32_t err;

	for (uint32_t i = 0; i < head.count; i++) {
		one.id.id = req->del_batch.id[i];
		err = handle_session_del(dp, &one, NULL, body_len);
		head.n_failed += err != 0;
		memcpy(body + sizeof(head) + i * sizeof(err), &err, sizeof(err));
	}
	memcpy(body, &head, sizeof(head));
	*body_len = sizeof(head) + head.count * sizeof(err);
	return 0;
}

/* SESSION_RECORD: start or stop; both answer with the recording's counters. */
static int handle_session_record(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	const struct spg_dp_session_record_req *r = &req->record;
	struct spg_dp_record_rep rep = { .id = r->id };
	struct spg_session *s;
	char path[SPG_DP_RECORD_PATH_MAX];
	int err;

	*body_len = 0;
	if (r->on > 1) {
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": record refused: on=%u, expected 0 or 1\n", r->id, r->on);
		return EINVAL;
	}
	s = spg_session_find(dp->sessions, r->id);
	if (s == NULL)
		return ENOENT;
	if (dp->rec == NULL)
		return EOPNOTSUPP;
	if (r->on) {
		err = -spg_recorder_start(dp->rec, s, r->path, r->comment);
		printable_copy(path, r->path, sizeof(path));
		if (err != 0) {
			RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": recording to %s refused: %s\n", r->id, path,
				strerror(err));
			return err;
		}
		RTE_LOG(INFO, USER1, "session %" PRIu64 ": recording to %s\n", r->id, path);
		rep.state = SPG_DP_RECORD_ON;
	} else {
		spg_recorder_stop(dp->rec, s, &rep);
	}
	memcpy(body, &rep, sizeof(rep));
	*body_len = sizeof(rep);
	return 0;
}

/*
 * Why addr may not be a joiner's workstation, whatever session it joins (NULL when it may):
 * the gateway's own inner addresses, the SP's, the virtual pool (the addresses the vendor
 * side reaches sessions at), and what is no unicast host. The session's own conflicts (the
 * holder, another slot) are the table's to find.
 */
static const char *joiner_addr_refused(const struct spg_dp_config *cfg, uint32_t addr)
{
	uint32_t first = ntohl(addr) >> 24;

	if (first == 0 || first == 127)
		return "in 0.0.0.0/8 or 127.0.0.0/8";
	if (first >= 224)
		return "multicast, reserved or broadcast";
	if (((addr ^ cfg->pool_addr) & spg_prefix_mask(cfg->pool_prefix_len)) == 0)
		return "inside the virtual pool";
	if (addr == cfg->shared_addr)
		return "the SP's address S (sp.shared_address)";
	if (addr == cfg->inner_addr || spg_nat_joiner_of_inner(cfg->inner_addr, addr, SPG_DP_MAX_JOINERS) != 0)
		return "one of the gateway's inner addresses G_in .. G_in+3";
	return NULL;
}

/* SESSION_JOINERS: checks every address, then replaces the session's joiners at once. */
static int handle_session_joiners(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	const struct spg_dp_session_joiners_req *r = &req->joiners;
	char a[SPG_ADDR_STRLEN], list[SPG_DP_MAX_JOINERS * (SPG_ADDR_STRLEN + 12)];
	const char *why;
	size_t n = 0;
	int err;

	RTE_SET_USED(body);
	*body_len = 0;
	if (spg_session_find(dp->sessions, r->id) == NULL)
		return ENOENT;
	for (unsigned int j = 0; j < SPG_DP_MAX_JOINERS; j++) {
		if (r->joiner_addr[j] == 0)
			continue;
		why = joiner_addr_refused(&dp->cfg, r->joiner_addr[j]);
		if (why != NULL) {
			RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": joiners refused: slot %u's %s is %s\n", r->id, j + 1,
				spg_addr_str(r->joiner_addr[j], a), why);
			return EINVAL;
		}
	}
	err = -spg_session_set_joiners(dp->sessions, r->id, r->joiner_addr);
	if (err != 0) {
		RTE_LOG(NOTICE, USER1, "session %" PRIu64 ": joiners refused: %s\n", r->id,
			err == EINVAL ? "the holder's workstation, or one workstation in two slots" : strerror(err));
		return err;
	}
	list[0] = '\0';
	for (unsigned int j = 0; j < SPG_DP_MAX_JOINERS && n < sizeof(list); j++) {
		if (r->joiner_addr[j] == 0)
			continue;
		n += (size_t)snprintf(list + n, sizeof(list) - n, " %s (slot %u)", spg_addr_str(r->joiner_addr[j], a),
				      j + 1);
		preresolve(dp, SPG_DP_PORT_VENDOR, r->joiner_addr[j]);
	}
	RTE_LOG(INFO, USER1, "session %" PRIu64 ": joiners:%s\n", r->id, list[0] != '\0' ? list : " none");
	return 0;
}

static const char *const port_names[SPG_DP_N_PORTS] = { "vendor", "sp" };

/* ADDRESS: the addresses a port owns (port_addr.h); every change is logged, refusals too. */
static int handle_address(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	const struct spg_dp_address_req *r = &req->address;
	struct spg_dp_address_list_rep head = {0};
	const char *why = "unknown op", *what = "request";
	char a[SPG_ADDR_STRLEN];
	int err = EINVAL;

	*body_len = 0;
	if (r->op == SPG_DP_ADDR_LIST) {
		/* built aside: the reply buffer promises no alignment */
		struct spg_dp_address_entry e[SPG_DP_ADDR_LIST_MAX];

		head.count = spg_port_addr_list(dp, e);
		memcpy(body, &head, sizeof(head));
		memcpy(body + sizeof(head), e, head.count * sizeof(e[0]));
		*body_len = sizeof(head) + head.count * sizeof(struct spg_dp_address_entry);
		return 0;
	}
	if (r->op == SPG_DP_ADDR_ADD) {
		what = "add";
		err = spg_port_addr_add(dp, r->port, r->addr, &why);
	} else if (r->op == SPG_DP_ADDR_DEL) {
		what = "delete";
		err = spg_port_addr_del(dp, r->port, r->addr, &why);
	}
	spg_addr_str(r->addr, a);
	if (err != 0) {
		RTE_LOG(NOTICE, USER1, "control: ADDRESS %s (op %u) of %s on port %u (%s) refused: %s\n", what,
			r->op, a, r->port, r->port < SPG_DP_N_PORTS ? port_names[r->port] : "unknown", why);
		return err;
	}
	if (r->op == SPG_DP_ADDR_ADD)
		RTE_LOG(INFO, USER1, "%s port: owns %s%s, announced by gratuitous ARP\n", port_names[r->port], a,
			r->addr == dp->ports[r->port].addr ? " (its primary) again" : "");
	else
		RTE_LOG(INFO, USER1, "%s port: %s %s\n", port_names[r->port],
			r->addr == dp->ports[r->port].addr ? "silenced its primary address (standby)" : "gave up",
			a);
	return 0;
}

static int handle_session_get(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_dp_session_get_rep rep;
	struct spg_session *s;

	*body_len = 0;
	s = spg_session_find(dp->sessions, req->id.id);
	if (s == NULL)
		return ENOENT;
	memset(&rep, 0, sizeof(rep));
	spg_dp_session_info(dp, s, &rep.s);
	memcpy(body, &rep, sizeof(rep));
	*body_len = sizeof(rep);
	return 0;
}

static int handle_session_list(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_dp_session_list_rep head = {0};
	uint32_t cursor = req->list.cursor, peek;
	uint32_t max = req->list.max;
	struct spg_dp_session_info info;
	struct spg_session *s;
	uint8_t *entry = body + sizeof(head);

	if (max == 0 || max > SPG_DP_LIST_MAX_ENTRIES)
		max = SPG_DP_LIST_MAX_ENTRIES;
	while (head.count < max && (s = spg_session_next(dp->sessions, &cursor)) != NULL) {
		memset(&info, 0, sizeof(info));
		spg_dp_session_info(dp, s, &info);
		memcpy(entry, &info, sizeof(info));
		entry += sizeof(info);
		head.count++;
	}
	/* Look one ahead without moving the cursor, so a full reply can still say "done". */
	peek = cursor;
	head.done = spg_session_next(dp->sessions, &peek) == NULL;
	head.next_cursor = cursor;
	head.total = spg_session_count(dp->sessions);
	memcpy(body, &head, sizeof(head));
	*body_len = sizeof(head) + (size_t)head.count * sizeof(info);
	return 0;
}

static uint64_t drops_total(const struct spg_worker_stats *sum)
{
	uint64_t total = 0;
	unsigned int i;

	for (i = 1; i < SPG_DROP_MAX; i++)
		total += sum->drops[i];
	return total;
}

static int handle_stats(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_worker_stats sum;
	struct spg_dp_stats_rep rep;
	struct spg_recorder_stats rs;

	RTE_SET_USED(req);
	memset(&rep, 0, sizeof(rep));
	memset(&sum, 0, sizeof(sum));
	spg_dp_sum_stats(dp, &sum);
	spg_dp_port_stats(dp, rep.ports);
	rep.uptime_ms = (rte_get_tsc_cycles() - dp->start_tsc) * 1000 / rte_get_tsc_hz();
	rep.n_sessions = spg_session_count(dp->sessions);
	rep.ids_hash = spg_session_ids_hash(dp->sessions);
	rep.max_sessions = spg_session_capacity(dp->sessions);
	rep.n_workers = dp->n_workers;
	rep.out = sum.out;
	rep.in = sum.in;
	rep.drops_total = drops_total(&sum);
	spg_recorder_get_stats(dp->rec, &rs);
	rep.rec_written = rs.written;
	rep.rec_dropped = sum.rec_dropped + rs.not_written;
	rep.rec_files_open = rs.files_open;
	memcpy(body, &rep, sizeof(rep));
	*body_len = sizeof(rep);
	return 0;
}

static int handle_drops(struct spg_dp *dp, const union ctl_req *req, uint8_t *body, size_t *body_len)
{
	struct spg_worker_stats sum;
	struct spg_dp_drops_rep rep;
	unsigned int i;

	RTE_SET_USED(req);
	RTE_BUILD_BUG_ON(SPG_DROP_MAX - 1 > SPG_DP_MAX_DROP_REASONS);
	memset(&rep, 0, sizeof(rep));
	memset(&sum, 0, sizeof(sum));
	spg_dp_sum_stats(dp, &sum);
	for (i = 1; i < SPG_DROP_MAX; i++) {
		struct spg_dp_drop_count *d = &rep.reasons[rep.n_reasons++];

		snprintf(d->name, sizeof(d->name), "%s", spg_drop_name(i));
		d->count = sum.drops[i];
	}
	memcpy(body, &rep, sizeof(rep));
	*body_len = sizeof(rep);
	return 0;
}

static const ctl_handler handlers[SPG_DP_MSG_TYPE_MAX] = {
	[SPG_DP_HELLO] = handle_hello,
	[SPG_DP_PING] = handle_ping,
	[SPG_DP_SESSION_ADD] = handle_session_add,
	[SPG_DP_SESSION_UPDATE] = handle_session_update,
	[SPG_DP_SESSION_DEL] = handle_session_del,
	[SPG_DP_SESSION_GET] = handle_session_get,
	[SPG_DP_SESSION_LIST] = handle_session_list,
	[SPG_DP_STATS] = handle_stats,
	[SPG_DP_DROPS] = handle_drops,
	[SPG_DP_SESSION_ADD_BATCH] = handle_session_add_batch,
	[SPG_DP_SESSION_DEL_BATCH] = handle_session_del_batch,
	[SPG_DP_SESSION_RECORD] = handle_session_record,
	[SPG_DP_SESSION_JOINERS] = handle_session_joiners,
	[SPG_DP_ADDRESS] = handle_address,
};

size_t spg_ctl_reply_header(void *rep, uint16_t type, uint32_t seq, int err, size_t body_len)
{
	struct spg_dp_hdr h = {
		.version = SPG_DP_API_VERSION,
		.type = type | SPG_DP_REPLY,
		.len = (uint32_t)(sizeof(h) + body_len),
		.seq = seq,
		.error = err,
	};

	memcpy(rep, &h, sizeof(h));
	return h.len;
}

size_t spg_ctl_handle(struct spg_dp *dp, const void *req, size_t len, void *rep)
{
	const size_t hlen = sizeof(struct spg_dp_hdr);
	uint8_t *rep_body = (uint8_t *)rep + hlen;
	struct spg_dp_hdr h = {0};
	union ctl_req body;
	size_t body_len = 0;
	const char *why;
	int err;

	if (len >= hlen)
		memcpy(&h, req, hlen);
	err = spg_dp_msg_check(req, len, false, &why);
	if (err != 0) {
		RTE_LOG(NOTICE, USER1, "control: refused a message: %s\n", why);
		return spg_ctl_reply_header(rep, h.type, h.seq, err, 0);
	}
	/* A type common/dp_api.h knows but this dataplane does not handle (SESSION_RECORD until
	 * the recorder is built in): an empty EOPNOTSUPP reply, as from an older dataplane, and
	 * before its body is copied (it may be larger than the union). */
	if (handlers[h.type] == NULL)
		return spg_ctl_reply_header(rep, h.type, h.seq, EOPNOTSUPP, 0);
	/* Copied out: the caller's buffer carries no alignment promise. Zeroed behind the body
	 * only as far as a fixed-size request reaches (an update is the largest): a batch's
	 * length is exact, and the 15 KiB union need not be cleared for every message. */
	memcpy(&body, (const uint8_t *)req + hlen, len - hlen);
	if (len - hlen < sizeof(body.update))
		memset((uint8_t *)&body + (len - hlen), 0, sizeof(body.update) - (len - hlen));

	pthread_mutex_lock(&dp->ctl_lock);
	err = handlers[h.type](dp, &body, rep_body, &body_len);
	pthread_mutex_unlock(&dp->ctl_lock);
	if (err != 0)
		body_len = 0;
	return spg_ctl_reply_header(rep, h.type, h.seq, err, body_len);
}
