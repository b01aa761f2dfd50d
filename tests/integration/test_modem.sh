#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Dialing end to end: spgate-control dials spgate-modemsim's modems with the Hayes dialogue,
# the call carries the SP's traffic at the connect speed (tc, tools/lab/modem-hook.sh), the
# session's rate in spgate-dp follows the speed, and every failure path ends cleanly. The
# lab's topology in namespaces of its own (prefix spgm-, so it runs beside other tests):
#
#   spgm-ws   workstation 198.51.100.10; alice runs spgatectl here
#   spgm-gw   spgate-dp, spgate-control, FreeRADIUS, spgate-modemsim (modem1..3)
#   spgm-sp1  CK2001, reached over the network (203.0.113.11)
#   spgm-sp2  CK2100, reached by modem: its link to the WAN is down until a call is up; the
#             modem lines' peer address is its address 203.0.113.12
#
# PASS/FAIL per assertion, "N passed, N failed" last, nonzero exit on any failure. Root.
#   SPG_KEEP=1 tests/integration/test_modem.sh    keep the state directory
# shellcheck disable=SC2016
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh, control.sh, modems.sh
SPG_NS=spgm- SPG_N_SP=2 SPG_CONTROL=1 SPG_NAT_SPS= SPG_MODEM_SPS=2 SPG_SERIALS="CK2001 CK2100"
SPG_AGENT_GRACE=15
SPEED=33600
SPG_TEST=modem
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"
# shellcheck source=tools/lab/modems.sh
. "$SPG_REPO/tools/lab/modems.sh"

test_begin "$SPG_STATE" topo_destroy \
	spgate-control "$SPG_STATE/logs/control.out" 40 \
	spgate-modemsim "$SPG_STATE/logs/modemsim.out" 20

# ---- helpers ----

# spgatectl --json prints a list command's array itself
line_field() { op_ctl --json lines 2>/dev/null | jv "[l.get('$2') for l in d if l['id'] == '$1'][0]"; }
line_state_is() { [ "$(line_field "$1" state)" = "$2" ]; } # ID STATE
sp2_reachable() { ip netns exec "$(topo_ns gw)" ping -c 1 -W 1 "$(topo_sp_addr 2)" >/dev/null 2>&1; }
dp_rate_in() { # dp_rate_in ID: spgate-dp's rate of session ID, bit/s, when both ways agree
	topo_ctl --json dp sessions 2>/dev/null |
		jv "[s['rate_in_bps'] for s in d if s['id'] == $1 and s['rate_out_bps'] == s['rate_in_bps']][0]"
}
connect_wait() { # connect_wait SERIAL OUT: alice connects and waits; the JSON in OUT
	eng alice --json connect "$1" --wait --wait-timeout 90 >"$2" 2>"$2.err"
}
hook_log_has() { grep -q "$1" "$SPG_STATE/logs/modemsim.out"; }
iperf_rate() { # iperf_rate ADDR SECONDS OUT: download (server sends) through the gateway, bit/s
	ip netns exec "$(topo_ns ws)" timeout $(($2 + 30)) iperf3 -c "$1" -p 8080 -R -t "$2" -J >"$3" 2>&1
	jf "$3" 'int(d["end"]["sum_received"]["bits_per_second"])'
}

# ---- preflight ----

[ "$(id -u)" -eq 0 ] || abort "the modem test runs as root (namespaces, af_packet, tc)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent \
	tools/modemsim/spgate-modemsim
need_tools freeradius iperf3 tc nc openssl

# ---- the system ----

section "bringing up the system"
dp_config_make
topo_destroy >/dev/null 2>&1
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, a network SP, a modem SP) is created"
pki_make "$SPG_PKI" "$SPG_MGMT" "CK2001=$(topo_sp_local 1)" "CK2100=$(topo_sp_local 2)" ||
	abort "pki.sh makes the CA, certificates and vendor key"
control_radius_start || abort "FreeRADIUS starts in $(topo_ns gw)"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts in $(topo_ns gw)"
agents_start || abort "spgate-agent and the services start on both SPs"
modems_start || abort "spgate-modemsim makes modem1..3 in $SPG_STATE"
control_config_make -e "s/^\([[:space:]]*methods:\).*/\1 [radius]/" \
	-e '$a dial:\n  command_timeout_ms: 1000\n  connect_timeout: 10\n  guard_ms: 1000\n  retry_delay_ms: 500\n  busy_retries: 2\n  line_retries: 0\n  max_line_faults: 2\n  health_check: 2' ||
	abort "the control plane's config (lab-control.yaml with short dial timings) passes --check-config"
control_start 60 || abort "spgate-control starts and answers on both APIs"
modem_lab_inventory "$SPG_REPO/config/lab-inventory.yaml" >"$SPG_STATE/inventory.yaml"
out=$(control_import "$SPG_STATE/inventory.yaml" 2>&1)
check "the operator imports the lab's inventory with CK2100 (modem) and three modem lines" grep -q "lines *9" <<<"$out"
check "alice logs in" quiet eng_login alice alice-pw
check "CK2100's phone numbers were normalised at import" \
	eval '[ "$(eng alice --json search CK2100 2>/dev/null | jv "d[0][\"address\"]")" = "+15550100;+15550199" ]'
check "with no call up, the modem SP is unreachable" not sp2_reachable

# ---- a dialed session end to end ----

section "a dialed session"
connect_wait CK2100 "$SPG_STATE/m1.json"
mid=$(jf "$SPG_STATE/m1.json" 'd["id"]')
mv=$(jf "$SPG_STATE/m1.json" 'd["virtual_address"]')
check "alice's session to CK2100 comes up over modem1 (state $(jf "$SPG_STATE/m1.json" 'd["state"]'), line $(jf "$SPG_STATE/m1.json" 'd.get("line")'))" \
	eval '[ "$(jf "$SPG_STATE/m1.json" "d[\"state\"]")" = active ] && [ "$(jf "$SPG_STATE/m1.json" "d.get(\"line\")")" = modem1 ]'
check "session show reports the connect speed $SPEED bit/s" \
	eval '[ "$(session_field alice "$mid" "s[\"speed_bps\"]")" = $SPEED ]'
check "spgate-dp meters the session at the line speed both ways ($SPEED bit/s, got $(dp_rate_in "$mid"))" \
	eval '[ "$(dp_rate_in "$mid")" = $SPEED ]'
check "spgatectl lines shows modem1 connected with the session" \
	eval 'line_state_is modem1 connected && [ "$(line_field modem1 session)" = "$mid" ]'
check "the modem bank's hook brought the line up at $SPEED bit/s" hook_log_has "up .* $SPEED"
check "TCP to $mv:7000 through the call is answered by CK2100 (sp2)" fetch_is "$mv" 7000 sp2

section "line speed: $SPEED bit/s against an unthrottled network session"
connect_wait CK2001 "$SPG_STATE/n1.json"
nid=$(jf "$SPG_STATE/n1.json" 'd["id"]')
nv=$(jf "$SPG_STATE/n1.json" 'd["virtual_address"]')
check "a network session to CK2001 runs beside it" eval '[ "$(jf "$SPG_STATE/n1.json" "d[\"state\"]")" = active ]'
topo_stop svc2_8080 3
topo_stop svc1_8080 3
topo_spawn iperf2 "$(topo_ns sp2)" iperf3 -s -p 8080
topo_spawn iperf1 "$(topo_ns sp1)" iperf3 -s -p 8080
sleep 1
(iperf_rate "$nv" 8 "$SPG_STATE/iperf-net.json" >"$SPG_STATE/net.rate") &
net_pid=$!
modem_rate=$(iperf_rate "$mv" 20 "$SPG_STATE/iperf-modem.json")
wait "$net_pid"
net_rate=$(cat "$SPG_STATE/net.rate")
echo "measured: modem session ${modem_rate:-?} bit/s on a $SPEED bit/s line; network session ${net_rate:-?} bit/s"
check "the dialed session carries at most 115 % of $SPEED bit/s (got ${modem_rate:-nothing})" \
	eval '[ -n "$modem_rate" ] && [ "$modem_rate" -le $((SPEED * 115 / 100)) ]'
check "and is not starved: at least half of it (got ${modem_rate:-nothing})" \
	eval '[ -n "$modem_rate" ] && [ "$modem_rate" -ge $((SPEED / 2)) ]'
check "the network session beside it is not throttled: over 10x the line speed (got ${net_rate:-nothing})" \
	eval '[ -n "$net_rate" ] && [ "$net_rate" -gt $((SPEED * 10)) ]'
topo_stop iperf1 3
topo_stop iperf2 3
eng alice disconnect "$nid" >/dev/null 2>&1

section "hang-up"
eng alice disconnect "$mid" >/dev/null 2>&1
check "alice's disconnect closes the dialed session" wait_until 20 session_state_is alice "$mid" closed
check "modem1 is idle again" wait_until 10 line_state_is modem1 idle
check "the hang-up took the line down: the modem SP is unreachable again" wait_until 10 not sp2_reachable
check "the hook saw the hang-up" hook_log_has "down .*modem1"

# ---- busy, retry, success ----

section "busy, then answered on a redial"
modems_reload '{ number: "+15550100", busy: 1, answer: 28800, ring: 0.3 }'
connect_wait CK2100 "$SPG_STATE/m2.json"
mid=$(jf "$SPG_STATE/m2.json" 'd["id"]')
check "the number is busy once, redialed after the back-off and the session comes up (state $(jf "$SPG_STATE/m2.json" 'd["state"]'))" \
	eval '[ "$(jf "$SPG_STATE/m2.json" "d[\"state\"]")" = active ]'
check "at the new connect speed, 28800 bit/s" eval '[ "$(session_field alice "$mid" "s[\"speed_bps\"]")" = 28800 ]'
check "spgate-control logged the BUSY and the retry" grep -qi "busy.*retry" "$SPG_STATE/logs/control.out"
eng alice disconnect "$mid" >/dev/null 2>&1
wait_until 20 session_state_is alice "$mid" closed
wait_until 10 line_state_is modem1 idle

# ---- retrain ----

section "a retrain changes the session's rate"
modems_reload '{ number: "+15550100", answer: 33600, ring: 0.3, retrain: { after: 4, speed: 26400 } }'
connect_wait CK2100 "$SPG_STATE/m3.json"
mid=$(jf "$SPG_STATE/m3.json" 'd["id"]')
check "the session comes up at 33600" eval '[ "$(jf "$SPG_STATE/m3.json" "d[\"state\"]")" = active ]'
check "after the modem retrains, session show reports 26400 bit/s" \
	wait_until 15 eval '[ "$(session_field alice "$mid" "s[\"speed_bps\"]")" = 26400 ]'
check "and spgate-dp meters it at 26400 bit/s" wait_until 5 eval '[ "$(dp_rate_in "$mid")" = 26400 ]'
eng alice disconnect "$mid" >/dev/null 2>&1
wait_until 20 session_state_is alice "$mid" closed
wait_until 10 line_state_is modem1 idle

# ---- no answer ----

section "no answer"
modems_reload '{ number: "+15550100", result: no_answer, ring: 0.3 }' '{ number: "+15550199", result: no_answer, ring: 0.3 }'
connect_wait CK2100 "$SPG_STATE/m4.json"
reason=$(jf "$SPG_STATE/m4.json" 'd["reason"]')
check "nobody answers either number: the session fails with a reason naming both ('$reason')" \
	eval '[ "$(jf "$SPG_STATE/m4.json" "d[\"state\"]")" = failed ] && [[ $reason == *+15550100*"no answer"* ]] && [[ $reason == *+15550199* ]]'
check "the line is free at once (idle) and not counted as faulty" \
	eval 'line_state_is modem1 idle && [ "$(line_field modem1 consecutive_faults)" = 0 ]'

# ---- a call dropped mid-session ----

section "a call dropped mid-session"
modems_reload '{ number: "+15550100", answer: 33600, ring: 0.3, drop_after: 6 }'
connect_wait CK2100 "$SPG_STATE/m5.json"
mid=$(jf "$SPG_STATE/m5.json" 'd["id"]')
check "the session comes up" eval '[ "$(jf "$SPG_STATE/m5.json" "d[\"state\"]")" = active ]'
check "when the call drops, the session fails" wait_until 20 session_state_is alice "$mid" failed
reason=$(session_field alice "$mid" 's["reason"]')
check "and tells the engineer why ('$reason')" eval '[[ $reason == *"call was lost"* ]]'
check "spgate-dp forgot it" wait_until 5 not dp_has_session "$mid"
check "the line is idle again and the SP unreachable" eval 'wait_until 10 line_state_is modem1 idle && wait_until 10 not sp2_reachable'
check "the SP's agent tears its side down (grace $SPG_AGENT_GRACE s)" wait_until $((SPG_AGENT_GRACE + 15)) agent_idle 2

# ---- restarts of spgate-control ----

# The call is not spgate-control's to lose: it leaves the modem line up (HUPCL off, so the
# close at its exit does not drop DTR) and the next one re-attaches (escape, ATO). The
# negative case first: a call that ended while nobody listened is noticed at start.
hook_downs() { grep -c "modem-hook: down .*modem1" "$SPG_STATE/logs/modemsim.out"; }
sim_log_count() { grep -c "$1" "$SPG_STATE/logs/modemsim.out"; }
control_kill9() { # SIGKILL, as a crash: no shutdown path at all; the log kept as control_stop does
	local pid
	pid=$(cat "$SPG_STATE/pids/control.pid")
	kill -KILL "$pid" 2>/dev/null
	wait_until 10 not pid_running "$pid"
	cat "$SPG_STATE/logs/control.out" >>"$SPG_STATE/logs/control-earlier.out"
}

section "a call lost while spgate-control is down"
modems_reload '{ number: "+15550100", answer: 33600, ring: 0.3, drop_after: 10 }'
connect_wait CK2100 "$SPG_STATE/r0.json"
rid=$(jf "$SPG_STATE/r0.json" 'd["id"]')
check "a dialed session comes up (it will be dropped by the network 10 s after CONNECT)" \
	eval '[ "$(jf "$SPG_STATE/r0.json" "d[\"state\"]")" = active ]'
downs=$(hook_downs)
control_kill9
check "spgate-control is killed (-9) with the call up; the modem keeps the call (HUPCL off: DTR held)" \
	wait_until 5 eval '[ "$(sim_log_count "HUPCL off: DTR held, call to +15550100 stays up")" -ge 1 ]'
check "while spgate-control is down the network drops the call (hook down)" \
	wait_until 20 eval '[ "$(hook_downs)" -gt "$downs" ]'
control_start 60 || fail "spgate-control starts again"
check "at start the session is failed" wait_until 20 session_state_is alice "$rid" failed
reason=$(session_field alice "$rid" 's["reason"]')
check "with a clear reason ('$reason')" eval '[[ $reason == *"modem1: the call was lost while spgate-control was stopped"*"NO CARRIER"* ]]'
check "the line is freed (idle) and spgate-dp forgot the session" \
	eval 'wait_until 10 line_state_is modem1 idle && wait_until 10 not dp_has_session "$rid"'
check "and no ATZ reset the modem while checking for the call (ATO answered NO CARRIER)" \
	grep -q "modem1: ATO -> NO CARRIER: no call" "$SPG_STATE/logs/modemsim.out"
check "spgate-control does not call the failed session unknown to the store" \
	not grep -q "which the store does not know" "$SPG_STATE/logs/control.out"

section "a dialed session survives SIGTERM and kill -9 of spgate-control"
modems_reload '{ number: "+15550100", answer: 33600, ring: 0.3 }'
connect_wait CK2100 "$SPG_STATE/r1.json"
rid=$(jf "$SPG_STATE/r1.json" 'd["id"]')
rv=$(jf "$SPG_STATE/r1.json" 'd["virtual_address"]')
check "a dialed session to CK2100 comes up over modem1" \
	eval '[ "$(jf "$SPG_STATE/r1.json" "d[\"state\"]")" = active ] && [ "$(jf "$SPG_STATE/r1.json" "d.get(\"line\")")" = modem1 ]'
ip netns exec "$(topo_ns ws)" "$SPG_PY" "$SPG_REPO/tests/integration/e2e/traffic.py" \
	--stats "$SPG_STATE/rtraffic.json" --interval 0.5 --duration 150 "$rv:7000=sp2" \
	>"$SPG_STATE/logs/rtraffic.out" 2>&1 &
rtraffic=$!
rtraffic_ok() { jf "$SPG_STATE/rtraffic.json" 'd["ok"]' 2>/dev/null || echo 0; }
wait_until 10 test -s "$SPG_STATE/rtraffic.json"
# shellcheck disable=SC2034 # read inside the checks' eval strings
downs=$(hook_downs) hungup=$(sim_log_count "call to +15550100 hung up")
held=$(sim_log_count "HUPCL off: DTR held") online=$(sim_log_count "ATO -> back online with +15550100")
for how in TERM KILL; do
	if [ $how = TERM ]; then
		control_stop
		check "SIGTERM: spgate-control leaves the call up ('call left up for the next spgate-control')" \
			eval 'sed -n "/stopping; sessions live on/,\$p" "$SPG_STATE/logs/control.out" | grep -q "modem1: +15550100: call left up"'
		check "and logs no hang-up" \
			not eval 'sed -n "/stopping; sessions live on/,\$p" "$SPG_STATE/logs/control.out" | grep -q "hanging up\|hung up"'
	else
		control_kill9
	fi
	held=$((held + 1)) online=$((online + 1))
	check "$how: the modem saw the device closed with DTR held, the call still up" \
		wait_until 5 eval '[ "$(sim_log_count "HUPCL off: DTR held, call to +15550100 stays up")" -ge $held ]'
	ok_down=$(rtraffic_ok)
	sleep 3
	check "$how: while spgate-control is down the SP keeps answering ($(($(rtraffic_ok) - ok_down)) answers in 3 s)" \
		[ "$(rtraffic_ok)" -gt "$((ok_down + 2))" ]
	control_start 60 || fail "spgate-control starts again after $how"
	check "$how: the new spgate-control re-attaches to the call without a reset" \
		wait_until 15 grep -q "line modem1: call to CK2100: re-attached to the call (the modem answered CONNECT to ATO)" \
		"$SPG_STATE/logs/control.out"
	check "$how: the same session $rid is still active" session_state_is alice "$rid" active
	check "$how: modem1 is still connected to session $rid" \
		eval 'line_state_is modem1 connected && [ "$(line_field modem1 session)" = "$rid" ]'
	check "$how: the SP's agent is re-attached (up, not in grace)" \
		wait_until 20 eval '[ "$(agent_session_states 2)" = up ]'
	check "$how: TCP to $rv:7000 is still answered by CK2100 (sp2)" fetch_is "$rv" 7000 sp2
	check "$how: the modem saw no hang-up (no hook down, no ATH/ATZ/DTR drop)" \
		eval '[ "$(hook_downs)" = "$downs" ] && [ "$(sim_log_count "call to +15550100 hung up")" = "$hungup" ]'
	check "$how: and went back online on ATO" \
		eval '[ "$(sim_log_count "ATO -> back online with +15550100")" = $online ]'
	check "$how: spgate-control does not call the session unknown to the store" \
		not grep -q "which the store does not know" "$SPG_STATE/logs/control.out"
done
check "session show still reports the connect speed $SPEED bit/s" \
	eval '[ "$(session_field alice "$rid" "s[\"speed_bps\"]")" = $SPEED ]'
kill "$rtraffic" 2>/dev/null
wait "$rtraffic" 2>/dev/null
failures=$(jf "$SPG_STATE/rtraffic.json" 'd["failed"]')
check "no request through the call failed across both restarts ($(rtraffic_ok) answered, ${failures:-?} failed)" \
	[ "${failures:-1}" = 0 ]
eng alice disconnect "$rid" >/dev/null 2>&1
check "the re-attached call is hung up on disconnect as any call (hook down), the line idle" \
	eval 'wait_until 20 session_state_is alice "$rid" closed && wait_until 10 line_state_is modem1 idle && wait_until 10 eval "[ \$(hook_downs) -gt $downs ]"'

# ---- line faults ----

section "a line that keeps failing"
modems_reload
op_ctl line disable modem1 >/dev/null 2>&1
check "the operator disables modem1 and enables modem2 (which has no dial tone)" \
	eval 'line_state_is modem1 disabled && op_ctl line enable modem2 >/dev/null && line_state_is modem2 idle'
for n in 1 2; do
	connect_wait CK2100 "$SPG_STATE/f$n.json"
	reason=$(jf "$SPG_STATE/f$n.json" 'd["reason"]')
	check "connect $n over modem2 fails: '$reason'" \
		eval '[ "$(jf "$SPG_STATE/f$n.json" "d[\"state\"]")" = failed ] && [[ $reason == *"dial tone"* ]]'
done
check "after two line faults in a row modem2 is marked failed" \
	grep -q "line modem2: 2 line faults in a row; marked failed" "$SPG_STATE/logs/control.out"
op_ctl line enable modem2 >/dev/null 2>&1
check "spgatectl line enable modem2 puts it back: idle, faults forgotten" \
	eval 'line_state_is modem2 idle && [ "$(line_field modem2 consecutive_faults)" = 0 ]'
op_ctl line disable modem2 >/dev/null 2>&1
op_ctl line enable modem3 >/dev/null 2>&1
for n in 3 4; do
	connect_wait CK2100 "$SPG_STATE/f$n.json"
done
reason=$(jf "$SPG_STATE/f4.json" 'd["reason"]')
check "a dead modem (never answers) times out twice ('$reason') and modem3 is marked failed" \
	line_state_is modem3 failed
out=$(eng alice --json connect CK2100 --wait --wait-timeout 30 2>/dev/null)
check "a failed line is skipped: with no other modem line the connect fails ('$(jv 'd.get("reason","")' <<<"$out")')" \
	eval '[[ $(jv "d.get(\"reason\",\"\")" <<<"$out") == *"no free line"* ]]'
check "health checks of a modem that does not answer keep it failed (after 5 s)" eval 'sleep 5; line_state_is modem3 failed'
SPG_MODEM3_DEAD=false modems_reload '{ number: "+15550100", answer: 33600, ring: 0.3 }'
check "once the modem answers again, a health check brings modem3 back to idle" wait_until 20 line_state_is modem3 idle
connect_wait CK2100 "$SPG_STATE/m6.json"
check "and a session over the recovered modem3 comes up" \
	eval '[ "$(jf "$SPG_STATE/m6.json" "d[\"state\"]")" = active ] && [ "$(jf "$SPG_STATE/m6.json" "d.get(\"line\")")" = modem3 ]'
mid=$(jf "$SPG_STATE/m6.json" 'd["id"]')
eng alice disconnect "$mid" >/dev/null 2>&1
check "lines count the calls and failures (modem2: $(line_field modem2 calls) calls, $(line_field modem2 failures) failures)" \
	eval '[ "$(line_field modem2 calls)" -ge 2 ] && [ "$(line_field modem2 failures)" -ge 2 ]'
check "the audit trail has the operator's line changes" eval 'op_ctl audit --limit 1000 2>/dev/null | grep -q line_disable'
