#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Any gateway host answers any engineer (issue 14, item 4), with the real processes: ONE
# throw-away PostgreSQL (as test_store_pg.sh starts it) and TWO spgate-control processes on it,
# gateway.id gw-a and gw-b, in namespaces of their own (prefix spgf-, state in a mktemp
# directory, EAL file prefix spgate-fleet). Host A has the dataplane and the SP (CK3001, globex,
# approval policy "ask", at SP 1's address); host B runs without a dataplane (spgate-control
# waits for one, answering everything else): its own engineer API (port 8444), operators'
# socket, audit log and state directory, the same store.url.
#
#   the fleet        spgatectl gateways on either host lists both alive
#   the attack       bob cannot approve his own request through B; a NOTIFY forged straight
#                    into PostgreSQL does not release the session (A re-reads the store)
#   the approval     bob connects through A and waits; carol approves through B; bob's connect
#                    on A goes on within 5 s, ends active, his virtual address answers
#   fleet-wide       B's spgatectl sessions shows the session, owned by gw-a (OWNER column);
#                    search and the audit trail through B are the fleet's
#   the disconnect   bob disconnects through B: A tears the session down
#
# Each assertion prints PASS/FAIL; the last line is "N passed, N failed". Run as root, under
# flock /tmp/spgate-lock-fleet.
#
#   SPG_KEEP=1 tests/integration/test_fleet.sh    keep the state directory
#
# shellcheck disable=SC2016 # check "..." eval '...': evaluated when the check runs
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh and control.sh
SPG_NS=spgf- SPG_N_SP=1 SPG_CONTROL=1 SPG_NAT_SPS="" SPG_SERIALS=CK3001
SPG_TEST=fleet
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"

# shellcheck source=tools/lab/pg.sh
. "$SPG_REPO/tools/lab/pg.sh"
# its own directory: the state directory is root's alone (0700), the server runs as postgres
SPG_PG_DIR=$(mktemp -d /tmp/spgate-fleet-pg.XXXXXX)
B_DIR=$SPG_STATE/b # host B's state
B_PORT=8444
bg_pids=()

teardown() {
	local p
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	topo_stop control-b 10
	topo_destroy
	pg_destroy "$SPG_STATE/logs"
}
test_begin "$SPG_STATE" teardown \
	spgate-control-A "$SPG_STATE/logs/control.out" 40 spgate-control-B "$SPG_STATE/logs/control-b.out" 40 \
	postgresql "$SPG_STATE/logs/postgresql.log" 20

# host B: the operator's and the engineers' spgatectl (tokens of its own: B signs its own)
op_b() { "$(ctl_bin)" --operator --control-socket "$B_DIR/control.sock" "$@"; }
eng_b() {
	local user=$1
	shift
	eng_via "$B_DIR/tokens" "$SPG_MGMT:$B_PORT" "$user" "$@"
}
eng_b_login() {
	mkdir -p "$B_DIR/tokens"
	SPGATE_PASSWORD=$2 eng_b "$1" login --user "$1"
}
b_answers() {
	op_b whoami >/dev/null 2>&1 &&
		ip netns exec "$(topo_ns gw)" ss -Htln "sport = :$B_PORT" | grep -q .
}
# gateways_of CTL...: "ID STATE" of each gateway, sorted, on one line
gateways_of() {
	"$@" --json gateways 2>/dev/null |
		jv "' '.join(sorted('%s=%s' % (g['id'], g['state']) for g in (d.get('gateways', []) if isinstance(d, dict) else d)))"
}
# my_session_b: bob's active session to CK3001 as host B lists his own
my_session_b() {
	eng_b bob --json sessions 2>/dev/null |
		jv "[s['id'] for s in $SESSIONS if s['serial'] == 'CK3001' and s['state'] == 'active'][0]"
}
# gw_sessions_on_b ID: the live sessions gateway ID owns, as host B's spgatectl gateways says
gw_sessions_on_b() {
	op_b --json gateways 2>/dev/null |
		jv "[g['sessions'] for g in (d.get('gateways', []) if isinstance(d, dict) else d) if g['id'] == '$1'][0]"
}
# search_on_b USER: the serials USER's search for "CK" finds through host B
search_on_b() {
	eng_b "$1" --json search CK 2>/dev/null | jv "' '.join(sorted(s['serial'] for s in $SESSIONS))"
}
# approved_on_b ID: 1 when host B's audit (the store's) has the owner's session_approved for ID
approved_on_b() {
	op_b --json audit --limit 1000 2>/dev/null |
		jv "int(any(e['action'] == 'session_approved' and (lambda x: x if isinstance(x, dict) else json.loads(x or '{}'))(e.get('detail')).get('session') == $1 for e in (d.get('events', []) if isinstance(d, dict) else d)))"
}
# owner_on_b ID: the owner_gateway of session ID as host B lists it (operator, --all)
owner_on_b() {
	op_b --json sessions --all 2>/dev/null |
		jv "[s.get('owner_gateway', 'none') for s in $SESSIONS if int(s['id']) == $1][0]"
}

# ---- preflight ----

[ "$(id -u)" -eq 0 ] || abort "the fleet test runs as root (namespaces, af_packet)"
pg_available || abort "Debian's postgresql is installed (initdb, pg_ctl, psql, the postgres user)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent
need_tools freeradius nc openssl

# ---- two hosts on one PostgreSQL ----

section "two gateway hosts on one PostgreSQL"
pg_init || abort "initdb makes a throw-away cluster in $SPG_PG_DIR"
pg_start || abort "PostgreSQL starts on a Unix socket in $SPG_PG_DIR"
dp_config_make
topo_destroy >/dev/null 2>&1
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, 1 SP) is created"
pki_make "$SPG_PKI" "$SPG_MGMT" "CK3001=$(topo_sp_local 1)" >/dev/null ||
	abort "pki.sh makes the CA, certificates and vendor key"
control_radius_start || abort "FreeRADIUS starts in $(topo_ns gw)"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts in $(topo_ns gw)"
agents_start || abort "spgate-agent (CK3001) and the services start on the SP"
URL=$(pg_url)
control_config_make -e "\$a store: { url: \"$URL\" }" -e '$a gateway: { id: gw-a }' ||
	abort "host A's config (store.url on PostgreSQL, gateway.id gw-a) passes --check-config"
control_start 60 || abort "host A's spgate-control starts on PostgreSQL and answers on both APIs"
# the lab's inventory, with globex's CK3001 at SP 1's address (and acme's CK2001 at SP 4's)
sed -e "s/address: 203.0.113.14/address: SP4/" -e "s/address: $(topo_sp_local 1)/address: 203.0.113.14/" \
	-e "s/address: SP4/address: $(topo_sp_local 1)/" "$SPG_REPO/config/lab-inventory.yaml" >"$SPG_STATE/inventory.yaml"
out=$(control_import "$SPG_STATE/inventory.yaml" 2>&1)
check "the operator imports the inventory through host A" grep -q "systems" <<<"$out"
# host B: A's config with its own sockets, state, API port and gateway.id; no dataplane
mkdir -p "$B_DIR"
sed -e "s|$SPG_STATE/control.sock|$B_DIR/control.sock|" \
	-e "s|$SPG_STATE/audit.jsonl|$B_DIR/audit.jsonl|" \
	-e "s|^\([[:space:]]*database:\).*|\1 $B_DIR/unused.db|" \
	-e "s|^\([[:space:]]*state_dir:\).*|\1 $B_DIR/control|" \
	-e "s|^\([[:space:]]*dataplane_socket:\).*|\1 $B_DIR/no-dataplane.sock|" \
	-e "s|^\([[:space:]]*dir:\).*|\1 $B_DIR/recordings|" \
	-e "s|:$SPG_API_PORT|:$B_PORT|" -e "s|id: gw-a|id: gw-b|" "$SPG_STATE/control.yaml" >"$B_DIR/control.yaml"
"$(control_bin)" --check-config "$B_DIR/control.yaml" >"$SPG_STATE/logs/control-b-check.out" 2>&1 ||
	abort "host B's config (gw-b, port $B_PORT, no dataplane) passes --check-config"
topo_spawn control-b "$(topo_ns gw)" "$(control_bin)" --config "$B_DIR/control.yaml"
check "host B's spgate-control starts without a dataplane and answers on both APIs" wait_until 30 b_answers
check "spgatectl gateways on A: gw-a and gw-b alive" \
	wait_until 10 eval '[ "$(gateways_of op_ctl)" = "gw-a=alive gw-b=alive" ]'
check "spgatectl gateways on B: the same" eval '[ "$(gateways_of op_b)" = "gw-a=alive gw-b=alive" ]'
check "bob logs in on A" quiet eng_login bob bob-pw
check "bob logs in on B" quiet eng_b_login bob bob-pw
check "carol (approvers) logs in on B" quiet eng_b_login carol carol-pw

# ---- an approval given on B releases the session waiting on A ----

section "bob connects through A; the approval comes through B"
(eng bob --json connect CK3001 --wait --wait-timeout 60 >"$SPG_STATE/ask.json" 2>"$SPG_STATE/ask.err"
	echo $? >"$SPG_STATE/ask.rc") &
bg_pids+=("$!")
check "bob's connect to CK3001 (globex: ask) waits for approval on A" \
	wait_until 15 has_session bob CK3001 awaiting_approval
SID=$(my_session bob CK3001 awaiting_approval)
check "B lists the waiting session ${SID:-?} (fleet-wide), owned by gw-a" \
	eval '[ "$(owner_on_b "$SID")" = gw-a ]'
out=$(eng_b bob --json approve "$SID" 2>/dev/null)
check "bob cannot approve his own request through B either (error $(jv 'd.get("error")' <<<"$out"))" \
	[ "$(jv 'd.get("error")' <<<"$out")" = forbidden ]
check "a NOTIFY forged into PostgreSQL is sent" quiet psql_q "NOTIFY spgate_session, '$SID'"
sleep 3 # the hint reaches A at once; A re-reads the store and finds nothing decided
check "and does not release session $SID (still awaiting approval)" session_state_is bob "$SID" awaiting_approval
t0=$(date +%s%N)
check "carol approves session $SID through B" quiet eng_b carol approve "$SID"
check "A goes on with it within 5 s (no longer awaiting approval)" \
	wait_until 5 not session_state_is bob "$SID" awaiting_approval
# a number to report, not an assertion: from carol's call on B to A's state seen moved on
# (both spgatectl calls' TLS included; the check polls a few times a second)
echo "approval on B to the session moving on A: $((($(date +%s%N) - t0) / 1000000)) ms"
wait_until 40 rc_file_exists "$SPG_STATE/ask.rc"
state=$(jf "$SPG_STATE/ask.json" 'd["state"]')
check "bob's connect --wait on A ends active (exit $(cat "$SPG_STATE/ask.rc" 2>/dev/null), state ${state:-?})" \
	eval '[ "$(cat "$SPG_STATE/ask.rc" 2>/dev/null)" = 0 ] && [ "$state" = active ]'
V=$(jf "$SPG_STATE/ask.json" 'd["virtual_address"]')
check "and his virtual address ${V:-?} answers: sp1" wait_until 10 fetch_is "${V:-0.0.0.0}" 7000 sp1
check "A's audit trail has the approval acted on (session_approved by carol)" \
	wait_until 10 grep -q '"session_approved".*carol\|carol.*"session_approved"' "$SPG_STATE/audit.jsonl"

# ---- fleet-wide answers ----

section "any host answers"
check "B's spgatectl sessions (operator) shows session $SID active, owned by gw-a" \
	eval '[ "$(owner_on_b "$SID")" = gw-a ] && op_b sessions --all 2>/dev/null | grep -E "^ *$SID .*active.* gw-a *\$" >/dev/null'
check "B's table has the OWNER column" eval 'op_b sessions --all 2>/dev/null | head -n 1 | grep -q OWNER'
check "bob's own list on B has it too" eval '[ "$(my_session_b)" = "$SID" ]'
check "bob's search through B finds globex's CK3001 (got $(search_on_b bob))" eval '[ "$(search_on_b bob)" = CK3001 ]'
check "B's spgatectl audit (the shared store) has A's session_approved of session $SID" \
	eval '[ "$(approved_on_b "$SID")" = 1 ]'
check "spgatectl gateways on B: gw-a owns 1 session, gw-b none" \
	eval '[ "$(gw_sessions_on_b gw-a) $(gw_sessions_on_b gw-b)" = "1 0" ]'

# ---- a disconnect given on B ends the session on A ----

section "bob disconnects through B"
check "bob disconnects session $SID through B" quiet eng_b bob disconnect "$SID"
check "A tears it down: closed within 15 s" wait_until 15 session_state_is bob "$SID" closed
check "its virtual address no longer answers" wait_until 10 not fetch_is "${V:-0.0.0.0}" 7000 sp1
check "both spgate-control processes still run" eval 'control_alive && topo_pid_alive control-b'

