/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rows of SPGATE-MIB's tables, from what the sources returned: spgSessionTable (the
 * store's sessions with spgate-dp's counters where it has the session), spgLineTable and
 * spgDataplane. Called from the refresh timer, never inside a request.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "snmp/snmp_int.h"

#define GROW(arr, n, cap)                                                                  \
	((n) < (cap) || grow_array((void **)&(arr), &(cap), sizeof(*(arr))))

static bool grow_array(void **p, size_t *cap, size_t size)
{
	size_t n = *cap != 0 ? *cap * 2 : 32;
	void *q = realloc(*p, n * size);

	if (q == NULL)
		return false;
	*p = q;
	*cap = n;
	return true;
}

struct session_collect {
	struct snmp_data *d;
	const struct snmp_sources *src;
};

static int collect_session(const struct store_session *s, void *arg)
{
	struct session_collect *c = arg;
	struct snmp_data *d = c->d;
	struct store_session *row;
	bool *degraded;

	if (!GROW(d->sessions, d->n_sessions, d->cap_sessions) || !GROW(d->degraded, d->n_sessions, d->cap_degraded))
		return -ENOMEM;
	row = &d->sessions[d->n_sessions];
	degraded = &d->degraded[d->n_sessions];
	*row = *s;
	/* the store does not know degraded: only the session manager does (and why) */
	*degraded = c->src->degraded != NULL && s->state == STORE_SESSION_ACTIVE &&
		    c->src->degraded(c->src->arg, s->id, row->reason, sizeof(row->reason));
	d->n_sessions++;
	return 0;
}

static int collect_dp_session(const struct spg_dp_session_info *s, void *arg)
{
	struct snmp_data *d = arg;

	if (!GROW(d->dp_sessions, d->n_dp_sessions, d->cap_dp_sessions))
		return -ENOMEM;
	d->dp_sessions[d->n_dp_sessions++] = *s;
	return 0;
}

static int collect_line(const struct store_line *l, void *arg)
{
	struct snmp_data *d = arg;

	if (!GROW(d->lines, d->n_lines, d->cap_lines))
		return -ENOMEM;
	d->lines[d->n_lines++] = *l;
	return 0;
}

int snmp_data_collect(struct snmp_data *d, const struct snmp_sources *src)
{
	struct session_collect sc = {d, src};

	d->n_sessions = d->n_dp_sessions = d->n_lines = 0;
	d->dp_up = false;
	d->have_drops = false;
	/* A source that fails leaves its part empty: a store or spgate-dp hiccup is no reason
	 * to serve nothing at all. Only running out of memory stops the refresh. */
	if (src->sessions != NULL && src->sessions(src->arg, collect_session, &sc) == -ENOMEM)
		return -ENOMEM;
	if (src->lines != NULL && src->lines(src->arg, collect_line, d) == -ENOMEM)
		return -ENOMEM;
	if (src->dp_stats != NULL && src->dp_stats(src->arg, &d->dp_stats) == 0)
		d->dp_up = true;
	if (d->dp_up && src->dp_sessions != NULL && src->dp_sessions(src->arg, collect_dp_session, d) == -ENOMEM)
		return -ENOMEM;
	if (d->dp_up && src->dp_drops != NULL && src->dp_drops(src->arg, &d->dp_drops) == 0)
		d->have_drops = true;
	return 0;
}

void snmp_data_free(struct snmp_data *d)
{
	free(d->sessions);
	free(d->degraded);
	free(d->dp_sessions);
	free(d->lines);
	memset(d, 0, sizeof(*d));
}

static const struct spg_dp_session_info *dp_session_of(const struct snmp_data *d, int64_t id)
{
	size_t i;

	/* a few hundred sessions at most, every few seconds: a scan is cheaper than an index */
	for (i = 0; i < d->n_dp_sessions; i++)
		if ((int64_t)d->dp_sessions[i].id == id)
			return &d->dp_sessions[i];
	return NULL;
}

/* B.1.arc.1.col followed by the index arcs */
static size_t cell(const struct snmp_mib *m, oid *out, oid table, oid col, const oid *index, size_t n)
{
	oid arcs[MAX_OID_LEN];
	size_t len = 4;

	arcs[0] = SNMP_ARC_OBJECTS;
	arcs[1] = table;
	arcs[2] = 1;
	arcs[3] = col;
	if (n > MAX_OID_LEN - len)
		return 0;
	memcpy(arcs + len, index, n * sizeof(oid));
	return snmp_mib_oid(m, out, arcs, len + n);
}

static void add_session(struct snmp_view *v, const struct snmp_mib *m, const struct store_session *s,
			bool degraded, const struct spg_dp_session_info *dp)
{
	oid name[MAX_OID_LEN], idx[1];
	uint8_t when[11];
	size_t when_len = snmp_mib_date_and_time(s->created, when);
	uint64_t out_p = s->counters.out_packets, out_b = s->counters.out_bytes, out_d = 0;
	uint64_t in_p = s->counters.in_packets, in_b = s->counters.in_bytes, in_d = 0;

	if (s->id <= 0 || s->id > UINT32_MAX)
		return;
	/* spgate-dp's counters are the live ones; the store has what it last read of them */
	if (dp != NULL) {
		out_p = dp->out.packets, out_b = dp->out.bytes, out_d = dp->out.drops;
		in_p = dp->in.packets, in_b = dp->in.bytes, in_d = dp->in.drops;
	}
	idx[0] = (oid)s->id;
#define C(col) name, cell(m, name, SNMP_ARC_SESSIONS, col, idx, 1)
	snmp_view_add_string(v, C(SNMP_SESS_SERIAL), s->serial);
	snmp_view_add_string(v, C(SNMP_SESS_CUSTOMER), s->customer);
	snmp_view_add_string(v, C(SNMP_SESS_ENGINEER), s->user);
	snmp_view_add_string(v, C(SNMP_SESS_LINE), s->line_id);
	snmp_view_add_i32(v, C(SNMP_SESS_STATE), snmp_mib_session_status(s->state, degraded));
	snmp_view_add_string(v, C(SNMP_SESS_REASON), s->reason);
	snmp_view_add_ip(v, C(SNMP_SESS_VIRTUAL), s->virtual_address);
	snmp_view_add_ip(v, C(SNMP_SESS_WORKSTATION), s->workstation);
	snmp_view_add_ip(v, C(SNMP_SESS_SP_ADDRESS), s->sp_address);
	snmp_view_add_ip(v, C(SNMP_SESS_PEER_ADDRESS), s->agent_address);
	snmp_view_add_u32(v, C(SNMP_SESS_SPEED), ASN_GAUGE, snmp_mib_gauge(s->speed_bps));
	snmp_view_add_c64(v, C(SNMP_SESS_OUT_PACKETS), out_p);
	snmp_view_add_c64(v, C(SNMP_SESS_OUT_OCTETS), out_b);
	snmp_view_add_c64(v, C(SNMP_SESS_OUT_DROPS), out_d);
	snmp_view_add_c64(v, C(SNMP_SESS_IN_PACKETS), in_p);
	snmp_view_add_c64(v, C(SNMP_SESS_IN_OCTETS), in_b);
	snmp_view_add_c64(v, C(SNMP_SESS_IN_DROPS), in_d);
	snmp_view_add(v, C(SNMP_SESS_START_TIME), ASN_OCTET_STR, when, when_len);
#undef C
}

static void add_line(struct snmp_view *v, const struct snmp_mib *m, const struct store_line *l)
{
	oid name[MAX_OID_LEN], idx[STORE_NAME_MAX + 1];
	size_t n = snmp_mib_string_index(l->id, idx, STORE_NAME_MAX + 1);
	uint64_t session = l->session_id > 0 && l->session_id <= UINT32_MAX ? (uint64_t)l->session_id : 0;

	if (n <= 1)
		return;
#define C(col) name, cell(m, name, SNMP_ARC_LINES, col, idx, n)
	snmp_view_add_i32(v, C(SNMP_LINE_TYPE), snmp_mib_line_type(l->type));
	snmp_view_add_string(v, C(SNMP_LINE_REGION), l->region);
	snmp_view_add_string(v, C(SNMP_LINE_CUSTOMER), l->customer);
	snmp_view_add_i32(v, C(SNMP_LINE_STATE), snmp_mib_line_state(l->state));
	snmp_view_add_u32(v, C(SNMP_LINE_SESSION), ASN_UNSIGNED, (uint32_t)session);
	snmp_view_add_c64(v, C(SNMP_LINE_CALLS), l->calls);
	snmp_view_add_c64(v, C(SNMP_LINE_FAILURES), l->failures);
	snmp_view_add_u32(v, C(SNMP_LINE_CONSECUTIVE_FAULTS), ASN_GAUGE, l->consecutive_faults);
	snmp_view_add_string(v, C(SNMP_LINE_LAST_RESULT), l->last_result);
	snmp_view_add_string(v, C(SNMP_LINE_DEVICE), l->device);
#undef C
}

/* B.1.3.obj.0 */
static size_t dp_scalar(const struct snmp_mib *m, oid *out, enum snmp_dp_obj obj)
{
	const oid arcs[] = {SNMP_ARC_OBJECTS, SNMP_ARC_DATAPLANE, obj, 0};

	return snmp_mib_oid(m, out, arcs, 4);
}

/* B.1.3.table.1.col.row */
static size_t dp_cell(const struct snmp_mib *m, oid *out, enum snmp_dp_obj table, oid col, oid row)
{
	const oid arcs[] = {SNMP_ARC_OBJECTS, SNMP_ARC_DATAPLANE, table, 1, col, row};

	return snmp_mib_oid(m, out, arcs, 6);
}

static void add_dataplane(struct snmp_view *v, const struct snmp_mib *m, const struct snmp_data *d)
{
	static const char *const port_names[SPG_DP_N_PORTS] = {"vendor", "sp"};
	const struct spg_dp_stats_rep *st = &d->dp_stats;
	oid name[MAX_OID_LEN];
	unsigned i;

	snmp_view_add_i32(v, name, dp_scalar(m, name, SNMP_DP_UP), d->dp_up ? 1 : 2);
	if (!d->dp_up)
		return;
	/* TimeTicks are hundredths of a second */
	snmp_view_add_u32(v, name, dp_scalar(m, name, SNMP_DP_UPTIME), ASN_TIMETICKS,
			  (uint32_t)(st->uptime_ms / 10));
	snmp_view_add_u32(v, name, dp_scalar(m, name, SNMP_DP_SESSIONS), ASN_GAUGE, st->n_sessions);
	snmp_view_add_u32(v, name, dp_scalar(m, name, SNMP_DP_MAX_SESSIONS), ASN_GAUGE, st->max_sessions);
	snmp_view_add_c64(v, name, dp_scalar(m, name, SNMP_DP_OUT_PACKETS), st->out.packets);
	snmp_view_add_c64(v, name, dp_scalar(m, name, SNMP_DP_OUT_OCTETS), st->out.bytes);
	snmp_view_add_c64(v, name, dp_scalar(m, name, SNMP_DP_IN_PACKETS), st->in.packets);
	snmp_view_add_c64(v, name, dp_scalar(m, name, SNMP_DP_IN_OCTETS), st->in.bytes);
	snmp_view_add_c64(v, name, dp_scalar(m, name, SNMP_DP_DROPS), st->drops_total);
	for (i = 0; i < SPG_DP_N_PORTS; i++) {
		const struct spg_dp_port_stats *p = &st->ports[i];
		oid row = i + 1;

#define C(col) name, dp_cell(m, name, SNMP_DP_PORT_TABLE, col, row)
		snmp_view_add_string(v, C(SNMP_PORT_NAME), port_names[i]);
		snmp_view_add_c64(v, C(SNMP_PORT_RX_PACKETS), p->rx_packets);
		snmp_view_add_c64(v, C(SNMP_PORT_RX_OCTETS), p->rx_bytes);
		snmp_view_add_c64(v, C(SNMP_PORT_TX_PACKETS), p->tx_packets);
		snmp_view_add_c64(v, C(SNMP_PORT_TX_OCTETS), p->tx_bytes);
		snmp_view_add_c64(v, C(SNMP_PORT_RX_MISSED), p->rx_missed);
		snmp_view_add_c64(v, C(SNMP_PORT_TX_ERRORS), p->tx_errors);
#undef C
	}
	for (i = 0; d->have_drops && i < d->dp_drops.n_reasons && i < SPG_DP_MAX_DROP_REASONS; i++) {
		const struct spg_dp_drop_count *r = &d->dp_drops.reasons[i];
		char reason[SPG_DP_NAME_LEN + 1];

		/* reasons[i] is reason number i + 1 (0 is "ok", never a drop) */
		memcpy(reason, r->name, SPG_DP_NAME_LEN);
		reason[SPG_DP_NAME_LEN] = '\0';
		snmp_view_add_string(v, name, dp_cell(m, name, SNMP_DP_DROP_TABLE, SNMP_DROP_NAME, i + 1), reason);
		snmp_view_add_c64(v, name, dp_cell(m, name, SNMP_DP_DROP_TABLE, SNMP_DROP_COUNT, i + 1), r->count);
	}
}

void snmp_tables_build(struct snmp_view *v, const struct snmp_mib *m, const struct snmp_data *d)
{
	size_t i;

	for (i = 0; i < d->n_sessions; i++)
		add_session(v, m, &d->sessions[i], d->degraded != NULL && d->degraded[i],
			    dp_session_of(d, d->sessions[i].id));
	for (i = 0; i < d->n_lines; i++)
		add_line(v, m, &d->lines[i]);
	add_dataplane(v, m, d);
	snmp_view_sort(v);
}
