/* SPDX-License-Identifier: BSD-3-Clause */
/* Structural and semantic checks of dataplane control messages (see dp_api.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dp_api.h"

/* The reasons name sizes, so they are formatted; one buffer per thread keeps it reentrant. */
static __thread char why_buf[160];

static int fail(int err, const char **why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(int err, const char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why_buf, sizeof(why_buf), fmt, ap);
	va_end(ap);
	if (why != NULL)
		*why = why_buf;
	return err;
}

static const char *const type_names[SPG_DP_MSG_TYPE_MAX] = {
	[SPG_DP_HELLO] = "HELLO",
	[SPG_DP_PING] = "PING",
	[SPG_DP_SESSION_ADD] = "SESSION_ADD",
	[SPG_DP_SESSION_UPDATE] = "SESSION_UPDATE",
	[SPG_DP_SESSION_DEL] = "SESSION_DEL",
	[SPG_DP_SESSION_GET] = "SESSION_GET",
	[SPG_DP_SESSION_LIST] = "SESSION_LIST",
	[SPG_DP_STATS] = "STATS",
	[SPG_DP_DROPS] = "DROPS",
	[SPG_DP_SESSION_ADD_BATCH] = "SESSION_ADD_BATCH",
	[SPG_DP_SESSION_DEL_BATCH] = "SESSION_DEL_BATCH",
	[SPG_DP_SESSION_RECORD] = "SESSION_RECORD",
	[SPG_DP_SESSION_JOINERS] = "SESSION_JOINERS",
	[SPG_DP_ADDRESS] = "ADDRESS",
};

static const char *const reply_names[SPG_DP_MSG_TYPE_MAX] = {
	[SPG_DP_HELLO] = "HELLO reply",
	[SPG_DP_PING] = "PING reply",
	[SPG_DP_SESSION_ADD] = "SESSION_ADD reply",
	[SPG_DP_SESSION_UPDATE] = "SESSION_UPDATE reply",
	[SPG_DP_SESSION_DEL] = "SESSION_DEL reply",
	[SPG_DP_SESSION_GET] = "SESSION_GET reply",
	[SPG_DP_SESSION_LIST] = "SESSION_LIST reply",
	[SPG_DP_STATS] = "STATS reply",
	[SPG_DP_DROPS] = "DROPS reply",
	[SPG_DP_SESSION_ADD_BATCH] = "SESSION_ADD_BATCH reply",
	[SPG_DP_SESSION_DEL_BATCH] = "SESSION_DEL_BATCH reply",
	[SPG_DP_SESSION_RECORD] = "SESSION_RECORD reply",
	[SPG_DP_SESSION_JOINERS] = "SESSION_JOINERS reply",
	[SPG_DP_ADDRESS] = "ADDRESS reply",
};

const char *spg_dp_msg_type_name(uint16_t type)
{
	uint16_t base = type & (uint16_t)~SPG_DP_REPLY;

	if (base == 0 || base >= SPG_DP_MSG_TYPE_MAX)
		return "UNKNOWN";
	return (type & SPG_DP_REPLY) ? reply_names[base] : type_names[base];
}

/* Body size a request of this type must have. */
static size_t request_body_size(uint16_t type)
{
	switch (type) {
	case SPG_DP_HELLO:
		return sizeof(struct spg_dp_hello_req);
	case SPG_DP_SESSION_ADD:
		return sizeof(struct spg_dp_session_add_req);
	case SPG_DP_SESSION_UPDATE:
		return sizeof(struct spg_dp_session_update_req);
	case SPG_DP_SESSION_DEL:
	case SPG_DP_SESSION_GET:
		return sizeof(struct spg_dp_session_id_req);
	case SPG_DP_SESSION_LIST:
		return sizeof(struct spg_dp_session_list_req);
	case SPG_DP_SESSION_RECORD:
		return sizeof(struct spg_dp_session_record_req);
	case SPG_DP_SESSION_JOINERS:
		return sizeof(struct spg_dp_session_joiners_req);
	case SPG_DP_ADDRESS:
		return sizeof(struct spg_dp_address_req);
	default: /* PING, STATS, DROPS */
		return 0;
	}
}

/* Body size a successful reply of this type must have (SESSION_LIST: its fixed part). */
static size_t reply_body_size(uint16_t type)
{
	switch (type) {
	case SPG_DP_HELLO:
		return sizeof(struct spg_dp_hello_rep);
	case SPG_DP_SESSION_GET:
		return sizeof(struct spg_dp_session_get_rep);
	case SPG_DP_SESSION_LIST:
		return sizeof(struct spg_dp_session_list_rep);
	case SPG_DP_STATS:
		return sizeof(struct spg_dp_stats_rep);
	case SPG_DP_DROPS:
		return sizeof(struct spg_dp_drops_rep);
	case SPG_DP_SESSION_RECORD:
		return sizeof(struct spg_dp_record_rep);
	default: /* PING, SESSION_ADD, SESSION_UPDATE, SESSION_DEL, SESSION_JOINERS */
		return 0;
	}
}

/* A batch's body: a head with its count, then count fixed-size entries. */
static int check_batch_body(const uint8_t *body, size_t body_len, const char *what, size_t head, size_t entry,
			    uint32_t max, const char **why)
{
	uint32_t count;
	size_t want;

	if (body_len < head)
		return fail(EBADMSG, why, "%s body is %zu bytes, shorter than its %zu-byte head", what, body_len, head);
	memcpy(&count, body, sizeof(count));
	if (count == 0 || count > max)
		return fail(EBADMSG, why, "%s claims %u sessions, expected 1 to %u", what, count, max);
	want = head + (size_t)count * entry;
	if (body_len != want)
		return fail(EBADMSG, why, "%s body is %zu bytes, expected %zu for %u sessions", what, body_len, want,
			    count);
	return 0;
}

/* The batch a message type is, its name and its largest count; false for other types. */
static bool batch_kind(uint16_t base, const char **what, uint32_t *max)
{
	if (base == SPG_DP_SESSION_ADD_BATCH) {
		*what = "SESSION_ADD_BATCH";
		*max = SPG_DP_ADD_BATCH_MAX;
		return true;
	}
	if (base == SPG_DP_SESSION_DEL_BATCH) {
		*what = "SESSION_DEL_BATCH";
		*max = SPG_DP_DEL_BATCH_MAX;
		return true;
	}
	return false;
}

static int check_batch_reply(const uint8_t *body, size_t body_len, const char *what, uint32_t max,
			     const char **why)
{
	struct spg_dp_session_add_batch_rep head;
	uint32_t failed = 0;
	int32_t err;
	int rc;

	rc = check_batch_body(body, body_len, what, sizeof(head), sizeof(int32_t), max, why);
	if (rc != 0)
		return rc;
	memcpy(&head, body, sizeof(head));
	for (uint32_t i = 0; i < head.count; i++) {
		memcpy(&err, body + sizeof(head) + i * sizeof(err), sizeof(err));
		if (err < 0)
			return fail(EBADMSG, why, "%s reply: session %u has negative error %d", what, i, err);
		failed += err != 0;
	}
	if (failed != head.n_failed)
		return fail(EBADMSG, why, "%s reply says %u failed, its errors say %u", what, head.n_failed, failed);
	return 0;
}

/* ADDRESS: ADD and DEL answer with no body, LIST with a counted list of entries. */
static int check_address_reply(const uint8_t *body, size_t body_len, const char **why)
{
	struct spg_dp_address_list_rep list;
	size_t want;

	if (body_len == 0)
		return 0;
	if (body_len < sizeof(list))
		return fail(EBADMSG, why, "ADDRESS reply body is %zu bytes, shorter than its %zu-byte head", body_len,
			    sizeof(list));
	memcpy(&list, body, sizeof(list));
	if (list.count > SPG_DP_ADDR_LIST_MAX)
		return fail(EBADMSG, why, "ADDRESS reply claims %u addresses, at most %u exist", list.count,
			    SPG_DP_ADDR_LIST_MAX);
	want = sizeof(list) + (size_t)list.count * sizeof(struct spg_dp_address_entry);
	if (body_len != want)
		return fail(EBADMSG, why, "ADDRESS reply body is %zu bytes, expected %zu for %u addresses", body_len,
			    want, list.count);
	return 0;
}

static int check_reply_body(const uint8_t *body, size_t body_len, uint16_t base, const char **why)
{
	size_t want = reply_body_size(base);
	struct spg_dp_session_list_rep list;
	struct spg_dp_drops_rep drops;
	const char *batch;
	uint32_t max;

	if (batch_kind(base, &batch, &max))
		return check_batch_reply(body, body_len, batch, max, why);
	if (base == SPG_DP_ADDRESS)
		return check_address_reply(body, body_len, why);
	if (base == SPG_DP_SESSION_LIST) {
		if (body_len < want)
			return fail(EBADMSG, why, "SESSION_LIST reply body is %zu bytes, shorter than its %zu-byte head",
				    body_len, want);
		memcpy(&list, body, sizeof(list));
		if (list.count > SPG_DP_LIST_MAX_ENTRIES)
			return fail(EBADMSG, why, "SESSION_LIST reply claims %u entries, at most %zu fit",
				    list.count, (size_t)SPG_DP_LIST_MAX_ENTRIES);
		want += (size_t)list.count * sizeof(struct spg_dp_session_info);
		if (body_len != want)
			return fail(EBADMSG, why, "SESSION_LIST reply body is %zu bytes, expected %zu for %u entries",
				    body_len, want, list.count);
		return 0;
	}
	if (body_len != want)
		return fail(EBADMSG, why, "%s reply body is %zu bytes, expected %zu", type_names[base], body_len,
			    want);
	if (base == SPG_DP_DROPS) {
		memcpy(&drops, body, sizeof(drops));
		if (drops.n_reasons > SPG_DP_MAX_DROP_REASONS)
			return fail(EBADMSG, why, "DROPS reply claims %u reasons, at most %u fit", drops.n_reasons,
				    SPG_DP_MAX_DROP_REASONS);
	}
	return 0;
}

int spg_dp_msg_check(const void *buf, size_t len, bool is_reply, const char **why)
{
	const size_t hlen = sizeof(struct spg_dp_hdr);
	struct spg_dp_hdr h;
	uint16_t base;
	size_t body_len;

	if (len < hlen)
		return fail(EBADMSG, why, "message is %zu bytes, shorter than the %zu-byte header", len, hlen);
	/* The buffer may sit anywhere; copy the header rather than cast. */
	memcpy(&h, buf, hlen);
	if (h.version != SPG_DP_API_VERSION)
		return fail(EPROTO, why, "protocol version %u, expected %u", h.version, SPG_DP_API_VERSION);
	if (len > SPG_DP_MSG_MAX)
		return fail(EBADMSG, why, "message is %zu bytes, more than the %u allowed", len, SPG_DP_MSG_MAX);
	if (h.len != len)
		return fail(EBADMSG, why, "header says %u bytes, %zu arrived", h.len, len);
	if (!is_reply && (h.type & SPG_DP_REPLY))
		return fail(EBADMSG, why, "request type 0x%04x has the reply bit set", h.type);
	if (is_reply && !(h.type & SPG_DP_REPLY))
		return fail(EBADMSG, why, "reply type 0x%04x lacks the reply bit", h.type);
	base = h.type & (uint16_t)~SPG_DP_REPLY;
	/* An older dataplane answers a type it does not know with an empty error reply: that
	 * reply is well formed, and its errno (EOPNOTSUPP) is the answer. */
	if (is_reply && h.error > 0 && len == hlen)
		return 0;
	if (base == 0 || base >= SPG_DP_MSG_TYPE_MAX)
		return fail(EOPNOTSUPP, why, "unknown message type %u", base);

	body_len = len - hlen;
	if (!is_reply) {
		size_t want = request_body_size(base);
		const char *batch;
		uint32_t max;

		if (h.error != 0)
			return fail(EBADMSG, why, "%s request carries error %d, expected 0", type_names[base],
				    h.error);
		if (batch_kind(base, &batch, &max))
			return check_batch_body((const uint8_t *)buf + hlen, body_len, batch,
						sizeof(struct spg_dp_session_add_batch_req),
						base == SPG_DP_SESSION_ADD_BATCH ? sizeof(struct spg_dp_session_params)
										 : sizeof(uint64_t),
						max, why);
		if (body_len != want)
			return fail(EBADMSG, why, "%s body is %zu bytes, expected %zu", type_names[base], body_len,
				    want);
		return 0;
	}
	if (h.error < 0)
		return fail(EBADMSG, why, "%s reply carries negative error %d", type_names[base], h.error);
	if (h.error > 0) {
		if (body_len != 0)
			return fail(EBADMSG, why, "%s error reply has a %zu-byte body, expected none",
				    type_names[base], body_len);
		return 0;
	}
	return check_reply_body((const uint8_t *)buf + hlen, body_len, base, why);
}

static int check_sa(const struct spg_dp_sa_keys *sa, const char *dir, uint8_t expected_key_len,
		    const char **why)
{
	uint32_t spi = ntohl(sa->spi);

	if (spi < 256)
		return fail(EINVAL, why, "SPI %s %u is reserved (must be >= 256)", dir, spi);
	if (sa->key_len != expected_key_len)
		return fail(EINVAL, why, "key %s is %u bytes, the cipher needs %u", dir, sa->key_len,
			    expected_key_len);
	return 0;
}

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

int spg_dp_session_params_check(const struct spg_dp_session_params *p, uint8_t expected_key_len,
				const char **why)
{
	unsigned int i;
	int err;

	if (p->id == 0)
		return fail(EINVAL, why, "session id 0 is reserved");
	if (p->virtual_addr == 0)
		return fail(EINVAL, why, "virtual address is 0.0.0.0");
	if (p->workstation_addr == 0)
		return fail(EINVAL, why, "workstation address is 0.0.0.0");
	if (p->peer_addr == 0)
		return fail(EINVAL, why, "peer address is 0.0.0.0");
	if (p->peer_port == 0)
		return fail(EINVAL, why, "peer port is 0");
	if (p->icmp_echo > 1)
		return fail(EINVAL, why, "icmp_echo is %u, expected 0 or 1", p->icmp_echo);
	err = check_sa(&p->sa_out, "out", expected_key_len, why);
	if (err == 0)
		err = check_sa(&p->sa_in, "in", expected_key_len, why);
	if (err != 0)
		return err;
	if (p->sa_out.spi == p->sa_in.spi)
		return fail(EINVAL, why, "SPI out and SPI in are both %u", ntohl(p->sa_in.spi));
	if (p->n_port_ranges > SPG_DP_MAX_PORT_RANGES)
		return fail(EINVAL, why, "%u port ranges, at most %u allowed", p->n_port_ranges,
			    SPG_DP_MAX_PORT_RANGES);
	for (i = 0; i < p->n_port_ranges; i++) {
		const struct spg_dp_port_range *r = &p->ports[i];

		if (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
			return fail(EINVAL, why, "port range %u: protocol %u is neither tcp nor udp", i,
				    r->proto);
		if (r->lo > r->hi)
			return fail(EINVAL, why, "port range %u: %s:%u-%u is empty (lo > hi)", i,
				    proto_name(r->proto), r->lo, r->hi);
	}
	return 0;
}

uint64_t spg_dp_id_mix(uint64_t id)
{
	/* splitmix64's finaliser: a bijection, so distinct ids never mix to the same value. */
	id += 0x9e3779b97f4a7c15ull;
	id = (id ^ (id >> 30)) * 0xbf58476d1ce4e5b9ull;
	id = (id ^ (id >> 27)) * 0x94d049bb133111ebull;
	return id ^ (id >> 31);
}

uint32_t spg_dp_ids_fold(uint64_t acc)
{
	return (uint32_t)(acc ^ (acc >> 32));
}
