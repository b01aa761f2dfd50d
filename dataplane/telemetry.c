/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_telemetry commands, so that dpdk-telemetry.py sees what spgatectl sees:
 *   /spgate/stats          counters of the ports, the sessions and the drops
 *   /spgate/sessions       session ids (the first RTE_TEL_MAX_ARRAY_ENTRIES; spgatectl lists all)
 *   /spgate/session,<id>   one session
 *   /spgate/drops          drop reason -> count
 *   /spgate/addresses      port -> the addresses it owns (issue 14: primary, taken over)
 *   /spgate/address_conflicts  port -> ARP frames from another host claiming one of them
 * The callbacks run on DPDK's telemetry thread and take dp->ctl_lock, like the control socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_telemetry.h>

#include "addr.h"
#include "port.h"
#include "port_addr.h"
#include "telemetry.h"

/* 22.11 telemetry callbacks take no user argument. */
static struct spg_dp *tel_dp;

static const char *const port_names[SPG_DP_N_PORTS] = {
	[SPG_DP_PORT_VENDOR] = "vendor",
	[SPG_DP_PORT_SP] = "sp",
};

static void add_u64(struct rte_tel_data *d, const char *prefix, const char *name, uint64_t v)
{
	char key[64];

	snprintf(key, sizeof(key), "%s%s", prefix, name);
	rte_tel_data_add_dict_u64(d, key, v);
}

static void add_port_stats(struct rte_tel_data *d, const char *port, const struct spg_dp_port_stats *ps)
{
	char prefix[16];

	snprintf(prefix, sizeof(prefix), "%s_", port);
	add_u64(d, prefix, "rx_packets", ps->rx_packets);
	add_u64(d, prefix, "rx_bytes", ps->rx_bytes);
	add_u64(d, prefix, "tx_packets", ps->tx_packets);
	add_u64(d, prefix, "tx_bytes", ps->tx_bytes);
	add_u64(d, prefix, "rx_missed", ps->rx_missed);
	add_u64(d, prefix, "tx_errors", ps->tx_errors);
}

static int tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct spg_dp_port_stats ports[SPG_DP_N_PORTS];
	struct spg_worker_stats sum;
	struct spg_recorder_stats rs;
	struct spg_dp *dp = tel_dp;
	uint64_t drops = 0, uptime_ms;
	uint32_t n, max;
	unsigned int i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	memset(&sum, 0, sizeof(sum));
	memset(ports, 0, sizeof(ports));
	pthread_mutex_lock(&dp->ctl_lock);
	spg_dp_sum_stats(dp, &sum);
	spg_dp_port_stats(dp, ports);
	n = spg_session_count(dp->sessions);
	max = spg_session_capacity(dp->sessions);
	spg_recorder_get_stats(dp->rec, &rs);
	pthread_mutex_unlock(&dp->ctl_lock);
	uptime_ms = (rte_get_tsc_cycles() - dp->start_tsc) * 1000 / rte_get_tsc_hz();
	for (i = 1; i < SPG_DROP_MAX; i++)
		drops += sum.drops[i];

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "sessions", n);
	rte_tel_data_add_dict_u64(d, "max_sessions", max);
	rte_tel_data_add_dict_u64(d, "workers", dp->n_workers);
	rte_tel_data_add_dict_u64(d, "uptime_ms", uptime_ms);
	for (i = 0; i < SPG_DP_N_PORTS; i++)
		add_port_stats(d, port_names[i], &ports[i]);
	rte_tel_data_add_dict_u64(d, "out_packets", sum.out.packets);
	rte_tel_data_add_dict_u64(d, "out_bytes", sum.out.bytes);
	rte_tel_data_add_dict_u64(d, "in_packets", sum.in.packets);
	rte_tel_data_add_dict_u64(d, "in_bytes", sum.in.bytes);
	rte_tel_data_add_dict_u64(d, "drops_total", drops);
	rte_tel_data_add_dict_u64(d, "rec_written", rs.written);
	rte_tel_data_add_dict_u64(d, "rec_dropped", sum.rec_dropped + rs.not_written);
	rte_tel_data_add_dict_u64(d, "rec_files_open", rs.files_open);
	return 0;
}

static int tel_sessions(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct spg_dp *dp = tel_dp;
	struct spg_session *s;
	uint32_t cursor = 0;
	unsigned int n = 0;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
	pthread_mutex_lock(&dp->ctl_lock);
	/* Telemetry arrays hold at most RTE_TEL_MAX_ARRAY_ENTRIES values. */
	while (n < RTE_TEL_MAX_ARRAY_ENTRIES && (s = spg_session_next(dp->sessions, &cursor)) != NULL) {
		rte_tel_data_add_array_u64(d, s->id);
		n++;
	}
	pthread_mutex_unlock(&dp->ctl_lock);
	return 0;
}

static bool parse_id(const char *params, uint64_t *id)
{
	unsigned long long v;
	char *end;

	if (params == NULL || params[0] < '0' || params[0] > '9')
		return false;
	errno = 0;
	v = strtoull(params, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0)
		return false;
	*id = v;
	return true;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

static void add_spi(struct rte_tel_data *d, const char *name, uint32_t spi_be)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%08x", ntohl(spi_be));
	rte_tel_data_add_dict_string(d, name, buf);
}

static void add_addr(struct rte_tel_data *d, const char *name, uint32_t addr)
{
	char buf[SPG_ADDR_STRLEN];

	rte_tel_data_add_dict_string(d, name, spg_addr_str(addr, buf));
}

static int tel_session(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct spg_dp_session_info info;
	struct spg_dp *dp = tel_dp;
	struct rte_tel_data *ports;
	struct spg_session *s;
	char range[32];
	unsigned int i;
	uint64_t id;

	RTE_SET_USED(cmd);
	if (!parse_id(params, &id))
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	pthread_mutex_lock(&dp->ctl_lock);
	s = spg_session_find(dp->sessions, id);
	if (s != NULL)
		spg_dp_session_info(dp, s, &info);
	pthread_mutex_unlock(&dp->ctl_lock);
	if (s == NULL)
		return -ENOENT;

	ports = rte_tel_data_alloc();
	if (ports == NULL)
		return -ENOMEM;
	rte_tel_data_start_array(ports, RTE_TEL_STRING_VAL);
	for (i = 0; i < info.n_port_ranges && i < SPG_DP_MAX_PORT_RANGES; i++) {
		const struct spg_dp_port_range *r = &info.ports[i];

		if (r->lo == r->hi)
			snprintf(range, sizeof(range), "%s:%u", proto_name(r->proto), r->lo);
		else
			snprintf(range, sizeof(range), "%s:%u-%u", proto_name(r->proto), r->lo, r->hi);
		rte_tel_data_add_array_string(ports, range);
	}

	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "id", info.id);
	add_addr(d, "virtual", info.virtual_addr);
	add_addr(d, "workstation", info.workstation_addr);
	add_addr(d, "peer", info.peer_addr);
	add_addr(d, "outer_src", info.outer_src);
	rte_tel_data_add_dict_u64(d, "peer_port", info.peer_port);
	add_spi(d, "spi_out", info.spi_out);
	add_spi(d, "spi_in", info.spi_in);
	rte_tel_data_add_dict_container(d, "ports", ports, 0);
	rte_tel_data_add_dict_u64(d, "icmp_echo", info.icmp_echo);
	rte_tel_data_add_dict_u64(d, "rate_out_bytes_per_sec", info.rate_out.bytes_per_sec);
	rte_tel_data_add_dict_u64(d, "burst_out_bytes", info.rate_out.burst_bytes);
	rte_tel_data_add_dict_u64(d, "rate_in_bytes_per_sec", info.rate_in.bytes_per_sec);
	rte_tel_data_add_dict_u64(d, "burst_in_bytes", info.rate_in.burst_bytes);
	rte_tel_data_add_dict_u64(d, "age_ms", info.age_ms);
	rte_tel_data_add_dict_u64(d, "out_packets", info.out.packets);
	rte_tel_data_add_dict_u64(d, "out_bytes", info.out.bytes);
	rte_tel_data_add_dict_u64(d, "out_drops", info.out.drops);
	rte_tel_data_add_dict_u64(d, "in_packets", info.in.packets);
	rte_tel_data_add_dict_u64(d, "in_bytes", info.in.bytes);
	rte_tel_data_add_dict_u64(d, "in_drops", info.in.drops);
	rte_tel_data_add_dict_u64(d, "record_state", info.record_state);
	rte_tel_data_add_dict_u64(d, "record_packets", info.record_packets);
	rte_tel_data_add_dict_u64(d, "record_dropped", info.record_dropped);
	return 0;
}

static int tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct spg_worker_stats sum;
	struct spg_dp *dp = tel_dp;
	unsigned int i;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	memset(&sum, 0, sizeof(sum));
	pthread_mutex_lock(&dp->ctl_lock);
	spg_dp_sum_stats(dp, &sum);
	pthread_mutex_unlock(&dp->ctl_lock);
	rte_tel_data_start_dict(d);
	for (i = 1; i < SPG_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, spg_drop_name(i), sum.drops[i]);
	return 0;
}

/* "vendor": ["192.0.2.1 primary", "192.0.2.2"], "sp": ["203.0.113.254 primary silenced", ...] */
static int tel_addresses(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct spg_dp_address_entry e[SPG_DP_ADDR_LIST_MAX];
	struct rte_tel_data *lists[SPG_DP_N_PORTS] = {NULL};
	struct spg_dp *dp = tel_dp;
	char a[SPG_ADDR_STRLEN], item[64];
	uint32_t n;
	unsigned int p;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	pthread_mutex_lock(&dp->ctl_lock);
	n = spg_port_addr_list(dp, e);
	pthread_mutex_unlock(&dp->ctl_lock);
	for (p = 0; p < SPG_DP_N_PORTS; p++) {
		lists[p] = rte_tel_data_alloc();
		if (lists[p] == NULL)
			goto nomem;
		rte_tel_data_start_array(lists[p], RTE_TEL_STRING_VAL);
	}
	for (uint32_t i = 0; i < n; i++) {
		snprintf(item, sizeof(item), "%s%s%s", spg_addr_str(e[i].addr, a),
			 e[i].primary ? " primary" : "", e[i].active ? "" : " silenced");
		rte_tel_data_add_array_string(lists[e[i].port], item);
	}
	rte_tel_data_start_dict(d);
	for (p = 0; p < SPG_DP_N_PORTS; p++)
		rte_tel_data_add_dict_container(d, port_names[p], lists[p], 0);
	return 0;
nomem:
	for (p = 0; p < SPG_DP_N_PORTS; p++)
		rte_tel_data_free(lists[p]);
	return -ENOMEM;
}

/* {"vendor": N, "sp": N}: ARP frames from another host claiming an address a port holds */
static int tel_address_conflicts(const char *cmd, const char *params, struct rte_tel_data *d)
{
	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	for (unsigned int p = 0; p < SPG_DP_N_PORTS; p++)
		rte_tel_data_add_dict_u64(d, spg_port_name(p),
					  __atomic_load_n(&tel_dp->ports[p].addr_conflicts, __ATOMIC_RELAXED));
	return 0;
}

int spg_telemetry_register(struct spg_dp *dp)
{
	static const struct {
		const char *cmd;
		telemetry_cb fn;
		const char *help;
	} cmds[] = {
		{"/spgate/stats", tel_stats, "Dataplane counters: ports, forwarded traffic, drops, recorder. No parameters."},
		{"/spgate/sessions", tel_sessions, "Session ids (at most 512). No parameters."},
		{"/spgate/session", tel_session, "One session. Parameter: session id."},
		{"/spgate/drops", tel_drops, "Drop counts by reason. No parameters."},
		{"/spgate/addresses", tel_addresses,
		 "Addresses each port owns: primary (or silenced), taken over. No parameters."},
		{"/spgate/address_conflicts", tel_address_conflicts,
		 "ARP frames from another host claiming an address a port owns, per port. No parameters."},
	};
	unsigned int i;
	int rc;

	tel_dp = dp;
	for (i = 0; i < RTE_DIM(cmds); i++) {
		rc = rte_telemetry_register_cmd(cmds[i].cmd, cmds[i].fn, cmds[i].help);
		if (rc != 0)
			return rc;
	}
	return 0;
}
