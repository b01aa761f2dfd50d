/* SPDX-License-Identifier: BSD-3-Clause */
/* rte_telemetry commands: /spgate/stats, /spgate/sessions, /spgate/session,<id>, /spgate/drops. */
#ifndef SPG_TELEMETRY_H
#define SPG_TELEMETRY_H

#include "dp.h"

int spg_telemetry_register(struct spg_dp *dp);

#endif
