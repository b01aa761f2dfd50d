/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `spgatectl dp address list|add|del`: the addresses each port of spgate-dp owns (ADDRESS,
 * issue 14). spgate-control moves them itself on a failover; this is for tests and operators.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "dp_api.h"
#include "dp_cmds.h"
#include "output.h"
#include "spgatectl.h"

static const char *const port_names[SPG_DP_N_PORTS] = {"vendor", "sp"};

static const char address_usage[] =
	"usage: spgatectl dp address <command> [args]\n"
	"\n"
	"The addresses each port owns: its configured (primary) one, unless silenced, and those\n"
	"taken over from another host of the fleet.\n"
	"\n"
	"commands:\n"
	"  list                   every address of both ports\n"
	"  add vendor|sp A.B.C.D  own an address too (answer ARP for it, announce it by\n"
	"                         gratuitous ARP); the port's primary: end its silence\n"
	"  del vendor|sp A.B.C.D  stop owning it; the port's primary: silence it (standby)\n";

static const char list_usage[] =
	"usage: spgatectl dp address list\n"
	"Every address of both ports: port, address, primary or taken over, active or silenced.\n";

static const char change_usage[] =
	"usage: spgatectl dp address add|del vendor|sp A.B.C.D\n"
	"add: the port owns A.B.C.D from now on (ARP replies, ping, ESP on the sp port) and\n"
	"announces it by gratuitous ARP; its primary address: ends its silence.\n"
	"del: the port stops owning it; its primary address: silenced (no ARP replies, no\n"
	"sessions from it) while another host holds it. Refused (EBUSY) while sessions send\n"
	"their ESP from it.\n";

static bool parse_port(const char *cmd, const char *s, uint8_t *port)
{
	for (unsigned int i = 0; i < SPG_DP_N_PORTS; i++)
		if (strcmp(s, port_names[i]) == 0) {
			*port = (uint8_t)i;
			return true;
		}
	spgctl_usage_error(cmd, "PORT \"%s\" is neither vendor nor sp", s);
	return false;
}

static int address_change(struct spgctl *ctl, int argc, char **argv, uint8_t op)
{
	const char *cmd = op == SPG_DP_ADDR_ADD ? "dp address add" : "dp address del";
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct spg_dp_address_req req = {.op = op};
	char *pos[3], a[SPG_ADDR_STRLEN], what[64];
	int n_pos, rc;

	rc = spgctl_parse(cmd, argc, argv, opts, pos, 3, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(change_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	if (n_pos != 2)
		return spgctl_usage_error(cmd, "expected PORT and ADDRESS, got %d arguments", n_pos);
	if (!parse_port(cmd, pos[0], &req.port) || !dp_arg_addr(cmd, "ADDRESS", pos[1], &req.addr))
		return SPGCTL_EXIT_USAGE;
	rc = dp_call(ctl, op == SPG_DP_ADDR_ADD ? "address add" : "address del", SPG_DP_ADDRESS, &req, sizeof(req),
		     NULL, 0, NULL);
	if (rc != 0)
		return rc;
	snprintf(what, sizeof(what), "%s port %s %s", port_names[req.port],
		 op == SPG_DP_ADDR_ADD ? "owns" : "gave up", spg_addr_str(req.addr, a));
	if (ctl->json) {
		struct out_json j;

		out_json_init(&j, stdout);
		out_json_object_begin(&j, NULL);
		out_json_string(&j, "port", port_names[req.port]);
		out_json_string(&j, "address", a);
		out_json_string(&j, "result", op == SPG_DP_ADDR_ADD ? "added" : "deleted");
		out_json_object_end(&j);
		out_json_finish(&j);
	} else {
		puts(what);
	}
	return SPGCTL_EXIT_OK;
}

static int cmd_add(struct spgctl *ctl, int argc, char **argv)
{
	return address_change(ctl, argc, argv, SPG_DP_ADDR_ADD);
}

static int cmd_del(struct spgctl *ctl, int argc, char **argv)
{
	return address_change(ctl, argc, argv, SPG_DP_ADDR_DEL);
}

static void print_list(const struct spg_dp_address_entry *e, uint32_t n, bool json)
{
	static const char *const headers[] = {"PORT", "ADDRESS", "KIND", "STATE"};
	char a[SPG_ADDR_STRLEN];
	struct out_table *t;
	struct out_json j;

	if (json) {
		out_json_init(&j, stdout);
		out_json_array_begin(&j, NULL);
		for (uint32_t i = 0; i < n; i++) {
			out_json_object_begin(&j, NULL);
			out_json_string(&j, "port", e[i].port < SPG_DP_N_PORTS ? port_names[e[i].port] : "?");
			out_json_string(&j, "address", spg_addr_str(e[i].addr, a));
			out_json_bool(&j, "primary", e[i].primary != 0);
			out_json_bool(&j, "active", e[i].active != 0);
			out_json_object_end(&j);
		}
		out_json_array_end(&j);
		out_json_finish(&j);
		return;
	}
	t = out_table_new(4, headers, "llll");
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < n; i++) {
		const char *cells[4] = {e[i].port < SPG_DP_N_PORTS ? port_names[e[i].port] : "?",
					spg_addr_str(e[i].addr, a), e[i].primary ? "primary" : "taken over",
					e[i].active ? "active" : "silenced"};

		out_table_add(t, cells);
	}
	out_table_flush(t, stdout);
	out_table_free(t);
}

static int cmd_list(struct spgctl *ctl, int argc, char **argv)
{
	struct spgctl_opt opts[] = {{NULL, false, NULL, false}};
	struct spg_dp_address_req req = {.op = SPG_DP_ADDR_LIST};
	struct {
		struct spg_dp_address_list_rep head;
		struct spg_dp_address_entry e[SPG_DP_ADDR_LIST_MAX];
	} rep;
	size_t len = 0;
	int n_pos, rc;

	rc = spgctl_parse("dp address list", argc, argv, opts, NULL, 0, &n_pos);
	if (rc == SPGCTL_HELP) {
		fputs(list_usage, stdout);
		return SPGCTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	rc = dp_call(ctl, "address list", SPG_DP_ADDRESS, &req, sizeof(req), &rep, sizeof(rep), &len);
	if (rc != 0)
		return rc;
	if (len < sizeof(rep.head)) {
		fprintf(stderr, "spgatectl: address list: the dataplane sent no list\n");
		return SPGCTL_EXIT_UNREACHABLE;
	}
	print_list(rep.e, rep.head.count, ctl->json);
	return SPGCTL_EXIT_OK;
}

static const struct spgctl_cmd address_cmds[] = {
	{"list", cmd_list, "every address of both ports"},
	{"add", cmd_add, "own an address too, or end the primary's silence"},
	{"del", cmd_del, "stop owning an address, or silence the primary"},
	{NULL, NULL, NULL},
};

int dp_cmd_address(struct spgctl *ctl, int argc, char **argv)
{
	return spgctl_dispatch(ctl, "dp address", address_cmds, argc, argv, address_usage);
}
