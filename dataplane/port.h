/* SPDX-License-Identifier: BSD-3-Clause */
/* Bringing up the two ports from their devargs. */
#ifndef SPG_PORT_H
#define SPG_PORT_H

#include "dp.h"

/*
 * Probes the device named by the port's devargs (a vdev such as net_af_packet, or a PCI
 * address), configures n_rxq RX and n_txq TX queues, and starts it. Fills dp->ports[idx].
 * Returns 0 or -errno, logging what failed.
 */
int spg_port_setup(struct spg_dp *dp, enum spg_dp_port_index idx, const struct spg_port_config *pc, uint16_t n_rxq,
		   uint16_t n_txq);
void spg_port_close(struct spg_dp *dp, enum spg_dp_port_index idx);
const char *spg_port_name(enum spg_dp_port_index idx);

#endif
