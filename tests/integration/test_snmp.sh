#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SNMP reporting end to end (DESIGN §4, seed step 337): the system of tools/lab in namespaces
# of its own (prefix spgs-, state in a mktemp directory, so it runs beside the lab and the
# other tests), with a real snmpd as AgentX master and a real snmptrapd as the manager, both
# in the gateway namespace on loopback (tools/lab/snmp.sh). spgate-control sends every
# notification to two managers, one v2c and one v3 authPriv (the same snmptrapd), so each
# event must be logged twice.
#
#   spgs-ws   workstation 198.51.100.10 (alice runs spgatectl here)
#   spgs-gw   spgate-dp, spgate-control (+ subagent), FreeRADIUS, snmpd, snmptrapd
#   spgs-wan  the SP network; spgs-sp1, spgs-sp2: CK2001 and CK2002 with spgate-agent
#
# It checks: the session table row against spgatectl, its counters against spgate-dp's after
# traffic, the line table and the dataplane counters; spgSessionUp (line id, SP address,
# speed, session id, serial), spgSessionDown with the reason, spgAuthFailure for a wrong
# password and spgDialFailure for an SP whose agent is down; that the subagent registers
# again after snmpd restarts, within agentx_ping * 3 seconds; and that a session whose agent
# is killed shows degraded(11), with spgSessionDegraded, within a few seconds.
#
# Each assertion prints PASS/FAIL; the last line is "N passed, N failed". Run as root.
#
#   SPG_KEEP=1 tests/integration/test_snmp.sh    keep the state directory (logs, traps.log)
#   SPG_BUILD=DIR                                 spgate-control, spgatectl, agent from DIR
#
# shellcheck disable=SC2016 # check "..." eval '...': evaluated when the check runs
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh, control.sh and snmp.sh
SPG_NS=spgs- SPG_N_SP=2 SPG_CONTROL=1 SPG_NAT_SPS="" SPG_SNMP=1
AGENTX_PING=2 # config/lab-control.yaml's snmp.agentx_ping
SPG_TEST=snmp
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"
# shellcheck source=tools/lab/snmp.sh
. "$SPG_REPO/tools/lab/snmp.sh"

B=$SPG_SNMP_BASE
SESS=$B.1.1.1     # spgSessionEntry
LINE=$B.1.2.1     # spgLineEntry
DP=$B.1.3         # spgDataplane
NOTE=$B.1.4       # spgNotifyObjects
TRAP_OID=.1.3.6.1.6.3.1.1.4.1.0

test_begin "$SPG_STATE" topo_destroy \
	spgate-control "$SPG_STATE/logs/control.out" 30 \
	snmptrapd "$(snmp_traps)" 10

# ---- helpers ----

# walk_value OID: the value part of `snmpget OID` ("STRING: x" -> x, "INTEGER: 7" -> 7)
walk_value() {
	snmp_get "$1" 2>/dev/null | sed -n 's/^[^=]* = [A-Za-z0-9-]*: //p; s/^[^=]* = ""$//p' | tr -d '"' | head -1
}
value_is() { [ "$(walk_value "$1")" = "$2" ]; } # OID VALUE

# traps_with TEXT...: how many notifications snmptrapd logged that hold every TEXT
traps_with() {
	local sel t
	sel=$(cat "$(snmp_traps)" 2>/dev/null)
	for t in "$@"; do
		sel=$(grep -F -- "$t" <<<"$sel")
	done
	if [ -n "$sel" ]; then wc -l <<<"$sel"; else echo 0; fi
}
# first_two_are_uptime_and_trap_oid ARC: some base.0.ARC notification starts with sysUpTime.0
# then snmpTrapOID.0 (snmptrapd separates the varbinds with tabs)
first_two_are_uptime_and_trap_oid() {
	awk -F'\t' -v t="$TRAP_OID = OID: $B.0.$1" \
		'$1 ~ /[.]1[.]3[.]6[.]1[.]2[.]1[.]1[.]3[.]0 = Timeticks: / && index($2, t) == 1 { n++ }
		END { exit n < 1 }' "$(snmp_traps)"
}
# two_traps TEXT...: both managers (v2c and v3 authPriv) got it
two_traps() { [ "$(traps_with "$@")" -ge 2 ]; }
# trap_of NOTIFICATION-ARC: the text snmptrapd logs for snmpTrapOID.0 = base.0.ARC
trap_of() { echo "$TRAP_OID = OID: $B.0.$1"; }

# dp_session_field ID FIELD: a counter of session ID as spgatectl dp sessions shows it
dp_session_field() {
	topo_ctl --json dp sessions 2>/dev/null |
		jv "[s['$2'] for s in $SESSIONS if int(s['id']) == $1][0]"
}
# counters_match ID: spgSessionOut/InPackets of ID equal spgate-dp's
counters_match() {
	local id=$1
	[ "$(walk_value "$SESS.13.$id")" = "$(dp_session_field "$id" out_packets)" ] &&
		[ "$(walk_value "$SESS.16.$id")" = "$(dp_session_field "$id" in_packets)" ] &&
		[ "$(walk_value "$SESS.14.$id")" = "$(dp_session_field "$id" out_bytes)" ]
}
# line_index ID: the OID index of a line row (length, then the octets)
line_index() {
	local id=$1 i idx=${#1}
	for ((i = 0; i < ${#id}; i++)); do
		idx="$idx.$(printf '%d' "'${id:i:1}")"
	done
	echo "$idx"
}

# ---- preflight ----

[ "$(id -u)" -eq 0 ] || abort "the SNMP test runs as root (namespaces, af_packet)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl
for exe in control/spgate-control tools/agent/spgate-agent; do
	[ -x "${SPG_BUILD:-$SPG_REPO/build}/$exe" ] || abort "$exe is built in ${SPG_BUILD:-build}"
done
need_tools snmpd snmptrapd snmpwalk snmpget freeradius nc openssl

# ---- the system ----

section "bringing up the system"
dp_config_make
topo_destroy >/dev/null 2>&1
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, 2 SPs) is created"
pki_make "$SPG_PKI" "$SPG_MGMT" "CK2001=$(topo_sp_local 1)" "CK2002=$(topo_sp_local 2)" >/dev/null ||
	abort "pki.sh makes the CA, certificates and vendor key"
control_radius_start || abort "FreeRADIUS starts in $(topo_ns gw)"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts in $(topo_ns gw)"
agents_start || abort "spgate-agent and the services start on both SPs"
snmp_start || abort "snmptrapd and snmpd (master agentx) start in $(topo_ns gw)"
control_config_make || abort "the control plane's config, with its snmp section, passes --check-config"
check "the config keeps SNMP on, with two managers" grep -q "^  enabled: true" "$SPG_STATE/control.yaml"
control_start 60 || abort "spgate-control starts and answers on both APIs"
out=$(control_import "$SPG_REPO/config/lab-inventory.yaml" 2>&1)
check "the operator imports config/lab-inventory.yaml" grep -q "systems" <<<"$out"
check "spgate-control registered as a subagent: snmpd answers spgDpUp.0 = true(1)" \
	wait_until 15 value_is "$DP.1.0" 1
check "spgate-control says nothing about MIB files on stderr" \
	not grep -q "Cannot find module" "$SPG_STATE/logs/control.out"

# ---- a session ----

section "a live session"
check "alice logs in" quiet eng_login alice alice-pw
out=$(eng alice --json connect CK2001 --wait --wait-timeout 60 2>/dev/null)
ID=$(jv 'd["id"]' <<<"$out")
V=$(jv 'd["virtual_address"]' <<<"$out")
check "alice's connect CK2001 --wait ends active (session ${ID:-?}, virtual ${V:-?})" \
	[ "$(jv 'd["state"]' <<<"$out")" = active ]
[ -n "$ID" ] && [ "$ID" != null ] || abort "a session to look at"
show=$(eng alice --json session show "$ID" 2>/dev/null)
LINE_ID=$(jv 'd.get("session", d)["line"]' <<<"$show")
SPEED=$(jv 'd.get("session", d)["speed_bps"]' <<<"$show")
SP=$(jv 'd.get("session", d)["sp_address"]' <<<"$show")
for _ in 1 2 3; do fetch "$V" 7000 >/dev/null; done
fetch "$V" 9999 >/dev/null # not granted: a port_filtered drop for the drop table
ip netns exec "$(topo_ns ws)" ping -c 5 -i 0.2 -W 2 "$V" >/dev/null 2>&1
check "the session's row appears in spgSessionTable (serial CK2001)" \
	wait_until 10 value_is "$SESS.2.$ID" CK2001
check "spgSessionEngineer is alice" value_is "$SESS.4.$ID" alice
check "spgSessionLine is the session's line (${LINE_ID:-?})" value_is "$SESS.5.$ID" "$LINE_ID"
check "spgSessionState is active(7)" value_is "$SESS.6.$ID" 7
check "spgSessionVirtualAddress is $V" value_is "$SESS.8.$ID" "$V"
check "spgSessionWorkstation is $SPG_W" value_is "$SESS.9.$ID" "$SPG_W"
check "spgSessionSpAddress is what spgatectl shows ($SP)" value_is "$SESS.10.$ID" "$SP"
check "spgSessionSpeed is the session's speed (${SPEED:-?} bit/s)" value_is "$SESS.12.$ID" "${SPEED:-x}"
check "after the traffic, the packet and octet counters equal spgatectl dp sessions' (out $(dp_session_field "$ID" out_packets), in $(dp_session_field "$ID" in_packets))" \
	wait_until 10 counters_match "$ID"
check "and they are not zero" eval '[ "$(walk_value "$SESS.16.$ID")" -gt 0 ]'
mib_walk=$(snmp_walk_mib spgSessionTable 2>&1)
case $? in
77)
	skip "SPGATE-MIB by name: no IETF modules here (SPG_IETF_MIBS=${SPG_IETF_MIBS:-})"
	[ "${SPG_REQUIRE_MIBS:-0}" = 1 ] && fail "SPG_REQUIRE_MIBS=1 but the IETF modules are missing"
	;;
*)
	check "a walk of SPGATE-MIB::spgSessionTable by name shows spgSessionState.$ID = active(7)" \
		grep -q "spgSessionState.$ID = INTEGER: active(7)" <<<"$mib_walk"
	check "and spgSessionSerial.$ID = CK2001, as SpgName's DISPLAY-HINT formats it" \
		grep -q "spgSessionSerial.$ID = STRING: CK2001" <<<"$mib_walk"
	check "every value has the type the MIB gives it (no 'Wrong Type' from snmpwalk)" \
		not grep -qi "wrong type\|Cannot find module\|Unlinked OID" <<<"$mib_walk"
	;;
esac

section "spgSessionUp"
up=$(trap_of 1)
check "snmptrapd logged spgSessionUp from both managers' sessions (v2c and v3 authPriv)" \
	wait_until 10 two_traps "$up" "$NOTE.1.0 = Gauge32: $ID"
check "with the serial" two_traps "$up" "$NOTE.2.0 = STRING: \"CK2001\""
check "with the line id ($LINE_ID)" two_traps "$up" "$NOTE.4.0 = STRING: \"$LINE_ID\""
check "with the SP address ($SP)" two_traps "$up" "$NOTE.5.0 = IpAddress: $SP"
check "with the speed (${SPEED:-?})" two_traps "$up" "$NOTE.7.0 = Gauge32: ${SPEED:-x}"
check "sysUpTime.0 and snmpTrapOID.0 come first" first_two_are_uptime_and_trap_oid 1

# ---- the line table and the dataplane ----

section "lines and dataplane"
if [ -n "$LINE_ID" ] && [ "$LINE_ID" != null ]; then
	idx=$(line_index "$LINE_ID")
	check "spgLineTable has the session's line $LINE_ID (region eu)" value_is "$LINE.3.$idx" eu
	check "its spgLineSession is the session ($ID)" value_is "$LINE.6.$idx" "$ID"
else
	fail "the session has a line to look up"
fi
check "spgLineTable has a row for each line of the inventory (net1..net6: $(snmp_walk "$LINE.2" 2>/dev/null | grep -c .))" \
	eval '[ "$(snmp_walk "$LINE.2" 2>/dev/null | grep -c "INTEGER")" -ge 6 ]'
check "spgDpOutPackets.0 counts what spgate-dp forwarded (> 0)" \
	eval '[ "$(walk_value "$DP.5.0")" -gt 0 ]'
check "spgDpPortTable names port 1 vendor and port 2 sp" \
	eval 'value_is "$DP.10.1.2.1" vendor && value_is "$DP.10.1.2.2" sp'
check "spgDpDropTable names reason 1 malformed_l2" value_is "$DP.11.1.2.1" malformed_l2
pf=$(dp_drop port_filtered)
n=$(snmp_walk "$DP.11.1.2" 2>/dev/null | grep -n '"port_filtered"' | cut -d: -f1)
check "and port_filtered's count equals spgatectl dp drops' ($pf, not 0)" \
	eval '[ "${pf:-0}" -gt 0 ] && wait_until 10 value_is "$DP.11.1.3.${n:-0}" "$pf"'

# ---- failures ----

section "failures"
SPGATE_PASSWORD=wrong eng nobody --json login --user alice >/dev/null 2>&1
check "a wrong password for alice -> spgAuthFailure naming alice, from both managers" \
	wait_until 10 two_traps "$(trap_of 4)" "$NOTE.3.0 = STRING: \"alice\""
agent_stop 2
out=$(eng alice --json connect CK2002 --wait --wait-timeout 60 2>/dev/null)
ID2=$(jv 'd["id"]' <<<"$out")
state=$(jv 'd["state"]' <<<"$out")
reason=$(session_field alice "${ID2:-0}" 's["reason"]')
# session_sp.c ends such a session failed with the code dial_failed ("cannot reach the SP's agent")
check "with SP 2's agent stopped, connecting to CK2002 fails (session ${ID2:-?}, $state: '$reason')" \
	eval '[ "$state" = failed ] && [[ $reason == *dial_failed* || $reason == *"reach the SP"* ]]'
check "-> spgDialFailure naming CK2002 and session ${ID2:-?}" \
	wait_until 10 two_traps "$(trap_of 3)" "$NOTE.2.0 = STRING: \"CK2002\"" "$NOTE.1.0 = Gauge32: ${ID2:-x}"
check "-> and spgSessionTable shows session ${ID2:-?} failed(10)" wait_until 10 value_is "$SESS.6.${ID2:-0}" 10
agent_start 2 >/dev/null || fail "SP 2's agent starts again"

# ---- disconnect ----

section "disconnect"
check "alice disconnects session $ID" quiet eng alice disconnect "$ID"
check "the session ends closed" wait_until 15 session_state_is alice "$ID" closed
reason=$(session_field alice "$ID" 's["reason"]')
check "spgSessionDown of session $ID, state closed(9), reason '$reason'" \
	wait_until 10 two_traps "$(trap_of 2)" "$NOTE.1.0 = Gauge32: $ID" "$NOTE.8.0 = INTEGER: 9" \
	"$NOTE.9.0 = STRING: \"$reason\""
# issue 15: whether it was recorded (acme records nothing in the lab: TruthValue false(2))
check "spgSessionDown of session $ID says it was not recorded (spgNotifyRecorded.0 = 2)" \
	two_traps "$(trap_of 2)" "$NOTE.1.0 = Gauge32: $ID" "$NOTE.20.0 = INTEGER: 2"
check "the ended session stays in spgSessionTable as closed(9) for a while" \
	wait_until 10 value_is "$SESS.6.$ID" 9

# ---- snmpd restarts ----

section "snmpd restart"
snmpd_stop
check "with snmpd stopped, spgate-control keeps running" control_alive
t=$SECONDS
snmpd_start || fail "snmpd starts again"
check "the subagent registers again within agentx_ping * 3 = $((AGENTX_PING * 3)) s (walk answers spgSessionSerial.$ID)" \
	wait_until $((AGENTX_PING * 3)) value_is "$SESS.2.$ID" CK2001
echo "    (answered after $((SECONDS - t)) s)"

# ---- a dead agent (issue 13): degraded at once in the table and as a notification ----

section "degraded"
out=$(eng alice --json connect CK2001 --wait --wait-timeout 60 2>/dev/null)
ID3=$(jv 'd["id"]' <<<"$out")
check "alice connects CK2001 again (session ${ID3:-?}, active)" [ "$(jv 'd["state"]' <<<"$out")" = active ]
check "its row shows active(7)" wait_until 10 value_is "$SESS.6.${ID3:-0}" 7
kill -KILL "$(cat "$SPG_STATE/pids/agent1.pid")" 2>/dev/null
check "SP 1's agent is killed (kill -9)" wait_until 5 not topo_pid_alive agent1
# the subagent refreshes its tables every 3 s: degraded must show within a few seconds, long
# before agent.grace (30 s in the lab) would end the session failed(10)
check "within a few seconds spgSessionState.${ID3:-?} is degraded(11)" \
	wait_until 8 value_is "$SESS.6.${ID3:-0}" 11
reason=$(walk_value "$SESS.7.${ID3:-0}")
check "spgSessionReason says why: '$reason'" eval '[[ $reason == *"control channel"* && $reason == *"agent.grace"* ]]'
check "-> spgSessionDegraded of session ${ID3:-?} from both managers, naming CK2001 and the channel lost" \
	wait_until 10 two_traps "$(trap_of 8)" "$NOTE.1.0 = Gauge32: ${ID3:-x}" "$NOTE.2.0 = STRING: \"CK2001\"" \
	"$NOTE.9.0 = STRING: "
check "spgSessionDegraded starts with sysUpTime.0 and snmpTrapOID.0" first_two_are_uptime_and_trap_oid 8
mib_walk=$(snmp_walk_mib spgSessionState 2>&1)
case $? in
77) skip "SPGATE-MIB by name: no IETF modules here" ;;
*)
	check "by name, spgSessionState.${ID3:-?} = degraded(11) (the MIB's enumeration has it)" \
		grep -q "spgSessionState.${ID3:-x} = INTEGER: degraded(11)" <<<"$mib_walk"
	;;
esac
agent_start 1 >/dev/null || fail "SP 1's agent starts again"

section "the end"
check "spgate-control, spgate-dp and snmptrapd are still running" \
	eval 'control_alive && topo_dp_alive && topo_pid_alive snmptrapd'
