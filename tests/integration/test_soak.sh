#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The soak test (issue 13): the whole system of tools/lab with SPG_SOAK_SESSIONS SPs (default
# 200) in namespaces of its own (prefix spgo-), all sessions up at once, then
#   - a restart of each daemon in turn with the sessions up: spgate-dp (kill -9: spgate-control
#     re-adds every session), spgate-control (SIGTERM, then kill -9: the sessions live on),
#     three agents (kill -9 twice, SIGTERM once: each of their sessions fails with the reason,
#     and a new one comes up), FreeRADIUS (logins work after it);
#   - rounds of connect/disconnect churn (a quarter of the systems each round), with the
#     others' traffic checked while it runs;
#   - short keepalives (agent.keepalive 3 s, the agents' control_timeout 12 s), so the run
#     spans dozens of keepalive periods: no session may be lost to them;
# and at the end, after disconnecting everything, checks that nothing leaked: spgate-dp has
# no session, the store none live and no virtual address held, every agent no session and
# no control channel, every line idle; the open fds and RSS of spgate-dp, spgate-control and
# a sample of agents stayed within a bound of their value after warm-up; every session that
# ended has a reason and every one created ended closed or failed.
#
#   spgo-ws    workstation 198.51.100.10: six engineers (eng1..4 RADIUS, loc1..2 local)
#   spgo-gw    spgate-dp, spgate-control, FreeRADIUS
#   spgo-wan   br-wan: the gateway, the SP sites 203.0.113.(10+i), the stranger at .250
#   spgo-spI   SP SK000I: spgate-agent (no services: traffic is checked with ping, icmp being
#              in the profile, from one raw socket in tests/integration/soak/soak.py)
#
#   SPG_SOAK_SESSIONS=12 tests/integration/test_soak.sh   a small soak while developing
#   SPG_SOAK_ROUNDS=N    churn rounds (default 4)         SPG_KEEP=1: keep the state dir
#
# Run as root. Each phase prints how long it took; the last line is "N passed, N failed".
# About 4 minutes for 200 SPs on the 2-core development machine (up to 8 when other tests
# load it; a third of it bringing up 200 namespaces and agents); 12 SPs take about 70 s.
# shellcheck disable=SC2016 # check ... eval '...': evaluated when the check runs
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${SPG_SOAK_SESSIONS:-200}
ROUNDS=${SPG_SOAK_ROUNDS:-4}
# shellcheck disable=SC2034 # read by topology.sh, agents.sh, control.sh
{
	SPG_NS=spgo- SPG_N_SP=$N SPG_CONTROL=1 SPG_NAT_SPS="" SPG_STRANGER=203.0.113.250
	SPG_TOPO_JOBS=4 SPG_AGENT_GRACE=30
	SPG_SERIALS=$(for ((i = 1; i <= N; i++)); do printf 'SK%04d ' "$i"; done)
}
SPG_TEST=soak
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"

SOAK_PY=$SPG_REPO/tests/integration/soak/soak.py
KEEPALIVE=3         # agent.keepalive (control -> agent pings)
CTL_TIMEOUT=12      # the agents' session.control_timeout: 4 keepalives missed is a loss
CONTROL_GRACE=12    # agent.grace: how long a lost session is re-attached before it fails
PAR=8               # connects/disconnects at once (engineer_api.max_per_source is 16)
C=$SPG_STATE/conn   # connect/disconnect answers, per SP
ENGINEERS=(eng1 eng2 eng3 eng4 loc1 loc2)
T0=$(date +%s)

teardown() { topo_destroy; }
test_begin "$SPG_STATE" teardown spgate-control "$SPG_STATE/logs/control.out" 40 \
	spgate-dp "$SPG_STATE/logs/dp.out" 20

phase_t=$SECONDS
phase() { # phase NAME: the section header, and how long the last phase took
	[ -n "${phase_name:-}" ] && echo "    (phase '$phase_name' took $((SECONDS - phase_t)) s)"
	phase_name=$1 phase_t=$SECONDS
	section "$1"
}

# ---- helpers ----
# local users first: a RADIUS reject is a verdict (control/auth/auth.c), an unknown local
# user is not, so [local, radius] lets both kinds of engineer in

eng_of() { echo "${ENGINEERS[$((($1 - 1) % ${#ENGINEERS[@]}))]}"; } # the engineer of SP i
pw_of() { echo "$1-pw"; }

# pool FN I...: FN I for every I, PAR at a time (PAR shards, each one after the other)
pool() {
	local fn=$1 k j pids=()
	shift
	local items=("$@")
	for ((k = 0; k < PAR; k++)); do
		(for ((j = k; j < ${#items[@]}; j += PAR)); do "$fn" "${items[j]}"; done) &
		pids+=($!)
	done
	wait "${pids[@]}"
}

connect_one() { # connect_one I: SP i's engineer connects and waits for the session
	local i=$1
	rm -f "$C/$i.json" "$C/$i.err"
	eng "$(eng_of "$i")" --json connect "$(agent_serial "$i")" --wait --wait-timeout 90 \
		>"$C/$i.json" 2>"$C/$i.err"
}

disconnect_one() { # disconnect_one I: SP i's engineer ends its session
	eng "$(eng_of "$1")" --json disconnect "${SID[$1]}" >"$C/$1.disc" 2>&1
}

declare -A SID V
# conns_read I...: SID/V of each SP from its connect answer; prints "I STATE REASON" of those
# that did not end active (not in $(...): the assignments must reach this shell)
conns_read() {
	local i id st v reason
	while read -r i id st v reason; do
		if [ "$st" = active ]; then
			SID[$i]=$id V[$i]=$v
		else
			SID[$i]="" V[$i]=""
			echo "$i $st $reason"
		fi
	done < <("$SPG_PY" "$SOAK_PY" conns "$C" "$@")
}

# resync: SID/V from the store's view (the operator's session list). A connect whose reply
# the engineer's spgatectl never got (it waits 5 s; spgate-control stalls that long when
# its synchronous spgate-dp calls time out under load) still made a session: the test must
# know it, or its end would leave that session up and call it a leak.
resync() {
	local i id v
	while read -r i id v; do
		SID[$i]=$id V[$i]=$v
	done < <(sessions_json | "$SPG_PY" "$SOAK_PY" live)
}

# the SPs with a session (sorted by number)
up_sps() { local i; for i in "${!SID[@]}"; do [ -n "${SID[$i]}" ] && echo "$i"; done | sort -n; }

# ping_sps TIMEOUT I...: every SP's virtual address answers ping within TIMEOUT s; the ones
# that did not are in $SPG_STATE/ping.failed
ping_sps() {
	local t=$1 i addrs=()
	shift
	[ $# -gt 0 ] || { echo "no session to ping" >"$SPG_STATE/ping.failed"; return 1; }
	for i in "$@"; do addrs+=("${V[$i]}"); done
	ip netns exec "$(topo_ns ws)" "$SPG_PY" "$SOAK_PY" ping --timeout "$t" "${addrs[@]}" \
		>"$SPG_STATE/ping.failed" 2>&1
}
sample() { shuf -n "$1" | sort -n; } # sample K: K lines of stdin at random

sessions_json() { op_ctl --json sessions "$@" 2>/dev/null; } # the operator's view
state_count() { # state_count STATE [ARGS]: sessions in STATE
	sessions_json "${@:2}" | "$SPG_PY" "$SOAK_PY" sessions | awk -v s="$1" '$1 == s {print $2}' | grep . || echo 0
}
active_is() { [ "$(state_count active)" = "$1" ]; }
dp_count() { topo_ctl --json dp sessions 2>/dev/null | jv "len($SESSIONS)"; }
dp_count_is() { [ "$(dp_count)" = "$1" ]; }
# every agent's sessions, from its status socket: "I STATES TUN" per SP (soak.py agents)
agents_states() { "$SPG_PY" "$SOAK_PY" agents "$SPG_STATE" "$N" "$@"; }
agents_all() { [ "$(agents_states | awk -v w="$1" '$2 != w' | wc -l)" = 0 ]; } # every one in state $1
# "CHANNELS TUNS": connections on port 7443 and TUN devices in the SP namespaces
sp_leftovers() { "$SPG_PY" "$SOAK_PY" channels "$SPG_NS" "$N"; }
# the agents that are not running
agents_dead() {
	local i pid
	for ((i = 1; i <= N; i++)); do
		read -r pid <"$SPG_STATE/pids/agent$i.pid" && [ -d "/proc/$pid" ] || echo "$i"
	done
}

pid_of() { cat "$SPG_STATE/pids/$1.pid" 2>/dev/null; }
fds_of() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
rss_of() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; } # KiB
declare -A FD0 RSS0
measure() { # measure TAG NAME...: fds and RSS of each process NAME, printed
	local tag=$1 name pid
	shift
	for name in "$@"; do
		pid=$(pid_of "$name")
		M_FD[$name]=$(fds_of "$pid") M_RSS[$name]=$(rss_of "$pid")
		echo "    $tag: $name (pid $pid): ${M_FD[$name]} fds, ${M_RSS[$name]} KiB RSS"
	done
}
declare -A M_FD M_RSS

# ---- preflight ----

[ "$(id -u)" -eq 0 ] || abort "the soak test runs as root (namespaces, af_packet, XDP)"
# the pool 198.19.0.0/24 holds 254: N live plus the quarter that churns must fit
if [ "$N" -lt 8 ] || [ "$N" -gt 200 ]; then
	abort "SPG_SOAK_SESSIONS=$N: 8..200 (N sessions and a quarter churning fit the /24 pool)"
fi
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent
need_tools freeradius radclient openssl ss shuf
mkdir -p "$C"

# ---- the system ----

phase "bringing up $N SPs"
dp_config_make
topo_destroy >/dev/null 2>&1 # leftovers of an earlier run that was killed
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, $N SPs, the stranger) is created"
echo "    topology: $((SECONDS - phase_t)) s"
pki_make "$SPG_PKI" "$SPG_MGMT" || abort "pki.sh makes the CAs, certificates and vendor key"
pairs=()
for ((i = 1; i <= N; i++)); do printf -v "pairs[i - 1]" 'SK%04d=203.0.113.%d' "$i" $((10 + i)); done
[ "${pairs[0]}" = "$(agent_serial 1)=$(topo_sp_local 1)" ] || abort "SP 1 is ${pairs[0]}"
"$SPG_PY" "$SOAK_PY" certs "$SPG_PKI" "${pairs[@]}" ||
	abort "soak.py makes the $N agent certificates (as pki.sh's pki_agent)"
echo "    pki: $((SECONDS - phase_t)) s"
radius_ns gen "$(radius_dir)" "$SPG_RADIUS_PORT" "$SPG_RADIUS_SECRET" >/dev/null ||
	abort "radiusd.sh writes FreeRADIUS's tree"
for u in eng1 eng2 eng3 eng4; do
	printf '%s\tCleartext-Password := "%s"\n\tClass = "soak-eng"\n\n' "$u" "$(pw_of "$u")"
done >"$(radius_dir)/users"
control_radius_start || abort "FreeRADIUS starts in $(topo_ns gw)"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts in $(topo_ns gw)"
# SP 1's config as tools/lab/agents.sh writes it, the others from it in one process
agent_config 1
"$SPG_PY" "$SOAK_PY" agent-configs "$SPG_STATE" "$N" || abort "soak.py writes the agents' configs"
sed -i "s/^\([[:space:]]*control_timeout:\).*/\1 $CTL_TIMEOUT/" "$SPG_STATE"/agents/sp*.yaml
"$(agent_bin)" -c "$(agent_config_path 1)" --check-config >"$SPG_STATE/logs/agent-check.out" 2>&1 ||
	abort "the agents' config passes --check-config ($(tail -1 "$SPG_STATE/logs/agent-check.out"))"
for ((i = 1; i <= N; i++)); do
	topo_spawn "agent$i" "$(topo_ns "sp$i")" "$(agent_bin)" -c "$(agent_config_path "$i")"
done
down=$(agents_states --wait 60 | awk '$2 == "down" {print $1}' | paste -sd, -)
[ -z "$down" ] || abort "all $N agents answer on their status socket (not: SP $down)"
echo "    agents: $((SECONDS - phase_t)) s"
control_config_make -e "s/^\([[:space:]]*keepalive:\).*/\1 $KEEPALIVE/" \
	-e "s/^\([[:space:]]*grace:\).*/\1 $CONTROL_GRACE/" \
	-e "s/^\([[:space:]]*methods:\).*/\1 [local, radius]/" ||
	abort "the control plane's config (config/lab-control.yaml adapted) passes --check-config"
control_start 60 || abort "spgate-control starts and answers on both APIs"
"$SPG_PY" "$SOAK_PY" inventory "$N" >"$SPG_STATE/inventory.yaml"
out=$(control_import "$SPG_STATE/inventory.yaml" 2>&1)
check "the operator imports the generated inventory ($N systems, $((N + 20)) lines, 6 engineers)" \
	grep -q "systems *$N\b" <<<"$out"
bad=""
for u in "${ENGINEERS[@]}"; do
	eng_login "$u" "$(pw_of "$u")" >/dev/null 2>&1 || bad="$bad $u"
done
check "the six engineers log in (eng1..4 through RADIUS, loc1..2 local)${bad:+; failed:$bad}" [ -z "$bad" ]

# ---- all sessions up ----

phase "$N sessions up at once"
all=()
for ((i = 1; i <= N; i++)); do all+=("$i"); done
t=$SECONDS
pool connect_one "${all[@]}"
t_connect=$((SECONDS - t))
conns_read "${all[@]}" >"$SPG_STATE/conns.failed"
failed_up=$(cat "$SPG_STATE/conns.failed")
resync
check "$N connects --wait end active in ${t_connect} s${failed_up:+ (not: $(head -3 <<<"$failed_up" | tr '\n' ';'))}" \
	[ -z "$failed_up" ]
distinct=$(for i in "${all[@]}"; do echo "${V[$i]:-}"; done | grep -v '^$' | sort -u | wc -l)
check "with $N distinct virtual addresses (got $distinct)" [ "$distinct" = "$N" ]
check "spgatectl sessions (operator) lists $N active" wait_until 10 active_is "$N"
check "spgate-dp holds $N sessions" wait_until 10 dp_count_is "$N"
mapfile -t up < <(up_sps)
check "every one of the ${#up[@]} sessions answers ping through its virtual address" \
	ping_sps 20 "${up[@]}"
[ -s "$SPG_STATE/ping.failed" ] && echo "    no answer from: $(head -5 "$SPG_STATE/ping.failed" | tr '\n' ' ')"
declare -A FIRST_SID
for i in "${up[@]}"; do FIRST_SID[$i]=${SID[$i]}; done
t_peak=$(date +%s)

# ---- a restart of each daemon in turn ----

# sessions that ended since the soak began, other than by a disconnect: none may, but those
# of the agents the test kills
unexpected_ends() {
	sessions_json --since "$T0" | jv "[str(s['id']) + ':' + s['serial'] + ':' + s['state'] + ':' + s['reason'] for s in $SESSIONS if s['state'] in ('closed', 'failed') and not s['reason'].startswith('disconnected by') and s['serial'] not in '${KILLED_SERIALS:-}'.split()]"
}
KILLED_SERIALS=""

phase "restart: spgate-dp (kill -9)"
pid=$(pid_of dp)
kill -KILL "$pid"
check "spgate-dp (pid $pid) is killed" wait_until 10 not pid_running "$pid"
rm -f "$SPG_STATE/pids/dp.pid"
cat "$SPG_STATE/logs/dp.out" >>"$SPG_STATE/logs/dp-earlier.out" 2>/dev/null
t=$SECONDS
topo_dp_start 60 >/dev/null || abort "spgate-dp starts again"
check "spgate-control re-adds all $N sessions to the new spgate-dp (rekeyed through their agents)" \
	wait_until 90 dp_count_is "$N"
echo "    re-added $(dp_count) sessions in $((SECONDS - t)) s"
check "all $N sessions are still active" wait_until 10 active_is "$N"
mapfile -t s < <(up_sps | sample 40)
check "a sample of 40 sessions answers ping again" ping_sps 20 "${s[@]}"
ends=$(unexpected_ends)
check "no session ended (got: ${ends:-none})" [ -z "$ends" ]

control_restart_checks() { # control_restart_checks HOW: after spgate-control came back
	check "the restarted spgate-control takes over the $N live sessions" \
		grep -q "taking over $N live sessions" "$SPG_STATE/logs/control.out"
	check "all $N sessions are active again (re-attached to their agents)" wait_until 60 active_is "$N"
	check "spgate-dp still holds $N sessions" dp_count_is "$N"
	mapfile -t s < <(up_sps | sample 40)
	check "a sample of 40 sessions answers ping after the $1 restart" ping_sps 20 "${s[@]}"
	ends=$(unexpected_ends)
	check "no session ended (got: ${ends:-none})" [ -z "$ends" ]
}

phase "restart: spgate-control (SIGTERM)"
pid=$(pid_of control)
control_stop
check "spgate-control (pid $pid) stops on SIGTERM" not pid_running "$pid"
mapfile -t s < <(up_sps | sample 40)
check "while it is down, a sample of 40 sessions answers ping (the dataplane carries on)" \
	ping_sps 10 "${s[@]}"
control_start 60 || abort "spgate-control starts again"
control_restart_checks SIGTERM

phase "restart: spgate-control (kill -9)"
pid=$(pid_of control)
kill -KILL "$pid"
check "spgate-control (pid $pid) is killed" wait_until 10 not pid_running "$pid"
control_stop # its log to control-earlier.out
control_start 60 || abort "spgate-control starts again after kill -9"
control_restart_checks "kill -9"

phase "restart: three agents"
mapfile -t victims < <(up_sps | sample 3)
declare -A VSID
for k in 0 1 2; do
	i=${victims[k]}
	VSID[$i]=${SID[$i]}
	KILLED_SERIALS="$KILLED_SERIALS $(agent_serial "$i")"
	if [ "$k" = 2 ]; then
		topo_stop "agent$i" 5 # SIGTERM: the agent tears its session down itself
		how=SIGTERM
	else
		kill -KILL "$(pid_of "agent$i")"
		wait_until 5 not topo_pid_alive "agent$i"
		how="kill -9"
	fi
	agent_start "$i" || fail "SP $i's agent starts again after $how"
	echo "    SP $i ($(agent_serial "$i")), session ${VSID[$i]}: agent restarted after $how"
done
# each session: degraded at once, then either re-attached or ended with a reason
ended_or_active() { # ended_or_active ID: prints the state once it is final
	local st
	st=$(op_ctl --json session show "$1" 2>/dev/null | jv 'd.get("session", d)["state"]')
	case $st in closed | failed | active) echo "$st" ;; *) return 1 ;; esac
}
for i in "${victims[@]}"; do
	wait_until $((CONTROL_GRACE + 20)) ended_or_active "${VSID[$i]}"
	st=$(ended_or_active "${VSID[$i]}")
	reason=$(op_ctl --json session show "${VSID[$i]}" 2>/dev/null | jv 'd.get("session", d)["reason"]')
	if [ "$st" = active ]; then
		pass "SP $i's session ${VSID[$i]} re-attached to the restarted agent"
	else
		# failed, not closed: nobody ended it (control/session_sp.c; the soak found it closed)
		check "SP $i's session ${VSID[$i]} ended $st (want failed) with the reason why: '$reason'" \
			eval '[ "$st" = failed ] && [[ $reason == *agent* ]]'
		check "SP $i's restarted agent has no session left" agent_idle "$i"
		check "and nothing installed (TUN, route, XDP guard)" wait_until 5 agent_nothing_installed "$i"
		SID[$i]=""
	fi
done
mapfile -t again < <(for i in "${victims[@]}"; do [ -z "${SID[$i]}" ] && echo "$i"; done)
if [ ${#again[@]} -gt 0 ]; then
	pool connect_one "${again[@]}"
	conns_read "${again[@]}" >"$SPG_STATE/conns.failed"
	failed_up=$(cat "$SPG_STATE/conns.failed")
	resync
	check "new sessions to the ${#again[@]} SPs come up${failed_up:+ (not: $failed_up)}" [ -z "$failed_up" ]
	check "and answer ping" ping_sps 20 "${again[@]}"
fi
ends=$(unexpected_ends)
check "no other session ended (got: ${ends:-none})" [ -z "$ends" ]

phase "restart: FreeRADIUS"
control_radius_stop
control_radius_start || fail "FreeRADIUS starts again"
check "after FreeRADIUS's restart eng1 logs in (RADIUS)" quiet eng_login eng1 "$(pw_of eng1)"
check "and so does eng3" quiet eng_login eng3 "$(pw_of eng3)"
check "all $N sessions still active" active_is "$N"

# ---- churn ----

churn_round() { # churn_round R: a quarter of the SPs disconnect and connect again
	local r=$1 others=() churn=() i failed_up ends
	mapfile -t churn < <(up_sps | sample $((N / 4)))
	mapfile -t others < <(up_sps | sort | comm -23 - <(printf '%s\n' "${churn[@]}" | sort) | sample 40)
	# the others' traffic while the churn runs
	ping_sps 60 "${others[@]}" &
	local ping_pid=$!
	pool disconnect_one "${churn[@]}"
	local ids
	ids=$(for i in "${churn[@]}"; do echo "${SID[$i]}"; done)
	for i in "${churn[@]}"; do SID[$i]=""; done
	check "round $r: ${#churn[@]} sessions disconnected end closed" wait_until 30 all_closed "$ids"
	pool connect_one "${churn[@]}"
	conns_read "${churn[@]}" >"$SPG_STATE/conns.failed"
	failed_up=$(cat "$SPG_STATE/conns.failed")
	resync
	check "round $r: ${#churn[@]} connects come up again${failed_up:+ (not: $(head -3 <<<"$failed_up" | tr '\n' ';'))}" \
		[ -z "$failed_up" ]
	check "round $r: 40 other sessions kept answering ping meanwhile" wait "$ping_pid"
	check "round $r: the reconnected sessions answer ping" ping_sps 20 "${churn[@]}"
	check "round $r: spgatectl sessions lists $N active, spgate-dp holds $N" \
		eval 'wait_until 10 active_is "$N" && wait_until 10 dp_count_is "$N"'
	ends=$(unexpected_ends)
	check "round $r: no session ended but those disconnected (got: ${ends:-none})" [ -z "$ends" ]
}
all_closed() { # all_closed IDS: none of the sessions IDS (newline separated) is live
	local live
	live=$(sessions_json | jv "[s['id'] for s in $SESSIONS]" | tr ',' '\n')
	[ -z "$(comm -12 <(sort <<<"$1") <(sort <<<"$live"))" ]
}

phase "churn round 1 (warm-up)"
churn_round 1
WATCH=(dp control)
for i in $(up_sps | head -40 | sample 4); do
	[[ " $KILLED_SERIALS " == *" $(agent_serial "$i") "* ]] || WATCH+=("agent$i")
done
measure warm-up "${WATCH[@]}"
for n in "${WATCH[@]}"; do FD0[$n]=${M_FD[$n]} RSS0[$n]=${M_RSS[$n]}; done

for ((r = 2; r <= ROUNDS; r++)); do
	phase "churn round $r"
	churn_round "$r"
done

# ---- keepalives ----

phase "keepalives"
lived=0
for i in "${!FIRST_SID[@]}"; do
	[ "${SID[$i]}" = "${FIRST_SID[$i]}" ] && lived=$((lived + 1))
done
span=$(($(date +%s) - t_peak))
check "$lived sessions lived through the whole run unchurned (${span} s, $((span / KEEPALIVE)) keepalive periods of $KEEPALIVE s; the agents' timeout $CTL_TIMEOUT s)" \
	[ "$lived" -gt 0 ]
st=$(agents_states | awk '{print $2}' | sort | uniq -c | tr -s ' ' | paste -sd, -)
check "every agent has its session up, none in grace (agents' states: $st)" agents_all up
# the killed agents' sessions aside
lost=$(grep -o "session [0-9]*: degraded: lost the SP's control channel" "$SPG_STATE/logs/control.out" |
	awk '{print $2}' | tr -d : | grep -vxF -f <(printf '%s\n' "${VSID[@]}") | sort -u | paste -sd, -)
check "spgate-control's log (since its last restart) shows no other lost control channel (${lost:-none})" \
	[ -z "$lost" ]
measure peak "${WATCH[@]}"
declare -A FD_PEAK RSS_PEAK
for n in "${WATCH[@]}"; do FD_PEAK[$n]=${M_FD[$n]} RSS_PEAK[$n]=${M_RSS[$n]}; done

# ---- the end: disconnect everything and look for leaks ----

phase "disconnect everything"
resync
mapfile -t up < <(up_sps)
ids=$(for i in "${up[@]}"; do echo "${SID[$i]}"; done)
pool disconnect_one "${up[@]}"
for i in "${up[@]}"; do SID[$i]=""; done
check "all ${#up[@]} sessions disconnected end closed" wait_until 60 all_closed "$ids"

phase "leak checks"
check "spgate-dp has 0 sessions (got $(dp_count))" wait_until 15 dp_count_is 0
check "spgatectl sessions (operator) lists no live session (got $(sessions_json | jv "len($SESSIONS)"))" \
	eval '[ "$(sessions_json | jv "len($SESSIONS)")" = 0 ]'
store=$("$SPG_PY" "$SOAK_PY" store "$SPG_STATE/spgate.db" "$T0")
echo "    store: $store"
sv() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$store"; }
check "the store has no session in a live state (closed IS NULL: $(sv live))" [ "$(sv live)" = 0 ]
check "no virtual address is held (live sessions with an address: $(sv held))" [ "$(sv held)" = 0 ]
check "every line is idle (not idle: $(sv busy_lines))" [ "$(sv busy_lines)" = 0 ]
LINES='(d.get("lines", []) if isinstance(d, dict) else d)'
busy=$(op_ctl --json lines 2>/dev/null | jv "[l['id'] + ':' + l['state'] for l in $LINES if l['state'] != 'idle']")
nlines=$(op_ctl --json lines 2>/dev/null | jv "len($LINES)")
check "spgatectl lines says so too: $nlines lines, none but idle (${busy:-none})" \
	eval '[ "$nlines" = $((N + 20)) ] && [ -z "$busy" ]'
check "the sessions created ($(sv created)) are all closed ($(sv closed)) or failed ($(sv failed)): none lost" \
	[ "$(sv created)" = $(($(sv closed) + $(sv failed))) ]
check "every session that ended has a reason (without: $(sv noreason))" [ "$(sv noreason)" = 0 ]
nfailed=$(sessions_json --since "$T0" | jv "[str(s['id']) + ':' + s['reason'] for s in $SESSIONS if s['state'] == 'failed' and not s['reason'].strip()]")
check "spgatectl sessions --since: no failed session without a reason (${nfailed:-none})" [ -z "$nfailed" ]
wait_until 15 agents_all none
left=$(agents_states | awk '$2 != "none" || $3 != "-"' | head -5 | tr '\n' ';')
check "every agent's status socket shows no session and no tunnel (${left:-all none})" [ -z "$left" ]
read -r ch tuns < <(sp_leftovers)
check "no agent holds a control channel (TCP connections on 7443 in the SPs: ${ch:-?})" [ "${ch:-1}" = 0 ]
check "no SP has a TUN device left (${tuns:-?})" [ "${tuns:-1}" = 0 ]
# TIME-WAIT is the kernel's, after the side that closed first: no process holds it
gw_ch=$(ip netns exec "$(topo_ns gw)" ss -Htn state connected exclude time-wait '( dport = :7443 )' | wc -l)
check "nor does spgate-control (its connections to port 7443 but TIME-WAIT: $gw_ch)" [ "$gw_ch" = 0 ]

# The bounds: fds ≤ warm-up + 16, RSS ≤ warm-up × 1.25 + 8 MiB, from what four runs of 200
# sessions measured. fds: spgate-control had 218 after warm-up (the listeners, the store,
# spgate-dp's socket and one TLS channel per session), 218 at the last peak and 18 at the
# end; spgate-dp 24 throughout; an agent 20 with its session, 11 without. Nothing but a
# kept fd moves them, so 16 is room for a few in flight, not for one per session. RSS:
# spgate-control 40.1-40.2 MiB after warm-up, 41.8-42.0 at the last peak, 42.3 at the end
# (SQLite's page cache and the TLS buffers settling), spgate-dp 105 MiB (its EAL memory,
# fixed at start) ±20 KiB, an agent 8.3-8.4 MiB ±150 KiB; ×1.25 + 8 MiB (~58 MiB for
# spgate-control) is room for allocator noise, while a leak of 64 KiB per session over the
# ~350 sessions churned and closed after warm-up would exceed it.
phase "fds and memory"
measure end "${WATCH[@]}"
for n in "${WATCH[@]}"; do
	f0=${FD0[$n]} r0=${RSS0[$n]}
	fmax=$((f0 + 16)) rmax=$((r0 * 5 / 4 + 8192))
	check "$n: open fds $f0 after warm-up, ${FD_PEAK[$n]} at the last peak, ${M_FD[$n]} at the end (bound $fmax)" \
		eval '[ "${FD_PEAK[$n]}" -le "$fmax" ] && [ "${M_FD[$n]}" -le "$fmax" ]'
	check "$n: RSS $r0 KiB after warm-up, ${RSS_PEAK[$n]} KiB at the last peak, ${M_RSS[$n]} KiB at the end (bound $rmax KiB)" \
		eval '[ "${RSS_PEAK[$n]}" -le "$rmax" ] && [ "${M_RSS[$n]}" -le "$rmax" ]'
done

phase "the end"
check "spgate-control, spgate-dp and every agent are still running" \
	eval 'control_alive && topo_dp_alive && [ -z "$(agents_dead)" ]'
crash=$(grep -l -E "AddressSanitizer|Segmentation|core dumped|assert" "$SPG_STATE"/logs/*.out 2>/dev/null | tr '\n' ' ')
check "no daemon's log shows a crash (${crash:-none})" [ -z "$crash" ]
phase_name_end=$phase_name
echo "    (phase '$phase_name_end' took $((SECONDS - phase_t)) s)"
echo "soak: $N SPs, $ROUNDS churn rounds, $(sv created) sessions in $(($(date +%s) - T0)) s"
