/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target over spgate-agent's ESP input (tools/agent/esp_sa.c's esp_open and
 * replay window, esp_tun.c's datagram handling and inner-packet check). esp_tun.c is
 * included for its static on_datagram; its TUN is /dev/null.
 *
 * Bit 0 of the first byte clear: the rest is a UDP payload as it arrived. Set: bytes 1-8 are
 * a sequence number and the rest an inner packet, which the harness seals as the gateway
 * would (into the current SA, or with bit 1 the previous generation's), so decryption,
 * the replay window and the inner check are reached. The inner check also runs on an exact
 * copy of the inner packet when it is one esp_open would pass, so reading past its end is
 * caught. SAs are new every run.
 */
#include "../../tools/agent/esp_tun.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPI_CUR 0x1000
#define SPI_PREV 0x0fff
#define GW_INNER 0xc6336401 /* 198.51.100.1 (host order) */
#define SHARED 0xc0a80001   /* 192.168.0.1 */

static const uint8_t key[ESP_SA_KEY_MAX + ESP_SA_SALT_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
static const uint8_t key_prev[ESP_SA_KEY_MAX + ESP_SA_SALT_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1};
static const struct agent_service_port ports[] = {
	{.proto = 6, .port = 22, .text = "tcp:22"},
	{.proto = 17, .port = 161, .text = "udp:161"},
};
static struct esp_tun tun;
static struct esp_peer peer;
static uint64_t drops[AGENT_DROP_MAX];
static uint8_t sealed[BUF_SIZE + ESP_OVERHEAD_MAX];

static void setup(void)
{
	tun.tun_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (tun.tun_fd < 0)
		abort();
	tun.shared_addr = htonl(SHARED);
	tun.drops = drops;
	peer.gw_inner = htonl(GW_INNER);
	peer.remote_addr = htonl(0xcb007101);
	peer.remote_port = 4500;
	peer.ports = ports;
	peer.n_ports = 2;
	peer.icmp_echo = true;
	peer.has_prev = true;
	tun.peers = &peer;
	agent_log_set_level(AGENT_LOG_ERR);
}

static void new_sas(void)
{
	esp_sa_clear(&peer.in);
	esp_sa_clear(&peer.in_prev);
	if (esp_sa_init(&peer.in, false, SPI_CUR, key, 16, 128, 0) != 0 ||
	    esp_sa_init(&peer.in_prev, false, SPI_PREV, key_prev, 16, 64, 0) != 0)
		abort();
}

/* Seals inner as the gateway would, with sequence number seq; returns the length or -1. */
static int seal(bool prev, uint64_t seq, const uint8_t *inner, size_t len)
{
	struct esp_sa out;
	int n;

	memset(&out, 0, sizeof(out));
	if (esp_sa_init(&out, true, prev ? SPI_PREV : SPI_CUR, prev ? key_prev : key, 16, 0,
			UINT64_MAX) != 0)
		abort();
	out.seq = seq > 0 ? seq - 1 : 0;
	n = esp_seal(&out, inner, len, sealed, sizeof(sealed));
	esp_sa_clear(&out);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = htons(4500),
				   .sin_addr.s_addr = htonl(0xcb007101)};
	enum agent_drop why;
	uint64_t seq = 0;
	uint8_t *copy;
	size_t len;
	int n;

	if (tun.drops == NULL)
		setup();
	if (size < 1 || size - 1 > BUF_SIZE)
		return 0;
	new_sas();
	if (!(data[0] & 1)) {
		memcpy(tun.in, data + 1, size - 1);
		on_datagram(&tun, tun.in, size - 1, &from);
		return 0;
	}
	if (size < 9)
		return 0;
	memcpy(&seq, data + 1, sizeof(seq));
	len = size - 9;
	n = seal(data[0] & 2, seq, data + 9, len);
	if (n > 0)
		on_datagram(&tun, sealed, (size_t)n, &from);
	/* its contract: what esp_open passes (a whole IPv4 packet, header length checked) */
	if (len >= 20 && data[9] >> 4 == 4 && (data[9] & 0xf) >= 5 &&
	    ((size_t)data[11] << 8 | data[12]) == len && (size_t)(data[9] & 0xf) * 4 <= len) {
		copy = malloc(len);
		memcpy(copy, data + 9, len);
		(void)esp_tun_inner_allowed(&peer, tun.shared_addr, copy, len, &why);
		free(copy);
	}
	return 0;
}
