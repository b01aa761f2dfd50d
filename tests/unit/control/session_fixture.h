/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared by the session lifecycle's tests (test_session_lifecycle, test_session_agent,
 * test_session_restore) and the recordings' (test_recording): a real store and audit trail,
 * a fake agent channel whose callbacks the test fires, a fake spgate-dp (a small table that
 * also records), a fake modem re-attach, and a fake clock (now_s) with the timers ticked by
 * hand.
 */
#ifndef SPG_SESSION_FIXTURE_H
#define SPG_SESSION_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ctl_test.h"
#include "session.h"

/* The fake clock's start, unix seconds. */
#define T0 1700000000

/* ---- a fake agent channel: the test fires its callbacks ---- */

struct sph_conn {
	const struct sph_events *ev;
	void *arg;
	bool attach;
	bool freed;
	uint32_t gw_spi;
	char agent[32];
	char close_reason[256];
	uint32_t rekey_spi;
};

#define MAX_CONNS 32
/* sp_open, sp_attach, sp_rekey and sp_close calls since world_up() */
extern int n_opens, n_attaches, n_rekeys, n_closes;
/* sp_open/sp_attach fail on the spot (connect refused) while set */
extern bool refuse_connect_at_once;
extern char last_sp_serial[64]; /* the serial the agent's certificate had to name */

/* The channel opened last. */
struct sph_conn *last_conn(void);
/* The agent answers the open (or attach) with its SPI sp_spi and keys. */
void agent_says_up(struct sph_conn *c, uint32_t sp_spi);
/* The agent refuses the open (or attach), saying reason. */
void agent_refuses(struct sph_conn *c, const char *reason);
/* The agent confirms a rekey: generation, its new SPI, new keys. */
void agent_rekeyed(struct sph_conn *c, uint32_t generation, uint32_t sp_spi);

/* ---- a fake spgate-dp: a small table ---- */

#define MAX_DP 16
struct fake_dp_entry {
	bool used;
	struct spg_dp_session_params p;
	uint64_t packets;
	uint32_t record_state; /* SPG_DP_RECORD_*, as SESSION_LIST reports it */
	int32_t record_error;
	uint32_t joiner_addr[SPG_DP_MAX_JOINERS]; /* SESSION_JOINERS, as SESSION_LIST reports it */
};
extern struct fake_dp_entry dp[MAX_DP];
extern bool dp_up; /* false: every call fails -ENOTCONN */
extern int n_dp_adds, n_dp_updates, n_dp_deletes, n_dp_stats;
extern const struct dpp_hello hello;

/* The index in dp of session id, or -1. */
int dp_find(uint64_t id);
/* spgate-dp's ADD and DELETE, for a test to change the table behind spgate-control's back. */
int fake_dp_add(void *a, const struct spg_dp_session_params *p);
int fake_dp_delete(void *a, uint64_t id);

/*
 * SESSION_RECORD as spgate-dp answers it: a start creates req->path (O_EXCL, 0600) holding a
 * stand-in for the pcapng with "MARKER-4711" in it; a stop reports 42 packets.
 */
extern int record_refuse; /* while set, a start answers -record_refuse */
extern char record_path[SPG_DP_RECORD_PATH_MAX];
extern char record_comment[SPG_DP_RECORD_COMMENT_MAX];
extern enum store_session_state state_at_record; /* the session's state when recording began */
extern int n_record_starts, n_record_stops;

/* SESSION_JOINERS: the entry's joiners replaced; while joiners_refuse is set, answers -joiners_refuse. */
extern int joiners_refuse;
extern int n_dp_joiners;
extern struct spg_dp_session_joiners_req last_joiners;

/* ---- the modem call a restart re-attaches to: what the session asked, answered by the test ---- */

extern struct line_events reattach_ev;
extern void *reattach_arg;
extern int n_reattaches, n_reattach_cancels;
extern uint64_t reattach_speed;

/* ---- the world of one test ---- */

extern char dir[64]; /* the test's temporary directory (recordings.dir is <dir>/rec) */
extern struct store *st;
extern struct audit *au;
extern struct ctl_config cfg;
extern struct session_mgr *mgr;
extern int64_t now_s; /* the fake clock */

/* A session manager on the world's store, fakes and clock (a restart makes a second one). */
struct session_mgr *new_mgr(void);
/* A fresh store with the sample inventory, audit trail, config, line and session managers. */
void world_up(void);
void world_down(void);
/* The world's event loop. */
struct event_base *world_base(void);
/* One pass of the event loop, without waiting. */
void run_loop(void);
enum store_session_state state_of(int64_t id);
const char *reason_of(int64_t id);
/* user (with one group) connects to serial; returns the session id, or -errno. */
int64_t connect_as(const char *user, const char *group, const char *serial, const char **code);
/* alice's session to CK2001, brought to active. */
int64_t active_session(void);
/* The agent confirms the disconnect asked for on channel c: the session ends now. */
void agent_closes(struct sph_conn *c);
/* Whether the audit trail has an event with this action. */
bool audited(const char *action);
bool line_is(const char *id, enum store_line_state want);

/* Runs the cases as suite name, with the grant signing key made for them. */
int session_test_run(const char *name, const struct ctl_test_case *cases);

#endif
