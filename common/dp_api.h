/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane control protocol: typed, versioned, size-checked messages between spgate-dp
 * and its clients (spgatectl, spgate-control) over a SOCK_SEQPACKET Unix socket, one message
 * per datagram. Every request is answered by exactly one reply carrying the request's seq
 * and an errno (0 on success).
 *
 * Byte order: addresses and SPIs are in network byte order (as they sit in packets);
 * everything else (ports, lengths, counters, ids) is in host byte order, because both ends
 * always run on the same host.
 */
#ifndef SPG_DP_API_H
#define SPG_DP_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 2: ADDRESS (issue 14), session params' and infos' outer_src, HELLO's vendor_addr */
#define SPG_DP_API_VERSION 2
#define SPG_DP_SOCKET_DEFAULT "/run/spgate/dp.sock"
/* Largest datagram either side sends or accepts; larger ones are refused. */
#define SPG_DP_MSG_MAX 65536

#define SPG_DP_MAX_PORT_RANGES 8
#define SPG_DP_KEY_MAX 32
#define SPG_DP_SALT_LEN 4
#define SPG_DP_NAME_LEN 32

enum spg_dp_msg_type {
	SPG_DP_HELLO = 1,
	SPG_DP_PING,
	SPG_DP_SESSION_ADD,
	SPG_DP_SESSION_UPDATE,
	SPG_DP_SESSION_DEL,
	SPG_DP_SESSION_GET,
	SPG_DP_SESSION_LIST,
	SPG_DP_STATS,
	SPG_DP_DROPS,
	SPG_DP_SESSION_ADD_BATCH, /* since spgate 0.1: older dataplanes answer EOPNOTSUPP */
	SPG_DP_SESSION_DEL_BATCH, /* likewise */
	SPG_DP_SESSION_RECORD,    /* issue 15: older dataplanes answer EOPNOTSUPP */
	SPG_DP_SESSION_JOINERS,   /* issue 15 (join): 13; older dataplanes answer EOPNOTSUPP */
	SPG_DP_ADDRESS,           /* issue 14 (failover): 14; older dataplanes answer EOPNOTSUPP */
	SPG_DP_MSG_TYPE_MAX
};

/* A reply has the request's type with this bit set. */
#define SPG_DP_REPLY 0x8000u

struct spg_dp_hdr {
	uint16_t version; /* SPG_DP_API_VERSION */
	uint16_t type;    /* enum spg_dp_msg_type, | SPG_DP_REPLY in replies */
	uint32_t len;     /* whole message, header included */
	uint32_t seq;     /* chosen by the client, echoed in the reply */
	int32_t error;    /* replies: 0 or a positive errno; requests: 0 */
};

/* ---- building blocks ---- */

struct spg_dp_port_range {
	uint8_t proto; /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t pad[3];
	uint16_t lo; /* inclusive, host order */
	uint16_t hi; /* inclusive, host order */
};

/* A token bucket; bytes_per_sec == 0 means unlimited. */
struct spg_dp_rate {
	uint64_t bytes_per_sec;
	uint64_t burst_bytes;
};

/* One direction's ESP SA. AES-GCM: key (16 or 32 bytes) plus the 4-byte salt (RFC 4106). */
struct spg_dp_sa_keys {
	uint32_t spi; /* network order, nonzero, >= 256 (RFC 4303 reserves 1..255) */
	uint8_t key_len; /* must match the cipher spgate-dp is configured with */
	uint8_t pad[3];
	uint8_t key[SPG_DP_KEY_MAX];
	uint8_t salt[SPG_DP_SALT_LEN];
};

struct spg_dp_session_params {
	uint64_t id;               /* chosen by the caller; nonzero, unique */
	uint32_t virtual_addr;     /* V_i: must lie in the configured virtual pool */
	uint32_t workstation_addr; /* W: the only vendor-side source allowed to use V_i */
	uint32_t peer_addr;        /* E_i: the SP site's outer address */
	uint16_t peer_port;        /* E_i: the SP site's outer UDP port (host order) */
	uint8_t icmp_echo;         /* 1: echo request/reply to the SP allowed */
	uint8_t n_port_ranges;
	struct spg_dp_port_range ports[SPG_DP_MAX_PORT_RANGES];
	struct spg_dp_rate rate_out; /* vendor -> SP */
	struct spg_dp_rate rate_in;  /* SP -> vendor */
	struct spg_dp_sa_keys sa_out; /* we encrypt with it */
	struct spg_dp_sa_keys sa_in;  /* we decrypt with it */
	/* The outer source of the session's ESP (network order): an active address of the SP
	 * port (its primary G_out or one ADDRESS added), 0 = the SP port's primary. Else
	 * EADDRNOTAVAIL. Fixed for the session's life: UPDATE refuses another one (EINVAL). */
	uint32_t outer_src;
	uint32_t pad_src;
};

/* ---- requests and replies (bodies follow struct spg_dp_hdr) ---- */

struct spg_dp_hello_req {
	uint32_t client_version;
	uint32_t pad;
	char client_name[SPG_DP_NAME_LEN];
};

struct spg_dp_hello_rep {
	uint32_t api_version;
	uint32_t max_sessions;
	uint32_t n_sessions;
	uint32_t n_workers;
	uint8_t key_len; /* the cipher's key length: 16 (aes-128-gcm) or 32 (aes-256-gcm) */
	uint8_t pad[7];
	uint32_t shared_addr;    /* S */
	uint32_t inner_addr;     /* G_in */
	uint32_t pool_addr;      /* virtual pool network */
	uint32_t pool_prefix_len;
	uint32_t outer_addr;   /* G_out: the SP port's address, source of the tunnels */
	uint16_t esp_udp_port; /* host order */
	uint16_t sp_mtu;       /* the SP link's MTU */
	char version[SPG_DP_NAME_LEN];
	uint32_t vendor_addr; /* the vendor port's configured address */
	uint32_t pad_v;
};

struct spg_dp_session_add_req {
	struct spg_dp_session_params p;
};

/*
 * SESSION_ADD_BATCH: count (1 .. SPG_DP_ADD_BATCH_MAX) sessions in one datagram, each added
 * exactly as by SESSION_ADD, in order; the body is this head and count params. The reply
 * (header error 0 once the message itself was well formed) carries count errnos, one per
 * session in the request's order. A dataplane older than the message answers EOPNOTSUPP in
 * the header: send single SESSION_ADDs then.
 */
#define SPG_DP_ADD_BATCH_MAX 64

struct spg_dp_session_add_batch_req {
	uint32_t count;
	uint32_t pad;
	struct spg_dp_session_params p[];
};

struct spg_dp_session_add_batch_rep {
	uint32_t count;    /* as in the request */
	uint32_t n_failed; /* how many error[] are not 0 */
	int32_t error[];   /* 0 or a positive errno, as a SESSION_ADD reply's header would say */
};

/*
 * SESSION_DEL_BATCH: count (1 .. SPG_DP_DEL_BATCH_MAX) session ids, each deleted exactly as by
 * SESSION_DEL, in order. The reply has struct spg_dp_session_add_batch_rep's layout: count
 * errnos (ENOENT: no such session), one per id in the request's order.
 */
#define SPG_DP_DEL_BATCH_MAX 1024

struct spg_dp_session_del_batch_req {
	uint32_t count;
	uint32_t pad;
	uint64_t id[];
};

#define SPG_DP_RECORD_PATH_MAX 256
#define SPG_DP_RECORD_COMMENT_MAX 1024

/*
 * SESSION_RECORD: start (on = 1) or stop (on = 0) recording session id's packets. Start:
 * spgate-dp creates path (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600; errno in the header when it
 * cannot: EEXIST, EACCES, ENOENT, ...; ENOENT also for no such session; EBUSY when already
 * recording) and writes a pcapng section header whose comment is `comment` (the session's
 * metadata as "key: value" lines, written by spgate-control), then records: outbound after
 * the port filter and before NAT, inbound after decryption and the checks — the inner IPv4
 * packets the engineer and the SP really exchanged. Stop: flushes, closes and answers with the
 * final counters. SESSION_DEL stops a recording too (the file is closed, complete as far as it
 * got). Both replies carry struct spg_dp_record_rep.
 */
struct spg_dp_session_record_req {
	uint64_t id;
	uint8_t on;
	uint8_t pad[7];
	char path[SPG_DP_RECORD_PATH_MAX];       /* NUL-terminated, absolute; start only */
	char comment[SPG_DP_RECORD_COMMENT_MAX]; /* NUL-terminated UTF-8; start only */
};

enum spg_dp_record_state {
	SPG_DP_RECORD_OFF = 0,    /* not recording */
	SPG_DP_RECORD_ON = 1,     /* recording, nothing lost */
	SPG_DP_RECORD_LOSSY = 2,  /* recording, but copies were dropped (ring or pool full) */
	SPG_DP_RECORD_FAILED = 3, /* the file could not be written (error says why); stopped */
};

struct spg_dp_record_rep {
	uint64_t id;
	uint32_t state;     /* enum spg_dp_record_state */
	int32_t error;      /* FAILED: the write's errno; else 0 */
	uint64_t packets;   /* written to the file */
	uint64_t bytes;     /* of those packets */
	uint64_t dropped;   /* copies dropped (full ring/pool) or not written */
};

#define SPG_DP_MAX_JOINERS 3

/*
 * SESSION_JOINERS: replace session id's set of joiner workstations. joiner_addr[j-1] (network
 * order) is the workstation W_j of slot j, 0 for an empty slot; slots keep their index (removing
 * slot 2's joiner leaves slots 1 and 3 alone). Errors in the header: ENOENT no such session;
 * EINVAL an address that is the holder's workstation, another slot's, inside the virtual pool,
 * G_in .. G_in+3, S, or 0.0.0.0/8, 127/8, multicast, broadcast. A joiner set to 0 is cut off at
 * once (its next packet is dropped as wrong_source, its SP's replies to G_in + j as
 * unknown_joiner). Reply: header only.
 *
 * A joined session keeps ONE virtual address V_i: the joiner's workstation reaches the SP at
 * the same V_i as the holder; towards the SP the joiner in slot j leaves with inner source
 * G_in + j (the holder with G_in), so the SP and the recording see who sent what.
 */
struct spg_dp_session_joiners_req {
	uint64_t id;
	uint32_t joiner_addr[SPG_DP_MAX_JOINERS];
	uint32_t pad;
};

enum spg_dp_update_what {
	SPG_DP_UPD_ENDPOINT = 1u << 0, /* peer_addr, peer_port */
	SPG_DP_UPD_RATE = 1u << 1,     /* rate_out, rate_in */
	SPG_DP_UPD_KEYS = 1u << 2,     /* sa_out, sa_in (rekey: new SPIs and keys) */
	SPG_DP_UPD_PORTS = 1u << 3,    /* icmp_echo, n_port_ranges, ports */
	SPG_DP_UPD_ALL = 0xfu,
};

struct spg_dp_session_update_req {
	uint32_t what; /* enum spg_dp_update_what bits; fields not named are ignored */
	uint32_t pad;
	struct spg_dp_session_params p; /* p.id names the session */
};

struct spg_dp_session_id_req { /* SESSION_DEL and SESSION_GET */
	uint64_t id;
};

struct spg_dp_dir_counters {
	uint64_t packets;
	uint64_t bytes;
	uint64_t drops;
};

/* What a session looks like from outside: never contains keys. */
struct spg_dp_session_info {
	uint64_t id;
	uint32_t virtual_addr;
	uint32_t workstation_addr;
	uint32_t peer_addr;
	uint16_t peer_port;
	uint8_t icmp_echo;
	uint8_t n_port_ranges;
	struct spg_dp_port_range ports[SPG_DP_MAX_PORT_RANGES];
	struct spg_dp_rate rate_out;
	struct spg_dp_rate rate_in;
	uint32_t spi_out;
	uint32_t spi_in;
	uint64_t age_ms; /* since the session was added */
	struct spg_dp_dir_counters out; /* vendor -> SP */
	struct spg_dp_dir_counters in;  /* SP -> vendor */
	/* The session's recording (SESSION_RECORD), so that reconciliation sees one that failed
	 * mid-session. */
	uint32_t record_state; /* enum spg_dp_record_state */
	int32_t record_error;
	uint64_t record_packets;
	uint64_t record_dropped;
	uint32_t joiner_addr[SPG_DP_MAX_JOINERS]; /* 0 = empty slot */
	uint32_t joiner_pad;
	uint32_t outer_src; /* the session's ESP source address (never 0: the primary is named) */
	uint32_t pad_src;
};

struct spg_dp_session_get_rep {
	struct spg_dp_session_info s;
};

struct spg_dp_session_list_req {
	uint32_t cursor; /* 0 to start; then the reply's next_cursor */
	uint32_t max;    /* at most this many entries (0: as many as fit) */
};

struct spg_dp_session_list_rep {
	uint32_t count;       /* entries in this reply */
	uint32_t next_cursor; /* pass back to continue */
	uint32_t total;       /* sessions in the table */
	uint32_t done;        /* 1 when the iteration is complete */
	struct spg_dp_session_info entries[];
};

#define SPG_DP_LIST_MAX_ENTRIES                                                            \
	((SPG_DP_MSG_MAX - sizeof(struct spg_dp_hdr) - sizeof(struct spg_dp_session_list_rep)) / \
	 sizeof(struct spg_dp_session_info))

enum spg_dp_port_index { SPG_DP_PORT_VENDOR = 0, SPG_DP_PORT_SP = 1, SPG_DP_N_PORTS = 2 };

/*
 * ADDRESS (issue 14, failover): the addresses a port owns besides, or instead of, its
 * configured (primary) one, the way VRRP moves an address to a surviving host.
 *  - ADD (port, addr): the port owns addr from now on: answers ARP for it with its MAC, accepts
 *    ESP (SP port) and ping to it, and announces it at once with gratuitous ARP (an ARP request
 *    sip = tip = addr to broadcast; sent 3 times, now and twice more 0.5 s apart). Adding an
 *    address held already answers 0 and announces again. ADD of the port's primary address
 *    ends its silence (DEL below) and announces it. ENOSPC: SPG_DP_PORT_ADDRS_MAX extra
 *    addresses held already. EINVAL: not a unicast host address (0.0.0.0/8, 127/8, multicast,
 *    255.255.255.255, the port subnet's network or broadcast address), the other port's
 *    address, or (vendor port) inside the virtual pool, S, or G_in .. G_in+3.
 *  - DEL (port, addr): an extra address is no longer owned (no ARP replies, ESP to it dropped
 *    as not_for_us). DEL of the primary silences it ("standby": another host of the fleet
 *    holds it): no ARP replies, no gratuitous ARP for it, and the port's own ARP requests use
 *    sender address 0.0.0.0 (an RFC 5227 probe, which overwrites no cache) unless it holds an
 *    extra address, which they then use. EBUSY: a session's outer_src is that address (delete
 *    the sessions first); ENOENT: not held (or the primary silenced already).
 *  - LIST: every address of both ports, the primaries included, in struct
 *    spg_dp_address_list_rep (ADD and DEL: header only).
 * EINVAL also for an unknown op or port.
 */
#define SPG_DP_PORT_ADDRS_MAX 16
#define SPG_DP_ADDR_LIST_MAX (SPG_DP_N_PORTS * (1 + SPG_DP_PORT_ADDRS_MAX))

enum spg_dp_address_op { SPG_DP_ADDR_ADD = 1, SPG_DP_ADDR_DEL = 2, SPG_DP_ADDR_LIST = 3 };

struct spg_dp_address_req {
	uint8_t op;   /* enum spg_dp_address_op */
	uint8_t port; /* enum spg_dp_port_index; LIST: ignored */
	uint8_t pad[2];
	uint32_t addr; /* network order; LIST: ignored */
};

struct spg_dp_address_entry {
	uint8_t port;    /* enum spg_dp_port_index */
	uint8_t primary; /* 1: the port's configured address */
	uint8_t active;  /* 0: a silenced primary (extra addresses are always active) */
	uint8_t pad;
	uint32_t addr; /* network order */
};

struct spg_dp_address_list_rep {
	uint32_t count; /* entries, at most SPG_DP_ADDR_LIST_MAX */
	uint32_t pad;
	struct spg_dp_address_entry e[];
};

struct spg_dp_port_stats {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t rx_missed; /* NIC/PMD could not keep up */
	uint64_t tx_errors;
};

struct spg_dp_stats_rep {
	uint64_t uptime_ms;
	uint32_t n_sessions;
	uint32_t max_sessions;
	uint32_t n_workers;
	/* spg_dp_ids_hash of the sessions' ids: with n_sessions, lets a client check that spgate-dp
	 * holds the sessions it expects without listing them (0 from dataplanes before 0.2, and
	 * for an empty table) */
	uint32_t ids_hash;
	struct spg_dp_port_stats ports[SPG_DP_N_PORTS];
	struct spg_dp_dir_counters out; /* all sessions, vendor -> SP, forwarded */
	struct spg_dp_dir_counters in;  /* all sessions, SP -> vendor, forwarded */
	uint64_t drops_total;
	/* The recorder (issue 15), over all recordings since start */
	uint64_t rec_written;    /* packets written to recording files */
	uint64_t rec_dropped;    /* copies dropped: ring or pool full, or not written */
	uint32_t rec_files_open; /* recordings in progress */
	uint32_t rec_pad;
};

struct spg_dp_drop_count {
	char name[SPG_DP_NAME_LEN];
	uint64_t count;
};

#define SPG_DP_MAX_DROP_REASONS 64

struct spg_dp_drops_rep {
	uint32_t n_reasons;
	uint32_t pad;
	struct spg_dp_drop_count reasons[SPG_DP_MAX_DROP_REASONS];
};

/*
 * Structural check of a received message of len bytes: header version, known type, declared
 * length equal to the received length and to what the type requires. Returns 0, or an errno
 * (EPROTO bad version, EBADMSG bad length, EOPNOTSUPP unknown type) with *why set to a
 * sentence naming the problem.
 */
int spg_dp_msg_check(const void *buf, size_t len, bool is_reply, const char **why);

/*
 * Semantic check of session parameters: nonzero id and addresses, SPIs >= 256 and distinct,
 * key_len == expected_key_len, port ranges well formed (tcp/udp, lo <= hi, at most
 * SPG_DP_MAX_PORT_RANGES), nonzero peer port. Returns 0 or EINVAL with *why set.
 */
int spg_dp_session_params_check(const struct spg_dp_session_params *p, uint8_t expected_key_len,
				const char **why);

const char *spg_dp_msg_type_name(uint16_t type);

/*
 * The summary of a set of session ids that STATS reports: the XOR of a 64-bit mix of each id,
 * folded to 32 bits. Order-free and updated in O(1) by XORing an id in (add) or out (delete):
 * acc ^= spg_dp_id_mix(id), then spg_dp_ids_fold(acc). Mixing makes ids that cancel out (1^2^3)
 * as unlikely as any other collision (2^-32 per differing set).
 */
uint64_t spg_dp_id_mix(uint64_t id);
uint32_t spg_dp_ids_fold(uint64_t acc);

#endif
