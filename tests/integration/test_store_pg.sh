#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# spgate-control on PostgreSQL (issue 14, item 1) with the real processes: the system of
# tools/lab with one SP in namespaces of its own (prefix spgq-, state in a mktemp directory,
# EAL file prefix spgate-storepg), its store a throw-away PostgreSQL cluster this script starts
# (Debian's postgresql, as the postgres user, on a Unix socket in a directory of its own only).
#
#   the store       spgate-control starts on store.url, migrates, imports, serves a session;
#                   spgatectl gateways lists this host alive, owning the session
#   the outage      PostgreSQL stopped under a live session: the session's traffic goes on,
#                   every request is answered "store_unavailable"; PostgreSQL started again:
#                   spgate-control reconnects by itself, the session is still active, and
#                   requests work
#   the boot        spgate-control started while PostgreSQL is down waits for it (logs it,
#                   keeps running) and comes up by itself once it is there
#
# Each assertion prints PASS/FAIL; the last line is "N passed, N failed". Run as root, under
# flock /tmp/spgate-lock-storepg.
#
#   SPG_KEEP=1 tests/integration/test_store_pg.sh    keep the state directory
#
# shellcheck disable=SC2016 # check "..." eval '...': evaluated when the check runs
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh and control.sh
SPG_NS=spgq- SPG_N_SP=1 SPG_CONTROL=1 SPG_NAT_SPS=""
SPG_TEST=storepg
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"

# shellcheck source=tools/lab/pg.sh
. "$SPG_REPO/tools/lab/pg.sh"
# its own directory: the state directory is root's alone (0700), the server runs as postgres
SPG_PG_DIR=$(mktemp -d /tmp/spgate-storepg-pg.XXXXXX)

teardown() {
	topo_destroy
	pg_destroy "$SPG_STATE/logs"
}
test_begin "$SPG_STATE" teardown \
	spgate-control "$SPG_STATE/logs/control.out" 40 postgresql "$SPG_STATE/logs/postgresql.log" 20

# error_of: the error code of a refused call's JSON
error_of() { jv 'd.get("error", "none")'; }
# gateway_field EXPR: of `spgatectl gateways`' first row g
gateway_field() {
	op_ctl --json gateways 2>/dev/null |
		jv "(lambda g: $1)((d.get('gateways', []) if isinstance(d, dict) else d)[0])"
}
# "ID STATE SELF SESSIONS" of the first gateway
gateway_row() { gateway_field "'%s %s %s %s' % (g['id'], g['state'], g['self'], g['sessions'])"; }
gateway_state() { gateway_field "g['state']"; }

# ---- preflight ----

[ "$(id -u)" -eq 0 ] || abort "the PostgreSQL store test runs as root (namespaces, af_packet)"
pg_available || abort "Debian's postgresql is installed (initdb, pg_ctl, the postgres user)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent
need_tools freeradius nc openssl

# ---- the system, its store on PostgreSQL ----

section "bringing up the system on PostgreSQL"
pg_init || abort "initdb makes a throw-away cluster in $SPG_PG_DIR"
pg_start || abort "PostgreSQL starts on a Unix socket in $SPG_PG_DIR"
dp_config_make
topo_destroy >/dev/null 2>&1
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, 1 SP) is created"
pki_make "$SPG_PKI" "$SPG_MGMT" "CK2001=$(topo_sp_local 1)" >/dev/null ||
	abort "pki.sh makes the CA, certificates and vendor key"
control_radius_start || abort "FreeRADIUS starts in $(topo_ns gw)"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts in $(topo_ns gw)"
agents_start || abort "spgate-agent and the services start on the SP"
control_config_make -e "\$a store: { url: \"$(pg_url)\" }" \
	-e '$a gateway: { id: gw-q }' ||
	abort "the control plane's config with store.url (PostgreSQL) and gateway.id passes --check-config"
control_start 60 || abort "spgate-control starts on PostgreSQL and answers on both APIs"
out=$(control_import "$SPG_REPO/config/lab-inventory.yaml" 2>&1)
check "the operator imports config/lab-inventory.yaml into PostgreSQL" grep -q "systems" <<<"$out"
check "the schema is in PostgreSQL, not in a SQLite file" \
	eval '[ ! -e "$SPG_STATE/spgate.db" ] && psql_q "SELECT count(*) FROM systems" | grep -qx "[1-9][0-9]*"'
check "alice logs in" quiet eng_login alice alice-pw
out=$(eng alice --json connect CK2001 --wait --wait-timeout 60 2>/dev/null)
V=$(jv 'd["virtual_address"]' <<<"$out")
SID=$(jv 'd["id"]' <<<"$out")
check "alice's connect CK2001 ends active (session ${SID:-?}, virtual ${V:-?})" \
	[ "$(jv 'd["state"]' <<<"$out")" = active ]
check "traffic flows: $V:7000 answers sp1" wait_until 10 fetch_is "$V" 7000 sp1
check "spgatectl gateways: gw-q alive, this host, owning 1 session" \
	eval '[ "$(gateway_row)" = "gw-q alive True 1" ]'

# ---- PostgreSQL goes away ----

section "PostgreSQL stopped under a live session"
pg_stop
check "PostgreSQL is stopped" not pg_ready
check "an operator's request is answered store_unavailable" \
	eval '[ "$(op_ctl --json lines 2>/dev/null | error_of)" = store_unavailable ]'
check "an engineer's request is answered store_unavailable" \
	eval '[ "$(eng alice --json sessions 2>/dev/null | error_of)" = store_unavailable ]'
check "the session's traffic goes on: $V:7000 still answers sp1" fetch_is "$V" 7000 sp1
sleep 5 # renewals, counters and timers fail meanwhile
check "five seconds on, it still does" fetch_is "$V" 7000 sp1
check "spgate-control is still running" control_alive
check "spgate-control says the store is unreachable" grep -q "store (postgresql) is unreachable" "$SPG_STATE/logs/control.out"

section "PostgreSQL back"
pg_start || abort "PostgreSQL starts again"
check "spgate-control reconnects by itself (within 40 s)" wait_until 40 quiet op_ctl lines
check "and says so" grep -q "store (postgresql) is back" "$SPG_STATE/logs/control.out"
check "session $SID is still active" session_state_is alice "$SID" active
check "traffic still flows" fetch_is "$V" 7000 sp1
check "gw-q is alive again in spgatectl gateways" wait_until 10 eval '[ "$(gateway_state)" = alive ]'
check "alice disconnects" quiet eng alice disconnect "$SID"
check "the session ends closed" wait_until 15 session_state_is alice "$SID" closed

# ---- a start while PostgreSQL is away (a gateway host booting before its store) ----

section "spgate-control started while PostgreSQL is down"
control_stop
pg_stop
check "PostgreSQL is stopped" not pg_ready
# not control_start: it waits for the APIs, which come only with the store
topo_spawn control "$(topo_ns gw)" "$(control_bin)" --config "$SPG_STATE/control.yaml"
check "spgate-control waits for the store instead of exiting (says so, still running)" \
	wait_until 10 eval 'grep -q "waiting for the store" "$SPG_STATE/logs/control.out" && control_alive'
sleep 3
check "three seconds on it still waits (alive, not answering)" eval 'control_alive && ! control_answers'
pg_start || abort "PostgreSQL starts"
check "spgate-control comes up once the store is there (within 40 s)" \
	wait_until 40 eval 'control_answers && control_api_listens'
check "gw-q is alive in spgatectl gateways" wait_until 10 eval '[ "$(gateway_state)" = alive ]'
