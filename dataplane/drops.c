/* SPDX-License-Identifier: BSD-3-Clause */
#include "drops.h"

static const char *const drop_names[SPG_DROP_MAX] = {
	[SPG_OK] = "ok",
#define SPG_DROP_NAME(e, name) [SPG_DROP_##e] = name,
	SPG_DROP_REASONS(SPG_DROP_NAME)
#undef SPG_DROP_NAME
};

const char *spg_drop_name(unsigned int reason)
{
	if (reason >= SPG_DROP_MAX)
		return "unknown";
	return drop_names[reason];
}
