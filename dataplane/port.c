/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "addr.h"
#include "port.h"

#define RX_DESC 1024
#define TX_DESC 1024

const char *spg_port_name(enum spg_dp_port_index idx)
{
	return idx == SPG_DP_PORT_VENDOR ? "vendor" : "sp";
}

/* The ethdev name is the devargs' first field: "net_af_packet0,iface=x" -> "net_af_packet0". */
static int find_port(const char *devargs, uint16_t *port_id)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t n = strcspn(devargs, ",");

	if (n == 0 || n >= sizeof(name))
		return -EINVAL;
	memcpy(name, devargs, n);
	name[n] = '\0';
	return rte_eth_dev_get_port_by_name(name, port_id);
}

static int configure(uint16_t port_id, uint16_t n_rxq, uint16_t n_txq, struct rte_mempool *pool, int socket)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = RX_DESC, nb_txd = TX_DESC;
	int rc;

	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		return rc;
	if (n_rxq > info.max_rx_queues || n_txq > info.max_tx_queues)
		return -ENOTSUP;
	if (n_rxq > 1) {
		/* Spread sessions over workers; outer ESP flows differ by address and port. */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	rc = rte_eth_dev_configure(port_id, n_rxq, n_txq, &conf);
	if (rc != 0)
		return rc;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &nb_rxd, &nb_txd);
	if (rc != 0)
		return rc;
	for (uint16_t q = 0; q < n_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port_id, q, nb_rxd, socket, NULL, pool);
		if (rc != 0)
			return rc;
	}
	for (uint16_t q = 0; q < n_txq; q++) {
		rc = rte_eth_tx_queue_setup(port_id, q, nb_txd, socket, NULL);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int spg_port_setup(struct spg_dp *dp, enum spg_dp_port_index idx, const struct spg_port_config *pc, uint16_t n_rxq,
		   uint16_t n_txq)
{
	struct spg_port *p = &dp->ports[idx];
	char addr[SPG_ADDR_STRLEN];
	uint16_t port_id;
	int rc, socket;

	if (find_port(pc->devargs, &port_id) != 0) {
		rc = rte_dev_probe(pc->devargs);
		if (rc != 0) {
			RTE_LOG(ERR, USER1, "port %s: cannot probe \"%s\": %s\n", spg_port_name(idx), pc->devargs,
				strerror(-rc));
			return rc;
		}
		rc = find_port(pc->devargs, &port_id);
		if (rc != 0) {
			RTE_LOG(ERR, USER1, "port %s: \"%s\" probed but no ethdev appeared\n", spg_port_name(idx),
				pc->devargs);
			return -ENODEV;
		}
	}
	socket = rte_eth_dev_socket_id(port_id);
	if (socket < 0)
		socket = 0;
	rc = configure(port_id, n_rxq, n_txq, dp->mbuf_pool, socket);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "port %s: cannot configure %u rx / %u tx queues: %s\n", spg_port_name(idx), n_rxq,
			n_txq, strerror(-rc));
		return rc;
	}
	/* Some PMDs (af_packet) follow the kernel interface's MTU; not fatal if refused. */
	rc = rte_eth_dev_set_mtu(port_id, pc->mtu);
	if (rc != 0 && rc != -ENOTSUP)
		RTE_LOG(WARNING, USER1, "port %s: cannot set MTU %u: %s\n", spg_port_name(idx), pc->mtu, strerror(-rc));
	rc = rte_eth_dev_start(port_id);
	if (rc != 0) {
		RTE_LOG(ERR, USER1, "port %s: cannot start: %s\n", spg_port_name(idx), strerror(-rc));
		return rc;
	}
	rte_eth_macaddr_get(port_id, &p->mac);
	p->port_id = port_id;
	p->addr = pc->addr;
	p->mask = spg_prefix_mask(pc->prefix_len);
	p->next_hop = pc->next_hop;
	p->mtu = pc->mtu;
	RTE_LOG(INFO, USER1, "port %s: %s is port %u, " RTE_ETHER_ADDR_PRT_FMT ", %s/%u, mtu %u\n",
		spg_port_name(idx), pc->devargs, port_id, RTE_ETHER_ADDR_BYTES(&p->mac), spg_addr_str(p->addr, addr),
		pc->prefix_len, pc->mtu);
	return 0;
}

void spg_port_close(struct spg_dp *dp, enum spg_dp_port_index idx)
{
	uint16_t port_id = dp->ports[idx].port_id;

	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
