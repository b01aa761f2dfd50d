/* SPDX-License-Identifier: BSD-3-Clause */
/* Loads bpf/sp_guard.bpf.c through its skeleton and drives its maps (see guard.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guard.h"
#include "sp_guard.skel.h"

struct guard {
	struct sp_guard *skel;
	int link_fd;
	int ifindex;
	int ncpus;
};

const char *guard_reason_name(unsigned int reason)
{
	static const char *const names[] = {
#define GUARD_REASON_NAME(name, text) text,
		GUARD_REASONS(GUARD_REASON_NAME)
#undef GUARD_REASON_NAME
	};

	return reason < GUARD_REASON_MAX ? names[reason] : "unknown";
}

/* libbpf prints its own diagnostics to stderr by default; ours name the failure already. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

struct guard *guard_open(const char *ifname, bool native, uint32_t sp_addr, uint16_t esp_port,
			 uint16_t tls_port, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = native ? XDP_FLAGS_DRV_MODE
								: XDP_FLAGS_SKB_MODE);
	struct guard *g = calloc(1, sizeof(*g));
	int rc;

	if (g == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->link_fd = -1;
	libbpf_set_print(quiet);
	g->ifindex = (int)if_nametoindex(ifname);
	if (g->ifindex == 0) {
		snprintf(err, errlen, "guard interface %s: %s", ifname, strerror(errno));
		goto fail;
	}
	g->ncpus = libbpf_num_possible_cpus();
	g->skel = sp_guard__open();
	if (g->skel == NULL || g->ncpus <= 0) {
		snprintf(err, errlen, "guard: cannot open the BPF object: %s", strerror(errno));
		goto fail;
	}
	g->skel->rodata->sp_addr = sp_addr;
	g->skel->rodata->esp_port = htons(esp_port);
	g->skel->rodata->tls_port = htons(tls_port);
	rc = sp_guard__load(g->skel);
	if (rc != 0) {
		snprintf(err, errlen, "guard: cannot load the BPF program: %s", strerror(-rc));
		goto fail;
	}
	g->link_fd = bpf_link_create(bpf_program__fd(g->skel->progs.sp_guard), g->ifindex, BPF_XDP,
				     &opts);
	if (g->link_fd < 0) {
		snprintf(err, errlen, "guard: cannot attach XDP (%s) to %s: %s",
			 native ? "native" : "generic", ifname, strerror(errno));
		goto fail;
	}
	return g;
fail:
	guard_close(g);
	return NULL;
}

static bool listed(const struct guard_gateway *gw, size_t n, uint32_t addr, uint32_t *flags)
{
	size_t i;
	bool found = false;

	*flags = 0;
	for (i = 0; i < n; i++)
		if (gw[i].addr == addr) {
			*flags |= gw[i].flags;
			found = true;
		}
	return found;
}

int guard_set_gateways(struct guard *g, const struct guard_gateway *gw, size_t n, char *err,
		       size_t errlen)
{
	int fd = bpf_map__fd(g->skel->maps.gateways);
	uint32_t key, next, flags, stale[GUARD_MAX_GATEWAYS];
	size_t i, n_stale = 0;
	void *prev = NULL;

	/* first the new set, then remove the rest: a live session never loses its entry */
	for (i = 0; i < n; i++) {
		listed(gw, n, gw[i].addr, &flags);
		if (bpf_map_update_elem(fd, &gw[i].addr, &flags, BPF_ANY) != 0) {
			snprintf(err, errlen, "guard: gateway map update: %s", strerror(errno));
			return -errno;
		}
	}
	while (bpf_map_get_next_key(fd, prev, &next) == 0 && n_stale < GUARD_MAX_GATEWAYS) {
		if (!listed(gw, n, next, &flags))
			stale[n_stale++] = next;
		key = next;
		prev = &key;
	}
	for (i = 0; i < n_stale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	return 0;
}

int guard_add_counters(struct guard *g, uint64_t sum[GUARD_REASON_MAX])
{
	int fd = bpf_map__fd(g->skel->maps.counters), cpu;
	uint64_t *per_cpu = calloc((size_t)g->ncpus, sizeof(uint64_t));
	uint32_t r;

	if (per_cpu == NULL)
		return -ENOMEM;
	for (r = 0; r < GUARD_REASON_MAX; r++) {
		if (bpf_map_lookup_elem(fd, &r, per_cpu) != 0) {
			free(per_cpu);
			return -errno;
		}
		for (cpu = 0; cpu < g->ncpus; cpu++)
			sum[r] += per_cpu[cpu];
	}
	free(per_cpu);
	return 0;
}

void guard_close(struct guard *g)
{
	if (g == NULL)
		return;
	if (g->link_fd >= 0)
		close(g->link_fd); /* the last reference: the program leaves the interface */
	sp_guard__destroy(g->skel);
	free(g);
}
