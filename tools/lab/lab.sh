#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The spgate lab: the whole system in network namespaces on this machine. Two workstations,
# the gateway (spgate-dp, spgate-control with its web console, FreeRADIUS), SPs that all have
# the same address S, each running spgate-agent (one of them behind its customer's NAT), and a
# stranger.
#
#   tools/lab/lab.sh up [--duration SECONDS]   build, start, demo; stays up until Ctrl-C,
#                                                   `lab.sh down` or the duration ends
#   tools/lab/lab.sh up --gateways 2           a fleet instead: two gateway hosts on one
#                                                   PostgreSQL (tools/lab/fleet.sh), short demo
#   tools/lab/lab.sh status                    what is running, sessions and counters
#   tools/lab/lab.sh down                      stop everything (idempotent)
#
# State (pids, PKI, database, logs) lives in /run/spgate-lab (SPG_STATE overrides it).
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${SPG_STATE:=/run/spgate-lab}"
: "${SPG_DP_CONFIG:=$SPG_REPO/config/lab-dp.yaml}"
: "${SPG_INVENTORY:=$SPG_REPO/config/lab-inventory.yaml}"
# shellcheck disable=SC2034 # read by topology.sh, agents.sh and control.sh
SPG_NS=spg- SPG_N_SP=5 SPG_CONTROL=1 SPG_NAT_SPS=3 SPG_MODEM_SPS=5 SPG_WS2=1
SPG_SERIALS="CK2001 CK2002 CK2003 CK3001 CK2100"
SPG_PKI=$SPG_STATE/pki
# shellcheck source=tools/lab/topology.sh
. "$SPG_REPO/tools/lab/topology.sh"
# shellcheck source=tools/lab/agents.sh
. "$SPG_REPO/tools/lab/agents.sh"
# shellcheck source=tools/lab/control.sh
. "$SPG_REPO/tools/lab/control.sh"
# shellcheck source=tools/lab/pki.sh
. "$SPG_REPO/tools/lab/pki.sh"
# shellcheck source=tools/lab/json.sh
. "$SPG_REPO/tools/lab/json.sh"
# shellcheck source=tools/lab/snmp.sh
. "$SPG_REPO/tools/lab/snmp.sh"
SPG_SNMP=1 # snmpd and snmptrapd run: spgate-control's config keeps its snmp section on
# shellcheck source=tools/lab/modems.sh
. "$SPG_REPO/tools/lab/modems.sh"
# shellcheck source=tools/lab/pg.sh
. "$SPG_REPO/tools/lab/pg.sh"
# shellcheck source=tools/lab/fleet.sh
. "$SPG_REPO/tools/lab/fleet.sh"
# The fleet lab (up --gateways 2) says so in this file, for down and status; its PostgreSQL
# cluster beside the state directory (the server runs as postgres; the state is root's)
SPG_GATEWAYS_FILE=$SPG_STATE/gateways
SPG_PG_DIR=${SPG_STATE%/}-pg

# The control socket the config names (the lab config's default otherwise).
SPG_SOCK=$(sed -n 's/^[[:space:]]*control_socket:[[:space:]]*"\{0,1\}\([^"#[:space:]]*\).*/\1/p' \
	"$SPG_DP_CONFIG" 2>/dev/null | head -1)
: "${SPG_SOCK:=/run/spgate/lab-dp.sock}"
FILE_PREFIX=$(sed -n 's/^[[:space:]]*file_prefix:[[:space:]]*"\{0,1\}\([^"#[:space:]]*\).*/\1/p' \
	"$SPG_DP_CONFIG" 2>/dev/null | head -1)
: "${FILE_PREFIX:=spgate-lab}"
CTL=$SPG_REPO/build/tools/spgatectl/spgatectl
SPG_WEB_PORT=9443 # spgate-control's web console on $SPG_MGMT (control_web_config)
EXES="dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent tools/modemsim/spgate-modemsim"

usage() {
	sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

# need_root ARGS...: as root, nothing; otherwise run lab.sh again with sudo where there is one
need_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	if command -v sudo >/dev/null; then
		exec sudo bash "$0" "$@"
	fi
	echo "lab.sh: needs root (network namespaces, af_packet, XDP): run it as root" >&2
	exit 1
}

lab_is_up() {
	[ -f "$SPG_STATE/lab.pid" ] && kill -0 "$(cat "$SPG_STATE/lab.pid")" 2>/dev/null
}

build_all() {
	local exe
	topo_log "installing what is missing (tools/setup.sh)"
	bash "$SPG_REPO/tools/setup.sh" || return 1
	topo_log "building spgate-dp, spgate-control, spgate-agent and spgatectl in $SPG_REPO/build"
	# Only what the lab runs: the lab need not wait for (or fail on) the rest of the tree.
	(
		if [ ! -f "$SPG_REPO/build/build.ninja" ]; then
			meson setup "$SPG_REPO/build" "$SPG_REPO" || exit 1
		fi
		# shellcheck disable=SC2086
		ninja -C "$SPG_REPO/build" $EXES
	) >"$SPG_STATE/logs/build.log" 2>&1 || {
		tail -n 30 "$SPG_STATE/logs/build.log"
		topo_log "build failed (whole log: $SPG_STATE/logs/build.log)"
		return 1
	}
	for exe in $EXES; do
		if [ ! -x "$SPG_REPO/build/$exe" ]; then
			topo_log "build/$exe was not built"
			return 1
		fi
	done
}

# Everything an earlier lab left but its logs: a fresh database, PKI, RADIUS tree, tokens.
clear_state() {
	rm -rf "$SPG_STATE/pids" "$SPG_STATE/pki" "$SPG_STATE/radius" "$SPG_STATE/agents" \
		"$SPG_STATE/tokens" "$SPG_STATE/control" "$SPG_STATE"/spgate.db* \
		"$SPG_STATE/audit.jsonl" "$SPG_STATE/control.yaml" "$SPG_STATE/control.sock" \
		"$SPG_STATE/snmp" "$SPG_STATE/b" "$SPG_GATEWAYS_FILE" "$SPG_STATE/dp.yaml"
	rm -f "$SPG_STATE"/logs/*
}

teardown() {
	trap - EXIT INT TERM
	topo_log "tearing the lab down"
	topo_destroy
	[ "$SPG_GATEWAYS" = 2 ] && pg_destroy "$SPG_STATE/logs"
	rm -f "$SPG_STATE/lab.pid"
	topo_log "lab is down (logs kept in $SPG_STATE/logs)"
}

# The sessions alice holds, as "ID SERIAL VIRTUAL STATE" lines
alice_sessions() {
	eng alice --json sessions 2>/dev/null | "$SPG_PY" -c '
import json, sys
d = json.load(sys.stdin)
for s in d.get("sessions", []) if isinstance(d, dict) else d:
    print(s["id"], s["serial"], s.get("virtual_address") or "-", s["state"])'
}

demo() {
	local serial id virt state answer rc pids=() f answered=0
	echo
	topo_log "demo: alice (RADIUS group storage-eu) logs in from the workstation $SPG_W"
	echo "  \$ spgatectl login --user alice"
	eng_login alice alice-pw 2>&1 | sed 's/^/  /'
	echo
	echo "  \$ spgatectl search acme"
	eng alice search acme 2>&1 | sed 's/^/  /'
	echo "  (globex's CK3001 is not listed: alice's groups do not reach globex)"
	echo
	topo_log "demo: alice connects to CK2001 (Paris) and CK2003 (Lyon, behind acme's NAT) at once"
	for serial in CK2001 CK2003; do
		echo "  \$ spgatectl connect $serial --wait &"
		(eng alice connect "$serial" --wait --wait-timeout 60 >"$SPG_STATE/logs/demo-$serial.out" 2>&1
			echo $? >"$SPG_STATE/logs/demo-$serial.rc") &
		pids+=($!)
	done
	wait "${pids[@]}"
	for serial in CK2001 CK2003; do
		rc=$(cat "$SPG_STATE/logs/demo-$serial.rc" 2>/dev/null)
		echo "  $serial:"
		grep -E '^(session|state|reason|line|virtual|sp address) ' \
			"$SPG_STATE/logs/demo-$serial.out" | sed 's/^/    /'
		grep '^spgatectl' "$SPG_STATE/logs/demo-$serial.out" | sed 's/^/    /'
		[ "$rc" = 0 ] || { topo_log "connect $serial exited $rc"; DEMO_FAILED=1; }
	done
	echo
	topo_log "demo: every SP has the address $SPG_S; the virtual address says which one answers"
	while read -r id serial virt state; do
		[ "$state" = active ] || continue
		answer=$(ip netns exec "$(topo_ns ws)" timeout 6 nc -w 5 "$virt" 7000 </dev/null 2>/dev/null)
		printf '  session %s: W %s -> %s:7000 (%s) answers: %s\n' "$id" "$SPG_W" "$virt" \
			"$serial" "${answer:-<nothing>}"
		[ "$answer" = "sp${serial: -1}" ] || DEMO_FAILED=1
		answered=$((answered + 1))
	done < <(alice_sessions)
	[ "$answered" = 2 ] || DEMO_FAILED=1
	virt=$(alice_sessions | awk '$4 == "active" {print $3; exit}')
	if [ -n "$virt" ]; then
		echo "  \$ ping -c 3 $virt"
		ip netns exec "$(topo_ns ws)" ping -c 3 -i 0.3 -W 2 "$virt" | sed 's/^/  /'
		[ "${PIPESTATUS[0]}" = 0 ] || { topo_log "the ping got no answer"; DEMO_FAILED=1; }
	else
		DEMO_FAILED=1
	fi
	echo
	echo "  \$ spgatectl sessions"
	eng alice sessions 2>&1 | sed 's/^/  /'
	echo
	topo_log "the SP side: spgate-agent --status of SP 1 (CK2001)"
	agent_status 1 2>&1 | sed 's/^/  /'
	for f in CK2001 CK2003; do rm -f "$SPG_STATE/logs/demo-$f.rc"; done
	demo_dial
	demo_snmp
	demo_join
	demo_web
	demo_mfa
}

# ws2_fetch ADDR: what the service at ADDR:7000 answers the second workstation W2
ws2_fetch() { ip netns exec "$(topo_ns ws2)" timeout 5 nc -w 3 "$1" 7000 </dev/null 2>/dev/null; }
ws2_fetch_is() { [ "$(ws2_fetch "$1")" = "$2" ]; } # ws2_fetch_is ADDR NAME

# Join (issue 15): tess asks to join alice's CK2001 session from the second workstation W2
# (her spgatectl runs on W, naming W2: the lab inventory lets her, may_name_workstations); alice
# accepts, W2 reaches the SP at the session's own V_i, alice removes tess, W2 is cut off.
demo_join() {
	local sid="" virt="" rc answer pid
	echo
	topo_log "demo: tess joins alice's CK2001 session from the second workstation W2 $SPG_W2"
	read -r sid virt < <(alice_sessions | awk '$2 == "CK2001" && $4 == "active" {print $1, $3; exit}')
	if [ -z "$sid" ] || ! eng_login tess tess-lab-pw >/dev/null 2>&1; then
		topo_log "no active CK2001 session of alice's to join, or tess cannot log in"
		DEMO_FAILED=1
		return
	fi
	echo "  (tess) \$ spgatectl join $sid --workstation $SPG_W2 --reason \"second pair of eyes\" &"
	eng tess join "$sid" --workstation "$SPG_W2" --reason "second pair of eyes" --wait-timeout 30 \
		>"$SPG_STATE/logs/demo-join.out" 2>&1 &
	pid=$!
	# shellcheck disable=SC2016 # eval expands $sid
	wait_until 10 eval 'eng alice join requests "$sid" 2>/dev/null | grep -q "tess .*pending"' ||
		{ topo_log "alice does not see tess's request"; DEMO_FAILED=1; }
	echo "  (alice) \$ spgatectl join requests"
	eng alice join requests 2>&1 | sed 's/^/  /'
	echo "  (alice) \$ spgatectl join accept $sid tess"
	eng alice join accept "$sid" tess 2>&1 | sed 's/^/  /'
	[ "${PIPESTATUS[0]}" = 0 ] || { topo_log "alice's accept failed"; DEMO_FAILED=1; }
	wait "$pid"
	rc=$?
	sed 's/^/    /' "$SPG_STATE/logs/demo-join.out"
	[ "$rc" = 0 ] || { topo_log "tess's spgatectl join exited $rc"; DEMO_FAILED=1; }
	wait_until 10 ws2_fetch_is "$virt" sp1
	answer=$(ws2_fetch "$virt")
	printf '  W2 %s -> %s:7000 (CK2001) answers: %s\n' "$SPG_W2" "$virt" "${answer:-<nothing>}"
	[ "$answer" = sp1 ] || { topo_log "W2 does not reach CK2001 through the joined session"; DEMO_FAILED=1; }
	echo "  (alice) \$ spgatectl sessions"
	eng alice sessions 2>&1 | sed 's/^/  /'
	eng alice sessions 2>/dev/null | grep -q "tess (slot" ||
		{ topo_log "the JOINERS column does not show tess"; DEMO_FAILED=1; }
	echo "  (alice) \$ spgatectl join remove $sid tess"
	eng alice join remove "$sid" tess 2>&1 | sed 's/^/  /'
	[ "${PIPESTATUS[0]}" = 0 ] || { topo_log "alice's remove failed"; DEMO_FAILED=1; }
	answer=$(ws2_fetch "$virt")
	printf '  W2 %s -> %s:7000 after the removal answers: %s\n' "$SPG_W2" "$virt" "${answer:-<nothing>}"
	[ -z "$answer" ] || { topo_log "W2 still reaches CK2001 after the removal"; DEMO_FAILED=1; }
}

# The web console (issue 18) from the workstation, through the management link the engineers'
# spgatectl uses: the login page over TLS (the lab CA) with its security headers, plain HTTP
# refused, and a login each of globex's approver and of an operator (what the console shows
# them). No browser here: tests/integration/test_web.sh drives one.
demo_web() {
	local url=https://$SPG_MGMT:$SPG_WEB_PORT hdrs code rc h user pw out
	echo
	topo_log "demo: the web console at $url (approver: gina / gina-pw, operator: carol / carol-pw)"
	echo "  \$ curl --cacert $SPG_PKI/ca.crt -D - $url/"
	hdrs=$(web_curl -D - -o "$SPG_STATE/logs/web-index.html" "$url/" 2>&1 | tr -d '\r')
	code=$(awk 'NR == 1 {print $2}' <<<"$hdrs")
	grep -Ei '^(HTTP/|(content-security-policy|strict-transport-security|x-frame-options|x-content-type-options|referrer-policy):)' <<<"$hdrs" |
		sed 's/^/  /'
	if [ "$code" != 200 ] || ! grep -q 'id="login-form"' "$SPG_STATE/logs/web-index.html"; then
		topo_log "the console's login page did not answer over TLS (status ${code:-none})"
		DEMO_FAILED=1
	fi
	for h in "content-security-policy: .*frame-ancestors 'none'" 'strict-transport-security: max-age=' \
		'x-frame-options: DENY' 'x-content-type-options: nosniff'; do
		grep -qi "^$h" <<<"$hdrs" || { topo_log "the page lacks the header ${h%%:*}"; DEMO_FAILED=1; }
	done
	code=$(ip netns exec "$(topo_ns ws)" curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$SPG_MGMT:$SPG_WEB_PORT/" 2>/dev/null)
	rc=$?
	echo "  \$ curl http://$SPG_MGMT:$SPG_WEB_PORT/   -> curl exit $rc, HTTP status ${code:-000} (no HTTP answer: TLS only)"
	if [ "$rc" = 0 ] || [ "${code:-000}" != 000 ]; then
		topo_log "plain HTTP got an answer"
		DEMO_FAILED=1
	fi
	for user in gina carol; do
		pw=$user-pw
		out=$(web_curl -H 'Content-Type: application/json' -d "{\"user\":\"$user\",\"password\":\"$pw\"}" \
			"$url/api/login" 2>/dev/null)
		echo "  POST /api/login as $user: $(jv '"logged in, operator" if d.get("operator") else ("logged in, approver" if d.get("ok") else d)' <<<"$out")"
		[ "$(jv 'd.get("ok")' <<<"$out")" = true ] || { topo_log "$user cannot log in to the console"; DEMO_FAILED=1; }
	done
}

# web_curl ARGS...: curl from the workstation, trusting the lab CA, bounded
web_curl() { ip netns exec "$(topo_ns ws)" curl -s -m 5 --cacert "$SPG_PKI/ca.crt" "$@"; }

# lab_totp SECRET STEP: the code an authenticator app shows in STEP (30 s steps)
lab_totp() { oathtool --totp -b "$1" -N "@$(($2 * 30))"; }

# The second factor (issue 16): tess enrols TOTP (oathtool plays her phone), logs in with a
# code, and with acme requiring MFA for a moment her connect asks a fresh one (step-up; the
# lab's auth.mfa_max_age is 0). Each code is good once: the next is of a later step.
demo_mfa() {
	local enr secret step out
	echo
	topo_log "demo: tess enrols a TOTP second factor; acme requires MFA, so connect steps up"
	eng_login tess tess-lab-pw >/dev/null 2>&1
	echo "  \$ spgatectl mfa enroll"
	enr=$(eng tess --json mfa enroll 2>/dev/null)
	secret=$(jv 'd["secret"]' <<<"$enr")
	echo "  $(jv 'd["uri"]' <<<"$enr")"
	step=$(($(date +%s) / 30))
	echo "  \$ spgatectl mfa verify CODE"
	eng tess mfa verify "$(lab_totp "$secret" "$step")" 2>&1 | sed 's/^/  /'
	echo "  \$ spgatectl login --user tess        (password, then \"Authenticator code:\")"
	lab_totp "$secret" $((step + 1)) >"$SPG_STATE/otp.tess"
	SPGATE_PASSWORD=tess-lab-pw eng tess login --user tess --otp-file "$SPG_STATE/otp.tess" 2>&1 |
		sed 's/^/  /'
	printf 'customers:\n  - { name: acme, approval_policy: auto, mfa: required }\n' >"$SPG_STATE/mfa-demo.yaml"
	op_ctl inventory import "$SPG_STATE/mfa-demo.yaml" >/dev/null 2>&1 || DEMO_FAILED=1
	while [ $(($(date +%s) / 30)) -le "$step" ]; do sleep 1; done # the next code's step
	lab_totp "$secret" $((step + 2)) >"$SPG_STATE/otp.tess"
	echo "  \$ spgatectl connect CK2002 --wait    (acme: mfa: required -> a fresh code)"
	out=$(eng tess connect CK2002 --wait --wait-timeout 60 --otp-file "$SPG_STATE/otp.tess" 2>&1)
	grep -E '^(spgatectl|session|state) ' <<<"$out" | sed 's/^/  /'
	grep -q '^state .*active' <<<"$out" || { topo_log "the stepped-up connect did not come up"; DEMO_FAILED=1; }
	out=$(eng tess --json sessions 2>/dev/null | jv '" ".join(str(s["id"]) for s in (d.get("sessions", []) if isinstance(d, dict) else d))')
	for id in $out; do eng tess disconnect "$id" >/dev/null 2>&1; done
	op_ctl inventory import "$SPG_REPO/config/lab-inventory.yaml" >/dev/null 2>&1 # acme: no MFA again
	op_ctl audit --limit 200 2>/dev/null | grep -E 'step_up|mfa_' | sed 's/^/  /'
}

# The seeds' telephone lines: CK2100 is dialed on modem1 and its session runs at the speed.
demo_dial() {
	local out id virt answer
	echo
	topo_log "demo: alice connects to CK2100, reached by modem: spgate-control dials +15550100 on modem1"
	out=$(eng alice --json connect CK2100 --wait --wait-timeout 60 2>&1)
	id=$(jv 'd["id"]' <<<"$out")
	virt=$(jv 'd["virtual_address"]' <<<"$out")
	if [ "$(jv 'd["state"]' <<<"$out")" != active ]; then
		echo "  the dialed session did not come up: $out"
		DEMO_FAILED=1
		return
	fi
	answer=$(ip netns exec "$(topo_ns ws)" timeout 8 nc -w 6 "$virt" 7000 </dev/null 2>/dev/null)
	printf '  session %s over %s at %s bit/s: W -> %s:7000 (CK2100) answers: %s\n' "$id" \
		"$(jv 'd.get("line")' <<<"$out")" "$(jv 'd["speed_bps"]' <<<"$out")" "$virt" "${answer:-<nothing>}"
	[ "$answer" = sp5 ] || DEMO_FAILED=1
	echo "  \$ spgatectl --operator lines"
	op_ctl lines 2>&1 | sed 's/^/  /'
}

# The network management's view: spgSessionTable through snmpd, by name where the IETF modules
# are at hand; every session alice holds must be there, active.
demo_snmp() {
	local walk id serial state ids shown=0 missing t
	echo
	topo_log "demo: the NOC's view: snmpwalk of spgSessionTable (spgate-control is snmpd's AgentX subagent)"
	ids=$(alice_sessions | awk '$4 == "active" {print $1 " " $2}')
	# spgate-control refreshes its tables every 3 s: a session that just came up may not be
	# in them yet, so walk again (10 s at most) until each of alice's sessions is
	for ((t = 0; t < 10; t++)); do
		walk=$(demo_snmp_walk)
		missing=0
		while read -r id serial; do
			[ -n "$id" ] && ! demo_snmp_active "$id" "$walk" && missing=1
		done <<<"$ids"
		[ $missing = 0 ] && break
		sleep 1
	done
	echo "  \$ snmpwalk ... spgSessionState"
	sed 's/^/  /' <<<"$walk"
	while read -r id serial; do
		[ -n "$id" ] || continue
		shown=$((shown + 1))
		if demo_snmp_active "$id" "$walk"; then
			echo "  session $id ($serial): active in SNMP too"
		else
			echo "  session $id ($serial): NOT shown active by SNMP"
			DEMO_FAILED=1
		fi
	done <<<"$ids"
	[ "$shown" -ge 3 ] || { echo "  expected alice's 3 sessions, saw $shown"; DEMO_FAILED=1; }
}

# demo_snmp_walk: spgSessionState by name, or numeric without the IETF modules
demo_snmp_walk() {
	local walk
	if walk=$(snmp_walk_mib spgSessionState 2>&1); [ $? = 77 ]; then
		echo "(no IETF MIB modules here: numeric OIDs; set SPG_IETF_MIBS for names)"
		walk=$(snmp_walk "$SPG_SNMP_BASE.1.1.1.6" 2>&1)
	fi
	echo "$walk"
}

demo_snmp_active() { # demo_snmp_active ID WALK: the walk shows session ID active(7)
	grep -Eq "(spgSessionState|\.1\.1\.1\.6)\.$1 = INTEGER: (active\()?7\)?$" <<<"$2"
}

hints() {
	local ws="ip netns exec spg-ws"
	cat <<EOF

The lab is up. Try, from another shell (as root). As an engineer on the workstation
(the token of alice's login is in $SPG_STATE/tokens/alice):

  eng() { ip netns exec spg-ws env SPGATE_TOKEN_FILE=$SPG_STATE/tokens/\$1 \\
          SPGATE_SERVER=$SPG_MGMT:$SPG_API_PORT SPGATE_CA=$SPG_PKI/ca.crt \\
          SPGATE_PASSWORD=\$1-pw $CTL "\${@:2}"; }
  eng alice sessions
  eng alice connect CK2002 --wait                  # a third SP, same address $SPG_S
  $ws nc -w 3 198.19.0.1 7000 </dev/null        # each session's virtual address (see sessions)
  $ws nc -w 3 198.19.0.1 9999 </dev/null        # not granted: spgate-dp drops it (port_filtered)
  eng alice disconnect ID
  eng bob login --user bob && eng bob search CK   # bob (storage-globex) sees only globex
  eng bob connect CK3001 --wait                    # globex asks: it waits for an approver...
  eng carol login --user carol && eng carol approve ID   # ...carol (approvers) lets it in
  eng carol login --user carol && eng carol connect CK2001   # busy: alice holds it, says who

A second engineer joins alice's session from the second workstation W2 ($SPG_W2, spg-ws2):

  eng tess join ID --workstation $SPG_W2 --reason "second pair of eyes" &   # waits for alice
  eng alice join requests; eng alice join accept ID tess
  ip netns exec spg-ws2 nc -w 3 198.19.0.1 7000 </dev/null   # W2 at the session's V_i
  eng alice join remove ID tess

The web console (TLS, the lab CA $SPG_PKI/ca.crt): https://$SPG_MGMT:$SPG_WEB_PORT/
  globex's approver: gina / gina-pw     operators: carol / carol-pw, ops / ops-lab-pw
  ip netns exec spg-ws curl --cacert $SPG_PKI/ca.crt https://$SPG_MGMT:$SPG_WEB_PORT/
  (a browser on the host needs a route to $SPG_MGMT; the lab starts none)

As the operator on the gateway:

  op() { $CTL --operator --control-socket $SPG_STATE/control.sock "\$@"; }
  op sessions --all
  op lines
  op audit --limit 20
  op deny ID                                       # refuse a session awaiting approval
  $CTL --socket $SPG_SOCK dp sessions             # what spgate-dp forwards
  $CTL --socket $SPG_SOCK dp drops

On the SPs and the wire:

  $(agent_bin) -c $SPG_STATE/agents/sp1.yaml --status
  ip netns exec spg-wan tcpdump -n -i br-wan        # ESP in UDP 4500, TLS 7443, ARP only
  ip netns exec spg-sp3 tcpdump -n -i eth0         # CK2003 behind its NAT (198.18.3.10)
  ip netns exec spg-sp1 tcpdump -n -i sptun0       # the plaintext inside SP 1's tunnel
  ip netns exec spg-x nc -w 3 203.0.113.11 7000 </dev/null   # a stranger: the SP's guard drops it

SNMP (mib/SPGATE-MIB.txt; spgate-control is an AgentX subagent of snmpd in spg-gw):

  ip netns exec spg-gw snmpwalk -v2c -c $SPG_SNMP_COMMUNITY -On 127.0.0.1:$SPG_SNMP_AGENT_PORT $SPG_SNMP_BASE
  tail -f $(snmp_traps)     # spgSessionUp/Down, spgAuthFailure, ... as snmptrapd got them

Sessions close after 10 minutes without traffic (sessions.idle_timeout, config/lab-control.yaml).
Logs: $SPG_STATE/logs/  (spgate-control: control.out, spgate-dp: dp.out, agents: agentN.out)
Stop: Ctrl-C here, or: $SPG_REPO/tools/lab/lab.sh down
EOF
}

# ---- the fleet lab (up --gateways 2) ----

# fleet_lab_up: PostgreSQL in <ns>db, hosts A (gw-a) and B (gw-b) each with FreeRADIUS,
# spgate-dp and spgate-control (tools/lab/fleet.sh), the network SPs, the inventory, the demo.
# No modems (a modem line belongs to one host), SNMP or web console: the one-host lab has them.
fleet_lab_up() {
	local pairs=() i
	# the SPs reached over the network; CK2100 (by modem) is not in a fleet lab
	SPG_N_SP=4 SPG_MODEM_SPS="" SPG_SNMP=0
	topo_create || { topo_log "creating the topology failed"; exit 1; }
	for ((i = 1; i <= SPG_N_SP; i++)); do
		pairs+=("$(agent_serial "$i")=$(topo_sp_local "$i")")
	done
	topo_log "starting PostgreSQL in $(topo_ns db) ($SPG_DB:$SPG_PG_PORT), then hosts A and B"
	fleet_up "${pairs[@]}" || exit 1
	topo_log "starting the SPs: spgate-agent and the services on 7000/8080 (and a forbidden 9999)"
	agents_start || exit 1
	topo_log "the operator imports the inventory ($SPG_INVENTORY) through host A"
	control_import "$SPG_INVENTORY" 2>&1 | sed 's/^/  /'
	[ "${PIPESTATUS[0]}" = 0 ] || { topo_log "inventory import failed"; exit 1; }
	DEMO_FAILED=0
	fleet_demo
	fleet_hints
	[ "$DEMO_FAILED" = 0 ] || topo_log "the demo did not go as it should (see above); staying up to look"
}

# fleet_connect ENG SERIAL: alice's connect --wait through ENG (eng: A, eng_b: B), "ID VIRTUAL
# STATE"
fleet_connect() {
	"$1" alice --json connect "$2" --wait --wait-timeout 60 2>/dev/null |
		jv "'%s %s %s' % (d['id'], d.get('virtual_address'), d['state'])"
}

# fleet_demo: alice's session through A and one through B, both hosts alive in `gateways`,
# each virtual address answering from the workstation
fleet_demo() {
	local id1 v1 st1 id2 v2 st2 pair v want host
	echo
	topo_log "demo: alice logs in on host A ($SPG_MGMT) and on host B ($SPG_MGMT_B)"
	eng_login alice alice-pw >/dev/null 2>&1 || DEMO_FAILED=1
	eng_b_login alice alice-pw >/dev/null 2>&1 || DEMO_FAILED=1
	echo "  \$ spgatectl connect CK2001 --wait          (asking host A)"
	read -r id1 v1 st1 <<<"$(fleet_connect eng CK2001)"
	echo "  session ${id1:-?}: ${st1:-failed}, virtual ${v1:-none}"
	echo "  \$ spgatectl connect CK2002 --wait          (asking host B)"
	read -r id2 v2 st2 <<<"$(fleet_connect eng_b CK2002)"
	echo "  session ${id2:-?}: ${st2:-failed}, virtual ${v2:-none}"
	[ "$st1" = active ] && [ "$st2" = active ] || DEMO_FAILED=1
	echo
	echo "  \$ spgatectl --operator gateways             (on host A)"
	op_ctl gateways 2>&1 | sed 's/^/  /'
	[ "$(fleet_gateways op_ctl)" = "gw-a=alive gw-b=alive" ] || { topo_log "not both hosts alive"; DEMO_FAILED=1; }
	echo "  \$ spgatectl sessions                        (alice, asking host B)"
	eng_b alice sessions 2>&1 | sed 's/^/  /'
	echo
	topo_log "demo: each host forwards its own sessions (W routes $SPG_POOL_A to A, $SPG_POOL_B to B)"
	for pair in "${v1:-}:sp1:A" "${v2:-}:sp2:B"; do
		IFS=: read -r v want host <<<"$pair"
		if [ -z "$v" ] || [ "$v" = None ]; then
			DEMO_FAILED=1
			continue
		fi
		wait_until 10 lab_fetch_is "$v" "$want"
		printf '  W %s -> %s:7000 (through host %s) answers: %s\n' "$SPG_W" "$v" "$host" "$(lab_fetch "$v")"
		lab_fetch_is "$v" "$want" || DEMO_FAILED=1
	done
	[ -n "${v1:-}" ] && [ "$v1" != None ] && fleet_demo_failover "$id1" "$v1"
}

# fleet_demo_failover ID VIRTUAL: host A crashes (kill -9 of its spgate-control and spgate-dp);
# B takes A's session and addresses over, alice's address answers again through B; A comes
# back and stands by
fleet_demo_failover() {
	local t0 took=""
	echo
	topo_log "demo: host A crashes (kill -9 of its spgate-control and spgate-dp)"
	fleet_kill a
	t0=$SECONDS
	if wait_until 30 fleet_session_on_b "$1"; then
		took=$((SECONDS - t0))
		echo "  host B took session $1 over in about $took s (A's lease expired after 10 s)"
	else
		topo_log "host B did not take session $1 over within 30 s"
		DEMO_FAILED=1
	fi
	wait_until 20 lab_fetch_is "$2" sp1
	printf '  W %s -> %s:7000 (now through host B, which holds A'"'"'s addresses) answers: %s\n' \
		"$SPG_W" "$2" "$(lab_fetch "$2")"
	lab_fetch_is "$2" sp1 || DEMO_FAILED=1
	echo "  \$ spgatectl --operator gateways             (on host B)"
	op_b gateways 2>&1 | sed 's/^/  /'
	topo_log "demo: host A starts again; it takes nothing back and stands by while B holds its addresses"
	fleet_start a || DEMO_FAILED=1
	wait_until 20 eval '[ "$(fleet_gateway_field op_b gw-a "g[\"state\"]")" = alive ]' || DEMO_FAILED=1
	op_b gateways 2>&1 | sed 's/^/  /'
}
# fleet_session_on_b ID: session ID is active and owned by gw-b, as host B's operator sees it
fleet_session_on_b() {
	[ "$(op_b --json sessions --all 2>/dev/null |
		jv "[('%s %s' % (s.get('owner_gateway'), s['state'])) for s in (d.get('sessions', []) if isinstance(d, dict) else d) if int(s['id']) == $1][0]")" = "gw-b active" ]
}
lab_fetch() { ip netns exec "$(topo_ns ws)" timeout 6 nc -w 5 "$1" 7000 </dev/null 2>/dev/null; }
lab_fetch_is() { [ "$(lab_fetch "$1")" = "$2" ]; } # lab_fetch_is ADDR NAME

fleet_hints() {
	cat <<EOF

The fleet lab is up: hosts A (gw-a, spg-gw) and B (gw-b, spg-gwb) on PostgreSQL in spg-db
($SPG_DB:$SPG_PG_PORT, cluster in $SPG_PG_DIR). As root, from another shell:

  engA() { ip netns exec spg-ws env SPGATE_TOKEN_FILE=$SPG_STATE/tokens/\$1 \\
          SPGATE_SERVER=$SPG_MGMT:$SPG_API_PORT SPGATE_CA=$SPG_PKI/ca.crt $CTL "\${@:2}"; }
  engB() { ip netns exec spg-ws env SPGATE_TOKEN_FILE=$SPG_STATE/b/tokens/\$1 \\
          SPGATE_SERVER=$SPG_MGMT_B:$SPG_API_PORT SPGATE_CA=$SPG_PKI/ca.crt $CTL "\${@:2}"; }
  engA alice sessions; engB alice connect CK2003 --wait
  $CTL --operator --control-socket $SPG_STATE/control.sock gateways     # host A
  $CTL --operator --control-socket $SPG_STATE/b/control.sock gateways   # host B
  $CTL --socket $(fleet_b_sock) dp sessions        # B's spgate-dp
  runuser -u postgres -- psql -h $SPG_PG_DIR -c 'SELECT * FROM gateways' postgres

To have host A hand each connect to the less loaded host: add ", connect: least_loaded" to the
gateway: line of $SPG_STATE/control.yaml and restart A's spgate-control (docs/fleet.md).

Logs: $SPG_STATE/logs/ (A: control.out, dp.out; B: control-b.out, dp-b.out; postgresql.log at the end)
Stop: Ctrl-C here, or: $SPG_REPO/tools/lab/lab.sh down
EOF
}

# The lab's daemons as the watcher sees them: the one the lab started, or one an operator
# started again by hand (its socket answers)
dp_running() { topo_dp_alive || topo_ctl dp hello >/dev/null 2>&1; }
control_running() { control_alive || op_ctl sessions >/dev/null 2>&1; }

cmd_up() {
	local duration=0 args=("$@") want
	while [ $# -gt 0 ]; do
		case $1 in
		--duration) duration=${2:?--duration needs seconds}; shift 2 ;;
		--gateways)
			case ${2:-} in
			1) SPG_GATEWAYS=1 ;;
			2) SPG_GATEWAYS=2 ;;
			*) echo "lab.sh: --gateways is 1 or 2" >&2; exit 2 ;;
			esac
			shift 2
			;;
		*) usage ;;
		esac
	done
	need_root up "${args[@]}"
	if lab_is_up; then
		echo "lab.sh: the lab is already up (pid $(cat "$SPG_STATE/lab.pid")); 'lab.sh down' first" >&2
		exit 1
	fi
	mkdir -p "$SPG_STATE/logs"
	# leftovers from a lab that was killed without tearing down (a fleet's too)
	want=$SPG_GATEWAYS
	lab_gateways_read
	topo_destroy
	[ "$SPG_GATEWAYS" = 2 ] && pg_destroy
	SPG_GATEWAYS=$want
	lab_fleet_vars
	clear_state
	echo $$ >"$SPG_STATE/lab.pid"
	trap teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	build_all || exit 1
	if [ "$SPG_GATEWAYS" = 2 ]; then
		echo 2 >"$SPG_GATEWAYS_FILE"
		SPG_DP_CONFIG=$SPG_STATE/dp.yaml # host A's, made by fleet.sh from config/lab-dp.yaml
		fleet_lab_up
		lab_watch "$duration"
		return
	fi
	topo_create || { topo_log "creating the topology failed"; exit 1; }
	if ! topo_check_offloads; then
		topo_log "warning: af_packet will see partial checksums on those links"
	fi
	topo_log "making the lab's CA, certificates and vendor key in $SPG_PKI"
	local pairs=() i
	for ((i = 1; i <= SPG_N_SP; i++)); do
		pairs+=("$(agent_serial "$i")=$(topo_sp_local "$i")")
	done
	pki_make "$SPG_PKI" "$SPG_MGMT" "${pairs[@]}" || exit 1
	pki_recording "$SPG_PKI" globex || exit 1 # globex's sessions are recorded, sealed to it
	topo_log "starting FreeRADIUS in $(topo_ns gw) (127.0.0.1:$SPG_RADIUS_PORT)"
	control_radius_start || { topo_log "FreeRADIUS did not start"; exit 1; }
	topo_dp_start 60 || exit 1
	topo_log "starting the SPs: spgate-agent and the services on 7000/8080 (and a forbidden 9999)"
	agents_start || exit 1
	topo_log "starting spgate-modemsim: modem1..3 for CK2100 (SP 5), whose line is down until dialed"
	modems_start || exit 1
	topo_log "starting spgate-control in $(topo_ns gw) (engineer API $SPG_MGMT:$SPG_API_PORT)"
	# shellcheck disable=SC2119 # the lab's config as it is
	topo_log "starting snmptrapd and snmpd (master agentx) in $(topo_ns gw) (traps: $(snmp_traps))"
	snmp_start || { topo_log "snmpd or snmptrapd did not start"; exit 1; }
	control_config_make || { topo_log "the control plane's config does not check"; exit 1; }
	# the console (issue 18) on the management address, checked with the rest
	if ! control_web_config "$SPG_WEB_PORT" 30m ||
		! "$(control_bin)" --check-config "$SPG_STATE/control.yaml" >"$SPG_STATE/logs/control-check.out" 2>&1; then
		cat "$SPG_STATE/logs/control-check.out"
		topo_log "the control plane's config with the web console does not check"
		exit 1
	fi
	control_start 60 || exit 1
	topo_log "the operator imports the inventory ($SPG_INVENTORY)"
	# globex: recording on, sealed to the certificate pki_recording made (issue 15); tess may
	# name W2 as her workstation (demo_join: her spgatectl runs on W)
	modem_lab_inventory "$SPG_INVENTORY" | sed -e "s|{ name: globex, \(.*\) }|{ name: globex, \1, recording: on, recording_cert: $SPG_PKI/globex-recording.crt }|" \
		-e "s|{ name: tess, groups: \[storage-eu\] }|{ name: tess, groups: [storage-eu], may_name_workstations: [$SPG_W2] }|" \
		>"$SPG_STATE/inventory.yaml"
	control_import "$SPG_STATE/inventory.yaml" 2>&1 | sed 's/^/  /'
	[ "${PIPESTATUS[0]}" = 0 ] || { topo_log "inventory import failed"; exit 1; }
	DEMO_FAILED=0
	demo
	hints
	[ "$DEMO_FAILED" = 0 ] || topo_log "the demo did not go as it should (see above); staying up to look"

	lab_watch "$duration"
}

# lab_watch DURATION: stays up until Ctrl-C, `lab.sh down` (SIGTERM) or DURATION seconds (0:
# no end), saying when a daemon exits or comes back; exits 1 if the demo had failed
lab_watch() {
	local duration=$1 deadline=0 warned_dp=0 warned_ctl=0
	[ "$duration" -gt 0 ] && deadline=$((SECONDS + duration))
	# Up until Ctrl-C, `lab.sh down` (SIGTERM) or the duration: `sleep & wait` lets traps run.
	while [ "$deadline" -eq 0 ] || [ $SECONDS -lt "$deadline" ]; do
		if [ $warned_dp -eq 0 ] && ! dp_running; then
			topo_log "spgate-dp has exited; its log ends with:"
			tail -n 20 "$SPG_STATE/logs/dp.out"
			warned_dp=1
		elif [ $warned_dp -eq 1 ] && dp_running; then
			topo_log "spgate-dp is running again"
			warned_dp=0
		fi
		if [ $warned_ctl -eq 0 ] && ! control_running; then
			topo_log "spgate-control has exited; its log ends with:"
			tail -n 20 "$SPG_STATE/logs/control.out"
			warned_ctl=1
		elif [ $warned_ctl -eq 1 ] && control_running; then
			topo_log "spgate-control is running again"
			warned_ctl=0
		fi
		sleep 2 &
		wait $!
	done
	[ "$DEMO_FAILED" = 0 ] || exit 1
}

# lab_gateways_read: SPG_GATEWAYS of the running (or last) lab, from the file it left: down
# and status must know a fleet's namespaces and PostgreSQL
lab_gateways_read() {
	local prev=""
	[ -f "$SPG_GATEWAYS_FILE" ] && read -r prev <"$SPG_GATEWAYS_FILE"
	[ "$prev" = 2 ] && SPG_GATEWAYS=2
	lab_fleet_vars
}

# lab_fleet_vars: with SPG_GATEWAYS=2, PostgreSQL's place (pg.sh)
lab_fleet_vars() {
	if [ "$SPG_GATEWAYS" = 2 ]; then
		SPG_PG_NS=$(topo_ns db) SPG_PG_ADDR=$SPG_DB SPG_PG_CLIENTS="$SPG_MGMT $SPG_MGMT_B"
	fi
	return 0
}

cmd_down() {
	need_root down
	local pid i
	lab_gateways_read
	if lab_is_up; then
		pid=$(cat "$SPG_STATE/lab.pid")
		topo_log "asking the lab (pid $pid) to stop"
		kill -TERM "$pid"
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
	fi
	# Whatever is left (a lab killed with SIGKILL, or one that did not stop in 30 s).
	topo_destroy
	[ "$SPG_GATEWAYS" = 2 ] && pg_destroy
	rm -f "$SPG_STATE/lab.pid"
	topo_log "lab is down"
}

cmd_status() {
	local ns f name list
	lab_gateways_read
	if lab_is_up; then
		echo "lab: up (pid $(cat "$SPG_STATE/lab.pid")), state in $SPG_STATE"
	else
		echo "lab: not running"
	fi
	echo "namespaces:"
	# read once: `ip netns list | grep -q` made ip die of SIGPIPE, which pipefail counts as
	# a failure, and a namespace listed after the match went unshown
	list=$(ip netns list)
	for ns in $(topo_namespaces); do
		if grep -qw "$ns" <<<"$list"; then echo "  $ns"; fi
	done
	echo "processes:"
	for f in "$SPG_STATE"/pids/*.pid; do
		[ -f "$f" ] || continue
		name=$(basename "$f" .pid)
		if kill -0 "$(cat "$f")" 2>/dev/null; then
			echo "  $name: running (pid $(cat "$f"))"
		else
			echo "  $name: not running"
		fi
	done
	if [ -S "$(control_socket)" ] && [ -x "$CTL" ]; then
		echo "spgate-control (operator view):"
		op_ctl sessions --all 2>&1 | sed 's/^/  /'
		op_ctl lines 2>&1 | sed 's/^/  /'
	fi
	if [ "$SPG_GATEWAYS" = 2 ] && [ -x "$CTL" ]; then
		echo "the fleet (spgatectl --operator gateways, through A; then through B):"
		op_ctl gateways 2>&1 | sed 's/^/  /'
		op_b gateways 2>&1 | sed 's/^/  /'
		echo "PostgreSQL in $(topo_ns db) ($SPG_DB:$SPG_PG_PORT): $(pg_ready 2>/dev/null && echo up || echo down)"
		if [ -S "$(fleet_b_sock)" ]; then
			echo "B's spgate-dp:"
			b_dp_ctl dp sessions 2>&1 | sed 's/^/  /'
		fi
	fi
	if [ -S "$SPG_SOCK" ] && [ -x "$CTL" ]; then
		echo "spgate-dp:"
		topo_ctl dp hello 2>&1 | sed 's/^/  /'
		topo_ctl dp sessions 2>&1 | sed 's/^/  /'
		topo_ctl dp stats 2>&1 | sed 's/^/  /'
	fi
}

case ${1:-} in
up) shift; cmd_up "$@" ;;
down) cmd_down ;;
status) cmd_status ;;
*) usage ;;
esac
