/* SPDX-License-Identifier: BSD-3-Clause */
/* Reading the workers' counters: each worker writes only its own; readers sum them. */
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dp.h"

void spg_dp_sum_stats(struct spg_dp *dp, struct spg_worker_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned int i = 0; i < dp->n_workers; i++) {
		const struct spg_worker_stats *ws = &dp->workers[i]->stats;

		for (unsigned int r = 0; r < SPG_DROP_MAX; r++)
			sum->drops[r] += ws->drops[r];
		sum->out.packets += ws->out.packets;
		sum->out.bytes += ws->out.bytes;
		sum->in.packets += ws->in.packets;
		sum->in.bytes += ws->in.bytes;
		sum->rec_copied += ws->rec_copied;
		sum->rec_dropped += ws->rec_dropped;
	}
}

void spg_dp_sum_session(struct spg_dp *dp, uint32_t index, struct spg_sess_counters *sum)
{
	spg_session_counters_sum(dp->sessions, index, sum);
}

void spg_dp_session_info(struct spg_dp *dp, const struct spg_session *s, struct spg_dp_session_info *info)
{
	const struct spg_port_filter *f = spg_session_filter(s);
	const struct spg_session_ctl *ctl = spg_session_ctl_of(dp->sessions, s);
	struct spg_sess_counters c;

	memset(info, 0, sizeof(*info));
	info->id = s->id;
	info->virtual_addr = s->virtual_addr;
	info->workstation_addr = s->workstation_addr;
	info->peer_addr = spg_peer_addr(s->peer);
	info->peer_port = rte_be_to_cpu_16(spg_peer_port(s->peer));
	info->icmp_echo = f->icmp_echo;
	info->n_port_ranges = f->n_ranges;
	memcpy(info->ports, f->ranges, sizeof(info->ports));
	info->rate_out = ctl->rate_out;
	info->rate_in = ctl->rate_in;
	info->spi_out = spg_sa_spi(s->sa_out);
	info->spi_in = spg_sa_spi(s->sa_in);
	info->age_ms = (rte_get_tsc_cycles() - ctl->created_tsc) * 1000 / rte_get_tsc_hz();
	spg_dp_sum_session(dp, s->index, &c);
	info->out = c.out;
	info->in = c.in;
	for (unsigned int j = 0; j < SPG_DP_MAX_JOINERS; j++)
		info->joiner_addr[j] = s->joiner_addr[j];
	info->outer_src = ctl->outer_src != 0 ? ctl->outer_src : dp->ports[SPG_DP_PORT_SP].addr;
	spg_recorder_session_info(dp->rec, s, info);
}

void spg_dp_port_stats(struct spg_dp *dp, struct spg_dp_port_stats out[SPG_DP_N_PORTS])
{
	for (unsigned int p = 0; p < SPG_DP_N_PORTS; p++) {
		struct rte_eth_stats st;

		memset(&out[p], 0, sizeof(out[p]));
		if (rte_eth_stats_get(dp->ports[p].port_id, &st) != 0)
			continue;
		out[p].rx_packets = st.ipackets;
		out[p].rx_bytes = st.ibytes;
		out[p].tx_packets = st.opackets;
		out[p].tx_bytes = st.obytes;
		out[p].rx_missed = st.imissed + st.rx_nombuf;
		out[p].tx_errors = st.oerrors;
	}
}
