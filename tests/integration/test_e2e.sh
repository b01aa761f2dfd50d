#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end test of the connection flow: the whole system of tools/lab in namespaces of its
# own (prefix spge-, so it runs beside a lab that is up and beside test_dataplane.sh), driven
# only through spgatectl and ordinary tools (nc, python sockets, ping, tcpdump, nft, ip, the
# agent's --status):
#
#   spge-ws   workstation 198.51.100.10; engineers alice, bob and carol run spgatectl here
#   spge-gw   spgate-dp (af_packet), spgate-control (API on 198.51.100.2:8443), FreeRADIUS
#   spge-wan  bridge br-wan: the gateway (dp 203.0.113.1, kernel 203.0.113.2), the SP sites,
#             spge-x (a stranger, 203.0.113.99)
#   spge-sp1..4  SPs CK2001, CK2002, CK2003 (behind spge-nat3, acme's NAT), CK3001 (globex,
#             approval policy "ask"), all with S = 192.0.2.10, each running spgate-agent
#
# Each assertion prints PASS/FAIL and a sentence; the last line is "N passed, N failed" and
# the exit code is nonzero on any failure. Run as root, from anywhere.
#
#   SPG_KEEP=1 tests/integration/test_e2e.sh    keep the state directory (logs, pcaps, db)
#
# Compound assertions are `check "sentence" eval '...'`: single quotes on purpose, the
# expression is evaluated when the check runs.
# shellcheck disable=SC2016
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh, control.sh
SPG_NS=spge- SPG_N_SP=4 SPG_CONTROL=1 SPG_NAT_SPS=3
APPROVAL_TIMEOUT=10
SPG_TEST=e2e
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"

HERE=$SPG_REPO/tests/integration
bg_pids=()

teardown() { # the background jobs of the test, then the whole system
	local p
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	topo_destroy
}
test_begin "$SPG_STATE" teardown spgate-control "$SPG_STATE/logs/control.out" 30

# ---- preflight ----

[ "$(id -u)" -eq 0 ] || abort "the end-to-end test runs as root (namespaces, af_packet, XDP)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent
need_tools nft freeradius radclient tcpdump nc openssl

# ---- the system ----

section "bringing up the system"
dp_config_make
topo_destroy >/dev/null 2>&1 # leftovers of an earlier run that was killed
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, 4 SPs, a NAT, a stranger) is created"
pairs=()
for ((i = 1; i <= SPG_N_SP; i++)); do
	pairs+=("$(agent_serial "$i")=$(topo_sp_local "$i")")
done
pki_make "$SPG_PKI" "$SPG_MGMT" "${pairs[@]}" || abort "pki.sh makes the CA, certificates and vendor key"
pki_vendor_key "$SPG_PKI" rogue || abort "openssl makes a second (rogue) Ed25519 key"
control_radius_start || abort "FreeRADIUS starts in $(topo_ns gw)"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts in $(topo_ns gw)"
agents_start || abort "spgate-agent and the services start on the four SPs"
# approval_timeout short for the "ask" cases; RADIUS only, so that RADIUS down means no login
control_config_make -e "s/^\([[:space:]]*approval_timeout:\).*/\1 $APPROVAL_TIMEOUT/" \
	-e "s/^\([[:space:]]*methods:\).*/\1 [radius]/" ||
	abort "the control plane's config (config/lab-control.yaml adapted) passes --check-config"
control_start 60 || abort "spgate-control starts and answers on both APIs"
pass "FreeRADIUS, spgate-dp, spgate-control and four agents run"
out=$(control_import "$SPG_REPO/config/lab-inventory.yaml" 2>&1)
check "the operator imports config/lab-inventory.yaml through spgatectl --operator inventory import" \
	grep -q "systems *4" <<<"$out"

# ---- authentication ----

section "authentication"
check "alice logs in (RADIUS, over TLS to $SPG_MGMT:$SPG_API_PORT)" quiet eng_login alice alice-pw
groups=$(eng alice --json whoami 2>/dev/null | jv 'd["groups"]')
check "her groups come from RADIUS's Class attribute (got '$groups')" [ "$groups" = storage-eu ]
check "bob logs in" quiet eng_login bob bob-pw
groups=$(eng bob --json whoami 2>/dev/null | jv 'd["groups"]')
check "his groups differ: storage-globex (got '$groups')" [ "$groups" = storage-globex ]
check "carol (support-admins, approvers) logs in" quiet eng_login carol carol-pw
out=$(SPGATE_PASSWORD=wrong eng nobody --json login --user alice 2>/dev/null)
rc=$?
code=$(jv 'd["error"]' <<<"$out")
check "a wrong password is refused: exit code 1, error auth_failed (got $rc, '$code')" \
	eval '[ "$rc" = 1 ] && [ "$code" = auth_failed ]'
out=$(SPGATE_PASSWORD=whatever eng nobody --json login --user mallory 2>/dev/null)
check "an unknown user gets the very same answer (got '$(jv 'd["error"]' <<<"$out")')" \
	[ "$(jv 'd["error"]' <<<"$out")" = auth_failed ]

# ---- search ----

section "search"
found=$(eng alice --json search CK 2>/dev/null | jv "sorted(s['serial'] for s in $SESSIONS)")
check "alice's search finds acme's CK2001, CK2002, CK2003 and not globex's CK3001 (got $found)" \
	[ "$found" = CK2001,CK2002,CK2003 ]
found=$(eng bob --json search CK 2>/dev/null | jv "sorted(s['serial'] for s in $SESSIONS)")
check "bob's search finds only globex's CK3001 (got $found)" [ "$found" = CK3001 ]
found=$(eng bob --json search --customer acme 2>/dev/null | jv "len($SESSIONS)")
check "bob searching for customer acme gets nothing (got ${found:-?} systems)" [ "$found" = 0 ]
found=$(eng carol --json search CK 2>/dev/null | jv "len($SESSIONS)")
check "carol (privileged) sees all four systems (got ${found:-?})" [ "$found" = 4 ]
out=$(eng bob --json connect CK2001 2>/dev/null)
rc=$?
code=$(jv 'd["error"]' <<<"$out")
check "bob cannot connect to acme's CK2001 either (exit $rc, error '$code')" \
	eval '[ "$rc" = 1 ] && [[ $code == not_found || $code == forbidden ]]'

# ---- three sessions at once to three SPs with the same address ----

section "three concurrent sessions"
topo_capture_start wan "$(topo_ns wan)" br-wan || fail "tcpdump listens on br-wan"
pids=()
for serial in CK2001 CK2002 CK2003; do
	(eng alice --json connect "$serial" --wait --wait-timeout 60 >"$SPG_STATE/connect-$serial.json" 2>"$SPG_STATE/connect-$serial.err"
		echo $? >"$SPG_STATE/connect-$serial.rc") &
	pids+=($!)
done
wait "${pids[@]}"
declare -A V SID
for serial in CK2001 CK2002 CK2003; do
	V[$serial]=$(jf "$SPG_STATE/connect-$serial.json" 'd["virtual_address"]')
	SID[$serial]=$(jf "$SPG_STATE/connect-$serial.json" 'd["id"]')
	state=$(jf "$SPG_STATE/connect-$serial.json" 'd["state"]')
	check "alice's connect $serial --wait ends active (exit $(cat "$SPG_STATE/connect-$serial.rc"), state ${state:-?}, virtual ${V[$serial]:-?})" \
		[ "$state" = active ]
done
distinct=$(printf '%s\n' "${V[@]}" | sort -u | wc -l)
check "the three sessions have three different virtual addresses (${V[*]})" [ "$distinct" = 3 ]
sp_addr=$(eng alice --json sessions 2>/dev/null | jv "sorted(set(s['sp_address'] for s in $SESSIONS))")
check "and all three SPs have the same address S (got $sp_addr)" [ "$sp_addr" = "$SPG_S" ]
i=0
pids=()
for serial in CK2001 CK2002 CK2003; do
	i=$((i + 1))
	(fetch "${V[$serial]}" 7000 >"$SPG_STATE/fetch-$serial.out") &
	pids+=($!)
done
wait "${pids[@]}"
i=0
for serial in CK2001 CK2002 CK2003; do
	i=$((i + 1))
	got=$(cat "$SPG_STATE/fetch-$serial.out")
	check "TCP to ${V[$serial]}:7000 ($serial) is answered by its own SP (want sp$i, got '$got')" \
		[ "$got" = "sp$i" ]
done
got=$(fetch "${V[CK2002]}" 8080)
check "the other granted port works too: ${V[CK2002]}:8080 answers '$got'" [ "$got" = sp2 ]
out=$(ip netns exec "$(topo_ns ws)" ping -c 3 -i 0.3 -W 2 "${V[CK2003]}" 2>&1)
check "ping to CK2003 behind the NAT gets 3 replies (icmp is in the profile)" \
	grep -q '3 packets transmitted, 3 received' <<<"$out"
nat_udp=$(nat_counter 3 udp) nat_tcp=$(nat_counter 3 tcp)
check "CK2003's tunnel crossed the customer NAT: its router's DNAT rules to 198.18.3.10 matched ESP (${nat_udp:-0}) and TLS (${nat_tcp:-0})" \
	eval '[ "${nat_udp:-0}" -gt 0 ] && [ "${nat_tcp:-0}" -gt 0 ]'
st=$(agent_status 3 --json 2>/dev/null | jv 'd["sessions"][0]["state"] + " " + d["sessions"][0]["control"] + " " + d["sessions"][0]["gw_outer"]')
check "CK2003's agent, at 198.18.3.10, has the session up with the gateway's own addresses (got '$st')" \
	[ "$st" = "up $SPG_GW_KERNEL $SPG_SP_GW" ]
for i in 1 2 3; do
	check "SP $i's agent installed its TUN, the route to G_in through it and the XDP guard" \
		agent_all_installed "$i"
done
topo_capture_stop wan
clear_tcp=$(pcap_count "$SPG_STATE/wan.pcap" tcp port 7000 or tcp port 8080)
esp=$(pcap_count "$SPG_STATE/wan.pcap" udp port 4500)
check "on the WAN the engineer's traffic is only ESP in UDP 4500 ($esp packets; $clear_tcp in clear)" \
	eval '[ "$esp" -gt 0 ] && [ "$clear_tcp" = 0 ]'

# ---- the gateway's port filter ----

section "port filter"
before=$(dp_drop port_filtered)
got=$(fetch "${V[CK2001]}" 9999)
check "TCP to the port not granted (9999) gets no answer (got '$got')" [ -z "$got" ]
check "and spgatectl dp drops shows port_filtered rising (from $before)" \
	wait_until 5 dp_drop_above port_filtered "$before"
check "nothing reached SP 1's listener on 9999" [ ! -s "$SPG_STATE/logs/sp1-9999.log" ]

# ---- the SP's guard against a stranger ----

section "SP guard"
before=$(guard_counter 1 drop_tcp)
got=$(stranger_fetch "$(topo_sp_addr 1)" 7000)
check "a stranger on the SP network gets no answer from SP 1's service port 7000 (got '$got')" [ -z "$got" ]
check "SP 1's agent --status counts the guard's drop (drop_tcp rose from $before)" \
	wait_until 5 guard_above 1 drop_tcp "$before"
before=$(guard_counter 1 drop_control_stranger)
ip netns exec "$(topo_ns x)" timeout 4 nc -z -w 2 "$(topo_sp_addr 1)" 7443 >/dev/null 2>&1
check "nor can the stranger reach the agent's TLS port (drop_control_stranger rose)" \
	guard_above 1 drop_control_stranger "$before"
check "while the engineer's traffic still passes: ${V[CK2001]}:7000 answers sp1" \
	fetch_is "${V[CK2001]}" 7000 sp1
check "the gateway's ESP and TLS are what the guard lets through (pass_esp, pass_control > 0)" \
	eval 'guard_above 1 pass_esp 0 && guard_above 1 pass_control 0'

# ---- collaboration: a busy system ----

section "busy"
out=$(eng carol --json connect CK2001 2>/dev/null)
rc=$?
holder=$(jv 'd["error"] + " " + d["holder"]["user"] + " " + d["holder"]["workstation"]' <<<"$out")
since=$(jv 'd["holder"]["since"]' <<<"$out")
now=$(date +%s)
check "carol asking for CK2001 is told busy, held by alice from her workstation (exit $rc, got '$holder')" \
	eval '[ "$rc" = 1 ] && [ "$holder" = "busy alice $SPG_W" ]'
check "with since when (since $since, now $now)" \
	eval '[ -n "$since" ] && [ "$since" -le "$now" ] && [ "$since" -gt $((now - 600)) ]'
msg=$(eng carol connect CK2001 2>&1 >/dev/null)
check "the table form says it to a person: '$(grep -m1 'held by' <<<"$msg")'" \
	grep -q "held by alice from $SPG_W since" <<<"$msg"

# ---- restart of spgate-control with sessions live ----

section "control-plane restart"
ip netns exec "$(topo_ns ws)" "$SPG_PY" "$HERE/e2e/traffic.py" --stats "$SPG_STATE/traffic.json" \
	--interval 0.2 --duration 90 "${V[CK2001]}:7000=sp1" "${V[CK2002]}:7000=sp2" \
	"${V[CK2003]}:7000=sp3" >"$SPG_STATE/logs/traffic.out" 2>&1 &
traffic_pid=$!
bg_pids+=("$traffic_pid")
traffic_ok() { jf "$SPG_STATE/traffic.json" 'd["ok"]' 2>/dev/null || echo 0; }
wait_until 10 test -s "$SPG_STATE/traffic.json"
cpid=$(cat "$SPG_STATE/pids/control.pid")
control_stop
check "spgate-control (pid $cpid) stops on SIGTERM" not pid_running "$cpid"
ok_down=$(traffic_ok)
sleep 3
ok_later=$(traffic_ok)
check "while it is down the three sessions keep answering ($((ok_later - ok_down)) answers in 3 s)" \
	[ "$ok_later" -gt "$((ok_down + 6))" ]
control_start 60 || fail "spgate-control starts again"
check "the restarted spgate-control takes the sessions over from its store" \
	grep -q "taking over 3 live sessions" "$SPG_STATE/logs/control.out"
ids=$(eng alice --json sessions 2>/dev/null | jv "sorted(s['id'] for s in $SESSIONS if s['state'] == 'active')")
want=$(printf '%s\n' "${SID[@]}" | sort -n | paste -sd,)
check "afterwards alice's sessions are still listed, active ($ids; want $want)" [ "$ids" = "$want" ]
agents_up() { local i; for i in 1 2 3; do [ "$(agent_session_states "$i")" = up ] || return 1; done; }
check "the agents' sessions are up again (re-attached), not in grace" wait_until 20 agents_up
ok_restarted=$(traffic_ok)
sleep 2
check "and traffic keeps flowing after the restart" [ "$(traffic_ok)" -gt "$ok_restarted" ]
kill "$traffic_pid" 2>/dev/null
wait "$traffic_pid" 2>/dev/null
failures=$(jf "$SPG_STATE/traffic.json" 'd["failed"]')
check "no request failed before, during or after the restart ($(traffic_ok) answered, ${failures:-?} failed$(
	[ "${failures:-1}" = 0 ] || echo ": $(jf "$SPG_STATE/traffic.json" 'd["last_failure"]')"))" \
	[ "${failures:-1}" = 0 ]

# ---- a session deleted from spgate-dp behind spgate-control's back (issue 13) ----

section "reconciliation with spgate-dp"
id=${SID[CK2001]}
dp_spi_in() { topo_ctl --json dp session show "$1" 2>/dev/null | jv 'd.get("session", d)["spi_in"]'; }
dp_ctl() { topo_ctl --control-socket "$(control_socket)" "$@"; }
spi_before=$(dp_spi_in "$id")
msg=$(dp_ctl dp session del "$id" 2>&1)
rc=$?
check "spgatectl dp session del $id (alice's active session) without --force is refused (exit $rc)" [ "$rc" = 1 ]
check "with a message saying spgate-control owns it and naming --force: '$(head -1 <<<"$msg")'" \
	eval 'grep -q "spgate-control" <<<"$msg" && grep -q -- "--force" <<<"$msg"'
check "and spgate-dp still has session $id" dp_has_session "$id"
msg=$(dp_ctl dp session del --force "$id" 2>&1)
rc=$?
check "with --force it is deleted, with a warning (exit $rc: '$(head -1 <<<"$msg")')" \
	eval '[ "$rc" = 0 ] && grep -q "warning" <<<"$msg"'
# sessions.reconcile is 5 s (the default): back within two periods, plus the agent's rekey
check "within ~2 periods spgate-control notices and spgate-dp has session $id again" wait_until 15 dp_has_session "$id"
spi_after=$(dp_spi_in "$id")
check "re-added with a new inbound SPI (rekeyed: $spi_before -> $spi_after)" \
	eval '[ -n "$spi_after" ] && [ "$spi_after" != "$spi_before" ]'
check "and traffic flows again: ${V[CK2001]}:7000 answers sp1" wait_until 10 fetch_is "${V[CK2001]}" 7000 sp1
check "the session is still active" session_state_is alice "$id" active
check "spgate-control logged the mismatch and the re-add" \
	eval 'grep -q "reconciling" "$SPG_STATE/logs/control.out" && grep -q "session $id is missing from spgate-dp" "$SPG_STATE/logs/control.out"'
check "and audited it (dp_session_missing, then session_rekeyed)" \
	eval 'op_ctl audit --limit 1000 2>/dev/null | grep -q dp_session_missing && op_ctl audit --limit 1000 2>/dev/null | grep -q session_rekeyed'

# ---- disconnect ----

section "disconnect"
id=${SID[CK2002]}
out=$(eng alice --json disconnect "$id" 2>/dev/null)
rc=$?
check "alice disconnects session $id (CK2002): exit $rc, state $(jv 'd.get("session", d)["state"]' <<<"$out")" \
	[ "$rc" = 0 ]
check "the session ends closed" wait_until 15 session_state_is alice "$id" closed
check "spgate-dp no longer has it" not dp_has_session "$id"
check "SP 2's agent --status shows no session" wait_until 10 agent_idle 2
check "SP 2's TUN, its route to G_in and its XDP guard are gone (ip link, ip route, ip link show xdp)" \
	wait_until 5 agent_nothing_installed 2
got=$(fetch "${V[CK2002]}" 7000)
check "its virtual address answers no more (got '$got')" [ -z "$got" ]
check "the other two sessions still work (CK2001 and CK2003)" \
	eval 'fetch_is "${V[CK2001]}" 7000 sp1 && fetch_is "${V[CK2003]}" 7000 sp3'

# ---- a dead agent (issue 13): degraded at once, failed after agent.grace ----

section "dead agent"
id=${SID[CK2003]}
t_killed=$(date +%s)
kill -KILL "$(cat "$SPG_STATE/pids/agent3.pid")" 2>/dev/null
check "SP 3's agent is killed (kill -9)" wait_until 5 not topo_pid_alive agent3
check "within a few seconds session $id (CK2003) shows degraded" wait_until 5 session_state_is alice "$id" degraded
reason=$(session_field alice "$id" 's["reason"]')
check "with the reason: '$reason'" eval '[[ $reason == *"control channel"* && $reason == *"agent.grace"* ]]'
st=$(eng alice --json sessions 2>/dev/null | jv "[s['state'] for s in $SESSIONS if s['id'] == $id]")
check "spgatectl sessions shows it degraded too (got $st)" [ "$st" = degraded ]
check "spgate-control logged it" grep -q "session $id: degraded: lost the SP's control channel" "$SPG_STATE/logs/control.out"
# lab: agent.grace 30 s; the re-attach attempts fail while the agent is dead
check "after agent.grace (30 s) it is failed, not closed" wait_until 45 session_state_is alice "$id" failed
reason=$(session_field alice "$id" 's["reason"]')
check "with the reason: '$reason'" eval '[[ $reason == *"agent.grace"* ]]'
check "and spgate-dp no longer has it" not dp_has_session "$id"
ids=$(eng alice --json sessions 2>/dev/null | jv "[s['id'] for s in $SESSIONS]")
check "spgatectl sessions (the default: live ones) no longer lists it ($ids)" not grep -qw "$id" <<<"$ids"
st=$(eng alice --json sessions --all-states 2>/dev/null | jv "[s['state'] for s in $SESSIONS if s['id'] == $id]")
check "spgatectl sessions --all-states lists it as failed (got $st)" [ "$st" = failed ]
st=$(eng alice --json sessions --since "$t_killed" 2>/dev/null | jv "[s['state'] for s in $SESSIONS if s['id'] == $id]")
check "and so does --since the kill (got $st)" [ "$st" = failed ]
st=$(eng alice --json sessions --since "$(($(date +%s) + 60))" 2>/dev/null | jv "[s['id'] for s in $SESSIONS if s['id'] == $id]")
check "but not --since a later time (got $st)" [ -z "$st" ]
agent_start 3 || fail "SP 3's agent starts again"

# ---- a grant the agent refuses ----

section "refused grants"
bad_grant() { # bad_grant SERIAL VENDOR_PUB WANT WHAT: restart SP 2's agent so, connect, expect WANT
	local want=$3
	agent_stop 2
	agent_config 2 "$1" "$2"
	agent_start 2 || { fail "SP 2's agent restarts with serial $1 and vendor key $(basename "$2")"; return; }
	out=$(eng alice --json connect CK2002 --wait --wait-timeout 30 2>/dev/null)
	rc=$?
	state=$(jv 'd["state"]' <<<"$out")
	reason=$(jv 'd["reason"]' <<<"$out")
	check "an SP whose agent has ${4}: exit $rc, session $state, reason '$reason'" \
		eval '[ "$rc" = 1 ] && [ "$state" = failed ] && [[ $reason == *"$want"* ]]'
	check "and it installed nothing" agent_nothing_installed 2
}
bad_grant CK2002 "$SPG_PKI/rogue.pub" "bad signature" "another vendor public key refuses the grant"
bad_grant CK2099 "$SPG_PKI/vendor-ed25519.pub" "wrong serial" "another serial (CK2099) refuses the grant"
# SP 2's agent with SP 1's key and certificate: whoever holds one SP's key must not pass for
# another SP (it would get that SP's grant and ESP keys)
agent_stop 2
agent_config 2 CK2002 "$SPG_PKI/vendor-ed25519.pub" CK2001
if agent_start 2; then
	out=$(eng alice --json connect CK2002 --wait --wait-timeout 30 2>/dev/null)
	rc=$?
	state=$(jv 'd["state"]' <<<"$out")
	reason=$(jv 'd["reason"]' <<<"$out")
	check "an agent presenting CK2001's certificate for CK2002 is refused by the gateway: exit $rc, session $state, reason '$reason'" \
		eval '[ "$rc" = 1 ] && [ "$state" = failed ] && [[ $reason == *"certificate names CK2001, expected CK2002"* ]]'
	check "spgate-control logged it" \
		grep -q "SP CK2002: .*certificate names CK2001, expected CK2002" "$SPG_STATE/logs/control.out"
	check "the impostor never got the grant: its agent saw no open" \
		eval '! grep -q "grant of\|open refused" "$SPG_STATE/logs/agent2.out"'
	check "and it installed nothing" agent_nothing_installed 2
else
	fail "SP 2's agent restarts with CK2001's certificate"
fi
agent_stop 2
agent_config 2
agent_start 2 || fail "SP 2's agent restarts with its own config"

# ---- approval policy "ask" (globex) ----

section "approvals"
V4=""
# the grant and signature bytes the store holds for session $1 (0: none was ever signed)
stored_grant() {
	"$SPG_PY" -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
row = db.execute("SELECT length(grant), length(grant_sig) FROM sessions WHERE id = ?", (int(sys.argv[2]),)).fetchone()
print(sum(v or 0 for v in row) if row else "none")' "$SPG_STATE/spgate.db" "$1"
}
(eng bob --json connect CK3001 --wait --wait-timeout 60 >"$SPG_STATE/ask1.json" 2>"$SPG_STATE/ask1.err"
	echo $? >"$SPG_STATE/ask1.rc") &
ask_pid=$!
bg_pids+=("$ask_pid")
check "bob's connect to CK3001 (globex: ask) waits for approval" \
	wait_until 10 has_session bob CK3001 awaiting_approval
id=$(my_session bob CK3001 awaiting_approval)
out=$(eng bob --json approve "$id" 2>/dev/null)
check "bob, no approver, cannot approve his own request (error $(jv 'd["error"]' <<<"$out"))" \
	[ "$(jv 'd["error"]' <<<"$out")" = forbidden ]
check "carol (approvers) approves session $id" quiet eng carol approve "$id"
wait_until 30 rc_file_exists "$SPG_STATE/ask1.rc"
state=$(jf "$SPG_STATE/ask1.json" 'd["state"]')
check "bob's connect --wait then ends active (exit $(cat "$SPG_STATE/ask1.rc" 2>/dev/null), state ${state:-?})" \
	eval '[ "$(cat "$SPG_STATE/ask1.rc" 2>/dev/null)" = 0 ] && [ "$state" = active ]'
check "having told bob once that it awaited approval ($(grep -m1 -o 'awaits approval.*' "$SPG_STATE/ask1.err"))" \
	eval '[ "$(grep -c "awaits approval" "$SPG_STATE/ask1.err")" = 1 ]'
V4=$(jf "$SPG_STATE/ask1.json" 'd["virtual_address"]')
check "the approved session has its grant in the store ($(stored_grant "$id") bytes)" \
	[ "$(stored_grant "$id")" -gt 64 ]
check "and CK3001 answers through ${V4:-?}: sp4" fetch_is "${V4:-0.0.0.0}" 7000 sp4
eng bob disconnect "$id" >/dev/null 2>&1
wait_until 15 session_state_is bob "$id" closed

out=$(eng bob --json connect CK3001 2>/dev/null)
id=$(jv 'd["id"]' <<<"$out")
check "bob asks again: session ${id:-?} awaits approval" [ "$(jv 'd["state"]' <<<"$out")" = awaiting_approval ]
check "the operator denies it" quiet op_ctl deny "$id"
wait_until 10 session_state_is bob "$id" failed
check "so the session fails (state $(session_state bob "$id"): $(session_field bob "$id" 's["reason"]'))" \
	session_state_is bob "$id" failed
check "no grant was ever signed for the denied session (store: $(stored_grant "$id") bytes)" \
	[ "$(stored_grant "$id")" = 0 ]

out=$(eng bob --json connect CK3001 2>/dev/null)
id=$(jv 'd["id"]' <<<"$out")
t_ask=$SECONDS
check "bob asks a third time: session ${id:-?} awaits approval, and nobody answers" \
	[ "$(jv 'd["state"]' <<<"$out")" = awaiting_approval ]
wait_until $((APPROVAL_TIMEOUT + 20)) session_state_is bob "$id" failed
waited=$((SECONDS - t_ask))
check "after approval_timeout (${APPROVAL_TIMEOUT} s) the session fails by itself (after ${waited} s: $(session_field bob "$id" 's["reason"]'))" \
	eval 'session_state_is bob "$id" failed && [ "$waited" -ge $((APPROVAL_TIMEOUT - 1)) ]'
check "no grant was ever signed for the timed-out session (store: $(stored_grant "$id") bytes)" \
	[ "$(stored_grant "$id")" = 0 ]
check "SP 4 never saw any of the refused requests: no session on its agent" agent_idle 4

# ---- RADIUS down ----

section "RADIUS down"
control_radius_stop
out=$(SPGATE_PASSWORD=alice-pw eng nobody --json login --user alice 2>/dev/null)
rc=$?
code=$(jv 'd["error"]' <<<"$out")
check "with FreeRADIUS stopped (auth.methods: [radius]) a login gets auth_unavailable (exit $rc, '$code')" \
	eval '[ "$rc" = 1 ] && [ "$code" = auth_unavailable ]'
check "while tokens issued before still work (alice lists her sessions)" quiet eng alice sessions

section "the end"
check "spgate-control, spgate-dp and the agents are still running" \
	eval 'control_alive && topo_dp_alive && topo_pid_alive agent1 && topo_pid_alive agent3'
