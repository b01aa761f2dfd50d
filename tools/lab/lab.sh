#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The spgate lab: a gateway, a workstation and three SPs that all have the same address S,
# in network namespaces on this machine, with the real spgate-dp forwarding between them.
#
#   sudo tools/lab/lab.sh up [--duration SECONDS]   build, start, demo; stays up until Ctrl-C,
#                                                   `lab.sh down` or the duration ends
#   sudo tools/lab/lab.sh status                    what is running, sessions and counters
#   sudo tools/lab/lab.sh down                      stop everything (idempotent)
#
# State (pids, keys, logs, captures) lives in /run/spgate-lab (SPG_STATE overrides it).
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${SPG_STATE:=/run/spgate-lab}"
: "${SPG_DP_CONFIG:=$SPG_REPO/config/lab-dp.yaml}"
# shellcheck disable=SC2034 # read by topology.sh
SPG_NS=spg-
SPG_N_SP=3
# shellcheck source=tools/lab/topology.sh
. "$SPG_REPO/tools/lab/topology.sh"

# The control socket the config names (the lab config's default otherwise).
SPG_SOCK=$(sed -n 's/^[[:space:]]*control_socket:[[:space:]]*"\{0,1\}\([^"#[:space:]]*\).*/\1/p' \
	"$SPG_DP_CONFIG" 2>/dev/null | head -1)
: "${SPG_SOCK:=/run/spgate/lab-dp.sock}"
FILE_PREFIX=$(sed -n 's/^[[:space:]]*file_prefix:[[:space:]]*"\{0,1\}\([^"#[:space:]]*\).*/\1/p' \
	"$SPG_DP_CONFIG" 2>/dev/null | head -1)
: "${FILE_PREFIX:=spgate-lab}"

usage() {
	sed -n '3,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "lab.sh: needs root (network namespaces, af_packet): sudo $0 $*" >&2
		exit 1
	fi
}

lab_is_up() {
	[ -f "$SPG_STATE/lab.pid" ] && kill -0 "$(cat "$SPG_STATE/lab.pid")" 2>/dev/null
}

build_all() {
	topo_log "installing what is missing (tools/setup.sh)"
	bash "$SPG_REPO/tools/setup.sh" || return 1
	topo_log "building spgate-dp and spgatectl in $SPG_REPO/build"
	# Only what the lab runs: the lab need not wait for (or fail on) the rest of the tree.
	(
		if [ ! -f "$SPG_REPO/build/build.ninja" ]; then
			meson setup "$SPG_REPO/build" "$SPG_REPO" || exit 1
		fi
		ninja -C "$SPG_REPO/build" dataplane/spgate-dp tools/spgatectl/spgatectl
	) >"$SPG_STATE/logs/build.log" 2>&1 || {
		tail -n 30 "$SPG_STATE/logs/build.log"
		topo_log "build failed (whole log: $SPG_STATE/logs/build.log)"
		return 1
	}
	local exe
	for exe in build/dataplane/spgate-dp build/tools/spgatectl/spgatectl; do
		if [ ! -x "$SPG_REPO/$exe" ]; then
			topo_log "$exe was not built"
			return 1
		fi
	done
}

teardown() {
	trap - EXIT INT TERM
	topo_log "tearing the lab down"
	topo_destroy
	rm -f "$SPG_STATE/lab.pid" "$SPG_STATE/keys.env"
	topo_log "lab is down (logs kept in $SPG_STATE/logs)"
}

demo() {
	local i answer
	echo
	topo_log "demo: three sessions, three SPs, one shared SP address $SPG_S"
	for ((i = 1; i <= SPG_N_SP; i++)); do
		answer=$(topo_fetch "$i" 7000 5)
		printf '  W %s -> %s:7000 (session %d, SP %s) answers: %s\n' "$SPG_W" \
			"$(topo_virtual "$i")" "$i" "$(topo_sp_addr "$i")" "${answer:-<nothing>}"
	done
	echo
	ip netns exec "$(topo_ns ws)" ping -c 3 -i 0.3 -W 2 "$(topo_virtual 1)" | sed 's/^/  /'
	echo
	topo_log "spgatectl dp sessions"
	topo_ctl dp sessions | sed 's/^/  /'
	echo
	topo_log "spgatectl dp stats"
	topo_ctl dp stats | sed 's/^/  /'
}

hints() {
	local ctl="$SPG_REPO/build/tools/spgatectl/spgatectl --socket $SPG_SOCK"
	cat <<EOF

The lab is up. Try, from another shell (as root):

  # talk to the SPs from the workstation: each virtual address is another SP behind S
  ip netns exec spg-ws nc -w 3 198.19.0.2 7000 </dev/null
  ip netns exec spg-ws ping -c 3 198.19.0.3
  ip netns exec spg-ws nc -w 3 198.19.0.1 9999 </dev/null     # filtered: port_filtered rises

  # operate the dataplane
  $ctl dp sessions
  $ctl dp session show 1
  $ctl dp stats
  $ctl dp drops --all
  $ctl dp session update 2 --rate-out 1m --rate-in 1m
  $ctl dp session del 3

  # DPDK telemetry
  echo /spgate/stats | dpdk-telemetry.py -f $FILE_PREFIX
  echo /spgate/drops | dpdk-telemetry.py -f $FILE_PREFIX

  # watch the wire: only ESP in UDP 4500 between the gateway and the SPs
  ip netns exec spg-wan tcpdump -n -i br-wan
  ip netns exec spg-sp1 tcpdump -n -i sptun0     # the plaintext inside SP 1's tunnel

  # SP side (scapy's ESP peer): counters and the hooks the tests use
  cat $SPG_STATE/esp_peer1.json
  kill -USR1 \$(cat $SPG_STATE/pids/esp_peer1.pid)   # replay its last datagram: replay rises
  kill -USR2 \$(cat $SPG_STATE/pids/esp_peer1.pid)   # tamper with its next one: bad_icv rises

Logs: $SPG_STATE/logs/  (spgate-dp: dp.out)
Stop: Ctrl-C here, or: sudo $SPG_REPO/tools/lab/lab.sh down
EOF
}

cmd_up() {
	local duration=0
	while [ $# -gt 0 ]; do
		case $1 in
		--duration) duration=${2:?--duration needs seconds}; shift 2 ;;
		*) usage ;;
		esac
	done
	need_root up
	if lab_is_up; then
		echo "lab.sh: the lab is already up (pid $(cat "$SPG_STATE/lab.pid")); 'lab.sh down' first" >&2
		exit 1
	fi
	mkdir -p "$SPG_STATE/logs"
	echo $$ >"$SPG_STATE/lab.pid"
	trap teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	build_all || exit 1
	# leftovers from a lab that was killed without tearing down
	topo_destroy
	topo_create || { topo_log "creating the topology failed"; exit 1; }
	if ! topo_check_offloads; then
		topo_log "warning: af_packet will see partial checksums on those links"
	fi
	topo_keys_generate
	topo_log "starting the SPs (scapy ESP peers on tun, services on 7000/8080, a forbidden 9999)"
	topo_sps_start || exit 1
	topo_dp_start 60 || exit 1
	topo_log "programming sessions 1..$SPG_N_SP"
	topo_sessions_add || { topo_log "spgatectl dp session add failed"; exit 1; }
	demo
	hints

	local deadline=0 warned=0
	[ "$duration" -gt 0 ] && deadline=$((SECONDS + duration))
	# Up until Ctrl-C, `lab.sh down` (SIGTERM) or the duration: `sleep & wait` lets traps run.
	while [ "$deadline" -eq 0 ] || [ $SECONDS -lt "$deadline" ]; do
		if [ $warned -eq 0 ] && ! topo_dp_alive; then
			topo_log "spgate-dp has exited; its log ends with:"
			tail -n 20 "$SPG_STATE/logs/dp.out"
			warned=1
		fi
		sleep 2 &
		wait $!
	done
}

cmd_down() {
	need_root down
	local pid i
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
	rm -f "$SPG_STATE/lab.pid" "$SPG_STATE/keys.env"
	topo_log "lab is down"
}

cmd_status() {
	local ns f name
	if lab_is_up; then
		echo "lab: up (pid $(cat "$SPG_STATE/lab.pid")), state in $SPG_STATE"
	else
		echo "lab: not running"
	fi
	echo "namespaces:"
	for ns in $(topo_namespaces); do
		if ip netns list | grep -qw "$ns"; then echo "  $ns"; fi
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
	if [ -S "$SPG_SOCK" ] && [ -x "$SPG_REPO/build/tools/spgatectl/spgatectl" ]; then
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
