/* SPDX-License-Identifier: BSD-3-Clause */
/* spgate-dp config loading and address parsing: every error names file:line:column. */
#include <arpa/inet.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"

#include "addr.h"
#include "config.h"

/* The sections every config needs; tests put the section under test first, so lines are 1.. */
#define PORTS                                                                                  \
	"ports:\n"                                                                             \
	"  vendor: { devargs: net_null0, address: 198.51.100.1/24, next_hop: 198.51.100.254 }\n" \
	"  sp: { devargs: net_null1, address: 203.0.113.1/24 }\n"
#define SP                                                                                     \
	"sp:\n"                                                                                \
	"  shared_address: 192.0.2.10\n"                                                       \
	"  inner_address: 192.0.2.1\n"
/* A /15 holds 131070 addresses: enough for the default max_sessions of 65536. */
#define VENDOR                                                                                 \
	"vendor:\n"                                                                            \
	"  virtual_pool: 198.18.0.0/15\n"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void write_temp(const char *text, char *path, size_t pathlen)
{
	size_t len = strlen(text);
	int fd;

	snprintf(path, pathlen, "/tmp/spg-test-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len)
		abort();
	close(fd);
}

static int load_text(const char *text, struct spg_dp_config *cfg, char *path, size_t pathlen,
		     char *err, size_t errlen)
{
	int rc;

	write_temp(text, path, pathlen);
	rc = spg_dp_config_load(path, cfg, err, errlen);
	unlink(path);
	return rc;
}

/* True when loading text fails with "PATH:line:col: " followed by a message holding want. */
static bool fails_at(const char *text, unsigned int line, unsigned int col, const char *want)
{
	char path[64], err[512], prefix[96];
	struct spg_dp_config cfg;
	bool ok;
	int rc;

	rc = load_text(text, &cfg, path, sizeof(path), err, sizeof(err));
	spg_dp_config_free(&cfg);
	snprintf(prefix, sizeof(prefix), "%s:%u:%u: ", path, line, col);
	ok = rc == -1 && strncmp(err, prefix, strlen(prefix)) == 0 &&
	     strstr(err + strlen(prefix), want) != NULL;
	if (!ok)
		fprintf(stderr, "\n    rc %d, got:  %s\n    wanted: %s...%s\n", rc, err, prefix,
			want);
	return ok;
}

/* The same, for the whole message after "PATH:line:col: ". */
static bool fails_exactly(const char *text, unsigned int line, unsigned int col,
			  const char *want)
{
	char path[64], err[512], expected[640];
	struct spg_dp_config cfg;
	int rc;

	rc = load_text(text, &cfg, path, sizeof(path), err, sizeof(err));
	spg_dp_config_free(&cfg);
	snprintf(expected, sizeof(expected), "%s:%u:%u: %s", path, line, col, want);
	if (rc == -1 && strcmp(err, expected) == 0)
		return true;
	fprintf(stderr, "\n    rc %d, got:  %s\n    wanted: %s\n", rc, err, expected);
	return false;
}

static bool loads(const char *text, struct spg_dp_config *cfg)
{
	char path[64], err[512];

	if (load_text(text, cfg, path, sizeof(path), err, sizeof(err)) == 0)
		return true;
	fprintf(stderr, "\n    unexpected error: %s\n", err);
	return false;
}

static void addr_parse_accepts_dotted_quads(void)
{
	static const char *const good[] = { "0.0.0.0", "192.0.2.10", "255.255.255.255",
					     "198.51.100.1", "10.0.0.0" };
	char buf[SPG_ADDR_STRLEN];
	uint32_t a;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		a = 1;
		CU_ASSERT_TRUE(spg_addr_parse(good[i], &a));
		CU_ASSERT_EQUAL(a, ip(good[i]));
		CU_ASSERT_STRING_EQUAL(spg_addr_str(a, buf), good[i]);
	}
}

static void addr_parse_refuses_anything_but_a_dotted_quad(void)
{
	static const char *const bad[] = {
		"10.0.0.300", "1.2.3", " 1.2.3.4", "1.2.3.4 ", "1..2.3", "1.2.3.4.5", "01.2.3.4",
		"1.2.3.", ".1.2.3", "", "a.b.c.d", "1.2.3.-4", "0x1.2.3.4", "1.2.3.4/24",
		"1.2.3.4:80", "1234.1.1.1", "256.0.0.0", "1.2.3.4\n", "+1.2.3.4",
	};
	uint32_t a = 0x5a5a5a5a;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FALSE(spg_addr_parse(bad[i], &a));
		if (spg_addr_parse(bad[i], &a))
			fprintf(stderr, "\n    accepted %s\n", bad[i]);
	}
	CU_ASSERT_FALSE(spg_addr_parse(NULL, &a));
	CU_ASSERT_EQUAL(a, 0x5a5a5a5a);
}

static void prefix_parse_reads_address_and_length(void)
{
	uint32_t a;
	uint8_t len;

	CU_ASSERT_TRUE(spg_prefix_parse("198.51.100.1/24", &a, &len, false));
	CU_ASSERT_EQUAL(a, ip("198.51.100.1"));
	CU_ASSERT_EQUAL(len, 24);
	CU_ASSERT_TRUE(spg_prefix_parse("198.18.0.0/15", &a, &len, true));
	CU_ASSERT_EQUAL(a, ip("198.18.0.0"));
	CU_ASSERT_EQUAL(len, 15);
	CU_ASSERT_TRUE(spg_prefix_parse("0.0.0.0/0", &a, &len, true));
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT_TRUE(spg_prefix_parse("192.0.2.7/32", &a, &len, true));
	CU_ASSERT_EQUAL(len, 32);
}

static void prefix_parse_refuses_bad_lengths_and_addresses(void)
{
	static const char *const bad[] = {
		"198.51.100.1/33", "198.51.100.1/", "198.51.100.1", "198.51.100.1/-1",
		"198.51.100.1/ 24", "198.51.100.1/24 ", "198.51.100.1/24x", "198.51.100.1/024",
		"198.51.100/24", "10.0.0.300/8", "/24", "198.51.100.1/2/4", "198.51.100.1/0x8",
	};
	uint32_t a;
	uint8_t len;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FALSE(spg_prefix_parse(bad[i], &a, &len, false));
		if (spg_prefix_parse(bad[i], &a, &len, false))
			fprintf(stderr, "\n    accepted %s\n", bad[i]);
	}
}

static void prefix_parse_strict_refuses_host_bits(void)
{
	uint32_t a;
	uint8_t len;

	CU_ASSERT_FALSE(spg_prefix_parse("198.19.0.1/24", &a, &len, true));
	CU_ASSERT_FALSE(spg_prefix_parse("198.19.0.0/15", &a, &len, true));
	CU_ASSERT_TRUE(spg_prefix_parse("198.19.0.1/24", &a, &len, false));
	CU_ASSERT_TRUE(spg_prefix_parse("198.19.0.0/16", &a, &len, true));
}

static void prefix_mask_covers_the_leading_bits(void)
{
	CU_ASSERT_EQUAL(spg_prefix_mask(0), 0);
	CU_ASSERT_EQUAL(spg_prefix_mask(1), htonl(0x80000000u));
	CU_ASSERT_EQUAL(spg_prefix_mask(24), ip("255.255.255.0"));
	CU_ASSERT_EQUAL(spg_prefix_mask(15), ip("255.254.0.0"));
	CU_ASSERT_EQUAL(spg_prefix_mask(32), 0xffffffffu);
}

static void endpoint_parse_reads_port_or_takes_the_default(void)
{
	uint32_t a;
	uint16_t port;

	CU_ASSERT_TRUE(spg_endpoint_parse("203.0.113.7:4501", &a, &port, 4500));
	CU_ASSERT_EQUAL(a, ip("203.0.113.7"));
	CU_ASSERT_EQUAL(port, 4501);
	CU_ASSERT_TRUE(spg_endpoint_parse("203.0.113.8", &a, &port, 4500));
	CU_ASSERT_EQUAL(a, ip("203.0.113.8"));
	CU_ASSERT_EQUAL(port, 4500);
	CU_ASSERT_TRUE(spg_endpoint_parse("203.0.113.9:65535", &a, &port, 4500));
	CU_ASSERT_EQUAL(port, 65535);
	CU_ASSERT_TRUE(spg_endpoint_parse("203.0.113.9:1", &a, &port, 4500));
	CU_ASSERT_EQUAL(port, 1);
}

static void endpoint_parse_refuses_bad_ports_and_addresses(void)
{
	static const char *const bad[] = {
		"203.0.113.7:0", "203.0.113.7:65536", "203.0.113.7:", "203.0.113.7:45a",
		"203.0.113.7:4500:1", "203.0.113.7: 4500", "203.0.113.700:4500", ":4500",
		"203.0.113.7:-1", "203.0.113.7:123456", "203.0.113:4500",
	};
	uint32_t a;
	uint16_t port;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_FALSE(spg_endpoint_parse(bad[i], &a, &port, 4500));
		if (spg_endpoint_parse(bad[i], &a, &port, 4500))
			fprintf(stderr, "\n    accepted %s\n", bad[i]);
	}
}

static void config_loads_every_field_of_a_full_file(void)
{
	static const char text[] =
		"dataplane:\n"
		"  lcores: { main: 2, workers: [3, 5] }\n"
		"  max_sessions: 1000\n"
		"  control_socket: /run/spgate/test.sock\n"
		"  idle_sleep_us: 25\n"
		"  mbufs: 8191\n"
		"  eal:\n"
		"    no_huge: true\n"
		"    memory_mb: 512\n"
		"    file_prefix: spg-test_1\n"
		"    extra_args: [\"--log-level=lib.eal:debug\", \"-n\", \"4\"]\n"
		"ports:\n"
		"  vendor: { devargs: \"net_af_packet0,iface=gw-vendor\", address: 198.51.100.1/24,"
		" next_hop: 198.51.100.254, mtu: 9000 }\n"
		"  sp:\n"
		"    devargs: net_af_packet1,iface=gw-sp\n"
		"    address: 203.0.113.1/25\n"
		"    next_hop: 203.0.113.126\n"
		"    mtu: 1400\n"
		"sp:\n"
		"  shared_address: 192.0.2.10\n"
		"  inner_address: \"192.0.2.1\"\n"
		"vendor:\n"
		"  virtual_pool: 198.18.0.0/22   # 1022 addresses\n"
		"esp:\n"
		"  cipher: aes-256-gcm\n"
		"  replay_window: 1024\n"
		"  udp_port: 4501\n"
		"  crypto_device: crypto_openssl\n";
	struct spg_dp_config cfg;

	CU_ASSERT_FATAL(loads(text, &cfg));
	CU_ASSERT_EQUAL(cfg.main_lcore, 2);
	CU_ASSERT_EQUAL(cfg.n_workers, 2);
	CU_ASSERT_EQUAL(cfg.worker_lcores[0], 3);
	CU_ASSERT_EQUAL(cfg.worker_lcores[1], 5);
	CU_ASSERT_EQUAL(cfg.max_sessions, 1000);
	CU_ASSERT_STRING_EQUAL(cfg.control_socket, "/run/spgate/test.sock");
	CU_ASSERT_EQUAL(cfg.idle_sleep_us, 25);
	CU_ASSERT_EQUAL(cfg.mbufs, 8191);
	CU_ASSERT_TRUE(cfg.no_huge);
	CU_ASSERT_EQUAL(cfg.memory_mb, 512);
	CU_ASSERT_STRING_EQUAL(cfg.file_prefix, "spg-test_1");
	CU_ASSERT_FATAL(cfg.n_eal_extra == 3);
	CU_ASSERT_STRING_EQUAL(cfg.eal_extra[0], "--log-level=lib.eal:debug");
	CU_ASSERT_STRING_EQUAL(cfg.eal_extra[1], "-n");
	CU_ASSERT_STRING_EQUAL(cfg.eal_extra[2], "4");
	CU_ASSERT_STRING_EQUAL(cfg.vendor.devargs, "net_af_packet0,iface=gw-vendor");
	CU_ASSERT_EQUAL(cfg.vendor.addr, ip("198.51.100.1"));
	CU_ASSERT_EQUAL(cfg.vendor.prefix_len, 24);
	CU_ASSERT_EQUAL(cfg.vendor.next_hop, ip("198.51.100.254"));
	CU_ASSERT_EQUAL(cfg.vendor.mtu, 9000);
	CU_ASSERT_STRING_EQUAL(cfg.sp.devargs, "net_af_packet1,iface=gw-sp");
	CU_ASSERT_EQUAL(cfg.sp.addr, ip("203.0.113.1"));
	CU_ASSERT_EQUAL(cfg.sp.prefix_len, 25);
	CU_ASSERT_EQUAL(cfg.sp.next_hop, ip("203.0.113.126"));
	CU_ASSERT_EQUAL(cfg.sp.mtu, 1400);
	CU_ASSERT_EQUAL(cfg.shared_addr, ip("192.0.2.10"));
	CU_ASSERT_EQUAL(cfg.inner_addr, ip("192.0.2.1"));
	CU_ASSERT_EQUAL(cfg.pool_addr, ip("198.18.0.0"));
	CU_ASSERT_EQUAL(cfg.pool_prefix_len, 22);
	CU_ASSERT_EQUAL(cfg.cipher, SPG_CIPHER_AES_256_GCM);
	CU_ASSERT_EQUAL(cfg.replay_window, 1024);
	CU_ASSERT_EQUAL(cfg.esp_udp_port, 4501);
	CU_ASSERT_STRING_EQUAL(cfg.crypto_device, "crypto_openssl");
	spg_dp_config_free(&cfg);
	CU_ASSERT_EQUAL(cfg.n_eal_extra, 0);
	spg_dp_config_free(&cfg);
}

static void config_applies_defaults_for_absent_keys(void)
{
	struct spg_dp_config cfg, defaults;

	CU_ASSERT_FATAL(loads(PORTS SP VENDOR, &cfg));
	CU_ASSERT_EQUAL(cfg.main_lcore, 0);
	CU_ASSERT_EQUAL(cfg.n_workers, 1);
	CU_ASSERT_EQUAL(cfg.worker_lcores[0], 1);
	CU_ASSERT_EQUAL(cfg.max_sessions, 65536);
	CU_ASSERT_STRING_EQUAL(cfg.control_socket, "/run/spgate/dp.sock");
	CU_ASSERT_EQUAL(cfg.idle_sleep_us, 0);
	CU_ASSERT_EQUAL(cfg.mbufs, 16383);
	CU_ASSERT_FALSE(cfg.no_huge);
	CU_ASSERT_EQUAL(cfg.memory_mb, 0);
	CU_ASSERT_STRING_EQUAL(cfg.file_prefix, "spgate");
	CU_ASSERT_EQUAL(cfg.n_eal_extra, 0);
	CU_ASSERT_EQUAL(cfg.vendor.mtu, 1500);
	CU_ASSERT_EQUAL(cfg.sp.mtu, 1500);
	CU_ASSERT_EQUAL(cfg.sp.next_hop, 0);
	CU_ASSERT_EQUAL(cfg.cipher, SPG_CIPHER_AES_128_GCM);
	CU_ASSERT_EQUAL(cfg.replay_window, 128);
	CU_ASSERT_EQUAL(cfg.esp_udp_port, 4500);
	CU_ASSERT_STRING_EQUAL(cfg.crypto_device, "crypto_aesni_mb");
	spg_dp_config_free(&cfg);

	/* An empty section means the same as an absent one for the optional sections' keys. */
	CU_ASSERT_FATAL(loads("dataplane: {}\nesp: {}\n" PORTS SP VENDOR, &cfg));
	spg_dp_config_defaults(&defaults);
	CU_ASSERT_EQUAL(cfg.max_sessions, defaults.max_sessions);
	CU_ASSERT_EQUAL(cfg.replay_window, defaults.replay_window);
	spg_dp_config_free(&cfg);
}

/* issue 15: the recording section, its defaults and its checks */
static void config_reads_the_recording_section(void)
{
	struct spg_dp_config cfg;

	CU_ASSERT_FATAL(loads(PORTS SP VENDOR, &cfg));
	CU_ASSERT_EQUAL(cfg.rec_snaplen, 65535);
	CU_ASSERT_EQUAL(cfg.rec_pool_size, 8191);
	CU_ASSERT_EQUAL(cfg.rec_ring_size, 1024);
	spg_dp_config_free(&cfg);
	CU_ASSERT_FATAL(loads(PORTS SP VENDOR "recording: { snaplen: 1500, pool_size: 4095, ring_size: 256 }\n", &cfg));
	CU_ASSERT_EQUAL(cfg.rec_snaplen, 1500);
	CU_ASSERT_EQUAL(cfg.rec_pool_size, 4095);
	CU_ASSERT_EQUAL(cfg.rec_ring_size, 256);
	spg_dp_config_free(&cfg);
	CU_ASSERT(fails_at(PORTS SP VENDOR "recording: { ring_size: 100 }\n", 9, 25, "not a power of 2"));
	CU_ASSERT(fails_at(PORTS SP VENDOR "recording: { ring_size: 8 }\n", 9, 25, "recording.ring_size"));
	CU_ASSERT(fails_at(PORTS SP VENDOR "recording: { snaplen: 10 }\n", 9, 23, "recording.snaplen"));
	CU_ASSERT(fails_at("dataplane: { eal: { memory_mb: 64 } }\n" PORTS SP VENDOR
			   "recording: { pool_size: 65535 }\n", 10, 25, "more than half of dataplane.eal.memory_mb"));
	CU_ASSERT(fails_at(PORTS SP VENDOR "recording: { snap_len: 100 }\n", 9, 14, "unknown key \"snap_len\""));
}

static void config_rejects_unknown_top_level_key_with_position(void)
{
	CU_ASSERT(fails_at(PORTS SP VENDOR "colour: blue\n", 9, 1, "unknown key \"colour\""));
}

static void config_rejects_unknown_nested_key_with_position(void)
{
	CU_ASSERT(fails_at("dataplane:\n"
			   "  eal:\n"
			   "    no_hugepages: true\n" PORTS SP VENDOR,
			   3, 5, "dataplane.eal: unknown key \"no_hugepages\""));
	CU_ASSERT(fails_at(PORTS SP VENDOR "esp: { cipher: aes-128-gcm, ciper: x }\n", 9, 29,
			   "esp: unknown key \"ciper\""));
}

static void config_rejects_string_for_an_integer(void)
{
	CU_ASSERT(fails_exactly("dataplane:\n"
				"  max_sessions: lots\n" PORTS SP VENDOR,
				2, 17, "dataplane.max_sessions: \"lots\" is not an unsigned integer"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  max_sessions: \"1000\"\n" PORTS SP VENDOR,
			   2, 17, "dataplane.max_sessions: \"1000\" is a quoted string"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  max_sessions: -5\n" PORTS SP VENDOR,
			   2, 17, "\"-5\" is not an unsigned integer"));
	CU_ASSERT(fails_at("esp:\n"
			   "  udp_port: 99999999999999999999999\n" PORTS SP VENDOR,
			   2, 13, "esp.udp_port: \"99999999999999999999999\" is out of range 1..65535"));
}

static void config_rejects_mapping_for_a_scalar(void)
{
	CU_ASSERT(fails_exactly("sp:\n"
				"  shared_address: { a: 1 }\n"
				"  inner_address: 192.0.2.1\n" PORTS VENDOR,
				2, 19, "sp.shared_address: expected a value, got a mapping"));
	CU_ASSERT(fails_at("sp: 192.0.2.10\n" PORTS VENDOR, 1, 5,
			   "sp: expected a mapping, got \"192.0.2.10\""));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  lcores: { main: 0, workers: 1 }\n" PORTS SP VENDOR,
			   2, 31, "dataplane.lcores.workers: expected a list, got \"1\""));
}

static void config_rejects_bad_address_with_the_value_quoted(void)
{
	CU_ASSERT(fails_exactly("sp:\n"
				"  shared_address: 10.0.0.300\n"
				"  inner_address: 192.0.2.1\n" PORTS VENDOR,
				2, 19, "sp.shared_address: \"10.0.0.300\" is not an IPv4 address"));
	CU_ASSERT(fails_at("sp:\n"
			   "  shared_address: 192.0.2.10\n"
			   "  inner_address: \" 192.0.2.1\"\n" PORTS VENDOR,
			   3, 18, "sp.inner_address: \" 192.0.2.1\" is not an IPv4 address"));
	CU_ASSERT(fails_at("sp:\n"
			   "  shared_address: 224.0.0.1\n"
			   "  inner_address: 192.0.2.1\n" PORTS VENDOR,
			   2, 19, "224.0.0.1 is not a unicast host address"));
}

static void config_rejects_bad_prefix_length(void)
{
	CU_ASSERT(fails_at("ports:\n"
			   "  vendor:\n"
			   "    devargs: net_null0\n"
			   "    address: 198.51.100.1/33\n"
			   "  sp: { devargs: net_null1, address: 203.0.113.1/24 }\n" SP VENDOR,
			   4, 14,
			   "ports.vendor.address: \"198.51.100.1/33\" is not an IPv4 prefix"));
	CU_ASSERT(fails_at("vendor:\n"
			   "  virtual_pool: 198.18.0.0/31\n" PORTS SP,
			   2, 17, "vendor.virtual_pool: \"198.18.0.0/31\": prefix length 31 is out of "
				  "range 8..30"));
	CU_ASSERT(fails_at("ports:\n"
			   "  vendor:\n"
			   "    devargs: net_null0\n"
			   "    address: 198.51.100.0/24\n"
			   "  sp: { devargs: net_null1, address: 203.0.113.1/24 }\n" SP VENDOR,
			   4, 14, "198.51.100.0/24 is the network address of its prefix"));
}

static void config_rejects_pool_with_host_bits(void)
{
	CU_ASSERT(fails_exactly("vendor:\n"
				"  virtual_pool: 198.18.0.1/24\n" PORTS SP,
				2, 17, "vendor.virtual_pool: \"198.18.0.1/24\" has host bits set (the "
				       "network is 198.18.0.0/24)"));
}

static void config_rejects_next_hop_outside_the_port_prefix(void)
{
	CU_ASSERT(fails_exactly("ports:\n"
				"  vendor:\n"
				"    devargs: net_null0\n"
				"    address: 198.51.100.1/24\n"
				"    next_hop: 198.51.101.1\n"
				"  sp: { devargs: net_null1, address: 203.0.113.1/24 }\n" SP VENDOR,
				5, 15, "ports.vendor.next_hop: 198.51.101.1 is outside the port's "
				       "prefix 198.51.100.0/24"));
	CU_ASSERT(fails_at("ports:\n"
			   "  vendor:\n"
			   "    devargs: net_null0\n"
			   "    address: 198.51.100.1/24\n"
			   "    next_hop: 198.51.100.1\n"
			   "  sp: { devargs: net_null1, address: 203.0.113.1/24 }\n" SP VENDOR,
			   5, 15, "198.51.100.1 is the port's own address"));
}

static void config_rejects_pool_overlapping_a_port(void)
{
	CU_ASSERT(fails_exactly("vendor:\n"
				"  virtual_pool: 198.51.100.0/25\n" PORTS SP,
				2, 17, "vendor.virtual_pool: 198.51.100.0/25 overlaps "
				       "ports.vendor.address 198.51.100.1/24"));
	CU_ASSERT(fails_at("vendor:\n"
			   "  virtual_pool: 203.0.0.0/8\n" PORTS SP,
			   2, 17, "overlaps ports.sp.address 203.0.113.1/24"));
	CU_ASSERT(fails_at("vendor:\n"
			   "  virtual_pool: 192.0.0.0/16\n" PORTS SP,
			   2, 17, "192.0.0.0/16 contains sp.shared_address 192.0.2.10"));
}

static void config_rejects_port_prefixes_that_overlap(void)
{
	CU_ASSERT(fails_at("ports:\n"
			   "  vendor: { devargs: net_null0, address: 198.51.100.1/24 }\n"
			   "  sp: { devargs: net_null1, address: 198.51.100.129/25 }\n" SP VENDOR,
			   3, 38, "ports.sp.address: 198.51.100.129/25 overlaps ports.vendor.address"));
}

static void config_rejects_shared_address_equal_to_inner_address(void)
{
	CU_ASSERT(fails_exactly("sp:\n"
				"  shared_address: 192.0.2.10\n"
				"  inner_address: 192.0.2.10\n" PORTS VENDOR,
				3, 18, "sp.inner_address: 192.0.2.10 is the same as sp.shared_address"));
}

/* Joiners leave as G_in + 1 .. + 3 (issue 15): those must be nobody else's. */
static void config_rejects_joiner_inner_addresses_that_are_taken(void)
{
	CU_ASSERT(fails_exactly("sp:\n"
				"  shared_address: 192.0.2.10\n"
				"  inner_address: 192.0.2.8\n" PORTS VENDOR,
				3, 18, "sp.inner_address: the joiners' inner address 192.0.2.10 (+2) is "
				       "sp.shared_address"));
	CU_ASSERT(fails_at("sp:\n"
			   "  shared_address: 192.0.2.10\n"
			   "  inner_address: 198.17.255.254\n" PORTS VENDOR,
			   3, 18, "198.18.0.0 (+2) is inside vendor.virtual_pool 198.18.0.0/15"));
	CU_ASSERT(fails_at("sp:\n"
			   "  shared_address: 192.0.2.10\n"
			   "  inner_address: 203.0.112.254\n" PORTS VENDOR,
			   3, 18, "203.0.113.1 (+3) is ports.sp.address"));
	CU_ASSERT(fails_at("sp:\n"
			   "  shared_address: 192.0.2.10\n"
			   "  inner_address: 223.255.255.254\n" PORTS VENDOR,
			   3, 18, "224.0.0.0 (+2) is not a unicast host address"));
}

static void config_rejects_more_sessions_than_pool_addresses(void)
{
	CU_ASSERT(fails_exactly("vendor:\n"
				"  virtual_pool: 198.19.0.0/24\n" PORTS SP,
				2, 17, "vendor.virtual_pool: 198.19.0.0/24 holds 254 addresses, fewer "
				       "than dataplane.max_sessions (65536)"));
}

static void config_accepts_a_million_sessions_with_a_large_pool(void)
{
	struct spg_dp_config cfg;

	CU_ASSERT_FATAL(loads("dataplane:\n"
			      "  max_sessions: 1048576\n"
			      "vendor:\n"
			      "  virtual_pool: 100.64.0.0/10\n" PORTS SP,
			      &cfg));
	CU_ASSERT_EQUAL(cfg.max_sessions, 1048576);
	spg_dp_config_free(&cfg);
	CU_ASSERT_FATAL(loads("dataplane:\n"
			      "  max_sessions: 254\n"
			      "vendor:\n"
			      "  virtual_pool: 198.19.0.0/24\n" PORTS SP,
			      &cfg));
	spg_dp_config_free(&cfg);
	CU_ASSERT(fails_at("dataplane:\n"
			   "  max_sessions: 4194305\n" PORTS SP VENDOR,
			   2, 17, "4194305 is out of range 1..4194304"));
}

static void config_rejects_replay_window_32(void)
{
	CU_ASSERT(fails_exactly("esp:\n"
				"  replay_window: 32\n" PORTS SP VENDOR,
				2, 18, "esp.replay_window: 32 is out of range 64..4096"));
}

static void config_rejects_cipher_des(void)
{
	CU_ASSERT(fails_at("esp:\n"
			   "  cipher: des\n" PORTS SP VENDOR,
			   2, 11, "esp.cipher: \"des\" is not a supported cipher"));
}

static void config_rejects_duplicate_key(void)
{
	CU_ASSERT(fails_exactly("sp:\n"
				"  shared_address: 192.0.2.10\n"
				"  inner_address: 192.0.2.1\n"
				"  shared_address: 192.0.2.11\n" PORTS VENDOR,
				4, 3, "sp: duplicate key \"shared_address\" (first given at 2:3)"));
	CU_ASSERT(fails_at(SP PORTS VENDOR SP, 9, 1, "duplicate key \"sp\" (first given at 1:1)"));
}

static void config_reports_yaml_syntax_error_with_position(void)
{
	CU_ASSERT(fails_at("sp:\n"
			   "  shared_address: 192.0.2.10\n"
			   " inner_address: 192.0.2.1\n" PORTS VENDOR,
			   3, 2, "did not find expected key"));
	CU_ASSERT(fails_at("sp: { shared_address: 192.0.2.10\n" PORTS VENDOR, 2, 6,
			   "did not find expected ',' or '}'"));
	CU_ASSERT(fails_at(PORTS SP VENDOR "---\nfoo: 1\n", 9, 1, "only one YAML document"));
}

static void config_reports_missing_required_key_at_the_parent(void)
{
	CU_ASSERT(fails_exactly("sp:\n"
				"  inner_address: 192.0.2.1\n" PORTS VENDOR,
				2, 3, "sp: missing required key \"shared_address\""));
	CU_ASSERT(fails_exactly(PORTS SP, 1, 1, "missing required key \"vendor\""));
	CU_ASSERT(fails_at("ports:\n"
			   "  vendor: { address: 198.51.100.1/24 }\n"
			   "  sp: { devargs: net_null1, address: 203.0.113.1/24 }\n" SP VENDOR,
			   2, 11, "ports.vendor: missing required key \"devargs\""));
	CU_ASSERT(fails_at("", 1, 1, "the file is empty"));
}

static void config_reports_a_file_it_cannot_open(void)
{
	struct spg_dp_config cfg;
	char err[256];

	CU_ASSERT_EQUAL(spg_dp_config_load("/tmp/spg-no-such-dir/dp.yaml", &cfg, err, sizeof(err)),
			-1);
	CU_ASSERT_STRING_EQUAL(err,
			       "/tmp/spg-no-such-dir/dp.yaml: cannot open: No such file or directory");
	spg_dp_config_free(&cfg);
}

static void config_rejects_bad_lcores(void)
{
	CU_ASSERT(fails_exactly("dataplane:\n"
				"  lcores: { main: 1, workers: [2, 1] }\n" PORTS SP VENDOR,
				2, 35, "dataplane.lcores.workers[1]: lcore 1 is both the main lcore "
				       "and a worker"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  lcores: { main: 0, workers: [2, 2] }\n" PORTS SP VENDOR,
			   2, 35, "dataplane.lcores.workers[1]: lcore 2 is listed twice"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  lcores: { main: 1 }\n" PORTS SP VENDOR,
			   2, 19, "dataplane.lcores.main: lcore 1 is both the main lcore"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  lcores: { workers: [] }\n" PORTS SP VENDOR,
			   2, 22, "dataplane.lcores.workers: has 0 entries, expected 1 to 16"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  lcores: { workers: [128] }\n" PORTS SP VENDOR,
			   2, 23, "dataplane.lcores.workers[0]: 128 is out of range 0..127"));
}

static void config_rejects_bad_eal_and_socket_settings(void)
{
	CU_ASSERT(fails_at("dataplane:\n"
			   "  eal: { file_prefix: \"spg/../x\" }\n" PORTS SP VENDOR,
			   2, 23, "\"spg/../x\" may hold only letters, digits"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  eal: { no_huge: yes }\n" PORTS SP VENDOR,
			   2, 19, "dataplane.eal.no_huge: \"yes\" is not a boolean"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  eal: { extra_args: [\"-n\", \"--file-prefix=other\"] }\n" PORTS SP VENDOR,
			   2, 29, "dataplane.eal.extra_args[1]: \"--file-prefix=other\" is set by "
				  "dataplane.eal.file_prefix"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  control_socket: run/dp.sock\n" PORTS SP VENDOR,
			   2, 19, "\"run/dp.sock\" is not an absolute path"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  mbufs: 1022\n" PORTS SP VENDOR,
			   2, 10, "dataplane.mbufs: 1022 is out of range 1023..4194303"));
	CU_ASSERT(fails_at("esp:\n"
			   "  crypto_device: \"crypto aesni\"\n" PORTS SP VENDOR,
			   2, 18, "esp.crypto_device: \"crypto aesni\" contains white space"));
}

/* The name is only checked for its form here: spgate-dp resolves it when it binds. */
static void config_control_group_refuses_what_is_not_a_group_name(void)
{
	struct spg_dp_config cfg;

	CU_ASSERT(fails_at("dataplane:\n"
			   "  control_group: \"spgate;rm\"\n" PORTS SP VENDOR,
			   2, 18, "dataplane.control_group: \"spgate;rm\" is not a group name"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  control_group: \"-spgate\"\n" PORTS SP VENDOR,
			   2, 18, "\"-spgate\" is not a group name"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  control_group: \"\"\n" PORTS SP VENDOR,
			   2, 18, "\"\" is not a group name"));
	CU_ASSERT(fails_at("dataplane:\n"
			   "  control_group: spgate-operators-of-a-very-long-group\n" PORTS SP VENDOR,
			   2, 18, "is too long (at most 31 characters)"));

	CU_ASSERT_FATAL(loads(PORTS SP VENDOR, &cfg));
	CU_ASSERT_STRING_EQUAL(cfg.control_group, "");
	spg_dp_config_free(&cfg);
	CU_ASSERT_FATAL(loads("dataplane:\n  control_group: spgate\n" PORTS SP VENDOR, &cfg));
	CU_ASSERT_STRING_EQUAL(cfg.control_group, "spgate");
	spg_dp_config_free(&cfg);
}

static void config_failure_leaves_nothing_allocated(void)
{
	struct spg_dp_config cfg;
	char path[64], err[512];

	/* extra_args are allocated before the bad address is seen; ASan checks they are freed. */
	CU_ASSERT_EQUAL(load_text("dataplane:\n"
				  "  eal: { extra_args: [\"-n\", \"4\"] }\n"
				  "sp:\n"
				  "  shared_address: 192.0.2.300\n"
				  "  inner_address: 192.0.2.1\n" PORTS VENDOR,
				  &cfg, path, sizeof(path), err, sizeof(err)),
			-1);
	CU_ASSERT_EQUAL(cfg.n_eal_extra, 0);
	spg_dp_config_free(&cfg);
	spg_dp_config_free(&cfg);
}

static void cipher_names_and_key_lengths_match(void)
{
	CU_ASSERT_EQUAL(spg_cipher_key_len(SPG_CIPHER_AES_128_GCM), 16);
	CU_ASSERT_EQUAL(spg_cipher_key_len(SPG_CIPHER_AES_256_GCM), 32);
	CU_ASSERT_STRING_EQUAL(spg_cipher_name(SPG_CIPHER_AES_128_GCM), "aes-128-gcm");
	CU_ASSERT_STRING_EQUAL(spg_cipher_name(SPG_CIPHER_AES_256_GCM), "aes-256-gcm");
}

/*
 * The shipped configs must load. __FILE__ is relative to the build root when meson compiles
 * from there, and the build root is three levels above this executable (tests/unit/NAME).
 */
static void source_path(const char *rel, char *out, size_t outlen)
{
	char exe[PATH_MAX], file[PATH_MAX];
	ssize_t n;

	snprintf(file, sizeof(file), "%s", __FILE__);
	if (file[0] == '/') {
		snprintf(out, outlen, "%s/../../%s", dirname(file), rel);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		abort();
	exe[n] = '\0';
	snprintf(out, outlen, "%s/../../%s/../../%s", dirname(exe), dirname(file), rel);
}

static void shipped_configs_load(void)
{
	static const char *const files[] = { "config/dp.example.yaml", "config/lab-dp.yaml" };
	struct spg_dp_config cfg;
	char path[PATH_MAX * 2], err[512];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		source_path(files[i], path, sizeof(path));
		CU_ASSERT_EQUAL(spg_dp_config_load(path, &cfg, err, sizeof(err)), 0);
		if (err[0] != '\0')
			fprintf(stderr, "\n    %s\n", err);
		spg_dp_config_free(&cfg);
	}
	source_path("config/lab-dp.yaml", path, sizeof(path));
	CU_ASSERT_FATAL(spg_dp_config_load(path, &cfg, err, sizeof(err)) == 0);
	CU_ASSERT_STRING_EQUAL(cfg.vendor.devargs, "net_af_packet0,iface=gw-vendor,qpairs=1");
	CU_ASSERT_STRING_EQUAL(cfg.sp.devargs, "net_af_packet1,iface=gw-sp,qpairs=1");
	CU_ASSERT_EQUAL(cfg.shared_addr, ip("192.0.2.10"));
	CU_ASSERT_EQUAL(cfg.inner_addr, ip("192.0.2.1"));
	CU_ASSERT_EQUAL(cfg.pool_addr, ip("198.19.0.0"));
	CU_ASSERT_EQUAL(cfg.max_sessions, 254);
	CU_ASSERT_TRUE(cfg.no_huge);
	CU_ASSERT_STRING_EQUAL(cfg.file_prefix, "spgate-lab");
	spg_dp_config_free(&cfg);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{ "addr_parse_accepts_dotted_quads", addr_parse_accepts_dotted_quads },
		{ "addr_parse_refuses_anything_but_a_dotted_quad",
		  addr_parse_refuses_anything_but_a_dotted_quad },
		{ "prefix_parse_reads_address_and_length", prefix_parse_reads_address_and_length },
		{ "prefix_parse_refuses_bad_lengths_and_addresses",
		  prefix_parse_refuses_bad_lengths_and_addresses },
		{ "prefix_parse_strict_refuses_host_bits", prefix_parse_strict_refuses_host_bits },
		{ "prefix_mask_covers_the_leading_bits", prefix_mask_covers_the_leading_bits },
		{ "endpoint_parse_reads_port_or_takes_the_default",
		  endpoint_parse_reads_port_or_takes_the_default },
		{ "endpoint_parse_refuses_bad_ports_and_addresses",
		  endpoint_parse_refuses_bad_ports_and_addresses },
		{ "config_loads_every_field_of_a_full_file", config_loads_every_field_of_a_full_file },
		{ "config_applies_defaults_for_absent_keys", config_applies_defaults_for_absent_keys },
		{ "config_reads_the_recording_section", config_reads_the_recording_section },
		{ "config_rejects_unknown_top_level_key_with_position",
		  config_rejects_unknown_top_level_key_with_position },
		{ "config_rejects_unknown_nested_key_with_position",
		  config_rejects_unknown_nested_key_with_position },
		{ "config_rejects_string_for_an_integer", config_rejects_string_for_an_integer },
		{ "config_rejects_mapping_for_a_scalar", config_rejects_mapping_for_a_scalar },
		{ "config_rejects_bad_address_with_the_value_quoted",
		  config_rejects_bad_address_with_the_value_quoted },
		{ "config_rejects_bad_prefix_length", config_rejects_bad_prefix_length },
		{ "config_rejects_pool_with_host_bits", config_rejects_pool_with_host_bits },
		{ "config_rejects_next_hop_outside_the_port_prefix",
		  config_rejects_next_hop_outside_the_port_prefix },
		{ "config_rejects_pool_overlapping_a_port", config_rejects_pool_overlapping_a_port },
		{ "config_rejects_port_prefixes_that_overlap",
		  config_rejects_port_prefixes_that_overlap },
		{ "config_rejects_joiner_inner_addresses_that_are_taken",
		  config_rejects_joiner_inner_addresses_that_are_taken },
		{ "config_rejects_shared_address_equal_to_inner_address",
		  config_rejects_shared_address_equal_to_inner_address },
		{ "config_rejects_more_sessions_than_pool_addresses",
		  config_rejects_more_sessions_than_pool_addresses },
		{ "config_accepts_a_million_sessions_with_a_large_pool",
		  config_accepts_a_million_sessions_with_a_large_pool },
		{ "config_rejects_replay_window_32", config_rejects_replay_window_32 },
		{ "config_rejects_cipher_des", config_rejects_cipher_des },
		{ "config_rejects_duplicate_key", config_rejects_duplicate_key },
		{ "config_reports_yaml_syntax_error_with_position",
		  config_reports_yaml_syntax_error_with_position },
		{ "config_reports_missing_required_key_at_the_parent",
		  config_reports_missing_required_key_at_the_parent },
		{ "config_reports_a_file_it_cannot_open", config_reports_a_file_it_cannot_open },
		{ "config_rejects_bad_lcores", config_rejects_bad_lcores },
		{ "config_rejects_bad_eal_and_socket_settings",
		  config_rejects_bad_eal_and_socket_settings },
		{ "config_control_group_refuses_what_is_not_a_group_name",
		  config_control_group_refuses_what_is_not_a_group_name },
		{ "config_failure_leaves_nothing_allocated", config_failure_leaves_nothing_allocated },
		{ "cipher_names_and_key_lengths_match", cipher_names_and_key_lengths_match },
		{ "shipped_configs_load", shipped_configs_load },
		{ NULL, NULL },
	};

	return unit_run("config", cases, NULL, NULL);
}
