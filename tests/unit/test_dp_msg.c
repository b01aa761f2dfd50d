/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane control protocol's checks: the structure of every message type, and the
 * semantics of session parameters. The control socket's handler is in test_dp_ctl.c.
 */
#include <errno.h>

#include "dp_msg_fixture.h"
#include "unit.h"

static int check(size_t len, bool is_reply)
{
	const char *why = NULL;
	int rc = spg_dp_msg_check(msg, len, is_reply, &why);

	if (rc != 0)
		CU_ASSERT_PTR_NOT_NULL(why);
	return rc;
}

struct sized {
	uint16_t type;
	size_t body;
};

static const struct sized requests[] = {
	{SPG_DP_HELLO, sizeof(struct spg_dp_hello_req)},
	{SPG_DP_PING, 0},
	{SPG_DP_SESSION_ADD, sizeof(struct spg_dp_session_add_req)},
	{SPG_DP_SESSION_UPDATE, sizeof(struct spg_dp_session_update_req)},
	{SPG_DP_SESSION_DEL, sizeof(struct spg_dp_session_id_req)},
	{SPG_DP_SESSION_GET, sizeof(struct spg_dp_session_id_req)},
	{SPG_DP_SESSION_LIST, sizeof(struct spg_dp_session_list_req)},
	{SPG_DP_STATS, 0},
	{SPG_DP_DROPS, 0},
	{SPG_DP_SESSION_RECORD, sizeof(struct spg_dp_session_record_req)},
	{SPG_DP_SESSION_JOINERS, sizeof(struct spg_dp_session_joiners_req)},
	{SPG_DP_ADDRESS, sizeof(struct spg_dp_address_req)},
};

static const struct sized replies[] = {
	{SPG_DP_HELLO, sizeof(struct spg_dp_hello_rep)},
	{SPG_DP_PING, 0},
	{SPG_DP_SESSION_ADD, 0},
	{SPG_DP_SESSION_UPDATE, 0},
	{SPG_DP_SESSION_DEL, 0},
	{SPG_DP_SESSION_GET, sizeof(struct spg_dp_session_get_rep)},
	{SPG_DP_SESSION_LIST, sizeof(struct spg_dp_session_list_rep)}, /* zero entries */
	{SPG_DP_STATS, sizeof(struct spg_dp_stats_rep)},
	{SPG_DP_DROPS, sizeof(struct spg_dp_drops_rep)},
	{SPG_DP_SESSION_RECORD, sizeof(struct spg_dp_record_rep)},
	{SPG_DP_SESSION_JOINERS, 0},
	{SPG_DP_ADDRESS, 0}, /* ADD and DEL; LIST: address_list_reply_length_follows_its_count */
};

#define N_TYPES (sizeof(requests) / sizeof(requests[0]))

static void every_request_of_the_right_size_is_accepted(void)
{
	for (size_t i = 0; i < N_TYPES; i++)
		CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, requests[i].type, requests[i].body, 0), false), 0);
}

static void every_request_one_byte_short_or_long_is_ebadmsg(void)
{
	for (size_t i = 0; i < N_TYPES; i++) {
		if (requests[i].body > 0)
			CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, requests[i].type, requests[i].body - 1, 0), false), EBADMSG);
		CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, requests[i].type, requests[i].body + 1, 0), false), EBADMSG);
	}
}

static void every_reply_of_the_right_size_is_accepted(void)
{
	for (size_t i = 0; i < N_TYPES; i++)
		CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, replies[i].type | SPG_DP_REPLY, replies[i].body, 0), true), 0);
}

static void every_reply_one_byte_short_or_long_is_ebadmsg(void)
{
	for (size_t i = 0; i < N_TYPES; i++) {
		uint16_t t = replies[i].type | SPG_DP_REPLY;

		if (replies[i].body > 0)
			CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, t, replies[i].body - 1, 0), true), EBADMSG);
		/* A list reply one byte long is a partial entry. */
		CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, t, replies[i].body + 1, 0), true), EBADMSG);
	}
}

static void error_replies_have_no_body(void)
{
	for (size_t i = 0; i < N_TYPES; i++) {
		uint16_t t = replies[i].type | SPG_DP_REPLY;

		CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, t, 0, ENOENT), true), 0);
		CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, t, 8, ENOENT), true), EBADMSG);
	}
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_PING | SPG_DP_REPLY, 0, -1), true), EBADMSG);
}

/* A SESSION_LIST reply of body_len bytes whose head counts count entries: what the check says. */
static int check_list_reply(uint32_t count, size_t body_len)
{
	struct spg_dp_session_list_rep rep = {.count = count};
	size_t len = build(SPG_DP_API_VERSION, SPG_DP_SESSION_LIST | SPG_DP_REPLY, body_len, 0);

	memcpy(msg + HDR, &rep, sizeof(rep));
	return check(len, true);
}

static void list_reply_length_follows_its_count(void)
{
	const size_t head = sizeof(struct spg_dp_session_list_rep);
	const size_t entry = sizeof(struct spg_dp_session_info);

	CU_ASSERT_EQUAL(check_list_reply(3, head + 3 * entry), 0);
	CU_ASSERT_EQUAL(check_list_reply(3, head + 2 * entry), EBADMSG);

	CU_ASSERT_TRUE(HDR + head + SPG_DP_LIST_MAX_ENTRIES * entry <= SPG_DP_MSG_MAX);
	CU_ASSERT_EQUAL(check_list_reply(SPG_DP_LIST_MAX_ENTRIES, head + SPG_DP_LIST_MAX_ENTRIES * entry), 0);

	/* A count that would overflow the length arithmetic. */
	CU_ASSERT_EQUAL(check_list_reply(UINT32_MAX, head), EBADMSG);
}

/* An ADDRESS LIST reply of body_len bytes whose head counts count addresses: what the check says. */
static int check_address_list_reply(uint32_t count, size_t body_len)
{
	struct spg_dp_address_list_rep rep = {.count = count};
	size_t len = build(SPG_DP_API_VERSION, SPG_DP_ADDRESS | SPG_DP_REPLY, body_len, 0);

	memcpy(msg + HDR, &rep, sizeof(rep));
	return check(len, true);
}

static void address_list_reply_length_follows_its_count(void)
{
	const size_t head = sizeof(struct spg_dp_address_list_rep);
	const size_t entry = sizeof(struct spg_dp_address_entry);

	CU_ASSERT_EQUAL(check_address_list_reply(0, head), 0);
	CU_ASSERT_EQUAL(check_address_list_reply(2, head + 2 * entry), 0);
	CU_ASSERT_EQUAL(check_address_list_reply(2, head + entry), EBADMSG);
	CU_ASSERT_EQUAL(check_address_list_reply(2, head + 3 * entry), EBADMSG);
	CU_ASSERT_EQUAL(check_address_list_reply(0, head - 1), EBADMSG); /* a partial head */
	CU_ASSERT_EQUAL(check_address_list_reply(SPG_DP_ADDR_LIST_MAX, head + SPG_DP_ADDR_LIST_MAX * entry), 0);
	CU_ASSERT_EQUAL(check_address_list_reply(SPG_DP_ADDR_LIST_MAX + 1, head + (SPG_DP_ADDR_LIST_MAX + 1) * entry),
			EBADMSG);
	/* A count that would overflow the length arithmetic. */
	CU_ASSERT_EQUAL(check_address_list_reply(UINT32_MAX, head), EBADMSG);
}

/* A SESSION_ADD_BATCH request of body_len bytes whose head counts count sessions: what the
 * check says. */
static int check_add_batch_request(uint32_t count, size_t body_len)
{
	struct spg_dp_session_add_batch_req req = {.count = count};
	size_t len = build(SPG_DP_API_VERSION, SPG_DP_SESSION_ADD_BATCH, body_len, 0);

	memcpy(msg + HDR, &req, sizeof(req));
	return check(len, false);
}

static void add_batch_request_length_follows_its_count(void)
{
	const size_t head = sizeof(struct spg_dp_session_add_batch_req);
	const size_t entry = sizeof(struct spg_dp_session_params);

	CU_ASSERT_EQUAL(check_add_batch_request(3, head + 3 * entry), 0);
	CU_ASSERT_EQUAL(check_add_batch_request(3, head + 3 * entry - 1), EBADMSG);
	CU_ASSERT_EQUAL(check_add_batch_request(3, head + 4 * entry), EBADMSG);

	CU_ASSERT_TRUE(HDR + head + SPG_DP_ADD_BATCH_MAX * entry <= SPG_DP_MSG_MAX);
	CU_ASSERT_EQUAL(check_add_batch_request(SPG_DP_ADD_BATCH_MAX, head + SPG_DP_ADD_BATCH_MAX * entry), 0);

	/* empty, one too many, one that would overflow the length arithmetic, no head at all */
	CU_ASSERT_EQUAL(check_add_batch_request(0, head), EBADMSG);
	CU_ASSERT_EQUAL(check_add_batch_request(SPG_DP_ADD_BATCH_MAX + 1, head + (SPG_DP_ADD_BATCH_MAX + 1) * entry),
			EBADMSG);
	CU_ASSERT_EQUAL(check_add_batch_request(UINT32_MAX, head + entry), EBADMSG);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_SESSION_ADD_BATCH, head - 1, 0), false), EBADMSG);
}

/* The same for SESSION_DEL_BATCH, whose entries are 8-byte ids and whose limit is larger. */
static int check_del_batch_request(uint32_t count, size_t body_len)
{
	struct spg_dp_session_del_batch_req req = {.count = count};
	size_t len = build(SPG_DP_API_VERSION, SPG_DP_SESSION_DEL_BATCH, body_len, 0);

	memcpy(msg + HDR, &req, sizeof(req));
	return check(len, false);
}

static void del_batch_request_length_follows_its_count(void)
{
	const size_t head = sizeof(struct spg_dp_session_del_batch_req);
	const size_t entry = sizeof(uint64_t);

	CU_ASSERT_EQUAL(check_del_batch_request(3, head + 3 * entry), 0);
	CU_ASSERT_EQUAL(check_del_batch_request(3, head + 3 * entry - 1), EBADMSG);
	CU_ASSERT_EQUAL(check_del_batch_request(3, head + 4 * entry), EBADMSG);
	CU_ASSERT_TRUE(HDR + head + SPG_DP_DEL_BATCH_MAX * entry <= SPG_DP_MSG_MAX);
	CU_ASSERT_EQUAL(check_del_batch_request(SPG_DP_DEL_BATCH_MAX, head + SPG_DP_DEL_BATCH_MAX * entry), 0);
	/* the add batch's limit is not the del batch's: 65 ids are fine */
	CU_ASSERT_EQUAL(check_del_batch_request(SPG_DP_ADD_BATCH_MAX + 1, head + (SPG_DP_ADD_BATCH_MAX + 1) * entry), 0);
	CU_ASSERT_EQUAL(check_del_batch_request(0, head), EBADMSG);
	CU_ASSERT_EQUAL(check_del_batch_request(SPG_DP_DEL_BATCH_MAX + 1, head + (SPG_DP_DEL_BATCH_MAX + 1) * entry),
			EBADMSG);
	CU_ASSERT_EQUAL(check_del_batch_request(UINT32_MAX, head + entry), EBADMSG);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_SESSION_DEL_BATCH, head - 1, 0), false), EBADMSG);
}

static void del_batch_reply_must_count_its_failures(void)
{
	const size_t head = sizeof(struct spg_dp_session_add_batch_rep);
	struct spg_dp_session_add_batch_rep rep = {.count = 2, .n_failed = 1};
	int32_t errs[2] = {ENOENT, 0};
	size_t len;

	len = build(SPG_DP_API_VERSION, SPG_DP_SESSION_DEL_BATCH | SPG_DP_REPLY, head + sizeof(errs), 0);
	memcpy(msg + HDR, &rep, sizeof(rep));
	memcpy(msg + HDR + head, errs, sizeof(errs));
	CU_ASSERT_EQUAL(check(len, true), 0);
	rep.n_failed = 0; /* says none failed, the errors say one did */
	memcpy(msg + HDR, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(check(len, true), EBADMSG);
}

static void add_batch_reply_must_count_its_failures(void)
{
	const size_t head = sizeof(struct spg_dp_session_add_batch_rep);
	struct spg_dp_session_add_batch_rep rep = {.count = 2, .n_failed = 1};
	int32_t errs[2] = {0, EEXIST};
	size_t len;

	len = build(SPG_DP_API_VERSION, SPG_DP_SESSION_ADD_BATCH | SPG_DP_REPLY, head + sizeof(errs), 0);
	memcpy(msg + HDR, &rep, sizeof(rep));
	memcpy(msg + HDR + head, errs, sizeof(errs));
	CU_ASSERT_EQUAL(check(len, true), 0);
	rep.n_failed = 2;
	memcpy(msg + HDR, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(check(len, true), EBADMSG);
	rep.n_failed = 1;
	errs[1] = -EEXIST;
	memcpy(msg + HDR, &rep, sizeof(rep));
	memcpy(msg + HDR + head, errs, sizeof(errs));
	CU_ASSERT_EQUAL(check(len, true), EBADMSG);
	len = build(SPG_DP_API_VERSION, SPG_DP_SESSION_ADD_BATCH | SPG_DP_REPLY, head + sizeof(errs) - 1, 0);
	memcpy(msg + HDR, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(check(len, true), EBADMSG);
	/* an error reply to the whole message has no body, as every error reply */
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_SESSION_ADD_BATCH | SPG_DP_REPLY, 0, EBADMSG), true), 0);
}

static void drops_reply_with_too_many_reasons_is_ebadmsg(void)
{
	struct spg_dp_drops_rep rep = {.n_reasons = SPG_DP_MAX_DROP_REASONS};
	size_t len = build(SPG_DP_API_VERSION, SPG_DP_DROPS | SPG_DP_REPLY, sizeof(rep), 0);

	memcpy(msg + HDR, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(check(len, true), 0);
	rep.n_reasons++;
	memcpy(msg + HDR, &rep, sizeof(rep));
	CU_ASSERT_EQUAL(check(len, true), EBADMSG);
}

static void wrong_version_is_eproto(void)
{
	CU_ASSERT_EQUAL(check(build(0, SPG_DP_PING, 0, 0), false), EPROTO);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION + 1, SPG_DP_PING, 0, 0), false), EPROTO);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION + 1, SPG_DP_PING | SPG_DP_REPLY, 0, 0), true), EPROTO);
}

static void unknown_type_is_eopnotsupp(void)
{
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, 0, 0, 0), false), EOPNOTSUPP);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_MSG_TYPE_MAX, 0, 0), false), EOPNOTSUPP);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, 0x7fff, 0, 0), false), EOPNOTSUPP);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_MSG_TYPE_MAX | SPG_DP_REPLY, 0, 0), true), EOPNOTSUPP);
}

static void reply_bit_must_match_the_direction(void)
{
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_PING | SPG_DP_REPLY, 0, 0), false), EBADMSG);
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_PING, 0, 0), true), EBADMSG);
}

static void request_carrying_an_error_is_ebadmsg(void)
{
	CU_ASSERT_EQUAL(check(build(SPG_DP_API_VERSION, SPG_DP_PING, 0, EIO), false), EBADMSG);
}

static void lying_length_field_is_ebadmsg(void)
{
	size_t len = build(SPG_DP_API_VERSION, SPG_DP_SESSION_GET, sizeof(struct spg_dp_session_id_req), 0);

	set_len_field((uint32_t)len + 1);
	CU_ASSERT_EQUAL(check(len, false), EBADMSG);
	set_len_field((uint32_t)len - 1);
	CU_ASSERT_EQUAL(check(len, false), EBADMSG);
	set_len_field(0);
	CU_ASSERT_EQUAL(check(len, false), EBADMSG);
	/* Received fewer bytes than the header. */
	build(SPG_DP_API_VERSION, SPG_DP_PING, 0, 0);
	CU_ASSERT_EQUAL(check(0, false), EBADMSG);
	CU_ASSERT_EQUAL(check(HDR - 1, false), EBADMSG);
}

static void oversize_message_is_ebadmsg(void)
{
	size_t len = build(SPG_DP_API_VERSION, SPG_DP_PING, SPG_DP_MSG_MAX + 1 - HDR, 0);

	CU_ASSERT_EQUAL(len, SPG_DP_MSG_MAX + 1);
	CU_ASSERT_EQUAL(check(len, false), EBADMSG);
}

static void why_names_the_sizes(void)
{
	const size_t want = sizeof(struct spg_dp_session_add_req);
	const char *why = NULL;
	char expect[96];

	build(SPG_DP_API_VERSION, SPG_DP_SESSION_ADD, want - 8, 0);
	CU_ASSERT_EQUAL(spg_dp_msg_check(msg, HDR + want - 8, false, &why), EBADMSG);
	snprintf(expect, sizeof(expect), "SESSION_ADD body is %zu bytes, expected %zu", want - 8, want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(why);
	CU_ASSERT_STRING_EQUAL(why, expect);
}

static void type_names_name_types_and_replies(void)
{
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_SESSION_ADD), "SESSION_ADD");
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_DROPS | SPG_DP_REPLY), "DROPS reply");
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(0), "UNKNOWN");
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_SESSION_ADD_BATCH), "SESSION_ADD_BATCH");
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_SESSION_DEL_BATCH), "SESSION_DEL_BATCH");
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_SESSION_RECORD | SPG_DP_REPLY), "SESSION_RECORD reply");
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_SESSION_JOINERS), "SESSION_JOINERS");
	CU_ASSERT_EQUAL(SPG_DP_SESSION_JOINERS, 13); /* the wire value both join branches use */
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_ADDRESS | SPG_DP_REPLY), "ADDRESS reply");
	CU_ASSERT_EQUAL(SPG_DP_ADDRESS, 14); /* the wire value the failover branches use */
	CU_ASSERT_STRING_EQUAL(spg_dp_msg_type_name(SPG_DP_MSG_TYPE_MAX), "UNKNOWN");
}

/* Checks p as the dataplane does, for 16-byte keys; a refusal must say why. */
static int params_check(const struct spg_dp_session_params *p)
{
	const char *why = NULL;
	int rc = spg_dp_session_params_check(p, 16, &why);

	if (rc != 0)
		CU_ASSERT_PTR_NOT_NULL(why);
	return rc;
}

static void good_params_pass(void)
{
	struct spg_dp_session_params p = params(1);

	CU_ASSERT_EQUAL(params_check(&p), 0);
	p.n_port_ranges = SPG_DP_MAX_PORT_RANGES;
	for (unsigned int i = 0; i < SPG_DP_MAX_PORT_RANGES; i++)
		p.ports[i] = (struct spg_dp_port_range){.proto = IPPROTO_TCP, .lo = 1, .hi = 65535};
	CU_ASSERT_EQUAL(params_check(&p), 0);
	p.n_port_ranges = 0;
	CU_ASSERT_EQUAL(params_check(&p), 0);
}

static void zero_id_or_address_is_einval(void)
{
	struct spg_dp_session_params p;

	p = params(1), p.id = 0;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.virtual_addr = 0;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.workstation_addr = 0;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.peer_addr = 0;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
}

static void zero_peer_port_is_einval(void)
{
	struct spg_dp_session_params p = params(1);

	p.peer_port = 0;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
}

static void reserved_spi_is_einval(void)
{
	struct spg_dp_session_params p;

	p = params(1), p.sa_out.spi = htonl(255);
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.sa_in.spi = 0;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.sa_in.spi = htonl(256);
	CU_ASSERT_EQUAL(params_check(&p), 0);
}

static void equal_spis_are_einval(void)
{
	struct spg_dp_session_params p = params(1);

	p.sa_in.spi = p.sa_out.spi;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
}

static void wrong_key_length_is_einval(void)
{
	struct spg_dp_session_params p;
	const char *why;

	p = params(1), p.sa_out.key_len = 32;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.sa_in.key_len = 0;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1);
	CU_ASSERT_EQUAL(spg_dp_session_params_check(&p, 32, &why), EINVAL);
}

static void bad_port_ranges_are_einval(void)
{
	struct spg_dp_session_params p;

	p = params(1), p.ports[1].proto = IPPROTO_ICMP;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.ports[0].lo = 23;
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	p = params(1), p.n_port_ranges = SPG_DP_MAX_PORT_RANGES + 1;
	for (unsigned int i = 0; i < SPG_DP_MAX_PORT_RANGES; i++)
		p.ports[i] = (struct spg_dp_port_range){.proto = IPPROTO_TCP, .lo = 1, .hi = 2};
	CU_ASSERT_EQUAL(params_check(&p), EINVAL);
	/* Garbage past n_port_ranges is not looked at. */
	p = params(1), p.ports[5].proto = 99;
	CU_ASSERT_EQUAL(params_check(&p), 0);
}

int main(void)
{
	static const struct unit_case cases[] = {
		{"every_request_of_the_right_size_is_accepted", every_request_of_the_right_size_is_accepted},
		{"every_request_one_byte_short_or_long_is_ebadmsg", every_request_one_byte_short_or_long_is_ebadmsg},
		{"every_reply_of_the_right_size_is_accepted", every_reply_of_the_right_size_is_accepted},
		{"every_reply_one_byte_short_or_long_is_ebadmsg", every_reply_one_byte_short_or_long_is_ebadmsg},
		{"error_replies_have_no_body", error_replies_have_no_body},
		{"list_reply_length_follows_its_count", list_reply_length_follows_its_count},
		{"drops_reply_with_too_many_reasons_is_ebadmsg", drops_reply_with_too_many_reasons_is_ebadmsg},
		{"address_list_reply_length_follows_its_count", address_list_reply_length_follows_its_count},
		{"add_batch_request_length_follows_its_count", add_batch_request_length_follows_its_count},
		{"del_batch_request_length_follows_its_count", del_batch_request_length_follows_its_count},
		{"del_batch_reply_must_count_its_failures", del_batch_reply_must_count_its_failures},
		{"add_batch_reply_must_count_its_failures", add_batch_reply_must_count_its_failures},
		{"wrong_version_is_eproto", wrong_version_is_eproto},
		{"unknown_type_is_eopnotsupp", unknown_type_is_eopnotsupp},
		{"reply_bit_must_match_the_direction", reply_bit_must_match_the_direction},
		{"request_carrying_an_error_is_ebadmsg", request_carrying_an_error_is_ebadmsg},
		{"lying_length_field_is_ebadmsg", lying_length_field_is_ebadmsg},
		{"oversize_message_is_ebadmsg", oversize_message_is_ebadmsg},
		{"why_names_the_sizes", why_names_the_sizes},
		{"type_names_name_types_and_replies", type_names_name_types_and_replies},
		{"good_params_pass", good_params_pass},
		{"zero_id_or_address_is_einval", zero_id_or_address_is_einval},
		{"zero_peer_port_is_einval", zero_peer_port_is_einval},
		{"reserved_spi_is_einval", reserved_spi_is_einval},
		{"equal_spis_are_einval", equal_spis_are_einval},
		{"wrong_key_length_is_einval", wrong_key_length_is_einval},
		{"bad_port_ranges_are_einval", bad_port_ranges_are_einval},
		{NULL, NULL},
	};

	return unit_run("dp_msg", cases, NULL, NULL);
}
