/* SPDX-License-Identifier: BSD-3-Clause */
/* Printing of `spgatectl dp ...` replies: tables and key/value lines for people, JSON for scripts. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "dp_api.h"
#include "dp_cmds.h"
#include "output.h"

/* ---- hello ---- */

void dp_print_hello(const struct spg_dp_hello_rep *rep, bool json)
{
	char a[SPG_ADDR_STRLEN], version[SPG_DP_NAME_LEN + 1], pool[SPG_ADDR_STRLEN + 4];
	const char *cipher;
	struct out_json j;

	memcpy(version, rep->version, SPG_DP_NAME_LEN);
	version[SPG_DP_NAME_LEN] = '\0';
	cipher = rep->key_len == 16 ? "aes-128-gcm" : rep->key_len == 32 ? "aes-256-gcm" : "unknown";
	if (json) {
		out_json_init(&j, stdout);
		out_json_object_begin(&j, NULL);
		out_json_u64(&j, "api_version", rep->api_version);
		out_json_string(&j, "version", version);
		out_json_u64(&j, "sessions", rep->n_sessions);
		out_json_u64(&j, "max_sessions", rep->max_sessions);
		out_json_u64(&j, "workers", rep->n_workers);
		out_json_string(&j, "cipher", cipher);
		out_json_u64(&j, "key_len", rep->key_len);
		out_json_string(&j, "shared_address", spg_addr_str(rep->shared_addr, a));
		out_json_string(&j, "inner_address", spg_addr_str(rep->inner_addr, a));
		out_json_string(&j, "outer_address", spg_addr_str(rep->outer_addr, a));
		out_json_string(&j, "vendor_address", spg_addr_str(rep->vendor_addr, a));
		out_json_u64(&j, "esp_udp_port", rep->esp_udp_port);
		snprintf(pool, sizeof(pool), "%s/%u", spg_addr_str(rep->pool_addr, a), rep->pool_prefix_len);
		out_json_string(&j, "virtual_pool", pool);
		out_json_object_end(&j);
		out_json_finish(&j);
		return;
	}
	out_kv(stdout, "version", "%s", version);
	out_kv(stdout, "api version", "%u", rep->api_version);
	out_kv(stdout, "sessions", "%u / %u", rep->n_sessions, rep->max_sessions);
	out_kv(stdout, "workers", "%u", rep->n_workers);
	out_kv(stdout, "cipher", "%s (%u-byte keys)", cipher, rep->key_len);
	out_kv(stdout, "shared address", "%s", spg_addr_str(rep->shared_addr, a));
	out_kv(stdout, "inner address", "%s", spg_addr_str(rep->inner_addr, a));
	out_kv(stdout, "outer address", "%s:%u", spg_addr_str(rep->outer_addr, a), rep->esp_udp_port);
	out_kv(stdout, "vendor address", "%s", spg_addr_str(rep->vendor_addr, a));
	out_kv(stdout, "virtual pool", "%s/%u", spg_addr_str(rep->pool_addr, a), rep->pool_prefix_len);
}

/* ---- sessions ---- */

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

static void fmt_range(const struct spg_dp_port_range *r, char *buf, size_t size)
{
	if (r->lo == r->hi)
		snprintf(buf, size, "%s:%u", proto_name(r->proto), r->lo);
	else
		snprintf(buf, size, "%s:%u-%u", proto_name(r->proto), r->lo, r->hi);
}

/* "tcp:22,tcp:8000-8100" (+ ",icmp" when with_icmp and echo is allowed), "-" when empty. */
static const char *fmt_ports(const struct spg_dp_session_info *s, bool with_icmp, char *buf, size_t size)
{
	size_t used = 0;
	unsigned int i;
	char r[24];

	buf[0] = '\0';
	for (i = 0; i < s->n_port_ranges && i < SPG_DP_MAX_PORT_RANGES; i++) {
		fmt_range(&s->ports[i], r, sizeof(r));
		used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "", r);
		if (used >= size)
			return buf;
	}
	if (with_icmp && s->icmp_echo)
		snprintf(buf + used, size - used, "%sicmp", used ? "," : "");
	if (buf[0] == '\0')
		snprintf(buf, size, "-");
	return buf;
}

static const char *fmt_spi(uint32_t spi_be, char *buf, size_t size)
{
	snprintf(buf, size, "0x%08x", ntohl(spi_be));
	return buf;
}

static const char *fmt_rate_cell(const struct spg_dp_rate *r, char *buf, size_t size)
{
	if (r->bytes_per_sec == 0)
		return "-";
	return out_fmt_bits(r->bytes_per_sec * 8, buf, size);
}

void dp_print_session_json(struct out_json *j, const struct spg_dp_session_info *s)
{
	char a[SPG_ADDR_STRLEN], b[16], r[24];
	unsigned int i;

	out_json_object_begin(j, NULL);
	out_json_u64(j, "id", s->id);
	out_json_string(j, "virtual", spg_addr_str(s->virtual_addr, a));
	out_json_string(j, "workstation", spg_addr_str(s->workstation_addr, a));
	out_json_string(j, "peer", spg_addr_str(s->peer_addr, a));
	out_json_string(j, "outer_src", spg_addr_str(s->outer_src, a));
	out_json_u64(j, "peer_port", s->peer_port);
	out_json_string(j, "spi_out", fmt_spi(s->spi_out, b, sizeof(b)));
	out_json_string(j, "spi_in", fmt_spi(s->spi_in, b, sizeof(b)));
	out_json_array_begin(j, "ports");
	for (i = 0; i < s->n_port_ranges && i < SPG_DP_MAX_PORT_RANGES; i++) {
		fmt_range(&s->ports[i], r, sizeof(r));
		out_json_string(j, NULL, r);
	}
	out_json_array_end(j);
	out_json_bool(j, "icmp_echo", s->icmp_echo != 0);
	out_json_u64(j, "rate_out_bps", s->rate_out.bytes_per_sec * 8);
	out_json_u64(j, "rate_in_bps", s->rate_in.bytes_per_sec * 8);
	out_json_u64(j, "burst_out_bytes", s->rate_out.burst_bytes);
	out_json_u64(j, "burst_in_bytes", s->rate_in.burst_bytes);
	out_json_u64(j, "out_packets", s->out.packets);
	out_json_u64(j, "out_bytes", s->out.bytes);
	out_json_u64(j, "out_drops", s->out.drops);
	out_json_u64(j, "in_packets", s->in.packets);
	out_json_u64(j, "in_bytes", s->in.bytes);
	out_json_u64(j, "in_drops", s->in.drops);
	out_json_u64(j, "drops", s->out.drops + s->in.drops);
	out_json_u64(j, "age_ms", s->age_ms);
	out_json_string(j, "recording", dp_record_state_name(s->record_state));
	out_json_string(j, "record_error", s->record_error != 0 ? strerror(s->record_error) : "");
	out_json_u64(j, "record_packets", s->record_packets);
	out_json_u64(j, "record_dropped", s->record_dropped);
	/* slot j at index j-1; "" for an empty slot, so indexes stay slots */
	out_json_array_begin(j, "joiners");
	for (i = 0; i < SPG_DP_MAX_JOINERS; i++)
		out_json_string(j, NULL, s->joiner_addr[i] != 0 ? spg_addr_str(s->joiner_addr[i], a) : "");
	out_json_array_end(j);
	out_json_object_end(j);
}

static const char *const session_columns[] = {
	"ID", "VIRTUAL", "WORKSTATION", "PEER", "SPI-OUT", "SPI-IN", "PORTS",
	"RATE-OUT", "RATE-IN", "OUT-PKTS", "IN-PKTS", "DROPS", "AGE", "REC",
};
#define N_SESSION_COLUMNS (sizeof(session_columns) / sizeof(session_columns[0]))

struct out_table *dp_print_sessions_table(void)
{
	return out_table_new(N_SESSION_COLUMNS, session_columns, "lllllllrrrrrrl");
}

bool dp_print_session_row(struct out_table *t, const struct spg_dp_session_info *s)
{
	char id[24], v[SPG_ADDR_STRLEN], w[SPG_ADDR_STRLEN], e[SPG_ADDR_STRLEN], peer[SPG_ENDPOINT_STRLEN];
	char so[16], si[16], ports[256], ro[24], ri[24], op[24], ip[24], dr[24], age[24];
	const char *cells[N_SESSION_COLUMNS];

	snprintf(id, sizeof(id), "%" PRIu64, s->id);
	snprintf(peer, sizeof(peer), "%s:%u", spg_addr_str(s->peer_addr, e), s->peer_port);
	snprintf(op, sizeof(op), "%" PRIu64, s->out.packets);
	snprintf(ip, sizeof(ip), "%" PRIu64, s->in.packets);
	snprintf(dr, sizeof(dr), "%" PRIu64, s->out.drops + s->in.drops);
	cells[0] = id;
	cells[1] = spg_addr_str(s->virtual_addr, v);
	cells[2] = spg_addr_str(s->workstation_addr, w);
	cells[3] = peer;
	cells[4] = fmt_spi(s->spi_out, so, sizeof(so));
	cells[5] = fmt_spi(s->spi_in, si, sizeof(si));
	cells[6] = fmt_ports(s, true, ports, sizeof(ports));
	cells[7] = fmt_rate_cell(&s->rate_out, ro, sizeof(ro));
	cells[8] = fmt_rate_cell(&s->rate_in, ri, sizeof(ri));
	cells[9] = op;
	cells[10] = ip;
	cells[11] = dr;
	cells[12] = out_fmt_age(s->age_ms, age, sizeof(age));
	cells[13] = s->record_state == SPG_DP_RECORD_OFF ? "-" : dp_record_state_name(s->record_state);
	return out_table_add(t, cells);
}

static const char *fmt_rate_long(const struct spg_dp_rate *r, char *buf, size_t size)
{
	char bits[24];

	if (r->bytes_per_sec == 0)
		return "unlimited";
	out_fmt_bits(r->bytes_per_sec * 8, bits, sizeof(bits));
	if (r->burst_bytes == 0)
		snprintf(buf, size, "%s bit/s (%" PRIu64 " bytes/s), default burst", bits, r->bytes_per_sec);
	else
		snprintf(buf, size, "%s bit/s (%" PRIu64 " bytes/s), burst %" PRIu64 " bytes", bits,
			 r->bytes_per_sec, r->burst_bytes);
	return buf;
}

/* "joiners: W1 (slot 1), W3 (slot 3)", only when the session has any. */
static void show_joiners(const struct spg_dp_session_info *s)
{
	char a[SPG_ADDR_STRLEN], line[SPG_DP_MAX_JOINERS * (SPG_ADDR_STRLEN + 12)];
	size_t n = 0;

	line[0] = '\0';
	for (unsigned int j = 0; j < SPG_DP_MAX_JOINERS && n < sizeof(line); j++)
		if (s->joiner_addr[j] != 0)
			n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s (slot %u)", n != 0 ? ", " : "",
					      spg_addr_str(s->joiner_addr[j], a), j + 1);
	if (n != 0)
		out_kv(stdout, "joiners", "%s", line);
}

static void show_session(const struct spg_dp_session_info *s)
{
	char a[SPG_ADDR_STRLEN], b[16], ports[256], rate[96], age[24];

	out_kv(stdout, "id", "%" PRIu64, s->id);
	out_kv(stdout, "virtual", "%s", spg_addr_str(s->virtual_addr, a));
	out_kv(stdout, "workstation", "%s", spg_addr_str(s->workstation_addr, a));
	out_kv(stdout, "peer", "%s:%u", spg_addr_str(s->peer_addr, a), s->peer_port);
	out_kv(stdout, "outer source", "%s", spg_addr_str(s->outer_src, a));
	out_kv(stdout, "spi out", "%s", fmt_spi(s->spi_out, b, sizeof(b)));
	out_kv(stdout, "spi in", "%s", fmt_spi(s->spi_in, b, sizeof(b)));
	out_kv(stdout, "ports", "%s", fmt_ports(s, false, ports, sizeof(ports)));
	out_kv(stdout, "icmp echo", "%s", s->icmp_echo ? "yes" : "no");
	out_kv(stdout, "rate out", "%s", fmt_rate_long(&s->rate_out, rate, sizeof(rate)));
	out_kv(stdout, "rate in", "%s", fmt_rate_long(&s->rate_in, rate, sizeof(rate)));
	out_kv(stdout, "age", "%s", out_fmt_age(s->age_ms, age, sizeof(age)));
	out_kv(stdout, "out", "%" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " drops", s->out.packets,
	       s->out.bytes, s->out.drops);
	out_kv(stdout, "in", "%" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " drops", s->in.packets,
	       s->in.bytes, s->in.drops);
	if (s->record_state == SPG_DP_RECORD_OFF)
		out_kv(stdout, "recording", "off");
	else if (s->record_state == SPG_DP_RECORD_FAILED)
		out_kv(stdout, "recording", "failed (%s), %" PRIu64 " packets, %" PRIu64 " dropped",
		       strerror(s->record_error), s->record_packets, s->record_dropped);
	else
		out_kv(stdout, "recording", "%s, %" PRIu64 " packets, %" PRIu64 " dropped",
		       dp_record_state_name(s->record_state), s->record_packets, s->record_dropped);
	show_joiners(s);
}

void dp_print_session(const struct spg_dp_session_info *s, bool json)
{
	struct out_json j;

	if (json) {
		out_json_init(&j, stdout);
		dp_print_session_json(&j, s);
		out_json_finish(&j);
	} else {
		show_session(s);
	}
}

void dp_print_done(bool json, uint64_t id, const char *what)
{
	struct out_json j;

	if (!json) {
		printf("session %" PRIu64 " %s\n", id, what);
		return;
	}
	out_json_init(&j, stdout);
	out_json_object_begin(&j, NULL);
	out_json_u64(&j, "id", id);
	out_json_string(&j, "result", what);
	out_json_object_end(&j);
	out_json_finish(&j);
}

/* ---- stats ---- */

static const char *const port_names[SPG_DP_N_PORTS] = {"vendor", "sp"};

static void json_stats(const struct spg_dp_stats_rep *st)
{
	struct out_json j;
	unsigned int i;

	out_json_init(&j, stdout);
	out_json_object_begin(&j, NULL);
	out_json_u64(&j, "uptime_ms", st->uptime_ms);
	out_json_u64(&j, "sessions", st->n_sessions);
	out_json_u64(&j, "max_sessions", st->max_sessions);
	out_json_u64(&j, "workers", st->n_workers);
	out_json_object_begin(&j, "ports");
	for (i = 0; i < SPG_DP_N_PORTS; i++) {
		const struct spg_dp_port_stats *ps = &st->ports[i];

		out_json_object_begin(&j, port_names[i]);
		out_json_u64(&j, "rx_packets", ps->rx_packets);
		out_json_u64(&j, "rx_bytes", ps->rx_bytes);
		out_json_u64(&j, "tx_packets", ps->tx_packets);
		out_json_u64(&j, "tx_bytes", ps->tx_bytes);
		out_json_u64(&j, "rx_missed", ps->rx_missed);
		out_json_u64(&j, "tx_errors", ps->tx_errors);
		out_json_object_end(&j);
	}
	out_json_object_end(&j);
	out_json_object_begin(&j, "out");
	out_json_u64(&j, "packets", st->out.packets);
	out_json_u64(&j, "bytes", st->out.bytes);
	out_json_object_end(&j);
	out_json_object_begin(&j, "in");
	out_json_u64(&j, "packets", st->in.packets);
	out_json_u64(&j, "bytes", st->in.bytes);
	out_json_object_end(&j);
	out_json_u64(&j, "drops_total", st->drops_total);
	out_json_object_begin(&j, "recorder");
	out_json_u64(&j, "written", st->rec_written);
	out_json_u64(&j, "dropped", st->rec_dropped);
	out_json_u64(&j, "files_open", st->rec_files_open);
	out_json_object_end(&j);
	out_json_object_end(&j);
	out_json_finish(&j);
}

static void add_counter_row(struct out_table *t, const char *name, const uint64_t *v, unsigned int n)
{
	char cells[8][24];
	const char *row[9];
	unsigned int i;

	row[0] = name;
	for (i = 0; i < n && i < 8; i++) {
		snprintf(cells[i], sizeof(cells[i]), "%" PRIu64, v[i]);
		row[i + 1] = cells[i];
	}
	out_table_add(t, row);
}

static void human_stats(const struct spg_dp_stats_rep *st)
{
	static const char *const port_cols[] = {"PORT",     "RX-PKTS",   "RX-BYTES", "TX-PKTS",
						"TX-BYTES", "RX-MISSED", "TX-ERRORS"};
	static const char *const fwd_cols[] = {"FORWARDED", "PACKETS", "BYTES"};
	struct out_table *t;
	char age[24];
	unsigned int i;

	out_kv(stdout, "uptime", "%s", out_fmt_age(st->uptime_ms, age, sizeof(age)));
	out_kv(stdout, "sessions", "%u / %u", st->n_sessions, st->max_sessions);
	out_kv(stdout, "workers", "%u", st->n_workers);
	out_kv(stdout, "drops", "%" PRIu64, st->drops_total);
	out_kv(stdout, "recorder", "%u files open, %" PRIu64 " packets written, %" PRIu64 " dropped",
	       st->rec_files_open, st->rec_written, st->rec_dropped);
	fputc('\n', stdout);
	t = out_table_new(7, port_cols, "lrrrrrr");
	if (t != NULL) {
		for (i = 0; i < SPG_DP_N_PORTS; i++) {
			const struct spg_dp_port_stats *ps = &st->ports[i];
			uint64_t v[6] = {ps->rx_packets, ps->rx_bytes, ps->tx_packets,
					 ps->tx_bytes,   ps->rx_missed, ps->tx_errors};

			add_counter_row(t, port_names[i], v, 6);
		}
		out_table_flush(t, stdout);
		out_table_free(t);
	}
	fputc('\n', stdout);
	t = out_table_new(3, fwd_cols, "lrr");
	if (t != NULL) {
		uint64_t out[2] = {st->out.packets, st->out.bytes};
		uint64_t in[2] = {st->in.packets, st->in.bytes};

		add_counter_row(t, "out (vendor -> sp)", out, 2);
		add_counter_row(t, "in (sp -> vendor)", in, 2);
		out_table_flush(t, stdout);
		out_table_free(t);
	}
}

void dp_print_stats(const struct spg_dp_stats_rep *st, bool json)
{
	if (json)
		json_stats(st);
	else
		human_stats(st);
}

/* ---- drops ---- */

bool dp_print_drops(const struct spg_dp_drops_rep *rep, bool all, bool json)
{
	static const char *const cols[] = {"REASON", "COUNT"};
	struct out_table *t = NULL;
	struct out_json j;
	char name[SPG_DP_NAME_LEN + 1], count[24];
	unsigned int i, shown = 0;

	if (json) {
		out_json_init(&j, stdout);
		out_json_object_begin(&j, NULL);
	} else {
		t = out_table_new(2, cols, "lr");
		if (t == NULL)
			return false;
	}
	for (i = 0; i < rep->n_reasons; i++) {
		if (rep->reasons[i].count == 0 && !all)
			continue;
		memcpy(name, rep->reasons[i].name, SPG_DP_NAME_LEN);
		name[SPG_DP_NAME_LEN] = '\0';
		if (json) {
			out_json_u64(&j, name, rep->reasons[i].count);
		} else {
			const char *row[2] = {name, count};

			snprintf(count, sizeof(count), "%" PRIu64, rep->reasons[i].count);
			out_table_add(t, row);
		}
		shown++;
	}
	if (json) {
		out_json_object_end(&j);
		out_json_finish(&j);
	} else {
		if (shown > 0)
			out_table_flush(t, stdout);
		else
			printf("no packets dropped\n");
		out_table_free(t);
	}
	return true;
}
